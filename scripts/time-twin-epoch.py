"""Times training epochs of the PyTorch twin (`python -m razor_snn_torch.train`, called in this process through
train.main) on synthetic DVS128 Gesture-shaped frames, for docs/pytorch.md "GPU timing". Not used by CI.

    PYTHONPATH=python python3 scripts/time-twin-epoch.py --frames /tmp/gesture-synth --json timing.json \
        [--variants razor,snn,ta] [--batches 16,64] [--amp off,on] [--budget-s 300]

When --frames has no meta.json it is written first, in the layout of `razor-snn data export-frames` (uint16 event
counts [frames, 2, 32, 32], offsets, labels, meta.json with configs/dvs128-gesture.json resolved) but with random
content: 1 176 training and 264 test clips (the official split sizes) of 180-300 frames of 25 ms each (about 6 s,
as the real gestures); every value is nonzero with probability 0.19, then a count ceil(lognormal(0.59, 1.48)).
That matches the 10 real 1.45 s Gesture clips in shared/data framed the same way (25 ms, 128 -> 32): 12-25 %
nonzero, mean 19 %; nonzero counts median 2, 90 % <= 12, 99 % <= 60. No spatial or temporal structure: these
frames are for timing, not accuracy.

Each variant x batch x amp setting: a warm-up run of --warmup-steps steps, then one epoch (--no-eval) whose time is
the one train prints; peak GPU memory over that epoch. Then per variant and batch the test split's evaluation
(train.evaluate: the 10-clip protocol, float32). Results go to --json after every measurement (temp file, rename),
so a run stopped by a time limit keeps what it measured; --budget-s skips what is left once it is spent.
"""
import argparse
import contextlib
import io
import json
import os
import platform
import re
import sys
import time
import warnings

import numpy as np
import torch

from razor_snn_torch import train
from razor_snn_torch.config import load_config
from razor_snn_torch.frames import FORMAT, open_frames

GESTURE_CLASSES = ["hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise",
                   "right_arm_counter_clockwise", "left_arm_clockwise", "left_arm_counter_clockwise", "arm_roll",
                   "air_drums", "air_guitar", "other"]
NONZERO = 0.19
COUNT_LOG_MEAN, COUNT_LOG_SD = 0.59, 1.48
EPOCH_LINE = re.compile(r"loss ([^,\s]+).*?(\d+) steps in [\d.]+ s \(([\d.]+) s/step\)")


def write_atomic(path, write):
    tmp = f"{path}.{os.getpid()}.tmp"
    write(tmp)
    os.replace(tmp, path)


def save_npy(path, arr):
    with open(path, "wb") as f:
        np.save(f, arr)


def write_split(root, name, index, clips, shape, seed, chunk=64):
    rng = np.random.default_rng([seed, index])
    lengths = rng.integers(180, 301, size=clips)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    labels = rng.integers(len(GESTURE_CLASSES), size=clips).astype(np.int64)
    frame_size = int(np.prod(shape))

    def frames(tmp):
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype="<u2", shape=(int(offsets[-1]), *shape))
        flat = out.reshape(-1)
        for lo in range(0, clips, chunk):  # a chunk of clips at a time keeps memory at a few hundred MB
            a, b = int(offsets[lo]) * frame_size, int(offsets[min(lo + chunk, clips)]) * frame_size
            values = np.zeros(b - a, dtype=np.uint16)
            hit = np.flatnonzero(rng.random(b - a, dtype=np.float32) < NONZERO)
            counts = np.ceil(rng.lognormal(COUNT_LOG_MEAN, COUNT_LOG_SD, size=hit.size))
            values[hit] = np.clip(counts, 1, 65535)
            flat[a:b] = values
        out.flush()
        del out

    write_atomic(os.path.join(root, f"{name}.frames.npy"), frames)
    for suffix, arr in (("offsets", offsets), ("labels", labels)):
        write_atomic(os.path.join(root, f"{name}.{suffix}.npy"), lambda tmp, arr=arr: save_npy(tmp, arr))
    return {"samples": clips, "frames": int(offsets[-1]), "ids": [f"synthetic#{i}" for i in range(clips)]}


def write_synthetic_gesture(root, config_path, train_clips, test_clips, seed):
    os.makedirs(root, exist_ok=True)
    config = load_config(config_path)
    f = config["frames"]
    pre = {"dataset": config["dataset"], "sensor": {"width": 128, "height": 128, "polarities": 2},
           "framing": f["mode"], "dtUs": round(f["dtMs"] * 1000), "T": f["T"], "downsample": f["downsample"],
           "input": config["input"], "window": None,
           "trainSlice": "random-consecutive" if f["trainSlice"] == "random-consecutive" else "first",
           "clips": f["testClips"] if isinstance(f["testClips"], int) else 1}
    splits = {"train": write_split(root, "train", 0, train_clips, config["input"], seed)}
    if test_clips:
        splits["test"] = write_split(root, "test", 1, test_clips, config["input"], seed)
    meta = {"format": FORMAT, "dtype": "uint16", "classes": GESTURE_CLASSES, "config": config, "preprocessing": pre,
            "splits": splits, "synthetic": True}
    write_atomic(os.path.join(root, "meta.json"), lambda tmp: write_text(tmp, json.dumps(meta) + "\n"))


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_train(argv):
    """train.main with its output and warnings captured: (exit code, stdout, warning texts)."""
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        rc = train.main(argv)
    return rc, out.getvalue(), sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def time_epoch(a, device, variant, batch, amp):
    base = ["--frames", a.frames, "--out", os.path.join(a.scratch, "epoch.safetensors"), "--model", variant,
            "--batch", str(batch), "--epochs", "1", "--no-eval"] + (["--amp"] if amp else [])
    if a.threads:
        base += ["--threads", str(a.threads)]
    if a.warmup_steps:
        rc, out, _ = run_train(base + ["--max-steps", str(a.warmup_steps)])
        if rc:
            return {"error": f"warm-up exited {rc}: {out.strip()}"}
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0, c0 = time.perf_counter(), time.process_time()
    rc, out, warns = run_train(base + (["--max-steps", str(a.max_steps)] if a.max_steps else []))
    sync(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    m = EPOCH_LINE.search(out)
    if rc or not m:
        return {"error": f"exited {rc}: {out.strip()}"}
    steps, per_step = int(m.group(2)), float(m.group(3))
    row = {"loss": float(m.group(1)), "steps": steps, "s_per_step": per_step, "epoch_s": round(steps * per_step, 3),
           "steps_per_s": round(1 / per_step, 2), "clips_per_s": round(batch / per_step, 1),
           "wall_s_with_setup_and_save": round(wall, 3), "process_cpu_s": round(cpu, 3), "warnings": warns}
    if device.type == "cuda":
        row["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return row


def time_eval(a, device, variant, batch, splits, meta):
    args = train.parse_args(["--frames", a.frames, "--out", "unused", "--model", variant])
    net = train.build_model(args, meta).to(device)
    test = splits["test"]
    x, _ = test.batch(np.arange(min(batch, len(test))))
    with torch.no_grad():  # warm-up forward in evaluation mode
        net.eval()
        net(x.to(device))
        net.train()
    sync(device)
    t0 = time.perf_counter()
    acc = train.evaluate(net, test, device, 0, 1, batch)
    sync(device)
    took = time.perf_counter() - t0
    forwards = -(-len(test) // batch) * test.clips
    return {"eval_s": round(took, 3), "clips": len(test), "clip_windows": test.clips, "forwards": forwards,
            "s_per_forward": round(took / forwards, 4), "accuracy_on_random_labels": acc}


def environment(device):
    env = {"torch": torch.__version__, "python": platform.python_version(), "numpy": np.__version__,
           "cpus": os.cpu_count(), "device": device.type, "threads": torch.get_num_threads(),
           "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    if device.type == "cuda":
        env.update(gpu=torch.cuda.get_device_name(), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                   gpu_memory_mib=round(torch.cuda.get_device_properties(0).total_memory / 2**20))
    else:
        env["cpu"] = platform.processor() or platform.machine()
        if hasattr(os, "getloadavg"):
            env["load_before"] = [round(v, 2) for v in os.getloadavg()]
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", required=True, help="frames folder (synthetic Gesture frames are written if empty)")
    ap.add_argument("--json", required=True, help="results file")
    ap.add_argument("--config", default="configs/dvs128-gesture.json")
    ap.add_argument("--train-clips", type=int, default=1176)
    ap.add_argument("--test-clips", type=int, default=264)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variants", default="razor,snn,ta")
    ap.add_argument("--batches", default="16,64")
    ap.add_argument("--amp", default="off,on", help="off, on or off,on")
    ap.add_argument("--warmup-steps", type=int, default=3)
    ap.add_argument("--max-steps", type=int, help="time only this many steps of the epoch (CPU)")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--budget-s", type=float, default=300)
    a = ap.parse_args(argv)
    a.scratch = os.path.join(a.frames, "scratch")
    os.makedirs(a.scratch, exist_ok=True)
    start = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if a.threads:
        torch.set_num_threads(a.threads)
    result = {"environment": environment(device), "data": {}, "epochs": [], "evals": []}
    save = lambda: write_atomic(a.json, lambda tmp: write_text(tmp, json.dumps(result, indent=1) + "\n"))
    if not os.path.exists(os.path.join(a.frames, "meta.json")):
        t0 = time.perf_counter()
        write_synthetic_gesture(a.frames, a.config, a.train_clips, a.test_clips, a.seed)
        result["data"]["generate_s"] = round(time.perf_counter() - t0, 1)
    meta, splits = open_frames(a.frames)
    tr = splits["train"]
    sample = np.asarray(tr.frames[: min(len(tr.frames), 20000)])  # the first frames, to report the sparsity
    result["data"].update(
        clips={k: len(v) for k, v in splits.items()}, frames={k: len(v.frames) for k, v in splits.items()},
        shape=list(tr.frames.shape[1:]), T=tr.T, nonzero_fraction=round(float((sample > 0).mean()), 4),
        mean_nonzero_count=round(float(sample[sample > 0].mean()), 2), synthetic=meta.get("synthetic", False))
    print(json.dumps(result["data"]), flush=True)
    variants, batches = a.variants.split(","), [int(b) for b in a.batches.split(",")]
    amps = [s == "on" for s in a.amp.split(",")]
    for variant in variants:
        for batch in batches:
            for amp in amps:
                if time.perf_counter() - start > a.budget_s:
                    result["skipped_over_budget"] = result.get("skipped_over_budget", []) + [[variant, batch, amp]]
                    continue
                row = {"variant": variant, "batch": batch, "amp": amp, **time_epoch(a, device, variant, batch, amp)}
                result["epochs"].append(row)
                print(json.dumps(row), flush=True)
                save()
            if not a.no_eval and "test" in splits and time.perf_counter() - start <= a.budget_s:
                row = {"variant": variant, "batch": batch, **time_eval(a, device, variant, batch, splits, meta)}
                result["evals"].append(row)
                print(json.dumps(row), flush=True)
                save()
    result["total_s"] = round(time.perf_counter() - start, 1)
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
