"""The networks of razor-snn (src/models/model.ts, src/nn/*) in PyTorch, time-major like the TypeScript:
x is [T, B, *config.input] event-count frames, the output [T, B, classes] spikes. Layer n:

    I = Pool(BN(Conv(Dropout(S^{n-1}))))  or  BN(Linear(Dropout(S^{n-1})))      (BN over T·B, as TA-SNN)
    Ĩ = M^n ⊙ d ⊙ I,  S^n = LIF(Ĩ)

d from TA (on I) or the Razor scorer (on S^{n-1}), M^n from per-layer thresholds (evaluation) or sampled masks
(learned pruning). Parameter names are the TypeScript's, so state_dict() is the checkpoint.
The scorers run in float64 and round d to float32, as the TypeScript does, so d (and the spikes) agree bit for bit.
"""
import math

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


class SpikeFn(torch.autograd.Function):
    """S = 1[U >= Vth] forward; the surrogate's dS/dU backward (reference-spike.ts surrogateGrad)."""

    @staticmethod
    def forward(ctx, u, vth, kind, width):
        ctx.save_for_backward(u)
        ctx.vth, ctx.kind, ctx.width = vth, kind, width
        return (u >= vth).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        x, a = u - ctx.vth, ctx.width
        if ctx.kind == "rect":
            sg = (x.abs() < a / 2).to(u.dtype) / a
        elif ctx.kind == "sigmoid":
            s = torch.sigmoid(4 / a * x)
            sg = 4 / a * s * (1 - s)
        else:
            sg = 1 / a / (1 + (math.pi * x / a) ** 2)
        return g * sg, None, None, None


class Lif(nn.Module):
    """U[t] = H[t-1] + I[t]; S = 1[U >= Vth]; H = α(Vth·S + U(1-S)) (soft) or αU(1-S) (hard); gradients flow
    through the reset. PLIF learns w with α = sigmoid(w) (name "w")."""

    def __init__(self, lif):
        super().__init__()
        self.vth, self.kind, self.width, self.reset = lif["vth"], lif["surrogate"], lif["surrogateWidth"], lif["reset"]
        self.alpha0 = lif["alpha"]
        if lif["plif"]:
            self.w = nn.Parameter(torch.tensor([math.log(self.alpha0 / (1 - self.alpha0))]))
        else:
            self.w = None

    def forward(self, cur):
        alpha = torch.sigmoid(self.w.double()).to(cur.dtype)[0] if self.w is not None else self.alpha0
        h = torch.zeros_like(cur[0])
        out = []
        for c in cur.unbind(0):  # one view per frame: cur[t] in the loop costs a full-size gradient per frame
            u = h + c
            s = SpikeFn.apply(u, self.vth, self.kind, self.width)
            h = alpha * (self.vth * s + u * (1 - s)) if self.reset == "soft" else alpha * (u * (1 - s))
            out.append(s)
        return torch.stack(out)


class TemporalAttention(nn.Module):
    """TA-SNN: d[b,·] = sigmoid(fc2(relu(fc1(mean of I[·,b] over features)))), fc1: T -> max(1, T // r)."""

    source = "current"

    def __init__(self, T, r):
        super().__init__()
        hidden = max(1, T // r)
        self.fc1 = nn.Linear(T, hidden)
        self.fc2 = nn.Linear(hidden, T)

    def forward(self, cur):
        T, B = cur.shape[:2]
        s = cur.reshape(T, B, -1).double().mean(-1).to(cur.dtype).t()  # [B, T]
        h = F.relu(F.linear(s.double(), self.fc1.weight.double(), self.fc1.bias.double())).to(cur.dtype)
        z = F.linear(h.double(), self.fc2.weight.double(), self.fc2.bias.double())
        return torch.sigmoid(z).to(cur.dtype).t()  # [T, B]


class RazorScorer(nn.Module):
    """The Razor module (src/nn/razor.ts, method.md): windowed channel rates f of the input spikes,
    f̂ = f/‖f‖ (0 with zero gradient at f = 0), α = softmax(⟨f̂, Ê_k⟩/τ), s = Σ α_k ⟨f̂, Ê_k⟩,
    d = sigmoid(γs + η log(ε + Σf/C) + β). Parameters embeddings [K, C], gamma, eta, beta (, log_tau)."""

    source = "input"

    def __init__(self, channels, razor):
        super().__init__()
        self.K, self.window, self.eps = razor["K"], razor["window"], razor["activityEps"]
        self.tau0 = razor["tau"]
        self.embeddings = nn.Parameter(torch.randn(razor["K"], channels).abs())
        self.gamma = nn.Parameter(torch.tensor([float(razor["gammaInit"])]))
        self.eta = nn.Parameter(torch.tensor([float(razor["etaInit"])]))
        self.beta = nn.Parameter(torch.tensor([float(razor["betaInit"])]))
        self.log_tau = nn.Parameter(torch.tensor([math.log(self.tau0)])) if razor["learnTau"] else None
        self.lr_scale = razor["lrScale"]

    def forward(self, x):
        T, B, C = x.shape[:3]
        # firing rate per channel: spike counts sum exactly in the input's dtype, so only [T, B, C] goes to float64
        g = x.reshape(T, B, C, -1).sum(-1).double() / (x[0, 0, 0].numel())
        if self.window > 1:
            padded = torch.cat([g.new_zeros(self.window - 1, B, C), g])
            f = sum(padded[j:j + T] for j in range(self.window)) / self.window
        else:
            f = g
        norm = f.norm(dim=-1, keepdim=True)
        fhat = torch.where(norm > 0, f / norm.clamp_min(1e-300), torch.zeros_like(f))
        e = self.embeddings.double()
        en = e.norm(dim=-1, keepdim=True)
        ehat = torch.where(en > 0, e / en.clamp_min(1e-300), torch.zeros_like(e))
        p = fhat @ ehat.t()  # [T, B, K]
        tau = self.log_tau.double().exp() if self.log_tau is not None else self.tau0
        a = torch.softmax(p / tau, dim=-1)
        s = (a * p).sum(-1)
        act = f.sum(-1) / C  # input spikes are >= 0, so ‖f‖₁ = Σf (gradient 1/C also at 0)
        z = self.gamma.double() * s + self.eta.double() * torch.log(self.eps + act) + self.beta.double()
        return torch.sigmoid(z).to(x.dtype)  # [T, B]


class SpikingLayer(nn.Module):
    def __init__(self, index, spec, in_shape, config, gate):
        super().__init__()
        self.index = index
        k = spec.get("kernel", 3)
        bias = spec.get("bias", True)
        if spec["type"] == "conv":
            self.conv = nn.Conv2d(in_shape[0], spec["out"], k, stride=spec.get("stride", 1),
                                  padding=spec.get("padding", k // 2), bias=bias)
            side = lambda n: (n + 2 * self.conv.padding[0] - k) // self.conv.stride[0] + 1  # noqa: E731
            shape = [spec["out"], side(in_shape[1]), side(in_shape[2])]
            self.bn = nn.BatchNorm2d(spec["out"]) if spec["bn"] else None
        else:
            self.fc = nn.Linear(math.prod(in_shape), spec["out"], bias=bias)
            shape = [spec["out"]]
            self.bn = nn.BatchNorm1d(spec["out"]) if spec["bn"] else None
        pool = spec.get("pool")
        self.pool = pool
        if pool:
            shape = [shape[0], shape[1] // pool["kernel"], shape[2] // pool["kernel"]]
        self.out_shape = shape
        self.dropout = spec.get("dropout", 0) or 0
        self.ta = TemporalAttention(config["frames"]["T"], config["ta"]["r"]) if gate == "ta" else None
        self.razor = RazorScorer(in_shape[0], config["razor"]) if gate == "razor" else None
        self.learned = config["razor"]["learnedPruning"] if gate == "razor" else None
        self.lif = Lif(config["lif"])
        self.threshold = None
        self.aux_loss = None
        self.last_scores = None
        self.last_mask = None

    def synapse(self, x):
        T, B = x.shape[:2]
        flat = x.reshape(T * B, *x.shape[2:])
        y = self.conv(flat) if hasattr(self, "conv") else self.fc(flat.reshape(T * B, -1))
        if self.bn is not None:
            y = batch_norm(y, self.bn)
        if self.pool:
            kp = self.pool["kernel"]
            y = F.avg_pool2d(y, kp) if self.pool["type"] == "avg" else F.max_pool2d(y, kp)
        return y.reshape(T, B, *y.shape[1:])

    def forward(self, x, upstream):
        """x [T, B, ...], upstream M^{n-1} [T, B] (None = all kept). Returns (S^n, M^n)."""
        T, B = x.shape[:2]
        d = self.razor(x) if self.razor is not None else None
        h = x
        if self.training and self.dropout > 0:  # one mask per sequence, shared by all frames
            keep = (torch.rand(x.shape[1:], device=x.device) >= self.dropout).to(x.dtype) / (1 - self.dropout)
            h = x * keep
        cur = self.synapse(h)
        if self.ta is not None:
            d = self.ta(cur)
        own = None
        binary = self.learned is not None and d is not None
        if self.index > 0 and d is not None:
            if self.threshold is not None:
                own = (d >= self.threshold).to(d.dtype)
            elif binary:
                own = (torch.rand_like(d) < d).to(d.dtype) if self.training else \
                    (d >= self.learned.get("evalThreshold", 0.5)).to(d.dtype)
        mask = upstream if own is None else (own if upstream is None else upstream * own)
        self.aux_loss = None
        if binary:
            # forward uses the binary mask; gradients pass straight through to d (outside dropped frames)
            up = upstream if upstream is not None else 1
            w = (mask if mask is not None else torch.ones_like(d)) + up * (d - d.detach())
            self.aux_loss = self.learned["lambda"] * (d.mean() - self.learned["rho"]) ** 2
        elif d is not None:
            w = d if mask is None else mask * d
        else:
            w = mask
        self.last_scores, self.last_mask = d, mask
        if w is not None:
            cur = cur * w.reshape(T, B, *([1] * (cur.dim() - 2)))
        return self.lif(cur), mask


def batch_norm(y, bn):
    """BN over T·B frames; in a multi-process training run over the frames of all processes (the global batch),
    so N processes train the network a single one would with their batches together."""
    if not (bn.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return bn(y)
    from torch.distributed.nn.functional import all_reduce  # differentiable: gradients reach every rank's frames

    C = y.shape[1]
    dims = [0, *range(2, y.dim())]
    count = y.new_tensor([y.numel() / C])
    stats = all_reduce(torch.cat([y.sum(dims), (y * y).sum(dims), count]))
    n = stats[2 * C]
    mean = stats[:C] / n
    var = stats[C:2 * C] / n - mean * mean
    with torch.no_grad():
        m = bn.momentum
        bn.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
        bn.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1)), alpha=m)
        bn.num_batches_tracked.add_(1)
    shape = [1, C] + [1] * (y.dim() - 2)
    y = (y - mean.view(shape)) * torch.rsqrt(var.view(shape) + bn.eps)
    return y * bn.weight.view(shape) + bn.bias.view(shape)


def gate_of(config, i, n):
    last = i == n - 1
    if config["variant"] == "ta":
        return "ta" if config["ta"]["layers"] == "all" or (i > 0 and not last) else "none"
    if config["variant"] == "razor":
        if i == 0:
            return "none"
        return "none" if last and config["razor"]["layers"] == "hidden" else "razor"
    return "none"


class SnnModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        n = len(config["layers"])
        shape = list(config["input"])
        layers = []
        for i, spec in enumerate(config["layers"]):
            layer = SpikingLayer(i, spec, shape, config, gate_of(config, i, n))
            shape = layer.out_shape
            layers.append(layer)
        self.layers = nn.ModuleList(layers)
        if config["inference"]["thresholds"]:
            self.set_thresholds(config["inference"]["thresholds"])

    def forward(self, x):
        """x [T, B, *input] -> output spikes [T, B, classes]."""
        expect = list(self.config["input"])
        if list(x.shape[2:]) != expect:
            raise ValueError(f"{self.config['name']}: expected input [T, B, {', '.join(map(str, expect))}], "
                             f"got {list(x.shape)}")
        mask = None
        for layer in self.layers:
            x, mask = layer(x, mask)
        return x

    def aux_loss(self):
        """Learned pruning's keep-rate targets of the last forward (0 without)."""
        terms = [l.aux_loss for l in self.layers if l.aux_loss is not None]
        return sum(terms) if terms else 0.0

    def set_thresholds(self, thresholds):
        if thresholds is not None and len(thresholds) != len(self.layers):
            raise ValueError(f"thresholds: expected {len(self.layers)} entries (one per layer), got {len(thresholds)}")
        for i, layer in enumerate(self.layers):
            layer.threshold = None if i == 0 or thresholds is None else thresholds[i]

    def param_groups(self, lr):
        """Adam groups: the Razor module's parameters at lr × lrScale (razor.ts), the rest at lr."""
        scaled = {id(p) for l in self.layers if l.razor is not None for p in l.razor.parameters()}
        base = [p for p in self.parameters() if id(p) not in scaled]
        groups = [{"params": base, "lr": lr}]
        fast = [p for p in self.parameters() if id(p) in scaled]
        if fast:
            groups.append({"params": fast, "lr": lr * self.config["razor"]["lrScale"], "lr_scale": True})
        return groups


def rate_loss(out, labels, kind):
    """src/train/loss.ts: "mse" between the mean output rate and the one-hot label; "ce" on spike counts."""
    if kind == "mse":
        onehot = F.one_hot(labels, out.shape[-1]).to(out.dtype)
        return F.mse_loss(out.mean(0), onehot)
    return F.cross_entropy(out.sum(0), labels)
