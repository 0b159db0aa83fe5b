#!/bin/bash
# bench/accuracy.sh: Swell's fine_tune against the PyTorch re-implementation of the
# same recipe (bench/reference_finetune.py), on both shared data sets, two seeds each,
# mobilenet_v2 from ../shared/weights, fine_tune(EPOCHS) with batch 16 at 224.
#
#   bench/accuracy.sh [BUILD_DIR] [EPOCHS] [SEEDS...]
#
# BUILD_DIR defaults to ./build (needs app/cli/swell-cli), EPOCHS to 10, SEEDS to "0 1".
# Runs everything with nice -n 10 on 2 threads, one job at a time, writes the JSON
# lines to $OUT (default: a temporary folder) and prints a table at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
epochs=${2:-10}
shift $(( $# > 2 ? 2 : $# )) || true
seeds=${*:-0 1}
shared=${SWELL_SHARED:-$here/../shared}
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
cli=$build/app/cli/swell-cli
py=${PYTHON:-/usr/bin/python3}
out=${OUT:-$(mktemp -d /tmp/swell-accuracy.XXXXXX)}
mkdir -p "$out"
[ -x "$cli" ] || { echo "accuracy.sh: $cli not found (build first)" >&2; exit 1; }
[ -f "$weights" ] || { echo "accuracy.sh: $weights not found" >&2; exit 1; }
echo "results in $out" >&2

for set in weather4_small hymenoptera; do
  proj=$out/$set.swell
  if [ ! -f "$proj" ]; then
    "$cli" new "$proj" >/dev/null
    "$cli" import "$proj" "$shared/datasets/$set" >/dev/null 2>&1 || true
  fi
  for seed in $seeds; do
    s=$out/swell-$set-$seed.jsonl
    if [ ! -s "$s" ] || ! grep -q '"confusion_matrix"' "$s"; then
      /usr/bin/time -f '%e' -o "$out/swell-$set-$seed.time" \
        nice -n 10 "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" \
        --epochs "$epochs" --seed "$seed" --threads 2 --json > "$s"
    fi
    r=$out/torch-$set-$seed.json
    if [ ! -s "$r" ]; then
      nice -n 10 "$py" "$here/bench/reference_finetune.py" --data "$shared/datasets/$set" \
        --weights "$weights" --epochs "$epochs" --seed "$seed" --threads 2 > "$r"
    fi
  done
done

"$py" - "$out" $seeds <<'PY'
import json, sys, os
out, seeds = sys.argv[1], sys.argv[2:]
print(f"{'data set':<16} {'seed':>4} {'Swell acc':>10} {'PyTorch acc':>12} {'Swell s':>8} {'PyTorch s':>10}")
for s in ("weather4_small", "hymenoptera"):
    sw, pt = [], []
    for seed in seeds:
        lines = [json.loads(l) for l in open(os.path.join(out, f"swell-{s}-{seed}.jsonl")) if l.strip()]
        summ = lines[-1]
        ref = json.load(open(os.path.join(out, f"torch-{s}-{seed}.json")))
        wall = float(open(os.path.join(out, f"swell-{s}-{seed}.time")).read().split()[-1])
        sw.append(summ["accuracy"]); pt.append(ref["accuracy"])
        print(f"{s:<16} {seed:>4} {summ['accuracy']:>10.4f} {ref['accuracy']:>12.4f} {wall:>8.0f} {ref['seconds']:>10.0f}")
    ms, mp = sum(sw) / len(sw), sum(pt) / len(pt)
    print(f"{s:<16} {'mean':>4} {ms:>10.4f} {mp:>12.4f}   difference {100*(ms-mp):+.1f} points")
PY
