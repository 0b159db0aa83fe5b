/* swell-label-view-dnd.c: the Label view's drag and drop: files dropped on
 * the grid or on a category are imported (with progress and a summary),
 * thumbnails dragged onto a category are relabelled with it. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-category-row.h"
#include "swell-files.h"
#include "swell-import.h"
#include "swell-label-view-private.h"
#include "swell-test-hooks.h"

/* ------------------------------------------------------------- import */

static void
import_progress (guint done, guint total, const char *current, gpointer user_data)
{
  SwellLabelView *self = user_data;
  gtk_progress_bar_set_fraction (self->import_progress, total ? (double) done / total : 0.0);
  g_autofree char *base = current ? g_path_get_basename (current) : NULL;
  g_autofree char *text = base ? g_strdup_printf (_("Importing %u of %u: %s"), done, total, base)
                               : g_strdup_printf (_("Importing %u of %u…"), done, total);
  gtk_label_set_text (self->import_label, text);
}

static void
show_import_summary (SwellLabelView *self, SwellImportResult *result)
{
  g_autofree char *summary = swell_import_result_summary (result);
  SwellWindow *win = _swell_label_view_get_window (self);
  if (!win)
    return;
  if (result->n_rejected == 0 && result->n_duplicates == 0) {
    swell_window_show_toast (win, summary, NULL, NULL, NULL, NULL);
    return;
  }
  /* A dialog lists every file that was not added, and why. */
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (win), summary, NULL);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; i < result->items->len; i++) {
    SwellImportItem *it = g_ptr_array_index (result->items, i);
    if (it->outcome == SWELL_IMPORT_REJECTED)
      g_string_append_printf (text, "✗ %s\n", it->reason ? it->reason : it->path);
  }
  for (guint i = 0; i < result->items->len; i++) {
    SwellImportItem *it = g_ptr_array_index (result->items, i);
    if (it->outcome == SWELL_IMPORT_DUPLICATE)
      g_string_append_printf (text, "= %s\n", it->reason ? it->reason : it->path);
  }
  GtkWidget *view = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text->str, -1);
  gtk_widget_add_css_class (view, "swell-report");
  GtkWidget *scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 220);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_add_css_class (scroller, "card");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scroller);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  SwellLabelView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellImportResult) result = swell_import_paths_finish (SWELL_PROJECT (source), res, &error);
  g_clear_object (&self->import_cancellable);
  gtk_revealer_set_reveal_child (self->import_revealer, FALSE);
  if (!result) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      _swell_label_view_show_error (self, _("Import failed"), error);
  } else {
    /* The import wrote through its own connection: reload now rather than at
     * the next poll. */
    if (self->document && self->import_project == (gpointer) source)
      swell_document_reload (self->document, NULL);
    show_import_summary (self, result);
  }
  g_object_unref (self);
}

gboolean
swell_label_view_is_importing (SwellLabelView *self)
{
  return self->import_cancellable != NULL;
}

void
swell_label_view_import (SwellLabelView *self, const char *const *paths, gint64 category_id)
{
  if (!self->document || !paths || !paths[0])
    return;
  if (self->import_cancellable) {
    SwellWindow *win = _swell_label_view_get_window (self);
    if (win)
      swell_window_show_toast (win, _("An import is already running; wait for it to finish"), NULL, NULL, NULL, NULL);
    return;
  }
  SwellImportOptions opts;
  swell_import_options_init (&opts);
  opts.category_id = category_id > 0 ? category_id : 0;
  self->import_cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->import_progress, 0);
  gtk_label_set_text (self->import_label, _("Looking for images…"));
  gtk_revealer_set_reveal_child (self->import_revealer, TRUE);
  SwellProject *project = swell_document_get_project (self->document);
  self->import_project = project;
  swell_import_paths_async (project, paths, &opts, import_progress, self, self->import_cancellable, import_done,
                            g_object_ref (self));
}

static void
on_import_cancel (SwellLabelView *self)
{
  if (self->import_cancellable)
    g_cancellable_cancel (self->import_cancellable);
}

/* ------------------------------------------------------------- drag and drop */

static gboolean
on_row_drop (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  SwellCategoryRow *row = SWELL_CATEGORY_ROW (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target)));
  swell_category_row_set_drop_highlight (row, FALSE);
  SwellCategoryItem *c = swell_category_row_get_item (row);
  if (!c || !self->document)
    return FALSE;
  gint64 id = swell_category_item_get_id (c);
  if (id == SWELL_CATEGORY_SUGGESTED)
    return FALSE;
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST)) {
    g_auto (GStrv) paths = swell_files_paths_from_drop (value, FALSE);
    swell_label_view_import (self, (const char *const *) paths, id);
    return TRUE;
  }
  if (G_VALUE_HOLDS (value, G_TYPE_ARRAY)) {
    if (id == SWELL_CATEGORY_ALL)
      return FALSE;
    GArray *ids = g_value_get_boxed (value);
    return _swell_label_view_relabel (self, ids, id);
  }
  return FALSE;
}

static GdkDragAction
on_row_drop_enter (GtkDropTarget *target, double x, double y, gpointer user_data)
{
  swell_category_row_set_drop_highlight (
    SWELL_CATEGORY_ROW (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target))), TRUE);
  return GDK_ACTION_COPY;
}

static void
on_row_drop_leave (GtkDropTarget *target, gpointer user_data)
{
  swell_category_row_set_drop_highlight (
    SWELL_CATEGORY_ROW (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target))), FALSE);
}

static gboolean
on_grid_drop (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  gtk_widget_remove_css_class (GTK_WIDGET (self->grid_stack), "swell-drop-target");
  if (!self->document || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  g_auto (GStrv) paths = swell_files_paths_from_drop (value, FALSE);
  swell_label_view_import (self, (const char *const *) paths, swell_image_filter_get_category (self->filter));
  return TRUE;
}

static GdkDragAction
on_grid_drop_enter (GtkDropTarget *target, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  gtk_widget_add_css_class (GTK_WIDGET (self->grid_stack), "swell-drop-target");
  return GDK_ACTION_COPY;
}

static void
on_grid_drop_leave (GtkDropTarget *target, gpointer user_data)
{
  SwellLabelView *self = user_data;
  gtk_widget_remove_css_class (GTK_WIDGET (self->grid_stack), "swell-drop-target");
}

static GdkContentProvider *
on_tile_drag_prepare (GtkDragSource *source, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  GtkListItem *li = g_object_get_data (G_OBJECT (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source))),
                                       "list-item");
  if (!li || !self->selection)
    return NULL;
  /* Dragging an unselected tile drags that tile alone. */
  if (!gtk_list_item_get_selected (li))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), gtk_list_item_get_position (li), TRUE);
  g_autoptr (GArray) ids = _swell_label_view_selected_ids (self);
  if (ids->len == 0)
    return NULL;
  GtkWidget *tile = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autoptr (GdkPaintable) icon = gtk_widget_paintable_new (tile);
  gtk_drag_source_set_icon (source, icon, (int) x, (int) y);
  GValue v = G_VALUE_INIT;
  g_value_init (&v, G_TYPE_ARRAY);
  g_value_set_boxed (&v, ids);
  GdkContentProvider *p = gdk_content_provider_new_for_value (&v);
  g_value_unset (&v);
  return p;
}

/* ------------------------------------------------------------- setup */

void
_swell_label_view_dnd_setup_row (SwellLabelView *self, GtkWidget *row)
{
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY | GDK_ACTION_MOVE);
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_ARRAY };
  gtk_drop_target_set_gtypes (drop, types, G_N_ELEMENTS (types));
  g_signal_connect (drop, "drop", G_CALLBACK (on_row_drop), self);
  g_signal_connect (drop, "enter", G_CALLBACK (on_row_drop_enter), self);
  g_signal_connect (drop, "leave", G_CALLBACK (on_row_drop_leave), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (drop));
}

void
_swell_label_view_dnd_setup_tile (SwellLabelView *self, GtkWidget *tile)
{
  GtkDragSource *drag = gtk_drag_source_new ();
  gtk_drag_source_set_actions (drag, GDK_ACTION_MOVE | GDK_ACTION_COPY);
  g_signal_connect (drag, "prepare", G_CALLBACK (on_tile_drag_prepare), self);
  gtk_widget_add_controller (tile, GTK_EVENT_CONTROLLER (drag));
}

void
_swell_label_view_dnd_init (SwellLabelView *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_grid_drop), self);
  g_signal_connect (drop, "enter", G_CALLBACK (on_grid_drop_enter), self);
  g_signal_connect (drop, "leave", G_CALLBACK (on_grid_drop_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self->grid_stack), GTK_EVENT_CONTROLLER (drop));
}

void
_swell_label_view_class_dnd_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_import_cancel);
}
