#!/bin/sh
# test_data_files.sh SOURCE_ROOT BUILD_ROOT
# Validates the desktop integration files and the installation:
#   desktop-file-validate, appstreamcli validate --no-net, glib-compile-schemas
#   --strict --dry-run, xmllint on the MIME package, the MIME type in action
#   (glob and magic, through update-mime-database + GIO), the icons, and
#   `meson install --destdir` puts every file where the desktop expects it.
set -u
SRC=$1
BUILD=$2
APP_ID=io.github.swell.Swell
. "$(dirname "$0")/../testlib.sh"
check() { # check DESCRIPTION COMMAND...
  what=$1
  shift
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what"; echo "$out" | sed 's/^/    /'; fi
}

tmp=$(mktemp -d "${SWELL_TMP:-/tmp}/data-files-XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT

desktop=$BUILD/data/$APP_ID.desktop
metainfo=$BUILD/data/$APP_ID.metainfo.xml
mime=$BUILD/data/$APP_ID.xml

# 1. Validators.
check "desktop-file-validate" desktop-file-validate "$desktop"
# Hints are advice, but keep the file free of them too.
if desktop-file-validate "$desktop" 2>&1 | grep -q .; then fail "desktop-file-validate printed hints"; fi
check "appstreamcli validate --no-net" appstreamcli validate --no-net "$metainfo"
check "glib-compile-schemas --strict --dry-run" glib-compile-schemas --strict --dry-run "$SRC/data"
check "xmllint MIME package (source)" xmllint --noout "$SRC/data/$APP_ID.mime.xml.in"
check "xmllint MIME package (built)" xmllint --noout "$mime"
for svg in "$SRC"/data/icons/hicolor/scalable/apps/$APP_ID.svg \
           "$SRC"/data/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg; do
  check "xmllint $(basename "$svg")" xmllint --noout "$svg"
done
grep -q 'viewBox="0 0 16 16"' "$SRC/data/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg" ||
  fail "symbolic icon is not 16x16"

# 2. The files agree with each other.
grep -qx "Icon=$APP_ID" "$desktop" || fail "desktop Icon is not $APP_ID"
grep -qx "Exec=swell %F" "$desktop" || fail "desktop Exec is not 'swell %F'"
grep -qx "MimeType=application/x-swell-project;" "$desktop" || fail "desktop MimeType"
grep -q "<launchable type=\"desktop-id\">$APP_ID.desktop</launchable>" "$metainfo" || fail "metainfo launchable"
grep -q "<id>$APP_ID</id>" "$metainfo" || fail "metainfo id"
grep -q '<mediatype>application/x-swell-project</mediatype>' "$metainfo" || fail "metainfo mediatype"
grep -q 'type="application/x-swell-project"' "$mime" || fail "MIME type name"
grep -q "id=\"$APP_ID\"" "$SRC/data/$APP_ID.gschema.xml" || fail "GSettings schema id is not $APP_ID"
n_shots=$(grep -c '<image>https://raw.githubusercontent.com/swell-app/swell/main/data/screenshots/' "$metainfo")
[ "$n_shots" -ge 1 ] || fail "metainfo has no screenshot"
for url in $(sed -n 's|.*<image>https://raw.githubusercontent.com/swell-app/swell/main/\(.*\)</image>.*|\1|p' "$metainfo"); do
  [ -f "$SRC/$url" ] || fail "screenshot $url is referenced by the metainfo but not in the repository"
done
grep -q '<release version="' "$metainfo" || fail "metainfo has no release"
ok "desktop file, metainfo, MIME type and schema agree ($n_shots screenshots)"

# 3. The MIME type works: glob for *.swell, magic for a Swell SQLite file without
# the extension, and a plain SQLite database is not claimed.
mkdir -p "$tmp/share/mime/packages"
cp "$mime" "$tmp/share/mime/packages/"
check "update-mime-database" update-mime-database "$tmp/share/mime"
python3 - "$tmp" <<'PY'
import sqlite3, sys, os
d = sys.argv[1]
for name, app_id in (("project.swell", 0x5357454c), ("project-without-extension", 0x5357454c),
                     ("other.sqlite-data", 0)):
    db = sqlite3.connect(os.path.join(d, name))
    if app_id:
        db.execute("PRAGMA application_id = %d" % app_id)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
PY
ctype() {
  XDG_DATA_HOME=$tmp/share XDG_DATA_DIRS=/usr/share gio info -a standard::content-type "$1" |
    sed -n 's/.*standard::content-type: //p'
}
t=$(ctype "$tmp/project.swell")
[ "$t" = application/x-swell-project ] && ok "*.swell is application/x-swell-project" || fail "*.swell is '$t'"
t=$(ctype "$tmp/project-without-extension")
[ "$t" = application/x-swell-project ] && ok "Swell SQLite header is recognised by magic" ||
  fail "Swell SQLite file without extension is '$t'"
t=$(ctype "$tmp/other.sqlite-data")
[ "$t" != application/x-swell-project ] && ok "a plain SQLite file is not a Swell project ($t)" ||
  fail "a plain SQLite database is claimed as a Swell project"
if [ -n "${SWELL_CLI:-}" ] && "$SWELL_CLI" new --help >/dev/null 2>&1; then
  if "$SWELL_CLI" new "$tmp/made-by-cli.swell" >/dev/null 2>&1; then
    cp "$tmp/made-by-cli.swell" "$tmp/made-by-cli-noext"
    t=$(ctype "$tmp/made-by-cli-noext")
    [ "$t" = application/x-swell-project ] && ok "a project made by swell-cli new is recognised by magic" ||
      fail "a project made by swell-cli new is '$t'"
  fi
fi

# 4. meson install --destdir.
dest=$tmp/dest
if out=$(meson install -C "$BUILD" --no-rebuild --quiet --destdir "$dest" 2>&1); then
  ok "meson install --destdir"
else
  fail "meson install --destdir"
  echo "$out" | sed 's/^/    /'
fi
prefix=$(meson introspect --buildoptions "$BUILD" 2>/dev/null | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
print(opts["prefix"])')
root=$dest$prefix
want="bin/swell-cli
share/applications/$APP_ID.desktop
share/metainfo/$APP_ID.metainfo.xml
share/icons/hicolor/scalable/apps/$APP_ID.svg
share/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg
share/glib-2.0/schemas/$APP_ID.gschema.xml
share/mime/packages/$APP_ID.xml
share/locale/de/LC_MESSAGES/swell.mo"
# The window is built only when the UI's target exists in this tree.
if [ -e "$BUILD/ui/swell" ]; then want="bin/swell
$want"; fi
missing=0
for f in $want; do
  if [ ! -f "$root/$f" ]; then fail "not installed: $prefix/$f"; missing=1; fi
done
[ $missing -eq 0 ] && ok "installed: $(echo "$want" | tr '\n' ' ')"
[ -e "$BUILD/ui/swell" ] || echo "note: ui/swell is not built in this tree; not checked"
if [ -f "$root/share/applications/$APP_ID.desktop" ]; then
  check "installed desktop file validates" desktop-file-validate "$root/share/applications/$APP_ID.desktop"
fi
if [ -f "$root/share/metainfo/$APP_ID.metainfo.xml" ]; then
  check "installed metainfo validates" appstreamcli validate --no-net "$root/share/metainfo/$APP_ID.metainfo.xml"
fi
check "installed schema compiles" glib-compile-schemas --strict --dry-run "$root/share/glib-2.0/schemas"

echo "$fails checks failed"
finish
