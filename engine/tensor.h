/* tensor.h: shapes, arenas and the seeded RNG shared by the whole engine.
 *
 * Conventions used across engine/:
 *  - float32 everywhere, activations in NCHW, row-major, contiguous.
 *  - Parameters, gradients and activations live in arenas allocated once per
 *    model (parameters, gradients) and once per batch shape (activations);
 *    nothing is malloc'd per operation inside the training loop.
 *  - Every *_backward function ADDS into the gradient buffers it is given
 *    (dinp, dweight, dbias). Callers zero them first. This makes residual
 *    branches and gradient accumulation free.
 *  - Functions that can fail return 0 on success and -1 on failure, writing a
 *    one-line message into (err, errlen) that names the file and the reason.
 */
#ifndef SW_TENSOR_H
#define SW_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_MAX_DIMS 4

typedef struct {
  int ndim;
  int64_t dims[SW_MAX_DIMS];
} sw_shape;

sw_shape sw_shape_make(int ndim, const int64_t *dims);
sw_shape sw_shape1(int64_t a);
sw_shape sw_shape2(int64_t a, int64_t b);
sw_shape sw_shape4(int64_t a, int64_t b, int64_t c, int64_t d);
int64_t sw_shape_numel(const sw_shape *s);
bool sw_shape_equal(const sw_shape *a, const sw_shape *b);
/* Writes e.g. "[64, 3, 7, 7]" into buf. Returns buf. */
char *sw_shape_str(const sw_shape *s, char *buf, size_t len);

/* A bump allocator over one 64-byte aligned block. */
typedef struct {
  char *base;
  size_t size;
  size_t used;
} sw_arena;

int sw_arena_init(sw_arena *a, size_t bytes);
/* Returns n floats (64-byte aligned) or NULL when the arena is full. Zeroed. */
float *sw_arena_floats(sw_arena *a, size_t n);
void *sw_arena_bytes(sw_arena *a, size_t n);
void sw_arena_reset(sw_arena *a);
void sw_arena_free(sw_arena *a);

/* Seeded RNG (splitmix64 seeding a xoshiro256**): reproducible everywhere. */
typedef struct {
  uint64_t s[4];
} sw_rng;

void sw_rng_seed(sw_rng *r, uint64_t seed);
uint64_t sw_rng_next(sw_rng *r);
/* Uniform in [0, 1). */
float sw_rng_uniform(sw_rng *r);
/* Standard normal (Box-Muller). */
float sw_rng_normal(sw_rng *r);

/* Thread count used by OpenBLAS and the engine's own parallel loops. */
void sw_set_num_threads(int n);
int sw_get_num_threads(void);

#endif
