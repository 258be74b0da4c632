"""Frames exported by `razor-snn data export-frames` (src/experiments/frame-export.ts), batched time-major
[T, B, ...input] as in src/data/frames-data.ts: a recording longer than T gives its first T frames (a random window
of T consecutive frames in training when preprocessing.trainSlice is "random-consecutive"; `clips` evenly spaced
windows in evaluation), a shorter one is padded with empty frames."""
import json
import os

import numpy as np
import torch

FORMAT = "razor-snn-frames/1"


class FrameSplit:
    def __init__(self, root, split, meta):
        self.name = split
        path = os.path.join(root, f"{split}.frames.npy")
        try:
            self.frames = np.load(path, mmap_mode="r")
            self.offsets = np.load(os.path.join(root, f"{split}.offsets.npy"))
            self.labels = np.load(os.path.join(root, f"{split}.labels.npy"))
        except (OSError, ValueError) as e:
            raise ValueError(f"{root}: cannot read split {split} ({e})") from None
        pre = meta["preprocessing"]
        self.T = pre["T"]
        self.input = list(pre["input"])
        self.random_slice = pre.get("trainSlice") == "random-consecutive"
        self.clips = int(pre.get("clips", 1))
        if list(self.frames.shape[1:]) != self.input:
            raise ValueError(f"{path}: frames of {list(self.frames.shape[1:])}, the preprocessing says {self.input}")
        if len(self.offsets) != len(self.labels) + 1 or self.offsets[-1] != self.frames.shape[0]:
            raise ValueError(f"{root}: {split}.offsets.npy does not match {split}.frames.npy / labels")

    def __len__(self):
        return len(self.labels)

    def window_start(self, i, rng=None, clip=0):
        n = int(self.offsets[i + 1] - self.offsets[i])
        spare = n - self.T
        if spare <= 0:
            return 0
        if rng is not None and self.random_slice:
            return int(rng.integers(spare + 1))
        if self.clips > 1:
            return round(clip * spare / (self.clips - 1))
        return 0

    def batch(self, indices, rng_for=None, clip=0):
        """x [T, B, ...input] float32 and labels [B]; rng_for(i) gives sample i's numpy Generator (training)."""
        x = np.zeros((self.T, len(indices), *self.input), dtype=np.float32)
        for b, i in enumerate(indices):
            start = self.window_start(i, rng_for(i) if rng_for else None, clip)
            lo = int(self.offsets[i]) + start
            hi = min(int(self.offsets[i + 1]), lo + self.T)
            x[: hi - lo, b] = self.frames[lo:hi]
        return torch.from_numpy(x), torch.from_numpy(self.labels[indices].astype(np.int64))


def open_frames(root):
    """Returns (meta, {"train": FrameSplit, "test": FrameSplit})."""
    path = os.path.join(root, "meta.json")
    if not os.path.exists(path):
        raise ValueError(f"{root}: no meta.json (export frames with: razor-snn data export-frames --dataset NAME "
                         f"--out {root})")
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: format {meta.get('format')!r}, this version reads {FORMAT!r}")
    splits = {name: FrameSplit(root, name, meta) for name in meta["splits"]}
    return meta, splits
