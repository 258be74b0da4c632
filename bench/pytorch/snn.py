"""Plain PyTorch building blocks for the comparison benchmark: LIF, the Razor gate, random inputs and a timer.

Written to be the "straightforward PyTorch CPU implementation" the project compares itself with: T is folded
into the batch for the synapses and BN (as razor-snn does), and the LIF runs as a Python loop over time with a
custom autograd function for the spike (rectangular surrogate), as the TA-SNN reference code does.
The method these follow is ../../../shared/docs/method.md (LIF, Razor module); the names of the hyper-parameters
match configs/*.json.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time


def _blas_threads_from_argv():
    """Debian's PyTorch calls a separate OpenBLAS (pthread build) that ignores torch.set_num_threads and starts one
    thread per core: give it --threads via OPENBLAS_NUM_THREADS, which it reads when it loads (before torch)."""
    argv = sys.argv[1:]
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


os.environ.setdefault("OPENBLAS_NUM_THREADS", _blas_threads_from_argv())

import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS is set)
from torch import nn  # noqa: E402


class SpikeRect(torch.autograd.Function):
    """S = Heaviside(U - Vth); dS/dU = 1[|U - Vth| < a/2] / a."""

    @staticmethod
    def forward(ctx, u, vth, width):
        ctx.save_for_backward(u)
        ctx.vth = vth
        ctx.width = width
        return (u >= vth).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        window = ((u - ctx.vth).abs() < ctx.width / 2).to(g.dtype) / ctx.width
        return g * window, None, None


class Lif(nn.Module):
    """LIF over a time-major [T, B, ...] current, soft reset of the reference code:
    U[t] = H[t-1] + I[t];  S[t] = Heaviside(U[t] - Vth);  H[t] = alpha (Vth S[t] + U[t] (1 - S[t])).
    Gradients flow through the reset."""

    def __init__(self, alpha, vth, width):
        super().__init__()
        self.alpha = alpha
        self.vth = vth
        self.width = width

    def forward(self, current):
        h = torch.zeros_like(current[0])
        out = []
        for t in range(current.shape[0]):
            u = h + current[t]
            s = SpikeRect.apply(u, self.vth, self.width)
            h = self.alpha * (self.vth * s + u * (1 - s))
            out.append(s)
        return torch.stack(out)


class RazorGate(nn.Module):
    """The Razor module of method.md with window w = 1: d[b,t] from the layer's input spikes.

    f = GAP(S^{n-1}) per channel; f_hat = f / |f| (0 for an empty frame, with zero gradient); alpha =
    softmax_k(<f_hat, E_hat_k> / tau); s = sum_k alpha_k <f_hat, E_hat_k>;
    d = sigmoid(gamma s + eta log(eps + |f|_1 / C) + beta). E initialised |N(0,1)|; gamma 5, eta 1, beta 0."""

    def __init__(self, channels, k=4, tau=0.1, eps=1e-3):
        super().__init__()
        self.embeddings = nn.Parameter(torch.randn(k, channels).abs())
        self.gamma = nn.Parameter(torch.tensor(5.0))
        self.eta = nn.Parameter(torch.tensor(1.0))
        self.beta = nn.Parameter(torch.tensor(0.0))
        self.tau = tau
        self.eps = eps

    def forward(self, x):
        """x: [T, B, C, ...] input spikes -> d [T, B]."""
        f = x.flatten(3).mean(3) if x.dim() > 3 else x
        norm = f.norm(dim=-1, keepdim=True)
        nonzero = norm > 0
        f_hat = torch.where(nonzero, f / torch.where(nonzero, norm, torch.ones_like(norm)), torch.zeros_like(f))
        e_hat = self.embeddings / self.embeddings.norm(dim=-1, keepdim=True)
        p = f_hat @ e_hat.t()
        s = (torch.softmax(p / self.tau, dim=-1) * p).sum(-1)
        activity = f.abs().mean(-1)
        return torch.sigmoid(self.gamma * s + self.eta * torch.log(self.eps + activity) + self.beta)


def fold(x):
    """[T, B, ...] -> [T*B, ...]: synapses and BN see every frame as a sample (BN statistics over B*T)."""
    return x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])


def unfold(x, t):
    return x.reshape(t, x.shape[0] // t, *x.shape[1:])


def sequence_dropout(x, p, training):
    """Dropout with one mask per sequence: the same neurons are dropped at every time step."""
    if not training or p == 0:
        return x
    keep = (torch.rand(x.shape[1:], device=x.device) >= p).to(x.dtype) / (1 - p)
    return x * keep


def razor_params(model):
    """Razor's own parameters train at 10x the network's learning rate (method.md)."""
    return [p for n, p in model.named_parameters() if "gate" in n.split(".")]


def adam_for(model, lr):
    razor = razor_params(model)
    ids = {id(p) for p in razor}
    rest = [p for p in model.parameters() if id(p) not in ids]
    groups = [{"params": rest, "lr": lr}]
    if razor:
        groups.append({"params": razor, "lr": lr * 10})
    return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def random_counts(shape, density, max_count, generator):
    """Event-count frames: each cell is non-zero with probability `density`, then 1..max_count events."""
    on = torch.rand(shape, generator=generator) < density
    counts = torch.randint(1, max_count + 1, shape, generator=generator).to(torch.float32)
    return counts * on


def rate_mse(out, labels, classes):
    """Rate-coding loss: MSE between the time-averaged output spikes and the one-hot label."""
    rate = out.mean(0)
    return nn.functional.mse_loss(rate, nn.functional.one_hot(labels, classes).to(rate.dtype))


def parse_args(description, **defaults):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--variant", choices=["snn", "razor"], default=defaults.get("variant", "razor"))
    ap.add_argument("--batch", type=int, default=defaults["batch"])
    ap.add_argument("--T", type=int, default=defaults["T"])
    ap.add_argument("--steps", type=int, default=defaults.get("steps", 5), help="timed steps")
    ap.add_argument("--warmup", type=int, default=defaults.get("warmup", 2), help="untimed steps first")
    ap.add_argument("--density", type=float, default=defaults["density"], help="share of non-zero input cells")
    ap.add_argument("--seed", type=int, default=1)
    for name, value in defaults.get("extra", {}).items():
        ap.add_argument(f"--{name}", default=value, type=type(value))
    args = ap.parse_args()
    if args.threads < 1 or args.batch < 1 or args.T < 1 or args.steps < 1 or args.warmup < 0:
        ap.error("--threads, --batch, --T and --steps must be >= 1, --warmup >= 0")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return args


def time_steps(step, steps, warmup):
    """Runs `step` warmup + steps times; per timed step: wall and process CPU seconds (all threads)."""
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def report(name, args, samples_per_step, wall, cpu, **extra):
    """Prints one JSON object on stdout."""
    wall_ms = statistics.median(wall) * 1000
    cpu_ms = statistics.median(cpu) * 1000
    print(
        json.dumps(
            {
                "benchmark": name,
                "variant": args.variant,
                "batch": args.batch,
                "T": args.T,
                "threads": torch.get_num_threads(),
                "blas_threads": int(os.environ["OPENBLAS_NUM_THREADS"]),
                "steps": len(wall),
                "warmup": args.warmup,
                "input_density": args.density,
                "ms_per_step": wall_ms,
                "ms_per_step_min": min(wall) * 1000,
                "cpu_ms_per_step": cpu_ms,
                "cpu_ms_per_step_min": min(cpu) * 1000,
                "samples_per_s": samples_per_step / (wall_ms / 1000),
                "samples_per_cpu_s": samples_per_step / (cpu_ms / 1000),
                "wall_ms_all": [w * 1000 for w in wall],
                "cpu_ms_all": [c * 1000 for c in cpu],
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "torch": torch.__version__,
                "python": platform.python_version(),
                **extra,
            }
        )
    )
    sys.stdout.flush()
