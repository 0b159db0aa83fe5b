/* test_explanation.c: swell_classifier_explain and the overlay (app/swell-explain.c)
 * with the real ImageNet MobileNetV2 ($SWELL_SHARED/weights) on the shared photos.
 *
 *  - the probabilities are classify's, bit for bit; from the file's bytes
 *    (swell_classifier_explain_bytes) the same heatmap; class -1 explains the most
 *    probable class; a class out of range is an error naming the range;
 *  - the image is the preprocessed square (swell_transform_eval_image, or the
 *    squashed resize), the heatmap is input_size^2, >= 0, with heatmap_max its
 *    largest value (> 0 for the predicted class), and differs between classes;
 *  - the overlay: plain image pixels where the heatmap is 0, the blend of
 *    the image with inferno(1) at opacity where it is largest, the plain image
 *    everywhere at opacity 0;
 *  - the colour map: matplotlib's inferno at its ends and middle, and its
 *    lightness rising monotonically.
 */
#include <math.h>
#include <string.h>

#include "swell-inference.h"
#include "swell-transforms.h"
#include "testutil.h"

static SwellClassifier *classifier(void) {
  g_autofree char *path = sw_test_shared_path("weights/mobilenet_v2_1.0_imagenet.safetensors");
  g_autoptr(GError) error = NULL;
  SwellClassifier *c = swell_classifier_new(path, NULL, &error);
  CHECK(c != NULL, "%s", error ? error->message : "");
  return c;
}

static SwellRgbImage *photo(const char *name) {
  g_autofree char *rel = g_strdup_printf("weights/images/%s", name);
  g_autofree char *path = sw_test_shared_path(rel);
  g_autoptr(GError) error = NULL;
  SwellRgbImage *img = swell_image_decode_file(path, &error);
  CHECK(img != NULL, "%s", error ? error->message : "");
  return img;
}

static void check_heatmap(const SwellExplanation *e, const char *what) {
  float mx = 0, mn = INFINITY;
  for (int i = 0; i < e->size * e->size; i++) {
    mx = fmaxf(mx, e->heatmap[i]);
    mn = fminf(mn, e->heatmap[i]);
  }
  CHECK(mn >= 0 && mx == e->heatmap_max, "%s: heatmap in [%g, %g], heatmap_max %g", what, mn, mx,
        e->heatmap_max);
  printf("ok   %s: class %d (%.1f%%), heatmap %dx%d in [%g, %g]\n", what, e->class_index,
         100 * e->probs[e->class_index], e->size, e->size, mn, mx);
}

static void test_explain(SwellClassifier *c, const char *name) {
  g_autoptr(SwellRgbImage) img = photo(name);
  if (!img) return;
  int C = swell_classifier_num_classes(c), S = swell_classifier_get_spec(c)->input_size;
  g_autofree float *probs = g_new(float, C);
  g_autoptr(GError) error = NULL;
  CHECK(swell_classifier_classify(c, img, probs, &error), "classify");
  g_autoptr(SwellExplanation) e = swell_classifier_explain(c, img, -1, &error);
  CHECK(e != NULL, "%s: %s", name, error ? error->message : "");
  if (!e) return;
  int top;
  swell_top_k(probs, C, 1, &top);
  CHECK(e->num_classes == C && memcmp(e->probs, probs, sizeof(float) * C) == 0,
        "%s: explain's probabilities differ from classify's", name);
  CHECK(e->class_index == top, "%s: class -1 explained %d, the top class is %d", name,
        e->class_index, top);
  CHECK(e->size == S && e->heatmap_max > 0, "%s: size %d (input %d), max %g", name, e->size, S,
        e->heatmap_max);
  g_autoptr(SwellRgbImage) square = swell_transform_eval_image(img, S);
  CHECK(e->image->width == S && e->image->height == S &&
            memcmp(e->image->pixels, square->pixels, (gsize)S * S * 3) == 0,
        "%s: the explanation's image is not the preprocessed square", name);
  check_heatmap(e, name);
  g_autofree char *rel = g_strdup_printf("weights/images/%s", name);
  g_autofree char *path = sw_test_shared_path(rel);
  gsize len = 0;
  g_autofree guint8 *data = sw_test_read_file(path, &len);
  g_autoptr(GBytes) bytes = g_bytes_new(data, len);
  g_autoptr(SwellExplanation) eb = swell_classifier_explain_bytes(c, bytes, name, -1, &error);
  CHECK(eb && eb->class_index == e->class_index &&
            memcmp(eb->heatmap, e->heatmap, sizeof(float) * S * S) == 0,
        "%s: explain_bytes differs from explain", name);
  int other = top == 0 ? 1 : 0;
  g_autoptr(SwellExplanation) o = swell_classifier_explain(c, img, other, &error);
  CHECK(o && o->class_index == other, "%s: class %d", name, other);
  if (o) {
    CHECK(memcmp(o->heatmap, e->heatmap, sizeof(float) * S * S) != 0,
          "%s: classes %d and %d have the same heatmap", name, top, other);
    check_heatmap(o, name);
  }
}

static void test_bad_class(SwellClassifier *c) {
  g_autoptr(SwellRgbImage) img = photo("cat.bmp");
  int C = swell_classifier_num_classes(c);
  for (int k = 0; k < 2; k++) {
    int cls = k == 0 ? C : -2;
    g_autoptr(GError) error = NULL;
    g_autoptr(SwellExplanation) e = swell_classifier_explain(c, img, cls, &error);
    CHECK(e == NULL && error && strstr(error->message, "out of range"), "class %d: %s", cls,
          error ? error->message : "accepted");
    if (error) printf("ok   class %d: %s\n", cls, error->message);
  }
}

static void test_squash(SwellClassifier *c) {
  g_autoptr(SwellRgbImage) img = photo("parrot.jpg");
  int S = swell_classifier_get_spec(c)->input_size;
  swell_classifier_set_preprocess(c, SWELL_PREPROCESS_SQUASH);
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellExplanation) e = swell_classifier_explain(c, img, -1, &error);
  swell_classifier_set_preprocess(c, SWELL_PREPROCESS_CENTER_CROP);
  CHECK(e != NULL, "squash: %s", error ? error->message : "");
  if (!e) return;
  g_autoptr(SwellRgbImage) sq = swell_rgb_image_resize(img, S, S);
  CHECK(memcmp(e->image->pixels, sq->pixels, (gsize)S * S * 3) == 0,
        "squash: the explanation's image is not the squashed image");
  check_heatmap(e, "parrot.jpg squashed");
}

/* The blend the overlay promises at pixel i. */
static void check_pixel(const SwellExplanation *e, const guint8 *px, int i, double opacity,
                        const char *what) {
  float t = e->heatmap[i] / e->heatmap_max;
  guint8 col[3];
  swell_colormap_inferno(t, col);
  double a = opacity * t;
  for (int ch = 0; ch < 3; ch++) {
    double want = (1 - a) * e->image->pixels[i * 3 + ch] + a * col[ch];
    CHECK(fabs(px[ch] - want) <= 0.5 + 1e-3, "%s: pixel %d channel %d: %d, want %.2f", what, i,
          ch, px[ch], want);
  }
}

static void test_render(SwellClassifier *c) {
  g_autoptr(SwellRgbImage) img = photo("cat.bmp"); /* its heatmap has zeros */
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellExplanation) e = swell_classifier_explain(c, img, -1, &error);
  if (!e) return;
  int S = e->size, imax = 0, izero = -1;
  for (int i = 0; i < S * S; i++) {
    if (e->heatmap[i] > e->heatmap[imax]) imax = i;
    if (izero < 0 && e->heatmap[i] == 0) izero = i;
  }
  g_autoptr(GdkPixbuf) pb = swell_explanation_render(e, SWELL_EXPLAIN_OPACITY);
  CHECK(pb && gdk_pixbuf_get_width(pb) == S && gdk_pixbuf_get_height(pb) == S &&
            gdk_pixbuf_get_n_channels(pb) == 3,
        "overlay size");
  const guint8 *px = gdk_pixbuf_read_pixels(pb);
  int stride = gdk_pixbuf_get_rowstride(pb);
  for (int i = 0; i < S * S; i += 97)
    check_pixel(e, px + (i / S) * stride + (i % S) * 3, i, SWELL_EXPLAIN_OPACITY, "overlay");
  check_pixel(e, px + (imax / S) * stride + (imax % S) * 3, imax, SWELL_EXPLAIN_OPACITY,
              "overlay at the heatmap's maximum");
  CHECK(izero >= 0, "cat.bmp's heatmap has no zero");
  if (izero >= 0)
    CHECK(memcmp(px + (izero / S) * stride + (izero % S) * 3, e->image->pixels + izero * 3, 3) == 0,
          "where the heatmap is 0 the photo is unchanged");
  g_autoptr(GdkPixbuf) plain = swell_explanation_render(e, 0.0);
  const guint8 *pp = gdk_pixbuf_read_pixels(plain);
  gboolean same = TRUE;
  for (int y = 0; y < S; y++)
    same = same && memcmp(pp + y * stride, e->image->pixels + (gsize)y * S * 3, (gsize)S * 3) == 0;
  CHECK(same, "opacity 0 is the plain image");
  printf("ok   overlay %dx%d: blend checked at %d pixels, zero-heat pixel %d\n", S, S,
         S * S / 97 + 2, izero);
}

static void test_colormap(void) {
  guint8 lo[3], mid[3], hi[3];
  swell_colormap_inferno(0, lo);
  swell_colormap_inferno(0.5f, mid);
  swell_colormap_inferno(1, hi);
  CHECK(lo[0] == 0 && lo[1] == 0 && lo[2] == 4, "inferno(0) = %d %d %d", lo[0], lo[1], lo[2]);
  CHECK(hi[0] == 252 && hi[1] == 255 && hi[2] == 164, "inferno(1) = %d %d %d", hi[0], hi[1], hi[2]);
  /* matplotlib inferno(0.5) = entry 127.5: (0.733, 0.214, 0.332) */
  CHECK(abs(mid[0] - 187) <= 1 && abs(mid[1] - 55) <= 1 && abs(mid[2] - 85) <= 1,
        "inferno(0.5) = %d %d %d", mid[0], mid[1], mid[2]);
  double prev = -1;
  gboolean rising = TRUE;
  for (int i = 0; i <= 100; i++) {
    guint8 c[3];
    swell_colormap_inferno(i / 100.0f, c);
    double luma = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    rising = rising && luma >= prev;
    prev = luma;
  }
  CHECK(rising, "inferno's lightness does not rise monotonically");
  printf("ok   inferno: ends, middle and rising lightness\n");
}

int main(void) {
  test_colormap();
  g_autoptr(SwellClassifier) c = classifier();
  if (c) {
    test_explain(c, "cat.bmp");
    test_explain(c, "grace_hopper.bmp");
    test_bad_class(c);
    test_squash(c);
    test_render(c);
  }
  return sw_test_finish();
}
