"""Fixtures for tests/test_weights.c (the weight-file readers).

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tests/golden/gen_pth.py

Writes into tests/fixtures/:
  weights_small.safetensors   F32 tensors + an I64 num_batches_tracked + __metadata__ (st.py)
  weights_dtypes.safetensors  F16, BF16, F64 and F32 tensors, written here by hand
                              (the format is simple; st.py only writes F32/I32/I64)
  resnet18_formula.pth        torch.save of a torchvision resnet18 state_dict whose every
                              parameter and buffer follows formula() below, so that git
                              compresses it well and the C test can recompute every value
  pth_small.pth               torch.save of a small OrderedDict: float, half, double,
                              bfloat16, int64, a scalar, a storage offset view and a
                              Parameter
  pth_small_legacy.pth        the same, saved with _use_new_zipfile_serialization=False
  pth_small_p4.pth            the same, saved with pickle_protocol=4
                              (legacy storage keys are memory addresses, so that file's bytes
                              differ from run to run; its content does not)
  pth_noncontig.pth           torch.save of a dict holding a transposed (non-contiguous)
                              tensor, which the reader must reject clearly
"""
import collections
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402


def formula(k, n):
    """Values of the k-th state-dict entry (n elements): ((i*7 + k) % 17 - 8) / 64.
    Exactly representable in float32 (and in float16)."""
    i = np.arange(n, dtype=np.int64)
    return (((i * 7 + k) % 17) - 8).astype(np.float32) / np.float32(64.0)


def small_safetensors(d):
    tensors = collections.OrderedDict()
    tensors["conv.weight"] = formula(0, 4 * 3 * 3 * 3).reshape(4, 3, 3, 3)
    tensors["bn.weight"] = formula(1, 4)
    tensors["bn.num_batches_tracked"] = np.array(7, dtype=np.int64)
    tensors["bn.running_var"] = formula(2, 4)
    tensors["fc.weight"] = formula(3, 10 * 4).reshape(10, 4)
    tensors["scalar"] = np.array(2.5, dtype=np.float32)
    tensors["empty"] = np.zeros((0, 3), dtype=np.float32)
    meta = collections.OrderedDict([("format", "pt"), ("arch", "tiny"), ("zeta", "last"),
                                    ("alpha", "\u00e9t\u00e9 \"quoted\"\n")])
    st.write(os.path.join(d, "weights_small.safetensors"), tensors, meta)


def dtypes_safetensors(d):
    """One tensor per float dtype, each holding formula(k) (exact in every dtype)."""
    items = [("a.f16", "F16", formula(0, 6).astype(np.float16).reshape(2, 3)),
             ("b.bf16", "BF16", None),
             ("c.f64", "F64", formula(2, 5).astype(np.float64)),
             ("d.f32", "F32", formula(3, 3))]
    # bfloat16: the upper 16 bits of the float32 (formula values are exact).
    f = formula(1, 4)
    items[1] = ("b.bf16", "BF16", (f.view(np.uint32) >> 16).astype(np.uint16))
    header = {}
    blobs = []
    off = 0
    for name, dt, a in items:
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(d, "weights_dtypes.safetensors"), "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    d = st.fixtures_dir()
    small_safetensors(d)
    dtypes_safetensors(d)
    if "--st-only" in sys.argv:
        return
    torch_fixtures(d)


def torch_fixtures(d):
    import torch
    import torchvision

    torch.manual_seed(0)
    # resnet18 with every state-dict entry k set to formula(k); integer buffers
    # (num_batches_tracked) set to k. Written with torch.save as torchvision does.
    m = torchvision.models.resnet18(num_classes=1000)
    sd = m.state_dict()
    manifest = []
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            if t.is_floating_point():
                t.copy_(torch.from_numpy(formula(k, t.numel())).reshape(t.shape))
            else:
                t.fill_(k)
            manifest.append("%s %s %s" % (name, str(t.dtype).replace("torch.", ""),
                                          ",".join(str(x) for x in t.shape)))
    torch.save(m.state_dict(), os.path.join(d, "resnet18_formula.pth"))
    with open(os.path.join(d, "resnet18_formula.manifest"), "w") as f:
        f.write("# name dtype shape (state-dict order); written by tests/golden/gen_pth.py\n")
        f.write("\n".join(manifest) + "\n")

    # A small OrderedDict covering the dtypes and layouts the reader handles.
    base = torch.from_numpy(formula(4, 20))
    small = collections.OrderedDict()
    small["f32"] = torch.from_numpy(formula(0, 12)).reshape(3, 4)
    small["f16"] = torch.from_numpy(formula(1, 6)).half().reshape(2, 3)
    small["f64"] = torch.from_numpy(formula(2, 5)).double()
    small["bf16"] = torch.from_numpy(formula(3, 4)).bfloat16()
    small["i64"] = torch.tensor(5)
    small["scalar"] = torch.tensor(1.5)
    small["view"] = base[5:15]                       # storage offset 5
    small["shared_a"] = base[0:10].view(2, 5)        # same storage as "view"
    small["shared_b"] = base[10:20]
    small["param"] = torch.nn.Parameter(torch.from_numpy(formula(5, 3)))
    small["unit_t"] = torch.from_numpy(formula(6, 3)).reshape(3, 1).t()  # size (1,3) stride (1,1)
    small["empty"] = torch.zeros(0, 3)
    small._metadata = collections.OrderedDict([("", {"version": 1}), ("f32", {"version": 2})])
    torch.save(small, os.path.join(d, "pth_small.pth"))
    # The same in the legacy (pre-1.6) format, which older published files use.
    torch.save(small, os.path.join(d, "pth_small_legacy.pth"), _use_new_zipfile_serialization=False)
    # And with pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL).
    torch.save(small, os.path.join(d, "pth_small_p4.pth"), pickle_protocol=4)

    nc = {"t": torch.from_numpy(formula(0, 6)).reshape(2, 3).t()}   # size (3,2) stride (1,3)
    assert not nc["t"].is_contiguous()
    torch.save(nc, os.path.join(d, "pth_noncontig.pth"))


if __name__ == "__main__":
    main()
