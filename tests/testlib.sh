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
