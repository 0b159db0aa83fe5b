/* test_layers.c: every layer against PyTorch (fixtures from
 * tests/golden/gen_layers.py), fast kernels against the naive *_ref kernels,
 * backward ADD/NULL semantics, dropout semantics and bit-determinism.
 *
 * Tolerances (relative error, see testutil.h): golden outputs and running
 * statistics SW_TOL_OUTPUT (1e-4), golden gradients SW_TOL_GRAD (1e-3).
 * Fast vs ref: TOL_FAST_FWD (1e-5) forward, TOL_FAST_BWD (1e-4) backward
 * (same float32 inputs, different summation order). Winograd F(4x4, 3x3)
 * vs the reference and im2col: TOL_WINO (2e-5) in all three passes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"
#include "vec.h"
#include "testutil.h"
#include "winograd.h"

#define TOL_FAST_FWD 1e-5
#define TOL_FAST_BWD 1e-4
/* Winograd F(4x4, 3x3) in float32, relative to the largest magnitude: about
 * 1e-5 at 256 channels (ResNet-34's shapes at batch 16 vs im2col: <= 1.5e-5) */
#define TOL_WINO 2e-5

static sw_state_dict g_fx;

static const float *T(const char *prefix, const char *name, size_t want_n) {
  char key[128];
  snprintf(key, sizeof key, "%s.%s", prefix, name);
  const sw_named_tensor *t = sw_test_tensor(&g_fx, key);
  size_t n = (size_t)sw_shape_numel(&t->shape);
  if (want_n && n != want_n) {
    fprintf(stderr, "fixture %s has %zu values, expected %zu\n", key, n, want_n);
    exit(1);
  }
  return t->data;
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static float *filled(size_t n, float v) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = v;
  return p;
}

static float *randn(size_t n, sw_rng *r, float scale) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = sw_rng_normal(r) * scale;
  return p;
}

static void check(const char *prefix, const char *what, const float *got, const float *want,
                  size_t n, double tol) {
  char label[160];
  snprintf(label, sizeof label, "%s %s", prefix, what);
  sw_test_close(label, got, want, n, tol);
}

/* ---- golden: conv2d ----------------------------------------------------- */

typedef struct {
  const char *name;
  int B, Cin, H, W, Cout, K, stride, pt, pl, pb, pr, groups;
} conv_case;

/* Must match CONVS in gen_layers.py. */
static const conv_case CONVS[] = {
    {"c3s1p1", 2, 4, 9, 9, 6, 3, 1, 1, 1, 1, 1, 1},
    {"c3s2tf", 2, 4, 8, 8, 6, 3, 2, 0, 0, 1, 1, 1},
    {"c7s2p3", 2, 3, 12, 11, 8, 7, 2, 3, 3, 3, 3, 1},
    {"c1s1", 2, 8, 5, 5, 6, 1, 1, 0, 0, 0, 0, 1},
    {"c1s2", 2, 8, 7, 7, 6, 1, 2, 0, 0, 0, 0, 1},
    {"g2", 2, 4, 7, 7, 6, 3, 1, 1, 1, 1, 1, 2},
    {"dw3s1", 2, 6, 7, 7, 6, 3, 1, 1, 1, 1, 1, 6},
    {"dw3s2", 2, 6, 8, 9, 6, 3, 2, 1, 1, 1, 1, 6},
    {"dw3s2tf", 2, 6, 8, 8, 6, 3, 2, 0, 0, 1, 1, 6},
    {"c3s1p1w", 2, 16, 9, 10, 20, 3, 1, 1, 1, 1, 1, 1},
};

static void golden_conv(void) {
  for (size_t i = 0; i < sizeof CONVS / sizeof CONVS[0]; i++) {
    const conv_case *k = &CONVS[i];
    for (int with_bias = 1; with_bias >= 0; with_bias--) {
      char p[64];
      snprintf(p, sizeof p, "conv.%s_%s", k->name, with_bias ? "bias" : "nobias");
      sw_conv2d c;
      sw_conv2d_init_pad(&c, k->B, k->Cin, k->H, k->W, k->Cout, k->K, k->stride, k->pt, k->pl,
                         k->pb, k->pr, k->groups);
      size_t nx = (size_t)c.B * c.Cin * c.H * c.W, ny = (size_t)c.B * c.Cout * c.OH * c.OW;
      size_t nw = (size_t)c.Cout * (c.Cin / c.groups) * c.KH * c.KW;
      const float *x = T(p, "x", nx), *w = T(p, "w", nw), *dy = T(p, "dy", ny);
      const float *b = with_bias ? T(p, "b", (size_t)c.Cout) : NULL;
      float *ws = zeros(sw_conv2d_workspace(&c));
      float *y = zeros(ny), *dx = zeros(nx), *dw = zeros(nw), *db = zeros((size_t)c.Cout);
      sw_conv2d_forward(&c, y, x, w, b, ws);
      check(p, "y", y, T(p, "y", ny), ny, SW_TOL_OUTPUT);
      sw_conv2d_backward(&c, dx, dw, with_bias ? db : NULL, dy, x, w, ws);
      check(p, "dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
      check(p, "dw", dw, T(p, "dw", nw), nw, SW_TOL_GRAD);
      if (with_bias) check(p, "db", db, T(p, "db", (size_t)c.Cout), (size_t)c.Cout, SW_TOL_GRAD);
      /* the reference kernels against PyTorch too */
      memset(dx, 0, nx * sizeof(float));
      memset(dw, 0, nw * sizeof(float));
      memset(db, 0, (size_t)c.Cout * sizeof(float));
      sw_conv2d_forward_ref(&c, y, x, w, b);
      check(p, "ref y", y, T(p, "y", ny), ny, SW_TOL_OUTPUT);
      sw_conv2d_backward_ref(&c, dx, dw, with_bias ? db : NULL, dy, x, w);
      check(p, "ref dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
      check(p, "ref dw", dw, T(p, "dw", nw), nw, SW_TOL_GRAD);
      free(ws);
      free(y);
      free(dx);
      free(dw);
      free(db);
    }
  }
}

/* ---- golden: batch norm ------------------------------------------------- */

static void golden_bn(const char *name, int B, int C, int HW) {
  for (int train = 1; train >= 0; train--) {
    char p[64];
    snprintf(p, sizeof p, "%s.%s", name, train ? "train" : "eval");
    sw_batchnorm bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f};
    size_t n = (size_t)B * C * HW;
    const float *x = T(p, "x", n), *w = T(p, "w", C), *b = T(p, "b", C), *dy = T(p, "dy", n);
    for (int ref = 0; ref <= 1; ref++) {
      float *rm = malloc(C * sizeof(float)), *rv = malloc(C * sizeof(float));
      memcpy(rm, T(p, "rm0", C), C * sizeof(float));
      memcpy(rv, T(p, "rv0", C), C * sizeof(float));
      float *y = zeros(n), *sm = zeros(C), *si = zeros(C);
      char q[80];
      snprintf(q, sizeof q, "%s%s", p, ref ? " ref" : "");
      if (ref)
        sw_batchnorm_forward_ref(&bn, y, sm, si, x, w, b, rm, rv, train);
      else
        sw_batchnorm_forward(&bn, y, sm, si, x, w, b, rm, rv, train);
      check(q, "y", y, T(p, "y", n), n, SW_TOL_OUTPUT);
      check(q, "running_mean", rm, T(p, "rm1", C), C, SW_TOL_OUTPUT);
      check(q, "running_var", rv, T(p, "rv1", C), C, SW_TOL_OUTPUT);
      if (!ref) {
        float *dx = zeros(n), *dw = zeros(C), *db = zeros(C);
        /* backward sees the running stats as they are after the forward (eval: unchanged) */
        sw_batchnorm_backward(&bn, dx, dw, db, dy, x, w, sm, si, rm, rv, train);
        check(q, "dx", dx, T(p, "dx", n), n, SW_TOL_GRAD);
        check(q, "dw", dw, T(p, "dw", C), C, SW_TOL_GRAD);
        check(q, "db", db, T(p, "db", C), C, SW_TOL_GRAD);
        free(dx);
        free(dw);
        free(db);
      }
      free(rm);
      free(rv);
      free(y);
      free(sm);
      free(si);
    }
  }
}

/* ---- golden: activations, pools, linear, cross-entropy, add ------------- */

static void golden_act(void) {
  const size_t n = 2 * 3 * 5 * 5;
  for (int six = 0; six <= 1; six++) {
    const char *p = six ? "relu6" : "relu";
    const float *x = T(p, "x", n), *dy = T(p, "dy", n);
    float *y = zeros(n), *dx = zeros(n);
    if (six) {
      sw_relu6_forward(y, x, n);
      sw_relu6_backward(dx, dy, y, n);
    } else {
      sw_relu_forward(y, x, n);
      sw_relu_backward(dx, dy, y, n);
    }
    check(p, "y", y, T(p, "y", n), n, SW_TOL_OUTPUT);
    check(p, "dx", dx, T(p, "dx", n), n, SW_TOL_GRAD);
    /* in place, as the models run it */
    memcpy(y, x, n * sizeof(float));
    if (six)
      sw_relu6_forward(y, y, n);
    else
      sw_relu_forward(y, y, n);
    check(p, "y in place", y, T(p, "y", n), n, SW_TOL_OUTPUT);
    free(y);
    free(dx);
  }
}

static void golden_maxpool(const char *p, int H, int W) {
  sw_maxpool mp;
  sw_maxpool_init(&mp, 2, 3, H, W, 3, 2, 1);
  size_t nx = (size_t)2 * 3 * H * W, ny = (size_t)2 * 3 * mp.OH * mp.OW;
  const float *x = T(p, "x", nx), *dy = T(p, "dy", ny);
  float *y = zeros(ny), *dx = zeros(nx);
  int32_t *am = calloc(ny, sizeof(int32_t));
  sw_maxpool_forward(&mp, y, am, x);
  check(p, "y", y, T(p, "y", ny), ny, SW_TOL_OUTPUT);
  sw_maxpool_backward(&mp, dx, dy, am);
  check(p, "dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
  free(y);
  free(dx);
  free(am);
}

static void golden_gpool(void) {
  const int B = 2, C = 5, HW = 12;
  const size_t nx = (size_t)B * C * HW;
  {
    const char *p = "avgpool";
    float *y = zeros(B * C), *dx = zeros(nx);
    sw_global_avgpool_forward(y, C, T(p, "x", nx), B, C, HW);
    check(p, "y", y, T(p, "y", B * C), B * C, SW_TOL_OUTPUT);
    sw_global_avgpool_backward(dx, T(p, "dy", B * C), C, B, C, HW);
    check(p, "dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
    free(y);
    free(dx);
  }
  {
    const char *p = "maxpool1";
    float *y = zeros(B * C), *dx = zeros(nx);
    int32_t *am = calloc(B * C, sizeof(int32_t));
    sw_global_maxpool_forward(y, C, am, T(p, "x", nx), B, C, HW);
    check(p, "y", y, T(p, "y", B * C), B * C, SW_TOL_OUTPUT);
    sw_global_maxpool_backward(dx, T(p, "dy", B * C), C, am, B, C, HW);
    check(p, "dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
    free(y);
    free(dx);
    free(am);
  }
  {
    /* fastai AdaptiveConcatPool2d: one (B, 2C) buffer, max in [0, C), avg in [C, 2C) */
    const char *p = "concatpool";
    const float *x = T(p, "x", nx), *dy = T(p, "dy", 2 * B * C);
    float *y = zeros(2 * B * C), *dx = zeros(nx);
    int32_t *am = calloc(B * C, sizeof(int32_t));
    sw_global_maxpool_forward(y, 2 * C, am, x, B, C, HW);
    sw_global_avgpool_forward(y + C, 2 * C, x, B, C, HW);
    check(p, "y", y, T(p, "y", 2 * B * C), 2 * B * C, SW_TOL_OUTPUT);
    sw_global_maxpool_backward(dx, dy, 2 * C, am, B, C, HW);
    sw_global_avgpool_backward(dx, dy + C, 2 * C, B, C, HW);
    check(p, "dx", dx, T(p, "dx", nx), nx, SW_TOL_GRAD);
    free(y);
    free(dx);
    free(am);
  }
}

static void golden_linear(void) {
  const int B = 4, IN = 7, OUT = 5;
  for (int with_bias = 1; with_bias >= 0; with_bias--) {
    const char *p = with_bias ? "linear.bias" : "linear.nobias";
    const float *x = T(p, "x", B * IN), *w = T(p, "w", OUT * IN), *dy = T(p, "dy", B * OUT);
    const float *b = with_bias ? T(p, "b", OUT) : NULL;
    float *y = zeros(B * OUT), *dx = zeros(B * IN), *dw = zeros(OUT * IN), *db = zeros(OUT);
    sw_linear_forward(y, x, w, b, B, IN, OUT);
    check(p, "y", y, T(p, "y", B * OUT), B * OUT, SW_TOL_OUTPUT);
    sw_linear_forward_ref(y, x, w, b, B, IN, OUT);
    check(p, "ref y", y, T(p, "y", B * OUT), B * OUT, SW_TOL_OUTPUT);
    sw_linear_backward(dx, dw, with_bias ? db : NULL, dy, x, w, B, IN, OUT);
    check(p, "dx", dx, T(p, "dx", B * IN), B * IN, SW_TOL_GRAD);
    check(p, "dw", dw, T(p, "dw", OUT * IN), OUT * IN, SW_TOL_GRAD);
    if (with_bias) check(p, "db", db, T(p, "db", OUT), OUT, SW_TOL_GRAD);
    free(y);
    free(dx);
    free(dw);
    free(db);
  }
}

static void golden_ce(void) {
  const int B = 6, C = 5;
  for (int sm = 0; sm <= 1; sm++) {
    const char *p = sm ? "ce.smooth" : "ce.plain";
    const float *logits = T(p, "logits", B * C);
    const float *tf = T(p, "targets", B); /* stored as float32 */
    int32_t targets[6];
    for (int b = 0; b < B; b++) targets[b] = (int32_t)tf[b];
    float *probs = zeros(B * C), *dl = zeros(B * C);
    float loss = sw_cross_entropy_forward(probs, logits, targets, B, C, sm ? 0.1f : 0.0f);
    check(p, "loss", &loss, T(p, "loss", 1), 1, SW_TOL_OUTPUT);
    check(p, "probs", probs, T(p, "probs", B * C), B * C, SW_TOL_OUTPUT);
    sw_cross_entropy_backward(dl, probs, targets, B, C, sm ? 0.1f : 0.0f);
    check(p, "dlogits", dl, T(p, "dlogits", B * C), B * C, SW_TOL_GRAD);
    sw_softmax(probs, logits, B, C);
    check(p, "softmax", probs, T(p, "probs", B * C), B * C, SW_TOL_OUTPUT);
    free(probs);
    free(dl);
  }
}

static void golden_add(void) {
  const size_t n = 2 * 3 * 4 * 4;
  const char *p = "add";
  float *y = zeros(n), *da = zeros(n), *db = zeros(n);
  sw_add_forward(y, T(p, "a", n), T(p, "b", n), n);
  check(p, "y", y, T(p, "y", n), n, SW_TOL_OUTPUT);
  sw_add_backward(da, db, T(p, "dy", n), n);
  check(p, "da", da, T(p, "da", n), n, SW_TOL_GRAD);
  check(p, "db", db, T(p, "db", n), n, SW_TOL_GRAD);
  free(y);
  free(da);
  free(db);
}

/* ---- NaN and boundary rules of ReLU / ReLU6 (checked against torch 1.13) */

static void test_act_nan(void) {
  float x[4] = {NAN, -1.0f, 7.0f, 3.0f}, y[4], y6[4], g[4] = {1, 1, 1, 1};
  float d[4] = {0}, d6[4] = {0};
  sw_relu_forward(y, x, 4);
  sw_relu6_forward(y6, x, 4);
  sw_relu_backward(d, g, y, 4);
  sw_relu6_backward(d6, g, y6, 4);
  CHECK(isnan(y[0]) && y[1] == 0 && y[2] == 7 && y[3] == 3, "relu([nan,-1,7,3]) = [%g,%g,%g,%g]",
        y[0], y[1], y[2], y[3]);
  CHECK(d[0] == 1 && d[1] == 0 && d[2] == 1 && d[3] == 1, "relu grad [%g,%g,%g,%g], want [1,0,1,1]",
        d[0], d[1], d[2], d[3]);
  CHECK(isnan(y6[0]) && y6[1] == 0 && y6[2] == 6 && y6[3] == 3, "relu6 = [%g,%g,%g,%g]", y6[0],
        y6[1], y6[2], y6[3]);
  CHECK(d6[0] == 1 && d6[1] == 0 && d6[2] == 0 && d6[3] == 1,
        "relu6 grad [%g,%g,%g,%g], want [1,0,0,1]", d6[0], d6[1], d6[2], d6[3]);
  printf("ok   relu/relu6 NaN and boundary rules as PyTorch\n");
}

/* ---- max pool tie and NaN rules (PyTorch's CPU kernels) ------------------ */

static void test_pool_ties(void) {
  /* one 3x3 window (K 3, stride 2, pad 1 on a 2x2 plane: the window covers it all) */
  sw_maxpool mp;
  sw_maxpool_init(&mp, 1, 1, 2, 2, 3, 2, 1);
  float tie[4] = {1, 5, 5, 2}, y;
  int32_t am;
  sw_maxpool_forward(&mp, &y, &am, tie);
  CHECK(y == 5 && am == 1, "maxpool tie: got %g at %d, want 5 at 1 (first maximum)", y, am);
  float nan2[4] = {1, NAN, 7, NAN};
  sw_maxpool_forward(&mp, &y, &am, nan2);
  CHECK(isnan(y) && am == 3, "maxpool NaN: got %g at %d, want NaN at 3 (last NaN)", y, am);
  float g[4] = {3, 9, 9, 1}, gy;
  int32_t gam;
  sw_global_maxpool_forward(&gy, 1, &gam, g, 1, 1, 4);
  CHECK(gy == 9 && gam == 1, "global maxpool tie: got %g at %d, want 9 at 1", gy, gam);
  float gn[4] = {NAN, 2, NAN, 8};
  sw_global_maxpool_forward(&gy, 1, &gam, gn, 1, 1, 4);
  CHECK(isnan(gy) && gam == 2, "global maxpool NaN: got %g at %d, want NaN at 2", gy, gam);
  printf("ok   max pool ties keep the first maximum, the last NaN wins (as PyTorch)\n");
}

/* The AVX-512 3x3 stride-2 max pool against the scalar loop: the same outputs
 * and argmax bits on odd and even maps (1x1 to 113x113, pad 0 and 1, partial
 * 16-output blocks), values quantised and clamped at 0 as after a ReLU (many
 * ties), with NaNs and -inf. The golden and tie tests above run the AVX-512
 * path too on CPUs that have it. */
static void test_maxpool_avx512(void) {
  if (!sw_maxpool_set_avx512(true)) {
    printf("# maxpool avx512: CPU has no avx512f/avx512dq, skipped\n");
    return;
  }
  sw_rng r;
  sw_rng_seed(&r, 5);
  const int sizes[][3] = {{1, 1, 1}, {2, 3, 0}, {3, 3, 1}, {5, 4, 0}, {9, 9, 1}, {8, 10, 1},
                          {17, 35, 1}, {34, 33, 0}, {36, 50, 1}, {113, 113, 1}, {112, 112, 1}};
  bool same = true;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    const int H = sizes[si][0], W = sizes[si][1], pad = sizes[si][2];
    sw_maxpool mp;
    sw_maxpool_init(&mp, 2, 3, H, W, 3, 2, pad);
    if (mp.OH <= 0 || mp.OW <= 0) continue;
    size_t nx = (size_t)6 * H * W, ny = (size_t)6 * mp.OH * mp.OW;
    float *x = randn(nx, &r, 2);
    for (size_t i = 0; i < nx; i++) {
      x[i] = x[i] < 0 ? 0.0f : roundf(x[i] * 2) / 2; /* ReLU and ties */
      if (i % 97 == 5) x[i] = NAN;
      if (i % 89 == 7) x[i] = -INFINITY;
    }
    /* AVX-512 and scalar with the argmax, then both without it (inference) */
    float *y[4] = {zeros(ny), zeros(ny), zeros(ny), zeros(ny)};
    int32_t *am[2] = {calloc(ny, 4), calloc(ny, 4)};
    for (int v = 0; v < 4; v++) {
      sw_maxpool_set_avx512(v % 2 == 0);
      sw_maxpool_forward(&mp, y[v], v < 2 ? am[v] : NULL, x);
    }
    sw_maxpool_set_avx512(true);
    bool ok = memcmp(y[0], y[1], ny * 4) == 0 && memcmp(am[0], am[1], ny * 4) == 0 &&
              memcmp(y[0], y[2], ny * 4) == 0 && memcmp(y[0], y[3], ny * 4) == 0;
    CHECK(ok, "maxpool avx512 %dx%d pad %d: differs from the scalar loop", H, W, pad);
    same &= ok;
    for (int v = 0; v < 4; v++) free(y[v]);
    for (int v = 0; v < 2; v++) free(am[v]);
    free(x);
  }
  if (same)
    printf("ok   maxpool avx512: the scalar loop's bits on 11 shapes with ties and NaNs, with and "
           "without the argmax\n");
}

/* ---- dropout semantics --------------------------------------------------- */

static void test_dropout(void) {
  const size_t n = 100000;
  const float p = 0.25f;
  sw_rng r;
  sw_rng_seed(&r, 1);
  float *x = randn(n, &r, 1.0f), *y = zeros(n), *m = zeros(n), *y2 = zeros(n), *m2 = zeros(n);
  sw_rng a, b;
  sw_rng_seed(&a, 42);
  sw_rng_seed(&b, 42);
  sw_dropout_forward(y, m, x, n, p, true, &a);
  sw_dropout_forward(y2, m2, x, n, p, true, &b);
  size_t dropped = 0, bad = 0;
  const float scale = 1.0f / (1.0f - p);
  for (size_t i = 0; i < n; i++) {
    if (m[i] == 0.0f)
      dropped++;
    else if (m[i] != scale)
      bad++;
    if (y[i] != x[i] * m[i]) bad++;
  }
  double frac = (double)dropped / n;
  /* binomial sd = sqrt(p(1-p)/n) = 0.0014; 0.01 is 7 sd */
  CHECK(fabs(frac - p) < 0.01, "dropped fraction %.4f, expected %.2f", frac, p);
  CHECK(bad == 0, "%zu values not x*mask with mask in {0, 1/(1-p)}", bad);
  CHECK(memcmp(m, m2, n * sizeof(float)) == 0, "same seed gave a different mask");
  sw_rng_seed(&b, 43);
  sw_dropout_forward(y2, m2, x, n, p, true, &b);
  CHECK(memcmp(m, m2, n * sizeof(float)) != 0, "a different seed gave the same mask");
  /* backward uses the mask and adds */
  float *dy = randn(n, &r, 1.0f), *dx = filled(n, 0.5f);
  sw_dropout_backward(dx, dy, m, n, true);
  bad = 0;
  for (size_t i = 0; i < n; i++)
    if (dx[i] != 0.5f + dy[i] * m[i]) bad++;
  CHECK(bad == 0, "%zu dropout gradients are not 0.5 + dy*mask", bad);
  /* eval: identity both ways */
  sw_dropout_forward(y, m, x, n, p, false, &a);
  CHECK(memcmp(y, x, n * sizeof(float)) == 0, "eval dropout is not the identity");
  for (size_t i = 0; i < n; i++) dx[i] = 0.5f;
  sw_dropout_backward(dx, dy, m, n, false);
  bad = 0;
  for (size_t i = 0; i < n; i++)
    if (dx[i] != 0.5f + dy[i]) bad++;
  CHECK(bad == 0, "%zu eval dropout gradients are not 0.5 + dy", bad);
  printf("ok   dropout p=0.25: dropped %.4f, scale 1/(1-p), seeded, backward masked, eval identity\n",
         frac);
  free(x);
  free(y);
  free(m);
  free(y2);
  free(m2);
  free(dy);
  free(dx);
}

/* ---- fast vs ref, ADD and NULL semantics -------------------------------- */

static void fast_vs_ref_conv(const conv_case *k, bool with_bias) {
  sw_rng r;
  sw_rng_seed(&r, 7);
  char p[96];
  snprintf(p, sizeof p, "fast-vs-ref conv %s%s", k->name, with_bias ? "+bias" : "");
  sw_conv2d c;
  sw_conv2d_init_pad(&c, k->B, k->Cin, k->H, k->W, k->Cout, k->K, k->stride, k->pt, k->pl, k->pb,
                     k->pr, k->groups);
  size_t nx = (size_t)c.B * c.Cin * c.H * c.W, ny = (size_t)c.B * c.Cout * c.OH * c.OW;
  size_t nw = (size_t)c.Cout * (c.Cin / c.groups) * c.KH * c.KW;
  float *x = randn(nx, &r, 1), *w = randn(nw, &r, 0.3f), *dy = randn(ny, &r, 1);
  float *b = with_bias ? randn(c.Cout, &r, 1) : NULL;
  float *ws = zeros(sw_conv2d_workspace(&c));
  float *y1 = zeros(ny), *y2 = zeros(ny);
  sw_conv2d_forward(&c, y1, x, w, b, ws);
  sw_conv2d_forward_ref(&c, y2, x, w, b);
  check(p, "y", y1, y2, ny, TOL_FAST_FWD);
  /* gradients start at 0.5 to check that backward ADDS */
  float *dx1 = filled(nx, 0.5f), *dw1 = filled(nw, 0.5f), *db1 = filled(c.Cout, 0.5f);
  float *dx2 = filled(nx, 0.5f), *dw2 = filled(nw, 0.5f), *db2 = filled(c.Cout, 0.5f);
  sw_conv2d_backward(&c, dx1, dw1, with_bias ? db1 : NULL, dy, x, w, ws);
  sw_conv2d_backward_ref(&c, dx2, dw2, with_bias ? db2 : NULL, dy, x, w);
  check(p, "dx", dx1, dx2, nx, TOL_FAST_BWD);
  check(p, "dw", dw1, dw2, nw, TOL_FAST_BWD);
  if (with_bias) check(p, "db", db1, db2, c.Cout, TOL_FAST_BWD);
  /* NULL skips: dweight only, then dinp only, must give the same values */
  float *dx3 = filled(nx, 0.5f), *dw3 = filled(nw, 0.5f);
  sw_conv2d_backward(&c, NULL, dw3, NULL, dy, x, w, ws);
  sw_conv2d_backward(&c, dx3, NULL, NULL, dy, x, w, ws);
  CHECK(memcmp(dw3, dw1, nw * sizeof(float)) == 0, "%s: dweight alone differs", p);
  CHECK(memcmp(dx3, dx1, nx * sizeof(float)) == 0, "%s: dinp alone differs", p);
  /* same inputs, same thread count: same bits */
  sw_conv2d_forward(&c, y2, x, w, b, ws);
  CHECK(memcmp(y1, y2, ny * sizeof(float)) == 0, "%s: forward not deterministic", p);
  free(x);
  free(w);
  free(dy);
  free(b);
  free(ws);
  free(y1);
  free(y2);
  free(dx1);
  free(dw1);
  free(db1);
  free(dx2);
  free(dw2);
  free(db2);
  free(dx3);
  free(dw3);
}

static const conv_case EXTRA_CONVS[] = {
    {"c5s2p2", 3, 5, 11, 10, 7, 5, 2, 2, 2, 2, 2, 1},
    {"c3s1p0", 2, 3, 6, 8, 4, 3, 1, 0, 0, 0, 0, 1},
    {"c3s1asym", 2, 3, 7, 6, 4, 3, 1, 0, 1, 2, 0, 1},
    {"c5s1p1", 2, 3, 9, 9, 5, 5, 1, 1, 1, 1, 1, 1},
    {"c3s2asym", 2, 4, 9, 7, 5, 3, 2, 0, 1, 1, 0, 1},
    {"g4", 2, 8, 6, 6, 12, 3, 2, 1, 1, 1, 1, 4},
    {"dw5s1p2", 2, 5, 9, 9, 5, 5, 1, 2, 2, 2, 2, 5},
    {"dw3s2p1big", 2, 16, 33, 31, 16, 3, 2, 1, 1, 1, 1, 16},
    {"dwmult2", 2, 4, 7, 7, 8, 3, 1, 1, 1, 1, 1, 4}, /* groups == Cin, Cout = 2*Cin: grouped gemm */
    {"c1s1big", 2, 32, 20, 20, 24, 1, 1, 0, 0, 0, 0, 1},
    /* OH*OW >= 3072: one image per gemm, pointwise without im2col */
    {"c3s1p1x56", 2, 3, 56, 56, 4, 3, 1, 1, 1, 1, 1, 1},
    {"c1s1x60", 2, 4, 60, 60, 3, 1, 1, 0, 0, 0, 0, 1},
    {"g2x56", 2, 4, 56, 56, 4, 3, 1, 1, 1, 1, 1, 2},
    /* 40x40: two images per gemm, B = 3 leaves a last chunk of one */
    {"c3s1b3x40", 3, 3, 40, 40, 4, 3, 1, 1, 1, 1, 1, 1},
    {"c1s1b3x40", 3, 4, 40, 40, 5, 1, 1, 0, 0, 0, 0, 1},
    /* large enough for sw_sgemm to split each gemm over the threads */
    {"c3s1split", 2, 16, 28, 28, 32, 3, 1, 1, 1, 1, 1, 1},
    /* ResNet-like 3x3 stride-1 convs with more channels: odd sizes, a 2x3 map,
     * 7x7 maps batched several images per gemm, 64x64 maps one per gemm */
    {"c3s1odd", 3, 16, 7, 9, 20, 3, 1, 1, 1, 1, 1, 1},
    {"c3s1_2x3", 2, 16, 2, 3, 16, 3, 1, 1, 1, 1, 1, 1},
    {"c3s1_7x7", 5, 24, 7, 7, 32, 3, 1, 1, 1, 1, 1, 1},
    {"c3s1_64", 3, 16, 64, 64, 17, 3, 1, 1, 1, 1, 1, 1},
};

static void fast_vs_ref_bn(int B, int C, int HW, float offset) {
  sw_rng r;
  sw_rng_seed(&r, 9);
  size_t n = (size_t)B * C * HW;
  float *x = randn(n, &r, 2), *w = randn(C, &r, 1), *b = randn(C, &r, 1);
  for (size_t i = 0; i < n; i++) x[i] += offset; /* a mean far from 0 (one-pass statistics) */
  float *rm1 = zeros(C), *rv1 = filled(C, 1), *rm2 = zeros(C), *rv2 = filled(C, 1);
  float *y1 = zeros(n), *y2 = zeros(n), *sm1 = zeros(C), *si1 = zeros(C), *sm2 = zeros(C),
        *si2 = zeros(C);
  sw_batchnorm bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f};
  char p[80];
  snprintf(p, sizeof p, "fast-vs-ref bn B=%d C=%d HW=%d offset=%g", B, C, HW, offset);
  for (int train = 1; train >= 0; train--) {
    sw_batchnorm_forward(&bn, y1, sm1, si1, x, w, b, rm1, rv1, train);
    sw_batchnorm_forward_ref(&bn, y2, sm2, si2, x, w, b, rm2, rv2, train);
    check(p, train ? "train y" : "eval y", y1, y2, n, TOL_FAST_FWD);
    check(p, train ? "train running_var" : "eval running_var", rv1, rv2, C, TOL_FAST_FWD);
  }
  free(x);
  free(w);
  free(b);
  free(rm1);
  free(rv1);
  free(rm2);
  free(rv2);
  free(y1);
  free(y2);
  free(sm1);
  free(si1);
  free(sm2);
  free(si2);
}

/* Fused batch norm + ReLU/ReLU6 against batch norm then the activation (each
 * checked against PyTorch above). HW > 4096 covers the blocked backward. */
static void fused_bn_act(int act, bool train) {
  sw_rng r;
  sw_rng_seed(&r, 21 + act);
  const int B = 3, C = 4, HW = 5000;
  size_t n = (size_t)B * C * HW;
  float *x = randn(n, &r, 3), *w = randn(C, &r, 1), *b = randn(C, &r, 1), *dy = randn(n, &r, 1);
  for (size_t i = 0; i < n; i++) x[i] += 2.0f;
  float *rm1 = randn(C, &r, 0.3f), *rv1 = filled(C, 1.5f), *rm2 = zeros(C), *rv2 = zeros(C);
  memcpy(rm2, rm1, C * sizeof(float));
  memcpy(rv2, rv1, C * sizeof(float));
  float *y1 = zeros(n), *y2 = zeros(n), *t = zeros(n), *sm1 = zeros(C), *si1 = zeros(C);
  float *sm2 = zeros(C), *si2 = zeros(C);
  sw_batchnorm bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f};
  sw_batchnorm_act_forward(&bn, (sw_act)act, y1, sm1, si1, x, w, b, rm1, rv1, train);
  sw_batchnorm_forward(&bn, y2, sm2, si2, x, w, b, rm2, rv2, train);
  if (act == SW_ACT_RELU)
    sw_relu_forward(y2, y2, n);
  else
    sw_relu6_forward(y2, y2, n);
  char p[64];
  snprintf(p, sizeof p, "fused bn+%s %s", act == SW_ACT_RELU ? "relu" : "relu6",
           train ? "train" : "eval");
  check(p, "y", y1, y2, n, TOL_FAST_FWD);
  check(p, "running_var", rv1, rv2, C, TOL_FAST_FWD);
  float *dx1 = filled(n, 0.5f), *dx2 = filled(n, 0.5f), *dw1 = zeros(C), *dw2 = zeros(C);
  float *db1 = zeros(C), *db2 = zeros(C);
  sw_batchnorm_act_backward(&bn, (sw_act)act, dx1, dw1, db1, dy, x, w, b, sm1, si1, rm1, rv1,
                            train);
  if (act == SW_ACT_RELU)
    sw_relu_backward(t, dy, y2, n);
  else
    sw_relu6_backward(t, dy, y2, n);
  sw_batchnorm_backward(&bn, dx2, dw2, db2, t, x, w, sm2, si2, rm2, rv2, train);
  check(p, "dx", dx1, dx2, n, TOL_FAST_BWD);
  check(p, "dweight", dw1, dw2, C, TOL_FAST_BWD);
  check(p, "dbias", db1, db2, C, TOL_FAST_BWD);
  /* _into writes dinp: the += result minus its starting 0.5, bit for bit */
  float *dx3 = filled(n, 1e30f), *dw3 = zeros(C), *db3 = zeros(C);
  sw_batchnorm_act_backward_into(&bn, (sw_act)act, dx3, dw3, db3, dy, x, w, b, sm1, si1, rm1,
                                 rv1, train);
  size_t same = 0;
  float *dx4 = zeros(n);
  sw_batchnorm_act_backward(&bn, (sw_act)act, dx4, NULL, NULL, dy, x, w, b, sm1, si1, rm1, rv1,
                            train);
  for (size_t i = 0; i < n; i++) same += dx3[i] == dx4[i];
  bool ok = same == n && memcmp(dw3, dw1, C * sizeof(float)) == 0 &&
            memcmp(db3, db1, C * sizeof(float)) == 0;
  printf("%s %s into: dinp written, %zu of %zu equal to += on zeros\n", ok ? "ok  " : "FAIL", p,
         same, n);
  if (!ok) sw_test_failures++;
  float *all[] = {x, w, b, dy, rm1, rv1, rm2, rv2, y1, y2, t, sm1, si1, sm2, si2, dx1, dx2, dw1, dw2, db1, db2, dx3, dw3, db3, dx4};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

static void fast_vs_ref_linear(void) {
  sw_rng r;
  sw_rng_seed(&r, 11);
  const int B = 16, IN = 300, OUT = 70;
  float *x = randn(B * IN, &r, 1), *w = randn(OUT * IN, &r, 0.1f), *b = randn(OUT, &r, 1);
  float *y1 = zeros(B * OUT), *y2 = zeros(B * OUT);
  sw_linear_forward(y1, x, w, b, B, IN, OUT);
  sw_linear_forward_ref(y2, x, w, b, B, IN, OUT);
  check("fast-vs-ref linear", "y", y1, y2, B * OUT, TOL_FAST_FWD);
  free(x);
  free(w);
  free(b);
  free(y1);
  free(y2);
}

/* sw_sgemm (split over the pool when large) against a double-precision loop,
 * every transpose combination, split along N and along M, alpha and beta. */
static void test_gemm(void) {
  sw_rng r;
  sw_rng_seed(&r, 17);
  const int shapes[3][3] = {{100, 300, 80}, {300, 100, 80}, {7, 5, 3}}; /* M, N, K */
  for (int si = 0; si < 3; si++)
    for (int ta = 0; ta <= 1; ta++)
      for (int tb = 0; tb <= 1; tb++) {
        int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        int lda = ta ? M : K, ldb = tb ? K : N;
        float *A = randn((size_t)M * K, &r, 1), *Bm = randn((size_t)K * N, &r, 1);
        float *C = randn((size_t)M * N, &r, 1), *C0 = malloc((size_t)M * N * sizeof(float));
        memcpy(C0, C, (size_t)M * N * sizeof(float));
        float *want = malloc((size_t)M * N * sizeof(float));
        for (int i = 0; i < M; i++)
          for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int k = 0; k < K; k++)
              acc += (double)(ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? Bm[(size_t)j * ldb + k] : Bm[(size_t)k * ldb + j]);
            want[(size_t)i * N + j] = (float)(0.5 * acc + 2.0 * C0[(size_t)i * N + j]);
          }
        sw_sgemm(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, 2.0f, C, N);
        char what[64];
        snprintf(what, sizeof what, "sgemm %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
        check(what, "C", C, want, (size_t)M * N, TOL_FAST_FWD);
        /* same thread count, same bits */
        float *C2 = malloc((size_t)M * N * sizeof(float));
        memcpy(C2, C0, (size_t)M * N * sizeof(float));
        sw_sgemm(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, 2.0f, C2, N);
        CHECK(memcmp(C, C2, (size_t)M * N * sizeof(float)) == 0, "%s: not deterministic", what);
        free(A);
        free(Bm);
        free(C);
        free(C0);
        free(C2);
        free(want);
      }
}

/* gemm_avx512.c (serial) against sw_sgemm_ref and OpenBLAS: shapes around the
 * 6x64 register block and the 256-deep k-blocks (1, tails, several blocks), every
 * transpose, leading dimensions wider than the matrices, beta 0 (C not read:
 * NaN there must not leak), 1 and 2, K = 0; then sw_sgemm split over 2 threads
 * gives the serial bits, and so does a B packed beforehand (sw_sgemm_avx512_pb).
 * Skipped on CPUs without AVX-512. */
static void test_gemm_avx512(void) {
  if (!sw_gemm_set_impl(SW_GEMM_AVX512)) {
    printf("# gemm avx512: CPU has no avx512f/avx512dq, skipped\n");
    sw_gemm_set_impl(SW_GEMM_AUTO);
    return;
  }
  sw_rng r;
  sw_rng_seed(&r, 23);
  const int shapes[][3] = {{1, 1, 1},     {1, 64, 1},   {6, 64, 256}, {7, 65, 257},
                           {5, 63, 7},    {13, 130, 300}, {145, 17, 3}, {150, 520, 513},
                           {2, 1100, 40}, {64, 147, 600}, {3, 5, 0}};
  const float betas[] = {0.0f, 1.0f, 2.0f};
  double worst = 0;
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (int ta = 0; ta <= 1; ta++)
      for (int tb = 0; tb <= 1; tb++) {
        const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        const float beta = betas[(si + ta + tb) % 3];
        const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
        const size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
        const size_t nc = (size_t)M * ldc;
        float *A = randn(na, &r, 1), *Bm = randn(nb, &r, 1), *C0 = randn(nc, &r, 1);
        if (beta == 0.0f)
          for (size_t i = 0; i < nc; i++) C0[i] = NAN;
        float *got = malloc(nc * sizeof(float)), *want = malloc(nc * sizeof(float));
        float *blas = malloc(nc * sizeof(float)), *split = malloc(nc * sizeof(float));
        memcpy(got, C0, nc * sizeof(float));
        memcpy(want, C0, nc * sizeof(float));
        memcpy(blas, C0, nc * sizeof(float));
        memcpy(split, C0, nc * sizeof(float));
        CHECK(sw_sgemm_avx512(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, beta, got, ldc),
              "gemm avx512: no packing buffer");
        sw_sgemm_ref(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, beta, want, ldc);
        sw_gemm_set_impl(SW_GEMM_OPENBLAS);
        sw_sgemm_serial(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, beta, blas, ldc);
        sw_gemm_set_impl(SW_GEMM_AVX512);
        sw_sgemm(ta, tb, M, N, K, 0.5f, A, lda, Bm, ldb, beta, split, ldc);
        /* only the M x N block may change: compare rows of ldc (the padding too) */
        char what[96];
        snprintf(what, sizeof what, "gemm avx512 %dx%dx%d ta=%d tb=%d beta=%g", M, N, K, ta, tb,
                 beta);
        bool pad_kept = true;
        for (int i = 0; i < M; i++)
          for (int j = N; j < ldc; j++) {
            size_t o = (size_t)i * ldc + j;
            pad_kept &= memcmp(&got[o], &C0[o], sizeof(float)) == 0;
            got[o] = want[o] = blas[o] = 0.0f;
          }
        CHECK(pad_kept, "%s: wrote past N", what);
        double e = sw_test_rel_err(got, want, nc);
        if (e > worst) worst = e;
        check(what, "vs ref", got, want, nc, TOL_FAST_FWD);
        check(what, "vs openblas", got, blas, nc, TOL_FAST_FWD);
        for (int i = 0; i < M; i++)
          for (int j = N; j < ldc; j++) split[(size_t)i * ldc + j] = 0.0f;
        CHECK(memcmp(got, split, nc * sizeof(float)) == 0, "%s: split bits differ", what);
        if (!tb) {
          /* B packed beforehand (sw_sgemm_avx512_pb): the same bits */
          float *pk = calloc(sw_gemm_pb_floats(K, N) + 1, sizeof(float));
          for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) pk[sw_gemm_pb_index(K, k, j)] = Bm[(size_t)k * ldb + j];
          float *pb = malloc(nc * sizeof(float));
          memcpy(pb, C0, nc * sizeof(float));
          sw_sgemm_avx512_pb(ta, M, N, K, 0.5f, A, lda, pk, beta, pb, ldc);
          for (int i = 0; i < M; i++)
            for (int j = N; j < ldc; j++) pb[(size_t)i * ldc + j] = 0.0f;
          CHECK(memcmp(got, pb, nc * sizeof(float)) == 0, "%s: packed B bits differ", what);
          free(pk);
          free(pb);
        }
        free(A);
        free(Bm);
        free(C0);
        free(got);
        free(want);
        free(blas);
        free(split);
      }
  printf("# gemm avx512: worst error vs the double reference %.2e\n", worst);
  sw_gemm_set_impl(SW_GEMM_AUTO);
}

/* ---- Winograd F(4x4, 3x3) and F(2x2, 3x3) against the reference and im2col */

typedef struct {
  const char *name;
  int B, Cin, H, W, Cout, pt, pl, pb, pr;
} wino_case;

static const wino_case WINO_CASES[] = {
    {"1x1", 1, 3, 1, 1, 13, 1, 1, 1, 1},
    {"2x2", 2, 13, 2, 2, 3, 1, 1, 1, 1},
    {"3x3", 1, 8, 3, 3, 8, 1, 1, 1, 1},
    {"3x3p0", 2, 13, 3, 3, 5, 0, 0, 0, 0},
    {"7x9", 1, 13, 7, 9, 13, 1, 1, 1, 1},
    {"11x5p0", 3, 3, 11, 5, 16, 0, 0, 0, 0},
    {"asym", 2, 5, 9, 6, 7, 0, 1, 2, 0},
    {"p2", 1, 9, 5, 7, 6, 2, 2, 2, 2},
    {"30x30blocks", 3, 13, 30, 30, 13, 1, 1, 1, 1},   /* several blocks and slots */
    {"17x17big", 4, 128, 17, 17, 128, 1, 1, 1, 1},  /* large filters: 64-tile blocks */
    {"6x6x136", 2, 136, 6, 6, 72, 1, 1, 1, 1},      /* channels not multiples of 64 */
    {"10x10x256", 2, 256, 10, 10, 256, 1, 1, 1, 1}, /* the error grows with the channels */
};

/* worst relative errors over the cases: forward, backward-data, backward-weights */
static double g_wino_err[3];

static void wino_check(const char *p, const char *what, int pass, const float *got,
                       const float *want, size_t n, double tol) {
  double e = sw_test_rel_err(got, want, n);
  if (e > g_wino_err[pass]) g_wino_err[pass] = e;
  check(p, what, got, want, n, tol);
}

static const char *const ISA_NAMES[] = {"baseline", "AVX2", "AVX-512"};

static void wino_vs_ref(const wino_case *k, int tile, sw_wino_isa isa) {
  sw_rng r;
  sw_rng_seed(&r, 11);
  char p[96];
  snprintf(p, sizeof p, "winograd F(%dx%d) %s (%s)", tile, tile, k->name, ISA_NAMES[isa]);
  CHECK(sw_wino_set_isa(isa) == isa, "%s: ISA not available", p);
  sw_conv2d c;
  sw_conv2d_init_pad(&c, k->B, k->Cin, k->H, k->W, k->Cout, 3, 1, k->pt, k->pl, k->pb, k->pr, 1);
  CHECK(sw_wino_supported(&c), "%s: not a Winograd shape", p);
  size_t nx = (size_t)c.B * c.Cin * c.H * c.W, ny = (size_t)c.B * c.Cout * c.OH * c.OW;
  size_t nw = (size_t)c.Cout * c.Cin * 9;
  float *x = randn(nx, &r, 1), *w = randn(nw, &r, 0.3f), *dy = randn(ny, &r, 1);
  float *b = randn(c.Cout, &r, 1);
  float *ws = zeros(sw_conv2d_workspace(&c));
  float *y[3], *dx[3], *dw[3]; /* Winograd, reference, im2col */
  for (int m = 0; m < 3; m++) {
    y[m] = zeros(ny);
    dx[m] = filled(nx, 0.5f);
    dw[m] = filled(nw, 0.5f);
  }
  sw_wino_forward(&c, tile, y[0], x, w, b, ws);
  sw_wino_backward(&c, tile, dx[0], dw[0], dy, x, w, ws);
  sw_conv2d_forward_ref(&c, y[1], x, w, b);
  sw_conv2d_backward_ref(&c, dx[1], dw[1], NULL, dy, x, w);
  sw_conv2d_set_algo(SW_CONV_IM2COL);
  sw_conv2d_forward(&c, y[2], x, w, b, ws);
  sw_conv2d_backward(&c, dx[2], dw[2], NULL, dy, x, w, ws);
  sw_conv2d_set_algo(SW_CONV_AUTO);
  wino_check(p, "y vs ref", 0, y[0], y[1], ny, TOL_WINO);
  wino_check(p, "dx vs ref", 1, dx[0], dx[1], nx, TOL_WINO);
  wino_check(p, "dw vs ref", 2, dw[0], dw[1], nw, TOL_WINO);
  wino_check(p, "y vs im2col", 0, y[0], y[2], ny, TOL_WINO);
  wino_check(p, "dx vs im2col", 1, dx[0], dx[2], nx, TOL_WINO);
  wino_check(p, "dw vs im2col", 2, dw[0], dw[2], nw, TOL_WINO);
  /* 1 thread: the same bits */
  sw_set_num_threads(1);
  float *y1 = zeros(ny), *dx1 = filled(nx, 0.5f), *dw1 = filled(nw, 0.5f);
  sw_wino_forward(&c, tile, y1, x, w, b, ws);
  sw_wino_backward(&c, tile, dx1, dw1, dy, x, w, ws);
  sw_set_num_threads(2);
  CHECK(memcmp(y1, y[0], ny * 4) == 0 && memcmp(dx1, dx[0], nx * 4) == 0 &&
            memcmp(dw1, dw[0], nw * 4) == 0,
        "%s: 1 and 2 threads differ", p);
  if (isa > SW_WINO_ISA_BASE) {
    /* the transforms are lane-wise: a narrower vector gives the same bits */
    sw_wino_set_isa(isa - 1);
    memset(y1, 0, ny * 4);
    for (size_t i = 0; i < nx; i++) dx1[i] = 0.5f;
    for (size_t i = 0; i < nw; i++) dw1[i] = 0.5f;
    sw_wino_forward(&c, tile, y1, x, w, b, ws);
    sw_wino_backward(&c, tile, dx1, dw1, dy, x, w, ws);
    CHECK(memcmp(y1, y[0], ny * 4) == 0 && memcmp(dx1, dx[0], nx * 4) == 0 &&
              memcmp(dw1, dw[0], nw * 4) == 0,
          "%s: differs from %s", p, ISA_NAMES[isa - 1]);
  }
  sw_wino_set_avx2(true);
  for (int m = 0; m < 3; m++) {
    free(y[m]);
    free(dx[m]);
    free(dw[m]);
  }
  free(y1);
  free(dx1);
  free(dw1);
  free(x);
  free(w);
  free(dy);
  free(b);
  free(ws);
}

static void winograd_tests(void) {
  const size_t n = sizeof WINO_CASES / sizeof WINO_CASES[0];
  for (int tile = 4; tile >= 2; tile -= 2) {
    memset(g_wino_err, 0, sizeof g_wino_err);
    const sw_wino_isa best = sw_wino_set_isa(SW_WINO_ISA_AVX512);
    for (int isa = best; isa >= SW_WINO_ISA_BASE; isa--)
      for (size_t i = 0; i < n; i++) wino_vs_ref(&WINO_CASES[i], tile, (sw_wino_isa)isa);
    printf("ok   winograd F(%dx%d) worst relative error: forward %.2g, backward-data %.2g, "
           "backward-weights %.2g (tol %.0e)\n",
           tile, tile, g_wino_err[0], g_wino_err[1], g_wino_err[2], TOL_WINO);
  }
}

/* AUTO's rule (conv.c, wino_auto) pass by pass, and that the passes really
 * run what it says: bit-identical to the forced kernel. */
static void conv_algo_rule(void) {
  /* the tile of forward, inference, backward-data, backward-weights (0: im2col) */
  static const struct {
    int H, C, tile[4];
  } T[] = {{56, 64, {2, 4, 4, 4}}, {14, 256, {2, 4, 4, 4}}, {8, 16, {2, 4, 2, 4}},
           {7, 512, {2, 4, 2, 4}}, {5, 24, {0, 0, 0, 0}},  {2, 512, {0, 0, 0, 0}}};
  /* (backward-data on maps of 8x8 and less at batch 16: F(2x2), see wino_auto) */
  const char *p = "conv algo rule";
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
    sw_conv2d c;
    sw_conv2d_init(&c, 16, T[i].C, T[i].H, T[i].H, T[i].C, 3, 1, 1, 1);
    for (int q = 0; q < 4; q++)
      CHECK(sw_conv2d_winograd_tile(&c, (sw_conv_pass)q) == T[i].tile[q], "%s: %dx%dx%d pass %d",
            p, T[i].H, T[i].H, T[i].C, q);
    sw_conv2d_set_algo(SW_CONV_IM2COL);
    CHECK(sw_conv2d_winograd_tile(&c, SW_CONV_PASS_INFER) == 0, "%s: IM2COL forces im2col", p);
    sw_conv2d_set_algo(SW_CONV_WINOGRAD);
    CHECK(sw_conv2d_winograd_tile(&c, SW_CONV_PASS_FORWARD) == 4, "%s: WINOGRAD forces F4", p);
    sw_conv2d_set_algo(SW_CONV_WINOGRAD2);
    CHECK(sw_conv2d_winograd_tile(&c, SW_CONV_PASS_BWD_DATA) == 2, "%s: WINOGRAD2 forces F2", p);
    sw_conv2d_set_algo(SW_CONV_AUTO);
  }
  sw_conv2d c1x1;
  sw_conv2d_init(&c1x1, 2, 8, 9, 9, 8, 1, 1, 0, 1);
  CHECK(sw_conv2d_winograd_tile(&c1x1, SW_CONV_PASS_INFER) == 0, "%s: 1x1 is not Winograd", p);
  /* a 7x7 map, odd channels, batch 3: every pass under AUTO against the forced kernels */
  sw_rng r;
  sw_rng_seed(&r, 5);
  sw_conv2d c;
  sw_conv2d_init(&c, 3, 13, 7, 7, 11, 3, 1, 1, 1);
  size_t nx = (size_t)3 * 13 * 49, ny = (size_t)3 * 11 * 49, nw = (size_t)11 * 13 * 9;
  float *x = randn(nx, &r, 1), *w = randn(nw, &r, 0.3f), *dy = randn(ny, &r, 1);
  float *ws = zeros(sw_conv2d_workspace(&c));
  float *y[4], *yi[4], *dx[4], *dw[4]; /* AUTO, im2col, F(4x4), F(2x2) */
  static const sw_conv_algo algo[4] = {SW_CONV_AUTO, SW_CONV_IM2COL, SW_CONV_WINOGRAD,
                                       SW_CONV_WINOGRAD2};
  for (int m = 0; m < 4; m++) {
    y[m] = zeros(ny);
    yi[m] = zeros(ny);
    dx[m] = zeros(nx);
    dw[m] = zeros(nw);
    sw_conv2d_set_algo(algo[m]);
    sw_conv2d_forward(&c, y[m], x, w, NULL, ws);
    sw_conv2d_forward_infer(&c, yi[m], x, w, NULL, ws);
    sw_conv2d_backward(&c, dx[m], dw[m], NULL, dy, x, w, ws);
  }
  sw_conv2d_set_algo(SW_CONV_AUTO);
  CHECK(memcmp(y[0], y[3], ny * 4) == 0, "%s: AUTO training forward is F(2x2)", p);
  CHECK(memcmp(yi[0], yi[2], ny * 4) == 0, "%s: AUTO inference forward is F(4x4)", p);
  const int td = sw_conv2d_winograd_tile(&c, SW_CONV_PASS_BWD_DATA);
  CHECK(td == 2 && memcmp(dx[0], dx[3], nx * 4) == 0,
        "%s: AUTO backward-data is F(2x2) on this small map", p);
  CHECK(memcmp(dw[0], dw[2], nw * 4) == 0, "%s: AUTO backward-weights is F(4x4)", p);
  CHECK(memcmp(y[1], y[2], ny * 4) != 0 && memcmp(y[2], y[3], ny * 4) != 0 &&
            memcmp(y[1], y[3], ny * 4) != 0,
        "%s: the kernels differ (so the checks can fail)", p);
  check(p, "inference vs training forward", yi[0], y[0], ny, TOL_WINO);
  for (int m = 0; m < 4; m++) {
    free(y[m]);
    free(yi[m]);
    free(dx[m]);
    free(dw[m]);
  }
  free(x);
  free(w);
  free(dy);
  free(ws);
  printf("ok   conv algo rule: AUTO per pass and shape, and each pass runs the kernel it names\n");
}

/* Non-BLAS kernels give the same bits with 1 and 2 threads (work is split by
 * independent items, reductions stay inside one item). */
static void thread_determinism(void) {
  sw_rng r;
  sw_rng_seed(&r, 13);
  const int B = 4, C = 8, H = 64, W = 64;
  size_t n = (size_t)B * C * H * W;
  float *x = randn(n, &r, 1), *dy = randn(n, &r, 1), *w = randn(C, &r, 1), *bb = randn(C, &r, 1);
  float *wd = randn(C * 9, &r, 0.3f);
  float *out[2], *dxo[2], *dwo[2], *dwd[2], *dxd[2], *yd[2], *mp[2];
  sw_maxpool pool;
  sw_maxpool_init(&pool, B, C, H, W, 3, 2, 1);
  size_t np = (size_t)B * C * pool.OH * pool.OW;
  int32_t *am = calloc(np, sizeof(int32_t));
  sw_conv2d dw;
  sw_conv2d_init(&dw, B, C, H, W, C, 3, 1, 1, C);
  for (int t = 0; t < 2; t++) {
    sw_set_num_threads(t + 1);
    float *rm = zeros(C), *rv = filled(C, 1), *sm = zeros(C), *si = zeros(C);
    sw_batchnorm bn = {.B = B, .C = C, .HW = H * W, .momentum = 0.1f, .eps = 1e-5f};
    out[t] = zeros(n);
    dxo[t] = zeros(n);
    dwo[t] = zeros(2 * C);
    sw_batchnorm_forward(&bn, out[t], sm, si, x, w, bb, rm, rv, true);
    sw_batchnorm_backward(&bn, dxo[t], dwo[t], dwo[t] + C, dy, x, w, sm, si, rm, rv, true);
    yd[t] = zeros(n);
    dxd[t] = zeros(n);
    dwd[t] = zeros(C * 9);
    sw_conv2d_forward(&dw, yd[t], x, wd, NULL, NULL);
    sw_conv2d_backward(&dw, dxd[t], dwd[t], NULL, dy, x, wd, NULL);
    mp[t] = zeros(np);
    sw_maxpool_forward(&pool, mp[t], am, x);
    free(rm);
    free(rv);
    free(sm);
    free(si);
  }
  sw_set_num_threads(2);
  CHECK(memcmp(out[0], out[1], n * 4) == 0, "batchnorm forward differs between 1 and 2 threads");
  CHECK(memcmp(dxo[0], dxo[1], n * 4) == 0, "batchnorm dinp differs between 1 and 2 threads");
  CHECK(memcmp(dwo[0], dwo[1], 2 * C * 4) == 0, "batchnorm dweight differs between thread counts");
  CHECK(memcmp(yd[0], yd[1], n * 4) == 0, "depthwise forward differs between 1 and 2 threads");
  CHECK(memcmp(dxd[0], dxd[1], n * 4) == 0, "depthwise dinp differs between 1 and 2 threads");
  CHECK(memcmp(dwd[0], dwd[1], C * 9 * 4) == 0, "depthwise dweight differs between thread counts");
  CHECK(memcmp(mp[0], mp[1], np * 4) == 0, "maxpool differs between 1 and 2 threads");
  printf("ok   thread determinism checked (batchnorm, depthwise, maxpool: 1 vs 2 threads)\n");
  for (int t = 0; t < 2; t++) {
    free(out[t]);
    free(dxo[t]);
    free(dwo[t]);
    free(yd[t]);
    free(dxd[t]);
    free(dwd[t]);
    free(mp[t]);
  }
  free(am);
  free(x);
  free(dy);
  free(w);
  free(bb);
  free(wd);
}

/* vec.h's double sums in their documented order: eight lanes by i % 8, combined
 * ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7)), then the tail. */
static void vec_order(void) {
  sw_rng r;
  sw_rng_seed(&r, 5);
  const int n = 1003;
  float *x = randn(n, &r, 1e3f), *g = randn(n, &r, 1.0f);
  for (int i = 0; i < n; i += 7) x[i] *= 1e5f; /* make the order matter */
  const double m = 0.37;
  double l[3][8] = {{0}}, t[3] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) {
      double d = x[i + k] - m;
      l[0][k] += x[i + k];
      l[1][k] += d * d;
      l[2][k] += (double)g[i + k] * d;
    }
  for (; i < n; i++) {
    double d = x[i] - m;
    t[0] += x[i];
    t[1] += d * d;
    t[2] += (double)g[i] * d;
  }
  double want[3];
  for (int j = 0; j < 3; j++)
    want[j] = ((l[j][0] + l[j][2]) + (l[j][4] + l[j][6])) + ((l[j][1] + l[j][3]) + (l[j][5] + l[j][7])) + t[j];
  double s1, s2, sg, sgx;
  sw_shift_sums_d(x, n, m, &s1, &s2);
  sw_sum_dot_dev_d(g, x, n, m, &sg, &sgx);
  bool ok = sw_sum_d(x, n) == want[0] && s2 == want[1] && sgx == want[2];
  printf("%s vec.h double sums in their fixed 8-lane order\n", ok ? "ok  " : "FAIL");
  if (!ok) sw_test_failures++;
  free(x);
  free(g);
}

/* Batch norm with its AVX-512 kernels and with the baseline ones: the same bits,
 * forward (train, eval) and backward, plain and with each fused activation, on
 * maps below one vector, odd ones and ones past a backward block. */
static void bn_isa_bits(void) {
  if (!sw_batchnorm_set_avx512(true)) {
    printf("ok   batch norm AVX-512 vs baseline: no AVX-512 on this CPU, skipped\n");
    return;
  }
  const int shapes[][3] = {{16, 10, 1}, {3, 5, 49}, {2, 3, 5000}};
  int cases = 0, same = 0;
  for (int s = 0; s < 3; s++)
    for (int act = SW_ACT_NONE; act <= SW_ACT_RELU6; act++)
      for (int train = 0; train < 2; train++) {
        const int B = shapes[s][0], C = shapes[s][1], HW = shapes[s][2];
        const size_t n = (size_t)B * C * HW;
        sw_batchnorm bn = {.B = B, .C = C, .HW = HW, .momentum = 0.1f, .eps = 1e-5f};
        float *res[2][8];
        for (int v = 0; v < 2; v++) {
          sw_rng r;
          sw_rng_seed(&r, 40 + s);
          float *x = randn(n, &r, 3), *w = randn(C, &r, 1), *b = randn(C, &r, 1);
          float *dy = randn(n, &r, 1), *rm = randn(C, &r, 0.3f), *rv = filled(C, 1.5f);
          float *y = zeros(n), *sm = zeros(C), *si = zeros(C), *dx = filled(n, 0.5f);
          float *dw = zeros(C), *db = zeros(C);
          sw_batchnorm_set_avx512(v == 0);
          sw_batchnorm_act_forward(&bn, (sw_act)act, y, sm, si, x, w, b, rm, rv, train);
          sw_batchnorm_act_backward(&bn, (sw_act)act, dx, dw, db, dy, x, w, b, sm, si, rm, rv,
                                    train);
          float *keep[8] = {y, sm, si, rm, rv, dx, dw, db};
          memcpy(res[v], keep, sizeof keep);
          free(x);
          free(w);
          free(b);
          free(dy);
        }
        const size_t sizes[8] = {n, C, C, C, C, n, C, C};
        bool eq = true;
        for (int k = 0; k < 8; k++) eq = eq && memcmp(res[0][k], res[1][k], sizes[k] * 4) == 0;
        cases++;
        same += eq;
        if (!eq) printf("FAIL batch norm AVX-512 vs baseline: %dx%dx%d act %d train %d differ\n", B, C, HW, act, train);
        for (int v = 0; v < 2; v++)
          for (int k = 0; k < 8; k++) free(res[v][k]);
      }
  sw_batchnorm_set_avx512(true);
  printf("%s batch norm AVX-512 vs baseline: %d of %d cases the same bits\n",
         same == cases ? "ok  " : "FAIL", same, cases);
  if (same != cases) sw_test_failures++;
}

int main(void) {
  sw_set_num_threads(2);
  sw_test_load_fixture("layers.safetensors", &g_fx);
  golden_conv();
  golden_bn("bn2d", 3, 4, 25);
  golden_bn("bn1d", 5, 6, 1);
  golden_act();
  golden_maxpool("maxpool_odd", 9, 9);
  golden_maxpool("maxpool_even", 8, 10);
  golden_gpool();
  golden_linear();
  golden_ce();
  golden_add();
  test_dropout();
  test_pool_ties();
  test_maxpool_avx512();
  test_act_nan();
  for (size_t i = 0; i < sizeof CONVS / sizeof CONVS[0]; i++) {
    fast_vs_ref_conv(&CONVS[i], true);
    fast_vs_ref_conv(&CONVS[i], false);
  }
  for (size_t i = 0; i < sizeof EXTRA_CONVS / sizeof EXTRA_CONVS[0]; i++) {
    fast_vs_ref_conv(&EXTRA_CONVS[i], i % 2 == 0);
  }
  fast_vs_ref_bn(4, 6, 49, 3.0f);
  fast_vs_ref_bn(16, 10, 1, 3.0f);
  fast_vs_ref_bn(8, 4, 3136, 50.0f);
  fast_vs_ref_linear();
  vec_order();
  bn_isa_bits();
  for (int act = SW_ACT_RELU; act <= SW_ACT_RELU6; act++) {
    fused_bn_act(act, true);
    fused_bn_act(act, false);
  }
  test_gemm();
  test_gemm_avx512();
  winograd_tests();
  conv_algo_rule();
  thread_determinism();
  sw_state_dict_free(&g_fx);
  return sw_test_finish();
}
