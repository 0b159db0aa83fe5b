/* swell-image-tile.h: one thumbnail of a grid, drawn in snapshot(): the
 * photo (square, cover fit), its category chip and its split badge. Used by
 * the label grid and (with a caption) by the results gallery. */
#pragma once

#include <gtk/gtk.h>

#include "swell-category-list.h"
#include "swell-thumbnailer.h"

G_BEGIN_DECLS

#define SWELL_TYPE_IMAGE_TILE (swell_image_tile_get_type ())
G_DECLARE_FINAL_TYPE (SwellImageTile, swell_image_tile, SWELL, IMAGE_TILE, GtkWidget)

GtkWidget *swell_image_tile_new (int size);
/* item may be NULL (unbind). categories is used for the chip colour. */
void swell_image_tile_bind (SwellImageTile *self, SwellImageItem *item, SwellThumbnailer *thumbnailer,
                            SwellCategoryList *categories);
SwellImageItem *swell_image_tile_get_item (SwellImageTile *self);
/* Show the split badge (default TRUE) and the category chip (default TRUE). */
void swell_image_tile_set_show_badges (SwellImageTile *self, gboolean split, gboolean category);

G_END_DECLS
