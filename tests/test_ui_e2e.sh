#!/usr/bin/env bash
# test_ui_e2e.sh MODE: the Swell window under Xvfb, driven by SWELL_TEST_SCRIPT.
#   views     a project made by swell-cli (weather4_small, one short run) is
#             opened; every view is visited (Label, Train, Results with a
#             confusion-matrix cell and the preview, Predict, the dark style)
#             and screenshotted into $SWELL_TEST_ARTIFACTS; each screenshot must
#             not be blank. Then a swell-cli run killed after its first epoch
#             must show as failed (interrupted) with no predictions.
#   grid10k   a project of 10,000 images: opening it, then flicking the Label
#             grid (a third of a page every 16 ms) from top to bottom while the
#             thumbnails load keeps the main loop dispatching (same measure as
#             mainloop, limit 150 ms: each scroll step renders a full frame in
#             software here - GSK's cairo renderer under Xvfb - which alone
#             costs the main thread 60-100 ms on a loaded 2-core machine; a
#             blocking thumbnail path measured 300-400 ms), and the last
#             thumbnails are shown.
#   mainloop  a training run and an LR finder sweep started in the window: a
#             5 ms timeout must keep firing (no gap over 100 ms) until each
#             ends, and the run must be stored.
set -euo pipefail
mode="${1:?usage: test_ui_e2e.sh views|mainloop}"
: "${SWELL_CLI:?}" "${SWELL_UI:?}" "${SWELL_SHARED:?}" "${SWELL_TMP:?}" "${SWELL_TEST_ARTIFACTS:?}"

for tool in xvfb-run import convert; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

. "$(dirname "$0")/testlib.sh"
data="$SWELL_SHARED/datasets/weather4_small"
weights="$SWELL_SHARED/weights/mobilenet_v2_1.0_imagenet.safetensors"
work="$SWELL_TMP/ui-$mode"
rm -rf "$work"
mkdir -p "$work" "$SWELL_TEST_ARTIFACTS"
# A private home: no settings, recent files or weights cache of the user's.
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"
export GSK_RENDERER=cairo NO_AT_BRIDGE=1
project="$work/weather.swell"

if [ "$mode" != grid10k ]; then
  "$SWELL_CLI" new "$project" >/dev/null
  "$SWELL_CLI" import "$project" "$data/train" "$data/valid" >/dev/null
fi

fail=0
check_shot() { # NAME: the screenshot exists and is not blank (many colours)
  local f="$SWELL_TEST_ARTIFACTS/$1.png"
  if [ ! -s "$f" ]; then echo "FAIL: no screenshot $f"; fail=1; return; fi
  local colours
  colours=$(convert "$f" -format '%k' info:)
  echo "screenshot $1.png: $colours colours"
  if [ "$colours" -lt "${2:-200}" ]; then echo "FAIL: $1.png looks blank ($colours colours)"; fail=1; fi
}

run_window() { # SCRIPT LOG [PROJECT]
  SWELL_TEST_SCRIPT="$1" xvfb-run -a -s "-screen 0 1200x800x24" \
    nice -n 5 "$SWELL_UI" ${3:+"$3"} >"$2" 2>&1 || { echo "FAIL: swell exited with $?"; cat "$2"; fail=1; }
  grep '^swell-test' "$2" || true
  if grep -q 'swell-test: FAIL' "$2"; then fail=1; fi
  if ! grep -q 'swell-test: done, status 0' "$2"; then echo "FAIL: the script did not finish"; tail -20 "$2"; fail=1; fi
  if grep -E -q 'CRITICAL|Gtk-WARNING.*(template|signal|property)' "$2"; then
    echo "FAIL: GTK criticals/warnings:"; grep -E 'CRITICAL|WARNING' "$2"; fail=1
  fi
}

if [ "$mode" = grid10k ]; then
  : "${SWELL_UI_BIGPROJECT:?}"
  big="$work/big.swell"
  "$SWELL_UI_BIGPROJECT" "$big" 10000
  cat >"$work/script" <<SCRIPT
wait 1000
open $big
wait 2000
assert-count alpha 2500
shot grid10k-top
scroll-grid 120 1.0
assert-max-gap 150
wait 1500
shot grid10k-scrolled
quit
SCRIPT
  run_window "$work/script" "$work/log"
  check_shot grid10k-top
  check_shot grid10k-scrolled
  grep -E 'opened in|longest gap|WARNING' "$work/log" || true
elif [ "$mode" = views ]; then
  nice -n 10 "$SWELL_CLI" train "$project" --arch mobilenet_v2 --weights "$weights" \
    --epochs 1 --freeze-epochs 1 --size 96 --seed 1 >/dev/null
  first_valid=$(ls "$data/valid/sunrise" | head -1)
  cat >"$work/script" <<SCRIPT
wait 1000
shot welcome
menu
wait 800
shot menu
close-menu
open $project
wait 2500
shot label-all
category 2
wait 1200
shot label-category
select-all
wait 500
shot label-selected
add-category fog
label-key 5
wait 800
assert-count rain 0
assert-count fog 70
undo
wait 500
assert-count rain 70
assert-count fog 0
category 5
wait 500
category-action delete-category
wait 1200
shot delete-category-confirm
close-dialogs
wait 300
assert-count fog 0
import $SWELL_SHARED/datasets/hymenoptera/val/ants $data/MANIFEST.tsv $data/valid/cloudy
wait-idle 120
wait 1500
shot import-summary
close-dialogs
assert-count fog 70
wait 800
shot label-imported
category 1
select-all
delete-selected
wait 500
assert-count cloudy 0
shot label-deleted
undo
wait 800
assert-count cloudy 70
view train
wait 1500
shot train
view results
wait 1500
shot results
cell 0 1
wait 1500
shot results-cell
gallery-select 0
wait 800
shot results-selected
gallery-relabel rain
wait 1500
assert-count cloudy 69
assert-count rain 71
shot results-relabeled
gallery-first
wait 2500
shot preview
close-dialogs
view predict
predict $data/valid/sunrise/$first_valid $data/valid/rain/$(ls "$data/valid/rain" | head -1) $data/valid/cloudy/$(ls "$data/valid/cloudy" | head -1)
wait 6000
print-predictions
shot predict
dark 1
view results
wait 1500
shot results-dark
view train
wait 1500
shot train-dark
shortcuts
wait 1500
shot shortcuts
close-dialogs
dark 0
close-project
wait 1500
shot welcome-recent
quit
SCRIPT
  run_window "$work/script" "$work/log"
  # A run whose training process was killed (SIGKILL after its first epoch) reads
  # as failed (interrupted) with no predictions, not as still training.
  "$SWELL_CLI" train "$project" --arch mobilenet_v2 --weights "$weights" --size 128 --epochs 30 \
    --threads 2 --json >"$work/killed.json" 2>&1 &
  pid=$!
  wait_for_epoch "$work/killed.json" $pid
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  cat >"$work/script3" <<SCRIPT
wait 1500
view results
wait 1500
assert-shown interrupted when the process training it ended early
assert-shown This run has no predictions on the validation images.
assert-not-shown No mistakes on the validation images.
assert-not-shown Still training
shot results-interrupted
view train
wait 1000
assert-shown failed
quit
SCRIPT
  run_window "$work/script3" "$work/log3" "$project"
  for s in results-interrupted welcome menu shortcuts label-all label-category label-selected delete-category-confirm import-summary label-imported label-deleted train results results-cell results-selected results-relabeled preview predict results-dark train-dark welcome-recent; do
    check_shot "$s"
  done
  # The Predict view agrees with swell-cli predict (same model, same images).
  grep -P '^swell-test: prediction\t' "$work/log" | cut -f2- >"$work/window-predictions"
  predict_images=$(cut -f1 "$work/window-predictions")
  # shellcheck disable=SC2086
  "$SWELL_CLI" predict "$project" $predict_images --json >"$work/cli-predictions"
  python3 - "$work/window-predictions" "$work/cli-predictions" <<'PY' || fail=1
import json, sys
window = {}
for line in open(sys.argv[1]):
    path, label, prob = line.rstrip("\n").split("\t")
    window[path] = (label, float(prob))
cli = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
cli = [c for c in cli if "image" in c]
ok = len(window) == 3 and len(cli) == 3
for c in cli:
    label, prob = window.get(c["image"], (None, -1))
    top = c["top"][0]
    same = label == top["label"] and abs(prob - top["prob"]) < 1e-4
    print(f"predict {c['image'].split('/')[-1]}: window {label} {prob:.4f}, swell-cli {top['label']} {top['prob']:.4f}")
    ok &= same
if not ok:
    print("FAIL: the Predict view disagrees with swell-cli predict")
sys.exit(0 if ok else 1)
PY
else
  # This time the project is given on the command line (swell PROJECT).
  cat >"$work/script" <<SCRIPT
wait 1500
view train
recipe arch=mobilenet_v2 weights=$weights epochs=1 freeze=0 size=64 batch=16
train
wait-idle 240
assert-max-gap 100
wait 1500
shot train-after-run
lr-find
wait-idle 240
assert-max-gap 100
wait 1000
shot lr-find
recipe arch=mobilenet_v2 weights=$weights epochs=30 freeze=1 size=128 batch=16
train
wait 4000
stop
wait-idle 120
wait 1000
shot train-stopped
view results
wait 800
quit
SCRIPT
  run_window "$work/script" "$work/log" "$project"
  # Settings persist: the project reopens at the view it was left in, and the
  # recipe (a GSettings key file in the private config) is kept.
  cat >"$work/script2" <<SCRIPT
wait 1500
assert-view results
quit
SCRIPT
  run_window "$work/script2" "$work/log2" "$project"
  grep -q "arch='mobilenet_v2'" "$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" \
    || { echo "FAIL: the recipe was not saved in GSettings"; fail=1; }
  check_shot train-after-run
  check_shot lr-find
  check_shot train-stopped
  runs=$("$SWELL_CLI" info "$project" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')
  echo "runs stored: $runs"
  # One completed run, one stopped by the Stop button (kept, marked cancelled).
  [ "$runs" = 2 ] || { echo "FAIL: expected 2 runs stored by the window, found $runs"; fail=1; }
  "$SWELL_CLI" info "$project" --json | python3 -c '
import json, sys
runs = json.load(sys.stdin)["runs"]
print("run statuses:", [r.get("status") for r in runs])
sys.exit(0 if runs[-1].get("status") == "cancelled" else 1)' || { echo "FAIL: the stopped run is not marked cancelled"; fail=1; }
  grep 'longest gap' "$work/log" || { echo "FAIL: no main-loop measurement"; fail=1; }
fi

if [ $fail -ne 0 ]; then echo "ui $mode: FAILED"; exit 1; fi
echo "ui $mode: ok"
