/* swell-loader.c: the threaded batch loader (see swell-loader.h). */
#include "swell-loader.h"

#include <glib/gi18n.h>
#include <string.h>

#include "swell-config.h"

/* A decoded, resized image shared between the cache and the workers using it. */
typedef struct {
  gint64 id;
  SwellRgbImage *img;
  gsize bytes;
  int refs;        /* under cache_lock */
  gboolean cached; /* in the table / LRU list */
  GList link;      /* LRU node, data = entry; head = most recent */
} CacheEntry;

/* The batches of one epoch. Heap-allocated so a worker can hold a pointer
 * while it produces; a slot is only freed once its in-flight count is 0. */
typedef struct {
  int epoch;
  gint valid;          /* atomic: FALSE once dropped (workers abandon its batches) */
  guint32 *order;      /* item indices in epoch order */
  SwellBatch **ready;  /* n_batches slots */
  gsize next_produce;
  int in_flight;
} EpochSlot;

struct _SwellLoader {
  SwellLoaderConfig cfg;
  int cache_side;
  SwellLoaderItem *items;
  gsize n_items;
  SwellLoaderFetchFunc fetch;
  gpointer fetch_data;
  SwellLoaderBadImageFunc bad_func;
  gpointer bad_data;

  GMutex fetch_lock; /* serialises fetch() and bad_func() */

  GMutex cache_lock;
  GHashTable *cache; /* id -> CacheEntry */
  GQueue lru;
  gsize cache_used, cache_peak;
  guint64 decodes, hits;
  GHashTable *bad;   /* id -> message (char*) */
  GHashTable *pending; /* ids being fetched/decoded now */
  GCond cache_cond;  /* signalled when a pending id is done */
  GArray *bad_list;  /* SwellLoaderBadItem, in report order */

  GMutex lock;
  GCond cond;
  GThread **threads;
  int n_threads;
  gboolean shutdown;
  gint cancelled; /* atomic */
  gsize n_batches;
  EpochSlot *cur;       /* the epoch being consumed, NULL before the first */
  EpochSlot *nxt;       /* epoch cur + 1, produced ahead once cur is all made */
  gsize next_consume;   /* next batch of cur to hand out */
  gint64 wait_us;       /* consumer time spent waiting (under lock) */
  guint64 ahead_used;   /* batches made ahead for an epoch that was then started */
};

void swell_loader_config_init(SwellLoaderConfig *cfg, int size, int batch_size, gboolean train) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = size;
  cfg->batch_size = batch_size;
  cfg->train = train;
  swell_augment_config_init_default(&cfg->augment, size);
  memcpy(cfg->mean, SWELL_IMAGENET_MEAN, sizeof cfg->mean);
  memcpy(cfg->std, SWELL_IMAGENET_STD, sizeof cfg->std);
  cfg->seed = 0;
  cfg->n_threads = 2;
  cfg->prefetch = 3;
  cfg->cache_bytes = (gsize)512 * 1024 * 1024;
}

int swell_loader_cache_side(const SwellLoaderConfig *cfg) {
  if (!cfg->train) return cfg->size;
  if (cfg->cache_side > 0) return MAX(cfg->cache_side, cfg->size);
  /* fastai RandomResizedCrop's val_xtra = 0.14, rounded up to a multiple of 8. */
  int xtra = (int)((cfg->size * 0.14 + 7.999999) / 8.0) * 8;
  return cfg->size + xtra;
}

void swell_batch_free(SwellBatch *b) {
  if (!b) return;
  g_free(b->x);
  g_free(b->y);
  g_free(b->ids);
  g_free(b);
}

/* ----------------------------------------------------------------- cache */

static void entry_unref_locked(SwellLoader *L, CacheEntry *e) {
  if (--e->refs > 0) return;
  g_assert(!e->cached);
  swell_rgb_image_free(e->img);
  g_free(e);
}

static void entry_release(SwellLoader *L, CacheEntry *e) {
  g_mutex_lock(&L->cache_lock);
  entry_unref_locked(L, e);
  g_mutex_unlock(&L->cache_lock);
}

static void evict_one_locked(SwellLoader *L) {
  GList *tail = L->lru.tail;
  CacheEntry *e = tail->data;
  g_queue_unlink(&L->lru, tail);
  g_hash_table_remove(L->cache, &e->id);
  e->cached = FALSE;
  L->cache_used -= e->bytes;
  entry_unref_locked(L, e);
}

static void report_bad(SwellLoader *L, gint64 id, const GError *error) {
  g_mutex_lock(&L->cache_lock);
  gboolean is_new = !g_hash_table_contains(L->bad, &id);
  if (is_new) {
    gint64 *key = g_new(gint64, 1);
    *key = id;
    g_hash_table_insert(L->bad, key, g_strdup(error->message));
    SwellLoaderBadItem item = {id, g_strdup(error->message)};
    g_array_append_val(L->bad_list, item);
  }
  g_mutex_unlock(&L->cache_lock);
  if (is_new && L->bad_func) {
    g_mutex_lock(&L->fetch_lock);
    L->bad_func(L->bad_data, id, error);
    g_mutex_unlock(&L->fetch_lock);
  }
}

/* The resized image of `id` with a reference held, or NULL if the image is
 * bad (reported). */
static CacheEntry *load_image(SwellLoader *L, gint64 id);

static CacheEntry *acquire_image(SwellLoader *L, gint64 id) {
  g_mutex_lock(&L->cache_lock);
  for (;;) {
    if (g_hash_table_contains(L->bad, &id)) {
      g_mutex_unlock(&L->cache_lock);
      return NULL;
    }
    CacheEntry *e = g_hash_table_lookup(L->cache, &id);
    if (e) {
      e->refs++;
      L->hits++;
      g_queue_unlink(&L->lru, &e->link);
      g_queue_push_head_link(&L->lru, &e->link);
      g_mutex_unlock(&L->cache_lock);
      return e;
    }
    if (!g_hash_table_contains(L->pending, &id)) break;
    /* Another worker is decoding it (an epoch made ahead can meet the same
     * image as the current one): wait instead of decoding it twice. */
    g_cond_wait(&L->cache_cond, &L->cache_lock);
  }
  gint64 *key = g_new(gint64, 1);
  *key = id;
  g_hash_table_add(L->pending, key);
  g_mutex_unlock(&L->cache_lock);

  CacheEntry *e = load_image(L, id);

  g_mutex_lock(&L->cache_lock);
  g_hash_table_remove(L->pending, &id);
  g_cond_broadcast(&L->cache_cond);
  g_mutex_unlock(&L->cache_lock);
  return e;
}

/* Fetches, decodes and resizes `id`, inserts it in the cache when it fits;
 * returns it with a reference held, or NULL after reporting it bad. */
static CacheEntry *load_image(SwellLoader *L, gint64 id) {
  CacheEntry *e;
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&L->fetch_lock);
  GBytes *bytes = L->fetch(L->fetch_data, id, &error);
  g_mutex_unlock(&L->fetch_lock);
  if (!bytes) {
    if (!error)
      g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("image %lld: no data"), (long long)id);
    report_bad(L, id, error);
    return NULL;
  }
  g_autofree char *name = g_strdup_printf(_("image %lld"), (long long)id);
  /* Training may let libjpeg decode big photos at a reduced scale (still at
   * least twice the cache side, which the antialiased resize then brings
   * down); validation decodes at full size so it equals swell_transform_eval. */
  int min_side = L->cfg.train ? 2 * L->cache_side : 0;
  g_autoptr(SwellRgbImage) full = swell_image_decode_bytes_reduced(bytes, name, min_side, &error);
  g_bytes_unref(bytes);
  if (!full) {
    report_bad(L, id, error);
    return NULL;
  }
  SwellRgbImage *small;
  if (!L->cfg.train) {
    /* Validation needs exactly the evaluation square. */
    small = swell_transform_eval_image(full, L->cfg.size);
  } else {
    small = swell_transform_train_image(full, L->cache_side);
  }
  if (!small) {
    g_set_error(&error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_FAILED,
                _("%s: not enough memory to resize the image"), name);
    report_bad(L, id, error);
    return NULL;
  }
  e = g_new0(CacheEntry, 1);
  e->id = id;
  e->img = small;
  e->bytes = swell_rgb_image_size_bytes(small) + sizeof *e;
  e->refs = 1; /* ours */
  e->link.data = e;

  g_mutex_lock(&L->cache_lock);
  L->decodes++;
  CacheEntry *other = g_hash_table_lookup(L->cache, &id);
  if (!other && e->bytes <= L->cfg.cache_bytes) {
    while (L->cache_used + e->bytes > L->cfg.cache_bytes && L->lru.tail) evict_one_locked(L);
    e->refs++; /* the cache's */
    e->cached = TRUE;
    g_hash_table_insert(L->cache, &e->id, e);
    g_queue_push_head_link(&L->lru, &e->link);
    L->cache_used += e->bytes;
    if (L->cache_used > L->cache_peak) L->cache_peak = L->cache_used;
  }
  g_mutex_unlock(&L->cache_lock);
  return e;
}

/* ------------------------------------------------------------- producing */

/* Returns NULL when interrupted (cancel, or the slot was dropped). */
static SwellBatch *produce_batch(SwellLoader *L, EpochSlot *slot, gsize b) {
  const int S = L->cfg.size;
  const gsize per = (gsize)3 * S * S;
  const int epoch = slot->epoch;
  gsize start = b * (gsize)L->cfg.batch_size;
  gsize end = MIN(start + (gsize)L->cfg.batch_size, L->n_items);
  gsize cap = end - start;
  SwellBatch *batch = g_new0(SwellBatch, 1);
  batch->size = S;
  batch->epoch = epoch;
  batch->index = (int)b;
  batch->x = g_new(float, cap * per);
  batch->y = g_new(gint32, cap);
  batch->ids = g_new(gint64, cap);
  for (gsize i = start; i < end; i++) {
    if (g_atomic_int_get(&L->cancelled) || !g_atomic_int_get(&slot->valid)) {
      swell_batch_free(batch);
      return NULL;
    }
    guint32 idx = slot->order[i];
    const SwellLoaderItem *item = &L->items[idx];
    CacheEntry *e = acquire_image(L, item->id);
    if (!e) continue;
    float *out = batch->x + (gsize)batch->n * per;
    if (L->cfg.train) {
      guint64 s = swell_augment_sample_seed(L->cfg.seed, (guint64)epoch, idx);
      swell_transform_train(e->img, &L->cfg.augment, s, L->cfg.mean, L->cfg.std, out);
    } else {
      swell_transform_center_crop(e->img, S, L->cfg.mean, L->cfg.std, out);
    }
    entry_release(L, e);
    batch->y[batch->n] = item->label;
    batch->ids[batch->n] = item->id;
    batch->n++;
  }
  return batch;
}

static EpochSlot *slot_new(SwellLoader *L, int epoch) {
  EpochSlot *slot = g_new0(EpochSlot, 1);
  slot->epoch = epoch;
  slot->valid = TRUE;
  slot->order = g_new(guint32, MAX(L->n_items, 1));
  if (L->cfg.train) {
    /* A seed for the shuffle distinct from every sample's seed. */
    guint64 s = swell_augment_sample_seed(L->cfg.seed ^ 0x53485546464C45ull, (guint64)epoch, G_MAXUINT64);
    swell_permutation(s, slot->order, L->n_items);
  } else {
    for (gsize i = 0; i < L->n_items; i++) slot->order[i] = (guint32)i;
  }
  slot->ready = g_new0(SwellBatch *, MAX(L->n_batches, 1));
  return slot;
}

/* With L->lock held: abandons the slot, waits for its running batches, frees it. */
static void slot_drop_locked(SwellLoader *L, EpochSlot *slot) {
  if (!slot) return;
  g_atomic_int_set(&slot->valid, FALSE);
  g_cond_broadcast(&L->cond);
  while (slot->in_flight > 0) g_cond_wait(&L->cond, &L->lock);
  for (gsize i = 0; i < L->n_batches; i++) swell_batch_free(slot->ready[i]);
  g_free(slot->ready);
  g_free(slot->order);
  g_free(slot);
}

/* With L->lock held: the next batch a worker should make, or NULL. At most
 * `prefetch` batches are made and not yet consumed, counting those made
 * ahead for the next epoch once the current one is all made. */
static EpochSlot *pick_work_locked(SwellLoader *L, gsize *b) {
  EpochSlot *c = L->cur;
  if (!c || g_atomic_int_get(&L->cancelled)) return NULL;
  gsize window = (gsize)MAX(L->cfg.prefetch, 1);
  if (c->next_produce < L->n_batches) {
    if (c->next_produce >= L->next_consume + window) return NULL;
    *b = c->next_produce++;
    return c;
  }
  if (!L->nxt) L->nxt = slot_new(L, c->epoch + 1);
  EpochSlot *n = L->nxt;
  gsize pending = (L->n_batches - MIN(L->next_consume, L->n_batches)) + n->next_produce;
  if (n->next_produce >= L->n_batches || pending >= window) return NULL;
  *b = n->next_produce++;
  return n;
}

static void land_batch_locked(SwellLoader *L, EpochSlot *slot, gsize b, SwellBatch *batch) {
  slot->in_flight--;
  if (batch && g_atomic_int_get(&slot->valid) && !g_atomic_int_get(&L->cancelled))
    slot->ready[b] = batch;
  else if (batch)
    swell_batch_free(batch);
  else if (g_atomic_int_get(&slot->valid))
    /* Interrupted by a cancel: this epoch cannot complete; the next
     * swell_loader_start_epoch() starts afresh. */
    g_atomic_int_set(&L->cancelled, 1);
  g_cond_broadcast(&L->cond);
}

static gpointer worker_main(gpointer data) {
  SwellLoader *L = data;
  g_mutex_lock(&L->lock);
  while (!L->shutdown) {
    gsize b = 0;
    EpochSlot *slot = pick_work_locked(L, &b);
    if (!slot) {
      g_cond_wait(&L->cond, &L->lock);
      continue;
    }
    slot->in_flight++;
    g_mutex_unlock(&L->lock);
    SwellBatch *batch = produce_batch(L, slot, b);
    g_mutex_lock(&L->lock);
    land_batch_locked(L, slot, b, batch);
  }
  g_mutex_unlock(&L->lock);
  return NULL;
}

/* ------------------------------------------------------------ public API */

SwellLoader *swell_loader_new(const SwellLoaderConfig *cfg, const SwellLoaderItem *items,
                              gsize n_items, SwellLoaderFetchFunc fetch, gpointer fetch_data) {
  g_return_val_if_fail(cfg != NULL && cfg->size > 0 && cfg->batch_size > 0, NULL);
  g_return_val_if_fail(fetch != NULL && (items != NULL || n_items == 0), NULL);
  SwellLoader *L = g_new0(SwellLoader, 1);
  L->cfg = *cfg;
  L->cfg.augment.size = cfg->size;
  L->cache_side = swell_loader_cache_side(cfg);
  L->items = g_memdup2(items, n_items * sizeof *items);
  L->n_items = n_items;
  L->fetch = fetch;
  L->fetch_data = fetch_data;
  g_mutex_init(&L->fetch_lock);
  g_mutex_init(&L->cache_lock);
  g_mutex_init(&L->lock);
  g_cond_init(&L->cond);
  L->cache = g_hash_table_new(g_int64_hash, g_int64_equal);
  g_queue_init(&L->lru);
  L->bad = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  L->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_cond_init(&L->cache_cond);
  L->bad_list = g_array_new(FALSE, FALSE, sizeof(SwellLoaderBadItem));
  L->n_batches = cfg->train ? n_items / (gsize)cfg->batch_size
                            : (n_items + (gsize)cfg->batch_size - 1) / (gsize)cfg->batch_size;
  L->n_threads = MAX(cfg->n_threads, 0);
  L->threads = g_new0(GThread *, MAX(L->n_threads, 1));
  for (int i = 0; i < L->n_threads; i++) L->threads[i] = g_thread_new("swell-loader", worker_main, L);
  return L;
}

void swell_loader_set_bad_image_func(SwellLoader *L, SwellLoaderBadImageFunc func, gpointer user_data) {
  g_mutex_lock(&L->fetch_lock);
  L->bad_func = func;
  L->bad_data = user_data;
  g_mutex_unlock(&L->fetch_lock);
}

gsize swell_loader_n_items(const SwellLoader *L) { return L->n_items; }
gsize swell_loader_n_batches(const SwellLoader *L) { return L->n_batches; }

void swell_loader_start_epoch(SwellLoader *L, int epoch) {
  g_mutex_lock(&L->lock);
  if (!g_atomic_int_get(&L->cancelled) && L->nxt && L->nxt->epoch == epoch) {
    /* Made ahead: keep what is ready. */
    EpochSlot *old = L->cur;
    L->cur = L->nxt;
    L->nxt = NULL;
    for (gsize i = 0; i < L->n_batches; i++) L->ahead_used += L->cur->ready[i] != NULL;
    slot_drop_locked(L, old);
  } else {
    EpochSlot *old_n = L->nxt, *old_c = L->cur;
    L->nxt = L->cur = NULL;
    slot_drop_locked(L, old_n);
    slot_drop_locked(L, old_c);
    L->cur = slot_new(L, epoch);
  }
  L->next_consume = 0;
  g_atomic_int_set(&L->cancelled, 0);
  g_cond_broadcast(&L->cond);
  g_mutex_unlock(&L->lock);
}

SwellBatch *swell_loader_next(SwellLoader *L, GError **error) {
  g_mutex_lock(&L->lock);
  for (;;) {
    if (g_atomic_int_get(&L->cancelled)) {
      g_mutex_unlock(&L->lock);
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("loading was cancelled"));
      return NULL;
    }
    EpochSlot *c = L->cur;
    if (!c || L->next_consume >= L->n_batches) {
      g_mutex_unlock(&L->lock);
      return NULL;
    }
    gsize b = L->next_consume;
    if (L->n_threads == 0 && !c->ready[b]) {
      /* No workers: produce in the caller's thread. */
      c->next_produce = MAX(c->next_produce, b + 1);
      c->in_flight++;
      g_mutex_unlock(&L->lock);
      SwellBatch *batch = produce_batch(L, c, b);
      g_mutex_lock(&L->lock);
      land_batch_locked(L, c, b, batch);
      continue;
    }
    if (!c->ready[b]) {
      gint64 t0 = g_get_monotonic_time();
      g_cond_wait(&L->cond, &L->lock);
      L->wait_us += g_get_monotonic_time() - t0;
      continue;
    }
    SwellBatch *batch = c->ready[b];
    c->ready[b] = NULL;
    L->next_consume++;
    g_cond_broadcast(&L->cond);
    if (batch->n == 0) {
      swell_batch_free(batch);
      continue;
    }
    g_mutex_unlock(&L->lock);
    return batch;
  }
}

void swell_loader_cancel(SwellLoader *L) {
  g_mutex_lock(&L->lock);
  g_atomic_int_set(&L->cancelled, 1);
  g_cond_broadcast(&L->cond);
  g_mutex_unlock(&L->lock);
}

void swell_loader_free(SwellLoader *L) {
  if (!L) return;
  g_mutex_lock(&L->lock);
  g_atomic_int_set(&L->cancelled, 1);
  slot_drop_locked(L, L->nxt);
  slot_drop_locked(L, L->cur);
  L->nxt = L->cur = NULL;
  L->shutdown = TRUE;
  g_cond_broadcast(&L->cond);
  g_mutex_unlock(&L->lock);
  for (int i = 0; i < L->n_threads; i++) g_thread_join(L->threads[i]);
  g_free(L->threads);

  while (L->lru.tail) evict_one_locked(L);
  g_hash_table_unref(L->cache);
  g_hash_table_unref(L->bad);
  g_hash_table_unref(L->pending);
  g_cond_clear(&L->cache_cond);
  for (guint i = 0; i < L->bad_list->len; i++) g_free(g_array_index(L->bad_list, SwellLoaderBadItem, i).message);
  g_array_unref(L->bad_list);
  g_free(L->items);
  g_mutex_clear(&L->fetch_lock);
  g_mutex_clear(&L->cache_lock);
  g_mutex_clear(&L->lock);
  g_cond_clear(&L->cond);
  g_free(L);
}

SwellLoaderBadItem *swell_loader_get_bad_items(SwellLoader *L, gsize *n) {
  g_mutex_lock(&L->cache_lock);
  gsize len = L->bad_list->len;
  SwellLoaderBadItem *out = g_new0(SwellLoaderBadItem, MAX(len, 1));
  for (gsize i = 0; i < len; i++) {
    SwellLoaderBadItem *src = &g_array_index(L->bad_list, SwellLoaderBadItem, i);
    out[i].id = src->id;
    out[i].message = g_strdup(src->message);
  }
  g_mutex_unlock(&L->cache_lock);
  *n = len;
  return out;
}

void swell_loader_bad_items_free(SwellLoaderBadItem *items, gsize n) {
  if (!items) return;
  for (gsize i = 0; i < n; i++) g_free(items[i].message);
  g_free(items);
}

void swell_loader_get_stats(SwellLoader *L, SwellLoaderStats *st) {
  g_mutex_lock(&L->cache_lock);
  st->decodes = L->decodes;
  st->cache_hits = L->hits;
  st->cache_bytes = L->cache_used;
  st->cache_peak = L->cache_peak;
  st->cache_entries = g_hash_table_size(L->cache);
  g_mutex_unlock(&L->cache_lock);
  g_mutex_lock(&L->lock);
  st->wait_seconds = L->wait_us / 1e6;
  st->ahead_batches = L->ahead_used;
  st->ahead_ready = 0;
  if (L->nxt)
    for (gsize i = 0; i < L->n_batches; i++) st->ahead_ready += L->nxt->ready[i] != NULL;
  g_mutex_unlock(&L->lock);
}
