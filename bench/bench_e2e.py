"""End-to-end fine-tune: swell-cli train against bench/reference_finetune.py (issue 11).

Both sides run the same recipe (fastai's fine_tune: --freeze-epochs frozen epochs,
then --epochs unfrozen ones, batch 16, 224x224, RandomResizedCrop + flip, 2
threads) on the same data, from the same random-init torchvision weights (ResNet
ImageNet weights cannot be downloaded here; the speed does not depend on the
values). Rounds are interleaved (swell, torch, swell, torch, ...) so that a slow
spell of a shared machine hits both sides. Each side's time is the wall time of
its whole process: reading the photos, training, the final validation, and for
Swell storing the run, predictions and model in the project.

    ninja -C build app/cli/swell-cli
    nice -n 10 /usr/bin/python3 bench/bench_e2e.py --build build [--rounds 2]

Prints one line per run, then the medians and ratio = swell seconds / torch seconds
(below 1: Swell is faster), with the CPU's name.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def make_weights(arch, path):
    """Random-init torchvision weights as a .pth (seeded, so both sides start alike)."""
    code = ("import sys, torch, torchvision; torch.manual_seed(0); "
            "torch.save(getattr(torchvision.models, sys.argv[1])().state_dict(), sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, arch, path], check=True)


def make_project(cli, data, path):
    subprocess.run([cli, "new", path], check=True, stdout=subprocess.DEVNULL)
    for split in ("train", "valid"):
        subprocess.run([cli, "import", path, os.path.join(data, split), "--split", split],
                       check=True, stdout=subprocess.DEVNULL)


def timed(cmd, env):
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bench_e2e: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return dt, p.stdout


def last_json(out):
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("SWELL_BUILD", "build"))
    ap.add_argument("--data", default=os.path.join(SRC, "..", "shared", "datasets", "weather4_small"))
    ap.add_argument("--arch", default="resnet34")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--freeze-epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    cli = os.path.abspath(os.path.join(args.build, "app", "cli", "swell-cli"))
    if not os.access(cli, os.X_OK):
        sys.exit(f"bench_e2e: {cli} is not built (ninja -C {args.build} app/cli/swell-cli)")
    work = tempfile.mkdtemp(prefix="swell-e2e-")
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = os.path.join(work, "cache")  # no cached weights are used by accident
    try:
        weights = os.path.join(work, f"{args.arch}-random.pth")
        make_weights(args.arch, weights)
        common = ["--epochs", str(args.epochs), "--freeze-epochs", str(args.freeze_epochs),
                  "--threads", str(args.threads), "--seed", str(args.seed), "--size", str(args.size)]
        times = {"swell": [], "torch": []}
        accs = {"swell": [], "torch": []}
        print(f"# {args.arch}, fine_tune {args.freeze_epochs} frozen + {args.epochs} unfrozen epochs, "
              f"{os.path.basename(os.path.normpath(args.data))}, {args.threads} threads, CPU: {cpu_name()}")
        for r in range(args.rounds):
            proj = os.path.join(work, f"round{r}.swell")
            make_project(cli, args.data, proj)
            dt, out = timed([cli, "train", proj, "--arch", args.arch, "--weights", weights, "--json"]
                            + common, env)
            acc = last_json(out).get("accuracy")
            times["swell"].append(dt)
            accs["swell"].append(acc)
            print(f"round {r + 1} swell {dt:8.1f} s  accuracy {acc}", flush=True)
            dt, out = timed([sys.executable, os.path.join(HERE, "reference_finetune.py"), "--data", args.data,
                             "--arch", args.arch, "--weights", weights] + common, env)
            acc = last_json(out).get("accuracy")
            times["torch"].append(dt)
            accs["torch"].append(acc)
            print(f"round {r + 1} torch {dt:8.1f} s  accuracy {acc}", flush=True)
        s, t = statistics.median(times["swell"]), statistics.median(times["torch"])
        print(f"median wall time: swell {s:.1f} s, torch {t:.1f} s, ratio swell/torch = {s / t:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
