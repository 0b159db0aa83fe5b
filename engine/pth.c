/* pth.c: PyTorch zip state dicts (torch.save since 1.6, as torchvision
 * publishes them), read without Python and without executing anything.
 *
 * File layout: a zip archive whose entries are stored (not compressed):
 *   <prefix>/data.pkl    pickle (protocol 2) of an OrderedDict name -> tensor
 *   <prefix>/data/<key>  raw little-endian storage bytes
 *   <prefix>/version     format version ("3" for torch 1.13)
 *   <prefix>/byteorder   "little" (newer torch; optional)
 * Each tensor is pickled as
 *   torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta])
 * where storage is a persistent id ('storage', torch.FloatStorage, key, location, numel)
 * loaded with BINPERSID; parameters may be wrapped in torch._utils._rebuild_parameter.
 *
 * The pickle reader is a small stack machine that understands only the
 * opcodes such pickles use and a whitelist of globals, which it never calls:
 * REDUCE on a whitelisted global builds an inert record (an empty dict, a
 * tensor description). Everything is bounded: stack, marks, memo, objects.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "weights_internal.h"

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

static void crc_init(void) { pthread_once(&crc_once, crc_make_table); }

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

/* ---------------------------------------------------------------------------
 * Zip reader (stored entries, zip64) */

#define ZIP_MAX_ENTRIES (1 << 20)
#define ZIP_MAX_CD ((uint64_t)256 << 20)

typedef struct {
  char *name;
  uint16_t flags, method;
  uint32_t crc;
  uint64_t csize, usize, lho;
} zentry;

typedef struct {
  const sw_src *src;
  zentry *e;
  int n;
  uint64_t cd_off; /* entry data must lie before the central directory */
} zipfile;

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

static int zentry_cmp(const void *a, const void *b) {
  return strcmp(((const zentry *)a)->name, ((const zentry *)b)->name);
}

static void zip_free(zipfile *z) {
  for (int i = 0; i < z->n; i++) free(z->e[i].name);
  free(z->e);
  z->e = NULL;
  z->n = 0;
}

static int zip_open(zipfile *z, const sw_src *src, char *err, size_t errlen) {
  const char *what = src->what;
  memset(z, 0, sizeof *z);
  z->src = src;
  uint64_t size = src->size;
  if (size < 22) return sw_werr(err, errlen, what, "too short to be a zip file (%llu bytes)", (unsigned long long)size);
  /* End of central directory: 22 bytes + comment (<= 65535) at the very end. */
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
  uint64_t eocd_pos = size - tail + (uint64_t)at;
  uint64_t disk = rd16(eo + 4), cd_disk = rd16(eo + 6), n_disk = rd16(eo + 8), n_total = rd16(eo + 10);
  uint64_t cd_size = rd32(eo + 12), cd_off = rd32(eo + 16);
  uint64_t cd_limit = eocd_pos; /* the central directory ends before this */
  free(t);
  /* zip64: a locator right before the EOCD points at the zip64 EOCD record. */
  if (eocd_pos >= 20) {
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
      disk = rd32(r + 16);
      cd_disk = rd32(r + 20);
      n_disk = rd64(r + 24);
      n_total = rd64(r + 32);
      cd_size = rd64(r + 40);
      cd_off = rd64(r + 48);
      cd_limit = z64;
    } else if (n_total == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
      return sw_werr(err, errlen, what, "zip needs zip64 records but has none");
    }
  }
  if (disk != 0 || cd_disk != 0 || n_disk != n_total)
    return sw_werr(err, errlen, what, "multi-disk zip archives are not supported");
  if (cd_off > cd_limit || cd_size > cd_limit - cd_off)
    return sw_werr(err, errlen, what, "zip central directory [%llu, +%llu) lies outside the file (%llu bytes)",
                   (unsigned long long)cd_off, (unsigned long long)cd_size, (unsigned long long)size);
  if (cd_size > ZIP_MAX_CD || n_total > ZIP_MAX_ENTRIES)
    return sw_werr(err, errlen, what, "zip central directory too large (%llu entries, %llu bytes)",
                   (unsigned long long)n_total, (unsigned long long)cd_size);
  if (n_total * 46 > cd_size)
    return sw_werr(err, errlen, what, "zip central directory of %llu bytes cannot hold %llu entries",
                   (unsigned long long)cd_size, (unsigned long long)n_total);
  z->cd_off = cd_off;
  unsigned char *cd = malloc(cd_size ? (size_t)cd_size : 1);
  if (!cd) return sw_werr(err, errlen, what, "out of memory");
  if (sw_src_read(src, cd_off, cd, (size_t)cd_size, err, errlen)) {
    free(cd);
    return -1;
  }
  z->e = calloc(n_total ? (size_t)n_total : 1, sizeof *z->e);
  if (!z->e) {
    free(cd);
    return sw_werr(err, errlen, what, "out of memory");
  }
  size_t p = 0;
  for (uint64_t i = 0; i < n_total; i++) {
    if (cd_size - p < 46 || rd32(cd + p) != 0x02014b50) {
      free(cd);
      zip_free(z);
      return sw_werr(err, errlen, what, "zip central directory entry %llu is corrupt", (unsigned long long)i);
    }
    const unsigned char *h = cd + p;
    zentry *e = &z->e[z->n];
    e->flags = rd16(h + 8);
    e->method = rd16(h + 10);
    e->crc = rd32(h + 16);
    e->csize = rd32(h + 20);
    e->usize = rd32(h + 24);
    size_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
    uint32_t edisk = rd16(h + 34);
    e->lho = rd32(h + 42);
    if (46 + nlen + xlen + clen > cd_size - p) {
      free(cd);
      zip_free(z);
      return sw_werr(err, errlen, what, "zip central directory entry %llu runs past the directory",
                     (unsigned long long)i);
    }
    if (nlen == 0 || memchr(h + 46, 0, nlen)) {
      free(cd);
      zip_free(z);
      return sw_werr(err, errlen, what, "zip entry %llu has an empty or invalid name", (unsigned long long)i);
    }
    e->name = malloc(nlen + 1);
    if (!e->name) {
      free(cd);
      zip_free(z);
      return sw_werr(err, errlen, what, "out of memory");
    }
    memcpy(e->name, h + 46, nlen);
    e->name[nlen] = 0;
    z->n++;
    /* zip64 extended information: present fields replace the 0xFFFFFFFF ones, in order. */
    const unsigned char *x = h + 46 + nlen, *xend = x + xlen;
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
            free(cd);
            sw_werr(err, errlen, what, "zip entry %s: truncated zip64 extra field",
                    sw_printable(e->name, nlen, nb, sizeof nb));
            zip_free(z);
            return -1;
          }
          *fields[k] = rd64(f);
          f += 8;
        }
        if (edisk == 0xFFFF && fend - f >= 4) edisk = rd32(f);
      }
      x += 4 + sz;
    }
    if (edisk != 0) {
      free(cd);
      zip_free(z);
      return sw_werr(err, errlen, what, "multi-disk zip archives are not supported");
    }
    p += 46 + nlen + xlen + clen;
  }
  free(cd);
  qsort(z->e, (size_t)z->n, sizeof *z->e, zentry_cmp);
  for (int i = 1; i < z->n; i++) {
    if (strcmp(z->e[i - 1].name, z->e[i].name) == 0) {
      char nb[120];
      sw_werr(err, errlen, what, "zip entry %s appears twice", sw_printable(z->e[i].name, strlen(z->e[i].name), nb, sizeof nb));
      zip_free(z);
      return -1;
    }
  }
  return 0;
}

static const zentry *zip_find(const zipfile *z, const char *name) {
  zentry key = {.name = (char *)name};
  return bsearch(&key, z->e, (size_t)z->n, sizeof *z->e, zentry_cmp);
}

/* Locates an entry's data (checks local header, method, bounds). */
static int zip_locate(const zipfile *z, const zentry *e, uint64_t *data_off, char *err, size_t errlen) {
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

/* Reads a whole entry (at most max bytes) into a malloc'd buffer, checking its CRC. */
static int zip_read(const zipfile *z, const zentry *e, uint64_t max, unsigned char **out, size_t *len, char *err,
                    size_t errlen) {
  char nb[160];
  uint64_t off;
  if (zip_locate(z, e, &off, err, errlen)) return -1;
  if (e->usize > max)
    return sw_werr(err, errlen, z->src->what, "zip entry %s is too large (%llu bytes)",
                   sw_printable(e->name, strlen(e->name), nb, sizeof nb), (unsigned long long)e->usize);
  unsigned char *b = malloc(e->usize ? (size_t)e->usize : 1);
  if (!b) return sw_werr(err, errlen, z->src->what, "out of memory (%llu bytes)", (unsigned long long)e->usize);
  if (sw_src_read(z->src, off, b, (size_t)e->usize, err, errlen)) {
    free(b);
    return -1;
  }
  if (crc32_update(0, b, (size_t)e->usize) != e->crc) {
    free(b);
    return sw_werr(err, errlen, z->src->what, "zip entry %s: CRC mismatch (corrupt file)",
                   sw_printable(e->name, strlen(e->name), nb, sizeof nb));
  }
  *out = b;
  *len = (size_t)e->usize;
  return 0;
}

/* ---------------------------------------------------------------------------
 * Pickle machine */

#define PK_MAX_BYTES ((uint64_t)64 << 20)
#define PK_MAX_STACK (1 << 20)
#define PK_MAX_MARKS 256
/* Real state dicts need about 25 objects per tensor; these limits allow
 * ~40000 tensors while keeping a hostile pickle's memory around 150 MB. */
#define PK_MAX_MEMO (1 << 20)
#define PK_MAX_OBJECTS (1 << 20)
#define PK_MAX_ITEMS (1 << 22)
#define PK_MAX_DIMS 16

typedef enum { P_NONE, P_BOOL, P_INT, P_BIGINT, P_FLOAT, P_STR, P_BYTES, P_TUPLE, P_LIST, P_DICT, P_GLOBAL, P_STORAGE, P_TENSOR } ptype;

typedef enum {
  G_ORDERED_DICT,
  G_REBUILD_TENSOR,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_PARAMETER,
  G_REBUILD_PARAMETER_WITH_STATE,
  G_STORAGE, /* torch.<X>Storage; dtype in st_dtype */
} gid;

/* Storage element types. */
typedef enum { D_F32, D_F16, D_BF16, D_F64, D_INT } dkind;

static const struct {
  const char *name;
  int size;
  dkind kind;
} storage_types[] = {
    {"FloatStorage", 4, D_F32}, {"HalfStorage", 2, D_F16},  {"BFloat16Storage", 2, D_BF16},
    {"DoubleStorage", 8, D_F64}, {"LongStorage", 8, D_INT}, {"IntStorage", 4, D_INT},
    {"ShortStorage", 2, D_INT}, {"CharStorage", 1, D_INT},  {"ByteStorage", 1, D_INT},
    {"BoolStorage", 1, D_INT},
};

typedef struct pobj pobj;
struct pobj {
  ptype t;
  int64_t i;       /* INT, BOOL */
  double f;        /* FLOAT */
  char *s;         /* STR, BYTES, STORAGE key */
  size_t slen;
  pobj **items;    /* TUPLE, LIST; DICT: key, value, key, value... */
  int n, cap;
  int g;           /* GLOBAL: gid; STORAGE, GLOBAL G_STORAGE: storage_types index */
  bool odict;      /* DICT made by OrderedDict() */
  /* STORAGE */
  int64_t numel;
  /* TENSOR */
  pobj *storage;
  int64_t offset;
  int ndim;
  const pobj *sizes, *strides; /* tuples of ints, checked */
  pobj *next; /* allocation list */
};

typedef struct {
  const unsigned char *p;
  size_t len, pos;
  const char *what;
  const char *part; /* "data.pkl" or "pickle" in messages */
  bool truncated;   /* failed because the input ended */
  char *err;
  size_t errlen;
  bool failed;
  pobj **stack;
  int sp, stack_cap;
  int marks[PK_MAX_MARKS];
  int nmarks;
  pobj **memo;
  size_t memo_cap, memo_count;
  pobj *all;
  long nobjects;
  long nitems;
} pvm;

static const char *ptype_name(ptype t) {
  static const char *n[] = {"None", "bool", "int", "int", "float", "str", "bytes", "tuple", "list", "dict", "global", "storage", "tensor"};
  return n[t];
}

static int pfail(pvm *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pfail(pvm *m, const char *fmt, ...) {
  if (m->failed) return -1;
  m->failed = true;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sw_werr(m->err, m->errlen, m->what, "%s: %s", m->part, msg);
}

static pobj *pnew(pvm *m, ptype t) {
  if (m->nobjects >= PK_MAX_OBJECTS) {
    pfail(m, "more than %d objects", PK_MAX_OBJECTS);
    return NULL;
  }
  pobj *o = calloc(1, sizeof *o);
  if (!o) {
    pfail(m, "out of memory");
    return NULL;
  }
  o->t = t;
  o->next = m->all;
  m->all = o;
  m->nobjects++;
  return o;
}

static void pvm_free(pvm *m) {
  pobj *o = m->all;
  while (o) {
    pobj *n = o->next;
    free(o->s);
    free(o->items);
    free(o);
    o = n;
  }
  m->all = NULL;
  free(m->stack);
  free(m->memo);
}

static int push(pvm *m, pobj *o) {
  if (!o) return -1;
  if (m->sp == m->stack_cap) {
    if (m->stack_cap >= PK_MAX_STACK) return pfail(m, "stack deeper than %d", PK_MAX_STACK);
    int nc = m->stack_cap ? m->stack_cap * 2 : 64;
    pobj **ns = realloc(m->stack, sizeof *ns * (size_t)nc);
    if (!ns) return pfail(m, "out of memory");
    m->stack = ns;
    m->stack_cap = nc;
  }
  m->stack[m->sp++] = o;
  return 0;
}

static int base_sp(const pvm *m) { return m->nmarks ? m->marks[m->nmarks - 1] : 0; }

static pobj *pop(pvm *m) {
  if (m->sp <= base_sp(m)) {
    pfail(m, "stack underflow at byte %zu", m->pos);
    return NULL;
  }
  return m->stack[--m->sp];
}

static pobj *top(pvm *m) {
  if (m->sp <= base_sp(m)) {
    pfail(m, "stack underflow at byte %zu", m->pos);
    return NULL;
  }
  return m->stack[m->sp - 1];
}

/* Pops to the last mark; returns the index of the first item above it. */
static int pop_mark(pvm *m) {
  if (m->nmarks == 0) {
    pfail(m, "no mark on the stack at byte %zu", m->pos);
    return -1;
  }
  return m->marks[--m->nmarks];
}

static int add_items(pvm *m, pobj *c, pobj **src, int n) {
  if (n <= 0) return n < 0 ? -1 : 0;
  if (m->nitems + n > PK_MAX_ITEMS) return pfail(m, "more than %d container items", PK_MAX_ITEMS);
  if (c->n + n > c->cap) {
    int nc = c->cap ? c->cap : 4;
    while (nc < c->n + n) nc *= 2;
    pobj **ni = realloc(c->items, sizeof *ni * (size_t)nc);
    if (!ni) return pfail(m, "out of memory");
    c->items = ni;
    c->cap = nc;
  }
  memcpy(c->items + c->n, src, sizeof *src * (size_t)n);
  c->n += n;
  m->nitems += n;
  return 0;
}

static int need(pvm *m, size_t n) {
  if (m->len - m->pos < n) {
    m->truncated = true;
    return pfail(m, "truncated pickle (need %zu bytes at byte %zu)", n, m->pos);
  }
  return 0;
}

/* Reads a text line (GLOBAL, PUT, GET arguments) of at most max bytes. */
static int read_line(pvm *m, const char **s, size_t *n, size_t max) {
  const unsigned char *nl = memchr(m->p + m->pos, '\n', m->len - m->pos);
  if (!nl) {
    m->truncated = true;
    return pfail(m, "unterminated line at byte %zu", m->pos);
  }
  size_t len = (size_t)(nl - (m->p + m->pos));
  if (len > max) return pfail(m, "line too long at byte %zu", m->pos);
  *s = (const char *)m->p + m->pos;
  *n = len;
  m->pos += len + 1;
  return 0;
}

static int make_global(pvm *m, const char *mod, size_t ml, const char *name, size_t nl) {
  char a[128], b[128], pa[128], pb[128];
  if (ml >= sizeof a || nl >= sizeof b) return pfail(m, "global name too long");
  memcpy(a, mod, ml);
  a[ml] = 0;
  memcpy(b, name, nl);
  b[nl] = 0;
  pobj *g = NULL;
  if (strlen(a) == ml && strlen(b) == nl) {
    int id = -1, st = -1;
    if (strcmp(a, "collections") == 0 && strcmp(b, "OrderedDict") == 0) id = G_ORDERED_DICT;
    if (strcmp(a, "torch._utils") == 0) {
      if (strcmp(b, "_rebuild_tensor_v2") == 0) id = G_REBUILD_TENSOR_V2;
      if (strcmp(b, "_rebuild_tensor") == 0) id = G_REBUILD_TENSOR;
      if (strcmp(b, "_rebuild_parameter") == 0) id = G_REBUILD_PARAMETER;
      if (strcmp(b, "_rebuild_parameter_with_state") == 0) id = G_REBUILD_PARAMETER_WITH_STATE;
    }
    if (strcmp(a, "torch") == 0)
      for (size_t k = 0; k < sizeof storage_types / sizeof storage_types[0]; k++)
        if (strcmp(b, storage_types[k].name) == 0) id = G_STORAGE, st = (int)k;
    if (id >= 0) {
      g = pnew(m, P_GLOBAL);
      if (!g) return -1;
      g->g = id;
      g->i = st;
      return push(m, g);
    }
  }
  return pfail(m, "global %s.%s is not allowed (only OrderedDict, torch tensor rebuilders and storage types are)",
               sw_printable(a, ml, pa, 80), sw_printable(b, nl, pb, 80));
}

static int memo_put(pvm *m, uint64_t idx) {
  pobj *o = top(m);
  if (!o) return -1;
  if (idx >= PK_MAX_MEMO) return pfail(m, "memo index %llu out of range", (unsigned long long)idx);
  if (idx >= m->memo_cap) {
    size_t nc = m->memo_cap ? m->memo_cap : 256;
    while (nc <= idx) nc *= 2;
    pobj **nm = realloc(m->memo, sizeof *nm * nc);
    if (!nm) return pfail(m, "out of memory");
    memset(nm + m->memo_cap, 0, sizeof *nm * (nc - m->memo_cap));
    m->memo = nm;
    m->memo_cap = nc;
  }
  if (!m->memo[idx]) m->memo_count++;
  m->memo[idx] = o;
  return 0;
}

static int memo_get(pvm *m, uint64_t idx) {
  if (idx >= m->memo_cap || !m->memo[idx])
    return pfail(m, "memo index %llu out of range (not stored) at byte %zu", (unsigned long long)idx, m->pos);
  return push(m, m->memo[idx]);
}

static int parse_decimal(pvm *m, const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 18) return pfail(m, "bad decimal argument");
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return pfail(m, "bad decimal argument");
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

static int push_string(pvm *m, ptype t, uint64_t n) {
  if (need(m, n)) return -1;
  pobj *o = pnew(m, t);
  if (!o) return -1;
  o->s = malloc((size_t)n + 1);
  if (!o->s) return pfail(m, "out of memory");
  memcpy(o->s, m->p + m->pos, (size_t)n);
  o->s[n] = 0;
  o->slen = (size_t)n;
  m->pos += (size_t)n;
  if (t == P_STR && !sw_json_utf8_valid(o->s, o->slen)) return pfail(m, "string is not valid UTF-8");
  return push(m, o);
}

static int push_int(pvm *m, int64_t v) {
  pobj *o = pnew(m, P_INT);
  if (!o) return -1;
  o->i = v;
  return push(m, o);
}

static int make_tuple(pvm *m, int n) {
  pobj *t = pnew(m, P_TUPLE);
  if (!t) return -1;
  if (m->sp - base_sp(m) < n) return pfail(m, "stack underflow at byte %zu", m->pos);
  if (add_items(m, t, m->stack + m->sp - n, n)) return -1;
  m->sp -= n;
  return push(m, t);
}

static bool is_int(const pobj *o) { return o->t == P_INT; }
static bool is_hooks(const pobj *o) { return o->t == P_DICT || o->t == P_NONE; }

static int reduce(pvm *m) {
  pobj *args = pop(m), *f = pop(m);
  if (!args || !f) return -1;
  if (f->t != P_GLOBAL) return pfail(m, "REDUCE on a %s is not allowed", ptype_name(f->t));
  if (args->t != P_TUPLE) return pfail(m, "REDUCE arguments are a %s, not a tuple", ptype_name(args->t));
  switch ((gid)f->g) {
    case G_ORDERED_DICT: {
      if (args->n != 0) return pfail(m, "OrderedDict() with arguments is not supported");
      pobj *d = pnew(m, P_DICT);
      if (!d) return -1;
      d->odict = true;
      return push(m, d);
    }
    case G_REBUILD_TENSOR:
    case G_REBUILD_TENSOR_V2: {
      /* v2: (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
       * v1 (torch 0.4 legacy files): (storage, storage_offset, size, stride) */
      pobj **a = args->items;
      if (f->g == G_REBUILD_TENSOR) {
        if (args->n != 4) return pfail(m, "_rebuild_tensor takes 4 arguments, got %d", args->n);
      } else {
        if (args->n != 6 && args->n != 7)
          return pfail(m, "_rebuild_tensor_v2 takes 6 or 7 arguments, got %d", args->n);
        if (a[4]->t != P_BOOL) return pfail(m, "_rebuild_tensor_v2: requires_grad is a %s", ptype_name(a[4]->t));
        if (!is_hooks(a[5])) return pfail(m, "_rebuild_tensor_v2: backward hooks are a %s", ptype_name(a[5]->t));
      }
      if (a[0]->t != P_STORAGE) return pfail(m, "_rebuild_tensor_v2: argument 1 is a %s, not a storage", ptype_name(a[0]->t));
      if (!is_int(a[1]) || a[1]->i < 0) return pfail(m, "_rebuild_tensor_v2: bad storage offset");
      if (a[2]->t != P_TUPLE || a[3]->t != P_TUPLE || a[2]->n != a[3]->n)
        return pfail(m, "_rebuild_tensor_v2: size and stride must be tuples of the same length");
      if (a[2]->n > PK_MAX_DIMS) return pfail(m, "_rebuild_tensor_v2: %d dimensions", a[2]->n);
      pobj *t = pnew(m, P_TENSOR);
      if (!t) return -1;
      t->storage = a[0];
      t->offset = a[1]->i;
      t->ndim = a[2]->n;
      t->sizes = a[2];
      t->strides = a[3];
      for (int d = 0; d < t->ndim; d++) {
        if (!is_int(a[2]->items[d]) || !is_int(a[3]->items[d]))
          return pfail(m, "_rebuild_tensor_v2: size and stride entries must be integers");
        if (a[2]->items[d]->i < 0) return pfail(m, "_rebuild_tensor_v2: negative size");
      }
      return push(m, t);
    }
    case G_REBUILD_PARAMETER:
    case G_REBUILD_PARAMETER_WITH_STATE: {
      int want = f->g == G_REBUILD_PARAMETER ? 3 : 4;
      if (args->n != want) return pfail(m, "_rebuild_parameter takes %d arguments, got %d", want, args->n);
      if (args->items[0]->t != P_TENSOR) return pfail(m, "_rebuild_parameter: argument 1 is not a tensor");
      if (args->items[1]->t != P_BOOL || !is_hooks(args->items[2]))
        return pfail(m, "_rebuild_parameter: bad arguments");
      return push(m, args->items[0]);
    }
    case G_STORAGE:
      return pfail(m, "calling torch.%s is not allowed", storage_types[f->i].name);
  }
  return pfail(m, "REDUCE on this global is not allowed");
}

static int persistent_load(pvm *m) {
  pobj *pid = pop(m);
  if (!pid) return -1;
  /* zip: ('storage', torch.XStorage, key, location, numel)
   * legacy: the same plus view_metadata, which is None unless the storage is
   * a view (only files from torch < 0.4 have those). */
  if (pid->t != P_TUPLE || (pid->n != 5 && pid->n != 6)) return pfail(m, "persistent id is not a 5- or 6-tuple");
  pobj **a = pid->items;
  if (pid->n == 6 && a[5]->t != P_NONE) return pfail(m, "persistent id: storage views are not supported");
  if (a[0]->t != P_STR || strcmp(a[0]->s, "storage") != 0) return pfail(m, "persistent id is not a storage");
  if (a[1]->t != P_GLOBAL || a[1]->g != G_STORAGE) return pfail(m, "persistent id: unknown storage type");
  if (a[2]->t != P_STR || a[3]->t != P_STR) return pfail(m, "persistent id: key and location must be strings");
  if (!is_int(a[4]) || a[4]->i < 0) return pfail(m, "persistent id: bad element count");
  /* The key names a zip entry: keep it to a plain file name. */
  const char *k = a[2]->s;
  if (a[2]->slen == 0 || a[2]->slen > 64 || strchr(k, '/') || strchr(k, '\\') || strcmp(k, ".") == 0 ||
      strcmp(k, "..") == 0 || strlen(k) != a[2]->slen)
    return pfail(m, "persistent id: invalid storage key");
  pobj *s = pnew(m, P_STORAGE);
  if (!s) return -1;
  s->s = strdup(k);
  if (!s->s) return pfail(m, "out of memory");
  s->slen = a[2]->slen;
  s->g = (int)a[1]->i;
  s->numel = a[4]->i;
  return push(m, s);
}

static int setitems(pvm *m, int from) {
  if (from < 0) return -1;
  int n = m->sp - from;
  if (n % 2) return pfail(m, "SETITEMS with an odd number of items");
  if (from <= base_sp(m) || m->sp < from) return pfail(m, "SETITEMS without a dict");
  pobj *d = m->stack[from - 1];
  if (d->t != P_DICT) return pfail(m, "SETITEM(S) on a %s", ptype_name(d->t));
  if (add_items(m, d, m->stack + from, n)) return -1;
  m->sp = from;
  return 0;
}

static int appends(pvm *m, int from) {
  if (from < 0) return -1;
  if (from <= base_sp(m) || m->sp < from) return pfail(m, "APPENDS without a list");
  pobj *l = m->stack[from - 1];
  if (l->t != P_LIST) return pfail(m, "APPEND(S) on a %s", ptype_name(l->t));
  if (add_items(m, l, m->stack + from, m->sp - from)) return -1;
  m->sp = from;
  return 0;
}

/* Runs the pickle; returns the result object or NULL. */
static pobj *pvm_run(pvm *m) {
  while (!m->failed) {
    if (m->pos >= m->len) {
      m->truncated = true;
      pfail(m, "truncated pickle (no STOP)");
      return NULL;
    }
    size_t at = m->pos;
    unsigned char op = m->p[m->pos++];
    const unsigned char *q = m->p + m->pos;
    int r = 0;
    switch (op) {
      case 0x80: /* PROTO */
        if (need(m, 1)) return NULL;
        if (q[0] > 5) r = pfail(m, "pickle protocol %d is not supported", q[0]);
        m->pos++;
        break;
      case 0x95: /* FRAME: advisory length, ignored */
        if (need(m, 8)) return NULL;
        m->pos += 8;
        break;
      case '.': { /* STOP */
        if (m->nmarks != 0 || m->sp != 1) {
          pfail(m, "STOP with %d items and %d marks on the stack", m->sp, m->nmarks);
          return NULL;
        }
        return m->stack[0];
      }
      case '(': /* MARK */
        if (m->nmarks >= PK_MAX_MARKS) {
          pfail(m, "nesting deeper than %d marks", PK_MAX_MARKS);
          return NULL;
        }
        m->marks[m->nmarks++] = m->sp;
        break;
      case 'c': { /* GLOBAL module\nname\n */
        const char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        if (read_line(m, &a, &al, 120) || read_line(m, &b, &bl, 120)) return NULL;
        r = make_global(m, a, al, b, bl);
        break;
      }
      case 0x93: { /* STACK_GLOBAL */
        pobj *name = pop(m), *mod = pop(m);
        if (!name || !mod) return NULL;
        if (name->t != P_STR || mod->t != P_STR) r = pfail(m, "STACK_GLOBAL needs two strings");
        else r = make_global(m, mod->s, mod->slen, name->s, name->slen);
        break;
      }
      case 'q': /* BINPUT */
        if (need(m, 1)) return NULL;
        m->pos++;
        r = memo_put(m, q[0]);
        break;
      case 'r': /* LONG_BINPUT */
        if (need(m, 4)) return NULL;
        m->pos += 4;
        r = memo_put(m, rd32(q));
        break;
      case 0x94: /* MEMOIZE */
        r = memo_put(m, m->memo_count); /* as Python: index len(memo) */
        break;
      case 'p': { /* PUT n\n */
        const char *s = NULL;
        size_t n = 0;
        uint64_t v = 0;
        if (read_line(m, &s, &n, 20) || parse_decimal(m, s, n, &v)) return NULL;
        r = memo_put(m, v);
        break;
      }
      case 'h': /* BINGET */
        if (need(m, 1)) return NULL;
        m->pos++;
        r = memo_get(m, q[0]);
        break;
      case 'j': /* LONG_BINGET */
        if (need(m, 4)) return NULL;
        m->pos += 4;
        r = memo_get(m, rd32(q));
        break;
      case 'g': { /* GET n\n */
        const char *s = NULL;
        size_t n = 0;
        uint64_t v = 0;
        if (read_line(m, &s, &n, 20) || parse_decimal(m, s, n, &v)) return NULL;
        r = memo_get(m, v);
        break;
      }
      case ')': r = make_tuple(m, 0); break;
      case 0x85: r = make_tuple(m, 1); break;
      case 0x86: r = make_tuple(m, 2); break;
      case 0x87: r = make_tuple(m, 3); break;
      case 't': { /* TUPLE */
        int from = pop_mark(m);
        if (from < 0) return NULL;
        pobj *t = pnew(m, P_TUPLE);
        if (!t || add_items(m, t, m->stack + from, m->sp - from)) return NULL;
        m->sp = from;
        r = push(m, t);
        break;
      }
      case ']': r = push(m, pnew(m, P_LIST)); break;
      case 'l': { /* LIST */
        int from = pop_mark(m);
        if (from < 0) return NULL;
        pobj *l = pnew(m, P_LIST);
        if (!l || add_items(m, l, m->stack + from, m->sp - from)) return NULL;
        m->sp = from;
        r = push(m, l);
        break;
      }
      case 'a': { /* APPEND */
        pobj *v = pop(m), *l = v ? top(m) : NULL;
        if (!l) return NULL;
        if (l->t != P_LIST) r = pfail(m, "APPEND on a %s", ptype_name(l->t));
        else r = add_items(m, l, &v, 1);
        break;
      }
      case 'e': r = appends(m, pop_mark(m)); break;
      case '}': r = push(m, pnew(m, P_DICT)); break;
      case 'd': { /* DICT */
        int from = pop_mark(m);
        if (from < 0) return NULL;
        if ((m->sp - from) % 2) {
          pfail(m, "DICT with an odd number of items");
          return NULL;
        }
        pobj *d = pnew(m, P_DICT);
        if (!d || add_items(m, d, m->stack + from, m->sp - from)) return NULL;
        m->sp = from;
        r = push(m, d);
        break;
      }
      case 's': { /* SETITEM */
        if (m->sp - base_sp(m) < 3) {
          pfail(m, "SETITEM needs a dict, a key and a value");
          return NULL;
        }
        r = setitems(m, m->sp - 2);
        break;
      }
      case 'u': r = setitems(m, pop_mark(m)); break;
      case 'J': /* BININT */
        if (need(m, 4)) return NULL;
        m->pos += 4;
        r = push_int(m, (int32_t)rd32(q));
        break;
      case 'K': /* BININT1 */
        if (need(m, 1)) return NULL;
        m->pos += 1;
        r = push_int(m, q[0]);
        break;
      case 'M': /* BININT2 */
        if (need(m, 2)) return NULL;
        m->pos += 2;
        r = push_int(m, rd16(q));
        break;
      case 0x8a: { /* LONG1: n-byte little-endian two's complement */
        if (need(m, 1)) return NULL;
        size_t n = q[0];
        if (n > 32) {
          pfail(m, "integer of %zu bytes is too large", n);
          return NULL;
        }
        if (need(m, 1 + n)) return NULL;
        if (n > 8) { /* kept as raw bytes: only compared (the legacy magic number) */
          pobj *o = pnew(m, P_BIGINT);
          if (!o || !(o->s = malloc(n))) {
            pfail(m, "out of memory");
            return NULL;
          }
          memcpy(o->s, q + 1, n);
          o->slen = n;
          m->pos += 1 + n;
          r = push(m, o);
          break;
        }
        uint64_t v = 0;
        for (size_t k = 0; k < n; k++) v |= (uint64_t)q[1 + k] << (8 * k);
        if (n > 0 && n < 8 && (q[n] & 0x80)) v |= ~(uint64_t)0 << (8 * n);
        m->pos += 1 + n;
        r = push_int(m, (int64_t)v);
        break;
      }
      case 0x88: /* NEWTRUE */
      case 0x89: { /* NEWFALSE */
        pobj *b = pnew(m, P_BOOL);
        if (!b) return NULL;
        b->i = op == 0x88;
        r = push(m, b);
        break;
      }
      case 'N': r = push(m, pnew(m, P_NONE)); break;
      case 'G': { /* BINFLOAT: big-endian double */
        if (need(m, 8)) return NULL;
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = (v << 8) | q[k];
        m->pos += 8;
        pobj *o = pnew(m, P_FLOAT);
        if (!o) return NULL;
        memcpy(&o->f, &v, 8);
        r = push(m, o);
        break;
      }
      case 'X': /* BINUNICODE */
        if (need(m, 4)) return NULL;
        m->pos += 4;
        r = push_string(m, P_STR, rd32(q));
        break;
      case 0x8c: /* SHORT_BINUNICODE */
        if (need(m, 1)) return NULL;
        m->pos += 1;
        r = push_string(m, P_STR, q[0]);
        break;
      case 0x8d: /* BINUNICODE8 */
        if (need(m, 8)) return NULL;
        m->pos += 8;
        r = push_string(m, P_STR, rd64(q));
        break;
      case 'T': /* BINSTRING */
      case 'B': /* BINBYTES */
        if (need(m, 4)) return NULL;
        m->pos += 4;
        r = push_string(m, P_BYTES, rd32(q));
        break;
      case 'U': /* SHORT_BINSTRING */
      case 'C': /* SHORT_BINBYTES */
        if (need(m, 1)) return NULL;
        m->pos += 1;
        r = push_string(m, P_BYTES, q[0]);
        break;
      case 'R': r = reduce(m); break;
      case 'Q': r = persistent_load(m); break;
      case 'b': { /* BUILD: only an OrderedDict's attribute dict (state_dict._metadata) */
        pobj *state = pop(m), *obj = top(m);
        if (!state || !obj) return NULL;
        if (obj->t != P_DICT || !obj->odict || state->t != P_DICT)
          r = pfail(m, "BUILD on a %s with a %s is not allowed", ptype_name(obj->t), ptype_name(state->t));
        break;
      }
      case '0': r = pop(m) ? 0 : -1; break; /* POP */
      case '1': { /* POP_MARK */
        int from = pop_mark(m);
        if (from < 0) return NULL;
        m->sp = from;
        break;
      }
      case '2': { /* DUP */
        pobj *o = top(m);
        r = o ? push(m, o) : -1;
        break;
      }
      default:
        if (op >= 0x20 && op < 0x7f)
          pfail(m, "opcode '%c' (0x%02x) at byte %zu is not allowed", op, op, at);
        else
          pfail(m, "opcode 0x%02x at byte %zu is not allowed", op, at);
        return NULL;
    }
    if (r) return NULL;
  }
  return NULL;
}

/* Prepares the machine for the next pickle of a stream (legacy format): a
 * fresh stack and memo; objects stay alive until pvm_free. */
static void pvm_next(pvm *m) {
  m->sp = 0;
  m->nmarks = 0;
  if (m->memo) memset(m->memo, 0, sizeof *m->memo * m->memo_cap);
  m->memo_count = 0;
}

/* ---------------------------------------------------------------------------
 * Putting it together */

/* Where a storage's raw bytes are. */
typedef struct {
  uint64_t off, size;
  uint32_t crc;
  bool check_crc;
  char label[160]; /* for messages: "zip entry arch/data/3", "storage 9408" */
} sloc;

typedef int (*locate_fn)(void *ctx, const pobj *storage, sloc *out, char *err, size_t errlen);

typedef struct {
  const char *name;
  const pobj *t;
} named_pobj;

static int named_cmp(const void *a, const void *b) {
  return strcmp(((const named_pobj *)a)->name, ((const named_pobj *)b)->name);
}

static void shape_dims(const int64_t *d, int n, char *buf, size_t len) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "[");
  for (int i = 0; i < n && o < len; i++)
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%lld", i ? ", " : "", (long long)d[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
}

/* Turns the unpickled root (a dict name -> tensor) into a state dict, reading
 * each float tensor's storage through `locate`. */
static int build_state_dict(const sw_src *src, const pobj *root, locate_fn locate, void *ctx, sw_state_dict *out,
                            char *err, size_t errlen) {
  const char *what = src->what;
  char nb[160], sb[160], tb[160];
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  unsigned char *cache = NULL;
  const char *cache_key = NULL;
  named_pobj *list = NULL;
  if (root->t != P_DICT) {
    sw_werr(err, errlen, what, "the pickle does not hold a state dict (got %s)", ptype_name(root->t));
    goto fail;
  }
  int n = root->n / 2;
  list = malloc(sizeof *list * (size_t)(n + 1));
  if (!list) {
    sw_werr(err, errlen, what, "out of memory");
    goto fail;
  }
  for (int i = 0; i < n; i++) {
    const pobj *k = root->items[2 * i], *v = root->items[2 * i + 1];
    if (k->t != P_STR || strlen(k->s) != k->slen) {
      sw_werr(err, errlen, what, "state dict key %d is not a string", i);
      goto fail;
    }
    if (v->t != P_TENSOR) {
      sw_werr(err, errlen, what, "state dict entry %s is not a tensor (got %s)", sw_printable(k->s, k->slen, nb, sizeof nb),
              ptype_name(v->t));
      goto fail;
    }
    list[i] = (named_pobj){k->s, v};
  }
  qsort(list, (size_t)n, sizeof *list, named_cmp);
  for (int i = 1; i < n; i++) {
    if (strcmp(list[i - 1].name, list[i].name) == 0) {
      sw_werr(err, errlen, what, "state dict key %s appears twice", sw_printable(list[i].name, strlen(list[i].name), nb, sizeof nb));
      goto fail;
    }
  }
  /* Output budget: storages may be shared by several tensors (views, tied
   * weights), but a small file must not expand into gigabytes through many
   * views of one storage or overlapping zip entries. */
  uint64_t budget = src->size * 4 + ((uint64_t)64 << 20), used = 0;
  /* Tensors in state-dict order. */
  for (int i = 0; i < n; i++) {
    const char *name = root->items[2 * i]->s;
    const pobj *t = root->items[2 * i + 1], *st = t->storage;
    const char *pname = sw_printable(name, strlen(name), nb, sizeof nb);
    int64_t size[PK_MAX_DIMS], stride[PK_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
      size[d] = t->sizes->items[d]->i;
      stride[d] = t->strides->items[d]->i;
    }
    int es = storage_types[st->g].size;
    dkind kind = storage_types[st->g].kind;
    if (kind == D_INT) continue; /* integer buffers such as num_batches_tracked */
    int64_t numel = 1;
    bool overflow = false;
    for (int d = 0; d < t->ndim; d++)
      if (__builtin_mul_overflow(numel, size[d], &numel)) overflow = true;
    shape_dims(size, t->ndim, sb, sizeof sb);
    if (overflow || numel > INT64_MAX / 8) {
      sw_werr(err, errlen, what, "tensor %s: size %s is too large", pname, sb);
      goto fail;
    }
    if (t->ndim > SW_MAX_DIMS) {
      sw_werr(err, errlen, what, "tensor %s: size %s has more than %d dimensions", pname, sb, SW_MAX_DIMS);
      goto fail;
    }
    if (numel > 0) {
      int64_t expect = 1;
      for (int d = t->ndim - 1; d >= 0; d--) {
        if (size[d] != 1 && stride[d] != expect) {
          shape_dims(stride, t->ndim, tb, sizeof tb);
          sw_werr(err, errlen, what, "tensor %s is not contiguous (size %s, stride %s); save it with .contiguous()",
                  pname, sb, tb);
          goto fail;
        }
        expect *= size[d];
      }
      if (t->offset > st->numel || numel > st->numel - t->offset) {
        sw_werr(err, errlen, what, "tensor %s: offset %lld + %lld elements exceed its storage of %lld elements", pname,
                (long long)t->offset, (long long)numel, (long long)st->numel);
        goto fail;
      }
    }
    used += (uint64_t)numel * 4;
    if (used > budget) {
      sw_werr(err, errlen, what,
              "tensor %s: the tensors would need more than %llu bytes, over 4 times the file size "
              "(storages reused too often)",
              pname, (unsigned long long)budget);
      goto fail;
    }
    sloc loc;
    if (locate(ctx, st, &loc, err, errlen)) {
      char inner[512];
      snprintf(inner, sizeof inner, "%s", err);
      /* Prefix the tensor name, keeping the locator's "file: reason". */
      const char *reason = strncmp(inner, what, strlen(what)) == 0 ? inner + strlen(what) + 2 : inner;
      sw_werr(err, errlen, what, "tensor %s: %s", pname, reason);
      goto fail;
    }
    if (loc.size != (uint64_t)st->numel * (uint64_t)es) {
      sw_werr(err, errlen, what, "tensor %s: %s has %llu bytes, expected %lld %s elements (%llu bytes)", pname, loc.label,
              (unsigned long long)loc.size, (long long)st->numel, storage_types[st->g].name,
              (unsigned long long)st->numel * (uint64_t)es);
      goto fail;
    }
    float *dst = malloc(numel ? (size_t)numel * sizeof(float) : 1);
    if (!dst) {
      sw_werr(err, errlen, what, "tensor %s: out of memory", pname);
      goto fail;
    }
    if (numel > 0) {
      if (kind == D_F32 && t->offset == 0 && numel == st->numel) {
        /* The common case: read straight into the tensor. */
        if (sw_src_read(src, loc.off, dst, (size_t)numel * 4, err, errlen)) {
          free(dst);
          goto fail;
        }
        if (loc.check_crc && crc32_update(0, (const unsigned char *)dst, (size_t)numel * 4) != loc.crc) {
          free(dst);
          sw_werr(err, errlen, what, "%s: CRC mismatch (corrupt file)", loc.label);
          goto fail;
        }
      } else {
        if (!cache_key || strcmp(cache_key, st->s) != 0) {
          free(cache);
          cache_key = NULL;
          cache = malloc(loc.size ? (size_t)loc.size : 1);
          if (!cache) {
            free(dst);
            sw_werr(err, errlen, what, "out of memory (%llu bytes)", (unsigned long long)loc.size);
            goto fail;
          }
          if (sw_src_read(src, loc.off, cache, (size_t)loc.size, err, errlen)) {
            free(dst);
            goto fail;
          }
          if (loc.check_crc && crc32_update(0, cache, (size_t)loc.size) != loc.crc) {
            free(dst);
            sw_werr(err, errlen, what, "%s: CRC mismatch (corrupt file)", loc.label);
            goto fail;
          }
          cache_key = st->s;
        }
        const unsigned char *s = cache + (size_t)t->offset * (size_t)es;
        for (int64_t k = 0; k < numel; k++) {
          switch (kind) {
            case D_F32: memcpy(&dst[k], s + 4 * k, 4); break;
            case D_F64: {
              double x;
              memcpy(&x, s + 8 * k, 8);
              dst[k] = (float)x;
              break;
            }
            case D_F16:
            case D_BF16: {
              uint16_t h;
              memcpy(&h, s + 2 * k, 2);
              dst[k] = kind == D_F16 ? sw_half_to_float(h) : sw_bf16_to_float(h);
              break;
            }
            case D_INT: break;
          }
        }
      }
    }
    sw_shape shape = {0};
    shape.ndim = t->ndim;
    for (int d = 0; d < t->ndim; d++) shape.dims[d] = size[d];
    if (sw_state_dict_push_owned(&sd, name, shape, dst)) {
      sw_werr(err, errlen, what, "tensor %s: out of memory", pname);
      goto fail;
    }
  }
  free(cache);
  free(list);
  *out = sd;
  return 0;
fail:
  free(cache);
  free(list);
  sw_state_dict_free(&sd);
  return -1;
}

/* --- zip format --- */

typedef struct {
  const zipfile *z;
  char *entry; /* "<prefix>/" buffer with room for "data/<key>" */
  size_t plen;
} zip_ctx;

static int zip_locate_storage(void *vctx, const pobj *st, sloc *out, char *err, size_t errlen) {
  zip_ctx *c = vctx;
  char tb[160];
  snprintf(c->entry + c->plen, 96, "/data/%s", st->s);
  const zentry *de = zip_find(c->z, c->entry);
  if (!de)
    return sw_werr(err, errlen, c->z->src->what, "storage entry %s is missing",
                   sw_printable(c->entry, strlen(c->entry), tb, sizeof tb));
  if (zip_locate(c->z, de, &out->off, err, errlen)) return -1;
  out->size = de->usize;
  out->crc = de->crc;
  out->check_crc = true;
  snprintf(out->label, sizeof out->label, "storage entry %s", sw_printable(c->entry, strlen(c->entry), tb, sizeof tb));
  return 0;
}

static int pth_read_zip(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  zipfile z;
  pvm m = {0};
  unsigned char *pkl = NULL;
  size_t pkl_len = 0;
  char *entry = NULL;
  char nb[160];
  int rc = -1;

  if (zip_open(&z, src, err, errlen)) return -1;
  /* The archive prefix: the single "<prefix>/data.pkl". */
  const zentry *pe = NULL;
  for (int i = 0; i < z.n; i++) {
    const char *nm = z.e[i].name, *sl = strchr(nm, '/');
    if (sl && sl != nm && strcmp(sl, "/data.pkl") == 0) {
      if (pe) {
        sw_werr(err, errlen, what, "zip holds more than one <prefix>/data.pkl");
        goto done;
      }
      pe = &z.e[i];
    }
  }
  if (!pe) {
    sw_werr(err, errlen, what, "no <prefix>/data.pkl entry: not a PyTorch zip checkpoint");
    goto done;
  }
  size_t plen = (size_t)(strchr(pe->name, '/') - pe->name);
  entry = malloc(plen + 96);
  if (!entry) {
    sw_werr(err, errlen, what, "out of memory");
    goto done;
  }
  memcpy(entry, pe->name, plen);
  /* version: required, small positive integer. */
  {
    snprintf(entry + plen, 96, "/version");
    const zentry *ve = zip_find(&z, entry);
    unsigned char *vb;
    size_t vl;
    if (!ve) {
      sw_werr(err, errlen, what, "no %s entry: not a PyTorch zip checkpoint", sw_printable(entry, strlen(entry), nb, sizeof nb));
      goto done;
    }
    if (zip_read(&z, ve, 64, &vb, &vl, err, errlen)) goto done;
    long v = 0;
    size_t k = 0;
    while (k < vl && vb[k] >= '0' && vb[k] <= '9' && v < 1000) v = v * 10 + (vb[k++] - '0');
    while (k < vl && (vb[k] == '\n' || vb[k] == '\r' || vb[k] == ' ')) k++;
    free(vb);
    if (k != vl || v < 1 || v > 20) {
      sw_werr(err, errlen, what, "unsupported or corrupt checkpoint version");
      goto done;
    }
  }
  /* byteorder: optional; must be little. */
  {
    snprintf(entry + plen, 96, "/byteorder");
    const zentry *be = zip_find(&z, entry);
    if (be) {
      unsigned char *bb;
      size_t bl;
      if (zip_read(&z, be, 64, &bb, &bl, err, errlen)) goto done;
      int little = bl >= 6 && memcmp(bb, "little", 6) == 0 && (bl == 6 || (bl == 7 && bb[6] == '\n'));
      free(bb);
      if (!little) {
        sw_werr(err, errlen, what, "byteorder is not \"little\": big-endian checkpoints are not supported");
        goto done;
      }
    }
  }
  if (zip_read(&z, pe, PK_MAX_BYTES, &pkl, &pkl_len, err, errlen)) goto done;
  m.p = pkl;
  m.len = pkl_len;
  m.what = what;
  m.part = "data.pkl";
  m.err = err;
  m.errlen = errlen;
  pobj *root = pvm_run(&m);
  if (!root) goto done;
  zip_ctx ctx = {&z, entry, plen};
  rc = build_state_dict(src, root, zip_locate_storage, &ctx, out, err, errlen);
done:
  free(entry);
  free(pkl);
  pvm_free(&m);
  zip_free(&z);
  return rc;
}

/* --- legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False) ---
 * Five pickles in a row: the magic number, the protocol version (1001), a
 * sys_info dict, the object, and the sorted list of storage keys; then, for
 * each key in that order, an int64 element count and the raw storage bytes. */

static const unsigned char legacy_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

typedef struct {
  const char *what;
  const pobj **st; /* one storage object per key, sorted by key */
  int n;
  uint64_t *off, *size;
} legacy_ctx;

static int storage_ptr_cmp(const void *a, const void *b) {
  return strcmp((*(const pobj *const *)a)->s, (*(const pobj *const *)b)->s);
}

static int legacy_find(const legacy_ctx *c, const char *key) {
  int lo = 0, hi = c->n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int r = strcmp(key, c->st[mid]->s);
    if (r == 0) return mid;
    if (r < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

static int legacy_locate_storage(void *vctx, const pobj *st, sloc *out, char *err, size_t errlen) {
  legacy_ctx *c = vctx;
  int i = legacy_find(c, st->s);
  /* Every storage object was registered and given a location before this. */
  if (i < 0 || c->off[i] == UINT64_MAX) return sw_werr(err, errlen, c->what, "storage %s has no data", st->s);
  out->off = c->off[i];
  out->size = c->size[i];
  out->check_crc = false;
  snprintf(out->label, sizeof out->label, "storage %s", st->s);
  return 0;
}

/* The five pickles of a legacy file, from m->p. */
static int legacy_pickles(pvm *m, pobj **root, pobj **keys, char *err, size_t errlen) {
  const char *what = m->what;
  pobj *magic = pvm_run(m);
  if (!magic) return -1;
  if (magic->t != P_BIGINT || magic->slen != sizeof legacy_magic || memcmp(magic->s, legacy_magic, sizeof legacy_magic))
    return sw_werr(err, errlen, what, "not a PyTorch file (bad magic number)");
  pvm_next(m);
  pobj *ver = pvm_run(m);
  if (!ver) return -1;
  if (ver->t != P_INT || ver->i != 1001) return sw_werr(err, errlen, what, "unsupported legacy protocol version");
  pvm_next(m);
  pobj *info = pvm_run(m);
  if (!info) return -1;
  bool little = false;
  if (info->t == P_DICT)
    for (int i = 0; i + 1 < info->n; i += 2)
      if (info->items[i]->t == P_STR && strcmp(info->items[i]->s, "little_endian") == 0)
        little = info->items[i + 1]->t == P_BOOL && info->items[i + 1]->i;
  if (!little)
    return sw_werr(err, errlen, what, "sys_info does not say little_endian: big-endian checkpoints are not supported");
  pvm_next(m);
  if (!(*root = pvm_run(m))) return -1;
  pvm_next(m);
  if (!(*keys = pvm_run(m))) return -1;
  return 0;
}

static int pth_read_legacy(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  pvm m = {0};
  unsigned char *buf = NULL;
  legacy_ctx c = {.what = what};
  char nb[160];
  int rc = -1;
  pobj *root = NULL, *keys = NULL;
  /* The pickles come first, followed by the storages: read the start of the
   * file (1 MB, more while the pickles run past it, at most PK_MAX_BYTES). */
  size_t cap = src->size < PK_MAX_BYTES ? (size_t)src->size : (size_t)PK_MAX_BYTES;
  size_t len = cap < ((size_t)1 << 20) ? cap : ((size_t)1 << 20);
  for (;;) {
    if (src->fd >= 0) {
      free(buf);
      buf = malloc(len ? len : 1);
      if (!buf) return sw_werr(err, errlen, what, "out of memory");
      if (sw_src_read(src, 0, buf, len, err, errlen)) goto done;
      m.p = buf;
    } else {
      m.p = src->mem;
    }
    m.len = len;
    m.what = what;
    m.part = "pickle";
    m.err = err;
    m.errlen = errlen;
    if (legacy_pickles(&m, &root, &keys, err, errlen) == 0) break;
    if (!m.truncated || len == cap) goto done;
    pvm_free(&m);
    memset(&m, 0, sizeof m);
    len = cap / 8 < len ? cap : len * 8;
  }
  if (keys->t != P_LIST) {
    sw_werr(err, errlen, what, "storage key list is a %s", ptype_name(keys->t));
    goto done;
  }
  /* Every storage object, one per key. */
  int nst = 0;
  for (pobj *o = m.all; o; o = o->next)
    if (o->t == P_STORAGE) nst++;
  c.st = malloc(sizeof *c.st * (size_t)(nst + 1));
  c.off = malloc(sizeof *c.off * (size_t)(nst + 1));
  c.size = malloc(sizeof *c.size * (size_t)(nst + 1));
  if (!c.st || !c.off || !c.size) {
    sw_werr(err, errlen, what, "out of memory");
    goto done;
  }
  for (pobj *o = m.all; o; o = o->next)
    if (o->t == P_STORAGE) c.st[c.n++] = o;
  qsort(c.st, (size_t)c.n, sizeof *c.st, storage_ptr_cmp);
  int u = 0;
  for (int i = 0; i < c.n; i++) {
    if (u > 0 && strcmp(c.st[u - 1]->s, c.st[i]->s) == 0) {
      if (c.st[u - 1]->g != c.st[i]->g || c.st[u - 1]->numel != c.st[i]->numel) {
        sw_werr(err, errlen, what, "storage %s is described twice differently", sw_printable(c.st[i]->s, c.st[i]->slen, nb, sizeof nb));
        goto done;
      }
      continue;
    }
    c.st[u++] = c.st[i];
  }
  c.n = u;
  for (int i = 0; i < c.n; i++) c.off[i] = UINT64_MAX;
  /* The data: for each listed key, int64 count then the bytes. */
  uint64_t pos = m.pos;
  for (int i = 0; i < keys->n; i++) {
    const pobj *k = keys->items[i];
    if (k->t != P_STR) {
      sw_werr(err, errlen, what, "storage key list holds a %s", ptype_name(k->t));
      goto done;
    }
    int j = legacy_find(&c, k->s);
    if (j < 0) {
      sw_werr(err, errlen, what, "storage %s is listed but used by no tensor", sw_printable(k->s, k->slen, nb, sizeof nb));
      goto done;
    }
    if (c.off[j] != UINT64_MAX) {
      sw_werr(err, errlen, what, "storage %s is listed twice", sw_printable(k->s, k->slen, nb, sizeof nb));
      goto done;
    }
    unsigned char cnt[8];
    if (sw_src_read(src, pos, cnt, 8, err, errlen)) goto done;
    uint64_t numel = rd64(cnt);
    uint64_t es = (uint64_t)storage_types[c.st[j]->g].size;
    if (numel != (uint64_t)c.st[j]->numel) {
      sw_werr(err, errlen, what, "storage %s holds %llu elements, the pickle says %lld", sw_printable(k->s, k->slen, nb, sizeof nb),
              (unsigned long long)numel, (long long)c.st[j]->numel);
      goto done;
    }
    uint64_t bytes = numel * es; /* numel fits int64 and es <= 8: checked below */
    if (numel > src->size || bytes > src->size - pos - 8 || pos + 8 > src->size) {
      sw_werr(err, errlen, what, "storage %s runs past the end of the file: truncated", sw_printable(k->s, k->slen, nb, sizeof nb));
      goto done;
    }
    c.off[j] = pos + 8;
    c.size[j] = bytes;
    pos += 8 + bytes;
  }
  for (int i = 0; i < c.n; i++) {
    if (c.off[i] == UINT64_MAX) {
      sw_werr(err, errlen, what, "storage %s is used but not in the file", sw_printable(c.st[i]->s, c.st[i]->slen, nb, sizeof nb));
      goto done;
    }
  }
  if (pos != src->size) {
    sw_werr(err, errlen, what, "%llu unexpected bytes after the last storage", (unsigned long long)(src->size - pos));
    goto done;
  }
  rc = build_state_dict(src, root, legacy_locate_storage, &c, out, err, errlen);
done:
  free(c.st);
  free(c.off);
  free(c.size);
  free(buf);
  pvm_free(&m);
  return rc;
}

bool sw_pth_is_legacy_header(const void *buf, size_t len) {
  const unsigned char *h = buf;
  return len >= 14 && h[0] == 0x80 && h[1] == 2 && h[2] == 0x8a && h[3] == 10 && memcmp(h + 4, legacy_magic, 10) == 0;
}

static int pth_read_src(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  crc_init();
  unsigned char head[14] = {0};
  if (src->size >= 14 && sw_src_read(src, 0, head, 14, err, errlen)) return -1;
  if (sw_pth_is_legacy_header(head, src->size >= 14 ? 14 : 0)) return pth_read_legacy(src, out, err, errlen);
  return pth_read_zip(src, out, err, errlen);
}

int sw_pth_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  sw_state_dict_init(out);
  sw_src src;
  if (sw_src_open(&src, path, err, errlen)) return -1;
  int r = pth_read_src(&src, out, err, errlen);
  sw_src_close(&src);
  return r;
}

int sw_pth_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out, char *err,
                    size_t errlen) {
  sw_state_dict_init(out);
  sw_src src = {.fd = -1, .mem = buf, .size = len, .what = what ? what : "(memory)"};
  if (!buf && len) return sw_werr(err, errlen, src.what, "no buffer");
  return pth_read_src(&src, out, err, errlen);
}
