"""Tiny safetensors writer/reader for the golden scripts (numpy only).

Every golden script in this folder writes its fixtures with write() so that
the C tests read them with the engine's own safetensors reader. Run the
scripts with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14).
"""
import json
import os
import struct

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("int64"): "I64"}


def write(path, tensors, metadata=None):
    """tensors: dict name -> array-like (float32 unless int32/int64)."""
    header = {}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        a = np.asarray(value)
        if a.dtype not in _DTYPES:
            a = a.astype(np.float32)
        a = np.ascontiguousarray(a)
        b = a.tobytes()
        header[name] = {"dtype": _DTYPES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    inv = {v: k for k, v in _DTYPES.items()}
    out = {}
    for name, info in header.items():
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + s:8 + n + e], dtype=inv[info["dtype"]]).reshape(info["shape"])
    return out, meta


def fixtures_dir():
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    os.makedirs(d, exist_ok=True)
    return d
