#!/bin/bash
# test_unknown_tta: "none of these" and test-time augmentation from swell-cli
# (issue 12, items 6 and 7) on a model trained in seconds (weather4_small,
# MobileNetV2 1.0, 64x64, fine_tune(2)):
#  - predict --json has "unknown" per image; a hymenoptera photo is flagged,
#    most validation photos are not; text predict says "looks like none of
#    your categories" for it;
#  - the threshold is in export-model's file, and predict --model FILE gives
#    the same flags and probabilities; the same file without the threshold
#    (a model from before) never flags;
#  - predict --tta is deterministic for a seed, another seed changes it;
#    report --tta shows the accuracy with and without TTA, the latter being the
#    run's, and repeats exactly.
# Needs python3 (no torch) to read the JSON.
set -u
cli=${SWELL_CLI:?}
shared=${SWELL_SHARED:?}
tmp=${SWELL_TMP:-/tmp}/unknown-tta
weights=$shared/weights/mobilenet_v2_1.0_imagenet.safetensors
data=$shared/datasets/weather4_small
ood=$shared/datasets/hymenoptera/train/bees/3100226504_c0d4f1e3f1.jpg
. "$(dirname "$0")/../testlib.sh"
T=$tmp
py_check() { # py_check "what" python-code (argv[1:] are the files)
  local what=$1 code=$2
  shift 2
  if $py - "$@" <<PY 2>"$tmp/py.err"
import json, sys
def lines(f): return [json.loads(l) for l in open(f) if l.strip()]
$code
PY
  then ok "$what"; else fail "$what: $(tail -2 "$tmp/py.err")"; fi
}

rm -rf "$tmp" && mkdir -p "$tmp"
proj=$tmp/w.swell
"$cli" new "$proj" >/dev/null || { echo "FAIL new"; exit 1; }
"$cli" import "$proj" "$data" >/dev/null 2>&1
if ! "$cli" train "$proj" --arch mobilenet_v2 --weights "$weights" --size 64 --epochs 2 \
     --threads 2 --json >"$tmp/train.json" 2>"$tmp/err"; then
  fail "train: $(cat "$tmp/err")"
  finish
  exit
fi
mapfile -t valid < <(find "$data/valid" -type f -name '*.jpg' | sort)

# --- none of these ------------------------------------------------------------------
"$cli" predict "$proj" --json --top 1 "$ood" "${valid[@]}" >"$tmp/pred.json" 2>"$tmp/err"
py_check "predict --json: keys image, top, unknown" \
  'L = lines(sys.argv[1]); assert len(L) == 81 and all(list(l) == ["image", "top", "unknown"] and isinstance(l["unknown"], bool) for l in L), L[0]' \
  "$tmp/pred.json"
py_check "the hymenoptera photo is unknown, most valid photos are not" \
  'L = lines(sys.argv[1]); n = sum(l["unknown"] for l in L[1:]); print("valid flagged", n, "of 80", file=sys.stderr); assert L[0]["unknown"] and n <= 16, n' \
  "$tmp/pred.json"
"$cli" predict "$proj" --top 1 "$ood" "${valid[0]}" >"$tmp/pred.txt" 2>&1
[ "$(grep -c "looks like none of your categories" "$tmp/pred.txt")" -ge 1 ] &&
  sed -n 2p "$tmp/pred.txt" | grep -q "^  looks like none of your categories$" &&
  ok "text predict: $(sed -n 2p "$tmp/pred.txt")" || fail "text predict: $(cat "$tmp/pred.txt")"

# --- the threshold travels with export-model ------------------------------------------
"$cli" export-model "$proj" "$tmp/m.safetensors" >/dev/null 2>"$tmp/err" || fail "export: $(cat "$tmp/err")"
py_check "export-model writes unknown_score and unknown_threshold" '
import struct, math
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]; m = json.loads(f.read(n))["__metadata__"]
print("threshold", m["unknown_threshold"], file=sys.stderr)
assert m["unknown_score"] == "energy" and math.isfinite(float(m["unknown_threshold"]))' "$tmp/m.safetensors"
"$cli" predict --model "$tmp/m.safetensors" --json --top 1 "$ood" "${valid[@]}" >"$tmp/predm.json" 2>"$tmp/err"
cmp -s <(sed 's/"prob":[^}]*//g' "$tmp/pred.json") <(sed 's/"prob":[^}]*//g' "$tmp/predm.json") &&
  py_check "predict --model FILE: same flags and probabilities" \
    'A, B = lines(sys.argv[1]), lines(sys.argv[2]); assert all(a["unknown"] == b["unknown"] and abs(a["top"][0]["prob"] - b["top"][0]["prob"]) < 1e-5 for a, b in zip(A, B)) and len(A) == len(B)' \
    "$tmp/pred.json" "$tmp/predm.json" || fail "predict --model differs: $(diff "$tmp/pred.json" "$tmp/predm.json" | head -3)"
# the same file without the threshold keys (renamed: the reader ignores other keys)
$py - "$tmp/m.safetensors" "$tmp/old.safetensors" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
b = b.replace(b'"unknown_score"', b'"xnknown_score"').replace(b'"unknown_threshold"', b'"xnknown_threshold"')
open(sys.argv[2], "wb").write(b)
PY
"$cli" predict --model "$tmp/old.safetensors" --json --top 1 "$ood" "${valid[@]}" >"$tmp/predo.json" 2>"$tmp/err"
py_check "a model without a threshold never flags" \
  'L = lines(sys.argv[1]); assert len(L) == 81 and not any(l["unknown"] for l in L)' "$tmp/predo.json"
$py - "$tmp/old.safetensors" "$tmp/bad.safetensors" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b'"xnknown_threshold":"') + len(b'"xnknown_threshold":"')
j = b.index(b'"', i)
b = b.replace(b'"xnknown_threshold"', b'"unknown_threshold"')
open(sys.argv[2], "wb").write(b[:i] + b"x" * (j - i) + b[j:])  # same length: the header stays valid
PY
expect_error "bad threshold" "bad.safetensors: invalid unknown_threshold" "$cli" predict --model \
  "$tmp/bad.safetensors" "$ood"

# --- TTA ------------------------------------------------------------------------------
"$cli" predict "$proj" --tta --json "${valid[@]:0:6}" >"$tmp/tta1.json" 2>"$tmp/err"
"$cli" predict "$proj" --tta --json "${valid[@]:3:3}" "${valid[@]:0:3}" >"$tmp/tta2.json" 2>&1
"$cli" predict "$proj" --tta --seed 7 --json "${valid[@]:0:6}" >"$tmp/tta3.json" 2>&1
"$cli" predict "$proj" --json "${valid[@]:0:6}" >"$tmp/plain.json" 2>&1
py_check "predict --tta: deterministic, independent of the order, another seed differs, not the plain crop" '
A, B, C, P = (lines(f) for f in sys.argv[1:5])
key = lambda L: {l["image"]: l["top"] for l in L}
assert len(A) == 6 and key(A) == key(B), "order"
assert key(A) != key(C), "seed"
assert key(A) != key(P), "plain"' "$tmp/tta1.json" "$tmp/tta2.json" "$tmp/tta3.json" "$tmp/plain.json"

"$cli" report "$proj" --tta --json >"$tmp/report.json" 2>"$tmp/err" || fail "report --tta: $(cat "$tmp/err")"
"$cli" report "$proj" --tta --json >"$tmp/report2.json" 2>&1
py_check "report --tta --json: tta accuracy beside the run's" '
r = lines(sys.argv[1])[0]; t = r["tta"]
print("accuracy", t["accuracy"], "with TTA", t["tta_accuracy"], file=sys.stderr)
assert t["images"] == 80 and t["views"] == 4 and t["beta"] == 0.25 and t["seed"] == 0
assert abs(t["accuracy"] - r["accuracy"]) < 1.5 / 80 and 0 <= t["tta_accuracy"] <= 1
assert lines(sys.argv[2])[0]["tta"] == t' "$tmp/report.json" "$tmp/report2.json"
"$cli" report "$proj" --json >"$tmp/report0.json" 2>&1
py_check "report without --tta has no tta member" 'assert "tta" not in lines(sys.argv[1])[0]' "$tmp/report0.json"
"$cli" report "$proj" --tta --top 0 >"$tmp/report.txt" 2>&1
grep -q "accuracy without TTA" "$tmp/report.txt" && grep -q "accuracy with TTA" "$tmp/report.txt" &&
  ok "report --tta text: $(tail -2 "$tmp/report.txt" | tr -s ' ' | tr '\n' ';')" ||
  fail "report --tta text: $(tail -4 "$tmp/report.txt")"
"$cli" predict --help >"$tmp/help.txt" 2>&1
"$cli" report --help >>"$tmp/help.txt" 2>&1
[ "$(grep -c -- "--tta" "$tmp/help.txt")" -ge 2 ] && [ "$(grep -c -- "--seed" "$tmp/help.txt")" -ge 2 ] &&
  ok "help lists --tta and --seed" || fail "help: $(cat "$tmp/help.txt")"
finish
