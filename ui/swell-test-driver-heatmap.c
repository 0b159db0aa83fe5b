/* swell-test-driver-heatmap.c: the test driver's Grad-CAM commands: heatmap
 * (the Show Heatmap toggle and the class drop-down of a SwellHeatmap) and
 * save-heatmap (what it draws, as a PNG). The heatmap is the open preview's
 * (Results view) if a preview is open, else the one of the Predict view's
 * newest card. The list is in swell-test-driver.h. */
#include "swell-config.h"

#include <stdio.h>

#include "swell-test-driver-private.h"
#include "swell-test-hooks.h"

#define HEATMAP_TIMEOUT_S 120

static SwellHeatmap *
find_in (GtkWidget *w)
{
  if (SWELL_IS_HEATMAP (w) && gtk_widget_get_mapped (w))
    return SWELL_HEATMAP (w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    SwellHeatmap *h = find_in (c);
    if (h)
      return h;
  }
  return NULL;
}

static SwellHeatmap *
target (Driver *d)
{
  SwellHeatmap *h = NULL;
  GList *windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l && !h; l = l->next)
    if (l->data != (gpointer) d->win && gtk_widget_get_visible (l->data) &&
        gtk_window_get_transient_for (l->data) == GTK_WINDOW (d->win))
      h = find_in (l->data);
  g_list_free (windows);
  if (!h)
    h = swell_predict_view_get_heatmap (SWELL_PREDICT_VIEW (swell_driver_view (d, "predict")), 0);
  if (!h)
    swell_driver_fail (d, "no heatmap shown: open a preview or classify an image in the Predict view");
  return h;
}

typedef struct {
  Driver *d;
  SwellHeatmap *heatmap;
  gint64 deadline;
} Wait;

static gboolean
wait_poll (gpointer data)
{
  Wait *w = data;
  if (swell_heatmap_is_computing (w->heatmap) && g_get_monotonic_time () < w->deadline)
    return G_SOURCE_CONTINUE;
  if (swell_heatmap_is_computing (w->heatmap))
    swell_driver_fail (w->d, "the heatmap was not computed in %d s", HEATMAP_TIMEOUT_S);
  else if (swell_heatmap_get_error (w->heatmap))
    swell_driver_fail (w->d, "the heatmap failed: %s", swell_heatmap_get_error (w->heatmap));
  else if (!swell_heatmap_get_overlay (w->heatmap))
    swell_driver_fail (w->d, "the heatmap is on but draws no overlay");
  else {
    /* Which image: the preview's title is its file name. */
    GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (w->heatmap));
    const char *file = swell_heatmap_get_file (w->heatmap);
    printf ("swell-test: heatmap of “%s” on %s\n", swell_heatmap_get_class_name (w->heatmap),
            file ? file : GTK_IS_WINDOW (root) ? gtk_window_get_title (GTK_WINDOW (root)) : "?");
  }
  fflush (stdout);
  swell_driver_resume (w->d);
  g_object_unref (w->heatmap);
  g_free (w);
  return G_SOURCE_REMOVE;
}

Next
swell_driver_heatmap (Driver *d, guint argc, char **argv)
{
  SwellHeatmap *h = target (d);
  gboolean on = g_str_equal (argv[1], "on");
  if (!h)
    return NEXT_AFTER_DRAW;
  if (!on && !g_str_equal (argv[1], "off")) {
    swell_driver_fail (d, "heatmap %s: not on or off", argv[1]);
    return NEXT_AFTER_DRAW;
  }
  if (argc == 3 && !swell_heatmap_set_class_name (h, argv[2])) {
    swell_driver_fail (d, "the heatmap's drop-down has no category %s", argv[2]);
    return NEXT_AFTER_DRAW;
  }
  swell_heatmap_set_show (h, on);
  if (!on)
    return NEXT_AFTER_DRAW;
  Wait *w = g_new0 (Wait, 1);
  w->d = d;
  w->heatmap = g_object_ref (h);
  w->deadline = g_get_monotonic_time () + HEATMAP_TIMEOUT_S * G_USEC_PER_SEC;
  g_timeout_add (50, wait_poll, w);
  return NEXT_LATER;
}

Next
swell_driver_save_heatmap (Driver *d, guint argc, char **argv)
{
  SwellHeatmap *h = target (d);
  GdkTexture *overlay = h ? swell_heatmap_get_overlay (h) : NULL;
  if (h && !overlay)
    swell_driver_fail (d, "the heatmap is off or not computed: nothing to save");
  else if (overlay && !gdk_texture_save_to_png (overlay, argv[1]))
    swell_driver_fail (d, "cannot write %s", argv[1]);
  else if (overlay)
    printf ("swell-test: saved the %d x %d overlay of “%s”\n", gdk_texture_get_width (overlay),
            gdk_texture_get_height (overlay), swell_heatmap_get_class_name (h));
  return NEXT_AFTER_DRAW;
}
