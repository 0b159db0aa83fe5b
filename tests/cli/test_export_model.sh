#!/usr/bin/env bash
# test_export_model.sh: swell-cli export-model and predict --model.
#   For every architecture Swell trains (resnet18, resnet34, resnet50, mobilenet_v2
#   with symmetric and with TF-SAME padding) a tiny run (1 epoch at 32-64 px) on
#   weather4_small, exported to safetensors and ONNX:
#   - the ONNX file passes Debian python3-onnx's checker (full_check) and runs in ONNX
#     Runtime (onnxruntime-node from the npm registry, installed into a cache folder)
#     on the validation images as Swell preprocesses them (test_export_model inputs): the
#     same top-1 on every image and probabilities within 1e-4 of `swell-cli predict`;
#   - predict --model on the safetensors file prints byte-identical output to
#     project predict (text and --json); classify --weights prints the class names.
#   ResNets train from random-init bodies (test_export_model init): the machine has no
#   real ResNet weights, and agreement does not need them.
#   Usage errors get one line naming the file and the reason and leave no file.
set -u
export LC_ALL=C
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
HELPER="${1:?the test_export_model helper}"
DATA="${SWELL_SHARED:?}/datasets/weather4_small"
MNV2="${SWELL_SHARED}/weights/mobilenet_v2_1.0_imagenet.safetensors"
HERE=$(dirname "$0")
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_export_model-XXXXXX")
. "$HERE/../testlib.sh"

expect_error() { # NAME WORD CMD...: non-zero exit, one stderr line with WORD
  local name=$1 word=$2
  shift 2
  if "$@" >"$T/stdout" 2>"$T/err"; then fail "$name: exit status 0"; return; fi
  if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^swell-cli: .*$word" "$T/err"; then
    ok "$name: $(cat "$T/err")"
  else
    fail "$name: $(cat "$T/err")"
  fi
}

# ---- ONNX Runtime, installed once into the cache (its install script would fetch GPU
# files from a blocked host: --ignore-scripts; the CPU library is in the package)
ORT="${XDG_CACHE_HOME:-$HOME/.cache}/swell-tests/onnxruntime"
if [ ! -d "$ORT/node_modules/onnxruntime-node" ]; then
  mkdir -p "$ORT"
  npm install --ignore-scripts --no-audit --no-fund --prefix "$ORT" onnxruntime-node >"$T/npm.log" 2>&1 \
    || { cat "$T/npm.log"; fail "npm install onnxruntime-node"; finish; exit 1; }
fi

"$CLI" new "$T/p.swell" >/dev/null && "$CLI" import "$T/p.swell" "$DATA" >/dev/null 2>&1 \
  || fail "import weather4_small"
expect_error "export-model before training" "no trained model" "$CLI" export-model "$T/p.swell" "$T/none.onnx"
[ -e "$T/none.onnx" ] && fail "a failed export left a file"
VALID=$(find "$DATA/valid" -type f -name '*.jpg' | sort)
CLASSES=cloudy,rain,shine,sunrise

# check_arch NAME ARCH SIZE WEIGHTS: train, export, compare
check_arch() {
  local name=$1 arch=$2 size=$3 weights=$4 d="$T/$1"
  mkdir -p "$d"
  if ! "$CLI" train "$T/p.swell" --arch "$arch" --weights "$weights" --epochs 1 --freeze-epochs 0 \
      --size "$size" --batch-size 32 --seed 3 --threads 2 >"$d/train.log" 2>&1; then
    fail "$name: train: $(tail -1 "$d/train.log")"; return
  fi
  "$CLI" export-model "$T/p.swell" "$d/m.safetensors" >"$d/out" 2>&1 \
    && "$CLI" export-model "$T/p.swell" "$d/m.onnx" >>"$d/out" 2>&1 \
    || { fail "$name: export-model: $(cat "$d/out")"; return; }
  grep -q "^exported run [0-9]* ($arch, 4 classes) to $d/m.onnx$" "$d/out" \
    && ok "$name: export-model to safetensors and ONNX" || fail "$name: export output: $(cat "$d/out")"
  # predict --model: the same output as project predict
  "$CLI" predict "$T/p.swell" $VALID >"$d/p.txt" && "$CLI" predict --model "$d/m.safetensors" $VALID >"$d/m.txt" \
    && cmp -s "$d/p.txt" "$d/m.txt" && ok "$name: predict --model = project predict (text)" \
    || fail "$name: predict --model text differs"
  "$CLI" predict "$T/p.swell" --json --top 4 $VALID >"$d/p.jsonl" \
    && "$CLI" predict --model "$d/m.safetensors" --json --top 4 $VALID >"$d/m.jsonl" \
    && cmp -s "$d/p.jsonl" "$d/m.jsonl" && ok "$name: predict --model = project predict (--json)" \
    || fail "$name: predict --model --json differs"
  # ONNX: the checker, then ONNX Runtime on Swell's inputs
  local msg
  msg=$(/usr/bin/python3 "$HERE/test_export_model.py" "$d/m.onnx" "$CLASSES" 2>&1) \
    && ok "$name: $msg" || fail "$name: onnx checker: $msg"
  "$HELPER" inputs "$d/m.safetensors" "$d/in.f32" $VALID || { fail "$name: inputs"; return; }
  msg=$(node "$HERE/test_export_model.js" "$ORT" "$d/m.onnx" "$d/in.f32" "$size" "$d/p.jsonl" 2>&1) \
    && ok "$name: ONNX Runtime: $msg" || fail "$name: ONNX Runtime: $msg"
}

for a in resnet18 resnet34 resnet50; do
  "$HELPER" init $a "$T/$a-init.safetensors" || fail "init $a"
  check_arch $a $a 32 "$T/$a-init.safetensors"
done
"$HELPER" init mobilenet_v2 "$T/mnv2-init.safetensors" || fail "init mobilenet_v2"
check_arch mobilenet_v2-symmetric mobilenet_v2 32 "$T/mnv2-init.safetensors"
check_arch mobilenet_v2-tf_same mobilenet_v2 64 "$MNV2"
grep -q '"padding":"tf_same"' <(head -c 4000 "$T/mobilenet_v2-tf_same/m.safetensors") \
  && ok "the TF-SAME export says so in its metadata" || fail "tf_same padding not in the metadata"

# ---- classify --weights on an export prints the class names
first=$(echo "$VALID" | head -1)
"$CLI" classify --arch mobilenet_v2 --weights "$T/mobilenet_v2-tf_same/m.safetensors" --top 4 "$first" >"$T/cls" \
  && [ "$(sed -n '2,5p' "$T/cls" | awk '{print $3}' | sort | tr '\n' ,)" = "$CLASSES," ] \
  && ok "classify --weights prints the class names" || fail "classify: $(cat "$T/cls")"

# ---- --run and --format
"$CLI" export-model "$T/p.swell" "$T/run1.bin" --run 1 --format onnx >"$T/out" \
  && grep -q "^exported run 1 (resnet18, 4 classes)" "$T/out" \
  && /usr/bin/python3 "$HERE/test_export_model.py" "$T/run1.bin" "$CLASSES" >/dev/null \
  && ok "--run 1 --format onnx" || fail "--run/--format: $(cat "$T/out")"

# ---- errors
expect_error "unknown extension" "cannot tell the format" "$CLI" export-model "$T/p.swell" "$T/m.bin"
expect_error "unknown --format" "unknown --format" "$CLI" export-model "$T/p.swell" "$T/m.onnx" --format tflite
expect_error "no such run" "run 99" "$CLI" export-model "$T/p.swell" "$T/m.onnx" --run 99
expect_error "no such project" "nope.swell" "$CLI" export-model "$T/nope.swell" "$T/m.onnx"
expect_error "unwritable folder" "$T/no/such/m.onnx" "$CLI" export-model "$T/p.swell" "$T/no/such/m.onnx"
expect_error "predict --model: no such file" "no such file" "$CLI" predict --model "$T/none.safetensors" "$first"
expect_error "predict --model: no class names" "names no classes" "$CLI" predict --model "$MNV2" "$first"
printf 'garbage' >"$T/bad.safetensors"
expect_error "predict --model: not a model file" "bad.safetensors" "$CLI" predict --model "$T/bad.safetensors" "$first"
[ -z "$(find "$T" -name '*.tmp-*')" ] && ok "no temporary files left" || fail "temporary files left"

finish || exit 1
rm -rf "$T"
