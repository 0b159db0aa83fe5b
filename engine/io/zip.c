/* zip.c: CRC-32 and a zip reader for stored entries (zip64 included), as
 * torch's checkpoints need them. Every offset and size comes from the file,
 * so each is checked against the file and the central directory before use.
 */
#include "zip.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * CRC-32 (zip polynomial) */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

uint32_t sw_crc32(uint32_t crc, const unsigned char *p, size_t n) {
  pthread_once(&crc_once, crc_make_table);
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

/* ---------------------------------------------------------------------------
 * Zip reader (stored entries, zip64) */

#define ZIP_MAX_ENTRIES (1 << 20)
#define ZIP_MAX_CD ((uint64_t)256 << 20)

static int zentry_cmp(const void *a, const void *b) {
  return strcmp(((const sw_zip_entry *)a)->name, ((const sw_zip_entry *)b)->name);
}

void sw_zip_free(sw_zip *z) {
  for (int i = 0; i < z->n; i++) free(z->e[i].name);
  free(z->e);
  z->e = NULL;
  z->n = 0;
}

/* Where the central directory is, from the end-of-central-directory records. */
typedef struct {
  uint64_t disk, cd_disk, n_disk, n_total, cd_size, cd_off;
  uint64_t cd_limit; /* the central directory ends before this */
} zip_dir;

/* Finds the end-of-central-directory record: 22 bytes + comment (<= 65535)
 * at the very end of the file. */
static int zip_read_eocd(const sw_src *src, zip_dir *d, uint64_t *eocd_pos, char *err, size_t errlen) {
  const char *what = src->what;
  uint64_t size = src->size;
  if (size < 22) return sw_werr(err, errlen, what, "too short to be a zip file (%llu bytes)", (unsigned long long)size);
  uint64_t tail = size < 65535 + 22 ? size : 65535 + 22;
  unsigned char *t = malloc((size_t)tail);
  if (!t) return sw_werr(err, errlen, what, "out of memory");
  if (sw_src_read(src, size - tail, t, (size_t)tail, err, errlen)) {
    free(t);
    return -1;
  }
  int64_t at = -1;
  for (int64_t i = (int64_t)tail - 22; i >= 0; i--) {
    if (t[i] == 'P' && t[i + 1] == 'K' && t[i + 2] == 5 && t[i + 3] == 6 &&
        (uint64_t)i + 22 + rd16(t + i + 20) == tail) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    free(t);
    return sw_werr(err, errlen, what, "no zip end-of-central-directory record: truncated or not a zip file");
  }
  const unsigned char *eo = t + at;
  *eocd_pos = size - tail + (uint64_t)at;
  d->disk = rd16(eo + 4);
  d->cd_disk = rd16(eo + 6);
  d->n_disk = rd16(eo + 8);
  d->n_total = rd16(eo + 10);
  d->cd_size = rd32(eo + 12);
  d->cd_off = rd32(eo + 16);
  d->cd_limit = *eocd_pos;
  free(t);
  return 0;
}

/* zip64: a locator right before the EOCD points at the zip64 EOCD record,
 * whose fields replace the EOCD's. */
static int zip_read_zip64(const sw_src *src, uint64_t eocd_pos, zip_dir *d, char *err, size_t errlen) {
  const char *what = src->what;
  if (eocd_pos < 20) return 0;
  unsigned char loc[20];
  if (sw_src_read(src, eocd_pos - 20, loc, 20, err, errlen)) return -1;
  if (rd32(loc) == 0x07064b50) {
    uint64_t z64 = rd64(loc + 8);
    unsigned char r[56];
    if (z64 > eocd_pos - 20 || eocd_pos - 20 - z64 < 56)
      return sw_werr(err, errlen, what, "zip64 end-of-central-directory offset %llu is outside the file",
                     (unsigned long long)z64);
    if (sw_src_read(src, z64, r, 56, err, errlen)) return -1;
    if (rd32(r) != 0x06064b50)
      return sw_werr(err, errlen, what, "bad zip64 end-of-central-directory signature");
    d->disk = rd32(r + 16);
    d->cd_disk = rd32(r + 20);
    d->n_disk = rd64(r + 24);
    d->n_total = rd64(r + 32);
    d->cd_size = rd64(r + 40);
    d->cd_off = rd64(r + 48);
    d->cd_limit = z64;
  } else if (d->n_total == 0xFFFF || d->cd_size == 0xFFFFFFFFu || d->cd_off == 0xFFFFFFFFu) {
    return sw_werr(err, errlen, what, "zip needs zip64 records but has none");
  }
  return 0;
}

static int zip_check_dir(const sw_src *src, const zip_dir *d, char *err, size_t errlen) {
  const char *what = src->what;
  if (d->disk != 0 || d->cd_disk != 0 || d->n_disk != d->n_total)
    return sw_werr(err, errlen, what, "multi-disk zip archives are not supported");
  if (d->cd_off > d->cd_limit || d->cd_size > d->cd_limit - d->cd_off)
    return sw_werr(err, errlen, what, "zip central directory [%llu, +%llu) lies outside the file (%llu bytes)",
                   (unsigned long long)d->cd_off, (unsigned long long)d->cd_size, (unsigned long long)src->size);
  if (d->cd_size > ZIP_MAX_CD || d->n_total > ZIP_MAX_ENTRIES)
    return sw_werr(err, errlen, what, "zip central directory too large (%llu entries, %llu bytes)",
                   (unsigned long long)d->n_total, (unsigned long long)d->cd_size);
  if (d->n_total * 46 > d->cd_size)
    return sw_werr(err, errlen, what, "zip central directory of %llu bytes cannot hold %llu entries",
                   (unsigned long long)d->cd_size, (unsigned long long)d->n_total);
  return 0;
}

/* zip64 extended information in an entry's extra field x: present fields
 * replace the 0xFFFFFFFF ones, in order. */
static int zip_apply_zip64_extra(sw_zip_entry *e, const unsigned char *x, size_t xlen, uint32_t *edisk,
                                 const char *what, char *err, size_t errlen) {
  const unsigned char *xend = x + xlen;
  while (xend - x >= 4) {
    uint16_t id = rd16(x), sz = rd16(x + 2);
    if ((size_t)(xend - x - 4) < sz) break;
    if (id == 0x0001) {
      const unsigned char *f = x + 4, *fend = x + 4 + sz;
      uint64_t *fields[3] = {&e->usize, &e->csize, &e->lho};
      for (int k = 0; k < 3; k++) {
        if (*fields[k] != 0xFFFFFFFFu) continue;
        if (fend - f < 8) {
          char nb[120];
          return sw_werr(err, errlen, what, "zip entry %s: truncated zip64 extra field",
                         sw_printable(e->name, strlen(e->name), nb, sizeof nb));
        }
        *fields[k] = rd64(f);
        f += 8;
      }
      if (*edisk == 0xFFFF && fend - f >= 4) *edisk = rd32(f);
    }
    x += 4 + sz;
  }
  return 0;
}

/* Appends central directory entry i, at *p in cd, to z and moves *p past it. */
static int zip_read_entry(sw_zip *z, const unsigned char *cd, uint64_t cd_size, size_t *p, uint64_t i,
                          char *err, size_t errlen) {
  const char *what = z->src->what;
  if (cd_size - *p < 46 || rd32(cd + *p) != 0x02014b50)
    return sw_werr(err, errlen, what, "zip central directory entry %llu is corrupt", (unsigned long long)i);
  const unsigned char *h = cd + *p;
  sw_zip_entry *e = &z->e[z->n];
  e->flags = rd16(h + 8);
  e->method = rd16(h + 10);
  e->crc = rd32(h + 16);
  e->csize = rd32(h + 20);
  e->usize = rd32(h + 24);
  size_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
  uint32_t edisk = rd16(h + 34);
  e->lho = rd32(h + 42);
  if (46 + nlen + xlen + clen > cd_size - *p)
    return sw_werr(err, errlen, what, "zip central directory entry %llu runs past the directory",
                   (unsigned long long)i);
  if (nlen == 0 || memchr(h + 46, 0, nlen))
    return sw_werr(err, errlen, what, "zip entry %llu has an empty or invalid name", (unsigned long long)i);
  e->name = malloc(nlen + 1);
  if (!e->name) return sw_werr(err, errlen, what, "out of memory");
  memcpy(e->name, h + 46, nlen);
  e->name[nlen] = 0;
  z->n++;
  if (zip_apply_zip64_extra(e, h + 46 + nlen, xlen, &edisk, what, err, errlen)) return -1;
  if (edisk != 0) return sw_werr(err, errlen, what, "multi-disk zip archives are not supported");
  *p += 46 + nlen + xlen + clen;
  return 0;
}

/* Sorts the entries by name; two with one name are an error. */
static int zip_sort_unique(sw_zip *z, char *err, size_t errlen) {
  qsort(z->e, (size_t)z->n, sizeof *z->e, zentry_cmp);
  for (int i = 1; i < z->n; i++) {
    if (strcmp(z->e[i - 1].name, z->e[i].name) == 0) {
      char nb[120];
      return sw_werr(err, errlen, z->src->what, "zip entry %s appears twice",
                     sw_printable(z->e[i].name, strlen(z->e[i].name), nb, sizeof nb));
    }
  }
  return 0;
}

int sw_zip_open(sw_zip *z, const sw_src *src, char *err, size_t errlen) {
  const char *what = src->what;
  memset(z, 0, sizeof *z);
  z->src = src;
  zip_dir d = {0};
  uint64_t eocd_pos = 0;
  if (zip_read_eocd(src, &d, &eocd_pos, err, errlen) || zip_read_zip64(src, eocd_pos, &d, err, errlen) ||
      zip_check_dir(src, &d, err, errlen))
    return -1;
  z->cd_off = d.cd_off;
  unsigned char *cd = malloc(d.cd_size ? (size_t)d.cd_size : 1);
  if (!cd) return sw_werr(err, errlen, what, "out of memory");
  if (sw_src_read(src, d.cd_off, cd, (size_t)d.cd_size, err, errlen)) {
    free(cd);
    return -1;
  }
  z->e = calloc(d.n_total ? (size_t)d.n_total : 1, sizeof *z->e);
  if (!z->e) {
    free(cd);
    return sw_werr(err, errlen, what, "out of memory");
  }
  size_t p = 0;
  for (uint64_t i = 0; i < d.n_total; i++) {
    if (zip_read_entry(z, cd, d.cd_size, &p, i, err, errlen)) {
      free(cd);
      sw_zip_free(z);
      return -1;
    }
  }
  free(cd);
  if (zip_sort_unique(z, err, errlen)) {
    sw_zip_free(z);
    return -1;
  }
  return 0;
}

const sw_zip_entry *sw_zip_find(const sw_zip *z, const char *name) {
  sw_zip_entry key = {.name = (char *)name};
  return bsearch(&key, z->e, (size_t)z->n, sizeof *z->e, zentry_cmp);
}

int sw_zip_locate(const sw_zip *z, const sw_zip_entry *e, uint64_t *data_off, char *err, size_t errlen) {
  const char *what = z->src->what;
  char nb[160];
  const char *name = sw_printable(e->name, strlen(e->name), nb, sizeof nb);
  if (e->flags & 1) return sw_werr(err, errlen, what, "zip entry %s is encrypted", name);
  if (e->method != 0)
    return sw_werr(err, errlen, what,
                   "zip entry %s is compressed (method %u); PyTorch checkpoints store entries "
                   "uncompressed, and only those are supported",
                   name, e->method);
  if (e->csize != e->usize)
    return sw_werr(err, errlen, what, "zip entry %s: stored entry with different sizes (%llu vs %llu)", name,
                   (unsigned long long)e->csize, (unsigned long long)e->usize);
  unsigned char lh[30];
  if (e->lho > z->cd_off || z->cd_off - e->lho < 30)
    return sw_werr(err, errlen, what, "zip entry %s: local header offset %llu is outside the file data", name,
                   (unsigned long long)e->lho);
  if (sw_src_read(z->src, e->lho, lh, 30, err, errlen)) return -1;
  if (rd32(lh) != 0x04034b50) return sw_werr(err, errlen, what, "zip entry %s: bad local header signature", name);
  uint64_t nlen = rd16(lh + 26), xlen = rd16(lh + 28);
  size_t want = strlen(e->name);
  if (nlen != want) return sw_werr(err, errlen, what, "zip entry %s: local header name differs", name);
  uint64_t start = e->lho + 30 + nlen + xlen;
  if (start > z->cd_off || e->csize > z->cd_off - start)
    return sw_werr(err, errlen, what, "zip entry %s: data [%llu, +%llu) runs into the central directory or past the file",
                   name, (unsigned long long)start, (unsigned long long)e->csize);
  char *lname = malloc(nlen + 1);
  if (!lname) return sw_werr(err, errlen, what, "out of memory");
  if (sw_src_read(z->src, e->lho + 30, lname, (size_t)nlen, err, errlen)) {
    free(lname);
    return -1;
  }
  int same = memcmp(lname, e->name, (size_t)nlen) == 0;
  free(lname);
  if (!same) return sw_werr(err, errlen, what, "zip entry %s: local header name differs", name);
  *data_off = start;
  return 0;
}

int sw_zip_read(const sw_zip *z, const sw_zip_entry *e, uint64_t max, unsigned char **out, size_t *len, char *err,
                    size_t errlen) {
  char nb[160];
  uint64_t off;
  if (sw_zip_locate(z, e, &off, err, errlen)) return -1;
  if (e->usize > max)
    return sw_werr(err, errlen, z->src->what, "zip entry %s is too large (%llu bytes)",
                   sw_printable(e->name, strlen(e->name), nb, sizeof nb), (unsigned long long)e->usize);
  unsigned char *b = malloc(e->usize ? (size_t)e->usize : 1);
  if (!b) return sw_werr(err, errlen, z->src->what, "out of memory (%llu bytes)", (unsigned long long)e->usize);
  if (sw_src_read(z->src, off, b, (size_t)e->usize, err, errlen)) {
    free(b);
    return -1;
  }
  if (sw_crc32(0, b, (size_t)e->usize) != e->crc) {
    free(b);
    return sw_werr(err, errlen, z->src->what, "zip entry %s: CRC mismatch (corrupt file)",
                   sw_printable(e->name, strlen(e->name), nb, sizeof nb));
  }
  *out = b;
  *len = (size_t)e->usize;
  return 0;
}
