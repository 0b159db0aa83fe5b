#!/bin/bash
# tools/cli-outputs.sh: record what swell-cli prints on a fixed set of commands, so
# that a refactoring can be checked to leave every output byte-identical.
#
#   tools/cli-outputs.sh SWELL_CLI OUTDIR [WORKDIR]
#
# Makes a project from ../shared/datasets/weather4_small in WORKDIR (default: a
# temporary folder), trains a tiny MobileNetV2 run on it (64 px, 1+1 epochs, one
# thread, fixed seed: deterministic), then runs every command below and writes
# each one's stdout, stderr and exit status to OUTDIR/NN-name.{out,err,rc}.
# Durations ("seconds", "12.3 s", ETA) and the work folder's path are masked.
# Compare two recordings with `diff -r OLD NEW`.
#
# To compare two builds on the *same* trained project (training is deterministic
# for one binary, but compare predictions only from one model), pass
# SWELL_CLI_PROJECT=FILE: the project is copied instead of made and trained.
set -u
cli=$(readlink -f "${1:?usage: cli-outputs.sh SWELL_CLI OUTDIR [WORKDIR]}")
out=${2:?usage: cli-outputs.sh SWELL_CLI OUTDIR [WORKDIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SWELL_SHARED:-$root/../shared}
data=$shared/datasets/weather4_small
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
work=${3:-$(mktemp -d)}
mkdir -p "$out" "$work"
rm -f "$out"/*
export XDG_CACHE_HOME=$work/cache LC_ALL=C.UTF-8 LANGUAGE=
n=0
mask() {
  sed -E -e "s#$work#WORK#g" -e "s#$root#ROOT#g" \
    -e 's/"(seconds|elapsed|eta)": *[0-9.eE+-]+/"\1": T/g' \
    -e 's/[0-9]+(\.[0-9]+)? ?(s|ms|min)\b/T/g'  -e 's/\b[0-9]{2}:[0-9]{2}\b/MM:SS/g'  -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/DATE/g'
}
run() { # run NAME ARGS...
  local name=$1; shift
  n=$((n + 1))
  local f; f=$(printf '%s/%02d-%s' "$out" $n "$name")
  "$cli" "$@" >"$f.raw" 2>"$f.err.raw" </dev/null
  echo $? >"$f.rc"
  mask <"$f.raw" >"$f.out"; mask <"$f.err.raw" >"$f.err"
  rm -f "$f.raw" "$f.err.raw"
}
p=$work/p.swell
rain=$(ls "$data/valid/rain" | head -2)
img1=$data/valid/rain/$(echo "$rain" | sed -n 1p)
img2=$data/valid/rain/$(echo "$rain" | sed -n 2p)
if [ -n "${SWELL_CLI_PROJECT:-}" ]; then
  cp "$SWELL_CLI_PROJECT" "$p"
else
  rm -f "$p"
  run new new "$p"
  run import import "$p" "$data"
  run train-json train "$p" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 1 \
    --freeze-epochs 1 --threads 1 --seed 3 --json
fi
run help help
run help-flag --help
run nocmd no-such-command
for c in classify forward new import info export train lr-find report predict weights; do
  run "help-$c" "$c" --help
done
run info info "$p"
run info-json info "$p" --json
run report report "$p"
run report-json report "$p" --json
run report-run1 report "$p" --run 1 --top 3
run report-badrun report "$p" --run 99
run predict predict "$p" "$img1" "$img2"
run predict-json predict "$p" "$img1" "$img2" --top 2 --json
run predict-missing predict "$p" "$work/none.jpg"
run predict-notimage predict "$p" "$root/README.md"
run classify classify --arch mobilenet_v2 --weights "$weights" --labels "$shared/weights/imagenet_labels.txt" --top 3 "$img1"
run classify-json classify --arch mobilenet_v2 --weights "$weights" --top 2 --json "$img1" "$img2"
run classify-badarch classify --arch vgg --weights "$weights" "$img1"
run weights-list weights list
run weights-bad weights nothing
rm -rf "$work/export"  # export refuses a folder that holds an earlier export
run export export "$p" "$work/export"
run report-missing report "$work/none.swell"
run lr-find-json lr-find "$p" --arch mobilenet_v2 --weights "$weights" --size 32 --batch-size 8 \
  --threads 1 --seed 1 --json
# last: a second training run (changes the project)
run train-text train "$p" --arch mobilenet_v2 --weights "$weights" --size 32 --epochs 1 \
  --freeze-epochs 0 --threads 1 --seed 5
run report-after report "$p" --json
# the recipe's controls and the run list (accuracy as a percentage, epochs from 1)
run runs runs "$p"
run train-aug-bad train "$p" --aug crop,spin
run train-aug-value-off train "$p" --max-rotate 20
echo "$n commands recorded in $out"
