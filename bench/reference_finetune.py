"""PyTorch re-implementation of Swell's training recipe (issue 4, item 11).

fastai's vision_learner + fine_tune, written out in plain PyTorch (fastai is not
installed): torchvision MobileNetV2 body from a safetensors file (with
TensorFlow 'same' padding emulated when the file's metadata says so), fastai's
create_head (AdaptiveConcatPool2d, Flatten, BatchNorm1d, Dropout 0.25,
Linear(2nf, 512, bias=False), ReLU, BatchNorm1d, Dropout 0.5, Linear(512, n,
bias=False); kaiming-normal linears, BatchNorm bias 1e-3), three parameter
groups (features[0:9], features[9:19], head), fastai's Adam (betas from the
momentum schedule and 0.99, eps 1e-5, decoupled wd 0.01, none on BatchNorm
parameters and biases), fine_tune(epochs): frozen one-cycle over slice(base_lr)
with pct_start 0.99 (BatchNorm in the body stays trainable), optimiser state
reset, base_lr/2, unfrozen one-cycle over slice(base_lr/100, base_lr/2) with
pct_start 0.3 and div 5; cosine one-cycle for lr and momentum (0.95, 0.85,
0.95), updated every batch. Data: RandomResizedCrop(size) + horizontal flip for
training (shuffled, drop_last), Resize(size) + CenterCrop(size) for validation,
normalised with the weights' mean/std. Training photos are decoded once and kept
with their short side at size + 32, as Swell's loader caches them.

Prints one JSON line: {"data":..,"seed":..,"accuracy":..,"seconds":..,"epochs":[...]}.
Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14):
  /usr/bin/python3 bench/reference_finetune.py --data ../shared/datasets/weather4_small \
      --weights ../shared/weights/mobilenet_v2_1.0_imagenet.safetensors --epochs 10 --seed 0
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
import st  # noqa: E402


# ---- model -------------------------------------------------------------------
class TFSamePad(nn.Module):
    """Pads (left 0, right 1, top 0, bottom 1) before a stride-2 3x3 conv run with padding 0."""

    def __init__(self, conv):
        super().__init__()
        conv.padding = (0, 0)
        self.conv = conv

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class AdaptiveConcatPool2d(nn.Module):
    def forward(self, x):
        return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1)


def fastai_head(nf, n_out):
    layers = [AdaptiveConcatPool2d(), nn.Flatten(),
              nn.BatchNorm1d(nf), nn.Dropout(0.25), nn.Linear(nf, 512, bias=False), nn.ReLU(inplace=True),
              nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, n_out, bias=False)]
    head = nn.Sequential(*layers)
    for m in head.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight)
        if isinstance(m, nn.BatchNorm1d):
            m.weight.data.fill_(1.0)
            m.bias.data.fill_(1e-3)
    return head


def build_resnet(arch, weights, n_classes):
    """A torchvision ResNet body (conv1 .. layer4) from a .pth state dict, fastai's head."""
    net = getattr(torchvision.models, arch)()
    sd = torch.load(weights, map_location="cpu")
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert not [k for k in missing if not k.endswith("num_batches_tracked")] and \
        not [k for k in unexpected if not k.startswith("fc.")], (missing, unexpected)
    body = nn.Sequential(*list(net.children())[:-2])
    nf = 2 * net.fc.in_features
    return nn.Sequential(body, fastai_head(nf, n_classes)), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def build_model(weights, n_classes, arch="mobilenet_v2"):
    if arch.startswith("resnet"):
        return build_resnet(arch, weights, n_classes)
    sd, meta = st.read(weights)
    wm = float(meta.get("width_mult", "1.0"))
    net = torchvision.models.mobilenet_v2(width_mult=wm)
    body_sd = {k[len("features."):]: torch.tensor(np.array(v)) for k, v in sd.items()
               if k.startswith("features.")}
    body = net.features
    missing, unexpected = body.load_state_dict(body_sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    assert not missing and not unexpected, (missing, unexpected)
    if meta.get("padding", "").startswith("tf_same"):
        for name, mod in list(body.named_modules()):
            for cname, child in list(mod.named_children()):
                if isinstance(child, nn.Conv2d) and child.stride == (2, 2) and child.kernel_size == (3, 3):
                    setattr(mod, cname, TFSamePad(child))
    mean = json.loads(meta.get("mean", "[0.485, 0.456, 0.406]"))
    std = json.loads(meta.get("std", "[0.229, 0.224, 0.225]"))
    nf = 2 * body[-1][0].out_channels if isinstance(body[-1][0], nn.Conv2d) else 2560
    model = nn.Sequential(body, fastai_head(nf, n_classes))
    return model, mean, std


def param_groups(model):
    # fastai's splits: mobilenet_v2 features[0:9] | [9:19] | head (Swell's); ResNet
    # (conv1, bn1, relu, maxpool, layer1, layer2) | (layer3, layer4) | head (_resnet_split).
    body, head = model[0], model[1]
    cut = 6 if isinstance(body[0], nn.Conv2d) and len(body) == 8 else 9
    return [list(body[:cut].parameters()), list(body[cut:].parameters()), list(head.parameters())]


def bn_bias_params(model):
    out = set()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            out.update(id(p) for p in m.parameters())
        elif isinstance(m, (nn.Linear, nn.Conv2d)) and m.bias is not None:
            out.add(id(m.bias))
    return out


def freeze_to(model, n):
    bn = {id(p) for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
          for p in m.parameters()}
    for gi, g in enumerate(param_groups(model)):
        for p in g:
            p.requires_grad_(gi >= n or id(p) in bn)


# ---- schedules (fastai) ----------------------------------------------------------
def sched_cos(start, end, pos):
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def combined_cos(pct, start, middle, end, pos):
    if pos < pct:
        return sched_cos(start, middle, pos / pct)
    return sched_cos(middle, end, (pos - pct) / (1 - pct))


def lr_range(lo, hi, n):
    if lo:
        step = (hi / lo) ** (1 / (n - 1))
        return [lo * step ** i for i in range(n)]
    return [hi / 10] * (n - 1) + [hi]


# ---- data ------------------------------------------------------------------------
def split_dirs(root):
    tr = os.path.join(root, "train")
    for v in ("valid", "val", "validation"):
        if os.path.isdir(os.path.join(root, v)):
            return tr, os.path.join(root, v)
    raise SystemExit(f"{root}: no valid/ or val/ folder")


def fit_one_cycle(model, loader, valid_loader, n_epoch, lr_max, pct_start, div, div_final=1e5,
                  moms=(0.95, 0.85, 0.95), wd=0.01, stage="", log=None):
    nobn = bn_bias_params(model)
    groups = []
    for gi, g in enumerate(param_groups(model)):
        for decay in (True, False):
            ps = [p for p in g if p.requires_grad and ((id(p) not in nobn) == decay)]
            if ps:
                groups.append(dict(params=ps, weight_decay=wd if decay else 0.0, g=gi))
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(moms[0], 0.99), eps=1e-5)  # fresh state
    n_iter = len(loader)
    for epoch in range(n_epoch):
        t0 = time.time()
        model.train()
        pct = epoch / n_epoch
        smooth, count = 0.0, 0
        for x, y in loader:
            for pg in opt.param_groups:
                l = lr_max[pg["g"]]
                pg["lr"] = combined_cos(pct_start, l / div, l, l / div_final, pct)
                pg["betas"] = (combined_cos(pct_start, *moms, pct), 0.99)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            count += 1
            smooth = loss.item() + 0.98 * (smooth - loss.item())
            pct += 1 / (n_iter * n_epoch)
        acc, vloss = evaluate(model, valid_loader)
        if log is not None:
            log.append(dict(stage=stage, epoch=epoch, train_loss=smooth / (1 - 0.98 ** count),
                            valid_loss=vloss, accuracy=acc, seconds=time.time() - t0))
            print(json.dumps(log[-1]), file=sys.stderr, flush=True)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct, total, loss = 0, 0, 0.0
    for x, y in loader:
        out = model(x)
        loss += F.cross_entropy(out, y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
        total += len(y)
    return correct / total, loss / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--arch", default="mobilenet_v2",
                    help="mobilenet_v2 (safetensors weights) or resnet18/34/50 (a torchvision .pth)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--freeze-epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    t0 = time.time()
    tr_dir, va_dir = split_dirs(args.data)
    model, mean, std = build_model(args.weights, len(torchvision.datasets.ImageFolder(tr_dir).classes),
                                   args.arch)
    norm = transforms.Normalize(mean, std)
    # Each photo is decoded once and kept with its short side at size + 32 (256 for
    # 224), as Swell's loader caches it; crops are taken from that copy.
    cache_side = args.size + int(math.ceil(args.size * 0.14 / 8)) * 8

    def load_small(path, side):
        from PIL import Image
        with open(path, "rb") as f:
            img = Image.open(f)
            img.draft("RGB", (side, side))
            img = img.convert("RGB")
        return transforms.functional.resize(img, side)

    train_tf = transforms.Compose([transforms.RandomResizedCrop(args.size), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    valid_tf = transforms.Compose([transforms.Resize(args.size), transforms.CenterCrop(args.size),
                                   transforms.ToTensor(), norm])
    raw_train = torchvision.datasets.ImageFolder(tr_dir)
    raw_valid = torchvision.datasets.ImageFolder(va_dir)
    assert raw_train.classes == raw_valid.classes
    train_imgs = [(load_small(p, cache_side), y) for p, y in raw_train.samples]
    valid_x = torch.stack([valid_tf(torchvision.datasets.folder.pil_loader(p)) for p, _ in raw_valid.samples])
    valid_y = torch.tensor([y for _, y in raw_valid.samples])

    class TrainDS(torch.utils.data.Dataset):
        def __len__(self):
            return len(train_imgs)

        def __getitem__(self, i):
            img, y = train_imgs[i]
            return train_tf(img), y

    train_ds = TrainDS()
    valid_ds = torch.utils.data.TensorDataset(valid_x, valid_y)
    g = torch.Generator()
    g.manual_seed(args.seed)
    train_dl = torch.utils.data.DataLoader(train_ds, batch_size=args.batch_size, shuffle=True,
                                           drop_last=True, generator=g, num_workers=0)
    valid_dl = torch.utils.data.DataLoader(valid_ds, batch_size=args.batch_size, shuffle=False)
    log = []
    base_lr = args.lr
    freeze_to(model, 2)
    fit_one_cycle(model, train_dl, valid_dl, args.freeze_epochs, lr_range(None, base_lr, 3),
                  pct_start=0.99, div=25.0, stage="frozen", log=log)
    base_lr /= 2
    freeze_to(model, 0)
    fit_one_cycle(model, train_dl, valid_dl, args.epochs, lr_range(base_lr / 100, base_lr, 3),
                  pct_start=0.3, div=5.0, stage="unfrozen", log=log)
    acc, vloss = evaluate(model, valid_dl)
    print(json.dumps(dict(data=os.path.basename(os.path.normpath(args.data)), seed=args.seed,
                          accuracy=acc, valid_loss=vloss, seconds=time.time() - t0, epochs=log)))


if __name__ == "__main__":
    main()
