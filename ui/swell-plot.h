/* swell-plot.h: a line plot widget drawn in snapshot(): several series,
 * linear or log x axis, an optional right-hand y axis, nice ticks, axis
 * titles, a legend and vertical markers. Colours follow the theme's
 * foreground so it reads in light and dark styles. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SWELL_TYPE_PLOT (swell_plot_get_type ())
G_DECLARE_FINAL_TYPE (SwellPlot, swell_plot, SWELL, PLOT, GtkWidget)

typedef enum {
  SWELL_PLOT_LINE,        /* solid line */
  SWELL_PLOT_LINE_FAINT,  /* thin translucent line (raw values under a smoothed one) */
  SWELL_PLOT_LINE_POINTS, /* line with dots at each point */
  SWELL_PLOT_DASHED,      /* dashed line */
} SwellPlotStyle;

GtkWidget *swell_plot_new (void);
/* The title is also the plot's accessible name. */
void swell_plot_set_title (SwellPlot *self, const char *title);
/* The accessible description (what the plot shows, in words), NULL to make
 * it from the data: the title and each series' latest value. Cleared by
 * swell_plot_clear(). */
void swell_plot_set_description (SwellPlot *self, const char *description);
void swell_plot_set_axis_titles (SwellPlot *self, const char *x, const char *y, const char *y_right);
void swell_plot_set_x_log (SwellPlot *self, gboolean log);
/* Text shown in the middle while there is no data. */
void swell_plot_set_placeholder (SwellPlot *self, const char *text);
/* color: a named colour of the style (resolved at each draw, so it follows
 * the light and dark style) or "#rrggbb". Returns the series index. */
int swell_plot_add_series (SwellPlot *self, const char *name, const char *color, SwellPlotStyle style,
                           gboolean right_axis);
void swell_plot_append (SwellPlot *self, int series, double x, double y);
/* Removes all points (series stay) and markers. */
void swell_plot_clear (SwellPlot *self);
/* A vertical line at x with a label at its top. */
void swell_plot_add_marker (SwellPlot *self, double x, const char *label, const char *color);
/* Fixed x range (e.g. the planned iterations), or min >= max for automatic. */
void swell_plot_set_x_range (SwellPlot *self, double min, double max);
guint swell_plot_get_n_points (SwellPlot *self, int series);

/* Axis tick helpers, exposed for tests: "nice" linear ticks covering
 * [lo, hi] (at most max_ticks), and decades for a log axis. Return the count
 * written to ticks (capacity 32). */
int swell_plot_nice_ticks (double lo, double hi, int max_ticks, double *ticks);
int swell_plot_log_ticks (double lo, double hi, double *ticks);
/* Formats a tick value compactly ("0.5", "2e-03", "1k"). */
char *swell_plot_format_value (double v, gboolean log_axis);

G_END_DECLS
