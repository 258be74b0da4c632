"""Model configs: configs/*.json filled with razor-snn's defaults.

The defaults are a copy of COMMON_DEFAULTS in src/models/config.ts; the parity test (test/pytwin) resolves every
bundled config on both sides and fails when they differ, so this copy cannot drift silently.
"""
import copy
import json

COMMON_DEFAULTS = {
    "variant": "razor",
    "lif": {"alpha": 0.3, "vth": 0.3, "surrogate": "rect", "surrogateWidth": 0.5, "reset": "soft", "plif": False},
    "ta": {"r": 5, "layers": "all"},
    "razor": {
        "K": 4,
        "window": 1,
        "tau": 0.1,
        "learnTau": False,
        "gammaInit": 5,
        "etaInit": 1,
        "betaInit": 0,
        "activityEps": 1e-3,
        "lrScale": 10,
        "init": "abs-normal",
        "layers": "hidden",
        "learnedPruning": None,
    },
    "inference": {"thresholds": None, "gapFloor": None},
    "train": {"lr": 1e-3, "batch": 32, "epochs": 100, "loss": "mse", "weightDecay": 0, "plateauPatience": 5,
              "plateauFactor": 0.1, "schedule": "plateau"},
    "seed": 1,
}

REQUIRED = ("name", "dataset", "input", "classes", "frames", "layers")


def _merge(base, over):
    """Objects merge key by key; everything else (arrays included) is replaced (deepMerge in config.ts)."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(base if over is None else over)
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if k in out else copy.deepcopy(v)
    return out


def parse_overrides(items):
    """["razor.K=8", "layers.0.out=32"] -> nested dict (values are JSON when they parse, else strings)."""
    root = {}
    for item in items:
        path, eq, raw = item.partition("=")
        if not eq or not path:
            raise ValueError(f'config override "{item}": expected path=value, e.g. razor.K=8')
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = root
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return root


def apply_overrides(config, overrides):
    """Numeric keys address list entries; lists given whole replace lists (applyOverrides in config.ts)."""
    if isinstance(config, list) and isinstance(overrides, dict) and all(k.isdigit() for k in overrides):
        out = list(config)
        for k, v in overrides.items():
            out[int(k)] = apply_overrides(out[int(k)], v)
        return out
    if isinstance(config, dict) and isinstance(overrides, dict):
        out = dict(config)
        for k, v in overrides.items():
            out[k] = apply_overrides(out.get(k), v)
        return out
    return config if overrides is None else overrides


def resolve_config(raw, overrides=None, source="model config"):
    """Fills the defaults and applies overrides. Full validation is the TypeScript's: a checkpoint this package
    writes is refused by razor-snn when its config is not valid there."""
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: expected a JSON object")
    for key in REQUIRED:
        if key not in raw:
            raise ValueError(f"{source}: {key} is missing")
    merged = apply_overrides(_merge(COMMON_DEFAULTS, raw), overrides or {})
    if merged["variant"] not in ("snn", "ta", "razor"):
        raise ValueError(f'{source}: variant must be one of "snn", "ta", "razor" (got {merged["variant"]!r})')
    if merged["train"]["schedule"] not in ("plateau", "cosine"):
        raise ValueError(f'{source}: train.schedule must be "plateau" or "cosine" '
                         f'(got {merged["train"]["schedule"]!r})')
    if merged["layers"][-1]["out"] != merged["classes"]:
        raise ValueError(f"{source}: the last layer's out must be the number of classes ({merged['classes']})")
    return merged


def load_config(path, overrides=None):
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not JSON ({e})") from None
    return resolve_config(raw, overrides, path)
