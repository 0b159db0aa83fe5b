#!/usr/bin/env bash
# test_export.sh: `swell-cli export` is safe to run twice and never loses or
# merges images (issue 15 item 5):
#  - into a folder that holds an earlier export it refuses unless --force, and
#    --force replaces the export (no name-2.jpg copies, nothing stale left);
#    a folder holding anything else is refused even with --force, untouched;
#  - names of 249 and 255 bytes (the most a file system allows) export with
#    their extension, shortened where needed, valid UTF-8; they re-import;
#  - categories `a\b` and `a_b` (and other names with characters folders
#    cannot hold) go to two folders, and re-importing gives the same
#    categories with the same counts;
#  - a category name over 255 bytes or with a control character is refused
#    when it is made: by `new --categories` and by import's folder categories.
set -u
export LC_ALL=C.UTF-8
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
FIX="${SWELL_FIXTURES:?}"
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_export-XXXXXX")
. "$(dirname "$0")/../testlib.sh"

# tree DIR: every file below DIR with its SHA-256, sorted
tree() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }
# counts PROJECT: "name train valid test" per category, sorted
counts() {
  "$CLI" info "$1" --json | python3 -c '
import json, sys
for c in sorted(json.load(sys.stdin)["categories"], key=lambda c: c["name"]):
    print(repr(c["name"]), c["train"], c["valid"], c["test"])'
}

# ---- a small project: two images named x.jpg in one folder, one in another
mkdir -p "$T/s1/train/cat" "$T/s2/train/cat" "$T/s1/valid/dog"
cp "$FIX/images/gray.jpg" "$T/s1/train/cat/x.jpg"
cp "$FIX/images/cmyk.jpg" "$T/s2/train/cat/x.jpg"
cp "$FIX/images/exif_rot6.jpg" "$T/s1/valid/dog/y.jpg"
"$CLI" new "$T/p.swell" >/dev/null && "$CLI" import "$T/p.swell" "$T/s1" "$T/s2" >/dev/null 2>&1 \
  || fail "import the small project"

# ---- twice in a row
"$CLI" export "$T/p.swell" "$T/out" >"$T/exp" 2>"$T/err" || fail "first export: $(cat "$T/err")"
grep -qx "Exported 3 images to $T/out" "$T/exp" && ok "first export: $(cat "$T/exp")" \
  || fail "first export: $(cat "$T/exp")"
[ "$(cd "$T/out" && find . -type f | sort | tr '\n' ' ')" = \
  "./train/cat/x-2.jpg ./train/cat/x.jpg ./valid/dog/y.jpg " ] \
  && cmp -s "$T/out/train/cat/x.jpg" "$FIX/images/gray.jpg" \
  && cmp -s "$T/out/train/cat/x-2.jpg" "$FIX/images/cmyk.jpg" \
  && ok "two images named x.jpg in one folder are both exported" \
  || fail "first export files: $(cd "$T/out" && find . -type f | sort | tr '\n' ' ')"
first=$(tree "$T/out")
expect_error "export again without --force" "holds an earlier export; add --force" \
  "$CLI" export "$T/p.swell" "$T/out"
[ "$(tree "$T/out")" = "$first" ] && ok "the refused export left the earlier one as it was" \
  || fail "the refused export changed $T/out"
"$CLI" export "$T/p.swell" "$T/out" --force >"$T/exp" 2>"$T/err" \
  && grep -qx "Exported 3 images to $T/out" "$T/exp" \
  && ok "export again with --force: $(cat "$T/exp")" || fail "export --force: $(cat "$T/err")"
[ "$(tree "$T/out")" = "$first" ] && ok "--force twice gives the same files, no -2 copies" \
  || fail "after --force: $(tree "$T/out")"
[ -z "$(find "$T" -maxdepth 1 -name 'out.tmp-*')" ] && ok "no temporary folder left beside it" \
  || fail "left: $(find "$T" -maxdepth 1 -name 'out.tmp-*')"

# --force replaces: an image deleted from the project is gone from the export
"$CLI" new "$T/p2.swell" >/dev/null && "$CLI" import "$T/p2.swell" "$T/s1" >/dev/null 2>&1
"$CLI" export "$T/p2.swell" "$T/out" --force >/dev/null 2>"$T/err" || fail "--force: $(cat "$T/err")"
[ "$(cd "$T/out" && find . -type f | sort | tr '\n' ' ')" = "./train/cat/x.jpg ./valid/dog/y.jpg " ] \
  && ok "--force replaces the export (the stale x-2.jpg is gone)" \
  || fail "--force merged: $(cd "$T/out" && find . -type f | sort | tr '\n' ' ')"

# a folder that is not an export is refused, even with --force, and kept
mkdir -p "$T/mine/train/cat" && echo keep >"$T/mine/notes.txt" && echo keep >"$T/mine/train/cat/x-2.jpg"
expect_error "export into a folder with other files" "notes.txt" "$CLI" export "$T/p.swell" "$T/mine"
expect_error "... even with --force" "which an export does not write" \
  "$CLI" export "$T/p.swell" "$T/mine" --force
[ "$(cd "$T/mine" && find . -type f | sort | tr '\n' ' ')" = "./notes.txt ./train/cat/x-2.jpg " ] \
  && ok "the other folder is untouched" || fail "the other folder changed"
echo data >"$T/afile"
expect_error "export onto a file" "not a folder" "$CLI" export "$T/p.swell" "$T/afile" --force
mkdir -p "$T/empty"
"$CLI" export "$T/p.swell" "$T/empty" >/dev/null 2>"$T/err" && [ -f "$T/empty/train/cat/x.jpg" ] \
  && ok "export into an empty folder" || fail "empty folder: $(cat "$T/err")"

# ---- long names: 249 and 255 bytes (with multi-byte characters) import and export
long249=$(python3 -c 'print("a" * 245 + ".jpg")')
long255=$(python3 -c 'print("é" * 122 + "abcdxy.jpeg")')
mkdir -p "$T/long/train/cat"
cp "$FIX/images/gray.jpg" "$T/long/train/cat/$long249"
cp "$FIX/images/cmyk.jpg" "$T/long/train/cat/$long255"
cp "$FIX/images/exif_rot6.jpg" "$T/long/train/cat/$(python3 -c 'print("é" * 122 + "abcdxz.jpeg")')"
"$CLI" new "$T/l.swell" >/dev/null && "$CLI" import "$T/l.swell" "$T/long" >"$T/imp" 2>&1
head -1 "$T/imp" | grep -q "Imported 3 images" || fail "import long names: $(cat "$T/imp")"
"$CLI" export "$T/l.swell" "$T/lout" >"$T/exp" 2>"$T/err" && grep -q "Exported 3 images" "$T/exp" \
  && ok "export of 249- and 255-byte names completes" || fail "long export: $(cat "$T/err")"
if python3 - "$T/lout/train/cat" "$long249" "$long255" <<'PY'
import os, sys
d, n249, n255 = sys.argv[1], sys.argv[2], sys.argv[3]
names = sorted(os.listdir(d))
assert len(names) == 3, names
assert n249 in names, names                 # fits: kept as it is
assert n255 in names, names                 # fits: kept as it is
other = [n for n in names if n not in (n249, n255)]
assert len(os.fsencode(other[0])) <= 255 and other[0].endswith(".jpeg"), other
os.fsencode(other[0]).decode("utf-8")       # valid UTF-8
PY
then ok "long names kept (255 bytes is allowed)"; else fail "long names: $(ls "$T/lout/train/cat")"; fi
# another photo under the same 255-byte name: it gets -2 and is shortened to fit
mkdir -p "$T/long2/train/cat"
cp "$FIX/images/orange.webp" "$T/long2/train/cat/$long255"
"$CLI" import "$T/l.swell" "$T/long2" >/dev/null 2>&1
"$CLI" export "$T/l.swell" "$T/lout" --force >/dev/null 2>"$T/err" || fail "long -2: $(cat "$T/err")"
if python3 - "$T/lout/train/cat" "$FIX/images/orange.webp" <<'PY'
import os, sys
d = sys.argv[1]
names = sorted(os.listdir(d))
assert len(names) == 4, names
short = [n for n in names if n.endswith("-2.jpeg")]
assert len(short) == 1, names
b = os.fsencode(short[0])
assert len(b) <= 255, len(b)
b.decode("utf-8")
assert open(os.path.join(d, short[0]), "rb").read() == open(sys.argv[2], "rb").read()
print(len(b))
PY
then ok "a 255-byte name that needs -2 is shortened, keeps .jpeg and valid UTF-8"
else fail "shortened: $(ls "$T/lout/train/cat")"; fi
"$CLI" new "$T/lr.swell" >/dev/null && "$CLI" import "$T/lr.swell" "$T/lout" >"$T/imp" 2>&1
head -1 "$T/imp" | grep -qx "Imported 4 images, 0 duplicates, 0 rejected" \
  && ok "the long-name export re-imports" || fail "re-import long: $(cat "$T/imp")"

# ---- categories that differ only in characters folders cannot hold
mkdir -p "$T/src"
for i in 1 2 3 4 5 6; do
  python3 -c "import sys; open(sys.argv[1], 'wb').write(open(sys.argv[2], 'rb').read() + bytes([$i]))" \
    "$T/src/$i.jpg" "$FIX/images/gray.jpg"
done
names=('a\b' 'a_b' 'a/b' 'x:y?' '.hidden' '100%' 'a%5Cb')
"$CLI" new "$T/c.swell" --categories "$(IFS=,; echo "${names[*]}")" >/dev/null 2>"$T/err" \
  || fail "new with odd names: $(cat "$T/err")"
# label the images in the database (there is no labelling command yet): 2 in a\b, 1 in
# a_b, a/b, x:y? and .hidden each
"$CLI" import "$T/c.swell" "$T/src" --split train >/dev/null 2>&1
python3 - "$T/c.swell" <<'PY' || fail "labelling the images"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cats = [r[0] for r in db.execute("SELECT id FROM categories ORDER BY position")]
imgs = [r[0] for r in db.execute("SELECT id FROM images ORDER BY id")]
labels = [cats[0], cats[0], cats[1], cats[2], cats[3], cats[4]]
for img, cat in zip(imgs, labels):
    db.execute("UPDATE images SET category_id = ? WHERE id = ?", (cat, img))
db.commit()
PY
"$CLI" export "$T/c.swell" "$T/cout" >"$T/exp" 2>"$T/err" || fail "odd names export: $(cat "$T/err")"
[ "$(ls "$T/cout/train" | LC_ALL=C sort | tr '\n' ' ')" = "%2Ehidden a%2Fb a%5Cb a_b x%3Ay%3F " ] \
  && [ "$(ls "$T/cout/train/a%5Cb" | wc -l)" = 2 ] && [ "$(ls "$T/cout/train/a_b" | wc -l)" = 1 ] \
  && ok "a\\b and a_b go to two folders: $(ls "$T/cout/train" | tr '\n' ' ')" \
  || fail "odd names folders: $(ls -R "$T/cout")"
"$CLI" new "$T/cr.swell" >/dev/null && "$CLI" import "$T/cr.swell" "$T/cout" >"$T/imp" 2>&1
head -1 "$T/imp" | grep -qx "Imported 6 images, 0 duplicates, 0 rejected" || fail "re-import: $(cat "$T/imp")"
# the empty categories (100%, a%5Cb) have no folder: compare the ones with images
counts "$T/c.swell" | grep -v " 0 0 0$" >"$T/c.counts"
counts "$T/cr.swell" >"$T/cr.counts"
cmp -s "$T/c.counts" "$T/cr.counts" && ok "re-import: same categories, same counts: $(tr '\n' ';' <"$T/cr.counts")" \
  || fail "re-import counts: $(tr '\n' ';' <"$T/c.counts") vs $(tr '\n' ';' <"$T/cr.counts")"
# a literal %5C in a name survives the round trip too
python3 - "$T/c.swell" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cat = db.execute("SELECT id FROM categories WHERE name = 'a%5Cb'").fetchone()[0]
img = db.execute("SELECT id FROM images WHERE category_id = (SELECT id FROM categories WHERE name = 'a_b')").fetchone()[0]
db.execute("UPDATE images SET category_id = ? WHERE id = ?", (cat, img))
db.commit()
PY
"$CLI" export "$T/c.swell" "$T/cout" --force >/dev/null 2>"$T/err" || fail "export: $(cat "$T/err")"
"$CLI" new "$T/cr2.swell" >/dev/null && "$CLI" import "$T/cr2.swell" "$T/cout" >/dev/null 2>&1
counts "$T/cr2.swell" | grep -qx "'a%5Cb' 1 0 0" && ok "a category named a%5Cb round-trips (folder a%255Cb)" \
  || fail "a%5Cb: $(counts "$T/cr2.swell" | tr '\n' ';')"

# ---- bad category names are refused when they are made
expect_error "new: a control character" "contains a control character (U+0009)" \
  "$CLI" new "$T/bad.swell" --categories "$(printf 'ok,a\tb')"
[ ! -e "$T/bad.swell" ] && ok "no project file left" || fail "a project file was left"
expect_error "new: 256 bytes" "is too long (256 bytes; the limit is 255)" \
  "$CLI" new "$T/bad.swell" --categories "$(python3 -c 'print("c" * 256)')"
expect_error "new: too long once encoded" "too long for a folder name" \
  "$CLI" new "$T/bad.swell" --categories "$(python3 -c 'print("a:" * 100)')"
"$CLI" new "$T/ok.swell" --categories "$(python3 -c 'print("c" * 255)')" >/dev/null 2>&1 \
  && ok "new: a 255-byte name is allowed" || fail "new: 255 bytes refused"
mkdir -p "$T/badimp/train/$(printf 'tab\there')" "$T/badimp/train/good"
cp "$FIX/images/gray.jpg" "$T/badimp/train/$(printf 'tab\there')/g.jpg"
cp "$FIX/images/cmyk.jpg" "$T/badimp/train/good/c.jpg"
"$CLI" new "$T/bi.swell" >/dev/null && "$CLI" import "$T/bi.swell" "$T/badimp" >"$T/imp" 2>&1
head -1 "$T/imp" | grep -qx "Imported 1 image, 0 duplicates, 1 rejected" \
  && grep -q "rejected: .*g.jpg: the folder name .* cannot be a category (the category name “tab?here” contains a control character (U+0009))" "$T/imp" \
  && ok "import: a folder with a control character is refused: $(grep rejected "$T/imp")" \
  || fail "import of a bad folder name: $(cat "$T/imp")"
[ "$(counts "$T/bi.swell")" = "'good' 1 0 0" ] && ok "import: only the good category was made" \
  || fail "import made: $(counts "$T/bi.swell")"

finish || exit 1
rm -rf "$T"
