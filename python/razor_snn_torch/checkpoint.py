"""razor-snn checkpoints (src/checkpoint/checkpoint.ts): the model's state_dict under PyTorch names, and
__metadata__ razor_snn.format "1", .model (resolved config), .preprocessing, .thresholds, .training (JSON strings)."""
import json

import numpy as np
import torch

from . import safetensors_io
from .config import resolve_config
from .model import SnnModel

FORMAT = "1"
KEYS = ("razor_snn.model", "razor_snn.preprocessing", "razor_snn.thresholds", "razor_snn.training")
KNOWN = {"razor_snn.format", "razor_snn.train_state", *KEYS}


def read_meta(metadata, source):
    fmt = metadata.get("razor_snn.format")
    if fmt is None:
        raise ValueError(f"{source}: a safetensors file but not a razor-snn checkpoint (no razor_snn.* metadata)")
    if fmt != FORMAT:
        raise ValueError(f"{source}: checkpoint format {fmt}, this version reads {FORMAT}")
    for key in metadata:
        if key.startswith("razor_snn.") and key not in KNOWN:
            raise ValueError(f"{source}: unknown checkpoint metadata {key}")
    meta = {}
    for key in KEYS:
        if key not in metadata:
            raise ValueError(f"{source}: checkpoint metadata lacks {key}")
        try:
            meta[key.split(".", 1)[1]] = json.loads(metadata[key])
        except json.JSONDecodeError:
            raise ValueError(f"{source}: checkpoint metadata {key} is not JSON") from None
    return meta


def load_state(model, tensors, source):
    """Copies the checkpoint's tensors into the model: exactly the model's names, shapes and dtypes."""
    state = model.state_dict()
    extra = sorted(set(tensors) - set(state))
    if extra:
        raise ValueError(f"{source}: tensors {extra} in the checkpoint are not part of the model its metadata describes")
    for name, target in state.items():
        if name not in tensors:
            raise ValueError(f"{source}: tensor '{name}' of the model is missing from the checkpoint")
        src = tensors[name]
        if list(src.shape) != list(target.shape):
            raise ValueError(f"{source}: tensor '{name}' has shape {list(src.shape)} in the checkpoint, "
                             f"the model {list(target.shape)}")
        if src.dtype.kind == "f" and not np.isfinite(src).all():
            raise ValueError(f"{source}: tensor '{name}' holds NaN or infinity (a diverged or corrupt model)")
        target.copy_(torch.from_numpy(src.astype(np.int64 if target.dtype == torch.int64 else np.float32)))


def load_checkpoint(path, map_location="cpu"):
    """Returns (model, meta). The model is built from the checkpoint's own config, thresholds applied."""
    tensors, metadata = safetensors_io.read(path)
    meta = read_meta(metadata, str(path))
    config = resolve_config(meta["model"], source=f"{path}: razor_snn.model")
    model = SnnModel(config)
    load_state(model, tensors, str(path))
    if meta["thresholds"] is not None:
        model.set_thresholds(meta["thresholds"])
    return model.to(map_location), meta


def state_arrays(model):
    out = {}
    for name, t in model.state_dict().items():
        a = t.detach().cpu().numpy()
        out[name] = a.astype(np.int64 if t.dtype == torch.int64 else np.float32)
    return out


def save_checkpoint(path, model, preprocessing, training=None, thresholds=None):
    metadata = {
        "razor_snn.format": FORMAT,
        "razor_snn.model": json.dumps(model.config, separators=(",", ":")),
        "razor_snn.preprocessing": json.dumps(preprocessing, separators=(",", ":")),
        "razor_snn.thresholds": json.dumps(thresholds),
        "razor_snn.training": json.dumps(training or {}, separators=(",", ":")),
    }
    safetensors_io.write(path, state_arrays(model), metadata)
