/* learner.c: see learner.h. */
#include "learner.h"

#include "metrics.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layers.h"

struct sw_learner {
  sw_net net;
  sw_batch_source *train, *valid;
  sw_learner_config cfg;
  sw_learner_callbacks cbs;
  sw_optim *opt;
  sw_param **params;
  int nparams;
  int n_groups;
  int C;
  int max_batch;
  size_t image_floats; /* per image */
  float *x;
  int32_t *y;
  float *probs;   /* max_batch * C */
  float *dlogits; /* max_batch * C */
  int train_epochs; /* epochs begun on the training source, over the learner's life */
  atomic_bool cancel;
  /* AvgSmoothLoss */
  float smooth_val;
  int smooth_count;
  /* the network at the end of the last completed epoch */
  float *snap;
  size_t snap_n;
  /* validation results: [0] last completed, [1] scratch */
  int v_cap;
  float *v_probs[2];
  int32_t *v_targets[2];
  float *v_losses[2];
  float *v_logits[2];
  int v_n;
  /* the inference copy of the last prediction pass, and the shape it was made for */
  void *infer;
  int infer_batch, infer_h, infer_w;
};

const char *sw_stage_name(sw_stage s) {
  switch (s) {
  case SW_STAGE_PLAIN: return "plain";
  case SW_STAGE_FROZEN: return "frozen";
  case SW_STAGE_UNFROZEN: return "unfrozen";
  case SW_STAGE_LR_FIND: return "lr_find";
  }
  return "?";
}

void sw_learner_config_default(sw_learner_config *cfg) {
  sw_optim_config_default(&cfg->optim, SW_OPTIM_ADAM);
  cfg->label_smoothing = 0.0f;
  cfg->smooth_beta = 0.98;
}

void sw_fine_tune_params_default(sw_fine_tune_params *p, int epochs) {
  p->epochs = epochs;
  p->base_lr = 2e-3;
  p->freeze_epochs = 1;
  p->lr_mult = 100;
  p->pct_start = 0.3;
  p->div = 5.0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_source(const sw_batch_source *s, const char *what, int C0, int H0, int W0,
                        char *err, size_t errlen) {
  if (!s->next || !s->begin_epoch || s->batch_size <= 0 || s->channels <= 0 || s->height <= 0 ||
      s->width <= 0) {
    snprintf(err, errlen, "learner: %s batch source is incomplete", what);
    return -1;
  }
  if (C0 && (s->channels != C0 || s->height != H0 || s->width != W0)) {
    snprintf(err, errlen,
             "learner: %s batches are %dx%dx%d but training batches are %dx%dx%d", what,
             s->channels, s->height, s->width, C0, H0, W0);
    return -1;
  }
  return 0;
}

sw_learner *sw_learner_new(const sw_net *net, sw_batch_source *train, sw_batch_source *valid,
                           const sw_learner_config *cfg, char *err, size_t errlen) {
  if (check_source(train, "training", 0, 0, 0, err, errlen) < 0) return NULL;
  if (train->num_batches <= 0) {
    snprintf(err, errlen, "learner: the training set has no full batch of %d images",
             train->batch_size);
    return NULL;
  }
  if (valid && check_source(valid, "validation", train->channels, train->height, train->width,
                            err, errlen) < 0)
    return NULL;
  sw_learner *l = calloc(1, sizeof *l);
  if (!l) goto oom;
  l->net = *net;
  l->train = train;
  l->valid = valid;
  l->cfg = *cfg;
  atomic_init(&l->cancel, false);
  l->n_groups = net->num_groups(net->impl);
  if (l->n_groups < 1 || l->n_groups > SW_MAX_GROUPS) {
    snprintf(err, errlen, "learner: %d parameter groups (1..%d supported)", l->n_groups,
             SW_MAX_GROUPS);
    free(l);
    return NULL;
  }
  l->C = net->num_outputs(net->impl);
  l->max_batch = train->batch_size;
  if (valid && valid->batch_size > l->max_batch) l->max_batch = valid->batch_size;
  l->image_floats = (size_t)train->channels * train->height * train->width;
  if (net->prepare(net->impl, l->max_batch, train->height, train->width, err, errlen) < 0) {
    free(l);
    return NULL;
  }
  l->nparams = net->num_params(net->impl);
  l->params = calloc((size_t)(l->nparams > 0 ? l->nparams : 1), sizeof *l->params);
  if (!l->params) goto oom;
  for (int i = 0; i < l->nparams; i++) l->params[i] = net->param(net->impl, i);
  l->opt = sw_optim_new(&cfg->optim, l->params, l->nparams, err, errlen);
  if (!l->opt) {
    free(l->params);
    free(l);
    return NULL;
  }
  l->x = malloc(sizeof(float) * l->image_floats * (size_t)l->max_batch);
  l->y = malloc(sizeof(int32_t) * (size_t)l->max_batch);
  l->probs = malloc(sizeof(float) * (size_t)l->C * (size_t)l->max_batch);
  l->dlogits = malloc(sizeof(float) * (size_t)l->C * (size_t)l->max_batch);
  l->snap_n = net->snapshot_floats(net->impl);
  l->snap = malloc(sizeof(float) * (l->snap_n ? l->snap_n : 1));
  if (!l->x || !l->y || !l->probs || !l->dlogits || !l->snap) goto oom;
  if (valid) {
    l->v_cap = valid->num_batches * valid->batch_size;
    for (int k = 0; k < 2; k++) {
      size_t cap = (size_t)(l->v_cap > 0 ? l->v_cap : 1);
      l->v_probs[k] = malloc(sizeof(float) * cap * (size_t)l->C);
      l->v_targets[k] = malloc(sizeof(int32_t) * cap);
      l->v_losses[k] = malloc(sizeof(float) * cap);
      l->v_logits[k] = malloc(sizeof(float) * cap * (size_t)l->C);
      if (!l->v_probs[k] || !l->v_targets[k] || !l->v_losses[k] || !l->v_logits[k]) goto oom;
    }
  }
  return l;
oom:
  snprintf(err, errlen, "learner: out of memory");
  sw_learner_free(l);
  return NULL;
}

void sw_learner_free(sw_learner *l) {
  if (!l) return;
  if (l->infer) l->net.infer_free(l->infer);
  sw_optim_free(l->opt);
  free(l->params);
  free(l->x);
  free(l->y);
  free(l->probs);
  free(l->dlogits);
  free(l->snap);
  for (int k = 0; k < 2; k++) {
    free(l->v_probs[k]);
    free(l->v_targets[k]);
    free(l->v_losses[k]);
    free(l->v_logits[k]);
  }
  free(l);
}

void sw_learner_set_callbacks(sw_learner *l, const sw_learner_callbacks *cbs) { l->cbs = *cbs; }
sw_optim *sw_learner_optim(sw_learner *l) { return l->opt; }
int sw_learner_num_groups(const sw_learner *l) { return l->n_groups; }

void sw_learner_freeze_to(sw_learner *l, int n) {
  l->net.freeze_to(l->net.impl, n);
  sw_optim_clear_state(l->opt);
}
void sw_learner_freeze(sw_learner *l) { sw_learner_freeze_to(l, l->n_groups - 1); }
void sw_learner_unfreeze(sw_learner *l) { sw_learner_freeze_to(l, 0); }

void sw_learner_cancel(sw_learner *l) { atomic_store(&l->cancel, true); }
bool sw_learner_cancelled(const sw_learner *l) {
  return atomic_load(&((sw_learner *)l)->cancel);
}

static bool is_frozen(sw_learner *l) {
  for (int i = 0; i < l->nparams; i++) {
    sw_param *p = l->params[i];
    if (!p->is_buffer && !p->is_bn && !p->trainable) return true;
  }
  return false;
}

static void smooth_reset(sw_learner *l) {
  l->smooth_val = 0.0f;
  l->smooth_count = 0;
}

/* fastai AvgSmoothLoss: val = lerp(loss, val, beta); value = val / (1 - beta^count). */
static float smooth_add(sw_learner *l, float loss) {
  float beta = (float)l->cfg.smooth_beta;
  l->smooth_count++;
  l->smooth_val = loss + beta * (l->smooth_val - loss);
  return l->smooth_val / (float)(1.0 - pow(l->cfg.smooth_beta, l->smooth_count));
}

static int check_targets(const sw_learner *l, const int32_t *y, int n, const char *what, char *err,
                         size_t errlen) {
  for (int i = 0; i < n; i++)
    if (y[i] < 0 || y[i] >= l->C) {
      snprintf(err, errlen, "learner: %s target %d is outside 0..%d", what, (int)y[i], l->C - 1);
      return -1;
    }
  return 0;
}

/* Next training batch, checking it. Returns n, 0 at the end, -1 on error. */
static int next_train(sw_learner *l, char *err, size_t errlen) {
  int n = l->train->next(l->train->user, l->x, l->y, err, errlen);
  if (n < 0) return -1;
  if (n > l->train->batch_size) {
    snprintf(err, errlen, "learner: training source returned %d images for a batch of %d", n,
             l->train->batch_size);
    return -1;
  }
  if (n > 0 && check_targets(l, l->y, n, "training", err, errlen) < 0) return -1;
  return n;
}

/* One optimiser step on the batch in l->x / l->y. Returns the batch loss. */
static float train_step(sw_learner *l, int n, const double *lrs, double mom) {
  l->net.zero_grad(l->net.impl);
  const float *logits = l->net.forward(l->net.impl, l->x, n, true);
  float loss = sw_cross_entropy_forward(l->probs, logits, l->y, n, l->C, l->cfg.label_smoothing);
  memset(l->dlogits, 0, sizeof(float) * (size_t)n * (size_t)l->C);
  sw_cross_entropy_backward(l->dlogits, l->probs, l->y, n, l->C, l->cfg.label_smoothing);
  l->net.backward(l->net.impl, l->dlogits);
  sw_optim_step(l->opt, lrs, mom);
  return loss;
}

/* The outputs of a prediction pass, each NULL when not wanted: probs and
 * logits n*C, targets and losses n, for up to capacity images. */
typedef struct {
  float *probs;
  int32_t *targets;
  float *losses;
  float *logits;
  int capacity;
} pred_out;

/* Softmax probabilities, logits, targets and losses of n logits rows into the
 * outputs from row `total` on (up to capacity); returns the new total. */
static int store_predictions(const sw_learner *l, const float *logits, int n, int total,
                             const pred_out *o) {
  const int C = l->C;
  float *probs = o->probs, *losses = o->losses;
  int32_t *targets = o->targets;
  for (int i = 0; i < n && total < o->capacity; i++, total++) {
    const float *z = logits + (size_t)i * C;
    if (o->logits) memcpy(o->logits + (size_t)total * C, z, sizeof(float) * (size_t)C);
    float m = z[0];
    for (int c = 1; c < C; c++)
      if (z[c] > m) m = z[c];
    double s = 0;
    for (int c = 0; c < C; c++) s += exp((double)(z[c] - m));
    if (probs)
      for (int c = 0; c < C; c++) probs[(size_t)total * C + c] = (float)(exp((double)(z[c] - m)) / s);
    if (targets) targets[total] = l->y[i];
    if (losses) losses[total] = (float)((double)m + log(s) - (double)z[l->y[i]]);
  }
  return total;
}

/* The batches of src through the network (infer: its inference plan, or NULL
 * for forward in eval mode). */
static int predict_batches(sw_learner *l, void *infer, bool cancellable, sw_batch_source *src,
                           const pred_out *o, int *n_out, char *err, size_t errlen) {
  int total = 0;
  for (;;) {
    if (cancellable && atomic_load(&l->cancel)) return SW_FIT_CANCELLED;
    int n = src->next(src->user, l->x, l->y, err, errlen);
    if (n < 0) return SW_FIT_ERROR;
    if (n == 0) break;
    if (n > src->batch_size) {
      snprintf(err, errlen, "learner: source returned %d images for a batch of %d", n,
               src->batch_size);
      return SW_FIT_ERROR;
    }
    if (o->targets && check_targets(l, l->y, n, "validation", err, errlen) < 0) return SW_FIT_ERROR;
    const float *logits = infer ? l->net.infer_forward(infer, l->x, n)
                                : l->net.forward(l->net.impl, l->x, n, false);
    total = store_predictions(l, logits, n, total, o);
  }
  *n_out = total;
  return SW_FIT_DONE;
}

/* The current weights compiled for a pass over src (BatchNorm folded, its own
 * small activation pool): the last pass's copy, compiled again when it fits,
 * else a new one. NULL with a message in err. */
static void *current_infer(sw_learner *l, const sw_batch_source *src, char *err, size_t errlen) {
  if (l->infer && l->net.infer_update && src->batch_size <= l->infer_batch &&
      src->height == l->infer_h && src->width == l->infer_w &&
      l->net.infer_update(l->infer, l->net.impl, err, errlen) == 0)
    return l->infer;
  if (l->infer) l->net.infer_free(l->infer);
  l->infer = l->net.infer_new(l->net.impl, src->batch_size, src->height, src->width, err, errlen);
  l->infer_batch = src->batch_size;
  l->infer_h = src->height;
  l->infer_w = src->width;
  return l->infer;
}

static int predict_into(sw_learner *l, bool cancellable, sw_batch_source *src, const pred_out *o,
                        int *n_out, char *err, size_t errlen) {
  *n_out = 0;
  if (check_source(src, "prediction", l->train->channels, l->train->height, l->train->width, err,
                   errlen) < 0)
    return SW_FIT_ERROR;
  if (src->batch_size > l->max_batch) {
    snprintf(err, errlen, "learner: prediction batches of %d exceed the prepared %d",
             src->batch_size, l->max_batch);
    return SW_FIT_ERROR;
  }
  if (src->begin_epoch(src->user, 0, err, errlen) < 0) return SW_FIT_ERROR;
  void *infer = NULL;
  if (l->net.infer_new && !(infer = current_infer(l, src, err, errlen))) return SW_FIT_ERROR;
  return predict_batches(l, infer, cancellable, src, o, n_out, err, errlen);
}

int sw_learner_predict(sw_learner *l, sw_batch_source *src, float *probs, int32_t *targets,
                       float *losses, int capacity, int *n_out, char *err, size_t errlen) {
  pred_out o = {probs, targets, losses, NULL, capacity};
  return predict_into(l, true, src, &o, n_out, err, errlen);
}

int sw_learner_predict_final(sw_learner *l, sw_batch_source *src, float *probs, int32_t *targets,
                             float *losses, float *logits, int capacity, int *n_out, char *err,
                             size_t errlen) {
  pred_out o = {probs, targets, losses, logits, capacity};
  return predict_into(l, false, src, &o, n_out, err, errlen);
}

int sw_learner_last_valid(const sw_learner *l, const float **probs, const int32_t **targets,
                          const float **losses) {
  if (probs) *probs = l->v_probs[0];
  if (targets) *targets = l->v_targets[0];
  if (losses) *losses = l->v_losses[0];
  return l->v_n;
}

const float *sw_learner_last_valid_logits(const sw_learner *l) { return l->v_logits[0]; }

/* Validation into the scratch buffers; on success they become the last ones. */
static int validate(sw_learner *l, sw_epoch_info *ei, char *err, size_t errlen) {
  ei->valid_loss = NAN;
  ei->accuracy = NAN;
  ei->error_rate = NAN;
  ei->n_valid = 0;
  if (!l->valid) return SW_FIT_DONE;
  int n = 0;
  pred_out o = {l->v_probs[1], l->v_targets[1], l->v_losses[1], l->v_logits[1], l->v_cap};
  int rc = predict_into(l, true, l->valid, &o, &n, err, errlen);
  if (rc != SW_FIT_DONE) return rc;
  double loss = 0;
  for (int i = 0; i < n; i++) loss += l->v_losses[1][i];
  ei->n_valid = n;
  if (n > 0) {
    ei->valid_loss = (float)(loss / n);
    ei->accuracy = sw_accuracy(l->v_probs[1], l->v_targets[1], n, l->C);
    ei->error_rate = 1.0f - ei->accuracy;
  }
  float *tp = l->v_probs[0];
  l->v_probs[0] = l->v_probs[1];
  l->v_probs[1] = tp;
  int32_t *tt = l->v_targets[0];
  l->v_targets[0] = l->v_targets[1];
  l->v_targets[1] = tt;
  float *tl = l->v_losses[0];
  l->v_losses[0] = l->v_losses[1];
  l->v_losses[1] = tl;
  float *tz = l->v_logits[0];
  l->v_logits[0] = l->v_logits[1];
  l->v_logits[1] = tz;
  l->v_n = n;
  return SW_FIT_DONE;
}

typedef struct {
  sw_stage stage;
  int iter_offset, total_iters, epoch_offset;
} fit_ctx;

static int cancelled(sw_learner *l) {
  l->net.restore(l->net.impl, l->snap);
  return SW_FIT_CANCELLED;
}

static int run_one_cycle(sw_learner *l, int n_epoch, const sw_one_cycle *oc, const fit_ctx *ctx,
                         char *err, size_t errlen) {
  if (n_epoch <= 0) return SW_FIT_DONE;
  if (oc->n_groups != l->n_groups) {
    snprintf(err, errlen, "learner: schedule has %d groups, the network %d", oc->n_groups,
             l->n_groups);
    return SW_FIT_ERROR;
  }
  smooth_reset(l); /* Recorder.before_fit */
  const int n_iter = l->train->num_batches;
  int iter = ctx->iter_offset;
  for (int e = 0; e < n_epoch; e++) {
    double t0 = now_seconds();
    if (atomic_load(&l->cancel)) return cancelled(l);
    if (l->train->begin_epoch(l->train->user, l->train_epochs++, err, errlen) < 0)
      return SW_FIT_ERROR;
    double pct = (double)e / n_epoch; /* TrainEvalCallback.before_train */
    float smooth = NAN;
    for (int b = 0;; b++) {
      if (atomic_load(&l->cancel)) return cancelled(l);
      int n = next_train(l, err, errlen);
      if (n < 0) return SW_FIT_ERROR;
      if (n == 0) break;
      sw_batch_info bi = {0};
      bi.n_groups = l->n_groups;
      sw_one_cycle_at(oc, pct, bi.lrs, &bi.mom);
      float loss = train_step(l, n, bi.lrs, bi.mom);
      smooth = smooth_add(l, loss);
      bi.stage = ctx->stage;
      bi.iteration = iter;
      bi.total_iterations = ctx->total_iters;
      bi.epoch = e;
      bi.n_epochs = n_epoch;
      bi.batch = b;
      bi.n_batches = n_iter;
      bi.loss = loss;
      bi.smooth_loss = smooth;
      if (l->cbs.on_batch) l->cbs.on_batch(&bi, l->cbs.user);
      iter++;
      pct += 1.0 / ((double)n_iter * n_epoch); /* TrainEvalCallback.after_batch */
    }
    sw_epoch_info ei = {0};
    ei.stage = ctx->stage;
    ei.epoch = e;
    ei.n_epochs = n_epoch;
    ei.global_epoch = ctx->epoch_offset + e;
    ei.train_loss = smooth;
    int rc = validate(l, &ei, err, errlen);
    if (rc == SW_FIT_CANCELLED) return cancelled(l);
    if (rc != SW_FIT_DONE) return rc;
    l->net.snapshot(l->net.impl, l->snap); /* this epoch is complete */
    ei.seconds = now_seconds() - t0;
    if (l->cbs.on_epoch) l->cbs.on_epoch(&ei, l->cbs.user);
  }
  return SW_FIT_DONE;
}

int sw_learner_fit_one_cycle(sw_learner *l, int n_epoch, const sw_one_cycle *oc, char *err,
                             size_t errlen) {
  l->net.snapshot(l->net.impl, l->snap);
  fit_ctx ctx = {is_frozen(l) ? SW_STAGE_FROZEN : SW_STAGE_PLAIN, 0,
                 n_epoch * l->train->num_batches, 0};
  return run_one_cycle(l, n_epoch, oc, &ctx, err, errlen);
}

int sw_learner_fine_tune(sw_learner *l, const sw_fine_tune_params *p, char *err, size_t errlen) {
  sw_one_cycle frozen, unfrozen;
  sw_fine_tune_schedules(l->n_groups, p->base_lr, p->lr_mult, p->pct_start, p->div, &frozen,
                         &unfrozen);
  int nb = l->train->num_batches;
  int total = (p->freeze_epochs + p->epochs) * nb;
  l->net.snapshot(l->net.impl, l->snap);
  sw_learner_freeze(l);
  fit_ctx c1 = {SW_STAGE_FROZEN, 0, total, 0};
  int rc = run_one_cycle(l, p->freeze_epochs, &frozen, &c1, err, errlen);
  if (rc != SW_FIT_DONE) return rc;
  sw_learner_unfreeze(l);
  fit_ctx c2 = {SW_STAGE_UNFROZEN, p->freeze_epochs * nb, total, p->freeze_epochs};
  return run_one_cycle(l, p->epochs, &unfrozen, &c2, err, errlen);
}

/* ---- lr_find -------------------------------------------------------------- */
void sw_lr_find_result_free(sw_lr_find_result *r) {
  free(r->lrs);
  free(r->losses);
  r->lrs = r->losses = NULL;
  r->n = 0;
}

int sw_lr_suggest(const float *lrs_all, const float *losses_all, int n_all, int num_it,
                  sw_lr_find_result *out) {
  int lo = num_it / 10, hi = n_all - 5; /* [num_it//10 : -5] */
  if (hi < lo) hi = lo;
  const float *lrs = lrs_all + lo, *losses = losses_all + lo;
  int n = hi - lo;
  for (int i = 0; i < n; i++)
    if (isnan(losses[i])) {
      n = i;
      break;
    }
  if (n < 2) return -1;
  /* minimum */
  int imin = 0;
  for (int i = 1; i < n; i++)
    if (losses[i] < losses[imin]) imin = i;
  out->minimum = (double)lrs[imin] / 10.0;
  out->minimum_idx = lo + imin;
  /* steep: steepest descent of loss against log(lr) */
  int isteep = 0;
  float gbest = INFINITY;
  for (int i = 0; i + 1 < n; i++) {
    float g = (losses[i + 1] - losses[i]) / (logf(lrs[i + 1]) - logf(lrs[i]));
    if (g < gbest) {
      gbest = g;
      isteep = i;
    }
  }
  out->steep = lrs[isteep];
  out->steep_idx = lo + isteep;
  /* valley: longest decreasing run (longest decreasing subsequence lengths) */
  int *lds = malloc(sizeof(int) * (size_t)n);
  if (!lds) return -1;
  for (int i = 0; i < n; i++) lds[i] = 1;
  int max_start = 0, max_end = 0;
  for (int i = 1; i < n; i++) {
    for (int j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - lds[max_end];
      }
    }
  }
  free(lds);
  double sections = (double)(max_end - max_start) / 3.0;
  int idx = max_start + (int)sections + (int)(sections / 2.0);
  if (idx < 0) idx = 0;
  if (idx >= n) idx = n - 1;
  out->valley = lrs[idx];
  out->valley_idx = lo + idx;
  return 0;
}

int sw_learner_lr_find(sw_learner *l, double start_lr, double end_lr, int num_it, bool stop_div,
                       sw_lr_find_result *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (num_it < 6) num_it = 6;
  if (!(start_lr > 0) || !(end_lr > start_lr)) {
    snprintf(err, errlen, "lr_find: need 0 < start_lr < end_lr (got %g, %g)", start_lr, end_lr);
    return SW_FIT_ERROR;
  }
  size_t nst = sw_optim_state_floats(l->opt);
  float *saved_opt = malloc(sizeof(float) * (nst ? nst : 1));
  out->lrs = malloc(sizeof(float) * (size_t)num_it);
  out->losses = malloc(sizeof(float) * (size_t)num_it);
  if (!saved_opt || !out->lrs || !out->losses) {
    free(saved_opt);
    sw_lr_find_result_free(out);
    snprintf(err, errlen, "lr_find: out of memory");
    return SW_FIT_ERROR;
  }
  l->net.snapshot(l->net.impl, l->snap); /* learn.save('_tmp', with_opt=True) */
  sw_optim_save_state(l->opt, saved_opt);
  smooth_reset(l);
  int n_epoch = num_it / l->train->num_batches + 1;
  int iter = 0, rc = SW_FIT_DONE;
  float best = INFINITY;
  bool stop = false;
  double lrs[SW_MAX_GROUPS];
  const double mom = 0.9; /* the optimiser's own momentum: lr_find schedules only lr */
  for (int e = 0; e < n_epoch && !stop; e++) {
    if (l->train->begin_epoch(l->train->user, l->train_epochs++, err, errlen) < 0) {
      rc = SW_FIT_ERROR;
      break;
    }
    for (int b = 0; !stop; b++) {
      if (atomic_load(&l->cancel)) {
        rc = SW_FIT_CANCELLED;
        stop = true;
        break;
      }
      int n = next_train(l, err, errlen);
      if (n < 0) {
        rc = SW_FIT_ERROR;
        stop = true;
        break;
      }
      if (n == 0) break;
      double lr = sw_sched_exp(start_lr, end_lr, (double)iter / num_it);
      for (int g = 0; g < l->n_groups; g++) lrs[g] = lr;
      float loss = train_step(l, n, lrs, mom);
      float smooth = smooth_add(l, loss);
      out->lrs[iter] = (float)lr;
      out->losses[iter] = smooth;
      sw_batch_info bi = {0};
      bi.stage = SW_STAGE_LR_FIND;
      bi.iteration = iter;
      bi.total_iterations = num_it;
      bi.epoch = e;
      bi.n_epochs = n_epoch;
      bi.batch = b;
      bi.n_batches = l->train->num_batches;
      bi.loss = loss;
      bi.smooth_loss = smooth;
      bi.n_groups = l->n_groups;
      memcpy(bi.lrs, lrs, sizeof lrs);
      bi.mom = mom;
      if (l->cbs.on_batch) l->cbs.on_batch(&bi, l->cbs.user);
      iter++;
      if (smooth < best) best = smooth;
      if (stop_div && (smooth > 4 * best || isnan(smooth))) stop = true;
      if (iter >= num_it) stop = true;
    }
  }
  out->n = iter;
  /* learn.load('_tmp', with_opt=True) */
  l->net.restore(l->net.impl, l->snap);
  sw_optim_load_state(l->opt, saved_opt);
  l->net.zero_grad(l->net.impl);
  free(saved_opt);
  if (rc != SW_FIT_DONE) {
    sw_lr_find_result_free(out);
    return rc;
  }
  if (sw_lr_suggest(out->lrs, out->losses, out->n, num_it, out) < 0) {
    snprintf(err, errlen,
             "lr_find: the loss diverged after %d batches, too early to suggest a learning rate",
             out->n);
    sw_lr_find_result_free(out);
    return SW_FIT_ERROR;
  }
  return SW_FIT_DONE;
}
