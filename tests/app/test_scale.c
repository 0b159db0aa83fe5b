/* test_scale.c: memory bounded at scale (issue 14, item 4).
 *
 * Writes 10,000 JPEGs of mixed sizes into four class folders: most of
 * 64-640 px, 6% of 2-3 megapixels and 2% of 12 megapixels (4000x3000 and
 * the like, 2.5 MB each as phone photos). A few dozen distinct pictures are
 * encoded once; every file is one of them with its own JPEG comment segment,
 * so every file has its own SHA-256 and is imported (and fully decoded) as a
 * new image.
 *
 * Each phase runs in a forked child, so its peak RSS (wait4's ru_maxrss) is
 * its own:
 *  - import: the folder into a new project in one swell_import_paths() call
 *    with one worker per processor, what swell-cli import does; peak RSS
 *    < 300 MB;
 *  - import of 96 of the 12-megapixel files on 16 workers, as on a laptop
 *    with 16 hardware threads: peak RSS < 300 MB too (before the import
 *    bounded its decodes and held file bytes whatever the number of threads,
 *    it grew with them: 318 MB on 8);
 *  - loaders: the trainer's two loaders (training: augmentation, shuffle,
 *    drop_last; validation: resize + centre crop; worker threads, prefetch)
 *    over the imported images for two epochs, with a decoded-image cache
 *    bound far below the decoded data; the cache's high-water mark stays
 *    within its bound, it did evict (more decodes than images), and peak RSS
 *    stays under the RSS before the loaders + both bounds + a full-size
 *    12-megapixel decode per validation worker + 64 MB.
 * The images and the projects are deleted at the end. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swell-import.h"
#include "swell-loader.h"
#include "swell-project.h"
#include "testutil.h"

#define N_IMAGES 10000
#define N_CLASSES 4
#define IMPORT_LIMIT_MB 300
#define TRAIN_SIZE 64
#define BATCH 16
#define EPOCHS 2
/* Per loader; the training copies (80 px short side) of 8,000 images need
 * about 200 MB, so the training cache must evict. */
#define CACHE_BOUND ((gsize)32 * 1024 * 1024)
#define RSS_SLACK_MB 64
/* A validation worker decodes at full size: 12 megapixels at 4 bytes each. */
#define DECODE_MB 48

typedef struct {
  char *images;  /* the generated folder */
  char *project; /* the project file */
} Scale;

/* ------------------------------------------------------------- memory */

/* A field of /proc/self/status ("VmRSS", "VmHWM") in KiB, or -1. */
static long status_kib(const char *field) {
  g_autofree char *text = NULL;
  if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL)) return -1;
  g_autofree char *key = g_strconcat("\n", field, ":", NULL);
  const char *p = strstr(text, key);
  return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

typedef void (*PhaseFunc)(Scale *s);

/* Runs `f` in a forked child; returns its peak RSS in KiB (-1 when it
 * failed: its checks are counted here as one failure). */
static long run_phase(const char *what, PhaseFunc f, Scale *s) {
  fflush(stdout);
  fflush(stderr);
  gint64 t0 = g_get_monotonic_time();
  pid_t pid = fork();
  if (pid < 0) {
    CHECK(pid >= 0, "fork for %s: %s", what, g_strerror(errno));
    return -1;
  }
  if (pid == 0) {
    sw_test_failures = 0; /* the child's own checks */
    f(s);
    fflush(stdout);
    fflush(stderr);
    _exit(sw_test_failures ? 1 : 0);
  }
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  gboolean ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  printf("%s %s: %.1f s, peak RSS %.1f MB (user %.1f s, system %.1f s)\n", ok ? "ok  " : "FAIL",
         what, secs, ru.ru_maxrss / 1024.0, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
         ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  CHECK(ok, "%s: the child failed (status %d)", what, status);
  return ok ? ru.ru_maxrss : -1;
}

/* ------------------------------------------------------------- images */

/* A smooth colour field with noise of +-noise/2 (32 gives a 12-megapixel
 * picture 2.5 MB, as a phone photo), encoded once at quality 85. */
static GBytes *encode_picture(int w, int h, guint32 seed, int noise) {
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  guint8 *px = gdk_pixbuf_get_pixels(pb);
  int stride = gdk_pixbuf_get_rowstride(pb);
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  g_autofree int *tx = g_new(int, (gsize)w * 3);
  g_autofree int *ty = g_new(int, (gsize)h * 3);
  for (int c = 0; c < 3; c++) {
    double fx = g_rand_double_range(rand, 1, 9) * G_PI / w, fy = g_rand_double_range(rand, 1, 9) * G_PI / h;
    double px0 = g_rand_double_range(rand, 0, 6), py0 = g_rand_double_range(rand, 0, 6);
    for (int x = 0; x < w; x++) tx[x * 3 + c] = (int)(60 * sin(fx * x + px0));
    for (int y = 0; y < h; y++) ty[y * 3 + c] = 128 + (int)(60 * cos(fy * y + py0));
  }
  guint32 state = seed * 2654435761u + 1;
  for (int y = 0; y < h; y++) {
    guint8 *row = px + (gsize)y * stride;
    for (int x = 0; x < w * 3; x++) {
      state = state * 1664525u + 1013904223u;
      int v = ty[y * 3 + x % 3] + tx[x] + (int)((state >> 24) % (guint32)noise) - noise / 2;
      row[x] = (guint8)CLAMP(v, 0, 255);
    }
  }
  gchar *buf = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!gdk_pixbuf_save_to_buffer(pb, &buf, &len, "jpeg", &error, "quality", "85", NULL)) {
    fprintf(stderr, "cannot encode a %dx%d JPEG: %s\n", w, h, error->message);
    exit(1);
  }
  return g_bytes_new_take(buf, len);
}

#define N_LARGE 4
#define N_MEDIUM 8
#define N_SMALL 52

/* File i: every 50th a 12-megapixel picture, 3 in 50 a 2-3 megapixel one,
 * the rest small. */
static guint picture_of(guint i) {
  guint r = i % 50, k = i / 50;
  if (r == 0) return k % N_LARGE;
  if (r <= 3) return N_LARGE + (k * 3 + r) % N_MEDIUM;
  return N_LARGE + N_MEDIUM + (k * 47 + r) % N_SMALL;
}

static GBytes **make_pictures(void) {
  static const int large[N_LARGE][2] = {{4000, 3000}, {3000, 4000}, {3464, 3464}, {4000, 2992}};
  static const int medium[N_MEDIUM][2] = {{2048, 1536}, {1536, 2048}, {1920, 1080}, {1600, 1600},
                                          {2000, 1500}, {1080, 1920}, {1800, 1200}, {1200, 1800}};
  GBytes **pics = g_new0(GBytes *, N_LARGE + N_MEDIUM + N_SMALL);
  for (int i = 0; i < N_LARGE; i++) pics[i] = encode_picture(large[i][0], large[i][1], 100 + i, 32);
  for (int i = 0; i < N_MEDIUM; i++)
    pics[N_LARGE + i] = encode_picture(medium[i][0], medium[i][1], 200 + i, 8);
  g_autoptr(GRand) rand = g_rand_new_with_seed(14);
  for (int i = 0; i < N_SMALL; i++) {
    int w = g_rand_int_range(rand, 64, 641), h = g_rand_int_range(rand, 64, 641);
    pics[N_LARGE + N_MEDIUM + i] = encode_picture(w, h, 300 + i, 8);
  }
  return pics;
}

/* The picture with a comment segment (FF FE, length, text) right after
 * its SOI marker: still a valid JPEG, with its own SHA-256. */
static void write_jpeg(const char *path, GBytes *pic, guint i) {
  gsize len;
  const guint8 *d = g_bytes_get_data(pic, &len);
  char text[32];
  int n = g_snprintf(text, sizeof text, "swell-scale %05u", i);
  guint8 head[6] = {0xFF, 0xD8, 0xFF, 0xFE, (guint8)((n + 2) >> 8), (guint8)(n + 2)};
  FILE *f = fopen(path, "wb");
  gboolean ok = f && fwrite(head, 1, sizeof head, f) == sizeof head &&
                fwrite(text, 1, (gsize)n, f) == (gsize)n && fwrite(d + 2, 1, len - 2, f) == len - 2;
  if (f && fclose(f) != 0) ok = FALSE;
  if (!ok) {
    fprintf(stderr, "cannot write %s: %s\n", path, g_strerror(errno));
    exit(1);
  }
}

static void phase_generate(Scale *s) {
  GBytes **pics = make_pictures();
  guint64 total = 0;
  for (int c = 0; c < N_CLASSES; c++) {
    g_autofree char *name = g_strdup_printf("class%d", c);
    g_autofree char *dir = g_build_filename(s->images, name, NULL);
    g_mkdir_with_parents(dir, 0755);
  }
  for (guint i = 0; i < N_IMAGES; i++) {
    g_autofree char *name = g_strdup_printf("class%u/img%05u.jpg", i % N_CLASSES, i);
    g_autofree char *path = g_build_filename(s->images, name, NULL);
    GBytes *pic = pics[picture_of(i)];
    write_jpeg(path, pic, i);
    total += g_bytes_get_size(pic) + 20;
  }
  printf("     wrote %d JPEGs, %.0f MB\n", N_IMAGES, total / 1e6);
  for (int i = 0; i < N_LARGE + N_MEDIUM + N_SMALL; i++) g_bytes_unref(pics[i]);
  g_free(pics);
}

/* ------------------------------------------------------------- import */

/* Imports `paths` into a new project with `n_threads` workers (0: one per
 * processor, as swell-cli import) and checks that all `n` were imported. */
static void import_into(const char *project, const char *const *paths, guint n_threads, guint n) {
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_create(project, &error);
  CHECK(p != NULL, "create %s: %s", project, error ? error->message : "?");
  if (!p) return;
  SwellImportOptions opts;
  swell_import_options_init(&opts);
  opts.n_threads = n_threads;
  g_autoptr(SwellImportResult) r = swell_import_paths(p, paths, &opts, NULL, NULL, NULL, &error);
  CHECK(r != NULL, "import: %s", error ? error->message : "?");
  if (!r) return;
  g_autofree char *summary = swell_import_result_summary(r);
  printf("     %s\n", summary);
  CHECK(r->n_imported == n && r->n_rejected == 0 && r->n_duplicates == 0, "%s", summary);
}

static void phase_import(Scale *s) {
  const char *paths[] = {s->images, NULL};
  import_into(s->project, paths, 0, N_IMAGES);
}

/* The largest files only (every 50th), given one by one, on 16 workers (what
 * swell-cli import uses on a laptop with 8 cores and 16 hardware threads):
 * memory must not grow with the threads. */
#define N_LARGE_FILES 96
#define N_LARGE_THREADS 16
static void phase_import_large(Scale *s) {
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < N_LARGE_FILES * 50; i += 50)
    g_ptr_array_add(paths, g_strdup_printf("%s/class%u/img%05u.jpg", s->images, i % N_CLASSES, i));
  g_ptr_array_add(paths, NULL);
  g_autofree char *project = g_strconcat(s->project, "-large", NULL);
  import_into(project, (const char *const *)paths->pdata, N_LARGE_THREADS, N_LARGE_FILES);
  g_unlink(project);
}

/* ------------------------------------------------------------- loaders */

/* Both loaders fetch through one connection, which is not for two threads
 * at once: one fetch at a time, as the trainer's fetch_image does. */
static GMutex fetch_lock;

static GBytes *fetch(gpointer data, gint64 id, GError **error) {
  g_mutex_lock(&fetch_lock);
  GBytes *bytes = swell_project_get_image_bytes(SWELL_PROJECT(data), id, error);
  g_mutex_unlock(&fetch_lock);
  return bytes;
}

/* The labeled images of `split`, labels = category index. */
static GArray *split_items(SwellProject *p, SwellSplit split, GHashTable *class_of) {
  SwellImageQuery q = {SWELL_CATEGORY_LABELED, (int)split, 0, 0};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) imgs = swell_project_list_images(p, &q, &error);
  GArray *items = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  CHECK(imgs != NULL, "list images: %s", error ? error->message : "?");
  for (guint i = 0; imgs && i < imgs->len; i++) {
    const SwellProjectImage *img = imgs->pdata[i];
    gpointer key = GINT_TO_POINTER((int)img->category_id);
    if (!g_hash_table_contains(class_of, key))
      g_hash_table_insert(class_of, key, GINT_TO_POINTER(g_hash_table_size(class_of)));
    SwellLoaderItem it = {img->id, GPOINTER_TO_INT(g_hash_table_lookup(class_of, key))};
    g_array_append_val(items, it);
  }
  return items;
}

/* One epoch of `L`: the samples it gave (every batch checked). */
static gsize run_epoch(SwellLoader *L, int epoch, int n_classes) {
  swell_loader_start_epoch(L, epoch);
  gsize n = 0;
  g_autoptr(GError) error = NULL;
  for (SwellBatch *b; (b = swell_loader_next(L, &error)); swell_batch_free(b)) {
    CHECK(b->size == TRAIN_SIZE && b->n > 0 && b->n <= BATCH, "batch %d: n %d size %d", b->index,
          b->n, b->size);
    for (int i = 0; i < b->n; i++) CHECK(b->y[i] >= 0 && b->y[i] < n_classes, "label %d", b->y[i]);
    n += (gsize)b->n;
  }
  CHECK(error == NULL, "epoch %d: %s", epoch, error ? error->message : "");
  return n;
}

static void check_loader(SwellLoader *L, const char *what, gsize n_items) {
  SwellLoaderStats st;
  swell_loader_get_stats(L, &st);
  gsize nbad = 0;
  SwellLoaderBadItem *bad = swell_loader_get_bad_items(L, &nbad);
  printf("     %s: %zu images, %" G_GUINT64_FORMAT " decodes, %" G_GUINT64_FORMAT
         " cache hits, cache high-water mark %.1f MB of %.1f MB (%zu entries now)\n",
         what, n_items, st.decodes, st.cache_hits, st.cache_peak / 1048576.0,
         CACHE_BOUND / 1048576.0, st.cache_entries);
  CHECK(nbad == 0, "%s: %zu bad images (%s)", what, nbad, nbad ? bad[0].message : "");
  swell_loader_bad_items_free(bad, nbad);
  CHECK(st.cache_peak > 0 && st.cache_peak <= CACHE_BOUND, "%s: cache high-water mark %zu > bound %zu",
        what, st.cache_peak, CACHE_BOUND);
}

static void phase_loaders(Scale *s) {
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_open(s->project, &error);
  CHECK(p != NULL, "open %s: %s", s->project, error ? error->message : "?");
  if (!p) return;
  g_autoptr(GHashTable) class_of = g_hash_table_new(NULL, NULL);
  GArray *items[2] = {split_items(p, SWELL_SPLIT_TRAIN, class_of),
                      split_items(p, SWELL_SPLIT_VALID, class_of)};
  CHECK(items[0]->len + items[1]->len == N_IMAGES && items[1]->len > 0, "%u train + %u valid",
        items[0]->len, items[1]->len);
  long rss0 = status_kib("VmRSS");
  SwellLoader *L[2];
  long n_threads = 0;
  for (int k = 0; k < 2; k++) {
    SwellLoaderConfig cfg;
    swell_loader_config_init(&cfg, TRAIN_SIZE, BATCH, k == 0);
    cfg.cache_bytes = CACHE_BOUND;
    if (!cfg.train) n_threads = cfg.n_threads; /* training decodes JPEGs at 1/8 scale */
    L[k] = swell_loader_new(&cfg, (const SwellLoaderItem *)(void *)items[k]->data, items[k]->len,
                            fetch, p);
  }
  for (int e = 0; e < EPOCHS; e++) {
    gsize nt = run_epoch(L[0], e, N_CLASSES), nv = run_epoch(L[1], e, N_CLASSES);
    CHECK(nt == items[0]->len / BATCH * BATCH && nv == items[1]->len, "epoch %d: %zu + %zu samples",
          e, nt, nv);
  }
  check_loader(L[0], "training", items[0]->len);
  check_loader(L[1], "validation", items[1]->len);
  SwellLoaderStats st;
  swell_loader_get_stats(L[0], &st);
  CHECK(st.decodes > items[0]->len, "the training cache never evicted (%" G_GUINT64_FORMAT
        " decodes of %u images): the bound is not exercised", st.decodes, items[0]->len);
  long peak = status_kib("VmHWM");
  long limit = rss0 + (long)(2 * CACHE_BOUND / 1024) + (n_threads * DECODE_MB + RSS_SLACK_MB) * 1024L;
  printf("     RSS before the loaders %.1f MB, peak %.1f MB, limit %.1f MB\n", rss0 / 1024.0,
         peak / 1024.0, limit / 1024.0);
  CHECK(peak > 0 && peak <= limit, "loaders: peak RSS %.1f MB over %.1f MB", peak / 1024.0,
        limit / 1024.0);
  for (int k = 0; k < 2; k++) {
    swell_loader_free(L[k]);
    g_array_unref(items[k]);
  }
}

/* ------------------------------------------------------------- main */

static void remove_tree(const char *path) {
  GDir *dir = g_dir_open(path, 0, NULL);
  if (dir) {
    for (const char *name; (name = g_dir_read_name(dir));) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    g_dir_close(dir);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* meson test sets MALLOC_PERTURB_, which writes every byte malloc hands out
   * and frees, so pages the program never touches would count in its RSS
   * (the 8-thread import: 259 MB with it, 158 MB without): measure the
   * program's own memory. */
  mallopt(M_PERTURB, 0);
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  g_mkdir_with_parents(base, 0755);
  g_autofree char *tmpl = g_build_filename(base, "test_scale-XXXXXX", NULL);
  char *tmpdir = g_mkdtemp(tmpl);
  if (!tmpdir) return 1;
  Scale s = {g_build_filename(tmpdir, "images", NULL), g_build_filename(tmpdir, "scale.swell", NULL)};
  long gen = run_phase("generate 10,000 JPEGs", phase_generate, &s);
  long imp = gen > 0 ? run_phase("import 10,000 JPEGs", phase_import, &s) : -1;
  if (imp > 0) {
    CHECK(imp < IMPORT_LIMIT_MB * 1024L, "import: peak RSS %.1f MB, the limit is %d MB",
          imp / 1024.0, IMPORT_LIMIT_MB);
    long big = run_phase("import 96 12-megapixel JPEGs, 16 threads", phase_import_large, &s);
    CHECK(big > 0 && big < IMPORT_LIMIT_MB * 1024L,
          "import of 12-megapixel photos on %d threads: peak RSS %.1f MB, the limit is %d MB",
          N_LARGE_THREADS, big / 1024.0, IMPORT_LIMIT_MB);
    run_phase("loaders, 2 epochs", phase_loaders, &s);
  }
  remove_tree(tmpdir);
  g_free(s.images);
  g_free(s.project);
  return sw_test_finish();
}
