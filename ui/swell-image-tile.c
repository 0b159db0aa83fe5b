/* swell-image-tile.c: a thumbnail drawn in snapshot(). */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-a11y.h"
#include "swell-image-tile.h"
#include "swell-text.h"

struct _SwellImageTile {
  GtkWidget parent_instance;
  int size;
  SwellImageItem *item;
  SwellThumbnailer *thumbnailer;
  SwellCategoryList *categories;
  GdkTexture *texture;
  gboolean show_split, show_category;
};

G_DEFINE_FINAL_TYPE (SwellImageTile, swell_image_tile, GTK_TYPE_WIDGET)

static void
on_texture (GdkTexture *texture, gpointer user_data)
{
  SwellImageTile *self = user_data;
  g_set_object (&self->texture, texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The tooltip text is built only when GTK asks for it: setting it on every
 * bind (a property change and an accessibility update per tile) made
 * scrolling a large grid rebind-bound. */
static gboolean
swell_image_tile_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  SwellImageTile *self = SWELL_IMAGE_TILE (widget);
  if (!self->item)
    return FALSE;
  gint64 cat = swell_image_item_get_category_id (self->item);
  SwellCategoryItem *c = self->categories ? swell_category_list_lookup (self->categories, cat, NULL) : NULL;
  g_autofree char *tip = g_strdup_printf ("%s\n%s · %s", swell_image_item_get_name (self->item),
                                          c ? swell_category_item_get_name (c) : _("Unlabeled"),
                                          swell_ui_split_display_name (swell_image_item_get_split (self->item)));
  gtk_tooltip_set_text (tooltip, tip);
  return TRUE;
}

/* The accessible name, "cloudy12.jpg, cloudy, train", on the tile and the
 * list row around it (which takes the focus). */
static void
update_label (SwellImageTile *self)
{
  if (!self->item)
    return;
  gint64 cat = swell_image_item_get_category_id (self->item);
  SwellCategoryItem *c = self->categories ? swell_category_list_lookup (self->categories, cat, NULL) : NULL;
  g_autofree char *label = g_strdup_printf ("%s, %s, %s", swell_image_item_get_name (self->item),
                                            c ? swell_category_item_get_name (c) : _("Unlabeled"),
                                            swell_ui_split_display_name (swell_image_item_get_split (self->item)));
  swell_a11y_set_item_label (GTK_WIDGET (self), label);
}

static void
on_item_notify (SwellImageTile *self)
{
  update_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_image_tile_bind (SwellImageTile *self, SwellImageItem *item, SwellThumbnailer *thumbnailer,
                       SwellCategoryList *categories)
{
  if (self->thumbnailer)
    swell_thumbnailer_cancel (self->thumbnailer, self);
  if (self->item)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_set_object (&self->item, item);
  g_set_object (&self->thumbnailer, thumbnailer);
  g_set_object (&self->categories, categories);
  g_clear_object (&self->texture);
  if (item) {
    g_signal_connect_swapped (item, "notify", G_CALLBACK (on_item_notify), self);
    if (thumbnailer) {
      GdkTexture *t = swell_thumbnailer_request (thumbnailer, swell_image_item_get_id (item), on_texture, self);
      if (t)
        self->texture = g_object_ref (t);
    }
    update_label (self);
  }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

SwellImageItem *swell_image_tile_get_item (SwellImageTile *self) { return self->item; }

void
swell_image_tile_set_show_badges (SwellImageTile *self, gboolean split, gboolean category)
{
  self->show_split = split;
  self->show_category = category;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
swell_image_tile_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                          int *natural, int *min_baseline, int *nat_baseline)
{
  SwellImageTile *self = SWELL_IMAGE_TILE (widget);
  *minimum = *natural = self->size;
}

/* A pill with text at (x, y) (top-left), returns its width. */
static float
draw_pill (GtkSnapshot *snapshot, GtkWidget *widget, float x, float y, const char *text, const GdkRGBA *bg,
           const GdkRGBA *fg, float max_w)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_scale_new (0.8));
  pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, (int) ((max_w - 12) * PANGO_SCALE));
  int tw, th;
  pango_layout_get_pixel_size (layout, &tw, &th);
  float w = tw + 12, h = th + 4;
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (x, y, w, h), h / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &rr);
  gtk_snapshot_append_color (snapshot, bg, &GRAPHENE_RECT_INIT (x, y, w, h));
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x + 6, y + 2));
  gtk_snapshot_append_layout (snapshot, layout, fg);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
  return w;
}

static void
swell_image_tile_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellImageTile *self = SWELL_IMAGE_TILE (widget);
  float w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  float side = MIN (w, h);
  float x0 = (w - side) / 2, y0 = (h - side) / 2;
  GskRoundedRect clip;
  gsk_rounded_rect_init_from_rect (&clip, &GRAPHENE_RECT_INIT (x0, y0, side, side), 8);
  gtk_snapshot_push_rounded_clip (snapshot, &clip);
  GdkRGBA placeholder = { 0.5, 0.5, 0.5, 0.18 };
  swell_style_color (widget, "swell_tile_placeholder", &placeholder);
  gtk_snapshot_append_color (snapshot, &placeholder, &GRAPHENE_RECT_INIT (x0, y0, side, side));
  if (self->texture) {
    float tw = gdk_texture_get_width (self->texture), th = gdk_texture_get_height (self->texture);
    float scale = MAX (side / tw, side / th); /* cover */
    float dw = tw * scale, dh = th * scale;
    gtk_snapshot_append_texture (snapshot, self->texture,
                                 &GRAPHENE_RECT_INIT (x0 + (side - dw) / 2, y0 + (side - dh) / 2, dw, dh));
  }
  gtk_snapshot_pop (snapshot);

  if (!self->item)
    return;
  GdkRGBA white = { 1, 1, 1, 1 };
  swell_style_color (widget, "swell_pill_fg", &white);
  if (self->show_category) {
    gint64 cat = swell_image_item_get_category_id (self->item);
    SwellCategoryItem *c = self->categories ? swell_category_list_lookup (self->categories, cat, NULL) : NULL;
    if (c && swell_category_item_get_color (c)) {
      GdkRGBA bg;
      if (!gdk_rgba_parse (&bg, swell_category_item_get_color (c)))
        bg = (GdkRGBA) { 0.3, 0.3, 0.3, 1 };
      bg.alpha = 0.92f;
      /* Dark text on light colours (yellow, green), white on the rest. */
      double lum = 0.2126 * bg.red + 0.7152 * bg.green + 0.0722 * bg.blue;
      GdkRGBA dark = { 0.1, 0.1, 0.1, 1 };
      swell_style_color (widget, "swell_pill_dark_fg", &dark);
      draw_pill (snapshot, widget, x0 + 6, y0 + 6, swell_category_item_get_name (c), &bg, lum > 0.6 ? &dark : &white,
                 side - 12);
    }
  }
  if (self->show_split) {
    SwellSplit split = swell_image_item_get_split (self->item);
    /* ui/style.css: orange for held out for validation, purple for test. */
    GdkRGBA bg = { 0, 0, 0, 0.62 };
    swell_style_color (widget, split == SWELL_SPLIT_VALID ? "swell_split_valid"
                               : split == SWELL_SPLIT_TEST ? "swell_split_test" : "swell_split_train", &bg);
    PangoLayout *probe = gtk_widget_create_pango_layout (widget, "Ag");
    int ph;
    pango_layout_get_pixel_size (probe, NULL, &ph);
    g_object_unref (probe);
    float pill_h = ph * 0.8f + 4;
    draw_pill (snapshot, widget, x0 + 6, y0 + side - pill_h - 6, swell_ui_split_display_name (split), &bg, &white,
               side - 12);
  }
}

static void
swell_image_tile_dispose (GObject *object)
{
  SwellImageTile *self = SWELL_IMAGE_TILE (object);
  swell_image_tile_bind (self, NULL, NULL, NULL);
  G_OBJECT_CLASS (swell_image_tile_parent_class)->dispose (object);
}

static void
swell_image_tile_class_init (SwellImageTileClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_image_tile_dispose;
  widget_class->measure = swell_image_tile_measure;
  widget_class->snapshot = swell_image_tile_snapshot;
  widget_class->query_tooltip = swell_image_tile_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "swell-tile");
}

static void
swell_image_tile_init (SwellImageTile *self)
{
  self->size = 150;
  self->show_split = TRUE;
  self->show_category = TRUE;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
swell_image_tile_new (int size)
{
  SwellImageTile *self = g_object_new (SWELL_TYPE_IMAGE_TILE, NULL);
  self->size = size;
  return GTK_WIDGET (self);
}
