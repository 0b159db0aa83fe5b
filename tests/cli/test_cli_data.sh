#!/usr/bin/env bash
# test_cli_data.sh: swell-cli new / import / info / export on the real photo
# sets, the exact `info --json` shape, export + re-import round trip (same
# SHA-256s, same labels and splits, original names), name collisions on
# export, and one-line errors with a non-zero exit status.
set -u
# the messages checked below are the untranslated ones
export LC_ALL=C
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
DATA="${SWELL_SHARED:?}/datasets"
FIX="${SWELL_FIXTURES:?}"
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_cli_data-XXXXXX")
. "$(dirname "$0")/../testlib.sh"

# ---- new
"$CLI" new "$T/w.swell" --categories "cloudy, rain" >"$T/stdout" 2>"$T/err" || fail "new: $(cat "$T/err")"
[ -s "$T/w.swell" ] && ok "new created the file" || fail "new: no file"
expect_error "new over an existing file" "w.swell: a file with this name already exists" "$CLI" new "$T/w.swell"
expect_error "new with an empty category" "empty category name" "$CLI" new "$T/x.swell" --categories "a,,b"
[ ! -e "$T/x.swell" ] || fail "new with bad categories left a file"
expect_error "new with a repeated category" "named twice" "$CLI" new "$T/x.swell" --categories "a,A"
expect_error "new without a name" "expected one PROJECT" "$CLI" new
expect_error "unknown option" "Unknown option" "$CLI" new "$T/y.swell" --colour red

# ---- import
"$CLI" import "$T/w.swell" "$DATA/weather4_small" >"$T/imp" 2>"$T/err" || fail "import: $(cat "$T/err")"
head -1 "$T/imp" | grep -qx "Imported 280 images, 0 duplicates, 2 rejected" \
  && ok "import summary: $(head -1 "$T/imp")" || fail "import summary: $(head -1 "$T/imp")"
grep -q "rejected: $DATA/weather4_small/MANIFEST.tsv: not an image" "$T/imp" \
  && ok "import names the rejected files and the reason" || fail "import rejections: $(cat "$T/imp")"
"$CLI" import "$T/w.swell" "$DATA/weather4_small/train/cloudy" >"$T/imp2" 2>&1 || fail "re-import"
head -1 "$T/imp2" | grep -qx "Imported 0 images, 50 duplicates, 0 rejected" \
  && grep -q "duplicate: .*cloudy105.jpg: same image as “cloudy105.jpg”" "$T/imp2" \
  && ok "re-import reports duplicates" || fail "re-import: $(head -3 "$T/imp2")"
expect_error "import --split bogus" "unknown split" "$CLI" import "$T/w.swell" "$DATA/weather4_small" --split bogus
expect_error "import into a missing project" "nope.swell: no such file" "$CLI" import "$T/nope.swell" "$DATA/weather4_small"
expect_error "import without paths" "at least one PATH" "$CLI" import "$T/w.swell"

# ---- info --json: the exact shape
"$CLI" info "$T/w.swell" --json >"$T/w.json" 2>"$T/err" || fail "info --json: $(cat "$T/err")"
python3 - "$T/w.json" <<'PY' && ok "info --json shape and counts" || fail "info --json: $(cat "$T/w.json")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "one line"
d = json.loads(lines[0])
assert list(d) == ["categories", "unlabeled", "images", "runs", "near_duplicates",
                   "near_duplicates_across_splits", "health"], list(d)
assert [c["name"] for c in d["categories"]] == ["cloudy", "rain", "shine", "sunrise"], d["categories"]
for c in d["categories"]:
    assert list(c) == ["name", "train", "valid", "test"], c
    assert (c["train"], c["valid"], c["test"]) == (50, 20, 0), c
assert d["unlabeled"] == {"train": 0, "valid": 0, "test": 0}, d["unlabeled"]
assert d["images"] == 280
assert d["runs"] == []
PY
# runs as the learner stores them (written here with sqlite3 directly)
cp "$T/w.swell" "$T/runs.swell"
python3 - "$T/runs.swell" <<'PY' || fail "writing runs"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO runs (arch, class_names, status, created) VALUES ('resnet34', '[\"cloudy\",\"rain\",\"shine\",\"sunrise\"]', 'completed', 1764367200)")
c.execute("INSERT INTO run_epochs (run_id, epoch, stage, accuracy) VALUES (1, 0, 'frozen', 0.5), (1, 1, 'unfrozen', 0.9125)")
c.execute("INSERT INTO runs (arch, class_names, status, created) VALUES ('mobilenet_v2', '[]', 'running', 1764367300)")
c.commit()
PY
"$CLI" info "$T/runs.swell" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
want = [{"id": 1, "arch": "resnet34", "status": "completed", "accuracy": 0.9125, "created": "2025-11-28T22:00:00Z"},
        {"id": 2, "arch": "mobilenet_v2", "status": "running", "accuracy": None, "created": "2025-11-28T22:01:40Z"}]
assert d["runs"] == want, d["runs"]' && ok "info --json runs: id, arch, status, accuracy, created" || fail "info runs"
"$CLI" info "$T/w.swell" >"$T/info" 2>&1 && grep -q "^sunrise *50 *20 *0$" "$T/info" \
  && ok "info table" || fail "info: $(cat "$T/info")"
echo "not a project" >"$T/notes.swell"
expect_error "info on a text file" "notes.swell: not a Swell project" "$CLI" info "$T/notes.swell"
expect_error "info on a missing file" "missing.swell: no such file" "$CLI" info "$T/missing.swell"

# ---- hymenoptera (train/val) and --split
"$CLI" new "$T/h.swell" >/dev/null && "$CLI" import "$T/h.swell" "$DATA/hymenoptera" >"$T/himp" 2>&1 \
  || fail "hymenoptera import"
head -1 "$T/himp" | grep -qx "Imported 397 images, 0 duplicates, 3 rejected" || fail "hymenoptera: $(head -1 "$T/himp")"
"$CLI" info "$T/h.swell" --json >"$T/h.json"
python3 - "$T/h.json" <<'PY' && ok "hymenoptera: ants 123/70, bees 121/83" || fail "hymenoptera counts: $(cat "$T/h.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: (x["train"], x["valid"], x["test"]) for x in d["categories"]}
assert c == {"ants": (123, 70, 0), "bees": (121, 83, 0)}, c
assert d["images"] == 397
PY
"$CLI" new "$T/s.swell" >/dev/null && "$CLI" import "$T/s.swell" "$DATA/hymenoptera/val" --split train >/dev/null 2>&1
"$CLI" info "$T/s.swell" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = {x["name"]: (x["train"], x["valid"]) for x in d["categories"]}
assert c == {"ants": (70, 0), "bees": (83, 0)}, c' && ok "--split train overrides the val folder" || fail "--split"

# ---- export and re-import round trip
"$CLI" export "$T/w.swell" "$T/out" >"$T/exp" 2>"$T/err" || fail "export: $(cat "$T/err")"
grep -qx "Exported 280 images to $T/out" "$T/exp" && ok "export summary" || fail "export: $(cat "$T/exp")"
before=$fails
for split in train valid; do
  for c in cloudy rain shine sunrise; do
    src="$DATA/weather4_small/$split/$c"
    a=$(cd "$src" && ls | sort); b=$(cd "$T/out/$split/$c" 2>/dev/null && ls | sort)
    [ -n "$b" ] && [ "$a" = "$b" ] || fail "export names differ in $split/$c"
    a=$(cd "$src" && sha256sum * | sort); b=$(cd "$T/out/$split/$c" 2>/dev/null && sha256sum * | sort)
    [ -n "$b" ] && [ "$a" = "$b" ] || fail "export bytes differ in $split/$c"
  done
done
[ "$(find "$T/out" -type f | wc -l)" -eq 280 ] || fail "export: $(find "$T/out" -type f | wc -l) files"
[ "$fails" -eq "$before" ] && ok "export: original names and bytes in <split>/<class>/"
"$CLI" new "$T/r.swell" >/dev/null && "$CLI" import "$T/r.swell" "$T/out" >"$T/rimp" 2>&1 || fail "re-import export"
head -1 "$T/rimp" | grep -qx "Imported 280 images, 0 duplicates, 0 rejected" || fail "round trip import: $(head -1 "$T/rimp")"
"$CLI" info "$T/r.swell" --json >"$T/r.json"
cmp -s "$T/w.json" "$T/r.json" && ok "round trip: same categories, splits and counts" || fail "round trip info differs"
"$CLI" export "$T/r.swell" "$T/out2" >/dev/null 2>&1
a=$(cd "$T/out" && find . -type f -exec sha256sum {} + | sort); b=$(cd "$T/out2" && find . -type f -exec sha256sum {} + | sort)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "round trip: same files, paths and SHA-256s" || fail "round trip files differ"

# ---- name collisions on export
mkdir -p "$T/c1/train/cat" "$T/c2/train/cat"
cp "$FIX/images/gray.jpg" "$T/c1/train/cat/x.jpg"
cp "$FIX/images/cmyk.jpg" "$T/c2/train/cat/x.jpg"
"$CLI" new "$T/c.swell" >/dev/null && "$CLI" import "$T/c.swell" "$T/c1" "$T/c2" >/dev/null 2>&1
"$CLI" export "$T/c.swell" "$T/cout" >/dev/null 2>&1 || fail "collision export"
[ "$(ls "$T/cout/train/cat" | sort | tr '\n' ' ')" = "x-2.jpg x.jpg " ] \
  && cmp -s "$T/cout/train/cat/x.jpg" "$FIX/images/gray.jpg" && cmp -s "$T/cout/train/cat/x-2.jpg" "$FIX/images/cmyk.jpg" \
  && ok "export resolves name collisions without overwriting" || fail "collisions: $(ls "$T/cout/train/cat")"
# never merged into a folder that holds other files (tests/cli/test_export.sh has the rest)
mkdir -p "$T/cout2/train/cat" && echo keep >"$T/cout2/train/cat/notes.txt" && echo keep >"$T/cout2/x.txt"
expect_error "export into a folder with other files" "which an export does not write" \
  "$CLI" export "$T/c.swell" "$T/cout2"
[ "$(cat "$T/cout2/train/cat/notes.txt")" = keep ] && [ "$(ls "$T/cout2/train/cat")" = notes.txt ] \
  || fail "the refused export changed $T/cout2"
expect_error "export into a file" "cannot create the folder" "$CLI" export "$T/c.swell" "$T/notes.swell/sub"

finish || exit 1
rm -rf "$T"
