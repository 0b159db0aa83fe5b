/* json.h: a small strict JSON parser (RFC 8259) for weight-file headers.
 *
 * Strict: one value, optional surrounding whitespace, no trailing commas, no
 * comments, no leading zeros, no control characters in strings, valid UTF-8,
 * \uXXXX escapes with proper surrogate pairs. Duplicate object keys are
 * rejected. Nesting is limited to SW_JSON_MAX_DEPTH, input to
 * SW_JSON_MAX_BYTES and the number of values to SW_JSON_MAX_VALUES. Integers that fit in int64 are also kept exactly.
 */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_JSON_MAX_DEPTH 64
#define SW_JSON_MAX_BYTES ((size_t)100 * 1000 * 1000)
/* At most this many values (bounds memory: ~100 bytes each). */
#define SW_JSON_MAX_VALUES (1 << 20)

typedef enum {
  SW_JSON_NULL,
  SW_JSON_BOOL,
  SW_JSON_NUMBER,
  SW_JSON_STRING,
  SW_JSON_ARRAY,
  SW_JSON_OBJECT,
} sw_json_type;

typedef struct sw_json sw_json;
struct sw_json {
  sw_json_type type;
  bool boolean;
  double number;
  bool is_int;     /* number was written as an integer that fits in int64 */
  int64_t integer; /* exact value when is_int */
  char *str;       /* SW_JSON_STRING: UTF-8, NUL-terminated (may contain \0 inside) */
  size_t str_len;
  int count;       /* array items or object members */
  sw_json *items;  /* [count] */
  char **keys;     /* objects: [count] keys, in document order */
  size_t *key_lens;
};

/* Parses len bytes. Returns NULL with a message (with byte offset) in err. */
sw_json *sw_json_parse(const char *text, size_t len, char *err, size_t errlen);
void sw_json_free(sw_json *v);
/* Member of an object by key, or NULL. */
const sw_json *sw_json_get(const sw_json *obj, const char *key);
const char *sw_json_type_name(sw_json_type t);
/* True when s[0..n) is valid UTF-8 (no surrogates, no overlongs). */
bool sw_json_utf8_valid(const char *s, size_t n);

#endif
