/* pickle.h: a defensive pickle machine for torch state dicts.
 *
 * A small stack machine that understands only the opcodes such pickles use
 * and a whitelist of globals, which it never calls: REDUCE on a whitelisted
 * global builds an inert record (an empty dict, a tensor description).
 * Everything is bounded: stack, marks, memo, objects. Not part of the engine
 * API. */
#ifndef SW_PICKLE_H
#define SW_PICKLE_H

#include "weights_internal.h"

#define PK_MAX_BYTES ((uint64_t)64 << 20)
#define PK_MAX_STACK (1 << 20)
#define PK_MAX_MARKS 256
/* Real state dicts need about 25 objects per tensor; these limits allow
 * ~40000 tensors while keeping a hostile pickle's memory around 150 MB. */
#define PK_MAX_MEMO (1 << 20)
#define PK_MAX_OBJECTS (1 << 20)
#define PK_MAX_ITEMS (1 << 22)
#define PK_MAX_DIMS 16

typedef enum { P_NONE, P_BOOL, P_INT, P_BIGINT, P_FLOAT, P_STR, P_BYTES, P_TUPLE, P_LIST, P_DICT, P_GLOBAL, P_STORAGE, P_TENSOR } sw_ptype;

typedef struct {
  const char *name; /* torch.<name>, e.g. "FloatStorage" */
  int size;         /* bytes per element */
  sw_elem kind;
} sw_storage_type;

extern const sw_storage_type sw_storage_types[10];

typedef struct sw_pobj sw_pobj;
struct sw_pobj {
  sw_ptype t;
  int64_t i;       /* INT, BOOL */
  double f;        /* FLOAT */
  char *s;         /* STR, BYTES, STORAGE key */
  size_t slen;
  sw_pobj **items; /* TUPLE, LIST; DICT: key, value, key, value... */
  int n, cap;
  int g;           /* GLOBAL: gid; STORAGE, GLOBAL G_STORAGE: sw_storage_types index */
  bool odict;      /* DICT made by OrderedDict() */
  /* STORAGE */
  int64_t numel;
  /* TENSOR */
  sw_pobj *storage;
  int64_t offset;
  int ndim;
  const sw_pobj *sizes, *strides; /* tuples of ints, checked */
  sw_pobj *next; /* allocation list */
};

/* The machine. Zero it, then set p, len, what, part, err and errlen. */
typedef struct {
  const unsigned char *p;
  size_t len, pos;
  const char *what;
  const char *part; /* "data.pkl" or "pickle" in messages */
  bool truncated;   /* failed because the input ended */
  char *err;
  size_t errlen;
  bool failed;
  sw_pobj **stack;
  int sp, stack_cap;
  int marks[PK_MAX_MARKS];
  int nmarks;
  sw_pobj **memo;
  size_t memo_cap, memo_count;
  sw_pobj *all;
  long nobjects;
  long nitems;
} sw_pvm;

/* "int", "dict", ... for messages. */
const char *sw_ptype_name(sw_ptype t);
/* Runs the pickle at m->pos; returns the result object or NULL (message in m->err). */
sw_pobj *sw_pvm_run(sw_pvm *m);
/* Prepares the machine for the next pickle of a stream (legacy format): a
 * fresh stack and memo; objects stay alive until sw_pvm_free. */
void sw_pvm_next(sw_pvm *m);
/* Frees every object and the machine's buffers. */
void sw_pvm_free(sw_pvm *m);

#endif
