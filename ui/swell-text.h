/* swell-text.h: text and colours for widgets that draw in snapshot() (the
 * plot, the confusion matrix, the image tiles): Pango layouts scaled and
 * optionally bold, placing them on a snapshot, and the style's named
 * colours. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A layout of text in the widget's font, scaled by scale, bold if asked. */
PangoLayout *swell_text_make_layout (GtkWidget *widget, const char *text, double scale, gboolean bold);
/* Appends the layout with its top-left corner at (x, y). */
void swell_text_append (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y, const GdkRGBA *color);

/* The colour `name` stands for in the widget's style: a named colour of
 * libadwaita's or of ui/style.css (and style-dark.css in the dark style,
 * e.g. "accent_color", "swell_plot_train"), else a CSS colour ("#3584e4").
 * FALSE (and *color untouched) when it is neither. */
gboolean swell_style_color (GtkWidget *widget, const char *name, GdkRGBA *color);
/* The widget's foreground colour (CSS color). */
void swell_style_fg_color (GtkWidget *widget, GdkRGBA *color);

G_END_DECLS
