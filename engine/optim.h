/* optim.h: fastai's optimisers (fastai/optimizer.py), over the engine's sw_param list.
 *
 * Adam (fastai's Adam with its defaults, true_wd):
 *   if do_wd: p *= 1 - lr*wd                                (decoupled weight decay)
 *   grad_avg = mom*grad_avg + (1-mom)*g                     (average_grad, dampening)
 *   sqr_avg  = sqr_mom*sqr_avg + (1-sqr_mom)*g*g            (average_sqr_grad)
 *   step += 1
 *   p -= lr/(1-mom^step) * grad_avg / (sqrt(sqr_avg/(1-sqr_mom^step)) + eps)
 * with mom = the momentum the schedule sets for this batch, sqr_mom 0.99,
 * eps 1e-5, wd 0.01. No amsgrad.
 *
 * SGD with momentum (fastai's SGD with mom > 0):
 *   if do_wd: p *= 1 - lr*wd
 *   grad_avg = mom*grad_avg + g; p -= lr*grad_avg
 *
 * do_wd is false for BatchNorm weights/biases and for biases unless wd_bn_bias
 * (fastai's wd_bn_bias=False default). Only parameters that are trainable and
 * have a gradient are stepped (fastai skips parameters without grad).
 * sw_optim_clear_state() is fastai's Optimizer.clear_state (called by freeze_to).
 */
#ifndef SW_OPTIM_H
#define SW_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

typedef enum {
  SW_OPTIM_ADAM,
  SW_OPTIM_SGD,
} sw_optim_kind;

typedef struct {
  sw_optim_kind kind;
  double sqr_mom;  /* Adam: 0.99 */
  double eps;      /* Adam: 1e-5 */
  double wd;       /* Adam: 0.01; SGD: 0 (fastai's defaults) */
  bool wd_bn_bias; /* false */
} sw_optim_config;

void sw_optim_config_default(sw_optim_config *cfg, sw_optim_kind kind);
/* "adam" / "sgd" -> kind; -1 when unknown. */
int sw_optim_kind_from_name(const char *name, sw_optim_kind *out);

typedef struct sw_optim sw_optim;

/* params: n pointers, borrowed (must outlive the optimiser). Buffers are ignored. */
sw_optim *sw_optim_new(const sw_optim_config *cfg, sw_param *const *params, int n, char *err,
                       size_t errlen);
void sw_optim_free(sw_optim *o);
const sw_optim_config *sw_optim_get_config(const sw_optim *o);

/* One step. lrs: learning rate per parameter group (indexed by sw_param.group). */
void sw_optim_step(sw_optim *o, const double *lrs, double mom);
void sw_optim_clear_state(sw_optim *o);

/* Save/restore the whole state (moving averages and step counts), for lr_find. */
size_t sw_optim_state_floats(const sw_optim *o);
void sw_optim_save_state(const sw_optim *o, float *dst);
void sw_optim_load_state(sw_optim *o, const float *src);

#endif
