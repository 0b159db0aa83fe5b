/* swell-confusion-view.c: the confusion matrix widget. */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "swell-a11y.h"
#include "swell-confusion-view.h"
#include "swell-text.h"

struct _SwellConfusionView {
  GtkWidget parent_instance;
  SwellConfusion *confusion;
  int sel_a, sel_p;
  int hover_a, hover_p;
  int focus_a, focus_p; /* the cell the arrow keys move, drawn while focused */
  /* geometry of the last layout */
  double gx, gy, cell;
  gboolean rotated;
};

G_DEFINE_FINAL_TYPE (SwellConfusionView, swell_confusion_view, GTK_TYPE_WIDGET)

enum { SIG_CELL_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Width of the widest class name (for the row labels). */
static int
label_width (SwellConfusionView *self)
{
  int n = swell_confusion_get_n_classes (self->confusion), maxw = 0;
  for (int i = 0; i < n; i++) {
    PangoLayout *l = swell_text_make_layout (GTK_WIDGET (self), swell_confusion_get_class_name (self->confusion, i), 0.9, FALSE);
    int w;
    pango_layout_get_pixel_size (l, &w, NULL);
    maxw = MAX (maxw, w);
    g_object_unref (l);
  }
  return MIN (maxw, 160);
}

/* Whether every column name fits horizontally in a cell of size cs. */
static gboolean
names_fit (SwellConfusionView *self, double cs)
{
  int n = swell_confusion_get_n_classes (self->confusion);
  for (int i = 0; i < n; i++) {
    PangoLayout *l = swell_text_make_layout (GTK_WIDGET (self), swell_confusion_get_class_name (self->confusion, i), 0.9, FALSE);
    int w;
    pango_layout_get_pixel_size (l, &w, NULL);
    g_object_unref (l);
    if (w > cs - 4)
      return FALSE;
  }
  return TRUE;
}

static void
compute_geometry (SwellConfusionView *self)
{
  int W = gtk_widget_get_width (GTK_WIDGET (self)), H = gtk_widget_get_height (GTK_WIDGET (self));
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  if (n == 0) {
    self->cell = 0;
    return;
  }
  int lw = label_width (self);
  PangoLayout *probe = swell_text_make_layout (GTK_WIDGET (self), "Ag", 0.9, FALSE);
  int th;
  pango_layout_get_pixel_size (probe, NULL, &th);
  g_object_unref (probe);
  /* Left: axis title + row names. Top: axis title + column names, one line
   * when they fit the cells, else rotated (more room). */
  double left = 28 + lw + 8;
  for (int pass = 0; pass < 2; pass++) {
    self->rotated = pass == 1;
    double top = 8 + th + 6 + (self->rotated ? MIN (lw, 110) * 0.87 : th) + 8;
    double avail_w = W - left - 12, avail_h = H - top - 12;
    self->cell = floor (MIN (avail_w, avail_h) / n);
    self->cell = CLAMP (self->cell, 24, 110);
    double gw = self->cell * n;
    self->gx = left + MAX (0, (avail_w - gw) / 2);
    self->gy = top;
    if (names_fit (self, self->cell))
      break;
  }
}

gboolean
swell_confusion_view_cell_at (SwellConfusionView *self, double x, double y, int *actual, int *predicted)
{
  if (!self->confusion || self->cell <= 0)
    return FALSE;
  int n = swell_confusion_get_n_classes (self->confusion);
  int c = (int) floor ((x - self->gx) / self->cell), r = (int) floor ((y - self->gy) / self->cell);
  if (c < 0 || r < 0 || c >= n || r >= n)
    return FALSE;
  *actual = r;
  *predicted = c;
  return TRUE;
}

typedef struct {
  GdkRGBA fg, dim;
  GdkRGBA correct, wrong, on_fill; /* the diagonal, the mistakes, text on a strong fill */
  GdkRGBA focus;                   /* the keyboard's cell */
  gboolean dark; /* dark style: the foreground is light */
} Colors;

/* From the style (ui/style.css names them; libadwaita's accent and error
 * colours), so that the matrix reads in the light and the dark style. */
static void
style_colors (GtkWidget *widget, Colors *c)
{
  swell_style_fg_color (widget, &c->fg);
  c->dark = (c->fg.red + c->fg.green + c->fg.blue) / 3 > 0.5;
  c->dim = c->fg;
  c->dim.alpha *= 0.7f;
  c->correct = c->wrong = c->on_fill = c->fg;
  swell_style_color (widget, "swell_matrix_correct", &c->correct);
  swell_style_color (widget, "swell_matrix_wrong", &c->wrong);
  swell_style_color (widget, "swell_matrix_on_fill", &c->on_fill);
  c->focus = c->fg;
  swell_style_color (widget, "accent_color", &c->focus);
}

static void
draw_placeholder (SwellConfusionView *self, GtkSnapshot *snapshot, const Colors *c)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int W = gtk_widget_get_width (widget), H = gtk_widget_get_height (widget);
  PangoLayout *l = swell_text_make_layout (widget, _("No results yet: train a model to see where it gets confused."), 1.0, FALSE);
  pango_layout_set_width (l, (W - 24) * PANGO_SCALE);
  pango_layout_set_alignment (l, PANGO_ALIGN_CENTER);
  pango_layout_set_wrap (l, PANGO_WRAP_WORD);
  int tw, th;
  pango_layout_get_pixel_size (l, &tw, &th);
  swell_text_append (snapshot, l, 12, (H - th) / 2.0, &c->dim);
  g_object_unref (l);
}

/* One cell: its colour by row share, a ring when selected or hovered, the count. */
static void
draw_cell (SwellConfusionView *self, GtkSnapshot *snapshot, int a, int p, const Colors *c)
{
  double cs = self->cell;
  double share = swell_confusion_get_row_share (self->confusion, a, p);
  guint count = swell_confusion_get_count (self->confusion, a, p);
  graphene_rect_t r = GRAPHENE_RECT_INIT (self->gx + p * cs + 1, self->gy + a * cs + 1, cs - 2, cs - 2);
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect (&rr, &r, 4);
  gtk_snapshot_push_rounded_clip (snapshot, &rr);
  GdkRGBA base = c->fg;
  base.alpha = c->dark ? 0.06f : 0.04f;
  gtk_snapshot_append_color (snapshot, &base, &r);
  GdkRGBA fill = a == p ? c->correct : c->wrong;
  fill.alpha = (float) (count > 0 ? 0.12 + 0.88 * share : 0);
  gtk_snapshot_append_color (snapshot, &fill, &r);
  gtk_snapshot_pop (snapshot);
  if ((a == self->sel_a && p == self->sel_p) || (a == self->hover_a && p == self->hover_p)) {
    GdkRGBA ring = c->fg;
    ring.alpha = a == self->sel_a && p == self->sel_p ? 0.9f : 0.4f;
    const float bw[4] = { 2.5f, 2.5f, 2.5f, 2.5f };
    const GdkRGBA bc[4] = { ring, ring, ring, ring };
    gtk_snapshot_append_border (snapshot, &rr, bw, bc);
  }
  if (a == self->focus_a && p == self->focus_p && gtk_widget_has_focus (GTK_WIDGET (self))) {
    /* The keyboard's cell: a ring in the accent colour, inside the cell. */
    graphene_rect_t fr = GRAPHENE_RECT_INIT (r.origin.x + 3, r.origin.y + 3, r.size.width - 6, r.size.height - 6);
    GskRoundedRect frr;
    gsk_rounded_rect_init_from_rect (&frr, &fr, 3);
    const float bw[4] = { 2, 2, 2, 2 };
    const GdkRGBA bc[4] = { c->focus, c->focus, c->focus, c->focus };
    gtk_snapshot_append_border (snapshot, &frr, bw, bc);
  }
  g_autofree char *t = g_strdup_printf ("%u", count);
  PangoLayout *l = swell_text_make_layout (GTK_WIDGET (self), t, cs < 40 ? 0.8 : 1.1, count > 0);
  int tw, th;
  pango_layout_get_pixel_size (l, &tw, &th);
  GdkRGBA tc = share > 0.45 && count > 0 ? c->on_fill : count > 0 ? c->fg : c->dim;
  swell_text_append (snapshot, l, r.origin.x + (r.size.width - tw) / 2, r.origin.y + (r.size.height - th) / 2, &tc);
  g_object_unref (l);
}

/* Row names (actual), right-aligned before the grid. */
static void
draw_row_names (SwellConfusionView *self, GtkSnapshot *snapshot, int n, const Colors *c)
{
  int lw = label_width (self);
  for (int a = 0; a < n; a++) {
    PangoLayout *l = swell_text_make_layout (GTK_WIDGET (self), swell_confusion_get_class_name (self->confusion, a), 0.9, FALSE);
    pango_layout_set_width (l, lw * PANGO_SCALE);
    pango_layout_set_ellipsize (l, PANGO_ELLIPSIZE_END);
    pango_layout_set_alignment (l, PANGO_ALIGN_RIGHT);
    int tw, th;
    pango_layout_get_pixel_size (l, &tw, &th);
    swell_text_append (snapshot, l, self->gx - 8 - lw, self->gy + a * self->cell + (self->cell - th) / 2, &c->fg);
    g_object_unref (l);
  }
}

/* Column names (predicted), rotated 45° up-right above the grid when
 * they do not fit the cell width, else horizontal. */
static void
draw_column_names (SwellConfusionView *self, GtkSnapshot *snapshot, int n, const Colors *c)
{
  double cs = self->cell;
  for (int p = 0; p < n; p++) {
    PangoLayout *l = swell_text_make_layout (GTK_WIDGET (self), swell_confusion_get_class_name (self->confusion, p), 0.9, FALSE);
    int tw, th;
    pango_layout_get_pixel_size (l, &tw, &th);
    gtk_snapshot_save (snapshot);
    if (!self->rotated) {
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (self->gx + p * cs + (cs - tw) / 2, self->gy - th - 6));
    } else {
      pango_layout_set_width (l, 110 * PANGO_SCALE);
      pango_layout_set_ellipsize (l, PANGO_ELLIPSIZE_END);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (self->gx + p * cs + cs / 2 - th / 2.0, self->gy - 6));
      gtk_snapshot_rotate (snapshot, -60);
    }
    gtk_snapshot_append_layout (snapshot, l, &c->fg);
    gtk_snapshot_restore (snapshot);
    g_object_unref (l);
  }
}

static void
draw_axis_titles (SwellConfusionView *self, GtkSnapshot *snapshot, int n, const Colors *c)
{
  double cs = self->cell;
  PangoLayout *lp = swell_text_make_layout (GTK_WIDGET (self), _("Predicted"), 0.9, TRUE);
  int tw, th;
  pango_layout_get_pixel_size (lp, &tw, &th);
  swell_text_append (snapshot, lp, self->gx + n * cs / 2 - tw / 2.0, 8, &c->dim);
  g_object_unref (lp);
  PangoLayout *la = swell_text_make_layout (GTK_WIDGET (self), _("Actual"), 0.9, TRUE);
  pango_layout_get_pixel_size (la, &tw, &th);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (4, self->gy + n * cs / 2 + tw / 2.0));
  gtk_snapshot_rotate (snapshot, -90);
  gtk_snapshot_append_layout (snapshot, la, &c->dim);
  gtk_snapshot_restore (snapshot);
  g_object_unref (la);
}

static void
swell_confusion_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellConfusionView *self = SWELL_CONFUSION_VIEW (widget);
  Colors c;
  style_colors (widget, &c);
  compute_geometry (self);
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  if (n == 0) {
    draw_placeholder (self, snapshot, &c);
    return;
  }
  for (int a = 0; a < n; a++)
    for (int p = 0; p < n; p++)
      draw_cell (self, snapshot, a, p, &c);
  draw_row_names (self, snapshot, n, &c);
  draw_column_names (self, snapshot, n, &c);
  draw_axis_titles (self, snapshot, n, &c);
}

/* The accessible name says which cell the keyboard is on ("Confusion
 * matrix, actual cloudy, predicted rain: 2"), so that a screen reader reads
 * each cell as the arrows reach it. */
static void
update_label (SwellConfusionView *self)
{
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  if (self->focus_a < 0 || self->focus_a >= n || self->focus_p >= n) {
    swell_a11y_set_label (GTK_WIDGET (self), _("Confusion matrix"));
    return;
  }
  /* Translators: the confusion matrix's accessible name with the cell the keyboard is on */
  g_autofree char *label = g_strdup_printf (_("Confusion matrix, actual %s, predicted %s: %u"),
                                            swell_confusion_get_class_name (self->confusion, self->focus_a),
                                            swell_confusion_get_class_name (self->confusion, self->focus_p),
                                            swell_confusion_get_count (self->confusion, self->focus_a, self->focus_p));
  swell_a11y_set_label (GTK_WIDGET (self), label);
}

static void
set_focus_cell (SwellConfusionView *self, int actual, int predicted)
{
  self->focus_a = actual;
  self->focus_p = predicted;
  update_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The accessible description: the matrix read as a table, row by row. */
static void
update_description (SwellConfusionView *self)
{
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  if (n == 0) {
    swell_a11y_set_description (GTK_WIDGET (self), _("No results yet: train a model to see where it gets confused."));
    return;
  }
  GString *s = g_string_new (NULL);
  for (int a = 0; a < n; a++) {
    /* Translators: one row of the confusion matrix read aloud, e.g. "Actual cloudy: 18 predicted cloudy, 2 predicted rain" */
    g_string_append_printf (s, _("%sActual %s:"), a ? "; " : "", swell_confusion_get_class_name (self->confusion, a));
    for (int p = 0; p < n; p++)
      /* Translators: one cell of a row of the confusion matrix read aloud */
      g_string_append_printf (s, _("%s %u predicted %s"), p ? "," : "", swell_confusion_get_count (self->confusion, a, p),
                              swell_confusion_get_class_name (self->confusion, p));
  }
  swell_a11y_set_description (GTK_WIDGET (self), s->str);
  g_string_free (s, TRUE);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  SwellConfusionView *self = SWELL_CONFUSION_VIEW (widget);
  int a, p;
  if (keyboard && self->focus_a >= 0) {
    a = self->focus_a;
    p = self->focus_p;
  } else if (!swell_confusion_view_cell_at (self, x, y, &a, &p)) {
    return FALSE;
  }
  guint count = swell_confusion_get_count (self->confusion, a, p);
  guint row = swell_confusion_get_row_total (self->confusion, a);
  const char *an = swell_confusion_get_class_name (self->confusion, a);
  const char *pn = swell_confusion_get_class_name (self->confusion, p);
  g_autofree char *text = NULL;
  if (a == p)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u “%s” image recognised correctly (%.0f%% of %u)",
                                         "%u “%s” images recognised correctly (%.0f%% of %u)", count),
                            count, an, row ? 100.0 * count / row : 0.0, row);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u “%s” image taken for “%s” (%.0f%% of %u)",
                                         "%u “%s” images taken for “%s” (%.0f%% of %u)", count),
                            count, an, pn, row ? 100.0 * count / row : 0.0, row);
  g_autofree char *full = g_strdup_printf ("%s\n%s", text, _("Click to see them"));
  gtk_tooltip_set_text (tooltip, full);
  return TRUE;
}

static void
on_click (GtkGestureClick *g, int n_press, double x, double y, SwellConfusionView *self)
{
  int a, p;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!swell_confusion_view_cell_at (self, x, y, &a, &p))
    return;
  set_focus_cell (self, a, p);
  swell_confusion_view_set_selected (self, a, p);
  g_signal_emit (self, signals[SIG_CELL_ACTIVATED], 0, a, p);
}

static void
on_motion (GtkEventControllerMotion *m, double x, double y, SwellConfusionView *self)
{
  int a = -1, p = -1;
  if (!swell_confusion_view_cell_at (self, x, y, &a, &p))
    a = p = -1;
  if (a != self->hover_a || p != self->hover_p) {
    self->hover_a = a;
    self->hover_p = p;
    gtk_widget_queue_draw (GTK_WIDGET (self));
  }
}

static void
on_leave (GtkEventControllerMotion *m, SwellConfusionView *self)
{
  self->hover_a = self->hover_p = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
on_key (GtkEventControllerKey *k, guint keyval, guint keycode, GdkModifierType state, SwellConfusionView *self)
{
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  /* Ctrl+Return (Train) and the other shortcuts are the window's. */
  if (n == 0 || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)))
    return FALSE;
  int a = MAX (self->focus_a, 0), p = MAX (self->focus_p, 0);
  switch (keyval) {
  case GDK_KEY_Left: p = MAX (p - 1, 0); break;
  case GDK_KEY_Right: p = MIN (p + 1, n - 1); break;
  case GDK_KEY_Up: a = MAX (a - 1, 0); break;
  case GDK_KEY_Down: a = MIN (a + 1, n - 1); break;
  case GDK_KEY_Return:
  case GDK_KEY_KP_Enter:
  case GDK_KEY_space:
    set_focus_cell (self, a, p);
    swell_confusion_view_set_selected (self, a, p);
    g_signal_emit (self, signals[SIG_CELL_ACTIVATED], 0, a, p);
    return TRUE;
  case GDK_KEY_Home: p = 0; break;
  case GDK_KEY_End: p = n - 1; break;
  default: return FALSE;
  }
  set_focus_cell (self, a, p);
  return TRUE;
}

/* Tabbing in starts at the selected cell, else the top-left one. */
static void
on_focus_enter (GtkEventControllerFocus *f, SwellConfusionView *self)
{
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  if (n > 0 && self->focus_a < 0)
    set_focus_cell (self, MAX (self->sel_a, 0), MAX (self->sel_p, 0));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_focus_leave (GtkEventControllerFocus *f, SwellConfusionView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_confusion_view_set_selected (SwellConfusionView *self, int actual, int predicted)
{
  self->sel_a = actual;
  self->sel_p = predicted;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_confusion_view_set_confusion (SwellConfusionView *self, SwellConfusion *confusion)
{
  g_set_object (&self->confusion, confusion);
  self->sel_a = self->sel_p = -1;
  self->focus_a = self->focus_p = -1;
  update_label (self);
  update_description (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
swell_confusion_view_measure (GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *mb, int *nb)
{
  SwellConfusionView *self = SWELL_CONFUSION_VIEW (w);
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  int lw = n ? label_width (self) : 0;
  *min = n ? 36 + lw + 8 + 24 * n + 12 : 200;
  *nat = n ? 36 + lw + 8 + 72 * n + 12 : 320;
}

static void
swell_confusion_view_dispose (GObject *object)
{
  g_clear_object (&SWELL_CONFUSION_VIEW (object)->confusion);
  G_OBJECT_CLASS (swell_confusion_view_parent_class)->dispose (object);
}

static void
swell_confusion_view_class_init (SwellConfusionViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_confusion_view_dispose;
  widget_class->snapshot = swell_confusion_view_snapshot;
  widget_class->measure = swell_confusion_view_measure;
  gtk_widget_class_set_css_name (widget_class, "swell-confusion");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GRID);
  signals[SIG_CELL_ACTIVATED] = g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
swell_confusion_view_init (SwellConfusionView *self)
{
  self->sel_a = self->sel_p = self->hover_a = self->hover_p = -1;
  self->focus_a = self->focus_p = -1;
  update_label (self);
  update_description (self);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  GtkEventController *key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  GtkEventController *focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "enter", G_CALLBACK (on_focus_enter), self);
  g_signal_connect (focus, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
}

GtkWidget *
swell_confusion_view_new (void)
{
  return g_object_new (SWELL_TYPE_CONFUSION_VIEW, NULL);
}
