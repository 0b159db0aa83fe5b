"""Golden fixtures for the learner (issue 4, item 12).

fastai itself is not installed, so the schedule formulas are re-stated here
from fastai's source (fastai/callback/schedule.py: sched_cos, combine_scheds
with its float32 boundaries, combined_cos, fit_one_cycle, fine_tune, lr_range /
even_mults; the training fraction pct_train accumulated per batch as
TrainEvalCallback does), and the optimiser steps from fastai/optimizer.py
(weight_decay, average_grad, average_sqr_grad, step_stat, adam_step,
momentum_step). The Adam and SGD steps are cross-checked against torch.optim
where torch computes the same thing (AdamW with betas (0.9, 0.99), eps 1e-5 and
per-group weight decay; SGD with momentum and no dampening); the script stops if
they disagree.

Writes tests/fixtures/learner_sched.safetensors and learner_optim.safetensors.
Run with Debian's /usr/bin/python3 (torch 1.13).
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402


# ---- schedules (fastai/callback/schedule.py) --------------------------------
def sched_cos(start, end, pos):
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def sched_exp(start, end, pos):
    return start * (end / start) ** pos


def combine_scheds(pcts, scheds):
    pcts = torch.tensor([0] + list(pcts))  # float32, as fastai's tensor()
    pcts = torch.cumsum(pcts, 0)
    pct_lim = len(pcts) - 2

    def _inner(pos):
        idx = min((pos >= pcts).nonzero().max(), pct_lim)
        actual_pos = (pos - pcts[idx]) / (pcts[idx + 1] - pcts[idx])
        return scheds[idx](actual_pos.item())
    return _inner


def combined_cos(pct, start, middle, end):
    return combine_scheds([pct, 1 - pct], [lambda p: sched_cos(start, middle, p),
                                           lambda p: sched_cos(middle, end, p)])


def even_mults(start, stop, n):
    if n == 1:
        return np.array([stop])
    mult = stop / start
    step = mult ** (1 / (n - 1))
    return np.array([start * (step ** i) for i in range(n)])


def lr_range(lo, hi, n):
    if lo:
        return even_mults(lo, hi, n)
    return np.array([hi / 10] * (n - 1) + [hi])


def one_cycle(n_epoch, n_iter, lr_max, div=25., div_final=1e5, pct_start=0.25,
              moms=(0.95, 0.85, 0.95)):
    """lr per group and mom at every training batch, as ParamScheduler sets them."""
    lr_scheds = [combined_cos(pct_start, l / div, l, l / div_final) for l in lr_max]
    mom_sched = combined_cos(pct_start, *moms)
    lrs, ms = [], []
    for epoch in range(n_epoch):
        pct_train = epoch / n_epoch  # TrainEvalCallback.before_train
        for _ in range(n_iter):
            lrs.append([f(pct_train) for f in lr_scheds])
            ms.append(mom_sched(pct_train))
            pct_train += 1. / (n_iter * n_epoch)  # after_batch
    return np.array(lrs), np.array(ms)


def fine_tune(epochs, n_iter, n_groups, base_lr=2e-3, freeze_epochs=1, lr_mult=100,
              pct_start=0.3, div=5.0):
    l1, m1 = one_cycle(freeze_epochs, n_iter, lr_range(None, base_lr, n_groups), pct_start=0.99)
    base_lr /= 2
    l2, m2 = one_cycle(epochs, n_iter, lr_range(base_lr / lr_mult, base_lr, n_groups),
                       pct_start=pct_start, div=div)
    return np.concatenate([l1, l2]), np.concatenate([m1, m2])


def gen_sched():
    out = {}
    # fit_one_cycle(3, slice(1e-4, 1e-2)) over 3 groups, 7 batches per epoch.
    l, m = one_cycle(3, 7, lr_range(1e-4, 1e-2, 3))
    out["oc_lrs"], out["oc_moms"] = l, m
    # fit_one_cycle(2, 3e-3) over 1 group, 10 batches per epoch, pct_start 0.3, div 10.
    l, m = one_cycle(2, 10, lr_range(None, 3e-3, 1), pct_start=0.3, div=10.)
    out["oc1_lrs"], out["oc1_moms"] = l, m
    # fine_tune(3) with fastai's defaults, 3 groups, 6 batches per epoch.
    l, m = fine_tune(3, 6, 3)
    out["ft_lrs"], out["ft_moms"] = l, m
    # fine_tune(2, base_lr=1e-3, freeze_epochs=2), 3 groups, 4 batches per epoch.
    l, m = fine_tune(2, 4, 3, base_lr=1e-3, freeze_epochs=2)
    out["ft2_lrs"], out["ft2_moms"] = l, m
    # lr_find's exponential sweep: lr at batch i = SchedExp(1e-7, 10)(i / 100).
    out["lrfind_lrs"] = np.array([sched_exp(1e-7, 10, i / 100) for i in range(100)])
    st.write(os.path.join(st.fixtures_dir(), "learner_sched.safetensors"),
             {k: np.asarray(v, dtype=np.float32) for k, v in out.items()})


# ---- optimisers (fastai/optimizer.py) ---------------------------------------
def fastai_adam(params, grads_per_step, lrs, moms, sqr_mom=0.99, eps=1e-5, wd=0.01):
    """params: list of (tensor, group, do_wd). Returns params after each step."""
    state = [dict(grad_avg=torch.zeros_like(p), sqr_avg=torch.zeros_like(p), step=0)
             for p, _, _ in params]
    hist = []
    for s, grads in enumerate(grads_per_step):
        mom = moms[s]
        for (p, g_idx, do_wd), g, stt in zip(params, grads, state):
            lr = lrs[g_idx]
            if do_wd and wd != 0:
                p.mul_(1 - lr * wd)
            stt["grad_avg"].mul_(mom).add_(g, alpha=1 - mom)
            stt["sqr_avg"].mul_(sqr_mom).addcmul_(g, g, value=1 - sqr_mom)
            stt["step"] += 1
            d1 = (1 - mom) * (1 - mom ** stt["step"]) / (1 - mom)
            d2 = (1 - sqr_mom) * (1 - sqr_mom ** stt["step"]) / (1 - sqr_mom)
            p.addcdiv_(stt["grad_avg"], (stt["sqr_avg"] / d2).sqrt() + eps, value=-lr / d1)
        hist.append([p.clone() for p, _, _ in params])
    return hist


def fastai_sgd(params, grads_per_step, lrs, moms, wd=0.0):
    state = [torch.zeros_like(p) for p, _, _ in params]
    hist = []
    for s, grads in enumerate(grads_per_step):
        mom = moms[s]
        for (p, g_idx, do_wd), g, ga in zip(params, grads, state):
            lr = lrs[g_idx]
            if do_wd and wd != 0:
                p.mul_(1 - lr * wd)
            ga.mul_(mom).add_(g)
            p.add_(ga, alpha=-lr)
        hist.append([p.clone() for p, _, _ in params])
    return hist


# Two groups: group 0 = conv-like weight + its bias + a BatchNorm weight/bias,
# group 1 = linear weight + bias. Names and flags mirror sw_param.
PARAMS = [  # name, shape, group, is_bn, is_bias
    ("g0.weight", (4, 3), 0, False, False),
    ("g0.bias", (4,), 0, False, True),
    ("g0.bn.weight", (4,), 0, True, False),
    ("g0.bn.bias", (4,), 0, True, False),
    ("g1.weight", (2, 4), 1, False, False),
    ("g1.bias", (2,), 1, False, True),
]


def gen_optim():
    rng = np.random.default_rng(1234)
    out = {}
    init = {n: rng.standard_normal(s).astype(np.float32) for n, s, _, _, _ in PARAMS}
    grads = [{n: rng.standard_normal(s).astype(np.float32) for n, s, _, _, _ in PARAMS}
             for _ in range(3)]
    for n in init:
        out["init." + n] = init[n]
        for k in range(3):
            out[f"grad{k}.{n}"] = grads[k][n]
    lrs = [1e-3, 3e-2]
    out["lrs"] = np.array(lrs, dtype=np.float32)

    def mk():
        return [(torch.tensor(init[n]), g, not (bn or bias)) for n, _, g, bn, bias in PARAMS]
    glist = [[torch.tensor(grads[k][n]) for n, *_ in PARAMS] for k in range(3)]

    # 1. Adam, constant mom 0.9: fastai formula == torch AdamW with per-group wd.
    ps = mk()
    hist = fastai_adam(ps, glist, lrs, [0.9, 0.9, 0.9])
    tparams = [torch.tensor(init[n], requires_grad=True) for n, *_ in PARAMS]
    groups = []
    for gi in range(2):
        for do_wd in (True, False):
            sel = [t for t, (n, _, g, bn, bias) in zip(tparams, PARAMS)
                   if g == gi and (not (bn or bias)) == do_wd]
            if sel:
                groups.append(dict(params=sel, lr=lrs[gi], weight_decay=0.01 if do_wd else 0.0))
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.99), eps=1e-5)
    for k in range(3):
        for t, g in zip(tparams, glist[k]):
            t.grad = g.clone()
        opt.step()
    for (n, *_), t, f in zip(PARAMS, tparams, hist[-1]):
        err = (t.detach() - f).abs().max().item()
        assert err < 1e-6, f"fastai Adam vs torch AdamW disagree on {n}: {err}"
    for k in range(3):
        for (n, *_), p in zip(PARAMS, hist[k]):
            out[f"adam.step{k}.{n}"] = p.numpy()

    # 2. Adam with the momentum changing each step (as one-cycle sets it).
    moms = [0.95, 0.9, 0.87]
    out["adam_moms"] = np.array(moms, dtype=np.float32)
    ps = mk()
    hist = fastai_adam(ps, glist, lrs, moms)
    for k in range(3):
        for (n, *_), p in zip(PARAMS, hist[k]):
            out[f"adammom.step{k}.{n}"] = p.numpy()

    # 3. SGD with momentum 0.9, no weight decay: fastai == torch SGD(dampening=0).
    ps = mk()
    hist = fastai_sgd(ps, glist, lrs, [0.9, 0.9, 0.9])
    tparams = [torch.tensor(init[n], requires_grad=True) for n, *_ in PARAMS]
    groups = [dict(params=[t for t, p in zip(tparams, PARAMS) if p[2] == gi], lr=lrs[gi])
              for gi in range(2)]
    opt = torch.optim.SGD(groups, momentum=0.9)
    for k in range(3):
        for t, g in zip(tparams, glist[k]):
            t.grad = g.clone()
        opt.step()
    for (n, *_), t, f in zip(PARAMS, tparams, hist[-1]):
        err = (t.detach() - f).abs().max().item()
        assert err < 1e-6, f"fastai SGD vs torch SGD disagree on {n}: {err}"
    for k in range(3):
        for (n, *_), p in zip(PARAMS, hist[k]):
            out[f"sgd.step{k}.{n}"] = p.numpy()

    # 4. SGD with momentum and decoupled weight decay 0.1 (fastai's weight_decay step).
    ps = mk()
    hist = fastai_sgd(ps, glist, lrs, [0.9, 0.9, 0.9], wd=0.1)
    for k in range(3):
        for (n, *_), p in zip(PARAMS, hist[k]):
            out[f"sgdwd.step{k}.{n}"] = p.numpy()

    st.write(os.path.join(st.fixtures_dir(), "learner_optim.safetensors"), out)


# ---- lr_find suggestions (fastai's valley, minimum, steep) -------------------
def valley(lrs, losses, num_it):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def minimum(lrs, losses, num_it):
    return lrs[losses.argmin()].item() / 10


def steep(lrs, losses, num_it):
    grads = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return lrs[grads.argmin()].item()


def gen_suggest():
    """Three recorded sweeps (smoothed loss after each batch, with the 4x-minimum
    stop) and fastai's suggestions for each."""
    out = {}
    rng = np.random.default_rng(7)
    num_it = 100
    for k, (centre, noise) in enumerate([(-3.0, 0.02), (-4.5, 0.05), (-2.0, 0.0)]):
        val, count, best = 0.0, 0, float("inf")
        rec_l, rec_loss = [], []
        for i in range(num_it):
            lr = sched_exp(1e-7, 10, i / num_it)
            x = math.log10(lr)
            raw = 2.3 - 1.8 / (1 + math.exp(-(x - centre) * 1.5)) + 0.02 * math.exp(2.2 * (x - centre))
            raw += noise * rng.standard_normal()
            count += 1
            val = raw + 0.98 * (val - raw)
            smooth = val / (1 - 0.98 ** count)
            rec_l.append(lr)
            rec_loss.append(smooth)
            best = min(best, smooth)
            if smooth > 4 * best:
                break
        lrs = torch.tensor(rec_l[num_it // 10:-5])
        losses = torch.tensor(rec_loss[num_it // 10:-5])
        out[f"sweep{k}.lrs"] = np.array(rec_l, dtype=np.float32)
        out[f"sweep{k}.losses"] = np.array(rec_loss, dtype=np.float32)
        out[f"sweep{k}.suggest"] = np.array([valley(lrs, losses, num_it), minimum(lrs, losses, num_it),
                                              steep(lrs, losses, num_it)], dtype=np.float32)
    st.write(os.path.join(st.fixtures_dir(), "learner_suggest.safetensors"), out)


if __name__ == "__main__":
    torch.manual_seed(0)
    gen_sched()
    gen_optim()
    gen_suggest()
    print("wrote learner_sched, learner_optim, learner_suggest .safetensors")
