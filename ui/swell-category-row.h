/* swell-category-row.h: a row of the category sidebar: colour dot (drawn in
 * snapshot()), name, image counts per split. */
#pragma once

#include <gtk/gtk.h>

#include "swell-category-list.h"

G_BEGIN_DECLS

#define SWELL_TYPE_COLOR_DOT (swell_color_dot_get_type ())
G_DECLARE_FINAL_TYPE (SwellColorDot, swell_color_dot, SWELL, COLOR_DOT, GtkWidget)
/* color "#rrggbb", or NULL for an outlined ring (All / Unlabeled). */
void swell_color_dot_set_color (SwellColorDot *self, const char *color);

#define SWELL_TYPE_CATEGORY_ROW (swell_category_row_get_type ())
G_DECLARE_FINAL_TYPE (SwellCategoryRow, swell_category_row, SWELL, CATEGORY_ROW, GtkWidget)

GtkWidget *swell_category_row_new (void);
void swell_category_row_bind (SwellCategoryRow *self, SwellCategoryItem *item, guint position);
SwellCategoryItem *swell_category_row_get_item (SwellCategoryRow *self);
/* Highlight while something is dragged over the row. */
void swell_category_row_set_drop_highlight (SwellCategoryRow *self, gboolean on);

G_END_DECLS
