"""safetensors read/write with numpy only (the layout src/checkpoint/safetensors.ts writes: names sorted, header
padded with spaces to 8 bytes, tensors back to back). Files are written to a temp file, then renamed."""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "U8": np.dtype("u1")}
NAMES = {v: k for k, v in DTYPES.items()}


def encode(tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.require(tensors[name], requirements="C")  # keeps 0-d scalars 0-d (ascontiguousarray would not)
        dt = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
        if dt not in NAMES:
            raise ValueError(f"tensor {name}: dtype {a.dtype} is not one of F32, I64, I32, U8")
        raw = a.astype(dt, copy=False).tobytes()
        header[name] = {"dtype": NAMES[dt], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)


def decode(data, source="safetensors"):
    """Returns (tensors: {name: np.ndarray}, metadata: {str: str}); errors name the file and what is wrong."""
    def bad(what):
        return ValueError(f"{source}: not a valid safetensors file: {what}")
    if len(data) < 8:
        raise bad("shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise bad(f"header length {n} exceeds the file ({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"header is not JSON ({e})") from None
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, spec in header.items():
        dt = DTYPES.get(spec.get("dtype"))
        if dt is None:
            raise bad(f"tensor {name}: dtype {spec.get('dtype')!r} is not one of {', '.join(DTYPES)}")
        begin, end = spec["data_offsets"]
        count = int(np.prod(spec["shape"], dtype=np.int64))
        if not (0 <= begin <= end <= len(body)) or end - begin != count * dt.itemsize:
            raise bad(f"tensor {name}: data_offsets {[begin, end]} do not fit shape {spec['shape']}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(spec["shape"]).copy()
    return tensors, metadata


def read(path):
    with open(path, "rb") as f:
        return decode(f.read(), str(path))


def write_atomic(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write(path, tensors, metadata=None):
    write_atomic(path, encode(tensors, metadata))
