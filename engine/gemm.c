/* gemm.c: sgemm split over the engine's thread pool (see gemm.h); each part
 * runs in OpenBLAS or, on CPUs with AVX-512, in gemm_avx512.c. */
#include "gemm.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "tensor.h"

/* Products below this many multiply-adds run in one call. */
#define SW_GEMM_SPLIT_MIN (1 << 21)
/* Block boundaries are multiples of this (the micro-kernels' widths). */
#define SW_GEMM_ALIGN 16

/* ---- which kernel: OpenBLAS, or gemm_avx512.c ---------------------------- */

static pthread_once_t g_impl_once = PTHREAD_ONCE_INIT;
static bool g_has_avx512;
static sw_gemm_impl g_impl = SW_GEMM_AUTO;

static void impl_init(void) {
  __builtin_cpu_init();
  g_has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  const char *e = getenv("SWELL_GEMM");
  if (e && !strcmp(e, "openblas")) g_impl = SW_GEMM_OPENBLAS;
  if (e && !strcmp(e, "avx512")) g_impl = SW_GEMM_AVX512;
}

bool sw_gemm_set_impl(sw_gemm_impl impl) {
  pthread_once(&g_impl_once, impl_init);
  g_impl = impl;
  return impl != SW_GEMM_OPENBLAS && g_has_avx512;
}

bool sw_gemm_uses_avx512(void) {
  pthread_once(&g_impl_once, impl_init);
  return g_impl != SW_GEMM_OPENBLAS && g_has_avx512;
}

/* One part, in the calling thread. AUTO leaves to OpenBLAS the products with
 * a transposed B and few rows (the dweight += dout @ col^T of small convs, the
 * linear layers): gemm_avx512.c packs a transposed B element by element, which
 * only pays off over enough rows of A (bench_gemm: 0.81x at M 64, N 147,
 * K 12544; 0.75x at 16x512x1024; 1.27x at 128x576x3136). */
static void gemm_one(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc) {
  if (sw_gemm_uses_avx512() && (g_impl == SW_GEMM_AVX512 || !tb || ta || M > 64) &&
      sw_sgemm_avx512(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
    return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void sw_sgemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double acc = 0;
      for (int k = 0; k < K; k++)
        acc += (double)(trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
               (trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
      float *c = C + (size_t)i * ldc + j;
      *c = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * *c));
    }
}

/* ---- split over the pool ------------------------------------------------- */

typedef struct {
  bool ta, tb, split_n;
  int M, N, K, lda, ldb, ldc, parts, align;
  float alpha, beta;
  const float *A, *B;
  float *C;
} gemm_ctx;

static void part_range(int total, int parts, int align, int i, int *lo, int *hi) {
  int units = (total + align - 1) / align;
  int a = (int)((int64_t)units * i / parts) * align;
  int b = (int)((int64_t)units * (i + 1) / parts) * align;
  *lo = a < total ? a : total;
  *hi = b < total ? b : total;
}

static void gemm_part(void *vctx, int64_t p0, int64_t p1) {
  gemm_ctx *g = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int lo, hi;
    part_range(g->split_n ? g->N : g->M, g->parts, g->align, (int)p, &lo, &hi);
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
    gemm_one(g->ta, g->tb, M, N, g->K, g->alpha, A, g->lda, B, g->ldb, g->beta, C, g->ldc);
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
  g.align = SW_GEMM_ALIGN;
  /* gemm_avx512.c's blocks are 64 columns wide */
  if (g.split_n && sw_gemm_uses_avx512()) g.align = 64;
  int max_parts = (along + g.align - 1) / g.align;
  if (parts > max_parts) parts = max_parts;
  if (parts < 1) parts = 1;
  g.parts = parts;
  sw_parallel_for(parts, 1, gemm_part, &g);
}

void sw_sgemm_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  gemm_one(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
