/* swell-results-view.c: the Results view. */
#include "swell-config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <math.h>

#include "swell-a11y.h"
#include "swell-confusion-view.h"
#include "swell-image-tile.h"
#include "swell-results-model.h"
#include "swell-results-preview.h"
#include "swell-results-view-private.h"
#include "swell-test-hooks.h"
#include "swell-tta-row.h"
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


G_DEFINE_FINAL_TYPE (SwellResultsView, swell_results_view, GTK_TYPE_WIDGET)

SwellWindow *
_swell_results_view_get_window (SwellResultsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

void
_swell_results_view_show_error (SwellResultsView *self, const char *title, const GError *error)
{
  SwellWindow *win = _swell_results_view_get_window (self);
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

/* The split choice over the gallery (the order of its items). */
typedef enum {
  REVIEW_VALID,
  REVIEW_TRAIN,
  REVIEW_BOTH,
} Review;

static Review
review_split (SwellResultsView *self)
{
  guint s = gtk_drop_down_get_selected (self->split_dropdown);
  return s == 1 ? REVIEW_TRAIN : s == 2 ? REVIEW_BOTH : REVIEW_VALID;
}

static guint
review_sets (Review r)
{
  return r == REVIEW_TRAIN  ? SWELL_PREDICTIONS_TRAIN
         : r == REVIEW_BOTH ? SWELL_PREDICTIONS_TRAIN | SWELL_PREDICTIONS_VALID
                            : SWELL_PREDICTIONS_VALID;
}

static gboolean
showing_test (SwellResultsView *self)
{
  return self->test_confusion && self->confusion == self->test_confusion;
}

static const char *
gallery_empty_text (SwellResultsView *self, gboolean has_review)
{
  Review r = review_split (self);
  if (!self->confusion)
    return _("Train a model to see its mistakes here.");
  if (self->cell_a >= 0)
    return _("No image in this cell.");
  if (!has_review)
    return r == REVIEW_TRAIN  ? _("This run has no predictions on the training images.")
           : r == REVIEW_BOTH ? _("This run has no predictions on the training or validation images.")
                              : _("This run has no predictions on the validation images.");
  return r == REVIEW_TRAIN  ? _("No mistakes on the training images.")
         : r == REVIEW_BOTH ? _("No mistakes on the training or validation images.")
                            : _("No mistakes on the validation images.");
}

void
_swell_results_view_update_gallery_title (SwellResultsView *self)
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
  guint doubts = swell_gallery_count_label_may_be_wrong (self->gallery_model);
  if (doubts > 0) {
    g_autofree char *d = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u label may be wrong", "%u labels may be wrong", doubts), doubts);
    g_autofree char *t = g_strdup_printf ("%s · %s", title, d);
    g_free (title);
    title = g_steal_pointer (&t);
  }
  gtk_label_set_text (self->gallery_title, title);
  gtk_widget_set_visible (GTK_WIDGET (self->show_mistakes_button), self->cell_a >= 0);
  gtk_stack_set_visible_child_name (self->gallery_stack, n > 0 ? "gallery" : "empty");
  /* a run that stored no predictions (still training, stopped or failed before
   * its last validation) has no mistakes to show, rather than zero of them */
  gboolean has_preds = self->predictions && g_list_model_get_n_items (G_LIST_MODEL (self->predictions)) > 0;
  gboolean has_review = self->review && g_list_model_get_n_items (G_LIST_MODEL (self->review)) > 0;
  gtk_widget_set_visible (GTK_WIDGET (self->gallery_title), has_preds || has_review);
  gtk_widget_set_visible (GTK_WIDGET (self->sort_dropdown), has_preds || has_review);
  /* a matrix cell shows that cell's images, whatever the split choice */
  gtk_widget_set_visible (GTK_WIDGET (self->split_dropdown), self->confusion != NULL && self->cell_a < 0);
  gtk_widget_set_visible (GTK_WIDGET (self->matrix), !self->confusion || has_preds || showing_test (self));
  gtk_widget_set_visible (GTK_WIDGET (self->matrix_caption), has_preds || showing_test (self));
  gtk_label_set_text (self->gallery_empty, gallery_empty_text (self, has_review));
}

static void
show_mistakes (SwellResultsView *self)
{
  self->cell_a = self->cell_p = -1;
  swell_confusion_view_set_selected (self->matrix, -1, -1);
  swell_gallery_show_misclassified (self->gallery_model, self->review ? G_LIST_MODEL (self->review) : NULL);
  _swell_results_view_update_gallery_title (self);
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
  _swell_results_view_update_gallery_title (self);
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

/* A list of SwellPredItem of the run's stored predictions of `sets`. */
static GListStore *
load_predictions (SwellResultsView *self, gint64 run_id, guint sets)
{
  GListStore *store = g_list_store_new (SWELL_TYPE_PRED_ITEM);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) preds = swell_project_list_predictions_of (swell_document_get_project (self->document), run_id, sets,
                                                               &error);
  SwellImageList *images = swell_document_get_images (self->document);
  for (guint i = 0; preds && i < preds->len; i++) {
    SwellPrediction *sp = &g_array_index (preds, SwellPrediction, i);
    SwellImageItem *img = swell_image_list_lookup (images, sp->image_id);
    if (!img)
      continue; /* deleted since the run */
    g_autoptr (SwellPredItem) p = swell_pred_item_new_from_prediction (sp, img);
    g_list_store_append (store, p);
  }
  return store;
}

/* The gallery's images: the run's predictions of the split chosen. */
static void
load_review (SwellResultsView *self)
{
  g_clear_object (&self->review);
  if (!self->document || !self->run_id || !self->predictions)
    return;
  Review r = review_split (self);
  self->review = r == REVIEW_VALID ? g_object_ref (self->predictions)
                                   : load_predictions (self, self->run_id, review_sets (r));
}

static void
on_review_split_changed (SwellResultsView *self)
{
  load_review (self);
  show_mistakes (self);
}

static void
on_matrix_toggled (SwellResultsView *self)
{
  /* "toggled" comes from both buttons, the one turned off first: Valid's state decides */
  SwellConfusion *c = !gtk_toggle_button_get_active (self->matrix_valid_button) && self->test_confusion
                        ? self->test_confusion : self->valid_confusion;
  if (c == self->confusion)
    return;
  g_set_object (&self->confusion, c);
  swell_confusion_view_set_confusion (self->matrix, c);
  show_mistakes (self);
}

static void
gallery_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  GtkWidget *tile = swell_image_tile_new (164);
  g_object_set_data (G_OBJECT (tile), "list-item", li);
  /* "Label may be wrong" over the tile, above its split badge */
  GtkWidget *overlay = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (overlay), tile);
  GtkWidget *badge = gtk_label_new (_("Label may be wrong"));
  gtk_widget_add_css_class (badge, "swell-doubt-badge");
  gtk_widget_set_halign (badge, GTK_ALIGN_START);
  gtk_widget_set_valign (badge, GTK_ALIGN_START);
  gtk_widget_set_margin_start (badge, 6);
  gtk_widget_set_margin_end (badge, 6);
  gtk_widget_set_margin_top (badge, 32);
  gtk_label_set_ellipsize (GTK_LABEL (badge), PANGO_ELLIPSIZE_END);
  gtk_widget_set_can_target (badge, FALSE);
  gtk_widget_set_visible (badge, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), badge);
  GtkWidget *caption = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_set_size_request (caption, 164, -1);
  gtk_label_set_ellipsize (GTK_LABEL (caption), PANGO_ELLIPSIZE_END);
  gtk_label_set_lines (GTK_LABEL (caption), 3);
  gtk_widget_add_css_class (caption, "caption");
  gtk_box_append (GTK_BOX (box), overlay);
  gtk_box_append (GTK_BOX (box), caption);
  g_object_set_data (G_OBJECT (box), "tile", tile);
  g_object_set_data (G_OBJECT (box), "badge", badge);
  g_object_set_data (G_OBJECT (box), "caption", caption);
  gtk_list_item_set_child (li, box);
}

static void
gallery_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  SwellPredItem *p = gtk_list_item_get_item (li);
  GtkWidget *box = gtk_list_item_get_child (li);
  GtkWidget *tile = g_object_get_data (G_OBJECT (box), "tile");
  GtkWidget *caption = g_object_get_data (G_OBJECT (box), "caption");
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), swell_pred_item_get_image (p), self->thumbnailer,
                         swell_document_get_categories (self->document));
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (box), "badge"), swell_pred_item_get_label_may_be_wrong (p));
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
  SwellImageItem *img = swell_pred_item_get_image (p);
  g_autofree char *name = g_strdup_printf ("%s, %s", img ? swell_image_item_get_name (img) : "", tip);
  swell_a11y_set_item_label (box, name);
}

static void
gallery_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellResultsView *self)
{
  GtkWidget *tile = g_object_get_data (G_OBJECT (gtk_list_item_get_child (li)), "tile");
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), NULL, NULL, NULL);
}

SwellPredItem *
_swell_results_view_selected_pred (SwellResultsView *self)
{
  return self->gallery_selection ? gtk_single_selection_get_selected_item (self->gallery_selection) : NULL;
}

/* ---------------------------------------------------------------- preview */

void
_swell_results_view_open_preview (SwellResultsView *self, SwellPredItem *p)
{
  if (!p || !self->document)
    return;
  int n = self->confusion ? swell_confusion_get_n_classes (self->confusion) : 0;
  g_autofree const char **names = g_new0 (const char *, n + 1);
  for (int k = 0; k < n; k++)
    names[k] = class_name (self, k);
  swell_results_preview_open (GTK_WINDOW (_swell_results_view_get_window (self)), self->document, self->thumbnailer, p,
                              self->run_has_model ? self->run_id : 0, names);
}

static void
on_gallery_activate (SwellResultsView *self, guint position)
{
  g_autoptr (SwellPredItem) p = g_list_model_get_item (G_LIST_MODEL (self->gallery_model), position);
  _swell_results_view_open_preview (self, p);
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

/* ---------------------------------------------------------------- runs */

/* The test score shown with the validation accuracy, and the Valid/Test
 * choice over the matrix: only for a run with test images. */
static void
load_test_score (SwellResultsView *self, SwellRunInfo *run, GString *summary)
{
  SwellTestScore score;
  g_autoptr (GError) error = NULL;
  if (!swell_metrics_load_test_score (swell_document_get_project (self->document), run->id, &score, &error) ||
      score.n_images <= 0) {
    if (error)
      g_warning ("%s", error->message);
    swell_test_score_clear (&score);
    return;
  }
  g_autoptr (GListStore) test = load_predictions (self, run->id, SWELL_PREDICTIONS_TEST);
  self->test_confusion = swell_confusion_new_from_counts ((const char *const *) run->class_names, score.matrix,
                                                          score.n_classes, G_LIST_MODEL (test));
  self->test_accuracy = score.accuracy;
  self->test_images = score.n_images;
  g_string_append (summary, " · ");
  g_string_append_printf (summary,
                          g_dngettext (GETTEXT_PACKAGE, "test accuracy %.1f%% on %d test image",
                                       "test accuracy %.1f%% on %d test images", score.n_images),
                          swell_percent (score.accuracy), score.n_images);
  swell_test_score_clear (&score);
}

static void
load_run (SwellResultsView *self, SwellRunInfo *run)
{
  g_clear_object (&self->confusion);
  g_clear_object (&self->valid_confusion);
  g_clear_object (&self->test_confusion);
  g_clear_object (&self->predictions);
  g_clear_object (&self->review);
  self->run_id = run ? run->id : 0;
  self->run_has_model = run && run->status == SWELL_RUN_COMPLETED;
  _swell_results_view_update_export_action (self);
  swell_tta_row_set_run (self->tta_row, self->document && self->run_has_model ? swell_document_get_project (self->document) : NULL,
                         self->run_id);
  gtk_widget_set_visible (GTK_WIDGET (self->tta_row), self->run_has_model);
  /* No run at all: the status page instead of the empty list and matrix. */
  gtk_stack_set_visible_child_name (self->content_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->runs)) > 0 ? "runs" : "empty");
  if (!run) {
    gtk_label_set_text (self->run_title, _("No results yet"));
    gtk_label_set_text (self->run_summary, _("Train a model in the Train view; its results show up here."));
    gtk_widget_set_visible (self->matrix_switch, FALSE);
    swell_confusion_view_set_confusion (self->matrix, NULL);
    show_mistakes (self);
    return;
  }
  self->predictions = load_predictions (self, run->id, SWELL_PREDICTIONS_VALID);
  self->valid_confusion = swell_confusion_new ((const char *const *) run->class_names, G_LIST_MODEL (self->predictions));

  g_autofree char *title = g_strdup_printf (_("Run %lld"), (long long) run->id);
  gtk_label_set_text (self->run_title, title);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->predictions));
  GString *summary = g_string_new (NULL);
  if (n > 0)
    g_string_append_printf (summary, _("%s · accuracy %.1f%% on %u validation images · valid loss %.3f"), run->arch,
                            swell_percent (swell_confusion_get_accuracy (self->valid_confusion)), n, run->valid_loss);
  else if (run->status == SWELL_RUN_RUNNING)
    g_string_append (summary, _("Still training: results appear when the run ends."));
  else if (run->status == SWELL_RUN_FAILED)
    g_string_append_printf (summary, _("This run failed: %s"), run->message ? run->message : _("unknown error"));
  else
    g_string_append (summary, _("This run has no validation results."));
  if (n > 0)
    load_test_score (self, run, summary);
  g_autofree char *summary_text = g_string_free (summary, FALSE);
  gtk_label_set_text (self->run_summary, summary_text);
  /* the matrix shown stays Valid or Test, as picked, while the run has a test score */
  gtk_widget_set_visible (self->matrix_switch, self->test_confusion != NULL);
  if (!self->test_confusion)
    gtk_toggle_button_set_active (self->matrix_valid_button, TRUE);
  gboolean test = self->test_confusion && !gtk_toggle_button_get_active (self->matrix_valid_button);
  SwellConfusion *shown = test ? self->test_confusion : self->valid_confusion;
  g_set_object (&self->confusion, shown);
  swell_confusion_view_set_confusion (self->matrix, self->confusion);
  load_review (self);
  show_mistakes (self);
}

void
_swell_results_view_reload_run (SwellResultsView *self)
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
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
  load_run (self, item ? item->info : NULL);
}

void
swell_results_view_set_narrow (SwellResultsView *self, gboolean narrow)
{
  GtkOrientation o = narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;
  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->inner_paned)) == o)
    return;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->inner_paned), o);
  gtk_paned_set_position (self->inner_paned, narrow ? 380 : 440);
  /* Narrow: the run's header, TTA and matrix above scroll in at least 380 px,
   * and the gallery's split and order choices go below its title. */
  gtk_scrolled_window_set_min_content_height (self->panel_scroller, narrow ? 380 : -1);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->gallery_header), o);
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
  g_autofree char *a = swell_accuracy_to_string (r->accuracy);
  gtk_label_set_text (GTK_LABEL (acc), a);
  g_autofree char *name = g_strdup_printf ("%s, %s, %s", t, s, a);
  swell_a11y_set_item_label (box, name);
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
    _swell_results_view_reload_run (self);
  else
    load_run (self, item ? item->info : NULL);
}

gint64 swell_results_view_get_run (SwellResultsView *self) { return self->run_id; }

/* ---------------------------------------------------------------- test hooks */

gboolean
swell_results_view_set_review (SwellResultsView *self, const char *split)
{
  guint i = g_str_equal (split, "valid") ? 0 : g_str_equal (split, "train") ? 1 : g_str_equal (split, "both") ? 2 : 3;
  if (i > 2 || !gtk_widget_get_visible (GTK_WIDGET (self->split_dropdown)))
    return FALSE;
  gtk_drop_down_set_selected (self->split_dropdown, i);
  return TRUE;
}

gboolean
swell_results_view_set_review_order (SwellResultsView *self, const char *order)
{
  SwellReviewOrder o;
  if (!swell_review_order_from_name (order, &o))
    return FALSE;
  gtk_drop_down_set_selected (self->sort_dropdown, o == SWELL_REVIEW_MOST_UNSURE ? 1 : 0);
  return TRUE;
}

gboolean
swell_results_view_show_test_matrix (SwellResultsView *self, gboolean test)
{
  if (!gtk_widget_get_visible (self->matrix_switch))
    return FALSE;
  gtk_toggle_button_set_active (test ? self->matrix_test_button : self->matrix_valid_button, TRUE);
  return showing_test (self) == test;
}

SwellTtaRow *swell_results_view_get_tta_row (SwellResultsView *self) { return self->tta_row; }

gboolean
swell_results_view_move_selected (SwellResultsView *self)
{
  if (!gtk_action_bar_get_revealed (self->gallery_actions))
    return FALSE;
  _swell_results_view_move_split (self);
  return TRUE;
}

gboolean
swell_results_view_is_busy (SwellResultsView *self)
{
  return self->exporting || swell_tta_row_is_busy (self->tta_row);
}

char *
swell_results_view_describe_gallery (SwellResultsView *self)
{
  GString *out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->gallery_model));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellPredItem) p = g_list_model_get_item (G_LIST_MODEL (self->gallery_model), i);
    SwellImageItem *img = swell_pred_item_get_image (p);
    int k = swell_pred_item_get_predicted (p);
    g_string_append_printf (out, "%lld\t%s\t%s\t%s\t%s\t%.6f\t%.6f\t%s\n", (long long) swell_pred_item_get_image_id (p),
                            img ? swell_image_item_get_name (img) : "?", swell_split_to_string (swell_pred_item_get_split (p)),
                            class_name (self, swell_pred_item_get_actual (p)), class_name (self, k),
                            swell_pred_item_get_prob (p, k), swell_pred_item_get_loss (p),
                            swell_pred_item_get_label_may_be_wrong (p) ? "label-may-be-wrong" : "-");
  }
  return g_string_free (out, FALSE);
}

char *
swell_results_view_describe (SwellResultsView *self)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "run\t%lld\n", (long long) self->run_id);
  g_string_append_printf (out, "title\t%s\n", gtk_label_get_text (self->gallery_title));
  g_string_append_printf (out, "summary\t%s\n", gtk_label_get_text (self->run_summary));
  g_string_append_printf (out, "matrix\t%s\n", showing_test (self) ? "test" : "valid");
  if (self->valid_confusion)
    g_string_append_printf (out, "valid_accuracy\t%.9f\n", swell_confusion_get_accuracy (self->valid_confusion));
  if (self->test_confusion)
    g_string_append_printf (out, "test_accuracy\t%.9f\t%d\n", self->test_accuracy, self->test_images);
  double plain, tta;
  int n;
  if (swell_tta_row_get_result (self->tta_row, &plain, &tta, &n))
    g_string_append_printf (out, "tta\t%.9f\t%.9f\t%d\n", plain, tta, n);
  return g_string_free (out, FALSE);
}

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
  g_clear_object (&self->valid_confusion);
  g_clear_object (&self->test_confusion);
  g_clear_object (&self->predictions);
  g_clear_object (&self->review);
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
  g_type_ensure (SWELL_TYPE_TTA_ROW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-results-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, SwellResultsView, name)
  BIND (flap);
  BIND (inner_paned);
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
  BIND (content_stack);
  BIND (matrix_caption);
  BIND (gallery_menu);
  BIND (relabel_submenu);
  BIND (gallery_actions);
  BIND (split_button);
  BIND (split_dropdown);
  BIND (gallery_header);
  BIND (panel_scroller);
  BIND (matrix_switch);
  BIND (matrix_valid_button);
  BIND (matrix_test_button);
  BIND (tta_row);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_cell_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_show_mistakes);
  gtk_widget_class_bind_template_callback (widget_class, on_sort_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_gallery_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_review_split_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_matrix_toggled);
  _swell_results_view_class_actions_init (widget_class);
}

static void
swell_results_view_init (SwellResultsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  swell_a11y_set_default_focus (GTK_WIDGET (self), GTK_WIDGET (self->matrix));
  swell_a11y_name_drop_down_items (self->sort_dropdown, _("Order of the images"));
  swell_a11y_name_drop_down_items (self->split_dropdown, _("Images to review"));
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
  _swell_results_view_actions_init (self);
  _swell_results_view_update_gallery_title (self);
  _swell_results_view_update_export_action (self);
}
