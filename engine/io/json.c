/* json.c: strict JSON parser, see json.h. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const unsigned char *s;
  size_t len;
  size_t pos;
  char *err;
  size_t errlen;
  bool failed;
  long values;
} parser;

static void fail(parser *p, const char *fmt, ...) {
  if (p->failed) return;
  p->failed = true;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (p->err && p->errlen) snprintf(p->err, p->errlen, "invalid JSON at byte %zu: %s", p->pos, msg);
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      p->pos++;
    else
      break;
  }
}

static void free_value(sw_json *v) {
  if (!v) return;
  free(v->str);
  for (int i = 0; i < v->count; i++) {
    free_value(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->key_lens);
  memset(v, 0, sizeof *v);
}

void sw_json_free(sw_json *v) {
  if (!v) return;
  free_value(v);
  free(v);
}

/* Growable byte buffer for strings. */
typedef struct {
  char *b;
  size_t n, cap;
} sbuf;

static bool sbuf_put(sbuf *sb, const char *src, size_t n) {
  if (sb->n + n + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 16;
    while (cap < sb->n + n + 1) cap *= 2;
    char *nb = realloc(sb->b, cap);
    if (!nb) return false;
    sb->b = nb;
    sb->cap = cap;
  }
  memcpy(sb->b + sb->n, src, n);
  sb->n += n;
  sb->b[sb->n] = 0;
  return true;
}

static int hex4(parser *p, uint32_t *out) {
  if (p->len - p->pos < 4) {
    fail(p, "truncated \\u escape");
    return -1;
  }
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = p->s[p->pos + i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v |= c - 'A' + 10;
    else {
      fail(p, "bad hex digit in \\u escape");
      return -1;
    }
  }
  p->pos += 4;
  *out = v;
  return 0;
}

static size_t utf8_encode(uint32_t cp, char *o) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of a valid UTF-8 sequence starting at s (n bytes available), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t need;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    need = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    need = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    need = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < need) return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return need;
}

static int parse_string(parser *p, char **out, size_t *out_len) {
  /* p->s[p->pos] == '"' */
  p->pos++;
  sbuf sb = {0};
  for (;;) {
    if (p->pos >= p->len) {
      fail(p, "unterminated string");
      goto bad;
    }
    unsigned char c = p->s[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c < 0x20) {
      fail(p, "control character in string");
      goto bad;
    }
    if (c == '\\') {
      p->pos++;
      if (p->pos >= p->len) {
        fail(p, "unterminated escape");
        goto bad;
      }
      char e = (char)p->s[p->pos++];
      char ch;
      switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
          uint32_t cp;
          if (hex4(p, &cp)) goto bad;
          if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail(p, "lone low surrogate");
            goto bad;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
              fail(p, "high surrogate without low surrogate");
              goto bad;
            }
            p->pos += 2;
            if (hex4(p, &lo)) goto bad;
            if (lo < 0xDC00 || lo > 0xDFFF) {
              fail(p, "high surrogate without low surrogate");
              goto bad;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          char u[4];
          size_t un = utf8_encode(cp, u);
          if (!sbuf_put(&sb, u, un)) goto oom;
          continue;
        }
        default:
          fail(p, "bad escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?');
          goto bad;
      }
      if (!sbuf_put(&sb, &ch, 1)) goto oom;
      continue;
    }
    size_t n = utf8_valid(p->s + p->pos, p->len - p->pos);
    if (n == 0) {
      fail(p, "invalid UTF-8 in string");
      goto bad;
    }
    if (!sbuf_put(&sb, (const char *)p->s + p->pos, n)) goto oom;
    p->pos += n;
  }
  if (!sb.b && !sbuf_put(&sb, "", 0)) goto oom;
  *out = sb.b;
  *out_len = sb.n;
  return 0;
oom:
  fail(p, "out of memory");
bad:
  free(sb.b);
  return -1;
}

static int parse_number(parser *p, sw_json *v) {
  size_t start = p->pos;
  bool integral = true;
  if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
  if (p->pos >= p->len) {
    fail(p, "truncated number");
    return -1;
  }
  if (p->s[p->pos] == '0') {
    p->pos++;
  } else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  } else {
    fail(p, "bad number");
    return -1;
  }
  if (p->pos < p->len && p->s[p->pos] == '.') {
    integral = false;
    p->pos++;
    size_t d = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == d) {
      fail(p, "digit expected after '.'");
      return -1;
    }
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    integral = false;
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    size_t d = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == d) {
      fail(p, "digit expected in exponent");
      return -1;
    }
  }
  size_t n = p->pos - start;
  if (n > 400) {
    fail(p, "number too long");
    return -1;
  }
  char buf[401];
  memcpy(buf, p->s + start, n);
  buf[n] = 0;
  v->type = SW_JSON_NUMBER;
  v->number = strtod(buf, NULL);
  if (integral) {
    errno = 0;
    char *end;
    long long ll = strtoll(buf, &end, 10);
    if (errno == 0 && *end == 0) {
      v->is_int = true;
      v->integer = ll;
    }
  }
  return 0;
}

static int match_lit(parser *p, const char *lit) {
  size_t n = strlen(lit);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0) {
    fail(p, "unexpected character");
    return -1;
  }
  p->pos += n;
  return 0;
}

static int parse_value(parser *p, sw_json *v, int depth);

static int grow(parser *p, sw_json *v, int *cap, bool keys) {
  if (v->count < *cap) return 0;
  int nc = *cap ? *cap * 2 : 4;
  if (nc > (1 << 28)) {
    fail(p, "too many elements");
    return -1;
  }
  sw_json *ni = realloc(v->items, sizeof *ni * (size_t)nc);
  if (!ni) goto oom;
  v->items = ni;
  if (keys) {
    char **nk = realloc(v->keys, sizeof *nk * (size_t)nc);
    if (!nk) goto oom;
    v->keys = nk;
    size_t *nl = realloc(v->key_lens, sizeof *nl * (size_t)nc);
    if (!nl) goto oom;
    v->key_lens = nl;
  }
  *cap = nc;
  return 0;
oom:
  fail(p, "out of memory");
  return -1;
}

typedef struct {
  const char *k;
  size_t n;
} keyref;

static int keyref_cmp(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  size_t m = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->k, y->k, m);
  if (c) return c;
  return x->n < y->n ? -1 : x->n > y->n ? 1 : 0;
}

static int check_dup_keys(parser *p, const sw_json *v) {
  if (v->count < 2) return 0;
  keyref *r = malloc(sizeof *r * (size_t)v->count);
  if (!r) {
    fail(p, "out of memory");
    return -1;
  }
  for (int i = 0; i < v->count; i++) r[i] = (keyref){v->keys[i], v->key_lens[i]};
  qsort(r, (size_t)v->count, sizeof *r, keyref_cmp);
  for (int i = 1; i < v->count; i++) {
    if (keyref_cmp(&r[i - 1], &r[i]) == 0) {
      char shown[80];
      size_t n = r[i].n < sizeof shown - 1 ? r[i].n : sizeof shown - 1;
      memcpy(shown, r[i].k, n);
      shown[n] = 0;
      for (size_t j = 0; j < n; j++)
        if ((unsigned char)shown[j] < 0x20) shown[j] = '?';
      fail(p, "duplicate key \"%s\"", shown);
      free(r);
      return -1;
    }
  }
  free(r);
  return 0;
}

/* An array; p->s[p->pos] == '['. */
static int parse_array(parser *p, sw_json *v, int depth) {
  v->type = SW_JSON_ARRAY;
  p->pos++;
  int cap = 0;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == ']') {
    p->pos++;
    return 0;
  }
  for (;;) {
    if (grow(p, v, &cap, false)) return -1;
    if (parse_value(p, &v->items[v->count], depth + 1)) {
      v->count++; /* free what was parsed */
      return -1;
    }
    v->count++;
    skip_ws(p);
    if (p->pos >= p->len) {
      fail(p, "unterminated array");
      return -1;
    }
    if (p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->s[p->pos] == ']') {
      p->pos++;
      return 0;
    }
    fail(p, "expected ',' or ']'");
    return -1;
  }
}

/* An object, its keys checked for duplicates; p->s[p->pos] == '{'. */
static int parse_object(parser *p, sw_json *v, int depth) {
  v->type = SW_JSON_OBJECT;
  p->pos++;
  int cap = 0;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == '}') {
    p->pos++;
    return 0;
  }
  for (;;) {
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"') {
      fail(p, "expected string key");
      return -1;
    }
    if (grow(p, v, &cap, true)) return -1;
    char *key;
    size_t klen;
    if (parse_string(p, &key, &klen)) return -1;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':') {
      free(key);
      fail(p, "expected ':'");
      return -1;
    }
    p->pos++;
    v->keys[v->count] = key;
    v->key_lens[v->count] = klen;
    int r = parse_value(p, &v->items[v->count], depth + 1);
    v->count++;
    if (r) return -1;
    skip_ws(p);
    if (p->pos >= p->len) {
      fail(p, "unterminated object");
      return -1;
    }
    if (p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->s[p->pos] == '}') {
      p->pos++;
      return check_dup_keys(p, v);
    }
    fail(p, "expected ',' or '}'");
    return -1;
  }
}

static int parse_value(parser *p, sw_json *v, int depth) {
  memset(v, 0, sizeof *v);
  if (++p->values > SW_JSON_MAX_VALUES) {
    fail(p, "more than %d values", SW_JSON_MAX_VALUES);
    return -1;
  }
  if (depth > SW_JSON_MAX_DEPTH) {
    fail(p, "nesting deeper than %d", SW_JSON_MAX_DEPTH);
    return -1;
  }
  skip_ws(p);
  if (p->pos >= p->len) {
    fail(p, "unexpected end of input");
    return -1;
  }
  unsigned char c = p->s[p->pos];
  switch (c) {
    case 'n':
      v->type = SW_JSON_NULL;
      return match_lit(p, "null");
    case 't':
      v->type = SW_JSON_BOOL;
      v->boolean = true;
      return match_lit(p, "true");
    case 'f':
      v->type = SW_JSON_BOOL;
      return match_lit(p, "false");
    case '"':
      v->type = SW_JSON_STRING;
      return parse_string(p, &v->str, &v->str_len);
    case '[':
      return parse_array(p, v, depth);
    case '{':
      return parse_object(p, v, depth);
    default:
      if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
      fail(p, "unexpected character 0x%02x", c);
      return -1;
  }
}

sw_json *sw_json_parse(const char *text, size_t len, char *err, size_t errlen) {
  parser p = {(const unsigned char *)text, len, 0, err, errlen, false, 0};
  if (len > SW_JSON_MAX_BYTES) {
    fail(&p, "document larger than %zu bytes", SW_JSON_MAX_BYTES);
    return NULL;
  }
  sw_json *v = calloc(1, sizeof *v);
  if (!v) {
    fail(&p, "out of memory");
    return NULL;
  }
  if (parse_value(&p, v, 0) == 0) {
    skip_ws(&p);
    if (p.pos != p.len) fail(&p, "trailing characters after the value");
  }
  if (p.failed) {
    sw_json_free(v);
    return NULL;
  }
  return v;
}

const sw_json *sw_json_get(const sw_json *obj, const char *key) {
  if (!obj || obj->type != SW_JSON_OBJECT) return NULL;
  size_t n = strlen(key);
  for (int i = 0; i < obj->count; i++)
    if (obj->key_lens[i] == n && memcmp(obj->keys[i], key, n) == 0) return &obj->items[i];
  return NULL;
}

const char *sw_json_type_name(sw_json_type t) {
  switch (t) {
    case SW_JSON_NULL: return "null";
    case SW_JSON_BOOL: return "boolean";
    case SW_JSON_NUMBER: return "number";
    case SW_JSON_STRING: return "string";
    case SW_JSON_ARRAY: return "array";
    case SW_JSON_OBJECT: return "object";
  }
  return "?";
}

bool sw_json_utf8_valid(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t k = utf8_valid(u + i, n - i);
    if (k == 0) return false;
    i += k;
  }
  return true;
}
