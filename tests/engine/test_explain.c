/* test_explain: Grad-CAM (explain.h) against PyTorch (tests/golden/gen_gradcam.py).
 *
 * For resnet18, resnet50 (Bottleneck, 2048 channels) and mobilenet_v2 (TF-SAME)
 * with fastai's head, all with the formula parameters (formula.h; BatchNorm
 * running statistics away from 0 and 1) in eval mode on a 1x3x128x128 formula
 * input: the logits, alpha, the 4x4 cam and the 128x128 heatmap of two classes
 * (the predicted one, and one whose weighted sum is partly negative so the
 * ReLU acts) are compared with PyTorch's float64 Grad-CAM within TOL_CAM
 * (relative to the largest reference value). PyTorch's own float32 run is
 * within 4.3e-6 of float64 on these fixtures (f32_err); TOL_CAM = 1e-4 is
 * SW_TOL_OUTPUT, 20x that. Then: explaining leaves every parameter, buffer
 * and parameter gradient bit-identical (with the head trainable, as after
 * training), a class explained again after another gives the same cam (the
 * gradient buffers are rebuilt, not accumulated), a frozen body gives the same
 * cam, bad calls fail, and a non-square bilinear upsampling (3x5 -> 17x29)
 * matches F.interpolate(align_corners=False).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "formula.h"
#include "model.h"
#include "testutil.h"

#define TOL_CAM SW_TOL_OUTPUT

/* Every parameter, buffer and gradient, for a bit-exact before/after comparison. */
static float *state_copy(sw_model *m, size_t *n) {
  size_t total = 0;
  for (int i = 0; i < sw_model_num_params(m); i++) {
    sw_param *p = sw_model_param(m, i);
    total += (size_t)p->numel * (p->grad ? 2 : 1);
  }
  float *s = malloc(total * sizeof(float)), *w = s;
  for (int i = 0; i < sw_model_num_params(m); i++) {
    sw_param *p = sw_model_param(m, i);
    memcpy(w, p->data, (size_t)p->numel * sizeof(float));
    w += p->numel;
    if (p->grad) {
      memcpy(w, p->grad, (size_t)p->numel * sizeof(float));
      w += p->numel;
    }
  }
  *n = total;
  return s;
}

static void check_class(sw_model *m, const sw_state_dict *fx, const sw_gradcam_shape *s, int c,
                        const char *tag) {
  char key[64], what[160];
  float *alpha = malloc(sizeof(float) * (size_t)s->K), *cam = malloc(sizeof(float) * s->h * s->w);
  float *heat = malloc(sizeof(float) * (size_t)s->H * s->W);
  CHECK(sw_gradcam_class(m, c, alpha, cam, heat) == 0, "%s class %d failed", tag, c);
  static const char *const names[3] = {"alpha", "cam", "heat"};
  const float *got[3] = {alpha, cam, heat};
  size_t n[3] = {(size_t)s->K, (size_t)s->h * s->w, (size_t)s->H * s->W};
  for (int k = 0; k < 3; k++) {
    snprintf(key, sizeof key, "%s.%d", names[k], c);
    const sw_named_tensor *t = sw_test_tensor(fx, key);
    CHECK((size_t)sw_shape_numel(&t->shape) == n[k], "%s %s: %lld values, ours %zu", tag, key,
          (long long)sw_shape_numel(&t->shape), n[k]);
    snprintf(what, sizeof what, "%s Grad-CAM %s of class %d vs PyTorch float64", tag, names[k], c);
    if ((size_t)sw_shape_numel(&t->shape) == n[k]) sw_test_close(what, got[k], t->data, n[k], TOL_CAM);
  }
  free(alpha);
  free(cam);
  free(heat);
}

/* The cam of class c, freshly computed (malloc'd). */
static float *cam_of(sw_model *m, const sw_gradcam_shape *s, int c) {
  float *cam = malloc(sizeof(float) * s->h * s->w);
  CHECK(sw_gradcam_class(m, c, NULL, cam, NULL) == 0, "class %d failed", c);
  return cam;
}

static void check_repeat_and_frozen(sw_model *m, const float *x, const sw_gradcam_shape *s,
                                    int c0, int c1, const char *tag) {
  size_t hw = (size_t)s->h * s->w;
  float *first = cam_of(m, s, c0), *other = cam_of(m, s, c1), *again = cam_of(m, s, c0);
  CHECK(memcmp(first, again, hw * sizeof(float)) == 0,
        "%s: class %d explained again after class %d differs", tag, c0, c1);
  CHECK(memcmp(first, other, hw * sizeof(float)) != 0, "%s: classes %d and %d share a cam", tag,
        c0, c1);
  sw_model_freeze_to(m, 2);
  sw_gradcam_forward(m, x);
  float *frozen = cam_of(m, s, c0);
  CHECK(memcmp(first, frozen, hw * sizeof(float)) == 0, "%s: a frozen body changes the cam", tag);
  sw_model_freeze_to(m, 0);
  printf("ok   %s: repeatable across classes and freezing\n", tag);
  free(first);
  free(other);
  free(again);
  free(frozen);
}

static void golden(const char *tag) {
  char fname[128], err[512], what[160];
  snprintf(fname, sizeof fname, "gradcam_%s.safetensors", tag);
  sw_state_dict fx;
  sw_model *m = fixture_model(fname, &fx, err, sizeof err);
  CHECK(m != NULL, "%s: %s", tag, err);
  if (!m) return;
  sw_model_freeze_to(m, 2); /* the head trainable: its grads must stay untouched too */
  int S = atoi(meta(&fx, "size")), n = sw_model_num_outputs(m);
  int c0 = 0, c1 = 0;
  CHECK(sscanf(meta(&fx, "classes"), "%d,%d", &c0, &c1) == 2, "%s: classes", tag);
  float *x = formula_input((uint32_t)strtoul(meta(&fx, "input_t"), NULL, 10), 1, S, S);
  sw_gradcam_shape s;
  CHECK(sw_gradcam_prepare(m, S, S, &s, err, sizeof err) == 0, "%s: %s", tag, err);
  CHECK(s.K == sw_model_body_features(m) && s.h == 4 && s.w == 4 && s.H == S && s.W == S,
        "%s: shape K %d h %d w %d H %d W %d", tag, s.K, s.h, s.w, s.H, s.W);
  float dummy[16];
  CHECK(sw_gradcam_class(m, c0, NULL, dummy, NULL) == -1, "%s: a class before any forward", tag);
  size_t nst;
  float *before = state_copy(m, &nst);
  const float *logits = sw_gradcam_forward(m, x);
  CHECK(logits != NULL, "%s: forward", tag);
  snprintf(what, sizeof what, "%s eval logits vs PyTorch float64", tag);
  if (logits) sw_test_close(what, logits, sw_test_tensor(&fx, "logits")->data, (size_t)n, TOL_CAM);
  check_class(m, &fx, &s, c0, tag);
  check_class(m, &fx, &s, c1, tag);
  CHECK(sw_gradcam_class(m, n, NULL, dummy, NULL) == -1, "%s: class %d accepted", tag, n);
  CHECK(sw_gradcam_class(m, -1, NULL, dummy, NULL) == -1, "%s: class -1 accepted", tag);
  size_t nafter;
  float *after = state_copy(m, &nafter);
  CHECK(nst == nafter && memcmp(before, after, nst * sizeof(float)) == 0,
        "%s: explaining changed a parameter, buffer or gradient", tag);
  printf("ok   %s: %zu parameter, buffer and gradient floats untouched\n", tag, nst);
  check_repeat_and_frozen(m, x, &s, c0, c1, tag);
  const sw_named_tensor *f32 = sw_test_tensor(&fx, "f32_err");
  double worst = 0;
  for (int64_t i = 0; i < sw_shape_numel(&f32->shape); i++) worst = fmax(worst, f32->data[i]);
  printf("     %s: PyTorch float32 vs float64 on the same cams: %.2g\n", tag, worst);
  free(before);
  free(after);
  free(x);
  sw_model_free(m);
  sw_state_dict_free(&fx);
}

static void test_upsample(void) {
  sw_state_dict fx;
  sw_test_load_fixture("gradcam_resnet18.safetensors", &fx);
  const sw_named_tensor *in = sw_test_tensor(&fx, "up.in"), *want = sw_test_tensor(&fx, "up.out");
  CHECK(sw_shape_numel(&in->shape) == 15 && sw_shape_numel(&want->shape) == 17 * 29, "upsample shapes");
  float out[17 * 29];
  sw_upsample_bilinear(in->data, 3, 5, out, 17, 29);
  sw_test_close("bilinear 3x5 -> 17x29 vs F.interpolate(align_corners=False)", out, want->data,
                17 * 29, 1e-6);
  float same[15];
  sw_upsample_bilinear(in->data, 3, 5, same, 3, 5);
  sw_test_close("bilinear 3x5 -> 3x5 is the identity", same, in->data, 15, 0);
  sw_state_dict_free(&fx);
}

/* ImageNet heads pool with an average pool: the same block is found. */
static void test_imagenet_head(void) {
  char err[256];
  sw_model_config cfg = {.arch = SW_ARCH_RESNET34, .head = SW_HEAD_IMAGENET, .num_classes = 10,
                         .seed = 3, .width_mult = 1.0f};
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  sw_gradcam_shape s;
  CHECK(m && sw_gradcam_prepare(m, 64, 96, &s, err, sizeof err) == 0, "resnet34: %s", err);
  if (!m) return;
  CHECK(s.K == 512 && s.h == 2 && s.w == 3, "resnet34 imagenet head: K %d h %d w %d", s.K, s.h,
        s.w);
  float *x = formula_input(7, 1, 64, 96), cam[6], heat[64 * 96];
  CHECK(sw_gradcam_forward(m, x) != NULL, "resnet34 forward");
  CHECK(sw_gradcam_class(m, 3, NULL, cam, heat) == 0, "resnet34 class 3");
  double mx = 0;
  for (int i = 0; i < 6; i++) mx = fmax(mx, cam[i]);
  CHECK(mx > 0, "resnet34: an all-zero cam");
  printf("ok   resnet34 (ImageNet head) 64x96: cam 2x3, max %.3g\n", mx);
  free(x);
  sw_model_free(m);
}

int main(void) {
  golden("resnet18");
  golden("resnet50");
  golden("mnv2");
  test_upsample();
  test_imagenet_head();
  return sw_test_finish();
}
