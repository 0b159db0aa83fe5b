#!/usr/bin/python3
"""Engine benchmark: Swell's C engine vs PyTorch and ONNX Runtime (issues 2 and 11).

Training-step and inference throughput (images per second) for resnet18,
resnet34, resnet50 and mobilenet_v2 with fastai's head, batch 16, 224x224,
2 threads, on every side. Inference also runs in ONNX Runtime (the CPU library
inside npm's onnxruntime-node, installed with `npm install --ignore-scripts`
into --ort-dir when missing) on an ONNX file that torch.onnx.export writes from
the same PyTorch model (eval mode, opset 13, cached in --ort-dir).
Every measurement runs in its own subprocess, so the peak resident memory
(ru_maxrss from wait4) belongs to that side and mode alone.

A training step on both sides: zero grads, forward in training mode, softmax
cross-entropy, backward, plain SGD update (no momentum). Inference: forward
in eval mode (PyTorch under torch.no_grad()). The reported figure is the
median step time over --iters steps after --warmup steps.

With --rounds N every (arch, mode) is measured N times, the rounds
interleaved (round 1 of everything, then round 2, ...), and the table shows
each side's median and the range of the per-round ratios. With --base
BUILD_DIR a second Swell build (say, main) runs in the same rounds, just
before this one, and `vs base` is this build's speed over it: before/after
ratios measured side by side.

Usage (see bench/README.md):
    /usr/bin/python3 bench/bench_engine.py --build BUILD_DIR [--iters 5] [--warmup 2] [--no-ort]
        [--rounds N] [--base BASE_BUILD_DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import time

ARCHS = ["resnet18", "resnet34", "resnet50", "mobilenet_v2"]
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

def torch_model(args):
    """The benchmarked network: torchvision body + fastai's create_head."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision

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
    return nn.Sequential(body, head)


def torch_worker(args):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torch_model(args)
    if args.export_onnx:
        model.eval()
        x = torch.randn(1, 3, args.size, args.size)
        torch.onnx.export(model, x, args.export_onnx, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}},
                          opset_version=13)
        print(json.dumps({"exported": args.export_onnx}))
        return
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


# ---- ONNX Runtime (node + onnxruntime-node from the npm registry) ------------

def ensure_ort(ort_dir):
    """Installs onnxruntime-node into ort_dir if needed; returns the worker script."""
    pkg = os.path.join(ort_dir, "node_modules", "onnxruntime-node", "package.json")
    if not os.path.exists(pkg):
        os.makedirs(ort_dir, exist_ok=True)
        print(f"bench_engine.py: installing onnxruntime-node into {ort_dir}", file=sys.stderr)
        # --ignore-scripts: its install script fetches GPU libraries from elsewhere;
        # the CPU library is inside the package.
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                        "--prefix", ort_dir, "onnxruntime-node"], check=True,
                       stdout=subprocess.DEVNULL)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_worker.js")


def export_onnx(args, arch):
    """The same PyTorch model as an ONNX file (cached per arch, size and classes)."""
    path = os.path.join(args.ort_dir, f"{arch}_{args.size}_{args.classes}.onnx")
    if not os.path.exists(path):
        run_measured([sys.executable, os.path.abspath(__file__), "--worker", "torch",
                      "--arch", arch, "--mode", "infer", "--size", str(args.size),
                      "--classes", str(args.classes), "--export-onnx", path])
    return path


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


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
    ap.add_argument("--rounds", type=int, default=1, help="interleaved repetitions")
    ap.add_argument("--base", help="a second Swell build dir measured in the same rounds")
    ap.add_argument("--no-ort", action="store_true", help="leave out ONNX Runtime")
    ap.add_argument("--ort-dir", default=os.path.expanduser("~/.cache/swell-bench/onnxruntime"),
                    help="folder for onnxruntime-node and the exported ONNX files")
    ap.add_argument("--export-onnx", help=argparse.SUPPRESS)
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
    ort = None if args.no_ort else ensure_ort(args.ort_dir)
    base_exe = None
    if args.base:
        base_exe = os.path.join(args.base, "bench", "bench_engine")
        if not os.access(base_exe, os.X_OK):
            sys.exit(f"bench_engine.py: {base_exe} not found")
    load_before = os.getloadavg()[0]
    loads = []
    combos = [(a, m) for a in args.archs.split(",") for m in args.modes.split(",")]
    runs = {c: [] for c in combos}
    for rnd in range(args.rounds):
        loads.append(os.getloadavg()[0])
        for arch, mode in combos:
            row = {"arch": arch, "mode": mode, "round": rnd + 1}
            if base_exe:
                b, b_mb = run_measured([base_exe, "--arch", arch, "--mode", mode] + common)
                row.update({"base_images_per_s": b["images_per_s"], "base_peak_mib": b_mb})
            ours, our_mb = run_measured([exe, "--arch", arch, "--mode", mode] + common)
            theirs, their_mb = run_measured(
                [sys.executable, os.path.abspath(__file__), "--worker", "torch", "--arch", arch,
                 "--mode", mode] + common)
            row.update({"swell_images_per_s": ours["images_per_s"],
                        "torch_images_per_s": theirs["images_per_s"],
                        "ratio": ours["images_per_s"] / theirs["images_per_s"],
                        "swell_peak_mib": our_mb, "torch_peak_mib": their_mb})
            if base_exe:
                row["vs_base"] = ours["images_per_s"] / row["base_images_per_s"]
                row["base_ratio"] = row["base_images_per_s"] / theirs["images_per_s"]
            if ort and mode == "infer":
                onnx = export_onnx(args, arch)
                o, o_mb = run_measured(["node", ort, args.ort_dir, onnx, str(args.batch),
                                        str(args.size), str(args.threads), str(args.warmup),
                                        str(args.iters), arch])
                row.update({"ort_images_per_s": o["images_per_s"], "ort_peak_mib": o_mb,
                            "ort_ratio": ours["images_per_s"] / o["images_per_s"],
                            "onnxruntime": o["onnxruntime"]})
                if base_exe:
                    row["base_ort_ratio"] = row["base_images_per_s"] / o["images_per_s"]
            runs[(arch, mode)].append(row)
            print(f"  round {rnd + 1}: {arch} {mode} ratio {row['ratio']:.2f}"
                  + (f" vs base {row['vs_base']:.2f}" if base_exe else ""), file=sys.stderr)

    def med(xs):
        xs = sorted(xs)
        n = len(xs)
        return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])

    def rng(rs, key):
        v = [r[key] for r in rs]
        return f"{min(v):.2f}-{max(v):.2f}" if len(v) > 1 else f"{v[0]:.2f}"

    print(f"batch {args.batch}, {args.size}x{args.size}, {args.threads} threads, "
          f"median of {args.iters} steps after {args.warmup} warm-up steps, "
          f"{args.rounds} interleaved round(s)")
    # other jobs on the same cores distort every figure: say how busy it was
    print(f"1-minute load average {load_before:.1f} before, "
          f"{', '.join(f'{x:.1f}' for x in loads[1:])}{' at later rounds, ' if len(loads) > 1 else ''}"
          f"{os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")
    print(f"CPU: {cpu_name()}")
    hdr = (f"{'arch':<14}{'mode':<7}{'swell img/s':>12}{'torch img/s':>13}{'ratio':>12}"
           f"{'ort img/s':>11}{'ort ratio':>12}"
           + (f"{'base img/s':>12}{'vs base':>12}{'base ratio':>12}" if base_exe else "")
           + f"{'swell MiB':>11}{'torch MiB':>11}{'ort MiB':>9}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for c in combos:
        rs = runs[c]
        r = {"arch": c[0], "mode": c[1], "rounds": rs}
        for k in rs[0]:
            if k not in ("arch", "mode", "round", "onnxruntime"):
                r[k] = med([x[k] for x in rs])
        if "onnxruntime" in rs[0]:
            r["onnxruntime"] = rs[0]["onnxruntime"]
        rows.append(r)
        has_ort = "ort_images_per_s" in r
        print(f"{r['arch']:<14}{r['mode']:<7}{r['swell_images_per_s']:>12.2f}"
              f"{r['torch_images_per_s']:>13.2f}{rng(rs, 'ratio'):>12}"
              + (f"{r['ort_images_per_s']:>11.2f}{rng(rs, 'ort_ratio'):>12}" if has_ort
                 else f"{'-':>11}{'-':>12}")
              + (f"{r['base_images_per_s']:>12.2f}{rng(rs, 'vs_base'):>12}"
                 f"{rng(rs, 'base_ratio'):>12}" if base_exe else "")
              + f"{r['swell_peak_mib']:>11.0f}{r['torch_peak_mib']:>11.0f}"
              + (f"{r['ort_peak_mib']:>9.0f}" if has_ort else f"{'-':>9}"))
    print("ratio = swell images/s / torch images/s, ort ratio = swell / ONNX Runtime "
          "(higher is better for swell; with rounds: min-max over the rounds, img/s and MiB "
          "medians); MiB = peak resident memory of that side's process"
          + ("; vs base = this build / the base build, base ratio = base / torch" if base_exe
             else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
