#!/usr/bin/env bash
# tools/screenshots.sh [BUILD]: retake data/screenshots/*.png from a real run.
#
# Makes a project from ../shared/datasets/weather4_small (train + valid), trains
# MobileNetV2 with the shared ImageNet weights (224 px, 1 frozen + 4 epochs)
# with swell-cli and sets the Train view to that recipe, then drives the test window
# (BUILD/ui/swell-test-window, meson option test_driver) under Xvfb at 1280x800
# and screenshots each view in the light and the dark style. Needs xvfb-run and
# ImageMagick (xdotool if there); takes a few minutes (the training).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
build="${1:-build}"
shared="${SWELL_SHARED:-$PWD/../shared}"
data="$shared/datasets/weather4_small"
weights="$shared/weights/mobilenet_v2_1.0_imagenet.safetensors"
cli="$build/app/cli/swell-cli"
window="$build/ui/swell-test-window"
[ -x "$window" ] || { echo "screenshots.sh: $window missing (meson configure $build -Dtest_driver=true)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"
export GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory GSK_RENDERER=cairo NO_AT_BRIDGE=1
export SWELL_TEST_ARTIFACTS="$work/shots"
mkdir -p "$SWELL_TEST_ARTIFACTS"

project="$work/Weather.swell"
"$cli" new "$project" >/dev/null
"$cli" import "$project" "$data/train" "$data/valid" >/dev/null
echo "screenshots.sh: training (mobilenet_v2, 224 px, 1+4 epochs)" >&2
"$cli" train "$project" --arch mobilenet_v2 --weights "$weights" --epochs 4 --freeze-epochs 1 --size 224 --seed 1 |
  tail -1 >&2

predict=()
# The last image given is shown first: its heatmap is turned on.
for c in sunrise shine rain; do predict+=("$data/valid/$c/$(ls "$data/valid/$c" | head -1)"); done
{
  echo "wait 1000"
  echo "resize 1280 800"
  echo "open $project"
  echo "wait 2500"
  echo "recipe arch=mobilenet_v2 weights=$weights epochs=4 freeze=1 size=224"
  for style in light dark; do
    echo "style $style"
    echo "view label"
    echo "category 1"
    echo "wait 2500"
    echo "shot label-$style"
    echo "view train"
    echo "wait 1500"
    echo "shot train-$style"
    echo "view results"
    echo "wait 2500"
    echo "shot results-$style"
    echo "view predict"
    if [ $style = light ]; then
      echo "predict ${predict[*]}"
      echo "wait 6000"
      echo "heatmap on"
    fi
    echo "wait 1500"
    echo "shot predict-$style"
  done
  echo "quit"
} >"$work/script"
# The pointer waits outside the window (no tooltip in the pictures).
SWELL_TEST_SCRIPT="$work/script" xvfb-run -a -s "-screen 0 1300x820x24" \
  sh -c 'xdotool mousemove 1295 815 2>/dev/null; exec "$0"' "$window" >"$work/log" 2>&1 || true
grep -q 'swell-test: done, status 0' "$work/log" || { cat "$work/log" >&2; echo "screenshots.sh: the window script failed" >&2; exit 1; }
for f in "$SWELL_TEST_ARTIFACTS"/*.png; do
  convert "$f" -crop 1280x800+0+0 +repage -strip "data/screenshots/$(basename "$f")"
  echo "data/screenshots/$(basename "$f")"
done
