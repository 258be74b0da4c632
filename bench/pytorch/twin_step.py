"""One training step of razor-snn's PyTorch twin (python/razor_snn_torch) on a bundled config, timed: prints one
JSON line like the other scripts here. The network is built from configs/<config>.json by the twin itself (BN,
TA/Razor, LIF exactly as razor-snn); inputs are random spike-count frames of the given density.

    python3 bench/pytorch/twin_step.py --config shd --threads 2 [--variant snn|razor] [--batch 128] [--T 100]
"""

import os
import sys

from snn import parse_args, random_counts, report, time_steps

import torch  # noqa: E402  (snn sets the BLAS thread count before torch loads)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from razor_snn_torch import SnnModel, load_config  # noqa: E402
from razor_snn_torch.model import rate_loss  # noqa: E402


def main():
    args = parse_args(__doc__, batch=128, T=100, density=0.08, extra={"config": "shd", "max_count": 2})
    config = load_config(os.path.join(ROOT, "configs", f"{args.config}.json"),
                         {"variant": args.variant, "frames": {"T": args.T}})
    gen = torch.Generator().manual_seed(args.seed)
    x = random_counts((args.T, args.batch, *config["input"]), args.density, args.max_count, gen)
    labels = torch.randint(0, config["classes"], (args.batch,), generator=gen)
    model = SnnModel(config).train()
    opt = torch.optim.Adam(model.param_groups(config["train"]["lr"]))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = rate_loss(model(x), labels, config["train"]["loss"]) + model.aux_loss()
        loss.backward()
        opt.step()

    wall, cpu = time_steps(step, args.steps, args.warmup)
    report(f"twin-{args.config}-train", args, args.batch, wall, cpu, config=args.config)


if __name__ == "__main__":
    main()
