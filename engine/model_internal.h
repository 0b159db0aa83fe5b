/* model_internal.h: the node-list graph behind sw_model, and the small builder
 * API the architecture files (resnet.c, mobilenet.c, head.c) use.
 *
 * A model is a list of nodes over values. A value is an activation tensor
 * (B, C, H, W) (or (B, C) once pooled); value 0 is the input image. Nodes are
 * appended in forward order; backward walks them in reverse. Parameters are
 * registered by the builder in torchvision's state-dict order.
 */
#ifndef SW_MODEL_INTERNAL_H
#define SW_MODEL_INTERNAL_H

#include "layers.h"
#include "model.h"

typedef enum {
  SW_OP_CONV,
  SW_OP_BN,
  SW_OP_RELU,
  SW_OP_RELU6,
  SW_OP_MAXPOOL,
  SW_OP_ADD,
  SW_OP_CONCATPOOL, /* fastai AdaptiveConcatPool2d + Flatten: (B,C,H,W) -> (B,2C), max first */
  SW_OP_AVGPOOL,    /* adaptive_avg_pool2d(1) + flatten: (B,C,H,W) -> (B,C) */
  SW_OP_LINEAR,
  SW_OP_DROPOUT,
} sw_op;

/* How a parameter is initialised by sw_model_new (before any weights are loaded). */
typedef enum {
  SW_INIT_ZEROS,
  SW_INIT_ONES,
  SW_INIT_CONST_1E3,        /* fastai BatchNorm bias: 1e-3 */
  SW_INIT_KAIMING_FAN_OUT,  /* torchvision convs: N(0, 2/fan_out) */
  SW_INIT_KAIMING_FAN_IN,   /* fastai apply_init(nn.init.kaiming_normal_): N(0, 2/fan_in) */
  SW_INIT_NORMAL_001,       /* torchvision MobileNetV2 classifier: N(0, 0.01^2) */
  SW_INIT_UNIFORM_FAN_IN,   /* nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
} sw_init_kind;

typedef struct {
  int C, H, W;     /* per sample; H = W = 1 for flat (B, C) values */
  bool flat;
  int producer;    /* node index, -1 for the input */
  int alias;       /* value whose buffer this value shares (in-place op), else -1 */
  int nconsumers;
  float *data;
  float *grad;
  /* backward bookkeeping */
  bool need_grad;
  int first_bwd;   /* first node (in backward order) that writes this grad */
} sw_value;

typedef struct {
  sw_op op;
  int in0, in1, out;
  int pw, pb, prm, prv; /* parameter indices or -1 */
  /* configuration */
  int cout, k, stride, pad, groups;
  bool tf_same;         /* TensorFlow 'SAME' padding computed from the input size */
  float p;              /* dropout */
  sw_act act;           /* BN: the ReLU/ReLU6 of the next node, fused in (set by prepare) */
  bool fused;           /* ReLU/ReLU6 done by the BatchNorm before it: skipped */
  int in_features, out_features;
  /* prepared for a batch shape */
  sw_conv2d conv;
  sw_maxpool pool;
  sw_batchnorm bn;
  float *save_mean, *save_invstd, *mask;
  int32_t *argmax;
} sw_node;

typedef struct {
  sw_init_kind init;
  int64_t fan_in, fan_out;
} sw_param_init;

struct sw_model {
  sw_model_config cfg;
  int body_features;
  int num_outputs;

  sw_param *params;
  sw_param_init *pinit;
  char **names; /* owned copies of the parameter names */
  int nparams, cap_params;

  sw_node *nodes;
  int nnodes, cap_nodes;
  sw_value *values;
  int nvalues, cap_values;
  int head_start_param; /* first parameter of the head (classifier) */

  float *param_block; /* all parameters and buffers, contiguous */
  float *grad_block;  /* gradients of all non-buffer parameters, contiguous */
  size_t param_floats, grad_floats;

  /* per batch shape */
  sw_arena act;
  int prep_batch, prep_h, prep_w;
  float *ws;
  size_t ws_floats;
  float *grad_arena;
  size_t grad_arena_floats;
  int cur_batch; /* batch of the last forward */
  bool last_train;
  float dropout_scale;
  sw_rng rng;
  size_t act_bytes, grad_bytes;
};

/* Builder. Each returns the new output value (or parameter index), or -1 on
 * allocation failure (sw_model_new then fails). `prefix` is the module path,
 * e.g. "layer1.0.conv1"; `group` the parameter group. */
int sw_mb_conv(sw_model *m, const char *prefix, int in, int cout, int k, int stride, int pad,
               int groups, bool bias, bool tf_same, int group);
int sw_mb_bn(sw_model *m, const char *prefix, int in, int group, bool fastai_init);
int sw_mb_relu(sw_model *m, int in);
int sw_mb_relu6(sw_model *m, int in);
int sw_mb_maxpool(sw_model *m, int in, int k, int stride, int pad);
int sw_mb_add(sw_model *m, int a, int b);
int sw_mb_concatpool(sw_model *m, int in);
int sw_mb_avgpool(sw_model *m, int in);
int sw_mb_linear(sw_model *m, const char *prefix, int in, int out_features, bool bias,
                 sw_init_kind init, int group);
int sw_mb_dropout(sw_model *m, int in, float p);

/* Hooks for the inference plan (plan.c). */
/* Grows the array *p of *cap elements (doubling) to hold `need`, zeroing the
 * new part. Returns 0, or -1 when out of memory (*p is then unchanged). */
int sw_grow_array(void **p, int *cap, int need, size_t elem);
/* A node's layer descriptors for one batch shape. */
typedef struct {
  sw_conv2d conv;
  sw_maxpool pool;
  sw_batchnorm bn;
} sw_node_dims;
/* Every node's descriptors and every value's height and width for batch B and
 * an input of height x width, into nd (nnodes) and vh, vw (nvalues), without
 * touching the model's prepared state. Returns 0, or -1 when the input is too
 * small (message in err). */
int sw_model_shapes(const sw_model *m, int B, int height, int width, sw_node_dims *nd, int *vh,
                    int *vw, char *err, size_t errlen);

/* A buffer alive from step t0 to step t1 (inclusive) that needs `size` floats. */
typedef struct {
  size_t size, off;
  int t0, t1;
  int value;
} sw_live_slot;
/* Places the n buffers (greedy first fit, largest first; reorders s) so that
 * buffers whose lifetimes overlap do not share memory; sets every off and
 * returns the floats the whole placement spans. */
size_t sw_live_place(sw_live_slot *s, int n);

/* Backward of dlogits (B, num_outputs) of the last forward down to activation
 * `value` only: fills the gradients of the values from the logits to it
 * (values[value].grad), computes no parameter gradient and leaves every
 * parameter's grad untouched (explain.c's Grad-CAM). */
void sw_model_backward_to(sw_model *m, const float *dlogits, int value);

/* Architectures: append the body's nodes to m starting from value `in`;
 * return the body's output value or -1. */
int sw_build_resnet(sw_model *m, int in, int depth);
int sw_build_mobilenet_v2(sw_model *m, int in, float width_mult, bool tf_same);
/* Heads: from the body output value; return the logits value or -1. */
int sw_build_fastai_head(sw_model *m, int in, int nf, int n_classes, int group);
int sw_build_imagenet_head(sw_model *m, int in, int nf, int n_classes, int group);

/* torchvision's _make_divisible(v, 8). */
int sw_make_divisible(double v, int divisor);

#endif
