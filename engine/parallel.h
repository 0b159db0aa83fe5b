/* parallel.h: a small persistent pthread pool for the engine's own loops.
 *
 * sw_parallel_for splits [0, n) into at most sw_get_num_threads() contiguous
 * chunks (a static partition that depends only on n, the thread count and
 * min_chunk) and runs fn(ctx, begin, end) on each, the calling thread taking
 * the first chunk. Work items must be independent and each item's result
 * must not depend on which chunk it lands in (every output element written by
 * exactly one item, reductions done inside one item in a fixed order), so
 * results are bit-identical regardless of timing and thread count. A nested call, or a call while another
 * thread owns the pool, runs serially in the caller.
 */
#ifndef SW_PARALLEL_H
#define SW_PARALLEL_H

#include <stdint.h>

typedef void (*sw_parallel_fn)(void *ctx, int64_t begin, int64_t end);

/* min_chunk: smallest number of items worth handing to a thread (>= 1). */
void sw_parallel_for(int64_t n, int64_t min_chunk, sw_parallel_fn fn, void *ctx);

/* Number of chunks sw_parallel_for(n, min_chunk, ...) would use. */
int sw_parallel_chunks(int64_t n, int64_t min_chunk);

#endif
