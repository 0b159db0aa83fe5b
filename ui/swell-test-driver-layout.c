/* swell-test-driver-layout.c: the test driver's commands about the window's
 * size, style and layout: resize, assert-fits, assert-switcher, sidebar,
 * style, assert-style-color, and preference (a row of the Preferences
 * window). The list is in swell-test-driver.h. */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>

#include "swell-test-driver-private.h"
#include "swell-test-hooks.h"
#include "swell-text.h"

Next
swell_driver_style (Driver *d, guint argc, char **argv)
{
  /* What the Style preference does: the app.color-scheme action. */
  GActionGroup *app = G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (d->win)));
  g_action_group_change_action_state (app, "color-scheme", g_variant_new_string (argv[1]));
  AdwStyleManager *sm = adw_style_manager_get_default ();
  gboolean follow = g_str_equal (argv[1], "follow"), want_dark = g_str_equal (argv[1], "dark");
  /* Following a system that has no preference (no portal here) is light. */
  gboolean check = !follow || !adw_style_manager_get_system_supports_color_schemes (sm);
  if (!follow && !want_dark && !g_str_equal (argv[1], "light"))
    swell_driver_fail (d, "style %s: not follow, light or dark", argv[1]);
  else if (check && adw_style_manager_get_dark (sm) != want_dark)
    swell_driver_fail (d, "style %s: the window is %s", argv[1], adw_style_manager_get_dark (sm) ? "dark" : "light");
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_assert_style_color (Driver *d, guint argc, char **argv)
{
  GdkRGBA got, want;
  if (!gdk_rgba_parse (&want, argv[2]))
    swell_driver_fail (d, "assert-style-color: %s is not a colour", argv[2]);
  else if (!swell_style_color (GTK_WIDGET (d->win), argv[1], &got))
    swell_driver_fail (d, "the style has no colour %s", argv[1]);
  else if (!gdk_rgba_equal (&got, &want)) {
    g_autofree char *text = gdk_rgba_to_string (&got);
    swell_driver_fail (d, "the style's %s is %s, expected %s", argv[1], text, argv[2]);
  }
  return NEXT_AFTER_DRAW;
}

static AdwFlap *
shown_flap (GtkWidget *w)
{
  if (!gtk_widget_get_mapped (w))
    return NULL;
  if (ADW_IS_FLAP (w))
    return ADW_FLAP (w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    AdwFlap *f = shown_flap (c);
    if (f)
      return f;
  }
  return NULL;
}

Next
swell_driver_sidebar (Driver *d, guint argc, char **argv)
{
  AdwFlap *flap = shown_flap (GTK_WIDGET (d->win));
  if (!flap)
    swell_driver_fail (d, "the view shown has no sidebar");
  else if (atoi (argv[1]) && !adw_flap_get_folded (flap))
    swell_driver_fail (d, "the sidebar is not folded: it is always shown");
  else
    adw_flap_set_reveal_flap (flap, atoi (argv[1]) != 0);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_assert_switcher (Driver *d, guint argc, char **argv)
{
  gboolean bottom = swell_window_switcher_at_bottom (d->win);
  if (g_str_equal (argv[1], "bottom") != bottom)
    swell_driver_fail (d, "the view switcher is at the %s, expected the %s", bottom ? "bottom" : "top", argv[1]);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_resize (Driver *d, guint argc, char **argv)
{
  gtk_window_unmaximize (GTK_WINDOW (d->win));
  gtk_window_set_default_size (GTK_WINDOW (d->win), atoi (argv[1]), atoi (argv[2]));
  return NEXT_AFTER_DRAW;
}

/* A widget is cut off when it reaches past the window's sides or got less
 * width than its minimum. What a horizontally scrolling GtkScrolledWindow
 * holds can be wider (it scrolls); other windows (popovers) are not looked at. */
static void
find_cut_off (GtkWidget *w, GtkWidget *win, GString *out, guint *n)
{
  /* Internal gizmos (scrollbar sliders, libadwaita's shadows and badges)
   * are not content. */
  if (!gtk_widget_get_mapped (w) || (w != win && GTK_IS_NATIVE (w)) || g_str_has_suffix (G_OBJECT_TYPE_NAME (w), "Gizmo"))
    return;
  graphene_rect_t r;
  int min = 0;
  gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  /* The bounds are the border box; the minimum includes the margins. */
  int width = w != win && gtk_widget_compute_bounds (w, win, &r)
            ? (int) (r.size.width + 0.5) + gtk_widget_get_margin_start (w) + gtk_widget_get_margin_end (w) : -1;
  /* A list or grid view sizes its items itself (a grid's columns can be a
   * few pixels under the items' minimum): only their bounds count. */
  GtkWidget *parent = gtk_widget_get_parent (w);
  gboolean item = parent && g_str_equal (G_OBJECT_TYPE_NAME (parent), "GtkListItemWidget");
  if (width >= 0 && (r.origin.x < -2 || r.origin.x + r.size.width > gtk_widget_get_width (win) + 2 ||
                     (!item && width + 1 < min))) {
    if ((*n)++ < 12)
      g_string_append_printf (out, "\n    %s%s%s%s at x %.0f, %d px wide (minimum %d)", G_OBJECT_TYPE_NAME (w),
                              GTK_IS_LABEL (w) ? " “" : "", GTK_IS_LABEL (w) ? gtk_label_get_text (GTK_LABEL (w)) : "",
                              GTK_IS_LABEL (w) ? "”" : "", r.origin.x, width, min);
  }
  GtkPolicyType hpolicy = GTK_POLICY_NEVER;
  if (GTK_IS_SCROLLED_WINDOW (w))
    gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (w), &hpolicy, NULL);
  if (hpolicy != GTK_POLICY_NEVER)
    return;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    find_cut_off (c, win, out, n);
}

/* The innermost widgets (shown or not) whose minimum width is over `width`:
 * what keeps the window from being that narrow. */
static gboolean
find_too_wide (GtkWidget *w, int width, GString *out)
{
  int min = 0;
  gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (min <= width || (GTK_IS_NATIVE (w) && !GTK_IS_WINDOW (w)))
    return FALSE;
  gboolean inner = FALSE;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    inner |= find_too_wide (c, width, out);
  if (!inner)
    g_string_append_printf (out, "\n    %s (%s) needs %d px", G_OBJECT_TYPE_NAME (w),
                            gtk_widget_get_parent (w) ? G_OBJECT_TYPE_NAME (gtk_widget_get_parent (w)) : "", min);
  return TRUE;
}

Next
swell_driver_assert_fits (Driver *d, guint argc, char **argv)
{
  GtkWidget *win = GTK_WIDGET (d->win);
  int want_w = atoi (argv[1]), want_h = atoi (argv[2]);
  int w = gtk_widget_get_width (win), h = gtk_widget_get_height (win), min = 0;
  gtk_widget_measure (win, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  g_autoptr (GString) views = g_string_new (NULL);
  const char *names[] = { "welcome", "label", "train", "results", "predict" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    int vmin = 0;
    gtk_widget_measure (swell_driver_view (d, names[i]), GTK_ORIENTATION_HORIZONTAL, -1, &vmin, NULL, NULL, NULL);
    g_string_append_printf (views, " %s %d", names[i], vmin);
  }
  printf ("swell-test: window %d x %d (minimum width %d; views:%s), view %s\n", w, h, min, views->str,
          swell_window_get_view (d->win));
  if (w > want_w || h > want_h) {
    g_autoptr (GString) wide = g_string_new (NULL);
    find_too_wide (gtk_window_get_child (GTK_WINDOW (win)), want_w, wide);
    swell_driver_fail (d, "the window is %d x %d, larger than %d x %d: its content needs %d px:%s", w, h, want_w, want_h, min,
          wide->str);
  }
  g_autoptr (GString) out = g_string_new (NULL);
  guint n = 0;
  find_cut_off (win, win, out, &n);
  if (n > 0)
    swell_driver_fail (d, "%u widgets are cut off in the %d px wide window:%s", n, w, out->str);
  return NEXT_AFTER_DRAW;
}

/* The preferences row titled `title` in w (the Preferences window). */
static AdwPreferencesRow *
find_row (GtkWidget *w, const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (w) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w)), title) == 0)
    return ADW_PREFERENCES_ROW (w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    AdwPreferencesRow *r = find_row (c, title);
    if (r)
      return r;
  }
  return NULL;
}

/* The row's suffix: a spin button or a switch. */
static GtkWidget *
find_suffix (GtkWidget *w)
{
  if (GTK_IS_SPIN_BUTTON (w) || GTK_IS_SWITCH (w))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    GtkWidget *s = find_suffix (c);
    if (s)
      return s;
  }
  return NULL;
}

static gboolean
set_combo_row (AdwComboRow *row, const char *text)
{
  GListModel *model = adw_combo_row_get_model (row);
  for (guint i = 0; model && i < g_list_model_get_n_items (model); i++) {
    g_autoptr (GtkStringObject) item = g_list_model_get_item (model, i);
    if (GTK_IS_STRING_OBJECT (item) && g_str_equal (gtk_string_object_get_string (item), text)) {
      adw_combo_row_set_selected (row, i);
      return TRUE;
    }
  }
  return FALSE;
}

Next
swell_driver_preference (Driver *d, guint argc, char **argv)
{
  AdwPreferencesRow *row = NULL;
  GList *windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l && !row; l = l->next)
    if (ADW_IS_PREFERENCES_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      row = find_row (l->data, argv[1]);
  g_list_free (windows);
  GtkWidget *suffix = row && !ADW_IS_COMBO_ROW (row) ? find_suffix (GTK_WIDGET (row)) : NULL;
  if (!row)
    swell_driver_fail (d, "no row “%s” in an open Preferences window", argv[1]);
  else if (ADW_IS_COMBO_ROW (row) ? !set_combo_row (ADW_COMBO_ROW (row), argv[2]) : !suffix)
    swell_driver_fail (d, "the row “%s” has no choice or value “%s”", argv[1], argv[2]);
  else if (GTK_IS_SWITCH (suffix))
    gtk_switch_set_active (GTK_SWITCH (suffix), g_str_equal (argv[2], "on"));
  else if (suffix)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (suffix), g_ascii_strtod (argv[2], NULL));
  return NEXT_AFTER_DRAW;
}
