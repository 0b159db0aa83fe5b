/* bench_gemm: sw_sgemm with OpenBLAS and with gemm_avx512.c, interleaved, on
 * the engine's product shapes (see bench/README.md). Minimum over --reps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "parallel.h"
#include "tensor.h"

typedef struct {
  const char *what;
  bool ta, tb, serial;
  int M, N, K;
} shape;

static const shape SHAPES[] = {
    {"wino fwd F2 56x56x64 (T 48)", 0, 0, 1, 48, 64, 64},
    {"wino fwd F4 56x56x64 (T 21)", 0, 0, 1, 21, 64, 64},
    {"wino fwd 28x28x128 (T 64)", 0, 0, 1, 64, 128, 128},
    {"wino fwd 14x14x256 (T 64)", 0, 0, 1, 64, 256, 256},
    {"wino fwd 7x7x512 (T 64)", 0, 0, 1, 64, 512, 512},
    {"wino dU 56x56x64", 1, 0, 1, 64, 64, 168},
    {"wino dU 28x28x128", 1, 0, 1, 128, 128, 512},
    {"wino dU 14x14x256", 1, 0, 1, 256, 256, 512},
    {"wino dU 7x7x512", 1, 0, 1, 512, 512, 256},
    {"stem fwd nn", 0, 0, 0, 64, 12544, 147},
    {"3x3s2 fwd nn 56->28 64->128", 0, 0, 0, 128, 3136, 576},
    {"1x1s2 fwd nn 64->128", 0, 0, 0, 128, 3136, 64},
    {"3x3s2 dweight nt", 0, 1, 0, 128, 576, 3136},
    {"3x3s2 dcol tn", 1, 0, 0, 576, 3136, 128},
    {"stem dweight nt", 0, 1, 0, 64, 147, 12544},
    {"linear fwd nt 16x512x1024", 0, 1, 0, 16, 512, 1024},
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 20;
  sw_set_num_threads(2);
  printf("%-32s %9s %9s %7s  (GFLOP/s, min of %d; serial shapes on 1 thread)\n", "shape",
         "openblas", "avx512", "ratio", reps);
  for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
    const shape *h = &SHAPES[s];
    size_t na = (size_t)h->M * h->K, nb = (size_t)h->K * h->N, nc = (size_t)h->M * h->N;
    float *A = malloc(na * 4), *B = malloc(nb * 4), *C = malloc(nc * 4);
    for (size_t i = 0; i < na; i++) A[i] = (float)(i % 7) - 3;
    for (size_t i = 0; i < nb; i++) B[i] = (float)(i % 5) - 2;
    memset(C, 0, nc * 4);
    int lda = h->ta ? h->M : h->K, ldb = h->tb ? h->K : h->N;
    double best[2] = {1e30, 1e30};
    int inner = (int)(2e8 / ((double)h->M * h->N * h->K)) + 1;
    for (int r = 0; r < reps; r++)
      for (int impl = 0; impl < 2; impl++) {
        sw_gemm_set_impl(impl ? SW_GEMM_AVX512 : SW_GEMM_OPENBLAS);
        double t0 = now_s();
        for (int i = 0; i < inner; i++) {
          if (h->serial)
            sw_sgemm_serial(h->ta, h->tb, h->M, h->N, h->K, 1.0f, A, lda, B, ldb, 0.0f, C, h->N);
          else
            sw_sgemm(h->ta, h->tb, h->M, h->N, h->K, 1.0f, A, lda, B, ldb, 0.0f, C, h->N);
        }
        double t = (now_s() - t0) / inner;
        if (t < best[impl]) best[impl] = t;
      }
    double fl = 2.0 * h->M * h->N * h->K * 1e-9;
    printf("%-32s %9.1f %9.1f %7.2f\n", h->what, fl / best[0], fl / best[1], best[0] / best[1]);
    free(A);
    free(B);
    free(C);
  }
  sw_gemm_set_impl(SW_GEMM_AUTO);
  return 0;
}
