/* test_learner: the training loop on a tiny two-group network built from the
 * engine's layers (linear -> per-feature affine flagged as BatchNorm -> relu ->
 * linear) and separable synthetic data:
 *  - fit_one_cycle learns (accuracy), reports every batch with the schedule's lr
 *    per group and momentum, and every epoch with fastai's train_loss;
 *  - fine_tune's frozen stage trains only the head and the BN-flagged params,
 *    the stages and learning rates are fastai's;
 *  - the same seed gives bit-identical losses;
 *  - cancel from another thread stops within the batch and keeps the last
 *    completed epoch's parameters;
 *  - lr_find sweeps exponentially, stops on divergence, restores parameters and
 *    optimiser state; its suggestions match fastai's on recorded sweeps
 *    (tests/fixtures/learner_suggest.safetensors);
 *  - metrics: confusion matrix, top losses, most unsure, most confused. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "learner.h"
#include "metrics.h"
#include "testutil.h"

/* ---- tiny network ---------------------------------------------------------- */
#define IN 12
#define HID 8
#define NCLS 4
#define MAXB 16

typedef struct {
  sw_param p[6]; /* W0, b0, g, beta (group 0), W1, b1 (group 1) */
  float *mem;
  float x[MAXB * IN], h[MAXB * HID], r[MAXB * HID], logits[MAXB * NCLS];
  float dr[MAXB * HID], dh[MAXB * HID];
  int B;
} tiny;

static void tiny_init(tiny *t, uint64_t seed) {
  static const struct {
    const char *name;
    int a, b, group;
    bool bn, bias;
  } spec[6] = {{"l0.weight", HID, IN, 0, false, false}, {"l0.bias", HID, 1, 0, false, true},
               {"bn.weight", HID, 1, 0, true, false},   {"bn.bias", HID, 1, 0, true, false},
               {"l1.weight", NCLS, HID, 1, false, false}, {"l1.bias", NCLS, 1, 1, false, true}};
  size_t total = 0;
  for (int i = 0; i < 6; i++) total += (size_t)spec[i].a * spec[i].b;
  t->mem = calloc(2 * total, sizeof(float));
  float *d = t->mem, *g = t->mem + total;
  sw_rng rng;
  sw_rng_seed(&rng, seed);
  for (int i = 0; i < 6; i++) {
    sw_param *p = &t->p[i];
    memset(p, 0, sizeof *p);
    p->name = spec[i].name;
    p->numel = (int64_t)spec[i].a * spec[i].b;
    p->shape = spec[i].b == 1 ? sw_shape1(spec[i].a) : sw_shape2(spec[i].a, spec[i].b);
    p->data = d;
    p->grad = g;
    d += p->numel;
    g += p->numel;
    p->group = spec[i].group;
    p->is_bn = spec[i].bn;
    p->is_bias = spec[i].bias;
    p->trainable = true;
    for (int64_t k = 0; k < p->numel; k++)
      p->data[k] = spec[i].bn ? (i == 2 ? 1.0f : 0.0f)
                              : (spec[i].bias ? 0.0f : 0.3f * sw_rng_normal(&rng));
  }
}

static int t_num_params(void *impl) { (void)impl; return 6; }
static sw_param *t_param(void *impl, int i) { return &((tiny *)impl)->p[i]; }
static int t_num_groups(void *impl) { (void)impl; return 2; }
static int t_num_outputs(void *impl) { (void)impl; return NCLS; }
static int t_prepare(void *impl, int batch, int h, int w, char *err, size_t errlen) {
  if (batch > MAXB || 3 * h * w != IN) {
    snprintf(err, errlen, "tiny: unsupported shape");
    return -1;
  }
  return 0;
}
static const float *t_forward(void *impl, const float *x, int B, bool train) {
  tiny *t = impl;
  t->B = B;
  memcpy(t->x, x, sizeof(float) * B * IN);
  sw_linear_forward(t->h, x, t->p[0].data, t->p[1].data, B, IN, HID);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < HID; j++) {
      float a = t->p[2].data[j] * t->h[b * HID + j] + t->p[3].data[j];
      t->r[b * HID + j] = a > 0 ? a : 0;
    }
  sw_linear_forward(t->logits, t->r, t->p[4].data, t->p[5].data, B, HID, NCLS);
  return t->logits;
}
static void t_backward(void *impl, const float *dlogits) {
  tiny *t = impl;
  int B = t->B;
  memset(t->dr, 0, sizeof(float) * B * HID);
  sw_linear_backward(t->dr, t->p[4].trainable ? t->p[4].grad : NULL,
                     t->p[5].trainable ? t->p[5].grad : NULL, dlogits, t->r, t->p[4].data, B, HID,
                     NCLS);
  memset(t->dh, 0, sizeof(float) * B * HID);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < HID; j++) {
      float dr = t->r[b * HID + j] > 0 ? t->dr[b * HID + j] : 0;
      if (t->p[2].trainable) t->p[2].grad[j] += dr * t->h[b * HID + j];
      if (t->p[3].trainable) t->p[3].grad[j] += dr;
      t->dh[b * HID + j] = dr * t->p[2].data[j];
    }
  if (t->p[0].trainable || t->p[1].trainable)
    sw_linear_backward(NULL, t->p[0].trainable ? t->p[0].grad : NULL,
                       t->p[1].trainable ? t->p[1].grad : NULL, t->dh, t->x, t->p[0].data, B, IN,
                       HID);
}
static void t_zero_grad(void *impl) {
  tiny *t = impl;
  for (int i = 0; i < 6; i++) memset(t->p[i].grad, 0, sizeof(float) * t->p[i].numel);
}
static void t_freeze_to(void *impl, int n) {
  tiny *t = impl;
  for (int i = 0; i < 6; i++) t->p[i].trainable = t->p[i].group >= n || t->p[i].is_bn;
}
static size_t t_snapshot_floats(void *impl) {
  tiny *t = impl;
  size_t n = 0;
  for (int i = 0; i < 6; i++) n += t->p[i].numel;
  return n;
}
static void t_snapshot(void *impl, float *dst) {
  tiny *t = impl;
  for (int i = 0; i < 6; i++, dst += t->p[i - 1].numel)
    memcpy(dst, t->p[i].data, sizeof(float) * t->p[i].numel);
}
static void t_restore(void *impl, const float *src) {
  tiny *t = impl;
  for (int i = 0; i < 6; i++, src += t->p[i - 1].numel)
    memcpy(t->p[i].data, src, sizeof(float) * t->p[i].numel);
}

static void tiny_net(sw_net *net, tiny *t) {
  net->impl = t;
  net->num_params = t_num_params;
  net->param = t_param;
  net->num_groups = t_num_groups;
  net->num_outputs = t_num_outputs;
  net->prepare = t_prepare;
  net->forward = t_forward;
  net->backward = t_backward;
  net->zero_grad = t_zero_grad;
  net->freeze_to = t_freeze_to;
  net->snapshot_floats = t_snapshot_floats;
  net->snapshot = t_snapshot;
  net->restore = t_restore;
}

/* ---- synthetic data ------------------------------------------------------------ */
#define NTRAIN 64
#define NVALID 30
#define BS 8

typedef struct {
  float x[NTRAIN * IN];
  int32_t y[NTRAIN];
  int n;
  bool shuffle;
  uint64_t seed;
  int order[NTRAIN];
  int pos;
  int batch;
} dataset;

static void make_data(dataset *tr, dataset *va, uint64_t seed) {
  sw_rng rng;
  sw_rng_seed(&rng, seed);
  float centres[NCLS][IN];
  for (int c = 0; c < NCLS; c++)
    for (int k = 0; k < IN; k++) centres[c][k] = sw_rng_normal(&rng);
  dataset *ds[2] = {tr, va};
  int counts[2] = {NTRAIN, NVALID};
  for (int d = 0; d < 2; d++) {
    memset(ds[d], 0, sizeof *ds[d]);
    ds[d]->n = counts[d];
    ds[d]->batch = BS;
    ds[d]->shuffle = d == 0;
    ds[d]->seed = seed + 99;
    for (int i = 0; i < counts[d]; i++) {
      int c = i % NCLS;
      ds[d]->y[i] = c;
      for (int k = 0; k < IN; k++) ds[d]->x[i * IN + k] = centres[c][k] + 0.5f * sw_rng_normal(&rng);
    }
  }
}

static int ds_begin(void *user, int epoch, char *err, size_t errlen) {
  dataset *d = user;
  for (int i = 0; i < d->n; i++) d->order[i] = i;
  if (d->shuffle) {
    sw_rng rng;
    sw_rng_seed(&rng, d->seed * 1000003u + (uint64_t)epoch);
    for (int i = d->n - 1; i > 0; i--) {
      int j = (int)(sw_rng_next(&rng) % (uint64_t)(i + 1));
      int t = d->order[i];
      d->order[i] = d->order[j];
      d->order[j] = t;
    }
  }
  d->pos = 0;
  return 0;
}

static int ds_next(void *user, float *x, int32_t *y, char *err, size_t errlen) {
  dataset *d = user;
  int left = d->n - d->pos;
  int n = left < d->batch ? left : d->batch;
  if (d->shuffle && n < d->batch) return 0; /* drop_last */
  for (int i = 0; i < n; i++) {
    int k = d->order[d->pos + i];
    memcpy(x + (size_t)i * IN, d->x + (size_t)k * IN, sizeof(float) * IN);
    y[i] = d->y[k];
  }
  d->pos += n;
  return n;
}

static sw_batch_source source(dataset *d) {
  sw_batch_source s = {0};
  s.user = d;
  s.batch_size = d->batch;
  s.num_batches = d->shuffle ? d->n / d->batch : (d->n + d->batch - 1) / d->batch;
  s.channels = 3;
  s.height = 2;
  s.width = 2;
  s.begin_epoch = ds_begin;
  s.next = ds_next;
  return s;
}

/* ---- recording callbacks ---------------------------------------------------------- */
#define MAXREC 512
typedef struct {
  int nb, ne;
  sw_batch_info b[MAXREC];
  sw_epoch_info e[64];
  float snap_after_epoch[64][256];
  tiny *t;
  sw_learner *l;
  int cancel_at; /* iteration at which another thread cancels (-1: never) */
  int batches_after_cancel;
  bool cancel_sent;
} recorder;

static void *cancel_thread(void *arg) {
  sw_learner_cancel(arg);
  return NULL;
}

static void on_batch(const sw_batch_info *bi, void *user) {
  recorder *r = user;
  if (r->cancel_sent) r->batches_after_cancel++;
  if (r->nb < MAXREC) r->b[r->nb++] = *bi;
  if (bi->iteration == r->cancel_at && !r->cancel_sent) {
    pthread_t th;
    pthread_create(&th, NULL, cancel_thread, r->l);
    pthread_join(th, NULL);
    r->cancel_sent = true;
  }
}

static void on_epoch(const sw_epoch_info *ei, void *user) {
  recorder *r = user;
  if (r->ne < 64) {
    r->e[r->ne] = *ei;
    t_snapshot(r->t, r->snap_after_epoch[r->ne]);
    r->ne++;
  }
}

typedef struct {
  tiny t;
  sw_net net;
  dataset tr, va;
  sw_batch_source trs, vas;
  sw_learner *l;
  recorder rec;
} setup;

static setup *make_setup(uint64_t seed) {
  setup *s = calloc(1, sizeof *s);
  tiny_init(&s->t, seed);
  tiny_net(&s->net, &s->t);
  make_data(&s->tr, &s->va, seed);
  s->trs = source(&s->tr);
  s->vas = source(&s->va);
  sw_learner_config cfg;
  sw_learner_config_default(&cfg);
  char err[256];
  s->l = sw_learner_new(&s->net, &s->trs, &s->vas, &cfg, err, sizeof err);
  if (!s->l) {
    fprintf(stderr, "sw_learner_new: %s\n", err);
    exit(1);
  }
  s->rec.t = &s->t;
  s->rec.l = s->l;
  s->rec.cancel_at = -1;
  sw_learner_callbacks cbs = {on_batch, on_epoch, &s->rec};
  sw_learner_set_callbacks(s->l, &cbs);
  return s;
}

static void free_setup(setup *s) {
  sw_learner_free(s->l);
  free(s->t.mem);
  free(s);
}

static void test_fit_one_cycle(void) {
  setup *s = make_setup(1);
  char err[256];
  const float *probs;
  sw_one_cycle oc;
  sw_one_cycle_init(&oc, 2, 0, 5e-2);
  int rc = sw_learner_fit_one_cycle(s->l, 4, &oc, err, sizeof err);
  CHECK(rc == SW_FIT_DONE, "fit_one_cycle rc %d: %s", rc, err);
  CHECK(s->rec.nb == 4 * 8, "%d batch callbacks, expected 32", s->rec.nb);
  CHECK(s->rec.ne == 4, "%d epoch callbacks", s->rec.ne);
  double worst = 0;
  for (int i = 0; i < s->rec.nb; i++) {
    const sw_batch_info *b = &s->rec.b[i];
    CHECK(b->iteration == i && b->total_iterations == 32 && b->epoch == i / 8 && b->batch == i % 8,
          "batch %d counters %d/%d e%d b%d", i, b->iteration, b->total_iterations, b->epoch,
          b->batch);
    double lrs[SW_MAX_GROUPS], mom;
    sw_one_cycle_at(&oc, (double)i / 32, lrs, &mom);
    for (int g = 0; g < 2; g++) worst = fmax(worst, fabs(b->lrs[g] - lrs[g]) / lrs[g]);
    worst = fmax(worst, fabs(b->mom - mom) / mom);
    CHECK(b->stage == SW_STAGE_PLAIN, "stage %d", b->stage);
    CHECK(isfinite(b->loss) && isfinite(b->smooth_loss), "loss not finite at %d", i);
  }
  CHECK(worst < 1e-9, "reported lr/mom differ from the schedule by %g", worst);
  CHECK(fabs(s->rec.b[0].lrs[0] - 5e-3 / 25) < 1e-12, "slice(5e-2): group 0 starts at %g",
        s->rec.b[0].lrs[0]);
  for (int e = 0; e < s->rec.ne; e++)
    CHECK(s->rec.e[e].train_loss == s->rec.b[e * 8 + 7].smooth_loss,
          "epoch %d train_loss is not the smoothed loss at its end", e);
  /* first batch: smoothed loss equals the loss (debiasing) */
  CHECK(fabsf(s->rec.b[0].smooth_loss - s->rec.b[0].loss) < 1e-5f * s->rec.b[0].loss,
        "debiased smooth loss %g vs loss %g", s->rec.b[0].smooth_loss, s->rec.b[0].loss);
  const sw_epoch_info *last = &s->rec.e[3];
  printf("fit_one_cycle: train_loss %.4f valid_loss %.4f accuracy %.3f\n", last->train_loss,
         last->valid_loss, last->accuracy);
  CHECK(last->n_valid == NVALID, "validated %d images", last->n_valid);
  CHECK(last->accuracy >= 0.9f, "accuracy %.3f < 0.9", last->accuracy);
  CHECK(s->rec.e[0].valid_loss > last->valid_loss, "valid loss did not fall");
  CHECK(fabsf(last->error_rate - (1 - last->accuracy)) < 1e-6f, "error_rate");
  const int32_t *tg;
  const float *ls;
  int n = sw_learner_last_valid(s->l, &probs, &tg, &ls);
  CHECK(n == NVALID, "last_valid %d", n);
  double mean = 0;
  for (int i = 0; i < n; i++) mean += ls[i];
  CHECK(fabs(mean / n - last->valid_loss) < 1e-5, "valid_loss is not the mean of the losses");
  CHECK(fabsf(sw_accuracy(probs, tg, n, NCLS) - last->accuracy) < 1e-6f, "metrics accuracy");
  /* the same validation's logits: their softmax is the probabilities, their loss the losses */
  const float *z = sw_learner_last_valid_logits(s->l);
  float zworst = 0, p[NCLS];
  for (int i = 0; z && i < n; i++) {
    sw_softmax(p, z + (size_t)i * NCLS, 1, NCLS);
    for (int c = 0; c < NCLS; c++) zworst = fmaxf(zworst, fabsf(p[c] - probs[i * NCLS + c]));
    float lse = sw_energy_score(z + (size_t)i * NCLS, NCLS);
    zworst = fmaxf(zworst, fabsf(lse - z[i * NCLS + tg[i]] - ls[i]) / (1 + ls[i]));
  }
  CHECK(z && zworst < 1e-5f, "last_valid_logits differ from probs/losses by %g", zworst);
  free_setup(s);
}

static void test_reproducible(void) {
  float a[32], b[32];
  for (int run = 0; run < 2; run++) {
    setup *s = make_setup(5);
    char err[256];
    sw_one_cycle oc;
    sw_one_cycle_init(&oc, 2, 0, 5e-2);
    sw_learner_fit_one_cycle(s->l, 4, &oc, err, sizeof err);
    for (int i = 0; i < 32; i++) (run ? b : a)[i] = s->rec.b[i].loss;
    free_setup(s);
  }
  CHECK(memcmp(a, b, sizeof a) == 0, "same seed gave different losses");
  setup *s = make_setup(6);
  char err[256];
  sw_one_cycle oc;
  sw_one_cycle_init(&oc, 2, 0, 5e-2);
  sw_learner_fit_one_cycle(s->l, 4, &oc, err, sizeof err);
  CHECK(memcmp(a, &s->rec.b[0].loss, sizeof(float)) != 0, "another seed gave the same loss");
  free_setup(s);
}

static void test_fine_tune(void) {
  setup *s = make_setup(2);
  float w0[HID * IN], g0[HID];
  memcpy(w0, s->t.p[0].data, sizeof w0);
  memcpy(g0, s->t.p[2].data, sizeof g0);
  sw_fine_tune_params ft;
  sw_fine_tune_params_default(&ft, 2);
  char err[256];
  int rc = sw_learner_fine_tune(s->l, &ft, err, sizeof err);
  CHECK(rc == SW_FIT_DONE, "fine_tune rc %d: %s", rc, err);
  CHECK(s->rec.nb == 24 && s->rec.ne == 3, "%d batches %d epochs", s->rec.nb, s->rec.ne);
  CHECK(s->rec.e[0].stage == SW_STAGE_FROZEN && s->rec.e[1].stage == SW_STAGE_UNFROZEN &&
            s->rec.e[2].stage == SW_STAGE_UNFROZEN,
        "stages");
  CHECK(s->rec.e[1].epoch == 0 && s->rec.e[2].epoch == 1 && s->rec.e[2].global_epoch == 2,
        "epoch numbering");
  /* After the frozen epoch: body weight untouched, BN-flagged params trained (train_bn). */
  CHECK(memcmp(s->rec.snap_after_epoch[0], w0, sizeof w0) == 0, "frozen body weight changed");
  CHECK(memcmp(s->rec.snap_after_epoch[0] + HID * IN + HID, g0, sizeof g0) != 0,
        "BN weight in the frozen body did not train");
  CHECK(memcmp(s->t.p[0].data, w0, sizeof w0) != 0, "body did not train after unfreeze");
  /* fastai's learning rates: frozen slice(2e-3) -> [2e-4, 2e-3] / 25 at the start;
   * unfrozen slice(1e-5, 1e-3) with div 5. */
  const sw_batch_info *b0 = &s->rec.b[0], *b8 = &s->rec.b[8];
  CHECK(fabs(b0->lrs[0] - 2e-4 / 25) < 1e-15 && fabs(b0->lrs[1] - 2e-3 / 25) < 1e-15,
        "frozen start lrs %g %g", b0->lrs[0], b0->lrs[1]);
  CHECK(fabs(b8->lrs[0] - 1e-5 / 5) < 1e-15 && fabs(b8->lrs[1] - 1e-3 / 5) < 1e-15,
        "unfrozen start lrs %g %g", b8->lrs[0], b8->lrs[1]);
  CHECK(b8->iteration == 8 && b8->total_iterations == 24 && b8->stage == SW_STAGE_UNFROZEN,
        "unfrozen counters");
  free_setup(s);
}

static void test_cancel(void) {
  setup *s = make_setup(3);
  s->rec.cancel_at = 10; /* epoch 1, batch 2 */
  char err[256];
  sw_one_cycle oc;
  sw_one_cycle_init(&oc, 2, 0, 5e-2);
  int rc = sw_learner_fit_one_cycle(s->l, 4, &oc, err, sizeof err);
  CHECK(rc == SW_FIT_CANCELLED, "rc %d after cancel", rc);
  CHECK(s->rec.batches_after_cancel == 0, "%d batches ran after the cancel",
        s->rec.batches_after_cancel);
  CHECK(s->rec.ne == 1, "%d epochs completed", s->rec.ne);
  float now[256];
  t_snapshot(&s->t, now);
  CHECK(memcmp(now, s->rec.snap_after_epoch[0], sizeof(float) * t_snapshot_floats(&s->t)) == 0,
        "cancelled run did not keep the last completed epoch's parameters");
  rc = sw_learner_fit_one_cycle(s->l, 1, &oc, err, sizeof err);
  CHECK(rc == SW_FIT_CANCELLED, "a cancelled learner ran again");
  /* the kept model still predicts for the run's end: the same as its last validation */
  float probs[64 * 4], losses[64];
  int32_t targets[64];
  int n = -1;
  rc = sw_learner_predict(s->l, &s->vas, probs, targets, losses, 64, &n, err, sizeof err);
  CHECK(rc == SW_FIT_CANCELLED, "predict after cancel: rc %d", rc);
  rc = sw_learner_predict_final(s->l, &s->vas, probs, targets, losses, NULL, 64, &n, err, sizeof err);
  const float *vp, *vl;
  int nv = sw_learner_last_valid(s->l, &vp, NULL, &vl);
  CHECK(rc == SW_FIT_DONE && n == nv && n > 0, "predict_final after cancel: rc %d, %d of %d", rc,
        n, nv);
  for (int i = 0; rc == SW_FIT_DONE && i < n; i++)
    CHECK(fabsf(losses[i] - vl[i]) < 1e-5f, "image %d: loss %g, last validation %g", i, losses[i],
          vl[i]);
  free_setup(s);
}

static void test_lr_find(void) {
  setup *s = make_setup(4);
  char err[256];
  /* Train a little first so the optimiser has state to restore. */
  sw_one_cycle oc;
  sw_one_cycle_init(&oc, 2, 0, 5e-2);
  sw_learner_fit_one_cycle(s->l, 1, &oc, err, sizeof err);
  float before[256];
  t_snapshot(&s->t, before);
  size_t nst = sw_optim_state_floats(sw_learner_optim(s->l));
  float *st0 = malloc(nst * sizeof(float)), *st1 = malloc(nst * sizeof(float));
  sw_optim_save_state(sw_learner_optim(s->l), st0);
  s->rec.nb = 0;
  sw_lr_find_result r;
  int rc = sw_learner_lr_find(s->l, 1e-7, 10, 100, true, &r, err, sizeof err);
  CHECK(rc == SW_FIT_DONE, "lr_find rc %d: %s", rc, err);
  if (rc == SW_FIT_DONE) {
    printf("lr_find: %d points, valley %.3g, minimum %.3g, steep %.3g\n", r.n, r.valley,
           r.minimum, r.steep);
    CHECK(r.n > 20 && r.n <= 100, "%d points", r.n);
    for (int i = 0; i < r.n; i++)
      CHECK(fabsf(r.lrs[i] - (float)sw_sched_exp(1e-7, 10, i / 100.0)) <= 1e-6f * r.lrs[i],
            "lr %d", i);
    float best = INFINITY;
    for (int i = 0; i < r.n - 1; i++) {
      best = fminf(best, r.losses[i]);
      CHECK(!(r.losses[i] > 4 * best), "did not stop at point %d above 4x min", i);
    }
    if (r.n < 100) CHECK(r.losses[r.n - 1] > 4 * fminf(best, r.losses[r.n - 1]) || isnan(r.losses[r.n - 1]),
                         "stopped early without divergence");
    CHECK(r.valley > 1e-7 && r.valley < 10 && r.minimum > 1e-8 && r.steep > 1e-7,
          "suggestions out of range");
    CHECK(s->rec.nb == r.n && s->rec.b[0].stage == SW_STAGE_LR_FIND, "lr_find callbacks");
    sw_lr_find_result_free(&r);
  }
  float after[256];
  t_snapshot(&s->t, after);
  CHECK(memcmp(before, after, sizeof(float) * t_snapshot_floats(&s->t)) == 0,
        "lr_find did not restore the parameters");
  sw_optim_save_state(sw_learner_optim(s->l), st1);
  CHECK(memcmp(st0, st1, nst * sizeof(float)) == 0, "lr_find did not restore the optimiser");
  free(st0);
  free(st1);
  free_setup(s);
}

static void test_suggest_golden(void) {
  sw_state_dict sd;
  sw_test_load_fixture("learner_suggest.safetensors", &sd);
  char key[64];
  for (int k = 0; k < 3; k++) {
    snprintf(key, sizeof key, "sweep%d.lrs", k);
    const sw_named_tensor *lt = sw_test_tensor(&sd, key);
    snprintf(key, sizeof key, "sweep%d.losses", k);
    const sw_named_tensor *ls = sw_test_tensor(&sd, key);
    snprintf(key, sizeof key, "sweep%d.suggest", k);
    const float *want = sw_test_tensor(&sd, key)->data;
    sw_lr_find_result r = {0};
    int rc = sw_lr_suggest(lt->data, ls->data, (int)lt->shape.dims[0], 100, &r);
    CHECK(rc == 0, "suggest %d failed", k);
    float got[3] = {(float)r.valley, (float)r.minimum, (float)r.steep};
    snprintf(key, sizeof key, "sweep %d valley/minimum/steep", k);
    sw_test_close(key, got, want, 3, 1e-6);
  }
  sw_state_dict_free(&sd);
}

static void test_metrics(void) {
  /* 6 images, 3 classes */
  const float probs[6 * 3] = {0.7f, 0.2f, 0.1f,  0.05f, 0.52f, 0.43f,  0.2f, 0.48f, 0.32f,
                              0.3f, 0.3f, 0.4f,  0.6f, 0.3f, 0.1f,  0.1f, 0.1f, 0.8f};
  const int32_t tg[6] = {0, 2, 2, 2, 1, 2};
  int32_t cm[9];
  sw_confusion_matrix(probs, tg, 6, 3, cm);
  const int32_t want[9] = {1, 0, 0, 1, 0, 0, 0, 2, 2};
  CHECK(memcmp(cm, want, sizeof cm) == 0, "confusion matrix");
  float losses[6];
  for (int i = 0; i < 6; i++) losses[i] = -logf(probs[i * 3 + tg[i]]);
  int order[6];
  sw_top_losses(losses, 6, order);
  const int want_top[6] = {4, 2, 3, 1, 0, 5};
  CHECK(memcmp(order, want_top, sizeof order) == 0, "top losses %d %d %d %d %d %d", order[0],
        order[1], order[2], order[3], order[4], order[5]);
  sw_most_unsure(probs, 6, 3, order);
  const int want_unsure[6] = {1, 3, 2, 4, 0, 5};
  CHECK(memcmp(order, want_unsure, sizeof order) == 0, "most unsure %d %d %d %d %d %d", order[0],
        order[1], order[2], order[3], order[4], order[5]);
  sw_confused_pair pairs[8];
  int np = sw_most_confused(cm, 3, 1, pairs, 8);
  CHECK(np == 2 && pairs[0].actual == 2 && pairs[0].predicted == 1 && pairs[0].count == 2 &&
            pairs[1].actual == 1 && pairs[1].predicted == 0,
        "most confused (%d pairs)", np);
  CHECK(sw_most_confused(cm, 3, 2, pairs, 8) == 1, "min_count");
  CHECK(fabsf(sw_accuracy(probs, tg, 6, 3) - 3.0f / 6) < 1e-6f, "accuracy");
  /* energy score log(sum(exp(z))), stable for large logits */
  const float z4[4] = {1, 1, 1, 1}, big[2] = {1000, 999};
  CHECK(fabsf(sw_energy_score(z4, 4) - (1 + logf(4))) < 1e-6f, "energy of equal logits");
  CHECK(fabsf(sw_energy_score(big, 2) - (1000 + log1pf(expf(-1)))) < 1e-3f, "energy of big logits %g",
        sw_energy_score(big, 2));
  /* quantile as numpy's default (linear): [5 4 3 2 1] q .05 -> 1.2, q .5 -> 3, q 1 -> 5 */
  float v[5] = {5, 4, 3, 2, 1};
  CHECK(fabsf(sw_quantile(v, 5, 0.05) - 1.2f) < 1e-6f, "quantile 0.05 %g", sw_quantile(v, 5, 0.05));
  CHECK(sw_quantile(v, 5, 0.5) == 3 && sw_quantile(v, 5, 1) == 5 && sw_quantile(v, 1, 0.05) == 1,
        "quantile 0.5 / 1 / one value");
  CHECK(isnan(sw_quantile(v, 0, 0.05)), "quantile of nothing is NAN");
}

int main(void) {
  test_fit_one_cycle();
  test_reproducible();
  test_fine_tune();
  test_cancel();
  test_lr_find();
  test_suggest_golden();
  test_metrics();
  return sw_test_finish();
}
