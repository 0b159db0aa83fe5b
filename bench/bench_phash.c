/* bench_phash.c: measures the near-duplicate hash (swell-phash.h) on real
 * photos, to choose SWELL_PHASH_NEAR_DISTANCE:
 *  - every pair of distinct photos under the given folders: the histogram of
 *    the smallest distances and the closest pairs by name (false positives at
 *    a threshold are the pairs at or under it);
 *  - planted copies of every photo: resized, re-encoded at another JPEG
 *    quality and cropped by a few percent (GdkPixbuf), and their distance to
 *    the original (misses at a threshold are copies over it);
 *  - the time swell_phash_group() takes on 10,000 hashes.
 *
 *   bench_phash DIR... [--show N]
 */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "swell-phash.h"

typedef struct {
  double scale;   /* of each side */
  int quality;    /* JPEG */
  double crop[4]; /* share cut off left, top, right, bottom */
  const char *name;
} Variant;

static const Variant variants[] = {
    {0.7, 40, {0.03, 0.03, 0.03, 0.03}, "70%, q40, 3% off each side"},
    {0.5, 60, {0.05, 0.0, 0.0, 0.05}, "50%, q60, 5% off left and bottom"},
    {1.0, 30, {0.0, 0.0, 0.0, 0.0}, "same size, q30"},
    {0.8, 75, {0.02, 0.02, 0.0, 0.0}, "80%, q75, 2% off left and top"},
};

static void collect(const char *dir, GPtrArray *out) {
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  while (d && (name = g_dir_read_name(d))) g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *full = g_build_filename(dir, (char *)names->pdata[i], NULL);
    if (g_file_test(full, G_FILE_TEST_IS_DIR)) collect(full, out);
    else if (g_str_has_suffix(full, ".jpg") || g_str_has_suffix(full, ".jpeg"))
      g_ptr_array_add(out, g_steal_pointer(&full));
  }
}

/* The variant's copy of `img`, decoded back; NULL on failure. */
static SwellRgbImage *planted_copy(const SwellRgbImage *img, const Variant *v) {
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_data(img->pixels, GDK_COLORSPACE_RGB, FALSE, 8,
                                                     img->width, img->height, img->width * 3,
                                                     NULL, NULL);
  int x0 = (int)(v->crop[0] * img->width), y0 = (int)(v->crop[1] * img->height);
  int w = img->width - x0 - (int)(v->crop[2] * img->width);
  int h = img->height - y0 - (int)(v->crop[3] * img->height);
  g_autoptr(GdkPixbuf) sub = gdk_pixbuf_new_subpixbuf(pb, x0, y0, w, h);
  g_autoptr(GdkPixbuf) scaled = gdk_pixbuf_scale_simple(
      sub, MAX(1, (int)(w * v->scale)), MAX(1, (int)(h * v->scale)), GDK_INTERP_BILINEAR);
  g_autofree char *q = g_strdup_printf("%d", v->quality);
  gchar *buf = NULL;
  gsize len = 0;
  if (!gdk_pixbuf_save_to_buffer(scaled, &buf, &len, "jpeg", NULL, "quality", q, NULL)) return NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_take(buf, len);
  return swell_image_decode_bytes(bytes, "copy", NULL);
}

static void distinct_pairs(GPtrArray *paths, const guint64 *h, int show) {
  guint n = paths->len, hist[65] = {0};
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++) hist[swell_phash_distance(h[i], h[j])]++;
  printf("distinct pairs: %u; pairs at each distance (cumulative):\n", n * (n - 1) / 2);
  guint cum = 0;
  for (int d = 0; d <= 20; d++) printf("  <= %2d: %u\n", d, cum += hist[d]);
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++) {
      int d = swell_phash_distance(h[i], h[j]);
      if (d <= show) printf("  %2d  %s  %s\n", d, (char *)paths->pdata[i], (char *)paths->pdata[j]);
    }
}

/* hist[k][d]: planted copies of variant k at distance d from their original;
 * worst[k]: the photo whose copy was farthest. */
typedef struct {
  guint hist[G_N_ELEMENTS(variants)][65];
  int worst[G_N_ELEMENTS(variants)];
  const char *worst_path[G_N_ELEMENTS(variants)];
} Planted;

static void plant(const SwellRgbImage *img, guint64 h, const char *path, Planted *p) {
  for (guint k = 0; k < G_N_ELEMENTS(variants); k++) {
    g_autoptr(SwellRgbImage) c = planted_copy(img, &variants[k]);
    if (!c) continue;
    int d = swell_phash_distance(h, swell_image_phash(c));
    p->hist[k][d]++;
    if (d >= p->worst[k]) p->worst[k] = d, p->worst_path[k] = path;
  }
}

static void print_planted(const Planted *p) {
  for (guint k = 0; k < G_N_ELEMENTS(variants); k++) {
    printf("planted copies (%s): largest distance %d (%s); found at each threshold:\n",
           variants[k].name, p->worst[k], p->worst_path[k]);
    guint cum = 0;
    for (int d = 0; d <= 16; d++) printf("  <= %2d: %u\n", d, cum += p->hist[k][d]);
  }
}

static void timing(void) {
  guint n = 10000;
  g_autofree guint64 *h = g_new(guint64, n);
  g_autofree guint *g = g_new(guint, n);
  GRand *r = g_rand_new_with_seed(1);
  for (guint i = 0; i < n; i++) h[i] = ((guint64)g_rand_int(r) << 32) | g_rand_int(r);
  g_rand_free(r);
  gint64 t0 = g_get_monotonic_time();
  guint groups = swell_phash_group(h, n, SWELL_PHASH_NEAR_DISTANCE, g);
  printf("swell_phash_group on %u random hashes: %.1f ms (%u groups)\n", n,
         (g_get_monotonic_time() - t0) / 1000.0, groups);
}

int main(int argc, char **argv) {
  int show = 12;
  GOptionEntry entries[] = {
      {"show", 0, 0, G_OPTION_ARG_INT, &show, "list distinct pairs at most N apart (12)", "N"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new("DIR... - perceptual hash distances");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, NULL) || argc < 2) {
    fprintf(stderr, "usage: bench_phash DIR... [--show N]\n");
    return 2;
  }
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  for (int i = 1; i < argc; i++) collect(argv[i], paths);
  Planted planted = {0};
  g_autofree guint64 *h = g_new(guint64, MAX(paths->len, 1));
  gint64 decoding = 0, hashing = 0;
  for (guint i = 0; i < paths->len; i++) {
    g_autoptr(GError) e = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(SwellRgbImage) img = swell_image_decode_file(paths->pdata[i], &e);
    if (!img) {
      fprintf(stderr, "%s\n", e->message);
      return 1;
    }
    gint64 t1 = g_get_monotonic_time();
    h[i] = swell_image_phash(img);
    decoding += t1 - t0;
    hashing += g_get_monotonic_time() - t1;
    plant(img, h[i], paths->pdata[i], &planted);
  }
  printf("%u photos: decoding %.2f s, hashing %.2f s\n", paths->len, decoding / 1e6,
         hashing / 1e6);
  distinct_pairs(paths, h, show);
  print_planted(&planted);
  timing();
  return 0;
}
