/* model.h: torchvision-exact ResNet-18/34/50 and MobileNetV2, with either the
 * original ImageNet classifier or fastai's create_head.
 *
 * A model is a body (all but the final classifier, with torchvision's
 * state-dict names) plus a head. Internally it is a list of layer nodes over
 * activation buffers (see layers.h); forward runs them in order, backward in
 * reverse. Parameters and gradients live in one arena allocated at creation;
 * activations in one arena allocated by sw_model_prepare for a batch shape.
 */
#ifndef SW_MODEL_H
#define SW_MODEL_H

#include "tensor.h"
#include "weights.h"

typedef enum {
  SW_ARCH_RESNET18,
  SW_ARCH_RESNET34,
  SW_ARCH_RESNET50,
  SW_ARCH_MOBILENET_V2,
} sw_arch;

typedef enum {
  SW_HEAD_FASTAI,   /* create_head(2*nf, n_classes), kaiming-normal init */
  SW_HEAD_IMAGENET, /* torchvision's own classifier (fc / classifier.1) */
} sw_head_kind;

typedef struct {
  sw_arch arch;
  float width_mult;     /* MobileNetV2 only; 1.0 default */
  bool tf_same_padding; /* MobileNetV2: pad (0,1,0,1) on the stride-2 3x3 convs */
  sw_head_kind head;
  int num_classes;      /* head outputs (1000 or 1001 for ImageNet heads) */
  uint64_t seed;        /* head initialisation and dropout */
} sw_model_config;

/* "resnet34" <-> SW_ARCH_RESNET34 etc. Returns -1 for unknown names. */
int sw_arch_from_name(const char *name, sw_arch *out);
const char *sw_arch_name(sw_arch a);

typedef struct {
  /* Body: torchvision's state-dict names ("layer1.0.conv1.weight", "features.0.0.weight").
   * fastai head: "head.<i>.<field>" with i the index in fastai's create_head Sequential
   * (2: BatchNorm1d, 4: Linear, 6: BatchNorm1d, 8: Linear). ImageNet head: "fc.*" /
   * "classifier.1.*" as torchvision. */
  const char *name;
  sw_shape shape;
  int64_t numel;
  float *data;
  float *grad;      /* NULL for buffers */
  int group;        /* parameter group, 0 .. sw_model_num_groups()-1 */
  bool is_buffer;   /* BatchNorm running_mean / running_var: no gradient */
  bool is_bn;       /* BatchNorm weight or bias (train_bn, no weight decay) */
  bool is_bias;     /* bias of conv/linear (no weight decay) */
  bool trainable;   /* set by sw_model_freeze_to / unfreeze */
} sw_param;

typedef struct sw_model sw_model;

sw_model *sw_model_new(const sw_model_config *cfg, char *err, size_t errlen);
void sw_model_free(sw_model *m);
const sw_model_config *sw_model_get_config(const sw_model *m);

int sw_model_num_params(const sw_model *m); /* including buffers */
sw_param *sw_model_param(sw_model *m, int i);
sw_param *sw_model_find_param(sw_model *m, const char *name);
/* 3 for every architecture and head: fastai's _resnet_split for ResNets (0: conv1, bn1,
 * layer1, layer2; 1: layer3, layer4; 2: head). fastai has no MobileNetV2 split (its
 * default_split would give body | head), so Swell splits `features` in half the same way:
 * 0: features.0-8, 1: features.9-18, 2: head. */
int sw_model_num_groups(const sw_model *m);
int sw_model_num_outputs(const sw_model *m);
/* Feature channels the body produces (512 for resnet18/34, 2048 for resnet50, 1280*width for
 * mobilenet_v2). */
int sw_model_body_features(const sw_model *m);

/* Load weights. body_only: load the body (torchvision names) and ignore a
 * classifier in the file (fc.* / classifier.*); otherwise every tensor of the
 * model must be present. Extra tensors (other than num_batches_tracked and,
 * with body_only, the classifier) are an error. The first mismatch is reported
 * by name and both shapes. */
int sw_model_load(sw_model *m, const sw_state_dict *sd, bool body_only, char *err, size_t errlen);
/* A borrowed view of every parameter and buffer (names as above), in torchvision's
 * state-dict order, with __metadata__ arch, num_classes, head ("fastai" | "imagenet")
 * and, for mobilenet_v2, width_mult and padding ("tf_same" | "symmetric").
 * Free it with sw_state_dict_free (the data stays the model's). */
void sw_model_state_dict(sw_model *m, sw_state_dict *out);

/* Allocate activations for a batch shape. Call again to change it. */
int sw_model_prepare(sw_model *m, int batch, int height, int width, char *err, size_t errlen);
/* input (B, 3, H, W) with B <= prepared batch -> logits (B, num_outputs), valid until the next
 * forward. train: BatchNorm uses batch statistics and updates running stats; dropout active.
 * Returns NULL when the model is not prepared or B is out of range. */
const float *sw_model_forward(sw_model *m, const float *input, int batch, bool train);
/* dlogits (B, num_outputs) of the last forward; ADDS into the grads of trainable
 * parameters (computes no weight gradient for frozen ones). The input given to
 * that forward must still be valid (the first conv's weight gradient reads it). */
void sw_model_backward(sw_model *m, const float *dlogits);
void sw_model_zero_grad(sw_model *m);

/* fastai freeze_to(n): groups < n are frozen except BatchNorm weights/biases (train_bn).
 * freeze() == freeze_to(num_groups-1); unfreeze() == freeze_to(0). */
void sw_model_freeze_to(sw_model *m, int n);

/* Dropout control (addition): every dropout probability is multiplied by scale
 * (1 = the architecture's own: 0.25/0.5 in the fastai head, 0.2 in the
 * MobileNetV2 ImageNet classifier; 0 disables dropout, e.g. for golden tests). */
void sw_model_set_dropout(sw_model *m, float scale);
/* Bytes of the activation arena of the current batch shape (activations, saved
 * statistics, conv workspace and liveness-packed activation gradients); and that
 * plus the parameter and gradient blocks (additions). */
size_t sw_model_activation_bytes(const sw_model *m);
size_t sw_model_memory_bytes(const sw_model *m);

/* Copy all parameters and buffers out / in (for lr_find restore, best-epoch snapshots). */
size_t sw_model_snapshot_floats(const sw_model *m);
void sw_model_snapshot(const sw_model *m, float *dst);
void sw_model_restore(sw_model *m, const float *src);

#endif
