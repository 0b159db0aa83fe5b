/* swell-results-view-actions.c: the Results view's actions: relabel, change
 * the split or delete (with undo) the gallery's selected image, the
 * gallery's context menu and action bar, and Export Model…. */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "swell-image-tile.h"
#include "swell-model-export.h"
#include "swell-results-view-private.h"

/* ---------------------------------------------------------------- actions */

static GArray *
selected_image_ids (SwellResultsView *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  SwellPredItem *p = _swell_results_view_selected_pred (self);
  if (p && swell_pred_item_get_image (p)) {
    gint64 id = swell_pred_item_get_image_id (p);
    g_array_append_val (ids, id);
  }
  return ids;
}

static void
retrain_cb (SwellWindow *win, gpointer data)
{
  g_action_group_activate_action (G_ACTION_GROUP (win), "train", NULL);
}

static void
relabel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  gint64 cat = g_variant_get_int64 (param);
  g_autoptr (GArray) ids = selected_image_ids (self);
  g_autoptr (GError) error = NULL;
  if (ids->len && !swell_document_set_label (self->document, ids, cat, &error))
    _swell_results_view_show_error (self, _("Could not change the label"), error);
  else if (ids->len && _swell_results_view_get_window (self))
    swell_window_show_toast (_swell_results_view_get_window (self), _("Label changed. Retrain to let the model learn from it."), _("_Retrain"),
                             G_CALLBACK (retrain_cb), NULL, NULL);
}

/* Keys 1-9 in the gallery: "Label As" the n-th category, as in the Label
 * view. */
static void
relabel_nth_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  SwellCategoryList *cats = self->document ? swell_document_get_categories (self->document) : NULL;
  int n = g_variant_get_int32 (param);
  if (!cats || n < 1 || (guint) n > swell_category_list_n_categories (cats))
    return;
  gint64 id = swell_category_item_get_id (swell_category_list_nth_category (cats, (guint) n - 1));
  gtk_widget_activate_action (widget, "results.relabel", "x", id);
}

static void
set_split_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  SwellSplit split;
  if (!swell_split_from_string (g_variant_get_string (param, NULL), &split))
    return;
  g_autoptr (GArray) ids = selected_image_ids (self);
  g_autoptr (GError) error = NULL;
  if (ids->len && !swell_document_set_split (self->document, ids, split, &error))
    _swell_results_view_show_error (self, _("Could not change the split"), error);
}

typedef struct {
  SwellResultsView *self;
  GArray *ids;
} RestoreData;

static void
restore_data_free (gpointer p)
{
  RestoreData *d = p;
  g_object_unref (d->self);
  g_array_unref (d->ids);
  g_free (d);
}

static void
undo_delete (SwellWindow *win, gpointer data)
{
  RestoreData *d = data;
  g_autoptr (GError) error = NULL;
  if (d->self->document && !swell_document_restore_images (d->self->document, d->ids, &error))
    _swell_results_view_show_error (d->self, _("Could not undo"), error);
  else
    _swell_results_view_reload_run (d->self);
}

static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  g_autoptr (GArray) ids = selected_image_ids (self);
  if (!ids->len)
    return;
  g_autoptr (GError) error = NULL;
  if (!swell_document_delete_images (self->document, ids, &error)) {
    _swell_results_view_show_error (self, _("Could not delete the image"), error);
    return;
  }
  swell_gallery_remove_image (self->gallery_model, g_array_index (ids, gint64, 0));
  _swell_results_view_update_gallery_title (self);
  RestoreData *d = g_new0 (RestoreData, 1);
  d->self = g_object_ref (self);
  d->ids = g_array_ref (ids);
  if (_swell_results_view_get_window (self))
    swell_window_show_toast (_swell_results_view_get_window (self), _("Image deleted"), _("_Undo"), G_CALLBACK (undo_delete), d, restore_data_free);
  else
    restore_data_free (d);
}

static void
preview_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  _swell_results_view_open_preview (self, _swell_results_view_selected_pred (self));
}

static void
unparent_popover (GtkPopover *popover)
{
  g_idle_add_once ((GSourceOnceFunc) gtk_widget_unparent, popover);
}

static void
rebuild_relabel_menu (SwellResultsView *self)
{
  g_menu_remove_all (self->relabel_submenu);
  if (!self->document)
    return;
  SwellCategoryList *cats = swell_document_get_categories (self->document);
  for (guint i = 0; i < swell_category_list_n_categories (cats); i++) {
    SwellCategoryItem *c = swell_category_list_nth_category (cats, i);
    g_autoptr (GMenuItem) mi = g_menu_item_new (swell_category_item_get_name (c), NULL);
    g_menu_item_set_action_and_target_value (mi, "results.relabel", g_variant_new_int64 (swell_category_item_get_id (c)));
    if (i < 9) {
      g_autofree char *accel = g_strdup_printf ("%u", i + 1);
      g_menu_item_set_attribute (mi, "accel", "s", accel);
    }
    g_menu_append_item (self->relabel_submenu, mi);
  }
  g_autoptr (GMenuItem) un = g_menu_item_new (_("Unlabeled"), NULL);
  g_menu_item_set_action_and_target_value (un, "results.relabel", g_variant_new_int64 (SWELL_CATEGORY_UNLABELED));
  g_menu_append_item (self->relabel_submenu, un);
}

/* The action bar under the gallery acts on the selected image. */
static void
on_gallery_selection (SwellResultsView *self)
{
  SwellPredItem *p = _swell_results_view_selected_pred (self);
  SwellImageItem *img = p ? swell_pred_item_get_image (p) : NULL;
  gtk_action_bar_set_revealed (self->gallery_actions, img != NULL);
  if (!img)
    return;
  rebuild_relabel_menu (self);
  gboolean valid = swell_image_item_get_split (img) == SWELL_SPLIT_VALID;
  gtk_button_set_label (self->split_button, valid ? _("Move to _Train") : _("Move to _Valid"));
}

void
_swell_results_view_move_split (SwellResultsView *self)
{
  SwellPredItem *p = _swell_results_view_selected_pred (self);
  SwellImageItem *img = p ? swell_pred_item_get_image (p) : NULL;
  if (!img)
    return;
  gboolean valid = swell_image_item_get_split (img) == SWELL_SPLIT_VALID;
  gtk_widget_activate_action (GTK_WIDGET (self), "results.set-split", "s", valid ? "train" : "valid");
  on_gallery_selection (self);
}

static void
on_gallery_right_click (GtkGestureClick *gesture, int n_press, double x, double y, SwellResultsView *self)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->gallery), x, y, GTK_PICK_DEFAULT);
  GtkListItem *li = NULL;
  for (; picked && !li; picked = gtk_widget_get_parent (picked))
    li = SWELL_IS_IMAGE_TILE (picked) ? g_object_get_data (G_OBJECT (picked), "list-item") : NULL;
  if (!li)
    return;
  gtk_single_selection_set_selected (self->gallery_selection, gtk_list_item_get_position (li));
  rebuild_relabel_menu (self);
  GtkWidget *popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->gallery_menu));
  gtk_widget_set_parent (popover, GTK_WIDGET (self->gallery));
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (unparent_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
}

/* ---------------------------------------------------------------- export */

void
_swell_results_view_update_export_action (SwellResultsView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "results.export-model", self->run_has_model && !self->exporting);
}

typedef struct {
  char *project_path;
  gint64 run_id;
  char *out;
  SwellModelFormat format;
} ExportJob;

static void
export_job_free (gpointer data)
{
  ExportJob *j = data;
  g_free (j->project_path);
  g_free (j->out);
  g_free (j);
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ExportJob *j = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellProject) project = swell_project_open (j->project_path, &error);
  g_autoptr (SwellProjectModel) model = project ? swell_project_load_model (project, j->run_id, &error) : NULL;
  if (model && swell_model_export (model, j->out, j->format, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (source);
  ExportJob *j = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  self->exporting = FALSE;
  _swell_results_view_update_export_action (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    _swell_results_view_show_error (self, _("Could not export the model"), error);
    return;
  }
  g_autofree char *name = g_path_get_basename (j->out);
  g_autofree char *text = g_strdup_printf (_("Model exported to %s"), name);
  SwellWindow *win = _swell_results_view_get_window (self);
  if (win)
    swell_window_show_toast (win, text, NULL, NULL, NULL, NULL);
}

/* What Export Model… does once a file is chosen: the format from its extension,
 * the export in a thread, the result in the window. */
void
swell_results_view_export_model_to (SwellResultsView *self, const char *path)
{
  SwellModelFormat format;
  if (!self->document || !self->run_has_model || self->exporting)
    return;
  if (!swell_model_format_from_path (path, &format)) {
    g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                                            _("%s: choose a name ending in .onnx (ONNX) or .safetensors"), path);
    _swell_results_view_show_error (self, _("Could not export the model"), error);
    return;
  }
  ExportJob *j = g_new0 (ExportJob, 1);
  j->project_path = g_strdup (swell_document_get_path (self->document));
  j->run_id = self->run_id;
  j->out = g_strdup (path);
  j->format = format;
  self->exporting = TRUE;
  _swell_results_view_update_export_action (self);
  g_autoptr (GTask) task = g_task_new (self, NULL, export_done, NULL);
  g_task_set_task_data (task, j, export_job_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
swell_results_view_is_exporting (SwellResultsView *self)
{
  return self->exporting;
}

static void
on_export_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  SwellResultsView *self = data;
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
    g_autofree char *path = file ? g_file_get_path (file) : NULL;
    if (path)
      swell_results_view_export_model_to (self, path);
  }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *pattern)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
export_model_action (GtkWidget *widget, const char *action, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  if (!self->document || !self->run_has_model)
    return;
  SwellWindow *win = _swell_results_view_get_window (self);
  GtkFileChooserNative *fc = gtk_file_chooser_native_new (_("Export Model"), win ? GTK_WINDOW (win) : NULL,
                                                          GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  g_autofree char *base = g_path_get_basename (swell_document_get_path (self->document));
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  g_autofree char *name = g_strdup_printf ("%s-run%lld.onnx", base, (long long) self->run_id);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (fc), name);
  add_filter (GTK_FILE_CHOOSER (fc), _("ONNX model (.onnx)"), "*.onnx");
  add_filter (GTK_FILE_CHOOSER (fc), _("safetensors weights (.safetensors)"), "*.safetensors");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (fc), TRUE);
  g_signal_connect (fc, "response", G_CALLBACK (on_export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (fc));
}

/* ---------------------------------------------------------------- setup */

void
_swell_results_view_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback_full (widget_class, "on_split_button",
                                                G_CALLBACK (_swell_results_view_move_split));
  gtk_widget_class_install_action (widget_class, "results.relabel", "x", relabel_action);
  gtk_widget_class_install_action (widget_class, "results.set-split", "s", set_split_action);
  gtk_widget_class_install_action (widget_class, "results.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "results.preview", NULL, preview_action);
  gtk_widget_class_install_action (widget_class, "results.export-model", NULL, export_model_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "results.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "results.preview", NULL);
  gtk_widget_class_install_action (widget_class, "results.relabel-nth", "i", relabel_nth_action);
  for (int k = 1; k <= 9; k++) {
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + k, 0, "results.relabel-nth", "i", k);
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0 + k, 0, "results.relabel-nth", "i", k);
  }
}

void
_swell_results_view_actions_init (SwellResultsView *self)
{
  g_signal_connect_swapped (self->gallery_selection, "notify::selected-item", G_CALLBACK (on_gallery_selection), self);
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_gallery_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->gallery), GTK_EVENT_CONTROLLER (click));
}
