"""Golden fixtures for the image pipeline (issue 3, item 5).

1. Evaluation transform: torchvision's Resize(size) -> CenterCrop(size) ->
   ToTensor() -> Normalize(ImageNet mean/std) on PIL images:
   - synthetic images (pixels stored in the fixture, so the C test needs no
     decoder): wide 97x61 at sizes 32 and 57, tall 40x90 at size 33, an
     upscale 20x14 at size 31;
   - real photos from $SWELL_SHARED/datasets (decoded by PIL here and by
     GdkPixbuf in the test: both use the system libjpeg, the results agree
     bit for bit), at 224 and 96.
2. Training augmentation geometry and lighting, stated from fastai's source
   (fastai/vision/augment.py: flip_mat, rotate_mat, zoom_mat, _WarpCoord with
   find_coeffs / apply_perspective, affine_coord with F.affine_grid and
   F.grid_sample(align_corners=True, padding reflection or zeros),
   _BrightnessLogit / _ContrastLogit inside LightingTfm's logit/sigmoid) for
   given parameter values, applied to a 32x32 image whose crop is the whole
   image (so fastai's crop resize is the identity and Swell's single pass
   must agree with grid_sample).

Writes tests/fixtures/pipeline.safetensors. Run with Debian's /usr/bin/python3
(torch 1.13, torchvision 0.14).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def eval_tf(img, size):
    t = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize(MEAN, STD)])
    return t(img).numpy()


def synthetic(w, h, seed):
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255.0 / max(w - 1, 1), y * 255.0 / max(h - 1, 1),
                     127 + 120 * np.sin(x / 3.0 + y / 5.0)], axis=-1)
    noise = rng.randint(-40, 41, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


# ---- fastai's augmentation for given parameters ---------------------------
def affine(flip, deg, zoom, col, row):
    """flip_mat @ rotate_mat @ zoom_mat, composed as AffineCoordTfm does."""
    fm = torch.tensor([[-1.0 if flip else 1.0, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64)
    th = deg * math.pi / 180
    rm = torch.tensor([[math.cos(th), math.sin(th), 0], [-math.sin(th), math.cos(th), 0], [0, 0, 1]],
                      dtype=torch.float64)
    s = 1 / zoom
    zm = torch.tensor([[s, 0, (1 - s) * (2 * col - 1)], [0, s, (1 - s) * (2 * row - 1)], [0, 0, 1]],
                      dtype=torch.float64)
    return fm @ rm @ zm


def warp_coeffs(xt, yt):
    """_WarpCoord: find_coeffs(orig_pts, targ_pts) solved for 8 coefficients."""
    orig = [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    targ = [[-1 - yt, -1 - xt], [-1 + yt, 1 + xt], [1 + yt, -1 + xt], [1 - yt, 1 - xt]]
    rows, rhs = [], []
    for (p1x, p1y), (p2x, p2y) in zip(orig, targ):
        rows.append([p2x, p2y, 1, 0, 0, 0, -p1x * p2x, -p1x * p2y])
        rows.append([0, 0, 0, p2x, p2y, 1, -p1y * p2x, -p1y * p2y])
        rhs += [p1x, p1y]
    c = torch.linalg.solve(torch.tensor(rows, dtype=torch.float64), torch.tensor(rhs, dtype=torch.float64))
    return torch.cat([c, torch.ones(1, dtype=torch.float64)]).view(3, 3)


def logit(x):
    x = x.clamp(1e-7, 1 - 1e-7)
    return -(1 / x - 1).log()


def fastai_augment(img_u8, p, pad):
    x = torch.from_numpy(np.array(img_u8)).permute(2, 0, 1).float().div(255)[None]  # (1, 3, H, W)
    h, w = x.shape[-2:]
    m = affine(p["flip"], p["deg"], p["zoom"], p["col"], p["row"])[:2].float()[None]
    coords = F.affine_grid(m, (1, 3, h, w), align_corners=True)
    if p["wx"] != 0 or p["wy"] != 0:
        H = warp_coeffs(p["wx"], p["wy"]).float()
        c = coords.view(1, -1, 2)
        c1 = c @ H[:, :2].t() + H[:, 2]
        coords = (c1[..., :2] / c1[..., 2:]).view(coords.shape)
    out = F.grid_sample(x, coords, mode="bilinear", padding_mode=pad, align_corners=True)
    if p["b"] != 0.5 or p["c"] != 1.0:
        lb = logit(torch.tensor(p["b"]))
        out = torch.sigmoid((logit(out) + lb) * p["c"])
    return out[0].numpy()


AUG_PARAMS = [
    dict(flip=0, deg=0.0, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.5, c=1.0),
    dict(flip=1, deg=0.0, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.5, c=1.0),
    dict(flip=0, deg=8.5, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.5, c=1.0),
    dict(flip=1, deg=-6.0, zoom=1.08, col=0.2, row=0.9, wx=0.0, wy=0.0, b=0.5, c=1.0),
    dict(flip=0, deg=0.0, zoom=1.0, col=0.5, row=0.5, wx=0.15, wy=-0.1, b=0.5, c=1.0),
    dict(flip=1, deg=9.0, zoom=1.05, col=0.7, row=0.3, wx=-0.2, wy=0.12, b=0.5, c=1.0),
    dict(flip=0, deg=30.0, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.5, c=1.0),
    dict(flip=0, deg=0.0, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.58, c=1.0),
    dict(flip=0, deg=0.0, zoom=1.0, col=0.5, row=0.5, wx=0.0, wy=0.0, b=0.5, c=0.82),
    dict(flip=0, deg=4.0, zoom=1.02, col=0.4, row=0.6, wx=0.05, wy=0.05, b=0.43, c=1.2),
]
AUG_KEYS = ["flip", "deg", "zoom", "col", "row", "wx", "wy", "b", "c"]

REAL = [
    ("hymenoptera/train/ants/116570827_e9c126745d.jpg", 224),
    ("weather4_small/valid/cloudy/cloudy135.jpg", 96),
]


def main():
    shared = os.environ.get("SWELL_SHARED",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared"))
    t = {}
    cases = [("wide", 97, 61, 32, 1), ("wide57", 97, 61, 57, 1), ("tall", 40, 90, 33, 2), ("up", 20, 14, 31, 3)]
    for name, w, h, size, seed in cases:
        px = synthetic(w, h, seed)
        t[f"eval.{name}.input"] = px.astype(np.float32)
        t[f"eval.{name}.size"] = np.array([size], dtype=np.float32)
        t[f"eval.{name}.output"] = eval_tf(Image.fromarray(px), size)
    for i, (rel, size) in enumerate(REAL):
        img = Image.open(os.path.join(shared, "datasets", rel)).convert("RGB")
        t[f"real.{i}.size"] = np.array([size], dtype=np.float32)
        t[f"real.{i}.output"] = eval_tf(img, size)

    img = synthetic(32, 32, 7)
    t["aug.input"] = img.astype(np.float32)
    t["aug.params"] = np.array([[p[k] for k in AUG_KEYS] for p in AUG_PARAMS], dtype=np.float32)
    t["aug.reflection"] = np.stack([fastai_augment(img, p, "reflection") for p in AUG_PARAMS])
    t["aug.zeros"] = np.stack([fastai_augment(img, p, "zeros") for p in AUG_PARAMS])
    # A random resized crop as fastai does it: PIL crop + resize (bilinear,
    # antialiased) to the output size, then the affine/warp resampling. Swell
    # does both in one pass, so the C test compares with a tolerance. The
    # source is smooth (no noise) so the two resamplings can agree closely.
    ys, xs = np.mgrid[0:48, 0:64]
    smooth = np.stack([xs * 4.0, ys * 5.0, 127 + 100 * np.sin(xs / 6.0) * np.cos(ys / 7.0)], -1)
    smooth = np.clip(smooth, 0, 255).astype(np.uint8)
    crop = (10, 6, 40, 30)  # x, y, w, h
    out_size = 32
    pil = Image.fromarray(smooth).crop((crop[0], crop[1], crop[0] + crop[2], crop[1] + crop[3]))
    cropped = np.asarray(pil.resize((out_size, out_size), Image.BILINEAR))
    t["crop.input"] = smooth.astype(np.float32)
    t["crop.box"] = np.array(crop, dtype=np.float32)
    t["crop.output"] = np.stack([fastai_augment(cropped, p, "reflection") for p in AUG_PARAMS[:7]])
    meta = {"real.%d.path" % i: rel for i, (rel, _) in enumerate(REAL)}
    out = os.path.join(st.fixtures_dir(), "pipeline.safetensors")
    st.write(out, t, meta)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
