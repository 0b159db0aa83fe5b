/* swell-category-row.c: a row of the category sidebar. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-a11y.h"
#include "swell-category-row.h"

/* ---------------------------------------------------------------- dot */

struct _SwellColorDot {
  GtkWidget parent_instance;
  GdkRGBA color;
  gboolean has_color;
};

G_DEFINE_FINAL_TYPE (SwellColorDot, swell_color_dot, GTK_TYPE_WIDGET)

void
swell_color_dot_set_color (SwellColorDot *self, const char *color)
{
  self->has_color = color && gdk_rgba_parse (&self->color, color);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
swell_color_dot_measure (GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *mb, int *nb)
{
  *min = *nat = 14;
}

static void
swell_color_dot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellColorDot *self = SWELL_COLOR_DOT (widget);
  float s = MIN (gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (0, 0, s, s), s / 2);
  if (self->has_color) {
    gtk_snapshot_push_rounded_clip (snapshot, &rr);
    gtk_snapshot_append_color (snapshot, &self->color, &GRAPHENE_RECT_INIT (0, 0, s, s));
    gtk_snapshot_pop (snapshot);
  } else {
    GdkRGBA fg;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
    G_GNUC_END_IGNORE_DEPRECATIONS
    fg.alpha *= 0.55f;
    const float bw[4] = { 1.5f, 1.5f, 1.5f, 1.5f };
    const GdkRGBA bc[4] = { fg, fg, fg, fg };
    gtk_snapshot_append_border (snapshot, &rr, bw, bc);
  }
}

static void
swell_color_dot_class_init (SwellColorDotClass *klass)
{
  GTK_WIDGET_CLASS (klass)->measure = swell_color_dot_measure;
  GTK_WIDGET_CLASS (klass)->snapshot = swell_color_dot_snapshot;
}

static void swell_color_dot_init (SwellColorDot *self) {}

/* ---------------------------------------------------------------- row */

struct _SwellCategoryRow {
  GtkWidget parent_instance;
  GtkWidget *box;
  SwellColorDot *dot;
  GtkLabel *name_label;
  GtkLabel *split_label;
  GtkLabel *key_label;
  GtkLabel *total_label;
  SwellCategoryItem *item;
  guint position;
};

G_DEFINE_FINAL_TYPE (SwellCategoryRow, swell_category_row, GTK_TYPE_WIDGET)

static void
refresh (SwellCategoryRow *self)
{
  SwellCategoryItem *it = self->item;
  if (!it)
    return;
  gtk_label_set_text (self->name_label, swell_category_item_get_name (it));
  swell_color_dot_set_color (self->dot, swell_category_item_get_color (it));
  g_autofree char *total = g_strdup_printf ("%u", swell_category_item_get_total (it));
  gtk_label_set_text (self->total_label, total);
  guint tr = swell_category_item_get_count (it, SWELL_SPLIT_TRAIN);
  guint va = swell_category_item_get_count (it, SWELL_SPLIT_VALID);
  guint te = swell_category_item_get_count (it, SWELL_SPLIT_TEST);
  g_autofree char *splits = te > 0 ? g_strdup_printf (_("%u train · %u valid · %u test"), tr, va, te)
                                   : g_strdup_printf (_("%u train · %u valid"), tr, va);
  gtk_label_set_text (self->split_label, splits);
  /* Keys 1-9 label the selection with the n-th category (position 1..9). */
  gboolean real = swell_category_item_is_real (it);
  if (real && self->position >= 1 && self->position <= 9) {
    g_autofree char *k = g_strdup_printf ("%u", self->position);
    gtk_label_set_text (self->key_label, k);
    gtk_widget_set_visible (GTK_WIDGET (self->key_label), TRUE);
  } else if (swell_category_item_get_id (it) == SWELL_CATEGORY_UNLABELED) {
    gtk_label_set_text (self->key_label, "0");
    gtk_widget_set_visible (GTK_WIDGET (self->key_label), TRUE);
  } else {
    gtk_widget_set_visible (GTK_WIDGET (self->key_label), FALSE);
  }
  g_autofree char *tip = real ? g_strdup_printf (_("Drop photos here to import them as “%s”, or drag thumbnails here to relabel them"),
                                                 swell_category_item_get_name (it))
                              : NULL;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tip);
  /* The row's accessible name (on the list row that takes the focus). */
  guint n = swell_category_item_get_total (it);
  g_autofree char *name = gtk_widget_get_visible (GTK_WIDGET (self->key_label))
    ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u image, %s; key %s", "%s: %u images, %s; key %s", n),
                       swell_category_item_get_name (it), n, splits, gtk_label_get_text (self->key_label))
    : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u image, %s", "%s: %u images, %s", n),
                       swell_category_item_get_name (it), n, splits);
  swell_a11y_set_item_label (GTK_WIDGET (self), name);
}

void
swell_category_row_bind (SwellCategoryRow *self, SwellCategoryItem *item, guint position)
{
  if (self->item)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_set_object (&self->item, item);
  self->position = position;
  if (item)
    g_signal_connect_swapped (item, "notify", G_CALLBACK (refresh), self);
  refresh (self);
}

SwellCategoryItem *swell_category_row_get_item (SwellCategoryRow *self) { return self->item; }

void
swell_category_row_set_drop_highlight (SwellCategoryRow *self, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (GTK_WIDGET (self), "swell-drop-target");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "swell-drop-target");
}

static void
swell_category_row_dispose (GObject *object)
{
  SwellCategoryRow *self = SWELL_CATEGORY_ROW (object);
  swell_category_row_bind (self, NULL, 0);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_CATEGORY_ROW);
  G_OBJECT_CLASS (swell_category_row_parent_class)->dispose (object);
}

static void
swell_category_row_class_init (SwellCategoryRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_category_row_dispose;
  g_type_ensure (SWELL_TYPE_COLOR_DOT);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-category-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, box);
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, dot);
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, split_label);
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, key_label);
  gtk_widget_class_bind_template_child (widget_class, SwellCategoryRow, total_label);
  gtk_widget_class_set_css_name (widget_class, "swell-category-row");
}

static void
swell_category_row_init (SwellCategoryRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
swell_category_row_new (void)
{
  return g_object_new (SWELL_TYPE_CATEGORY_ROW, NULL);
}
