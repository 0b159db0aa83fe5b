#!/bin/sh
# test_i18n.sh SOURCE_ROOT BUILD_ROOT LOCALE_SHIM
# Translations: every catalogue passes `msgfmt --check`; the German one is
# complete; POTFILES lists every file with translatable strings; the template
# made from the sources now is covered by de.po; swell-cli speaks German under
# LANGUAGE=de; the desktop file and metainfo carry the German text.
set -u
SRC=$1
BUILD=$2
SHIM=$3
fails=0
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d "${SWELL_TMP:-/tmp}/i18n-XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. msgfmt --check on every catalogue, and the German one is complete.
for po in "$SRC"/po/*.po; do
  if out=$(msgfmt --check --statistics -o "$tmp/out.mo" "$po" 2>&1); then
    ok "msgfmt --check $(basename "$po"): $out"
  else
    fail "msgfmt --check $(basename "$po")"
    echo "$out" | sed 's/^/    /'
  fi
done
for lang in $(grep -v '^#' "$SRC/po/LINGUAS"); do
  [ -f "$SRC/po/$lang.po" ] || fail "LINGUAS lists $lang but po/$lang.po is missing"
done
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$SRC/po/de.po" 2>&1)
case "$stats" in
  *untranslated* | *fuzzy*) fail "de.po is not complete: $stats" ;;
  *) ok "de.po is complete: $stats" ;;
esac

# 2. POTFILES names every file with translatable strings, and only existing files.
cd "$SRC"
for f in $(grep -v '^#' po/POTFILES); do
  [ -f "$f" ] || fail "POTFILES lists $f, which does not exist"
done
missing=""
for f in app/*.c ui/*.c ui/*.ui; do
  [ -f "$f" ] || continue
  if grep -Eq '(^|[^A-Za-z0-9_])(N?C?_|g_dngettext|ngettext)\(|translatable="yes"' "$f" &&
     ! grep -qx "$f" po/POTFILES; then
    missing="$missing $f"
  fi
done
[ -z "$missing" ] && ok "POTFILES lists every file with translatable strings" ||
  fail "POTFILES misses:$missing (run po/update-potfiles.sh)"

# 3. The strings in the sources now, against de.po. Strings added after the last
# catalogue update are reported; the test fails when more than 10% are missing.
existing=""
for f in $(grep -v '^#' po/POTFILES); do [ -f "$f" ] && existing="$existing $f"; done
for f in $missing; do existing="$existing $f"; done
if xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=g_dngettext:2,3 -o "$tmp/now.pot" $existing 2>"$tmp/xgettext.err"; then
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/now.po" "$SRC/po/de.po" "$tmp/now.pot" 2>/dev/null
  total=$(msgattrib --no-obsolete "$tmp/now.po" | grep -c '^msgid ')
  total=$((total - 1))
  untrans=$(msgattrib --untranslated --no-obsolete "$tmp/now.po" | grep -c '^msgid ')
  [ "$untrans" -gt 0 ] && untrans=$((untrans - 1))
  echo "sources now: $total strings, $untrans without a German translation"
  msgattrib --untranslated --no-obsolete "$tmp/now.po" | grep -A1 '^#:' | grep '^msgid' | head -20 | sed 's/^/    /'
  if [ $((untrans * 10)) -le "$total" ]; then ok "de.po covers at least 90% of the strings in the sources"
  else fail "de.po covers less than 90% of the strings in the sources"; fi
else
  fail "xgettext on POTFILES"
  sed 's/^/    /' "$tmp/xgettext.err"
fi

# 4. swell-cli in German. The shim points the "swell" domain at the build
# tree's catalogues. Use de_DE.UTF-8 when it exists, else C.UTF-8 + LANGUAGE.
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then loc=de_DE.UTF-8; else loc=C.UTF-8; fi
run_de() {
  env LD_PRELOAD="$SHIM" SWELL_TEST_LOCALEDIR="$BUILD/po" LC_ALL="$loc" LANG="$loc" LANGUAGE=de "$@"
}
expect_de() { # expect_de ENGLISH OUTPUT: the German msgstr of ENGLISH must be in OUTPUT
  want=$(python3 - "$SRC/po/de.po" "$1" <<'PY'
import sys, re
po, key = sys.argv[1], sys.argv[2]
entries = open(po, encoding="utf-8").read().split("\n\n")
def unq(lines):
    return "".join(eval(l[l.index('"'):]) for l in lines)
for e in entries:
    lines = [l for l in e.splitlines() if not l.startswith("#")]
    try:
        i = next(n for n, l in enumerate(lines) if l.startswith("msgid "))
        j = next(n for n, l in enumerate(lines) if l.startswith("msgstr "))
    except StopIteration:
        continue
    if unq(lines[i:j]) == key:
        print(unq(lines[j:]).split("\n")[0])
        break
PY
)
  if [ -z "$want" ]; then fail "no German translation for '$1'"; return; fi
  case "$2" in
    *"$want"*) ok "German: '$want'" ;;
    *) fail "output lacks the German '$want'"; echo "$2" | head -5 | sed 's/^/    /' ;;
  esac
}
out=$(run_de "$SWELL_CLI" help 2>&1)
expect_de "Commands:" "$out"
expect_de "Usage: swell-cli COMMAND [OPTIONS...]" "$out"
out=$(run_de "$SWELL_CLI" weights --help 2>&1)
expect_de "Manage the pretrained ImageNet weights Swell starts training from." "$out"
out=$(XDG_CACHE_HOME="$tmp/cache" run_de "$SWELL_CLI" weights fetch no-such-arch 2>&1)
case "$out" in
  *"no pretrained weights are known"*) fail "error message not translated: $out" ;;
  *) ok "error message in German: $out" ;;
esac
# And in English without LANGUAGE (the shim alone changes nothing).
out=$(env LD_PRELOAD="$SHIM" SWELL_TEST_LOCALEDIR="$BUILD/po" LC_ALL=C.UTF-8 LANGUAGE= "$SWELL_CLI" help 2>&1)
case "$out" in *"Commands:"*) ok "English without LANGUAGE" ;; *) fail "English help: $out" ;; esac

# 5. Desktop file, metainfo and MIME comment carry the German text.
grep -q '^Comment\[de\]=' "$BUILD/data/io.github.swell.Swell.desktop" && ok "desktop file has Comment[de]" ||
  fail "desktop file has no Comment[de]"
grep -q 'xml:lang="de"' "$BUILD/data/io.github.swell.Swell.metainfo.xml" && ok "metainfo has German text" ||
  fail "metainfo has no German text"
grep -q 'xml:lang="de"' "$BUILD/data/io.github.swell.Swell.xml" && ok "MIME comment has German text" ||
  fail "MIME comment has no German text"

echo "$fails checks failed"
[ $fails -eq 0 ]
