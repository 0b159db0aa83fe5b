/* conv2d forward/backward.
 *
 *  - general case (any kernel, stride, padding, groups): im2col into the
 *    workspace and one sgemm per group (gemm.h: split over the engine's
 *    threads). Small feature maps are batched, several images per column
 *    matrix (>= SW_CONV_COLS columns), with a staging copy between the
 *    (Cout, images*OH*OW) product and the NCHW tensor;
 *  - 1x1 stride-1 unpadded with large maps: the input already is the column
 *    matrix, so no im2col (and dinp is one gemm straight into the gradient);
 *  - backward: dweight += dout @ col^T, dcol = W^T @ dout then col2im (adds);
 *  - depthwise (groups == Cin == Cout): direct kernels over (b, c) planes,
 *    3x3 stride 1/2 on zero-padded planes so the loops vectorise, as PyTorch
 *    also does for depthwise; a generic direct kernel for other sizes.
 *  - 3x3 stride-1 groups-1: Winograd F(4x4, 3x3) or F(2x2, 3x3) (winograd.c),
 *    the tile per pass from measurement (wino_auto), unless
 *    sw_conv2d_set_algo / SWELL_CONV says otherwise.
 * The *_ref kernels are the naive loops, for the tests.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "gemm.h"
#include "parallel.h"
#include "vec.h"
#include "winograd.h"

static int conv_out(int in, int k, int s, int lo, int hi) {
  int o = (in + lo + hi - k) / s + 1;
  return (in + lo + hi < k) ? 0 : o;
}

void sw_conv2d_init_pad(sw_conv2d *c, int B, int Cin, int H, int W, int Cout, int K, int stride,
                        int pad_t, int pad_l, int pad_b, int pad_r, int groups) {
  memset(c, 0, sizeof *c);
  c->B = B;
  c->Cin = Cin;
  c->H = H;
  c->W = W;
  c->Cout = Cout;
  c->KH = K;
  c->KW = K;
  c->stride = stride;
  c->pad_t = pad_t;
  c->pad_l = pad_l;
  c->pad_b = pad_b;
  c->pad_r = pad_r;
  c->groups = groups > 0 ? groups : 1;
  c->OH = conv_out(H, K, stride, pad_t, pad_b);
  c->OW = conv_out(W, K, stride, pad_l, pad_r);
}

void sw_conv2d_init(sw_conv2d *c, int B, int Cin, int H, int W, int Cout, int K, int stride,
                    int pad, int groups) {
  sw_conv2d_init_pad(c, B, Cin, H, W, Cout, K, stride, pad, pad, pad, pad, groups);
}

static bool is_depthwise(const sw_conv2d *c) {
  return c->groups > 1 && c->groups == c->Cin && c->groups == c->Cout;
}

static bool is_pointwise(const sw_conv2d *c) {
  return c->KH == 1 && c->KW == 1 && c->stride == 1 && c->pad_t == 0 && c->pad_l == 0 &&
         c->pad_b == 0 && c->pad_r == 0;
}

/* Images per gemm: small feature maps are batched so that one gemm sees at
 * least SW_CONV_COLS columns (OpenBLAS is far from peak at N = 49 or 196). */
#define SW_CONV_COLS 3072

static int conv_nb(const sw_conv2d *c) {
  size_t ohw = (size_t)c->OH * c->OW;
  if (ohw == 0) return 1;
  size_t nb = (SW_CONV_COLS + ohw - 1) / ohw;
  if (nb > (size_t)c->B) nb = (size_t)c->B;
  return nb < 1 ? 1 : (int)nb;
}

/* ---- algorithm choice ---------------------------------------------------- */

static pthread_once_t g_algo_once = PTHREAD_ONCE_INIT;
static sw_conv_algo g_algo = SW_CONV_AUTO;

static void algo_from_env(void) {
  const char *e = getenv("SWELL_CONV");
  if (e && !strcmp(e, "im2col")) g_algo = SW_CONV_IM2COL;
  if (e && !strcmp(e, "winograd")) g_algo = SW_CONV_WINOGRAD;
  if (e && !strcmp(e, "winograd2")) g_algo = SW_CONV_WINOGRAD2;
}

void sw_conv2d_set_algo(sw_conv_algo algo) {
  pthread_once(&g_algo_once, algo_from_env);
  g_algo = algo;
}

sw_conv_algo sw_conv2d_get_algo(void) {
  pthread_once(&g_algo_once, algo_from_env);
  return g_algo;
}

/* AUTO's choice, pass by pass: the Winograd tile, 0 for im2col. Measured on a 2-core
 * AMD EPYC (Zen, AVX2), 2 threads, batch 16, `bench_engine_layers --ab 1 --iters 5` on a
 * quiet machine (busier runs agree within noise): im2col time / Winograd time, F(4x4) | F(2x2)
 *
 *                forward       bwd-data      bwd-weights
 *   56x56x64     1.57 | 1.15   1.60 | 1.17   1.95 | 1.19
 *   28x28x128    1.67 | 1.44   1.63 | 1.36   2.01 | 1.40
 *   14x14x256    1.78 | 1.35   1.89 | 1.43   2.04 | 1.79
 *   7x7x512      1.28 | 1.10   1.34 | 1.11   1.47 | 1.37
 *
 * (an earlier measurement had 7x7x512 backward-weights at 0.89x with F(4x4); not
 * reproduced in 7 runs).
 * - training forward: F(2x2), for accuracy. F(4x4)'s forward error (8e-6 of the largest
 *   output in test_layers, F(2x2)'s 7e-7) is what training-mode BatchNorm amplifies; the
 *   models test's worst gradient against float64 PyTorch (4x3x64x64, tolerance 1e-3) with
 *   the forward in F(4x4) / F(2x2) / im2col (F(4x4) backward in all three): resnet18
 *   9.3e-4 / 7.3e-4 / 6.2e-4, resnet34 8.6e-4 / 4.2e-4 / 4.9e-4, resnet50 3.5e-4 / 6.2e-4
 *   / 6.1e-4; the backward passes' error moves none of them (all im2col: 6.0e-4, 5.0e-4,
 *   6.0e-4). These worst cases are near-chaotic (uniform noise of 1e-7 of the largest
 *   output added to every 3x3 forward moves resnet34's from 4.9e-4 to 4.1-7.1e-4), so the
 *   forward needs the smallest error that is still faster than im2col: F(2x2);
 * - inference forward (nothing downstream is differentiated): F(4x4);
 * - backward-weights: F(4x4);
 * - backward-data: F(4x4), unless the map is so small for its batch that
 *   transforming F(4x4)'s 36 filter positions (each C x K floats, every step) costs
 *   more than F(2x2)'s larger products save (bwd_data_f4). On an AMD EPYC Zen 5
 *   (AVX-512 gemm, 2 threads, batch 16, --ab 1, two runs), F(4x4) | F(2x2) ms:
 *   7x7x512 12.43 | 10.70 and 10.85 | 9.62, 14x14x256 6.67 | 7.24 and 7.34 | 8.50.
 *   A cost of a per tile position and b per filter position (both per C x K) fits
 *   both runs with b = 129-141 a: F(4x4) wins when 16 T2 - 36 T4 > 20 * 135, T the
 *   batch's tiles of each size (14x14 at batch 16: 3328, by 1 ms as measured; 7x7:
 *   1792);
 * each only where Winograd applies and saves half the multiplications
 * (sw_wino_profitable: not on 2x2 or 5x5 maps). */
static bool bwd_data_f4(const sw_conv2d *c) {
  /* backward-data's output is the conv's input map */
  const int64_t t4 = (int64_t)c->B * ((c->H + 3) / 4) * ((c->W + 3) / 4);
  const int64_t t2 = (int64_t)c->B * ((c->H + 1) / 2) * ((c->W + 1) / 2);
  return 16 * t2 - 36 * t4 > 20 * 135;
}

static int wino_auto(const sw_conv2d *c, sw_conv_pass p) {
  if (!sw_wino_profitable(c)) return 0;
  if (p == SW_CONV_PASS_FORWARD) return 2;
  if (p == SW_CONV_PASS_BWD_DATA && !bwd_data_f4(c)) return 2;
  return 4;
}

int sw_conv2d_winograd_tile(const sw_conv2d *c, sw_conv_pass p) {
  if (is_depthwise(c)) return 0;
  switch (sw_conv2d_get_algo()) {
  case SW_CONV_IM2COL: return 0;
  case SW_CONV_WINOGRAD: return sw_wino_supported(c) ? 4 : 0;
  case SW_CONV_WINOGRAD2: return sw_wino_supported(c) ? 2 : 0;
  default: return wino_auto(c, p);
  }
}

static size_t im2col_workspace(const sw_conv2d *c) {
  if (is_depthwise(c)) return 0;
  int nb = conv_nb(c);
  if (is_pointwise(c) && nb == 1) return 0;
  size_t cols = (size_t)nb * c->OH * c->OW;
  /* the column matrix (Cin*KH*KW, nb*OH*OW), reused for dcol in backward,
   * then (batched only) a staging matrix (Cout, nb*OH*OW) for out / dout,
   * then dweight transposed (dweight_t) */
  return (size_t)c->Cin * c->KH * c->KW * cols + (nb > 1 ? (size_t)c->Cout * cols : 0) +
         (size_t)c->Cin * c->KH * c->KW * (c->Cout / c->groups);
}

/* dweight_g (Cout_g, Kg) += dout_g @ col_g^T has few rows when Cout_g <= 64 (the stem:
 * 64 x 147, K = 12544 per image), which the AVX-512 gemm runs badly and OpenBLAS
 * only so-so (bench_gemm "stem dweight nt"); its transpose col_g @ dout_g^T
 * (Kg, Cout_g) has Kg rows. Summed over the batch in ws, then added transposed. */
static bool dweight_t(const sw_conv2d *c, int Cout_g, int Kg) {
  /* measured on the stem only: 1x1 convs keep the plain product */
  return sw_gemm_uses_avx512() && Cout_g <= 64 && Kg > 64 && !is_depthwise(c) &&
         c->KH * c->KW > 1;
}

/* Enough for either algorithm, so the choice may change between calls. */
size_t sw_conv2d_workspace(const sw_conv2d *c) {
  size_t a = im2col_workspace(c), w = sw_wino_workspace(c);
  return a > w ? a : w;
}

/* ---- im2col / col2im ----------------------------------------------------- */

/* The column matrix of nb images: row r = (ch*KH + kh)*KW + kw, column
 * i*OH*OW + oh*OW + ow for image i; rows are ld floats apart. */
typedef struct {
  const sw_conv2d *c;
  const float *img; /* nb images (Cin, H, W) */
  float *col;
  float *dimg;
  const float *dcol;
  int nb;
  size_t ld;
} col_ctx;

/* Range of ow whose input column ow*s + off lies in [0, W). */
static void valid_range(int OW, int W, int s, int off, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int b = (W - 1 - off) >= 0 ? (W - 1 - off) / s + 1 : 0;
  if (b > OW) b = OW;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* Items [r0, r1) of (image, row) pairs. */
static void im2col_chunk(void *vctx, int64_t r0, int64_t r1) {
  col_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
  const int64_t rows = (int64_t)c->Cin * KH * KW;
  for (int64_t item = r0; item < r1; item++) {
    int64_t i = item / rows, r = item % rows;
    int kw = (int)(r % KW), kh = (int)((r / KW) % KH), ch = (int)(r / (KW * KH));
    const float *img = x->img + ((size_t)i * c->Cin + ch) * H * W;
    float *dst = x->col + (size_t)r * x->ld + (size_t)i * OH * OW;
    int lo, hi;
    valid_range(OW, W, s, kw - c->pad_l, &lo, &hi);
    for (int oh = 0; oh < OH; oh++) {
      int ih = oh * s + kh - c->pad_t;
      float *d = dst + (size_t)oh * OW;
      if (ih < 0 || ih >= H) {
        memset(d, 0, (size_t)OW * sizeof(float));
        continue;
      }
      const float *srow = img + (size_t)ih * W + kw - c->pad_l;
      for (int ow = 0; ow < lo; ow++) d[ow] = 0.0f;
      if (s == 1) {
        memcpy(d + lo, srow + lo, (size_t)(hi - lo) * sizeof(float));
      } else if (s == 2) {
        for (int ow = lo; ow < hi; ow++) d[ow] = srow[2 * ow]; /* constant stride vectorises */
      } else {
        for (int ow = lo; ow < hi; ow++) d[ow] = srow[ow * s];
      }
      for (int ow = hi; ow < OW; ow++) d[ow] = 0.0f;
    }
  }
}

static void im2col(const sw_conv2d *c, const float *img, int nb, float *col, size_t ld) {
  col_ctx x = {.c = c, .img = img, .col = col, .nb = nb, .ld = ld};
  int64_t items = (int64_t)nb * c->Cin * c->KH * c->KW;
  sw_parallel_for(items, 16384 / ((int64_t)c->OH * c->OW + 1) + 1, im2col_chunk, &x);
}

/* Items [p0, p1) of (image, channel) planes: every (kh, kw) row of a channel
 * adds into that plane, in a fixed order. */
static void col2im_chunk(void *vctx, int64_t p0, int64_t p1) {
  col_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
  for (int64_t p = p0; p < p1; p++) {
    int64_t i = p / c->Cin, ch = p % c->Cin;
    float *img = x->dimg + (size_t)p * H * W;
    for (int kh = 0; kh < KH; kh++)
      for (int kw = 0; kw < KW; kw++) {
        const float *src =
            x->dcol + ((size_t)(ch * KH + kh) * KW + kw) * x->ld + (size_t)i * OH * OW;
        int lo, hi;
        valid_range(OW, W, s, kw - c->pad_l, &lo, &hi);
        for (int oh = 0; oh < OH; oh++) {
          int ih = oh * s + kh - c->pad_t;
          if (ih < 0 || ih >= H) continue;
          float *drow = img + (size_t)ih * W + kw - c->pad_l;
          const float *srow = src + (size_t)oh * OW;
          if (s == 1) {
            for (int ow = lo; ow < hi; ow++) drow[ow] += srow[ow];
          } else if (s == 2) {
            for (int ow = lo; ow < hi; ow++) drow[2 * ow] += srow[ow];
          } else {
            for (int ow = lo; ow < hi; ow++) drow[ow * s] += srow[ow];
          }
        }
      }
  }
}

static void col2im_add(const sw_conv2d *c, const float *col, size_t ld, int nb, float *dimg) {
  col_ctx x = {.c = c, .dcol = col, .dimg = dimg, .nb = nb, .ld = ld};
  int64_t per = (int64_t)c->KH * c->KW * c->OH * c->OW;
  sw_parallel_for((int64_t)nb * c->Cin, 16384 / (per + 1) + 1, col2im_chunk, &x);
}

/* ---- staging between (nb, C, OHW) tensors and (C, nb*OHW) matrices ------- */

typedef struct {
  float *dst;
  const float *src;
  const float *bias;
  int C;
  size_t OHW, ld;
  bool to_tensor;
} stage_ctx;

static void stage_chunk(void *vctx, int64_t p0, int64_t p1) {
  stage_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int64_t i = p / x->C, ch = p % x->C;
    float *t = (float *)(x->to_tensor ? x->dst : x->src) + (size_t)p * x->OHW;
    float *m = (float *)(x->to_tensor ? x->src : x->dst) + (size_t)ch * x->ld + (size_t)i * x->OHW;
    if (!x->to_tensor) {
      memcpy(m, t, x->OHW * sizeof(float));
    } else if (x->bias) {
      float b = x->bias[ch];
      for (size_t k = 0; k < x->OHW; k++) t[k] = m[k] + b;
    } else {
      memcpy(t, m, x->OHW * sizeof(float));
    }
  }
}

/* to_tensor: tensor (nb, C, OHW) = matrix (C, ld) [+ bias]; else the reverse. */
static void stage(float *dst, const float *src, const float *bias, int nb, int C, size_t OHW,
                  size_t ld, bool to_tensor) {
  stage_ctx x = {.dst = dst, .src = src, .bias = bias, .C = C, .OHW = OHW, .ld = ld,
                 .to_tensor = to_tensor};
  sw_parallel_for((int64_t)nb * C, 16384 / ((int64_t)OHW + 1) + 1, stage_chunk, &x);
}

/* ---- depthwise ----------------------------------------------------------- *
 * One (b, c) plane at a time. For every output row and kernel tap the work is
 * a unit-stride loop over the output columns: with stride 2 the input row is
 * first split into its even and odd columns (in[2*ow + j] is even[ow + j/2]
 * or odd[ow + (j-1)/2]), so no loop gathers. Reductions (dweight) use 8
 * float lanes in a fixed order. */

typedef struct {
  const sw_conv2d *c;
  float *out;
  const float *inp, *weight, *bias;
  float *dinp, *dweight, *dbias;
  const float *dout;
} dw_ctx;

/* Splits row[0..W) into ev[i] = row[2i], od[i] = row[2i+1]. */
static void deinterleave(const float *row, int W, float *ev, float *od) {
  int i = 0;
  for (; 2 * i + 1 < W; i++) {
    ev[i] = row[2 * i];
    od[i] = row[2 * i + 1];
  }
  if (2 * i < W) ev[i] = row[2 * i];
}

/* Pointer p with p[ow] == in[ow*s + j] for the valid ow (s is 1 or 2). */
static const float *tap_row(const float *row, const float *ev, const float *od, int s, int j) {
  if (s == 1) return row + j;
  /* floor division for negative j */
  return (j % 2 == 0) ? ev + j / 2 : od + (j - 1) / 2;
}

static float *tap_row_mut(float *row, float *ev, float *od, int s, int j) {
  if (s == 1) return row + j;
  return (j % 2 == 0) ? ev + j / 2 : od + (j - 1) / 2;
}

/* Strided depthwise (stride > 2) falls back to gathers. */
static bool dw_fast_stride(const sw_conv2d *c) { return c->stride == 1 || c->stride == 2; }

/* Planes [p0, p1) of (B*C): out[oh, ow] = bias + sum_{kh,kw} w * in[oh*s+kh-pt, ow*s+kw-pl] */
static void dw_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int C = c->Cin, H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
  const bool fast = dw_fast_stride(c);
  float ev[W / 2 + 1], od[W / 2 + 1];
  for (int64_t p = p0; p < p1; p++) {
    int ch = (int)(p % C);
    const float *in = x->inp + (size_t)p * H * W;
    float *o = x->out + (size_t)p * OH * OW;
    const float *w = x->weight + (size_t)ch * KH * KW;
    float b0 = x->bias ? x->bias[ch] : 0.0f;
    for (int oh = 0; oh < OH; oh++) {
      float *orow = o + (size_t)oh * OW;
      for (int ow = 0; ow < OW; ow++) orow[ow] = b0;
      for (int kh = 0; kh < KH; kh++) {
        int ih = oh * s + kh - c->pad_t;
        if (ih < 0 || ih >= H) continue;
        const float *row = in + (size_t)ih * W;
        if (s == 2) deinterleave(row, W, ev, od);
        for (int kw = 0; kw < KW; kw++) {
          int lo, hi, j = kw - c->pad_l;
          valid_range(OW, W, s, j, &lo, &hi);
          float wv = w[kh * KW + kw];
          if (fast) {
            const float *src = tap_row(row, ev, od, s, j);
            for (int ow = lo; ow < hi; ow++) orow[ow] += wv * src[ow];
          } else {
            for (int ow = lo; ow < hi; ow++) orow[ow] += wv * row[ow * s + j];
          }
        }
      }
    }
  }
}

/* Channels [c0, c1): dweight and dbias reduce over the batch inside one item;
 * the dinp planes of that channel are written by the same item. */
static void dw_bwd_chunk(void *vctx, int64_t c0, int64_t c1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int B = c->B, C = c->Cin, H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
  const bool fast = dw_fast_stride(c);
  float ev[W / 2 + 1], od[W / 2 + 1], dev[W / 2 + 1], dod[W / 2 + 1];
  for (int64_t ch = c0; ch < c1; ch++) {
    const float *w = x->weight + (size_t)ch * KH * KW;
    double dwa[KH * KW];
    for (int k = 0; k < KH * KW; k++) dwa[k] = 0;
    double db = 0;
    for (int b = 0; b < B; b++) {
      size_t p = (size_t)b * C + ch;
      const float *in = x->inp + p * H * W;
      const float *dy = x->dout + p * OH * OW;
      float *di = x->dinp ? x->dinp + p * H * W : NULL;
      if (x->dbias)
        for (int oh = 0; oh < OH; oh++) db += sw_sum_d(dy + (size_t)oh * OW, OW);
      float pw[KH * KW];
      for (int k = 0; k < KH * KW; k++) pw[k] = 0.0f;
      for (int oh = 0; oh < OH; oh++) {
        const float *dyr = dy + (size_t)oh * OW;
        for (int kh = 0; kh < KH; kh++) {
          int ih = oh * s + kh - c->pad_t;
          if (ih < 0 || ih >= H) continue;
          const float *row = in + (size_t)ih * W;
          float *drow = di ? di + (size_t)ih * W : NULL;
          if (s == 2 && fast) {
            if (x->dweight) deinterleave(row, W, ev, od);
            if (drow)
              for (int i = 0; i <= W / 2; i++) dev[i] = dod[i] = 0.0f;
          }
          for (int kw = 0; kw < KW; kw++) {
            int lo, hi, j = kw - c->pad_l;
            valid_range(OW, W, s, j, &lo, &hi);
            if (hi <= lo) continue;
            float wv = w[kh * KW + kw];
            if (fast) {
              if (x->dweight) {
                const float *src = tap_row(row, ev, od, s, j);
                pw[kh * KW + kw] += sw_dot(dyr + lo, src + lo, hi - lo);
              }
              if (drow) {
                float *dst = tap_row_mut(drow, dev, dod, s, j);
                for (int ow = lo; ow < hi; ow++) dst[ow] += wv * dyr[ow];
              }
            } else {
              float a = 0.0f;
              for (int ow = lo; ow < hi; ow++) {
                a += dyr[ow] * row[ow * s + j];
                if (drow) drow[ow * s + j] += wv * dyr[ow];
              }
              pw[kh * KW + kw] += a;
            }
          }
          if (s == 2 && fast && drow) {
            int i = 0;
            for (; 2 * i + 1 < W; i++) {
              drow[2 * i] += dev[i];
              drow[2 * i + 1] += dod[i];
            }
            if (2 * i < W) drow[2 * i] += dev[i];
          }
        }
      }
      for (int k = 0; k < KH * KW; k++) dwa[k] += pw[k];
    }
    if (x->dweight)
      for (int k = 0; k < KH * KW; k++) x->dweight[(size_t)ch * KH * KW + k] += (float)dwa[k];
    if (x->dbias) x->dbias[ch] += (float)db;
  }
}

/* ---- depthwise 3x3, stride 1 or 2 ---------------------------------------- *
 * Each plane is first copied into a zero-padded scratch plane P (rows
 * Hp = (OH-1)*s + 3, columns Wp = (OW-1)*s + 3), so every output is the same
 * 9-term expression with no border tests and the loop over output columns
 * vectorises. With stride 2, P is kept as its even and odd columns (E, O):
 * P[r][2m] = E[r][m], P[r][2m+1] = O[r][m]. The scratch lives on the stack
 * (DW3_MAX_SCRATCH floats at most; larger planes use the generic kernel). */

#define DW3_MAX_SCRATCH (256 * 1024)

typedef struct {
  int Hp, Wp, We, Wo;
} dw3_dims;

static dw3_dims dw3_get(const sw_conv2d *c) {
  dw3_dims d;
  d.Hp = (c->OH - 1) * c->stride + 3;
  d.Wp = (c->OW - 1) * c->stride + 3;
  d.We = (d.Wp + 1) / 2;
  d.Wo = d.Wp / 2;
  return d;
}

static bool dw3_ok(const sw_conv2d *c) {
  if (c->KH != 3 || c->KW != 3 || (c->stride != 1 && c->stride != 2) || c->OH < 1 || c->OW < 1)
    return false;
  dw3_dims d = dw3_get(c);
  size_t q = (size_t)(c->H + 2) * (c->W + 2);
  size_t need = (size_t)d.Hp * d.Wp * 2 + q + (size_t)c->OW + 4;
  return need <= DW3_MAX_SCRATCH;
}

/* P (or E/O for stride 2) from one input plane. */
static void dw3_pad(const sw_conv2d *c, const dw3_dims *d, const float *in, float *P) {
  const int H = c->H, W = c->W, pl = c->pad_l;
  /* columns q of P with 0 <= q - pl < W: [qlo, qhi) */
  int qlo = pl < d->Wp ? pl : d->Wp, qhi = pl + W < d->Wp ? pl + W : d->Wp;
  for (int r = 0; r < d->Hp; r++) {
    int ih = r - c->pad_t;
    bool inside = ih >= 0 && ih < H && qhi > qlo;
    const float *row = inside ? in + (size_t)ih * W - pl : NULL; /* row[q] = in[ih][q - pl] */
    if (c->stride == 1) {
      float *dst = P + (size_t)r * d->Wp;
      if (!inside) {
        memset(dst, 0, (size_t)d->Wp * sizeof(float));
        continue;
      }
      for (int q = 0; q < qlo; q++) dst[q] = 0.0f;
      memcpy(dst + qlo, row + qlo, (size_t)(qhi - qlo) * sizeof(float));
      for (int q = qhi; q < d->Wp; q++) dst[q] = 0.0f;
    } else {
      float *E = P + (size_t)r * d->We, *O = P + (size_t)d->Hp * d->We + (size_t)r * d->Wo;
      if (!inside) {
        memset(E, 0, (size_t)d->We * sizeof(float));
        memset(O, 0, (size_t)d->Wo * sizeof(float));
        continue;
      }
      /* E[m] = row[2m] for qlo <= 2m < qhi; O[m] = row[2m+1] for qlo <= 2m+1 < qhi */
      int elo = (qlo + 1) / 2, ehi = (qhi + 1) / 2;
      int olo = qlo / 2, ohi = qhi / 2;
      for (int m = 0; m < elo; m++) E[m] = 0.0f;
      for (int m = elo; m < ehi; m++) E[m] = row[2 * m];
      for (int m = ehi; m < d->We; m++) E[m] = 0.0f;
      for (int m = 0; m < olo; m++) O[m] = 0.0f;
      for (int m = olo; m < ohi; m++) O[m] = row[2 * m + 1];
      for (int m = ohi; m < d->Wo; m++) O[m] = 0.0f;
    }
  }
}

static void dw3_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const dw3_dims d = dw3_get(c);
  const int C = c->Cin, OH = c->OH, OW = c->OW;
  float P[(size_t)d.Hp * d.Wp + 2];
  for (int64_t p = p0; p < p1; p++) {
    int ch = (int)(p % C);
    const float *w = x->weight + (size_t)ch * 9;
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6],
                w7 = w[7], w8 = w[8];
    const float b0 = x->bias ? x->bias[ch] : 0.0f;
    float *o = x->out + (size_t)p * OH * OW;
    dw3_pad(c, &d, x->inp + (size_t)p * c->H * c->W, P);
    if (c->stride == 1) {
      for (int oh = 0; oh < OH; oh++) {
        const float *r0 = P + (size_t)oh * d.Wp, *r1 = r0 + d.Wp, *r2 = r1 + d.Wp;
        float *orow = o + (size_t)oh * OW;
        for (int ow = 0; ow < OW; ow++)
          orow[ow] = b0 + ((w0 * r0[ow] + w1 * r0[ow + 1] + w2 * r0[ow + 2]) +
                           (w3 * r1[ow] + w4 * r1[ow + 1] + w5 * r1[ow + 2]) +
                           (w6 * r2[ow] + w7 * r2[ow + 1] + w8 * r2[ow + 2]));
      }
    } else {
      const float *E = P, *O = P + (size_t)d.Hp * d.We;
      for (int oh = 0; oh < OH; oh++) {
        const float *e0 = E + (size_t)(2 * oh) * d.We, *e1 = e0 + d.We, *e2 = e1 + d.We;
        const float *o0 = O + (size_t)(2 * oh) * d.Wo, *o1 = o0 + d.Wo, *o2 = o1 + d.Wo;
        float *orow = o + (size_t)oh * OW;
        for (int ow = 0; ow < OW; ow++)
          orow[ow] = b0 + ((w0 * e0[ow] + w1 * o0[ow] + w2 * e0[ow + 1]) +
                           (w3 * e1[ow] + w4 * o1[ow] + w5 * e1[ow + 1]) +
                           (w6 * e2[ow] + w7 * o2[ow] + w8 * e2[ow + 1]));
      }
    }
  }
}

/* Channels [c0, c1), all images of each. */
static void dw3_bwd_chunk(void *vctx, int64_t c0, int64_t c1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const dw3_dims d = dw3_get(c);
  const int B = c->B, C = c->Cin, H = c->H, W = c->W, OH = c->OH, OW = c->OW;
  const int Wq = W + 2;
  float P[(size_t)d.Hp * d.Wp + 2];
  /* stride 1: Q = dout padded for the flipped-kernel correlation; stride 2: D (E/O) accumulators */
  size_t qn = c->stride == 1 ? (size_t)(H + 2) * Wq : (size_t)d.Hp * d.Wp;
  float Q[qn + 2];
  float dyp[OW + 4];
  for (int64_t ch = c0; ch < c1; ch++) {
    const float *w = x->weight + (size_t)ch * 9;
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6],
                w7 = w[7], w8 = w[8];
    double dwa[9] = {0};
    double db = 0;
    for (int b = 0; b < B; b++) {
      size_t p = (size_t)b * C + ch;
      const float *dy = x->dout + p * OH * OW;
      if (x->dbias)
        for (int oh = 0; oh < OH; oh++) db += sw_sum_d(dy + (size_t)oh * OW, OW);
      if (x->dweight) {
        double pw[9] = {0}; /* per-row float dots, summed in double */
        dw3_pad(c, &d, x->inp + p * H * W, P);
        for (int oh = 0; oh < OH; oh++) {
          const float *dyr = dy + (size_t)oh * OW;
          for (int kh = 0; kh < 3; kh++) {
            if (c->stride == 1) {
              const float *r = P + (size_t)(oh + kh) * d.Wp;
              float t[3] = {0, 0, 0};
              sw_dot3(dyr, r, r + 1, r + 2, OW, t);
              for (int k = 0; k < 3; k++) pw[kh * 3 + k] += t[k];
            } else {
              const float *e = P + (size_t)(2 * oh + kh) * d.We;
              const float *od = P + (size_t)d.Hp * d.We + (size_t)(2 * oh + kh) * d.Wo;
              float t[3] = {0, 0, 0};
              sw_dot3(dyr, e, od, e + 1, OW, t);
              for (int k = 0; k < 3; k++) pw[kh * 3 + k] += t[k];
            }
          }
        }
        for (int k = 0; k < 9; k++) dwa[k] += pw[k];
      }
      if (!x->dinp) continue;
      float *di = x->dinp + p * H * W;
      if (c->stride == 1) {
        /* dinp[ih][iw] += sum w[kh][kw] * dy[ih+pt-kh][iw+pl-kw] = flipped-kernel correlation
         * over Q[r][q] = dy[r - (2-pt)][q - (2-pl)] */
        const int a = 2 - c->pad_t, bb = 2 - c->pad_l;
        /* columns q with 0 <= q - bb < OW: [qlo, qhi) */
        int qlo = bb < 0 ? 0 : (bb > Wq ? Wq : bb);
        int qhi = bb + OW < Wq ? bb + OW : Wq;
        if (qhi < qlo) qhi = qlo;
        for (int r = 0; r < H + 2; r++) {
          int oh = r - a;
          float *qr = Q + (size_t)r * Wq;
          if (oh < 0 || oh >= OH || qhi == qlo) {
            memset(qr, 0, (size_t)Wq * sizeof(float));
            continue;
          }
          const float *src = dy + (size_t)oh * OW - bb; /* src[q] = dy[oh][q - bb] */
          for (int q = 0; q < qlo; q++) qr[q] = 0.0f;
          memcpy(qr + qlo, src + qlo, (size_t)(qhi - qlo) * sizeof(float));
          for (int q = qhi; q < Wq; q++) qr[q] = 0.0f;
        }
        for (int ih = 0; ih < H; ih++) {
          const float *q0 = Q + (size_t)ih * Wq, *q1 = q0 + Wq, *q2 = q1 + Wq;
          float *drow = di + (size_t)ih * W;
          for (int iw = 0; iw < W; iw++)
            drow[iw] += (w8 * q0[iw] + w7 * q0[iw + 1] + w6 * q0[iw + 2]) +
                        (w5 * q1[iw] + w4 * q1[iw + 1] + w3 * q1[iw + 2]) +
                        (w2 * q2[iw] + w1 * q2[iw + 1] + w0 * q2[iw + 2]);
        }
      } else {
        /* scatter into padded accumulators: row r = 2*oh + kh gets
         * E[r][m] += w[kh][0]*dy[oh][m] + w[kh][2]*dy[oh][m-1], O[r][m] += w[kh][1]*dy[oh][m] */
        float *E = Q, *O = Q + (size_t)d.Hp * d.We;
        for (size_t i = 0; i < (size_t)d.Hp * d.Wp; i++) Q[i] = 0.0f;
        const float *wk[3] = {w, w + 3, w + 6};
        for (int oh = 0; oh < OH; oh++) {
          dyp[0] = 0.0f;
          memcpy(dyp + 1, dy + (size_t)oh * OW, (size_t)OW * sizeof(float));
          dyp[OW + 1] = 0.0f;
          for (int kh = 0; kh < 3; kh++) {
            float *er = E + (size_t)(2 * oh + kh) * d.We, *orr = O + (size_t)(2 * oh + kh) * d.Wo;
            const float ka = wk[kh][0], kb = wk[kh][1], kc = wk[kh][2];
            for (int m = 0; m < d.We; m++) er[m] += ka * dyp[m + 1] + kc * dyp[m];
            for (int m = 0; m < d.Wo; m++) orr[m] += kb * dyp[m + 1];
          }
        }
        /* dinp[ih][iw] += D[ih + pt][iw + pl] where that lies inside D */
        const int pl = c->pad_l;
        for (int ih = 0; ih < H; ih++) {
          int r = ih + c->pad_t;
          if (r >= d.Hp) break;
          const float *er = E + (size_t)r * d.We, *orr = O + (size_t)r * d.Wo;
          float *drow = di + (size_t)ih * W;
          int iwmax = d.Wp - pl < W ? d.Wp - pl : W; /* iw + pl < Wp */
          /* even q = iw + pl: iw = 2m - pl; odd: iw = 2m + 1 - pl */
          for (int m = (pl + 1) / 2; 2 * m - pl < iwmax; m++) drow[2 * m - pl] += er[m];
          for (int m = pl / 2; 2 * m + 1 - pl < iwmax; m++) drow[2 * m + 1 - pl] += orr[m];
        }
      }
    }
    if (x->dweight)
      for (int k = 0; k < 9; k++) x->dweight[(size_t)ch * 9 + k] += (float)dwa[k];
    if (x->dbias) x->dbias[ch] += (float)db;
  }
}

/* ---- forward ------------------------------------------------------------- */

typedef struct {
  float *out;
  const float *bias;
  int Cout;
  size_t OHW;
} bias_ctx;

static void bias_fill_chunk(void *vctx, int64_t p0, int64_t p1) {
  bias_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++) {
    float v = x->bias[p % x->Cout];
    float *o = x->out + (size_t)p * x->OHW;
    for (size_t i = 0; i < x->OHW; i++) o[i] = v;
  }
}

/* inp (B, Cin, H, W), weight (Cout, Cin/groups, KH, KW), bias (Cout) or NULL
 * -> out (B, Cout, OH, OW); ws: sw_conv2d_workspace(c) floats */
static void conv_forward(const sw_conv2d *c, sw_conv_pass pass, float *out, const float *inp,
                         const float *weight, const float *bias, float *ws) {
  const size_t OHW = (size_t)c->OH * c->OW, HW = (size_t)c->H * c->W;
  if (is_depthwise(c)) {
    dw_ctx x = {.c = c, .out = out, .inp = inp, .weight = weight, .bias = bias};
    sw_parallel_for((int64_t)c->B * c->Cin, 1, dw3_ok(c) ? dw3_fwd_chunk : dw_fwd_chunk, &x);
    return;
  }
  const int tile = sw_conv2d_winograd_tile(c, pass);
  if (tile) {
    sw_wino_forward(c, tile, out, inp, weight, bias, ws);
    return;
  }
  const int G = c->groups, Cin_g = c->Cin / G, Cout_g = c->Cout / G;
  const int Kg = Cin_g * c->KH * c->KW;
  const int nb = conv_nb(c);
  if (is_pointwise(c) && nb == 1) {
    /* the input is the column matrix: one gemm per image and group */
    float beta = 0.0f;
    if (bias) {
      bias_ctx bx = {.out = out, .bias = bias, .Cout = c->Cout, .OHW = OHW};
      sw_parallel_for((int64_t)c->B * c->Cout, 16384 / ((int64_t)OHW + 1) + 1, bias_fill_chunk,
                      &bx);
      beta = 1.0f;
    }
    for (int b = 0; b < c->B; b++) {
      const float *col = inp + (size_t)b * c->Cin * HW;
      float *ob = out + (size_t)b * c->Cout * OHW;
      for (int g = 0; g < G; g++)
        sw_sgemm(false, false, Cout_g, (int)OHW, Kg, 1.0f,
                    weight + (size_t)g * Cout_g * Kg, Kg, col + (size_t)g * Kg * OHW, (int)OHW,
                    beta, ob + (size_t)g * Cout_g * OHW, (int)OHW);
    }
    return;
  }
  const size_t ld = (size_t)nb * OHW;
  float *col = ws, *st = ws + (size_t)G * Kg * ld;
  for (int b0 = 0; b0 < c->B; b0 += nb) {
    int n = c->B - b0 < nb ? c->B - b0 : nb;
    im2col(c, inp + (size_t)b0 * c->Cin * HW, n, col, ld);
    float *ob = out + (size_t)b0 * c->Cout * OHW;
    /* nb == 1: the gemm writes the output directly (ld == OHW) */
    float *dst = nb > 1 ? st : ob;
    if (nb == 1 && bias) {
      bias_ctx bx = {.out = ob, .bias = bias, .Cout = c->Cout, .OHW = OHW};
      sw_parallel_for(c->Cout, 16384 / ((int64_t)OHW + 1) + 1, bias_fill_chunk, &bx);
    }
    float beta = (nb == 1 && bias) ? 1.0f : 0.0f;
    for (int g = 0; g < G; g++)
      sw_sgemm(false, false, Cout_g, n * (int)OHW, Kg, 1.0f,
                  weight + (size_t)g * Cout_g * Kg, Kg, col + (size_t)g * Kg * ld, (int)ld, beta,
                  dst + (size_t)g * Cout_g * ld, (int)ld);
    if (nb > 1) stage(ob, st, bias, n, c->Cout, OHW, ld, true);
  }
}

void sw_conv2d_forward(const sw_conv2d *c, float *out, const float *inp, const float *weight,
                       const float *bias, float *ws) {
  conv_forward(c, SW_CONV_PASS_FORWARD, out, inp, weight, bias, ws);
}

void sw_conv2d_forward_infer(const sw_conv2d *c, float *out, const float *inp,
                             const float *weight, const float *bias, float *ws) {
  conv_forward(c, SW_CONV_PASS_INFER, out, inp, weight, bias, ws);
}

/* ---- backward ------------------------------------------------------------ */

typedef struct {
  float *dbias;
  const float *dout;
  int B, Cout;
  size_t OHW;
} dbias_ctx;

static void dbias_chunk(void *vctx, int64_t c0, int64_t c1) {
  dbias_ctx *x = vctx;
  for (int64_t ch = c0; ch < c1; ch++) {
    double s = 0;
    for (int b = 0; b < x->B; b++) {
      s += sw_sum_d(x->dout + ((size_t)b * x->Cout + ch) * x->OHW, (int)x->OHW);
    }
    x->dbias[ch] += (float)s;
  }
}

/* dout (B, Cout, OH, OW) -> dinp (B, Cin, H, W) +=, dweight +=, dbias += (each may be NULL) */
void sw_conv2d_backward(const sw_conv2d *c, float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight, float *ws) {
  const size_t OHW = (size_t)c->OH * c->OW, HW = (size_t)c->H * c->W;
  if (is_depthwise(c)) {
    dw_ctx x = {.c = c, .inp = inp, .weight = weight, .dinp = dinp, .dweight = dweight,
                .dbias = dbias, .dout = dout};
    sw_parallel_for(c->Cin, 1, dw3_ok(c) ? dw3_bwd_chunk : dw_bwd_chunk, &x);
    return;
  }
  if (dbias) {
    dbias_ctx x = {.dbias = dbias, .dout = dout, .B = c->B, .Cout = c->Cout, .OHW = OHW};
    sw_parallel_for(c->Cout, 1, dbias_chunk, &x);
  }
  if (!dinp && !dweight) return;
  const int tile_d = dinp ? sw_conv2d_winograd_tile(c, SW_CONV_PASS_BWD_DATA) : 0;
  const int tile_w = dweight ? sw_conv2d_winograd_tile(c, SW_CONV_PASS_BWD_WEIGHTS) : 0;
  if (tile_d) {
    sw_wino_backward(c, tile_d, dinp, NULL, dout, inp, weight, ws);
    dinp = NULL;
  }
  if (tile_w) {
    sw_wino_backward(c, tile_w, NULL, dweight, dout, inp, weight, ws);
    dweight = NULL;
  }
  if (!dinp && !dweight) return;
  const int G = c->groups, Cin_g = c->Cin / G, Cout_g = c->Cout / G;
  const int Kg = Cin_g * c->KH * c->KW;
  const int nb = conv_nb(c);
  if (is_pointwise(c) && nb == 1) {
    for (int b = 0; b < c->B; b++) {
      const float *col = inp + (size_t)b * c->Cin * HW;
      const float *db = dout + (size_t)b * c->Cout * OHW;
      for (int g = 0; g < G; g++) {
        /* dW_g (Cout_g, Kg) += dout_g (Cout_g, OHW) @ col_g^T */
        if (dweight)
          sw_sgemm(false, true, Cout_g, Kg, (int)OHW, 1.0f,
                      db + (size_t)g * Cout_g * OHW, (int)OHW, col + (size_t)g * Kg * OHW,
                      (int)OHW, 1.0f, dweight + (size_t)g * Cout_g * Kg, Kg);
        /* dinp_g (Kg, OHW) += W_g^T @ dout_g */
        if (dinp)
          sw_sgemm(true, false, Kg, (int)OHW, Cout_g, 1.0f,
                      weight + (size_t)g * Cout_g * Kg, Kg, db + (size_t)g * Cout_g * OHW,
                      (int)OHW, 1.0f, dinp + (size_t)b * c->Cin * HW + (size_t)g * Kg * OHW,
                      (int)OHW);
      }
    }
    return;
  }
  const size_t ld = (size_t)nb * OHW;
  float *col = ws, *st = ws + (size_t)G * Kg * ld;
  float *dwt = st + (nb > 1 ? (size_t)c->Cout * ld : 0); /* (G, Kg, Cout_g) */
  const bool transposed = dweight && dweight_t(c, Cout_g, Kg);
  for (int b0 = 0; b0 < c->B; b0 += nb) {
    int n = c->B - b0 < nb ? c->B - b0 : nb;
    const float *dm = dout + (size_t)b0 * c->Cout * OHW; /* (Cout, ld) when nb == 1 */
    if (nb > 1) {
      stage(st, dm, NULL, n, c->Cout, OHW, ld, false);
      dm = st;
    }
    if (dweight) {
      im2col(c, inp + (size_t)b0 * c->Cin * HW, n, col, ld);
      for (int g = 0; g < G; g++) {
        const float *dg = dm + (size_t)g * Cout_g * ld, *cg = col + (size_t)g * Kg * ld;
        if (transposed) /* dW_g^T (Kg, Cout_g) (+)= col_g (Kg, n*OHW) @ dout_g^T */
          sw_sgemm(false, true, Kg, Cout_g, n * (int)OHW, 1.0f, cg, (int)ld, dg, (int)ld,
                   b0 == 0 ? 0.0f : 1.0f, dwt + (size_t)g * Kg * Cout_g, Cout_g);
        else /* dW_g (Cout_g, Kg) += dout_g (Cout_g, n*OHW) @ col_g^T */
          sw_sgemm(false, true, Cout_g, Kg, n * (int)OHW, 1.0f, dg, (int)ld, cg, (int)ld, 1.0f,
                   dweight + (size_t)g * Cout_g * Kg, Kg);
      }
    }
    if (dinp) {
      /* dcol_g (Kg, n*OHW) = W_g^T @ dout_g, then scatter-add into the images */
      for (int g = 0; g < G; g++)
        sw_sgemm(true, false, Kg, n * (int)OHW, Cout_g, 1.0f,
                    weight + (size_t)g * Cout_g * Kg, Kg, dm + (size_t)g * Cout_g * ld, (int)ld,
                    0.0f, col + (size_t)g * Kg * ld, (int)ld);
      col2im_add(c, col, ld, n, dinp + (size_t)b0 * c->Cin * HW);
    }
  }
  if (transposed)
    for (int g = 0; g < G; g++)
      for (int o = 0; o < Cout_g; o++) {
        float *dw = dweight + ((size_t)g * Cout_g + o) * Kg;
        const float *t = dwt + (size_t)g * Kg * Cout_g + o;
        for (int k = 0; k < Kg; k++) dw[k] += t[(size_t)k * Cout_g];
      }
}

/* ---- naive references ---------------------------------------------------- */

void sw_conv2d_forward_ref(const sw_conv2d *c, float *out, const float *inp, const float *weight,
                           const float *bias) {
  const int G = c->groups, Cin_g = c->Cin / G, Cout_g = c->Cout / G;
  for (int b = 0; b < c->B; b++)
    for (int co = 0; co < c->Cout; co++) {
      int g = co / Cout_g;
      for (int oh = 0; oh < c->OH; oh++)
        for (int ow = 0; ow < c->OW; ow++) {
          double s = bias ? bias[co] : 0.0;
          for (int ci = 0; ci < Cin_g; ci++)
            for (int kh = 0; kh < c->KH; kh++)
              for (int kw = 0; kw < c->KW; kw++) {
                int ih = oh * c->stride + kh - c->pad_t, iw = ow * c->stride + kw - c->pad_l;
                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                s += (double)inp[(((size_t)b * c->Cin + g * Cin_g + ci) * c->H + ih) * c->W + iw] *
                     weight[(((size_t)co * Cin_g + ci) * c->KH + kh) * c->KW + kw];
              }
          out[(((size_t)b * c->Cout + co) * c->OH + oh) * c->OW + ow] = (float)s;
        }
    }
}

void sw_conv2d_backward_ref(const sw_conv2d *c, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight) {
  const int G = c->groups, Cin_g = c->Cin / G, Cout_g = c->Cout / G;
  for (int b = 0; b < c->B; b++)
    for (int co = 0; co < c->Cout; co++) {
      int g = co / Cout_g;
      for (int oh = 0; oh < c->OH; oh++)
        for (int ow = 0; ow < c->OW; ow++) {
          float d = dout[(((size_t)b * c->Cout + co) * c->OH + oh) * c->OW + ow];
          if (dbias) dbias[co] += d;
          for (int ci = 0; ci < Cin_g; ci++)
            for (int kh = 0; kh < c->KH; kh++)
              for (int kw = 0; kw < c->KW; kw++) {
                int ih = oh * c->stride + kh - c->pad_t, iw = ow * c->stride + kw - c->pad_l;
                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                size_t ii = (((size_t)b * c->Cin + g * Cin_g + ci) * c->H + ih) * c->W + iw;
                size_t wi = (((size_t)co * Cin_g + ci) * c->KH + kh) * c->KW + kw;
                if (dinp) dinp[ii] += d * weight[wi];
                if (dweight) dweight[wi] += d * inp[ii];
              }
        }
    }
}
