#!/usr/bin/env bash
# test_ui_product.sh SWELL: the window people install, swell, has no test
# driver in it: no code or text of ui/swell-test-driver.c (that is built only
# into swell-test-window, meson option test_driver).
set -euo pipefail
exe="${1:?usage: test_ui_product.sh PATH-TO-SWELL}"
command -v strings >/dev/null || { echo "SKIP: strings (binutils) is not installed"; exit 77; }
# A test driver in the binary, or anything of the window tests, would
# show as its strings ("swell-test: ..."), its file names and its symbols
# (swell_test_driver_*, swell_driver_*; app/'s swell_test_score_* is about
# the test split, not the driver)
found=$(strings "$exe" | grep -e 'swell-test' -e 'swell_test_driver' -e 'swell_driver_' -e 'SWELL_TEST_SCRIPT' || true)
if [ -n "$found" ]; then
  echo "FAIL: $exe contains the test driver:"
  echo "$found" | sort -u | head -10 | sed 's/^/    /'
  exit 1
fi
echo "ok: $exe has no test driver"
