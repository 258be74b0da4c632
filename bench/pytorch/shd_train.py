"""One training step of the SHD network (configs/shd.json) in PyTorch, timed: prints one JSON line.

700-128FC-128FC-20, BN after every FC layer over T·B (as TA-SNN's reference), dropout 0.5 on the last layer's input (one mask per sequence), LIF alpha 0.3, Vth 0.3,
soft reset (reference-code form), rectangular surrogate a = 0.25; Razor gate (K 4, w 1, tau 0.1) in layer 2
("hidden" layers 2..N-1) unless --variant snn. MSE rate loss, Adam lr 1e-3 (Razor's parameters x10).
Inputs are random spike-count frames [T, B, 700] of the given density (no real SHD file is at hand).

    python3 bench/pytorch/shd_train.py --threads 2 [--variant snn|razor] [--batch 128] [--T 100] [--steps 5]
"""

from snn import Lif, RazorGate, adam_for, fold, parse_args, random_counts, rate_mse, report, sequence_dropout, time_steps, unfold

import torch  # noqa: E402  (snn sets the BLAS thread count before torch loads)
from torch import nn  # noqa: E402

INPUTS, HIDDEN, CLASSES = 700, 128, 20


class ShdNet(nn.Module):
    def __init__(self, razor):
        super().__init__()
        self.fc1 = nn.Linear(INPUTS, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, HIDDEN)
        self.fc3 = nn.Linear(HIDDEN, CLASSES)
        self.bn1 = nn.BatchNorm1d(HIDDEN)
        self.bn2 = nn.BatchNorm1d(HIDDEN)
        self.bn3 = nn.BatchNorm1d(CLASSES)
        self.gate = RazorGate(HIDDEN) if razor else None
        self.lif = Lif(alpha=0.3, vth=0.3, width=0.25)

    def forward(self, x):
        t = x.shape[0]
        s1 = self.lif(unfold(self.bn1(self.fc1(fold(x))), t))
        i2 = unfold(self.bn2(self.fc2(fold(s1))), t)
        if self.gate is not None:
            i2 = i2 * self.gate(s1).unsqueeze(-1)
        s2 = self.lif(i2)
        s2 = sequence_dropout(s2, 0.5, self.training)
        return self.lif(unfold(self.bn3(self.fc3(fold(s2))), t))


def main():
    args = parse_args(__doc__, batch=128, T=100, density=0.08)
    gen = torch.Generator().manual_seed(args.seed)
    x = random_counts((args.T, args.batch, INPUTS), args.density, 2, gen)
    labels = torch.randint(0, CLASSES, (args.batch,), generator=gen)
    model = ShdNet(args.variant == "razor").train()
    opt = adam_for(model, 1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = rate_mse(model(x), labels, CLASSES)
        loss.backward()
        opt.step()

    wall, cpu = time_steps(step, args.steps, args.warmup)
    report("shd-train", args, args.batch, wall, cpu)


if __name__ == "__main__":
    main()
