/* weights.c: state dicts, the helpers every weight-file reader shares (byte
 * sources, messages, half/bfloat16 conversion) and sw_weights_read, which
 * picks the format by content. The formats: safetensors.c, pth.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

void sw_elems_to_float(sw_elem kind, const unsigned char *src, size_t n, float *dst) {
  for (size_t k = 0; k < n; k++) {
    switch (kind) {
      case SW_EL_F32: memcpy(&dst[k], src + 4 * k, 4); break;
      case SW_EL_F64: {
        double x;
        memcpy(&x, src + 8 * k, 8);
        dst[k] = (float)x;
        break;
      }
      case SW_EL_F16:
      case SW_EL_BF16: {
        uint16_t h;
        memcpy(&h, src + 2 * k, 2);
        dst[k] = kind == SW_EL_F16 ? sw_half_to_float(h) : sw_bf16_to_float(h);
        break;
      }
      case SW_EL_INT: break;
    }
  }
}

void sw_dims_str(const int64_t *d, int n, char *buf, size_t len) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "[");
  for (int i = 0; i < n && o < len; i++)
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%lld", i ? ", " : "", (long long)d[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
}

int sw_read_path(const char *path, sw_src_reader read, sw_state_dict *out, char *err,
                 size_t errlen) {
  sw_state_dict_init(out);
  sw_src src;
  if (sw_src_open(&src, path, err, errlen)) return -1;
  int r = read(&src, out, err, errlen);
  sw_src_close(&src);
  return r;
}

int sw_read_mem(const void *buf, size_t len, const char *what, sw_src_reader read,
                sw_state_dict *out, char *err, size_t errlen) {
  sw_state_dict_init(out);
  sw_src src = {.fd = -1, .mem = buf, .size = len, .what = what ? what : "(memory)"};
  if (!buf && len) return sw_werr(err, errlen, src.what, "no buffer");
  return read(&src, out, err, errlen);
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

bool sw_shape_valid(const sw_shape *s) {
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
  if (!name || !sw_shape_valid(&shape) ||
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
  if (!name || !sw_shape_valid(&shape) || sw_state_dict_find(sd, name)) return -1;
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

int sw_state_dict_push_meta(sw_state_dict *sd, const char *key, const char *value) {
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
  return sw_state_dict_push_meta(sd, key, value);
}

const char *sw_state_dict_get_meta(const sw_state_dict *sd, const char *key) {
  for (int i = 0; i < sd->metadata_count; i++)
    if (strcmp(sd->metadata[i].key, key) == 0) return sd->metadata[i].value;
  return NULL;
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


/* ---------------------------------------------------------------------------
 * Atomic file writes */

int sw_atomic_open(sw_atomic_file *f, const char *path, char *err, size_t errlen) {
  size_t plen = strlen(path);
  f->fd = -1;
  f->path = path;
  f->tmp = malloc(plen + 64);
  if (!f->tmp) return sw_werr(err, errlen, path, "out of memory");
  /* A unique temporary name beside the target; open with O_EXCL so the
   * permissions follow the umask like an ordinary file. */
  static unsigned counter;
  for (int attempt = 0; attempt < 100 && f->fd < 0; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(f->tmp, plen + 64, "%s.tmp-%ld-%u-%lx", path, (long)getpid(), c,
             (unsigned long)ts.tv_nsec);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f->fd < 0 && errno != EEXIST) break;
  }
  if (f->fd < 0) {
    int e = errno;
    free(f->tmp);
    f->tmp = NULL;
    return sw_werr(err, errlen, path, "cannot create a temporary file: %s", strerror(e));
  }
  return 0;
}

int sw_atomic_write(sw_atomic_file *f, const void *p, size_t n) {
  const unsigned char *c = p;
  while (n > 0) {
    ssize_t w = write(f->fd, c, n > (1u << 30) ? (1u << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

int sw_atomic_abandon(sw_atomic_file *f, const char *what, char *err, size_t errlen) {
  int e = errno;
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  unlink(f->tmp);
  free(f->tmp);
  f->tmp = NULL;
  return sw_werr(err, errlen, f->path, "%s: %s", what, strerror(e));
}

int sw_atomic_commit(sw_atomic_file *f, char *err, size_t errlen) {
  if (fsync(f->fd) != 0) return sw_atomic_abandon(f, "fsync failed", err, errlen);
  int fd = f->fd;
  f->fd = -1;
  if (close(fd) != 0) return sw_atomic_abandon(f, "close failed", err, errlen);
  if (rename(f->tmp, f->path) != 0)
    return sw_atomic_abandon(f, "cannot rename the temporary file into place", err, errlen);
  free(f->tmp);
  f->tmp = NULL;
  /* Make the rename durable. */
  char *dir = strdup(f->path);
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
