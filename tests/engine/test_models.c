/* test_models: the models against PyTorch (fixtures from tests/golden/gen_models.py).
 *
 * For each fixture the model is built, checked name by name and shape by
 * shape against torchvision's state dict, filled with the formula parameters
 * (the same integer hash as gen_models.py, bit-identical), and run on the
 * formula input at 4x3x64x64 with dropout disabled (sw_model_set_dropout 0):
 * eval-mode logits, training-mode logits, loss, running statistics and every
 * parameter gradient are compared with the float64 PyTorch reference, with
 * SW_TOL_OUTPUT / SW_TOL_GRAD, on every tensor of every fixture. The deep
 * networks (resnet34/50, mobilenet_v2) use the formula with small weights on
 * the BatchNorm that ends each residual branch (metadata res_bn_weights, see
 * gen_models.py make_fixture): with all BatchNorm weights near 1 a deep
 * training-mode network at initialisation is chaotic, and no float32 engine,
 * torch's included, can meet 1e-3 against float64 there.
 * Then: freezing (no weight gradients for frozen tensors, identical BatchNorm
 * gradients through the frozen body), strict loading with wrong state dicts,
 * the real MobileNetV2 files, snapshot/restore and the activation memory of
 * resnet34 training at 16x3x224x224.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "layers.h"
#include "model.h"
#include "testutil.h"
#include "formula.h"

/* ---- the formula: formula.h ---------------------------------------------- */

#define T_INPUT 1000000u
#define T_TARGETS 1000001u
#define NSUB 1024
#define FULL_MAX 4096

/* [sum, sum of squares, 4 projections] in double, as gen_models.py projections(). */
static void grad_stats(uint32_t t, const float *g, int64_t n, double out[6]) {
  double s = 0, q = 0, p[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; i++) {
    double v = g[i];
    s += v;
    q += v * v;
    for (int k = 0; k < 4; k++) p[k] += v * (double)sym(t + 0x10000u * (uint32_t)(k + 1), (uint32_t)i);
  }
  out[0] = s;
  out[1] = q;
  for (int k = 0; k < 4; k++) out[2 + k] = p[k];
}

/* ---- checks --------------------------------------------------------------- */

/* Compares the model's names and shapes, in order, with "name[d0,d1];..." */
static void check_names(sw_model *m, const char *list, const char *tag) {
  const char *s = list;
  int i = 0, bad = 0;
  while (*s) {
    const char *e = strchr(s, ';');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char want[160], got[160], shp[96];
    snprintf(want, sizeof want, "%.*s", (int)len, s);
    sw_param *p = sw_model_param(m, i);
    if (p) {
      sw_shape_str(&p->shape, shp, sizeof shp);
      /* "[64, 3, 7, 7]" -> "64,3,7,7" */
      char compact[96];
      size_t k = 0;
      for (const char *c = shp; *c && k + 1 < sizeof compact; c++)
        if (*c != ' ') compact[k++] = *c;
      compact[k] = 0;
      snprintf(got, sizeof got, "%s%s", p->name, compact);
    } else {
      snprintf(got, sizeof got, "(none)");
    }
    if (strcmp(want, got) != 0 && bad++ < 3)
      CHECK(0, "%s: state-dict entry %d: torchvision %s, ours %s", tag, i, want, got);
    i++;
    s += len;
    if (*s == ';') s++;
  }
  CHECK(i == sw_model_num_params(m), "%s: torchvision has %d tensors, ours %d", tag, i,
        sw_model_num_params(m));
  if (!bad && i == sw_model_num_params(m))
    printf("ok   %s: %d state-dict names and shapes match torchvision, in order\n", tag, i);
}

typedef struct {
  double worst;
  char worst_name[128];
  int tensors;
  int zero_tensors;
  double zero_worst; /* max |gradient| / largest gradient of the model, over analytically-zero ones */
  double all[1024];
  int nall;
} grad_report;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  if (n == 0) return 0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void check_grad(sw_model *m, const sw_state_dict *fx, int t, grad_report *r,
                       const char *tag) {
  sw_param *p = sw_model_param(m, t);
  char key[192];
  /* Gradients that are analytically zero (a BatchNorm bias followed, through a
   * linear path, by a training-mode BatchNorm): the reference holds only
   * rounding noise, so check that ours is as small, against the model's largest
   * gradient. */
  const char *zero = sw_state_dict_get_meta(fx, "zero_grads");
  if (zero && in_list(zero, p->name)) {
    double gmax = sw_test_tensor(fx, "grad_max")->data[0], mx = 0;
    for (int64_t j = 0; j < p->numel; j++)
      if (fabs(p->grad[j]) > mx) mx = fabs(p->grad[j]);
    double e = mx / gmax;
    r->zero_tensors++;
    if (e > r->zero_worst) r->zero_worst = e;
    CHECK(e <= 1e-5, "%s: analytically-zero gradient of %s: max %.3g of the largest gradient", tag,
          p->name, e);
    return;
  }
  snprintf(key, sizeof key, "grad.%s", p->name);
  const sw_named_tensor *full = sw_state_dict_find(fx, key);
  double e;
  if (full) {
    CHECK(sw_shape_numel(&full->shape) == p->numel, "%s: %s size", tag, key);
    e = sw_test_rel_err(p->grad, full->data, (size_t)p->numel);
  } else {
    snprintf(key, sizeof key, "gsub.%s", p->name);
    const sw_named_tensor *sub = sw_test_tensor(fx, key);
    snprintf(key, sizeof key, "gstat.%s", p->name);
    const sw_named_tensor *st = sw_test_tensor(fx, key);
    float got[NSUB];
    for (int j = 0; j < NSUB; j++) {
      uint32_t idx = hash32((uint32_t)t, 0x40000000u + (uint32_t)j) % (uint32_t)p->numel;
      got[j] = p->grad[idx];
    }
    e = sw_test_rel_err(got, sub->data, NSUB);
    double gs[6];
    grad_stats((uint32_t)t, p->grad, p->numel, gs);
    /* sum and projections: error relative to the gradient's L2 norm (the scale of a
     * random-sign sum); sum of squares: relative. */
    double norm = sqrt((double)st->data[1]);
    for (int k = 0; k < 6; k++) {
      double want = st->data[k];
      double ek = k == 1 ? fabs(gs[1] - want) / (want > 1e-30 ? want : 1e-30) / 2
                         : fabs(gs[k] - want) / (norm > 1e-30 ? norm : 1e-30);
      if (ek > e) e = ek;
    }
  }
  double tol = SW_TOL_GRAD;
  r->all[r->nall++] = e;
  r->tensors++;
  if (e > r->worst || r->tensors == 1) {
    r->worst = e;
    snprintf(r->worst_name, sizeof r->worst_name, "%s", p->name);
  }
  CHECK(e <= tol, "%s: gradient of %s rel_err %.3g (tol %.3g)", tag, p->name, e, tol);
}

/* The formula parameters summed per tensor, against numpy's sums. */
static void check_param_sums(sw_model *m, const sw_state_dict *fx, const char *tag) {
  const sw_named_tensor *ps = sw_test_tensor(fx, "param_sums");
  int np = sw_model_num_params(m);
  if (sw_shape_numel(&ps->shape) == np) {
    int bad = 0;
    for (int i = 0; i < np; i++) {
      sw_param *p = sw_model_param(m, i);
      double s = 0;
      for (int64_t j = 0; j < p->numel; j++) s += p->data[j];
      if (fabs(s - ps->data[i]) > 1e-5 * (fabs(ps->data[i]) + 1)) bad++;
    }
    CHECK(bad == 0, "%s: %d formula tensors differ from numpy's", tag, bad);
  }
}

/* The fixture's formula input (B x 3 x S x S), checked against numpy's sums. */
static float *checked_input(const sw_state_dict *fx, int B, int S, const char *tag) {
  uint32_t tin = (uint32_t)strtoul(meta(fx, "input_t"), NULL, 10);
  float *x = formula_input(tin, B, S, S);
  const sw_named_tensor *is = sw_test_tensor(fx, "input_stats");
  double s0 = 0, s1 = 0;
  for (size_t i = 0; i < (size_t)B * 3 * S * S; i++) {
    s0 += x[i];
    s1 += (double)x[i] * x[i];
  }
  CHECK(fabs(s0 - is->data[0]) < 1e-3 && fabs(s1 - is->data[1]) < 1e-5 * s1,
        "%s: formula input differs from numpy's", tag);
  return x;
}

/* One training-mode forward pass: logits, loss and BatchNorm running statistics
 * against the fixture. Returns the loss gradient w.r.t. the logits (malloc'd). */
static float *check_train_forward(sw_model *m, const sw_state_dict *fx, const float *x, int B,
                                  const char *tag) {
  int n = sw_model_num_outputs(m);
  char what[160];
  const sw_named_tensor *tg = sw_test_tensor(fx, "targets");
  int32_t targets[64];
  for (int b = 0; b < B; b++) {
    targets[b] = (int32_t)(hash32(T_TARGETS, (uint32_t)b) % (uint32_t)n);
    CHECK(targets[b] == (int32_t)tg->data[b], "%s: target %d", tag, b);
  }
  sw_model_zero_grad(m);
  const float *lo = sw_model_forward(m, x, B, true);
  snprintf(what, sizeof what, "%s train logits", tag);
  sw_test_close(what, lo, sw_test_tensor(fx, "logits")->data, (size_t)B * n, SW_TOL_OUTPUT);
  float *probs = malloc(sizeof(float) * B * n), *dl = calloc((size_t)B * n, sizeof(float));
  float loss = sw_cross_entropy_forward(probs, lo, targets, B, n, 0.0f);
  snprintf(what, sizeof what, "%s loss", tag);
  sw_test_close(what, &loss, sw_test_tensor(fx, "loss")->data, 1, SW_TOL_OUTPUT);
  sw_cross_entropy_backward(dl, probs, targets, B, n, 0.0f);
  /* running statistics */
  for (int j = 0; j < fx->count; j++) {
    const char *k = fx->tensors[j].name;
    if (strncmp(k, "rs.", 3) != 0) continue;
    sw_param *p = sw_model_find_param(m, k + 3);
    CHECK(p != NULL, "%s: no %s", tag, k + 3);
    if (!p) continue;
    snprintf(what, sizeof what, "%s %s", tag, k + 3);
    sw_test_close(what, p->data, fx->tensors[j].data, (size_t)p->numel, SW_TOL_OUTPUT);
  }
  free(probs);
  return dl;
}

/* Backward from dl: every trainable gradient against PyTorch's. */
static void check_gradients(sw_model *m, const sw_state_dict *fx, const float *dl, int B, int S,
                            const char *tag) {
  const char *tw = sw_state_dict_get_meta(fx, "torch_f32_worst");
  int np = sw_model_num_params(m);
  sw_model_backward(m, dl);
  static grad_report r;
  memset(&r, 0, sizeof r);
  int f0 = sw_test_failures;
  for (int i = 0; i < np; i++)
    if (!sw_model_param(m, i)->is_buffer) check_grad(m, fx, i, &r, tag);
  int nall = r.nall;
  double med = median(r.all, nall);
  printf("%s %s gradients (%dx3x%dx%d) vs PyTorch float64: %d tensors, median rel_err "
         "%.2g, worst %.3g (%s), tolerance %.0e; %d analytically zero (largest %.2g of the "
         "top gradient); torch's own float32 worst: %s\n",
         sw_test_failures == f0 ? "ok  " : "FAIL", tag, B, S, S, nall + r.zero_tensors, med,
         r.worst, r.worst_name, SW_TOL_GRAD, r.zero_tensors, r.zero_worst, tw ? tw : "-");
}

/* Frozen body (fastai freeze(): freeze_to(num_groups-1) with train_bn): no
 * gradient for frozen weights, BatchNorm gradients unchanged, head unchanged. */
static void check_frozen_body(sw_model *m, const sw_state_dict *fx, const float *x, const float *dl,
                              int B, const char *tag) {
  int np = sw_model_num_params(m);
  float *snap = malloc(sizeof(float) * sw_model_snapshot_floats(m));
  sw_model_snapshot(m, snap);
  sw_model_freeze_to(m, sw_model_num_groups(m) - 1);
  sw_model_zero_grad(m);
  sw_model_forward(m, x, B, true);
  sw_model_backward(m, dl);
  static grad_report rf;
  memset(&rf, 0, sizeof rf);
  int f0 = sw_test_failures;
  int frozen = 0, nonzero = 0;
  for (int i = 0; i < np; i++) {
    sw_param *p = sw_model_param(m, i);
    if (p->is_buffer) continue;
    if (!p->trainable) {
      frozen++;
      for (int64_t j = 0; j < p->numel; j++)
        if (p->grad[j] != 0.0f) {
          nonzero++;
          break;
        }
    } else {
      check_grad(m, fx, i, &rf, tag);
    }
  }
  CHECK(frozen > 0 && nonzero == 0, "%s frozen: %d frozen tensors, %d got a gradient", tag,
        frozen, nonzero);
  printf("%s %s frozen body: %d frozen tensors without gradient; BatchNorm/head gradients "
         "as above: %d tensors, worst %.3g (%s)\n",
         sw_test_failures == f0 ? "ok  " : "FAIL", tag, frozen, rf.tensors, rf.worst,
         rf.worst_name);
  sw_model_freeze_to(m, 0);
  sw_model_restore(m, snap);
  free(snap);
}

static void golden(const char *tag) {
  char fname[128], err[512];
  snprintf(fname, sizeof fname, "models_%s.safetensors", tag);
  sw_state_dict fx;
  sw_model *m = fixture_model(fname, &fx, err, sizeof err);
  CHECK(m != NULL, "%s: %s", tag, err);
  if (!m) return;
  check_names(m, meta(&fx, "params"), tag);
  /* the formula itself */
  check_param_sums(m, &fx, tag);
  int B = atoi(meta(&fx, "batch")), S = atoi(meta(&fx, "size"));
  int n = sw_model_num_outputs(m);
  float *x = checked_input(&fx, B, S, tag);
  sw_model_set_dropout(m, 0.0f);
  CHECK(sw_model_prepare(m, B, S, S, err, sizeof err) == 0, "%s: prepare: %s", tag, err);
  char what[160];
  const float *lo = sw_model_forward(m, x, B, false);
  snprintf(what, sizeof what, "%s eval logits", tag);
  sw_test_close(what, lo, sw_test_tensor(&fx, "logits_eval")->data, (size_t)B * n, SW_TOL_OUTPUT);

  if (sw_state_dict_find(&fx, "logits")) {
    float *dl = check_train_forward(m, &fx, x, B, tag);
    check_gradients(m, &fx, dl, B, S, tag);
    check_frozen_body(m, &fx, x, dl, B, tag);
    free(dl);
  }
  free(x);
  sw_model_free(m);
  sw_state_dict_free(&fx);
}

/* ---- strict loading -------------------------------------------------------- */

static sw_model *mk(sw_arch a, sw_head_kind h, int n, float w) {
  sw_model_config cfg = {.arch = a, .width_mult = w, .head = h, .num_classes = n, .seed = 7};
  char err[256];
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    fprintf(stderr, "cannot build model: %s\n", err);
    exit(1);
  }
  return m;
}

/* Copies a model's state dict (owned data) so it can be edited. */
static void copy_sd(sw_model *m, sw_state_dict *out, const char *skip, const char *reshape) {
  sw_state_dict view;
  sw_model_state_dict(m, &view);
  sw_state_dict_init(out);
  for (int i = 0; i < view.count; i++) {
    sw_named_tensor *t = &view.tensors[i];
    if (skip && strcmp(t->name, skip) == 0) continue;
    sw_shape s = t->shape;
    if (reshape && strcmp(t->name, reshape) == 0) {
      /* same data, different shape: flatten to 1-D */
      s = sw_shape1(sw_shape_numel(&t->shape));
    }
    sw_state_dict_add(out, t->name, s, t->data);
  }
  sw_state_dict_free(&view);
}

static void expect_load_error(sw_model *m, const sw_state_dict *sd, bool body_only,
                              const char *must_contain, const char *what) {
  char err[512] = "";
  int rc = sw_model_load(m, sd, body_only, err, sizeof err);
  bool ok = rc != 0 && strstr(err, must_contain) != NULL;
  printf("%s load %s -> \"%s\"\n", ok ? "ok  " : "FAIL", what, rc ? err : "(accepted)");
  if (!ok) sw_test_failures++;
}

static void test_loading(void) {
  char err[512];
  sw_model *a = mk(SW_ARCH_RESNET18, SW_HEAD_FASTAI, 5, 1);
  sw_model *b = mk(SW_ARCH_RESNET18, SW_HEAD_FASTAI, 5, 1);
  set_formula(a, NULL, 0);
  sw_state_dict sd;
  copy_sd(a, &sd, NULL, NULL);
  sw_state_dict_add(&sd, "bn1.num_batches_tracked", sw_shape_make(0, NULL), (float[]){3});
  CHECK(sw_model_load(b, &sd, false, err, sizeof err) == 0, "load own state dict: %s", err);
  float *sa = malloc(sizeof(float) * sw_model_snapshot_floats(a));
  float *sb = malloc(sizeof(float) * sw_model_snapshot_floats(b));
  sw_model_snapshot(a, sa);
  sw_model_snapshot(b, sb);
  CHECK(memcmp(sa, sb, sizeof(float) * sw_model_snapshot_floats(a)) == 0,
        "loaded parameters differ");
  printf("ok   load: a resnet18 state dict (with num_batches_tracked) round-trips exactly\n");
  sw_state_dict_free(&sd);

  /* a failed load leaves the model untouched */
  sw_model *c = mk(SW_ARCH_RESNET18, SW_HEAD_FASTAI, 5, 1);
  float *sc0 = malloc(sizeof(float) * sw_model_snapshot_floats(c));
  sw_model_snapshot(c, sc0);
  copy_sd(a, &sd, "layer3.1.bn2.running_var", NULL);
  expect_load_error(c, &sd, false, "layer3.1.bn2.running_var", "with a missing tensor");
  float *sc1 = malloc(sizeof(float) * sw_model_snapshot_floats(c));
  sw_model_snapshot(c, sc1);
  CHECK(memcmp(sc0, sc1, sizeof(float) * sw_model_snapshot_floats(c)) == 0,
        "failed load changed the model");
  sw_state_dict_free(&sd);
  copy_sd(a, &sd, NULL, "layer2.0.conv1.weight");
  expect_load_error(c, &sd, false, "layer2.0.conv1.weight: the weights have [73728], resnet18 expects [128, 64, 3, 3]",
                    "with a wrong shape");
  sw_state_dict_free(&sd);
  copy_sd(a, &sd, NULL, NULL);
  sw_state_dict_add(&sd, "layer5.0.conv1.weight", sw_shape1(2), (float[]){1, 2});
  expect_load_error(c, &sd, false, "unexpected tensor layer5.0.conv1.weight", "with an extra tensor");
  sw_state_dict_free(&sd);

  /* body_only: an ImageNet state dict into a fastai-head model */
  sw_model *inet = mk(SW_ARCH_RESNET18, SW_HEAD_IMAGENET, 1000, 1);
  copy_sd(inet, &sd, NULL, NULL);
  CHECK(sw_model_load(c, &sd, true, err, sizeof err) == 0, "body_only load: %s", err);
  printf("%s load body_only: resnet18 ImageNet state dict (fc.*) into a fastai-head model\n",
         sw_test_failures ? "?   " : "ok  ");
  expect_load_error(c, &sd, false, "head.2.weight", "ImageNet state dict without body_only");
  sw_state_dict_free(&sd);

  /* wrong architectures */
  sw_model *r34 = mk(SW_ARCH_RESNET34, SW_HEAD_IMAGENET, 1000, 1);
  copy_sd(r34, &sd, NULL, NULL);
  expect_load_error(c, &sd, true, "unexpected tensor layer1.2.conv1.weight",
                    "resnet34 weights into resnet18");
  sw_state_dict_free(&sd);
  sw_model *mn = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_IMAGENET, 1000, 1);
  copy_sd(mn, &sd, NULL, NULL);
  expect_load_error(c, &sd, true, "missing tensor conv1.weight", "mobilenet_v2 weights into resnet18");
  sw_state_dict_free(&sd);
  sw_model *r50 = mk(SW_ARCH_RESNET50, SW_HEAD_FASTAI, 5, 1);
  copy_sd(a, &sd, NULL, NULL);
  expect_load_error(r50, &sd, false, "shape mismatch for layer1.0.conv1.weight",
                    "resnet18 weights into resnet50");
  sw_state_dict_free(&sd);

  /* snapshot / restore */
  sw_model_snapshot(c, sc0);
  set_formula(c, NULL, 0);
  sw_model_restore(c, sc0);
  sw_model_snapshot(c, sc1);
  CHECK(memcmp(sc0, sc1, sizeof(float) * sw_model_snapshot_floats(c)) == 0, "restore");

  free(sa);
  free(sb);
  free(sc0);
  free(sc1);
  sw_model_free(a);
  sw_model_free(b);
  sw_model_free(c);
  sw_model_free(inet);
  sw_model_free(r34);
  sw_model_free(mn);
  sw_model_free(r50);
}

static void test_real_weights(void) {
  char err[512];
  char *p1 = sw_test_shared_path("weights/mobilenet_v2_1.0_imagenet.safetensors");
  char *p2 = sw_test_shared_path("weights/mobilenet_v2_0.35_imagenet_notop.safetensors");
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  if (sw_safetensors_read(p1, &sd, err, sizeof err) == 0) {
    sw_model *m = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_IMAGENET, 1001, 1.0f);
    CHECK(sw_model_load(m, &sd, false, err, sizeof err) == 0, "%s: %s", p1, err);
    printf("ok   load mobilenet_v2_1.0_imagenet into mobilenet_v2(1.0, 1001 classes)\n");
    sw_model *m2 = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_IMAGENET, 1000, 1.0f);
    expect_load_error(m2, &sd, false, "shape mismatch for classifier.1.weight: the weights have [1001, 1280], mobilenet_v2 expects [1000, 1280]",
                      "1001-class weights into a 1000-class model");
    sw_model *m3 = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_FASTAI, 3, 1.0f);
    CHECK(sw_model_load(m3, &sd, true, err, sizeof err) == 0, "body_only %s: %s", p1, err);
    sw_model_free(m);
    sw_model_free(m2);
    sw_model_free(m3);
  } else {
    CHECK(0, "%s", err);
  }
  sw_state_dict_free(&sd);
  sw_state_dict_init(&sd);
  if (sw_safetensors_read(p2, &sd, err, sizeof err) == 0) {
    sw_model *m = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_FASTAI, 4, 0.35f);
    CHECK(sw_model_load(m, &sd, true, err, sizeof err) == 0, "%s: %s", p2, err);
    CHECK(sw_model_body_features(m) == 1280, "0.35 body features %d", sw_model_body_features(m));
    printf("ok   load mobilenet_v2_0.35_imagenet_notop (body_only) into mobilenet_v2(0.35)\n");
    sw_model *m1 = mk(SW_ARCH_MOBILENET_V2, SW_HEAD_FASTAI, 4, 1.0f);
    expect_load_error(m1, &sd, true, "shape mismatch for features.0.0.weight",
                      "width 0.35 weights into width 1.0");
    sw_model_free(m);
    sw_model_free(m1);
  } else {
    CHECK(0, "%s", err);
  }
  sw_state_dict_free(&sd);
  free(p1);
  free(p2);
}

static void test_memory(void) {
  char err[256];
  sw_model *m = mk(SW_ARCH_RESNET34, SW_HEAD_FASTAI, 10, 1);
  int rc = sw_model_prepare(m, 16, 224, 224, err, sizeof err);
  CHECK(rc == 0, "prepare resnet34 16x224: %s", err);
  double mb = sw_model_memory_bytes(m) / 1048576.0;
  printf("%s resnet34 training at 16x3x224x224: %.0f MB (activations, gradients, workspace, "
         "parameters)\n",
         mb < 1536 ? "ok  " : "FAIL", mb);
  if (mb >= 1536) sw_test_failures++;
  sw_model_free(m);
}

/* Not part of the suite (about a minute): `test_models --step ARCH` runs one
 * training step at 16x3x224x224 and prints the time and the peak RSS. */
static int train_step(const char *arch) {
  sw_arch a;
  if (sw_arch_from_name(arch, &a) != 0) return 2;
  sw_model *m = mk(a, SW_HEAD_FASTAI, 10, 1);
  char err[256];
  if (sw_model_prepare(m, 16, 224, 224, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  float *x = formula_input(T_INPUT, 16, 224, 224);
  int32_t t[16];
  for (int i = 0; i < 16; i++) t[i] = i % 10;
  float probs[160], dl[160] = {0};
  sw_model_freeze_to(m, 0);
  for (int it = 0; it < 2; it++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const float *lo = sw_model_forward(m, x, 16, true);
    sw_cross_entropy_forward(probs, lo, t, 16, 10, 0);
    memset(dl, 0, sizeof dl);
    sw_cross_entropy_backward(dl, probs, t, 16, 10, 0);
    sw_model_zero_grad(m);
    sw_model_backward(m, dl);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s training step 16x3x224x224: %.2f s, arena %.0f MB, model total %.0f MB, peak RSS %.0f MB\n",
           arch, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
           sw_model_activation_bytes(m) / 1048576.0, sw_model_memory_bytes(m) / 1048576.0,
           ru.ru_maxrss / 1024.0);
  }
  free(x);
  sw_model_free(m);
  return 0;
}

int main(int argc, char **argv) {
  sw_set_num_threads(2);
  if (argc > 2 && strcmp(argv[1], "--step") == 0) return train_step(argv[2]);
  if (argc > 1) {
    for (int i = 1; i < argc; i++) golden(argv[i]);
    return sw_test_finish();
  }
  const char *tags[] = {"resnet18", "resnet34",  "resnet50",          "mnv2_tfsame",
                        "mnv2",     "mnv2_w035", "resnet18_imagenet", "mnv2_imagenet"};
  for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) golden(tags[i]);
  test_loading();
  test_real_weights();
  test_memory();
  return sw_test_finish();
}
