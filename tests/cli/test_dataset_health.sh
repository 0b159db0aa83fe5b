#!/usr/bin/env bash
# test_dataset_health.sh: near-duplicates and dataset health in `swell-cli info`
# (text and --json) on the shared photo sets:
#  - hymenoptera (all 397 photos, train and val): no near-duplicate group and
#    no finding (no false positive);
#  - weather4_small: exactly its own 5 pairs of the same photo at two sizes,
#    the 3 split between train and valid first, with the sentence on why;
#  - copies planted in valid by plant_copy (cropped 2-3%, resized, re-encoded
#    at another JPEG quality) are found, each with its original in train;
#  - few training / validation images, imbalance over 3:1, images under 64 px.
# Usage: test_dataset_health.sh PLANT_COPY
set -u
export LC_ALL=C
unset LANGUAGE
CLI="${SWELL_CLI:?run with meson test}"
PLANT="${1:?the plant_copy helper}"
DATA="${SWELL_SHARED:?}/datasets"
mkdir -p "${SWELL_TMP:?}"
T=$(mktemp -d "$SWELL_TMP/test_dataset_health-XXXXXX")
. "$(dirname "$0")/../testlib.sh"

# groups NAMES_JSON INFO_JSON KEY: the groups of KEY as sorted lists of file names
groups() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
names = {i["id"]: i["file"] for i in json.load(open(sys.argv[1]))}
info = json.load(open(sys.argv[2]))
print(json.dumps([sorted(names[i] for i in g) for g in info[sys.argv[3]]]))
PY
}

# ---- hymenoptera: no false positive
"$CLI" new "$T/h.swell" >/dev/null && "$CLI" import "$T/h.swell" "$DATA/hymenoptera" >/dev/null \
  || fail "import hymenoptera"
"$CLI" info "$T/h.swell" --json >"$T/h.json" 2>"$T/err" || fail "info --json: $(cat "$T/err")"
python3 - "$T/h.json" <<'PY' && ok "hymenoptera: 397 photos, no near-duplicate, no finding" \
  || fail "hymenoptera: $(cat "$T/h.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["images"] == 397, d["images"]
assert d["near_duplicates"] == [] and d["near_duplicates_across_splits"] == [], d
assert d["health"] == [], d["health"]
PY
"$CLI" info "$T/h.swell" >"$T/h.txt" 2>&1
tail -2 "$T/h.txt" | diff - <(printf 'Near-duplicates: none\nDataset health: no problems found\n') >/dev/null \
  && ok "hymenoptera: text says none and no problems" || fail "hymenoptera text: $(tail -3 "$T/h.txt")"

# ---- weather4_small: its own near-duplicates
"$CLI" new "$T/w.swell" >/dev/null && "$CLI" import "$T/w.swell" "$DATA/weather4_small" >/dev/null \
  || fail "import weather4_small"
"$CLI" info "$T/w.swell" --json >"$T/w.json" && "$CLI" images "$T/w.swell" --json >"$T/w.names" \
  || fail "info/images on weather4_small"
got=$(groups "$T/w.names" "$T/w.json" near_duplicates)
want='[["cloudy206.jpg", "cloudy229.jpg"], ["rain151.jpg", "rain93.jpg"], ["sunrise329.jpg", "sunrise336.jpg"], ["rain152.jpg", "rain27.jpg"], ["rain5.jpg", "rain88.jpg"]]'
[ "$got" = "$want" ] && ok "weather4_small: its 5 pairs of one photo at two sizes, across splits first" \
  || fail "weather4_small groups: $got"
got=$(groups "$T/w.names" "$T/w.json" near_duplicates_across_splits)
[ "$got" = '[["cloudy206.jpg", "cloudy229.jpg"], ["rain151.jpg", "rain93.jpg"], ["sunrise329.jpg", "sunrise336.jpg"]]' ] \
  && ok "weather4_small: 3 pairs split between train and valid" || fail "across splits: $got"
python3 - "$T/w.json" <<'PY' && ok "weather4_small: one finding, the groups across splits, with why" \
  || fail "weather4_small health: $(cat "$T/w.json")"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["health"]
assert [list(f) for f in h] == [["kind", "category", "message", "images"]], h
f = h[0]
assert f["kind"] == "near-duplicates-across-splits" and f["category"] is None, f
assert f["images"] == [i for g in d["near_duplicates_across_splits"] for i in g], f
assert f["message"].startswith("3 groups of near-duplicate photos are split between train and valid or test"), f
assert "the accuracy looks better than it is" in f["message"], f
PY
"$CLI" info "$T/w.swell" >"$T/w.txt" 2>&1
sed -n '/^Runs: none$/,$p' "$T/w.txt" >"$T/w.tail"
head -3 "$T/w.tail" | diff - <(printf '%s\n' 'Runs: none' 'Near-duplicates: 5 groups (3 across splits)' \
  '  across splits: #24 cloudy206.jpg (train, cloudy), #209 cloudy229.jpg (valid, cloudy)') >/dev/null \
  && [ "$(grep -c '^  across splits: ' "$T/w.tail")" = 3 ] \
  && grep -q '^  #87 rain5.jpg (train, rain), #98 rain88.jpg (train, rain)$' "$T/w.tail" \
  && grep -A1 '^Dataset health:$' "$T/w.tail" | grep -q '^  3 groups of near-duplicate photos' \
  && ok "weather4_small: text lists the groups after Runs, then the health sentence" \
  || fail "weather4_small text: $(cat "$T/w.tail")"

# ---- planted copies, in valid, of photos in hymenoptera's train
mkdir -p "$T/copies/ants" "$T/copies/bees"
H=$DATA/hymenoptera/train
"$PLANT" "$H/ants/0013035.jpg" "$T/copies/ants/copy1.jpg" 0.7 40 0.03 0.03 0.03 0.03 \
  && "$PLANT" "$H/bees/1092977343_cb42b38d62.jpg" "$T/copies/bees/copy2.jpg" 0.8 75 0.02 0.02 0 0 \
  && "$PLANT" "$H/ants/1030023514_aad5c608f9.jpg" "$T/copies/ants/copy3.jpg" 0.6 55 0 0 0.03 0 \
  || fail "plant_copy"
"$CLI" import "$T/h.swell" "$T/copies" --split valid >"$T/imp" 2>&1 \
  && head -1 "$T/imp" | grep -qx "Imported 3 images, 0 duplicates, 0 rejected" \
  || fail "import the copies: $(cat "$T/imp")"
"$CLI" info "$T/h.swell" --json >"$T/h2.json" && "$CLI" images "$T/h.swell" --json >"$T/h.names" \
  || fail "info after planting"
got=$(groups "$T/h.names" "$T/h2.json" near_duplicates_across_splits)
[ "$got" = '[["0013035.jpg", "copy1.jpg"], ["1030023514_aad5c608f9.jpg", "copy3.jpg"], ["1092977343_cb42b38d62.jpg", "copy2.jpg"]]' ] \
  && [ "$(groups "$T/h.names" "$T/h2.json" near_duplicates)" = "$got" ] \
  && ok "the 3 planted copies (70%/q40/3% off each side, 80%/q75/2% off two sides, 60%/q55/3% off one) are found with their originals, nothing else" \
  || fail "planted copies: $got / $(groups "$T/h.names" "$T/h2.json" near_duplicates)"

# ---- health: few images, imbalance, small images
S=$DATA/weather4_small
"$CLI" new "$T/s.swell" >/dev/null && "$CLI" import "$T/s.swell" "$S/train/cloudy" >/dev/null \
  && "$CLI" import "$T/s.swell" "$S/train/sunrise/sunrise101.jpg" "$S/train/sunrise/sunrise116.jpg" \
       "$S/train/sunrise/sunrise119.jpg" --category sunrise --split train >/dev/null \
  && "$CLI" import "$T/s.swell" "$S/valid/sunrise/sunrise124.jpg" "$S/valid/sunrise/sunrise138.jpg" \
       --category sunrise --split valid >/dev/null \
  || fail "health project"
"$PLANT" "$H/bees/1093831624_fb5fbe2308.jpg" "$T/small-bee.jpg" 0.12 90 \
  && "$PLANT" "$H/ants/1095476100_3906d8afde.jpg" "$T/small-ant.jpg" 0.12 90 \
  && "$CLI" import "$T/s.swell" "$T/small-bee.jpg" --category cloudy --split train >/dev/null \
  && "$CLI" import "$T/s.swell" "$T/small-ant.jpg" --split train >/dev/null || fail "small images"
"$CLI" info "$T/s.swell" --json >"$T/s.json" && "$CLI" images "$T/s.swell" --json >"$T/s.names" \
  || fail "info on the health project"
python3 - "$T/s.json" "$T/s.names" <<'PY' && ok "health: few-train, few-valid, imbalance 51:3, small images (labeled, unlabeled)" \
  || fail "health: $(cat "$T/s.json")"
import json, sys
d = json.load(open(sys.argv[1]))
names = {i["file"]: i["id"] for i in json.load(open(sys.argv[2]))}
got = [(f["kind"], f["category"], f["images"]) for f in d["health"]]
want = [("few-train", "sunrise", []), ("few-valid", "cloudy", []), ("few-valid", "sunrise", []),
        ("imbalance", "sunrise", []), ("small-images", "cloudy", [names["small-bee.jpg"]]),
        ("small-images", None, [names["small-ant.jpg"]])]
assert got == want, got
m = [f["message"] for f in d["health"]]
assert m[0] == ("“sunrise” has 3 training images: too few examples for the model to learn what this "
                "category looks like. Give it at least 10."), m[0]
assert m[1].startswith("“cloudy” has 0 validation images: its accuracy is measured on so few photos"), m[1]
assert m[2].startswith("“sunrise” has 2 validation images"), m[2]
assert m[3].startswith("“cloudy” has 51 training images and “sunrise” only 3 (17.0 to 1): the model "
                       "learns to favour the bigger category"), m[3]
assert m[4].startswith("1 image of “cloudy” is under 64 px on its shorter side: it is blown up"), m[4]
assert m[5].startswith("1 unlabeled image is under 64 px"), m[5]
assert d["near_duplicates"] == [], d["near_duplicates"]
PY
"$CLI" info "$T/s.swell" >"$T/s.txt" 2>&1
[ "$(sed -n '/^Dataset health:$/,$p' "$T/s.txt" | grep -c '^  ')" = 6 ] \
  && grep -q '^Near-duplicates: none$' "$T/s.txt" \
  && ok "health: the 6 sentences in the text" || fail "health text: $(cat "$T/s.txt")"

finish
