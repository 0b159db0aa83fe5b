/* swell-image-list.c: the master image list and its category/split filter. */
#include "swell-config.h"

#include "swell-image-list.h"

/* ---------------------------------------------------------------- list */

struct _SwellImageList {
  GObject parent_instance;
  GPtrArray *items;        /* SwellImageItem*, owned */
  GHashTable *by_id;       /* gint64* -> SwellImageItem* (borrowed) */
  guint freeze;
  gboolean dirty;
};

static void swell_image_list_model_init (GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (SwellImageList, swell_image_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, swell_image_list_model_init))

enum { SIG_CONTENTS_CHANGED, N_SIGNALS };
static guint list_signals[N_SIGNALS];

static GType list_get_item_type (GListModel *m) { return SWELL_TYPE_IMAGE_ITEM; }
static guint list_get_n_items (GListModel *m) { return SWELL_IMAGE_LIST (m)->items->len; }
static gpointer
list_get_item (GListModel *m, guint position)
{
  SwellImageList *self = SWELL_IMAGE_LIST (m);
  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
swell_image_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

static void
contents_changed (SwellImageList *self)
{
  if (self->freeze > 0) {
    self->dirty = TRUE;
    return;
  }
  self->dirty = FALSE;
  g_signal_emit (self, list_signals[SIG_CONTENTS_CHANGED], 0);
}

static void
item_notify (SwellImageItem *item, GParamSpec *pspec, SwellImageList *self)
{
  contents_changed (self);
}

static void
swell_image_list_dispose (GObject *object)
{
  SwellImageList *self = SWELL_IMAGE_LIST (object);
  if (self->items) {
    for (guint i = 0; i < self->items->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->items, i), self);
  }
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  G_OBJECT_CLASS (swell_image_list_parent_class)->dispose (object);
}

static void
swell_image_list_class_init (SwellImageListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = swell_image_list_dispose;
  /* Emitted when labels or splits of items changed (not for add/remove,
   * which emit items-changed). */
  list_signals[SIG_CONTENTS_CHANGED] =
    g_signal_new ("contents-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swell_image_list_init (SwellImageList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
}

SwellImageList *
swell_image_list_new (void)
{
  return g_object_new (SWELL_TYPE_IMAGE_LIST, NULL);
}

static gint64 *
item_id_key (SwellImageItem *item)
{
  /* The key points into a per-item heap copy kept as object data. */
  gint64 *key = g_object_get_data (G_OBJECT (item), "swell-id-key");
  if (!key) {
    key = g_new (gint64, 1);
    *key = swell_image_item_get_id (item);
    g_object_set_data_full (G_OBJECT (item), "swell-id-key", key, g_free);
  }
  return key;
}

void
swell_image_list_append (SwellImageList *self, SwellImageItem **items, guint n)
{
  g_return_if_fail (SWELL_IS_IMAGE_LIST (self));
  guint pos = self->items->len;
  guint added = 0;
  for (guint i = 0; i < n; i++) {
    SwellImageItem *item = items[i];
    if (g_hash_table_contains (self->by_id, item_id_key (item)))
      continue;
    g_ptr_array_add (self->items, g_object_ref (item));
    g_hash_table_insert (self->by_id, item_id_key (item), item);
    g_signal_connect (item, "notify::category-id", G_CALLBACK (item_notify), self);
    g_signal_connect (item, "notify::split", G_CALLBACK (item_notify), self);
    added++;
  }
  if (added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, added);
}

void
swell_image_list_remove (SwellImageList *self, const gint64 *ids, guint n)
{
  g_return_if_fail (SWELL_IS_IMAGE_LIST (self));
  g_autoptr (GHashTable) gone = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < n; i++)
    if (g_hash_table_contains (self->by_id, &ids[i]))
      g_hash_table_add (gone, (gpointer) &ids[i]);
  if (g_hash_table_size (gone) == 0)
    return;
  /* Emit one items-changed per contiguous run of removed items, from the end
   * so earlier positions stay valid. */
  guint i = self->items->len;
  while (i > 0) {
    i--;
    SwellImageItem *item = g_ptr_array_index (self->items, i);
    if (!g_hash_table_contains (gone, item_id_key (item)))
      continue;
    guint end = i + 1;
    while (i > 0 && g_hash_table_contains (gone, item_id_key (g_ptr_array_index (self->items, i - 1))))
      i--;
    for (guint k = i; k < end; k++) {
      SwellImageItem *it = g_ptr_array_index (self->items, k);
      g_signal_handlers_disconnect_by_data (it, self);
      g_hash_table_remove (self->by_id, item_id_key (it));
    }
    g_ptr_array_remove_range (self->items, i, end - i);
    g_list_model_items_changed (G_LIST_MODEL (self), i, end - i, 0);
  }
}

void
swell_image_list_clear (SwellImageList *self)
{
  guint n = self->items->len;
  for (guint i = 0; i < n; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->items, i), self);
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
}

SwellImageItem *
swell_image_list_lookup (SwellImageList *self, gint64 id)
{
  return g_hash_table_lookup (self->by_id, &id);
}

void
swell_image_list_freeze (SwellImageList *self)
{
  self->freeze++;
}

void
swell_image_list_thaw (SwellImageList *self)
{
  g_return_if_fail (self->freeze > 0);
  self->freeze--;
  if (self->freeze == 0 && self->dirty)
    contents_changed (self);
}

void
swell_image_list_count (SwellImageList *self, gint64 category_id, guint counts[SWELL_N_SPLITS])
{
  for (int s = 0; s < SWELL_N_SPLITS; s++)
    counts[s] = 0;
  for (guint i = 0; i < self->items->len; i++) {
    SwellImageItem *item = g_ptr_array_index (self->items, i);
    if (category_id == SWELL_CATEGORY_ALL || swell_image_item_get_category_id (item) == category_id)
      counts[swell_image_item_get_split (item)]++;
  }
}

/* ---------------------------------------------------------------- filter */

struct _SwellImageFilter {
  GObject parent_instance;
  SwellImageList *list;
  GArray *positions;   /* guint: master positions of the kept items */
  gint64 category_id;
  int split;
};

static void swell_image_filter_model_init (GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (SwellImageFilter, swell_image_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, swell_image_filter_model_init))

static GType filter_get_item_type (GListModel *m) { return SWELL_TYPE_IMAGE_ITEM; }
static guint filter_get_n_items (GListModel *m) { return SWELL_IMAGE_FILTER (m)->positions->len; }
static gpointer
filter_get_item (GListModel *m, guint position)
{
  SwellImageFilter *self = SWELL_IMAGE_FILTER (m);
  if (position >= self->positions->len)
    return NULL;
  return g_list_model_get_item (G_LIST_MODEL (self->list), g_array_index (self->positions, guint, position));
}

static void
swell_image_filter_model_init (GListModelInterface *iface)
{
  iface->get_item_type = filter_get_item_type;
  iface->get_n_items = filter_get_n_items;
  iface->get_item = filter_get_item;
}

static gboolean
filter_keeps (SwellImageFilter *self, SwellImageItem *item)
{
  if (self->category_id != SWELL_CATEGORY_ALL && swell_image_item_get_category_id (item) != self->category_id)
    return FALSE;
  if (self->split != SWELL_SPLIT_ANY && (int) swell_image_item_get_split (item) != self->split)
    return FALSE;
  return TRUE;
}

/* Recomputes the kept set and emits a single items-changed covering the
 * range between the common prefix and the common suffix of old and new. The
 * item objects are the same in both, so equal master items mean equal rows;
 * master positions are compared through the items themselves because
 * insertions/removals in the master shift positions. */
static void
refilter (SwellImageFilter *self, GPtrArray *old_items)
{
  GPtrArray *master = self->list->items;
  g_autoptr (GArray) fresh = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < master->len; i++)
    if (filter_keeps (self, g_ptr_array_index (master, i)))
      g_array_append_val (fresh, i);

  guint old_n = old_items->len, new_n = fresh->len;
  guint prefix = 0;
  while (prefix < old_n && prefix < new_n &&
         g_ptr_array_index (old_items, prefix) == g_ptr_array_index (master, g_array_index (fresh, guint, prefix)))
    prefix++;
  guint suffix = 0;
  while (suffix < old_n - prefix && suffix < new_n - prefix &&
         g_ptr_array_index (old_items, old_n - 1 - suffix) ==
           g_ptr_array_index (master, g_array_index (fresh, guint, new_n - 1 - suffix)))
    suffix++;

  g_array_unref (self->positions);
  self->positions = g_steal_pointer (&fresh);
  if (prefix == old_n && prefix == new_n)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), prefix, old_n - prefix - suffix, new_n - prefix - suffix);
}

/* The items currently shown, captured before the master changes. */
static GPtrArray *
snapshot_items (SwellImageFilter *self, GPtrArray *master)
{
  GPtrArray *a = g_ptr_array_sized_new (self->positions->len);
  for (guint i = 0; i < self->positions->len; i++)
    g_ptr_array_add (a, g_ptr_array_index (master, g_array_index (self->positions, guint, i)));
  return a;
}

static void
on_list_contents_changed (SwellImageList *list, SwellImageFilter *self)
{
  g_autoptr (GPtrArray) old = snapshot_items (self, list->items);
  refilter (self, old);
}

static void
on_list_items_changed (GListModel *list, guint position, guint removed, guint added, SwellImageFilter *self)
{
  /* The master has changed already; rebuild the old rows from our positions
   * mapped through the change (positions >= position+removed shift). */
  GPtrArray *master = self->list->items;
  g_autoptr (GPtrArray) old = g_ptr_array_sized_new (self->positions->len);
  for (guint i = 0; i < self->positions->len; i++) {
    guint p = g_array_index (self->positions, guint, i);
    if (p < position)
      g_ptr_array_add (old, g_ptr_array_index (master, p));
    else if (p >= position + removed)
      g_ptr_array_add (old, g_ptr_array_index (master, p - removed + added));
    else
      g_ptr_array_add (old, NULL); /* removed item: never equal to a live one */
  }
  refilter (self, old);
}

static void
swell_image_filter_dispose (GObject *object)
{
  SwellImageFilter *self = SWELL_IMAGE_FILTER (object);
  if (self->list)
    g_signal_handlers_disconnect_by_data (self->list, self);
  g_clear_object (&self->list);
  g_clear_pointer (&self->positions, g_array_unref);
  G_OBJECT_CLASS (swell_image_filter_parent_class)->dispose (object);
}

static void
swell_image_filter_class_init (SwellImageFilterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = swell_image_filter_dispose;
}

static void
swell_image_filter_init (SwellImageFilter *self)
{
  self->positions = g_array_new (FALSE, FALSE, sizeof (guint));
  self->category_id = SWELL_CATEGORY_ALL;
  self->split = SWELL_SPLIT_ANY;
}

SwellImageFilter *
swell_image_filter_new (SwellImageList *list)
{
  SwellImageFilter *self = g_object_new (SWELL_TYPE_IMAGE_FILTER, NULL);
  self->list = g_object_ref (list);
  g_signal_connect (list, "contents-changed", G_CALLBACK (on_list_contents_changed), self);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_list_items_changed), self);
  for (guint i = 0; i < list->items->len; i++)
    g_array_append_val (self->positions, i);
  return self;
}

void
swell_image_filter_set_category (SwellImageFilter *self, gint64 category_id)
{
  if (self->category_id == category_id)
    return;
  g_autoptr (GPtrArray) old = snapshot_items (self, self->list->items);
  self->category_id = category_id;
  refilter (self, old);
}

gint64 swell_image_filter_get_category (SwellImageFilter *self) { return self->category_id; }

void
swell_image_filter_set_split (SwellImageFilter *self, int split)
{
  if (self->split == split)
    return;
  g_autoptr (GPtrArray) old = snapshot_items (self, self->list->items);
  self->split = split;
  refilter (self, old);
}

int swell_image_filter_get_split (SwellImageFilter *self) { return self->split; }
