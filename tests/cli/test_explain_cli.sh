#!/bin/bash
# test_explain_cli: swell-cli explain PROJECT IMAGE [--class C] --out FILE.png on a
# project trained quickly (mobilenet_v2 from $SWELL_SHARED/weights, 96 px, 1 frozen +
# 1 epoch on weather4_small):
#  - one line "CLASS PROB%" naming predict's top class with predict's probability;
#  - the PNG is the input size (96 x 96), the same bytes for --class TOP as for the
#    default, other bytes for another class;
#  - errors, each one line naming the file, no PNG left behind and an existing one
#    intact: unknown class, no model, bad and missing image, unwritable --out,
#    --out the image itself, no --out;
#  - `swell-cli help` and `explain --help` list it.
set -u
cli=${SWELL_CLI:?}
shared=${SWELL_SHARED:?}
T=${SWELL_TMP:-/tmp}/explain-cli
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
data=$shared/datasets/weather4_small
. "$(dirname "$0")/../testlib.sh"
# png_size FILE: "W H" from the PNG header, or nothing when FILE is not a PNG
png_size() {
  $py - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(24)
if d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR":
    print(*struct.unpack(">II", d[16:24]))
PY
}

rm -rf "$T" && mkdir -p "$T"
export XDG_CACHE_HOME=$T/cache
proj=$T/w.swell
"$cli" new "$proj" >/dev/null && "$cli" import "$proj" "$data" >/dev/null 2>&1 || {
  echo "FAIL setup"; exit 1; }
"$cli" new "$T/empty.swell" >/dev/null
img=$data/valid/sunrise/sunrise138.jpg
expect_error "no model yet" "empty.swell: no trained model" "$cli" explain "$T/empty.swell" "$img" --out "$T/x.png"
[ -e "$T/x.png" ] && fail "a PNG was written without a model"
"$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 96 --epochs 1 --threads 2 \
  >/dev/null 2>"$T/train.err" || { echo "FAIL train: $(cat "$T/train.err")"; exit 1; }

# --- the predicted class ------------------------------------------------------------
"$cli" predict "$proj" "$img" --top 4 >"$T/predict.txt"
top=$(sed -n 2p "$T/predict.txt" | awk '{print $1}')
top_p=$(sed -n 2p "$T/predict.txt" | awk '{print $2}')
other=$(sed -n 3p "$T/predict.txt" | awk '{print $1}')
other_p=$(sed -n 3p "$T/predict.txt" | awk '{print $2}')
if "$cli" explain "$proj" "$img" --out "$T/top.png" >"$T/out" 2>"$T/err"; then
  [ "$(cat "$T/out")" = "$top $top_p" ] && ok "explain prints “$(cat "$T/out")” as predict" ||
    fail "explain printed “$(cat "$T/out")”, predict's top is $top $top_p"
else
  fail "explain: $(cat "$T/err")"
fi
[ "$(png_size "$T/top.png")" = "96 96" ] && ok "the PNG is 96 x 96, the input size" ||
  fail "PNG size: $(png_size "$T/top.png") ($(file "$T/top.png"))"
"$cli" explain "$proj" "$img" --class "$top" --out "$T/top2.png" >"$T/out2" 2>"$T/err"
cmp -s "$T/top.png" "$T/top2.png" && ok "--class $top is the default, byte for byte" ||
  fail "--class $top differs from the default: $(cat "$T/err")"

# --- another class ------------------------------------------------------------------
if "$cli" explain "$proj" "$img" --class "$other" --out "$T/other.png" >"$T/out" 2>"$T/err"; then
  [ "$(cat "$T/out")" = "$other $other_p" ] && ok "--class $other prints “$(cat "$T/out")”" ||
    fail "--class $other printed “$(cat "$T/out")”, predict says $other $other_p"
  [ "$(png_size "$T/other.png")" = "96 96" ] || fail "other PNG size: $(png_size "$T/other.png")"
  cmp -s "$T/top.png" "$T/other.png" && fail "the heatmaps of $top and $other are the same" ||
    ok "the heatmaps of $top and $other differ"
else
  fail "explain --class $other: $(cat "$T/err")"
fi

# --- errors -------------------------------------------------------------------------
cp "$T/top.png" "$T/keep.png"
expect_error "unknown class" "w.swell: the model has no class “snow” (its classes: cloudy, rain, shine, sunrise)" \
  "$cli" explain "$proj" "$img" --class snow --out "$T/keep.png"
cmp -s "$T/top.png" "$T/keep.png" && ok "an existing --out is intact after an error" ||
  fail "the existing --out changed"
echo "not a jpeg" >"$T/bad.jpg"
expect_error "bad image" "bad.jpg: not an image" "$cli" explain "$proj" "$T/bad.jpg" --out "$T/y.png"
expect_error "missing image" "nope.jpg: cannot read" "$cli" explain "$proj" "$T/nope.jpg" --out "$T/y.png"
[ -e "$T/y.png" ] && fail "a PNG was written for a bad image"
expect_error "unwritable out" "$T/no/dir.png: cannot write the image" \
  "$cli" explain "$proj" "$img" --out "$T/no/dir.png"
cp "$img" "$T/photo.jpg"
expect_error "out is the image" "photo.jpg: that is the image itself" \
  "$cli" explain "$proj" "$T/photo.jpg" --out "$T/photo.jpg"
cmp -s "$img" "$T/photo.jpg" && ok "the photo is intact" || fail "the photo was overwritten"
expect_error "no --out" "explain needs --out" "$cli" explain "$proj" "$img"
expect_error "no image" "explain needs a PROJECT and one IMAGE" "$cli" explain "$proj" --out "$T/z.png"

# --- help ---------------------------------------------------------------------------
"$cli" help | grep -q "explain PROJECT IMAGE \[--class C\] --out FILE.png" &&
  ok "swell-cli help lists explain" || fail "help: $("$cli" help)"
"$cli" explain --help | grep -q -- "--class=C" && ok "explain --help lists --class" ||
  fail "explain --help: $("$cli" explain --help)"
finish
