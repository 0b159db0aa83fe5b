"""Golden fixtures for the models (issue 2, item 5): torchvision ResNet-18/34/50
and MobileNetV2 with fastai's create_head, checked by tests/test_models.c.

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14):
    /usr/bin/python3 tests/golden/gen_models.py

No parameters are stored. Every parameter and buffer, the input and the
targets are defined by a deterministic integer-hash formula that numpy here
and C in test_models.c evaluate bit-identically (see hash_u / param_values).
Tensor t is the t-th entry of the state dict (num_batches_tracked left out).

Each fixture models_<name>.safetensors holds, for a batch of 4 at 64x64:
  logits_eval           eval-mode logits with the formula parameters
  logits, loss          training-mode forward (batch statistics), mean cross-entropy
  rs.<bn>.running_mean/var   running statistics of a few BatchNorms after that forward
  grad.<p>              full gradient of every parameter with at most 4096 elements
  gsub.<p>              for larger ones: 1024 elements at formula indices
  gstat.<p>             and [sum, sum of squares, 4 formula projections] of the whole gradient
  param_sums            float64 sum of each formula tensor (checks the formula itself)
  input_stats, targets  the same for the input, and the targets as floats
__metadata__ "params": "name[d0,d1,..];..." in state-dict order; for the deep
networks also "res_scale" and "res_bn_weights", the BatchNorm weights that end
a residual branch and get the smaller formula (see make_fixture: without it a
deep training-mode network is too chaotic for float32 to meet 1e-3).
Dropout: p is set to 0 in every dropout for these fixtures (the C side calls
sw_model_set_dropout(m, 0)); masks are not matched.
TF 'SAME' padding is emulated as in ../shared/weights/README.md: the stride-2
3x3 convs get padding 0 and a forward pre-hook pads (left 0, right 1, top 0, bottom 1).

models_forward_mnv2.safetensors: the real ../shared/weights/mobilenet_v2_1.0_imagenet
weights (TF-SAME, eval) on a formula input (2, 3, 96, 96): "input" and "logits",
for the `swell-cli forward` test.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

torch.set_num_threads(2)
M32 = np.uint64(0xFFFFFFFF)

BATCH, SIZE, NCLS = 4, 64, 7
FULL_MAX = 4096
NSUB = 1024
T_INPUT, T_TARGETS = 1000000, 1000001


def mix32(x):
    x = np.asarray(x, dtype=np.uint64) & M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & M32
    x ^= x >> np.uint64(16)
    return x


def hash32(t, i):
    """uint32 hash of tensor index t and element indices i."""
    seed = mix32((np.uint64(t) * np.uint64(0x9E3779B9) + np.uint64(0x632BE5AB)) & M32)
    return mix32(mix32(np.asarray(i, dtype=np.uint64)) ^ seed)


def hash_u(t, n, offset=0):
    """n floats in [0, 1): (h >> 8) * 2^-24, exact in float32."""
    h = hash32(t, np.arange(offset, offset + n, dtype=np.uint64))
    return (h >> np.uint64(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def sym(t, n, offset=0):
    return np.float32(2.0) * hash_u(t, n, offset) - np.float32(1.0)


def param_values(t, name, shape, is_bn_param, res_scale=None):
    n = int(np.prod(shape)) if len(shape) else 1
    if res_scale is not None:
        # the last BatchNorm of a residual branch (see branch_end_bn_weights)
        v = np.float32(res_scale) * (np.float32(0.5) + np.float32(0.5) * hash_u(t, n))
    elif name.endswith("running_mean"):
        v = sym(t, n) * np.float32(0.1)
    elif name.endswith("running_var"):
        v = np.float32(0.5) + hash_u(t, n)
    elif is_bn_param and name.endswith(".weight"):
        # below 1: with few values per channel |xhat| <= sqrt(N-1), and weight < 1
        # keeps every BatchNorm output clear of ReLU6's upper kink at 6
        v = np.float32(0.5) + np.float32(0.5) * hash_u(t, n)
    elif is_bn_param:
        v = sym(t, n) * np.float32(0.2)
    elif name.endswith(".bias"):
        v = sym(t, n) * np.float32(0.1)
    else:
        fan_in = int(np.prod(shape[1:]))
        v = sym(t, n) * np.float32(np.sqrt(3.0 / fan_in))
    return v.reshape(shape)


def sub_indices(t, numel):
    return (hash32(t, np.arange(0x40000000, 0x40000000 + NSUB, dtype=np.uint64)) % np.uint64(numel)).astype(np.int64)


def projections(t, g):
    g = g.astype(np.float64).ravel()
    out = [g.sum(), (g * g).sum()]
    for k in range(4):
        r = sym(t + 0x10000 * (k + 1), g.size).astype(np.float64)
        out.append((g * r).sum())
    return np.array(out, dtype=np.float64)


# ---- models with torchvision names --------------------------------------

class ConcatPool(nn.Module):
    def forward(self, x):
        return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1)


def fastai_head(nf, n):
    """fastai create_head(nf, n) with defaults: indices 0..8 as in fastai."""
    h = nn.Sequential(ConcatPool(), nn.Flatten(), nn.BatchNorm1d(2 * nf), nn.Dropout(0.25),
                      nn.Linear(2 * nf, 512, bias=False), nn.ReLU(inplace=True),
                      nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, n, bias=False))
    return h


class Net(nn.Module):
    def __init__(self, arch, head, n, width=1.0, tf_same=False):
        super().__init__()
        self.arch = arch
        self.head_kind = head
        if arch.startswith("resnet"):
            tv = getattr(torchvision.models, arch)(num_classes=n if head == "imagenet" else 1000)
            for name, child in tv.named_children():
                if name in ("avgpool", "fc"):
                    continue
                self.add_module(name, child)
            nf = 2048 if arch == "resnet50" else 512
            if head == "imagenet":
                self.fc = tv.fc
        else:
            tv = torchvision.models.mobilenet_v2(width_mult=width, num_classes=n if head == "imagenet" else 1000)
            self.features = tv.features
            nf = tv.last_channel
            if head == "imagenet":
                self.classifier = tv.classifier
            if tf_same:
                for mod in self.features.modules():
                    if isinstance(mod, nn.Conv2d) and mod.stride == (2, 2) and mod.kernel_size == (3, 3):
                        mod.padding = (0, 0)
                        mod.register_forward_pre_hook(lambda m, inp: (F.pad(inp[0], (0, 1, 0, 1)),))
        if head == "fastai":
            self.head = fastai_head(nf, n)

    def forward(self, x):
        if self.arch.startswith("resnet"):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        else:
            x = self.features(x)
        if self.head_kind == "fastai":
            return self.head(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x) if self.arch.startswith("resnet") else self.classifier(x)


def bn_param_names(model):
    out = set()
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            out.add(name + ".weight")
            out.add(name + ".bias")
    return out


def branch_end_bn_weights(model):
    """Weights of the BatchNorm that ends each residual branch: bn2 of a
    BasicBlock, bn3 of a Bottleneck, the projection BatchNorm of a MobileNetV2
    block with a skip connection."""
    out = []
    for name, mod in model.named_modules():
        if isinstance(mod, torchvision.models.resnet.BasicBlock):
            out.append(name + ".bn2.weight")
        elif isinstance(mod, torchvision.models.resnet.Bottleneck):
            out.append(name + ".bn3.weight")
        elif isinstance(mod, torchvision.models.mobilenetv2.InvertedResidual) and mod.use_res_connect:
            last = [n for n, _ in mod.conv.named_children()][-1]
            assert isinstance(mod.conv[-1], nn.BatchNorm2d)
            out.append("%s.conv.%s.weight" % (name, last))
    return out


def set_formula_params(model, res_scale=None):
    sd = model.state_dict()
    bnp = bn_param_names(model)
    small = branch_end_bn_weights(model) if res_scale is not None else []
    names = [k for k in sd.keys() if not k.endswith("num_batches_tracked")]
    sums = []
    with torch.no_grad():
        for t, k in enumerate(names):
            v = param_values(t, k, tuple(sd[k].shape), k in bnp, res_scale if k in small else None)
            sd[k].copy_(torch.from_numpy(v))
            sums.append(v.astype(np.float64).sum())
    return names, np.array(sums, dtype=np.float32), small


def formula_input(b, h, w):
    return sym(T_INPUT, b * 3 * h * w).reshape(b, 3, h, w)


def formula_targets(b, n):
    return (hash32(T_TARGETS, np.arange(b, dtype=np.uint64)) % np.uint64(n)).astype(np.int64)


def run_model(arch, head, n, width, tf_same, dtype, batch, size, t_input, train, res_scale=None):
    """One eval forward, then (train) one training forward + backward, in dtype."""
    torch.manual_seed(0)
    model = Net(arch, head, n, width, tf_same)
    for mod in model.modules():
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0
    names, sums, r_small = set_formula_params(model, res_scale)
    model = model.to(dtype)
    x = torch.from_numpy(sym(t_input, batch * 3 * size * size).reshape(batch, 3, size, size)).to(dtype)
    r = {"names": names, "sums": sums, "x": x, "small": r_small}
    model.eval()
    with torch.no_grad():
        r["logits_eval"] = model(x).double().numpy()
    if train:
        tg = torch.from_numpy(formula_targets(batch, n))
        model.train()
        logits = model(x)
        loss = F.cross_entropy(logits, tg)
        loss.backward()
        r["targets"] = tg.numpy()
        r["logits"] = logits.detach().double().numpy()
        r["loss"] = loss.item()
        r["grads"] = {k: p.grad.double().numpy() for k, p in model.named_parameters()}
        r["sd"] = {k: v.double().numpy().copy() for k, v in model.state_dict().items()}
    else:
        r["sd"] = {k: v.double().numpy().copy() for k, v in model.state_dict().items()}
    return r


def decision_margins(x, mod):
    """Distance of each decision a module makes on its input x to flipping:
    |x| (and |x - 6|) for ReLU (ReLU6), the gap between the two largest values
    of each window for a max pool."""
    if isinstance(mod, nn.ReLU6):
        return torch.minimum(x.abs(), (x - 6).abs())
    if isinstance(mod, nn.ReLU):
        return x.abs()
    if isinstance(mod, nn.MaxPool2d):
        cols = F.unfold(F.pad(x, (1, 1, 1, 1), value=float("-inf")), 3, stride=2)
        cols = cols.view(x.shape[0], x.shape[1], 9, -1)
    else:  # ConcatPool: adaptive max over the whole map
        cols = x.flatten(2).unsqueeze(-1)
    top2 = cols.topk(2, dim=2).values
    gap = top2[:, :, 0] - top2[:, :, 1]
    # a tie of values clamped by a ReLU / ReLU6 (exactly 0 or 6 in any engine) is no decision
    clamped = (gap == 0) & ((top2[:, :, 0] == 0) | (top2[:, :, 0] == 6))
    return torch.where(clamped, torch.full_like(gap, float("inf")), gap)


def train_decisions(arch, head, n, width, tf_same, dtype, batch, size, t_input, res_scale):
    """Inputs of every ReLU, ReLU6 and max pool in a training-mode forward."""
    torch.manual_seed(0)
    model = Net(arch, head, n, width, tf_same)
    for mod in model.modules():
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0
    set_formula_params(model, res_scale)
    model = model.to(dtype).train()
    rec = {}
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.ReLU, nn.ReLU6, nn.MaxPool2d, ConcatPool)):
            def hook(m, inp, name=name):
                rec.setdefault(name, []).append((m, inp[0].detach().double().clone()))
            mod.register_forward_pre_hook(hook)
    x = torch.from_numpy(sym(t_input, batch * 3 * size * size).reshape(batch, 3, size, size)).to(dtype)
    with torch.no_grad():
        model(x)
    return rec


def kink_safety(arch, head, n, width, tf_same, size, t_input, res_scale):
    """min over the network's decisions of (distance to flipping in float64) /
    (how far float32 rounding moves that layer's input, torch's largest error
    there). Below ~1 a float32 engine may take the other branch of a ReLU or
    max somewhere, which moves the gradients below it by percents."""
    r64 = train_decisions(arch, head, n, width, tf_same, torch.float64, BATCH, size, t_input, res_scale)
    r32 = train_decisions(arch, head, n, width, tf_same, torch.float32, BATCH, size, t_input, res_scale)
    worst, wname = float("inf"), ""
    for name, calls in r64.items():
        for (mod, x64), (_, x32) in zip(calls, r32[name]):
            err = (x64 - x32).abs().max().item()
            margin = decision_margins(x64, mod).min().item()
            ratio = margin / max(err, 1e-30)
            if ratio < worst:
                worst, wname = ratio, name
    return worst, wname


ZERO_CLASS = 1e-6   # a gradient whose max is below this fraction of the model's largest is analytically 0
ACCEPT = 1e-4       # torch float32 must agree with float64 this well on every other gradient
RES_SCALE = 0.1     # BatchNorm weights at the end of each residual branch: RES_SCALE * [0.5, 1)
VARIANTS = 200      # input variants ranked by kink_safety in the search


def f32_agreement(a, b):
    gmax = max(np.abs(v).max() for v in b["grads"].values())
    worst, wname = 0.0, ""
    for k, g in b["grads"].items():
        m = np.abs(g).max()
        if m < ZERO_CLASS * gmax:
            continue
        e = np.abs(a["grads"][k] - g).max() / m
        if e > worst:
            worst, wname = e, k
    return worst, wname, gmax


def make_fixture(tag, arch, head="fastai", width=1.0, tf_same=False, n=NCLS, train=True, rs=(),
                 sizes=(64,), res_scale=None, search=False):
    """Golden values come from a float64 run of the PyTorch model.

    A deep network with training-mode BatchNorm is chaotic at initialisation
    (BatchNorm's gradient explosion): with every BatchNorm weight near 1, a
    float32 forward of resnet50 drifts from float64 by a factor ~1.1 per layer
    (5e-7 after conv1, 1e-4 at layer4), until float32 rounding flips ReLU and
    max decisions in the deep layers, where a channel has only 16 values, and
    moves whole gradient tensors by percents. That is true of torch's own
    float32 run as of any float32 engine, so such a fixture cannot test 1e-3.
    res_scale makes the network well conditioned the standard way (as
    torchvision's zero_init_residual does in the limit): the BatchNorm that ends
    each residual branch gets weights res_scale * [0.5, 1), so every block is
    close to its skip path and rounding no longer grows with depth.
    Even so, in 64x64 maps some of the million ReLU inputs sit within float32
    rounding of 0: an engine whose rounding lands on the other side passes a
    different gradient on there, and every gradient below moves by ~1/sqrt(N) of
    that channel's N values, percents. With search=True the input variant is
    the one of VARIANTS with the largest kink_safety (every decision farthest
    from flipping, in units of torch's largest float32 error in its layer) among
    those whose torch float32 run meets ACCEPT on every gradient; torch's
    float32 error per gradient is stored as "f32_err" for the record."""
    chosen = None
    for size in sizes:
        if train and search:
            # the input variants, safest first (kink_safety), then torch's own float32 check
            order = []
            for k in range(VARIANTS):
                order.append((kink_safety(arch, head, n, width, tf_same, size, T_INPUT + k, res_scale), k))
            order.sort(key=lambda e: -e[0][0])
            print("  %s size %d: safest variants %s" % (tag, size, ", ".join(
                "%d (%.2f, %s)" % (k, sf, nm) for (sf, nm), k in order[:4])), flush=True)
            candidates = [(k, sf) for (sf, _), k in order[:8]]
        else:
            candidates = [(0, None)]
        for k, safety in candidates:
            b = run_model(arch, head, n, width, tf_same, torch.float64, BATCH, size, T_INPUT + k, train,
                          res_scale)
            if not train:
                chosen = (size, k, b, 0.0, "", None, safety)
                break
            a = run_model(arch, head, n, width, tf_same, torch.float32, BATCH, size, T_INPUT + k, train,
                          res_scale)
            worst, wname, gmax = f32_agreement(a, b)
            print("  %s size %d variant %d: torch float32 vs float64 worst gradient rel_err %.2g (%s)"
                  % (tag, size, k, worst, wname), flush=True)
            if worst <= ACCEPT or not search:
                chosen = (size, k, b, worst, wname, a, safety)
                break
        if chosen:
            break
    if not chosen:
        raise SystemExit("%s: no well-conditioned input found" % tag)
    size, k, b, worst, wname, a, safety = chosen
    names = b["names"]
    sd = b["sd"]
    out = {"param_sums": b["sums"]}
    x = b["x"].double()
    out["input_stats"] = np.array([x.sum().item(), (x ** 2).sum().item()], dtype=np.float32)
    out["logits_eval"] = b["logits_eval"]
    meta_extra = {}
    if train:
        out["targets"] = b["targets"].astype(np.float32)
        out["logits"] = b["logits"]
        out["loss"] = np.array([b["loss"]], dtype=np.float32)
        for bn in rs:
            out["rs.%s.running_mean" % bn] = sd[bn + ".running_mean"]
            out["rs.%s.running_var" % bn] = sd[bn + ".running_var"]
        grads = b["grads"]
        gmax = max(np.abs(v).max() for v in grads.values())
        zero = []
        for t, name in enumerate(names):
            if name not in grads:
                continue
            g = grads[name]
            if np.abs(g).max() < ZERO_CLASS * gmax:
                zero.append(name)
            if g.size <= FULL_MAX:
                out["grad." + name] = g
            else:
                out["gsub." + name] = g.ravel()[sub_indices(t, g.size)]
                out["gstat." + name] = projections(t, g).astype(np.float32)
        out["grad_max"] = np.array([gmax], dtype=np.float32)
        f32 = np.zeros(len(names), dtype=np.float32)
        for t, name in enumerate(names):
            if name in grads and name not in zero:
                g = grads[name]
                f32[t] = np.abs(a["grads"][name] - g).max() / np.abs(g).max()
        out["f32_err"] = f32
        meta_extra = {"zero_grads": ";".join(zero), "torch_f32_worst": "%.3g %s" % (worst, wname)}
    meta = {"params": ";".join("%s[%s]" % (k2, ",".join(str(d) for d in sd[k2].shape)) for k2 in names),
            "arch": arch, "head": head, "width_mult": str(width), "tf_same": "1" if tf_same else "0",
            "num_classes": str(n), "batch": str(BATCH), "size": str(size), "input_t": str(T_INPUT + k),
            "dropout": "0", "reference": "torch float64", **meta_extra}
    if safety is not None:
        meta["kink_safety"] = "%.3g" % safety
    if res_scale is not None:
        meta["res_scale"] = repr(float(res_scale))
        meta["res_bn_weights"] = ";".join(b["small"])
    path = os.path.join(st.fixtures_dir(), "models_%s.safetensors" % tag)
    st.write(path, {k2: np.asarray(v, dtype=np.float32) for k2, v in out.items()}, meta)
    print(path, os.path.getsize(path), "bytes", "size", size, "variant", k, "loss", out.get("loss"),
          "zero-gradient tensors", len(meta_extra.get("zero_grads", "").split(";")) if train and meta_extra["zero_grads"] else 0)


def make_forward_fixture():
    wpath = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                         "weights", "mobilenet_v2_1.0_imagenet.safetensors")
    tensors, meta = st.read(wpath)
    model = Net("mobilenet_v2", "imagenet", 1001, 1.0, tf_same=True)
    sd = model.state_dict()
    with torch.no_grad():
        for k in sd:
            if k.endswith("num_batches_tracked"):
                continue
            sd[k].copy_(torch.from_numpy(np.array(tensors[k])))
    model.eval()
    x = formula_input(2, 96, 96)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    path = os.path.join(st.fixtures_dir(), "models_forward_mnv2.safetensors")
    st.write(path, {"input": x, "logits": logits}, {"weights": "mobilenet_v2_1.0_imagenet.safetensors"})
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    which = sys.argv[1:]
    jobs = {
        "resnet18": dict(arch="resnet18", sizes=(64,), rs=("bn1", "layer2.1.bn2", "layer4.1.bn2", "head.2", "head.6")),
        "resnet34": dict(arch="resnet34", sizes=(64,), res_scale=RES_SCALE, search=True,
                         rs=("bn1", "layer3.5.bn2", "head.2", "head.6")),
        "resnet50": dict(arch="resnet50", sizes=(64,), res_scale=RES_SCALE, search=True,
                         rs=("bn1", "layer2.0.downsample.1", "layer4.2.bn3", "head.2", "head.6")),
        "mnv2_tfsame": dict(arch="mobilenet_v2", sizes=(64,), tf_same=True, res_scale=RES_SCALE, search=True,
                            rs=("features.0.1", "features.2.conv.1.1", "features.18.1", "head.2", "head.6")),
        "mnv2": dict(arch="mobilenet_v2", sizes=(64,), tf_same=False, res_scale=RES_SCALE, search=True,
                     rs=("features.0.1", "features.14.conv.1.1", "head.6")),
        "mnv2_w035": dict(arch="mobilenet_v2", sizes=(64,), width=0.35, tf_same=True, res_scale=RES_SCALE,
                          search=True, rs=("features.1.conv.0.1", "head.2")),
        "resnet18_imagenet": dict(arch="resnet18", head="imagenet", n=1000, train=False),
        "mnv2_imagenet": dict(arch="mobilenet_v2", head="imagenet", n=1001, tf_same=True, train=False),
    }
    for tag, kw in jobs.items():
        if not which or tag in which:
            make_fixture(tag, **kw)
    if not which or "forward" in which:
        make_forward_fixture()
