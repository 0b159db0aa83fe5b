#!/bin/bash
# test_full_disk: a disk that fills up mid-operation loses no data and says so.
# An LD_PRELOAD shim (enospc_shim.c, path in $1) makes writes below one folder
# fail with ENOSPC once a byte budget is spent, as on a full file system:
#  - import: a clear error naming the project; the committed images are intact
#    (PRAGMA integrity_check), and importing again once there is room completes;
#  - train: a clear error; the project passes the integrity check, keeps its
#    images and earlier runs, and the run reads as failed, not as still running;
#    twice, the disk filling while the model is stored (300 KB and 4 MB into
#    the run): every label and split is as it was;
#  - export: the error names the file; no half-written image is left behind;
#  - export --force over an earlier export: the earlier export stays complete and
#    unchanged, and no temporary folder is left beside it;
#  - weights import: the error names both files; nothing is left in the cache.
# Needs python3 (its sqlite3 module) to check the project file.
set -u
cli=${SWELL_CLI:?}
shared=${SWELL_SHARED:?}
shim=${1:?usage: test_full_disk.sh ENOSPC_SHIM.so}
tmp=${SWELL_TMP:-/tmp}/full-disk
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
data=$shared/datasets/weather4_small
. "$(dirname "$0")/../testlib.sh"
# full DIR BYTES COMMAND...: run COMMAND with writes below DIR limited to BYTES
full() {
  local dir=$1 bytes=$2
  shift 2
  SWELL_ENOSPC_DIR=$dir SWELL_ENOSPC_BYTES=$bytes LD_PRELOAD=$shim "$@"
}
# db PROJECT SQL: one value from the project file
db() { $py -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }

rm -rf "$tmp" && mkdir -p "$tmp/p"
proj=$tmp/p/w.swell
"$cli" new "$proj" >/dev/null || { echo "FAIL new"; exit 1; }

# --- import: the disk fills after ~3 MB of the 280 photos -----------------------------
if full "$tmp/p" 3000000 "$cli" import "$proj" "$data" >"$tmp/out" 2>"$tmp/err"; then
  fail "import on a full disk reported success"
elif grep -q "w.swell" "$tmp/err" && grep -qi "full" "$tmp/err"; then
  ok "import on a full disk: $(cat "$tmp/err")"
else fail "import on a full disk, message: $(cat "$tmp/err")"; fi
n1=$(db "$proj" "SELECT count(*) FROM images")
[ "$(db "$proj" "PRAGMA integrity_check")" = ok ] && [ "$n1" -gt 0 ] && [ "$n1" -lt 280 ] \
  && ok "after the full disk: integrity ok, $n1 images committed" \
  || fail "after the full disk: integrity $(db "$proj" "PRAGMA integrity_check"), $n1 images"
"$cli" import "$proj" "$data" >"$tmp/out" 2>&1
n2=$(db "$proj" "SELECT count(*) FROM images")
[ "$n2" = 280 ] && grep -q "$n1 duplicates" "$tmp/out" \
  && ok "import again with room: 280 images ($n1 already there)" \
  || fail "import again: $n2 images; $(head -1 "$tmp/out")"

# --- train: room for the epochs but not for the model -------------------------------
"$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 1 --threads 2 \
  >/dev/null 2>"$tmp/err" || fail "first run: $(cat "$tmp/err")"
labels() { db "$proj" "SELECT group_concat(id || ':' || coalesce(category_id, '-') || ':' || split, ',') FROM (SELECT * FROM images ORDER BY id)"; }
labels_before=$(labels)
if full "$tmp/p" 300000 "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 \
     --epochs 1 --threads 2 >/dev/null 2>"$tmp/err"; then
  fail "train on a full disk reported success"
elif grep -qi "full" "$tmp/err"; then ok "train on a full disk: $(cat "$tmp/err")"
else fail "train on a full disk, message: $(cat "$tmp/err")"; fi
[ "$(db "$proj" "PRAGMA integrity_check")" = ok ] \
  && [ "$(db "$proj" "SELECT count(*) FROM images")" = 280 ] \
  && [ "$(db "$proj" "SELECT status FROM runs WHERE id = 1")" = completed ] \
  && [ "$(db "$proj" "SELECT count(*) FROM models WHERE run_id = 1")" = 1 ] \
  && ok "after the failed run: integrity ok, 280 images, run 1 and its model intact" \
  || fail "after the failed run: $(db "$proj" "PRAGMA integrity_check")"
grep -q "cannot store the model" "$tmp/err" && [ "$(labels)" = "$labels_before" ] \
  && ok "the disk filled while storing the model; every label and split is as it was" \
  || fail "full disk in model storage: $(cat "$tmp/err"); labels unchanged: $([ "$(labels)" = "$labels_before" ] && echo yes || echo no)"
# --- power loss while the model is written: the disk fills 4 MB into it ------------------
if full "$tmp/p" 4000000 "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 \
     --epochs 1 --threads 2 >/dev/null 2>"$tmp/err"; then
  fail "train with 4 MB left reported success"
elif grep -q "cannot store the model" "$tmp/err"; then ok "train with 4 MB left: $(cat "$tmp/err")"
else fail "train with 4 MB left, message: $(cat "$tmp/err")"; fi
[ "$(db "$proj" "PRAGMA integrity_check")" = ok ] && [ "$(labels)" = "$labels_before" ] \
  && [ "$(db "$proj" "SELECT count(*) FROM models")" = 1 ] \
  && ok "after the model could not be stored: integrity ok, labels as they were, one model" \
  || fail "after the model write: integrity $(db "$proj" "PRAGMA integrity_check"), $(db "$proj" "SELECT count(*) FROM models") models"
"$cli" report "$proj" --json > "$tmp/report.json" 2>&1
if $py - "$tmp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["run"] == 3 and r["status"] == "failed", r
PY
then ok "the interrupted run reads as failed (report)"; else fail "report: $(head -c 300 "$tmp/report.json")"; fi
"$cli" predict "$proj" "$data/valid/rain/$(ls "$data/valid/rain" | head -1)" >"$tmp/out" 2>&1 \
  && ok "predict still uses run 1's model: $(head -1 "$tmp/out")" || fail "predict: $(cat "$tmp/out")"

# --- export: the error names the file, no partial image is left -------------------------
mkdir -p "$tmp/x"
if full "$tmp/x" 500000 "$cli" export "$proj" "$tmp/x/out" >/dev/null 2>"$tmp/err"; then
  fail "export on a full disk reported success"
elif grep -q "No space left on device" "$tmp/err" && grep -q "x/out/" "$tmp/err"; then
  ok "export on a full disk: $(cat "$tmp/err")"
else fail "export on a full disk, message: $(cat "$tmp/err")"; fi
bad=0
while IFS= read -r f; do
  cmp -s "$f" "$data/${f#"$tmp/x/out/"}" || { bad=$((bad + 1)); echo "  differs: $f"; }
done < <(find "$tmp/x/out" -type f)
[ "$bad" = 0 ] && ok "every exported file is complete ($(find "$tmp/x/out" -type f | wc -l) files)" \
  || fail "$bad exported files are partial or stray"

# --- export --force over an earlier export: the earlier one stays, complete -------------
"$cli" export "$proj" "$tmp/x/old" >/dev/null 2>"$tmp/err" || fail "export with room: $(cat "$tmp/err")"
before=$(cd "$tmp/x/old" && find . -type f -exec sha256sum {} + | sort)
if full "$tmp/x" 500000 "$cli" export "$proj" "$tmp/x/old" --force >/dev/null 2>"$tmp/err"; then
  fail "export --force on a full disk reported success"
elif grep -q "No space left on device" "$tmp/err" && grep -q "x/old/" "$tmp/err"; then
  ok "export --force on a full disk: $(cat "$tmp/err")"
else fail "export --force on a full disk, message: $(cat "$tmp/err")"; fi
after=$(cd "$tmp/x/old" && find . -type f -exec sha256sum {} + | sort)
[ "$(echo "$before" | wc -l)" = 280 ] && [ "$before" = "$after" ] \
  && ok "the earlier export is unchanged and complete (280 files)" \
  || fail "the earlier export changed: $(echo "$after" | wc -l) files"
left=$(find "$tmp/x" -maxdepth 1 -name '*.tmp-*' | wc -l)
[ "$left" = 0 ] && ok "no temporary export folder left" || fail "$left temporary folders left"

# --- weights import into a full cache -------------------------------------------------
mkdir -p "$tmp/cache"
if XDG_CACHE_HOME=$tmp/cache full "$tmp/cache" 1000000 "$cli" weights import mobilenet_v2 "$weights" \
     >/dev/null 2>"$tmp/err"; then
  fail "weights import on a full disk reported success"
elif grep -q "No space left on device" "$tmp/err" && grep -q "mobilenet_v2_1.0_imagenet" "$tmp/err"; then
  ok "weights import on a full disk: $(cat "$tmp/err")"
else fail "weights import on a full disk, message: $(cat "$tmp/err")"; fi
left=$(find "$tmp/cache" -type f | wc -l)
[ "$left" = 0 ] && ok "nothing left in the weights cache" || fail "$left files left in the cache"

finish
