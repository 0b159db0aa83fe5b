/* winograd.c: F(4x4, 3x3) and F(2x2, 3x3) Winograd convolution (winograd.h).
 *
 * The output map is cut into m x m tiles (m = 4 or 2), each computed from an
 * a x a input patch d (a = m + 2): per tile and channel V = Bt d B, per filter
 * U = G g Gt, and out = At (sum over input channels of U . V) A. The tile
 * bodies are written once for both, inlined with m constant. For each of the
 * a * a positions xi the channel sum is one sgemm (tiles x Cin) @ (Cin x Cout), so
 * transformed data is laid out [a * a][tiles][channels] and every transform
 * works on 8 channels at once (the lanes of one 8-float vector). So that a
 * tile's 8 channels at one pixel are one vector load (and store), the input
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
 * so the bits do not depend on the thread count. The transforms are compiled
 * twice, for the engine's x86-64-v2 baseline and for AVX2, chosen at run
 * time (sw_wino_set_avx2 forces the baseline, for the tests). */
#include "winograd.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "parallel.h"

#define WL 8 /* channel lanes per transform */
#define WP 36 /* positions of a transformed 6x6 tile (the most, F(4x4)) */
#define WINO_SLOTS 8
#define WINO_TMIN 16
#define WINO_TMIN_BIG 64
#define WINO_BIG_FILTER (128 * 128) /* Cin * Cout from which blocks are >= WINO_TMIN_BIG */
#define WINO_TMAX 128
/* floats of V + M per slot: most of a 512 KB L2 */
#define WINO_BLOCK_FLOATS (96 * 1024)

typedef float v8 __attribute__((vector_size(32)));

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

static size_t slot_floats(const wgeom *g) {
  return (size_t)g->slots * g->np * g->T * (size_t)(g->C + g->K);
}

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

/* ---- 1-D transforms on 8-lane vectors: y[i*ys] = M x[j*xs] ---------------- */

/* Bt (6 -> 6) */
AI void bt6(const v8 *x, int xs, v8 *y, int ys) {
  v8 x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs];
  y[0] = 4.0f * x0 - 5.0f * x2 + x4;
  y[ys] = x3 + x4 - 4.0f * (x1 + x2);
  y[2 * ys] = x4 - x3 + 4.0f * (x1 - x2);
  y[3 * ys] = x4 - x2 + 2.0f * (x3 - x1);
  y[4 * ys] = x4 - x2 + 2.0f * (x1 - x3);
  y[5 * ys] = 4.0f * x1 - 5.0f * x3 + x5;
}

/* G (3 -> 6) */
AI void g6(const v8 *x, int xs, v8 *y, int ys) {
  v8 g0 = x[0], g1 = x[xs], g2 = x[2 * xs];
  v8 a = g0 + g2, b = g0 * (1.0f / 24) + g2 * (1.0f / 6);
  y[0] = g0 * 0.25f;
  y[ys] = (a + g1) * (-1.0f / 6);
  y[2 * ys] = (a - g1) * (-1.0f / 6);
  y[3 * ys] = b + g1 * (1.0f / 12);
  y[4 * ys] = b - g1 * (1.0f / 12);
  y[5 * ys] = g2;
}

/* At (6 -> 4) */
AI void at4(const v8 *x, int xs, v8 *y, int ys) {
  v8 m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs], m4 = x[4 * xs], m5 = x[5 * xs];
  v8 s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  y[0] = m0 + s12 + s34;
  y[ys] = d12 + 2.0f * d34;
  y[2 * ys] = s12 + 4.0f * s34;
  y[3 * ys] = d12 + 8.0f * d34 + m5;
}

/* A (4 -> 6), the adjoint of At */
AI void a6(const v8 *x, int xs, v8 *y, int ys) {
  v8 y0 = x[0], y1 = x[xs], y2 = x[2 * xs], y3 = x[3 * xs];
  v8 e = y0 + y2, o = y1 + y3, e4 = y0 + 4.0f * y2, o4 = 2.0f * y1 + 8.0f * y3;
  y[0] = y0;
  y[ys] = e + o;
  y[2 * ys] = e - o;
  y[3 * ys] = e4 + o4;
  y[4 * ys] = e4 - o4;
  y[5 * ys] = y3;
}

/* Gt (6 -> 3), the adjoint of G */
AI void gt3(const v8 *x, int xs, v8 *y, int ys) {
  v8 u0 = x[0], u1 = x[xs], u2 = x[2 * xs], u3 = x[3 * xs], u4 = x[4 * xs], u5 = x[5 * xs];
  v8 s12 = u1 + u2, d12 = u2 - u1, s34 = u3 + u4, d34 = u3 - u4;
  y[0] = u0 * 0.25f - s12 * (1.0f / 6) + s34 * (1.0f / 24);
  y[ys] = d12 * (1.0f / 6) + d34 * (1.0f / 12);
  y[2 * ys] = (s34 - s12) * (1.0f / 6) + u5;
}

/* F(2x2, 3x3) (points 0, +-1, inf): Bt (4 -> 4), G (3 -> 4), At (4 -> 2) and the
 * adjoints A (2 -> 4), Gt (4 -> 3) */
AI void bt4(const v8 *x, int xs, v8 *y, int ys) {
  v8 x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs];
  y[0] = x0 - x2;
  y[ys] = x1 + x2;
  y[2 * ys] = x2 - x1;
  y[3 * ys] = x1 - x3;
}

AI void g4(const v8 *x, int xs, v8 *y, int ys) {
  v8 g0 = x[0], g1 = x[xs], g2 = x[2 * xs], h = (g0 + g2) * 0.5f;
  y[0] = g0;
  y[ys] = h + g1 * 0.5f;
  y[2 * ys] = h - g1 * 0.5f;
  y[3 * ys] = g2;
}

AI void at2(const v8 *x, int xs, v8 *y, int ys) {
  v8 m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs];
  y[0] = m0 + m1 + m2;
  y[ys] = m1 - m2 - m3;
}

AI void a4(const v8 *x, int xs, v8 *y, int ys) {
  v8 y0 = x[0], y1 = x[xs];
  y[0] = y0;
  y[ys] = y0 + y1;
  y[2 * ys] = y0 - y1;
  y[3 * ys] = -y1;
}

AI void gt3_2(const v8 *x, int xs, v8 *y, int ys) {
  v8 u0 = x[0], u1 = x[xs], u2 = x[2 * xs], u3 = x[3 * xs];
  v8 h = (u1 + u2) * 0.5f;
  y[0] = u0 + h;
  y[ys] = (u1 - u2) * 0.5f;
  y[2 * ys] = h + u3;
}

/* The transforms of tile m (a compile-time constant wherever these inline). */
#define TILE_TRANSFORM(name, f4, f2)                                                           \
  AI void name(int m, const v8 *x, int xs, v8 *y, int ys) {                                    \
    if (m == 4)                                                                                \
      f4(x, xs, y, ys);                                                                        \
    else                                                                                       \
      f2(x, xs, y, ys);                                                                        \
  }
TILE_TRANSFORM(bt_m, bt6, bt4)
TILE_TRANSFORM(g_m, g6, g4)
TILE_TRANSFORM(at_m, at4, at2)
TILE_TRANSFORM(a_m, a6, a4)
TILE_TRANSFORM(gt_m, gt3, gt3_2)

/* n lanes of v to dst (all 8 with one copy) and back */
AI void put8(float *dst, const v8 *v, int n) {
  if (n == WL)
    memcpy(dst, v, sizeof *v);
  else
    memcpy(dst, v, (size_t)n * sizeof(float));
}
AI void get8(v8 *v, const float *src, int n) {
  if (n == WL)
    memcpy(v, src, sizeof *v);
  else
    memcpy(v, src, (size_t)n * sizeof(float));
}

/* ---- tile kernels -------------------------------------------------------- */

/* Tile t's image and the top-left corner of its 4x4 output square. */
static void tile_at(const wgeom *g, int64_t t, int *b, int *oh0, int *ow0) {
  int r = (int)(t % g->tpi);
  *b = (int)(t / g->tpi);
  *oh0 = (r / g->tw) * g->m;
  *ow0 = (r % g->tw) * g->m;
}

/* Tiles [i0, i1) of the block starting at tile t0 (n tiles): the 6x6 patches
 * of the staged input X (B, Hs, Ws, Cp) -> V[xi][i][c], rows n*C floats apart. */
AI void in_tiles_body(const int m, const wgeom *g, const float *X, int64_t t0, int n, int i0,
                      int i1, float *V) {
  const int a = m + 2;
  const int C = g->C, Cp = g->Cp;
  const size_t xs = (size_t)n * C, rs = (size_t)g->Ws * Cp;
  for (int i = i0; i < i1; i++) {
    int b, h0, w0;
    tile_at(g, t0 + i, &b, &h0, &w0);
    const float *base = X + ((size_t)b * g->Hs + h0) * rs + (size_t)w0 * Cp;
    for (int c0 = 0; c0 < C; c0 += WL) {
      const int nl = C - c0 < WL ? C - c0 : WL;
      v8 d[WP], e[WP];
      for (int r = 0; r < a; r++)
        for (int k = 0; k < a; k++) get8(&d[r * a + k], base + r * rs + (size_t)k * Cp + c0, WL);
      for (int k = 0; k < a; k++) bt_m(m, d + k, a, e + k, a);
      for (int r = 0; r < a; r++) bt_m(m, e + r * a, 1, d + r * a, 1);
      float *dst = V + (size_t)i * C + c0;
      for (int k = 0; k < a * a; k++) put8(dst + k * xs, &d[k], nl);
    }
  }
}

/* Tiles [i0, i1): M[xi][i][k] -> their 4x4 squares of the staged output
 * O (B, Hq, Wq, Kp). */
AI void out_tiles_body(const int m, const wgeom *g, const float *M, int64_t t0, int n, int i0,
                       int i1, float *O) {
  const int a = m + 2;
  const int K = g->K, Kp = g->Kp;
  const size_t xs = (size_t)n * K, rs = (size_t)g->Wq * Kp;
  for (int i = i0; i < i1; i++) {
    int b, h0, w0;
    tile_at(g, t0 + i, &b, &h0, &w0);
    float *base = O + ((size_t)b * g->Hq + h0) * rs + (size_t)w0 * Kp;
    for (int k0 = 0; k0 < K; k0 += WL) {
      const int nl = K - k0 < WL ? K - k0 : WL;
      v8 mm[WP], e[24];
      if (nl < WL) memset(mm, 0, sizeof mm);
      const float *src = M + (size_t)i * K + k0;
      for (int k = 0; k < a * a; k++) get8(&mm[k], src + k * xs, nl);
      for (int k = 0; k < a; k++) at_m(m, mm + k, a, e + k, a);
      for (int r = 0; r < m; r++) at_m(m, e + r * a, 1, mm + r * m, 1);
      for (int r = 0; r < m; r++)
        for (int k = 0; k < m; k++) put8(base + r * rs + (size_t)k * Kp + k0, &mm[r * m + k], WL);
    }
  }
}

/* Tiles [i0, i1) of the forward geometry: the 4x4 squares of the staged dout
 * D (B, Hq, Wq, Kp) -> Y[xi][i][k] = A dy At. */
AI void dout_tiles_body(const int m, const wgeom *g, const float *D, int64_t t0, int n, int i0,
                        int i1, float *Y) {
  const int a = m + 2;
  const int K = g->K, Kp = g->Kp;
  const size_t xs = (size_t)n * K, rs = (size_t)g->Wq * Kp;
  for (int i = i0; i < i1; i++) {
    int b, h0, w0;
    tile_at(g, t0 + i, &b, &h0, &w0);
    const float *base = D + ((size_t)b * g->Hq + h0) * rs + (size_t)w0 * Kp;
    for (int k0 = 0; k0 < K; k0 += WL) {
      const int nl = K - k0 < WL ? K - k0 : WL;
      v8 y[16], e[24], z[WP];
      for (int r = 0; r < m; r++)
        for (int k = 0; k < m; k++) get8(&y[r * m + k], base + r * rs + (size_t)k * Kp + k0, WL);
      for (int k = 0; k < m; k++) a_m(m, y + k, m, e + k, m);
      for (int r = 0; r < a; r++) a_m(m, e + r * m, 1, z + r * a, 1);
      float *dst = Y + (size_t)i * K + k0;
      for (int k = 0; k < a * a; k++) put8(dst + k * xs, &z[k], nl);
    }
  }
}

/* Filters as (input channel i, group of 8 output channels) items [p0, p1):
 * filter (i, o) is w[o*so + i*si + tap] (tap 8 - k when flipped) ->
 * U[xi][i][o] = G g Gt, rows K floats apart; or (packed) each U[xi] packed for
 * sw_sgemm_avx512_pb (64-column panels, rows 64 floats apart). */
AI void weights_body(const int m, const float *w, size_t so, size_t si, bool flip, bool packed,
                     int C, int K, float *U, int64_t p0, int64_t p1) {
  const int a = m + 2;
  const int ng = (K + WL - 1) / WL;
  for (int64_t p = p0; p < p1; p++) {
    const int i = (int)(p / ng), o0 = (int)(p % ng) * WL;
    const int nl = K - o0 < WL ? K - o0 : WL;
    v8 gk[9], e[18], u[WP];
    if (nl < WL) memset(gk, 0, sizeof gk);
    for (int l = 0; l < nl; l++) {
      const float *q = w + (size_t)(o0 + l) * so + (size_t)i * si;
      for (int k = 0; k < 9; k++) gk[k][l] = q[flip ? 8 - k : k];
    }
    for (int k = 0; k < 3; k++) g_m(m, gk + k, 3, e + k, 3);
    for (int r = 0; r < a; r++) g_m(m, e + r * 3, 1, u + r * a, 1);
    float *dst = U + (packed ? sw_gemm_pb_index(C, i, o0) : (size_t)i * K + o0);
    const size_t ps = packed ? sw_gemm_pb_floats(C, K) : (size_t)C * K;
    for (int k = 0; k < a * a; k++) put8(dst + (size_t)k * ps, &u[k], nl);
  }
}

/* The same items: dweight (K, C, 3, 3) += Gt dU[.][i][o] G. */
AI void dweights_body(const int m, const float *dU, int C, int K, float *dw, int64_t p0,
                      int64_t p1) {
  const int a = m + 2;
  const int ng = (K + WL - 1) / WL;
  for (int64_t p = p0; p < p1; p++) {
    const int i = (int)(p / ng), o0 = (int)(p % ng) * WL;
    const int nl = K - o0 < WL ? K - o0 : WL;
    v8 du[WP], e[18], r9[9];
    if (nl < WL) memset(du, 0, sizeof du);
    const float *src = dU + (size_t)i * K + o0;
    for (int k = 0; k < a * a; k++) get8(&du[k], src + (size_t)k * C * K, nl);
    for (int k = 0; k < a; k++) gt_m(m, du + k, a, e + k, a);
    for (int r = 0; r < 3; r++) gt_m(m, e + r * a, 1, r9 + r * 3, 1);
    for (int l = 0; l < nl; l++) {
      float *q = dw + ((size_t)(o0 + l) * C + i) * 9;
      for (int k = 0; k < 9; k++) q[k] += r9[k][l];
    }
  }
}

typedef struct {
  void (*in_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*out_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*dout_tiles)(const wgeom *, const float *, int64_t, int, int, int, float *);
  void (*weights)(int, const float *, size_t, size_t, bool, bool, int, int, float *, int64_t,
                  int64_t);
  void (*dweights)(int, const float *, int, int, float *, int64_t, int64_t);
} wino_kernels;

/* The kernels above, instantiated for one instruction set and both tiles (the
 * branch on the tile picks a body inlined with m constant). */
#define WINO_TILE(m, body, ...) ((m) == 4 ? body(4, __VA_ARGS__) : body(2, __VA_ARGS__))
#define WINO_KERNELS(sfx, attr)                                                                \
  attr static void in_tiles_##sfx(const wgeom *g, const float *s, int64_t t0, int n, int i0,   \
                                  int i1, float *V) {                                          \
    WINO_TILE(g->m, in_tiles_body, g, s, t0, n, i0, i1, V);                                    \
  }                                                                                            \
  attr static void out_tiles_##sfx(const wgeom *g, const float *M, int64_t t0, int n, int i0,  \
                                   int i1, float *O) {                                         \
    WINO_TILE(g->m, out_tiles_body, g, M, t0, n, i0, i1, O);                                   \
  }                                                                                            \
  attr static void dout_tiles_##sfx(const wgeom *g, const float *s, int64_t t0, int n, int i0, \
                                    int i1, float *Y) {                                        \
    WINO_TILE(g->m, dout_tiles_body, g, s, t0, n, i0, i1, Y);                                  \
  }                                                                                            \
  attr static void weights_##sfx(int m, const float *w, size_t so, size_t si, bool flip,     \
                                 bool packed, int C, int K, float *U, int64_t p0, int64_t p1) { \
    WINO_TILE(m, weights_body, w, so, si, flip, packed, C, K, U, p0, p1);                      \
  }                                                                                            \
  attr static void dweights_##sfx(int m, const float *dU, int C, int K, float *dw, int64_t p0, \
                                  int64_t p1) {                                                \
    WINO_TILE(m, dweights_body, dU, C, K, dw, p0, p1);                                         \
  }                                                                                            \
  static const wino_kernels kernels_##sfx = {in_tiles_##sfx, out_tiles_##sfx, dout_tiles_##sfx, \
                                             weights_##sfx, dweights_##sfx};

WINO_KERNELS(base, )
WINO_KERNELS(avx2, __attribute__((target("avx2,fma"))))

static pthread_once_t g_isa_once = PTHREAD_ONCE_INIT;
static bool g_has_avx2, g_use_avx2;
static bool g_stage_scalar, g_nopack; /* SWELL_WINO_STAGING=scalar, SWELL_WINO_NOPACK */

static void isa_init(void) {
  __builtin_cpu_init();
  g_has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  g_use_avx2 = g_has_avx2;
  const char *e = getenv("SWELL_WINO_STAGING");
  g_stage_scalar = e && !strcmp(e, "scalar");
  g_nopack = getenv("SWELL_WINO_NOPACK") != NULL;
}

bool sw_wino_set_avx2(bool on) {
  pthread_once(&g_isa_once, isa_init);
  g_use_avx2 = on && g_has_avx2;
  return g_use_avx2;
}

static const wino_kernels *kernels(void) {
  pthread_once(&g_isa_once, isa_init);
  return g_use_avx2 ? &kernels_avx2 : &kernels_base;
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

static int64_t filt_items(int C, int K) { return (int64_t)C * ((K + WL - 1) / WL); }

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

/* Staged rows [r0, r1) of B*Hs: dst = staged src. */
static void to_nhwc_chunk(void *vctx, int64_t r0, int64_t r1) {
  nhwc_ctx *x = vctx;
  for (int64_t row = r0; row < r1; row++) {
    const int b = (int)(row / x->Hs), y = (int)(row % x->Hs) - x->oy;
    float *drow = x->dst + (size_t)row * x->Ws * x->Cs;
    memset(drow, 0, (size_t)x->Ws * x->Cs * sizeof(float));
    if (y < 0 || y >= x->H) continue;
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
    memset(drow, 0, (size_t)x->Ws * x->Cs * sizeof(float));
    if (y < 0 || y >= x->H) continue;
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
static bool stage_avx2(void) { return kernels() == &kernels_avx2 && !g_stage_scalar; }

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
  const size_t per = (size_t)g->np * g->T * (size_t)(C + K);
  for (int64_t s = s0; s < s1; s++) {
    float *V = x->scratch + (size_t)s * per, *M = V + (size_t)g->np * g->T * C;
    for (int64_t blk = s; blk < g->nblocks; blk += g->slots) {
      const int64_t t0 = blk * g->T;
      const int n = block_len(g, t0, g->T);
      x->k->in_tiles(g, x->X, t0, n, 0, n, V);
      for (int p = 0; p < g->np; p++) {
        if (x->packed)
          sw_sgemm_avx512_pb(false, n, K, C, 1.0f, V + (size_t)p * n * C, C,
                             x->U + (size_t)p * sw_gemm_pb_floats(C, K), 0.0f,
                             M + (size_t)p * n * K, K);
        else
          sw_sgemm_serial(false, false, n, K, C, 1.0f, V + (size_t)p * n * C, C,
                          x->U + (size_t)p * C * K, K, 0.0f, M + (size_t)p * n * K, K);
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
  sw_parallel_for(filt_items(g->C, g->K), 16, weights_chunk, &f);
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
  const size_t n = (size_t)x->n;
  for (int64_t p = p0; p < p1; p++)
    sw_sgemm_serial(true, false, x->C, x->K, x->n, 1.0f, x->V + p * n * x->C, x->C,
                    x->Y + p * n * x->K, x->K, x->beta, x->dU + (size_t)p * x->C * x->K, x->K);
}

static void wino_dweight(const sw_conv2d *c, int tile, float *dweight, const float *dout,
                         const float *inp, float *ws) {
  const wino_kernels *k = kernels();
  wgeom g;
  geom_fwd(&g, c, tile);
  const int C = g.C, K = g.K;
  const int64_t Tw = (int64_t)g.slots * g.T; /* the slots' scratch, as one block */
  float *dU = ws, *X = dU + (size_t)g.np * C * K, *D = X + staged_in(&g);
  float *V = D + staged_out(&g), *Y = V + (size_t)g.np * Tw * C;
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
  sw_parallel_for(filt_items(C, K), 16, dweights_chunk, &f);
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
