/* swell-category-list.h: the sidebar's view model (no widgets): "All", the
 * project's categories in their order, then "Unlabeled"; each row has a
 * colour and image counts per split, kept current from a SwellImageList. */
#pragma once

#include <gio/gio.h>

#include "swell-image-list.h"

G_BEGIN_DECLS

#define SWELL_TYPE_CATEGORY_ITEM (swell_category_item_get_type ())
G_DECLARE_FINAL_TYPE (SwellCategoryItem, swell_category_item, SWELL, CATEGORY_ITEM, GObject)

/* SWELL_CATEGORY_ALL, SWELL_CATEGORY_UNLABELED or a store id (> 0). */
gint64 swell_category_item_get_id (SwellCategoryItem *self);
const char *swell_category_item_get_name (SwellCategoryItem *self);
/* "#rrggbb"; NULL for All and Unlabeled. */
const char *swell_category_item_get_color (SwellCategoryItem *self);
guint swell_category_item_get_count (SwellCategoryItem *self, SwellSplit split);
guint swell_category_item_get_total (SwellCategoryItem *self);
gboolean swell_category_item_is_real (SwellCategoryItem *self);

/* The Label view's "Suggested" row (unlabeled images with the latest run's
 * prediction): not in a SwellCategoryList, its counts set by its owner. */
#define SWELL_CATEGORY_SUGGESTED ((gint64) -100)
SwellCategoryItem *swell_category_item_new_extra (gint64 id, const char *name);
void swell_category_item_set_counts (SwellCategoryItem *self, const guint counts[SWELL_N_SPLITS]);

#define SWELL_TYPE_CATEGORY_LIST (swell_category_list_get_type ())
G_DECLARE_FINAL_TYPE (SwellCategoryList, swell_category_list, SWELL, CATEGORY_LIST, GObject)

SwellCategoryList *swell_category_list_new (SwellImageList *images);
/* Adds or updates a category; new ones go before "Unlabeled". */
void swell_category_list_upsert (SwellCategoryList *self, gint64 id, const char *name, const char *color);
void swell_category_list_remove (SwellCategoryList *self, gint64 id);
/* Removes every real category. */
void swell_category_list_clear (SwellCategoryList *self);
SwellCategoryItem *swell_category_list_lookup (SwellCategoryList *self, gint64 id, guint *position);
/* The n-th real category (0-based), for the 1-9 keys; NULL past the end. */
SwellCategoryItem *swell_category_list_nth_category (SwellCategoryList *self, guint n);
guint swell_category_list_n_categories (SwellCategoryList *self);
/* Recomputes all counts from the image list (called automatically when it
 * changes). */
void swell_category_list_recount (SwellCategoryList *self);
/* A colour for a new category: the first of a fixed palette not in use. */
const char *swell_category_list_next_color (SwellCategoryList *self);

G_END_DECLS
