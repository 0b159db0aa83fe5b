/* winograd.c: F(4x4, 3x3) and F(2x2, 3x3) Winograd convolution (winograd.h).
 *
 * The output map is cut into m x m tiles (m = 4 or 2), each computed from an
 * a x a input patch d (a = m + 2): per tile and channel V = Bt d B, per filter
 * U = G g Gt, and out = At (sum over input channels of U . V) A. The tile
 * bodies are written once for both, inlined with m constant. For each of the
 * a * a positions xi the channel sum is one sgemm (tiles x Cin) @ (Cin x Cout), so
 * transformed data is laid out [a * a][tiles][channels] and every transform
 * works on 8 or 16 channels at once (the lanes of one vector). So that a
 * tile's channels at one pixel are one vector load (and store), the input
 * is first staged NHWC with zero borders, and the output goes through an
 * NHWC staging map back to NCHW (channels padded to a multiple of 8).
 *
 *  - forward: tiles in blocks of T (a block's V and M stay in L2), each block
 *    wholly inside one slot: transform, a * a sgemms, inverse transform. The
 *    slots are the parallel items, each with its own scratch;
 *  - backward-data: the forward of the kernel rotated 180 degrees with in
 *    and out channels swapped, over dout, padding 2 - p, adding into dinp;
 *  - backward-weights: the adjoint of the forward in g. With Y = A dy At per
 *    dout tile, dU[xi] = sum over tiles V[xi]^T Y[xi] and dg = Gt dU G. Tiles
 *    in blocks of slots * T; the a * a sgemms are the parallel items, each
 *    accumulating over the blocks in order.
 * Every item writes only its own outputs and reductions stay inside one item,
 * so the bits do not depend on the thread count. The transforms
 * (winograd_body.h) are compiled for the engine's x86-64-v2 baseline and AVX2
 * on 8-lane vectors and for AVX-512 on 16-lane ones, chosen at run time
 * (sw_wino_set_isa; every one gives the same bits). */
#include "winograd.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "parallel.h"

#define WL 8 /* staged maps: channels padded to a multiple of this */
#define WP 36 /* positions of a transformed 6x6 tile (the most, F(4x4)) */
#define WINO_SLOTS 8
#define WINO_TMIN 16
#define WINO_TMIN_BIG 64
#define WINO_BIG_FILTER (128 * 128) /* Cin * Cout from which blocks are >= WINO_TMIN_BIG */
#define WINO_TMAX 128
/* floats of V + M per slot: most of a 512 KB L2 */
#define WINO_BLOCK_FLOATS (96 * 1024)

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

#define AI static inline __attribute__((always_inline))

/* One convolution as the tiles see it: the forward, or the backward-data one. */
typedef struct {
  int m, a, np;     /* output tile m x m (2 or 4), input patch a = m + 2, positions a * a */
  int B, C, K;      /* images, input channels, output channels */
  int H, W, OH, OW; /* input and output maps */
  int pt, pl;       /* top and left padding */
  int tw, tpi;      /* tiles per output row, per image */
  int Cp, Kp;       /* channels of the staged maps (multiples of 8) */
  int Hs, Ws;       /* staged input map: tiles * m + 2 */
  int Hq, Wq;       /* staged output map: tiles * m */
  int64_t tiles;
  int T, nblocks, slots; /* tiles per block, blocks, parallel slots */
} wgeom;

static void geom_set(wgeom *g, int m, int B, int C, int H, int W, int K, int OH, int OW, int pt,
                     int pl) {
  memset(g, 0, sizeof *g);
  g->m = m;
  g->a = m + 2;
  g->np = g->a * g->a;
  g->B = B;
  g->C = C;
  g->K = K;
  g->H = H;
  g->W = W;
  g->OH = OH;
  g->OW = OW;
  g->pt = pt;
  g->pl = pl;
  g->tw = (OW + m - 1) / m;
  g->tpi = ((OH + m - 1) / m) * g->tw;
  g->tiles = (int64_t)B * g->tpi;
  g->Cp = (C + WL - 1) / WL * WL;
  g->Kp = (K + WL - 1) / WL * WL;
  g->Hq = (OH + m - 1) / m * m;
  g->Wq = g->tw * m;
  g->Hs = g->Hq + 2;
  g->Ws = g->Wq + 2;
  int64_t T = WINO_BLOCK_FLOATS / (g->np * (int64_t)(C + K));
  /* large filters: OpenBLAS packs U[xi] in every sgemm, so longer blocks
   * amortise it better than an L2-sized block would */
  const int64_t tmin = (int64_t)C * K >= WINO_BIG_FILTER ? WINO_TMIN_BIG : WINO_TMIN;
  if (T < tmin) T = tmin;
  if (T > WINO_TMAX) T = WINO_TMAX;
  /* up to WINO_SLOTS blocks of >= WINO_TMIN tiles, so that the slots keep the
   * threads busy and each block's sgemms run whole inside their slot (their
   * bits then do not depend on the thread count) */
  int64_t spread = (g->tiles + WINO_SLOTS - 1) / WINO_SLOTS;
  if (T > spread) T = spread < WINO_TMIN ? WINO_TMIN : spread;
  if (T > g->tiles) T = g->tiles;
  if (T < 1) T = 1;
  g->T = (int)T;
  g->nblocks = (int)((g->tiles + T - 1) / T);
  g->slots = g->nblocks < WINO_SLOTS ? g->nblocks : WINO_SLOTS;
}

static void geom_fwd(wgeom *g, const sw_conv2d *c, int m) {
  geom_set(g, m, c->B, c->Cin, c->H, c->W, c->Cout, c->OH, c->OW, c->pad_t, c->pad_l);
}

static void geom_bwd_data(wgeom *g, const sw_conv2d *c, int m) {
  geom_set(g, m, c->B, c->Cout, c->OH, c->OW, c->Cin, c->H, c->W, 2 - c->pad_t, 2 - c->pad_l);
}

/* Floats from one position's (n x ch) matrix of transformed tiles to the next:
 * padded by one cache line, since n * ch is often a multiple of 4 KiB, and a
 * tile's a * a loads or stores would then all fall in one L1 set. */
#define WPAD 16
static inline size_t pos_stride(int n, int ch) { return (size_t)n * ch + WPAD; }

/* Floats of one slot's V (np x T x C) and M (np x T x K). */
static size_t slot_one(const wgeom *g) {
  return (size_t)g->np * (pos_stride(g->T, g->C) + pos_stride(g->T, g->K));
}

static size_t slot_floats(const wgeom *g) { return (size_t)g->slots * slot_one(g); }

static size_t staged_in(const wgeom *g) { return (size_t)g->B * g->Hs * g->Ws * g->Cp; }
static size_t staged_out(const wgeom *g) { return (size_t)g->B * g->Hq * g->Wq * g->Kp; }

/* Transformed filters, staged input, staged output, the slots. (The
 * backward-weights pass stages its input and dout the same way.) */
static size_t geom_floats(const wgeom *g) {
  return (size_t)g->np * sw_gemm_pb_floats(g->C, g->K) + staged_in(g) + staged_out(g) +
         slot_floats(g);
}

static bool pad_ok(int p) { return p >= 0 && p <= 2; }

bool sw_wino_supported(const sw_conv2d *c) {
  return c->KH == 3 && c->KW == 3 && c->stride == 1 && c->groups == 1 && pad_ok(c->pad_t) &&
         pad_ok(c->pad_l) && pad_ok(c->pad_b) && pad_ok(c->pad_r) && c->OH > 0 && c->OW > 0 &&
         c->B > 0 && c->Cin > 0 && c->Cout > 0;
}

bool sw_wino_profitable(const sw_conv2d *c) {
  int64_t tiles = (int64_t)((c->OH + 3) / 4) * ((c->OW + 3) / 4);
  return sw_wino_supported(c) && 9 * (int64_t)c->OH * c->OW >= 2 * WP * tiles;
}

size_t sw_wino_workspace(const sw_conv2d *c) {
  if (!sw_wino_supported(c)) return 0;
  size_t most = 0;
  for (int m = 2; m <= 4; m += 2) {
    wgeom f, d;
    geom_fwd(&f, c, m);
    geom_bwd_data(&d, c, m);
    size_t a = geom_floats(&f), b = geom_floats(&d);
    if (a > most) most = a;
    if (b > most) most = b;
  }
  return most;
}

/* Tile t's image and the top-left corner of its m x m output square. */
static void tile_at(const wgeom *g, int64_t t, int *b, int *oh0, int *ow0) {
  int r = (int)(t % g->tpi);
  *b = (int)(t / g->tpi);
  *oh0 = (r / g->tw) * g->m;
  *ow0 = (r % g->tw) * g->m;
}

/* The tile after (b, oh0, ow0), in the same order, without divisions. */
static inline void tile_next(const wgeom *g, int *b, int *oh0, int *ow0) {
  if ((*ow0 += g->m) < g->tw * g->m) return;
  *ow0 = 0;
  if ((*oh0 += g->m) < g->tpi / g->tw * g->m) return;
  *oh0 = 0;
  ++*b;
}

#define WV v8
#define WN 8
#define WS(x) x##_8
#include "winograd_body.h"
#undef WV
#undef WN
#undef WS

#define WV v16
#define WN 16
#define WS(x) x##_16
#include "winograd_body.h"
#undef WV
#undef WN
#undef WS


typedef struct {
  int lanes; /* channels per transform item: the vector width */
  void (*in_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*out_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*dout_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*weights)(int, const float *, size_t, size_t, bool, bool, int, int, float *, int64_t,
                  int64_t);
  void (*dweights)(int, const float *, int, int, float *, int64_t, int64_t);
} wino_kernels;

/* The kernels of winograd_body.h for vectors of w lanes, instantiated for one
 * instruction set and both tiles (the branch on the tile picks a body inlined
 * with m constant). */
#define WINO_TILE(m, body, ...) ((m) == 4 ? body(4, __VA_ARGS__) : body(2, __VA_ARGS__))
#define WINO_KERNELS(sfx, attr, w)                                                             \
  attr static void in_tiles_##sfx(const wgeom *g, const float *s, int64_t t0, int n, int i0,   \
                                  int i1, float *V) {                                          \
    WINO_TILE(g->m, in_tiles_body_##w, g, s, t0, n, i0, i1, V);                                \
  }                                                                                            \
  attr static void out_tiles_##sfx(const wgeom *g, const float *M, int64_t t0, int n, int i0,  \
                                   int i1, float *O) {                                         \
    WINO_TILE(g->m, out_tiles_body_##w, g, M, t0, n, i0, i1, O);                               \
  }                                                                                            \
  attr static void dout_tiles_##sfx(const wgeom *g, const float *s, int64_t t0, int n, int i0, \
                                    int i1, float *Y) {                                        \
    WINO_TILE(g->m, dout_tiles_body_##w, g, s, t0, n, i0, i1, Y);                              \
  }                                                                                            \
  attr static void weights_##sfx(int m, const float *wt, size_t so, size_t si, bool flip,    \
                                 bool packed, int C, int K, float *U, int64_t p0, int64_t p1) { \
    WINO_TILE(m, weights_body_##w, wt, so, si, flip, packed, C, K, U, p0, p1);                 \
  }                                                                                            \
  attr static void dweights_##sfx(int m, const float *dU, int C, int K, float *dw, int64_t p0, \
                                  int64_t p1) {                                                \
    WINO_TILE(m, dweights_body_##w, dU, C, K, dw, p0, p1);                                     \
  }                                                                                            \
  static const wino_kernels kernels_##sfx = {w, in_tiles_##sfx, out_tiles_##sfx,               \
                                             dout_tiles_##sfx, weights_##sfx, dweights_##sfx};

WINO_KERNELS(base, , 8)
WINO_KERNELS(avx2, __attribute__((target("avx2,fma"))), 8)
WINO_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), 16)

static pthread_once_t g_isa_once = PTHREAD_ONCE_INIT;
static sw_wino_isa g_best_isa, g_isa;
static bool g_stage_scalar, g_nopack; /* SWELL_WINO_STAGING=scalar, SWELL_WINO_NOPACK */

/* The best the CPU has, or less with SWELL_WINO_ISA=base|avx2 (for A/B runs). */
static void isa_init(void) {
  __builtin_cpu_init();
  g_best_isa = SW_WINO_ISA_BASE;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    g_best_isa = SW_WINO_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
      g_best_isa = SW_WINO_ISA_AVX512;
  }
  const char *e = getenv("SWELL_WINO_ISA");
  if (e && !strcmp(e, "base")) g_best_isa = SW_WINO_ISA_BASE;
  if (e && !strcmp(e, "avx2") && g_best_isa > SW_WINO_ISA_AVX2) g_best_isa = SW_WINO_ISA_AVX2;
  g_isa = g_best_isa;
  e = getenv("SWELL_WINO_STAGING");
  g_stage_scalar = e && !strcmp(e, "scalar");
  g_nopack = getenv("SWELL_WINO_NOPACK") != NULL;
}

sw_wino_isa sw_wino_set_isa(sw_wino_isa isa) {
  pthread_once(&g_isa_once, isa_init);
  g_isa = isa < g_best_isa ? isa : g_best_isa;
  return g_isa;
}

bool sw_wino_set_avx2(bool on) {
  return sw_wino_set_isa(on ? SW_WINO_ISA_AVX512 : SW_WINO_ISA_BASE) != SW_WINO_ISA_BASE;
}

static const wino_kernels *kernels(void) {
  pthread_once(&g_isa_once, isa_init);
  switch (g_isa) {
  case SW_WINO_ISA_AVX512: return &kernels_avx512;
  case SW_WINO_ISA_AVX2: return &kernels_avx2;
  default: return &kernels_base;
  }
}

/* ---- parallel drivers ---------------------------------------------------- */

typedef struct {
  const wino_kernels *k;
  int m;
  const float *w;
  size_t so, si;
  bool flip, packed;
  int C, K;
  float *U;
  const float *dU;
  float *dw;
} filt_ctx;

static void weights_chunk(void *vctx, int64_t p0, int64_t p1) {
  filt_ctx *x = vctx;
  x->k->weights(x->m, x->w, x->so, x->si, x->flip, x->packed, x->C, x->K, x->U, p0, p1);
}

static void dweights_chunk(void *vctx, int64_t p0, int64_t p1) {
  filt_ctx *x = vctx;
  x->k->dweights(x->m, x->dU, x->C, x->K, x->dw, p0, p1);
}

/* (input channel, group of `lanes` output channels) items */
static int64_t filt_items(int C, int K, int lanes) {
  return (int64_t)C * ((K + lanes - 1) / lanes);
}

/* An NCHW map (B, C, H, W) and its NHWC staging (B, Hs, Ws, Cs), pixel (0, 0)
 * at staged (oy, ox), everything else zero. */
typedef struct {
  const float *src;
  float *dst;
  const float *bias;
  int C, H, W;
  int Hs, Ws, Cs;
  int oy, ox;
  bool add;
} nhwc_ctx;

/* The zeros of staged row drow (map row y): all of it outside the map, else its
 * border pixels (and, with padded channels, all of it: the copy fills the
 * rest). Returns whether the row is all border. */
static inline bool zero_border(const nhwc_ctx *x, float *drow, int y) {
  const size_t px = (size_t)x->Cs * sizeof(float);
  if (y < 0 || y >= x->H || x->Cs != x->C) {
    memset(drow, 0, (size_t)x->Ws * px);
    return y < 0 || y >= x->H;
  }
  memset(drow, 0, (size_t)x->ox * px);
  memset(drow + (size_t)(x->ox + x->W) * x->Cs, 0, (size_t)(x->Ws - x->ox - x->W) * px);
  return false;
}

/* Staged rows [r0, r1) of B*Hs: dst = staged src. */
static void to_nhwc_chunk(void *vctx, int64_t r0, int64_t r1) {
  nhwc_ctx *x = vctx;
  for (int64_t row = r0; row < r1; row++) {
    const int b = (int)(row / x->Hs), y = (int)(row % x->Hs) - x->oy;
    float *drow = x->dst + (size_t)row * x->Ws * x->Cs;
    if (zero_border(x, drow, y)) continue;
    for (int c = 0; c < x->C; c++) {
      const float *s = x->src + (((size_t)b * x->C + c) * x->H + y) * x->W;
      float *d = drow + (size_t)x->ox * x->Cs + c;
      for (int i = 0; i < x->W; i++) d[(size_t)i * x->Cs] = s[i];
    }
  }
}

/* Map rows [r0, r1) of B*H: dst (NCHW) = staged src (+ bias), or += it. */
static void from_nhwc_chunk(void *vctx, int64_t r0, int64_t r1) {
  nhwc_ctx *x = vctx;
  for (int64_t row = r0; row < r1; row++) {
    const int b = (int)(row / x->H), y = (int)(row % x->H);
    const float *srow = x->src + (((size_t)b * x->Hs + y + x->oy) * x->Ws + x->ox) * x->Cs;
    for (int c = 0; c < x->C; c++) {
      float *d = x->dst + (((size_t)b * x->C + c) * x->H + y) * x->W;
      const float *s = srow + c;
      if (x->add) {
        for (int i = 0; i < x->W; i++) d[i] += s[(size_t)i * x->Cs];
      } else {
        const float bv = x->bias ? x->bias[c] : 0.0f;
        for (int i = 0; i < x->W; i++) d[i] = s[(size_t)i * x->Cs] + bv;
      }
    }
  }
}

/* The same two copies with AVX 8x8 transposes (8 channels x 8 pixels at a
 * time; the tails as above): pure data movement and the same bias add, so
 * the same bits. */
#define AVX2_FN __attribute__((target("avx2,fma")))

AVX2_FN static inline void tr8(__m256 *r) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

AVX2_FN static void to_nhwc_chunk_avx2(void *vctx, int64_t r0, int64_t r1) {
  nhwc_ctx *x = vctx;
  const int W8 = x->W / 8 * 8, C8 = x->C / 8 * 8;
  const size_t HW = (size_t)x->H * x->W;
  for (int64_t row = r0; row < r1; row++) {
    const int b = (int)(row / x->Hs), y = (int)(row % x->Hs) - x->oy;
    float *drow = x->dst + (size_t)row * x->Ws * x->Cs;
    if (zero_border(x, drow, y)) continue;
    const float *src = x->src + ((size_t)b * x->C * x->H + y) * x->W;
    float *dpix = drow + (size_t)x->ox * x->Cs;
    for (int c = 0; c < C8; c += 8) {
      const float *s = src + (size_t)c * HW;
      for (int i = 0; i < W8; i += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(s + k * HW + i);
        tr8(r);
        for (int k = 0; k < 8; k++) _mm256_storeu_ps(dpix + (size_t)(i + k) * x->Cs + c, r[k]);
      }
      for (int k = 0; k < 8; k++)
        for (int i = W8; i < x->W; i++) dpix[(size_t)i * x->Cs + c + k] = s[k * HW + i];
    }
    for (int c = C8; c < x->C; c++) {
      const float *s = src + (size_t)c * HW;
      for (int i = 0; i < x->W; i++) dpix[(size_t)i * x->Cs + c] = s[i];
    }
  }
}

AVX2_FN static void from_nhwc_chunk_avx2(void *vctx, int64_t r0, int64_t r1) {
  nhwc_ctx *x = vctx;
  const int W8 = x->W / 8 * 8, C8 = x->C / 8 * 8;
  const size_t HW = (size_t)x->H * x->W;
  for (int64_t row = r0; row < r1; row++) {
    const int b = (int)(row / x->H), y = (int)(row % x->H);
    const float *srow = x->src + (((size_t)b * x->Hs + y + x->oy) * x->Ws + x->ox) * x->Cs;
    float *drow = x->dst + ((size_t)b * x->C * x->H + y) * x->W;
    for (int c = 0; c < x->C; c++) {
      float *d = drow + (size_t)c * HW;
      const float *s = srow + c;
      const float bv = x->bias ? x->bias[c] : 0.0f;
      const int i0 = c < C8 ? W8 : 0; /* the blocks below do [0, W8) of the first C8 */
      for (int i = i0; i < x->W; i++) {
        if (x->add)
          d[i] += s[(size_t)i * x->Cs];
        else
          d[i] = s[(size_t)i * x->Cs] + bv;
      }
    }
    for (int c = 0; c < C8; c += 8) {
      __m256 bv[8];
      for (int k = 0; k < 8; k++) bv[k] = _mm256_set1_ps(x->bias ? x->bias[c + k] : 0.0f);
      for (int i = 0; i < W8; i += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(srow + (size_t)(i + k) * x->Cs + c);
        tr8(r);
        for (int k = 0; k < 8; k++) {
          float *d = drow + (size_t)(c + k) * HW + i;
          if (x->add)
            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), r[k]));
          else
            _mm256_storeu_ps(d, _mm256_add_ps(r[k], bv[k]));
        }
      }
    }
  }
}

/* SWELL_WINO_STAGING=scalar forces the scalar copies (for A/B runs). */
static bool stage_avx2(void) { return kernels() != &kernels_base && !g_stage_scalar; }

static void (*to_nhwc(void))(void *, int64_t, int64_t) {
  return stage_avx2() ? to_nhwc_chunk_avx2 : to_nhwc_chunk;
}

static void (*from_nhwc(void))(void *, int64_t, int64_t) {
  return stage_avx2() ? from_nhwc_chunk_avx2 : from_nhwc_chunk;
}

/* The input of g staged into X (its padding as the zero border). */
static void stage_input(const wgeom *g, const float *inp, float *X) {
  nhwc_ctx st = {.src = inp, .dst = X, .C = g->C, .H = g->H, .W = g->W, .Hs = g->Hs,
                  .Ws = g->Ws, .Cs = g->Cp, .oy = g->pt, .ox = g->pl};
  sw_parallel_for((int64_t)g->B * g->Hs, 1, to_nhwc(), &st);
}

typedef struct {
  const wgeom *g;
  const wino_kernels *k;
  const float *X, *U;
  float *O, *scratch;
  bool packed; /* U packed for sw_sgemm_avx512_pb */
} conv_ctx;

static int block_len(const wgeom *g, int64_t t0, int64_t T) {
  return (int)(g->tiles - t0 < T ? g->tiles - t0 : T);
}

/* Slots [s0, s1): slot s runs blocks s, s + slots, ... in its own scratch. */
static void conv_slots(void *vctx, int64_t s0, int64_t s1) {
  conv_ctx *x = vctx;
  const wgeom *g = x->g;
  const int C = g->C, K = g->K;
  const size_t per = slot_one(g);
  for (int64_t s = s0; s < s1; s++) {
    float *V = x->scratch + (size_t)s * per, *M = V + (size_t)g->np * pos_stride(g->T, C);
    for (int64_t blk = s; blk < g->nblocks; blk += g->slots) {
      const int64_t t0 = blk * g->T;
      const int n = block_len(g, t0, g->T);
      x->k->in_tiles(g, x->X, t0, n, 0, n, V);
      for (int p = 0; p < g->np; p++) {
        if (x->packed)
          sw_sgemm_avx512_pb(false, n, K, C, 1.0f, V + p * pos_stride(n, C), C,
                             x->U + (size_t)p * sw_gemm_pb_floats(C, K), 0.0f,
                             M + p * pos_stride(n, K), K);
        else
          sw_sgemm_serial(false, false, n, K, C, 1.0f, V + p * pos_stride(n, C), C,
                          x->U + (size_t)p * C * K, K, 0.0f, M + p * pos_stride(n, K), K);
      }
      x->k->out_tiles(g, M, t0, n, 0, n, x->O);
    }
  }
}

/* U = the filters w[o*so + i*si] of g transformed (packed: for sw_sgemm_avx512_pb). */
static void transform_filters(const wgeom *g, float *U, const float *w, size_t so, size_t si,
                              bool flip, bool packed) {
  if (packed && g->K % 64) memset(U, 0, (size_t)g->np * sw_gemm_pb_floats(g->C, g->K) * 4);
  filt_ctx f = {.k = kernels(), .m = g->m, .w = w, .so = so, .si = si, .flip = flip,
                .packed = packed, .C = g->C, .K = g->K, .U = U};
  sw_parallel_for(filt_items(g->C, g->K, f.k->lanes), 16, weights_chunk, &f);
}

/* out (=, + bias, or +=) = the convolution g of inp with the transformed filters U;
 * ws: staged maps and slots (geom_floats less the filters). */
static void wino_run(const wgeom *g, float *out, const float *inp, const float *U, bool packed,
                     const float *bias, bool add, float *ws) {
  const wino_kernels *k = kernels();
  float *X = ws, *O = X + staged_in(g);
  stage_input(g, inp, X);
  conv_ctx x = {.g = g, .k = k, .X = X, .U = U, .O = O, .scratch = O + staged_out(g),
                .packed = packed};
  sw_parallel_for(g->slots, 1, conv_slots, &x);
  nhwc_ctx st = {.src = O, .dst = out, .bias = bias, .C = g->K, .H = g->OH, .W = g->OW,
                  .Hs = g->Hq, .Ws = g->Wq, .Cs = g->Kp, .add = add};
  sw_parallel_for((int64_t)g->B * g->OH, 1, from_nhwc(), &st);
}

/* SWELL_WINO_NOPACK=1: U in the plain layout, repacked by every product (A/B runs). */
static bool nopack(void) {
  pthread_once(&g_isa_once, isa_init);
  return g_nopack;
}

/* out (=, + bias, or +=) = the convolution g of inp with filters w[o*so + i*si] */
static void wino_conv(const wgeom *g, float *out, const float *inp, const float *w, size_t so,
                      size_t si, bool flip, const float *bias, bool add, float *ws) {
  /* with the AVX-512 gemm, U is packed once for all the blocks' products */
  const bool packed = sw_gemm_uses_avx512() && !nopack();
  float *U = ws;
  transform_filters(g, U, w, so, si, flip, packed);
  wino_run(g, out, inp, U, packed, bias, add, U + (size_t)g->np * sw_gemm_pb_floats(g->C, g->K));
}

bool sw_wino_can_pack(void) { return sw_gemm_uses_avx512() && !nopack(); }

size_t sw_wino_weights_floats(const sw_conv2d *c, int tile, bool packed) {
  wgeom g;
  geom_fwd(&g, c, tile);
  return (size_t)g.np * (packed ? sw_gemm_pb_floats(g.C, g.K) : (size_t)g.C * g.K);
}

void sw_wino_transform_weights(const sw_conv2d *c, int tile, bool packed, const float *weight,
                               float *U) {
  wgeom g;
  geom_fwd(&g, c, tile);
  transform_filters(&g, U, weight, (size_t)c->Cin * 9, 9, false, packed);
}

size_t sw_wino_workspace_pre(const sw_conv2d *c, int tile) {
  wgeom g;
  geom_fwd(&g, c, tile);
  return staged_in(&g) + staged_out(&g) + slot_floats(&g);
}

void sw_wino_forward_pre(const sw_conv2d *c, int tile, bool packed, float *out, const float *inp,
                         const float *U, const float *bias, float *ws) {
  wgeom g;
  geom_fwd(&g, c, tile);
  wino_run(&g, out, inp, U, packed, bias, false, ws);
}

void sw_wino_forward(const sw_conv2d *c, int tile, float *out, const float *inp,
                     const float *weight, const float *bias, float *ws) {
  wgeom g;
  geom_fwd(&g, c, tile);
  wino_conv(&g, out, inp, weight, (size_t)c->Cin * 9, 9, false, bias, false, ws);
}

typedef struct {
  const wgeom *g;
  const wino_kernels *k;
  const float *src;
  float *dst;
  int64_t t0;
  int n;
} tiles_ctx;

static void in_tiles_chunk(void *vctx, int64_t i0, int64_t i1) {
  tiles_ctx *x = vctx;
  x->k->in_tiles(x->g, x->src, x->t0, x->n, (int)i0, (int)i1, x->dst);
}

static void dout_tiles_chunk(void *vctx, int64_t i0, int64_t i1) {
  tiles_ctx *x = vctx;
  x->k->dout_tiles(x->g, x->src, x->t0, x->n, (int)i0, (int)i1, x->dst);
}

typedef struct {
  const float *V, *Y;
  float *dU;
  int n, C, K;
  float beta;
} du_ctx;

/* Positions [p0, p1): dU[xi] (C, K) = beta * dU[xi] + V[xi]^T (C, n) @ Y[xi] (n, K) */
static void du_chunk(void *vctx, int64_t p0, int64_t p1) {
  du_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++)
    sw_sgemm_serial(true, false, x->C, x->K, x->n, 1.0f, x->V + p * pos_stride(x->n, x->C), x->C,
                    x->Y + p * pos_stride(x->n, x->K), x->K, x->beta,
                    x->dU + (size_t)p * x->C * x->K, x->K);
}

static void wino_dweight(const sw_conv2d *c, int tile, float *dweight, const float *dout,
                         const float *inp, float *ws) {
  const wino_kernels *k = kernels();
  wgeom g;
  geom_fwd(&g, c, tile);
  const int C = g.C, K = g.K;
  const int64_t Tw = (int64_t)g.slots * g.T; /* the slots' scratch, as one block */
  float *dU = ws, *X = dU + (size_t)g.np * C * K, *D = X + staged_in(&g);
  float *V = D + staged_out(&g), *Y = V + (size_t)g.np * pos_stride((int)Tw, C);
  stage_input(&g, inp, X);
  nhwc_ctx st = {.src = dout, .dst = D, .C = K, .H = g.OH, .W = g.OW, .Hs = g.Hq, .Ws = g.Wq,
                  .Cs = g.Kp};
  sw_parallel_for((int64_t)g.B * g.Hq, 1, to_nhwc(), &st);
  for (int64_t t0 = 0; t0 < g.tiles; t0 += Tw) {
    const int n = block_len(&g, t0, Tw);
    tiles_ctx tx = {.g = &g, .k = k, .src = X, .dst = V, .t0 = t0, .n = n};
    sw_parallel_for(n, 4, in_tiles_chunk, &tx);
    tx.src = D;
    tx.dst = Y;
    sw_parallel_for(n, 4, dout_tiles_chunk, &tx);
    du_ctx ux = {.V = V, .Y = Y, .dU = dU, .n = n, .C = C, .K = K, .beta = t0 == 0 ? 0.0f : 1.0f};
    sw_parallel_for(g.np, 1, du_chunk, &ux);
  }
  filt_ctx f = {.k = k, .m = g.m, .C = C, .K = K, .dU = dU, .dw = dweight};
  sw_parallel_for(filt_items(C, K, k->lanes), 16, dweights_chunk, &f);
}

void sw_wino_backward(const sw_conv2d *c, int tile, float *dinp, float *dweight,
                      const float *dout, const float *inp, const float *weight, float *ws) {
  if (dweight) wino_dweight(c, tile, dweight, dout, inp, ws);
  if (dinp) {
    /* filter (i = co, o = ci) of the rotated kernel is weight[co][ci] flipped */
    wgeom g;
    geom_bwd_data(&g, c, tile);
    wino_conv(&g, dinp, dout, weight, 9, (size_t)c->Cin * 9, true, NULL, true, ws);
  }
}
