/* test_transforms.c: evaluation transform against torchvision (bit-exact),
 * augmentation geometry and lighting against fastai's formulas run in torch
 * (tests/golden/gen_pipeline.py), determinism by seed, the parameter draws'
 * ranges and probabilities, flips, padding modes, switches. */
#include <math.h>
#include <string.h>

#include "swell-transforms.h"
#include "testutil.h"

static sw_state_dict fx;

static SwellRgbImage *image_from_tensor(const sw_named_tensor *t) {
  int h = (int)t->shape.dims[0], w = (int)t->shape.dims[1];
  SwellRgbImage *img = swell_rgb_image_new(w, h);
  for (gsize i = 0; i < (gsize)w * h * 3; i++) img->pixels[i] = (guint8)t->data[i];
  return img;
}

static double max_abs_diff(const float *a, const float *b, gsize n) {
  double m = 0;
  for (gsize i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (isnan(d)) return INFINITY;
    if (d > m) m = d;
  }
  return m;
}

static void test_eval_golden(void) {
  const char *cases[] = {"wide", "wide57", "tall", "up"};
  for (int i = 0; i < 4; i++) {
    char name[64];
    g_snprintf(name, sizeof name, "eval.%s.input", cases[i]);
    g_autoptr(SwellRgbImage) img = image_from_tensor(sw_test_tensor(&fx, name));
    g_snprintf(name, sizeof name, "eval.%s.size", cases[i]);
    int size = (int)sw_test_tensor(&fx, name)->data[0];
    g_snprintf(name, sizeof name, "eval.%s.output", cases[i]);
    const sw_named_tensor *want = sw_test_tensor(&fx, name);
    float *got = g_new(float, 3 * size * size);
    CHECK(swell_transform_eval(img, size, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, got), "eval failed");
    double d = max_abs_diff(got, want->data, (gsize)3 * size * size);
    printf("%s eval %s %dx%d -> %d: max |diff| vs torchvision = %g (want 0: bit-exact)\n",
           d == 0 ? "ok  " : "FAIL", cases[i], img->width, img->height, size, d);
    CHECK(d == 0, "eval %s differs from torchvision by %g", cases[i], d);
    g_free(got);
  }
}

static void test_eval_real_photos(void) {
  for (int i = 0; i < 2; i++) {
    char key[64];
    g_snprintf(key, sizeof key, "real.%d.path", i);
    const char *rel = sw_state_dict_get_meta(&fx, key);
    CHECK(rel != NULL, "fixture lacks %s", key);
    if (!rel) continue;
    g_autofree char *sub = g_build_filename("datasets", rel, NULL);
    char *path = sw_test_shared_path(sub);
    g_autoptr(GError) error = NULL;
    g_autoptr(SwellRgbImage) img = swell_image_decode_file(path, &error);
    CHECK(img != NULL, "%s", error ? error->message : "?");
    free(path);
    if (!img) continue;
    g_snprintf(key, sizeof key, "real.%d.size", i);
    int size = (int)sw_test_tensor(&fx, key)->data[0];
    g_snprintf(key, sizeof key, "real.%d.output", i);
    const sw_named_tensor *want = sw_test_tensor(&fx, key);
    float *got = g_new(float, 3 * size * size);
    swell_transform_eval(img, size, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, got);
    double d = max_abs_diff(got, want->data, (gsize)3 * size * size);
    printf("%s decode + eval of %s at %d: max |diff| vs PIL + torchvision = %g\n", d == 0 ? "ok  " : "FAIL",
           rel, size, d);
    CHECK(d == 0, "real photo %s differs by %g", rel, d);
    g_free(got);
  }
}

static void test_eval_constant(void) {
  /* A constant image stays constant whatever the resize: each output value is
   * (v / 255 - mean) / std exactly. */
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(123, 77);
  for (int i = 0; i < 123 * 77; i++) {
    img->pixels[i * 3] = 10;
    img->pixels[i * 3 + 1] = 128;
    img->pixels[i * 3 + 2] = 250;
  }
  int S = 40;
  float *out = g_new(float, 3 * S * S);
  swell_transform_eval(img, S, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, out);
  const guint8 v[3] = {10, 128, 250};
  int bad = 0;
  for (int c = 0; c < 3; c++) {
    float want = ((float)v[c] / 255.0f - SWELL_IMAGENET_MEAN[c]) / SWELL_IMAGENET_STD[c];
    for (int i = 0; i < S * S; i++) bad += out[c * S * S + i] != want;
  }
  CHECK(bad == 0, "%d values of a constant image changed", bad);
  printf("%s eval of a constant image is exact\n", bad ? "FAIL" : "ok  ");
  g_free(out);
}

static void test_eval_panorama(void) {
  /* 60000 x 6: the resized image would be 2240000 x 224 (1.5 GB); only the
   * centre square is computed. Left half dark, right half bright: the
   * centre square straddles the edge. */
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(60000, 6);
  for (int y = 0; y < 6; y++)
    for (int x = 0; x < 60000; x++) memset(img->pixels + ((gsize)y * 60000 + x) * 3, x < 30000 ? 20 : 220, 3);
  const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  float *out = g_new(float, 3 * 224 * 224);
  gint64 t0 = g_get_monotonic_time();
  gboolean ok = swell_transform_eval(img, 224, zero, one, out);
  double ms = (g_get_monotonic_time() - t0) / 1000.0;
  float left = out[100 * 224 + 2], right = out[100 * 224 + 221];
  ok = ok && fabsf(left - 20 / 255.0f) < 1e-6 && fabsf(right - 220 / 255.0f) < 1e-6 && ms < 2000;
  printf("%s eval of a 60000x6 panorama: centre square only, %.0f ms, left %.4f right %.4f\n", ok ? "ok  " : "FAIL",
         ms, left, right);
  CHECK(ok, "panorama eval");
  g_free(out);
}

static void params_from_row(const float *r, SwellAugmentParams *p, int S) {
  memset(p, 0, sizeof *p);
  p->crop_x = p->crop_y = 0;
  p->crop_w = p->crop_h = S;
  p->flip = r[0] != 0;
  p->rotate_deg = r[1];
  p->zoom = r[2];
  p->zoom_col = r[3];
  p->zoom_row = r[4];
  p->warp_x = r[5];
  p->warp_y = r[6];
  p->brightness = r[7];
  p->contrast = r[8];
}

static void test_augment_golden(void) {
  g_autoptr(SwellRgbImage) img = image_from_tensor(sw_test_tensor(&fx, "aug.input"));
  const sw_named_tensor *params = sw_test_tensor(&fx, "aug.params");
  int n = (int)params->shape.dims[0], S = img->width;
  const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  float *out = g_new(float, 3 * S * S);
  for (int mode = 0; mode < 2; mode++) {
    const sw_named_tensor *want = sw_test_tensor(&fx, mode == 0 ? "aug.reflection" : "aug.zeros");
    for (int i = 0; i < n; i++) {
      const float *r = params->data + i * 9;
      SwellAugmentConfig cfg;
      swell_augment_config_init_default(&cfg, S);
      cfg.pad_mode = mode == 0 ? SWELL_PAD_REFLECTION : SWELL_PAD_ZEROS;
      SwellAugmentParams p;
      params_from_row(r, &p, S);
      swell_augment_apply(img, &cfg, &p, zero, one, out);
      /* Geometry is float32 bilinear on both sides; lighting goes through a
       * 4096-entry table here. Values are in [0, 1]. */
      gboolean light = r[7] != 0.5f || r[8] != 1.0f;
      double tol = light ? 1e-4 : 5e-5;
      double d = max_abs_diff(out, want->data + (gsize)i * 3 * S * S, (gsize)3 * S * S);
      char what[160];
      g_snprintf(what, sizeof what,
                 "%s pad, flip %g rot %g zoom %g (%g,%g) warp (%g,%g) bright %g contrast %g",
                 mode == 0 ? "reflection" : "zeros", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
      printf("%s augment vs fastai/grid_sample, %s: max |diff| %.2g (tol %.0e)\n", d <= tol ? "ok  " : "FAIL",
             what, d, tol);
      CHECK(d <= tol, "augment %s: %g", what, d);
    }
  }
  g_free(out);
}

static void test_crop_vs_fastai(void) {
  /* fastai: PIL crop + antialiased resize to 32x32, then grid_sample.
   * Swell: one bilinear pass from the source. Same picture, slightly
   * different filtering: compare the mean and the worst difference. */
  g_autoptr(SwellRgbImage) img = image_from_tensor(sw_test_tensor(&fx, "crop.input"));
  const float *box = sw_test_tensor(&fx, "crop.box")->data;
  const sw_named_tensor *want = sw_test_tensor(&fx, "crop.output");
  const float *rows = sw_test_tensor(&fx, "aug.params")->data;
  int n = (int)want->shape.dims[0], S = (int)want->shape.dims[3];
  const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  float *out = g_new(float, 3 * S * S);
  for (int i = 0; i < n; i++) {
    SwellAugmentConfig cfg;
    swell_augment_config_init_default(&cfg, S);
    SwellAugmentParams p;
    params_from_row(rows + i * 9, &p, S);
    p.crop_x = (int)box[0];
    p.crop_y = (int)box[1];
    p.crop_w = (int)box[2];
    p.crop_h = (int)box[3];
    swell_augment_apply(img, &cfg, &p, zero, one, out);
    const float *w = want->data + (gsize)i * 3 * S * S;
    double mean = 0, mx = 0;
    for (int k = 0; k < 3 * S * S; k++) {
      double d = fabs(out[k] - w[k]);
      mean += d;
      mx = MAX(mx, d);
    }
    mean /= 3 * S * S;
    gboolean ok = mean < 0.004 && mx < 0.03;
    printf("%s crop 40x30+10+6 -> %d, params %d: mean |diff| vs fastai (PIL resize + grid_sample) %.4f, max %.3f\n",
           ok ? "ok  " : "FAIL", S, i, mean, mx);
    CHECK(ok, "crop case %d: mean %g max %g", i, mean, mx);
  }
  g_free(out);
}

static void test_flip_exact(void) {
  /* The identity and a flip of a SxS image sampled at 1:1 are pure pixel copies. */
  int S = 24;
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(S, S);
  for (int i = 0; i < S * S * 3; i++) img->pixels[i] = (guint8)(i * 37 % 251);
  SwellAugmentConfig cfg;
  swell_augment_config_init_none(&cfg, S);
  const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  SwellAugmentParams p;
  swell_augment_draw(&cfg, S, S, 1, &p);
  CHECK(!p.flip && p.rotate_deg == 0 && p.zoom == 1 && p.warp_x == 0 && p.brightness == 0.5 &&
            p.contrast == 1 && p.crop_w == S && p.crop_x == 0,
        "init_none draws non-neutral parameters");
  float *a = g_new(float, 3 * S * S), *b = g_new(float, 3 * S * S);
  swell_augment_apply(img, &cfg, &p, zero, one, a);
  p.flip = TRUE;
  swell_augment_apply(img, &cfg, &p, zero, one, b);
  double id_err = 0, flip_err = 0;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        float px = img->pixels[(y * S + x) * 3 + c] / 255.0f;
        id_err = MAX(id_err, fabs(a[c * S * S + y * S + x] - px));
        flip_err = MAX(flip_err, fabs(b[c * S * S + y * S + (S - 1 - x)] - px));
      }
  printf("%s identity copy err %.2g, flip mirrors columns err %.2g\n",
         id_err < 1e-5 && flip_err < 1e-5 ? "ok  " : "FAIL", id_err, flip_err);
  CHECK(id_err < 1e-5, "identity transform changed the image: %g", id_err);
  CHECK(flip_err < 1e-5, "flip is not a mirror: %g", flip_err);
  g_free(a);
  g_free(b);
}

static void test_lighting_mean(void) {
  /* On a mid-grey image brightness b moves every value to sigmoid(logit(x) +
   * logit(b)); contrast c to sigmoid(c * logit(x)). */
  int S = 16;
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(S, S);
  memset(img->pixels, 90, (gsize)S * S * 3);
  SwellAugmentConfig cfg;
  swell_augment_config_init_none(&cfg, S);
  const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  float *out = g_new(float, 3 * S * S);
  double x = 90 / 255.0, lx = log(x / (1 - x));
  const double bs[] = {0.4, 0.45, 0.55, 0.6};
  for (int i = 0; i < 4; i++) {
    SwellAugmentParams p;
    swell_augment_draw(&cfg, S, S, 0, &p);
    p.brightness = bs[i];
    swell_augment_apply(img, &cfg, &p, zero, one, out);
    double mean = 0;
    for (int j = 0; j < 3 * S * S; j++) mean += out[j];
    mean /= 3 * S * S;
    double want = 1 / (1 + exp(-(lx + log(bs[i] / (1 - bs[i])))));
    printf("%s brightness %.2f: mean %.5f, want %.5f (was %.5f)\n", fabs(mean - want) < 1e-4 ? "ok  " : "FAIL",
           bs[i], mean, want, x);
    CHECK(fabs(mean - want) < 1e-4, "brightness %g mean %g want %g", bs[i], mean, want);
    CHECK((bs[i] > 0.5) == (mean > x), "brightness %g moved the mean the wrong way", bs[i]);
  }
  for (int i = 0; i < 2; i++) {
    double c = i == 0 ? 0.8 : 1.25;
    SwellAugmentParams p;
    swell_augment_draw(&cfg, S, S, 0, &p);
    p.contrast = c;
    swell_augment_apply(img, &cfg, &p, zero, one, out);
    double want = 1 / (1 + exp(-(lx * c)));
    printf("%s contrast %.2f: value %.5f, want %.5f\n", fabs(out[0] - want) < 1e-4 ? "ok  " : "FAIL", c, out[0],
           want);
    CHECK(fabs(out[0] - want) < 1e-4, "contrast %g: %g want %g", c, out[0], want);
  }
  g_free(out);
}

static void test_determinism(void) {
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(300, 200);
  for (int i = 0; i < 300 * 200 * 3; i++) img->pixels[i] = (guint8)((i * 31) ^ (i >> 7));
  SwellAugmentConfig cfg;
  swell_augment_config_init_default(&cfg, 64);
  gsize n = 3 * 64 * 64;
  float *a = g_new(float, n), *b = g_new(float, n), *c = g_new(float, n);
  guint64 s1 = swell_augment_sample_seed(42, 3, 17), s2 = swell_augment_sample_seed(42, 3, 18);
  CHECK(s1 != s2, "sample seeds collide");
  CHECK(swell_augment_sample_seed(42, 4, 17) != s1, "epoch does not change the seed");
  CHECK(swell_augment_sample_seed(43, 3, 17) != s1, "seed does not change the sample seed");
  swell_transform_train(img, &cfg, s1, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, a);
  swell_transform_train(img, &cfg, s1, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, b);
  swell_transform_train(img, &cfg, s2, SWELL_IMAGENET_MEAN, SWELL_IMAGENET_STD, c);
  CHECK(memcmp(a, b, n * sizeof(float)) == 0, "same seed gave different output");
  CHECK(memcmp(a, c, n * sizeof(float)) != 0, "different seeds gave the same output");
  printf("ok   same seed -> same sample, other seed -> other sample\n");
  g_free(a);
  g_free(b);
  g_free(c);
}

static void test_draw_statistics(void) {
  SwellAugmentConfig cfg;
  swell_augment_config_init_default(&cfg, 224);
  int N = 4000, flips = 0, rot = 0, zoomed = 0, warped = 0, bright = 0, contr = 0, fallback = 0;
  double area_sum = 0;
  int W = 400, Hh = 300;
  for (int i = 0; i < N; i++) {
    SwellAugmentParams p;
    swell_augment_draw(&cfg, W, Hh, swell_augment_sample_seed(7, 0, (guint64)i), &p);
    flips += p.flip;
    rot += p.rotate_deg != 0;
    zoomed += p.zoom != 1;
    warped += p.warp_x != 0;
    bright += p.brightness != 0.5;
    contr += p.contrast != 1;
    CHECK(fabs(p.rotate_deg) <= 10, "rotation %g", p.rotate_deg);
    CHECK(p.zoom >= 1 && p.zoom <= 1.1, "zoom %g", p.zoom);
    CHECK(fabs(p.warp_x) <= 0.2 && fabs(p.warp_y) <= 0.2, "warp %g %g", p.warp_x, p.warp_y);
    CHECK(p.brightness >= 0.4 && p.brightness <= 0.6, "brightness %g", p.brightness);
    CHECK(p.contrast >= 0.8 - 1e-9 && p.contrast <= 1.25 + 1e-9, "contrast %g", p.contrast);
    CHECK(p.crop_x >= 0 && p.crop_y >= 0 && p.crop_x + p.crop_w <= W && p.crop_y + p.crop_h <= Hh,
          "crop out of the image");
    double area = (double)p.crop_w * p.crop_h / (W * Hh);
    double ratio = (double)p.crop_w / p.crop_h;
    if (area > 0.999) fallback++;
    /* rounding of the side lengths allows a little slack */
    CHECK(area >= 0.075 && area <= 1.0, "crop area fraction %g", area);
    CHECK(ratio >= 0.75 * 0.97 && ratio <= 4.0 / 3 * 1.03, "crop ratio %g", ratio);
    area_sum += area;
  }
  double f = (double)flips / N, r = (double)rot / N, z = (double)zoomed / N, w = (double)warped / N;
  double b = (double)bright / N, c = (double)contr / N;
  printf("%s draws over %d samples: flip %.3f (0.5), rotate %.3f zoom %.3f warp_x %.3f (0.75), "
         "brightness %.3f contrast %.3f (0.75), mean crop area %.3f\n",
         "info", N, f, r, z, w, b, c, area_sum / N);
  CHECK(fabs(f - 0.5) < 0.03, "flip rate %g", f);
  CHECK(fabs(r - 0.75) < 0.03 && fabs(z - 0.75) < 0.03 && fabs(w - 0.75) < 0.03, "affine rates %g %g %g", r,
        z, w);
  CHECK(fabs(b - 0.75) < 0.03 && fabs(c - 0.75) < 0.03, "lighting rates %g %g", b, c);
  /* E[area] for U(0.08, 1) accepted draws is about 0.54 (large draws are
   * rejected more often, so a bit lower). */
  CHECK(area_sum / N > 0.35 && area_sum / N < 0.6, "mean crop area %g", area_sum / N);

  /* Switches: each transform off means it never happens. */
  cfg.do_flip = FALSE;
  cfg.max_rotate = 0;
  cfg.max_warp = 0;
  cfg.max_lighting = 0;
  cfg.min_zoom = cfg.max_zoom = 1;
  cfg.random_resized_crop = FALSE;
  int changed = 0;
  for (int i = 0; i < 500; i++) {
    SwellAugmentParams p;
    swell_augment_draw(&cfg, W, Hh, (guint64)i, &p);
    changed += p.flip || p.rotate_deg != 0 || p.zoom != 1 || p.warp_x != 0 || p.warp_y != 0 ||
               p.brightness != 0.5 || p.contrast != 1 || p.crop_w != Hh || p.crop_h != Hh ||
               p.crop_x != (W - Hh) / 2 || p.crop_y != 0;
  }
  CHECK(changed == 0, "%d draws changed something with every transform off", changed);
  printf("%s all transforms switched off -> centre square crop only\n", changed ? "FAIL" : "ok  ");
}

static void test_permutation(void) {
  guint32 perm[100];
  swell_permutation(5, perm, 100);
  int seen[100] = {0}, moved = 0;
  for (int i = 0; i < 100; i++) {
    CHECK(perm[i] < 100, "out of range");
    if (perm[i] < 100) seen[perm[i]]++;
    moved += perm[i] != (guint32)i;
  }
  for (int i = 0; i < 100; i++) CHECK(seen[i] == 1, "index %d seen %d times", i, seen[i]);
  CHECK(moved > 80, "permutation barely shuffled (%d moved)", moved);
}

int main(void) {
  sw_test_load_fixture("pipeline.safetensors", &fx);
  test_eval_golden();
  test_eval_real_photos();
  test_eval_constant();
  test_eval_panorama();
  test_augment_golden();
  test_crop_vs_fastai();
  test_flip_exact();
  test_lighting_mean();
  test_determinism();
  test_draw_statistics();
  test_permutation();
  sw_state_dict_free(&fx);
  return sw_test_finish();
}
