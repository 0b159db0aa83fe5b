#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-OPTION...]
#
# A libFuzzer campaign on one target (pth, safetensors, json, image) for
# SECONDS seconds, starting from tests/fuzz/corpus/TARGET. Sets up build-fuzz
# with clang and -Dfuzz=true if needed. New inputs go to
# build-fuzz/corpus/TARGET (the committed seeds are never rewritten);
# findings are saved as build-fuzz/findings/TARGET/crash-* (or leak-, oom-,
# timeout-): add them to tests/fuzz/corpus/TARGET/ once fixed. One job, so
# the machine stays usable; the last lines give executions and coverage
# (the log stays in build-fuzz/findings/TARGET/fuzz-0.log).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
if [ $# -lt 2 ]; then
  echo "usage: tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-OPTION...]" >&2
  exit 2
fi
target="$1" seconds="$2"
shift 2
if [ ! -d "tests/fuzz/corpus/$target" ]; then
  echo "run.sh: no such target: $target (the targets are: $(ls tests/fuzz/corpus | tr '\n' ' '))" >&2
  exit 2
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null
fi
ninja -C build-fuzz "tests/fuzz/fuzz_$target" >/dev/null
root="$PWD"
mkdir -p "build-fuzz/corpus/$target" "build-fuzz/findings/$target"
export ASAN_OPTIONS="halt_on_error=1:print_stacktrace=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# With -jobs=1 libFuzzer runs the campaign in a child that logs to ./fuzz-0.log:
# run it in the findings folder and show that log when it ends.
cd "build-fuzz/findings/$target"
rc=0
"$root/build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -jobs=1 -workers=1 \
  -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$PWD/" "$@" \
  "$root/build-fuzz/corpus/$target" "$root/tests/fuzz/corpus/$target" || rc=$?
cat fuzz-0.log
exit $rc
