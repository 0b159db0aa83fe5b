/* plan.h: an inference plan, compiled once from a loaded sw_model.
 *
 * The plan is the eval-mode forward pass of the model as a list of steps,
 * each one forward function (see plan.c):
 *  - every BatchNorm folded into the convolution before it (weights scaled
 *    per output channel, the shift as the conv's bias), and a BatchNorm1d
 *    that feeds a Linear (through eval-mode dropouts) folded into that
 *    Linear; any other BatchNorm stays as a per-channel scale and shift;
 *  - ReLU / ReLU6 run as part of the step that produces their input (conv,
 *    residual add, linear, scale/shift), in place over its output;
 *  - dropout is the identity and disappears;
 *  - the activations live in one pool sized by liveness: a buffer is alive
 *    from the step that writes it to the last step that reads it, buffers
 *    whose lifetimes do not overlap share memory, and a residual add writes
 *    over its first input when that input dies there. No gradients, no
 *    saved statistics, nothing of the training arena.
 * The folded weights are the plan's own copy: the model may be changed or
 * freed afterwards (sw_plan_update, or a new plan, sees new weights). Memory is
 * planned for max_batch; any batch up to it may be run.
 */
#ifndef SW_PLAN_H
#define SW_PLAN_H

#include "model.h"

typedef struct sw_plan sw_plan;

/* Compiles m's current weights for inputs (B <= max_batch, 3, height, width).
 * The convolution algorithm (sw_conv2d_set_algo) in force now is the plan's:
 * its Winograd convolutions keep only their filters transformed once.
 * Returns NULL with a message in err (invalid shape, out of memory). */
sw_plan *sw_plan_new(const sw_model *m, int max_batch, int height, int width, char *err,
                     size_t errlen);
void sw_plan_free(sw_plan *p);

/* Compiles m's current weights again into p, which was made from a model of
 * the same architecture and shape (the same network after some training
 * steps, say): the steps, the activation pool and the weight block stay, so
 * nothing is allocated or faulted in again. Returns 0, or -1 with a message
 * in err when m does not fit p (p must then be freed). */
int sw_plan_update(sw_plan *p, const sw_model *m, char *err, size_t errlen);

/* input (B, 3, H, W) -> logits (B, num_outputs), valid until the next forward.
 * NULL when B is out of range or input is NULL. */
const float *sw_plan_forward(sw_plan *p, const float *input, int batch);

int sw_plan_num_outputs(const sw_plan *p);
int sw_plan_max_batch(const sw_plan *p);
int sw_plan_num_steps(const sw_plan *p);
const sw_model_config *sw_plan_get_config(const sw_plan *p);
/* Bytes of the activation pool, of the largest set of simultaneously live
 * activations (the pool's lower bound), of the conv workspace and of the
 * folded weights. */
size_t sw_plan_pool_bytes(const sw_plan *p);
size_t sw_plan_live_bytes(const sw_plan *p);
size_t sw_plan_workspace_bytes(const sw_plan *p);
size_t sw_plan_weight_bytes(const sw_plan *p);

#endif
