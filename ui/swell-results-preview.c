/* swell-results-preview.c: the Results view's image preview (see swell-results-preview.h). */
#include "swell-config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>

#include "swell-heatmap.h"
#include "swell-results-preview.h"

static const char *
class_name (const char *const *names, int k)
{
  guint n = names ? g_strv_length ((char **) names) : 0;
  return k >= 0 && (guint) k < n ? names[k] : "?";
}

static void
load_full_image (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  gint64 id = *(gint64 *) data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellProject) conn = swell_project_open (path, &error);
  g_autoptr (GBytes) bytes = conn ? swell_project_get_image_bytes (conn, id, &error) : NULL;
  if (!bytes) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_stream_at_scale (in, 1600, 1600, TRUE, cancellable, &error);
  if (!pb) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_autoptr (GdkPixbuf) oriented = gdk_pixbuf_apply_embedded_orientation (pb);
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (oriented), g_object_unref);
}

static void
preview_loaded (GObject *source, GAsyncResult *res, gpointer data)
{
  SwellHeatmap *heatmap = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) t = g_task_propagate_pointer (G_TASK (res), &error);
  if (t)
    swell_heatmap_set_image (heatmap, t);
  g_object_unref (heatmap);
}

void
swell_results_preview_open (GtkWindow *parent, SwellDocument *document, SwellThumbnailer *thumbnailer,
                            SwellPredItem *p, gint64 run_id, const char *const *class_names)
{
  if (!p || !document)
    return;
  SwellImageItem *img = swell_pred_item_get_image (p);
  GtkWidget *win = gtk_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (win), parent);
  gtk_window_set_modal (GTK_WINDOW (win), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (win), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (win), 900, 680);
  gtk_window_set_title (GTK_WINDOW (win), img ? swell_image_item_get_name (img) : _("Preview"));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_add_css_class (box, "swell-panel");
  int a = swell_pred_item_get_actual (p), k = swell_pred_item_get_predicted (p);
  /* The photo, and its heatmap for the predicted class (another chosen in the drop-down). */
  GtkWidget *heatmap = swell_heatmap_new (200);
  gtk_widget_set_vexpand (heatmap, TRUE);
  swell_heatmap_set_source (SWELL_HEATMAP (heatmap), swell_document_get_path (document), img ? run_id : 0,
                            swell_pred_item_get_image_id (p), NULL, class_names, k);
  /* The thumbnail first, replaced by the full image when it is decoded. */
  if (img && thumbnailer) {
    GdkTexture *thumb = swell_thumbnailer_lookup (thumbnailer, swell_image_item_get_id (img));
    if (thumb)
      swell_heatmap_set_image (SWELL_HEATMAP (heatmap), thumb);
  }
  gtk_box_append (GTK_BOX (box), heatmap);
  GString *probs = g_string_new (NULL);
  int n = swell_pred_item_get_n_classes (p);
  for (int i = 0; i < n; i++)
    g_string_append_printf (probs, "%s%s %.1f%%", i ? " · " : "", class_name (class_names, i), 100 * swell_pred_item_get_prob (p, i));
  g_autofree char *probs_text = g_string_free (probs, FALSE);
  g_autofree char *pn = g_markup_escape_text (class_name (class_names, k), -1);
  g_autofree char *an = g_markup_escape_text (class_name (class_names, a), -1);
  g_autofree char *pt = g_markup_escape_text (probs_text, -1);
  g_autofree char *markup = g_strdup_printf (_("Predicted <b>%s</b>, labeled <b>%s</b> · loss %.3f\n<small>%s</small>"), pn, an,
                                             swell_pred_item_get_loss (p), pt);
  GtkWidget *caption = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (caption), markup);
  gtk_label_set_wrap (GTK_LABEL (caption), TRUE);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_window_set_child (GTK_WINDOW (win), box);
  GtkEventController *keys = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (win, keys);
  gtk_window_present (GTK_WINDOW (win));

  if (img) {
    GTask *task = g_task_new (NULL, NULL, preview_loaded, g_object_ref (heatmap));
    g_object_set_data_full (G_OBJECT (task), "path", g_strdup (swell_document_get_path (document)), g_free);
    gint64 *id = g_new (gint64, 1);
    *id = swell_image_item_get_id (img);
    g_task_set_task_data (task, id, g_free);
    g_task_run_in_thread (task, load_full_image);
    g_object_unref (task);
  }
}
