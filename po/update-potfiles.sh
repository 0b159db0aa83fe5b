#!/bin/sh
# Rewrites po/POTFILES: every source in app/ and ui/ with translatable
# strings (_(), N_(), C_(), NC_(), ngettext, translatable="yes"), plus the data files.
set -eu
cd "$(dirname "$0")/.."
{
  echo "# Files with translatable strings. Regenerate with po/update-potfiles.sh."
  find app ui -name "*.c" -o -name "*.ui" | LC_ALL=C sort | while read -r f; do
    if grep -Eq '(^|[^A-Za-z0-9_])(N?C?_|g_dngettext|ngettext)\(|translatable="yes"' "$f"; then
      echo "$f"
    fi
  done
  echo "data/io.github.swell.Swell.desktop.in"
  echo "data/io.github.swell.Swell.metainfo.xml.in"
  echo "data/io.github.swell.Swell.mime.xml.in"
  echo "data/io.github.swell.Swell.gschema.xml"
} > po/POTFILES
