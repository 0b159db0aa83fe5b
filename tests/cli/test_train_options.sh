#!/usr/bin/env bash
# test_train_options.sh: the recipe's controls on the command line (issue 13, items 5
# and 6): --aug and the augmentation values, --lr-mult and --no-augment are stored
# with the run (report --json hyperparams) and reach the training (other losses);
# bad values are refused with one line naming the option, and no run is made.
# Epochs are numbered from 1 (train lines and JSON, report), and an accuracy reads
# the same in train, report, runs and info. Tiny runs: MobileNetV2, 32 px, 1 epoch.
set -u
export LC_ALL=C.UTF-8
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
DATA="${SWELL_SHARED:?}/datasets/weather4_small"
WEIGHTS="$SWELL_SHARED/weights/mobilenet_v2_1.0_imagenet.safetensors"
PY=/usr/bin/python3
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_train_options-XXXXXX")
. "$(dirname "$0")/../testlib.sh"

# check NAME PYTHON-EXPRESSION FILE: the expression on `d` (the file's JSON) is true
check() {
  if $PY -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3"; then
    ok "$1"
  else
    fail "$1: $(head -c 600 "$3")"
  fi
}
P="$T/p.swell"
"$CLI" new "$P" >/dev/null && "$CLI" import "$P" "$DATA" >/dev/null 2>&1 || { fail "project"; finish; exit 1; }
tiny=(--arch mobilenet_v2 --weights "$WEIGHTS" --size 32 --epochs 1 --freeze-epochs 0 --threads 2 --seed 4)
# train NAME ARGS...: a tiny run; its --json lines in $T/NAME.json, its report in $T/NAME.report
train() {
  local name=$1
  shift
  if "$CLI" train "$P" "${tiny[@]}" "$@" --json >"$T/$name.json" 2>"$T/err"; then
    "$CLI" report "$P" --json >"$T/$name.report"
  else
    fail "train $name: $(cat "$T/err")"
    echo '{}' >"$T/$name.report"
  fi
}

# ---- bad values: one line naming the option, no run made
runs() { "$CLI" runs "$P" --json | $PY -c "import json,sys; print(len(json.load(sys.stdin)))"; }
before=$(runs)
expect_error "unknown augmentation" "--aug: unknown augmentation “spin”" "$CLI" train "$P" "${tiny[@]}" --aug crop,spin
expect_error "empty name in the list" "--aug: unknown augmentation “”" "$CLI" train "$P" "${tiny[@]}" --aug crop,,flip
expect_error "--aug with --no-augment" "--aug and --no-augment" "$CLI" train "$P" "${tiny[@]}" --aug crop --no-augment
expect_error "value of an augmentation not on" "--max-rotate needs “rotate” in --aug (e.g. --aug crop,flip,rotate)" \
  "$CLI" train "$P" "${tiny[@]}" --max-rotate 20
expect_error "value with --no-augment" "--min-scale needs “crop”" "$CLI" train "$P" "${tiny[@]}" --no-augment --min-scale 0.5
expect_error "--min-scale 0" "--min-scale must be between 0.01 and 1, not 0" "$CLI" train "$P" "${tiny[@]}" --min-scale 0
expect_error "--max-rotate 200" "--max-rotate must be between 0 and 180, not 200" \
  "$CLI" train "$P" "${tiny[@]}" --aug rotate --max-rotate 200
expect_error "--max-zoom 0.5" "--max-zoom must be between 1 and 4, not 0.5" \
  "$CLI" train "$P" "${tiny[@]}" --aug zoom --max-zoom 0.5
expect_error "--max-warp -0.1" "--max-warp must be between 0 and 0.9, not -0.1" \
  "$CLI" train "$P" "${tiny[@]}" --aug warp --max-warp -0.1
expect_error "--max-lighting 1" "--max-lighting must be between 0 and 0.9, not 1" \
  "$CLI" train "$P" "${tiny[@]}" --aug lighting --max-lighting 1
expect_error "--max-lighting not a number" "max-lighting" "$CLI" train "$P" "${tiny[@]}" --aug lighting --max-lighting lots
expect_error "--lr-mult 0.5" "lr_mult.*between 1 and 1000000" "$CLI" train "$P" "${tiny[@]}" --lr-mult 0.5
expect_error "lr-find: unknown augmentation" "--aug: unknown augmentation “tilt”" "$CLI" lr-find "$P" --aug tilt
[ "$(runs)" = "$before" ] && ok "refused options made no run ($before runs)" || fail "runs: $before -> $(runs)"

# ---- stored with the run
train default
check "default run: crop and flip, fastai's values, lr_mult 100" \
  "(lambda h: h['augment'] is True and h['aug'] == ['crop', 'flip'] and h['min_scale'] == 0.08 and h['max_rotate'] == 10 \
   and h['max_zoom'] == 1.1 and h['max_warp'] == 0.2 and h['max_lighting'] == 0.2 and h['lr_mult'] == 100 \
   and h['freeze_epochs'] == 0)(d['hyperparams'])" "$T/default.report"
train all --aug crop,flip,rotate,zoom,warp,lighting --min-scale 0.35 --max-rotate 20 --max-zoom 1.3 \
  --max-warp 0.1 --max-lighting 0.3 --lr-mult 10
check "every augmentation and value stored as given" \
  "(lambda h: h['aug'] == ['crop', 'flip', 'rotate', 'zoom', 'warp', 'lighting'] and h['min_scale'] == 0.35 \
   and h['max_rotate'] == 20 and h['max_zoom'] == 1.3 and h['max_warp'] == 0.1 and h['max_lighting'] == 0.3 \
   and h['lr_mult'] == 10)(d['hyperparams'])" "$T/all.report"
train none --no-augment
check "--no-augment: augment false, no augmentation listed" \
  "d['hyperparams']['augment'] is False and d['hyperparams']['aug'] == []" "$T/none.report"
train aug_none --aug none
check "--aug none: augment true, no augmentation listed" \
  "d['hyperparams']['augment'] is True and d['hyperparams']['aug'] == []" "$T/aug_none.report"
train mult1 --lr-mult 1
check "--lr-mult 1 stored" "d['hyperparams']['lr_mult'] == 1 and d['hyperparams']['aug'] == ['crop', 'flip']" "$T/mult1.report"

# ---- they reach the training: same seed, other losses
loss() { $PY -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['train_loss'])" "$T/$1.json" 2>/dev/null; }
train again
[ -n "$(loss default)" ] && [ "$(loss again)" = "$(loss default)" ] \
  && ok "the same options give the same loss ($(loss default))" || fail "repeat: $(loss default) vs $(loss again)"
for r in all none mult1; do
  [ -n "$(loss $r)" ] && [ "$(loss $r)" != "$(loss default)" ] \
    && ok "$r: another training loss ($(loss $r) vs $(loss default))" || fail "$r: same loss as the default run: $(loss $r)"
done
[ "$(loss none)" = "$(loss aug_none)" ] && ok "--aug none trains as --no-augment" \
  || fail "--aug none $(loss aug_none) vs --no-augment $(loss none)"

# ---- epochs from 1; one accuracy text everywhere
"$CLI" train "$P" --arch mobilenet_v2 --weights "$WEIGHTS" --size 32 --epochs 1 --freeze-epochs 1 --threads 2 \
  >"$T/text.out" 2>"$T/err" || fail "text run: $(cat "$T/err")"
"$CLI" report "$P" --json >"$T/two.report"
check "report --json: epochs 1 and 2" "[e['epoch'] for e in d['epochs']] == [1, 2]" "$T/two.report"
$PY -c "import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; sys.exit(0 if l[0]['epoch'] == 1 and 'run' in l[-1] else 1)" \
  "$T/default.json" && ok "train --json: the first epoch line is epoch 1" || fail "train --json epochs: $(head -1 "$T/default.json")"
[ "$(grep -cE '^(1|2) ' "$T/text.out")" = 2 ] && ok "train text: epochs 1 and 2" || fail "train text: $(cat "$T/text.out")"
"$CLI" report "$P" >"$T/report.out"
[ "$(grep -cE '^(1|2) +(frozen|unfrozen) ' "$T/report.out")" = 2 ] && ok "report text: epochs 1 and 2" \
  || fail "report text: $(head -5 "$T/report.out")"
acc=$(sed -n 's/.*validation accuracy \([0-9.]*%\)$/\1/p' "$T/text.out")
last=$(grep -E '^2 +unfrozen ' "$T/report.out" | awk '{print $5}')
run=$("$CLI" runs "$P" | tail -1 | cut -f4)
info=$("$CLI" info "$P" | sed -n '/^Runs:/,/^[^ ]/p' | grep -E '^  #[0-9]+ ' | tail -1 | awk '{print $5}')
want=$($PY -c "import json,sys,math; a=json.load(open(sys.argv[1]))['accuracy']; print('%.1f%%' % (math.floor(round(a*1e6)/1e3+0.5)/10))" "$T/two.report")
[ -n "$acc" ] && [ "$acc" = "$want" ] && [ "$last" = "$acc" ] && [ "$run" = "$acc" ] && [ "$info" = "$acc" ] \
  && ok "accuracy $acc in train, report, runs and info (half up from $want)" \
  || fail "accuracy: train '$acc' report '$last' runs '$run' info '$info', want '$want'"
rm -rf "$T"
finish
