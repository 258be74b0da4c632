"""The DVS128 Gesture network (configs/dvs128-gesture.json) in PyTorch, timed: inference or one training step.
Prints one JSON line.

64C3-128C3-AP2-128C3-AP2-256FC-11 on [2, 32, 32] frames, BN after every layer but the last (statistics over B*T),
LIF alpha 0.3, Vth 0.3, soft reset, rectangular surrogate a = 0.5; Razor gate (K 4, w 1, tau 0.1) in layers 2..4
unless --variant snn (conv layers score the per-channel mean of their input spikes). Training: MSE rate loss, Adam
lr 1e-4 (Razor's parameters x10). Inference runs in eval mode under torch.no_grad with every frame kept.
Inputs are random event-count frames of the given density.

    python3 bench/pytorch/gesture.py --mode infer|train --threads 2 [--variant snn|razor] [--batch 16] [--T 60]
"""

from snn import Lif, RazorGate, adam_for, fold, parse_args, random_counts, rate_mse, report, time_steps, unfold

import torch  # noqa: E402  (snn sets the BLAS thread count before torch loads)
from torch import nn  # noqa: E402

CLASSES = 11


class Layer(nn.Module):
    """synapse -> BN -> pool, then the gate (from the layer's input) and the LIF."""

    def __init__(self, synapse, bn, pool, gate_channels, lif):
        super().__init__()
        self.synapse = synapse
        self.bn = bn
        self.pool = pool
        self.gate = RazorGate(gate_channels) if gate_channels else None
        self.lif = lif

    def forward(self, x):
        t = x.shape[0]
        i = self.synapse(fold(x) if isinstance(self.synapse, nn.Conv2d) else fold(x).flatten(1))
        if self.bn is not None:
            i = self.bn(i)
        if self.pool is not None:
            i = self.pool(i)
        i = unfold(i, t)
        if self.gate is not None:
            d = self.gate(x)
            i = i * d.reshape(*d.shape, *([1] * (i.dim() - 2)))
        return self.lif(i)


class GestureNet(nn.Module):
    def __init__(self, razor):
        super().__init__()
        lif = Lif(alpha=0.3, vth=0.3, width=0.5)
        self.layers = nn.Sequential(
            Layer(nn.Conv2d(2, 64, 3, padding=1), nn.BatchNorm2d(64), None, 0, lif),
            Layer(nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.AvgPool2d(2), 64 if razor else 0, lif),
            Layer(nn.Conv2d(128, 128, 3, padding=1), nn.BatchNorm2d(128), nn.AvgPool2d(2), 128 if razor else 0, lif),
            Layer(nn.Linear(128 * 8 * 8, 256), nn.BatchNorm1d(256), None, 128 if razor else 0, lif),
            Layer(nn.Linear(256, CLASSES), None, None, 0, lif),
        )

    def forward(self, x):
        return self.layers(x)


def main():
    args = parse_args(__doc__, batch=16, T=60, density=0.15, steps=3, warmup=1, extra={"mode": "infer"})
    if args.mode not in ("infer", "train"):
        raise SystemExit(f"--mode must be infer or train, got {args.mode!r}")
    gen = torch.Generator().manual_seed(args.seed)
    x = random_counts((args.T, args.batch, 2, 32, 32), args.density, 4, gen)
    labels = torch.randint(0, CLASSES, (args.batch,), generator=gen)
    model = GestureNet(args.variant == "razor")

    if args.mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                model(x).sum(0).argmax(-1)

    else:
        model.train()
        opt = adam_for(model, 1e-4)

        def step():
            opt.zero_grad(set_to_none=True)
            rate_mse(model(x), labels, CLASSES).backward()
            opt.step()

    wall, cpu = time_steps(step, args.steps, args.warmup)
    report(f"gesture-{args.mode}", args, args.batch, wall, cpu)


if __name__ == "__main__":
    main()
