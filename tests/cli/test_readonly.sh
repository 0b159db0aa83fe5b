#!/bin/bash
# test_readonly: a project in a read-only folder (or on read-only media) can
# be read: info, report, predict and export work, a change is refused with a
# clear "read-only" error, and the file is left byte for byte as it was.
# Tests run as root, where chmod does not stop writes, so the folder is made
# read-only with a read-only bind mount in a private mount namespace
# (unshare -rm). Two cases: a project closed cleanly (no -wal file: opened
# immutable) and one whose writer was killed (a -wal file with committed
# labels that only the write-ahead log holds).
set -u
cli=${SWELL_CLI:?}
shared=${SWELL_SHARED:?}
tmp=${SWELL_TMP:-/tmp}/readonly
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
data=$shared/datasets/weather4_small
. "$(dirname "$0")/../testlib.sh"
# ro DIR COMMAND...: run COMMAND with DIR mounted read-only
ro() {
  local dir=$1
  shift
  unshare -rm sh -c 'd=$1; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" "$d" \
    && exec "$@"' sh "$dir" "$@"
}
sums() { (cd "$1" && sha256sum -- * | sort); }

rm -rf "$tmp" && mkdir -p "$tmp/p" "$tmp/w"
if ! ro "$tmp/w" true; then
  echo "SKIP: cannot make a read-only bind mount here (unshare -rm)"
  exit 77
fi
proj=$tmp/p/w.swell
"$cli" new "$proj" >/dev/null && "$cli" import "$proj" "$data" >/dev/null \
  && "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 1 \
       --threads 2 >/dev/null 2>"$tmp/err" || { echo "FAIL setup: $(cat "$tmp/err")"; exit 1; }
photo=$data/valid/rain/$(ls "$data/valid/rain" | head -1)
ro "$tmp/p" touch "$tmp/p/x" 2>/dev/null && fail "the bind mount is writable"

# check LABEL DIR: the read-only commands on DIR/w.swell give what they gave on
# $proj read-write, and a change is refused
check() {
  local what=$1 dir=$2 p=$2/w.swell
  ro "$dir" "$cli" info "$p" >"$tmp/info.ro" 2>&1 \
    && cmp -s <(sed "s|$proj|P|" "$tmp/info.rw") <(sed "s|$p|P|" "$tmp/info.ro") \
    && ok "$what: info" || fail "$what: info: $(head -3 "$tmp/info.ro")"
  ro "$dir" "$cli" report "$p" --json >"$tmp/report.ro" 2>&1 \
    && cmp -s "$tmp/report.rw" "$tmp/report.ro" \
    && ok "$what: report" || fail "$what: report: $(head -c 300 "$tmp/report.ro")"
  ro "$dir" "$cli" predict "$p" "$photo" --json >"$tmp/predict.ro" 2>&1 \
    && cmp -s "$tmp/predict.rw" "$tmp/predict.ro" \
    && ok "$what: predict" || fail "$what: predict: $(head -c 300 "$tmp/predict.ro")"
  rm -rf "$tmp/w/out"
  ro "$dir" "$cli" export "$p" "$tmp/w/out" >"$tmp/out" 2>&1 \
    && [ "$(find "$tmp/w/out" -type f | wc -l)" = "$(find "$tmp/w/ref" -type f | wc -l)" ] \
    && diff -r "$tmp/w/ref" "$tmp/w/out" >/dev/null \
    && ok "$what: export: $(tail -1 "$tmp/out")" || fail "$what: export: $(head -3 "$tmp/out")"
  if ro "$dir" "$cli" import "$p" "$photo" >/dev/null 2>"$tmp/err"; then
    fail "$what: import into a read-only project reported success"
  elif grep -q "w.swell" "$tmp/err" && grep -q "read-only" "$tmp/err"; then
    ok "$what: import refused: $(cat "$tmp/err")"
  else fail "$what: import, message: $(cat "$tmp/err")"; fi
  sums "$dir" >"$tmp/sums.after"
  cmp -s "$tmp/sums.before" "$tmp/sums.after" && ok "$what: the folder is unchanged" \
    || fail "$what: the folder changed: $(diff "$tmp/sums.before" "$tmp/sums.after")"
}
# reference DIR: read-write outputs on $proj, checksums of DIR
reference() {
  "$cli" info "$proj" >"$tmp/info.rw" 2>&1
  "$cli" report "$proj" --json >"$tmp/report.rw" 2>&1
  "$cli" predict "$proj" "$photo" --json >"$tmp/predict.rw" 2>&1
  rm -rf "$tmp/w/ref" && "$cli" export "$proj" "$tmp/w/ref" >/dev/null 2>&1
  sums "$1" >"$tmp/sums.before"
}

# --- closed cleanly: no -wal file --------------------------------------------------------
reference "$tmp/p"
check "clean project" "$tmp/p"

# --- a writer killed after a commit: the labels are only in the -wal file ----------------
$py - "$proj" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("UPDATE images SET category_id = NULL WHERE id IN (1, 2, 3)")
c.execute("UPDATE change_counters SET counter = counter + 1")
c.commit()
os._exit(0)  # no close: the -wal file stays, not checkpointed
PY
mkdir -p "$tmp/q" && cp "$proj" "$proj-wal" "$proj-shm" "$tmp/q/" 2>/dev/null
[ -s "$tmp/q/w.swell-wal" ] && ok "a -wal file with a commit is left" || fail "no -wal file left"
reference "$tmp/q"
check "project with a -wal file" "$tmp/q"
n=$(ro "$tmp/q" "$cli" info "$tmp/q/w.swell" --json | $py -c \
  'import json, sys; print(sum(json.load(sys.stdin)["unlabeled"].values()))' 2>/dev/null)
[ "$n" = 3 ] && ok "read-only sees the 3 labels removed in the -wal file" \
  || fail "read-only: $n unlabeled images, want 3"

finish
