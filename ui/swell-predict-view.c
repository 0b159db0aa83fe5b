/* swell-predict-view.c: the Predict view. */
#include "swell-config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <math.h>

#include "swell-a11y.h"
#include "swell-files.h"
#include "swell-heatmap.h"
#include "swell-inference.h"
#include "swell-predict.h"
#include "swell-predict-view.h"
#include "swell-results-model.h"
#include "swell-results-view.h"
#include "swell-test-hooks.h"
#include "swell-window.h"

#define TOP_K 3

/* ---------------------------------------------------------------- result */

#define SWELL_TYPE_PREDICT_RESULT (swell_predict_result_get_type ())
G_DECLARE_FINAL_TYPE (SwellPredictResult, swell_predict_result, SWELL, PREDICT_RESULT, GObject)
struct _SwellPredictResult {
  GObject parent_instance;
  char *path;
  gboolean done;
  char *error;
  GdkTexture *texture;
  int n;
  char *names[TOP_K];
  float probs[TOP_K];
  gboolean unknown;    /* looks like none of the categories (swell_classifier_is_unknown) */
  int top;             /* the top class's index */
  gint64 run_id;       /* the model's run */
  char **class_names;  /* its categories, for the heatmap */
  gboolean heatmap;    /* the card's heatmap is on */
  int heatmap_class;   /* and explains this class (-1: the top one) */
};
G_DEFINE_FINAL_TYPE (SwellPredictResult, swell_predict_result, G_TYPE_OBJECT)
static void
swell_predict_result_finalize (GObject *o)
{
  SwellPredictResult *r = SWELL_PREDICT_RESULT (o);
  g_free (r->path);
  g_free (r->error);
  g_clear_object (&r->texture);
  for (int i = 0; i < TOP_K; i++)
    g_free (r->names[i]);
  g_strfreev (r->class_names);
  G_OBJECT_CLASS (swell_predict_result_parent_class)->finalize (o);
}
static void swell_predict_result_class_init (SwellPredictResultClass *k) { G_OBJECT_CLASS (k)->finalize = swell_predict_result_finalize; }
static void swell_predict_result_init (SwellPredictResult *r) { r->top = r->heatmap_class = -1; }

/* ---------------------------------------------------------------- view */

struct _SwellPredictView {
  GtkWidget parent_instance;
  GtkLabel *model_label;
  GtkStack *stack;
  GtkGridView *results;
  AdwStatusPage *empty_page;
  GtkButton *clear_button;
  SwellDocument *document;
  GListStore *items;
  gint64 model_run;
};

G_DEFINE_FINAL_TYPE (SwellPredictView, swell_predict_view, GTK_TYPE_WIDGET)

static SwellWindow *
get_window (SwellPredictView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

/* The run whose model predicts: the one picked in Results if it has a
 * model, else the newest run with a model. */
static SwellRunInfo *
model_run (SwellPredictView *self)
{
  if (!self->document)
    return NULL;
  SwellProject *project = swell_document_get_project (self->document);
  SwellWindow *win = get_window (self);
  gint64 picked = win ? swell_results_view_get_run (SWELL_RESULTS_VIEW (swell_window_get_view_widget (win, "results"))) : 0;
  if (picked > 0) {
    SwellRunInfo *r = swell_project_get_run (project, picked, NULL);
    if (r && r->has_model)
      return r;
    g_clear_pointer (&r, swell_run_info_free);
  }
  return swell_project_get_latest_run (project, TRUE, NULL);
}

static void
update_model_label (SwellPredictView *self)
{
  g_autoptr (SwellRunInfo) run = model_run (self);
  self->model_run = run ? run->id : 0;
  g_autofree char *text = NULL;
  if (run) {
    g_autofree char *acc = swell_accuracy_to_string (run->accuracy);
    text = g_strdup_printf (_("Model of run %lld (%s, validation accuracy %s)"), (long long) run->id, run->arch, acc);
  } else {
    text = g_strdup (_("No trained model yet: train one in the Train view first."));
  }
  gtk_label_set_text (self->model_label, text);
  adw_status_page_set_title (self->empty_page, run ? _("Drop Photos to Classify") : _("No Model Yet"));
  adw_status_page_set_description (self->empty_page, run ? _("Drag photos here from your file manager, or open them. Each one gets the three most likely categories.")
                                                         : _("Once a model is trained, drop photos here to see what it thinks they show."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->results), TRUE);
}

/* ---------------------------------------------------------------- worker */

/* The model of a run classifies exactly as swell-cli predict does
 * (swell_classifier_new_for_model), so the window and the CLI agree. */

typedef struct {
  char *project_path;
  gint64 run_id;
  GPtrArray *results; /* SwellPredictResult*, filled in place by the worker (main thread reads after) */
  GMainContext *context;
  SwellPredictView *self; /* ref */
} Job;

typedef struct {
  SwellPredictView *self;
  SwellPredictResult *result;
} Update;

static void
job_free (Job *job)
{
  g_free (job->project_path);
  g_ptr_array_unref (job->results);
  g_main_context_unref (job->context);
  g_object_unref (job->self);
  g_free (job);
}

static gboolean
apply_update (gpointer data)
{
  Update *u = data;
  guint pos;
  if (g_list_store_find (u->self->items, u->result, &pos))
    g_list_model_items_changed (G_LIST_MODEL (u->self->items), pos, 1, 1);
  g_object_unref (u->self);
  g_object_unref (u->result);
  g_free (u);
  return G_SOURCE_REMOVE;
}

static void
classify_one (SwellClassifier *classifier, const SwellProjectModel *pm, SwellPredictResult *r)
{
  g_autoptr (GError) error = NULL;
  /* A thumbnail for the card, oriented like the decoded image. */
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_file_at_scale (r->path, 320, 320, TRUE, NULL);
  if (pb) {
    g_autoptr (GdkPixbuf) oriented = gdk_pixbuf_apply_embedded_orientation (pb);
    r->texture = gdk_texture_new_for_pixbuf (oriented);
  }
  int n = swell_classifier_num_classes (classifier);
  g_autofree float *p = g_new (float, n);
  /* As swell-cli predict: the centre crop's probabilities, and whether it
   * looks like none of the categories. */
  if (!swell_classifier_predict_file (classifier, r->path, NULL, p, NULL, &r->unknown, &error)) {
    r->error = g_strdup (error->message);
    return;
  }
  int idx[TOP_K];
  int k = swell_top_k (p, n, TOP_K, idx);
  for (int i = 0; i < k; i++) {
    r->names[i] = g_strdup (pm->class_names[idx[i]]);
    r->probs[i] = p[idx[i]];
  }
  r->n = k;
  r->top = k > 0 ? idx[0] : -1;
  r->class_names = g_strdupv (pm->class_names);
}

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellProject) conn = swell_project_open (job->project_path, &error);
  g_autoptr (SwellProjectModel) pm = conn ? swell_project_load_model (conn, job->run_id, &error) : NULL;
  g_autoptr (SwellClassifier) classifier = pm ? swell_classifier_new_for_model (pm, &error) : NULL;
  for (guint i = 0; i < job->results->len; i++) {
    SwellPredictResult *r = g_ptr_array_index (job->results, i);
    if (classifier)
      classify_one (classifier, pm, r);
    else
      r->error = g_strdup (error ? error->message : _("No model"));
    r->done = TRUE;
    Update *u = g_new0 (Update, 1);
    u->self = g_object_ref (job->self);
    u->result = g_object_ref (r);
    g_main_context_invoke (job->context, apply_update, u);
  }
  g_task_return_boolean (task, TRUE);
}

void
swell_predict_view_classify_paths (SwellPredictView *self, const char *const *paths)
{
  if (!self->document || !paths || !paths[0])
    return;
  update_model_label (self);
  if (!self->model_run) {
    SwellWindow *win = get_window (self);
    if (win)
      swell_window_show_error (win, _("No trained model yet"), _("Train a model in the Train view, then classify photos here."));
    return;
  }
  Job *job = g_new0 (Job, 1);
  job->project_path = g_strdup (swell_document_get_path (self->document));
  job->run_id = self->model_run;
  job->results = g_ptr_array_new_with_free_func (g_object_unref);
  job->context = g_main_context_ref_thread_default ();
  job->self = g_object_ref (self);
  for (guint i = 0; paths[i]; i++) {
    SwellPredictResult *r = g_object_new (SWELL_TYPE_PREDICT_RESULT, NULL);
    r->path = g_strdup (paths[i]);
    r->run_id = self->model_run;
    g_list_store_insert (self->items, 0, r);
    g_ptr_array_add (job->results, r);
  }
  gtk_stack_set_visible_child_name (self->stack, "results");
  GTask *task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, job_thread);
  g_object_unref (task);
}

char *
swell_predict_view_describe (SwellPredictView *self)
{
  GString *out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellPredictResult) r = g_list_model_get_item (G_LIST_MODEL (self->items), i);
    if (!r->done)
      continue;
    if (r->error)
      g_string_append_printf (out, "%s\tERROR\t%s\n", r->path, r->error);
    else if (r->n > 0)
      g_string_append_printf (out, "%s\t%s\t%.6f\t%s\n", r->path, r->names[0], r->probs[0], r->unknown ? "unknown" : "known");
  }
  return g_string_free (out, FALSE);
}

static SwellHeatmap *
find_heatmap (GtkWidget *w, const char *file)
{
  if (SWELL_IS_HEATMAP (w) && gtk_widget_get_mapped (w) && g_strcmp0 (swell_heatmap_get_file (SWELL_HEATMAP (w)), file) == 0)
    return SWELL_HEATMAP (w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    SwellHeatmap *h = find_heatmap (c, file);
    if (h)
      return h;
  }
  return NULL;
}

SwellHeatmap *
swell_predict_view_get_heatmap (SwellPredictView *self, guint n)
{
  g_autoptr (SwellPredictResult) r = g_list_model_get_item (G_LIST_MODEL (self->items), n);
  return r ? find_heatmap (GTK_WIDGET (self->results), r->path) : NULL;
}

/* ---------------------------------------------------------------- cards */

/* The card's heatmap toggle and class are kept with its result (the grid
 * reuses cards for other results). */
static void
on_card_heatmap (SwellHeatmap *heatmap, GParamSpec *pspec, GtkListItem *li)
{
  SwellPredictResult *r = gtk_list_item_get_item (li);
  GtkWidget *card = gtk_list_item_get_child (li);
  if (!r || !card || g_object_get_data (G_OBJECT (card), "binding"))
    return;
  r->heatmap = swell_heatmap_get_show (heatmap);
  r->heatmap_class = swell_heatmap_get_class (heatmap);
}

/* A card: the picture with its heatmap, file name, "none of your
 * categories" when it looks like none, then a grid of the top classes (name
 * and percentage on one line, a bar under them), then an error line. */
static void
card_setup (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_valign (card, GTK_ALIGN_START);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "swell-card");
  gtk_widget_set_size_request (card, 240, -1);
  GtkWidget *pic = swell_heatmap_new (160);
  gtk_widget_set_size_request (pic, 216, -1);
  g_signal_connect (pic, "notify::show", G_CALLBACK (on_card_heatmap), li);
  g_signal_connect (pic, "notify::class-index", G_CALLBACK (on_card_heatmap), li);
  GtkWidget *name = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (name, "caption");
  gtk_widget_add_css_class (name, "dim-label");
  GtkWidget *verdict = gtk_label_new (_("Looks like none of your categories"));
  gtk_label_set_xalign (GTK_LABEL (verdict), 0);
  gtk_label_set_wrap (GTK_LABEL (verdict), TRUE);
  gtk_widget_add_css_class (verdict, "heading");
  gtk_widget_set_tooltip_text (verdict, _("The network responds to this photo much more weakly than to the validation photos "
                                          "it got right: it may show something the model was not trained on. Its top "
                                          "guesses are listed below anyway."));
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 3);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
  gtk_widget_add_css_class (grid, "swell-prob-row");
  for (int k = 0; k < TOP_K; k++) {
    GtkWidget *cls = gtk_label_new (NULL);
    gtk_label_set_xalign (GTK_LABEL (cls), 0);
    gtk_widget_set_hexpand (cls, TRUE);
    gtk_label_set_ellipsize (GTK_LABEL (cls), PANGO_ELLIPSIZE_END);
    if (k > 0)
      gtk_widget_set_margin_top (cls, 6);
    GtkWidget *pct = gtk_label_new (NULL);
    gtk_label_set_xalign (GTK_LABEL (pct), 1);
    gtk_widget_set_valign (pct, GTK_ALIGN_END);
    gtk_widget_add_css_class (pct, "numeric");
    GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);
    gtk_level_bar_set_mode (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_MODE_CONTINUOUS);
    /* One colour for every bar: the default offsets would paint low
     * probabilities as warnings. */
    gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
    gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
    gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
    gtk_grid_attach (GTK_GRID (grid), cls, 0, 2 * k, 1, 1);
    gtk_grid_attach (GTK_GRID (grid), pct, 1, 2 * k, 1, 1);
    gtk_grid_attach (GTK_GRID (grid), bar, 0, 2 * k + 1, 2, 1);
  }
  GtkWidget *err = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (err), TRUE);
  gtk_label_set_xalign (GTK_LABEL (err), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (err), 28);
  gtk_widget_add_css_class (err, "error");
  gtk_box_append (GTK_BOX (card), pic);
  gtk_box_append (GTK_BOX (card), name);
  gtk_box_append (GTK_BOX (card), verdict);
  gtk_box_append (GTK_BOX (card), grid);
  gtk_box_append (GTK_BOX (card), err);
  g_object_set_data (G_OBJECT (card), "pic", pic);
  g_object_set_data (G_OBJECT (card), "name", name);
  g_object_set_data (G_OBJECT (card), "verdict", verdict);
  g_object_set_data (G_OBJECT (card), "grid", grid);
  g_object_set_data (G_OBJECT (card), "err", err);
  gtk_list_item_set_child (li, card);
}

static void
card_bind (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  SwellPredictView *self = data;
  SwellPredictResult *r = gtk_list_item_get_item (li);
  GtkWidget *card = gtk_list_item_get_child (li);
  GtkWidget *pic = g_object_get_data (G_OBJECT (card), "pic");
  GtkWidget *name = g_object_get_data (G_OBJECT (card), "name");
  GtkGrid *grid = g_object_get_data (G_OBJECT (card), "grid");
  GtkWidget *err = g_object_get_data (G_OBJECT (card), "err");
  GtkWidget *verdict = g_object_get_data (G_OBJECT (card), "verdict");
  g_object_set_data (G_OBJECT (card), "binding", GINT_TO_POINTER (TRUE));
  swell_heatmap_set_image (SWELL_HEATMAP (pic), r->texture);
  gboolean ok = r->done && !r->error && r->n > 0 && self->document;
  swell_heatmap_set_source (SWELL_HEATMAP (pic), ok ? swell_document_get_path (self->document) : NULL, ok ? r->run_id : 0, 0,
                            r->path, ok ? (const char *const *) r->class_names : NULL,
                            r->heatmap_class >= 0 ? r->heatmap_class : r->top);
  if (ok && r->heatmap)
    swell_heatmap_set_show (SWELL_HEATMAP (pic), TRUE);
  g_object_set_data (G_OBJECT (card), "binding", NULL);
  /* An image that looks like none of the categories: that, and its top
   * guesses listed smaller, instead of a confident label. */
  gboolean unknown = r->done && !r->error && r->unknown;
  gtk_widget_set_visible (verdict, unknown);
  g_autofree char *base = g_path_get_basename (r->path);
  gtk_label_set_text (GTK_LABEL (name), base);
  for (int k = 0; k < TOP_K; k++) {
    GtkWidget *cls = gtk_grid_get_child_at (grid, 0, 2 * k);
    GtkWidget *pct = gtk_grid_get_child_at (grid, 1, 2 * k);
    GtkWidget *bar = gtk_grid_get_child_at (grid, 0, 2 * k + 1);
    gboolean pending = !r->done && k == 0;
    gboolean show = (r->done && !r->error && k < r->n) || pending;
    gtk_widget_set_visible (cls, show);
    gtk_widget_set_visible (pct, show);
    gtk_widget_set_visible (bar, show && !pending);
    if (unknown) {
      gtk_widget_add_css_class (cls, "caption");
      gtk_widget_add_css_class (pct, "caption");
    } else {
      gtk_widget_remove_css_class (cls, "caption");
      gtk_widget_remove_css_class (pct, "caption");
    }
    if (pending) {
      gtk_label_set_text (GTK_LABEL (cls), _("Classifying…"));
      gtk_label_set_text (GTK_LABEL (pct), "");
      continue;
    }
    if (!show)
      continue;
    if (k == 0 && !unknown) {
      g_autofree char *m = g_markup_printf_escaped ("<b>%s</b>", r->names[k]);
      gtk_label_set_markup (GTK_LABEL (cls), m);
    } else {
      gtk_label_set_text (GTK_LABEL (cls), r->names[k]);
    }
    g_autofree char *t = g_strdup_printf ("%.1f%%", 100 * r->probs[k]);
    gtk_label_set_text (GTK_LABEL (pct), t);
    gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), CLAMP (r->probs[k], 0, 1));
  }
  gtk_widget_set_visible (err, r->error != NULL);
  gtk_label_set_text (GTK_LABEL (err), r->error ? r->error : "");
  /* The card's accessible name: the file and what the model says. */
  GString *label = g_string_new (base);
  if (!r->done)
    g_string_append_printf (label, ", %s", _("Classifying…"));
  else if (r->error)
    g_string_append_printf (label, ", %s", r->error);
  for (int k = 0; r->done && !r->error && k < r->n && k < TOP_K; k++)
    g_string_append_printf (label, ", %s %.1f%%", r->names[k], 100 * r->probs[k]);
  swell_a11y_set_item_label (card, label->str);
  g_string_free (label, TRUE);
}

/* ---------------------------------------------------------------- input */

static void
open_response (GtkNativeDialog *native, int response, SwellPredictView *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
    g_auto (GStrv) paths = swell_files_paths_from_model (files);
    swell_predict_view_classify_paths (self, (const char *const *) paths);
  }
  g_object_unref (native);
}

void
swell_predict_view_open_dialog (SwellPredictView *self)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (_("Classify Images"), GTK_WINDOW (get_window (self)),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Classify"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), TRUE);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);
  g_signal_connect (native, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, SwellPredictView *self)
{
  g_auto (GStrv) paths = swell_files_paths_from_drop (value, TRUE);
  swell_predict_view_classify_paths (self, (const char *const *) paths);
  return TRUE;
}

static void
on_clear (SwellPredictView *self)
{
  g_list_store_remove_all (self->items);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
on_runs_changed (SwellPredictView *self)
{
  update_model_label (self);
}

static void
on_map (SwellPredictView *self)
{
  update_model_label (self);
}

void
swell_predict_view_set_document (SwellPredictView *self, SwellDocument *document)
{
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_set_object (&self->document, document);
  on_clear (self);
  if (document) {
    g_signal_connect_swapped (document, "runs-changed", G_CALLBACK (on_runs_changed), self);
    update_model_label (self);
  }
}

static void
swell_predict_view_dispose (GObject *object)
{
  SwellPredictView *self = SWELL_PREDICT_VIEW (object);
  swell_predict_view_set_document (self, NULL);
  g_clear_object (&self->items);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_PREDICT_VIEW);
  G_OBJECT_CLASS (swell_predict_view_parent_class)->dispose (object);
}

static void
swell_predict_view_class_init (SwellPredictViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_predict_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-predict-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellPredictView, model_label);
  gtk_widget_class_bind_template_child (widget_class, SwellPredictView, stack);
  gtk_widget_class_bind_template_child (widget_class, SwellPredictView, results);
  gtk_widget_class_bind_template_child (widget_class, SwellPredictView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SwellPredictView, clear_button);
  gtk_widget_class_bind_template_callback (widget_class, on_clear);
}

static void
swell_predict_view_init (SwellPredictView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  swell_a11y_set_default_focus (
    GTK_WIDGET (self), GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), SWELL_TYPE_PREDICT_VIEW, "open_button")));
  self->items = g_list_store_new (SWELL_TYPE_PREDICT_RESULT);
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (card_setup), self);
  g_signal_connect (f, "bind", G_CALLBACK (card_bind), self);
  gtk_grid_view_set_factory (self->results, f);
  g_object_unref (f);
  GtkNoSelection *sel = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->items)));
  gtk_grid_view_set_model (self->results, GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self->stack), GTK_EVENT_CONTROLLER (drop));
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
}
