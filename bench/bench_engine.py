#!/usr/bin/python3
"""Engine benchmark: Swell's C engine vs PyTorch (issue 2, item 8).

Training-step and inference throughput (images per second) for resnet34 and
mobilenet_v2 with fastai's head, batch 16, 224x224, 2 threads, on both sides.
Every measurement runs in its own subprocess, so the peak resident memory
(ru_maxrss from wait4) belongs to that side and mode alone.

A training step on both sides: zero grads, forward in training mode, softmax
cross-entropy, backward, plain SGD update (no momentum). Inference: forward
in eval mode (PyTorch under torch.no_grad()). The reported figure is the
median step time over --iters steps after --warmup steps.

Usage (see bench/README.md):
    /usr/bin/python3 bench/bench_engine.py --build BUILD_DIR [--iters 5] [--warmup 2]
"""
import argparse
import json
import os
import subprocess
import sys
import time

ARCHS = ["resnet34", "mobilenet_v2"]
MODES = ["train", "infer"]


def run_measured(cmd, env=None):
    """Runs cmd, returns (parsed last JSON line of stdout, peak RSS in MiB)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with status {p.returncode}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} printed no result")
    return json.loads(lines[-1]), ru.ru_maxrss / 1024.0


# ---- the PyTorch side (runs in its own subprocess) ---------------------------

def torch_worker(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    class AdaptiveConcatPool2d(nn.Module):
        def forward(self, x):
            return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1)

    if args.arch == "mobilenet_v2":
        body = torchvision.models.mobilenet_v2().features
        nf = 1280
    else:
        r = getattr(torchvision.models, args.arch)()
        body = nn.Sequential(*list(r.children())[:-2])
        nf = r.fc.in_features
    # fastai create_head(2*nf, n_classes): lin_ftrs [512], ps [0.25, 0.5]
    head = nn.Sequential(
        AdaptiveConcatPool2d(), nn.Flatten(),
        nn.BatchNorm1d(2 * nf), nn.Dropout(0.25), nn.Linear(2 * nf, 512, bias=False),
        nn.ReLU(inplace=True),
        nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, args.classes, bias=False))
    model = nn.Sequential(body, head)
    x = torch.randn(args.batch, 3, args.size, args.size)
    t = torch.randint(0, args.classes, (args.batch,))
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0)
    train = args.mode == "train"
    model.train(train)
    times = []
    check = 0.0
    for it in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        if train:
            opt.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(x), t)
            loss.backward()
            opt.step()
            check = float(loss)
        else:
            with torch.no_grad():
                check = float(model(x)[0, 0])
        times.append(time.perf_counter() - t0)
        print(f"{args.arch} {args.mode} step {it}: {times[-1]:.3f} s", file=sys.stderr)
    ts = sorted(times[args.warmup:])
    n = len(ts)
    med = ts[n // 2] if n % 2 else 0.5 * (ts[n // 2 - 1] + ts[n // 2])
    print(json.dumps({"side": "torch", "arch": args.arch, "mode": args.mode, "batch": args.batch,
                      "size": args.size, "threads": args.threads, "iters": args.iters,
                      "step_s": med, "images_per_s": args.batch / med, "check": check,
                      "torch": torch.__version__}))


# ---- the driver ----------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("SWELL_BUILD", "build"),
                    help="meson build directory holding bench/bench_engine")
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--worker", choices=["torch"], help=argparse.SUPPRESS)
    ap.add_argument("--arch", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "torch":
        torch_worker(args)
        return

    exe = os.path.join(args.build, "bench", "bench_engine")
    if not os.access(exe, os.X_OK):
        sys.exit(f"bench_engine.py: {exe} not found; build it with "
                 f"'ninja -C {args.build} bench/bench_engine'")
    common = ["--batch", str(args.batch), "--size", str(args.size), "--threads",
              str(args.threads), "--warmup", str(args.warmup), "--iters", str(args.iters),
              "--classes", str(args.classes)]
    load_before = os.getloadavg()[0]
    rows = []
    for arch in args.archs.split(","):
        for mode in args.modes.split(","):
            ours, our_mb = run_measured([exe, "--arch", arch, "--mode", mode] + common)
            theirs, their_mb = run_measured(
                [sys.executable, os.path.abspath(__file__), "--worker", "torch", "--arch", arch,
                 "--mode", mode] + common)
            rows.append({"arch": arch, "mode": mode,
                         "swell_images_per_s": ours["images_per_s"],
                         "torch_images_per_s": theirs["images_per_s"],
                         "ratio": ours["images_per_s"] / theirs["images_per_s"],
                         "swell_peak_mib": our_mb, "torch_peak_mib": their_mb})
            print(f"  done {arch} {mode}", file=sys.stderr)

    print(f"batch {args.batch}, {args.size}x{args.size}, {args.threads} threads, "
          f"median of {args.iters} steps after {args.warmup} warm-up steps")
    # other jobs on the same cores distort every figure: say how busy it was
    print(f"1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} CPUs)")
    hdr = (f"{'arch':<14}{'mode':<7}{'swell img/s':>12}{'torch img/s':>13}{'ratio':>8}"
           f"{'swell peak MiB':>16}{'torch peak MiB':>16}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['arch']:<14}{r['mode']:<7}{r['swell_images_per_s']:>12.2f}"
              f"{r['torch_images_per_s']:>13.2f}{r['ratio']:>8.2f}"
              f"{r['swell_peak_mib']:>16.0f}{r['torch_peak_mib']:>16.0f}")
    print("ratio = swell images/s / torch images/s (higher is better for swell)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
