/* swell-plot.c: line plots drawn in snapshot(). */
#include "swell-config.h"

#include <math.h>
#include <pango/pangocairo.h>

#include "swell-plot.h"

typedef struct {
  char *name;
  GdkRGBA color;
  SwellPlotStyle style;
  gboolean right;
  GArray *xs, *ys; /* double */
} Series;

typedef struct {
  double x;
  char *label;
  GdkRGBA color;
} Marker;

struct _SwellPlot {
  GtkWidget parent_instance;
  char *title, *x_title, *y_title, *yr_title, *placeholder;
  gboolean x_log;
  double x_min_fixed, x_max_fixed;
  GPtrArray *series;  /* Series* */
  GPtrArray *markers; /* Marker* */
};

G_DEFINE_FINAL_TYPE (SwellPlot, swell_plot, GTK_TYPE_WIDGET)

static void
series_free (Series *s)
{
  g_free (s->name);
  g_array_unref (s->xs);
  g_array_unref (s->ys);
  g_free (s);
}

static void
marker_free (Marker *m)
{
  g_free (m->label);
  g_free (m);
}

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

void
swell_plot_set_title (SwellPlot *self, const char *title)
{
  g_free (self->title);
  self->title = g_strdup (title);
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
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_placeholder (SwellPlot *self, const char *text)
{
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_x_log (SwellPlot *self, gboolean log)
{
  self->x_log = log;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
swell_plot_add_series (SwellPlot *self, const char *name, const char *color, SwellPlotStyle style, gboolean right_axis)
{
  Series *s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  if (!gdk_rgba_parse (&s->color, color))
    s->color = (GdkRGBA) { 0.2, 0.5, 0.9, 1 };
  s->style = style;
  s->right = right_axis;
  s->xs = g_array_new (FALSE, FALSE, sizeof (double));
  s->ys = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (self->series, s);
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
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_add_marker (SwellPlot *self, double x, const char *label, const char *color)
{
  Marker *m = g_new0 (Marker, 1);
  m->x = x;
  m->label = g_strdup (label);
  if (!color || !gdk_rgba_parse (&m->color, color))
    m->color = (GdkRGBA) { 0.88, 0.11, 0.14, 1 };
  g_ptr_array_add (self->markers, m);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_plot_set_x_range (SwellPlot *self, double min, double max)
{
  self->x_min_fixed = min;
  self->x_max_fixed = max;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- drawing */

typedef struct {
  double x0, x1, y0, y1;     /* data ranges */
  double yr0, yr1;
  double px, py, pw, ph;     /* plot area in pixels */
  gboolean x_log;
} Frame;

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

PangoLayout *
swell_plot_make_layout (GtkWidget *w, const char *text, double scale, gboolean bold)
{
  PangoLayout *l = gtk_widget_create_pango_layout (w, text);
  PangoAttrList *attrs = pango_attr_list_new ();
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (l, attrs);
  pango_attr_list_unref (attrs);
  return l;
}

static void
draw_text (cairo_t *cr, PangoLayout *l, double x, double y, double ax, double ay, const GdkRGBA *c)
{
  int w, h;
  pango_layout_get_pixel_size (l, &w, &h);
  cairo_move_to (cr, round (x - ax * w), round (y - ay * h));
  gdk_cairo_set_source_rgba (cr, c);
  pango_cairo_show_layout (cr, l);
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

static void
swell_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellPlot *self = SWELL_PLOT (widget);
  int W = gtk_widget_get_width (widget), H = gtk_widget_get_height (widget);
  if (W < 40 || H < 40)
    return;
  GdkRGBA fg;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  GdkRGBA grid = fg, dim = fg, axis = fg;
  grid.alpha *= 0.10f;
  dim.alpha *= 0.65f;
  axis.alpha *= 0.35f;

  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, W, H));

  /* Data ranges. */
  gboolean any = FALSE, any_right = FALSE;
  Frame f = { .x0 = INFINITY, .x1 = -INFINITY, .y0 = INFINITY, .y1 = -INFINITY, .yr0 = INFINITY, .yr1 = -INFINITY,
              .x_log = self->x_log };
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    for (guint k = 0; k < s->xs->len; k++) {
      double x = g_array_index (s->xs, double, k), y = g_array_index (s->ys, double, k);
      if (self->x_log && x <= 0)
        continue;
      any = TRUE;
      f.x0 = MIN (f.x0, x);
      f.x1 = MAX (f.x1, x);
      if (s->right) {
        any_right = TRUE;
        f.yr0 = MIN (f.yr0, y);
        f.yr1 = MAX (f.yr1, y);
      } else {
        f.y0 = MIN (f.y0, y);
        f.y1 = MAX (f.y1, y);
      }
    }
  }
  if (self->x_max_fixed > self->x_min_fixed) {
    f.x0 = any ? MIN (f.x0, self->x_min_fixed) : self->x_min_fixed;
    f.x1 = any ? MAX (f.x1, self->x_max_fixed) : self->x_max_fixed;
  }

  /* Title and legend on top. */
  double top = 8;
  if (self->title) {
    PangoLayout *l = swell_plot_make_layout (widget, self->title, 1.0, TRUE);
    draw_text (cr, l, 12, top, 0, 0, &fg);
    g_object_unref (l);
  }
  {
    /* Legend, right-aligned on the title line. */
    double x = W - 12;
    for (int i = (int) self->series->len - 1; i >= 0; i--) {
      Series *s = g_ptr_array_index (self->series, i);
      if (!s->name)
        continue;
      PangoLayout *l = swell_plot_make_layout (widget, s->name, 0.85, FALSE);
      int tw, th;
      pango_layout_get_pixel_size (l, &tw, &th);
      x -= tw;
      draw_text (cr, l, x, top + 2, 0, 0, &dim);
      double sx = x - 24, sy = top + 2 + th / 2.0;
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
      x -= 24 + 16;
      g_object_unref (l);
    }
  }

  PangoLayout *probe = swell_plot_make_layout (widget, "0.0e-0", 0.8, FALSE);
  int tick_w, tick_h;
  pango_layout_get_pixel_size (probe, &tick_w, &tick_h);
  g_object_unref (probe);

  f.px = 14 + tick_h + 6 + tick_w + 6;
  f.py = top + tick_h * 2 + 14;
  double right_pad = any_right ? tick_w + tick_h + 26 : 18;
  f.pw = W - f.px - right_pad;
  f.ph = H - f.py - (tick_h * 2 + 22);
  if (f.pw < 20 || f.ph < 20) {
    cairo_destroy (cr);
    return;
  }

  if (!any) {
    cairo_set_line_width (cr, 1);
    gdk_cairo_set_source_rgba (cr, &axis);
    cairo_rectangle (cr, f.px + 0.5, f.py + 0.5, f.pw, f.ph);
    cairo_stroke (cr);
    if (self->placeholder) {
      PangoLayout *l = swell_plot_make_layout (widget, self->placeholder, 1.0, FALSE);
      pango_layout_set_width (l, (int) (f.pw - 24) * PANGO_SCALE);
      pango_layout_set_alignment (l, PANGO_ALIGN_CENTER);
      pango_layout_set_wrap (l, PANGO_WRAP_WORD);
      draw_text (cr, l, f.px + f.pw / 2, f.py + f.ph / 2, 0.5, 0.5, &dim);
      g_object_unref (l);
    }
    cairo_destroy (cr);
    return;
  }

  if (self->x_log) {
    if (f.x1 <= f.x0) {
      f.x0 /= 2;
      f.x1 *= 2;
    }
  } else if (f.x1 - f.x0 < 1e-12) {
    f.x1 = f.x0 + 1;
  }
  if (!self->x_log) {
    /* A little room so the first and last points are not on the frame. */
    double m = (f.x1 - f.x0) * 0.015;
    f.x0 -= m;
    f.x1 += m;
  }
  pad_range (&f.y0, &f.y1, FALSE);
  if (!any_right) {
    f.yr0 = 0;
    f.yr1 = 1;
  } else {
    pad_range (&f.yr0, &f.yr1, FALSE);
  }

  /* Grid and ticks. */
  double ticks[32];
  int nt;
  cairo_set_line_width (cr, 1);
  nt = swell_plot_nice_ticks (f.y0, f.y1, MAX (3, (int) (f.ph / (tick_h * 3))), ticks);
  for (int i = 0; i < nt; i++) {
    double y = round (fy (&f, ticks[i], FALSE)) + 0.5;
    gdk_cairo_set_source_rgba (cr, &grid);
    cairo_move_to (cr, f.px, y);
    cairo_line_to (cr, f.px + f.pw, y);
    cairo_stroke (cr);
    g_autofree char *t = swell_plot_format_value (ticks[i], FALSE);
    PangoLayout *l = swell_plot_make_layout (widget, t, 0.8, FALSE);
    draw_text (cr, l, f.px - 6, y, 1, 0.5, &dim);
    g_object_unref (l);
  }
  if (any_right) {
    nt = swell_plot_nice_ticks (f.yr0, f.yr1, MAX (3, (int) (f.ph / (tick_h * 3))), ticks);
    for (int i = 0; i < nt; i++) {
      double y = round (fy (&f, ticks[i], TRUE)) + 0.5;
      g_autofree char *t = swell_plot_format_value (ticks[i], FALSE);
      PangoLayout *l = swell_plot_make_layout (widget, t, 0.8, FALSE);
      draw_text (cr, l, f.px + f.pw + 6, y, 0, 0.5, &dim);
      g_object_unref (l);
    }
  }
  nt = self->x_log ? swell_plot_log_ticks (f.x0, f.x1, ticks)
                   : swell_plot_nice_ticks (f.x0, f.x1, MAX (3, (int) (f.pw / (tick_w * 2.2))), ticks);
  for (int i = 0; i < nt; i++) {
    double x = round (fx (&f, ticks[i])) + 0.5;
    gdk_cairo_set_source_rgba (cr, &grid);
    cairo_move_to (cr, x, f.py);
    cairo_line_to (cr, x, f.py + f.ph);
    cairo_stroke (cr);
    g_autofree char *t = swell_plot_format_value (ticks[i], self->x_log);
    PangoLayout *l = swell_plot_make_layout (widget, t, 0.8, FALSE);
    draw_text (cr, l, x, f.py + f.ph + 5, 0.5, 0, &dim);
    g_object_unref (l);
  }
  /* Axis titles. */
  if (self->x_title) {
    PangoLayout *l = swell_plot_make_layout (widget, self->x_title, 0.85, FALSE);
    draw_text (cr, l, f.px + f.pw / 2, H - 6, 0.5, 1, &dim);
    g_object_unref (l);
  }
  if (self->y_title) {
    PangoLayout *l = swell_plot_make_layout (widget, self->y_title, 0.85, FALSE);
    int tw, th;
    pango_layout_get_pixel_size (l, &tw, &th);
    cairo_save (cr);
    cairo_translate (cr, 8, f.py + f.ph / 2 + tw / 2.0);
    cairo_rotate (cr, -G_PI / 2);
    draw_text (cr, l, 0, 0, 0, 0, &dim);
    cairo_restore (cr);
    g_object_unref (l);
  }
  if (self->yr_title && any_right) {
    PangoLayout *l = swell_plot_make_layout (widget, self->yr_title, 0.85, FALSE);
    int tw, th;
    pango_layout_get_pixel_size (l, &tw, &th);
    cairo_save (cr);
    cairo_translate (cr, W - 6, f.py + f.ph / 2 - tw / 2.0);
    cairo_rotate (cr, G_PI / 2);
    draw_text (cr, l, 0, 0, 0, 0, &dim);
    cairo_restore (cr);
    g_object_unref (l);
  }
  /* Frame. */
  gdk_cairo_set_source_rgba (cr, &axis);
  cairo_rectangle (cr, f.px + 0.5, f.py + 0.5, f.pw - 1, f.ph - 1);
  cairo_stroke (cr);

  /* Series, clipped to the plot area. */
  cairo_save (cr);
  cairo_rectangle (cr, f.px, f.py, f.pw, f.ph);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint i = 0; i < self->series->len; i++) {
    Series *s = g_ptr_array_index (self->series, i);
    if (s->xs->len == 0)
      continue;
    cairo_save (cr);
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
    gboolean started = FALSE;
    for (guint k = 0; k < s->xs->len; k++) {
      double x = g_array_index (s->xs, double, k), y = g_array_index (s->ys, double, k);
      if (self->x_log && x <= 0)
        continue;
      double X = fx (&f, x), Y = fy (&f, y, s->right);
      if (!started)
        cairo_move_to (cr, X, Y);
      else
        cairo_line_to (cr, X, Y);
      started = TRUE;
    }
    if (s->xs->len == 1 && s->style != SWELL_PLOT_LINE_POINTS) {
      double X = fx (&f, g_array_index (s->xs, double, 0)), Y = fy (&f, g_array_index (s->ys, double, 0), s->right);
      cairo_new_path (cr);
      cairo_arc (cr, X, Y, 2.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
    cairo_stroke (cr);
    if (s->style == SWELL_PLOT_LINE_POINTS) {
      for (guint k = 0; k < s->xs->len; k++) {
        double X = fx (&f, g_array_index (s->xs, double, k)), Y = fy (&f, g_array_index (s->ys, double, k), s->right);
        cairo_arc (cr, X, Y, 4, 0, 2 * G_PI);
        cairo_fill (cr);
      }
    }
    cairo_restore (cr);
  }
  cairo_restore (cr);

  /* Markers. */
  for (guint i = 0; i < self->markers->len; i++) {
    Marker *m = g_ptr_array_index (self->markers, i);
    if ((self->x_log && m->x <= 0) || m->x < f.x0 || m->x > f.x1)
      continue;
    double X = round (fx (&f, m->x)) + 0.5;
    cairo_save (cr);
    gdk_cairo_set_source_rgba (cr, &m->color);
    cairo_set_line_width (cr, 1.5);
    double dash[] = { 4, 3 };
    cairo_set_dash (cr, dash, 2, 0);
    cairo_move_to (cr, X, f.py);
    cairo_line_to (cr, X, f.py + f.ph);
    cairo_stroke (cr);
    cairo_restore (cr);
    if (m->label) {
      PangoLayout *l = swell_plot_make_layout (widget, m->label, 0.8, TRUE);
      int tw, th;
      pango_layout_get_pixel_size (l, &tw, &th);
      double lx = X + 4 + tw > f.px + f.pw ? X - 4 - tw : X + 4;
      draw_text (cr, l, lx, f.py + 4, 0, 0, &m->color);
      g_object_unref (l);
    }
  }
  cairo_destroy (cr);
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
  g_ptr_array_unref (self->series);
  g_ptr_array_unref (self->markers);
  G_OBJECT_CLASS (swell_plot_parent_class)->finalize (object);
}

static void
swell_plot_class_init (SwellPlotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_plot_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = swell_plot_snapshot;
  GTK_WIDGET_CLASS (klass)->measure = swell_plot_measure;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "swell-plot");
}

static void
swell_plot_init (SwellPlot *self)
{
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  self->markers = g_ptr_array_new_with_free_func ((GDestroyNotify) marker_free);
}
