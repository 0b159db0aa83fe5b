/* gemm.c: sgemm split over the engine's thread pool (see gemm.h). */
#include "gemm.h"

#include <cblas.h>

#include "parallel.h"
#include "tensor.h"

/* Products below this many multiply-adds run in one call. */
#define SW_GEMM_SPLIT_MIN (1 << 21)
/* Block boundaries are multiples of this (the micro-kernels' widths). */
#define SW_GEMM_ALIGN 16

typedef struct {
  bool ta, tb, split_n;
  int M, N, K, lda, ldb, ldc, parts;
  float alpha, beta;
  const float *A, *B;
  float *C;
} gemm_ctx;

static void part_range(int total, int parts, int i, int *lo, int *hi) {
  int units = (total + SW_GEMM_ALIGN - 1) / SW_GEMM_ALIGN;
  int a = (int)((int64_t)units * i / parts) * SW_GEMM_ALIGN;
  int b = (int)((int64_t)units * (i + 1) / parts) * SW_GEMM_ALIGN;
  *lo = a < total ? a : total;
  *hi = b < total ? b : total;
}

static void gemm_part(void *vctx, int64_t p0, int64_t p1) {
  gemm_ctx *g = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int lo, hi;
    part_range(g->split_n ? g->N : g->M, g->parts, (int)p, &lo, &hi);
    if (hi <= lo) continue;
    const float *A = g->A, *B = g->B;
    float *C = g->C;
    int M = g->M, N = g->N;
    if (g->split_n) {
      B += g->tb ? (size_t)lo * g->ldb : (size_t)lo;
      C += lo;
      N = hi - lo;
    } else {
      A += g->ta ? (size_t)lo : (size_t)lo * g->lda;
      C += (size_t)lo * g->ldc;
      M = hi - lo;
    }
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                M, N, g->K, g->alpha, A, g->lda, B, g->ldb, g->beta, C, g->ldc);
  }
}

void sw_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  /* sw_set_num_threads() hands OpenBLAS the thread count; the engine splits
   * the work itself, so OpenBLAS must not start its own threads. */
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  gemm_ctx g = {.ta = trans_a, .tb = trans_b, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb,
                .ldc = ldc, .alpha = alpha, .beta = beta, .A = A, .B = B, .C = C};
  g.split_n = N >= M;
  int along = g.split_n ? N : M;
  int threads = sw_get_num_threads();
  int64_t work = (int64_t)M * N * (K > 0 ? K : 1);
  int parts = threads;
  if (work < SW_GEMM_SPLIT_MIN) parts = 1;
  int max_parts = (along + SW_GEMM_ALIGN - 1) / SW_GEMM_ALIGN;
  if (parts > max_parts) parts = max_parts;
  if (parts < 1) parts = 1;
  g.parts = parts;
  sw_parallel_for(parts, 1, gemm_part, &g);
}
