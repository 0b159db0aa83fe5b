#!/usr/bin/python3
"""Golden fixtures for every engine layer (issue 2, item 5): writes
tests/fixtures/layers.safetensors, read by tests/test_layers.c.

Inputs and parameters are drawn in float32 and stored as such; PyTorch then
computes the outputs and every input/parameter gradient in float64 from those
exact float32 values, so the fixtures hold the best answer float32 inputs
allow. Gradients come from out.backward(dy) with a random upstream gradient
dy (also stored), so every element of the backward pass is exercised.

Class targets are stored as float32 (the engine's reader skips integer
tensors).

Naming: "<case>.<tensor>", e.g. "conv.c3s1p1_bias.dw". The C test keeps the
matching table of shapes and hyper-parameters.

Run: /usr/bin/python3 tests/golden/gen_layers.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

torch.manual_seed(0)
out = {}


def f32(t):
    return t.detach().to(torch.float32).numpy()


def rnd(*shape, scale=1.0):
    """float32 values, returned as a float64 leaf tensor holding them exactly."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).to(torch.float64).requires_grad_(True)


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[f"{prefix}.{k}"] = f32(v) if isinstance(v, torch.Tensor) else v


# ---- conv2d ---------------------------------------------------------------
# name: (B, Cin, H, W, Cout, K, stride, (pad_t, pad_l, pad_b, pad_r), groups)
CONVS = {
    "c3s1p1": (2, 4, 9, 9, 6, 3, 1, (1, 1, 1, 1), 1),
    "c3s2tf": (2, 4, 8, 8, 6, 3, 2, (0, 0, 1, 1), 1),
    "c7s2p3": (2, 3, 12, 11, 8, 7, 2, (3, 3, 3, 3), 1),
    "c1s1": (2, 8, 5, 5, 6, 1, 1, (0, 0, 0, 0), 1),
    "c1s2": (2, 8, 7, 7, 6, 1, 2, (0, 0, 0, 0), 1),
    "g2": (2, 4, 7, 7, 6, 3, 1, (1, 1, 1, 1), 2),
    "dw3s1": (2, 6, 7, 7, 6, 3, 1, (1, 1, 1, 1), 6),
    "dw3s2": (2, 6, 8, 9, 6, 3, 2, (1, 1, 1, 1), 6),
    "dw3s2tf": (2, 6, 8, 8, 6, 3, 2, (0, 0, 1, 1), 6),
    # ResNet-like: more channels, odd width
    "c3s1p1w": (2, 16, 9, 10, 20, 3, 1, (1, 1, 1, 1), 1),
}
for name, (B, Cin, H, W, Cout, K, s, (pt, pl, pb, pr), g) in CONVS.items():
    for with_bias in (True, False):
        x = rnd(B, Cin, H, W)
        w = rnd(Cout, Cin // g, K, K, scale=0.3)
        b = rnd(Cout) if with_bias else None
        # F.pad takes (left, right, top, bottom); symmetric padding goes to conv2d itself
        if (pt, pl, pb, pr) == (pt, pt, pt, pt):
            y = F.conv2d(x, w, b, stride=s, padding=pt, groups=g)
        else:
            y = F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, b, stride=s, padding=0, groups=g)
        dy = torch.randn(y.shape, dtype=torch.float32).to(torch.float64)
        y.backward(dy)
        p = f"conv.{name}_{'bias' if with_bias else 'nobias'}"
        put(p, x=x, w=w, y=y, dy=dy, dx=x.grad, dw=w.grad)
        if with_bias:
            put(p, b=b, db=b.grad)

# ---- batch norm -------------------------------------------------------------
for name, shape in (("bn2d", (3, 4, 5, 5)), ("bn1d", (5, 6))):
    C = shape[1]
    x0 = torch.randn(*shape, dtype=torch.float32) * 2 + 0.5
    w0 = torch.randn(C, dtype=torch.float32) * 0.5 + 1
    b0 = torch.randn(C, dtype=torch.float32) * 0.5
    rm0 = torch.randn(C, dtype=torch.float32) * 0.3
    rv0 = torch.rand(C, dtype=torch.float32) + 0.5
    dy = torch.randn(*shape, dtype=torch.float32)
    for mode in ("train", "eval"):
        bn = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(C).double()
        with torch.no_grad():
            bn.weight.copy_(w0)
            bn.bias.copy_(b0)
            bn.running_mean.copy_(rm0)
            bn.running_var.copy_(rv0)
        bn.train(mode == "train")
        x = x0.to(torch.float64).requires_grad_(True)
        y = bn(x)
        y.backward(dy.to(torch.float64))
        p = f"{name}.{mode}"
        put(p, x=x, w=w0, b=b0, rm0=rm0, rv0=rv0, y=y, dy=dy, dx=x.grad, dw=bn.weight.grad,
            db=bn.bias.grad, rm1=bn.running_mean, rv1=bn.running_var)

# ---- activations ------------------------------------------------------------
x = rnd(2, 3, 5, 5, scale=4.0)
y = F.relu(x)
dy = torch.randn(y.shape, dtype=torch.float32).to(torch.float64)
y.backward(dy)
put("relu", x=x, y=y, dy=dy, dx=x.grad)

x = (torch.randn(2, 3, 5, 5, dtype=torch.float32) * 5.0 + 3.0).to(torch.float64).requires_grad_(True)
y = F.relu6(x)
y.backward(dy)
put("relu6", x=x, y=y, dy=dy, dx=x.grad)

# ---- max pool 3x3 s2 p1 -------------------------------------------------------
for name, hw in (("maxpool_odd", (9, 9)), ("maxpool_even", (8, 10))):
    x = rnd(2, 3, *hw)
    y = F.max_pool2d(x, 3, 2, 1)
    dy = torch.randn(y.shape, dtype=torch.float32).to(torch.float64)
    y.backward(dy)
    put(name, x=x, y=y, dy=dy, dx=x.grad)

# ---- adaptive pools to 1x1 and fastai's AdaptiveConcatPool2d ----------------------
x = rnd(2, 5, 4, 3)
ya = F.adaptive_avg_pool2d(x, 1)
dya = torch.randn(ya.shape, dtype=torch.float32).to(torch.float64)
ya.backward(dya)
put("avgpool", x=x, y=ya.flatten(1), dy=dya.flatten(1), dx=x.grad)

x = rnd(2, 5, 4, 3)
ym = F.adaptive_max_pool2d(x, 1)
dym = torch.randn(ym.shape, dtype=torch.float32).to(torch.float64)
ym.backward(dym)
put("maxpool1", x=x, y=ym.flatten(1), dy=dym.flatten(1), dx=x.grad)

x = rnd(2, 5, 4, 3)
yc = torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1).flatten(1)
dyc = torch.randn(yc.shape, dtype=torch.float32).to(torch.float64)
yc.backward(dyc)
put("concatpool", x=x, y=yc, dy=dyc, dx=x.grad)

# ---- linear -----------------------------------------------------------------
for with_bias in (True, False):
    x = rnd(4, 7)
    w = rnd(5, 7, scale=0.4)
    b = rnd(5) if with_bias else None
    y = F.linear(x, w, b)
    dy = torch.randn(y.shape, dtype=torch.float32).to(torch.float64)
    y.backward(dy)
    p = f"linear.{'bias' if with_bias else 'nobias'}"
    put(p, x=x, w=w, y=y, dy=dy, dx=x.grad, dw=w.grad)
    if with_bias:
        put(p, b=b, db=b.grad)

# ---- cross-entropy (mean over the batch) -----------------------------------------
for name, smoothing in (("ce.plain", 0.0), ("ce.smooth", 0.1)):
    logits = rnd(6, 5, scale=2.0)
    t = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = F.cross_entropy(logits, t, label_smoothing=smoothing)
    loss.backward()
    put(name, logits=logits, targets=t.to(torch.float32), loss=loss.reshape(1),
        probs=F.softmax(logits, 1), dlogits=logits.grad)

# ---- residual add -------------------------------------------------------------
a = rnd(2, 3, 4, 4)
b = rnd(2, 3, 4, 4)
y = a + b
dy = torch.randn(y.shape, dtype=torch.float32).to(torch.float64)
y.backward(dy)
put("add", a=a, b=b, y=y, dy=dy, da=a.grad, db=b.grad)

path = os.path.join(st.fixtures_dir(), "layers.safetensors")
st.write(path, out, metadata={"generator": "tests/golden/gen_layers.py",
                              "torch": torch.__version__})
print(f"wrote {path}: {len(out)} tensors, {os.path.getsize(path)} bytes")
