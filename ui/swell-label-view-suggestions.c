/* swell-label-view-suggestions.c: the Label view's side of "Label with the
 * model": accepting the selected suggestions (Return on a thumbnail of the
 * Suggested page, or A: label.accept-suggestion) and every suggestion above a probability (Accept
 * Above…, label.accept-above), each one undoable change (label.undo and the
 * toast's Undo). Labels come from swell_project_label_with_predictions, the
 * function `swell-cli set --predicted` uses. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-label-view-private.h"
#include "swell-test-hooks.h"

#define ACCEPT_ABOVE_DEFAULT 0.9

/* Labels ids with the run's predictions of at least min_probability as one
 * undoable change, with a toast. */
static void
accept (SwellLabelView *self, GArray *ids, double min_probability)
{
  gint64 run = swell_label_suggestions_get_run (self->suggestions);
  if (!self->document || !run || ids->len == 0)
    return;
  g_autoptr (GArray) before = _swell_label_view_current_labels (self, ids);
  guint n = 0;
  g_autoptr (GError) error = NULL;
  if (!swell_document_label_with_predictions (self->document, run, ids, min_probability, &n, &error)) {
    _swell_label_view_show_error (self, _("Could not accept the suggestions"), error);
    return;
  }
  /* Undo restores the images that changed. */
  g_autoptr (GArray) after = _swell_label_view_current_labels (self, ids);
  g_autoptr (GArray) changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) was = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (after, gint64, i) != g_array_index (before, gint64, i)) {
      g_array_append_val (changed, g_array_index (ids, gint64, i));
      g_array_append_val (was, g_array_index (before, gint64, i));
    }
  if (changed->len == 0)
    return;
  _swell_label_view_push_label_undo (self, changed, was, TRUE);
  SwellWindow *win = _swell_label_view_get_window (self);
  if (win) {
    g_autofree char *msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Accepted %u suggestion", "Accepted %u suggestions", n),
                                            n);
    swell_window_show_toast (win, msg, _("_Undo"), G_CALLBACK (_swell_label_view_toast_undo), g_object_ref (self),
                             g_object_unref);
  }
}

static void
accept_suggestion_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (widget);
  if (!self->suggested_mode)
    return;
  g_autoptr (GArray) ids = swell_label_suggestions_selected_ids (self->suggestions);
  accept (self, ids, 0);
}

/* ------------------------------------------------------------- Accept Above… */

static void
update_accept_above (AdwMessageDialog *dialog)
{
  SwellLabelView *self = g_object_get_data (G_OBJECT (dialog), "view");
  GtkSpinButton *spin = g_object_get_data (G_OBJECT (dialog), "spin");
  double p = gtk_spin_button_get_value (spin);
  guint total = swell_label_suggestions_count (self->suggestions, NULL);
  g_autoptr (GArray) ids = swell_label_suggestions_ids_above (self->suggestions, p);
  g_autofree char *pct = g_strdup_printf ("%.0f", p * 100);
  if (ids->len == 0)
    adw_message_dialog_format_body (dialog, _("None of the %u suggestions has a probability of %s%% or more."), total,
                                    pct);
  else
    adw_message_dialog_format_body (dialog,
                                    g_dngettext (GETTEXT_PACKAGE,
                                                 "%u of the %u suggested photos has a probability of %s%% or more: it will be labeled with its suggested category.",
                                                 "%u of the %u suggested photos have a probability of %s%% or more: they will be labeled with their suggested categories.",
                                                 ids->len),
                                    ids->len, total, pct);
  adw_message_dialog_set_response_enabled (dialog, "accept", ids->len > 0);
}

static void
on_accept_above_response (AdwMessageDialog *dialog, const char *response, SwellLabelView *self)
{
  if (!g_str_equal (response, "accept"))
    return;
  GtkSpinButton *spin = g_object_get_data (G_OBJECT (dialog), "spin");
  double p = gtk_spin_button_get_value (spin);
  g_autoptr (GArray) ids = swell_label_suggestions_ids_above (self->suggestions, p);
  accept (self, ids, p);
}

GtkWidget *
swell_label_view_open_accept_above (SwellLabelView *self)
{
  if (!self->suggested_mode || !self->document)
    return NULL;
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (_swell_label_view_get_window (self)),
                                              _("Accept Suggestions Above a Probability"), NULL);
  AdwMessageDialog *md = ADW_MESSAGE_DIALOG (dialog);
  adw_message_dialog_add_responses (md, "cancel", _("_Cancel"), "accept", _("_Accept"), NULL);
  adw_message_dialog_set_response_appearance (md, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (md, "accept");
  adw_message_dialog_set_close_response (md, "cancel");
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Minimum probability"));
  GtkWidget *spin = gtk_spin_button_new_with_range (0, 1, 0.01);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), ACCEPT_ABOVE_DEFAULT);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), spin);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), spin);
  adw_message_dialog_set_extra_child (md, box);
  g_object_set_data (G_OBJECT (dialog), "spin", spin);
  g_object_set_data_full (G_OBJECT (dialog), "view", g_object_ref (self), g_object_unref);
  g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_accept_above), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_accept_above_response), self);
  update_accept_above (md);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
accept_above_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  swell_label_view_open_accept_above (SWELL_LABEL_VIEW (widget));
}

/* ------------------------------------------------------------- state */

void
_swell_label_view_suggestions_update_actions (SwellLabelView *self)
{
  gboolean editable = self->document && !swell_project_is_read_only (swell_document_get_project (self->document));
  guint n = swell_label_suggestions_count (self->suggestions, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.accept-suggestion", editable && self->suggested_mode && n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.accept-above", editable && self->suggested_mode && n > 0);
}

void
_swell_label_view_class_suggestions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "label.accept-suggestion", NULL, accept_suggestion_action);
  gtk_widget_class_install_action (widget_class, "label.accept-above", NULL, accept_above_action);
  /* A accepts wherever the focus is in the view (Return on a thumbnail, see
   * swell-label-suggestions.c); only while Suggested is shown. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, 0, "label.accept-suggestion", NULL);
}
