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
 * The older legacy format is read too (see pth_read_legacy). The zip reader
 * is zip.c, the pickle machine pickle.c; this file turns what they give into
 * a state dict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle.h"
#include "zip.h"

/* ---------------------------------------------------------------------------
 * Putting it together */

/* Where a storage's raw bytes are. */
typedef struct {
  uint64_t off, size;
  uint32_t crc;
  bool check_crc;
  char label[160]; /* for messages: "zip entry arch/data/3", "storage 9408" */
} sloc;

typedef int (*locate_fn)(void *ctx, const sw_pobj *storage, sloc *out, char *err, size_t errlen);

typedef struct {
  const char *name;
  const sw_pobj *t;
} named_pobj;

static int named_cmp(const void *a, const void *b) {
  return strcmp(((const named_pobj *)a)->name, ((const named_pobj *)b)->name);
}

/* The root's entries, checked (string keys, tensor values, no key twice),
 * into a malloc'd list; *n gets their count. */
static named_pobj *state_dict_entries(const sw_pobj *root, int *n_out, const char *what, char *err,
                                      size_t errlen) {
  char nb[160];
  if (root->t != P_DICT) {
    sw_werr(err, errlen, what, "the pickle does not hold a state dict (got %s)", sw_ptype_name(root->t));
    return NULL;
  }
  int n = root->n / 2;
  named_pobj *list = malloc(sizeof *list * (size_t)(n + 1));
  if (!list) {
    sw_werr(err, errlen, what, "out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    const sw_pobj *k = root->items[2 * i], *v = root->items[2 * i + 1];
    if (k->t != P_STR || strlen(k->s) != k->slen) {
      sw_werr(err, errlen, what, "state dict key %d is not a string", i);
      goto fail;
    }
    if (v->t != P_TENSOR) {
      sw_werr(err, errlen, what, "state dict entry %s is not a tensor (got %s)", sw_printable(k->s, k->slen, nb, sizeof nb),
              sw_ptype_name(v->t));
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
  *n_out = n;
  return list;
fail:
  free(list);
  return NULL;
}

/* Checks tensor t's size, strides and place in its storage (pname: its name
 * for messages); size and *numel get its size and element count. */
static int tensor_geometry(const sw_pobj *t, const char *pname, int64_t *size, int64_t *numel_out,
                           const char *what, char *err, size_t errlen) {
  char sb[160], tb[160];
  const sw_pobj *st = t->storage;
  int64_t stride[PK_MAX_DIMS];
  for (int d = 0; d < t->ndim; d++) {
    size[d] = t->sizes->items[d]->i;
    stride[d] = t->strides->items[d]->i;
  }
  int64_t numel = 1;
  bool overflow = false;
  for (int d = 0; d < t->ndim; d++)
    if (__builtin_mul_overflow(numel, size[d], &numel)) overflow = true;
  sw_dims_str(size, t->ndim, sb, sizeof sb);
  if (overflow || numel > INT64_MAX / 8)
    return sw_werr(err, errlen, what, "tensor %s: size %s is too large", pname, sb);
  if (t->ndim > SW_MAX_DIMS)
    return sw_werr(err, errlen, what, "tensor %s: size %s has more than %d dimensions", pname, sb, SW_MAX_DIMS);
  if (numel > 0) {
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
      if (size[d] != 1 && stride[d] != expect) {
        sw_dims_str(stride, t->ndim, tb, sizeof tb);
        return sw_werr(err, errlen, what,
                       "tensor %s is not contiguous (size %s, stride %s); save it with .contiguous()", pname, sb, tb);
      }
      expect *= size[d];
    }
    if (t->offset > st->numel || numel > st->numel - t->offset)
      return sw_werr(err, errlen, what, "tensor %s: offset %lld + %lld elements exceed its storage of %lld elements",
                     pname, (long long)t->offset, (long long)numel, (long long)st->numel);
  }
  *numel_out = numel;
  return 0;
}

/* Finds storage st through locate and checks its byte count. */
static int locate_tensor_storage(locate_fn locate, void *ctx, const sw_pobj *st, const char *pname, sloc *loc,
                                 const char *what, char *err, size_t errlen) {
  uint64_t es = (uint64_t)sw_storage_types[st->g].size;
  if (locate(ctx, st, loc, err, errlen)) {
    char inner[512];
    snprintf(inner, sizeof inner, "%s", err);
    /* Prefix the tensor name, keeping the locator's "file: reason". */
    const char *reason = strncmp(inner, what, strlen(what)) == 0 ? inner + strlen(what) + 2 : inner;
    return sw_werr(err, errlen, what, "tensor %s: %s", pname, reason);
  }
  if (loc->size != (uint64_t)st->numel * es)
    return sw_werr(err, errlen, what, "tensor %s: %s has %llu bytes, expected %lld %s elements (%llu bytes)", pname,
                   loc->label, (unsigned long long)loc->size, (long long)st->numel, sw_storage_types[st->g].name,
                   (unsigned long long)st->numel * es);
  return 0;
}

/* The last whole storage read, for tensors that are views or need converting. */
typedef struct {
  unsigned char *bytes;
  const char *key; /* NULL: empty */
} storage_cache;

/* Reads n bytes at loc into dst, checking the CRC when loc has one. */
static int read_checked(const sw_src *src, const sloc *loc, void *dst, size_t n, char *err, size_t errlen) {
  if (sw_src_read(src, loc->off, dst, n, err, errlen)) return -1;
  if (loc->check_crc && sw_crc32(0, dst, n) != loc->crc)
    return sw_werr(err, errlen, src->what, "%s: CRC mismatch (corrupt file)", loc->label);
  return 0;
}

/* Fills dst with the numel (> 0) float32 values of tensor t, whose storage is at loc. */
static int read_tensor_data(const sw_src *src, const sw_pobj *t, const sloc *loc, int64_t numel,
                            storage_cache *cache, float *dst, char *err, size_t errlen) {
  const sw_pobj *st = t->storage;
  sw_elem kind = sw_storage_types[st->g].kind;
  int es = sw_storage_types[st->g].size;
  /* The common case: read straight into the tensor. */
  if (kind == SW_EL_F32 && t->offset == 0 && numel == st->numel)
    return read_checked(src, loc, dst, (size_t)numel * 4, err, errlen);
  if (!cache->key || strcmp(cache->key, st->s) != 0) {
    free(cache->bytes);
    cache->key = NULL;
    cache->bytes = malloc(loc->size ? (size_t)loc->size : 1);
    if (!cache->bytes)
      return sw_werr(err, errlen, src->what, "out of memory (%llu bytes)", (unsigned long long)loc->size);
    if (read_checked(src, loc, cache->bytes, (size_t)loc->size, err, errlen)) return -1;
    cache->key = st->s;
  }
  sw_elems_to_float(kind, cache->bytes + (size_t)t->offset * (size_t)es, (size_t)numel, dst);
  return 0;
}

/* Turns the unpickled root (a dict name -> tensor) into a state dict, reading
 * each float tensor's storage through `locate`. */
static int build_state_dict(const sw_src *src, const sw_pobj *root, locate_fn locate, void *ctx, sw_state_dict *out,
                            char *err, size_t errlen) {
  const char *what = src->what;
  char nb[160];
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  storage_cache cache = {0};
  int n = 0;
  named_pobj *list = state_dict_entries(root, &n, what, err, errlen);
  if (!list) return -1;
  /* Output budget: storages may be shared by several tensors (views, tied
   * weights), but a small file must not expand into gigabytes through many
   * views of one storage or overlapping zip entries. */
  uint64_t budget = src->size * 4 + ((uint64_t)64 << 20), used = 0;
  /* Tensors in state-dict order. */
  for (int i = 0; i < n; i++) {
    const char *name = root->items[2 * i]->s;
    const sw_pobj *t = root->items[2 * i + 1], *st = t->storage;
    const char *pname = sw_printable(name, strlen(name), nb, sizeof nb);
    if (sw_storage_types[st->g].kind == SW_EL_INT) continue; /* integer buffers such as num_batches_tracked */
    int64_t size[PK_MAX_DIMS], numel = 0;
    if (tensor_geometry(t, pname, size, &numel, what, err, errlen)) goto fail;
    used += (uint64_t)numel * 4;
    if (used > budget) {
      sw_werr(err, errlen, what,
              "tensor %s: the tensors would need more than %llu bytes, over 4 times the file size "
              "(storages reused too often)",
              pname, (unsigned long long)budget);
      goto fail;
    }
    sloc loc;
    if (locate_tensor_storage(locate, ctx, st, pname, &loc, what, err, errlen)) goto fail;
    float *dst = malloc(numel ? (size_t)numel * sizeof(float) : 1);
    if (!dst) {
      sw_werr(err, errlen, what, "tensor %s: out of memory", pname);
      goto fail;
    }
    if (numel > 0 && read_tensor_data(src, t, &loc, numel, &cache, dst, err, errlen)) {
      free(dst);
      goto fail;
    }
    sw_shape shape = {0};
    shape.ndim = t->ndim;
    for (int d = 0; d < t->ndim; d++) shape.dims[d] = size[d];
    if (sw_state_dict_push_owned(&sd, name, shape, dst)) {
      sw_werr(err, errlen, what, "tensor %s: out of memory", pname);
      goto fail;
    }
  }
  free(cache.bytes);
  free(list);
  *out = sd;
  return 0;
fail:
  free(cache.bytes);
  free(list);
  sw_state_dict_free(&sd);
  return -1;
}

/* --- zip format --- */

typedef struct {
  const sw_zip *z;
  char *entry; /* "<prefix>/" buffer with room for "data/<key>" */
  size_t plen;
} zip_ctx;

static int zip_locate_storage(void *vctx, const sw_pobj *st, sloc *out, char *err, size_t errlen) {
  zip_ctx *c = vctx;
  char tb[160];
  snprintf(c->entry + c->plen, 96, "/data/%s", st->s);
  const sw_zip_entry *de = sw_zip_find(c->z, c->entry);
  if (!de)
    return sw_werr(err, errlen, c->z->src->what, "storage entry %s is missing",
                   sw_printable(c->entry, strlen(c->entry), tb, sizeof tb));
  if (sw_zip_locate(c->z, de, &out->off, err, errlen)) return -1;
  out->size = de->usize;
  out->crc = de->crc;
  out->check_crc = true;
  snprintf(out->label, sizeof out->label, "storage entry %s", sw_printable(c->entry, strlen(c->entry), tb, sizeof tb));
  return 0;
}

static int pth_read_zip(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  sw_zip z;
  sw_pvm m = {0};
  unsigned char *pkl = NULL;
  size_t pkl_len = 0;
  char *entry = NULL;
  char nb[160];
  int rc = -1;

  if (sw_zip_open(&z, src, err, errlen)) return -1;
  /* The archive prefix: the single "<prefix>/data.pkl". */
  const sw_zip_entry *pe = NULL;
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
    const sw_zip_entry *ve = sw_zip_find(&z, entry);
    unsigned char *vb;
    size_t vl;
    if (!ve) {
      sw_werr(err, errlen, what, "no %s entry: not a PyTorch zip checkpoint", sw_printable(entry, strlen(entry), nb, sizeof nb));
      goto done;
    }
    if (sw_zip_read(&z, ve, 64, &vb, &vl, err, errlen)) goto done;
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
    const sw_zip_entry *be = sw_zip_find(&z, entry);
    if (be) {
      unsigned char *bb;
      size_t bl;
      if (sw_zip_read(&z, be, 64, &bb, &bl, err, errlen)) goto done;
      int little = bl >= 6 && memcmp(bb, "little", 6) == 0 && (bl == 6 || (bl == 7 && bb[6] == '\n'));
      free(bb);
      if (!little) {
        sw_werr(err, errlen, what, "byteorder is not \"little\": big-endian checkpoints are not supported");
        goto done;
      }
    }
  }
  if (sw_zip_read(&z, pe, PK_MAX_BYTES, &pkl, &pkl_len, err, errlen)) goto done;
  m.p = pkl;
  m.len = pkl_len;
  m.what = what;
  m.part = "data.pkl";
  m.err = err;
  m.errlen = errlen;
  sw_pobj *root = sw_pvm_run(&m);
  if (!root) goto done;
  zip_ctx ctx = {&z, entry, plen};
  rc = build_state_dict(src, root, zip_locate_storage, &ctx, out, err, errlen);
done:
  free(entry);
  free(pkl);
  sw_pvm_free(&m);
  sw_zip_free(&z);
  return rc;
}

/* --- legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False) ---
 * Five pickles in a row: the magic number, the protocol version (1001), a
 * sys_info dict, the object, and the sorted list of storage keys; then, for
 * each key in that order, an int64 element count and the raw storage bytes. */

static const unsigned char legacy_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

typedef struct {
  const char *what;
  const sw_pobj **st; /* one storage object per key, sorted by key */
  int n;
  uint64_t *off, *size;
} legacy_ctx;

static int storage_ptr_cmp(const void *a, const void *b) {
  return strcmp((*(const sw_pobj *const *)a)->s, (*(const sw_pobj *const *)b)->s);
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

static int legacy_locate_storage(void *vctx, const sw_pobj *st, sloc *out, char *err, size_t errlen) {
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
static int legacy_pickles(sw_pvm *m, sw_pobj **root, sw_pobj **keys, char *err, size_t errlen) {
  const char *what = m->what;
  sw_pobj *magic = sw_pvm_run(m);
  if (!magic) return -1;
  if (magic->t != P_BIGINT || magic->slen != sizeof legacy_magic || memcmp(magic->s, legacy_magic, sizeof legacy_magic))
    return sw_werr(err, errlen, what, "not a PyTorch file (bad magic number)");
  sw_pvm_next(m);
  sw_pobj *ver = sw_pvm_run(m);
  if (!ver) return -1;
  if (ver->t != P_INT || ver->i != 1001) return sw_werr(err, errlen, what, "unsupported legacy protocol version");
  sw_pvm_next(m);
  sw_pobj *info = sw_pvm_run(m);
  if (!info) return -1;
  bool little = false;
  if (info->t == P_DICT)
    for (int i = 0; i + 1 < info->n; i += 2)
      if (info->items[i]->t == P_STR && strcmp(info->items[i]->s, "little_endian") == 0)
        little = info->items[i + 1]->t == P_BOOL && info->items[i + 1]->i;
  if (!little)
    return sw_werr(err, errlen, what, "sys_info does not say little_endian: big-endian checkpoints are not supported");
  sw_pvm_next(m);
  if (!(*root = sw_pvm_run(m))) return -1;
  sw_pvm_next(m);
  if (!(*keys = sw_pvm_run(m))) return -1;
  return 0;
}

/* Runs the pickles at the start of the file: from memory directly, from a
 * file through *buf, reading 1 MB first and more while the pickles run past
 * it (at most PK_MAX_BYTES). */
static int legacy_run_pickles(const sw_src *src, sw_pvm *m, unsigned char **buf, sw_pobj **root, sw_pobj **keys,
                              char *err, size_t errlen) {
  const char *what = src->what;
  size_t cap = src->size < PK_MAX_BYTES ? (size_t)src->size : (size_t)PK_MAX_BYTES;
  size_t len = cap < ((size_t)1 << 20) ? cap : ((size_t)1 << 20);
  for (;;) {
    if (src->fd >= 0) {
      free(*buf);
      *buf = malloc(len ? len : 1);
      if (!*buf) return sw_werr(err, errlen, what, "out of memory");
      if (sw_src_read(src, 0, *buf, len, err, errlen)) return -1;
      m->p = *buf;
    } else {
      m->p = src->mem;
    }
    m->len = len;
    m->what = what;
    m->part = "pickle";
    m->err = err;
    m->errlen = errlen;
    if (legacy_pickles(m, root, keys, err, errlen) == 0) return 0;
    if (!m->truncated || len == cap) return -1;
    sw_pvm_free(m);
    memset(m, 0, sizeof *m);
    len = cap / 8 < len ? cap : len * 8;
  }
}

/* Every storage object the pickles made, one per key, sorted, into c. */
static int legacy_collect_storages(const sw_pvm *m, legacy_ctx *c, char *err, size_t errlen) {
  char nb[160];
  int nst = 0;
  for (sw_pobj *o = m->all; o; o = o->next)
    if (o->t == P_STORAGE) nst++;
  c->st = malloc(sizeof *c->st * (size_t)(nst + 1));
  c->off = malloc(sizeof *c->off * (size_t)(nst + 1));
  c->size = malloc(sizeof *c->size * (size_t)(nst + 1));
  if (!c->st || !c->off || !c->size) return sw_werr(err, errlen, c->what, "out of memory");
  for (sw_pobj *o = m->all; o; o = o->next)
    if (o->t == P_STORAGE) c->st[c->n++] = o;
  qsort(c->st, (size_t)c->n, sizeof *c->st, storage_ptr_cmp);
  int u = 0;
  for (int i = 0; i < c->n; i++) {
    if (u > 0 && strcmp(c->st[u - 1]->s, c->st[i]->s) == 0) {
      if (c->st[u - 1]->g != c->st[i]->g || c->st[u - 1]->numel != c->st[i]->numel)
        return sw_werr(err, errlen, c->what, "storage %s is described twice differently",
                       sw_printable(c->st[i]->s, c->st[i]->slen, nb, sizeof nb));
      continue;
    }
    c->st[u++] = c->st[i];
  }
  c->n = u;
  for (int i = 0; i < c->n; i++) c->off[i] = UINT64_MAX;
  return 0;
}

/* The data after the pickles (from pos): for each key of the list, an int64
 * element count then the bytes. Fills c->off and c->size; every storage must
 * be there and nothing after the last. */
static int legacy_place_storages(const sw_src *src, const sw_pobj *keys, uint64_t pos, legacy_ctx *c, char *err,
                                 size_t errlen) {
  const char *what = src->what;
  char nb[160];
  for (int i = 0; i < keys->n; i++) {
    const sw_pobj *k = keys->items[i];
    if (k->t != P_STR) return sw_werr(err, errlen, what, "storage key list holds a %s", sw_ptype_name(k->t));
    const char *pk = sw_printable(k->s, k->slen, nb, sizeof nb);
    int j = legacy_find(c, k->s);
    if (j < 0) return sw_werr(err, errlen, what, "storage %s is listed but used by no tensor", pk);
    if (c->off[j] != UINT64_MAX) return sw_werr(err, errlen, what, "storage %s is listed twice", pk);
    unsigned char cnt[8];
    if (sw_src_read(src, pos, cnt, 8, err, errlen)) return -1;
    uint64_t numel = rd64(cnt);
    uint64_t es = (uint64_t)sw_storage_types[c->st[j]->g].size;
    if (numel != (uint64_t)c->st[j]->numel)
      return sw_werr(err, errlen, what, "storage %s holds %llu elements, the pickle says %lld", pk,
                     (unsigned long long)numel, (long long)c->st[j]->numel);
    uint64_t bytes = numel * es; /* numel fits int64 and es <= 8: checked below */
    if (numel > src->size || bytes > src->size - pos - 8 || pos + 8 > src->size)
      return sw_werr(err, errlen, what, "storage %s runs past the end of the file: truncated", pk);
    c->off[j] = pos + 8;
    c->size[j] = bytes;
    pos += 8 + bytes;
  }
  for (int i = 0; i < c->n; i++)
    if (c->off[i] == UINT64_MAX)
      return sw_werr(err, errlen, what, "storage %s is used but not in the file",
                     sw_printable(c->st[i]->s, c->st[i]->slen, nb, sizeof nb));
  if (pos != src->size)
    return sw_werr(err, errlen, what, "%llu unexpected bytes after the last storage", (unsigned long long)(src->size - pos));
  return 0;
}

static int pth_read_legacy(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  const char *what = src->what;
  sw_pvm m = {0};
  unsigned char *buf = NULL;
  legacy_ctx c = {.what = what};
  int rc = -1;
  sw_pobj *root = NULL, *keys = NULL;
  /* The pickles come first, followed by the storages. */
  if (legacy_run_pickles(src, &m, &buf, &root, &keys, err, errlen)) goto done;
  if (keys->t != P_LIST) {
    sw_werr(err, errlen, what, "storage key list is a %s", sw_ptype_name(keys->t));
    goto done;
  }
  if (legacy_collect_storages(&m, &c, err, errlen) || legacy_place_storages(src, keys, m.pos, &c, err, errlen))
    goto done;
  rc = build_state_dict(src, root, legacy_locate_storage, &c, out, err, errlen);
done:
  free(c.st);
  free(c.off);
  free(c.size);
  free(buf);
  sw_pvm_free(&m);
  return rc;
}

bool sw_pth_is_legacy_header(const void *buf, size_t len) {
  const unsigned char *h = buf;
  return len >= 14 && h[0] == 0x80 && h[1] == 2 && h[2] == 0x8a && h[3] == 10 && memcmp(h + 4, legacy_magic, 10) == 0;
}

static int pth_read_src(const sw_src *src, sw_state_dict *out, char *err, size_t errlen) {
  unsigned char head[14] = {0};
  if (src->size >= 14 && sw_src_read(src, 0, head, 14, err, errlen)) return -1;
  if (sw_pth_is_legacy_header(head, src->size >= 14 ? 14 : 0)) return pth_read_legacy(src, out, err, errlen);
  return pth_read_zip(src, out, err, errlen);
}

int sw_pth_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  return sw_read_path(path, pth_read_src, out, err, errlen);
}

int sw_pth_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out, char *err,
                    size_t errlen) {
  return sw_read_mem(buf, len, what, pth_read_src, out, err, errlen);
}
