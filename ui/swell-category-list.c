/* swell-category-list.c: the sidebar's category view model. */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "swell-category-list.h"

struct _SwellCategoryItem {
  GObject parent_instance;
  gint64 id;
  char *name;
  char *color;
  guint counts[SWELL_N_SPLITS];
};

G_DEFINE_FINAL_TYPE (SwellCategoryItem, swell_category_item, G_TYPE_OBJECT)

enum { ITEM_PROP_0, ITEM_PROP_NAME, ITEM_PROP_COLOR, ITEM_PROP_TOTAL, ITEM_N_PROPS };
static GParamSpec *item_props[ITEM_N_PROPS];

static void
swell_category_item_finalize (GObject *object)
{
  SwellCategoryItem *self = SWELL_CATEGORY_ITEM (object);
  g_free (self->name);
  g_free (self->color);
  G_OBJECT_CLASS (swell_category_item_parent_class)->finalize (object);
}

static void
swell_category_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SwellCategoryItem *self = SWELL_CATEGORY_ITEM (object);
  switch (prop_id) {
  case ITEM_PROP_NAME: g_value_set_string (value, self->name); break;
  case ITEM_PROP_COLOR: g_value_set_string (value, self->color); break;
  case ITEM_PROP_TOTAL: g_value_set_uint (value, swell_category_item_get_total (self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
swell_category_item_class_init (SwellCategoryItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = swell_category_item_finalize;
  object_class->get_property = swell_category_item_get_property;
  item_props[ITEM_PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  item_props[ITEM_PROP_COLOR] = g_param_spec_string ("color", NULL, NULL, NULL,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Notified whenever any per-split count changes. */
  item_props[ITEM_PROP_TOTAL] = g_param_spec_uint ("total", NULL, NULL, 0, G_MAXUINT, 0,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void swell_category_item_init (SwellCategoryItem *self) {}

static SwellCategoryItem *
category_item_new (gint64 id, const char *name, const char *color)
{
  SwellCategoryItem *self = g_object_new (SWELL_TYPE_CATEGORY_ITEM, NULL);
  self->id = id;
  self->name = g_strdup (name);
  self->color = g_strdup (color);
  return self;
}

SwellCategoryItem *
swell_category_item_new_extra (gint64 id, const char *name)
{
  g_return_val_if_fail (id < 0 && id != SWELL_CATEGORY_ALL, NULL);
  return category_item_new (id, name, NULL);
}

void
swell_category_item_set_counts (SwellCategoryItem *self, const guint counts[SWELL_N_SPLITS])
{
  if (memcmp (counts, self->counts, sizeof self->counts) == 0)
    return;
  memcpy (self->counts, counts, sizeof self->counts);
  g_object_notify_by_pspec (G_OBJECT (self), item_props[ITEM_PROP_TOTAL]);
}

gint64 swell_category_item_get_id (SwellCategoryItem *self) { return self->id; }
const char *swell_category_item_get_name (SwellCategoryItem *self) { return self->name; }
const char *swell_category_item_get_color (SwellCategoryItem *self) { return self->color; }
gboolean swell_category_item_is_real (SwellCategoryItem *self) { return self->id > 0; }

guint
swell_category_item_get_count (SwellCategoryItem *self, SwellSplit split)
{
  g_return_val_if_fail (split < SWELL_N_SPLITS, 0);
  return self->counts[split];
}

guint
swell_category_item_get_total (SwellCategoryItem *self)
{
  return self->counts[0] + self->counts[1] + self->counts[2];
}

/* ---------------------------------------------------------------- list */

struct _SwellCategoryList {
  GObject parent_instance;
  SwellImageList *images;
  GPtrArray *items; /* [0] All, [1..n] categories, [n+1] Unlabeled */
};

static void swell_category_list_model_init (GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (SwellCategoryList, swell_category_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, swell_category_list_model_init))

static GType cl_get_item_type (GListModel *m) { return SWELL_TYPE_CATEGORY_ITEM; }
static guint cl_get_n_items (GListModel *m) { return SWELL_CATEGORY_LIST (m)->items->len; }
static gpointer
cl_get_item (GListModel *m, guint position)
{
  SwellCategoryList *self = SWELL_CATEGORY_LIST (m);
  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
swell_category_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cl_get_item_type;
  iface->get_n_items = cl_get_n_items;
  iface->get_item = cl_get_item;
}

static void
swell_category_list_dispose (GObject *object)
{
  SwellCategoryList *self = SWELL_CATEGORY_LIST (object);
  if (self->images)
    g_signal_handlers_disconnect_by_data (self->images, self);
  g_clear_object (&self->images);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  G_OBJECT_CLASS (swell_category_list_parent_class)->dispose (object);
}

static void
swell_category_list_class_init (SwellCategoryListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = swell_category_list_dispose;
}

static void
swell_category_list_init (SwellCategoryList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static void on_images_changed (SwellCategoryList *self) { swell_category_list_recount (self); }

SwellCategoryList *
swell_category_list_new (SwellImageList *images)
{
  SwellCategoryList *self = g_object_new (SWELL_TYPE_CATEGORY_LIST, NULL);
  self->images = g_object_ref (images);
  g_ptr_array_add (self->items, category_item_new (SWELL_CATEGORY_ALL, _("All Images"), NULL));
  g_ptr_array_add (self->items, category_item_new (SWELL_CATEGORY_UNLABELED, _("Unlabeled"), NULL));
  g_signal_connect_swapped (images, "contents-changed", G_CALLBACK (on_images_changed), self);
  g_signal_connect_swapped (images, "items-changed", G_CALLBACK (on_images_changed), self);
  swell_category_list_recount (self);
  return self;
}

SwellCategoryItem *
swell_category_list_lookup (SwellCategoryList *self, gint64 id, guint *position)
{
  for (guint i = 0; i < self->items->len; i++) {
    SwellCategoryItem *it = g_ptr_array_index (self->items, i);
    if (it->id == id) {
      if (position)
        *position = i;
      return it;
    }
  }
  return NULL;
}

void
swell_category_list_upsert (SwellCategoryList *self, gint64 id, const char *name, const char *color)
{
  g_return_if_fail (id > 0);
  SwellCategoryItem *it = swell_category_list_lookup (self, id, NULL);
  if (it) {
    if (g_strcmp0 (it->name, name) != 0) {
      g_free (it->name);
      it->name = g_strdup (name);
      g_object_notify_by_pspec (G_OBJECT (it), item_props[ITEM_PROP_NAME]);
    }
    if (g_strcmp0 (it->color, color) != 0) {
      g_free (it->color);
      it->color = g_strdup (color);
      g_object_notify_by_pspec (G_OBJECT (it), item_props[ITEM_PROP_COLOR]);
    }
    return;
  }
  it = category_item_new (id, name, color);
  swell_image_list_count (self->images, id, it->counts);
  guint pos = self->items->len - 1; /* before Unlabeled */
  g_ptr_array_insert (self->items, pos, it);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
}

void
swell_category_list_remove (SwellCategoryList *self, gint64 id)
{
  guint pos;
  if (id <= 0 || !swell_category_list_lookup (self, id, &pos))
    return;
  g_ptr_array_remove_index (self->items, pos);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
}

void
swell_category_list_clear (SwellCategoryList *self)
{
  guint n = self->items->len - 2;
  if (n == 0)
    return;
  g_ptr_array_remove_range (self->items, 1, n);
  g_list_model_items_changed (G_LIST_MODEL (self), 1, n, 0);
}

guint
swell_category_list_n_categories (SwellCategoryList *self)
{
  return self->items->len - 2;
}

SwellCategoryItem *
swell_category_list_nth_category (SwellCategoryList *self, guint n)
{
  if (n >= swell_category_list_n_categories (self))
    return NULL;
  return g_ptr_array_index (self->items, n + 1);
}

void
swell_category_list_recount (SwellCategoryList *self)
{
  /* One pass over the images: index the categories by id first. */
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  guint all[SWELL_N_SPLITS] = { 0, 0, 0 };
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->images));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellImageItem) img = g_list_model_get_item (G_LIST_MODEL (self->images), i);
    gint64 cat = swell_image_item_get_category_id (img);
    SwellSplit split = swell_image_item_get_split (img);
    guint *c = g_hash_table_lookup (counts, &cat);
    if (!c) {
      c = g_new0 (guint, SWELL_N_SPLITS);
      g_hash_table_insert (counts, g_memdup2 (&cat, sizeof cat), c);
    }
    c[split]++;
    all[split]++;
  }
  for (guint i = 0; i < self->items->len; i++) {
    SwellCategoryItem *it = g_ptr_array_index (self->items, i);
    const guint zero[SWELL_N_SPLITS] = { 0, 0, 0 };
    const guint *c = it->id == SWELL_CATEGORY_ALL ? all : g_hash_table_lookup (counts, &it->id);
    if (!c)
      c = zero;
    if (memcmp (c, it->counts, sizeof it->counts) != 0) {
      memcpy (it->counts, c, sizeof it->counts);
      g_object_notify_by_pspec (G_OBJECT (it), item_props[ITEM_PROP_TOTAL]);
    }
  }
}

/* Distinct hues readable on both light and dark backgrounds (GNOME palette,
 * the "3" shades). */
static const char *const palette[] = {
  "#3584e4", "#33d17a", "#f6d32d", "#ff7800", "#e01b24", "#9141ac",
  "#986a44", "#2ec27e", "#1c71d8", "#c061cb", "#e66100", "#77767b",
};

const char *
swell_category_list_next_color (SwellCategoryList *self)
{
  for (guint p = 0; p < G_N_ELEMENTS (palette); p++) {
    gboolean used = FALSE;
    for (guint i = 0; i < self->items->len && !used; i++) {
      SwellCategoryItem *it = g_ptr_array_index (self->items, i);
      used = it->color && g_ascii_strcasecmp (it->color, palette[p]) == 0;
    }
    if (!used)
      return palette[p];
  }
  return palette[swell_category_list_n_categories (self) % G_N_ELEMENTS (palette)];
}
