/* test_loader.c: SwellLoader on synthetic images (solid colours, so every
 * sample can be checked against its item) and on a few real photos:
 * epochs, shuffling, drop_last, labels, determinism across thread counts,
 * the cache bound, decode-once, bad images, serialised fetches,
 * cancellation and shutdown. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <string.h>

#include "swell-loader.h"
#include "swell-trainer.h"
#include "testutil.h"

#define N_GOOD 34
#define BAD_TEXT 2000
#define BAD_CUT 2001
#define BAD_FETCH 2002

typedef struct {
  GHashTable *bytes;  /* id -> GBytes */
  GHashTable *calls;  /* id -> count */
  GHashTable *paths;  /* id -> file path (real photos) */
  gint active;
  gint overlap;
  GMutex calls_lock;
} Source;

static GBytes *fetch(gpointer data, gint64 id, GError **error) {
  Source *s = data;
  if (g_atomic_int_add(&s->active, 1) != 0) g_atomic_int_set(&s->overlap, 1);
  g_usleep(100); /* widen the window a concurrent call would fall in */
  g_mutex_lock(&s->calls_lock);
  gint64 *key = g_new(gint64, 1);
  *key = id;
  int n = GPOINTER_TO_INT(g_hash_table_lookup(s->calls, key));
  g_hash_table_replace(s->calls, key, GINT_TO_POINTER(n + 1));
  g_mutex_unlock(&s->calls_lock);
  GBytes *out = NULL;
  if (s->paths) {
    const char *p = g_hash_table_lookup(s->paths, &id);
    gchar *d = NULL;
    gsize len = 0;
    if (p && g_file_get_contents(p, &d, &len, error)) out = g_bytes_new_take(d, len);
  } else if (id == BAD_FETCH) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "image %" G_GINT64_FORMAT ": no such image in the project", id);
  } else {
    GBytes *b = g_hash_table_lookup(s->bytes, &id);
    if (b) out = g_bytes_ref(b);
  }
  g_atomic_int_add(&s->active, -1);
  return out;
}

static int calls_of(Source *s, gint64 id) {
  g_mutex_lock(&s->calls_lock);
  int n = GPOINTER_TO_INT(g_hash_table_lookup(s->calls, &id));
  g_mutex_unlock(&s->calls_lock);
  return n;
}

static void colour_of(int i, guint8 rgb[3]) {
  rgb[0] = (guint8)(i * 7);
  rgb[1] = (guint8)(255 - i * 5);
  rgb[2] = (guint8)((i % 3) * 80 + 10);
}

static gint64 good_id(int i) { return 1000 + 3 * i; }

static GBytes *solid_png(int w, int h, const guint8 rgb[3]) {
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  gdk_pixbuf_fill(pb, ((guint32)rgb[0] << 24) | ((guint32)rgb[1] << 16) | ((guint32)rgb[2] << 8) | 0xFF);
  gchar *buf = NULL;
  gsize len = 0;
  if (!gdk_pixbuf_save_to_buffer(pb, &buf, &len, "png", NULL, NULL)) exit(1);
  return g_bytes_new_take(buf, len);
}

/* Adds the encoded image bytes (taken) under id. */
static void source_put(Source *s, gint64 id, GBytes *bytes) {
  gint64 *k = g_new(gint64, 1);
  *k = id;
  g_hash_table_insert(s->bytes, k, bytes);
}

static Source *source_new(void) {
  Source *s = g_new0(Source, 1);
  s->bytes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_bytes_unref);
  s->calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_mutex_init(&s->calls_lock);
  for (int i = 0; i < N_GOOD; i++) {
    guint8 rgb[3];
    colour_of(i, rgb);
    source_put(s, good_id(i), solid_png(20 + i * 3, 50 - i, rgb));
  }
  const char *text = "not an image at all";
  source_put(s, BAD_TEXT, g_bytes_new(text, strlen(text)));
  guint8 rgb[3] = {1, 2, 3};
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
  gdk_pixbuf_fill(pb, 0x336699FF);
  gchar *buf = NULL;
  gsize len = 0;
  gdk_pixbuf_save_to_buffer(pb, &buf, &len, "jpeg", NULL, NULL);
  source_put(s, BAD_CUT, g_bytes_new_take(buf, len / 2));
  (void)rgb;
  return s;
}

static void source_free(Source *s) {
  if (s->bytes) g_hash_table_unref(s->bytes);
  g_hash_table_unref(s->calls);
  if (s->paths) g_hash_table_unref(s->paths);
  g_mutex_clear(&s->calls_lock);
  g_free(s);
}

/* Items: the good ones (label i % 3) with the bad ones mixed in. */
static GArray *make_items(gboolean with_bad) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  for (int i = 0; i < N_GOOD; i++) {
    SwellLoaderItem it = {good_id(i), i % 3};
    g_array_append_val(a, it);
    if (with_bad && i == 5) {
      SwellLoaderItem b = {BAD_TEXT, 0};
      g_array_append_val(a, b);
    }
    if (with_bad && i == 17) {
      SwellLoaderItem b = {BAD_CUT, 1};
      g_array_append_val(a, b);
    }
    if (with_bad && i == 30) {
      SwellLoaderItem b = {BAD_FETCH, 2};
      g_array_append_val(a, b);
    }
  }
  return a;
}

static int index_of_id(gint64 id) {
  if (id < 1000 || (id - 1000) % 3 != 0 || (id - 1000) / 3 >= N_GOOD) return -1;
  return (int)((id - 1000) / 3);
}

/* Every value of sample s equals its item's colour, normalised (tol). */
static double colour_error(const SwellBatch *b, int s, const float mean[3], const float std[3]) {
  int i = index_of_id(b->ids[s]);
  if (i < 0) return INFINITY;
  guint8 rgb[3];
  colour_of(i, rgb);
  gsize plane = (gsize)b->size * b->size;
  double err = 0;
  for (int c = 0; c < 3; c++) {
    float want = ((float)rgb[c] / 255.0f - mean[c]) / std[c];
    const float *x = b->x + (gsize)s * 3 * plane + c * plane;
    for (gsize k = 0; k < plane; k++) err = MAX(err, fabs(x[k] - want));
  }
  return err;
}

typedef struct {
  GMutex lock;
  GHashTable *reports; /* id -> count */
  GPtrArray *messages;
} BadLog;

static void on_bad(gpointer data, gint64 id, const GError *error) {
  BadLog *log = data;
  g_mutex_lock(&log->lock);
  gint64 *k = g_new(gint64, 1);
  *k = id;
  int n = GPOINTER_TO_INT(g_hash_table_lookup(log->reports, k));
  g_hash_table_replace(log->reports, k, GINT_TO_POINTER(n + 1));
  g_ptr_array_add(log->messages, g_strdup(error->message));
  g_mutex_unlock(&log->lock);
}

/* Takes and drops the rest of the current epoch's batches: how many there were
 * (stops at an error, which goes to error). */
static int drain_epoch(SwellLoader *L, GError **error) {
  int n = 0;
  SwellBatch *b;
  while ((b = swell_loader_next(L, error))) {
    n++;
    swell_batch_free(b);
  }
  return n;
}

static void test_validation_order_and_bad_images(void) {
  Source *src = source_new();
  GArray *items = make_items(TRUE);
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 16, 8, FALSE);
  cfg.n_threads = 3;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  BadLog log = {.reports = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
                .messages = g_ptr_array_new_with_free_func(g_free)};
  g_mutex_init(&log.lock);
  swell_loader_set_bad_image_func(L, on_bad, &log);
  CHECK(swell_loader_n_batches(L) == 5, "37 items in batches of 8: %zu batches", swell_loader_n_batches(L));
  for (int epoch = 0; epoch < 3; epoch++) {
    swell_loader_start_epoch(L, epoch);
    int seen = 0, order_ok = 1, label_ok = 1, nb = 0;
    double cerr = 0;
    int sizes[8] = {0};
    SwellBatch *b;
    while ((b = swell_loader_next(L, NULL))) {
      CHECK(b->index == nb, "batch %d came as %d", nb, b->index);
      if (nb < 8) sizes[nb] = b->n;
      for (int s = 0; s < b->n; s++) {
        int i = index_of_id(b->ids[s]);
        order_ok &= i == seen;
        label_ok &= i >= 0 && b->y[s] == i % 3;
        cerr = MAX(cerr, colour_error(b, s, cfg.mean, cfg.std));
        seen++;
      }
      nb++;
      swell_batch_free(b);
    }
    /* 37 items, bad ones at positions 6, 19 and 33: batches of 8, 8, 8, 8, 5
     * keep 7, 8, 7, 8, 4 good images. */
    gboolean sizes_ok = nb == 5 && sizes[0] == 7 && sizes[1] == 8 && sizes[2] == 7 && sizes[3] == 8 && sizes[4] == 4;
    printf("%s validation epoch %d: %d good images in order (%s), labels %s, batch sizes %d %d %d %d %d, "
           "pixels = item colour (max err %.2g)\n",
           seen == N_GOOD && order_ok && label_ok && sizes_ok && cerr == 0 ? "ok  " : "FAIL", epoch, seen,
           order_ok ? "yes" : "NO", label_ok ? "match" : "WRONG", sizes[0], sizes[1], sizes[2], sizes[3], sizes[4],
           cerr);
    CHECK(seen == N_GOOD && order_ok && label_ok, "validation epoch %d", epoch);
    CHECK(sizes_ok, "validation batch sizes");
    CHECK(cerr == 0, "validation pixels differ from the item colour by %g", cerr);
  }
  /* Each bad image reported exactly once over three epochs, fetched once. */
  gint64 bad_ids[3] = {BAD_TEXT, BAD_CUT, BAD_FETCH};
  for (int i = 0; i < 3; i++) {
    int n = GPOINTER_TO_INT(g_hash_table_lookup(log.reports, &bad_ids[i]));
    CHECK(n == 1, "bad image %" G_GINT64_FORMAT " reported %d times", bad_ids[i], n);
    CHECK(calls_of(src, bad_ids[i]) == 1, "bad image fetched %d times", calls_of(src, bad_ids[i]));
  }
  gsize nbad = 0;
  SwellLoaderBadItem *bad = swell_loader_get_bad_items(L, &nbad);
  CHECK(nbad == 3, "%zu bad items listed", nbad);
  for (gsize i = 0; i < nbad; i++) {
    printf("     bad image %" G_GINT64_FORMAT ": %s\n", bad[i].id, bad[i].message);
    const char *want = bad[i].id == BAD_TEXT  ? "image 2000: not an image (unrecognised format)"
                       : bad[i].id == BAD_CUT ? "image 2001: truncated or corrupt image data"
                                              : "image 2002: no such image in the project";
    CHECK(g_str_has_prefix(bad[i].message, want), "message \"%s\" should start \"%s\"", bad[i].message, want);
  }
  swell_loader_bad_items_free(bad, nbad);
  /* Decode once: every good image fetched and decoded exactly once in 3 epochs. */
  SwellLoaderStats st;
  swell_loader_get_stats(L, &st);
  int multi = 0;
  for (int i = 0; i < N_GOOD; i++) multi += calls_of(src, good_id(i)) != 1;
  printf("%s decode once: %" G_GUINT64_FORMAT " decodes, %" G_GUINT64_FORMAT " cache hits, %d images fetched "
         "more than once; fetches never overlapped: %s\n",
         st.decodes == N_GOOD && multi == 0 && !src->overlap ? "ok  " : "FAIL", st.decodes, st.cache_hits, multi,
         src->overlap ? "NO" : "yes");
  CHECK(st.decodes == N_GOOD && multi == 0, "decoded %" G_GUINT64_FORMAT " times", st.decodes);
  /* epochs 1 and 2 all from the cache, plus what was made ahead for epoch 3 */
  CHECK(st.cache_hits >= 2 * N_GOOD, "cache hits %" G_GUINT64_FORMAT, st.cache_hits);
  CHECK(!src->overlap, "fetch was called concurrently");
  swell_loader_free(L);
  g_hash_table_unref(log.reports);
  g_ptr_array_unref(log.messages);
  g_mutex_clear(&log.lock);
  g_array_unref(items);
  source_free(src);
}

static void test_training_epochs(void) {
  Source *src = source_new();
  GArray *items = make_items(FALSE);
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 16, 8, TRUE);
  cfg.augment.max_lighting = 0; /* geometry keeps a solid colour solid */
  cfg.n_threads = 2;
  cfg.seed = 5;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  CHECK(swell_loader_n_batches(L) == 4, "34 items, batch 8, drop_last: %zu batches", swell_loader_n_batches(L));
  gint64 first_order[32];
  int orders_differ = 0;
  for (int epoch = 0; epoch < 3; epoch++) {
    swell_loader_start_epoch(L, epoch);
    int count[N_GOOD] = {0}, n = 0, nb = 0, label_ok = 1;
    double cerr = 0;
    SwellBatch *b;
    while ((b = swell_loader_next(L, NULL))) {
      CHECK(b->n == 8, "training batch of %d", b->n);
      for (int s = 0; s < b->n; s++) {
        int i = index_of_id(b->ids[s]);
        if (i >= 0) count[i]++;
        label_ok &= i >= 0 && b->y[s] == i % 3;
        cerr = MAX(cerr, colour_error(b, s, cfg.mean, cfg.std));
        if (n < 32) {
          if (epoch == 0) first_order[n] = b->ids[s];
          else orders_differ += first_order[n] != b->ids[s];
        }
        n++;
      }
      nb++;
      swell_batch_free(b);
    }
    int twice = 0, missing = 0;
    for (int i = 0; i < N_GOOD; i++) {
      twice += count[i] > 1;
      missing += count[i] == 0;
    }
    gboolean ok = nb == 4 && n == 32 && twice == 0 && missing == 2 && label_ok && cerr < 1e-4;
    printf("%s training epoch %d: %d batches, %d samples, none twice (%d), %d dropped by drop_last, labels %s, "
           "colour kept (err %.2g)\n",
           ok ? "ok  " : "FAIL", epoch, nb, n, twice, missing, label_ok ? "match" : "WRONG", cerr);
    CHECK(ok, "training epoch %d", epoch);
  }
  CHECK(orders_differ > 20, "epochs are not reshuffled (%d positions differ)", orders_differ);
  /* Lookahead: once epoch 2 is all made, the workers make epoch 3's first
   * batches (up to prefetch = 3), which epoch 3 then uses. */
  SwellLoaderStats st;
  for (int i = 0; i < 500; i++) {
    swell_loader_get_stats(L, &st);
    if (st.ahead_ready >= 3) break;
    g_usleep(10000);
  }
  guint64 before = st.ahead_batches;
  gsize ready = st.ahead_ready;
  swell_loader_start_epoch(L, 3);
  swell_loader_get_stats(L, &st);
  int n3 = 0;
  SwellBatch *b3;
  while ((b3 = swell_loader_next(L, NULL))) {
    n3 += b3->n;
    CHECK(b3->epoch == 3, "batch of epoch %d in epoch 3", b3->epoch);
    swell_batch_free(b3);
  }
  gboolean ahead_ok = ready == 3 && st.ahead_batches - before == 3 && n3 == 32;
  printf("%s lookahead: %zu batches of epoch 3 made before it started and used (%d samples in epoch 3)\n",
         ahead_ok ? "ok  " : "FAIL", ready, n3);
  CHECK(ahead_ok, "lookahead: ready %zu, used %" G_GUINT64_FORMAT, ready, st.ahead_batches - before);
  /* Decoded once each, even with epochs made ahead meeting the same images. */
  CHECK(st.decodes == N_GOOD, "training decoded %" G_GUINT64_FORMAT " times for %d images", st.decodes, N_GOOD);
  /* Starting another epoch than the one made ahead drops it. */
  for (int i = 0; i < 500; i++) {
    swell_loader_get_stats(L, &st);
    if (st.ahead_ready >= 1) break;
    g_usleep(10000);
  }
  before = st.ahead_batches;
  swell_loader_start_epoch(L, 7);
  swell_loader_get_stats(L, &st);
  CHECK(st.ahead_batches == before, "epoch 7 used batches made for epoch 4");
  swell_loader_free(L);
  g_array_unref(items);
  source_free(src);
}

static void test_cache_side(void) {
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 224, 16, TRUE);
  int def = swell_loader_cache_side(&cfg);
  cfg.cache_side = 448;
  int big = swell_loader_cache_side(&cfg);
  cfg.train = FALSE;
  int val = swell_loader_cache_side(&cfg);
  gboolean ok = def == 256 && big == 448 && val == 224;
  printf("%s cache side: training default %d (224 + fastai's val_xtra), set 448 -> %d, validation %d\n",
         ok ? "ok  " : "FAIL", def, big, val);
  CHECK(ok, "cache sides %d %d %d", def, big, val);
  /* A training epoch with a larger cache works the same way. */
  Source *src = source_new();
  GArray *items = make_items(FALSE);
  swell_loader_config_init(&cfg, 16, 8, TRUE);
  cfg.augment.max_lighting = 0;
  cfg.cache_side = 40;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  swell_loader_start_epoch(L, 0);
  SwellBatch *b;
  int n = 0;
  double cerr = 0;
  while ((b = swell_loader_next(L, NULL))) {
    for (int k = 0; k < b->n; k++) cerr = MAX(cerr, colour_error(b, k, cfg.mean, cfg.std));
    n += b->n;
    swell_batch_free(b);
  }
  SwellLoaderStats st;
  swell_loader_get_stats(L, &st);
  CHECK(n == 32 && cerr < 1e-4, "cache_side 40 epoch: %d samples, err %g", n, cerr);
  swell_loader_free(L);
  g_array_unref(items);

  /* A 3000 x 12 strip is cached as its central 4:1 part (96 x 24 at cache
   * side 24), not 6000 x 24. */
  guint8 grey[3] = {100, 100, 100};
  source_put(src, 5000, solid_png(3000, 12, grey));
  SwellLoaderItem strip = {5000, 1};
  swell_loader_config_init(&cfg, 16, 1, TRUE);
  L = swell_loader_new(&cfg, &strip, 1, fetch, src);
  swell_loader_start_epoch(L, 0);
  b = swell_loader_next(L, NULL);
  CHECK(b && b->n == 1, "strip batch");
  swell_batch_free(b);
  swell_loader_get_stats(L, &st);
  ok = st.cache_entries == 1 && st.cache_bytes <= 96 * 24 * 3 + 256;
  printf("%s a 3000x12 strip is cached in %zu bytes (its central 4:1 part)\n", ok ? "ok  " : "FAIL", st.cache_bytes);
  CHECK(ok, "strip cache entry %zu bytes", st.cache_bytes);
  swell_loader_free(L);
  source_free(src);
}

/* All batches of two epochs, concatenated. */
static GByteArray *run_epochs(Source *src, GArray *items, guint64 seed, int threads, gsize cache) {
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 24, 5, TRUE);
  cfg.n_threads = threads;
  cfg.seed = seed;
  cfg.prefetch = 4;
  if (cache) cfg.cache_bytes = cache;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  GByteArray *all = g_byte_array_new();
  for (int e = 0; e < 2; e++) {
    swell_loader_start_epoch(L, e);
    SwellBatch *b;
    while ((b = swell_loader_next(L, NULL))) {
      g_byte_array_append(all, (guint8 *)b->x, (guint)(b->n * 3 * 24 * 24 * sizeof(float)));
      g_byte_array_append(all, (guint8 *)b->ids, (guint)(b->n * sizeof(gint64)));
      swell_batch_free(b);
    }
  }
  swell_loader_free(L);
  return all;
}

/* Replaces the good images with ones with structure (not solid), so that
 * augmentation changes pixels. */
static void make_structured(Source *src) {
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, src->bytes);
  int n = 0;
  while (g_hash_table_iter_next(&it, &k, &v)) {
    if (*(gint64 *)k >= 2000) continue;
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 40 + n, 30 + 2 * n);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    int rs = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < 30 + 2 * n; y++)
      for (int x = 0; x < (40 + n) * 3; x++) px[y * rs + x] = (guint8)(x * 11 + y * 7 + n * 13 + (x * y) % 17);
    gchar *buf = NULL;
    gsize len = 0;
    gdk_pixbuf_save_to_buffer(pb, &buf, &len, "png", NULL, NULL);
    g_hash_table_iter_replace(&it, g_bytes_new_take(buf, len));
    n++;
  }
}

static void test_determinism(void) {
  Source *src = source_new();
  make_structured(src);
  GArray *items = make_items(FALSE);
  GByteArray *a = run_epochs(src, items, 77, 1, 0);
  GByteArray *b = run_epochs(src, items, 77, 3, 0);
  GByteArray *c = run_epochs(src, items, 77, 0, 0);
  GByteArray *d = run_epochs(src, items, 77, 2, 20000); /* tiny cache: re-decodes, same output */
  GByteArray *e = run_epochs(src, items, 78, 2, 0);
  gboolean same_b = a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
  gboolean same_c = a->len == c->len && memcmp(a->data, c->data, a->len) == 0;
  gboolean same_d = a->len == d->len && memcmp(a->data, d->data, a->len) == 0;
  gboolean diff_e = a->len == e->len && memcmp(a->data, e->data, a->len) != 0;
  printf("%s seed 77 gives identical batches with 1, 3, 0 threads and a tiny cache (%u bytes each); "
         "seed 78 differs: %s\n",
         same_b && same_c && same_d && diff_e ? "ok  " : "FAIL", a->len, diff_e ? "yes" : "NO");
  CHECK(same_b, "1 vs 3 threads differ");
  CHECK(same_c, "1 vs 0 threads differ");
  CHECK(same_d, "small cache changed the output");
  CHECK(diff_e, "another seed gave the same batches");
  g_byte_array_unref(a);
  g_byte_array_unref(b);
  g_byte_array_unref(c);
  g_byte_array_unref(d);
  g_byte_array_unref(e);
  g_array_unref(items);
  source_free(src);
}

/* One training epoch's pixels with the augmentation of `opts` (as the trainer
 * configures its training loader). */
static GByteArray *train_epoch_with(Source *src, GArray *items, const SwellTrainOptions *opts) {
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, opts->size, 5, TRUE);
  swell_train_options_get_augment(opts, &cfg.augment);
  cfg.seed = 5;
  cfg.n_threads = 2;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  GByteArray *all = g_byte_array_new();
  swell_loader_start_epoch(L, 0);
  for (SwellBatch *b; (b = swell_loader_next(L, NULL)); swell_batch_free(b))
    g_byte_array_append(all, (guint8 *)b->x, (guint)(b->n * 3 * opts->size * opts->size * sizeof(float)));
  swell_loader_free(L);
  return all;
}

static gboolean same_bytes(GByteArray *a, GByteArray *b) {
  return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* The fields the trainer's augmentation is made of. */
static gboolean same_augment(const SwellAugmentConfig *a, const SwellAugmentConfig *b) {
  return a->size == b->size && a->random_resized_crop == b->random_resized_crop &&
         a->min_scale == b->min_scale && a->max_scale == b->max_scale && a->do_flip == b->do_flip &&
         a->max_rotate == b->max_rotate && a->min_zoom == b->min_zoom && a->max_zoom == b->max_zoom &&
         a->max_warp == b->max_warp && a->max_lighting == b->max_lighting &&
         a->p_affine == b->p_affine && a->p_lighting == b->p_lighting && a->pad_mode == b->pad_mode;
}

/* Every augmentation switch and value of SwellTrainOptions reaches the training
 * loader: each changes the batches; the defaults are the recipe as it was
 * (RandomResizedCrop min_scale 0.08 + flip only) and augment = FALSE is no
 * augmentation at all. */
static void test_train_options_augment(void) {
  Source *src = source_new();
  make_structured(src);
  GArray *items = make_items(FALSE);
  SwellTrainOptions base;
  swell_train_options_init(&base);
  base.size = 24;
  SwellAugmentConfig got, want;
  swell_train_options_get_augment(&base, &got);
  swell_augment_config_init_default(&want, 24);
  want.max_rotate = want.max_warp = want.max_lighting = 0;
  want.max_zoom = 1.0;
  CHECK(same_augment(&got, &want), "default options: not RandomResizedCrop(0.08) + flip only");
  base.augment = FALSE;
  swell_train_options_get_augment(&base, &got);
  swell_augment_config_init_none(&want, 24);
  CHECK(same_augment(&got, &want), "augment = FALSE is not init_none");
  GByteArray *none = train_epoch_with(src, items, &base);
  base.augment = TRUE;
  GByteArray *ref = train_epoch_with(src, items, &base);
  CHECK(!same_bytes(ref, none), "augment = FALSE gave the augmented batches");
  int changed = 0, cases = 0;
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const SwellAugInfo *info = swell_aug_info(a);
    SwellTrainOptions o = base;
    o.aug.on[a] = !o.aug.on[a]; /* switched the other way */
    GByteArray *b = train_epoch_with(src, items, &o);
    gboolean diff = !same_bytes(ref, b);
    printf("%s %s %s: the batches %s\n", diff ? "ok  " : "FAIL", info->name,
           o.aug.on[a] ? "on" : "off", diff ? "change" : "DO NOT change");
    CHECK(diff, "switching %s does not change the batches", info->name);
    changed += diff;
    cases++;
    g_byte_array_unref(b);
    if (!info->value_name) continue;
    o.aug.on[a] = TRUE;
    GByteArray *at_default = train_epoch_with(src, items, &o);
    o.aug.value[a] = (info->value_default + info->value_max) / 2;
    GByteArray *c = train_epoch_with(src, items, &o);
    diff = !same_bytes(at_default, c);
    printf("%s %s = %g instead of %g: the batches %s\n", diff ? "ok  " : "FAIL", info->value_name,
           o.aug.value[a], info->value_default, diff ? "change" : "DO NOT change");
    CHECK(diff, "%s does not change the batches", info->value_name);
    changed += diff;
    cases++;
    g_byte_array_unref(at_default);
    g_byte_array_unref(c);
  }
  printf("%s %d of %d augmentation options change the training batches\n",
         changed == cases ? "ok  " : "FAIL", changed, cases);
  g_byte_array_unref(ref);
  g_byte_array_unref(none);
  swell_train_options_clear(&base);
  g_array_unref(items);
  source_free(src);
}

static void test_cache_bound(void) {
  Source *src = source_new();
  GArray *items = make_items(FALSE);
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 16, 4, FALSE);
  cfg.n_threads = 2;
  /* A cached image is at most 16 x 48 x 3 bytes + bookkeeping: room for a few. */
  cfg.cache_bytes = 8000;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  for (int e = 0; e < 2; e++) {
    swell_loader_start_epoch(L, e);
    drain_epoch(L, NULL);
  }
  SwellLoaderStats st;
  swell_loader_get_stats(L, &st);
  gboolean ok = st.cache_peak <= cfg.cache_bytes && st.cache_bytes <= cfg.cache_bytes && st.cache_entries > 0 &&
                st.decodes > N_GOOD;
  printf("%s cache bound %zu bytes: peak %zu, now %zu in %zu entries; %" G_GUINT64_FORMAT
         " decodes in 2 epochs (evictions force re-decoding)\n",
         ok ? "ok  " : "FAIL", cfg.cache_bytes, st.cache_peak, st.cache_bytes, st.cache_entries, st.decodes);
  CHECK(ok, "cache bound not respected or not used");
  swell_loader_free(L);
  g_array_unref(items);
  source_free(src);
}

typedef struct {
  SwellLoader *loader;
  int delay_ms;
} CancelArgs;

static gpointer cancel_later(gpointer data) {
  CancelArgs *a = data;
  g_usleep((gulong)a->delay_ms * 1000);
  swell_loader_cancel(a->loader);
  return NULL;
}

static void test_cancel_and_shutdown(void) {
  Source *src = source_new();
  GArray *items = make_items(TRUE);
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 128, 4, TRUE);
  cfg.n_threads = 1;
  cfg.prefetch = 1;
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  swell_loader_start_epoch(L, 0);
  SwellBatch *b = swell_loader_next(L, NULL);
  CHECK(b != NULL, "no first batch");
  swell_batch_free(b);
  /* Cancel while the consumer waits. */
  CancelArgs args = {L, 1};
  GThread *t = g_thread_new("cancel", cancel_later, &args);
  g_autoptr(GError) error = NULL;
  int got = drain_epoch(L, &error);
  g_thread_join(t);
  gboolean cancelled = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  printf("%s cancel from another thread: next() returned NULL with \"%s\" after %d more batches of %zu\n",
         cancelled ? "ok  " : "FAIL", error ? error->message : "(no error)", got, swell_loader_n_batches(L) - 1);
  CHECK(cancelled, "cancel did not stop the epoch");
  /* A new epoch after a cancel runs to the end. */
  swell_loader_start_epoch(L, 1);
  g_clear_error(&error);
  int nb = drain_epoch(L, &error);
  CHECK(error == NULL && nb == (int)swell_loader_n_batches(L), "epoch after cancel: %d batches", nb);
  /* Free in the middle of an epoch, with workers busy. */
  swell_loader_start_epoch(L, 2);
  b = swell_loader_next(L, NULL);
  swell_batch_free(b);
  swell_loader_free(L);
  printf("ok   new epoch after cancel: %d batches; freed mid-epoch with workers busy\n", nb);
  /* Free without ever starting an epoch. */
  L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  swell_loader_free(L);
  /* Empty item list. */
  L = swell_loader_new(&cfg, NULL, 0, fetch, src);
  swell_loader_start_epoch(L, 0);
  CHECK(swell_loader_next(L, NULL) == NULL, "empty loader gave a batch");
  swell_loader_free(L);
  g_array_unref(items);
  source_free(src);
}

static void test_real_photos_equal_eval(void) {
  /* The validation loader's batches are exactly swell_transform_eval() of
   * the decoded photo (the cache holds the short side = size resize). */
  char *dir = sw_test_shared_path("datasets/weather4_small/valid/shine");
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  CHECK(d != NULL, "cannot open %s", dir);
  if (!d) {
    free(dir);
    return;
  }
  Source *src = g_new0(Source, 1);
  src->calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  src->paths = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  g_mutex_init(&src->calls_lock);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  for (const char *n; (n = g_dir_read_name(d));) g_ptr_array_add(names, g_strdup(n));
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  GArray *items = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  for (guint i = 0; i < MIN(names->len, 10); i++) {
    gint64 *k = g_new(gint64, 1);
    *k = i;
    g_hash_table_insert(src->paths, k, g_build_filename(dir, g_ptr_array_index(names, i), NULL));
    SwellLoaderItem it = {i, 2};
    g_array_append_val(items, it);
  }
  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, 224, 4, FALSE);
  SwellLoader *L = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch, src);
  swell_loader_start_epoch(L, 0);
  SwellBatch *b;
  int n = 0, equal = 0;
  float *want = g_new(float, 3 * 224 * 224);
  while ((b = swell_loader_next(L, NULL))) {
    for (int s = 0; s < b->n; s++) {
      const char *p = g_hash_table_lookup(src->paths, &b->ids[s]);
      g_autoptr(SwellRgbImage) img = swell_image_decode_file(p, NULL);
      swell_transform_eval(img, 224, cfg.mean, cfg.std, want);
      equal += memcmp(want, b->x + (gsize)s * 3 * 224 * 224, sizeof(float) * 3 * 224 * 224) == 0;
      n++;
    }
    swell_batch_free(b);
  }
  printf("%s %d real photos: validation batches equal swell_transform_eval bit for bit (%d/%d)\n",
         n == (int)items->len && equal == n ? "ok  " : "FAIL", n, equal, n);
  CHECK(n == (int)items->len && equal == n, "real photos: %d of %d equal", equal, n);
  g_free(want);
  swell_loader_free(L);
  g_array_unref(items);
  g_ptr_array_unref(names);
  source_free(src);
  free(dir);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  test_validation_order_and_bad_images();
  test_training_epochs();
  test_cache_side();
  test_determinism();
  test_train_options_augment();
  test_cache_bound();
  test_cancel_and_shutdown();
  test_real_photos_equal_eval();
  return sw_test_finish();
}
