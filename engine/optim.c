/* optim.c: see optim.h. */
#include "optim.h"

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

/* fastai's true (decoupled) weight decay: w *= 1 - lr * wd, before the step */
static void decay(const sw_optim_config *c, sw_optim_slot *sl, double lr) {
  if (!sl->do_wd || c->wd == 0) return;
  float f = (float)(1.0 - lr * c->wd), *w = sl->p->data;
  for (int64_t i = 0; i < sl->p->numel; i++) w[i] *= f;
}

static void adam_step(const sw_optim_config *c, sw_optim_slot *sl, double lr, double mom) {
  sw_param *p = sl->p;
  float *w = p->data;
  const float *g = p->grad;
  int64_t n = p->numel;
  decay(c, sl, lr);
  float fm = (float)mom, fdm = (float)(1.0 - mom);
  float fs = (float)c->sqr_mom, fds = (float)(1.0 - c->sqr_mom);
  float *ga = sl->grad_avg, *sa = sl->sqr_avg;
  sl->step++;
  double debias1 = 1.0 - pow(mom, (double)sl->step);
  double debias2 = 1.0 - pow(c->sqr_mom, (double)sl->step);
  float fd2 = (float)debias2, feps = (float)c->eps;
  float alpha = (float)(-lr / debias1);
  for (int64_t i = 0; i < n; i++) {
    ga[i] = ga[i] * fm + fdm * g[i];
    sa[i] = sa[i] * fs + fds * g[i] * g[i];
    float denom = sqrtf(sa[i] / fd2) + feps;
    w[i] += alpha * (ga[i] / denom);
  }
}

static void sgd_step(const sw_optim_config *c, sw_optim_slot *sl, double lr, double mom) {
  sw_param *p = sl->p;
  float *w = p->data;
  const float *g = p->grad;
  int64_t n = p->numel;
  decay(c, sl, lr);
  float fm = (float)mom, flr = (float)(-lr);
  float *ga = sl->grad_avg;
  sl->step++;
  for (int64_t i = 0; i < n; i++) {
    ga[i] = ga[i] * fm + g[i];
    w[i] += flr * ga[i];
  }
}

void sw_optim_step(sw_optim *o, const double *lrs, double mom) {
  for (int i = 0; i < o->n; i++) {
    sw_optim_slot *sl = &o->slots[i];
    if (!sl->p->trainable || !sl->p->grad) continue;
    double lr = lrs[sl->p->group];
    if (o->cfg.kind == SW_OPTIM_ADAM)
      adam_step(&o->cfg, sl, lr, mom);
    else
      sgd_step(&o->cfg, sl, lr, mom);
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
