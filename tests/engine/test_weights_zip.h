/* test_weights_zip.h: tiny byte-buffer and stored-zip writer shared by the
 * weight-file tests (test_weights.c, test_weights_fuzz.c). Test code only. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  unsigned char *b;
  size_t n, cap;
} bytes;

static inline void put(bytes *o, const void *p, size_t n) {
  if (o->n + n > o->cap) {
    o->cap = (o->n + n) * 2 + 64;
    o->b = realloc(o->b, o->cap);
  }
  if (n) memcpy(o->b + o->n, p, n);
  o->n += n;
}
static inline void put1(bytes *o, unsigned v) { unsigned char c = (unsigned char)v; put(o, &c, 1); }
static inline void put2(bytes *o, unsigned v) { put1(o, v & 0xff); put1(o, (v >> 8) & 0xff); }
static inline void put4(bytes *o, uint32_t v) { put2(o, v & 0xffff); put2(o, v >> 16); }
static inline void put8(bytes *o, uint64_t v) { put4(o, (uint32_t)v); put4(o, (uint32_t)(v >> 32)); }
static inline void puts_(bytes *o, const char *s) { put(o, s, strlen(s)); }

static inline uint32_t crc32_ref(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

typedef struct {
  const char *name;
  const void *data;
  size_t len;
  unsigned method, flags;
} zin;

/* A zip of stored entries; zip64 uses zip64 extra fields and end records. */
static inline bytes zip_build(const zin *e, int n, bool zip64) {
  bytes o = {0};
  uint64_t *lho = calloc((size_t)n, sizeof *lho);
  for (int i = 0; i < n; i++) {
    lho[i] = o.n;
    uint32_t crc = crc32_ref(e[i].data, e[i].len);
    put4(&o, 0x04034b50);
    put2(&o, 20);
    put2(&o, e[i].flags);
    put2(&o, e[i].method);
    put4(&o, 0);
    put4(&o, crc);
    put4(&o, (uint32_t)e[i].len);
    put4(&o, (uint32_t)e[i].len);
    put2(&o, (unsigned)strlen(e[i].name));
    put2(&o, 0);
    puts_(&o, e[i].name);
    put(&o, e[i].data, e[i].len);
  }
  uint64_t cd = o.n;
  for (int i = 0; i < n; i++) {
    uint32_t crc = crc32_ref(e[i].data, e[i].len);
    put4(&o, 0x02014b50);
    put2(&o, 20);
    put2(&o, zip64 ? 45 : 20);
    put2(&o, e[i].flags);
    put2(&o, e[i].method);
    put4(&o, 0);
    put4(&o, crc);
    put4(&o, zip64 ? 0xFFFFFFFFu : (uint32_t)e[i].len);
    put4(&o, zip64 ? 0xFFFFFFFFu : (uint32_t)e[i].len);
    put2(&o, (unsigned)strlen(e[i].name));
    put2(&o, zip64 ? 28 : 0);
    put2(&o, 0);
    put2(&o, 0);
    put2(&o, 0);
    put4(&o, 0);
    put4(&o, zip64 ? 0xFFFFFFFFu : (uint32_t)lho[i]);
    puts_(&o, e[i].name);
    if (zip64) {
      put2(&o, 1);
      put2(&o, 24);
      put8(&o, e[i].len);
      put8(&o, e[i].len);
      put8(&o, lho[i]);
    }
  }
  uint64_t cd_size = o.n - cd;
  if (zip64) {
    uint64_t z = o.n;
    put4(&o, 0x06064b50);
    put8(&o, 44);
    put2(&o, 45);
    put2(&o, 45);
    put4(&o, 0);
    put4(&o, 0);
    put8(&o, (uint64_t)n);
    put8(&o, (uint64_t)n);
    put8(&o, cd_size);
    put8(&o, cd);
    put4(&o, 0x07064b50);
    put4(&o, 0);
    put8(&o, z);
    put4(&o, 1);
  }
  put4(&o, 0x06054b50);
  put2(&o, 0);
  put2(&o, 0);
  put2(&o, zip64 ? 0xFFFF : (unsigned)n);
  put2(&o, zip64 ? 0xFFFF : (unsigned)n);
  put4(&o, zip64 ? 0xFFFFFFFFu : (uint32_t)cd_size);
  put4(&o, zip64 ? 0xFFFFFFFFu : (uint32_t)cd);
  put2(&o, 0);
  free(lho);
  return o;
}

