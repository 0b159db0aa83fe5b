/* swell-loader.h: batches of normalised image tensors, produced ahead of the
 * consumer by a pool of worker threads.
 *
 * The loader walks a list of items {id, label}. For each image it asks the
 * caller for the bytes (the fetch callback, called from the worker threads
 * but always with the loader's fetch mutex held, so one call at a time:
 * reading a blob from SQLite is cheap, decoding is not), decodes them once
 * (swell-image), and keeps a
 * resized copy in a memory cache bounded in bytes (least recently used
 * entries are evicted first):
 *  - training: short side = size + ceil(size * 0.14 / 8) * 8 (fastai's
 *    val_xtra: 256 for 224, about 1.14x; or cfg.cache_side), so random
 *    crops keep some detail;
 *    big JPEGs are decoded with libjpeg's DCT scaling down to no less than
 *    twice that side (swell_image_decode_bytes_reduced), several times faster;
 *    images more elongated than 4:1 keep their central 4:1 part;
 *  - validation: the size x size square of swell_transform_eval_image(), so
 *    batches are exactly swell_transform_eval() (resize + centre crop).
 *
 * Workers keep up to `prefetch` batches made ahead of the consumer; once
 * every batch of the current epoch is made they go on with the first batches
 * of the next epoch (epoch + 1, same permutation and draws as if it were
 * started later), so a consumer that starts that epoch finds its first
 * batches ready. Starting any other epoch drops them.
 *
 * Epochs: training shuffles the items with a permutation seeded by
 * (seed, epoch) and drops the last incomplete batch (fastai's shuffle=True,
 * drop_last=True for the training DataLoader); validation keeps the items in
 * order and keeps the last, smaller batch. Every sample's augmentation draws
 * come from (seed, epoch, item index), so a given seed gives the same
 * batches whatever the number of threads and their timing.
 *
 * An image that cannot be fetched or decoded is reported once (callback
 * and swell_loader_get_bad_items()) and left out of its batch, which is then
 * smaller (a batch left empty is skipped); it is remembered and not fetched
 * again.
 *
 * Output: x is float32 (n, 3, size, size), NCHW, y is int32 labels. */
#pragma once

#include "swell-transforms.h"

G_BEGIN_DECLS

typedef struct {
  gint64 id;
  int label;
} SwellLoaderItem;

/* Returns the encoded image bytes of `id`, or NULL with `error` set. */
typedef GBytes *(*SwellLoaderFetchFunc)(gpointer user_data, gint64 id, GError **error);
/* Called once per bad image, from a worker thread, never concurrently. */
typedef void (*SwellLoaderBadImageFunc)(gpointer user_data, gint64 id, const GError *error);

typedef struct {
  int size;                    /* output side, e.g. 224 */
  int batch_size;              /* e.g. 16 */
  gboolean train;              /* shuffle + drop_last + augmentation; else in order, no drop, eval transform */
  SwellAugmentConfig augment;  /* used when train (swell_augment_config_init_none for no augmentation) */
  float mean[3], std[3];       /* the model's normalisation */
  guint64 seed;
  int n_threads;               /* worker threads; 0 = produce in the caller's thread */
  int prefetch;                /* batches produced ahead of the consumer (2..4 is plenty) */
  gsize cache_bytes;           /* bound of the decoded-image cache */
  int cache_side;              /* training only: short side of the cached copies; 0 = the default
                                  below (larger keeps more detail for small random crops, costs
                                  memory as its square) */
} SwellLoaderConfig;

/* Defaults: fastai augmentation when train, ImageNet mean/std, seed 0,
 * 2 threads, 3 batches ahead, a 512 MiB cache. */
void swell_loader_config_init(SwellLoaderConfig *cfg, int size, int batch_size, gboolean train);

/* The cache's short side for a configuration (see above). */
int swell_loader_cache_side(const SwellLoaderConfig *cfg);

typedef struct {
  int n;        /* samples in the batch */
  int size;
  int epoch;
  int index;    /* batch index within the epoch */
  float *x;     /* n * 3 * size * size */
  gint32 *y;    /* n labels */
  gint64 *ids;  /* n item ids */
} SwellBatch;

void swell_batch_free(SwellBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellBatch, swell_batch_free)

typedef struct _SwellLoader SwellLoader;

/* Copies `items`. The threads start at once and wait for an epoch. */
SwellLoader *swell_loader_new(const SwellLoaderConfig *cfg, const SwellLoaderItem *items,
                              gsize n_items, SwellLoaderFetchFunc fetch, gpointer fetch_data);
/* Set before the first epoch. */
void swell_loader_set_bad_image_func(SwellLoader *loader, SwellLoaderBadImageFunc func,
                                     gpointer user_data);

gsize swell_loader_n_items(const SwellLoader *loader);
/* Batches per epoch (before bad images are left out). */
gsize swell_loader_n_batches(const SwellLoader *loader);

/* Starts producing the batches of `epoch` (any unfinished epoch is dropped). */
void swell_loader_start_epoch(SwellLoader *loader, int epoch);
/* The next batch of the epoch, in order, waiting for it if needed. Returns
 * NULL at the end of the epoch (error unset), or when cancelled (error
 * G_IO_ERROR_CANCELLED). */
SwellBatch *swell_loader_next(SwellLoader *loader, GError **error);
/* From any thread: stops the current epoch; a waiting swell_loader_next()
 * returns at once. The next swell_loader_start_epoch() clears it. */
void swell_loader_cancel(SwellLoader *loader);
/* Stops and joins the threads, frees everything. */
void swell_loader_free(SwellLoader *loader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellLoader, swell_loader_free)

typedef struct {
  gint64 id;
  char *message;
} SwellLoaderBadItem;

/* Copies of the bad images seen so far; free with swell_loader_bad_items_free(). */
SwellLoaderBadItem *swell_loader_get_bad_items(SwellLoader *loader, gsize *n);
void swell_loader_bad_items_free(SwellLoaderBadItem *items, gsize n);

typedef struct {
  guint64 decodes;      /* images decoded (cache misses that fetched + decoded) */
  guint64 cache_hits;
  gsize cache_bytes;    /* bytes held now */
  gsize cache_peak;     /* most bytes ever held */
  gsize cache_entries;
  double wait_seconds;  /* time swell_loader_next() spent waiting for a batch not yet made */
  guint64 ahead_batches; /* batches made before their epoch was started (lookahead) */
  gsize ahead_ready;     /* batches of the next epoch ready now */
} SwellLoaderStats;

void swell_loader_get_stats(SwellLoader *loader, SwellLoaderStats *stats);

G_END_DECLS
