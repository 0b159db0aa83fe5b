/* tensor.c: shapes, arenas, RNG, thread count. */
#include "tensor.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sw_shape sw_shape_make(int ndim, const int64_t *dims) {
  sw_shape s = {0};
  s.ndim = ndim;
  for (int i = 0; i < ndim && i < SW_MAX_DIMS; i++) s.dims[i] = dims[i];
  return s;
}

sw_shape sw_shape1(int64_t a) { return (sw_shape){1, {a, 0, 0, 0}}; }
sw_shape sw_shape2(int64_t a, int64_t b) { return (sw_shape){2, {a, b, 0, 0}}; }
sw_shape sw_shape4(int64_t a, int64_t b, int64_t c, int64_t d) { return (sw_shape){4, {a, b, c, d}}; }

int64_t sw_shape_numel(const sw_shape *s) {
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n *= s->dims[i];
  return n;
}

bool sw_shape_equal(const sw_shape *a, const sw_shape *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

char *sw_shape_str(const sw_shape *s, char *buf, size_t len) {
  size_t off = 0;
  off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "[");
  for (int i = 0; i < s->ndim; i++)
    off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%lld", i ? ", " : "",
                            (long long)s->dims[i]);
  snprintf(buf + off, off < len ? len - off : 0, "]");
  return buf;
}

int sw_arena_init(sw_arena *a, size_t bytes) {
  a->size = (bytes + 63) & ~(size_t)63;
  a->used = 0;
  a->base = NULL;
  if (a->size == 0) return 0;
  if (posix_memalign((void **)&a->base, 64, a->size) != 0) {
    a->base = NULL;
    a->size = 0;
    return -1;
  }
  memset(a->base, 0, a->size);
  return 0;
}

void *sw_arena_bytes(sw_arena *a, size_t n) {
  size_t need = (n + 63) & ~(size_t)63;
  if (a->base == NULL || need > a->size - a->used) return NULL;
  void *p = a->base + a->used;
  a->used += need;
  memset(p, 0, n);
  return p;
}

float *sw_arena_floats(sw_arena *a, size_t n) { return sw_arena_bytes(a, n * sizeof(float)); }

void sw_arena_reset(sw_arena *a) { a->used = 0; }

void sw_arena_free(sw_arena *a) {
  free(a->base);
  a->base = NULL;
  a->size = a->used = 0;
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void sw_rng_seed(sw_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sw_rng_next(sw_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float sw_rng_uniform(sw_rng *r) { return (float)(sw_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

float sw_rng_normal(sw_rng *r) {
  double u1 = ((double)(sw_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  double u2 = (double)(sw_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

static int g_threads = 1;

void sw_set_num_threads(int n) {
  if (n < 1) n = 1;
  g_threads = n;
  /* The engine splits gemms over its own thread pool (gemm.c, parallel.c):
   * OpenBLAS itself stays single-threaded so its idle threads do not spin. */
  openblas_set_num_threads(1);
}

int sw_get_num_threads(void) { return g_threads; }
