#!/usr/bin/python3
"""Per-layer side-by-side: Swell's convolutions vs PyTorch's on the same shapes (issue 11).

Runs `bench_engine_layers --other 1` (the 7x7 stride-2 stem, 3x3 stride 2, the
1x1 stride-2 projections and ResNet-50's 1x1 stride-1 convs at 224x224) and
the same shapes in PyTorch (F.conv2d forward, aten.convolution_backward for
backward-data and backward-weights, as autograd calls it), both with the same
thread count, in one run. The two sides alternate, --rounds times, each side
in its own process; every figure is the minimum over the rounds (and over
--iters repeats inside each), so a machine shared with other work still
gives fair ratios. Prints both sides' milliseconds per pass and the ratio
PyTorch / Swell (> 1: Swell is faster), per pass and over the passes a
training step runs.

Usage:
    /usr/bin/python3 bench/bench_layers_torch.py --build BUILD_DIR [--batch 16]
        [--threads 2] [--iters 3] [--rounds 3] [--match SUBSTRING]

--match keeps only the convs whose name contains SUBSTRING (e.g. '1x1s2').
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine import cpu_name  # noqa: E402

PASSES = ["forward", "bwd-data", "bwd-weights"]


def parse_rows(text):
    """Rows of `bench_engine_layers --other 1`: {name: (shape, [fwd, bdata|None, bweights])}."""
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or not parts[0] in ("stem", "3x3s2", "1x1s2", "1x1"):
            continue
        name = " ".join(parts[:-3])
        vals = [None if v == "-" else float(v) for v in parts[-3:]]
        rows[name] = vals
    return rows


def shape_of(name):
    """'1x1s2 256->512 @56' or 'stem 7x7s2 3->64 @224' -> (Cin, H, Cout, K, stride, pad)."""
    parts = name.split()
    kind = parts[-3]
    k = int(kind[0])
    s = int(kind.split("s")[1]) if "s" in kind else 1
    cin, cout = (int(v) for v in parts[-2].split("->"))
    h = int(parts[-1][1:])
    return cin, h, cout, k, s, k // 2


def run_swell(build, batch, threads, iters):
    exe = os.path.join(build, "bench", "bench_engine_layers")
    out = subprocess.run([exe, "--other", "1", "--batch", str(batch), "--threads", str(threads),
                          "--iters", str(iters)], check=True, capture_output=True, text=True)
    return parse_rows(out.stdout)


def torch_worker(names, batch, threads, iters):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    for name in names:
        cin, h, cout, k, s, pad = shape_of(name)
        x = torch.randn(batch, cin, h, h)
        w = torch.randn(cout, cin, k, k) * 0.05
        with torch.no_grad():
            y = F.conv2d(x, w, None, s, pad)
        dy = torch.randn_like(y)
        need_dinp = not name.startswith("stem")

        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, None, s, pad)

        def bwd(mask):
            torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [pad, pad], [1, 1], False,
                                                [0, 0], 1, mask)

        calls = [fwd, (lambda: bwd([True, False, False])) if need_dinp else None,
                 lambda: bwd([False, True, False])]
        best = [None, None, None]
        for fn in calls:  # warm-up: oneDNN builds its primitives on the first call
            if fn is not None:
                fn()
        for _ in range(iters):
            for p, fn in enumerate(calls):
                if fn is None:
                    continue
                t0 = time.perf_counter()
                fn()
                t = (time.perf_counter() - t0) * 1e3
                best[p] = t if best[p] is None or t < best[p] else best[p]
        print(name, *["-" if v is None else f"{v:.2f}" for v in best], flush=True)


def run_torch(names, batch, threads, iters):
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--batch", str(batch),
           "--threads", str(threads), "--iters", str(iters)]
    out = subprocess.run(cmd, input="\n".join(names), check=True, capture_output=True, text=True)
    return parse_rows(out.stdout)


def merge_min(acc, rows):
    for name, vals in rows.items():
        old = acc.setdefault(name, vals)
        acc[name] = [None if a is None else min(a, b) for a, b in zip(old, vals)]


def fmt(v):
    return f"{v:8.2f}" if v is not None else f"{'-':>8}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--match", default="", help="only the convs whose name contains this")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_worker:
        names = [ln.strip() for ln in sys.stdin if ln.strip()]
        torch_worker(names, a.batch, a.threads, a.iters)
        return
    sw, th = {}, {}
    names = None
    for r in range(a.rounds):
        # alternate which side goes first
        order = ["swell", "torch"] if r % 2 == 0 else ["torch", "swell"]
        for side in order:
            if side == "swell":
                rows = run_swell(a.build, a.batch, a.threads, a.iters)
                rows = {k: v for k, v in rows.items() if a.match in k}
                names = names or list(rows)
                merge_min(sw, rows)
            else:
                if names is None:
                    names = [k for k in run_swell(a.build, a.batch, a.threads, 1) if a.match in k]
                merge_min(th, run_torch(names, a.batch, a.threads, a.iters))
    import torch

    print(f"Swell vs PyTorch {torch.__version__} per conv layer: batch {a.batch}, "
          f"{a.threads} threads, min of {a.rounds} interleaved rounds x {a.iters} repeats")
    print(f"CPU: {cpu_name()}")
    print(f"{'conv':<24} {'pass':<12} {'swell ms':>8} {'torch ms':>8} {'torch/swell':>11}")
    tot_s = tot_t = 0.0
    worst = None
    for name in names:
        s, t = sw[name], th[name]
        step_s = sum(v for v in s if v is not None)
        step_t = sum(v for v in t if v is not None)
        tot_s += step_s
        tot_t += step_t
        for p in range(3):
            if s[p] is None:
                continue
            ratio = t[p] / s[p]
            if worst is None or ratio < worst[0]:
                worst = (ratio, name, PASSES[p])
            print(f"{name if p == 0 else '':<24} {PASSES[p]:<12} {fmt(s[p])} {fmt(t[p])} "
                  f"{ratio:10.2f}x")
        print(f"{'':<24} {'all passes':<12} {fmt(step_s)} {fmt(step_t)} {step_t / step_s:10.2f}x")
    print(f"{'all layers':<24} {'all passes':<12} {fmt(tot_s)} {fmt(tot_t)} {tot_t / tot_s:10.2f}x")
    print(f"slowest against PyTorch: {worst[1]} {worst[2]} at {worst[0]:.2f}x")


if __name__ == "__main__":
    main()
