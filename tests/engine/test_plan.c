/* test_plan: the inference plan (plan.h) against the eval-mode model and PyTorch.
 *
 * For every model fixture (resnet18/34/50, mobilenet_v2 1.0 symmetric and
 * TF-SAME, width 0.35, fastai and ImageNet heads; tests/golden/gen_models.py)
 * the model gets the formula parameters (formula.h; BatchNorm running
 * statistics away from 0 and 1, so the folding is exercised), and the plan's
 * logits are compared with the eval-mode model within 1e-5 relative and with
 * the fixture's float64 PyTorch eval logits within SW_TOL_OUTPUT, at the
 * planned batch, a smaller one and batch 1, each with the im2col reference
 * convolutions and with the default algorithm (Winograd where it pays). Then
 * the real MobileNetV2 weights against PyTorch (models_forward_mnv2), the
 * plan's independence from the model it was built from, sw_plan_update, its memory against
 * the training arena, and bad shapes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formula.h"
#include "layers.h"
#include "model.h"
#include "plan.h"
#include "testutil.h"

#define TOL_PLAN 1e-5

/* The plan against the eval-mode model at batch B (rows [0, B) of x). */
static void plan_vs_model(sw_model *m, sw_plan *p, const float *x, int B, const char *tag,
                          const char *algo) {
  int n = sw_model_num_outputs(m);
  const float *want = sw_model_forward(m, x, B, false);
  float *copy = malloc(sizeof(float) * (size_t)B * n);
  memcpy(copy, want, sizeof(float) * (size_t)B * n);
  const float *got = sw_plan_forward(p, x, B);
  char what[200];
  snprintf(what, sizeof what, "%s plan vs eval model, batch %d, %s", tag, B, algo);
  CHECK(got != NULL, "%s: no output", what);
  if (got) sw_test_close(what, got, copy, (size_t)B * n, TOL_PLAN);
  free(copy);
}

static void golden(const char *tag) {
  char fname[128], err[512], what[200];
  snprintf(fname, sizeof fname, "models_%s.safetensors", tag);
  sw_state_dict fx;
  sw_model *m = fixture_model(fname, &fx, err, sizeof err);
  CHECK(m != NULL, "%s: %s", tag, err);
  if (!m) return;
  int B = atoi(meta(&fx, "batch")), S = atoi(meta(&fx, "size"));
  int n = sw_model_num_outputs(m);
  float *x = formula_input((uint32_t)strtoul(meta(&fx, "input_t"), NULL, 10), B, S, S);
  sw_model_set_dropout(m, 0.0f);
  CHECK(sw_model_prepare(m, B, S, S, err, sizeof err) == 0, "%s: prepare: %s", tag, err);
  /* the plan takes the conv algorithm in force when it is built (its Winograd
   * convs keep only their transformed filters), so one plan per algorithm */
  for (int a = 0; a < 2; a++) {
    sw_conv_algo saved = sw_conv2d_get_algo();
    if (a == 0) sw_conv2d_set_algo(SW_CONV_IM2COL);
    const char *algo = a == 0 ? "im2col" : "default conv";
    sw_plan *p = sw_plan_new(m, B, S, S, err, sizeof err);
    CHECK(p != NULL, "%s: plan: %s", tag, err);
    if (p) {
      CHECK(sw_plan_num_outputs(p) == n && sw_plan_max_batch(p) == B, "%s: plan outputs", tag);
      plan_vs_model(m, p, x, B, tag, algo);
      plan_vs_model(m, p, x, B - 1, tag, algo);
      plan_vs_model(m, p, x, 1, tag, algo);
      const float *got = sw_plan_forward(p, x, B);
      snprintf(what, sizeof what, "%s plan vs PyTorch eval logits, %s", tag, algo);
      sw_test_close(what, got, sw_test_tensor(&fx, "logits_eval")->data, (size_t)B * n,
                    SW_TOL_OUTPUT);
    }
    sw_plan_free(p);
    sw_conv2d_set_algo(saved);
  }
  free(x);
  sw_model_free(m);
  sw_state_dict_free(&fx);
}

/* The real MobileNetV2 1.0 weights on the fixture's input, against PyTorch. */
static void test_real_weights(void) {
  char err[512];
  char *path = sw_test_shared_path("weights/mobilenet_v2_1.0_imagenet.safetensors");
  sw_state_dict sd, fx;
  sw_state_dict_init(&sd);
  if (sw_safetensors_read(path, &sd, err, sizeof err) != 0) {
    CHECK(0, "%s", err);
    free(path);
    return;
  }
  sw_test_load_fixture("models_forward_mnv2.safetensors", &fx);
  const sw_named_tensor *in = sw_test_tensor(&fx, "input"), *want = sw_test_tensor(&fx, "logits");
  sw_model_config cfg = {.arch = SW_ARCH_MOBILENET_V2, .width_mult = 1.0f,
                         .tf_same_padding = true, .head = SW_HEAD_IMAGENET, .num_classes = 1001,
                         .seed = 1};
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  CHECK(m && sw_model_load(m, &sd, false, err, sizeof err) == 0, "%s: %s", path, err);
  int B = (int)in->shape.dims[0], S = (int)in->shape.dims[2];
  sw_plan *p = m ? sw_plan_new(m, B, S, S, err, sizeof err) : NULL;
  CHECK(p != NULL, "plan: %s", err);
  if (p)
    sw_test_close("plan mobilenet_v2 1.0 real weights (TF-SAME) vs PyTorch",
                  sw_plan_forward(p, in->data, B), want->data, (size_t)sw_shape_numel(&want->shape),
                  SW_TOL_OUTPUT);
  sw_plan_free(p);
  sw_model_free(m);
  sw_state_dict_free(&fx);
  sw_state_dict_free(&sd);
  free(path);
}

/* A 3-class model of arch with the formula parameters, a plan of it for
 * 2x3x40x40 and an input for it (formula seed): NULL with a failed check, the
 * model and input freed. */
static sw_plan *small_plan(sw_arch arch, uint32_t seed, sw_model **m, float **x) {
  char err[256];
  sw_model_config cfg = {.arch = arch, .width_mult = 1.0f, .head = SW_HEAD_FASTAI,
                         .num_classes = 3, .seed = 5};
  *m = sw_model_new(&cfg, err, sizeof err);
  set_formula(*m, NULL, 0.0f);
  *x = formula_input(seed, 2, 40, 40);
  sw_plan *p = sw_plan_new(*m, 2, 40, 40, err, sizeof err);
  CHECK(p != NULL, "plan: %s", err);
  if (!p) {
    sw_model_free(*m);
    free(*x);
  }
  return p;
}

/* every parameter p = p * mul + add */
static void change_params(sw_model *m, float mul, float add) {
  for (int i = 0; i < sw_model_num_params(m); i++) {
    sw_param *q = sw_model_param(m, i);
    for (int64_t k = 0; k < q->numel; k++) q->data[k] = q->data[k] * mul + add;
  }
}

/* The plan keeps its own folded weights: changing or freeing the model after
 * building it changes nothing. */
static void test_independent(void) {
  sw_model *m;
  float *x;
  sw_plan *p = small_plan(SW_ARCH_RESNET18, 77u, &m, &x);
  if (!p) return;
  float before[6], after[6];
  memcpy(before, sw_plan_forward(p, x, 2), sizeof before);
  change_params(m, 0.5f, 0.0f);
  sw_model_free(m);
  memcpy(after, sw_plan_forward(p, x, 2), sizeof after);
  bool same = memcmp(before, after, sizeof before) == 0;
  printf("%s plan output unchanged after the model is changed and freed\n", same ? "ok  " : "FAIL");
  if (!same) sw_test_failures++;
  /* batch 1 reproduces row 0 of batch 2 */
  const float *one = sw_plan_forward(p, x, 1);
  CHECK(sw_test_rel_err(one, before, 3) <= TOL_PLAN, "batch 1 vs row 0 of batch 2");
  CHECK(sw_plan_forward(p, x, 3) == NULL && sw_plan_forward(p, x, 0) == NULL &&
            sw_plan_forward(p, NULL, 1) == NULL,
        "out-of-range batches are refused");
  sw_plan_free(p);
  free(x);
}

/* sw_plan_update: a plan compiled again from the changed model gives the bits
 * of a new plan of it, for a ResNet (Winograd, folded BatchNorm) and a
 * MobileNetV2 (depthwise, ReLU6); a model of another shape is refused. */
static void test_update(void) {
  char err[256];
  const sw_arch archs[] = {SW_ARCH_RESNET18, SW_ARCH_MOBILENET_V2};
  for (int a = 0; a < 2; a++) {
    sw_model *m;
    float *x;
    sw_plan *p = small_plan(archs[a], 78u, &m, &x);
    if (!p) continue;
    float before[6], updated[6];
    memcpy(before, sw_plan_forward(p, x, 2), sizeof before);
    change_params(m, 0.75f, 0.01f);
    int rc = sw_plan_update(p, m, err, sizeof err);
    CHECK(rc == 0, "%s plan update: %s", sw_arch_name(archs[a]), err);
    memcpy(updated, sw_plan_forward(p, x, 2), sizeof updated);
    sw_plan *fresh = sw_plan_new(m, 2, 40, 40, err, sizeof err);
    const float *want = fresh ? sw_plan_forward(fresh, x, 2) : NULL;
    bool same = want && memcmp(updated, want, sizeof updated) == 0;
    bool changed = memcmp(updated, before, sizeof before) != 0;
    printf("%s %s plan updated from the changed model: the bits of a new plan (%s), output "
           "changed (%s)\n",
           same && changed ? "ok  " : "FAIL", sw_arch_name(archs[a]), same ? "yes" : "no",
           changed ? "yes" : "no");
    if (!same || !changed) sw_test_failures++;
    sw_plan_free(fresh);
    sw_model_config other = *sw_model_get_config(m);
    other.num_classes = 4;
    sw_model *o = sw_model_new(&other, err, sizeof err);
    err[0] = 0;
    CHECK(o && sw_plan_update(p, o, err, sizeof err) == -1 && strstr(err, "plan"),
          "%s: a model with 4 classes is refused: %s", sw_arch_name(archs[a]), err);
    printf("ok   %s plan update refuses another model: %s\n", sw_arch_name(archs[a]), err);
    sw_model_free(o);
    sw_plan_free(p);
    sw_model_free(m);
    free(x);
  }
}

/* Memory: the pool is what liveness needs, and far below the training arena. */
static void test_memory(void) {
  char err[256];
  const sw_arch archs[] = {SW_ARCH_RESNET18, SW_ARCH_RESNET34, SW_ARCH_RESNET50,
                           SW_ARCH_MOBILENET_V2};
  for (int a = 0; a < 4; a++) {
    sw_model_config cfg = {.arch = archs[a], .width_mult = 1.0f, .head = SW_HEAD_FASTAI,
                           .num_classes = 10, .seed = 1};
    sw_model *m = sw_model_new(&cfg, err, sizeof err);
    CHECK(sw_model_prepare(m, 16, 224, 224, err, sizeof err) == 0, "prepare: %s", err);
    sw_plan *p = sw_plan_new(m, 16, 224, 224, err, sizeof err);
    CHECK(p != NULL, "plan: %s", err);
    if (p) {
      double pool = sw_plan_pool_bytes(p) / 1048576.0, live = sw_plan_live_bytes(p) / 1048576.0;
      double ws = sw_plan_workspace_bytes(p) / 1048576.0, w = sw_plan_weight_bytes(p) / 1048576.0;
      double train = sw_model_activation_bytes(m) / 1048576.0;
      bool ok = live <= pool && pool <= 1.25 * live && pool + ws < train / 3;
      printf("%s %s inference plan at 16x3x224x224: pool %.1f MiB (largest live set %.1f MiB), "
             "workspace %.1f MiB, weights %.1f MiB, %d steps; training arena %.0f MiB\n",
             ok ? "ok  " : "FAIL", sw_arch_name(archs[a]), pool, live, ws, w, sw_plan_num_steps(p),
             train);
      if (!ok) sw_test_failures++;
    }
    sw_plan_free(p);
    sw_model_free(m);
  }
}

static void test_errors(void) {
  char err[256] = "";
  sw_model_config cfg = {.arch = SW_ARCH_RESNET18, .head = SW_HEAD_FASTAI, .num_classes = 3,
                         .seed = 1};
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  sw_plan *p = sw_plan_new(m, 0, 224, 224, err, sizeof err);
  CHECK(p == NULL && strstr(err, "invalid batch shape 0x3x224x224"), "batch 0: %s", err);
  printf("ok   plan errors: %s\n", err);
  sw_model_free(m);
}

int main(void) {
  sw_set_num_threads(2);
  const char *tags[] = {"resnet18", "resnet18_imagenet", "resnet34", "resnet50", "mnv2",
                        "mnv2_imagenet", "mnv2_tfsame", "mnv2_w035"};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) golden(tags[i]);
  test_real_weights();
  test_independent();
  test_update();
  test_memory();
  test_errors();
  return sw_test_finish();
}
