/* pickle.c: the pickle machine of pickle.h. Opcodes are those of pickle
 * protocols 2 to 5 that torch.save emits; globals are a whitelist
 * (OrderedDict, torch's tensor rebuilders, storage types) and are never
 * called: REDUCE builds an inert record instead.
 */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef enum {
  G_ORDERED_DICT,
  G_REBUILD_TENSOR,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_PARAMETER,
  G_REBUILD_PARAMETER_WITH_STATE,
  G_STORAGE, /* torch.<X>Storage; dtype in st_dtype */
} gid;

const sw_storage_type sw_storage_types[10] = {
    {"FloatStorage", 4, SW_EL_F32}, {"HalfStorage", 2, SW_EL_F16},  {"BFloat16Storage", 2, SW_EL_BF16},
    {"DoubleStorage", 8, SW_EL_F64}, {"LongStorage", 8, SW_EL_INT}, {"IntStorage", 4, SW_EL_INT},
    {"ShortStorage", 2, SW_EL_INT}, {"CharStorage", 1, SW_EL_INT},  {"ByteStorage", 1, SW_EL_INT},
    {"BoolStorage", 1, SW_EL_INT},
};

const char *sw_ptype_name(sw_ptype t) {
  static const char *n[] = {"None", "bool", "int", "int", "float", "str", "bytes", "tuple", "list", "dict", "global", "storage", "tensor"};
  return n[t];
}

static int pfail(sw_pvm *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pfail(sw_pvm *m, const char *fmt, ...) {
  if (m->failed) return -1;
  m->failed = true;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sw_werr(m->err, m->errlen, m->what, "%s: %s", m->part, msg);
}

static sw_pobj *pnew(sw_pvm *m, sw_ptype t) {
  if (m->nobjects >= PK_MAX_OBJECTS) {
    pfail(m, "more than %d objects", PK_MAX_OBJECTS);
    return NULL;
  }
  sw_pobj *o = calloc(1, sizeof *o);
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

void sw_pvm_free(sw_pvm *m) {
  sw_pobj *o = m->all;
  while (o) {
    sw_pobj *n = o->next;
    free(o->s);
    free(o->items);
    free(o);
    o = n;
  }
  m->all = NULL;
  free(m->stack);
  free(m->memo);
}

static int push(sw_pvm *m, sw_pobj *o) {
  if (!o) return -1;
  if (m->sp == m->stack_cap) {
    if (m->stack_cap >= PK_MAX_STACK) return pfail(m, "stack deeper than %d", PK_MAX_STACK);
    int nc = m->stack_cap ? m->stack_cap * 2 : 64;
    sw_pobj **ns = realloc(m->stack, sizeof *ns * (size_t)nc);
    if (!ns) return pfail(m, "out of memory");
    m->stack = ns;
    m->stack_cap = nc;
  }
  m->stack[m->sp++] = o;
  return 0;
}

static int base_sp(const sw_pvm *m) { return m->nmarks ? m->marks[m->nmarks - 1] : 0; }

static sw_pobj *pop(sw_pvm *m) {
  if (m->sp <= base_sp(m)) {
    pfail(m, "stack underflow at byte %zu", m->pos);
    return NULL;
  }
  return m->stack[--m->sp];
}

static sw_pobj *top(sw_pvm *m) {
  if (m->sp <= base_sp(m)) {
    pfail(m, "stack underflow at byte %zu", m->pos);
    return NULL;
  }
  return m->stack[m->sp - 1];
}

/* Pops to the last mark; returns the index of the first item above it. */
static int pop_mark(sw_pvm *m) {
  if (m->nmarks == 0) {
    pfail(m, "no mark on the stack at byte %zu", m->pos);
    return -1;
  }
  return m->marks[--m->nmarks];
}

static int add_items(sw_pvm *m, sw_pobj *c, sw_pobj **src, int n) {
  if (n <= 0) return n < 0 ? -1 : 0;
  if (m->nitems + n > PK_MAX_ITEMS) return pfail(m, "more than %d container items", PK_MAX_ITEMS);
  if (c->n + n > c->cap) {
    int nc = c->cap ? c->cap : 4;
    while (nc < c->n + n) nc *= 2;
    sw_pobj **ni = realloc(c->items, sizeof *ni * (size_t)nc);
    if (!ni) return pfail(m, "out of memory");
    c->items = ni;
    c->cap = nc;
  }
  memcpy(c->items + c->n, src, sizeof *src * (size_t)n);
  c->n += n;
  m->nitems += n;
  return 0;
}

/* Adds the n stack items from index `from` on. Computes no pointer into the
 * stack when there is nothing to add: before the first push the stack is
 * NULL, and NULL + 0 is undefined (EMPTY_TUPLE as the first opcode). */
static int add_stack_items(sw_pvm *m, sw_pobj *c, int from, int n) {
  return add_items(m, c, n > 0 ? m->stack + from : NULL, n);
}

static int need(sw_pvm *m, size_t n) {
  if (m->len - m->pos < n) {
    m->truncated = true;
    return pfail(m, "truncated pickle (need %zu bytes at byte %zu)", n, m->pos);
  }
  return 0;
}

/* Reads a text line (GLOBAL, PUT, GET arguments) of at most max bytes. */
static int read_line(sw_pvm *m, const char **s, size_t *n, size_t max) {
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

static int make_global(sw_pvm *m, const char *mod, size_t ml, const char *name, size_t nl) {
  char a[128], b[128], pa[128], pb[128];
  if (ml >= sizeof a || nl >= sizeof b) return pfail(m, "global name too long");
  memcpy(a, mod, ml);
  a[ml] = 0;
  memcpy(b, name, nl);
  b[nl] = 0;
  sw_pobj *g = NULL;
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
      for (size_t k = 0; k < sizeof sw_storage_types / sizeof sw_storage_types[0]; k++)
        if (strcmp(b, sw_storage_types[k].name) == 0) id = G_STORAGE, st = (int)k;
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

static int memo_put(sw_pvm *m, uint64_t idx) {
  sw_pobj *o = top(m);
  if (!o) return -1;
  if (idx >= PK_MAX_MEMO) return pfail(m, "memo index %llu out of range", (unsigned long long)idx);
  if (idx >= m->memo_cap) {
    size_t nc = m->memo_cap ? m->memo_cap : 256;
    while (nc <= idx) nc *= 2;
    sw_pobj **nm = realloc(m->memo, sizeof *nm * nc);
    if (!nm) return pfail(m, "out of memory");
    memset(nm + m->memo_cap, 0, sizeof *nm * (nc - m->memo_cap));
    m->memo = nm;
    m->memo_cap = nc;
  }
  if (!m->memo[idx]) m->memo_count++;
  m->memo[idx] = o;
  return 0;
}

static int memo_get(sw_pvm *m, uint64_t idx) {
  if (idx >= m->memo_cap || !m->memo[idx])
    return pfail(m, "memo index %llu out of range (not stored) at byte %zu", (unsigned long long)idx, m->pos);
  return push(m, m->memo[idx]);
}

static int parse_decimal(sw_pvm *m, const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 18) return pfail(m, "bad decimal argument");
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return pfail(m, "bad decimal argument");
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

static int push_string(sw_pvm *m, sw_ptype t, uint64_t n) {
  if (need(m, n)) return -1;
  sw_pobj *o = pnew(m, t);
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

static int push_int(sw_pvm *m, int64_t v) {
  sw_pobj *o = pnew(m, P_INT);
  if (!o) return -1;
  o->i = v;
  return push(m, o);
}

static int make_tuple(sw_pvm *m, int n) {
  sw_pobj *t = pnew(m, P_TUPLE);
  if (!t) return -1;
  if (m->sp - base_sp(m) < n) return pfail(m, "stack underflow at byte %zu", m->pos);
  if (add_stack_items(m, t, m->sp - n, n)) return -1;
  m->sp -= n;
  return push(m, t);
}

static bool is_int(const sw_pobj *o) { return o->t == P_INT; }
static bool is_hooks(const sw_pobj *o) { return o->t == P_DICT || o->t == P_NONE; }

static int reduce(sw_pvm *m) {
  sw_pobj *args = pop(m), *f = pop(m);
  if (!args || !f) return -1;
  if (f->t != P_GLOBAL) return pfail(m, "REDUCE on a %s is not allowed", sw_ptype_name(f->t));
  if (args->t != P_TUPLE) return pfail(m, "REDUCE arguments are a %s, not a tuple", sw_ptype_name(args->t));
  switch ((gid)f->g) {
    case G_ORDERED_DICT: {
      if (args->n != 0) return pfail(m, "OrderedDict() with arguments is not supported");
      sw_pobj *d = pnew(m, P_DICT);
      if (!d) return -1;
      d->odict = true;
      return push(m, d);
    }
    case G_REBUILD_TENSOR:
    case G_REBUILD_TENSOR_V2: {
      /* v2: (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
       * v1 (torch 0.4 legacy files): (storage, storage_offset, size, stride) */
      sw_pobj **a = args->items;
      if (f->g == G_REBUILD_TENSOR) {
        if (args->n != 4) return pfail(m, "_rebuild_tensor takes 4 arguments, got %d", args->n);
      } else {
        if (args->n != 6 && args->n != 7)
          return pfail(m, "_rebuild_tensor_v2 takes 6 or 7 arguments, got %d", args->n);
        if (a[4]->t != P_BOOL) return pfail(m, "_rebuild_tensor_v2: requires_grad is a %s", sw_ptype_name(a[4]->t));
        if (!is_hooks(a[5])) return pfail(m, "_rebuild_tensor_v2: backward hooks are a %s", sw_ptype_name(a[5]->t));
      }
      if (a[0]->t != P_STORAGE) return pfail(m, "_rebuild_tensor_v2: argument 1 is a %s, not a storage", sw_ptype_name(a[0]->t));
      if (!is_int(a[1]) || a[1]->i < 0) return pfail(m, "_rebuild_tensor_v2: bad storage offset");
      if (a[2]->t != P_TUPLE || a[3]->t != P_TUPLE || a[2]->n != a[3]->n)
        return pfail(m, "_rebuild_tensor_v2: size and stride must be tuples of the same length");
      if (a[2]->n > PK_MAX_DIMS) return pfail(m, "_rebuild_tensor_v2: %d dimensions", a[2]->n);
      sw_pobj *t = pnew(m, P_TENSOR);
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
      return pfail(m, "calling torch.%s is not allowed", sw_storage_types[f->i].name);
  }
  return pfail(m, "REDUCE on this global is not allowed");
}

static int persistent_load(sw_pvm *m) {
  sw_pobj *pid = pop(m);
  if (!pid) return -1;
  /* zip: ('storage', torch.XStorage, key, location, numel)
   * legacy: the same plus view_metadata, which is None unless the storage is
   * a view (only files from torch < 0.4 have those). */
  if (pid->t != P_TUPLE || (pid->n != 5 && pid->n != 6)) return pfail(m, "persistent id is not a 5- or 6-tuple");
  sw_pobj **a = pid->items;
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
  sw_pobj *s = pnew(m, P_STORAGE);
  if (!s) return -1;
  s->s = strdup(k);
  if (!s->s) return pfail(m, "out of memory");
  s->slen = a[2]->slen;
  s->g = (int)a[1]->i;
  s->numel = a[4]->i;
  return push(m, s);
}

static int setitems(sw_pvm *m, int from) {
  if (from < 0) return -1;
  int n = m->sp - from;
  if (n % 2) return pfail(m, "SETITEMS with an odd number of items");
  if (from <= base_sp(m) || m->sp < from) return pfail(m, "SETITEMS without a dict");
  sw_pobj *d = m->stack[from - 1];
  if (d->t != P_DICT) return pfail(m, "SETITEM(S) on a %s", sw_ptype_name(d->t));
  if (add_stack_items(m, d, from, n)) return -1;
  m->sp = from;
  return 0;
}

static int appends(sw_pvm *m, int from) {
  if (from < 0) return -1;
  if (from <= base_sp(m) || m->sp < from) return pfail(m, "APPENDS without a list");
  sw_pobj *l = m->stack[from - 1];
  if (l->t != P_LIST) return pfail(m, "APPEND(S) on a %s", sw_ptype_name(l->t));
  if (add_stack_items(m, l, from, m->sp - from)) return -1;
  m->sp = from;
  return 0;
}

sw_pobj *sw_pvm_run(sw_pvm *m) {
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
        sw_pobj *name = pop(m), *mod = pop(m);
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
        sw_pobj *t = pnew(m, P_TUPLE);
        if (!t || add_stack_items(m, t, from, m->sp - from)) return NULL;
        m->sp = from;
        r = push(m, t);
        break;
      }
      case ']': r = push(m, pnew(m, P_LIST)); break;
      case 'l': { /* LIST */
        int from = pop_mark(m);
        if (from < 0) return NULL;
        sw_pobj *l = pnew(m, P_LIST);
        if (!l || add_stack_items(m, l, from, m->sp - from)) return NULL;
        m->sp = from;
        r = push(m, l);
        break;
      }
      case 'a': { /* APPEND */
        sw_pobj *v = pop(m), *l = v ? top(m) : NULL;
        if (!l) return NULL;
        if (l->t != P_LIST) r = pfail(m, "APPEND on a %s", sw_ptype_name(l->t));
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
        sw_pobj *d = pnew(m, P_DICT);
        if (!d || add_stack_items(m, d, from, m->sp - from)) return NULL;
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
          sw_pobj *o = pnew(m, P_BIGINT);
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
        sw_pobj *b = pnew(m, P_BOOL);
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
        sw_pobj *o = pnew(m, P_FLOAT);
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
        sw_pobj *state = pop(m), *obj = top(m);
        if (!state || !obj) return NULL;
        if (obj->t != P_DICT || !obj->odict || state->t != P_DICT)
          r = pfail(m, "BUILD on a %s with a %s is not allowed", sw_ptype_name(obj->t), sw_ptype_name(state->t));
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
        sw_pobj *o = top(m);
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

void sw_pvm_next(sw_pvm *m) {
  m->sp = 0;
  m->nmarks = 0;
  if (m->memo) memset(m->memo, 0, sizeof *m->memo * m->memo_cap);
  m->memo_count = 0;
}
