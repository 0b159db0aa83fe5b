/* swell-results-view.c: the Results view. */
#include "swell-config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <math.h>

#include "swell-confusion-view.h"
#include "swell-image-tile.h"
#include "swell-results-model.h"
#include "swell-results-view.h"
#include "swell-window.h"

/* ---------------------------------------------------------------- run item */

#define SWELL_TYPE_RUN_ITEM (swell_run_item_get_type ())
G_DECLARE_FINAL_TYPE (SwellRunItem, swell_run_item, SWELL, RUN_ITEM, GObject)
struct _SwellRunItem {
  GObject parent_instance;
  SwellRunInfo *info;
};
G_DEFINE_FINAL_TYPE (SwellRunItem, swell_run_item, G_TYPE_OBJECT)
static void
swell_run_item_finalize (GObject *o)
{
  g_clear_pointer (&SWELL_RUN_ITEM (o)->info, swell_run_info_free);
  G_OBJECT_CLASS (swell_run_item_parent_class)->finalize (o);
}
static void swell_run_item_class_init (SwellRunItemClass *k) { G_OBJECT_CLASS (k)->finalize = swell_run_item_finalize; }
static void swell_run_item_init (SwellRunItem *self) {}

/* ---------------------------------------------------------------- view */

struct _SwellResultsView {
  GtkWidget parent_instance;
  GtkWidget *paned;
  GtkListView *run_list;
  GtkLabel *run_title;
  GtkLabel *run_summary;
  SwellConfusionView *matrix;
  GtkLabel *gallery_title;
  GtkButton *show_mistakes_button;
  GtkDropDown *sort_dropdown;
  GtkStack *gallery_stack;
  GtkGridView *gallery;
  GtkLabel *gallery_empty;
  GtkLabel *matrix_caption;
  GMenu *gallery_menu;
  GMenu *relabel_submenu;
  GtkActionBar *gallery_actions;
  GtkButton *split_button;

  SwellDocument *document;
  SwellThumbnailer *thumbnailer;
  GListStore *runs;
  GtkSingleSelection *run_selection;
  SwellGallery *gallery_model;
  GtkSingleSelection *gallery_selection;
  SwellConfusion *confusion;
  GListStore *predictions;
  gint64 run_id;
  int cell_a, cell_p; /* -1: all mistakes */
  gboolean reloading_runs;
};

G_DEFINE_FINAL_TYPE (SwellResultsView, swell_results_view, GTK_TYPE_WIDGET)

static SwellWindow *
get_window (SwellResultsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

static void
show_error (SwellResultsView *self, const char *title, const GError *error)
{
  SwellWindow *win = get_window (self);
  if (win)
    swell_window_show_error (win, title, error->message);
}

static const char *
class_name (SwellResultsView *self, int k)
{
  if (!self->confusion || k < 0 || k >= swell_confusion_get_n_classes (self->confusion))
    return "?";
  return swell_confusion_get_class_name (self->confusion, k);
}

/* ---------------------------------------------------------------- gallery */

static void
update_gallery_title (SwellResultsView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->gallery_model));
  g_autofree char *title = NULL;
  if (self->cell_a >= 0) {
    const char *a = class_name (self, self->cell_a), *p = class_name (self, self->cell_p);
    title = self->cell_a == self->cell_p
              ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "“%s” recognised: %u image", "“%s” recognised: %u images", n), a, n)
              : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "“%s” taken for “%s”: %u image", "“%s” taken for “%s”: %u images", n),
                                 a, p, n);
  } else {
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Mistakes: %u image", "Mistakes: %u images", n), n);
  }
  gtk_label_set_text (self->gallery_title, title);
  gtk_widget_set_visible (GTK_WIDGET (self->show_mistakes_button), self->cell_a >= 0);
  gtk_stack_set_visible_child_name (self->gallery_stack, n > 0 ? "gallery" : "empty");
  /* a run that stored no predictions (still training, stopped or failed before
   * its last validation) has no mistakes to show, rather than zero of them */
  gboolean has_preds = self->predictions && g_list_model_get_n_items (G_LIST_MODEL (self->predictions)) > 0;
  gtk_widget_set_visible (GTK_WIDGET (self->gallery_title), has_preds);
  gtk_widget_set_visible (GTK_WIDGET (self->sort_dropdown), has_preds);
  gtk_widget_set_visible (GTK_WIDGET (self->matrix), !self->confusion || has_preds);
  gtk_widget_set_visible (GTK_WIDGET (self->matrix_caption), has_preds);
  gtk_label_set_text (self->gallery_empty, !self->confusion ? _("Train a model to see its mistakes here.")
                                           : !has_preds ? _("This run has no predictions on the validation images.")
                                           : self->cell_a >= 0 ? _("No image in this cell.")
                                                               : _("No mistakes on the validation images."));
}

static void
show_mistakes (SwellResultsView *self)
{
  self->cell_a = self->cell_p = -1;
  swell_confusion_view_set_selected (self->matrix, -1, -1);
  swell_gallery_show_misclassified (self->gallery_model, self->predictions ? G_LIST_MODEL (self->predictions) : NULL);
  update_gallery_title (self);
}

static void
on_show_mistakes (SwellResultsView *self)
{
  show_mistakes (self);
}

gboolean
swell_results_view_select_cell (SwellResultsView *self, int actual, int predicted)
{
  if (!self->confusion)
    return FALSE;
  int n = swell_confusion_get_n_classes (self->confusion);
  if (actual < 0 || predicted < 0 || actual >= n || predicted >= n)
    return FALSE;
  self->cell_a = actual;
  self->cell_p = predicted;
  swell_confusion_view_set_selected (self->matrix, actual, predicted);
  g_autoptr (GListModel) cell = swell_confusion_cell_predictions (self->confusion, actual, predicted);
  swell_gallery_show_all (self->gallery_model, cell);
  update_gallery_title (self);
  return TRUE;
}

static void
on_cell_activated (SwellResultsView *self, int actual, int predicted)
{
  swell_results_view_select_cell (self, actual, predicted);
}

static void
on_sort_changed (SwellResultsView *self)
{
  guint s = gtk_drop_down_get_selected (self->sort_dropdown);
  swell_gallery_set_sort (self->gallery_model, s == 1 ? SWELL_GALLERY_SORT_MOST_UNSURE : SWELL_GALLERY_SORT_TOP_LOSSES);
}

static void
gallery_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  GtkWidget *tile = swell_image_tile_new (164);
  g_object_set_data (G_OBJECT (tile), "list-item", li);
  GtkWidget *caption = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_set_size_request (caption, 164, -1);
  gtk_label_set_ellipsize (GTK_LABEL (caption), PANGO_ELLIPSIZE_END);
  gtk_label_set_lines (GTK_LABEL (caption), 3);
  gtk_widget_add_css_class (caption, "caption");
  gtk_box_append (GTK_BOX (box), tile);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_list_item_set_child (li, box);
}

static void
gallery_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  SwellPredItem *p = gtk_list_item_get_item (li);
  GtkWidget *box = gtk_list_item_get_child (li);
  GtkWidget *tile = gtk_widget_get_first_child (box);
  GtkWidget *caption = gtk_widget_get_next_sibling (tile);
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), swell_pred_item_get_image (p), self->thumbnailer,
                         swell_document_get_categories (self->document));
  int a = swell_pred_item_get_actual (p), k = swell_pred_item_get_predicted (p);
  g_autofree char *pn = g_markup_escape_text (class_name (self, k), -1);
  g_autofree char *an = g_markup_escape_text (class_name (self, a), -1);
  g_autofree char *markup = g_strdup_printf (_("<b>%s</b> %.0f%%\nactual %s %.0f%%\nloss %.2f"), pn,
                                             100 * swell_pred_item_get_prob (p, k), an,
                                             100 * swell_pred_item_get_prob (p, a), swell_pred_item_get_loss (p));
  gtk_label_set_markup (GTK_LABEL (caption), markup);
  g_autofree char *tip = g_strdup_printf (_("Predicted “%s” with %.1f%%; its label was “%s” (%.1f%%). Loss %.3f."),
                                          class_name (self, k), 100 * swell_pred_item_get_prob (p, k),
                                          class_name (self, a), 100 * swell_pred_item_get_prob (p, a),
                                          swell_pred_item_get_loss (p));
  gtk_widget_set_tooltip_text (caption, tip);
}

static void
gallery_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  GtkWidget *tile = gtk_widget_get_first_child (gtk_list_item_get_child (li));
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), NULL, NULL, NULL);
}

static SwellPredItem *
selected_pred (SwellResultsView *self)
{
  return self->gallery_selection ? gtk_single_selection_get_selected_item (self->gallery_selection) : NULL;
}

/* ---------------------------------------------------------------- preview */

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
  GtkPicture *picture = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) t = g_task_propagate_pointer (G_TASK (res), &error);
  if (t)
    gtk_picture_set_paintable (picture, GDK_PAINTABLE (t));
  g_object_unref (picture);
}

static void
open_preview (SwellResultsView *self, SwellPredItem *p)
{
  if (!p || !self->document)
    return;
  SwellImageItem *img = swell_pred_item_get_image (p);
  GtkWidget *win = gtk_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (win), GTK_WINDOW (get_window (self)));
  gtk_window_set_modal (GTK_WINDOW (win), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (win), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (win), 900, 680);
  gtk_window_set_title (GTK_WINDOW (win), img ? swell_image_item_get_name (img) : _("Preview"));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_add_css_class (box, "swell-panel");
  GtkWidget *picture = gtk_picture_new ();
  gtk_widget_set_vexpand (picture, TRUE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  /* The thumbnail first, replaced by the full image when it is decoded. */
  if (img && self->thumbnailer) {
    GdkTexture *thumb = swell_thumbnailer_lookup (self->thumbnailer, swell_image_item_get_id (img));
    if (thumb)
      gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (thumb));
  }
  gtk_box_append (GTK_BOX (box), picture);
  int a = swell_pred_item_get_actual (p), k = swell_pred_item_get_predicted (p);
  GString *probs = g_string_new (NULL);
  int n = swell_pred_item_get_n_classes (p);
  for (int i = 0; i < n; i++)
    g_string_append_printf (probs, "%s%s %.1f%%", i ? " · " : "", class_name (self, i), 100 * swell_pred_item_get_prob (p, i));
  g_autofree char *probs_text = g_string_free (probs, FALSE);
  g_autofree char *pn = g_markup_escape_text (class_name (self, k), -1);
  g_autofree char *an = g_markup_escape_text (class_name (self, a), -1);
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
    GTask *task = g_task_new (NULL, NULL, preview_loaded, g_object_ref (picture));
    g_object_set_data_full (G_OBJECT (task), "path", g_strdup (swell_document_get_path (self->document)), g_free);
    gint64 *id = g_new (gint64, 1);
    *id = swell_image_item_get_id (img);
    g_task_set_task_data (task, id, g_free);
    g_task_run_in_thread (task, load_full_image);
    g_object_unref (task);
  }
}

static void
on_gallery_activate (SwellResultsView *self, guint position)
{
  g_autoptr (SwellPredItem) p = g_list_model_get_item (G_LIST_MODEL (self->gallery_model), position);
  open_preview (self, p);
}

gboolean
swell_results_view_select_gallery (SwellResultsView *self, guint n)
{
  if (n >= g_list_model_get_n_items (G_LIST_MODEL (self->gallery_model)))
    return FALSE;
  gtk_single_selection_set_selected (self->gallery_selection, n);
  return TRUE;
}

gboolean
swell_results_view_preview_first (SwellResultsView *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->gallery_model)) == 0)
    return FALSE;
  on_gallery_activate (self, 0);
  return TRUE;
}

/* ---------------------------------------------------------------- actions */

static GArray *
selected_image_ids (SwellResultsView *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  SwellPredItem *p = selected_pred (self);
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
    show_error (self, _("Could not change the label"), error);
  else if (ids->len && get_window (self))
    swell_window_show_toast (get_window (self), _("Label changed. Retrain to let the model learn from it."), _("_Retrain"),
                             G_CALLBACK (retrain_cb), NULL, NULL);
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
    show_error (self, _("Could not change the split"), error);
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

static void reload_run (SwellResultsView *self);

static void
undo_delete (SwellWindow *win, gpointer data)
{
  RestoreData *d = data;
  g_autoptr (GError) error = NULL;
  if (d->self->document && !swell_document_restore_images (d->self->document, d->ids, &error))
    show_error (d->self, _("Could not undo"), error);
  else
    reload_run (d->self);
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
    show_error (self, _("Could not delete the image"), error);
    return;
  }
  swell_gallery_remove_image (self->gallery_model, g_array_index (ids, gint64, 0));
  update_gallery_title (self);
  RestoreData *d = g_new0 (RestoreData, 1);
  d->self = g_object_ref (self);
  d->ids = g_array_ref (ids);
  if (get_window (self))
    swell_window_show_toast (get_window (self), _("Image deleted"), _("_Undo"), G_CALLBACK (undo_delete), d, restore_data_free);
  else
    restore_data_free (d);
}

static void
preview_action (GtkWidget *widget, const char *name, GVariant *param)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (widget);
  open_preview (self, selected_pred (self));
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
  SwellPredItem *p = selected_pred (self);
  SwellImageItem *img = p ? swell_pred_item_get_image (p) : NULL;
  gtk_action_bar_set_revealed (self->gallery_actions, img != NULL);
  if (!img)
    return;
  rebuild_relabel_menu (self);
  gboolean valid = swell_image_item_get_split (img) == SWELL_SPLIT_VALID;
  gtk_button_set_label (self->split_button, valid ? _("Move to _Train") : _("Move to _Valid"));
}

static void
on_split_button (SwellResultsView *self)
{
  SwellPredItem *p = selected_pred (self);
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

/* ---------------------------------------------------------------- runs */

static void
load_run (SwellResultsView *self, SwellRunInfo *run)
{
  g_clear_object (&self->confusion);
  g_clear_object (&self->predictions);
  self->run_id = run ? run->id : 0;
  if (!run) {
    gtk_label_set_text (self->run_title, _("No results yet"));
    gtk_label_set_text (self->run_summary, _("Train a model in the Train view; its results show up here."));
    swell_confusion_view_set_confusion (self->matrix, NULL);
    show_mistakes (self);
    return;
  }
  SwellProject *project = swell_document_get_project (self->document);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) preds = swell_project_list_predictions (project, run->id, &error);
  self->predictions = g_list_store_new (SWELL_TYPE_PRED_ITEM);
  SwellImageList *images = swell_document_get_images (self->document);
  for (guint i = 0; preds && i < preds->len; i++) {
    SwellPrediction *sp = &g_array_index (preds, SwellPrediction, i);
    SwellImageItem *img = swell_image_list_lookup (images, sp->image_id);
    if (!img)
      continue; /* deleted since the run */
    g_autoptr (SwellPredItem) p = swell_pred_item_new (sp->image_id, img, sp->actual, sp->predicted, sp->probs,
                                                       (int) sp->n_classes, (float) sp->loss);
    g_list_store_append (self->predictions, p);
  }
  self->confusion = swell_confusion_new ((const char *const *) run->class_names, G_LIST_MODEL (self->predictions));
  swell_confusion_view_set_confusion (self->matrix, self->confusion);

  g_autofree char *title = g_strdup_printf (_("Run %lld"), (long long) run->id);
  gtk_label_set_text (self->run_title, title);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->predictions));
  g_autofree char *summary = NULL;
  if (n > 0)
    summary = g_strdup_printf (_("%s · accuracy %.1f%% on %u validation images · valid loss %.3f"), run->arch,
                               swell_percent (swell_confusion_get_accuracy (self->confusion)), n, run->valid_loss);
  else if (run->status == SWELL_RUN_RUNNING)
    summary = g_strdup (_("Still training: results appear when the run ends."));
  else if (run->status == SWELL_RUN_FAILED)
    summary = g_strdup_printf (_("This run failed: %s"), run->message ? run->message : _("unknown error"));
  else
    summary = g_strdup (_("This run has no validation results."));
  gtk_label_set_text (self->run_summary, summary);
  show_mistakes (self);
}

static void
reload_run (SwellResultsView *self)
{
  if (!self->document || !self->run_id)
    return;
  g_autoptr (SwellRunInfo) run = swell_project_get_run (swell_document_get_project (self->document), self->run_id, NULL);
  int a = self->cell_a, p = self->cell_p;
  load_run (self, run);
  if (a >= 0)
    swell_results_view_select_cell (self, a, p);
}

static void
on_run_selected (SwellResultsView *self)
{
  if (self->reloading_runs)
    return;
  SwellRunItem *item = gtk_single_selection_get_selected_item (self->run_selection);
  load_run (self, item ? item->info : NULL);
}

static void
run_setup (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (texts, TRUE);
  GtkWidget *title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  GtkWidget *sub = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_box_append (GTK_BOX (texts), title);
  gtk_box_append (GTK_BOX (texts), sub);
  GtkWidget *acc = gtk_label_new (NULL);
  gtk_widget_add_css_class (acc, "title-4");
  gtk_widget_add_css_class (acc, "numeric");
  gtk_box_append (GTK_BOX (box), texts);
  gtk_box_append (GTK_BOX (box), acc);
  gtk_list_item_set_child (li, box);
}

static void
run_bind (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  SwellRunItem *item = gtk_list_item_get_item (li);
  SwellRunInfo *r = item->info;
  GtkWidget *box = gtk_list_item_get_child (li);
  GtkWidget *texts = gtk_widget_get_first_child (box);
  GtkWidget *title = gtk_widget_get_first_child (texts);
  GtkWidget *sub = gtk_widget_get_next_sibling (title);
  GtkWidget *acc = gtk_widget_get_next_sibling (texts);
  g_autofree char *t = g_strdup_printf (_("Run %lld"), (long long) r->id);
  gtk_label_set_text (GTK_LABEL (title), t);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (r->created);
  g_autofree char *when = dt ? g_date_time_format (dt, "%e %b %H:%M") : g_strdup ("");
  const char *status = r->status == SWELL_RUN_COMPLETED ? "" : r->status == SWELL_RUN_RUNNING ? _(" · training")
                     : r->status == SWELL_RUN_CANCELLED ? _(" · stopped") : _(" · failed");
  g_autofree char *s = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %d epoch · %s%s", "%s · %d epochs · %s%s", r->n_epochs),
                                        r->arch, r->n_epochs, g_strstrip (when), status);
  gtk_label_set_text (GTK_LABEL (sub), s);
  g_autofree char *a = isnan (r->accuracy) ? g_strdup ("—") : g_strdup_printf ("%.1f%%", swell_percent (r->accuracy));
  gtk_label_set_text (GTK_LABEL (acc), a);
}

static void
reload_runs (SwellResultsView *self)
{
  if (!self->document)
    return;
  g_autoptr (GPtrArray) runs = swell_project_list_runs (swell_document_get_project (self->document), NULL);
  gint64 keep = self->run_id;
  self->reloading_runs = TRUE;
  g_list_store_remove_all (self->runs);
  guint select = GTK_INVALID_LIST_POSITION;
  /* Newest first. */
  for (guint i = runs ? runs->len : 0; i > 0; i--) {
    SwellRunInfo *r = g_ptr_array_index (runs, i - 1);
    SwellRunItem *item = g_object_new (SWELL_TYPE_RUN_ITEM, NULL);
    item->info = swell_run_info_copy (r);
    g_list_store_append (self->runs, item);
    if (r->id == keep)
      select = g_list_model_get_n_items (G_LIST_MODEL (self->runs)) - 1;
    g_object_unref (item);
  }
  /* A new finished run is shown; otherwise the one picked before. */
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->runs));
  if (n > 0) {
    g_autoptr (SwellRunItem) newest = g_list_model_get_item (G_LIST_MODEL (self->runs), 0);
    if (select == GTK_INVALID_LIST_POSITION || (newest->info->id > keep && newest->info->status != SWELL_RUN_RUNNING))
      select = 0;
  }
  gtk_single_selection_set_selected (self->run_selection, select);
  self->reloading_runs = FALSE;
  SwellRunItem *item = gtk_single_selection_get_selected_item (self->run_selection);
  gboolean same = item && item->info->id == keep && keep != 0;
  if (same)
    reload_run (self);
  else
    load_run (self, item ? item->info : NULL);
}

gint64 swell_results_view_get_run (SwellResultsView *self) { return self->run_id; }

void
swell_results_view_set_document (SwellResultsView *self, SwellDocument *document)
{
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_set_object (&self->document, document);
  g_clear_object (&self->thumbnailer);
  self->run_id = 0;
  g_list_store_remove_all (self->runs);
  load_run (self, NULL);
  if (!document)
    return;
  self->thumbnailer = swell_thumbnailer_get_for_path (swell_document_get_path (document));
  g_signal_connect_swapped (document, "runs-changed", G_CALLBACK (reload_runs), self);
  reload_runs (self);
}

/* ---------------------------------------------------------------- class */

static void
swell_results_view_dispose (GObject *object)
{
  SwellResultsView *self = SWELL_RESULTS_VIEW (object);
  swell_results_view_set_document (self, NULL);
  g_clear_object (&self->confusion);
  g_clear_object (&self->predictions);
  g_clear_object (&self->runs);
  g_clear_object (&self->run_selection);
  g_clear_object (&self->gallery_model);
  g_clear_object (&self->gallery_selection);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_RESULTS_VIEW);
  G_OBJECT_CLASS (swell_results_view_parent_class)->dispose (object);
}

static void
swell_results_view_class_init (SwellResultsViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_results_view_dispose;
  g_type_ensure (SWELL_TYPE_CONFUSION_VIEW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-results-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, SwellResultsView, name)
  BIND (paned);
  BIND (run_list);
  BIND (run_title);
  BIND (run_summary);
  BIND (matrix);
  BIND (gallery_title);
  BIND (show_mistakes_button);
  BIND (sort_dropdown);
  BIND (gallery_stack);
  BIND (gallery);
  BIND (gallery_empty);
  BIND (matrix_caption);
  BIND (gallery_menu);
  BIND (relabel_submenu);
  BIND (gallery_actions);
  BIND (split_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_cell_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_show_mistakes);
  gtk_widget_class_bind_template_callback (widget_class, on_sort_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_gallery_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_split_button);
  gtk_widget_class_install_action (widget_class, "results.relabel", "x", relabel_action);
  gtk_widget_class_install_action (widget_class, "results.set-split", "s", set_split_action);
  gtk_widget_class_install_action (widget_class, "results.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "results.preview", NULL, preview_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "results.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, 0, "results.preview", NULL);
}

static void
swell_results_view_init (SwellResultsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cell_a = self->cell_p = -1;
  self->runs = g_list_store_new (SWELL_TYPE_RUN_ITEM);
  self->run_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->runs)));
  gtk_single_selection_set_autoselect (self->run_selection, FALSE);
  g_signal_connect_swapped (self->run_selection, "notify::selected", G_CALLBACK (on_run_selected), self);
  GtkListItemFactory *rf = gtk_signal_list_item_factory_new ();
  g_signal_connect (rf, "setup", G_CALLBACK (run_setup), self);
  g_signal_connect (rf, "bind", G_CALLBACK (run_bind), self);
  gtk_list_view_set_factory (self->run_list, rf);
  g_object_unref (rf);
  gtk_list_view_set_model (self->run_list, GTK_SELECTION_MODEL (self->run_selection));

  self->gallery_model = swell_gallery_new ();
  self->gallery_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->gallery_model)));
  gtk_single_selection_set_autoselect (self->gallery_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->gallery_selection, TRUE);
  GtkListItemFactory *gf = gtk_signal_list_item_factory_new ();
  g_signal_connect (gf, "setup", G_CALLBACK (gallery_setup), self);
  g_signal_connect (gf, "bind", G_CALLBACK (gallery_bind), self);
  g_signal_connect (gf, "unbind", G_CALLBACK (gallery_unbind), self);
  gtk_grid_view_set_factory (self->gallery, gf);
  g_object_unref (gf);
  gtk_grid_view_set_model (self->gallery, GTK_SELECTION_MODEL (self->gallery_selection));
  g_signal_connect_swapped (self->gallery_selection, "notify::selected-item", G_CALLBACK (on_gallery_selection), self);

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_gallery_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->gallery), GTK_EVENT_CONTROLLER (click));
  update_gallery_title (self);
}
