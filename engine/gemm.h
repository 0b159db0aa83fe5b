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
#include <stddef.h>

/* C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C */
void sw_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* The same product in the calling thread, never split: for the items of a
 * parallel loop, whose bits must not depend on the thread count. */
void sw_sgemm_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* The naive loop (double accumulation), for the tests. */
void sw_sgemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* Which kernel runs each part: AUTO is gemm_avx512.c's when the CPU has
 * avx512f and avx512dq, else OpenBLAS (whose kernels are AVX2 at most when
 * OPENBLAS_CORETYPE=Haswell). The environment variable SWELL_GEMM=openblas
 * (or avx512) sets the starting choice, for A/B runs. */
typedef enum { SW_GEMM_AUTO, SW_GEMM_OPENBLAS, SW_GEMM_AVX512 } sw_gemm_impl;
/* Returns whether the AVX-512 kernel is now used (false on CPUs without it). */
bool sw_gemm_set_impl(sw_gemm_impl impl);
bool sw_gemm_uses_avx512(void);
/* gemm_avx512.c, serial; only on CPUs with avx512f and avx512dq. False when
 * its packing buffer cannot be allocated (nothing is written then). */
bool sw_sgemm_avx512(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta, float *C,
                     int ldc);

/* The same with B (K x N) already packed: panel q (columns 64q .. 64q + 63)
 * at Bpk + q * K * 64, row k of it at + k * 64, zero past column N
 * (sw_gemm_pb_index). For products that reuse one B many times (Winograd's
 * transformed filters). Always computes C (without a packing buffer, slowly). */
bool sw_sgemm_avx512_pb(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *Bpk, float beta, float *C, int ldc);
/* Where element (k, n) of a packed B of depth K lives. */
static inline size_t sw_gemm_pb_index(int K, int k, int n) {
  return ((size_t)(n / 64) * K + k) * 64 + (size_t)(n % 64);
}
/* Floats of a packed K x N matrix. */
static inline size_t sw_gemm_pb_floats(int K, int N) { return (size_t)K * ((N + 63) / 64 * 64); }

#endif
