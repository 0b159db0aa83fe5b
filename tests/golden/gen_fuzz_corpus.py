"""Seed corpora for the fuzz targets in tests/fuzz/ (tests/fuzz/corpus/TARGET/).

Run with Debian's /usr/bin/python3 (torch, torchvision's PIL):
    /usr/bin/python3 tests/golden/gen_fuzz_corpus.py
Every seed is a small valid (or deliberately broken) input, a few KB at most.
Files named crash-* are regression inputs found by campaigns or filed as
defects; they are written here too so the corpus can be rebuilt from scratch.
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile
import zlib

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def out(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def stored_zip(entries):
    """A zip of stored (uncompressed) entries, as torch writes them."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()


def torch_bytes(obj, legacy=False, protocol=2):
    b = io.BytesIO()
    torch.save(obj, b, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    return b.getvalue()


def pth():
    g = torch.Generator().manual_seed(14)
    small = collections.OrderedDict()
    small["conv.weight"] = torch.randn(2, 1, 2, 2, generator=g)
    small["bn.weight"] = torch.randn(2, generator=g)
    small["bn.running_mean"] = torch.randn(2, generator=g)
    small["bn.num_batches_tracked"] = torch.tensor(3)
    small["fc.weight"] = torch.randn(3, 2, generator=g).half()
    small["fc.bias"] = torch.randn(3, generator=g).double()
    out("pth", "small.pth", torch_bytes(small))
    out("pth", "small_p4.pth", torch_bytes(small, protocol=4))
    out("pth", "small_legacy.pth", torch_bytes(small, legacy=True))
    base = torch.randn(4, 3, generator=g)
    views = collections.OrderedDict([("t", base.t()), ("row", base[1]), ("same", base)])
    out("pth", "shared_noncontig.pth", torch_bytes(views))
    out("pth", "empty_dict.pth", torch_bytes(collections.OrderedDict()))
    # Filed defect (issue 14): EMPTY_TUPLE as the first opcode of data.pkl.
    out("pth", "crash-empty-tuple-first.pth",
        stored_zip([("archive/data.pkl", bytes([0x80, 0x02, 0x29, 0x2E])), ("archive/version", b"3\n")]))


def safetensors():
    tmp = os.path.join(ROOT, "st.tmp")
    st.write(tmp, {"a": [[1.0, -2.5], [3.0, 0.0]], "b": [0.5], "steps": __import__("numpy").array([7], "int64")},
             {"arch": "resnet18", "note": "fuzz seed"})
    with open(tmp, "rb") as f:
        data = f.read()
    os.remove(tmp)
    out("safetensors", "small.safetensors", data)

    def raw(header, blob):
        h = json.dumps(header, separators=(",", ":")).encode()
        return struct.pack("<Q", len(h)) + h + blob

    import numpy as np
    f16 = np.array([1.0, -0.5, 65504.0], np.float16).tobytes()
    bf16 = struct.pack("<3H", 0x3F80, 0xBF00, 0x7F80)
    f64 = np.array([1.0, 1e-300], np.float64).tobytes()
    out("safetensors", "dtypes.safetensors", raw({
        "h": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
        "b": {"dtype": "BF16", "shape": [3], "data_offsets": [6, 12]},
        "d": {"dtype": "F64", "shape": [2], "data_offsets": [12, 28]},
        "s": {"dtype": "F32", "shape": [], "data_offsets": [28, 32]},
        "z": {"dtype": "F32", "shape": [0, 4], "data_offsets": [32, 32]},
    }, f16 + bf16 + f64 + struct.pack("<f", 2.0)))
    out("safetensors", "empty.safetensors", raw({}, b""))


def json_seeds():
    seeds = {
        "header.json": json.dumps({"__metadata__": {"format": "pt"},
                                   "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}),
        "numbers.json": "[0,-0,1.5e10,-2E-3,9223372036854775807,-9223372036854775808,"
                        "9223372036854775808,1e400,0.1]",
        "strings.json": '["", "\\u00e9\\ud83d\\ude00", "\\"\\\\\\/\\b\\f\\n\\r\\t", "caf\u00e9", "\u6f22"]',
        "nested.json": "[[[[{\"a\":[{\"b\":null}]}]]]]",
        "literals.json": " {\"t\":true,\"f\":false,\"n\":null,\"o\":{},\"a\":[]} ",
        "dup_key.json": '{"a":1,"a":2}',
        "trailing_comma.json": "[1,2,]",
    }
    for name, text in seeds.items():
        out("json", name, text.encode("utf-8"))


def images():
    rgb = Image.new("RGB", (7, 5), (250, 120, 20))
    for x in range(7):
        rgb.putpixel((x, x % 5), (10, 200, 30 * x))

    def save(img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        return b.getvalue()

    out("image", "small.png", save(rgb, "PNG"))
    out("image", "rgba.png", save(rgb.convert("RGBA"), "PNG"))
    out("image", "palette.png", save(rgb.convert("P"), "PNG"))
    out("image", "gray.jpg", save(rgb.convert("L"), "JPEG", quality=80))
    out("image", "small.jpg", save(rgb, "JPEG", quality=80))
    out("image", "progressive.jpg", save(rgb, "JPEG", quality=80, progressive=True))
    exif = Image.Exif()
    exif[0x0112] = 6
    out("image", "exif_rot6.jpg", save(rgb, "JPEG", quality=80, exif=exif.tobytes()))
    out("image", "cmyk.jpg", save(rgb.convert("CMYK"), "JPEG", quality=80))
    out("image", "small.bmp", save(rgb, "BMP"))
    out("image", "small.gif", save(rgb.convert("P"), "GIF"))
    frames = [rgb, Image.new("RGB", (7, 5), (0, 0, 255))]
    out("image", "anim.gif", save(frames[0].convert("P"), "GIF", save_all=True,
                                  append_images=[frames[1].convert("P")], duration=50, loop=0))
    out("image", "small.tiff", save(rgb, "TIFF"))
    out("image", "small.webp", save(rgb, "WEBP", lossless=True))
    out("image", "small.ico", save(rgb.resize((16, 16)), "ICO"))
    out("image", "small.ppm", save(rgb, "PPM"))
    out("image", "small.tga", save(rgb, "TGA"))
    out("image", "icon.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="6" height="4">'
                             b'<rect width="6" height="4" fill="#f80"/></svg>')
    out("image", "not_an_image.txt", b"label,notes\ncat,not an image\n")


if __name__ == "__main__":
    pth()
    safetensors()
    json_seeds()
    images()
