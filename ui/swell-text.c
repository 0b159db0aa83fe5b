/* swell-text.c: text and colours for widgets that draw in snapshot(). */
#include "swell-config.h"

#include "swell-text.h"

PangoLayout *
swell_text_make_layout (GtkWidget *widget, const char *text, double scale, gboolean bold)
{
  PangoLayout *l = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (l, attrs);
  pango_attr_list_unref (attrs);
  return l;
}

void
swell_text_append (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

gboolean
swell_style_color (GtkWidget *widget, const char *name, GdkRGBA *color)
{
  GdkRGBA c;
  if (!name)
    return FALSE;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gboolean found = gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, &c);
  G_GNUC_END_IGNORE_DEPRECATIONS
  if (!found && !gdk_rgba_parse (&c, name))
    return FALSE;
  *color = c;
  return TRUE;
}

void
swell_style_fg_color (GtkWidget *widget, GdkRGBA *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}
