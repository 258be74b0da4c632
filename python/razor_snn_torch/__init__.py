"""PyTorch twin of razor-snn's networks (see python/README.md).

The configs and the checkpoint format are defined by the TypeScript (src/models/config.ts,
src/checkpoint/checkpoint.ts); this package follows them, and CI checks that it does.
"""
from .config import resolve_config, load_config
from .model import SnnModel
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["resolve_config", "load_config", "SnnModel", "load_checkpoint", "save_checkpoint"]
