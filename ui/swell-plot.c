/* swell-plot.c: line plots drawn in snapshot(). */
#include "swell-config.h"

#include <math.h>
#include <pango/pangocairo.h>

#include "swell-a11y.h"
#include "swell-plot.h"
#include "swell-text.h"

typedef struct {
  char *name;
  char *color_name; /* a named colour of the style, or "#rrggbb" */
  GdkRGBA color;    /* color_name in the current style (resolve_colors) */
  SwellPlotStyle style;
  gboolean right;
  GArray *xs, *ys; /* double */
} Series;

typedef struct {
  double x;
  char *label;
  char *color_name;
  GdkRGBA color;
} Marker;

typedef struct {
  double x0, x1, y0, y1;     /* data ranges */
  double yr0, yr1;
  double px, py, pw, ph;     /* plot area in pixels */
  gboolean x_log;
} Frame;

typedef enum { AXIS_Y, AXIS_Y_RIGHT, AXIS_X, N_AXES } PlotAxis;

typedef struct {
  double value;
  PangoLayout *label;
} Tick;

/* The top of the title line. */
#define PLOT_TOP 8

/* What the layout step computes for one size of the widget. */
typedef struct {
  gboolean valid;
  int width, height;
  Frame f;
  gboolean any, any_right; /* points to draw (on the right axis) */
  gboolean fits;           /* the plot area is big enough to draw in */
  int legend_rows;         /* lines of legend below the title (0: beside it) */
  int tick_w, tick_h;      /* size of a typical tick label */
  PangoLayout *title, *placeholder, *x_title, *y_title, *yr_title; /* NULL when unset */
  GPtrArray *legend;        /* PangoLayout* per series, NULL when unnamed */
  GPtrArray *marker_labels; /* PangoLayout* per marker, NULL when unlabelled */
  GArray *ticks[N_AXES];    /* Tick */
} PlotLayout;

struct _SwellPlot {
  GtkWidget parent_instance;
  char *title, *x_title, *y_title, *yr_title, *placeholder;
  gboolean x_log;
  double x_min_fixed, x_max_fixed;
  GPtrArray *series;  /* Series* */
  GPtrArray *markers; /* Marker* */
  PlotLayout layout;
  char *description; /* set by the owner, or NULL: made from the data */
  guint describe_idle;
};

G_DEFINE_FINAL_TYPE (SwellPlot, swell_plot, GTK_TYPE_WIDGET)

static void
series_free (Series *s)
{
  g_free (s->name);
  g_free (s->color_name);
  g_array_unref (s->xs);
  g_array_unref (s->ys);
  g_free (s);
}

static void
marker_free (Marker *m)
{
  g_free (m->label);
  g_free (m->color_name);
  g_free (m);
}

static void
tick_clear (Tick *t)
{
  g_clear_object (&t->label);
}

static void
unref_if_set (gpointer object)
{
  if (object)
    g_object_unref (object);
}

static void invalidate (SwellPlot *self);

/* ---------------------------------------------------------------- ticks */

int
swell_plot_nice_ticks (double lo, double hi, int max_ticks, double *ticks)
{
  if (!(hi > lo) || !isfinite (lo) || !isfinite (hi) || max_ticks < 2)
    return 0;
  double range = hi - lo;
  double raw = range / (max_ticks - 1);
  double mag = pow (10, floor (log10 (raw)));
  double norm = raw / mag;
  double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  double first = ceil (lo / step - 1e-9) * step;
  int n = 0;
  for (double t = first; t <= hi + step * 1e-9 && n < 32; t += step) {
    ticks[n++] = fabs (t) < step * 1e-9 ? 0.0 : t;
  }
  return n;
}

int
swell_plot_log_ticks (double lo, double hi, double *ticks)
{
  if (!(hi > lo) || lo <= 0)
    return 0;
  int a = (int) ceil (log10 (lo) - 1e-9), b = (int) floor (log10 (hi) + 1e-9);
  int stride = 1;
  while ((b - a) / stride + 1 > 8)
    stride++;
  int n = 0;
  for (int e = a; e <= b && n < 32; e += stride)
    ticks[n++] = pow (10, e);
  return n;
}

char *
swell_plot_format_value (double v, gboolean log_axis)
{
  if (v == 0)
    return g_strdup ("0");
  double a = fabs (v);
  if (log_axis || a < 1e-4 || a >= 1e5) {
    int e = (int) floor (log10 (a) + 1e-9);
    double m = v / pow (10, e);
    if (fabs (m - round (m)) < 1e-6 && fabs (round (m)) == 1)
      return g_strdup_printf ("%s1e%d", m < 0 ? "-" : "", e);
    return g_strdup_printf ("%.1fe%d", m, e);
  }
  if (a >= 1000)
    return g_strdup_printf ("%.0f", v);
  char buf[32];
  g_snprintf (buf, sizeof buf, "%.4g", v);
  return g_strdup (buf);
}

/* ---------------------------------------------------------------- API */

GtkWidget *swell_plot_new (void) { return g_object_new (SWELL_TYPE_PLOT, NULL); }

/* The accessible description: the owner's, else the latest value of each
 * series ("Loss: train (smoothed) 0.412, validation 0.530"), else the
 * placeholder. Updated at most once per main-loop iteration. */
static gboolean
describe (gpointer data)
{
  SwellPlot *self = data;
  self->describe_idle = 0;
  GString *s = g_string_new (self->title ? self->title : "");
  guint n = 0;
  for (guint i = 0; i < self->series->len && !self->description; i++) {
    Series *ser = g_ptr_array_index (self->series, i);
    if (ser->ys->len == 0)
      continue;
    g_autofree char *v = swell_plot_format_value (g_array_index (ser->ys, double, ser->ys->len - 1), FALSE);
    g_string_append_printf (s, "%s%s %s", n++ ? ", " : s->len ? ": " : "", ser->name ? ser->name : "", v);
  }
  const char *text = self->description ? self->description : n ? s->str : self->placeholder;
  swell_a11y_set_description (GTK_WIDGET (self), text ? text : "");
  g_string_free (s, TRUE);
  return G_SOURCE_REMOVE;
}

static void
queue_describe (SwellPlot *self)
{
  if (!self->describe_idle)
    self->describe_idle = g_idle_add (describe, self);
}

void
swell_plot_set_description (SwellPlot *self, const char *description)
{
  g_free (self->description);
  self->description = g_strdup (description);
  queue_describe (self);
}

void
swell_plot_set_title (SwellPlot *self, const char *title)
{
  g_free (self->title);
  self->title = g_strdup (title);
  swell_a11y_set_label (GTK_WIDGET (self), title);
  queue_describe (self);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_axis_titles (SwellPlot *self, const char *x, const char *y, const char *y_right)
{
  g_free (self->x_title);
  g_free (self->y_title);
  g_free (self->yr_title);
  self->x_title = g_strdup (x);
  self->y_title = g_strdup (y);
  self->yr_title = g_strdup (y_right);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_placeholder (SwellPlot *self, const char *text)
{
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  queue_describe (self);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_x_log (SwellPlot *self, gboolean log)
{
  self->x_log = log;
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
swell_plot_add_series (SwellPlot *self, const char *name, const char *color, SwellPlotStyle style, gboolean right_axis)
{
  Series *s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  s->color_name = g_strdup (color);
  s->style = style;
  s->right = right_axis;
  s->xs = g_array_new (FALSE, FALSE, sizeof (double));
  s->ys = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (self->series, s);
  invalidate (self);
  return (int) self->series->len - 1;
}

void
swell_plot_append (SwellPlot *self, int series, double x, double y)
{
  g_return_if_fail (series >= 0 && (guint) series < self->series->len);
  if (!isfinite (x) || !isfinite (y))
    return;
  Series *s = g_ptr_array_index (self->series, series);
  g_array_append_val (s->xs, x);
  g_array_append_val (s->ys, y);
  queue_describe (self);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
swell_plot_get_n_points (SwellPlot *self, int series)
{
  g_return_val_if_fail (series >= 0 && (guint) series < self->series->len, 0);
  return ((Series *) g_ptr_array_index (self->series, series))->xs->len;
}

void
swell_plot_clear (SwellPlot *self)
{
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    g_array_set_size (s->xs, 0);
    g_array_set_size (s->ys, 0);
  }
  g_ptr_array_set_size (self->markers, 0);
  g_clear_pointer (&self->description, g_free);
  queue_describe (self);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_add_marker (SwellPlot *self, double x, const char *label, const char *color)
{
  Marker *m = g_new0 (Marker, 1);
  m->x = x;
  m->label = g_strdup (label);
  m->color_name = g_strdup (color);
  g_ptr_array_add (self->markers, m);
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_x_range (SwellPlot *self, double min, double max)
{
  self->x_min_fixed = min;
  self->x_max_fixed = max;
  invalidate (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- layout */

static double
fx (const Frame *f, double x)
{
  if (f->x_log)
    return f->px + (log10 (x) - log10 (f->x0)) / (log10 (f->x1) - log10 (f->x0)) * f->pw;
  return f->px + (x - f->x0) / (f->x1 - f->x0) * f->pw;
}

static double
fy (const Frame *f, double y, gboolean right)
{
  double lo = right ? f->yr0 : f->y0, hi = right ? f->yr1 : f->y1;
  return f->py + f->ph - (y - lo) / (hi - lo) * f->ph;
}

static void
invalidate (SwellPlot *self)
{
  self->layout.valid = FALSE;
}

static void
layout_clear (PlotLayout *lay)
{
  g_clear_object (&lay->title);
  g_clear_object (&lay->placeholder);
  g_clear_object (&lay->x_title);
  g_clear_object (&lay->y_title);
  g_clear_object (&lay->yr_title);
  g_ptr_array_set_size (lay->legend, 0);
  g_ptr_array_set_size (lay->marker_labels, 0);
  for (int a = 0; a < N_AXES; a++)
    g_array_set_size (lay->ticks[a], 0);
  lay->valid = FALSE;
}

static PangoLayout *
make_layout_or_null (SwellPlot *self, const char *text, double scale, gboolean bold)
{
  return text ? swell_text_make_layout (GTK_WIDGET (self), text, scale, bold) : NULL;
}

/* Expands [lo, hi] a little and avoids a zero range. */
static void
pad_range (double *lo, double *hi, gboolean include_zero)
{
  if (include_zero && *lo > 0)
    *lo = 0;
  if (*hi - *lo < 1e-12) {
    double d = fabs (*hi) > 0 ? fabs (*hi) * 0.1 : 1;
    *lo -= d;
    *hi += d;
  }
  double m = (*hi - *lo) * 0.05;
  if (!(include_zero && *lo == 0))
    *lo -= m;
  *hi += m;
}

/* The data ranges over every point (the fixed x range included). */
static void
layout_data_ranges (SwellPlot *self, PlotLayout *lay)
{
  Frame *f = &lay->f;
  *f = (Frame) { .x0 = INFINITY, .x1 = -INFINITY, .y0 = INFINITY, .y1 = -INFINITY, .yr0 = INFINITY, .yr1 = -INFINITY,
                 .x_log = self->x_log };
  lay->any = lay->any_right = FALSE;
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    for (guint k = 0; k < s->xs->len; k++) {
      double x = g_array_index (s->xs, double, k), y = g_array_index (s->ys, double, k);
      if (self->x_log && x <= 0)
        continue;
      lay->any = TRUE;
      f->x0 = MIN (f->x0, x);
      f->x1 = MAX (f->x1, x);
      if (s->right) {
        lay->any_right = TRUE;
        f->yr0 = MIN (f->yr0, y);
        f->yr1 = MAX (f->yr1, y);
      } else {
        f->y0 = MIN (f->y0, y);
        f->y1 = MAX (f->y1, y);
      }
    }
  }
  if (self->x_max_fixed > self->x_min_fixed) {
    f->x0 = lay->any ? MIN (f->x0, self->x_min_fixed) : self->x_min_fixed;
    f->x1 = lay->any ? MAX (f->x1, self->x_max_fixed) : self->x_max_fixed;
  }
}

/* Widens the data ranges into the axes' ranges: no empty range, a margin
 * around the points. */
static void
layout_axis_ranges (SwellPlot *self, PlotLayout *lay)
{
  Frame *f = &lay->f;
  if (self->x_log) {
    if (f->x1 <= f->x0) {
      f->x0 /= 2;
      f->x1 *= 2;
    }
  } else if (f->x1 - f->x0 < 1e-12) {
    f->x1 = f->x0 + 1;
  }
  if (!self->x_log) {
    /* A little room so the first and last points are not on the frame. */
    double m = (f->x1 - f->x0) * 0.015;
    f->x0 -= m;
    f->x1 += m;
  }
  pad_range (&f->y0, &f->y1, FALSE);
  if (!lay->any_right) {
    f->yr0 = 0;
    f->yr1 = 1;
  } else {
    pad_range (&f->yr0, &f->yr1, FALSE);
  }
}

/* The plot area: room for the title line, the tick labels and the axis
 * titles around it. */
/* Places the legend's items right-aligned in rows from `right` leftwards,
 * an item that would pass `left` starting the next row: x[i] is where item
 * i's sample starts, row[i] its row (x and row may be NULL). Returns the
 * rows, or -1 when an item alone is wider than left to right. */
static int
legend_wrap (const PlotLayout *lay, double left, double right, double *x, int *row)
{
  double at = right;
  gboolean too_wide = FALSE;
  int r = 0, in_row = 0;
  for (int i = (int) lay->legend->len - 1; i >= 0; i--) {
    PangoLayout *l = g_ptr_array_index (lay->legend, i);
    if (!l)
      continue;
    int tw;
    pango_layout_get_pixel_size (l, &tw, NULL);
    if (in_row > 0 && at - tw - 24 < left) {
      r++;
      in_row = 0;
      at = right;
    }
    at -= tw + 24;
    too_wide |= at < left;
    if (x)
      x[i] = at;
    if (row)
      row[i] = r;
    at -= 16;
    in_row++;
  }
  return too_wide ? -1 : in_row > 0 || r > 0 ? r + 1 : 0;
}

static void
layout_frame (SwellPlot *self, PlotLayout *lay)
{
  PangoLayout *probe = swell_text_make_layout (GTK_WIDGET (self), "0.0e-0", 0.8, FALSE);
  pango_layout_get_pixel_size (probe, &lay->tick_w, &lay->tick_h);
  g_object_unref (probe);
  Frame *f = &lay->f;
  f->px = 14 + lay->tick_h + 6 + lay->tick_w + 6;
  f->py = PLOT_TOP + lay->tick_h * 2 + 14;
  int title_w = 0;
  if (lay->title)
    pango_layout_get_pixel_size (lay->title, &title_w, NULL);
  /* Beside the title when it fits on one line there, else in rows below it. */
  int beside = legend_wrap (lay, 12 + title_w + 12, lay->width - 12, NULL, NULL);
  lay->legend_rows = beside == 0 || beside == 1 ? 0 : ABS (legend_wrap (lay, 12, lay->width - 12, NULL, NULL));
  f->py += lay->legend_rows * (lay->tick_h + 6);
  double right_pad = lay->any_right ? lay->tick_w + lay->tick_h + 26 : 18;
  f->pw = lay->width - f->px - right_pad;
  f->ph = lay->height - f->py - (lay->tick_h * 2 + 22);
  lay->fits = f->pw >= 20 && f->ph >= 20;
}

static void
layout_axis_ticks (SwellPlot *self, PlotLayout *lay, PlotAxis axis)
{
  const Frame *f = &lay->f;
  double values[32];
  int n = 0;
  if (axis == AXIS_Y)
    n = swell_plot_nice_ticks (f->y0, f->y1, MAX (3, (int) (f->ph / (lay->tick_h * 3))), values);
  else if (axis == AXIS_Y_RIGHT && lay->any_right)
    n = swell_plot_nice_ticks (f->yr0, f->yr1, MAX (3, (int) (f->ph / (lay->tick_h * 3))), values);
  else if (axis == AXIS_X)
    n = self->x_log ? swell_plot_log_ticks (f->x0, f->x1, values)
                    : swell_plot_nice_ticks (f->x0, f->x1, MAX (3, (int) (f->pw / (lay->tick_w * 2.2))), values);
  for (int i = 0; i < n; i++) {
    g_autofree char *t = swell_plot_format_value (values[i], axis == AXIS_X && self->x_log);
    Tick tick = { values[i], swell_text_make_layout (GTK_WIDGET (self), t, 0.8, FALSE) };
    g_array_append_val (lay->ticks[axis], tick);
  }
}

/* The top line: the title and the legend (before the frame, which makes
 * room for a second line when they do not fit side by side). */
static void
layout_title_and_legend (SwellPlot *self, PlotLayout *lay)
{
  lay->title = make_layout_or_null (self, self->title, 1.0, TRUE);
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    g_ptr_array_add (lay->legend, make_layout_or_null (self, s->name, 0.85, FALSE));
  }
}

static void
layout_texts (SwellPlot *self, PlotLayout *lay)
{
  lay->x_title = make_layout_or_null (self, self->x_title, 0.85, FALSE);
  lay->y_title = make_layout_or_null (self, self->y_title, 0.85, FALSE);
  lay->yr_title = make_layout_or_null (self, self->yr_title, 0.85, FALSE);
  for (guint i = 0; i < self->markers->len; i++) {
    Marker *m = g_ptr_array_index (self->markers, i);
    g_ptr_array_add (lay->marker_labels, make_layout_or_null (self, m->label, 0.8, TRUE));
  }
  lay->placeholder = make_layout_or_null (self, self->placeholder, 1.0, FALSE);
  if (lay->placeholder && lay->fits) {
    pango_layout_set_width (lay->placeholder, (int) (lay->f.pw - 24) * PANGO_SCALE);
    pango_layout_set_alignment (lay->placeholder, PANGO_ALIGN_CENTER);
    pango_layout_set_wrap (lay->placeholder, PANGO_WRAP_WORD);
  }
}

/* Everything snapshot() draws from: ranges, plot area, ticks and every text
 * laid out, kept until the data, the size or the style changes. */
static void
ensure_layout (SwellPlot *self, int width, int height)
{
  PlotLayout *lay = &self->layout;
  if (lay->valid && lay->width == width && lay->height == height)
    return;
  layout_clear (lay);
  lay->width = width;
  lay->height = height;
  layout_data_ranges (self, lay);
  layout_title_and_legend (self, lay);
  layout_frame (self, lay);
  if (lay->any)
    layout_axis_ranges (self, lay);
  layout_texts (self, lay);
  if (lay->any && lay->fits)
    for (int a = 0; a < N_AXES; a++)
      layout_axis_ticks (self, lay, a);
  lay->valid = TRUE;
}

/* ---------------------------------------------------------------- drawing */

typedef struct {
  GdkRGBA fg, grid, dim, axis;
} Colors;

static void
draw_text (cairo_t *cr, PangoLayout *l, double x, double y, double ax, double ay, const GdkRGBA *c)
{
  int w, h;
  pango_layout_get_pixel_size (l, &w, &h);
  cairo_move_to (cr, round (x - ax * w), round (y - ay * h));
  gdk_cairo_set_source_rgba (cr, c);
  pango_cairo_show_layout (cr, l);
}

/* Draws text rotated by angle around its top-left corner at (x, y). */
static void
draw_text_rotated (cairo_t *cr, PangoLayout *l, double x, double y, double angle, const GdkRGBA *c)
{
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, angle);
  draw_text (cr, l, 0, 0, 0, 0, c);
  cairo_restore (cr);
}

static void
draw_legend_sample (cairo_t *cr, const Series *s, double sx, double sy)
{
  cairo_save (cr);
  gdk_cairo_set_source_rgba (cr, &s->color);
  if (s->style == SWELL_PLOT_LINE_FAINT)
    cairo_set_source_rgba (cr, s->color.red, s->color.green, s->color.blue, 0.4);
  cairo_set_line_width (cr, s->style == SWELL_PLOT_LINE_FAINT ? 1.5 : 2.5);
  if (s->style == SWELL_PLOT_DASHED) {
    double dash[] = { 5, 3 };
    cairo_set_dash (cr, dash, 2, 0);
  }
  cairo_move_to (cr, sx, sy);
  cairo_line_to (cr, sx + 18, sy);
  cairo_stroke (cr);
  if (s->style == SWELL_PLOT_LINE_POINTS) {
    cairo_arc (cr, sx + 9, sy, 3.5, 0, 2 * G_PI);
    cairo_fill (cr);
  }
  cairo_restore (cr);
}

/* The title on the left of the top line, the legend right-aligned on it
 * (or on the next line when they do not fit side by side). */
static void
draw_title_and_legend (SwellPlot *self, cairo_t *cr, const Colors *c)
{
  const PlotLayout *lay = &self->layout;
  if (lay->title)
    draw_text (cr, lay->title, 12, PLOT_TOP, 0, 0, &c->fg);
  double y = PLOT_TOP + 2, row_h = lay->tick_h + 6;
  if (lay->legend_rows > 0 && lay->title) {
    int th;
    pango_layout_get_pixel_size (lay->title, NULL, &th);
    y += th + 2;
  }
  guint n = lay->legend->len;
  g_autofree double *x = g_new0 (double, n);
  g_autofree int *row = g_new0 (int, n);
  legend_wrap (lay, lay->legend_rows > 0 ? 12 : 0, lay->width - 12, x, row);
  for (guint i = 0; i < n; i++) {
    PangoLayout *l = g_ptr_array_index (lay->legend, i);
    if (!l)
      continue;
    int th;
    pango_layout_get_pixel_size (l, NULL, &th);
    double ly = y + row[i] * row_h;
    draw_text (cr, l, x[i] + 24, ly, 0, 0, &c->dim);
    draw_legend_sample (cr, g_ptr_array_index (self->series, i), x[i], ly + th / 2.0);
  }
}

static void
draw_empty (SwellPlot *self, cairo_t *cr, const Colors *c)
{
  const Frame *f = &self->layout.f;
  cairo_set_line_width (cr, 1);
  gdk_cairo_set_source_rgba (cr, &c->axis);
  cairo_rectangle (cr, f->px + 0.5, f->py + 0.5, f->pw, f->ph);
  cairo_stroke (cr);
  if (self->layout.placeholder)
    draw_text (cr, self->layout.placeholder, f->px + f->pw / 2, f->py + f->ph / 2, 0.5, 0.5, &c->dim);
}

static void
draw_grid_line (cairo_t *cr, double x0, double y0, double x1, double y1, const Colors *c)
{
  gdk_cairo_set_source_rgba (cr, &c->grid);
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x1, y1);
  cairo_stroke (cr);
}

/* Grid lines at the ticks of the left and bottom axes, tick labels on all. */
static void
draw_ticks (SwellPlot *self, cairo_t *cr, const Colors *c)
{
  const PlotLayout *lay = &self->layout;
  const Frame *f = &lay->f;
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i < lay->ticks[AXIS_Y]->len; i++) {
    const Tick *t = &g_array_index (lay->ticks[AXIS_Y], Tick, i);
    double y = round (fy (f, t->value, FALSE)) + 0.5;
    draw_grid_line (cr, f->px, y, f->px + f->pw, y, c);
    draw_text (cr, t->label, f->px - 6, y, 1, 0.5, &c->dim);
  }
  for (guint i = 0; i < lay->ticks[AXIS_Y_RIGHT]->len; i++) {
    const Tick *t = &g_array_index (lay->ticks[AXIS_Y_RIGHT], Tick, i);
    double y = round (fy (f, t->value, TRUE)) + 0.5;
    draw_text (cr, t->label, f->px + f->pw + 6, y, 0, 0.5, &c->dim);
  }
  for (guint i = 0; i < lay->ticks[AXIS_X]->len; i++) {
    const Tick *t = &g_array_index (lay->ticks[AXIS_X], Tick, i);
    double x = round (fx (f, t->value)) + 0.5;
    draw_grid_line (cr, x, f->py, x, f->py + f->ph, c);
    draw_text (cr, t->label, x, f->py + f->ph + 5, 0.5, 0, &c->dim);
  }
}

static void
draw_axis_titles (SwellPlot *self, cairo_t *cr, const Colors *c)
{
  const PlotLayout *lay = &self->layout;
  const Frame *f = &lay->f;
  int tw, th;
  if (lay->x_title)
    draw_text (cr, lay->x_title, f->px + f->pw / 2, lay->height - 6, 0.5, 1, &c->dim);
  if (lay->y_title) {
    pango_layout_get_pixel_size (lay->y_title, &tw, &th);
    draw_text_rotated (cr, lay->y_title, 8, f->py + f->ph / 2 + tw / 2.0, -G_PI / 2, &c->dim);
  }
  if (lay->yr_title && lay->any_right) {
    pango_layout_get_pixel_size (lay->yr_title, &tw, &th);
    draw_text_rotated (cr, lay->yr_title, lay->width - 6, f->py + f->ph / 2 - tw / 2.0, G_PI / 2, &c->dim);
  }
}

static void
draw_frame (SwellPlot *self, cairo_t *cr, const Colors *c)
{
  const Frame *f = &self->layout.f;
  gdk_cairo_set_source_rgba (cr, &c->axis);
  cairo_rectangle (cr, f->px + 0.5, f->py + 0.5, f->pw - 1, f->ph - 1);
  cairo_stroke (cr);
}

static void
set_series_pen (cairo_t *cr, const Series *s)
{
  if (s->style == SWELL_PLOT_LINE_FAINT) {
    cairo_set_source_rgba (cr, s->color.red, s->color.green, s->color.blue, 0.35);
    cairo_set_line_width (cr, 1.2);
  } else {
    gdk_cairo_set_source_rgba (cr, &s->color);
    cairo_set_line_width (cr, 2.2);
  }
  if (s->style == SWELL_PLOT_DASHED) {
    double dash[] = { 6, 4 };
    cairo_set_dash (cr, dash, 2, 0);
  }
}

static void
draw_one_series (SwellPlot *self, cairo_t *cr, const Series *s)
{
  const Frame *f = &self->layout.f;
  cairo_save (cr);
  set_series_pen (cr, s);
  gboolean started = FALSE;
  for (guint k = 0; k < s->xs->len; k++) {
    double x = g_array_index (s->xs, double, k), y = g_array_index (s->ys, double, k);
    if (self->x_log && x <= 0)
      continue;
    double X = fx (f, x), Y = fy (f, y, s->right);
    if (!started)
      cairo_move_to (cr, X, Y);
    else
      cairo_line_to (cr, X, Y);
    started = TRUE;
  }
  if (s->xs->len == 1 && s->style != SWELL_PLOT_LINE_POINTS) {
    double X = fx (f, g_array_index (s->xs, double, 0)), Y = fy (f, g_array_index (s->ys, double, 0), s->right);
    cairo_new_path (cr);
    cairo_arc (cr, X, Y, 2.5, 0, 2 * G_PI);
    cairo_fill (cr);
  }
  cairo_stroke (cr);
  if (s->style == SWELL_PLOT_LINE_POINTS) {
    for (guint k = 0; k < s->xs->len; k++) {
      double X = fx (f, g_array_index (s->xs, double, k)), Y = fy (f, g_array_index (s->ys, double, k), s->right);
      cairo_arc (cr, X, Y, 4, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  }
  cairo_restore (cr);
}

/* Every series, clipped to the plot area. */
static void
draw_series (SwellPlot *self, cairo_t *cr)
{
  const Frame *f = &self->layout.f;
  cairo_save (cr);
  cairo_rectangle (cr, f->px, f->py, f->pw, f->ph);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    if (s->xs->len > 0)
      draw_one_series (self, cr, s);
  }
  cairo_restore (cr);
}

/* Vertical dashed lines with their label at the top, inside the plot. */
static void
draw_markers (SwellPlot *self, cairo_t *cr)
{
  const Frame *f = &self->layout.f;
  for (guint i = 0; i < self->markers->len; i++) {
    Marker *m = g_ptr_array_index (self->markers, i);
    if ((self->x_log && m->x <= 0) || m->x < f->x0 || m->x > f->x1)
      continue;
    double X = round (fx (f, m->x)) + 0.5;
    cairo_save (cr);
    gdk_cairo_set_source_rgba (cr, &m->color);
    cairo_set_line_width (cr, 1.5);
    double dash[] = { 4, 3 };
    cairo_set_dash (cr, dash, 2, 0);
    cairo_move_to (cr, X, f->py);
    cairo_line_to (cr, X, f->py + f->ph);
    cairo_stroke (cr);
    cairo_restore (cr);
    PangoLayout *l = g_ptr_array_index (self->layout.marker_labels, i);
    if (l) {
      int tw, th;
      pango_layout_get_pixel_size (l, &tw, &th);
      double lx = X + 4 + tw > f->px + f->pw ? X - 4 - tw : X + 4;
      draw_text (cr, l, lx, f->py + 4, 0, 0, &m->color);
    }
  }
}

/* The series' and markers' colours in the current style (light or dark);
 * one that names no colour draws in the foreground colour. */
static void
resolve_colors (SwellPlot *self, const GdkRGBA *fg)
{
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    if (!swell_style_color (GTK_WIDGET (self), s->color_name, &s->color))
      s->color = *fg;
  }
  for (guint i = 0; i < self->markers->len; i++) {
    Marker *m = g_ptr_array_index (self->markers, i);
    if (!swell_style_color (GTK_WIDGET (self), m->color_name, &m->color))
      m->color = *fg;
  }
}

static void
theme_colors (GtkWidget *widget, Colors *c)
{
  swell_style_fg_color (widget, &c->fg);
  c->grid = c->dim = c->axis = c->fg;
  c->grid.alpha *= 0.10f;
  c->dim.alpha *= 0.65f;
  c->axis.alpha *= 0.35f;
}

static void
swell_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellPlot *self = SWELL_PLOT (widget);
  int W = gtk_widget_get_width (widget), H = gtk_widget_get_height (widget);
  if (W < 40 || H < 40)
    return;
  ensure_layout (self, W, H);
  Colors c;
  theme_colors (widget, &c);
  resolve_colors (self, &c.fg);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, W, H));
  draw_title_and_legend (self, cr, &c);
  if (self->layout.fits && !self->layout.any) {
    draw_empty (self, cr, &c);
  } else if (self->layout.fits) {
    draw_ticks (self, cr, &c);
    draw_axis_titles (self, cr, &c);
    draw_frame (self, cr, &c);
    draw_series (self, cr);
    draw_markers (self, cr);
  }
  cairo_destroy (cr);
}

/* Texts are laid out in the widget's font: lay them out again when the
 * style, the font settings or the display change. */
static void
swell_plot_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (swell_plot_parent_class)->css_changed (widget, change);
  invalidate (SWELL_PLOT (widget));
}

static void
swell_plot_system_setting_changed (GtkWidget *widget, GtkSystemSetting setting)
{
  GTK_WIDGET_CLASS (swell_plot_parent_class)->system_setting_changed (widget, setting);
  invalidate (SWELL_PLOT (widget));
}

static void
swell_plot_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (swell_plot_parent_class)->root (widget);
  invalidate (SWELL_PLOT (widget));
}

static void
swell_plot_measure (GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *mb, int *nb)
{
  *min = o == GTK_ORIENTATION_HORIZONTAL ? 260 : 180;
  *nat = o == GTK_ORIENTATION_HORIZONTAL ? 320 : 260;
}

static void
swell_plot_finalize (GObject *object)
{
  SwellPlot *self = SWELL_PLOT (object);
  g_free (self->title);
  g_free (self->x_title);
  g_free (self->y_title);
  g_free (self->yr_title);
  g_free (self->placeholder);
  g_free (self->description);
  g_clear_handle_id (&self->describe_idle, g_source_remove);
  g_ptr_array_unref (self->series);
  g_ptr_array_unref (self->markers);
  layout_clear (&self->layout);
  g_ptr_array_unref (self->layout.legend);
  g_ptr_array_unref (self->layout.marker_labels);
  for (int a = 0; a < N_AXES; a++)
    g_array_unref (self->layout.ticks[a]);
  G_OBJECT_CLASS (swell_plot_parent_class)->finalize (object);
}

static void
swell_plot_class_init (SwellPlotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_plot_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = swell_plot_snapshot;
  GTK_WIDGET_CLASS (klass)->measure = swell_plot_measure;
  GTK_WIDGET_CLASS (klass)->css_changed = swell_plot_css_changed;
  GTK_WIDGET_CLASS (klass)->system_setting_changed = swell_plot_system_setting_changed;
  GTK_WIDGET_CLASS (klass)->root = swell_plot_root;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "swell-plot");
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_IMG);
}

static void
swell_plot_init (SwellPlot *self)
{
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  self->markers = g_ptr_array_new_with_free_func ((GDestroyNotify) marker_free);
  self->layout.legend = g_ptr_array_new_with_free_func (unref_if_set);
  self->layout.marker_labels = g_ptr_array_new_with_free_func (unref_if_set);
  for (int a = 0; a < N_AXES; a++) {
    self->layout.ticks[a] = g_array_new (FALSE, FALSE, sizeof (Tick));
    g_array_set_clear_func (self->layout.ticks[a], (GDestroyNotify) tick_clear);
  }
}
