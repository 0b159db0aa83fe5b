#!/usr/bin/env bash
# test_label_cli.sh: labeling from the command line (issue 15, items 3 and 4):
# images, set, delete, split, categories, runs (and runs delete giving the
# space back), import --category, class folders given directly, and the
# automatic valid split when a project without valid images is trained. Every
# bad argument: non-zero exit, one stderr line naming what was wrong, nothing
# changed.
set -u
export LC_ALL=C
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
DATA="${SWELL_SHARED:?}/datasets/weather4_small"
WEIGHTS="$SWELL_SHARED/weights/mobilenet_v2_1.0_imagenet.safetensors"
PY=/usr/bin/python3
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_label_cli-XXXXXX")
. "$(dirname "$0")/../testlib.sh"


# ---- class folders given directly, import --category
mkdir -p "$T/photos/ants" "$T/photos/bees" "$T/mixed/sub" "$T/loose"
ls "$DATA/train/cloudy" | head -10 | while read -r f; do cp "$DATA/train/cloudy/$f" "$T/photos/ants/"; done
ls "$DATA/train/rain" | head -10 | while read -r f; do cp "$DATA/train/rain/$f" "$T/photos/bees/"; done
ls "$DATA/train/shine" | head -2 | while read -r f; do cp "$DATA/train/shine/$f" "$T/mixed/"; done
ls "$DATA/train/shine" | sed -n 3p | while read -r f; do cp "$DATA/train/shine/$f" "$T/mixed/sub/"; done
ls "$DATA/train/sunrise" | head -4 | while read -r f; do cp "$DATA/train/sunrise/$f" "$T/loose/"; done
P="$T/p.swell"
"$CLI" new "$P" >/dev/null
"$CLI" import "$P" "$T/photos/ants" "$T/photos/bees" >/dev/null 2>&1 || fail "import class folders"
"$CLI" categories "$P" list --json >"$T/cats.json"
check_json "import photos/ants photos/bees gives two categories of 10" \
  "[(c['name'], c['train'] + c['valid']) for c in d] == [('ants', 10), ('bees', 10)]" "$T/cats.json"
"$CLI" import "$P" "$T/mixed" >/dev/null 2>&1
"$CLI" images "$P" --unlabeled --json >"$T/unl.json"
check_json "a folder that also holds folders: its own files stay unlabeled" "len(d) == 2" "$T/unl.json"
"$CLI" images "$P" --category sub --json >"$T/sub.json"
check_json "... and its subfolder is a category" "len(d) == 1 and d[0]['category'] == 'sub'" "$T/sub.json"
"$CLI" import "$P" "$T"/loose/*.jpg --category "Sun rise" >"$T/out" 2>&1 || fail "import --category: $(cat "$T/out")"
"$CLI" images "$P" --category "sun RISE" --json >"$T/sun.json"
check_json "import --category creates the category and labels every file" \
  "len(d) == 4 and all(i['category'] == 'Sun rise' for i in d)" "$T/sun.json"

# ---- images: JSON shape, filters, errors
"$CLI" images "$P" --json >"$T/all.json"
check_json "images --json: one object per image with id, file, category, split and no prediction" \
  "len(d) == 27 and all(set(i) == {'id', 'file', 'category', 'split'} for i in d) \
   and all(isinstance(i['id'], int) and i['split'] in ('train', 'valid') for i in d) \
   and sum(i['category'] is None for i in d) == 2" "$T/all.json"
"$CLI" images "$P" --split valid --json >"$T/valid.json"
check_json "images --split valid" "len(d) > 0 and all(i['split'] == 'valid' for i in d)" "$T/valid.json"
"$CLI" images "$P" --category ants >"$T/ants.txt"
[ "$(wc -l <"$T/ants.txt")" -eq 10 ] && grep -qP "^[0-9]+\t[^\t]+\tants\t(train|valid)$" "$T/ants.txt" \
  && ok "images text: id, file, category, split" || fail "images text: $(head -2 "$T/ants.txt")"
expect_error "images: unknown category" "unknown category “wasps”" "$CLI" images "$P" --category wasps
expect_error "images: both --category and --unlabeled" "not both" "$CLI" images "$P" --category ants --unlabeled
expect_error "images: bad split" "unknown split “dev”" "$CLI" images "$P" --split dev
expect_error "images: no project" "expected one PROJECT" "$CLI" images
expect_error "images: missing project" "nope.swell" "$CLI" images "$T/nope.swell"

# ---- set
ID1=$("$CLI" images "$P" --category ants --json | $PY -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
ID2=$("$CLI" images "$P" --category ants --json | $PY -c "import json,sys; print(json.load(sys.stdin)[1]['id'])")
"$CLI" set "$P" "$ID1" "$ID2" --category bees --split test >"$T/out" 2>&1 || fail "set: $(cat "$T/out")"
"$CLI" images "$P" --split test --json >"$T/test.json"
check_json "set --category bees --split test" \
  "sorted(i['id'] for i in d) == sorted([$ID1, $ID2]) and all(i['category'] == 'bees' for i in d)" "$T/test.json"
"$CLI" set "$P" "$ID2" --unlabeled >/dev/null 2>&1
"$CLI" images "$P" --split test --unlabeled --json >"$T/tu.json"
check_json "set --unlabeled" "[i['id'] for i in d] == [$ID2]" "$T/tu.json"
before=$(image_snapshot "$P")
expect_error "set: unknown id" "no image with id 999999" "$CLI" set "$P" "$ID1" 999999 --category ants
expect_error "set: not an id" "“x1” is not an image id" "$CLI" set "$P" x1 --category ants
expect_error "set: unknown category" "unknown category “wasps”" "$CLI" set "$P" "$ID1" --category wasps
expect_error "set: both --category and --unlabeled" "not both" "$CLI" set "$P" "$ID1" --category ants --unlabeled
expect_error "set: bad split" "unknown split “dev”" "$CLI" set "$P" "$ID1" --split dev
expect_error "set: nothing to change" "nothing to change" "$CLI" set "$P" "$ID1"
expect_error "set: no ids" "at least one image ID" "$CLI" set "$P" --split train
[ "$(image_snapshot "$P")" = "$before" ] && ok "failed set commands changed nothing (one transaction)" \
  || fail "a failed set changed the project"

# ---- delete (the window's soft delete)
"$CLI" delete "$P" "$ID2" >"$T/out" 2>&1 && grep -qx "Deleted 1 image" "$T/out" || fail "delete: $(cat "$T/out")"
"$CLI" images "$P" --json >"$T/all2.json"
check_json "delete: the image is no longer listed" "len(d) == 26 and $ID2 not in [i['id'] for i in d]" "$T/all2.json"
[ "$(sqlite3 "$P" "SELECT deleted FROM images WHERE id = $ID2")" = 1 ] \
  && ok "delete is the soft delete the window's undo restores" || fail "delete: not a soft delete"
before=$(image_snapshot "$P")
expect_error "delete: unknown id" "no image with id 999999" "$CLI" delete "$P" "$ID1" 999999
expect_error "delete: already deleted" "no image with id $ID2" "$CLI" delete "$P" "$ID2"
expect_error "delete: not an id" "“0” is not an image id" "$CLI" delete "$P" 0
[ "$(image_snapshot "$P")" = "$before" ] && ok "failed deletes changed nothing" || fail "a failed delete changed the project"

# ---- split
"$CLI" split "$P" --valid-pct 50 --seed 7 >"$T/out" 2>&1 || fail "split: $(cat "$T/out")"
"$CLI" categories "$P" list --json >"$T/cats2.json"
check_json "split --valid-pct 50: each category half in valid (rounded); test untouched" \
  "all(c['valid'] == int(0.5 * (c['train'] + c['valid']) + 0.5) for c in d) \
   and {c['name']: c['train'] + c['valid'] for c in d} == {'ants': 8, 'bees': 10, 'sub': 1, 'Sun rise': 4} \
   and {c['name']: c['test'] for c in d} == {'ants': 0, 'bees': 1, 'sub': 0, 'Sun rise': 0}" \
  "$T/cats2.json"
[ "$(sqlite3 "$P" "SELECT value FROM settings WHERE key = 'split-seed'")" = 7 ] \
  && ok "split --seed is kept as the project's split seed" || fail "split seed not kept"
"$CLI" images "$P" --split valid --json >"$T/v1.json"
"$CLI" split "$P" --valid-pct 50 --seed 7 >/dev/null 2>&1
"$CLI" images "$P" --split valid --json >"$T/v2.json"
cmp -s "$T/v1.json" "$T/v2.json" && ok "the same seed draws the same split" || fail "split not reproducible"
"$CLI" split "$P" >/dev/null 2>&1
"$CLI" categories "$P" list --json >"$T/cats3.json"
check_json "split (default 20%)" "[c['valid'] for c in d] == [2, 2, 0, 1] and [c['test'] for c in d] == [0, 1, 0, 0]" "$T/cats3.json"
expect_error "split: bad --valid-pct" "between 1 and 99" "$CLI" split "$P" --valid-pct 100
expect_error "split: bad --seed" "whole number" "$CLI" split "$P" --seed x

# ---- categories
"$CLI" categories "$P" add wasps hornets >/dev/null 2>&1 || fail "categories add"
"$CLI" categories "$P" rename hornets Hornets >/dev/null 2>&1 || fail "categories rename"
"$CLI" categories "$P" delete sub >/dev/null 2>&1 || fail "categories delete"
"$CLI" categories "$P" list --json >"$T/cats4.json"
check_json "categories add, rename, delete, list --json" \
  "[c['name'] for c in d] == ['ants', 'bees', 'Sun rise', 'wasps', 'Hornets'] \
   and all(set(c) == {'name', 'color', 'train', 'valid', 'test'} for c in d)" "$T/cats4.json"
"$CLI" images "$P" --unlabeled --json >"$T/unl2.json"
check_json "a deleted category's images become unlabeled" "len(d) == 3" "$T/unl2.json"
"$CLI" categories "$P" list | head -1 | grep -qP "^ants\t#[0-9a-f]{6}\t[0-9]+\t[0-9]+\t[0-9]+$" \
  && ok "categories list text" || fail "categories list text"
before=$(sqlite3 "$P" "SELECT group_concat(name) FROM categories")
expect_error "categories add: a duplicate" "" "$CLI" categories "$P" add moths ANTS
expect_error "categories delete: unknown" "unknown category “moths”" "$CLI" categories "$P" delete wasps moths
expect_error "categories rename: unknown" "unknown category “moths”" "$CLI" categories "$P" rename moths x
expect_error "categories rename: missing name" "OLD and NEW" "$CLI" categories "$P" rename wasps
expect_error "categories: unknown action" "unknown action “move”" "$CLI" categories "$P" move
[ "$(sqlite3 "$P" "SELECT group_concat(name) FROM categories")" = "$before" ] \
  && ok "failed categories commands changed nothing (one transaction)" || fail "categories changed: $before"

# ---- training a project without valid images: the automatic split; runs
R="$T/r.swell"
"$CLI" new "$R" >/dev/null
"$CLI" import "$R" "$DATA/train/cloudy" "$DATA/train/rain" >/dev/null 2>&1
"$CLI" images "$R" --split valid --json >"$T/rv.json"
check_json "imported from train/: no valid images" "len(d) == 0" "$T/rv.json"
"$CLI" train "$R" --arch mobilenet_v2 --weights "$WEIGHTS" --size 32 --epochs 1 --freeze-epochs 0 \
  --batch-size 16 --threads 2 --json >"$T/train.json" 2>"$T/train.err" || fail "train: $(cat "$T/train.err")"
grep -q "^swell-cli: The project had no validation images: 20 training images were moved to valid" "$T/train.err" \
  && ok "train says so on stderr" || fail "train stderr: $(cat "$T/train.err")"
tail -1 "$T/train.json" >"$T/train-last.json"
check_json "train --json: auto_split field" "d['auto_split'] == 20 and d['status'] == 'completed'" "$T/train-last.json"
"$CLI" categories "$R" list --json >"$T/rc.json"
check_json "the default stratified 20% split is kept in the project" \
  "[(c['train'], c['valid']) for c in d] == [(40, 10), (40, 10)]" "$T/rc.json"
"$CLI" images "$R" --split valid --json >"$T/rp.json"
check_json "images --json: the latest run's prediction" \
  "len(d) == 20 and all(set(i['prediction']) == {'category', 'probability'} \
   and i['prediction']['category'] in ('cloudy', 'rain') and 0 <= i['prediction']['probability'] <= 1 for i in d)" \
  "$T/rp.json"
"$CLI" runs "$R" --json >"$T/runs.json"
check_json "runs --json" \
  "len(d) == 1 and d[0]['id'] == 1 and d[0]['arch'] == 'mobilenet_v2' and d[0]['status'] == 'completed' \
   and d[0]['has_model'] is True and d[0]['epochs'] == 1 and d[0]['classes'] == ['cloudy', 'rain'] \
   and set(d[0]) == {'id', 'arch', 'weights', 'status', 'message', 'accuracy', 'valid_loss', 'epochs', \
   'has_model', 'classes', 'created', 'finished'}" "$T/runs.json"
"$CLI" runs "$R" | grep -qP "^#1\tmobilenet_v2\tcompleted\t[0-9]+\.[0-9]%\t1\tmodel\t" && ok "runs text" || fail "runs text"
[ "$(sqlite3 "$R" "PRAGMA auto_vacuum")" = 2 ] && ok "new projects: auto_vacuum incremental" \
  || fail "auto_vacuum $(sqlite3 "$R" "PRAGMA auto_vacuum")"
# an existing project made before: no auto-vacuum
cp "$R" "$T/old.swell"
sqlite3 "$T/old.swell" "PRAGMA auto_vacuum = NONE; VACUUM;" >/dev/null
[ "$(sqlite3 "$T/old.swell" "PRAGMA auto_vacuum")" = 0 ] || fail "could not make an old-style project"
for f in "$R" "$T/old.swell"; do
  b=$(stat -c %s "$f")
  "$CLI" runs "$f" delete 1 >"$T/out" 2>&1 || fail "runs delete: $(cat "$T/out")"
  a=$(stat -c %s "$f")
  [ "$a" -lt $((b - 1000000)) ] && ok "runs delete gives the space back: $(basename "$f") $b -> $a bytes" \
    || fail "runs delete: $(basename "$f") $b -> $a bytes"
  [ "$("$CLI" runs "$f" --json)" = "[]" ] && ok "runs delete: the run is gone" || fail "the run is still there"
  sqlite3 "$f" "PRAGMA integrity_check" | grep -qx ok && ok "integrity after runs delete" || fail "integrity"
done
[ "$(sqlite3 "$T/old.swell" "PRAGMA auto_vacuum")" = 2 ] && ok "an old project is switched to incremental once" \
  || fail "old project auto_vacuum"
expect_error "runs delete: unknown run" "run" "$CLI" runs "$R" delete 5
expect_error "runs delete: not a number" "“x” is not a run number" "$CLI" runs "$R" delete x
expect_error "runs: unknown action" "unknown action “remove”" "$CLI" runs "$R" remove 1
expect_error "runs delete: no number" "delete N" "$CLI" runs "$R" delete

# ---- help lists the commands, and every option
"$CLI" help >"$T/help"
for c in images set delete split categories runs; do
  grep -q "^  $c PROJECT" "$T/help" || fail "help does not list $c"
done
grep -q -- "--category C" <(grep "^  import" "$T/help") && ok "help lists the new commands and import --category" \
  || fail "help: $(cat "$T/help")"
"$CLI" images --help | grep -q -- "--unlabeled" && "$CLI" split --help | grep -q -- "--valid-pct" \
  && "$CLI" import --help | grep -q -- "--category" && ok "--help lists the options" || fail "--help"

finish || exit 1
rm -rf "$T"
