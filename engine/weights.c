/* weights.c: state dicts and the safetensors format.
 *
 * safetensors layout: 8-byte little-endian header length N, N bytes of JSON
 * (an object: tensor name -> {"dtype", "shape", "data_offsets": [begin, end]},
 * plus an optional "__metadata__" object of strings), then the data area.
 * Offsets are relative to the data area, which must be covered exactly by
 * the tensors: no holes, no overlaps, nothing after the last tensor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "weights_internal.h"

/* ---------------------------------------------------------------------------
 * Shared helpers */

int sw_werr(char *err, size_t errlen, const char *what, const char *fmt, ...) {
  if (!err || !errlen) return -1;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(err, errlen, "%s: %s", what ? what : "(weights)", msg);
  return -1;
}

const char *sw_printable(const char *s, size_t n, char *buf, size_t buflen) {
  size_t max = buflen - 1, o = 0;
  bool cut = false;
  if (n > max) {
    n = max > 3 ? max - 3 : max;
    cut = true;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  if (cut && max > 3) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = 0;
  return buf;
}

int sw_src_open(sw_src *src, const char *path, char *err, size_t errlen) {
  memset(src, 0, sizeof *src);
  src->fd = -1;
  src->what = path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sw_werr(err, errlen, path, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return sw_werr(err, errlen, path, "cannot stat: %s", strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sw_werr(err, errlen, path, "not a regular file");
  }
  src->fd = fd;
  src->size = (uint64_t)st.st_size;
  return 0;
}

void sw_src_close(sw_src *src) {
  if (src->fd >= 0) close(src->fd);
  src->fd = -1;
}

int sw_src_read(const sw_src *src, uint64_t off, void *dst, size_t n, char *err, size_t errlen) {
  if (off > src->size || n > src->size - off)
    return sw_werr(err, errlen, src->what,
                   "truncated: need bytes [%llu, %llu) but the file has %llu bytes",
                   (unsigned long long)off, (unsigned long long)(off + n),
                   (unsigned long long)src->size);
  if (n == 0) return 0;
  if (src->fd < 0) {
    memcpy(dst, src->mem + off, n);
    return 0;
  }
  unsigned char *d = dst;
  while (n > 0) {
    size_t chunk = n > (1u << 30) ? (1u << 30) : n;
    ssize_t r = pread(src->fd, d, chunk, (off_t)off);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sw_werr(err, errlen, src->what, "read error at offset %llu: %s",
                     (unsigned long long)off, strerror(errno));
    }
    if (r == 0)
      return sw_werr(err, errlen, src->what, "file shrank while reading (offset %llu)",
                     (unsigned long long)off);
    d += r;
    off += (uint64_t)r;
    n -= (size_t)r;
  }
  return 0;
}

float sw_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t man = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while ((man & 0x400) == 0);
      man &= 0x3FF;
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

float sw_bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/* ---------------------------------------------------------------------------
 * State dicts */

void sw_state_dict_init(sw_state_dict *sd) { memset(sd, 0, sizeof *sd); }

void sw_state_dict_free(sw_state_dict *sd) {
  if (!sd) return;
  for (int i = 0; i < sd->count; i++) {
    free(sd->tensors[i].name);
    if (!sd->borrowed) free(sd->tensors[i].data);
  }
  free(sd->tensors);
  for (int i = 0; i < sd->metadata_count; i++) {
    free(sd->metadata[i].key);
    free(sd->metadata[i].value);
  }
  free(sd->metadata);
  memset(sd, 0, sizeof *sd);
}

/* Arrays grow in powers of two; the capacity is implied by the count. */
static int grow_pow2(void **arr, int count, size_t elem) {
  if (count > 0 && (count & (count - 1)) != 0) return 0;
  if (count >= (1 << 28)) return -1;
  size_t cap = count ? (size_t)count * 2 : 8;
  if (count != 0 && count < 8) return 0; /* initial capacity 8 covers 1..7 */
  void *n = realloc(*arr, cap * elem);
  if (!n) return -1;
  *arr = n;
  return 0;
}

static bool shape_valid(const sw_shape *s) {
  if (s->ndim < 0 || s->ndim > SW_MAX_DIMS) return false;
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) {
    if (s->dims[i] < 0) return false;
    if (__builtin_mul_overflow(n, s->dims[i], &n)) return false;
  }
  return (uint64_t)n <= SIZE_MAX / sizeof(float);
}

const sw_named_tensor *sw_state_dict_find(const sw_state_dict *sd, const char *name) {
  for (int i = 0; i < sd->count; i++)
    if (strcmp(sd->tensors[i].name, name) == 0) return &sd->tensors[i];
  return NULL;
}

int sw_state_dict_push_owned(sw_state_dict *sd, const char *name, sw_shape shape, float *data) {
  /* No duplicate check here: the readers check names in O(n log n). */
  if (!name || !shape_valid(&shape) ||
      grow_pow2((void **)&sd->tensors, sd->count, sizeof *sd->tensors)) {
    if (!sd->borrowed) free(data);
    return -1;
  }
  char *n = strdup(name);
  if (!n) {
    if (!sd->borrowed) free(data);
    return -1;
  }
  sw_named_tensor *t = &sd->tensors[sd->count++];
  t->name = n;
  t->shape = shape;
  for (int i = shape.ndim; i < SW_MAX_DIMS; i++) t->shape.dims[i] = 0;
  t->data = data;
  return 0;
}

int sw_state_dict_add(sw_state_dict *sd, const char *name, sw_shape shape, const float *data) {
  if (!name || !shape_valid(&shape) || sw_state_dict_find(sd, name)) return -1;
  if (sd->borrowed) return sw_state_dict_push_owned(sd, name, shape, (float *)data);
  size_t n = (size_t)sw_shape_numel(&shape);
  float *copy = malloc(n ? n * sizeof(float) : 1);
  if (!copy) return -1;
  if (n) {
    if (data)
      memcpy(copy, data, n * sizeof(float));
    else
      memset(copy, 0, n * sizeof(float));
  }
  return sw_state_dict_push_owned(sd, name, shape, copy);
}

/* Appends without looking for an existing key (readers, after a duplicate check). */
static int push_meta(sw_state_dict *sd, const char *key, const char *value) {
  char *k = strdup(key), *v = strdup(value);
  if (!k || !v || grow_pow2((void **)&sd->metadata, sd->metadata_count, sizeof *sd->metadata)) {
    free(k);
    free(v);
    return -1;
  }
  sd->metadata[sd->metadata_count].key = k;
  sd->metadata[sd->metadata_count].value = v;
  sd->metadata_count++;
  return 0;
}

int sw_state_dict_set_meta(sw_state_dict *sd, const char *key, const char *value) {
  if (!key || !value) return -1;
  for (int i = 0; i < sd->metadata_count; i++) {
    if (strcmp(sd->metadata[i].key, key) == 0) {
      char *v = strdup(value);
      if (!v) return -1;
      free(sd->metadata[i].value);
      sd->metadata[i].value = v;
      return 0;
    }
  }
  return push_meta(sd, key, value);
}

const char *sw_state_dict_get_meta(const sw_state_dict *sd, const char *key) {
  for (int i = 0; i < sd->metadata_count; i++)
    if (strcmp(sd->metadata[i].key, key) == 0) return sd->metadata[i].value;
  return NULL;
}

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

static void dims_str(const int64_t *d, int n, char *buf, size_t len) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "[");
  for (int i = 0; i < n && o < len; i++)
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%lld", i ? ", " : "", (long long)d[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
}

static bool json_uint(const sw_json *v, uint64_t *out) {
  if (!v || v->type != SW_JSON_NUMBER || !v->is_int || v->integer < 0) return false;
  *out = (uint64_t)v->integer;
  return true;
}

static int st_read(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  sw_json *root = NULL;
  char *hdr = NULL;
  st_entry *ents = NULL;
  int nents = 0;
  unsigned char lenbuf[8];
  char nb[160], sb[160];

  if (src->size < 8)
    return sw_werr(err, errlen, what, "file is too short for a safetensors header (%llu bytes)",
                   (unsigned long long)src->size);
  if (sw_src_read(src, 0, lenbuf, 8, err, errlen)) return -1;
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | lenbuf[i];
  if (hlen > src->size - 8)
    return sw_werr(err, errlen, what,
                   "header length %llu is larger than the file (%llu bytes): truncated or not a "
                   "safetensors file",
                   (unsigned long long)hlen, (unsigned long long)src->size);
  if (hlen > ST_MAX_HEADER)
    return sw_werr(err, errlen, what, "header length %llu exceeds the limit of %llu bytes",
                   (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
  if (hlen < 2) return sw_werr(err, errlen, what, "header length %llu is too small", (unsigned long long)hlen);
  hdr = malloc((size_t)hlen);
  if (!hdr) return sw_werr(err, errlen, what, "out of memory for a %llu-byte header", (unsigned long long)hlen);
  if (sw_src_read(src, 8, hdr, (size_t)hlen, err, errlen)) goto fail;
  if (hdr[0] != '{') {
    sw_werr(err, errlen, what, "header does not start with '{': not a safetensors file");
    goto fail;
  }
  char jerr[300];
  root = sw_json_parse(hdr, (size_t)hlen, jerr, sizeof jerr);
  if (!root) {
    sw_werr(err, errlen, what, "header: %s", jerr);
    goto fail;
  }
  if (root->type != SW_JSON_OBJECT) {
    sw_werr(err, errlen, what, "header is not a JSON object");
    goto fail;
  }
  uint64_t data_start = 8 + hlen, data_len = src->size - data_start;
  ents = calloc((size_t)root->count + 1, sizeof *ents);
  if (!ents) {
    sw_werr(err, errlen, what, "out of memory");
    goto fail;
  }
  for (int m = 0; m < root->count; m++) {
    const char *key = root->keys[m];
    size_t klen = root->key_lens[m];
    const sw_json *v = &root->items[m];
    const char *name = sw_printable(key, klen, nb, sizeof nb);
    if (strlen(key) != klen) {
      sw_werr(err, errlen, what, "tensor name \"%s\" contains a NUL character", name);
      goto fail;
    }
    if (strcmp(key, "__metadata__") == 0) {
      if (v->type != SW_JSON_OBJECT) {
        sw_werr(err, errlen, what, "__metadata__ is not an object (got %s)", sw_json_type_name(v->type));
        goto fail;
      }
      for (int j = 0; j < v->count; j++) {
        const sw_json *mv = &v->items[j];
        const char *mk = sw_printable(v->keys[j], v->key_lens[j], nb, sizeof nb);
        if (mv->type != SW_JSON_STRING) {
          sw_werr(err, errlen, what, "__metadata__ value for \"%s\" is not a string (got %s)", mk,
                  sw_json_type_name(mv->type));
          goto fail;
        }
        if (strlen(v->keys[j]) != v->key_lens[j] || strlen(mv->str) != mv->str_len) {
          sw_werr(err, errlen, what, "__metadata__ entry \"%s\" contains a NUL character", mk);
          goto fail;
        }
        if (push_meta(&sd, v->keys[j], mv->str)) { /* keys are unique: the parser checked */
          sw_werr(err, errlen, what, "out of memory");
          goto fail;
        }
      }
      continue;
    }
    if (v->type != SW_JSON_OBJECT) {
      sw_werr(err, errlen, what, "tensor %s: entry is not an object (got %s)", name,
              sw_json_type_name(v->type));
      goto fail;
    }
    st_entry *e = &ents[nents];
    e->member = m;
    const sw_json *dt = sw_json_get(v, "dtype"), *sh = sw_json_get(v, "shape"),
                  *off = sw_json_get(v, "data_offsets");
    if (!dt || dt->type != SW_JSON_STRING) {
      sw_werr(err, errlen, what, "tensor %s: missing or non-string \"dtype\"", name);
      goto fail;
    }
    e->dtype = -1;
    for (size_t k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
      if (strcmp(dt->str, st_dtypes[k].name) == 0) e->dtype = (int)k;
    if (e->dtype < 0) {
      sw_werr(err, errlen, what, "tensor %s: unknown dtype \"%s\"", name,
              sw_printable(dt->str, dt->str_len, sb, 40));
      goto fail;
    }
    if (st_dtypes[e->dtype].kind == ST_UNSUPPORTED) {
      sw_werr(err, errlen, what, "tensor %s: dtype %s is not supported", name, dt->str);
      goto fail;
    }
    if (!sh || sh->type != SW_JSON_ARRAY) {
      sw_werr(err, errlen, what, "tensor %s: missing or non-array \"shape\"", name);
      goto fail;
    }
    if (sh->count > 64) {
      sw_werr(err, errlen, what, "tensor %s: shape has %d dimensions", name, sh->count);
      goto fail;
    }
    e->ndim = sh->count;
    uint64_t numel = 1;
    bool overflow = false;
    for (int d = 0; d < sh->count; d++) {
      uint64_t dim;
      if (!json_uint(&sh->items[d], &dim)) {
        sw_werr(err, errlen, what, "tensor %s: shape entry %d is not a non-negative integer", name, d);
        goto fail;
      }
      e->dims[d] = (int64_t)dim;
      if (__builtin_mul_overflow(numel, dim, &numel)) overflow = true;
    }
    uint64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(numel, (uint64_t)st_dtypes[e->dtype].size, &nbytes) ||
        nbytes > INT64_MAX) {
      dims_str(e->dims, e->ndim, sb, sizeof sb);
      sw_werr(err, errlen, what, "tensor %s: shape %s is too large (element count overflows)", name, sb);
      goto fail;
    }
    if (!off || off->type != SW_JSON_ARRAY || off->count != 2 || !json_uint(&off->items[0], &e->begin) ||
        !json_uint(&off->items[1], &e->end)) {
      sw_werr(err, errlen, what, "tensor %s: \"data_offsets\" must be two non-negative integers", name);
      goto fail;
    }
    if (e->begin > e->end) {
      sw_werr(err, errlen, what, "tensor %s: data_offsets [%llu, %llu] begin after end", name,
              (unsigned long long)e->begin, (unsigned long long)e->end);
      goto fail;
    }
    if (e->end > data_len) {
      sw_werr(err, errlen, what,
              "tensor %s: data_offsets [%llu, %llu] outside the data area (%llu bytes): truncated?",
              name, (unsigned long long)e->begin, (unsigned long long)e->end,
              (unsigned long long)data_len);
      goto fail;
    }
    if (e->end - e->begin != nbytes) {
      dims_str(e->dims, e->ndim, sb, sizeof sb);
      sw_werr(err, errlen, what, "tensor %s: data_offsets [%llu, %llu] do not match %s shape %s (%llu bytes)",
              name, (unsigned long long)e->begin, (unsigned long long)e->end, dt->str, sb,
              (unsigned long long)nbytes);
      goto fail;
    }
    if (st_dtypes[e->dtype].kind == ST_FLOAT && e->ndim > SW_MAX_DIMS) {
      dims_str(e->dims, e->ndim, sb, sizeof sb);
      sw_werr(err, errlen, what, "tensor %s: shape %s has more than %d dimensions", name, sb, SW_MAX_DIMS);
      goto fail;
    }
    nents++;
  }
  /* The data area must be covered exactly: sorted by offset, each tensor
   * starts where the previous one ended and the last ends at the file end. */
  {
    st_entry *sorted = malloc(sizeof *sorted * (size_t)(nents + 1));
    if (!sorted) {
      sw_werr(err, errlen, what, "out of memory");
      goto fail;
    }
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
        goto fail;
      }
      if (e->begin > pos) {
        sw_werr(err, errlen, what, "bytes [%llu, %llu) of the data area belong to no tensor",
                (unsigned long long)pos, (unsigned long long)e->begin);
        free(sorted);
        goto fail;
      }
      pos = e->end;
      prev = e->member;
    }
    free(sorted);
    if (pos != data_len) {
      sw_werr(err, errlen, what,
              "data area has %llu bytes but the tensors end at %llu (trailing bytes belong to no tensor)",
              (unsigned long long)data_len, (unsigned long long)pos);
      goto fail;
    }
  }
  /* Load the float tensors in header order. */
  for (int i = 0; i < nents; i++) {
    const st_entry *e = &ents[i];
    if (st_dtypes[e->dtype].kind != ST_FLOAT) continue; /* integer buffers such as num_batches_tracked */
    const char *name = root->keys[e->member];
    sw_shape shape = {0};
    shape.ndim = e->ndim;
    for (int d = 0; d < e->ndim; d++) shape.dims[d] = e->dims[d];
    size_t numel = (size_t)sw_shape_numel(&shape);
    size_t nbytes = (size_t)(e->end - e->begin);
    float *dst = malloc(numel ? numel * sizeof(float) : 1);
    if (!dst) {
      sw_werr(err, errlen, what, "tensor %s: out of memory (%zu floats)", sw_printable(name, strlen(name), nb, sizeof nb), numel);
      goto fail;
    }
    int esize = st_dtypes[e->dtype].size;
    if (esize == 4) {
      if (sw_src_read(src, data_start + e->begin, dst, nbytes, err, errlen)) {
        free(dst);
        goto fail;
      }
    } else {
      unsigned char *tmp = malloc(nbytes ? nbytes : 1);
      if (!tmp) {
        free(dst);
        sw_werr(err, errlen, what, "out of memory");
        goto fail;
      }
      if (sw_src_read(src, data_start + e->begin, tmp, nbytes, err, errlen)) {
        free(tmp);
        free(dst);
        goto fail;
      }
      const char *dn = st_dtypes[e->dtype].name;
      for (size_t k = 0; k < numel; k++) {
        if (esize == 8) {
          double x;
          memcpy(&x, tmp + 8 * k, 8);
          dst[k] = (float)x;
        } else {
          uint16_t h;
          memcpy(&h, tmp + 2 * k, 2);
          dst[k] = dn[0] == 'B' ? sw_bf16_to_float(h) : sw_half_to_float(h);
        }
      }
      free(tmp);
    }
    if (sw_state_dict_push_owned(&sd, name, shape, dst)) {
      sw_werr(err, errlen, what, "tensor %s: out of memory", sw_printable(name, strlen(name), nb, sizeof nb));
      goto fail;
    }
  }
  free(ents);
  sw_json_free(root);
  free(hdr);
  *out = sd;
  return 0;
fail:
  free(ents);
  sw_json_free(root);
  free(hdr);
  sw_state_dict_free(&sd);
  return -1;
}

int sw_safetensors_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  sw_state_dict_init(out);
  sw_src src;
  if (sw_src_open(&src, path, err, errlen)) return -1;
  int r = st_read(&src, out, err, errlen);
  sw_src_close(&src);
  return r;
}

int sw_safetensors_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out,
                            char *err, size_t errlen) {
  sw_state_dict_init(out);
  sw_src src = {.fd = -1, .mem = buf, .size = len, .what = what ? what : "(memory)"};
  if (!buf && len) return sw_werr(err, errlen, src.what, "no buffer");
  return st_read(&src, out, err, errlen);
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
    if (!shape_valid(&t->shape)) {
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

static int write_all(int fd, const void *p, size_t n) {
  const unsigned char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Gives up a write through the temporary file tmp (fd still open when >= 0):
 * removes and frees it and reports `what` failed with the current errno. */
static int abandon_tmp(int fd, char *tmp, const char *path, const char *what, char *err, size_t errlen) {
  int e = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  free(tmp);
  return sw_werr(err, errlen, path, "%s: %s", what, strerror(e));
}

int sw_safetensors_write(const char *path, const sw_state_dict *sd, char *err, size_t errlen) {
  strbuf h = {0};
  uint64_t data_len;
  if (st_build_header(sd, path, &h, &data_len, err, errlen)) {
    free(h.b);
    return -1;
  }
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 64);
  if (!tmp) {
    free(h.b);
    return sw_werr(err, errlen, path, "out of memory");
  }
  /* A unique temporary name beside the target; open with O_EXCL so the
   * permissions follow the umask like an ordinary file. */
  int fd = -1;
  static unsigned counter;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(tmp, plen + 64, "%s.tmp-%ld-%u-%lx", path, (long)getpid(), c, (unsigned long)ts.tv_nsec);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int e = errno;
    free(tmp);
    free(h.b);
    return sw_werr(err, errlen, path, "cannot create a temporary file: %s", strerror(e));
  }
  unsigned char lenb[8];
  uint64_t hl = h.n;
  for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(hl >> (8 * i));
  int rc = write_all(fd, lenb, 8) || write_all(fd, h.b, h.n);
  for (int i = 0; i < sd->count && !rc; i++) {
    size_t nb = (size_t)sw_shape_numel(&sd->tensors[i].shape) * 4;
    if (nb) rc = write_all(fd, sd->tensors[i].data, nb);
  }
  free(h.b);
  if (rc) return abandon_tmp(fd, tmp, path, "write failed", err, errlen);
  if (fsync(fd) != 0) return abandon_tmp(fd, tmp, path, "fsync failed", err, errlen);
  if (close(fd) != 0) return abandon_tmp(-1, tmp, path, "close failed", err, errlen);
  if (rename(tmp, path) != 0)
    return abandon_tmp(-1, tmp, path, "cannot rename the temporary file into place", err, errlen);
  free(tmp);
  /* Make the rename durable. */
  char *dir = strdup(path);
  if (dir) {
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    free(dir);
  }
  return 0;
}

/* ---------------------------------------------------------------------------
 * Either format */

int sw_weights_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  sw_state_dict_init(out);
  sw_src src;
  if (sw_src_open(&src, path, err, errlen)) return -1;
  unsigned char magic[14] = {0};
  size_t n = src.size < 14 ? (size_t)src.size : 14;
  if (sw_src_read(&src, 0, magic, n, err, errlen)) {
    sw_src_close(&src);
    return -1;
  }
  sw_src_close(&src);
  if ((n >= 4 && memcmp(magic, "PK\x03\x04", 4) == 0) || sw_pth_is_legacy_header(magic, n))
    return sw_pth_read(path, out, err, errlen);
  return sw_safetensors_read(path, out, err, errlen);
}

int sw_weights_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out,
                        char *err, size_t errlen) {
  if (buf && ((len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0) || sw_pth_is_legacy_header(buf, len)))
    return sw_pth_read_mem(buf, len, what, out, err, errlen);
  return sw_safetensors_read_mem(buf, len, what, out, err, errlen);
}
