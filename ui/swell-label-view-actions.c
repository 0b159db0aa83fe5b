/* swell-label-view-actions.c: the Label view's actions: labels, splits and
 * deletions with their undo, the category dialogs, the import dialog. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-files.h"
#include "swell-label-view-private.h"

typedef enum { UNDO_DELETE, UNDO_LABEL, UNDO_SPLIT } UndoKind;

typedef struct {
  UndoKind kind;
  GArray *ids;    /* gint64 */
  GArray *before; /* gint64 category ids or SwellSplit (as gint64), per id */
  gboolean toast; /* a toast offers its Undo: dismissed once undone */
} UndoOp;

static void
undo_op_free (UndoOp *op)
{
  g_array_unref (op->ids);
  if (op->before)
    g_array_unref (op->before);
  g_free (op);
}

void
_swell_label_view_clear_undo (SwellLabelView *self)
{
  g_queue_clear_full (&self->undo, (GDestroyNotify) undo_op_free);
}

static void
push_undo (SwellLabelView *self, UndoKind kind, GArray *ids, GArray *before)
{
  UndoOp *op = g_new0 (UndoOp, 1);
  op->kind = kind;
  op->toast = kind == UNDO_DELETE;
  op->ids = g_array_ref (ids);
  op->before = before ? g_array_ref (before) : NULL;
  g_queue_push_head (&self->undo, op);
  while (self->undo.length > 50)
    undo_op_free (g_queue_pop_tail (&self->undo));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.undo", TRUE);
}

static GArray *current_values (SwellLabelView *self, GArray *ids, gboolean split);

GArray *
_swell_label_view_current_labels (SwellLabelView *self, GArray *ids)
{
  return current_values (self, ids, FALSE);
}

void
_swell_label_view_push_label_undo (SwellLabelView *self, GArray *ids, GArray *before, gboolean toast)
{
  push_undo (self, UNDO_LABEL, ids, before);
  ((UndoOp *) g_queue_peek_head (&self->undo))->toast = toast;
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

gboolean
_swell_label_view_relabel (SwellLabelView *self, GArray *ids, gint64 category_id)
{
  if (!self->document || ids->len == 0)
    return FALSE;
  g_autoptr (GArray) before = current_values (self, ids, FALSE);
  g_autoptr (GError) error = NULL;
  if (!swell_document_set_label (self->document, ids, category_id, &error)) {
    _swell_label_view_show_error (self, _("Could not change the label"), error);
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
  g_autoptr (GArray) ids = _swell_label_view_selected_ids (self);
  _swell_label_view_relabel (self, ids, cat);
}

static void
set_split_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellSplit split;
  if (!self->document || !swell_split_from_string (g_variant_get_string (param, NULL), &split))
    return;
  g_autoptr (GArray) ids = _swell_label_view_selected_ids (self);
  if (ids->len == 0)
    return;
  g_autoptr (GArray) before = current_values (self, ids, TRUE);
  g_autoptr (GError) error = NULL;
  if (!swell_document_set_split (self->document, ids, split, &error)) {
    _swell_label_view_show_error (self, _("Could not change the split"), error);
    return;
  }
  push_undo (self, UNDO_SPLIT, ids, before);
}

static void undo_action (GtkWidget *widget, const char *action_name, GVariant *param);

void
_swell_label_view_toast_undo (SwellWindow *win, gpointer data)
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
  g_autoptr (GArray) ids = _swell_label_view_selected_ids (self);
  if (ids->len == 0)
    return;
  g_autoptr (GError) error = NULL;
  if (!swell_document_delete_images (self->document, ids, &error)) {
    _swell_label_view_show_error (self, _("Could not delete the images"), error);
    return;
  }
  push_undo (self, UNDO_DELETE, ids, NULL);
  SwellWindow *win = _swell_label_view_get_window (self);
  if (win) {
    g_autofree char *msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image deleted", "%u images deleted", ids->len),
                                            ids->len);
    swell_window_show_toast (win, msg, _("_Undo"), G_CALLBACK (_swell_label_view_toast_undo), g_object_ref (self), g_object_unref);
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
    _swell_label_view_show_error (self, _("Could not undo"), error);
  /* An Undo offered by the toast is done now. */
  if (op->toast && _swell_label_view_get_window (self))
    swell_window_dismiss_toast (_swell_label_view_get_window (self));
  undo_op_free (op);
  gtk_widget_action_set_enabled (widget, "label.undo", self->undo.length > 0);
}

/* ------------------------------------------------------------- categories */

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
on_rename_response (AdwMessageDialog *dialog, const char *response, SwellLabelView *self)
{
  GtkEntry *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "category-id"));
  g_autoptr (GError) error = NULL;
  if (g_str_equal (response, "rename") && self->document &&
      !swell_document_rename_category (self->document, id, gtk_editable_get_text (GTK_EDITABLE (entry)), &error))
    _swell_label_view_show_error (self, _("Could not rename the category"), error);
}

/* Rename only to a name with some text in it. */
static void
on_rename_entry_changed (GtkEditable *entry, AdwMessageDialog *dialog)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  adw_message_dialog_set_response_enabled (dialog, "rename", *name != '\0');
}

static void
rename_category_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellCategoryItem *c = context_category (self);
  if (!c)
    return;
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (_swell_label_view_get_window (self)), _("Rename Category"), NULL);
  AdwMessageDialog *md = ADW_MESSAGE_DIALOG (dialog);
  adw_message_dialog_add_responses (md, "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (md, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (md, "rename");
  adw_message_dialog_set_close_response (md, "cancel");
  GtkWidget *entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), swell_category_item_get_name (c));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Category name"), -1);
  g_signal_connect (entry, "changed", G_CALLBACK (on_rename_entry_changed), dialog);
  adw_message_dialog_set_extra_child (md, entry);
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
      _swell_label_view_show_error (self, _("Could not change the colour"), error);
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
  GtkWidget *dialog = gtk_color_chooser_dialog_new (title, GTK_WINDOW (_swell_label_view_get_window (self)));
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
on_delete_category_response (AdwMessageDialog *dialog, const char *response, SwellLabelView *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "category-id"));
  if (!g_str_equal (response, "delete") || !self->document)
    return;
  g_autoptr (GError) error = NULL;
  if (!swell_document_delete_category (self->document, id, &error))
    _swell_label_view_show_error (self, _("Could not delete the category"), error);
}

static void
delete_category_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  SwellCategoryItem *c = context_category (self);
  if (!c)
    return;
  guint n = swell_category_item_get_total (c);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (_swell_label_view_get_window (self)), NULL, NULL);
  AdwMessageDialog *md = ADW_MESSAGE_DIALOG (dialog);
  adw_message_dialog_format_heading (md, _("Delete “%s”?"), swell_category_item_get_name (c));
  if (n == 0)
    adw_message_dialog_set_body (md, _("It has no images."));
  else
    adw_message_dialog_format_body (md, g_dngettext (GETTEXT_PACKAGE, "Its %u image will become unlabeled. No image is deleted.",
                                                     "Its %u images will become unlabeled. No image is deleted.", n),
                                    n);
  adw_message_dialog_add_responses (md, "cancel", _("_Cancel"), "delete", _("_Delete Category"), NULL);
  adw_message_dialog_set_response_appearance (md, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (md, "cancel");
  adw_message_dialog_set_close_response (md, "cancel");
  g_object_set_data (G_OBJECT (dialog), "category-id", GSIZE_TO_POINTER ((gsize) swell_category_item_get_id (c)));
  g_signal_connect (dialog, "response", G_CALLBACK (on_delete_category_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------- import dialog */

static void
import_chooser_response (GtkNativeDialog *native, int response, SwellLabelView *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
    g_auto (GStrv) paths = swell_files_paths_from_model (files);
    gint64 cat = swell_image_filter_get_category (self->filter);
    swell_label_view_import (self, (const char *const *) paths, cat);
  }
  g_object_unref (native);
}

void
swell_label_view_import_dialog (SwellLabelView *self, gboolean folders)
{
  if (!self->document)
    return;
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    folders ? _("Import Folders") : _("Import Images"), GTK_WINDOW (_swell_label_view_get_window (self)),
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

/* ------------------------------------------------------------- class */

void
_swell_label_view_class_actions_init (GtkWidgetClass *widget_class)
{
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
