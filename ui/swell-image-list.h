/* swell-image-list.h: view models of the project's images (no widgets).
 *
 * SwellImageList is the master list of every image (a GListModel of
 * SwellImageItem in store order, with lookup by id). SwellImageFilter is a
 * GListModel over it that keeps the images of one category (or All, or
 * Unlabeled) and optionally one split, in master order, and follows changes
 * of labels and splits with minimal items-changed ranges. */
#pragma once

#include <gio/gio.h>

#include "swell-image-item.h"

G_BEGIN_DECLS

#define SWELL_TYPE_IMAGE_LIST (swell_image_list_get_type ())
G_DECLARE_FINAL_TYPE (SwellImageList, swell_image_list, SWELL, IMAGE_LIST, GObject)

SwellImageList *swell_image_list_new (void);
/* Appends items (takes no ownership of the array; refs the items). */
void swell_image_list_append (SwellImageList *self, SwellImageItem **items, guint n);
void swell_image_list_remove (SwellImageList *self, const gint64 *ids, guint n);
void swell_image_list_clear (SwellImageList *self);
SwellImageItem *swell_image_list_lookup (SwellImageList *self, gint64 id);
/* Several label/split changes as one update: filters refilter once at thaw. */
void swell_image_list_freeze (SwellImageList *self);
void swell_image_list_thaw (SwellImageList *self);
/* Counts per split for one category id (SWELL_CATEGORY_ALL counts all). */
void swell_image_list_count (SwellImageList *self, gint64 category_id, guint counts[SWELL_N_SPLITS]);

#define SWELL_SPLIT_ANY (-1)

#define SWELL_TYPE_IMAGE_FILTER (swell_image_filter_get_type ())
G_DECLARE_FINAL_TYPE (SwellImageFilter, swell_image_filter, SWELL, IMAGE_FILTER, GObject)

SwellImageFilter *swell_image_filter_new (SwellImageList *list);
void swell_image_filter_set_category (SwellImageFilter *self, gint64 category_id);
gint64 swell_image_filter_get_category (SwellImageFilter *self);
/* SWELL_SPLIT_ANY or a SwellSplit. */
void swell_image_filter_set_split (SwellImageFilter *self, int split);
int swell_image_filter_get_split (SwellImageFilter *self);

G_END_DECLS
