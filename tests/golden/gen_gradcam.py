"""Golden fixtures for Grad-CAM (issue 12, item 1), checked by tests/engine/test_explain.c.

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14):
    /usr/bin/python3 tests/golden/gen_gradcam.py

The networks are gen_models.py's: torchvision bodies with fastai's create_head,
every parameter and buffer (BatchNorm running statistics included: means in
+-0.1, variances in [0.5, 1.5)) given by its integer-hash formula, which
tests/engine/formula.h evaluates bit-identically, so no parameter is stored.
The deep ones (resnet50) use gen_models' res_scale conditioning. Eval mode,
dropout off, float64; one formula input (1, 3, SIZE, SIZE).

Grad-CAM, as Selvaraju et al. and explain.h: A (1, K, h, w) = the output of
layer4 / features (the head's input); for a class c,
    alpha = mean over (h, w) of d logit_c / dA                  (K)
    cam   = ReLU(sum_k alpha_k A_k)                             (h, w)
    heat  = F.interpolate(cam, (SIZE, SIZE), mode="bilinear", align_corners=False)
Each fixture gradcam_<tag>.safetensors holds:
    logits                         (n,)
    alpha.<c>, cam.<c>, heat.<c>   for the two classes in metadata "classes":
                                   the predicted one and the one whose
                                   gradient-weighted sum is closest to half
                                   negative (so the ReLU matters)
    f32_err                        per class [cam, heat]: max |torch float32 - float64| / max cam
and metadata as gen_models' fixtures (arch, head, width_mult, tf_same,
num_classes, size, input_t, res_scale / res_bn_weights).
gradcam_resnet18 also holds up.in (3, 5) -> up.out (17, 29): a non-square
bilinear upsampling of a formula map.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_models as gm  # noqa: E402
import st  # noqa: E402

torch.set_num_threads(2)
SIZE = 128      # layer4 / features.18 maps of 4x4; every TF-SAME stride-2 input even
T_INPUT = 2000000
T_UP = 2000100


def last_block(model):
    return model.features if model.arch == "mobilenet_v2" else model.layer4


def gradcam_run(arch, n, width, tf_same, res_scale, dtype):
    torch.manual_seed(0)
    model = gm.Net(arch, "fastai", n, width, tf_same)
    for mod in model.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    _, _, small = gm.set_formula_params(model, res_scale)
    model = model.to(dtype).eval()
    x = torch.from_numpy(gm.sym(T_INPUT, 3 * SIZE * SIZE).reshape(1, 3, SIZE, SIZE)).to(dtype)
    saved = {}
    last_block(model).register_forward_hook(lambda m, i, o: saved.__setitem__("A", o))
    logits = model(x)
    A = saved["A"]
    out = {"logits": logits[0].detach().double().numpy(), "small": small}
    for c in range(n):
        (g,) = torch.autograd.grad(logits[0, c], A, retain_graph=True)
        alpha = g.mean(dim=(2, 3))                               # (1, K)
        s = (alpha[:, :, None, None] * A).sum(1, keepdim=True)   # (1, 1, h, w)
        cam = F.relu(s)
        heat = F.interpolate(cam, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
        out[c] = {"alpha": alpha[0].detach().double().numpy(),
                  "sum": s[0, 0].detach().double().numpy(),
                  "cam": cam[0, 0].detach().double().numpy(),
                  "heat": heat[0, 0].detach().double().numpy()}
    return out


def pick_classes(r, n):
    pred = int(np.argmax(r["logits"]))
    others = [c for c in range(n) if c != pred]
    mixed = min(others, key=lambda c: abs((r[c]["sum"] < 0).mean() - 0.5))
    return [pred, mixed]


def make_fixture(tag, arch, n=gm.NCLS, width=1.0, tf_same=False, res_scale=None, upsample=False):
    b = gradcam_run(arch, n, width, tf_same, res_scale, torch.float64)
    a = gradcam_run(arch, n, width, tf_same, res_scale, torch.float32)
    classes = pick_classes(b, n)
    out = {"logits": b["logits"]}
    f32 = []
    for c in classes:
        scale = np.abs(b[c]["cam"]).max()
        assert scale > 0, "%s: class %d has an all-zero cam" % (tag, c)
        for k in ("alpha", "cam", "heat"):
            out["%s.%d" % (k, c)] = b[c][k]
        f32.append(np.abs(a[c]["cam"] - b[c]["cam"]).max() / scale)
        f32.append(np.abs(a[c]["heat"] - b[c]["heat"]).max() / scale)
        print("  %s class %d: cam %s, %.0f%% of the weighted sum negative, torch float32 error %.2g"
              % (tag, c, "x".join(str(d) for d in b[c]["cam"].shape), 100 * (b[c]["sum"] < 0).mean(),
                 max(f32[-2:])))
    out["f32_err"] = np.array(f32)
    if upsample:
        m = gm.hash_u(T_UP, 15).reshape(1, 1, 3, 5).astype(np.float64)
        out["up.in"] = m[0, 0]
        out["up.out"] = F.interpolate(torch.from_numpy(m), size=(17, 29), mode="bilinear",
                                      align_corners=False)[0, 0].numpy()
    meta = {"arch": arch, "head": "fastai", "width_mult": str(width), "tf_same": "1" if tf_same else "0",
            "num_classes": str(n), "size": str(SIZE), "input_t": str(T_INPUT),
            "classes": ",".join(str(c) for c in classes), "reference": "torch float64"}
    if res_scale is not None:
        meta["res_scale"] = repr(float(res_scale))
        meta["res_bn_weights"] = ";".join(b["small"])
    path = os.path.join(st.fixtures_dir(), "gradcam_%s.safetensors" % tag)
    st.write(path, {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}, meta)
    print(path, os.path.getsize(path), "bytes, classes", classes)


if __name__ == "__main__":
    which = sys.argv[1:]
    jobs = {
        "resnet18": dict(arch="resnet18", upsample=True),
        "resnet50": dict(arch="resnet50", res_scale=gm.RES_SCALE),
        "mnv2": dict(arch="mobilenet_v2", tf_same=True, res_scale=gm.RES_SCALE),
    }
    for tag, kw in jobs.items():
        if not which or tag in which:
            make_fixture(tag, **kw)
