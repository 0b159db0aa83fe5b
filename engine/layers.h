/* layers.h: every layer of the engine as a forward/backward pair.
 *
 * Each fast kernel has a naive reference kernel (*_ref) beside it, used by the
 * tests. Shapes are given in the comment above each pair. Backward functions
 * ADD into the gradient buffers (see tensor.h); a NULL gradient pointer means
 * "not needed" and skips that work (e.g. dweight of a frozen conv, dinp of the
 * first layer).
 */
#ifndef SW_LAYERS_H
#define SW_LAYERS_H

#include "tensor.h"

/* ---- conv2d ------------------------------------------------------------
 * inp (B, Cin, H, W), weight (Cout, Cin/groups, KH, KW), bias (Cout) or NULL
 * -> out (B, Cout, OH, OW). Asymmetric padding is allowed (TensorFlow 'SAME'
 * emulation pads 0 top/left and 1 bottom/right). groups == Cin == Cout is
 * depthwise and gets its own direct kernel; 3x3 stride-1 groups-1 convs with
 * padding <= 2 may use Winograd (winograd.h, sw_conv2d_winograd_tile);
 * everything else uses im2col (or nothing, for 1x1 stride-1) and OpenBLAS
 * sgemm. */
typedef struct {
  int B, Cin, H, W;
  int Cout, KH, KW;
  int stride;
  int pad_t, pad_l, pad_b, pad_r;
  int groups;
  int OH, OW; /* derived by sw_conv2d_init */
} sw_conv2d;

void sw_conv2d_init(sw_conv2d *c, int B, int Cin, int H, int W, int Cout, int K, int stride,
                    int pad, int groups);
/* Same, but with explicit per-side padding. */
void sw_conv2d_init_pad(sw_conv2d *c, int B, int Cin, int H, int W, int Cout, int K, int stride,
                        int pad_t, int pad_l, int pad_b, int pad_r, int groups);
/* Floats of scratch space forward/backward need (0 when none). Depends on
 * the batch size: small feature maps are batched several images per gemm.
 * One workspace may be shared by every conv of a model (size it for the
 * largest); it holds nothing between calls. */
size_t sw_conv2d_workspace(const sw_conv2d *c);
void sw_conv2d_forward(const sw_conv2d *c, float *out, const float *inp, const float *weight,
                       const float *bias, float *ws);
void sw_conv2d_backward(const sw_conv2d *c, float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight, float *ws);
/* The forward for inference, where no gradient follows: the same result, but
 * AUTO may pick a kernel whose rounding error training-mode BatchNorm would
 * amplify (Winograd, see sw_conv2d_uses_winograd). */
void sw_conv2d_forward_infer(const sw_conv2d *c, float *out, const float *inp,
                             const float *weight, const float *bias, float *ws);
/* Which kernel the 3x3 stride-1 convs use, process-wide: AUTO picks per pass
 * from measurement (conv.c, wino_auto: F(2x2, 3x3) for the training forward,
 * whose error training-mode BatchNorm amplifies, F(4x4, 3x3) for the backward
 * passes and the inference forward, and only where Winograd saves half the
 * multiplications), IM2COL forces im2col + sgemm (the reference, for A/B runs
 * and tests), WINOGRAD / WINOGRAD2 force F(4x4) / F(2x2) wherever Winograd
 * applies. The initial value comes from SWELL_CONV=im2col|winograd|winograd2
 * in the environment, else AUTO. The workspace size covers every choice, so
 * it may change between calls. */
typedef enum {
  SW_CONV_AUTO = 0,
  SW_CONV_IM2COL = 1,
  SW_CONV_WINOGRAD = 2, /* F(4x4, 3x3) */
  SW_CONV_WINOGRAD2 = 3 /* F(2x2, 3x3) (SWELL_CONV=winograd2) */
} sw_conv_algo;
void sw_conv2d_set_algo(sw_conv_algo algo);
sw_conv_algo sw_conv2d_get_algo(void);
typedef enum {
  SW_CONV_PASS_FORWARD = 0, /* sw_conv2d_forward (training) */
  SW_CONV_PASS_INFER = 1,   /* sw_conv2d_forward_infer */
  SW_CONV_PASS_BWD_DATA = 2,
  SW_CONV_PASS_BWD_WEIGHTS = 3
} sw_conv_pass;
/* The Winograd tile pass p of c runs under the current setting: 4 for
 * F(4x4, 3x3), 2 for F(2x2, 3x3), 0 for im2col (or the depthwise kernel). */
int sw_conv2d_winograd_tile(const sw_conv2d *c, sw_conv_pass p);
void sw_conv2d_forward_ref(const sw_conv2d *c, float *out, const float *inp, const float *weight,
                           const float *bias);
void sw_conv2d_backward_ref(const sw_conv2d *c, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight);

/* ---- batch norm (2d: HW = H*W; 1d: HW = 1) -----------------------------
 * inp (B, C, HW) -> out (B, C, HW). Training: normalise with batch statistics
 * (biased variance), save mean and 1/sqrt(var+eps) per channel for backward,
 * and update running_mean/running_var with momentum using the UNBIASED
 * variance, as PyTorch does. Eval: use the running statistics. */
typedef struct {
  int B, C, HW;
  float momentum; /* 0.1 */
  float eps;      /* 1e-5 */
} sw_batchnorm;

/* Batch norm's kernels use AVX-512 where the CPU has it (avx512f/dq/vl/bw),
 * unless SWELL_BN=base; false forces the baseline. The same bits either way.
 * Returns whether AVX-512 is now used. For tests and benches. */
bool sw_batchnorm_set_avx512(bool on);

void sw_batchnorm_forward(const sw_batchnorm *bn, float *out, float *save_mean,
                          float *save_invstd, const float *inp, const float *weight,
                          const float *bias, float *running_mean, float *running_var, bool train);
/* In eval mode save_mean/save_invstd are ignored and the running stats used. */
void sw_batchnorm_backward(const sw_batchnorm *bn, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight,
                           const float *save_mean, const float *save_invstd,
                           const float *running_mean, const float *running_var, bool train);
void sw_batchnorm_forward_ref(const sw_batchnorm *bn, float *out, float *save_mean,
                              float *save_invstd, const float *inp, const float *weight,
                              const float *bias, float *running_mean, float *running_var,
                              bool train);

/* Batch norm followed by ReLU or ReLU6, fused: the forward writes
 * act(batchnorm(inp)) in one pass, the backward takes dout = the gradient of
 * that activation output `out` and masks it on the fly (no intermediate
 * gradient buffer to zero, fill and re-read). Same results as
 * sw_batchnorm_forward + sw_relu*_forward and sw_relu*_backward +
 * sw_batchnorm_backward. out must not alias inp (the backward needs both).
 * SW_ACT_NONE is plain batch norm (then `out` may be NULL in the backward). */
typedef enum { SW_ACT_NONE = 0, SW_ACT_RELU = 1, SW_ACT_RELU6 = 2 } sw_act;

void sw_batchnorm_act_forward(const sw_batchnorm *bn, sw_act act, float *out, float *save_mean,
                              float *save_invstd, const float *inp, const float *weight,
                              const float *bias, float *running_mean, float *running_var,
                              bool train);
/* dout: the gradient of act(batchnorm(inp)). The activation's mask is recomputed
 * from inp, weight, bias and the statistics (save_mean / save_invstd in train
 * mode, the running ones in eval mode) bit for bit as the forward made its
 * output, so that output is not read again. bias matters only with an act. */
void sw_batchnorm_act_backward(const sw_batchnorm *bn, sw_act act, float *dinp, float *dweight,
                               float *dbias, const float *dout, const float *inp,
                               const float *weight, const float *bias, const float *save_mean,
                               const float *save_invstd, const float *running_mean,
                               const float *running_var, bool train);
/* The same, but dinp = (not +=): for a gradient this layer writes first, which
 * saves zeroing it and one read of it. */
void sw_batchnorm_act_backward_into(const sw_batchnorm *bn, sw_act act, float *dinp,
                                    float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, const float *bias,
                                    const float *save_mean, const float *save_invstd,
                                    const float *running_mean, const float *running_var,
                                    bool train);

/* ---- activations (n elements) -------------------------------------------
 * Backward takes the forward OUTPUT (so the forward may run in place). */
void sw_relu_forward(float *out, const float *inp, size_t n);
void sw_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
void sw_relu6_forward(float *out, const float *inp, size_t n);
void sw_relu6_backward(float *dinp, const float *dout, const float *out, size_t n);

/* ---- max pool: inp (B, C, H, W) -> out (B, C, OH, OW), argmax (B, C, OH, OW)
 * stores the flat index into the (H, W) plane of the winning input. */
typedef struct {
  int B, C, H, W;
  int K, stride, pad;
  int OH, OW;
} sw_maxpool;

void sw_maxpool_init(sw_maxpool *p, int B, int C, int H, int W, int K, int stride, int pad);
/* argmax may be NULL (inference: the same maxima, no indices kept) */
void sw_maxpool_forward(const sw_maxpool *p, float *out, int32_t *argmax, const float *inp);
/* 3x3 stride-2 pools run 16 outputs at a time with AVX-512 when the CPU has
 * it (the same bits as the scalar loop); false, or SWELL_MAXPOOL=scalar in the
 * environment, forces the scalar loop. Returns whether AVX-512 is now used. */
bool sw_maxpool_set_avx512(bool on);
void sw_maxpool_backward(const sw_maxpool *p, float *dinp, const float *dout,
                         const int32_t *argmax);

/* ---- adaptive pools to 1x1: inp (B, C, HW) -> out rows of stride
 * out_stride (out[b*out_stride + c]), so fastai's AdaptiveConcatPool2d writes
 * max into columns [0, C) and avg into [C, 2C) of one (B, 2C) buffer. */
void sw_global_avgpool_forward(float *out, int out_stride, const float *inp, int B, int C, int HW);
void sw_global_avgpool_backward(float *dinp, const float *dout, int dout_stride, int B, int C,
                                int HW);
void sw_global_maxpool_forward(float *out, int out_stride, int32_t *argmax, const float *inp,
                               int B, int C, int HW);
void sw_global_maxpool_backward(float *dinp, const float *dout, int dout_stride,
                                const int32_t *argmax, int B, int C, int HW);

/* ---- dropout (n elements): mask holds 0 or 1/(1-p); eval is identity. */
void sw_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, bool train,
                        sw_rng *rng);
void sw_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n, bool train);

/* ---- residual add: out = a + b (n elements); backward adds dout to both. */
void sw_add_forward(float *out, const float *a, const float *b, size_t n);
void sw_add_backward(float *da, float *db, const float *dout, size_t n);

/* ---- linear: inp (B, IN), weight (OUT, IN), bias (OUT) or NULL -> out (B, OUT) */
void sw_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int B,
                       int IN, int OUT);
void sw_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int B, int IN, int OUT);
void sw_linear_forward_ref(float *out, const float *inp, const float *weight, const float *bias,
                           int B, int IN, int OUT);

/* ---- softmax cross-entropy, mean over the batch -------------------------
 * logits (B, C), targets (B) -> loss; probs (B, C) saved for backward.
 * Label smoothing as torch.nn.CrossEntropyLoss(label_smoothing=s): the target
 * distribution is (1-s)*onehot + s/C. */
float sw_cross_entropy_forward(float *probs, const float *logits, const int32_t *targets, int B,
                               int C, float smoothing);
/* dlogits (B, C) += (probs - target_distribution) / B */
void sw_cross_entropy_backward(float *dlogits, const float *probs, const int32_t *targets, int B,
                               int C, float smoothing);
/* Row-wise softmax, for inference. */
void sw_softmax(float *probs, const float *logits, int B, int C);

#endif
