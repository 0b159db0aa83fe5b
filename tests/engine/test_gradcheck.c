/* test_gradcheck.c: finite-difference gradient checks of every layer on tiny
 * shapes.
 *
 * For a layer y = f(x, params) the scalar loss is L = sum(r * y) with a fixed
 * random r (so dL/dy = r, passed to the backward as dout), accumulated in
 * double. Each input and parameter element is perturbed by +-h in float32 and
 * the central difference (L+ - L-) / (x+ - x-) (using the actually stored
 * float32 step) is compared with the analytic gradient from the backward.
 * Error measure: max |analytic - numeric| / max(max |numeric|, 1e-6).
 *
 * Steps and tolerances (stated per check below):
 *  - layers linear in the checked tensor (conv, linear, add, pools,
 *    activations, dropout, eval batch norm): h = 1e-2, tol 5e-4 (only float32
 *    rounding of the forward limits the difference quotient);
 *  - training batch norm and cross-entropy (curved): h = 1e-2, tol 2e-3
 *    (truncation error O(h^2) plus rounding).
 * Inputs of piecewise-linear layers (ReLU, ReLU6, max pools) are drawn at
 * least 0.05 away from every kink or tie, so +-h never crosses one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "testutil.h"

#define H_STEP 1e-2f
#define TOL_LINEAR 5e-4
#define TOL_CURVED 2e-3

typedef double (*loss_fn)(void *ctx);

static float *randn(size_t n, sw_rng *r, float scale) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = sw_rng_normal(r) * scale;
  return p;
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static double dot(const float *a, const float *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

/* Compares analytic[0..n) with central differences of f over param[0..n). */
static void gradcheck(const char *what, float *param, size_t n, const float *analytic, loss_fn f,
                      void *ctx, float h, double tol) {
  double maxdiff = 0, maxref = 0;
  for (size_t i = 0; i < n; i++) {
    float save = param[i];
    float up = save + h, dn = save - h;
    param[i] = up;
    double lp = f(ctx);
    param[i] = dn;
    double lm = f(ctx);
    param[i] = save;
    double num = (lp - lm) / ((double)up - (double)dn);
    double d = fabs(num - analytic[i]);
    if (isnan(d)) d = INFINITY;
    if (d > maxdiff) maxdiff = d;
    if (fabs(num) > maxref) maxref = fabs(num);
  }
  double err = maxdiff / (maxref > 1e-6 ? maxref : 1e-6);
  bool ok = err <= tol;
  printf("%s gradcheck %s err=%.3g (tol %.0e, h %.0e, %zu values)\n", ok ? "ok  " : "FAIL", what,
         err, tol, (double)h, n);
  if (!ok) sw_test_failures++;
}

/* ---- conv2d ------------------------------------------------------------- */

typedef struct {
  sw_conv2d c;
  float *x, *w, *b, *y, *r, *ws;
  size_t nx, ny, nw;
} conv_t;

static double conv_loss(void *v) {
  conv_t *t = v;
  sw_conv2d_forward(&t->c, t->y, t->x, t->w, t->b, t->ws);
  return dot(t->y, t->r, t->ny);
}

static void check_conv(const char *name, int Cin, int H, int W, int Cout, int K, int s, int pt,
                       int pl, int pb, int pr, int groups, bool bias) {
  sw_rng rng;
  sw_rng_seed(&rng, 100 + Cin * 7 + K);
  conv_t t;
  sw_conv2d_init_pad(&t.c, 2, Cin, H, W, Cout, K, s, pt, pl, pb, pr, groups);
  t.nx = (size_t)2 * Cin * H * W;
  t.ny = (size_t)2 * Cout * t.c.OH * t.c.OW;
  t.nw = (size_t)Cout * (Cin / groups) * K * K;
  t.x = randn(t.nx, &rng, 1);
  t.w = randn(t.nw, &rng, 0.5f);
  t.b = bias ? randn(Cout, &rng, 1) : NULL;
  t.r = randn(t.ny, &rng, 1);
  t.y = zeros(t.ny);
  t.ws = zeros(sw_conv2d_workspace(&t.c));
  float *dx = zeros(t.nx), *dw = zeros(t.nw), *db = zeros(Cout);
  sw_conv2d_backward(&t.c, dx, dw, bias ? db : NULL, t.r, t.x, t.w, t.ws);
  char what[96];
  snprintf(what, sizeof what, "conv %s dx", name);
  gradcheck(what, t.x, t.nx, dx, conv_loss, &t, H_STEP, TOL_LINEAR);
  snprintf(what, sizeof what, "conv %s dw", name);
  gradcheck(what, t.w, t.nw, dw, conv_loss, &t, H_STEP, TOL_LINEAR);
  if (bias) {
    snprintf(what, sizeof what, "conv %s db", name);
    gradcheck(what, t.b, Cout, db, conv_loss, &t, H_STEP, TOL_LINEAR);
  }
  free(t.x);
  free(t.w);
  free(t.b);
  free(t.r);
  free(t.y);
  free(t.ws);
  free(dx);
  free(dw);
  free(db);
}

/* ---- batch norm ----------------------------------------------------------- */

typedef struct {
  sw_batchnorm bn;
  float *x, *w, *b, *y, *r, *rm, *rv, *sm, *si, *rm_work, *rv_work;
  size_t n;
  bool train;
  sw_act act; /* fused activation (SW_ACT_NONE: plain batch norm) */
} bn_t;

static double bn_loss(void *v) {
  bn_t *t = v;
  /* running stats are updated by a training forward: work on a copy so every
   * evaluation sees the same state */
  memcpy(t->rm_work, t->rm, t->bn.C * sizeof(float));
  memcpy(t->rv_work, t->rv, t->bn.C * sizeof(float));
  sw_batchnorm_act_forward(&t->bn, t->act, t->y, t->sm, t->si, t->x, t->w, t->b, t->rm_work,
                           t->rv_work, t->train);
  return dot(t->y, t->r, t->n);
}

static void check_bn(const char *name, int B, int C, int HW, bool train, sw_act act) {
  sw_rng rng;
  sw_rng_seed(&rng, 200 + C);
  bn_t t = {.bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f}, .train = train,
            .act = act};
  t.n = (size_t)B * C * HW;
  t.x = randn(t.n, &rng, 1.5f);
  t.w = randn(C, &rng, 0.5f);
  t.b = randn(C, &rng, 0.5f);
  for (int c = 0; c < C; c++) t.w[c] += 1.0f;
  t.r = randn(t.n, &rng, 1);
  t.y = zeros(t.n);
  t.rm = randn(C, &rng, 0.3f);
  t.rv = zeros(C);
  for (int c = 0; c < C; c++) t.rv[c] = 0.5f + sw_rng_uniform(&rng);
  t.rm_work = zeros(C);
  t.rv_work = zeros(C);
  t.sm = zeros(C);
  t.si = zeros(C);
  bn_loss(&t);
  float *dx = zeros(t.n), *dw = zeros(C), *db = zeros(C);
  sw_batchnorm_act_backward(&t.bn, act, dx, dw, db, t.r, t.x, t.w, t.b, t.sm, t.si, t.rm, t.rv,
                            train);
  double tol = train ? TOL_CURVED : TOL_LINEAR;
  char what[96];
  snprintf(what, sizeof what, "%s %s dx", name, train ? "train" : "eval");
  gradcheck(what, t.x, t.n, dx, bn_loss, &t, H_STEP, tol);
  snprintf(what, sizeof what, "%s %s dweight", name, train ? "train" : "eval");
  gradcheck(what, t.w, C, dw, bn_loss, &t, H_STEP, tol);
  snprintf(what, sizeof what, "%s %s dbias", name, train ? "train" : "eval");
  gradcheck(what, t.b, C, db, bn_loss, &t, H_STEP, tol);
  free(t.x);
  free(t.w);
  free(t.b);
  free(t.r);
  free(t.y);
  free(t.rm);
  free(t.rv);
  free(t.rm_work);
  free(t.rv_work);
  free(t.sm);
  free(t.si);
  free(dx);
  free(dw);
  free(db);
}

/* Fused batch norm + ReLU / ReLU6 (training). Each channel holds the values
 * 0..N-1 in a shuffled order, so xhat is evenly spaced (1/sigma apart); the
 * bias puts the outputs a quarter step off the kinks and the test asserts
 * that every output stays 10x further from a kink than a step of h moves it. */
static void check_bn_act(sw_act act) {
  const int B = 2, C = 2, HW = 9, N = B * HW;
  sw_rng rng;
  sw_rng_seed(&rng, 250 + act);
  bn_t t = {.bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f}, .train = true,
            .act = act};
  t.n = (size_t)B * C * HW;
  t.x = zeros(t.n);
  for (int c = 0; c < C; c++) {
    int perm[18];
    for (int k = 0; k < N; k++) perm[k] = k;
    for (int k = N - 1; k > 0; k--) {
      int j = (int)(sw_rng_next(&rng) % (uint64_t)(k + 1)), tmp = perm[k];
      perm[k] = perm[j];
      perm[j] = tmp;
    }
    for (int k = 0; k < N; k++)
      t.x[((size_t)(k / HW) * C + c) * HW + k % HW] = (float)perm[k] + 0.3f * c;
  }
  double sigma = sqrt(((double)N * N - 1) / 12.0); /* std of 0..N-1 */
  /* ReLU6: the scale puts 6 halfway between the outputs of k = 15 and k = 16 */
  float wv = act == SW_ACT_RELU6 ? (float)(6.0 * sigma / (15.5 - (N - 1) / 2.0 + 0.25)) : 1.0f;
  t.w = zeros(C);
  t.b = zeros(C);
  for (int c = 0; c < C; c++) {
    t.w[c] = wv;
    t.b[c] = (float)(wv * 0.25 / sigma); /* y_k = w * (k - (N-1)/2 + 0.25) / sigma */
  }
  t.r = randn(t.n, &rng, 1);
  t.y = zeros(t.n);
  t.rm = zeros(C);
  t.rv = zeros(C);
  for (int c = 0; c < C; c++) t.rv[c] = 1.0f;
  t.rm_work = zeros(C);
  t.rv_work = zeros(C);
  t.sm = zeros(C);
  t.si = zeros(C);
  /* the pre-activation values, to check their distance from the kinks */
  sw_act save = t.act;
  t.act = SW_ACT_NONE;
  bn_loss(&t);
  double margin = 1e9, move = H_STEP * wv / sigma;
  for (size_t i = 0; i < t.n; i++) {
    double d = fabs(t.y[i]);
    if (act == SW_ACT_RELU6 && fabs(t.y[i] - 6.0) < d) d = fabs(t.y[i] - 6.0);
    if (d < margin) margin = d;
  }
  CHECK(margin > 10 * move, "fused bn+act data: output %.4f from a kink, a step moves %.4f",
        margin, move);
  t.act = save;
  bn_loss(&t);
  float *dx = zeros(t.n), *dw = zeros(C), *db = zeros(C);
  sw_batchnorm_act_backward(&t.bn, act, dx, dw, db, t.r, t.x, t.w, t.b, t.sm, t.si, t.rm, t.rv,
                            true);
  const char *an = act == SW_ACT_RELU ? "relu" : "relu6";
  char what[96];
  snprintf(what, sizeof what, "batchnorm2d+%s (fused) train dx", an);
  gradcheck(what, t.x, t.n, dx, bn_loss, &t, H_STEP, TOL_CURVED);
  snprintf(what, sizeof what, "batchnorm2d+%s (fused) train dweight", an);
  gradcheck(what, t.w, C, dw, bn_loss, &t, H_STEP, TOL_CURVED);
  snprintf(what, sizeof what, "batchnorm2d+%s (fused) train dbias", an);
  gradcheck(what, t.b, C, db, bn_loss, &t, H_STEP, TOL_CURVED);
  float *all[] = {t.x, t.w, t.b, t.r, t.y, t.rm, t.rv, t.rm_work, t.rv_work, t.sm, t.si, dx, dw, db};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

/* ---- elementwise and pools ------------------------------------------------- */

enum { K_RELU, K_RELU6, K_MAXPOOL, K_GAVG, K_GMAX, K_DROPOUT, K_ADD };

typedef struct {
  int kind;
  float *x, *x2, *y, *r, *mask;
  int32_t *am;
  size_t n, ny;
  sw_maxpool mp;
  int B, C, HW;
} el_t;

static double el_loss(void *v) {
  el_t *t = v;
  switch (t->kind) {
  case K_RELU:
    sw_relu_forward(t->y, t->x, t->n);
    break;
  case K_RELU6:
    sw_relu6_forward(t->y, t->x, t->n);
    break;
  case K_MAXPOOL:
    sw_maxpool_forward(&t->mp, t->y, t->am, t->x);
    break;
  case K_GAVG:
    sw_global_avgpool_forward(t->y, t->C, t->x, t->B, t->C, t->HW);
    break;
  case K_GMAX:
    sw_global_maxpool_forward(t->y, t->C, t->am, t->x, t->B, t->C, t->HW);
    break;
  case K_DROPOUT: {
    sw_rng rng;
    sw_rng_seed(&rng, 5); /* same mask every evaluation */
    sw_dropout_forward(t->y, t->mask, t->x, t->n, 0.3f, true, &rng);
    break;
  }
  case K_ADD:
    sw_add_forward(t->y, t->x, t->x2, t->n);
    break;
  }
  return dot(t->y, t->r, t->ny);
}

/* n shuffled values lo + 0.05 + 0.1*k: at least 0.05 from any integer kink
 * (0, 6) and distinct where n <= (hi-lo)/0.1, so max pools have no ties. */
static float *away_from_kinks(size_t n, sw_rng *rng, float lo, float hi) {
  float *p = malloc(n * sizeof(float));
  size_t slots = (size_t)((hi - lo) / 0.1f);
  for (size_t i = 0; i < n; i++) p[i] = lo + 0.05f + 0.1f * (float)(i % slots);
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = sw_rng_next(rng) % (i + 1);
    float tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

static void check_el(const char *name, int kind) {
  sw_rng rng;
  sw_rng_seed(&rng, 300 + kind);
  el_t t = {.kind = kind, .B = 2, .C = 3, .HW = 20};
  t.n = (size_t)t.B * t.C * t.HW;
  t.ny = t.n;
  if (kind == K_RELU) {
    t.x = away_from_kinks(t.n, &rng, -6.0f, 6.0f); /* multiples of 0.1 + 0.05: never 0 */
  } else if (kind == K_RELU6) {
    t.x = away_from_kinks(t.n, &rng, -3.0f, 9.0f); /* never 0 or 6 */
  } else if (kind == K_MAXPOOL) {
    sw_maxpool_init(&t.mp, 2, 3, 5, 4, 3, 2, 1);
    t.x = away_from_kinks(t.n, &rng, -6.0f, 6.0f); /* distinct values 0.1 apart: no ties */
    t.ny = (size_t)2 * 3 * t.mp.OH * t.mp.OW;
  } else if (kind == K_GAVG || kind == K_GMAX) {
    t.x = away_from_kinks(t.n, &rng, -6.0f, 6.0f);
    t.ny = (size_t)t.B * t.C;
  } else {
    t.x = randn(t.n, &rng, 1);
  }
  t.x2 = randn(t.n, &rng, 1);
  t.y = zeros(t.n);
  t.r = randn(t.ny, &rng, 1);
  t.mask = zeros(t.n);
  t.am = calloc(t.n, sizeof(int32_t));
  el_loss(&t);
  float *dx = zeros(t.n), *dx2 = zeros(t.n);
  switch (kind) {
  case K_RELU:
    sw_relu_backward(dx, t.r, t.y, t.n);
    break;
  case K_RELU6:
    sw_relu6_backward(dx, t.r, t.y, t.n);
    break;
  case K_MAXPOOL:
    sw_maxpool_backward(&t.mp, dx, t.r, t.am);
    break;
  case K_GAVG:
    sw_global_avgpool_backward(dx, t.r, t.C, t.B, t.C, t.HW);
    break;
  case K_GMAX:
    sw_global_maxpool_backward(dx, t.r, t.C, t.am, t.B, t.C, t.HW);
    break;
  case K_DROPOUT:
    sw_dropout_backward(dx, t.r, t.mask, t.n, true);
    break;
  case K_ADD:
    sw_add_backward(dx, dx2, t.r, t.n);
    break;
  }
  char what[96];
  snprintf(what, sizeof what, "%s dx", name);
  gradcheck(what, t.x, t.n, dx, el_loss, &t, H_STEP, TOL_LINEAR);
  if (kind == K_ADD) gradcheck("add db", t.x2, t.n, dx2, el_loss, &t, H_STEP, TOL_LINEAR);
  free(t.x);
  free(t.x2);
  free(t.y);
  free(t.r);
  free(t.mask);
  free(t.am);
  free(dx);
  free(dx2);
}

/* ---- linear ------------------------------------------------------------------- */

typedef struct {
  float *x, *w, *b, *y, *r;
  int B, IN, OUT;
} lin_t;

static double lin_loss(void *v) {
  lin_t *t = v;
  sw_linear_forward(t->y, t->x, t->w, t->b, t->B, t->IN, t->OUT);
  return dot(t->y, t->r, (size_t)t->B * t->OUT);
}

static void check_linear(bool bias) {
  sw_rng rng;
  sw_rng_seed(&rng, 400 + bias);
  lin_t t = {.B = 3, .IN = 6, .OUT = 4};
  t.x = randn(t.B * t.IN, &rng, 1);
  t.w = randn(t.OUT * t.IN, &rng, 0.5f);
  t.b = bias ? randn(t.OUT, &rng, 1) : NULL;
  t.y = zeros(t.B * t.OUT);
  t.r = randn(t.B * t.OUT, &rng, 1);
  float *dx = zeros(t.B * t.IN), *dw = zeros(t.OUT * t.IN), *db = zeros(t.OUT);
  sw_linear_backward(dx, dw, bias ? db : NULL, t.r, t.x, t.w, t.B, t.IN, t.OUT);
  gradcheck(bias ? "linear+bias dx" : "linear dx", t.x, t.B * t.IN, dx, lin_loss, &t, H_STEP,
            TOL_LINEAR);
  gradcheck(bias ? "linear+bias dw" : "linear dw", t.w, t.OUT * t.IN, dw, lin_loss, &t, H_STEP,
            TOL_LINEAR);
  if (bias) gradcheck("linear+bias db", t.b, t.OUT, db, lin_loss, &t, H_STEP, TOL_LINEAR);
  free(t.x);
  free(t.w);
  free(t.b);
  free(t.y);
  free(t.r);
  free(dx);
  free(dw);
  free(db);
}

/* ---- cross-entropy -------------------------------------------------------------- */

typedef struct {
  float *logits, *probs;
  int32_t targets[5];
  float smoothing;
} ce_t;

static double ce_loss(void *v) {
  ce_t *t = v;
  return sw_cross_entropy_forward(t->probs, t->logits, t->targets, 5, 4, t->smoothing);
}

static void check_ce(float smoothing) {
  sw_rng rng;
  sw_rng_seed(&rng, 500);
  ce_t t = {.targets = {0, 3, 1, 1, 2}, .smoothing = smoothing};
  t.logits = randn(20, &rng, 1.5f);
  t.probs = zeros(20);
  ce_loss(&t);
  float *dl = zeros(20);
  sw_cross_entropy_backward(dl, t.probs, t.targets, 5, 4, smoothing);
  gradcheck(smoothing > 0 ? "cross-entropy smoothing=0.1 dlogits" : "cross-entropy dlogits",
            t.logits, 20, dl, ce_loss, &t, H_STEP, TOL_CURVED);
  free(t.logits);
  free(t.probs);
  free(dl);
}

int main(void) {
  sw_set_num_threads(2);
  check_conv("3x3 s1 p1 +bias", 3, 6, 5, 4, 3, 1, 1, 1, 1, 1, 1, true);
  check_conv("3x3 s2 pad(0,0,1,1)", 3, 6, 6, 4, 3, 2, 0, 0, 1, 1, 1, false);
  check_conv("7x7 s2 p3", 2, 9, 8, 3, 7, 2, 3, 3, 3, 3, 1, false);
  check_conv("1x1 s1 +bias", 4, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, true);
  check_conv("1x1 s2", 4, 5, 5, 3, 1, 2, 0, 0, 0, 0, 1, false);
  check_conv("3x3 groups=2", 4, 5, 5, 6, 3, 1, 1, 1, 1, 1, 2, true);
  check_conv("depthwise 3x3 s1 +bias", 3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 3, true);
  check_conv("depthwise 3x3 s2", 3, 7, 6, 3, 3, 2, 1, 1, 1, 1, 3, false);
  check_conv("depthwise 3x3 s2 pad(0,0,1,1)", 3, 6, 6, 3, 3, 2, 0, 0, 1, 1, 3, false);
  check_bn("batchnorm2d", 3, 2, 6, true, SW_ACT_NONE);
  check_bn("batchnorm2d", 3, 2, 6, false, SW_ACT_NONE);
  check_bn("batchnorm1d", 6, 4, 1, true, SW_ACT_NONE);
  check_bn("batchnorm1d", 6, 4, 1, false, SW_ACT_NONE);
  check_bn_act(SW_ACT_RELU);
  check_bn_act(SW_ACT_RELU6);
  check_el("relu", K_RELU);
  check_el("relu6", K_RELU6);
  check_el("maxpool 3x3 s2 p1", K_MAXPOOL);
  check_el("adaptive avgpool 1x1", K_GAVG);
  check_el("adaptive maxpool 1x1", K_GMAX);
  check_el("dropout p=0.3", K_DROPOUT);
  check_el("add da", K_ADD);
  check_linear(true);
  check_linear(false);
  check_ce(0.0f);
  check_ce(0.1f);
  return sw_test_finish();
}
