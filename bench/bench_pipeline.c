/* bench_pipeline.c: images per second delivered by SwellLoader as augmented
 * batches (fastai default augmentation), first epoch (cold cache: every image
 * fetched and decoded) and later epochs (warm cache), on a folder laid out
 * <class>/<files> (default: weather4_small/train from the shared data).
 *
 *   bench_pipeline [--dir DIR] [--threads N] [--epochs N] [--batch N] [--size N] [--step-ms MS]
 *
 * The fetch callback reads the file from disk, as the project store reads a
 * blob from SQLite. The consumer does nothing but take the batches, so this
 * is the loader's delivery rate. Besides wall-clock images/s it prints the
 * process CPU time per image (all threads): on a shared machine that figure
 * is steadier, and 1000 / (CPU ms per image) is the rate one free core gives.
 *
 * --step-ms MS makes the consumer spend MS milliseconds of CPU per batch,
 * standing in for a training step; the bench then reports how long the
 * consumer waited for batches (0 means the engine would never wait). */

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "swell-loader.h"

volatile float bench_sink; /* keeps the consumer's busy work from being optimised away */

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef struct {
  GPtrArray *paths;
} Dataset;

static GBytes *fetch_file(gpointer user_data, gint64 id, GError **error) {
  Dataset *ds = user_data;
  gchar *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(g_ptr_array_index(ds->paths, id), &data, &len, error)) return NULL;
  return g_bytes_new_take(data, len);
}

int main(int argc, char **argv) {
  g_autofree char *dir = NULL;
  int threads = 2, epochs = 4, batch = 16, size = 224, step_ms = 0;
  GOptionEntry entries[] = {
      {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "dataset folder with <class>/<files>", "DIR"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "worker threads (2)", "N"},
      {"epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "epochs (4)", "N"},
      {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch size (16)", "N"},
      {"size", 0, 0, G_OPTION_ARG_INT, &size, "image side (224)", "N"},
      {"step-ms", 0, 0, G_OPTION_ARG_INT, &step_ms, "consumer CPU work per batch, ms (0)", "MS"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new("- SwellLoader throughput");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "bench_pipeline: %s\n", error->message);
    return 2;
  }
  if (!dir) {
    const char *shared = g_getenv("SWELL_SHARED");
    dir = g_build_filename(shared ? shared : SWELL_SHARED_DIR, "datasets", "weather4_small", "train", NULL);
  }

  Dataset ds = {g_ptr_array_new_with_free_func(g_free)};
  GArray *items = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  g_autoptr(GDir) top = g_dir_open(dir, 0, &error);
  if (!top) {
    fprintf(stderr, "bench_pipeline: %s\n", error->message);
    return 2;
  }
  GPtrArray *classes = g_ptr_array_new_with_free_func(g_free);
  for (const char *n; (n = g_dir_read_name(top));) g_ptr_array_add(classes, g_strdup(n));
  g_ptr_array_sort(classes, (GCompareFunc)g_strcmp0);
  for (guint c = 0; c < classes->len; c++) {
    g_autofree char *cdir = g_build_filename(dir, g_ptr_array_index(classes, c), NULL);
    GDir *d = g_dir_open(cdir, 0, NULL);
    if (!d) continue;
    for (const char *n; (n = g_dir_read_name(d));) {
      SwellLoaderItem it = {(gint64)ds.paths->len, (int)c};
      g_ptr_array_add(ds.paths, g_build_filename(cdir, n, NULL));
      g_array_append_val(items, it);
    }
    g_dir_close(d);
  }
  printf("dataset: %s: %u images, %u classes\n", dir, items->len, classes->len);

  SwellLoaderConfig cfg;
  swell_loader_config_init(&cfg, size, batch, TRUE);
  cfg.n_threads = threads;
  cfg.seed = 1;
  SwellLoader *loader = swell_loader_new(&cfg, (SwellLoaderItem *)items->data, items->len, fetch_file, &ds);
  printf("batches of %d, %dx%d, fastai default augmentation, %d worker threads, cache side %d\n", batch,
         size, size, threads, swell_loader_cache_side(&cfg));
  for (int e = 0; e < epochs; e++) {
    gint64 t0 = g_get_monotonic_time();
    double c0 = cpu_seconds();
    swell_loader_start_epoch(loader, e);
    int images = 0, nb = 0;
    SwellBatch *b;
    double wait0 = 0;
    {
      SwellLoaderStats st0;
      swell_loader_get_stats(loader, &st0);
      wait0 = st0.wait_seconds;
    }
    while ((b = swell_loader_next(loader, NULL))) {
      images += b->n;
      nb++;
      if (step_ms > 0) {
        /* Busy work on the batch, like a training step would do. */
        gint64 end = g_get_monotonic_time() + (gint64)step_ms * 1000;
        float sum = 0;
        while (g_get_monotonic_time() < end)
          for (int i = 0; i < 4096; i++) sum += b->x[i];
        bench_sink = sum;
      }
      swell_batch_free(b);
    }
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    double cpu = cpu_seconds() - c0;
    SwellLoaderStats st;
    swell_loader_get_stats(loader, &st);
    if (step_ms > 0)
      printf("epoch %d (%s): %d images in %d batches, %.2f s; the consumer waited %.3f s for batches\n", e + 1,
             e == 0 ? "cold cache" : "warm cache", images, nb, secs, st.wait_seconds - wait0);
    else
      printf("epoch %d (%s): %d images in %d batches, %.2f s, %.1f images/s; CPU %.2f ms/image "
             "(%.0f images/s per free core); decoded so far %" G_GUINT64_FORMAT ", cache %.1f MB\n",
             e + 1, e == 0 ? "cold cache" : "warm cache", images, nb, secs, images / secs, 1000 * cpu / images,
             images / cpu, st.decodes, st.cache_bytes / 1e6);
  }
  gsize nbad = 0;
  SwellLoaderBadItem *bad = swell_loader_get_bad_items(loader, &nbad);
  for (gsize i = 0; i < nbad; i++) printf("bad image: %s\n", bad[i].message);
  swell_loader_bad_items_free(bad, nbad);
  swell_loader_free(loader);
  g_array_unref(items);
  g_ptr_array_unref(classes);
  g_ptr_array_unref(ds.paths);
  return 0;
}
