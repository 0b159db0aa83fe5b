/* gemm.h: the engine's single entry to OpenBLAS sgemm (row-major).
 *
 * OpenBLAS runs single-threaded; sw_sgemm splits large products into
 * column (or row) blocks, one per thread of the engine's own pool
 * (parallel.h), so only one set of threads exists: no OpenBLAS worker spins
 * in sched_yield while the engine's own loops run. The split is static, so
 * the result is bit-identical for a given thread count. Internal to engine/. */
#ifndef SW_GEMM_H
#define SW_GEMM_H

#include <stdbool.h>

/* C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C */
void sw_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
