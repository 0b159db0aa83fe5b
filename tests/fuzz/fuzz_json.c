/* fuzz_json.c: the strict JSON parser (engine/io/json.h).
 *
 * An accepted document is walked whole and must be consistent: every string
 * and key valid UTF-8 and NUL-terminated at its length, counts within the
 * limits, every object member found again by its key (keys are unique), and
 * at most SW_JSON_MAX_DEPTH levels. A rejected one has a message. */
#include <string.h>

#include "fuzz.h"
#include "json.h"

static int walk(const sw_json *v, int depth, long *values) {
  FUZZ_CHECK(depth <= SW_JSON_MAX_DEPTH + 1, "nested %d deep", depth);
  FUZZ_CHECK(++*values <= SW_JSON_MAX_VALUES, "more than %d values", SW_JSON_MAX_VALUES);
  switch (v->type) {
    case SW_JSON_STRING:
      FUZZ_CHECK(v->str && v->str[v->str_len] == 0, "string not terminated at its length");
      FUZZ_CHECK(sw_json_utf8_valid(v->str, v->str_len), "string is not valid UTF-8");
      break;
    case SW_JSON_NUMBER:
      FUZZ_CHECK(!v->is_int || (double)v->integer == v->number || v->number != v->number,
                 "integer %lld is not its number %g", (long long)v->integer, v->number);
      break;
    case SW_JSON_ARRAY:
    case SW_JSON_OBJECT:
      FUZZ_CHECK(v->count >= 0 && (v->count == 0 || v->items), "bad count %d", v->count);
      for (int i = 0; i < v->count; i++) {
        if (v->type == SW_JSON_OBJECT) {
          FUZZ_CHECK(v->keys[i][v->key_lens[i]] == 0, "key not terminated at its length");
          FUZZ_CHECK(sw_json_utf8_valid(v->keys[i], v->key_lens[i]), "key is not valid UTF-8");
          /* sw_json_get compares C strings: only keys without \0 can be found. */
          if (strlen(v->keys[i]) == v->key_lens[i])
            FUZZ_CHECK(sw_json_get(v, v->keys[i]) == &v->items[i], "member %s not found by its key",
                       v->keys[i]);
        }
        walk(&v->items[i], depth + 1, values);
      }
      break;
    default:
      break;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";
  sw_json *v = sw_json_parse((const char *)data, size, err, sizeof err);
  if (!v) {
    FUZZ_CHECK(err[0] != 0, "rejected without a message");
    return 0;
  }
  long values = 0;
  walk(v, 1, &values);
  sw_json_free(v);
  return 0;
}
