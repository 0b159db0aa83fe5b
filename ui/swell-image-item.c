/* swell-image-item.c: one image of the project as the window sees it. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-image-item.h"

struct _SwellImageItem {
  GObject parent_instance;
  gint64 id;
  char *name;
  gint64 category_id;
  SwellSplit split;
};

G_DEFINE_FINAL_TYPE (SwellImageItem, swell_image_item, G_TYPE_OBJECT)

enum { PROP_0, PROP_ID, PROP_NAME, PROP_CATEGORY_ID, PROP_SPLIT, N_PROPS };
static GParamSpec *props[N_PROPS];

const char *
swell_ui_split_display_name (SwellSplit split)
{
  switch (split) {
  case SWELL_SPLIT_VALID: return _("Valid");
  case SWELL_SPLIT_TEST: return _("Test");
  case SWELL_SPLIT_TRAIN:
  default: return _("Train");
  }
}

static void
swell_image_item_finalize (GObject *object)
{
  SwellImageItem *self = SWELL_IMAGE_ITEM (object);
  g_free (self->name);
  G_OBJECT_CLASS (swell_image_item_parent_class)->finalize (object);
}

static void
swell_image_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SwellImageItem *self = SWELL_IMAGE_ITEM (object);
  switch (prop_id) {
  case PROP_ID: g_value_set_int64 (value, self->id); break;
  case PROP_NAME: g_value_set_string (value, self->name); break;
  case PROP_CATEGORY_ID: g_value_set_int64 (value, self->category_id); break;
  case PROP_SPLIT: g_value_set_int (value, self->split); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
swell_image_item_class_init (SwellImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = swell_image_item_finalize;
  object_class->get_property = swell_image_item_get_property;
  props[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_CATEGORY_ID] = g_param_spec_int64 ("category-id", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                                G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_SPLIT] = g_param_spec_int ("split", NULL, NULL, 0, SWELL_N_SPLITS - 1, 0,
                                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
swell_image_item_init (SwellImageItem *self)
{
}

SwellImageItem *
swell_image_item_new (gint64 id, const char *name, gint64 category_id, SwellSplit split)
{
  SwellImageItem *self = g_object_new (SWELL_TYPE_IMAGE_ITEM, NULL);
  self->id = id;
  self->name = g_strdup (name ? name : "");
  self->category_id = category_id;
  self->split = split;
  return self;
}

gint64 swell_image_item_get_id (SwellImageItem *self) { return self->id; }
const char *swell_image_item_get_name (SwellImageItem *self) { return self->name; }
gint64 swell_image_item_get_category_id (SwellImageItem *self) { return self->category_id; }
SwellSplit swell_image_item_get_split (SwellImageItem *self) { return self->split; }

void
swell_image_item_set_category_id (SwellImageItem *self, gint64 category_id)
{
  g_return_if_fail (SWELL_IS_IMAGE_ITEM (self));
  if (self->category_id == category_id)
    return;
  self->category_id = category_id;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CATEGORY_ID]);
}

void
swell_image_item_set_split (SwellImageItem *self, SwellSplit split)
{
  g_return_if_fail (SWELL_IS_IMAGE_ITEM (self));
  if (self->split == split)
    return;
  self->split = split;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SPLIT]);
}
