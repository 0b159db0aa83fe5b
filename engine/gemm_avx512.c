/* gemm_avx512.c: single-threaded AVX-512 sgemm (row-major, every transpose),
 * the engine's product on CPUs with avx512f (gemm.c dispatches here).
 *
 * OpenBLAS here runs its Haswell (AVX2) kernels, so on an AVX-512 CPU half of
 * every FMA unit is idle. This is the BLIS scheme with one 6x64 register
 * block: C's 6 rows x 64 columns are 24 zmm accumulators; per k, 4 loads of
 * packed B and 6 broadcasts of packed A feed 24 FMAs.
 *  - B is packed KC x NC at a time into 64-column panels (k-major, zero past
 *    N) in a per-thread buffer (its transpose absorbed there), or comes packed
 *    (sw_sgemm_avx512_pb);
 *  - A is read in place, 6 rows at a time with its two strides (transposed or
 *    not): loop order jc, pc, ir, jr, so one 6 x KC panel of A stays in L1
 *    while the B block (KC x NC, 512 KB) streams from L2. (Packing A as well
 *    cost 6% of a resnet34 training step in perf, for nothing measurable.)
 *  - the first k-block writes alpha * acc + beta * C (beta 0: C is not read),
 *    the later ones add alpha * acc; tails are masked stores.
 * Every element of C is summed in the same order wherever it lies in a block,
 * so the bits of a product do not depend on how gemm.c splits it over threads.
 * Compiled with function-level target attributes: the engine's baseline
 * stays x86-64-v2, and only CPUs with avx512f reach these functions. */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

#define MR 6
#define NR 64
#define KC 256
#define NC 512 /* multiple of NR */

#define TGT __attribute__((target("avx512f,avx512dq")))

/* ---- per-thread packing buffers ---------------------------------------- */

static pthread_key_t g_buf_key;
static pthread_once_t g_buf_once = PTHREAD_ONCE_INIT;
static _Thread_local float *tl_buf;

static void buf_key_init(void) { pthread_key_create(&g_buf_key, free); }

static float *pack_buffer(void) {
  if (!tl_buf) {
    pthread_once(&g_buf_once, buf_key_init);
    size_t bytes = (size_t)KC * NC * sizeof(float);
    tl_buf = aligned_alloc(64, bytes);
    if (!tl_buf) return NULL;
    pthread_setspecific(g_buf_key, tl_buf);
  }
  return tl_buf;
}

/* ---- packing ------------------------------------------------------------ */

static inline __mmask16 lane_mask(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* B rows [k0, k0+kc), columns [j0, j0+nc) of op(B) -> panels of NR columns. */
TGT static void pack_b(bool tb, const float *B, int ldb, int k0, int kc, int j0, int nc,
                       float *Bp) {
  for (int q = 0; q * NR < nc; q++) {
    const int nn = nc - q * NR < NR ? nc - q * NR : NR;
    float *dst = Bp + (size_t)q * kc * NR;
    const int jq = j0 + q * NR;
    if (!tb) {
      const __mmask16 m0 = lane_mask(nn), m1 = lane_mask(nn - 16), m2 = lane_mask(nn - 32),
                      m3 = lane_mask(nn - 48);
      for (int k = 0; k < kc; k++) {
        const float *s = B + (size_t)(k0 + k) * ldb + jq;
        float *d = dst + (size_t)k * NR;
        if (nn == NR) {
          _mm512_store_ps(d, _mm512_loadu_ps(s));
          _mm512_store_ps(d + 16, _mm512_loadu_ps(s + 16));
          _mm512_store_ps(d + 32, _mm512_loadu_ps(s + 32));
          _mm512_store_ps(d + 48, _mm512_loadu_ps(s + 48));
        } else {
          _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, s));
          _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, s + 16));
          _mm512_store_ps(d + 32, _mm512_maskz_loadu_ps(m2, s + 32));
          _mm512_store_ps(d + 48, _mm512_maskz_loadu_ps(m3, s + 48));
        }
      }
    } else {
      /* op(B)(k, j) = B[j * ldb + k]: 16 columns at a time, each a contiguous run in k */
      if (nn < NR) memset(dst, 0, (size_t)kc * NR * sizeof(float));
      for (int j = 0; j < nn; j++) {
        const float *s = B + (size_t)(jq + j) * ldb + k0;
        float *d = dst + j;
        for (int k = 0; k < kc; k++) d[(size_t)k * NR] = s[k];
      }
    }
  }
}

/* ---- the 6x64 micro-kernel ---------------------------------------------- */

#define ROW_FMA(r)                                                                             \
  {                                                                                            \
    const __m512 a = _mm512_set1_ps(*a##r);                                                    \
    a##r += ks;                                                                                \
    c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);                                                 \
    c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);                                                 \
    c##r##2 = _mm512_fmadd_ps(a, b2, c##r##2);                                                 \
    c##r##3 = _mm512_fmadd_ps(a, b3, c##r##3);                                                 \
  }

TGT static inline void store_one(float *p, __mmask16 m, __m512 acc, __m512 va, __m512 vb,
                                 int mode) {
  if (!m) return;
  __m512 v = _mm512_mul_ps(acc, va);
  if (mode == 1) v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, p), v); /* first, beta != 0 */
  if (mode == 2) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), v);      /* later k-blocks */
  _mm512_mask_storeu_ps(p, m, v);
}

#define ROW_STORE(r)                                                                           \
  if (r < mr) {                                                                                \
    float *p = C + (size_t)r * ldc;                                                            \
    store_one(p, m0, c##r##0, va, vb, mode);                                                   \
    store_one(p + 16, m1, c##r##1, va, vb, mode);                                              \
    store_one(p + 32, m2, c##r##2, va, vb, mode);                                              \
    store_one(p + 48, m3, c##r##3, va, vb, mode);                                              \
  }

/* C (mr x nr, mr <= 6, nr <= 64) (=|+=) alpha * A (mr x kc) @ Bp (kc x 64), with
 * A's element (r, k) at A[r * rs + k * ks] (rows past mr read row mr - 1, and
 * are not stored): A is used in place, unpacked, its 6 x kc panel staying in
 * L1 over the whole row of B panels;
 * mode 0: C = alpha * acc, 1: C = alpha * acc + beta * C, 2: C += alpha * acc. */
TGT static void kernel_6x64(int kc, const float *A, size_t rs, size_t ks, const float *Bp,
                            float *C, int ldc, int mr, int nr, float alpha, float beta,
                            int mode) {
  const float *a0 = A, *a1 = A + (mr > 1 ? 1 : 0) * rs, *a2 = A + (mr > 2 ? 2 : mr - 1) * rs;
  const float *a3 = A + (mr > 3 ? 3 : mr - 1) * rs, *a4 = A + (mr > 4 ? 4 : mr - 1) * rs;
  const float *a5 = A + (mr > 5 ? 5 : mr - 1) * rs;
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00;
  __m512 c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  __m512 c30 = c00, c31 = c00, c32 = c00, c33 = c00;
  __m512 c40 = c00, c41 = c00, c42 = c00, c43 = c00;
  __m512 c50 = c00, c51 = c00, c52 = c00, c53 = c00;
  for (int k = 0; k < kc; k++, Bp += NR) {
    const __m512 b0 = _mm512_loadu_ps(Bp), b1 = _mm512_loadu_ps(Bp + 16);
    const __m512 b2 = _mm512_loadu_ps(Bp + 32), b3 = _mm512_loadu_ps(Bp + 48);
    ROW_FMA(0)
    ROW_FMA(1)
    ROW_FMA(2)
    ROW_FMA(3)
    ROW_FMA(4)
    ROW_FMA(5)
  }
  const __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16), m2 = lane_mask(nr - 32),
                  m3 = lane_mask(nr - 48);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  ROW_STORE(0)
  ROW_STORE(1)
  ROW_STORE(2)
  ROW_STORE(3)
  ROW_STORE(4)
  ROW_STORE(5)
}

/* ---- driver ------------------------------------------------------------- */

TGT static void scale_c(int M, int N, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (size_t)i * ldc;
    for (int j = 0; j < N; j++) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
  }
}

/* op(A) (M x K) @ B: B packed by pack_b block by block, or (Bpre) given packed
 * as [ceil(N/64)][K][64]. */
TGT static bool gemm_run(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                         const float *A, int lda, const float *B, int ldb, const float *Bpre,
                         float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc);
    return true;
  }
  float *buf = pack_buffer();
  if (!buf && Bpre) {
    /* no packing buffer (out of memory): a plain loop, as B cannot go to OpenBLAS */
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        float acc = 0.0f;
        for (int k = 0; k < K; k++)
          acc += (trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                 Bpre[sw_gemm_pb_index(K, k, j)];
        float *c = C + (size_t)i * ldc + j;
        *c = beta == 0.0f ? alpha * acc : alpha * acc + beta * *c;
      }
    return true;
  }
  if (!buf) return false;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = K - pc < KC ? K - pc : KC;
      const float *Bp;
      size_t pstride; /* floats from one 64-column panel to the next */
      if (Bpre) {
        Bp = Bpre + (size_t)(jc / NR) * K * NR + (size_t)pc * NR;
        pstride = (size_t)K * NR;
      } else {
        pack_b(trans_b, B, ldb, pc, kc, jc, nc, buf);
        Bp = buf;
        pstride = (size_t)kc * NR;
      }
      const int mode = pc > 0 ? 2 : beta != 0.0f ? 1 : 0;
      /* op(A)'s element (i, k): A[i * lda + k], or A[k * lda + i] transposed */
      const size_t rs = trans_a ? 1 : (size_t)lda, ks = trans_a ? (size_t)lda : 1;
      for (int ir = 0; ir < M; ir += MR) {
        const int mr = M - ir < MR ? M - ir : MR;
        const float *ap = A + (size_t)ir * rs + (size_t)pc * ks;
        float *crow = C + (size_t)ir * ldc + jc;
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          kernel_6x64(kc, ap, rs, ks, Bp + (size_t)(jr / NR) * pstride, crow + jr, ldc, mr, nr,
                      alpha, beta, mode);
        }
      }
    }
  }
  return true;
}

bool sw_sgemm_avx512(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta, float *C,
                     int ldc) {
  return gemm_run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, NULL, beta, C, ldc);
}

bool sw_sgemm_avx512_pb(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *Bpk, float beta, float *C, int ldc) {
  return gemm_run(trans_a, false, M, N, K, alpha, A, lda, NULL, 0, Bpk, beta, C, ldc);
}
