/* swell-test-driver-label.c: the test driver's commands about the Label
 * view's suggestions and its data banner: suggested, print-suggestions,
 * select-suggestion, accept-suggestion, accept-above, dialog-response,
 * wait-health and health-details. The list is in swell-test-driver.h. */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>

#include "swell-test-driver-private.h"
#include "swell-test-hooks.h"

static SwellLabelView *
label_view (Driver *d)
{
  return SWELL_LABEL_VIEW (swell_driver_view (d, "label"));
}

/* Prints text's lines as "swell-test: PREFIX<TAB>line". */
static void
print_lines (const char *prefix, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      printf ("swell-test: %s%s%s\n", prefix, *prefix ? "\t" : "", lines[i]);
  fflush (stdout);
}

Next
swell_driver_suggested (Driver *d, guint argc, char **argv)
{
  if (!swell_label_view_show_suggested (label_view (d)))
    swell_driver_fail (d, "the Label view has no Suggested row (no finished run)");
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_print_suggestions (Driver *d, guint argc, char **argv)
{
  if (!swell_label_view_is_suggested (label_view (d))) {
    swell_driver_fail (d, "the Suggested page is not shown");
    return NEXT_AFTER_DRAW;
  }
  g_autofree char *text = swell_label_suggestions_describe (swell_label_view_get_suggestions (label_view (d)));
  print_lines ("suggestion", text);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_select_suggestion (Driver *d, guint argc, char **argv)
{
  if (!swell_label_suggestions_select (swell_label_view_get_suggestions (label_view (d)), (guint) atoi (argv[1])))
    swell_driver_fail (d, "no suggestion %s", argv[1]);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_accept_suggestion (Driver *d, guint argc, char **argv)
{
  if (!swell_label_suggestions_activate_selected (swell_label_view_get_suggestions (label_view (d))))
    swell_driver_fail (d, "no suggestion is selected");
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_accept_above (Driver *d, guint argc, char **argv)
{
  char *end;
  double p = g_ascii_strtod (argv[1], &end);
  GtkWidget *dialog = *end ? NULL : swell_label_view_open_accept_above (label_view (d));
  if (!dialog) {
    swell_driver_fail (d, "accept-above %s: %s", argv[1], *end ? "not a number" : "the Suggested page is not shown");
    return NEXT_AFTER_DRAW;
  }
  gtk_spin_button_set_value (g_object_get_data (G_OBJECT (dialog), "spin"), p);
  printf ("swell-test: accept-above\t%s\n", adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  fflush (stdout);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_dialog_response (Driver *d, guint argc, char **argv)
{
  GListModel *tops = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++) {
    g_autoptr (GtkWindow) w = g_list_model_get_item (tops, i);
    if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w))) {
      AdwMessageDialog *md = ADW_MESSAGE_DIALOG (w);
      if (!adw_message_dialog_has_response (md, argv[1]))
        swell_driver_fail (d, "the dialog has no response %s", argv[1]);
      else if (!adw_message_dialog_get_response_enabled (md, argv[1]))
        swell_driver_fail (d, "the dialog's response %s is disabled", argv[1]);
      else {
        adw_message_dialog_response (md, argv[1]);
        gtk_window_close (GTK_WINDOW (w));
      }
      return NEXT_AFTER_DRAW;
    }
  }
  swell_driver_fail (d, "no message dialog is open");
  return NEXT_AFTER_DRAW;
}

typedef struct {
  Driver *d;
  gint64 deadline;
} HealthWait;

static gboolean
health_poll (gpointer data)
{
  HealthWait *w = data;
  SwellHealthBanner *banner = swell_label_view_get_health_banner (label_view (w->d));
  gboolean checking = swell_health_banner_is_checking (banner);
  if (checking && g_get_monotonic_time () < w->deadline)
    return G_SOURCE_CONTINUE;
  if (checking)
    swell_driver_fail (w->d, "the data check did not end in time");
  swell_driver_next (w->d, 50);
  g_free (w);
  return G_SOURCE_REMOVE;
}

Next
swell_driver_wait_health (Driver *d, guint argc, char **argv)
{
  HealthWait *w = g_new0 (HealthWait, 1);
  w->d = d;
  w->deadline = g_get_monotonic_time () + (gint64) (g_ascii_strtod (argv[1], NULL) * G_USEC_PER_SEC);
  g_timeout_add (100, health_poll, w);
  return NEXT_LATER;
}

Next
swell_driver_health_details (Driver *d, guint argc, char **argv)
{
  SwellHealthBanner *banner = swell_label_view_get_health_banner (label_view (d));
  if (!swell_health_banner_open_details (banner)) {
    swell_driver_fail (d, "the data check has no report yet");
    return NEXT_AFTER_DRAW;
  }
  g_autofree char *text = swell_health_banner_describe (banner);
  print_lines ("", text);
  return NEXT_AFTER_DRAW;
}
