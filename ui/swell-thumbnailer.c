/* swell-thumbnailer.c: off-main-thread thumbnail loading with an LRU cache. */
#include "swell-config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "swell-project.h"
#include "swell-thumbnailer.h"

#define N_WORKERS 2
#define CACHE_MAX 1500

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
  gint64 image_id;
  SwellThumbnailFunc func;
  gpointer user_data;
  gboolean cancelled; /* under lock */
} Request;

/* Requests are kept newest first (the tiles on screen now matter more than
 * the ones that scrolled past) in a plain stack, and indexed by their owner
 * (the tile), so request, cancel and take are all O(1) even when a fast
 * scroll queues thousands. The thread pool only carries tokens: each token
 * lets a worker take the newest live request. */
struct _SwellThumbnailer {
  GObject parent_instance;
  char *path;
  GThreadPool *pool;
  GAsyncQueue *connections; /* SwellProject*, one per worker, opened lazily */
  GMutex lock;
  GQueue stack;             /* Request* not yet taken, newest at head (under lock) */
  GHashTable *by_owner;     /* user_data -> live Request* (queued or being loaded; under lock) */
  GHashTable *cache;        /* gint64* -> GList* node of lru (main thread) */
  GQueue lru;               /* data: CacheEntry*, most recent at head */
  GQueue done;              /* Delivery* finished by workers (under lock) */
  GMainContext *context;    /* the main thread's */
  guint drain_source;       /* the one idle source draining `done` (under lock) */
};

typedef struct {
  gint64 id;
  GdkTexture *texture;
} CacheEntry;

typedef struct {
  SwellThumbnailer *self;  /* strong ref */
  Request *req;
  GdkTexture *texture;
} Delivery;

G_DEFINE_FINAL_TYPE (SwellThumbnailer, swell_thumbnailer, G_TYPE_OBJECT)

static GHashTable *by_path; /* path -> SwellThumbnailer* (weak) */

static void
cache_put (SwellThumbnailer *self, gint64 id, GdkTexture *texture)
{
  GList *node = g_hash_table_lookup (self->cache, &id);
  if (node) {
    CacheEntry *e = node->data;
    g_set_object (&e->texture, texture);
    g_queue_unlink (&self->lru, node);
    g_queue_push_head_link (&self->lru, node);
    return;
  }
  CacheEntry *e = g_new0 (CacheEntry, 1);
  e->id = id;
  e->texture = g_object_ref (texture);
  g_queue_push_head (&self->lru, e);
  g_hash_table_insert (self->cache, &e->id, self->lru.head);
  while (self->lru.length > CACHE_MAX) {
    CacheEntry *old = g_queue_pop_tail (&self->lru);
    g_hash_table_remove (self->cache, &old->id);
    g_object_unref (old->texture);
    g_free (old);
  }
}

static void
deliver (Delivery *d)
{
  SwellThumbnailer *self = d->self;
  gboolean cancelled;
  g_mutex_lock (&self->lock);
  cancelled = d->req->cancelled;
  if (!cancelled && g_hash_table_lookup (self->by_owner, d->req->user_data) == d->req)
    g_hash_table_remove (self->by_owner, d->req->user_data);
  g_mutex_unlock (&self->lock);
  if (d->texture)
    cache_put (self, d->req->image_id, d->texture);
  if (!cancelled)
    d->req->func (d->texture, d->req->user_data);
  g_clear_object (&d->texture);
  g_free (d->req);
  g_object_unref (d->self);
  g_free (d);
}

/* Finished thumbnails reach the main thread through ONE idle source that
 * drains a queue a few at a time: an idle source per thumbnail would pile up
 * thousands of sources during a fast scroll, and every main-loop iteration
 * walks them all. */
static gboolean
drain_cb (gpointer data)
{
  /* Pending deliveries hold references, so self is alive on entry; keep it
   * alive while delivering (a delivery may drop the last other reference). */
  g_autoptr (SwellThumbnailer) self = g_object_ref (data);
  for (int i = 0; i < 24; i++) {
    g_mutex_lock (&self->lock);
    Delivery *d = g_queue_pop_head (&self->done);
    if (!d)
      self->drain_source = 0;
    g_mutex_unlock (&self->lock);
    if (!d)
      return G_SOURCE_REMOVE;
    deliver (d);
  }
  return G_SOURCE_CONTINUE;
}

static GdkTexture *
decode (GBytes *bytes)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new_from_stream_at_scale (in, SWELL_THUMB_PX, SWELL_THUMB_PX, TRUE,
                                                                      NULL, NULL);
  if (!pixbuf)
    return NULL;
  return gdk_texture_new_for_pixbuf (pixbuf);
}

static void
worker (gpointer token, gpointer user_data)
{
  SwellThumbnailer *self = user_data;
  /* Decoding thumbnails must never compete with the main thread for a CPU:
   * run the workers at a lower priority (Linux: per-thread nice value). */
  static GPrivate niced;
  if (!g_private_get (&niced)) {
    setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);
    g_private_set (&niced, GINT_TO_POINTER (1));
  }
  Request *req = NULL;
  g_mutex_lock (&self->lock);
  while ((req = g_queue_pop_head (&self->stack)) && req->cancelled)
    g_free (req);
  g_mutex_unlock (&self->lock);
  if (!req)
    return;

  Delivery *d = g_new0 (Delivery, 1);
  d->self = g_object_ref (self);
  d->req = req;
  SwellProject *conn = g_async_queue_try_pop (self->connections);
  if (!conn)
    conn = swell_project_open (self->path, NULL);
  if (conn) {
    g_autoptr (GBytes) bytes = swell_project_get_thumbnail (conn, req->image_id, NULL, NULL);
    if (bytes)
      d->texture = decode (bytes);
    g_async_queue_push (self->connections, conn);
  }
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->done, d);
  if (!self->drain_source) {
    GSource *src = g_idle_source_new ();
    g_source_set_priority (src, G_PRIORITY_DEFAULT_IDLE);
    g_source_set_callback (src, drain_cb, self, NULL);
    self->drain_source = g_source_attach (src, self->context);
    g_source_unref (src);
  }
  g_mutex_unlock (&self->lock);
}

GdkTexture *
swell_thumbnailer_request (SwellThumbnailer *self, gint64 image_id, SwellThumbnailFunc func, gpointer user_data)
{
  GList *node = g_hash_table_lookup (self->cache, &image_id);
  if (node) {
    g_queue_unlink (&self->lru, node);
    g_queue_push_head_link (&self->lru, node);
    return ((CacheEntry *) node->data)->texture;
  }
  Request *req = g_new0 (Request, 1);
  req->image_id = image_id;
  req->func = func;
  req->user_data = user_data;
  g_mutex_lock (&self->lock);
  Request *old = g_hash_table_lookup (self->by_owner, user_data);
  if (old)
    old->cancelled = TRUE;
  g_hash_table_insert (self->by_owner, user_data, req);
  g_queue_push_head (&self->stack, req);
  g_mutex_unlock (&self->lock);
  g_thread_pool_push (self->pool, GINT_TO_POINTER (1), NULL);
  return NULL;
}

GdkTexture *
swell_thumbnailer_lookup (SwellThumbnailer *self, gint64 image_id)
{
  GList *node = g_hash_table_lookup (self->cache, &image_id);
  return node ? ((CacheEntry *) node->data)->texture : NULL;
}

void
swell_thumbnailer_cancel (SwellThumbnailer *self, gpointer user_data)
{
  g_mutex_lock (&self->lock);
  Request *r = g_hash_table_lookup (self->by_owner, user_data);
  if (r) {
    r->cancelled = TRUE;
    g_hash_table_remove (self->by_owner, user_data);
  }
  g_mutex_unlock (&self->lock);
}

void
swell_thumbnailer_invalidate (SwellThumbnailer *self, gint64 image_id)
{
  GList *node = g_hash_table_lookup (self->cache, &image_id);
  if (!node)
    return;
  CacheEntry *e = node->data;
  g_hash_table_remove (self->cache, &image_id);
  g_queue_delete_link (&self->lru, node);
  g_object_unref (e->texture);
  g_free (e);
}

static void
swell_thumbnailer_finalize (GObject *object)
{
  SwellThumbnailer *self = SWELL_THUMBNAILER (object);
  if (by_path && g_hash_table_lookup (by_path, self->path) == self)
    g_hash_table_remove (by_path, self->path);
  /* Deliveries hold a reference, so the pool is idle here. */
  g_thread_pool_free (self->pool, TRUE, TRUE);
  SwellProject *conn;
  while ((conn = g_async_queue_try_pop (self->connections)))
    g_object_unref (conn);
  g_async_queue_unref (self->connections);
  g_queue_clear_full (&self->stack, g_free);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->by_owner);
  CacheEntry *e;
  while ((e = g_queue_pop_head (&self->lru))) {
    g_object_unref (e->texture);
    g_free (e);
  }
  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  G_OBJECT_CLASS (swell_thumbnailer_parent_class)->finalize (object);
}

static void
swell_thumbnailer_class_init (SwellThumbnailerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_thumbnailer_finalize;
}

static void
swell_thumbnailer_init (SwellThumbnailer *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->stack);
  g_queue_init (&self->done);
  self->context = g_main_context_ref_thread_default ();
  self->by_owner = g_hash_table_new (NULL, NULL);
  self->cache = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->connections = g_async_queue_new ();
  self->pool = g_thread_pool_new (worker, self, N_WORKERS, FALSE, NULL);
}

SwellThumbnailer *
swell_thumbnailer_new (const char *project_path)
{
  SwellThumbnailer *self = g_object_new (SWELL_TYPE_THUMBNAILER, NULL);
  self->path = g_strdup (project_path);
  return self;
}

SwellThumbnailer *
swell_thumbnailer_get_for_path (const char *project_path)
{
  if (!by_path)
    by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  SwellThumbnailer *t = g_hash_table_lookup (by_path, project_path);
  if (t)
    return g_object_ref (t);
  t = swell_thumbnailer_new (project_path);
  g_hash_table_insert (by_path, g_strdup (project_path), t);
  return t;
}
