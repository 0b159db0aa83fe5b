/* swell-train-view.c: the Train view. */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "swell-a11y.h"
#include "swell-actions.h"
#include "swell-plot.h"
#include "swell-preferences.h"
#include "swell-results-model.h"
#include "swell-test-hooks.h"
#include "swell-train-advanced.h"
#include "swell-train-view.h"
#include "swell-trainer.h"
#include "swell-weights.h"
#include "swell-window.h"

/* The plots' colours: named colours of ui/style.css, lighter in
 * style-dark.css, so that they read in the light and the dark style. */
#define COLOR_TRAIN "swell_plot_train"
#define COLOR_VALID "swell_plot_valid"
#define COLOR_LR "swell_plot_lr"
#define COLOR_MOMENTUM "swell_plot_momentum"
#define COLOR_MARKER "swell_plot_marker"
#define COLOR_UNFROZEN "swell_plot_unfrozen"

static const char *const arch_ids[] = { "resnet18", "resnet34", "resnet50", "mobilenet_v2" };

/* ---------------------------------------------------------------- epoch row */

#define SWELL_TYPE_EPOCH_ROW (swell_epoch_row_get_type ())
G_DECLARE_FINAL_TYPE (SwellEpochRow, swell_epoch_row, SWELL, EPOCH_ROW, GObject)
struct _SwellEpochRow {
  GObject parent_instance;
  SwellEpochMetrics m;
  gboolean kept; /* the epoch whose model a keep-best run kept (shown bold) */
};
G_DEFINE_FINAL_TYPE (SwellEpochRow, swell_epoch_row, G_TYPE_OBJECT)
static void swell_epoch_row_class_init (SwellEpochRowClass *klass) {}
static void swell_epoch_row_init (SwellEpochRow *self) {}

static SwellEpochRow *
epoch_row_new (const SwellEpochMetrics *m)
{
  SwellEpochRow *r = g_object_new (SWELL_TYPE_EPOCH_ROW, NULL);
  r->m = *m;
  return r;
}

/* ---------------------------------------------------------------- view */

struct _SwellTrainView {
  GtkWidget parent_instance;

  AdwFlap *flap;
  GtkBox *plot_header;
  GtkBox *curves_bottom;
  GtkDropDown *arch_dropdown;
  GtkSpinButton *epochs_spin;
  GtkLabel *weights_label;
  GtkWidget *weights_actions;
  GtkButton *download_button;
  GtkButton *import_weights_button;
  GtkProgressBar *download_progress;
  GtkWidget *download_box;
  GtkButton *download_cancel;
  GtkExpander *advanced_expander;
  GtkEntry *lr_entry;
  GtkSpinButton *freeze_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *size_spin;
  GtkSwitch *augment_switch;
  SwellTrainAdvanced *advanced;
  GtkButton *train_button;
  GtkButton *stop_button;
  GtkButton *lr_find_button;
  GtkLabel *message_label;
  GtkLabel *status_label;
  GtkProgressBar *progress;
  GtkStack *plot_stack;
  SwellPlot *loss_plot;
  SwellPlot *sched_plot;
  GtkColumnView *epoch_table;
  GtkLabel *kept_label;
  SwellPlot *lr_plot;
  GtkLabel *suggestion_label;
  GtkButton *apply_lr_button;

  GSettings *settings;
  SwellDocument *document;
  SwellTrainer *trainer;
  SwellTrainerMode mode;
  GListStore *epochs;
  char *weights_override;
  GCancellable *download_cancellable;
  double suggested_lr;
  gboolean loading_recipe;
  gboolean saving_recipe; /* on_recipe_changed is writing the settings */
  gboolean keep_best;     /* the job's recipe keeps the best epoch */

  int s_raw, s_smooth, s_valid, s_lr, s_mom, s_find;
  gint64 last_iteration;
  int last_stage;
  int planned_epochs; /* of the run shown, for the loss plot's description */
};

G_DEFINE_FINAL_TYPE (SwellTrainView, swell_train_view, GTK_TYPE_WIDGET)

static SwellWindow *
get_window (SwellTrainView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

static void
update_actions (SwellTrainView *self)
{
  SwellWindow *win = get_window (self);
  if (win)
    swell_actions_update_window (win);
}

static void
show_message (SwellTrainView *self, const char *text, gboolean error)
{
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), text != NULL);
  gtk_label_set_text (self->message_label, text ? text : "");
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
}

/* ---------------------------------------------------------------- recipe */

static const char *
current_arch (SwellTrainView *self)
{
  guint i = gtk_drop_down_get_selected (self->arch_dropdown);
  return i < G_N_ELEMENTS (arch_ids) ? arch_ids[i] : "resnet34";
}

static double
current_lr (SwellTrainView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->lr_entry));
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);
  if (!end || end == text || *end != '\0' || !(v > 0) || v > 10)
    return NAN;
  return v;
}

static void
set_lr_text (SwellTrainView *self, double lr)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (buf, sizeof buf, "%.3g", lr);
  gtk_editable_set_text (GTK_EDITABLE (self->lr_entry), buf);
}

static void
update_weights_status (SwellTrainView *self)
{
  const char *arch = current_arch (self);
  gboolean downloading = self->download_cancellable != NULL;
  if (self->weights_override) {
    g_autofree char *base = g_path_get_basename (self->weights_override);
    g_autofree char *t = g_strdup_printf (_("Pretrained weights: %s"), base);
    gtk_label_set_text (self->weights_label, t);
    gtk_widget_remove_css_class (GTK_WIDGET (self->weights_label), "swell-banner");
    gtk_widget_set_visible (self->weights_actions, FALSE);
    return;
  }
  g_autoptr (GError) error = NULL;
  g_autofree char *cached = swell_weights_find_cached (arch, &error);
  if (cached) {
    g_autofree char *base = g_path_get_basename (cached);
    g_autofree char *t = g_strdup_printf (_("✓ Pretrained weights ready: %s"), base);
    gtk_label_set_text (self->weights_label, t);
    gtk_widget_remove_css_class (GTK_WIDGET (self->weights_label), "swell-banner");
    gtk_widget_set_visible (self->weights_actions, FALSE);
    return;
  }
  const SwellWeightsEntry *e = swell_weights_lookup (arch, NULL);
  g_autofree char *size = e && e->size ? swell_weights_format_size (e->size) : NULL;
  g_autofree char *t = size ? g_strdup_printf (_("This network needs its pretrained weights (%s), which are not on this computer yet. Download them, or use a .pth or .safetensors file you already have."), size)
                            : g_strdup (_("This network needs its pretrained weights, which are not on this computer yet. Download them, or use a .pth or .safetensors file you already have."));
  gtk_label_set_text (self->weights_label, t);
  gtk_widget_add_css_class (GTK_WIDGET (self->weights_label), "swell-banner");
  gtk_widget_set_visible (self->weights_actions, !downloading);
}

static void
on_recipe_changed (SwellTrainView *self)
{
  if (self->loading_recipe)
    return;
  self->saving_recipe = TRUE;
  g_settings_set_string (self->settings, "arch", current_arch (self));
  g_settings_set_int (self->settings, "epochs", gtk_spin_button_get_value_as_int (self->epochs_spin));
  g_settings_set_int (self->settings, "freeze-epochs", gtk_spin_button_get_value_as_int (self->freeze_spin));
  g_settings_set_int (self->settings, "batch-size", gtk_spin_button_get_value_as_int (self->batch_spin));
  g_settings_set_int (self->settings, "image-size", gtk_spin_button_get_value_as_int (self->size_spin));
  g_settings_set_boolean (self->settings, "augment", gtk_switch_get_active (self->augment_switch));
  double lr = current_lr (self);
  if (isfinite (lr)) {
    g_settings_set_double (self->settings, "learning-rate", lr);
    gtk_widget_remove_css_class (GTK_WIDGET (self->lr_entry), "error");
  } else {
    gtk_widget_add_css_class (GTK_WIDGET (self->lr_entry), "error");
  }
  self->saving_recipe = FALSE;
  update_weights_status (self);
}

static void
load_recipe (SwellTrainView *self)
{
  self->loading_recipe = TRUE;
  g_autofree char *arch = g_settings_get_string (self->settings, "arch");
  for (guint i = 0; i < G_N_ELEMENTS (arch_ids); i++)
    if (g_str_equal (arch, arch_ids[i]))
      gtk_drop_down_set_selected (self->arch_dropdown, i);
  gtk_spin_button_set_value (self->epochs_spin, g_settings_get_int (self->settings, "epochs"));
  gtk_spin_button_set_value (self->freeze_spin, g_settings_get_int (self->settings, "freeze-epochs"));
  gtk_spin_button_set_value (self->batch_spin, g_settings_get_int (self->settings, "batch-size"));
  gtk_spin_button_set_value (self->size_spin, g_settings_get_int (self->settings, "image-size"));
  gtk_switch_set_active (self->augment_switch, g_settings_get_boolean (self->settings, "augment"));
  set_lr_text (self, g_settings_get_double (self->settings, "learning-rate"));
  self->loading_recipe = FALSE;
  update_weights_status (self);
}

/* The recipe changed elsewhere (the Preferences window, another window). */
static void
on_recipe_setting_changed (SwellTrainView *self, const char *key)
{
  if (!self->saving_recipe && !self->loading_recipe)
    load_recipe (self);
}

static void
on_reset_clicked (SwellTrainView *self)
{
  swell_preferences_reset_recipe (self->settings);
  load_recipe (self);
}

/* A tick callback on the Advanced section: on the second frame (the first one lays it out
 * expanded), scrolls the sidebar to show it. */
static gboolean
scroll_to_advanced (GtkWidget *advanced, GdkFrameClock *clock, gpointer data)
{
  if (!gtk_widget_get_mapped (advanced) || GPOINTER_TO_INT (g_object_get_data (G_OBJECT (advanced), "ticks")) < 1) {
    g_object_set_data (G_OBJECT (advanced), "ticks", GINT_TO_POINTER (1));
    return G_SOURCE_CONTINUE;
  }
  g_object_set_data (G_OBJECT (advanced), "ticks", NULL);
  GtkWidget *sw = gtk_widget_get_ancestor (advanced, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *content = sw ? gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw)) : NULL;
  if (GTK_IS_VIEWPORT (content)) /* the coordinates of what scrolls, not of what is visible */
    content = gtk_viewport_get_child (GTK_VIEWPORT (content));
  double x, y;
  if (content && gtk_widget_translate_coordinates (advanced, content, 0, 0, &x, &y)) {
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw));
    double page = gtk_adjustment_get_page_size (adj), h = gtk_widget_get_height (advanced);
    /* all of it at the bottom of the sidebar when it fits, else its top at the top */
    gtk_adjustment_set_value (adj, h <= page ? y + h - page : y);
  }
  return G_SOURCE_REMOVE;
}

gboolean
swell_train_view_set_recipe_value (SwellTrainView *self, const char *key, const char *value)
{
  char *end = NULL;
  g_autofree char *advanced = swell_train_advanced_get_value (self->advanced, key);
  if (advanced)
    return swell_train_advanced_set_value (self->advanced, key, value);
  if (g_str_equal (key, "advanced")) { /* show (1) or hide (0) the Advanced section */
    if (!g_str_equal (value, "0") && !g_str_equal (value, "1"))
      return FALSE;
    gtk_expander_set_expanded (self->advanced_expander, value[0] == '1');
    if (value[0] == '1') /* scrolls the sidebar to it once it is laid out */
      gtk_widget_add_tick_callback (GTK_WIDGET (self->advanced), scroll_to_advanced, NULL, NULL);
    return TRUE;
  }
  if (g_str_equal (key, "arch")) {
    for (guint i = 0; i < G_N_ELEMENTS (arch_ids); i++)
      if (g_str_equal (value, arch_ids[i])) {
        gtk_drop_down_set_selected (self->arch_dropdown, i);
        return TRUE;
      }
    return FALSE;
  }
  if (g_str_equal (key, "weights")) {
    g_free (self->weights_override);
    self->weights_override = *value ? g_strdup (value) : NULL;
    update_weights_status (self);
    return TRUE;
  }
  if (g_str_equal (key, "lr")) {
    double v = g_ascii_strtod (value, &end);
    if (!(v > 0) || *end)
      return FALSE;
    set_lr_text (self, v);
    return TRUE;
  }
  gint64 v = g_ascii_strtoll (value, &end, 10);
  if (*end)
    return FALSE;
  if (g_str_equal (key, "epochs"))
    gtk_spin_button_set_value (self->epochs_spin, (double) v);
  else if (g_str_equal (key, "freeze"))
    gtk_spin_button_set_value (self->freeze_spin, (double) v);
  else if (g_str_equal (key, "batch"))
    gtk_spin_button_set_value (self->batch_spin, (double) v);
  else if (g_str_equal (key, "size"))
    gtk_spin_button_set_value (self->size_spin, (double) v);
  else if (g_str_equal (key, "augment"))
    gtk_switch_set_active (self->augment_switch, v != 0);
  else
    return FALSE;
  return TRUE;
}

char *
swell_train_view_get_recipe_value (SwellTrainView *self, const char *key)
{
  struct { const char *key; GtkSpinButton *spin; } spins[] = {
    { "epochs", self->epochs_spin }, { "freeze", self->freeze_spin },
    { "batch", self->batch_spin },   { "size", self->size_spin },
  };
  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    if (g_str_equal (key, spins[i].key))
      return g_strdup_printf ("%d", gtk_spin_button_get_value_as_int (spins[i].spin));
  if (g_str_equal (key, "arch"))
    return g_strdup (current_arch (self));
  if (g_str_equal (key, "augment"))
    return g_strdup (gtk_switch_get_active (self->augment_switch) ? "1" : "0");
  if (g_str_equal (key, "lr"))
    return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->lr_entry)));
  if (g_str_equal (key, "advanced"))
    return g_strdup (gtk_expander_get_expanded (self->advanced_expander) ? "1" : "0");
  return swell_train_advanced_get_value (self->advanced, key);
}

/* ---------------------------------------------------------------- weights */

static void
download_progress_cb (const SwellWeightsProgress *p, gpointer user_data)
{
  SwellTrainView *self = user_data;
  if (p->total > 0)
    gtk_progress_bar_set_fraction (self->download_progress, (double) p->received / p->total);
  else
    gtk_progress_bar_pulse (self->download_progress);
  g_autofree char *got = swell_weights_format_size (p->received);
  g_autofree char *total = p->total ? swell_weights_format_size (p->total) : NULL;
  g_autofree char *text = NULL;
  if (total && p->eta_seconds >= 0)
    text = g_strdup_printf (_("%s of %s — %d s left"), got, total, (int) ceil (p->eta_seconds));
  else if (total)
    text = g_strdup_printf (_("%s of %s"), got, total);
  else
    text = g_strdup (got);
  gtk_progress_bar_set_text (self->download_progress, text);
}

static void
download_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  SwellTrainView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = swell_weights_fetch_finish (res, &error);
  g_clear_object (&self->download_cancellable);
  gtk_widget_set_visible (self->download_box, FALSE);
  SwellWindow *win = SWELL_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (self), SWELL_TYPE_WINDOW));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    if (win)
      swell_window_show_toast (win, _("Download cancelled: downloading again continues where it stopped"), NULL,
                               NULL, NULL, NULL);
  } else if (!path) {
    show_message (self, error->message, TRUE);
  } else {
    show_message (self, NULL, FALSE);
  }
  update_weights_status (self);
  g_object_unref (self);
}

static void
on_download_clicked (SwellTrainView *self)
{
  if (self->download_cancellable)
    return;
  self->download_cancellable = g_cancellable_new ();
  gtk_widget_set_visible (self->download_box, TRUE);
  gtk_progress_bar_set_fraction (self->download_progress, 0);
  gtk_progress_bar_set_text (self->download_progress, _("Connecting…"));
  show_message (self, NULL, FALSE);
  swell_weights_fetch_async (current_arch (self), self->download_cancellable, download_progress_cb, self, NULL,
                             download_done, g_object_ref (self));
  update_weights_status (self);
}

static void
on_download_cancel (SwellTrainView *self)
{
  if (self->download_cancellable)
    g_cancellable_cancel (self->download_cancellable);
}

gboolean
swell_train_view_is_downloading (SwellTrainView *self)
{
  return self->download_cancellable != NULL;
}

void
swell_train_view_click_download (SwellTrainView *self, gboolean cancel)
{
  GtkWidget *button = cancel ? GTK_WIDGET (self->download_cancel) : GTK_WIDGET (self->download_button);
  if (gtk_widget_is_visible (button) && gtk_widget_is_sensitive (button))
    g_signal_emit_by_name (button, "clicked");
}

static void
import_weights_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  SwellTrainView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = swell_weights_import_finish (res, &error);
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_weights_button), TRUE);
  if (!path)
    show_message (self, error->message, TRUE);
  else
    show_message (self, NULL, FALSE);
  update_weights_status (self);
  g_object_unref (self);
}

static void
import_weights_response (GtkNativeDialog *native, int response, SwellTrainView *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
    g_autofree char *path = g_file_get_path (file);
    if (path) {
      gtk_widget_set_sensitive (GTK_WIDGET (self->import_weights_button), FALSE);
      show_message (self, _("Checking the weights file…"), FALSE);
      swell_weights_import_async (current_arch (self), path, NULL, import_weights_done, g_object_ref (self));
    }
  }
  g_object_unref (native);
}

static void
on_import_weights_clicked (SwellTrainView *self)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (_("Pretrained Weights"), GTK_WINDOW (get_window (self)),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Use"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PyTorch or safetensors weights"));
  gtk_file_filter_add_pattern (filter, "*.pth");
  gtk_file_filter_add_pattern (filter, "*.pt");
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);
  g_signal_connect (native, "response", G_CALLBACK (import_weights_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---------------------------------------------------------------- curves */

static void
reset_curves (SwellTrainView *self)
{
  swell_plot_clear (self->loss_plot);
  swell_plot_clear (self->sched_plot);
  swell_plot_set_x_range (self->loss_plot, 0, 0);
  swell_plot_set_x_range (self->sched_plot, 0, 0);
  g_list_store_remove_all (self->epochs);
  gtk_widget_set_visible (GTK_WIDGET (self->kept_label), FALSE);
  self->last_iteration = -1;
  self->last_stage = -1;
}

static void
add_point (SwellTrainView *self, gint64 iteration, double loss, double smooth, double lr, double mom, int stage)
{
  swell_plot_append (self->loss_plot, self->s_raw, (double) iteration, loss);
  swell_plot_append (self->loss_plot, self->s_smooth, (double) iteration, smooth);
  swell_plot_append (self->sched_plot, self->s_lr, (double) iteration, lr);
  swell_plot_append (self->sched_plot, self->s_mom, (double) iteration, mom);
  if (self->last_stage == SWELL_STAGE_FROZEN && stage == SWELL_STAGE_UNFROZEN) {
    swell_plot_add_marker (self->loss_plot, (double) iteration, _("unfrozen"), COLOR_UNFROZEN);
    swell_plot_add_marker (self->sched_plot, (double) iteration, _("unfrozen"), COLOR_UNFROZEN);
  }
  self->last_stage = stage;
  self->last_iteration = iteration;
}

/* "Kept epoch 5 of 7 (lowest validation loss)": a keep-best run's kept epoch (0-based
 * `kept`) numbered from 1, of its `n` epochs; NULL for other runs. */
static char *
kept_text (gboolean keep_best, int kept, int n)
{
  if (!keep_best || kept < 0 || kept >= n)
    return NULL;
  return g_strdup_printf (_("Kept epoch %d of %d (lowest validation loss)"), kept + 1, n);
}

static void
add_epoch (SwellTrainView *self, const SwellEpochMetrics *m)
{
  g_autoptr (SwellEpochRow) row = epoch_row_new (m);
  g_list_store_append (self->epochs, row);
  if (self->last_iteration >= 0)
    swell_plot_append (self->loss_plot, self->s_valid, (double) self->last_iteration, m->valid_loss);
  g_autofree char *acc = swell_accuracy_to_string (m->accuracy);
  g_autofree char *desc = g_strdup_printf (_("Training loss %.3f and validation loss %.3f after epoch %d of %d; accuracy %s"),
                                           m->train_loss, m->valid_loss, m->epoch + 1,
                                           MAX (self->planned_epochs, m->epoch + 1), acc);
  swell_plot_set_description (self->loss_plot, desc);
}

void
swell_train_view_show_run (SwellTrainView *self, gint64 run_id)
{
  if (swell_train_view_is_busy (self) || !self->document)
    return;
  reset_curves (self);
  SwellProject *project = swell_document_get_project (self->document);
  g_autoptr (SwellRunInfo) run = run_id > 0 ? swell_project_get_run (project, run_id, NULL)
                                            : swell_project_get_latest_run (project, FALSE, NULL);
  if (!run) {
    gtk_label_set_text (self->status_label, _("No training run yet"));
    gtk_progress_bar_set_fraction (self->progress, 0);
    return;
  }
  g_autoptr (GArray) points = swell_project_list_points (project, run->id, -1, NULL);
  g_autoptr (GArray) epochs = swell_project_list_epochs (project, run->id, NULL);
  self->planned_epochs = epochs ? (int) epochs->len : 0;
  /* Epoch ends in iterations: the last point of each epoch. */
  guint e = 0;
  for (guint i = 0; points && i < points->len; i++) {
    SwellRunPoint *p = &g_array_index (points, SwellRunPoint, i);
    int stage = epochs && (guint) p->epoch < epochs->len ? (int) g_array_index (epochs, SwellEpochMetrics, p->epoch).stage
                                                          : self->last_stage;
    add_point (self, p->iteration, p->loss, p->smooth_loss, p->lr, p->mom, stage);
    gboolean epoch_end = i + 1 == points->len || g_array_index (points, SwellRunPoint, i + 1).epoch != p->epoch;
    if (epoch_end && epochs) {
      for (; e < epochs->len && g_array_index (epochs, SwellEpochMetrics, e).epoch <= p->epoch; e++)
        add_epoch (self, &g_array_index (epochs, SwellEpochMetrics, e));
    }
  }
  for (; epochs && e < epochs->len; e++)
    add_epoch (self, &g_array_index (epochs, SwellEpochMetrics, e));
  /* keep best: the kept epoch's row is bold, named above the table, and its accuracy is the run's */
  double accuracy = run->accuracy;
  int n_epochs = epochs ? (int) epochs->len : 0;
  g_autofree char *kept = kept_text (run->keep_best, run->kept_epoch, n_epochs);
  for (guint i = 0; kept && i < g_list_model_get_n_items (G_LIST_MODEL (self->epochs)); i++) {
    g_autoptr (SwellEpochRow) row = g_list_model_get_item (G_LIST_MODEL (self->epochs), i);
    if (row->m.epoch == run->kept_epoch) {
      row->kept = TRUE;
      accuracy = row->m.accuracy;
      g_list_store_splice (self->epochs, i, 1, (gpointer *) &row, 1); /* rebinds the row */
    }
  }
  gtk_label_set_text (self->kept_label, kept ? kept : "");
  gtk_widget_set_visible (GTK_WIDGET (self->kept_label), kept != NULL);
  g_autofree char *when = NULL;
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (run->created);
  when = dt ? g_date_time_format (dt, "%x %X") : g_strdup ("");
  g_autofree char *acc = swell_accuracy_to_string (accuracy);
  g_autofree char *text = g_strdup_printf (_("Run %lld · %s · %s · accuracy %s · %s"), (long long) run->id, run->arch,
                                           swell_run_status_to_string (run->status), acc, when);
  gtk_label_set_text (self->status_label, text);
  gtk_progress_bar_set_fraction (self->progress, run->status == SWELL_RUN_COMPLETED ? 1.0 : 0.0);
}

/* ---------------------------------------------------------------- training */

static char *
format_duration (double s)
{
  int t = (int) ceil (MAX (s, 0));
  if (t >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  return g_strdup_printf ("%d:%02d", t / 60, t % 60);
}

static void
on_batch (SwellTrainer *trainer, const SwellTrainerBatch *b, SwellTrainView *self)
{
  if (b->lr_find) {
    swell_plot_append (self->lr_plot, self->s_find, b->lr, b->smooth_loss);
  } else {
    self->planned_epochs = b->n_epochs;
    if (b->total_iterations > 0) {
      swell_plot_set_x_range (self->loss_plot, 0, (double) b->total_iterations - 1);
      swell_plot_set_x_range (self->sched_plot, 0, (double) b->total_iterations - 1);
    }
    add_point (self, b->iteration, b->loss, b->smooth_loss, b->lr, b->mom, b->stage);
  }
  double frac = b->total_iterations > 0 ? (double) (b->iteration + 1) / b->total_iterations : 0;
  gtk_progress_bar_set_fraction (self->progress, frac);
  double eta = b->iteration >= 0 && frac > 0 ? b->elapsed / frac - b->elapsed : 0;
  g_autofree char *left = format_duration (eta);
  g_autofree char *text = NULL;
  if (b->lr_find)
    text = g_strdup_printf (_("Learning rate finder · step %lld of %lld · lr %.1e"),
                            (long long) (b->iteration + 1), (long long) b->total_iterations, b->lr);
  else
    text = g_strdup_printf (_("Epoch %d of %d (%s) · batch %d of %d · loss %.3f · %s left"), b->epoch + 1, b->n_epochs,
                            b->stage == SWELL_STAGE_FROZEN ? _("frozen") : _("unfrozen"), b->batch + 1, b->n_batches,
                            b->smooth_loss, left);
  gtk_label_set_text (self->status_label, text);
}

static void
on_epoch (SwellTrainer *trainer, const SwellEpochMetrics *m, SwellTrainView *self)
{
  add_epoch (self, m);
}

static gboolean
poll_document (gpointer data)
{
  swell_project_poll_external_changes (swell_document_get_project (SWELL_DOCUMENT (data)));
  return G_SOURCE_REMOVE;
}

static void
on_finished (SwellTrainer *trainer, SwellTrainView *self)
{
  SwellRunStatus status = swell_trainer_get_status (trainer);
  const GError *error = swell_trainer_get_error (trainer);
  gboolean lr_find = self->mode == SWELL_TRAINER_LR_FIND;
  g_autofree char *secs = format_duration (swell_trainer_get_seconds (trainer));
  if (status == SWELL_RUN_FAILED) {
    show_message (self, error ? error->message : _("Training failed."), TRUE);
    gtk_label_set_text (self->status_label, _("Failed"));
  } else if (lr_find) {
    const SwellLrFindResult *r = swell_trainer_get_lr_find (trainer);
    if (r && r->n > 0) {
      swell_plot_clear (self->lr_plot);
      for (int i = 0; i < r->n; i++)
        swell_plot_append (self->lr_plot, self->s_find, r->lrs[i], r->losses[i]);
      g_autofree char *label = g_strdup_printf (_("valley %.1e"), r->valley);
      swell_plot_add_marker (self->lr_plot, r->valley, label, COLOR_MARKER);
      self->suggested_lr = r->valley;
      g_autofree char *s = g_strdup_printf (_("Suggested learning rate: %.2e (valley). Minimum/10: %.1e · steepest: %.1e"),
                                            r->valley, r->minimum, r->steep);
      gtk_label_set_text (self->suggestion_label, s);
      g_autofree char *b = g_strdup_printf (_("Use %.1e"), r->valley);
      gtk_button_set_label (self->apply_lr_button, b);
      gtk_widget_set_sensitive (GTK_WIDGET (self->apply_lr_button), TRUE);
    } else {
      gtk_label_set_text (self->suggestion_label, _("The sweep stopped before it could suggest a rate."));
    }
    gtk_label_set_text (self->status_label, status == SWELL_RUN_CANCELLED ? _("Stopped") : _("Learning rate finder done"));
    if (status != SWELL_RUN_CANCELLED)
      gtk_progress_bar_set_fraction (self->progress, 1.0);
    show_message (self, NULL, FALSE);
  } else {
    double acc = swell_trainer_get_accuracy (trainer);
    g_autofree char *text = NULL;
    if (status == SWELL_RUN_CANCELLED)
      text = isnan (acc) ? g_strdup_printf (_("Stopped after %s, before the first epoch ended: nothing was kept."), secs)
                         : g_strdup_printf (_("Stopped after %s. The last complete epoch is kept: accuracy %.1f%%."), secs,
                                            swell_percent (acc));
    else
      text = g_strdup_printf (_("Done in %s: accuracy %.1f%% on the validation images."), secs, swell_percent (acc));
    g_autofree char *kept = kept_text (self->keep_best, swell_trainer_get_kept_epoch (trainer),
                                       (int) g_list_model_get_n_items (G_LIST_MODEL (self->epochs)));
    if (kept) {
      g_autofree char *both = g_strdup_printf ("%s %s.", text, kept);
      g_free (text);
      text = g_steal_pointer (&both);
    }
    gtk_label_set_text (self->status_label, text);
    GPtrArray *warnings = swell_trainer_get_warnings (trainer);
    g_autofree char *split_note = swell_trainer_get_auto_split (trainer)
                                    ? swell_trainer_auto_split_message (swell_trainer_get_auto_split (trainer))
                                    : NULL;
    if (warnings && warnings->len > 0) {
      g_autofree char *w = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image could not be read and was left out.",
                                                         "%u images could not be read and were left out.", warnings->len),
                                            warnings->len);
      g_autofree char *both = split_note ? g_strconcat (split_note, " ", w, NULL) : g_strdup (w);
      show_message (self, both, FALSE);
    } else if (split_note) {
      show_message (self, split_note, FALSE);
    } else {
      show_message (self, NULL, FALSE);
    }
    gtk_progress_bar_set_fraction (self->progress, status == SWELL_RUN_COMPLETED ? 1.0 : gtk_progress_bar_get_fraction (self->progress));
    SwellWindow *win = get_window (self);
    if (win && status == SWELL_RUN_COMPLETED) {
      swell_window_show_toast (win, text, NULL, NULL, NULL, NULL);
    }
  }
  g_signal_handlers_disconnect_by_data (trainer, self);
  g_clear_object (&self->trainer);
  /* Let the other views see the new run now (after this handler: the
   * trainer's signal emission should stay short). */
  if (self->document)
    g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, poll_document, g_object_ref (self->document), g_object_unref);
  update_actions (self);
}

static gboolean
start_job (SwellTrainView *self, SwellTrainerMode mode)
{
  if (!self->document || self->trainer)
    return FALSE;
  if (swell_project_is_read_only (swell_document_get_project (self->document))) {
    show_message (self, _("This project is read-only: its file or folder cannot be written, so it cannot be trained here."), TRUE);
    return FALSE;
  }
  double lr = current_lr (self);
  if (!isfinite (lr)) {
    show_message (self, _("The learning rate must be a number above 0, for example 2e-3."), TRUE);
    gtk_expander_set_expanded (self->advanced_expander, TRUE);
    return FALSE;
  }
  /* the trainer's own precondition, so that the view refuses exactly what would fail */
  g_autoptr (GError) precondition = NULL;
  if (!swell_trainer_check_project (swell_document_get_project (self->document),
                                    swell_document_get_path (self->document), &precondition)) {
    show_message (self, precondition->message, TRUE);
    return FALSE;
  }
  if (!self->weights_override) {
    g_autoptr (GError) error = NULL;
    g_autofree char *cached = swell_weights_find_cached (current_arch (self), &error);
    if (!cached) {
      show_message (self, _("The pretrained weights for this network are missing: download them or choose a file above."), TRUE);
      update_weights_status (self);
      return FALSE;
    }
  }
  SwellTrainOptions opts;
  swell_train_options_init (&opts);
  g_free (opts.arch);
  opts.arch = g_strdup (current_arch (self));
  opts.weights_path = g_strdup (self->weights_override);
  opts.epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  opts.freeze_epochs = gtk_spin_button_get_value_as_int (self->freeze_spin);
  opts.lr = lr;
  opts.batch_size = gtk_spin_button_get_value_as_int (self->batch_spin);
  opts.size = gtk_spin_button_get_value_as_int (self->size_spin);
  opts.augment = gtk_switch_get_active (self->augment_switch);
  swell_train_advanced_apply (self->advanced, &opts);
  self->keep_best = opts.keep == SWELL_KEEP_BEST;
  self->trainer = swell_trainer_new (swell_document_get_path (self->document), mode, &opts);
  swell_train_options_clear (&opts);
  self->mode = mode;
  g_signal_connect (self->trainer, "batch", G_CALLBACK (on_batch), self);
  g_signal_connect (self->trainer, "epoch", G_CALLBACK (on_epoch), self);
  g_signal_connect (self->trainer, "finished", G_CALLBACK (on_finished), self);
  show_message (self, NULL, FALSE);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_label_set_text (self->status_label, _("Preparing the images and the network…"));
  if (mode == SWELL_TRAINER_LR_FIND) {
    swell_plot_clear (self->lr_plot);
    gtk_widget_set_sensitive (GTK_WIDGET (self->apply_lr_button), FALSE);
    gtk_label_set_text (self->suggestion_label, _("Sweeping the learning rate from 1e-7 upwards…"));
    gtk_stack_set_visible_child_name (self->plot_stack, "lr-find");
  } else {
    reset_curves (self);
    gtk_stack_set_visible_child_name (self->plot_stack, "curves");
  }
  swell_trainer_start (self->trainer);
  update_actions (self);
  return TRUE;
}

void swell_train_view_start (SwellTrainView *self) { start_job (self, SWELL_TRAINER_FINE_TUNE); }
void swell_train_view_lr_find (SwellTrainView *self) { start_job (self, SWELL_TRAINER_LR_FIND); }

void
swell_train_view_stop (SwellTrainView *self)
{
  if (self->trainer) {
    swell_trainer_cancel (self->trainer);
    gtk_label_set_text (self->status_label, _("Stopping after this batch…"));
  }
}

gboolean
swell_train_view_is_busy (SwellTrainView *self)
{
  return self->trainer != NULL;
}

static void
on_apply_lr (SwellTrainView *self)
{
  if (self->suggested_lr > 0) {
    set_lr_text (self, self->suggested_lr);
    gtk_expander_set_expanded (self->advanced_expander, TRUE);
    SwellWindow *win = get_window (self);
    g_autofree char *msg = g_strdup_printf (_("Learning rate set to %.2e"), self->suggested_lr);
    if (win)
      swell_window_show_toast (win, msg, NULL, NULL, NULL, NULL);
  }
}

static void
on_runs_changed (SwellTrainView *self)
{
  if (!self->trainer)
    swell_train_view_show_run (self, 0);
}

void
swell_train_view_set_document (SwellTrainView *self, SwellDocument *document)
{
  if (self->trainer) {
    swell_trainer_cancel (self->trainer);
    g_signal_handlers_disconnect_by_data (self->trainer, self);
    g_clear_object (&self->trainer);
  }
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_set_object (&self->document, document);
  reset_curves (self);
  swell_plot_clear (self->lr_plot);
  gtk_label_set_text (self->suggestion_label, _("Run the finder to see how the loss changes with the learning rate."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_lr_button), FALSE);
  gtk_button_set_label (self->apply_lr_button, _("Use Suggestion"));
  show_message (self, NULL, FALSE);
  if (document) {
    g_signal_connect_swapped (document, "runs-changed", G_CALLBACK (on_runs_changed), self);
    swell_train_view_show_run (self, 0);
  }
}

/* ---------------------------------------------------------------- table */

typedef enum { COL_EPOCH, COL_STAGE, COL_TRAIN, COL_VALID, COL_ACC, COL_TIME } Column;

static void
cell_setup (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *l = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (l), GPOINTER_TO_INT (data) == COL_STAGE ? 0 : 1);
  gtk_widget_add_css_class (l, "numeric");
  gtk_list_item_set_child (li, l);
}

static void
cell_bind (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  SwellEpochRow *r = gtk_list_item_get_item (li);
  const SwellEpochMetrics *m = &r->m;
  g_autofree char *t = NULL;
  switch ((Column) GPOINTER_TO_INT (data)) {
  case COL_EPOCH: t = g_strdup_printf ("%d", m->epoch + 1); break;
  case COL_STAGE: t = g_strdup (m->stage == SWELL_STAGE_FROZEN ? _("frozen") : _("unfrozen")); break;
  case COL_TRAIN: t = g_strdup_printf ("%.4f", m->train_loss); break;
  case COL_VALID: t = g_strdup_printf ("%.4f", m->valid_loss); break;
  case COL_ACC: t = swell_accuracy_to_string (m->accuracy); break;
  case COL_TIME: t = format_duration (m->seconds); break;
  }
  GtkWidget *label = gtk_list_item_get_child (li);
  gtk_label_set_text (GTK_LABEL (label), t);
  if (r->kept)
    gtk_widget_add_css_class (label, "heading");
  else
    gtk_widget_remove_css_class (label, "heading");
}

static void
add_column (SwellTrainView *self, const char *title, Column c)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (cell_setup), GINT_TO_POINTER (c));
  g_signal_connect (f, "bind", G_CALLBACK (cell_bind), GINT_TO_POINTER (c));
  GtkColumnViewColumn *col = gtk_column_view_column_new (title, f);
  gtk_column_view_column_set_expand (col, TRUE);
  gtk_column_view_append_column (self->epoch_table, col);
  g_object_unref (col);
}

/* ---------------------------------------------------------------- class */

static void
swell_train_view_dispose (GObject *object)
{
  SwellTrainView *self = SWELL_TRAIN_VIEW (object);
  swell_train_view_set_document (self, NULL);
  if (self->download_cancellable)
    g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->epochs);
  g_clear_pointer (&self->weights_override, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_TRAIN_VIEW);
  G_OBJECT_CLASS (swell_train_view_parent_class)->dispose (object);
}

static void
swell_train_view_class_init (SwellTrainViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_train_view_dispose;
  g_type_ensure (SWELL_TYPE_PLOT);
  g_type_ensure (SWELL_TYPE_TRAIN_ADVANCED);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-train-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, SwellTrainView, name)
  BIND (flap);
  BIND (plot_header);
  BIND (curves_bottom);
  BIND (arch_dropdown);
  BIND (epochs_spin);
  BIND (weights_label);
  BIND (weights_actions);
  BIND (download_button);
  BIND (import_weights_button);
  BIND (download_progress);
  BIND (download_box);
  BIND (download_cancel);
  BIND (advanced_expander);
  BIND (lr_entry);
  BIND (freeze_spin);
  BIND (batch_spin);
  BIND (size_spin);
  BIND (augment_switch);
  BIND (advanced);
  BIND (train_button);
  BIND (stop_button);
  BIND (lr_find_button);
  BIND (message_label);
  BIND (status_label);
  BIND (progress);
  BIND (plot_stack);
  BIND (loss_plot);
  BIND (sched_plot);
  BIND (epoch_table);
  BIND (kept_label);
  BIND (lr_plot);
  BIND (suggestion_label);
  BIND (apply_lr_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_recipe_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_download_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_download_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_import_weights_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_lr);
}

void
swell_train_view_set_narrow (SwellTrainView *self, gboolean narrow)
{
  GtkOrientation o = narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->plot_header), o);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->curves_bottom), o);
  if (narrow)
    gtk_widget_add_css_class (GTK_WIDGET (self), "narrow");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "narrow");
}

static void
swell_train_view_init (SwellTrainView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  swell_a11y_set_default_focus (GTK_WIDGET (self), GTK_WIDGET (self->train_button));
  swell_a11y_name_drop_down_items (self->arch_dropdown, _("Network"));
  self->settings = g_settings_new ("io.github.swell.Swell");
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_recipe_setting_changed), self);
  self->epochs = g_list_store_new (SWELL_TYPE_EPOCH_ROW);
  self->last_iteration = -1;
  self->last_stage = -1;

  swell_plot_set_title (self->loss_plot, _("Loss"));
  swell_plot_set_axis_titles (self->loss_plot, _("batches"), _("loss"), NULL);
  swell_plot_set_placeholder (self->loss_plot, _("The training and validation loss will appear here while the network trains."));
  self->s_raw = swell_plot_add_series (self->loss_plot, _("train (each batch)"), COLOR_TRAIN, SWELL_PLOT_LINE_FAINT, FALSE);
  self->s_smooth = swell_plot_add_series (self->loss_plot, _("train (smoothed)"), COLOR_TRAIN, SWELL_PLOT_LINE, FALSE);
  self->s_valid = swell_plot_add_series (self->loss_plot, _("validation"), COLOR_VALID, SWELL_PLOT_LINE_POINTS, FALSE);

  swell_plot_set_title (self->sched_plot, _("Schedule"));
  swell_plot_set_axis_titles (self->sched_plot, _("batches"), _("learning rate"), _("momentum"));
  swell_plot_set_placeholder (self->sched_plot, _("One-cycle learning rate and momentum"));
  self->s_lr = swell_plot_add_series (self->sched_plot, _("learning rate"), COLOR_LR, SWELL_PLOT_LINE, FALSE);
  self->s_mom = swell_plot_add_series (self->sched_plot, _("momentum"), COLOR_MOMENTUM, SWELL_PLOT_DASHED, TRUE);

  swell_plot_set_title (self->lr_plot, _("Loss against learning rate"));
  swell_plot_set_axis_titles (self->lr_plot, _("learning rate (log scale)"), _("smoothed loss"), NULL);
  swell_plot_set_x_log (self->lr_plot, TRUE);
  swell_plot_set_placeholder (self->lr_plot, _("Press “Find a Learning Rate”: a short sweep with growing learning rates shows where the loss falls fastest."));
  self->s_find = swell_plot_add_series (self->lr_plot, _("loss"), COLOR_TRAIN, SWELL_PLOT_LINE, FALSE);

  GtkNoSelection *sel = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->epochs)));
  gtk_column_view_set_model (self->epoch_table, GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
  add_column (self, _("Epoch"), COL_EPOCH);
  add_column (self, _("Stage"), COL_STAGE);
  add_column (self, _("Train loss"), COL_TRAIN);
  add_column (self, _("Valid loss"), COL_VALID);
  add_column (self, _("Accuracy"), COL_ACC);
  add_column (self, _("Time"), COL_TIME);

  load_recipe (self);
  gtk_label_set_text (self->status_label, _("No training run yet"));
}
