/* conv.c: conv2d forward/backward.
 *
 *  - general case (any kernel, stride, padding, groups): per image, im2col
 *    into the workspace and one OpenBLAS sgemm per group;
 *  - 1x1 stride-1 unpadded: the input already is the column matrix, so no
 *    im2col (and dinp is one gemm straight into the gradient);
 *  - depthwise (groups == Cin == Cout): a direct kernel over (b, c) planes,
 *    vectorisable along the output row, as PyTorch does.
 * The *_ref kernels are the naive loops, for the tests.
 */
#include <cblas.h>
#include <string.h>

#include "layers.h"
#include "parallel.h"

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

size_t sw_conv2d_workspace(const sw_conv2d *c) {
  if (is_depthwise(c)) return 0;
  int nb = conv_nb(c);
  if (is_pointwise(c) && nb == 1) return 0;
  size_t cols = (size_t)nb * c->OH * c->OW;
  /* the column matrix (Cin*KH*KW, nb*OH*OW), reused for dcol in backward,
   * then (batched only) a staging matrix (Cout, nb*OH*OW) for out / dout */
  return (size_t)c->Cin * c->KH * c->KW * cols + (nb > 1 ? (size_t)c->Cout * cols : 0);
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

/* ---- depthwise ----------------------------------------------------------- */

typedef struct {
  const sw_conv2d *c;
  float *out;
  const float *inp, *weight, *bias;
  float *dinp, *dweight, *dbias;
  const float *dout;
} dw_ctx;

/* Planes [p0, p1) of (B*C): out[oh, ow] = bias + sum_{kh,kw} w * in[oh*s+kh-pt, ow*s+kw-pl] */
static void dw_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int C = c->Cin, H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
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
        for (int kw = 0; kw < KW; kw++) {
          int lo, hi;
          valid_range(OW, W, s, kw - c->pad_l, &lo, &hi);
          const float *irow = in + (size_t)ih * W + kw - c->pad_l;
          float wv = w[kh * KW + kw];
          if (s == 1) {
            for (int ow = lo; ow < hi; ow++) orow[ow] += wv * irow[ow];
          } else {
            for (int ow = lo; ow < hi; ow++) orow[ow] += wv * irow[ow * s];
          }
        }
      }
    }
  }
}

/* Channels [c0, c1): dweight and dbias reduce over the batch inside one item;
 * dinp planes of that channel are written by the same item. */
static void dw_bwd_chunk(void *vctx, int64_t c0, int64_t c1) {
  dw_ctx *x = vctx;
  const sw_conv2d *c = x->c;
  const int B = c->B, C = c->Cin, H = c->H, W = c->W, OH = c->OH, OW = c->OW, s = c->stride;
  const int KH = c->KH, KW = c->KW;
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
        for (int i = 0; i < OH * OW; i++) db += dy[i];
      for (int kh = 0; kh < KH; kh++)
        for (int kw = 0; kw < KW; kw++) {
          int lo, hi;
          valid_range(OW, W, s, kw - c->pad_l, &lo, &hi);
          float wv = w[kh * KW + kw];
          float acc = 0.0f;
          for (int oh = 0; oh < OH; oh++) {
            int ih = oh * s + kh - c->pad_t;
            if (ih < 0 || ih >= H) continue;
            const float *dyr = dy + (size_t)oh * OW;
            size_t ioff = (size_t)ih * W + kw - c->pad_l;
            if (x->dweight) {
              float a = 0.0f;
              if (s == 1)
                for (int ow = lo; ow < hi; ow++) a += dyr[ow] * in[ioff + ow];
              else
                for (int ow = lo; ow < hi; ow++) a += dyr[ow] * in[ioff + (size_t)ow * s];
              acc += a;
            }
            if (di) {
              float *dir = di + ioff;
              if (s == 1)
                for (int ow = lo; ow < hi; ow++) dir[ow] += wv * dyr[ow];
              else
                for (int ow = lo; ow < hi; ow++) dir[(size_t)ow * s] += wv * dyr[ow];
            }
          }
          dwa[kh * KW + kw] += acc;
        }
    }
    if (x->dweight)
      for (int k = 0; k < KH * KW; k++) x->dweight[(size_t)ch * KH * KW + k] += (float)dwa[k];
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
void sw_conv2d_forward(const sw_conv2d *c, float *out, const float *inp, const float *weight,
                       const float *bias, float *ws) {
  const size_t OHW = (size_t)c->OH * c->OW, HW = (size_t)c->H * c->W;
  if (is_depthwise(c)) {
    dw_ctx x = {.c = c, .out = out, .inp = inp, .weight = weight, .bias = bias};
    sw_parallel_for((int64_t)c->B * c->Cin, 1, dw_fwd_chunk, &x);
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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout_g, (int)OHW, Kg, 1.0f,
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
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout_g, n * (int)OHW, Kg, 1.0f,
                  weight + (size_t)g * Cout_g * Kg, Kg, col + (size_t)g * Kg * ld, (int)ld, beta,
                  dst + (size_t)g * Cout_g * ld, (int)ld);
    if (nb > 1) stage(ob, st, bias, n, c->Cout, OHW, ld, true);
  }
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
      const float *d = x->dout + ((size_t)b * x->Cout + ch) * x->OHW;
      float a = 0.0f;
      for (size_t i = 0; i < x->OHW; i++) a += d[i];
      s += a;
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
    sw_parallel_for(c->Cin, 1, dw_bwd_chunk, &x);
    return;
  }
  if (dbias) {
    dbias_ctx x = {.dbias = dbias, .dout = dout, .B = c->B, .Cout = c->Cout, .OHW = OHW};
    sw_parallel_for(c->Cout, 1, dbias_chunk, &x);
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
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout_g, Kg, (int)OHW, 1.0f,
                      db + (size_t)g * Cout_g * OHW, (int)OHW, col + (size_t)g * Kg * OHW,
                      (int)OHW, 1.0f, dweight + (size_t)g * Cout_g * Kg, Kg);
        /* dinp_g (Kg, OHW) += W_g^T @ dout_g */
        if (dinp)
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kg, (int)OHW, Cout_g, 1.0f,
                      weight + (size_t)g * Cout_g * Kg, Kg, db + (size_t)g * Cout_g * OHW,
                      (int)OHW, 1.0f, dinp + (size_t)b * c->Cin * HW + (size_t)g * Kg * OHW,
                      (int)OHW);
      }
    }
    return;
  }
  const size_t ld = (size_t)nb * OHW;
  float *col = ws, *st = ws + (size_t)G * Kg * ld;
  for (int b0 = 0; b0 < c->B; b0 += nb) {
    int n = c->B - b0 < nb ? c->B - b0 : nb;
    const float *dm = dout + (size_t)b0 * c->Cout * OHW; /* (Cout, ld) when nb == 1 */
    if (nb > 1) {
      stage(st, dm, NULL, n, c->Cout, OHW, ld, false);
      dm = st;
    }
    if (dweight) {
      im2col(c, inp + (size_t)b0 * c->Cin * HW, n, col, ld);
      /* dW_g (Cout_g, Kg) += dout_g (Cout_g, n*OHW) @ col_g^T */
      for (int g = 0; g < G; g++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout_g, Kg, n * (int)OHW, 1.0f,
                    dm + (size_t)g * Cout_g * ld, (int)ld, col + (size_t)g * Kg * ld, (int)ld,
                    1.0f, dweight + (size_t)g * Cout_g * Kg, Kg);
    }
    if (dinp) {
      /* dcol_g (Kg, n*OHW) = W_g^T @ dout_g, then scatter-add into the images */
      for (int g = 0; g < G; g++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kg, n * (int)OHW, Cout_g, 1.0f,
                    weight + (size_t)g * Cout_g * Kg, Kg, dm + (size_t)g * Cout_g * ld, (int)ld,
                    0.0f, col + (size_t)g * Kg * ld, (int)ld);
      col2im_add(c, col, ld, n, dinp + (size_t)b0 * c->Cin * HW);
    }
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
