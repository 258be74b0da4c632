#!/usr/bin/env python3
"""Writes test/fixtures/ta-snn-shd-golden.safetensors, once: a small network built the way TA-SNN's reference SHD
network (BICLab/TA-SNN, SHD/MLP/Networks/TA_SNN_3.py) is built — batch-major [B, T, F], every FC layer followed by
BatchNorm1d over B·T, temporal attention on every layer (mean over features, Linear(T, T//r), ReLU, Linear, sigmoid),
then the LIF with h = α(Vth·S + U(1−S)), S = 1[U − Vth ≥ 0] and the rectangular surrogate 1[|U − Vth| < a/2]/a —
written here independently from that description, with random weights, one training-mode forward and the rate MSE
loss's backward. test/models/ta-snn-golden.test.ts checks razor-snn's TA variant against it (identical spikes,
gradients within 1e-5 relative). Sizes are scaled down (40 inputs, 16-16-20, T 10, B 4; dropout off, since the
reference draws a mask per time step and razor-snn one per sequence) to keep the file small.

Run: /usr/bin/python3 scripts/ta-snn-golden.py   (needs torch and numpy; the twin's safetensors writer)
"""
import os
import sys

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from razor_snn_torch import safetensors_io  # noqa: E402

T, B, F_IN, HIDDEN, CLASSES, R = 10, 4, 40, 16, 20, 5
ALPHA, VTH, A = 0.3, 0.3, 0.25


class Step(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # x = U - Vth
        ctx.save_for_backward(x)
        return (x >= 0).float()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() < A / 2).float() / A


class RefLayer(nn.Module):
    """Linear on B·T frames -> BN1d -> temporal attention -> LIF, batch-major."""

    def __init__(self, fin, fout):
        super().__init__()
        self.linear = nn.Linear(fin, fout)
        self.bn = nn.BatchNorm1d(fout)
        self.fc1 = nn.Linear(T, T // R)
        self.fc2 = nn.Linear(T // R, T)

    def forward(self, x):
        b, t, _ = x.shape
        cur = self.bn(self.linear(x.reshape(b * t, -1))).reshape(b, t, -1)
        d = torch.sigmoid(self.fc2(torch.relu(self.fc1(cur.mean(-1)))))
        cur = cur * d.unsqueeze(-1)
        h = torch.zeros(b, cur.shape[-1])
        out = []
        for step in range(t):
            u = h + cur[:, step]
            s = Step.apply(u - VTH)
            h = (s * VTH + (1 - s) * u) * ALPHA
            out.append(s)
        return torch.stack(out, 1)


def main():
    torch.manual_seed(7)
    layers = [RefLayer(F_IN, HIDDEN), RefLayer(HIDDEN, HIDDEN), RefLayer(HIDDEN, CLASSES)]
    with torch.no_grad():  # a livelier start than the default init, so every layer spikes
        for l in layers:
            l.linear.weight.mul_(2.0)
            l.bn.weight.uniform_(0.5, 1.5)
            l.bn.bias.uniform_(-0.2, 0.4)
    x = (torch.rand(B, T, F_IN) < 0.2).float() * torch.randint(1, 3, (B, T, F_IN)).float()
    labels = torch.randint(0, CLASSES, (B,))
    tensors = {}
    for i, l in enumerate(layers):
        p = f"layers.{i}"
        tensors.update({
            f"{p}.fc.weight": l.linear.weight, f"{p}.fc.bias": l.linear.bias,
            f"{p}.bn.weight": l.bn.weight, f"{p}.bn.bias": l.bn.bias,
            f"{p}.bn.running_mean": l.bn.running_mean, f"{p}.bn.running_var": l.bn.running_var,
            f"{p}.ta.fc1.weight": l.fc1.weight, f"{p}.ta.fc1.bias": l.fc1.bias,
            f"{p}.ta.fc2.weight": l.fc2.weight, f"{p}.ta.fc2.bias": l.fc2.bias,
        })
    out = {f"init.{k}": v.detach().numpy().copy() for k, v in tensors.items()}
    h = x
    for l in layers:
        h = l(h)
    rate = h.mean(1)
    loss = nn.functional.mse_loss(rate, nn.functional.one_hot(labels, CLASSES).float())
    loss.backward()
    for k, v in tensors.items():
        if v.grad is not None:
            out[f"grad.{k}"] = v.grad.numpy().copy()
    out["input"] = x.transpose(0, 1).contiguous().numpy()  # stored time-major [T, B, F], as razor-snn takes it
    out["labels"] = labels.numpy().astype(np.int32)
    out["out"] = h.detach().transpose(0, 1).contiguous().numpy()
    meta = {"T": str(T), "B": str(B), "input": str(F_IN), "hidden": str(HIDDEN), "classes": str(CLASSES),
            "r": str(R), "alpha": str(ALPHA), "vth": str(VTH), "a": str(A), "loss": repr(loss.item()),
            "generator": "scripts/ta-snn-golden.py", "torch": torch.__version__}
    path = os.path.join(ROOT, "test", "fixtures", "ta-snn-shd-golden.safetensors")
    safetensors_io.write(path, out, meta)
    print(f"wrote {path}: loss {loss.item():.6f}, {int(h.sum())} output spikes")


if __name__ == "__main__":
    main()
