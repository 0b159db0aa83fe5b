/* swell-image-item.h: one image of the project as the window sees it (plain
 * GObject, no widgets): its id in the store, file name, category and split. */
#pragma once

#include <glib-object.h>

#include "swell-project.h" /* SwellSplit, SWELL_CATEGORY_UNLABELED */

G_BEGIN_DECLS

/* Category ids used by the view models: real categories have the store's
 * ids (> 0); SWELL_CATEGORY_UNLABELED (0) and SWELL_CATEGORY_ALL are the
 * pseudo categories of the sidebar. */
#define SWELL_CATEGORY_ALL SWELL_CATEGORY_ANY

/* "Train", "Valid", "Test", translated. */
const char *swell_ui_split_display_name (SwellSplit split);

#define SWELL_TYPE_IMAGE_ITEM (swell_image_item_get_type ())
G_DECLARE_FINAL_TYPE (SwellImageItem, swell_image_item, SWELL, IMAGE_ITEM, GObject)

SwellImageItem *swell_image_item_new (gint64 id, const char *name, gint64 category_id, SwellSplit split);
gint64 swell_image_item_get_id (SwellImageItem *self);
const char *swell_image_item_get_name (SwellImageItem *self);
gint64 swell_image_item_get_category_id (SwellImageItem *self);
void swell_image_item_set_category_id (SwellImageItem *self, gint64 category_id);
SwellSplit swell_image_item_get_split (SwellImageItem *self);
void swell_image_item_set_split (SwellImageItem *self, SwellSplit split);

G_END_DECLS
