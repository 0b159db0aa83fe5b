#!/usr/bin/python3
"""Writes the small image fixtures of the store/import tests into
tests/fixtures/images/ (run with Debian's /usr/bin/python3; needs PIL).

- gray.jpg      8-bit grayscale JPEG, 48x32, left half black, right half white
- cmyk.jpg      CMYK JPEG (Adobe inverted CMYK as PIL writes it), 48x32, pure red
- exif_rot6.jpg 64x32 stored (left half red, right half blue), EXIF Orientation 6
                (rotate 90 degrees clockwise to display: 32x64, red on top)
- anim.gif      3-frame animated GIF, 40x40: red, green, blue frames
- rgba16.png    16-bit RGBA PNG, 20x10, opaque green with a transparent right half
- orange.webp / orange.bmp / orange.tiff  16x12 orange (255, 128, 0) in WebP (lossless),
                BMP and TIFF, so every format the issue names is imported once
Each is a few kilobytes at most.
"""
import os
import struct
import zlib

from PIL import Image

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "images")
os.makedirs(out, exist_ok=True)

g = Image.new("L", (48, 32), 0)
g.paste(255, (24, 0, 48, 32))
g.save(os.path.join(out, "gray.jpg"), quality=90)

c = Image.new("RGB", (48, 32), (255, 0, 0)).convert("CMYK")
c.save(os.path.join(out, "cmyk.jpg"), quality=90)

r = Image.new("RGB", (64, 32), (255, 0, 0))
r.paste((0, 0, 255), (32, 0, 64, 32))
exif = Image.Exif()
exif[0x0112] = 6
r.save(os.path.join(out, "exif_rot6.jpg"), quality=90, exif=exif.tobytes())

frames = [Image.new("RGB", (40, 40), col) for col in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
frames[0].save(os.path.join(out, "anim.gif"), save_all=True, append_images=frames[1:],
               duration=100, loop=0)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


w, h = 20, 10
raw = b""
for y in range(h):
    raw += b"\0"
    for x in range(w):
        a = 65535 if x < w // 2 else 0
        raw += struct.pack(">HHHH", 0, 65535, 0, a)
png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 6, 0, 0, 0))
png += png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
with open(os.path.join(out, "rgba16.png"), "wb") as f:
    f.write(png)

o = Image.new("RGB", (16, 12), (255, 128, 0))
o.save(os.path.join(out, "orange.webp"), lossless=True)
o.save(os.path.join(out, "orange.bmp"))
o.save(os.path.join(out, "orange.tiff"))

for name in sorted(os.listdir(out)):
    print(name, os.path.getsize(os.path.join(out, name)))
