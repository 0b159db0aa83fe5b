/* swell-label-view.c: the Label view. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-category-row.h"
#include "swell-image-tile.h"
#include "swell-import.h"
#include "swell-label-view.h"
#include "swell-thumbnailer.h"
#include "swell-window.h"

typedef enum { UNDO_DELETE, UNDO_LABEL, UNDO_SPLIT } UndoKind;

typedef struct {
  UndoKind kind;
  GArray *ids;    /* gint64 */
  GArray *before; /* gint64 category ids or SwellSplit (as gint64), per id */
} UndoOp;

struct _SwellLabelView {
  GtkWidget parent_instance;

  GtkWidget *paned;
  GtkMenuButton *add_button;
  GtkPopover *add_popover;
  GtkEntry *add_entry;
  GtkListView *category_list;
  GtkLabel *heading_label;
  GtkLabel *count_label;
  GtkDropDown *split_dropdown;
  GtkStack *grid_stack;
  GtkGridView *grid;
  GtkLabel *empty_title;
  GtkLabel *empty_text;
  GtkRevealer *import_revealer;
  GtkLabel *import_label;
  GtkProgressBar *import_progress;
  GMenu *grid_menu;
  GMenu *label_submenu;
  GMenu *category_menu;

  SwellDocument *document;
  SwellImageFilter *filter;
  GtkMultiSelection *selection;
  GtkSingleSelection *category_selection;
  SwellThumbnailer *thumbnailer;
  gint64 context_category;
  GCancellable *import_cancellable;
  GQueue undo;  /* UndoOp*, newest at head */
};

G_DEFINE_FINAL_TYPE (SwellLabelView, swell_label_view, GTK_TYPE_WIDGET)

static SwellWindow *
get_window (SwellLabelView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

static void
show_error (SwellLabelView *self, const char *title, const GError *error)
{
  SwellWindow *win = get_window (self);
  if (win)
    swell_window_show_error (win, title, error->message);
  else
    g_warning ("%s: %s", title, error->message);
}

static void
undo_op_free (UndoOp *op)
{
  g_array_unref (op->ids);
  if (op->before)
    g_array_unref (op->before);
  g_free (op);
}

static void
clear_undo (SwellLabelView *self)
{
  g_queue_clear_full (&self->undo, (GDestroyNotify) undo_op_free);
}

static void
push_undo (SwellLabelView *self, UndoKind kind, GArray *ids, GArray *before)
{
  UndoOp *op = g_new0 (UndoOp, 1);
  op->kind = kind;
  op->ids = g_array_ref (ids);
  op->before = before ? g_array_ref (before) : NULL;
  g_queue_push_head (&self->undo, op);
  while (self->undo.length > 50)
    undo_op_free (g_queue_pop_tail (&self->undo));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.undo", TRUE);
}

/* ------------------------------------------------------------- selection */

static GArray *
selected_ids (SwellLabelView *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!self->selection)
    return ids;
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint pos;
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok; ok = gtk_bitset_iter_next (&iter, &pos)) {
    g_autoptr (SwellImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), pos);
    if (item) {
      gint64 id = swell_image_item_get_id (item);
      g_array_append_val (ids, id);
    }
  }
  return ids;
}

static GArray *
current_values (SwellLabelView *self, GArray *ids, gboolean split)
{
  SwellImageList *images = swell_document_get_images (self->document);
  GArray *vals = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ids->len);
  for (guint i = 0; i < ids->len; i++) {
    SwellImageItem *it = swell_image_list_lookup (images, g_array_index (ids, gint64, i));
    gint64 v = !it ? 0 : split ? (gint64) swell_image_item_get_split (it) : swell_image_item_get_category_id (it);
    g_array_append_val (vals, v);
  }
  return vals;
}

/* ------------------------------------------------------------- edits */

static gboolean
relabel (SwellLabelView *self, GArray *ids, gint64 category_id)
{
  if (!self->document || ids->len == 0)
    return FALSE;
  g_autoptr (GArray) before = current_values (self, ids, FALSE);
  g_autoptr (GError) error = NULL;
  if (!swell_document_set_label (self->document, ids, category_id, &error)) {
    show_error (self, _("Could not change the label"), error);
    return FALSE;
  }
  push_undo (self, UNDO_LABEL, ids, before);
  return TRUE;
}

static void
assign_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  if (!self->document)
    return;
  int n = g_variant_get_int32 (param);
  gint64 cat = SWELL_CATEGORY_UNLABELED;
  if (n > 0) {
    SwellCategoryItem *c = swell_category_list_nth_category (swell_document_get_categories (self->document), n - 1);
    if (!c)
      return;
    cat = swell_category_item_get_id (c);
  }
  g_autoptr (GArray) ids = selected_ids (self);
  relabel (self, ids, cat);
}

static void
set_split_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellSplit split;
  if (!self->document || !swell_split_from_string (g_variant_get_string (param, NULL), &split))
    return;
  g_autoptr (GArray) ids = selected_ids (self);
  if (ids->len == 0)
    return;
  g_autoptr (GArray) before = current_values (self, ids, TRUE);
  g_autoptr (GError) error = NULL;
  if (!swell_document_set_split (self->document, ids, split, &error)) {
    show_error (self, _("Could not change the split"), error);
    return;
  }
  push_undo (self, UNDO_SPLIT, ids, before);
}

static void undo_action (GtkWidget *widget, const char *action_name, GVariant *param);

static void
toast_undo (SwellWindow *win, gpointer data)
{
  SwellLabelView *self = data;
  undo_action (GTK_WIDGET (self), "label.undo", NULL);
}

static void
delete_selected_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  if (!self->document)
    return;
  g_autoptr (GArray) ids = selected_ids (self);
  if (ids->len == 0)
    return;
  g_autoptr (GError) error = NULL;
  if (!swell_document_delete_images (self->document, ids, &error)) {
    show_error (self, _("Could not delete the images"), error);
    return;
  }
  push_undo (self, UNDO_DELETE, ids, NULL);
  SwellWindow *win = get_window (self);
  if (win) {
    g_autofree char *msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image deleted", "%u images deleted", ids->len),
                                            ids->len);
    swell_window_show_toast (win, msg, _("_Undo"), G_CALLBACK (toast_undo), g_object_ref (self), g_object_unref);
  }
}

static void
undo_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  UndoOp *op = g_queue_pop_head (&self->undo);
  if (!op || !self->document) {
    if (op)
      undo_op_free (op);
    return;
  }
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;
  if (op->kind == UNDO_DELETE) {
    ok = swell_document_restore_images (self->document, op->ids, &error);
  } else {
    /* Group ids by their previous value and restore each group. */
    g_autoptr (GHashTable) groups = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                           (GDestroyNotify) g_array_unref);
    for (guint i = 0; i < op->ids->len; i++) {
      gint64 v = g_array_index (op->before, gint64, i);
      GArray *g = g_hash_table_lookup (groups, &v);
      if (!g) {
        g = g_array_new (FALSE, FALSE, sizeof (gint64));
        g_hash_table_insert (groups, g_memdup2 (&v, sizeof v), g);
      }
      g_array_append_val (g, g_array_index (op->ids, gint64, i));
    }
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init (&it, groups);
    while (ok && g_hash_table_iter_next (&it, &key, &value)) {
      gint64 v = *(gint64 *) key;
      ok = op->kind == UNDO_LABEL ? swell_document_set_label (self->document, value, v, &error)
                                  : swell_document_set_split (self->document, value, (SwellSplit) v, &error);
    }
  }
  if (!ok)
    show_error (self, _("Could not undo"), error);
  /* An Undo offered by the toast is done now. */
  if (op->kind == UNDO_DELETE && get_window (self))
    swell_window_dismiss_toast (get_window (self));
  undo_op_free (op);
  gtk_widget_action_set_enabled (widget, "label.undo", self->undo.length > 0);
}

/* ------------------------------------------------------------- categories */

static void
on_add_popover_show (SwellLabelView *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->add_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->add_entry));
}

static void
on_add_confirm (SwellLabelView *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_entry))));
  if (!self->document || !*name)
    return;
  g_autoptr (GError) error = NULL;
  gint64 id = swell_document_create_category (self->document, name, &error);
  if (!id) {
    show_error (self, _("Could not add the category"), error);
    return;
  }
  gtk_popover_popdown (self->add_popover);
  swell_label_view_show_category (self, id);
}

void
swell_label_view_add_category (SwellLabelView *self)
{
  if (self->document)
    gtk_menu_button_popup (self->add_button);
}

static SwellCategoryItem *
context_category (SwellLabelView *self)
{
  if (!self->document)
    return NULL;
  SwellCategoryItem *c = swell_category_list_lookup (swell_document_get_categories (self->document),
                                                      self->context_category, NULL);
  return c && swell_category_item_is_real (c) ? c : NULL;
}

static void
on_rename_response (GtkDialog *dialog, int response, SwellLabelView *self)
{
  GtkEntry *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "category-id"));
  if (response == GTK_RESPONSE_OK && self->document) {
    g_autoptr (GError) error = NULL;
    if (!swell_document_rename_category (self->document, id, gtk_editable_get_text (GTK_EDITABLE (entry)), &error)) {
      show_error (self, _("Could not rename the category"), error);
      return; /* keep the dialog open to fix the name */
    }
  }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
rename_category_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellCategoryItem *c = context_category (self);
  if (!c)
    return;
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (get_window (self)), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, _("Rename Category"));
  gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Rename"), GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  GtkWidget *entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), swell_category_item_get_name (c));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_box_append (GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog))), entry);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "category-id", GSIZE_TO_POINTER ((gsize) swell_category_item_get_id (c)));
  g_signal_connect (dialog, "response", G_CALLBACK (on_rename_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_color_response (GtkDialog *dialog, int response, SwellLabelView *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "category-id"));
  if (response == GTK_RESPONSE_OK && self->document) {
    GdkRGBA rgba;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (dialog), &rgba);
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_autofree char *hex = g_strdup_printf ("#%02x%02x%02x", (int) (rgba.red * 255 + 0.5), (int) (rgba.green * 255 + 0.5),
                                            (int) (rgba.blue * 255 + 0.5));
    g_autoptr (GError) error = NULL;
    if (!swell_document_recolor_category (self->document, id, hex, &error))
      show_error (self, _("Could not change the colour"), error);
  }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
recolor_category_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellCategoryItem *c = context_category (self);
  if (!c)
    return;
  g_autofree char *title = g_strdup_printf (_("Colour of “%s”"), swell_category_item_get_name (c));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkWidget *dialog = gtk_color_chooser_dialog_new (title, GTK_WINDOW (get_window (self)));
  GdkRGBA rgba;
  if (gdk_rgba_parse (&rgba, swell_category_item_get_color (c)))
    gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (dialog), &rgba);
  gtk_color_chooser_set_use_alpha (GTK_COLOR_CHOOSER (dialog), FALSE);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "category-id", GSIZE_TO_POINTER ((gsize) swell_category_item_get_id (c)));
  g_signal_connect (dialog, "response", G_CALLBACK (on_color_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_delete_category_response (GtkDialog *dialog, int response, SwellLabelView *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "category-id"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT || !self->document)
    return;
  g_autoptr (GError) error = NULL;
  if (!swell_document_delete_category (self->document, id, &error))
    show_error (self, _("Could not delete the category"), error);
}

static void
delete_category_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellCategoryItem *c = context_category (self);
  if (!c)
    return;
  guint n = swell_category_item_get_total (c);
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (get_window (self)), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE, _("Delete “%s”?"),
                                              swell_category_item_get_name (c));
  if (n == 0)
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", _("It has no images."));
  else
    gtk_message_dialog_format_secondary_text (
      GTK_MESSAGE_DIALOG (dialog),
      g_dngettext (GETTEXT_PACKAGE, "Its %u image will become unlabeled. No image is deleted.",
                   "Its %u images will become unlabeled. No image is deleted.", n),
      n);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  GtkWidget *del = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Delete Category"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (del, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data (G_OBJECT (dialog), "category-id", GSIZE_TO_POINTER ((gsize) swell_category_item_get_id (c)));
  g_signal_connect (dialog, "response", G_CALLBACK (on_delete_category_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------- import */

typedef struct {
  SwellLabelView *self;
  guint total;
} ImportJob;

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
  SwellWindow *win = get_window (self);
  if (!win)
    return;
  if (result->n_rejected == 0 && result->n_duplicates == 0) {
    swell_window_show_toast (win, summary, NULL, NULL, NULL, NULL);
    return;
  }
  /* A dialog lists every file that was not added, and why. */
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (win), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              result->n_rejected ? GTK_MESSAGE_WARNING : GTK_MESSAGE_INFO,
                                              GTK_BUTTONS_CLOSE, "%s", summary);
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
  gtk_widget_set_size_request (scroller, 520, 220);
  gtk_box_append (GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog))), scroller);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
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
      show_error (self, _("Import failed"), error);
  } else {
    /* The import wrote through its own connection: reload now rather than at
     * the next poll. */
    if (self->document && g_object_get_data (G_OBJECT (self), "doc-project") == source)
      swell_document_reload (self->document, NULL);
    show_import_summary (self, result);
  }
  g_object_unref (self);
}

gboolean
swell_label_view_scroll_by (SwellLabelView *self, double pages, double stop)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->grid));
  double value = gtk_adjustment_get_value (adj), page = gtk_adjustment_get_page_size (adj);
  double end = MIN (gtk_adjustment_get_upper (adj) * stop, gtk_adjustment_get_upper (adj) - page);
  if (value >= end - 0.5)
    return FALSE;
  gtk_adjustment_set_value (adj, MIN (value + pages * page, end));
  return TRUE;
}

gint64
swell_label_view_get_category (SwellLabelView *self)
{
  return self->filter ? swell_image_filter_get_category (self->filter) : SWELL_CATEGORY_ALL;
}

void
swell_label_view_select_all (SwellLabelView *self)
{
  if (self->selection)
    gtk_selection_model_select_all (GTK_SELECTION_MODEL (self->selection));
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
    SwellWindow *win = get_window (self);
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
  g_object_set_data (G_OBJECT (self), "doc-project", project);
  swell_import_paths_async (project, paths, &opts, import_progress, self, self->import_cancellable, import_done,
                            g_object_ref (self));
}

static void
on_import_cancel (SwellLabelView *self)
{
  if (self->import_cancellable)
    g_cancellable_cancel (self->import_cancellable);
}

static void
import_chooser_response (GtkNativeDialog *native, int response, SwellLabelView *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
    g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
    for (guint i = 0; i < g_list_model_get_n_items (files); i++) {
      g_autoptr (GFile) f = g_list_model_get_item (files, i);
      char *p = g_file_get_path (f);
      if (p)
        g_ptr_array_add (paths, p);
    }
    g_ptr_array_add (paths, NULL);
    gint64 cat = swell_image_filter_get_category (self->filter);
    swell_label_view_import (self, (const char *const *) paths->pdata, cat);
  }
  g_object_unref (native);
}

void
swell_label_view_import_dialog (SwellLabelView *self, gboolean folders)
{
  if (!self->document)
    return;
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    folders ? _("Import Folders") : _("Import Images"), GTK_WINDOW (get_window (self)),
    folders ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
  if (!folders) {
    GtkFileFilter *filter = gtk_file_filter_new ();
    gtk_file_filter_set_name (filter, _("Images"));
    gtk_file_filter_add_pixbuf_formats (filter);
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
    g_object_unref (filter);
    GtkFileFilter *all = gtk_file_filter_new ();
    gtk_file_filter_set_name (all, _("All Files"));
    gtk_file_filter_add_pattern (all, "*");
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
    g_object_unref (all);
  }
  g_signal_connect (native, "response", G_CALLBACK (import_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static char **
file_list_paths (const GValue *value)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));
  GPtrArray *paths = g_ptr_array_new ();
  for (GSList *l = files; l; l = l->next) {
    char *p = g_file_get_path (l->data);
    if (p)
      g_ptr_array_add (paths, p);
  }
  g_slist_free (files);
  g_ptr_array_add (paths, NULL);
  return (char **) g_ptr_array_free (paths, FALSE);
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
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST)) {
    g_auto (GStrv) paths = file_list_paths (value);
    swell_label_view_import (self, (const char *const *) paths, id);
    return TRUE;
  }
  if (G_VALUE_HOLDS (value, G_TYPE_ARRAY)) {
    if (id == SWELL_CATEGORY_ALL)
      return FALSE;
    GArray *ids = g_value_get_boxed (value);
    return relabel (self, ids, id);
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
  g_auto (GStrv) paths = file_list_paths (value);
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
  g_autoptr (GArray) ids = selected_ids (self);
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

/* ------------------------------------------------------------- context menus */

static void
unparent_popover (GtkPopover *popover)
{
  /* Unparent after the closing animation/activation has finished. */
  g_idle_add_once ((GSourceOnceFunc) gtk_widget_unparent, popover);
}

static void
rebuild_label_submenu (SwellLabelView *self)
{
  g_menu_remove_all (self->label_submenu);
  SwellCategoryList *cats = swell_document_get_categories (self->document);
  for (guint i = 0; i < swell_category_list_n_categories (cats); i++) {
    SwellCategoryItem *c = swell_category_list_nth_category (cats, i);
    g_autoptr (GMenuItem) mi = g_menu_item_new (swell_category_item_get_name (c), NULL);
    g_menu_item_set_action_and_target_value (mi, "label.assign", g_variant_new_int32 ((gint32) i + 1));
    if (i < 9) {
      g_autofree char *accel = g_strdup_printf ("%u", i + 1);
      g_menu_item_set_attribute (mi, "accel", "s", accel);
    }
    g_menu_append_item (self->label_submenu, mi);
  }
}

static void
on_grid_right_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  if (!self->document)
    return;
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->grid), x, y, GTK_PICK_DEFAULT);
  while (picked && !SWELL_IS_IMAGE_TILE (picked))
    picked = gtk_widget_get_parent (picked);
  if (!picked)
    return;
  GtkListItem *li = g_object_get_data (G_OBJECT (picked), "list-item");
  if (li && !gtk_list_item_get_selected (li))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), gtk_list_item_get_position (li), TRUE);
  rebuild_label_submenu (self);
  GtkWidget *popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->grid_menu));
  gtk_widget_set_parent (popover, GTK_WIDGET (self->grid));
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (unparent_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
on_row_right_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  SwellCategoryItem *c = swell_category_row_get_item (SWELL_CATEGORY_ROW (row));
  if (!c || !swell_category_item_is_real (c))
    return;
  self->context_category = swell_category_item_get_id (c);
  GtkWidget *popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->category_menu));
  gtk_widget_set_parent (popover, row);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (unparent_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* ------------------------------------------------------------- factories */

static void
category_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  GtkWidget *row = swell_category_row_new ();
  gtk_list_item_set_child (li, row);
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY | GDK_ACTION_MOVE);
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_ARRAY };
  gtk_drop_target_set_gtypes (drop, types, G_N_ELEMENTS (types));
  g_signal_connect (drop, "drop", G_CALLBACK (on_row_drop), self);
  g_signal_connect (drop, "enter", G_CALLBACK (on_row_drop_enter), self);
  g_signal_connect (drop, "leave", G_CALLBACK (on_row_drop_leave), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (drop));
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_row_right_click), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
}

static void
category_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_category_row_bind (SWELL_CATEGORY_ROW (gtk_list_item_get_child (li)), gtk_list_item_get_item (li),
                           gtk_list_item_get_position (li));
}

static void
category_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_category_row_bind (SWELL_CATEGORY_ROW (gtk_list_item_get_child (li)), NULL, 0);
}

static void
tile_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  GtkWidget *tile = swell_image_tile_new (150);
  g_object_set_data (G_OBJECT (tile), "list-item", li);
  gtk_list_item_set_child (li, tile);
  GtkDragSource *drag = gtk_drag_source_new ();
  gtk_drag_source_set_actions (drag, GDK_ACTION_MOVE | GDK_ACTION_COPY);
  g_signal_connect (drag, "prepare", G_CALLBACK (on_tile_drag_prepare), self);
  gtk_widget_add_controller (tile, GTK_EVENT_CONTROLLER (drag));
}

static void
tile_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  SwellImageTile *tile = SWELL_IMAGE_TILE (gtk_list_item_get_child (li));
  swell_image_tile_bind (tile, gtk_list_item_get_item (li), self->thumbnailer,
                         self->document ? swell_document_get_categories (self->document) : NULL);
  /* The category chip is redundant inside one category. */
  swell_image_tile_set_show_badges (tile, TRUE, swell_image_filter_get_category (self->filter) == SWELL_CATEGORY_ALL);
}

static void
tile_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_image_tile_bind (SWELL_IMAGE_TILE (gtk_list_item_get_child (li)), NULL, NULL, NULL);
}

/* ------------------------------------------------------------- state */

static void
update_heading (SwellLabelView *self)
{
  if (!self->document)
    return;
  gint64 cat = swell_image_filter_get_category (self->filter);
  SwellCategoryItem *c = swell_category_list_lookup (swell_document_get_categories (self->document), cat, NULL);
  gtk_label_set_text (self->heading_label, c ? swell_category_item_get_name (c) : "");
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter));
  g_autoptr (GtkBitset) sel = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  guint64 n_sel = gtk_bitset_get_size (sel);
  g_autofree char *count = n_sel > 0
    ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image · %u selected — press 1–9 to label, Delete to remove",
                                    "%u images · %u selected — press 1–9 to label, Delete to remove", shown),
                       shown, (guint) n_sel)
    : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image", "%u images", shown), shown);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->grid_stack, shown > 0 ? "grid" : "empty");
  if (shown == 0) {
    g_autofree char *text = NULL;
    if (cat > 0)
      text = g_strdup_printf (_("Drag photos or folders from your file manager to add them as “%s”, or press a number key on selected photos in another category."),
                              c ? swell_category_item_get_name (c) : "");
    else if (cat == SWELL_CATEGORY_UNLABELED)
      text = g_strdup (_("Every photo has a category. Photos you add without one show up here."));
    else
      text = g_strdup (_("Drag photos or folders from your file manager. A folder of class folders (cats/, dogs/) keeps its labels; train/ and valid/ folders keep their split."));
    gtk_label_set_text (self->empty_text, text);
  }
}

static void
on_category_selected (SwellLabelView *self)
{
  SwellCategoryItem *c = gtk_single_selection_get_selected_item (self->category_selection);
  if (!c || !self->filter)
    return;
  self->context_category = swell_category_item_get_id (c);
  swell_image_filter_set_category (self->filter, swell_category_item_get_id (c));
  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  update_heading (self);
  gboolean real = swell_category_item_is_real (c);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.rename-category", real);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.recolor-category", real);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.delete-category", real);
}

static void
on_split_filter_changed (SwellLabelView *self)
{
  if (!self->filter)
    return;
  guint sel = gtk_drop_down_get_selected (self->split_dropdown);
  swell_image_filter_set_split (self->filter, sel == 0 || sel == GTK_INVALID_LIST_POSITION ? SWELL_SPLIT_ANY : (int) sel - 1);
  update_heading (self);
}

void
swell_label_view_show_category (SwellLabelView *self, gint64 category_id)
{
  if (!self->document)
    return;
  guint pos;
  if (swell_category_list_lookup (swell_document_get_categories (self->document), category_id, &pos))
    gtk_single_selection_set_selected (self->category_selection, pos);
}

void
swell_label_view_set_document (SwellLabelView *self, SwellDocument *document)
{
  if (self->import_cancellable)
    g_cancellable_cancel (self->import_cancellable);
  clear_undo (self);
  if (self->filter)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  gtk_grid_view_set_model (self->grid, NULL);
  gtk_list_view_set_model (self->category_list, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->category_selection);
  g_clear_object (&self->filter);
  g_clear_object (&self->thumbnailer);
  g_set_object (&self->document, document);
  if (!document)
    return;

  self->thumbnailer = swell_thumbnailer_get_for_path (swell_document_get_path (document));
  self->filter = swell_image_filter_new (swell_document_get_images (document));
  g_signal_connect_swapped (self->filter, "items-changed", G_CALLBACK (update_heading), self);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->filter)));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (update_heading), self);
  gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));

  self->category_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (swell_document_get_categories (document))));
  gtk_single_selection_set_autoselect (self->category_selection, TRUE);
  g_signal_connect_swapped (self->category_selection, "notify::selected", G_CALLBACK (on_category_selected), self);
  gtk_list_view_set_model (self->category_list, GTK_SELECTION_MODEL (self->category_selection));
  gtk_drop_down_set_selected (self->split_dropdown, 0);
  on_category_selected (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.undo", FALSE);
}

/* ------------------------------------------------------------- class */

static void
swell_label_view_dispose (GObject *object)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (object);
  swell_label_view_set_document (self, NULL);
  g_clear_object (&self->import_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_LABEL_VIEW);
  G_OBJECT_CLASS (swell_label_view_parent_class)->dispose (object);
}

static void
swell_label_view_class_init (SwellLabelViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_label_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-label-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, paned);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_button);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_popover);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_entry);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, category_list);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, heading_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, count_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, empty_title);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, empty_text);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_revealer);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_progress);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid_menu);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, label_submenu);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, category_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_add_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_add_confirm);
  gtk_widget_class_bind_template_callback (widget_class, on_split_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_import_cancel);

  gtk_widget_class_install_action (widget_class, "label.assign", "i", assign_action);
  gtk_widget_class_install_action (widget_class, "label.set-split", "s", set_split_action);
  gtk_widget_class_install_action (widget_class, "label.delete-selected", NULL, delete_selected_action);
  gtk_widget_class_install_action (widget_class, "label.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "label.rename-category", NULL, rename_category_action);
  gtk_widget_class_install_action (widget_class, "label.recolor-category", NULL, recolor_category_action);
  gtk_widget_class_install_action (widget_class, "label.delete-category", NULL, delete_category_action);

  /* Keys 1-9 label the selection with the n-th category, 0 unlabels it,
   * Delete removes it; they act while the focus is in this view (not in an
   * entry, which takes the key first). */
  for (int k = 0; k <= 9; k++) {
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + k, 0, "label.assign", "i", k);
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0 + k, 0, "label.assign", "i", k);
  }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "label.delete-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "label.delete-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "label.undo", NULL);
}

static void
swell_label_view_init (SwellLabelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->undo);

  GtkListItemFactory *cf = gtk_signal_list_item_factory_new ();
  g_signal_connect (cf, "setup", G_CALLBACK (category_setup), self);
  g_signal_connect (cf, "bind", G_CALLBACK (category_bind), self);
  g_signal_connect (cf, "unbind", G_CALLBACK (category_unbind), self);
  gtk_list_view_set_factory (self->category_list, cf);
  g_object_unref (cf);

  GtkListItemFactory *tf = gtk_signal_list_item_factory_new ();
  g_signal_connect (tf, "setup", G_CALLBACK (tile_setup), self);
  g_signal_connect (tf, "bind", G_CALLBACK (tile_bind), self);
  g_signal_connect (tf, "unbind", G_CALLBACK (tile_unbind), self);
  gtk_grid_view_set_factory (self->grid, tf);
  g_object_unref (tf);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_grid_drop), self);
  g_signal_connect (drop, "enter", G_CALLBACK (on_grid_drop_enter), self);
  g_signal_connect (drop, "leave", G_CALLBACK (on_grid_drop_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self->grid_stack), GTK_EVENT_CONTROLLER (drop));

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_grid_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->grid), GTK_EVENT_CONTROLLER (click));
}
