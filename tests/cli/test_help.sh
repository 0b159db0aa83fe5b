#!/bin/bash
# test_help: `swell-cli help` lists every option of every command. Each command
# named in `swell-cli help` is asked for its --help; every --option that help shows
# must appear in the command's line of `swell-cli help`. classify's --help shows
# IMAGE… once.
set -u
cli=${SWELL_CLI:?}
. "$(dirname "$0")/../testlib.sh"
export LC_ALL=C.UTF-8 LANGUAGE=

help=$("$cli" help) || { fail "swell-cli help: exit status $?"; finish; exit 1; }
# the command lines: indented, after "Commands:"
commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z-]*\).*/\1/p' | sort -u)
n=$(printf '%s\n' "$commands" | grep -c .)
[ "$n" -ge 18 ] && ok "swell-cli help lists $n commands" || fail "swell-cli help lists $n commands: $commands"
total=0
for c in $commands; do
  lines=$(printf '%s\n' "$help" | grep -E "^  $c( |$)")
  opts=$("$cli" "$c" --help 2>&1 | grep -oE '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*' | grep -vx -- '--help')
  missing=""
  for o in $opts; do
    total=$((total + 1))
    printf '%s\n' "$lines" | grep -qE -- "$o([^a-z-]|$)" || missing="$missing $o"
  done
  if [ -z "$missing" ]; then ok "$c: every option of “$c --help” is in swell-cli help ($(echo $opts | wc -w))"
  else fail "$c: swell-cli help misses$missing"; fi
done
[ "$total" -ge 60 ] && ok "$total options checked" || fail "only $total options found in the commands' --help"

usage=$("$cli" classify --help | sed -n 2p)
k=$(printf '%s\n' "$usage" | grep -o 'IMAGE' | wc -l)
[ "$k" -eq 1 ] && ok "classify --help: IMAGE… once: $usage" || fail "classify --help shows IMAGE $k times: $usage"
finish
