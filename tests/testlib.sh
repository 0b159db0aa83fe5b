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
