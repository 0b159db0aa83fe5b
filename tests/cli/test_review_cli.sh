#!/usr/bin/env bash
# test_review_cli.sh: reviewing the data with a run's final model from the command
# line (issue 12, items 2, 3, 4 and 8), on weather4_small at 32 px with MobileNetV2
# 0.35 (a few seconds per run):
#  - train --keep best says which epoch it kept (numbered from 1) and stores that
#    epoch's model: the stored validation accuracy is that epoch's;
#  - train --json has "test_accuracy" and "test_confusion_matrix" exactly when the
#    project has test images, and report shows them in their own section;
#  - report without --split is the validation report it always was; --split
#    train|valid|both reviews those images with their split and "label may be wrong"
#    marks (the rule of swell_metrics_label_may_be_wrong), --order unsure;
#  - images --unlabeled --json has the unlabeled images' predictions, and
#    set --predicted [--min-confidence P] labels them with it, in one transaction.
set -u
export LC_ALL=C
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
DATA="${SWELL_SHARED:?}/datasets/weather4_small"
WEIGHTS="$SWELL_SHARED/weights/mobilenet_v2_0.35_imagenet_notop.safetensors"
PY=/usr/bin/python3
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_review_cli-XXXXXX")
. "$(dirname "$0")/../testlib.sh"

train() { "$CLI" train "$P" --arch mobilenet_v2 --weights "$WEIGHTS" --size 32 --threads 2 "$@"; }

P="$T/w.swell"
"$CLI" new "$P" >/dev/null && "$CLI" import "$P" "$DATA" >/dev/null 2>&1 || fail "import"

# ---- no test images: no test fields; keep last (default) says nothing of a kept epoch
train --epochs 1 --json >"$T/t1.json" 2>"$T/t1.err" || fail "train 1: $(cat "$T/t1.err")"
tail -1 "$T/t1.json" >"$T/t1-last.json"
check_json "train --json without test images: no test_accuracy, test_confusion_matrix, kept_epoch" \
  "d['status'] == 'completed' and not {'test_accuracy', 'test_confusion_matrix', 'kept_epoch'} & set(d)" \
  "$T/t1-last.json"
"$CLI" report "$P" >"$T/r1.txt"
grep -q "Test images" "$T/r1.txt" && fail "report without test images has a test section" \
  || ok "report without test images: no test section"
grep -q "label may be wrong\|Images reviewed" "$T/r1.txt" && fail "plain report is marked" \
  || ok "report without --split: the validation report, unmarked"
"$CLI" report "$P" --json >"$T/r1.json"
check_json "report --json without --split: as before (no split, marks or test keys)" \
  "not {'split', 'images', 'label_may_be_wrong', 'test_accuracy'} & set(d) \
   and all(set(t) == {'image', 'name', 'actual', 'predicted', 'prob', 'prob_actual', 'loss'} \
           for t in d['top_losses']) and sum(map(sum, d['confusion_matrix'])) == 80" "$T/r1.json"

# ---- report --split: train (200), both (280), the marks follow the one rule
"$CLI" report "$P" --split train --top 500 --json >"$T/rt.json" || fail "report --split train"
check_json "report --split train: the 200 training images, each with split and mark" \
  "d['split'] == 'train' and d['images'] == 200 and sum(map(sum, d['confusion_matrix'])) == 200 \
   and len(d['top_losses']) == 200 and all(t['split'] == 'train' for t in d['top_losses']) \
   and all(t['label_may_be_wrong'] == (t['predicted'] != t['actual'] and t['prob'] >= 0.9) \
           for t in d['top_losses']) \
   and [t['image'] for t in d['label_may_be_wrong']] \
       == [t['image'] for t in d['top_losses'] if t['label_may_be_wrong']] \
   and all(a['loss'] >= b['loss'] for a, b in zip(d['top_losses'], d['top_losses'][1:]))" "$T/rt.json"
"$CLI" report "$P" --split both --order unsure --top 5 --json >"$T/rb.json" || fail "report both"
check_json "report --split both --order unsure: 280 images, most unsure first" \
  "d['images'] == 280 and 'top_losses' not in d and len(d['most_unsure']) == 5 \
   and {t['split'] for t in d['most_unsure']} <= {'train', 'valid'}" "$T/rb.json"
"$CLI" report "$P" --split valid --top 3 >"$T/rv.txt"
grep -q "^Images reviewed: valid (80)$" "$T/rv.txt" && grep -q "^Label may be wrong: [0-9]* image" "$T/rv.txt" \
  && grep -qP "^  \S+\s+\S+\s+\S+\s+[0-9.]+ [0-9.]+  valid" "$T/rv.txt" \
  && ok "report --split valid text: count line and split column" || fail "report --split valid: $(cat "$T/rv.txt")"
expect_error "report --split test refused" "unknown --split .*test.*(use train, valid or both)" "$CLI" report "$P" --split test
expect_error "report --order bad" "unknown --order .*size" "$CLI" report "$P" --order size

# ---- 12 test images, 5 unlabeled; keep best
"$CLI" images "$P" --split train --json >"$T/train.json"
read -r -a IDS <<<"$($PY -c "import json,sys; print(' '.join(str(i['id']) for i in json.load(open(sys.argv[1]))[::10]))" "$T/train.json")"
"$CLI" set "$P" "${IDS[@]:0:12}" --split test >/dev/null || fail "set test"
"$CLI" set "$P" "${IDS[@]:12:5}" --unlabeled >/dev/null || fail "set unlabeled"
train --epochs 6 --lr 5e-3 --keep best --json >"$T/t2.json" 2>"$T/t2.err" || fail "train 2: $(cat "$T/t2.err")"
tail -1 "$T/t2.json" >"$T/t2-last.json"
head -n -1 "$T/t2.json" >"$T/t2-epochs.jsonl"
$PY - "$T/t2-epochs.jsonl" "$T/t2-last.json" >"$T/t2-check.txt" <<'EOF'
import json, sys
epochs = [json.loads(l) for l in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
best = min(range(len(epochs)), key=lambda i: epochs[i]['valid_loss'])
print(best + 1, d['kept_epoch'], abs(d['accuracy'] - epochs[best]['accuracy']) < 1e-6,
      len(epochs) - 1 != best)
EOF
read -r want got same notlast <"$T/t2-check.txt"
[ "$want" = "$got" ] && [ "$same" = True ] \
  && ok "train --keep best: kept epoch $got (from 1), its accuracy (the last epoch? not: $notlast)" \
  || fail "keep best: lowest valid loss at $want, kept $got, same accuracy $same"
check_json "train --json with 12 test images: test_accuracy and test_confusion_matrix" \
  "sum(map(sum, d['test_confusion_matrix'])) == 12 and len(d['test_confusion_matrix']) == 4 \
   and abs(d['test_accuracy'] - sum(d['test_confusion_matrix'][i][i] for i in range(4)) / 12) < 1e-6" \
  "$T/t2-last.json"
train --epochs 1 --keep best >"$T/t3.txt" 2>&1 || fail "train 3: $(cat "$T/t3.txt")"
grep -q "^Kept the model of epoch [12] (the lowest validation loss)$" "$T/t3.txt" \
  && grep -q "^Test accuracy [0-9.]*% on 12 test images$" "$T/t3.txt" \
  && ok "train --keep best text: kept epoch and test accuracy" || fail "train text: $(cat "$T/t3.txt")"
expect_error "train --keep bad" "--keep: unknown choice .*first" train --keep first
"$CLI" runs "$P" --json >"$T/runs.json"
sqlite3 "$P" "SELECT hyperparams FROM runs ORDER BY id" >"$T/hp.txt"
[ "$(grep -c '"keep":"best"' "$T/hp.txt")" -eq 2 ] && [ "$(grep -c '"keep":"last"' "$T/hp.txt")" -eq 1 ] \
  && ok "hyperparams store keep" || fail "hyperparams: $(cat "$T/hp.txt")"
"$CLI" report "$P" >"$T/r3.txt"
grep -q "^Test images (12, evaluated once at the end of the run): accuracy [0-9.]*%$" "$T/r3.txt" \
  && ok "report: test section" || fail "report test section: $(tail -8 "$T/r3.txt")"
"$CLI" report "$P" --json >"$T/r3.json"
check_json "report --json: test_accuracy, test_confusion_matrix, matching train --json" \
  "d['test_images'] == 12 and sum(map(sum, d['test_confusion_matrix'])) == 12" "$T/r3.json"
"$CLI" report "$P" --split both --json >"$T/r3b.json"
check_json "report --split both: training and validation images only (263)" \
  "d['images'] == 263" "$T/r3b.json"

# ---- the unlabeled images' predictions, and labeling with them
"$CLI" images "$P" --unlabeled --json >"$T/un.json"
check_json "images --unlabeled --json: each has the latest run's prediction" \
  "len(d) == 5 and all(i['category'] is None and i['prediction']['category'] in \
   ('cloudy', 'rain', 'shine', 'sunrise') and 0 < i['prediction']['probability'] <= 1 for i in d)" "$T/un.json"
read -r LO HI MID <<<"$($PY -c "
import json,sys
d = sorted(json.load(open(sys.argv[1])), key=lambda i: i['prediction']['probability'])
print(d[0]['id'], d[-1]['id'], (d[0]['prediction']['probability'] + d[-1]['prediction']['probability']) / 2)" "$T/un.json")"
before=$(image_snapshot "$P")
expect_error "set --predicted: unknown id, nothing changes" "no image with id 999999" \
  "$CLI" set "$P" "$HI" 999999 --predicted
expect_error "set --predicted with --category" "either --predicted or --category" \
  "$CLI" set "$P" "$HI" --predicted --category rain
expect_error "set --min-confidence out of range" "between 0 and 1" \
  "$CLI" set "$P" "$HI" --predicted --min-confidence 1.5
[ "$(image_snapshot "$P")" = "$before" ] && ok "refused sets changed nothing" || fail "a refused set changed the project"
"$CLI" set "$P" "$LO" "$HI" --predicted --min-confidence "$MID" >"$T/set.txt" || fail "set --predicted"
grep -q "^Labeled 1 image with its predicted category; 1 below 0\.[0-9]* left as it was$" "$T/set.txt" \
  && ok "set --predicted --min-confidence: $(cat "$T/set.txt")" || fail "set output: $(cat "$T/set.txt")"
"$CLI" images "$P" --json >"$T/all.json"
check_json "the confident one got its predicted category, the other stays unlabeled" \
  "[i['category'] for i in d if i['id'] == $HI] == [i['prediction']['category'] for i in d if i['id'] == $HI] \
   and [i['category'] for i in d if i['id'] == $LO] == [None]" "$T/all.json"

rm -rf "$T"
finish
