#!/bin/bash
# test_train_cli: swell-cli train / lr-find / report / predict end to end on real
# photos ($SWELL_SHARED/datasets/weather4_small) with the shared MobileNetV2 weights.
#  - `train --arch mobilenet_v2 --epochs 5` (fine_tune: 1 frozen + 5 unfrozen epochs)
#    reaches accuracy >= 0.875 (70/80), with the JSON lines of issue 4;
#  - report and predict read the stored run and model;
#  - lr-find suggests a rate; a run cancelled with SIGINT keeps its completed epoch;
#  - clear errors: no cached weights, unknown architecture, missing project.
# Needs python3 (no torch) to read the JSON.
set -u
cli=${SWELL_CLI:?}
shared=${SWELL_SHARED:?}
tmp=${SWELL_TMP:-/tmp}/train-cli
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
data=$shared/datasets/weather4_small
. "$(dirname "$0")/../testlib.sh"
check() { # check "what" python-expression-on-json-file file
  if $py - "$3" <<PY
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
l = lines[-1] if lines else {}
assert $2, l
PY
  then ok "$1"; else fail "$1"; fi
}

rm -rf "$tmp" && mkdir -p "$tmp"
export XDG_CACHE_HOME=$tmp/cache   # an empty weights cache
proj=$tmp/w.swell
"$cli" new "$proj" >/dev/null || { echo "FAIL new"; exit 1; }
"$cli" import "$proj" "$data" >/dev/null 2>&1

# --- errors -------------------------------------------------------------------
if "$cli" train "$proj" --arch mobilenet_v2 --epochs 1 2>"$tmp/err" >/dev/null; then
  fail "train without cached weights should fail"
elif grep -q "swell-cli weights" "$tmp/err"; then ok "no cached weights: $(head -c 150 "$tmp/err")"
else fail "no cached weights message: $(cat "$tmp/err")"; fi
if "$cli" train "$proj" --arch vgg16 --weights "$weights" 2>"$tmp/err" >/dev/null; then
  fail "unknown arch accepted"
elif grep -q "vgg16" "$tmp/err"; then ok "unknown arch: $(cat "$tmp/err")"
else fail "unknown arch message: $(cat "$tmp/err")"; fi
if "$cli" train "$tmp/none.swell" --arch mobilenet_v2 --weights "$weights" 2>"$tmp/err" >/dev/null; then
  fail "missing project accepted"
elif grep -q "none.swell" "$tmp/err"; then ok "missing project: $(cat "$tmp/err")"
else fail "missing project message: $(cat "$tmp/err")"; fi
if "$cli" predict "$proj" "$data/valid/rain/$(ls "$data/valid/rain" | head -1)" 2>"$tmp/err" >/dev/null; then
  fail "predict without a model succeeded"
else ok "predict without a model: $(cat "$tmp/err")"; fi

# --- lr-find (small images to keep it short) ---------------------------------------
if "$cli" lr-find "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 --batch-size 8 \
     --threads 2 --json > "$tmp/lrfind.json" 2>"$tmp/err"; then
  check "lr-find suggests a rate" \
    '1e-7 < l["suggestion"] < 10 and l["suggestion"] == l["valley"] and 10 < len(l["lrs"]) <= 100 and len(l["lrs"]) == len(l["losses"]) and abs(l["lrs"][0] - 1e-7) < 1e-12' \
    "$tmp/lrfind.json"
else fail "lr-find: $(cat "$tmp/err")"; fi

# --- cancel: SIGINT after the first epoch line ------------------------------------------
cproj=$tmp/c.swell
cp "$proj" "$cproj"
"$cli" train "$cproj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 20 --threads 2 \
  --json > "$tmp/cancel.json" 2>"$tmp/cancel.err" &
pid=$!
wait_for_epoch "$tmp/cancel.json" $pid
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
[ $rc -eq 130 ] && ok "cancelled train exits 130" || fail "cancelled train exit status $rc: $(cat "$tmp/cancel.err")"
check "cancelled run keeps its completed epochs" \
  'l["status"]=="cancelled" and 1 <= len(lines)-1 < 21 and sum(map(sum, l["confusion_matrix"]))==80' \
  "$tmp/cancel.json"
"$cli" report "$cproj" --json > "$tmp/creport.json" 2>&1
check "report of the cancelled run" \
  'l["status"]=="cancelled" and len(l["epochs"]) >= 1 and sum(map(sum, l["confusion_matrix"]))==80' \
  "$tmp/creport.json"

# --- reproducibility: same seed and threads, same losses ------------------------------------
# The frozen stage does not depend on --epochs, so a 1+1 epoch run repeats the cancelled
# run's first (frozen) epoch exactly.
"$cli" train "$cproj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 1 --threads 2 \
  --json > "$tmp/repeat.json" 2>"$tmp/err" || fail "repeat run: $(cat "$tmp/err")"
if $py - "$tmp/cancel.json" "$tmp/repeat.json" <<'PY'
import json, sys
a = json.loads(open(sys.argv[1]).readline())
b = json.loads(open(sys.argv[2]).readline())
keys = ("stage", "train_loss", "valid_loss", "accuracy")
assert all(a[k] == b[k] for k in keys), (a, b)
PY
then ok "same seed and threads give the same losses"; else fail "reproducibility"; fi

# --- SGD with momentum (--opt sgd), stored with the run -----------------------------------
if "$cli" train "$cproj" --opt adagrad 2>"$tmp/err" >/dev/null; then
  fail "unknown optimiser accepted"
elif grep -q "adagrad" "$tmp/err"; then ok "unknown optimiser: $(cat "$tmp/err")"
else fail "unknown optimiser message: $(cat "$tmp/err")"; fi
if "$cli" train "$cproj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 1 \
     --freeze-epochs 0 --opt sgd --lr 0.01 --threads 2 --json > "$tmp/sgd.json" 2>"$tmp/err"; then
  check "sgd run: one unfrozen epoch with a finite loss" \
    'len(lines) == 2 and lines[0]["stage"] == "unfrozen" and lines[0]["train_loss"] < 100' \
    "$tmp/sgd.json"
  "$cli" report "$cproj" --json > "$tmp/sgdreport.json" 2>&1
  check "report shows the run's optimiser (sgd, no weight decay) and rate" \
    'l["hyperparams"]["optimizer"] == "sgd" and l["hyperparams"]["wd"] == 0 and l["hyperparams"]["base_lr"] == 0.01' \
    "$tmp/sgdreport.json"
else fail "sgd train: $(cat "$tmp/err")"; fi

# --- the accuracy run ------------------------------------------------------------------------
start=$(date +%s)
if "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --epochs 5 --seed 0 --threads 2 \
     --json > "$tmp/train.json" 2>"$tmp/err"; then
  echo "train took $(( $(date +%s) - start )) s"
  cat "$tmp/train.json"
  check "6 epoch lines (1 frozen + 5 unfrozen) with the issue's fields" \
    '[l["stage"] for l in lines[:-1]] == ["frozen"] + ["unfrozen"]*5 and all(set(["epoch","stage","train_loss","valid_loss","accuracy","seconds"]) <= set(l) for l in lines[:-1])' \
    "$tmp/train.json"
  check "summary: classes, confusion matrix over 80 images" \
    'l["classes"]==["cloudy","rain","shine","sunrise"] and sum(map(sum,l["confusion_matrix"]))==80 and l["seconds"]>0' \
    "$tmp/train.json"
  check "accuracy >= 0.875 on weather4_small" 'lines[-1]["accuracy"] >= 0.875' "$tmp/train.json"
else
  fail "train: $(cat "$tmp/err")"
fi

# --- report and predict ------------------------------------------------------------------
"$cli" report "$proj" --json > "$tmp/report.json" 2>&1
check "report --json: latest run with epochs, matrix, top losses" \
  'l["status"]=="completed" and len(l["epochs"])==6 and sum(map(sum,l["confusion_matrix"]))==80 and len(l["top_losses"])==10 and l["top_losses"][0]["loss"] >= l["top_losses"][-1]["loss"]' \
  "$tmp/report.json"
"$cli" report "$proj" > "$tmp/report.txt" 2>&1 && grep -q "Confusion matrix" "$tmp/report.txt" \
  && ok "report table" || fail "report table: $(head -5 "$tmp/report.txt")"
imgs=("$data/valid/rain/$(ls "$data/valid/rain" | head -1)" "$data/valid/sunrise/$(ls "$data/valid/sunrise" | head -1)")
"$cli" predict "$proj" --top 2 --json "${imgs[@]}" > "$tmp/predict.json" 2>&1
check "predict --json lines as classify's" \
  'len(lines)==2 and all(len(l["top"])==2 and set(l["top"][0])=={"index","label","prob"} and l["top"][0]["prob"]>=l["top"][1]["prob"] for l in lines) and lines[0]["image"].endswith(".jpg")' \
  "$tmp/predict.json"

finish
