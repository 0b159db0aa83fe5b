/* layers.c: batch norm, activations, pools, dropout, add, linear and
 * cross-entropy (convolutions are in conv.c). Each fast kernel runs its
 * independent items (planes, channels, element chunks) through
 * sw_parallel_for; reductions happen inside one item in a fixed order, so the
 * bits do not depend on the thread count. */
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "gemm.h"
#include "parallel.h"
#include "vec.h"

/* Elementwise loops hand at least this many floats to a thread. */
#define SW_ELEM_CHUNK 32768
/* Batch norm backward works through each row in blocks of this many floats. */
#define BN_BLOCK 4096

/* ---- batch norm -------------------------------------------------------- */

/* The bodies below inline into a baseline and an AVX-512 copy of each chunk
 * function (BN_KERNELS): elementwise loops and vec.h's fixed-order 8-lane
 * reductions, so both give the same bits. */
#define BN_AI static inline __attribute__((always_inline))

typedef struct {
  const sw_batchnorm *bn;
  float *out, *save_mean, *save_invstd;
  const float *inp, *weight, *bias;
  float *running_mean, *running_var;
  bool train;
  /* backward */
  float *dinp, *dweight, *dbias;
  const float *dout;
  const float *mean_in, *invstd_in;
  /* fused activation: forward applies it to out; backward masks dout where the
   * forward's pre-activation inp * scale + shift (recomputed) was cut off */
  sw_act act;
  bool dinp_set; /* backward: dinp = instead of += */
} bn_ctx;

/* o[i] = act(in[i] * scale + shift) */
BN_AI void bn_apply_row(float *o, const float *in, int n, float scale, float shift, sw_act act) {
  switch (act) {
  case SW_ACT_RELU:
    for (int i = 0; i < n; i++) {
      float v = in[i] * scale + shift;
      o[i] = v < 0.0f ? 0.0f : v;
    }
    break;
  case SW_ACT_RELU6:
    for (int i = 0; i < n; i++) {
      float v = in[i] * scale + shift;
      v = v < 0.0f ? 0.0f : v;
      o[i] = v > 6.0f ? 6.0f : v;
    }
    break;
  default:
    for (int i = 0; i < n; i++) o[i] = in[i] * scale + shift;
    break;
  }
}

/* g[i] = dy[i] where the activation let the gradient through (as relu/relu6
 * backward: not where its output was <= 0, or >= 6 for ReLU6), else 0. The
 * output is x * scale + shift through the activation (bn_apply_row's bits); it
 * is <= 0 exactly where x * scale + shift is (-0 and NaN included) and >= 6
 * exactly where that is >= 6. Plain copy semantics for SW_ACT_NONE (returns dy). */
BN_AI const float *bn_mask_row(float *g, const float *dy, const float *x, int n, float scale,
                               float shift, sw_act act) {
  switch (act) {
  case SW_ACT_RELU:
    for (int i = 0; i < n; i++) {
      float v = dy[i], z = x[i] * scale + shift;
      g[i] = z <= 0.0f ? 0.0f : v;
    }
    return g;
  case SW_ACT_RELU6:
    for (int i = 0; i < n; i++) {
      float v = dy[i], z = x[i] * scale + shift;
      v = z <= 0.0f ? 0.0f : v;
      g[i] = z >= 6.0f ? 0.0f : v;
    }
    return g;
  default:
    return dy;
  }
}

/* Reductions accumulate in double (vec.h, fixed order), as PyTorch's CPU
 * kernels do for float. */
static double row_sum(const float *x, int n) { return sw_sum_d(x, n); }

/* Training forward for channels [c0, c1). */
BN_AI void bn_train_fwd_body(void *vctx, int64_t c0, int64_t c1) {
  bn_ctx *x = vctx;
  const int B = x->bn->B, C = x->bn->C, HW = x->bn->HW;
  const double N = (double)B * HW;
  for (int64_t c = c0; c < c1; c++) {
    /* one pass: sums of (x - K) and (x - K)^2 with K the channel's first
     * value, which keeps the cancellation in E[(x-K)^2] - E[x-K]^2 small */
    const double K = x->inp[(size_t)c * HW];
    double s = 0, sq = 0;
    for (int b = 0; b < B; b++) {
      double r0, r1;
      sw_shift_sums_d(x->inp + ((size_t)b * C + c) * HW, HW, K, &r0, &r1);
      s += r0;
      sq += r1;
    }
    double dmean = s / N;
    float mean = (float)(K + dmean);
    double var = sq / N - dmean * dmean;
    if (var < 0) var = 0;
    sq = var * N; /* sum of squared deviations, for the unbiased estimate */
    float invstd = (float)(1.0 / sqrt(var + x->bn->eps));
    if (x->save_mean) x->save_mean[c] = mean;
    if (x->save_invstd) x->save_invstd[c] = invstd;
    if (x->running_mean) {
      float m = x->bn->momentum;
      x->running_mean[c] = (1.0f - m) * x->running_mean[c] + m * mean;
      /* PyTorch refuses N == 1 in training; keep the biased value rather than divide by 0. */
      double unbiased = N > 1 ? sq / (N - 1) : var;
      x->running_var[c] = (1.0f - m) * x->running_var[c] + m * (float)unbiased;
    }
    float scale = (x->weight ? x->weight[c] : 1.0f) * invstd;
    float shift = (x->bias ? x->bias[c] : 0.0f) - mean * scale;
    for (int b = 0; b < B; b++)
      bn_apply_row(x->out + ((size_t)b * C + c) * HW, x->inp + ((size_t)b * C + c) * HW, HW, scale,
                   shift, x->act);
  }
}

/* Eval forward for planes [p0, p1) of the (B*C) planes. */
BN_AI void bn_eval_fwd_body(void *vctx, int64_t p0, int64_t p1) {
  bn_ctx *x = vctx;
  const int C = x->bn->C, HW = x->bn->HW;
  for (int64_t p = p0; p < p1; p++) {
    int c = (int)(p % C);
    float invstd = 1.0f / sqrtf(x->running_var[c] + x->bn->eps);
    float scale = (x->weight ? x->weight[c] : 1.0f) * invstd;
    float shift = (x->bias ? x->bias[c] : 0.0f) - x->running_mean[c] * scale;
    bn_apply_row(x->out + (size_t)p * HW, x->inp + (size_t)p * HW, HW, scale, shift, x->act);
  }
}

/* the chunk functions of the bodies, per instruction set (BN_KERNELS below) */
static void bn_train_fwd_chunk_base(void *, int64_t, int64_t);
static void bn_train_fwd_chunk_avx512(void *, int64_t, int64_t);
static void bn_eval_fwd_chunk_base(void *, int64_t, int64_t);
static void bn_eval_fwd_chunk_avx512(void *, int64_t, int64_t);
static bool bn_avx512(void);

/* inp (B, C, HW) -> out (B, C, HW) */
void sw_batchnorm_forward(const sw_batchnorm *bn, float *out, float *save_mean,
                          float *save_invstd, const float *inp, const float *weight,
                          const float *bias, float *running_mean, float *running_var, bool train) {
  sw_batchnorm_act_forward(bn, SW_ACT_NONE, out, save_mean, save_invstd, inp, weight, bias,
                           running_mean, running_var, train);
}

/* inp (B, C, HW) -> out = act(batchnorm(inp)) (B, C, HW) */
void sw_batchnorm_act_forward(const sw_batchnorm *bn, sw_act act, float *out, float *save_mean,
                              float *save_invstd, const float *inp, const float *weight,
                              const float *bias, float *running_mean, float *running_var,
                              bool train) {
  bn_ctx x = {.bn = bn, .out = out, .save_mean = save_mean, .save_invstd = save_invstd,
              .inp = inp, .weight = weight, .bias = bias, .running_mean = running_mean,
              .running_var = running_var, .train = train, .act = act};
  size_t per_c = (size_t)bn->B * bn->HW;
  if (train) {
    int64_t min_c = (int64_t)(SW_ELEM_CHUNK / (per_c ? per_c : 1)) + 1;
    sw_parallel_for(bn->C, min_c,
                    bn_avx512() ? bn_train_fwd_chunk_avx512 : bn_train_fwd_chunk_base, &x);
  } else {
    int64_t min_p = SW_ELEM_CHUNK / (bn->HW ? bn->HW : 1) + 1;
    sw_parallel_for((int64_t)bn->B * bn->C, min_p,
                    bn_avx512() ? bn_eval_fwd_chunk_avx512 : bn_eval_fwd_chunk_base, &x);
  }
}

/* Naive reference: doubles everywhere, no threads. */
void sw_batchnorm_forward_ref(const sw_batchnorm *bn, float *out, float *save_mean,
                              float *save_invstd, const float *inp, const float *weight,
                              const float *bias, float *running_mean, float *running_var,
                              bool train) {
  const int B = bn->B, C = bn->C, HW = bn->HW;
  const double N = (double)B * HW;
  for (int c = 0; c < C; c++) {
    double mean, var;
    if (train) {
      double s = 0;
      for (int b = 0; b < B; b++)
        for (int i = 0; i < HW; i++) s += inp[((size_t)b * C + c) * HW + i];
      mean = s / N;
      double sq = 0;
      for (int b = 0; b < B; b++)
        for (int i = 0; i < HW; i++) {
          double d = inp[((size_t)b * C + c) * HW + i] - mean;
          sq += d * d;
        }
      var = sq / N;
      if (save_mean) save_mean[c] = (float)mean;
      if (save_invstd) save_invstd[c] = (float)(1.0 / sqrt(var + bn->eps));
      if (running_mean) {
        double m = bn->momentum;
        running_mean[c] = (float)((1 - m) * running_mean[c] + m * mean);
        running_var[c] = (float)((1 - m) * running_var[c] + m * (N > 1 ? sq / (N - 1) : var));
      }
    } else {
      mean = running_mean[c];
      var = running_var[c];
    }
    double invstd = 1.0 / sqrt(var + bn->eps);
    double w = weight ? weight[c] : 1.0, bb = bias ? bias[c] : 0.0;
    for (int b = 0; b < B; b++)
      for (int i = 0; i < HW; i++) {
        size_t k = ((size_t)b * C + c) * HW + i;
        out[k] = (float)((inp[k] - mean) * invstd * w + bb);
      }
  }
}

/* Backward for channels [c0, c1): dweight/dbias need a reduction over the
 * batch, so one item is one channel with all its planes. */
BN_AI void bn_bwd_body(void *vctx, int64_t c0, int64_t c1) {
  bn_ctx *x = vctx;
  const int B = x->bn->B, C = x->bn->C, HW = x->bn->HW;
  const double N = (double)B * HW;
  for (int64_t c = c0; c < c1; c++) {
    float mean, invstd;
    if (x->train) {
      mean = x->mean_in[c];
      invstd = x->invstd_in[c];
    } else {
      mean = x->running_mean[c];
      invstd = 1.0f / sqrtf(x->running_var[c] + x->bn->eps);
    }
    /* the forward's scale and shift (bn_train_fwd_body / bn_eval_fwd_body) */
    const float fscale = (x->weight ? x->weight[c] : 1.0f) * invstd;
    const float fshift = (x->bias ? x->bias[c] : 0.0f) - mean * fscale;
    /* sum(g) and sum(g * xhat), g = dy masked by the fused activation, in
     * blocks of BN_BLOCK values so the mask buffer stays small */
    float gbuf[BN_BLOCK];
    double sdy = 0, sdyx = 0;
    for (int b = 0; b < B; b++)
      for (int i0 = 0; i0 < HW; i0 += BN_BLOCK) {
        int n = HW - i0 < BN_BLOCK ? HW - i0 : BN_BLOCK;
        size_t off = ((size_t)b * C + c) * HW + i0;
        const float *g = bn_mask_row(gbuf, x->dout + off, x->inp + off, n, fscale, fshift, x->act);
        double r0, r1;
        sw_sum_dot_dev_d(g, x->inp + off, n, mean, &r0, &r1);
        sdy += r0;
        sdyx += r1 * invstd;
      }
    if (x->dbias) x->dbias[c] += (float)sdy;
    if (x->dweight) x->dweight[c] += (float)sdyx;
    if (!x->dinp) continue;
    float w = x->weight ? x->weight[c] : 1.0f;
    float k = w * invstd;
    /* train: dx = w*invstd * (g - mean(g) - xhat * mean(g*xhat)); eval: w*invstd*g */
    float mdy = x->train ? (float)(sdy / N) : 0.0f;
    float mdyx = x->train ? (float)(sdyx / N) : 0.0f;
    for (int b = 0; b < B; b++)
      for (int i0 = 0; i0 < HW; i0 += BN_BLOCK) {
        int n = HW - i0 < BN_BLOCK ? HW - i0 : BN_BLOCK;
        size_t off = ((size_t)b * C + c) * HW + i0;
        const float *g = bn_mask_row(gbuf, x->dout + off, x->inp + off, n, fscale, fshift, x->act);
        const float *in = x->inp + off;
        float *dx = x->dinp + off;
        if (x->train && x->dinp_set) {
          for (int i = 0; i < n; i++) {
            float xhat = (in[i] - mean) * invstd;
            dx[i] = k * (g[i] - mdy - xhat * mdyx);
          }
        } else if (x->train) {
          for (int i = 0; i < n; i++) {
            float xhat = (in[i] - mean) * invstd;
            dx[i] += k * (g[i] - mdy - xhat * mdyx);
          }
        } else if (x->dinp_set) {
          for (int i = 0; i < n; i++) dx[i] = k * g[i];
        } else {
          for (int i = 0; i < n; i++) dx[i] += k * g[i];
        }
      }
  }
}

#define BN_KERNELS(sfx, attr)                                                                  \
  attr static void bn_train_fwd_chunk_##sfx(void *x, int64_t a, int64_t b) {                   \
    bn_train_fwd_body(x, a, b);                                                                \
  }                                                                                            \
  attr static void bn_eval_fwd_chunk_##sfx(void *x, int64_t a, int64_t b) {                    \
    bn_eval_fwd_body(x, a, b);                                                                 \
  }                                                                                            \
  attr static void bn_bwd_chunk_##sfx(void *x, int64_t a, int64_t b) { bn_bwd_body(x, a, b); }
BN_KERNELS(base, )
BN_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))))

/* AVX-512 where the CPU has it, unless SWELL_BN=base (for A/B runs). */
static pthread_once_t g_bn_once = PTHREAD_ONCE_INIT;
static bool g_bn_avx512;

static void bn_isa_init(void) {
  const char *e = getenv("SWELL_BN");
  g_bn_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
                !(e && !strcmp(e, "base"));
}

static bool bn_avx512(void) {
  pthread_once(&g_bn_once, bn_isa_init);
  return g_bn_avx512;
}

bool sw_batchnorm_set_avx512(bool on) {
  pthread_once(&g_bn_once, bn_isa_init);
  g_bn_avx512 = on && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  return g_bn_avx512;
}

void sw_batchnorm_backward(const sw_batchnorm *bn, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight,
                           const float *save_mean, const float *save_invstd,
                           const float *running_mean, const float *running_var, bool train) {
  sw_batchnorm_act_backward(bn, SW_ACT_NONE, dinp, dweight, dbias, dout, inp, weight, NULL,
                            save_mean, save_invstd, running_mean, running_var, train);
}

static void bn_backward(const sw_batchnorm *bn, sw_act act, float *dinp, bool dinp_set,
                        float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, const float *bias, const float *save_mean,
                        const float *save_invstd, const float *running_mean,
                        const float *running_var, bool train) {
  bn_ctx x = {.bn = bn, .inp = inp, .weight = weight, .train = train, .dinp = dinp,
              .dweight = dweight, .dbias = dbias, .dout = dout, .mean_in = save_mean,
              .invstd_in = save_invstd, .running_mean = (float *)running_mean,
              .running_var = (float *)running_var, .act = act, .bias = bias,
              .dinp_set = dinp_set};
  size_t per_c = (size_t)bn->B * bn->HW;
  int64_t min_c = (int64_t)(SW_ELEM_CHUNK / (per_c ? per_c : 1)) + 1;
  sw_parallel_for(bn->C, min_c, bn_avx512() ? bn_bwd_chunk_avx512 : bn_bwd_chunk_base, &x);
}

/* dout: gradient of act(batchnorm(inp)) (B, C, HW) -> dinp (B, C, HW) +=,
 * dweight, dbias (C) += */
void sw_batchnorm_act_backward(const sw_batchnorm *bn, sw_act act, float *dinp, float *dweight,
                               float *dbias, const float *dout, const float *inp,
                               const float *weight, const float *bias, const float *save_mean,
                               const float *save_invstd, const float *running_mean,
                               const float *running_var, bool train) {
  bn_backward(bn, act, dinp, false, dweight, dbias, dout, inp, weight, bias, save_mean,
              save_invstd, running_mean, running_var, train);
}

/* As above with dinp (B, C, HW) = */
void sw_batchnorm_act_backward_into(const sw_batchnorm *bn, sw_act act, float *dinp,
                                    float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, const float *bias,
                                    const float *save_mean, const float *save_invstd,
                                    const float *running_mean, const float *running_var,
                                    bool train) {
  bn_backward(bn, act, dinp, true, dweight, dbias, dout, inp, weight, bias, save_mean,
              save_invstd, running_mean, running_var, train);
}

/* ---- activations ------------------------------------------------------- */

typedef struct {
  float *out;
  const float *a, *b, *c;
  int kind;
} elem_ctx;

enum { EL_RELU, EL_RELU_B, EL_RELU6, EL_RELU6_B, EL_ADD, EL_ACC };

static void elem_chunk(void *vctx, int64_t i0, int64_t i1) {
  elem_ctx *x = vctx;
  float *o = x->out;
  const float *a = x->a, *b = x->b;
  switch (x->kind) {
  /* As PyTorch: NaN passes through the forward, and the backward masks only
   * where the output is <= 0 (ReLU) or <= 0 / >= 6 (ReLU6), so a NaN keeps its
   * gradient. */
  case EL_RELU:
    for (int64_t i = i0; i < i1; i++) o[i] = a[i] < 0.0f ? 0.0f : a[i];
    break;
  case EL_RELU_B: /* a = dout, b = forward output */
    for (int64_t i = i0; i < i1; i++) {
      float g = a[i]; /* loaded unconditionally so the select vectorises */
      o[i] += b[i] <= 0.0f ? 0.0f : g;
    }
    break;
  case EL_RELU6:
    for (int64_t i = i0; i < i1; i++) {
      float v = a[i] < 0.0f ? 0.0f : a[i];
      o[i] = v > 6.0f ? 6.0f : v;
    }
    break;
  case EL_RELU6_B:
    for (int64_t i = i0; i < i1; i++) {
      float g = a[i], v = b[i];
      g = v <= 0.0f ? 0.0f : g;
      o[i] += v >= 6.0f ? 0.0f : g;
    }
    break;
  case EL_ADD:
    for (int64_t i = i0; i < i1; i++) o[i] = a[i] + b[i];
    break;
  case EL_ACC:
    for (int64_t i = i0; i < i1; i++) o[i] += a[i];
    break;
  }
}

static void elem_run(int kind, float *out, const float *a, const float *b, size_t n) {
  elem_ctx x = {.out = out, .a = a, .b = b, .kind = kind};
  sw_parallel_for((int64_t)n, SW_ELEM_CHUNK, elem_chunk, &x);
}

/* (n) -> (n) */
void sw_relu_forward(float *out, const float *inp, size_t n) { elem_run(EL_RELU, out, inp, NULL, n); }
void sw_relu_backward(float *dinp, const float *dout, const float *out, size_t n) {
  if (dinp) elem_run(EL_RELU_B, dinp, dout, out, n);
}
void sw_relu6_forward(float *out, const float *inp, size_t n) { elem_run(EL_RELU6, out, inp, NULL, n); }
void sw_relu6_backward(float *dinp, const float *dout, const float *out, size_t n) {
  if (dinp) elem_run(EL_RELU6_B, dinp, dout, out, n);
}

/* ---- residual add ------------------------------------------------------ */

void sw_add_forward(float *out, const float *a, const float *b, size_t n) {
  elem_run(EL_ADD, out, a, b, n);
}
void sw_add_backward(float *da, float *db, const float *dout, size_t n) {
  if (da) elem_run(EL_ACC, da, dout, NULL, n);
  if (db) elem_run(EL_ACC, db, dout, NULL, n);
}

/* ---- max pool ---------------------------------------------------------- */

static int out_size(int in, int k, int stride, int pad_lo, int pad_hi) {
  int o = (in + pad_lo + pad_hi - k) / stride + 1;
  return o > 0 ? o : 0;
}

void sw_maxpool_init(sw_maxpool *p, int B, int C, int H, int W, int K, int stride, int pad) {
  p->B = B;
  p->C = C;
  p->H = H;
  p->W = W;
  p->K = K;
  p->stride = stride;
  p->pad = pad;
  p->OH = out_size(H, K, stride, pad, pad);
  p->OW = out_size(W, K, stride, pad, pad);
}

typedef struct {
  const sw_maxpool *p;
  float *out;
  int32_t *argmax;
  const float *inp;
  float *dinp;
  const float *dout;
  const int32_t *amax_in;
} pool_ctx;

/* One output (oh, ow) of plane `in`. As PyTorch's CPU kernel: a value replaces
 * the current maximum when it is greater or NaN, so ties keep the first maximum
 * in scan order (rows, then columns) and the last NaN wins. */
static inline void maxpool_one(const sw_maxpool *p, const float *in, int oh, int ow, float *o,
                               int32_t *am) {
  const int H = p->H, W = p->W, K = p->K, s = p->stride, pad = p->pad;
  int h0 = oh * s - pad, h1 = h0 + K;
  if (h0 < 0) h0 = 0;
  if (h1 > H) h1 = H;
  int w0 = ow * s - pad, w1 = w0 + K;
  if (w0 < 0) w0 = 0;
  if (w1 > W) w1 = W;
  float best = -INFINITY;
  int32_t bi = h0 * W + w0;
  if (K == 3 && h1 - h0 == 3 && w1 - w0 == 3) {
    /* full 3x3 window: unrolled, same scan order */
    const float *r = in + (size_t)h0 * W + w0;
    for (int h = 0; h < 3; h++, r += W)
      for (int w = 0; w < 3; w++) {
        float v = r[w];
        bool take = (v > best) | (v != v);
        best = take ? v : best;
        bi = take ? (h0 + h) * W + w0 + w : bi;
      }
  } else {
    for (int h = h0; h < h1; h++)
      for (int w = w0; w < w1; w++) {
        float v = in[h * W + w];
        bool take = (v > best) | (v != v);
        best = take ? v : best;
        bi = take ? h * W + w : bi;
      }
  }
  *o = best == -INFINITY ? in[bi] : best;
  if (am) *am = bi;
}

/* Planes [p0, p1) of (B*C), one output at a time: the reference, and the
 * path for CPUs without AVX-512 and for other windows than 3x3 stride 2. */
static void maxpool_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  pool_ctx *x = vctx;
  const sw_maxpool *p = x->p;
  const int H = p->H, W = p->W, OH = p->OH, OW = p->OW;
  for (int64_t pl = p0; pl < p1; pl++) {
    const float *in = x->inp + (size_t)pl * H * W;
    float *o = x->out + (size_t)pl * OH * OW;
    int32_t *am = x->argmax ? x->argmax + (size_t)pl * OH * OW : NULL;
    for (int oh = 0; oh < OH; oh++)
      for (int ow = 0; ow < OW; ow++)
        maxpool_one(p, in, oh, ow, &o[oh * OW + ow], am ? &am[oh * OW + ow] : NULL);
  }
}

/* 3x3 stride 2 (the ResNet stem's pool), 16 outputs of a row at a time with
 * AVX-512: the window's 9 taps in the scalar scan order, each one the even
 * lanes of 32 consecutive inputs; the same comparisons, so the same maxima
 * and argmax bits. Outputs whose window crosses the left or right border
 * take the scalar path (rows crossing the top or bottom just scan fewer rows). */
#define TGT512 __attribute__((target("avx512f,avx512dq")))
/* idx: keep the argmax (training); without it (inference) the same maxima. */
TGT512 static inline __attribute__((always_inline)) void maxpool3s2_body(void *vctx, int64_t p0,
                                                                       int64_t p1,
                                                                       const bool idx) {
  pool_ctx *x = vctx;
  const sw_maxpool *p = x->p;
  const int H = p->H, W = p->W, OH = p->OH, OW = p->OW, pad = p->pad;
  /* full-width windows: 2 ow - pad >= 0 and 2 ow - pad + 2 <= W - 1 */
  int lo = (pad + 1) / 2, hi = W - 3 + pad < 0 ? 0 : (W - 3 + pad) / 2 + 1;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t pl = p0; pl < p1; pl++) {
    const float *in = x->inp + (size_t)pl * H * W;
    float *o = x->out + (size_t)pl * OH * OW;
    int32_t *am = idx ? x->argmax + (size_t)pl * OH * OW : NULL;
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * 2 - pad, h1 = h0 + 3;
      if (h0 < 0) h0 = 0;
      if (h1 > H) h1 = H;
      for (int ow = 0; ow < lo; ow++)
        maxpool_one(p, in, oh, ow, &o[oh * OW + ow], idx ? &am[oh * OW + ow] : NULL);
      for (int ow = hi; ow < OW; ow++)
        maxpool_one(p, in, oh, ow, &o[oh * OW + ow], idx ? &am[oh * OW + ow] : NULL);
      for (int ow0 = lo; ow0 < hi; ow0 += 16) {
        const int n = hi - ow0 < 16 ? hi - ow0 : 16;
        const int w0 = ow0 * 2 - pad; /* first window's left column */
        /* inputs w0 + w .. w0 + w + 2n - 2 of each row: 2n - 1 floats */
        const int cnt = 2 * n - 1;
        const __mmask16 mlo = cnt >= 16 ? 0xFFFF : (__mmask16)((1u << cnt) - 1);
        const __mmask16 mhi = cnt <= 16 ? 0 : (__mmask16)((1u << (cnt - 16)) - 1);
        const __m512i wcol = _mm512_add_epi32(_mm512_set1_epi32(w0), even);
        __m512 best = _mm512_set1_ps(-INFINITY);
        __m512i bi = _mm512_add_epi32(_mm512_set1_epi32(h0 * W), wcol);
        for (int h = h0; h < h1; h++) {
          const float *r = in + (size_t)h * W + w0;
          const __m512i rowi = _mm512_add_epi32(_mm512_set1_epi32(h * W), wcol);
          for (int w = 0; w < 3; w++) {
            const __m512 a = _mm512_maskz_loadu_ps(mlo, r + w);
            const __m512 b = _mm512_maskz_loadu_ps(mhi, r + w + 16);
            const __m512 v = _mm512_permutex2var_ps(a, even, b);
            const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
                                   _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
            best = _mm512_mask_mov_ps(best, take, v);
            if (idx)
              bi = _mm512_mask_mov_epi32(bi, take, _mm512_add_epi32(rowi, _mm512_set1_epi32(w)));
          }
        }
        const __mmask16 mo = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
        _mm512_mask_storeu_ps(o + (size_t)oh * OW + ow0, mo, best);
        if (idx) _mm512_mask_storeu_epi32(am + (size_t)oh * OW + ow0, mo, bi);
      }
    }
  }
}

TGT512 static void maxpool3s2_fwd_chunk_avx512(void *vctx, int64_t p0, int64_t p1) {
  maxpool3s2_body(vctx, p0, p1, true);
}

TGT512 static void maxpool3s2_fwd_chunk_avx512_noidx(void *vctx, int64_t p0, int64_t p1) {
  maxpool3s2_body(vctx, p0, p1, false);
}

static pthread_once_t g_pool_once = PTHREAD_ONCE_INIT;
static bool g_pool_avx512;

static void pool_isa_init(void) {
  __builtin_cpu_init();
  const char *e = getenv("SWELL_MAXPOOL");
  g_pool_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                  !(e && !strcmp(e, "scalar"));
}

bool sw_maxpool_set_avx512(bool on) {
  pthread_once(&g_pool_once, pool_isa_init);
  g_pool_avx512 = on && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return g_pool_avx512;
}

/* inp (B, C, H, W) -> out, argmax (B, C, OH, OW) */
void sw_maxpool_forward(const sw_maxpool *p, float *out, int32_t *argmax, const float *inp) {
  pool_ctx x = {.p = p, .out = out, .argmax = argmax, .inp = inp};
  int64_t min_p = SW_ELEM_CHUNK / ((int64_t)p->H * p->W + 1) + 1;
  pthread_once(&g_pool_once, pool_isa_init);
  bool fast = g_pool_avx512 && p->K == 3 && p->stride == 2;
  sw_parallel_for((int64_t)p->B * p->C, min_p,
                  !fast    ? maxpool_fwd_chunk
                  : argmax ? maxpool3s2_fwd_chunk_avx512
                           : maxpool3s2_fwd_chunk_avx512_noidx,
                  &x);
}

static void maxpool_bwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  pool_ctx *x = vctx;
  const sw_maxpool *p = x->p;
  const size_t in_sz = (size_t)p->H * p->W, out_sz = (size_t)p->OH * p->OW;
  for (int64_t pl = p0; pl < p1; pl++) {
    float *di = x->dinp + (size_t)pl * in_sz;
    const float *dy = x->dout + (size_t)pl * out_sz;
    const int32_t *am = x->amax_in + (size_t)pl * out_sz;
    for (size_t i = 0; i < out_sz; i++) di[am[i]] += dy[i];
  }
}

void sw_maxpool_backward(const sw_maxpool *p, float *dinp, const float *dout,
                         const int32_t *argmax) {
  if (!dinp) return;
  pool_ctx x = {.p = p, .dinp = dinp, .dout = dout, .amax_in = argmax};
  int64_t min_p = SW_ELEM_CHUNK / ((int64_t)p->H * p->W + 1) + 1;
  sw_parallel_for((int64_t)p->B * p->C, min_p, maxpool_bwd_chunk, &x);
}

/* ---- adaptive pools to 1x1 --------------------------------------------- */

typedef struct {
  float *out;
  int out_stride;
  int32_t *argmax;
  const float *inp;
  int C, HW;
  float *dinp;
  const float *dout;
  const int32_t *amax_in;
} gpool_ctx;

static void gavg_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  gpool_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int b = (int)(p / x->C), c = (int)(p % x->C);
    x->out[(size_t)b * x->out_stride + c] =
        (float)(row_sum(x->inp + (size_t)p * x->HW, x->HW) / x->HW);
  }
}

/* inp (B, C, HW) -> out[b*out_stride + c] = mean over HW */
void sw_global_avgpool_forward(float *out, int out_stride, const float *inp, int B, int C, int HW) {
  gpool_ctx x = {.out = out, .out_stride = out_stride, .inp = inp, .C = C, .HW = HW};
  sw_parallel_for((int64_t)B * C, SW_ELEM_CHUNK / (HW + 1) + 1, gavg_fwd_chunk, &x);
}

static void gavg_bwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  gpool_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int b = (int)(p / x->C), c = (int)(p % x->C);
    float g = x->dout[(size_t)b * x->out_stride + c] / (float)x->HW;
    float *di = x->dinp + (size_t)p * x->HW;
    for (int i = 0; i < x->HW; i++) di[i] += g;
  }
}

void sw_global_avgpool_backward(float *dinp, const float *dout, int dout_stride, int B, int C,
                                int HW) {
  if (!dinp) return;
  gpool_ctx x = {.dinp = dinp, .dout = dout, .out_stride = dout_stride, .C = C, .HW = HW};
  sw_parallel_for((int64_t)B * C, SW_ELEM_CHUNK / (HW + 1) + 1, gavg_bwd_chunk, &x);
}

static void gmax_fwd_chunk(void *vctx, int64_t p0, int64_t p1) {
  gpool_ctx *x = vctx;
  for (int64_t p = p0; p < p1; p++) {
    int b = (int)(p / x->C), c = (int)(p % x->C);
    const float *in = x->inp + (size_t)p * x->HW;
    float best = in[0];
    int32_t bi = 0;
    for (int i = 1; i < x->HW; i++) {
      float v = in[i];
      bool take = (v > best) | (v != v); /* as PyTorch: greater or NaN replaces */
      best = take ? v : best;
      bi = take ? i : bi;
    }
    x->out[(size_t)b * x->out_stride + c] = best;
    x->argmax[p] = bi;
  }
}

/* inp (B, C, HW) -> out[b*out_stride + c] = max over HW, argmax (B, C) */
void sw_global_maxpool_forward(float *out, int out_stride, int32_t *argmax, const float *inp,
                               int B, int C, int HW) {
  gpool_ctx x = {.out = out, .out_stride = out_stride, .argmax = argmax, .inp = inp, .C = C,
                 .HW = HW};
  sw_parallel_for((int64_t)B * C, SW_ELEM_CHUNK / (HW + 1) + 1, gmax_fwd_chunk, &x);
}

void sw_global_maxpool_backward(float *dinp, const float *dout, int dout_stride,
                                const int32_t *argmax, int B, int C, int HW) {
  if (!dinp) return;
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++) {
      size_t p = (size_t)b * C + c;
      dinp[p * HW + argmax[p]] += dout[(size_t)b * dout_stride + c];
    }
}

/* ---- dropout ----------------------------------------------------------- */

/* (n) -> (n). The mask is drawn sequentially from rng so the same seed gives
 * the same mask whatever the thread count. */
void sw_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, bool train,
                        sw_rng *rng) {
  if (!train || p <= 0.0f) {
    if (out != inp) memmove(out, inp, n * sizeof(float));
    if (mask)
      for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
    return;
  }
  float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  for (size_t i = 0; i < n; i++) {
    float m = sw_rng_uniform(rng) < p ? 0.0f : scale;
    mask[i] = m;
    out[i] = inp[i] * m;
  }
}

void sw_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n, bool train) {
  if (!dinp) return;
  if (!train) {
    elem_run(EL_ACC, dinp, dout, NULL, n);
    return;
  }
  for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}

/* ---- linear ------------------------------------------------------------ */

/* inp (B, IN) @ weight (OUT, IN)^T + bias (OUT) -> out (B, OUT) */
void sw_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B,
                       int IN, int OUT) {
  float beta = 0.0f;
  if (bias) {
    for (int b = 0; b < B; b++) memcpy(out + (size_t)b * OUT, bias, (size_t)OUT * sizeof(float));
    beta = 1.0f;
  }
  sw_sgemm(false, true, B, OUT, IN, 1.0f, inp, IN, weight, IN, beta,
              out, OUT);
}

void sw_linear_forward_ref(float *out, const float *inp, const float *weight, const float *bias,
                           int B, int IN, int OUT) {
  for (int b = 0; b < B; b++)
    for (int o = 0; o < OUT; o++) {
      double s = bias ? bias[o] : 0.0;
      for (int i = 0; i < IN; i++) s += (double)inp[(size_t)b * IN + i] * weight[(size_t)o * IN + i];
      out[(size_t)b * OUT + o] = (float)s;
    }
}

/* dout (B, OUT) -> dinp (B, IN) += dout @ weight; dweight (OUT, IN) += dout^T @ inp;
 * dbias (OUT) += column sums of dout */
void sw_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int B, int IN, int OUT) {
  if (dinp)
    sw_sgemm(false, false, B, IN, OUT, 1.0f, dout, OUT, weight, IN,
                1.0f, dinp, IN);
  if (dweight)
    sw_sgemm(true, false, OUT, IN, B, 1.0f, dout, OUT, inp, IN,
                1.0f, dweight, IN);
  if (dbias)
    for (int o = 0; o < OUT; o++) {
      double s = 0;
      for (int b = 0; b < B; b++) s += dout[(size_t)b * OUT + o];
      dbias[o] += (float)s;
    }
}

/* ---- softmax cross-entropy --------------------------------------------- */

void sw_softmax(float *probs, const float *logits, int B, int C) {
  for (int b = 0; b < B; b++) {
    const float *l = logits + (size_t)b * C;
    float *p = probs + (size_t)b * C;
    float m = -INFINITY;
    for (int c = 0; c < C; c++)
      if (l[c] > m) m = l[c];
    double s = 0;
    for (int c = 0; c < C; c++) s += exp((double)l[c] - m);
    for (int c = 0; c < C; c++) p[c] = (float)(exp((double)l[c] - m) / s);
  }
}

static int ce_valid(const int32_t *targets, int B, int C) {
  int n = 0;
  for (int b = 0; b < B; b++) n += targets[b] >= 0 && targets[b] < C;
  return n;
}

/* logits (B, C), targets (B) -> mean loss; probs (B, C). A target outside
 * [0, C) (e.g. PyTorch's ignore_index -100) marks a row that is left out of
 * the loss, its gradient and the mean, as PyTorch does. */
float sw_cross_entropy_forward(float *probs, const float *logits, const int32_t *targets, int B,
                               int C, float smoothing) {
  int valid = ce_valid(targets, B, C);
  double total = 0;
  for (int b = 0; b < B; b++) {
    const float *l = logits + (size_t)b * C;
    float m = -INFINITY;
    for (int c = 0; c < C; c++)
      if (l[c] > m) m = l[c];
    double s = 0;
    for (int c = 0; c < C; c++) s += exp((double)l[c] - m);
    double lse = m + log(s);
    if (probs)
      for (int c = 0; c < C; c++) probs[(size_t)b * C + c] = (float)exp((double)l[c] - lse);
    int t = targets[b];
    if (t < 0 || t >= C) continue;
    /* -sum_c q_c log p_c with q = (1-s) onehot + s/C */
    double nll = lse - l[t];
    double smooth = 0;
    if (smoothing != 0.0f) {
      double sum_logp = 0;
      for (int c = 0; c < C; c++) sum_logp += (double)l[c] - lse;
      smooth = -sum_logp / C;
    }
    total += (1.0 - smoothing) * nll + smoothing * smooth;
  }
  return valid ? (float)(total / valid) : NAN;
}

void sw_cross_entropy_backward(float *dlogits, const float *probs, const int32_t *targets, int B,
                               int C, float smoothing) {
  int valid = ce_valid(targets, B, C);
  if (!valid) return;
  float inv = 1.0f / (float)valid;
  float off = smoothing / (float)C;
  for (int b = 0; b < B; b++) {
    int t = targets[b];
    if (t < 0 || t >= C) continue;
    const float *p = probs + (size_t)b * C;
    float *d = dlogits + (size_t)b * C;
    for (int c = 0; c < C; c++) {
      float q = off + (c == t ? 1.0f - smoothing : 0.0f);
      d[c] += (p[c] - q) * inv;
    }
  }
}
