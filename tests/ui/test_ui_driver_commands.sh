#!/usr/bin/env bash
# test_ui_driver_commands.sh HEADER: the test driver's `help` (printed from
# its command table) lists exactly the commands, with their arguments, that
# the comment of HEADER (ui/swell-test-driver.h) lists, in the same order; a
# command with the wrong number of arguments fails as malformed.
set -euo pipefail
header="${1:?usage: test_ui_driver_commands.sh ui/swell-test-driver.h}"
: "${SWELL_UI:?}" "${SWELL_TMP:?}"
command -v xvfb-run >/dev/null || { echo "SKIP: xvfb-run is not installed"; exit 77; }
work="$SWELL_TMP/ui-driver-commands"
rm -rf "$work"
mkdir -p "$work"
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"
export GSK_RENDERER=cairo NO_AT_BRIDGE=1

# The header's list: " *   NAME ARGS  help", usage and help two spaces apart;
# continuation lines of a help text start with more spaces.
sed -n 's/^ \*   \([a-z][^ ]*\( [^ ]\+\)*\)  .*/\1/p' "$header" >"$work/header-commands"

printf 'help\nwait 1 2\nquit\n' >"$work/script"
SWELL_TEST_SCRIPT="$work/script" xvfb-run -a -s "-screen 0 1024x768x24" "$SWELL_UI" >"$work/log" 2>&1 && rc=0 || rc=$?
grep -P '^swell-test: help\t' "$work/log" | cut -f2 >"$work/help-commands"

fail=0
n=$(wc -l <"$work/help-commands")
echo "help lists $n commands; the header $(wc -l <"$work/header-commands")"
if [ "$n" -lt 10 ]; then echo "FAIL: help printed only $n commands"; cat "$work/log"; fail=1; fi
if ! diff -u "$work/header-commands" "$work/help-commands"; then
  echo "FAIL: the list in $header is not the driver's command table (- header, + help)"; fail=1
fi
if ! grep -q 'swell-test: FAIL unknown or malformed command “wait 1 2”' "$work/log"; then
  echo "FAIL: 'wait 1 2' (one argument too many) was not refused"; cat "$work/log"; fail=1
fi
# The malformed command makes the script's status 1.
if [ "$rc" -ne 1 ]; then echo "FAIL: the window exited with $rc, expected 1"; cat "$work/log"; fail=1; fi
[ $fail -eq 0 ] && echo "driver commands: ok"
exit $fail
