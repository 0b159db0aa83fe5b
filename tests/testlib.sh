# testlib.sh: sourced by the shell tests. ok/fail print one line per check and
# count it; finish prints the counts and returns non-zero when a check failed.
py=${PYTHON:-python3}
fails=0
passes=0
ok() { echo "ok   $*"; passes=$((passes + 1)); }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}
# wait_for_epoch FILE PID: until a training process's --json output FILE has an
# epoch line, or the process has ended (at most about 2 minutes)
wait_for_epoch() {
  for _ in $(seq 1 600); do
    grep -q '"epoch"' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.2
  done
}
# expect_error NAME WORD CMD...: non-zero exit, exactly one stderr line
# starting with "swell-cli: " and containing WORD (a grep pattern). Needs $T,
# a scratch folder.
expect_error() {
  local name=$1 word=$2
  shift 2
  if "$@" >"$T/stdout" 2>"$T/err"; then fail "$name: exit status 0"; return; fi
  local n
  n=$(wc -l <"$T/err")
  if [ "$n" -ne 1 ]; then fail "$name: $n stderr lines: $(cat "$T/err")"; return; fi
  if ! grep -q "^swell-cli: .*$word" "$T/err"; then fail "$name: message: $(cat "$T/err")"; return; fi
  ok "$name: $(cat "$T/err")"
}
# check_json NAME PYTHON-EXPRESSION FILE: the expression on `d` (the file's JSON) is true
check_json() {
  if ${PY:-$py} -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3"; then
    ok "$1"
  else
    fail "$1: $(head -c 600 "$3")"
  fi
}
# image_snapshot DB: a digest of the project's label/split/deleted columns (same before
# and after means a command changed none of them)
image_snapshot() { sqlite3 "$1" "SELECT id, category_id, split, deleted FROM images ORDER BY id" | md5sum; }
