"""Checks the twin against fixtures written by razor-snn (test/pytwin/parity.test.ts):
python -m razor_snn_torch.parity DIR [--configs CONFIG_DIR]. Exits 1 naming every mismatch."""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch

from . import safetensors_io
from .checkpoint import load_checkpoint
from .config import load_config
from .model import rate_loss

GRAD_RTOL = 1e-5
SCORE_ATOL = 1e-6


def rel_err(a, b):
    scale = max(float(np.abs(b).max()), 1e-30) if b.size else 1.0
    return float(np.abs(a - b).max()) / scale if b.size else 0.0


def check_case(ckpt, io_path):
    errors = []
    model, _ = load_checkpoint(ckpt)
    io, meta = safetensors_io.read(io_path)
    x = torch.from_numpy(io["input"])
    labels = torch.from_numpy(io["labels"].astype(np.int64))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    with torch.no_grad():
        out = model(x)
    if not np.array_equal(out.numpy(), io["out"]):
        errors.append(f"output spikes differ at {int((out.numpy() != io['out']).sum())} positions")
    for i, layer in enumerate(model.layers):
        want, got = io.get(f"score.{i}"), layer.last_scores
        if (want is None) != (got is None):
            errors.append(f"layer {i}: scorer present on one side only")
        elif want is not None and np.abs(got.numpy() - want).max() > SCORE_ATOL:
            errors.append(f"layer {i}: scores differ by {np.abs(got.numpy() - want).max():.3g}")
    loss = rate_loss(out, labels, model.config["train"]["loss"]) + model.aux_loss()
    if abs(float(loss) - float(meta["loss"])) > 1e-6:
        errors.append(f"loss {float(loss)} vs {meta['loss']}")
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    for name, b in model.named_buffers():
        if f"after.{name}" in io and rel_err(b.numpy(), io[f"after.{name}"]) > 1e-6:
            errors.append(f"{name} after the training forward: relative error {rel_err(b.numpy(), io['after.' + name]):.3g}")
    # gradients: the same network in float64 (its spikes must still be identical) gives the exact gradient of
    # these spikes; the TypeScript's float32 result must lie within the tolerance of it
    model.load_state_dict(initial)
    model.double()
    out64 = model(x.double())
    if not np.array_equal(out64.detach().numpy(), io["out"]):
        errors.append("output spikes of the float64 twin differ (a potential within rounding of Vth)")
    (rate_loss(out64, labels, model.config["train"]["loss"]) + model.aux_loss()).backward()
    for i, layer in enumerate(model.layers):
        grads = {n: p.grad.numpy() for n, p in layer.named_parameters()}
        floor = max(float(np.abs(g).max()) for g in grads.values())
        for n, g in grads.items():
            want = io[f"grad.layers.{i}.{n}"]
            err = float(np.abs(g - want).max())
            if err > GRAD_RTOL * (float(np.abs(g).max()) + floor):
                errors.append(f"gradient of layers.{i}.{n}: max error {err:.3g} (max |g| {np.abs(g).max():.3g}, "
                              f"layer's {floor:.3g})")
    model.float()
    model.load_state_dict(trained)  # running statistics as after the training forward, as in the TS
    model.eval()
    model.set_thresholds(json.loads(meta["thresholds"]))
    with torch.no_grad():
        eval_out = model(x)
    if not np.array_equal(eval_out.numpy(), io["eval_out"]):
        errors.append("output spikes with thresholds differ")
    for i, layer in enumerate(model.layers):
        want, got = io.get(f"eval_mask.{i}"), layer.last_mask
        if want is not None and (got is None or not np.array_equal(got.numpy(), want)):
            errors.append(f"layer {i}: masks with thresholds differ")
    return errors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dir")
    ap.add_argument("--configs", help="configs/ folder: resolve each config here and compare with the TS")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    failures = []
    if args.configs:
        with open(os.path.join(args.dir, "resolved-configs.json"), encoding="utf-8") as f:
            ts = json.load(f)
        for name, want in ts.items():
            got = load_config(os.path.join(args.configs, f"{name}.json"))
            if got != want:
                failures.append(f"{name}: config resolves differently (defaults in config.py out of date?)")
    cases = sorted(glob.glob(os.path.join(args.dir, "*.ckpt.safetensors")))
    for ckpt in cases:
        case = os.path.basename(ckpt)[: -len(".ckpt.safetensors")]
        for e in check_case(ckpt, os.path.join(args.dir, f"{case}.io.safetensors")):
            failures.append(f"{case}: {e}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{len(cases)} cases agree")


if __name__ == "__main__":
    main()
