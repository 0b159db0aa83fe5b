/* safetensors.c: the safetensors format, read and written.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON (an object:
 * tensor name -> {"dtype", "shape", "data_offsets": [begin, end]}, plus an
 * optional "__metadata__" object of strings), then the data area. Offsets are
 * relative to the data area, which must be covered exactly by the tensors: no
 * holes, no overlaps, nothing after the last tensor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "weights_internal.h"

/* ---------------------------------------------------------------------------
 * safetensors: reading */

#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

typedef enum { ST_FLOAT, ST_INT, ST_UNSUPPORTED } st_kind;

static const struct {
  const char *name;
  int size;
  st_kind kind;
} st_dtypes[] = {
    {"F32", 4, ST_FLOAT},  {"F16", 2, ST_FLOAT},  {"BF16", 2, ST_FLOAT}, {"F64", 8, ST_FLOAT},
    {"I64", 8, ST_INT},    {"I32", 4, ST_INT},    {"I16", 2, ST_INT},    {"I8", 1, ST_INT},
    {"U64", 8, ST_INT},    {"U32", 4, ST_INT},    {"U16", 2, ST_INT},    {"U8", 1, ST_INT},
    {"BOOL", 1, ST_INT},   {"F8_E4M3", 1, ST_UNSUPPORTED}, {"F8_E5M2", 1, ST_UNSUPPORTED},
};

typedef struct {
  int member;       /* index in the JSON object */
  int dtype;        /* index in st_dtypes */
  int ndim;
  int64_t dims[64];
  uint64_t begin, end;
} st_entry;

static int cmp_entry(const void *a, const void *b) {
  const st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->member < y->member ? -1 : x->member > y->member;
}

static bool json_uint(const sw_json *v, uint64_t *out) {
  if (!v || v->type != SW_JSON_NUMBER || !v->is_int || v->integer < 0) return false;
  *out = (uint64_t)v->integer;
  return true;
}

/* Reads the header: its 8-byte length, then the JSON object. */
static sw_json *st_read_header(const sw_src *src, uint64_t *hlen_out, char *err, size_t errlen) {
  const char *what = src->what;
  unsigned char lenbuf[8];
  if (src->size < 8) {
    sw_werr(err, errlen, what, "file is too short for a safetensors header (%llu bytes)",
            (unsigned long long)src->size);
    return NULL;
  }
  if (sw_src_read(src, 0, lenbuf, 8, err, errlen)) return NULL;
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | lenbuf[i];
  if (hlen > src->size - 8) {
    sw_werr(err, errlen, what,
            "header length %llu is larger than the file (%llu bytes): truncated or not a "
            "safetensors file",
            (unsigned long long)hlen, (unsigned long long)src->size);
    return NULL;
  }
  if (hlen > ST_MAX_HEADER) {
    sw_werr(err, errlen, what, "header length %llu exceeds the limit of %llu bytes",
            (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
    return NULL;
  }
  if (hlen < 2) {
    sw_werr(err, errlen, what, "header length %llu is too small", (unsigned long long)hlen);
    return NULL;
  }
  char *hdr = malloc((size_t)hlen);
  if (!hdr) {
    sw_werr(err, errlen, what, "out of memory for a %llu-byte header", (unsigned long long)hlen);
    return NULL;
  }
  sw_json *root = NULL;
  if (sw_src_read(src, 8, hdr, (size_t)hlen, err, errlen)) goto done;
  if (hdr[0] != '{') {
    sw_werr(err, errlen, what, "header does not start with '{': not a safetensors file");
    goto done;
  }
  char jerr[300];
  root = sw_json_parse(hdr, (size_t)hlen, jerr, sizeof jerr);
  if (!root) {
    sw_werr(err, errlen, what, "header: %s", jerr);
    goto done;
  }
  if (root->type != SW_JSON_OBJECT) {
    sw_werr(err, errlen, what, "header is not a JSON object");
    sw_json_free(root);
    root = NULL;
  }
done:
  free(hdr); /* the parsed values own copies of their strings */
  *hlen_out = hlen;
  return root;
}

/* Copies the "__metadata__" object v (strings only) into sd. */
static int st_read_metadata(const sw_json *v, sw_state_dict *sd, const char *what, char *err,
                            size_t errlen) {
  char nb[160];
  if (v->type != SW_JSON_OBJECT)
    return sw_werr(err, errlen, what, "__metadata__ is not an object (got %s)", sw_json_type_name(v->type));
  for (int j = 0; j < v->count; j++) {
    const sw_json *mv = &v->items[j];
    const char *mk = sw_printable(v->keys[j], v->key_lens[j], nb, sizeof nb);
    if (mv->type != SW_JSON_STRING)
      return sw_werr(err, errlen, what, "__metadata__ value for \"%s\" is not a string (got %s)", mk,
                     sw_json_type_name(mv->type));
    if (strlen(v->keys[j]) != v->key_lens[j] || strlen(mv->str) != mv->str_len)
      return sw_werr(err, errlen, what, "__metadata__ entry \"%s\" contains a NUL character", mk);
    if (sw_state_dict_push_meta(sd, v->keys[j], mv->str)) /* keys are unique: the parser checked */
      return sw_werr(err, errlen, what, "out of memory");
  }
  return 0;
}

/* The dtype and shape of a tensor entry v (name: printable, for messages). */
static int st_parse_dtype_shape(const sw_json *v, const char *name, st_entry *e, uint64_t *nbytes,
                                const char *what, char *err, size_t errlen) {
  char sb[160];
  const sw_json *dt = sw_json_get(v, "dtype"), *sh = sw_json_get(v, "shape");
  if (!dt || dt->type != SW_JSON_STRING)
    return sw_werr(err, errlen, what, "tensor %s: missing or non-string \"dtype\"", name);
  e->dtype = -1;
  for (size_t k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
    if (strcmp(dt->str, st_dtypes[k].name) == 0) e->dtype = (int)k;
  if (e->dtype < 0)
    return sw_werr(err, errlen, what, "tensor %s: unknown dtype \"%s\"", name,
                   sw_printable(dt->str, dt->str_len, sb, 40));
  if (st_dtypes[e->dtype].kind == ST_UNSUPPORTED)
    return sw_werr(err, errlen, what, "tensor %s: dtype %s is not supported", name, dt->str);
  if (!sh || sh->type != SW_JSON_ARRAY)
    return sw_werr(err, errlen, what, "tensor %s: missing or non-array \"shape\"", name);
  if (sh->count > 64)
    return sw_werr(err, errlen, what, "tensor %s: shape has %d dimensions", name, sh->count);
  e->ndim = sh->count;
  uint64_t numel = 1;
  bool overflow = false;
  for (int d = 0; d < sh->count; d++) {
    uint64_t dim;
    if (!json_uint(&sh->items[d], &dim))
      return sw_werr(err, errlen, what, "tensor %s: shape entry %d is not a non-negative integer", name, d);
    e->dims[d] = (int64_t)dim;
    if (__builtin_mul_overflow(numel, dim, &numel)) overflow = true;
  }
  if (overflow || __builtin_mul_overflow(numel, (uint64_t)st_dtypes[e->dtype].size, nbytes) ||
      *nbytes > INT64_MAX) {
    sw_dims_str(e->dims, e->ndim, sb, sizeof sb);
    return sw_werr(err, errlen, what, "tensor %s: shape %s is too large (element count overflows)", name, sb);
  }
  return 0;
}

/* Parses and checks the tensor entry v against a data area of data_len bytes. */
static int st_parse_entry(const sw_json *v, const char *name, uint64_t data_len, st_entry *e,
                          const char *what, char *err, size_t errlen) {
  char sb[160];
  uint64_t nbytes = 0;
  if (v->type != SW_JSON_OBJECT)
    return sw_werr(err, errlen, what, "tensor %s: entry is not an object (got %s)", name,
                   sw_json_type_name(v->type));
  if (st_parse_dtype_shape(v, name, e, &nbytes, what, err, errlen)) return -1;
  const sw_json *off = sw_json_get(v, "data_offsets");
  const char *dtype = st_dtypes[e->dtype].name;
  if (!off || off->type != SW_JSON_ARRAY || off->count != 2 || !json_uint(&off->items[0], &e->begin) ||
      !json_uint(&off->items[1], &e->end))
    return sw_werr(err, errlen, what, "tensor %s: \"data_offsets\" must be two non-negative integers", name);
  if (e->begin > e->end)
    return sw_werr(err, errlen, what, "tensor %s: data_offsets [%llu, %llu] begin after end", name,
                   (unsigned long long)e->begin, (unsigned long long)e->end);
  if (e->end > data_len)
    return sw_werr(err, errlen, what,
                   "tensor %s: data_offsets [%llu, %llu] outside the data area (%llu bytes): truncated?",
                   name, (unsigned long long)e->begin, (unsigned long long)e->end,
                   (unsigned long long)data_len);
  if (e->end - e->begin != nbytes) {
    sw_dims_str(e->dims, e->ndim, sb, sizeof sb);
    return sw_werr(err, errlen, what, "tensor %s: data_offsets [%llu, %llu] do not match %s shape %s (%llu bytes)",
                   name, (unsigned long long)e->begin, (unsigned long long)e->end, dtype, sb,
                   (unsigned long long)nbytes);
  }
  if (st_dtypes[e->dtype].kind == ST_FLOAT && e->ndim > SW_MAX_DIMS) {
    sw_dims_str(e->dims, e->ndim, sb, sizeof sb);
    return sw_werr(err, errlen, what, "tensor %s: shape %s has more than %d dimensions", name, sb, SW_MAX_DIMS);
  }
  return 0;
}

/* The data area must be covered exactly: sorted by offset, each tensor
 * starts where the previous one ended and the last ends at the file end. */
static int st_check_coverage(const sw_json *root, const st_entry *ents, int nents, uint64_t data_len,
                             const char *what, char *err, size_t errlen) {
  char nb[160], sb[160];
  st_entry *sorted = malloc(sizeof *sorted * (size_t)(nents + 1));
  if (!sorted) return sw_werr(err, errlen, what, "out of memory");
  memcpy(sorted, ents, sizeof *sorted * (size_t)nents);
  qsort(sorted, (size_t)nents, sizeof *sorted, cmp_entry);
  uint64_t pos = 0;
  int prev = -1;
  for (int i = 0; i < nents; i++) {
    const st_entry *e = &sorted[i];
    if (e->begin < pos) {
      sw_werr(err, errlen, what, "tensor %s: data_offsets [%llu, %llu] overlap tensor %s",
              sw_printable(root->keys[e->member], root->key_lens[e->member], nb, sizeof nb),
              (unsigned long long)e->begin, (unsigned long long)e->end,
              sw_printable(root->keys[prev], root->key_lens[prev], sb, sizeof sb));
      free(sorted);
      return -1;
    }
    if (e->begin > pos) {
      sw_werr(err, errlen, what, "bytes [%llu, %llu) of the data area belong to no tensor",
              (unsigned long long)pos, (unsigned long long)e->begin);
      free(sorted);
      return -1;
    }
    pos = e->end;
    prev = e->member;
  }
  free(sorted);
  if (pos != data_len)
    return sw_werr(err, errlen, what,
                   "data area has %llu bytes but the tensors end at %llu (trailing bytes belong to no tensor)",
                   (unsigned long long)data_len, (unsigned long long)pos);
  return 0;
}

/* Reads the float tensor e (data area at data_start) into sd as float32. */
static int st_load_tensor(const sw_src *src, uint64_t data_start, const st_entry *e, const char *name,
                          sw_state_dict *sd, char *err, size_t errlen) {
  const char *what = src->what;
  char nb[160];
  sw_shape shape = {0};
  shape.ndim = e->ndim;
  for (int d = 0; d < e->ndim; d++) shape.dims[d] = e->dims[d];
  size_t numel = (size_t)sw_shape_numel(&shape);
  size_t nbytes = (size_t)(e->end - e->begin);
  float *dst = malloc(numel ? numel * sizeof(float) : 1);
  if (!dst)
    return sw_werr(err, errlen, what, "tensor %s: out of memory (%zu floats)",
                   sw_printable(name, strlen(name), nb, sizeof nb), numel);
  int esize = st_dtypes[e->dtype].size;
  if (esize == 4) {
    if (sw_src_read(src, data_start + e->begin, dst, nbytes, err, errlen)) {
      free(dst);
      return -1;
    }
  } else {
    unsigned char *tmp = malloc(nbytes ? nbytes : 1);
    if (!tmp) {
      free(dst);
      return sw_werr(err, errlen, what, "out of memory");
    }
    if (sw_src_read(src, data_start + e->begin, tmp, nbytes, err, errlen)) {
      free(tmp);
      free(dst);
      return -1;
    }
    const char *dn = st_dtypes[e->dtype].name;
    sw_elems_to_float(esize == 8 ? SW_EL_F64 : dn[0] == 'B' ? SW_EL_BF16 : SW_EL_F16, tmp, numel, dst);
    free(tmp);
  }
  if (sw_state_dict_push_owned(sd, name, shape, dst))
    return sw_werr(err, errlen, what, "tensor %s: out of memory", sw_printable(name, strlen(name), nb, sizeof nb));
  return 0;
}

static int st_read(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  st_entry *ents = NULL;
  int nents = 0;
  char nb[160];
  uint64_t hlen;
  sw_json *root = st_read_header(src, &hlen, err, errlen);
  if (!root) return -1;
  uint64_t data_start = 8 + hlen, data_len = src->size - data_start;
  ents = calloc((size_t)root->count + 1, sizeof *ents);
  if (!ents) {
    sw_werr(err, errlen, what, "out of memory");
    goto fail;
  }
  for (int m = 0; m < root->count; m++) {
    const char *key = root->keys[m];
    size_t klen = root->key_lens[m];
    const char *name = sw_printable(key, klen, nb, sizeof nb);
    if (strlen(key) != klen) {
      sw_werr(err, errlen, what, "tensor name \"%s\" contains a NUL character", name);
      goto fail;
    }
    if (strcmp(key, "__metadata__") == 0) {
      if (st_read_metadata(&root->items[m], &sd, what, err, errlen)) goto fail;
      continue;
    }
    ents[nents].member = m;
    if (st_parse_entry(&root->items[m], name, data_len, &ents[nents], what, err, errlen)) goto fail;
    nents++;
  }
  if (st_check_coverage(root, ents, nents, data_len, what, err, errlen)) goto fail;
  /* Load the float tensors in header order. */
  for (int i = 0; i < nents; i++) {
    const st_entry *e = &ents[i];
    if (st_dtypes[e->dtype].kind != ST_FLOAT) continue; /* integer buffers such as num_batches_tracked */
    if (st_load_tensor(src, data_start, e, root->keys[e->member], &sd, err, errlen)) goto fail;
  }
  free(ents);
  sw_json_free(root);
  *out = sd;
  return 0;
fail:
  free(ents);
  sw_json_free(root);
  sw_state_dict_free(&sd);
  return -1;
}

int sw_safetensors_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  return sw_read_path(path, st_read, out, err, errlen);
}

int sw_safetensors_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out,
                            char *err, size_t errlen) {
  return sw_read_mem(buf, len, what, st_read, out, err, errlen);
}

/* ---------------------------------------------------------------------------
 * safetensors: writing */

typedef struct {
  char *b;
  size_t n, cap;
  bool oom;
} strbuf;

static void sb_put(strbuf *s, const char *p, size_t n) {
  if (s->oom) return;
  if (s->n + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->n + n + 1) cap *= 2;
    char *nb = realloc(s->b, cap);
    if (!nb) {
      s->oom = true;
      return;
    }
    s->b = nb;
    s->cap = cap;
  }
  memcpy(s->b + s->n, p, n);
  s->n += n;
  s->b[s->n] = 0;
}

static void sb_puts(strbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

static void sb_json_str(strbuf *s, const char *str) {
  sb_put(s, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
    char esc[8];
    if (*p == '"' || *p == '\\') {
      esc[0] = '\\';
      esc[1] = (char)*p;
      sb_put(s, esc, 2);
    } else if (*p < 0x20 || *p == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      sb_put(s, esc, 6);
    } else {
      sb_put(s, (const char *)p, 1);
    }
  }
  sb_put(s, "\"", 1);
}

static int cmp_str_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a duplicate among n strings; returns it or NULL. */
static const char *find_dup(const char **names, int n) {
  qsort(names, (size_t)n, sizeof *names, cmp_str_ptr);
  for (int i = 1; i < n; i++)
    if (strcmp(names[i - 1], names[i]) == 0) return names[i];
  return NULL;
}

/* Builds the padded header (without the 8-byte length). */
static int st_build_header(const sw_state_dict *sd, const char *what, strbuf *h, uint64_t *data_len,
                           char *err, size_t errlen) {
  char nb[160];
  int nmax = sd->count > sd->metadata_count ? sd->count : sd->metadata_count;
  const char **names = malloc(sizeof *names * (size_t)(nmax + 1));
  if (!names) return sw_werr(err, errlen, what, "out of memory");
  for (int i = 0; i < sd->count; i++) {
    const sw_named_tensor *t = &sd->tensors[i];
    if (!t->name || !sw_json_utf8_valid(t->name, strlen(t->name))) {
      free(names);
      return sw_werr(err, errlen, what, "tensor %d: name is missing or not valid UTF-8", i);
    }
    if (strcmp(t->name, "__metadata__") == 0) {
      free(names);
      return sw_werr(err, errlen, what, "a tensor cannot be named __metadata__");
    }
    if (!sw_shape_valid(&t->shape)) {
      free(names);
      return sw_werr(err, errlen, what, "tensor %s: invalid shape", sw_printable(t->name, strlen(t->name), nb, sizeof nb));
    }
    if (!t->data && sw_shape_numel(&t->shape) > 0) {
      free(names);
      return sw_werr(err, errlen, what, "tensor %s: no data", sw_printable(t->name, strlen(t->name), nb, sizeof nb));
    }
    names[i] = t->name;
  }
  const char *dup = find_dup(names, sd->count);
  if (dup) {
    sw_werr(err, errlen, what, "duplicate tensor name %s", sw_printable(dup, strlen(dup), nb, sizeof nb));
    free(names);
    return -1;
  }
  for (int i = 0; i < sd->metadata_count; i++) {
    const sw_kv *kv = &sd->metadata[i];
    if (!kv->key || !kv->value || !sw_json_utf8_valid(kv->key, strlen(kv->key)) ||
        !sw_json_utf8_valid(kv->value, strlen(kv->value))) {
      free(names);
      return sw_werr(err, errlen, what, "metadata entry %d is missing or not valid UTF-8", i);
    }
    names[i] = kv->key;
  }
  dup = find_dup(names, sd->metadata_count);
  if (dup) {
    sw_werr(err, errlen, what, "duplicate metadata key %s", sw_printable(dup, strlen(dup), nb, sizeof nb));
    free(names);
    return -1;
  }
  free(names);

  sb_puts(h, "{");
  bool first = true;
  if (sd->metadata_count > 0) {
    sb_puts(h, "\"__metadata__\":{");
    for (int i = 0; i < sd->metadata_count; i++) {
      if (i) sb_puts(h, ",");
      sb_json_str(h, sd->metadata[i].key);
      sb_puts(h, ":");
      sb_json_str(h, sd->metadata[i].value);
    }
    sb_puts(h, "}");
    first = false;
  }
  uint64_t off = 0;
  for (int i = 0; i < sd->count; i++) {
    const sw_named_tensor *t = &sd->tensors[i];
    char num[64];
    if (!first) sb_puts(h, ",");
    first = false;
    sb_json_str(h, t->name);
    sb_puts(h, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int d = 0; d < t->shape.ndim; d++) {
      snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->shape.dims[d]);
      sb_puts(h, num);
    }
    uint64_t nbytes = (uint64_t)sw_shape_numel(&t->shape) * 4;
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
             (unsigned long long)(off + nbytes));
    sb_puts(h, num);
    off += nbytes;
  }
  sb_puts(h, "}");
  while ((h->n + 8) % 8 != 0) sb_puts(h, " ");
  if (h->oom) return sw_werr(err, errlen, what, "out of memory");
  *data_len = off;
  return 0;
}

int sw_safetensors_write_mem(const sw_state_dict *sd, void **out, size_t *out_len, char *err,
                             size_t errlen) {
  const char *what = "(safetensors buffer)";
  *out = NULL;
  *out_len = 0;
  strbuf h = {0};
  uint64_t data_len;
  if (st_build_header(sd, what, &h, &data_len, err, errlen)) {
    free(h.b);
    return -1;
  }
  uint64_t total = 8 + h.n + data_len;
  if (total > SIZE_MAX) {
    free(h.b);
    return sw_werr(err, errlen, what, "state dict too large for memory");
  }
  unsigned char *buf = malloc((size_t)total);
  if (!buf) {
    free(h.b);
    return sw_werr(err, errlen, what, "out of memory (%llu bytes)", (unsigned long long)total);
  }
  uint64_t hl = h.n;
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(hl >> (8 * i));
  memcpy(buf + 8, h.b, h.n);
  size_t pos = 8 + h.n;
  for (int i = 0; i < sd->count; i++) {
    size_t nb = (size_t)sw_shape_numel(&sd->tensors[i].shape) * 4;
    if (nb) memcpy(buf + pos, sd->tensors[i].data, nb);
    pos += nb;
  }
  free(h.b);
  *out = buf;
  *out_len = (size_t)total;
  return 0;
}

int sw_safetensors_write(const char *path, const sw_state_dict *sd, char *err, size_t errlen) {
  strbuf h = {0};
  uint64_t data_len;
  if (st_build_header(sd, path, &h, &data_len, err, errlen)) {
    free(h.b);
    return -1;
  }
  sw_atomic_file f;
  if (sw_atomic_open(&f, path, err, errlen)) {
    free(h.b);
    return -1;
  }
  unsigned char lenb[8];
  uint64_t hl = h.n;
  for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(hl >> (8 * i));
  int rc = sw_atomic_write(&f, lenb, 8) || sw_atomic_write(&f, h.b, h.n);
  for (int i = 0; i < sd->count && !rc; i++) {
    size_t nb = (size_t)sw_shape_numel(&sd->tensors[i].shape) * 4;
    if (nb) rc = sw_atomic_write(&f, sd->tensors[i].data, nb);
  }
  free(h.b);
  if (rc) return sw_atomic_abandon(&f, "write failed", err, errlen);
  return sw_atomic_commit(&f, err, errlen);
}

