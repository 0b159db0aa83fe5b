/* optim.c: see optim.h. */
#include "optim.h"

#include "parallel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  sw_param *p;
  float *grad_avg; /* numel */
  float *sqr_avg;  /* numel (Adam only) */
  int64_t step;
  bool do_wd;
} sw_optim_slot;

struct sw_optim {
  sw_optim_config cfg;
  int n;
  sw_optim_slot *slots;
  float *state; /* one block for every grad_avg / sqr_avg */
  size_t state_floats;
};

void sw_optim_config_default(sw_optim_config *cfg, sw_optim_kind kind) {
  cfg->kind = kind;
  cfg->sqr_mom = 0.99;
  cfg->eps = 1e-5;
  cfg->wd = kind == SW_OPTIM_ADAM ? 0.01 : 0.0;
  cfg->wd_bn_bias = false;
}

int sw_optim_kind_from_name(const char *name, sw_optim_kind *out) {
  if (strcmp(name, "adam") == 0) {
    *out = SW_OPTIM_ADAM;
    return 0;
  }
  if (strcmp(name, "sgd") == 0) {
    *out = SW_OPTIM_SGD;
    return 0;
  }
  return -1;
}

sw_optim *sw_optim_new(const sw_optim_config *cfg, sw_param *const *params, int n, char *err,
                       size_t errlen) {
  sw_optim *o = calloc(1, sizeof *o);
  if (!o) goto oom;
  o->cfg = *cfg;
  o->slots = calloc((size_t)(n > 0 ? n : 1), sizeof *o->slots);
  if (!o->slots) goto oom;
  size_t per = cfg->kind == SW_OPTIM_ADAM ? 2 : 1;
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    if (params[i]->is_buffer) continue;
    if (params[i]->group < 0 || params[i]->group >= 64) {
      snprintf(err, errlen, "optimiser: parameter %s has invalid group %d", params[i]->name,
               params[i]->group);
      sw_optim_free(o);
      return NULL;
    }
    total += per * (size_t)params[i]->numel;
  }
  o->state_floats = total;
  o->state = calloc(total ? total : 1, sizeof(float));
  if (!o->state) goto oom;
  float *s = o->state;
  for (int i = 0; i < n; i++) {
    sw_param *p = params[i];
    if (p->is_buffer) continue;
    sw_optim_slot *sl = &o->slots[o->n++];
    sl->p = p;
    sl->grad_avg = s;
    s += p->numel;
    if (cfg->kind == SW_OPTIM_ADAM) {
      sl->sqr_avg = s;
      s += p->numel;
    }
    sl->do_wd = cfg->wd_bn_bias || !(p->is_bn || p->is_bias);
  }
  return o;
oom:
  snprintf(err, errlen, "optimiser: out of memory");
  sw_optim_free(o);
  return NULL;
}

void sw_optim_free(sw_optim *o) {
  if (!o) return;
  free(o->state);
  free(o->slots);
  free(o);
}

const sw_optim_config *sw_optim_get_config(const sw_optim *o) { return &o->cfg; }

/* One parameter's update, split over the engine's threads by element ranges:
 * every element is updated on its own, so the bits do not depend on the split. */
typedef struct {
  sw_optim_slot *sl;
  bool decay;
  float f_decay;                /* fastai's true (decoupled) weight decay: w *= 1 - lr * wd */
  float fm, fdm, fs, fds, fd2, feps, alpha; /* Adam */
  float flr;                    /* SGD */
} step_ctx;

#define OPTIM_CHUNK 16384 /* elements worth handing to a thread */

static void adam_chunk(void *vctx, int64_t i0, int64_t i1) {
  const step_ctx *x = vctx;
  float *w = x->sl->p->data, *ga = x->sl->grad_avg, *sa = x->sl->sqr_avg;
  const float *g = x->sl->p->grad;
  if (x->decay)
    for (int64_t i = i0; i < i1; i++) w[i] *= x->f_decay;
  for (int64_t i = i0; i < i1; i++) {
    ga[i] = ga[i] * x->fm + x->fdm * g[i];
    sa[i] = sa[i] * x->fs + x->fds * g[i] * g[i];
    float denom = sqrtf(sa[i] / x->fd2) + x->feps;
    w[i] += x->alpha * (ga[i] / denom);
  }
}

static void sgd_chunk(void *vctx, int64_t i0, int64_t i1) {
  const step_ctx *x = vctx;
  float *w = x->sl->p->data, *ga = x->sl->grad_avg;
  const float *g = x->sl->p->grad;
  if (x->decay)
    for (int64_t i = i0; i < i1; i++) w[i] *= x->f_decay;
  for (int64_t i = i0; i < i1; i++) {
    ga[i] = ga[i] * x->fm + g[i];
    w[i] += x->flr * ga[i];
  }
}

static void slot_step(const sw_optim_config *c, sw_optim_slot *sl, double lr, double mom) {
  step_ctx x = {.sl = sl, .decay = sl->do_wd && c->wd != 0, .f_decay = (float)(1.0 - lr * c->wd),
                .fm = (float)mom};
  sl->step++;
  if (c->kind == SW_OPTIM_ADAM) {
    x.fdm = (float)(1.0 - mom);
    x.fs = (float)c->sqr_mom;
    x.fds = (float)(1.0 - c->sqr_mom);
    double debias1 = 1.0 - pow(mom, (double)sl->step);
    x.fd2 = (float)(1.0 - pow(c->sqr_mom, (double)sl->step));
    x.feps = (float)c->eps;
    x.alpha = (float)(-lr / debias1);
    sw_parallel_for(sl->p->numel, OPTIM_CHUNK, adam_chunk, &x);
  } else {
    x.flr = (float)(-lr);
    sw_parallel_for(sl->p->numel, OPTIM_CHUNK, sgd_chunk, &x);
  }
}

void sw_optim_step(sw_optim *o, const double *lrs, double mom) {
  for (int i = 0; i < o->n; i++) {
    sw_optim_slot *sl = &o->slots[i];
    if (!sl->p->trainable || !sl->p->grad) continue;
    slot_step(&o->cfg, sl, lrs[sl->p->group], mom);
  }
}

void sw_optim_clear_state(sw_optim *o) {
  memset(o->state, 0, o->state_floats * sizeof(float));
  for (int i = 0; i < o->n; i++) o->slots[i].step = 0;
}

size_t sw_optim_state_floats(const sw_optim *o) { return o->state_floats + (size_t)o->n; }

void sw_optim_save_state(const sw_optim *o, float *dst) {
  memcpy(dst, o->state, o->state_floats * sizeof(float));
  for (int i = 0; i < o->n; i++) dst[o->state_floats + (size_t)i] = (float)o->slots[i].step;
}

void sw_optim_load_state(sw_optim *o, const float *src) {
  memcpy(o->state, src, o->state_floats * sizeof(float));
  for (int i = 0; i < o->n; i++) o->slots[i].step = (int64_t)src[o->state_floats + (size_t)i];
}
