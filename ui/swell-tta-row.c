/* swell-tta-row.c: the Results view's test-time augmentation switch. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-metrics.h"
#include "swell-predict.h"
#include "swell-tta-row.h"

struct _SwellTtaRow {
  GtkWidget parent_instance;
  GtkLabel *title;
  GtkSpinner *spinner;
  GtkSwitch *toggle;
  GtkLabel *result;

  SwellProject *project;
  gint64 run_id;
  guint64 seed;
  GCancellable *cancellable; /* the evaluation running, or NULL */
  gboolean has_result;
  double accuracy, tta_accuracy;
  int n_images;
  gboolean quiet; /* the switch is being set by the code, not the user */
};

G_DEFINE_FINAL_TYPE (SwellTtaRow, swell_tta_row, GTK_TYPE_WIDGET)

typedef struct {
  SwellTtaRow *self;
  GCancellable *cancellable;
} Job;

static void
show_busy (SwellTtaRow *self, gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
show_text (SwellTtaRow *self, const char *text, gboolean error)
{
  gtk_label_set_text (self->result, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result), text != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->result), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->result), "error");
}

static void
cancel (SwellTtaRow *self)
{
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->has_result = FALSE;
  show_busy (self, FALSE);
  show_text (self, NULL, FALSE);
}

static void
set_switch (SwellTtaRow *self, gboolean on)
{
  self->quiet = TRUE;
  gtk_switch_set_active (self->toggle, on);
  self->quiet = FALSE;
}

static void
evaluated (GObject *source, GAsyncResult *res, gpointer data)
{
  Job *job = data;
  SwellTtaRow *self = job->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellTtaEvaluation) e = swell_tta_evaluate_run_finish (SWELL_PROJECT (source), res, &error);
  /* a result of an evaluation cancelled since (switch off, another run) is dropped */
  if (job->cancellable == self->cancellable && !g_cancellable_is_cancelled (job->cancellable)) {
    g_clear_object (&self->cancellable);
    show_busy (self, FALSE);
    if (e && e->n > 0) {
      self->has_result = TRUE;
      self->accuracy = e->accuracy;
      self->tta_accuracy = e->tta_accuracy;
      self->n_images = e->n;
      g_autofree char *with = swell_accuracy_to_string (e->tta_accuracy);
      g_autofree char *without = swell_accuracy_to_string (e->accuracy);
      g_autofree char *text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "Accuracy with TTA %s, without %s (%d validation image)",
                     "Accuracy with TTA %s, without %s (%d validation images)", e->n),
        with, without, e->n);
      show_text (self, text, FALSE);
    } else {
      set_switch (self, FALSE);
      g_autofree char *text = g_strdup_printf (_("Could not evaluate with TTA: %s"),
                                               error ? error->message : _("no validation images"));
      show_text (self, text, TRUE);
    }
  }
  g_object_unref (job->cancellable);
  g_object_unref (job->self);
  g_free (job);
}

static void
start (SwellTtaRow *self)
{
  cancel (self);
  if (!self->project || self->run_id <= 0)
    return;
  self->cancellable = g_cancellable_new ();
  Job *job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->cancellable = g_object_ref (self->cancellable);
  show_busy (self, TRUE);
  show_text (self, _("Evaluating the validation images with and without TTA…"), FALSE);
  swell_tta_evaluate_run_async (self->project, self->run_id, self->seed, self->cancellable, evaluated, job);
}

static void
on_toggled (SwellTtaRow *self)
{
  if (self->quiet)
    return;
  if (gtk_switch_get_active (self->toggle))
    start (self);
  else
    cancel (self);
}

void
swell_tta_row_set_run (SwellTtaRow *self, SwellProject *project, gint64 run_id)
{
  if (project == self->project && (project ? run_id : 0) == self->run_id)
    return; /* the same run reloaded: its evaluation goes on, its result stays */
  cancel (self);
  set_switch (self, FALSE);
  g_set_object (&self->project, project);
  self->run_id = project ? run_id : 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->toggle), self->run_id > 0);
}

void
swell_tta_row_set_active (SwellTtaRow *self, gboolean active)
{
  gtk_switch_set_active (self->toggle, active);
}

void swell_tta_row_set_seed (SwellTtaRow *self, guint64 seed) { self->seed = seed; }
gboolean swell_tta_row_is_busy (SwellTtaRow *self) { return self->cancellable != NULL; }

gboolean
swell_tta_row_get_result (SwellTtaRow *self, double *accuracy, double *tta_accuracy, int *n_images)
{
  if (!self->has_result)
    return FALSE;
  *accuracy = self->accuracy;
  *tta_accuracy = self->tta_accuracy;
  *n_images = self->n_images;
  return TRUE;
}

static void
swell_tta_row_dispose (GObject *object)
{
  SwellTtaRow *self = SWELL_TTA_ROW (object);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->project);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_TTA_ROW);
  G_OBJECT_CLASS (swell_tta_row_parent_class)->dispose (object);
}

static void
swell_tta_row_class_init (SwellTtaRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_tta_row_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-tta-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellTtaRow, title);
  gtk_widget_class_bind_template_child (widget_class, SwellTtaRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SwellTtaRow, toggle);
  gtk_widget_class_bind_template_child (widget_class, SwellTtaRow, result);
  gtk_widget_class_bind_template_callback (widget_class, on_toggled);
}

static void
swell_tta_row_init (SwellTtaRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->toggle), FALSE);
}
