/* swell-test-driver.c: the SWELL_TEST_SCRIPT driver, in swell-test-window only: a table of
 * commands (the list in swell-test-driver.h), one handler each. */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swell-test-driver-private.h"
#include "swell-test-hooks.h"


static gint64
thread_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static gboolean started;

static void run_next (Driver *d);

static gboolean
next_cb (gpointer data)
{
  run_next (data);
  return G_SOURCE_REMOVE;
}

static void
schedule (Driver *d, guint ms)
{
  g_timeout_add (ms, next_cb, d);
}

void
swell_driver_resume (Driver *d)
{
  schedule (d, 50);
}

void
swell_driver_next (Driver *d, guint ms)
{
  schedule (d, ms);
}

void
swell_driver_fail (Driver *d, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("swell-test: FAIL %s\n", msg);
  fflush (stdout);
  d->status = 1;
}

static gboolean busy (Driver *d);

static gboolean
gap_tick (gpointer data)
{
  Driver *d = data;
  /* Only gaps that began while the job was running count: the work the
   * window does after a run (reloading results) is not "while a run is
   * going". A job that blocked the main loop would start its gap busy. */
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();
  if (d->last_tick && d->last_busy) {
    if (now - d->last_tick > d->max_gap_us) {
      d->max_gap_us = now - d->last_tick;
      d->max_gap_cpu_us = cpu - d->last_cpu;
    }
    d->max_cpu_us = MAX (d->max_cpu_us, cpu - d->last_cpu);
  }
  if (d->last_tick && now - d->last_tick > 50000)
    printf ("swell-test: gap of %.1f ms (main thread busy %.1f ms of it) at %.2f s\n", (now - d->last_tick) / 1000.0,
            (cpu - d->last_cpu) / 1000.0, (now - d->gap_start) / 1e6);
  d->last_tick = now;
  d->last_cpu = cpu;
  d->last_busy = busy (d);
  d->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
busy (Driver *d)
{
  SwellTrainView *train = SWELL_TRAIN_VIEW (swell_window_get_view_widget (d->win, "train"));
  SwellLabelView *label = SWELL_LABEL_VIEW (swell_window_get_view_widget (d->win, "label"));
  SwellResultsView *results = SWELL_RESULTS_VIEW (swell_window_get_view_widget (d->win, "results"));
  return d->scrolling || swell_train_view_is_busy (train) || swell_label_view_is_importing (label) ||
         swell_results_view_is_busy (results) || swell_train_view_is_downloading (train);
}

static gboolean
idle_poll (gpointer data)
{
  Driver *d = data;
  if (!busy (d)) {
    g_clear_handle_id (&d->gap_source, g_source_remove);
    printf ("swell-test: idle; main loop: %" G_GINT64_FORMAT " ticks, longest gap %.1f ms (main thread busy %.1f ms of it), "
            "most main-thread work between two ticks %.1f ms\n",
            d->ticks, d->max_gap_us / 1000.0, d->max_gap_cpu_us / 1000.0, d->max_cpu_us / 1000.0);
    fflush (stdout);
    run_next (d);
    return G_SOURCE_REMOVE;
  }
  if (g_get_monotonic_time () > d->idle_deadline) {
    g_clear_handle_id (&d->gap_source, g_source_remove);
    swell_driver_fail (d, "still busy after the wait-idle timeout");
    run_next (d);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
scroll_step (gpointer data)
{
  Driver *d = data;
  SwellLabelView *label = SWELL_LABEL_VIEW (swell_window_get_view_widget (d->win, "label"));
  if (swell_label_view_scroll_by (label, 0.35, d->scroll_stop))
    return G_SOURCE_CONTINUE;
  d->scrolling = FALSE;
  return G_SOURCE_REMOVE;
}

static void
close_dialogs (Driver *d)
{
  GList *windows = g_list_copy (gtk_window_list_toplevels ());
  for (GList *l = windows; l; l = l->next)
    if (l->data != (gpointer) d->win && GTK_IS_WINDOW (l->data) && gtk_widget_get_visible (l->data) &&
        (gtk_window_get_transient_for (l->data) == GTK_WINDOW (d->win) || GTK_IS_SHORTCUTS_WINDOW (l->data)))
      gtk_window_close (l->data);
  g_list_free (windows);
}

/* Is `text` part of a label the window shows (mapped, so on screen)? */
static gboolean
label_shown (GtkWidget *w, const char *text)
{
  if (!gtk_widget_get_mapped (w))
    return FALSE;
  if (GTK_IS_LABEL (w) && strstr (gtk_label_get_text (GTK_LABEL (w)), text))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    if (label_shown (c, text))
      return TRUE;
  return FALSE;
}


typedef Next (*CommandFunc) (Driver *d, guint argc, char **argv);

typedef struct {
  const char *name;
  const char *args; /* "[X]" is optional, "X..." repeats: see count_args() */
  const char *help;
  CommandFunc run;
} Command;

GtkWidget *
swell_driver_view (Driver *d, const char *name)
{
  return swell_window_get_view_widget (d->win, name);
}

static SwellCategoryList *
categories (Driver *d)
{
  SwellDocument *doc = swell_window_get_document (d->win);
  return doc ? swell_document_get_categories (doc) : NULL;
}

/* Starts measuring the main loop (see gap_tick) and polls until the window is
 * idle or `seconds` have passed; idle_poll then runs the next command. */
static void
measure_until_idle (Driver *d, const char *seconds, gboolean busy_now)
{
  d->max_gap_us = 0;
  d->ticks = 0;
  d->last_tick = d->gap_start = g_get_monotonic_time ();
  d->last_cpu = thread_cpu_us ();
  d->max_gap_cpu_us = d->max_cpu_us = 0;
  d->last_busy = busy_now;
  d->gap_source = g_timeout_add (5, gap_tick, d);
  d->idle_deadline = g_get_monotonic_time () + (gint64) atoi (seconds) * G_USEC_PER_SEC;
  g_timeout_add (50, idle_poll, d);
}

static Next
cmd_wait (Driver *d, guint argc, char **argv)
{
  schedule (d, (guint) atoi (argv[1]));
  return NEXT_LATER;
}

static Next
cmd_open (Driver *d, guint argc, char **argv)
{
  gint64 t0 = g_get_monotonic_time ();
  if (!swell_window_open_project (d->win, argv[1], FALSE))
    swell_driver_fail (d, "could not open %s", argv[1]);
  printf ("swell-test: opened in %.0f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_close_project (Driver *d, guint argc, char **argv)
{
  swell_window_close_project (d->win);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_view (Driver *d, guint argc, char **argv)
{
  swell_window_set_view (d->win, argv[1]);
  if (g_strcmp0 (swell_window_get_view (d->win), argv[1]) != 0)
    swell_driver_fail (d, "view %s not shown", argv[1]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_menu (Driver *d, guint argc, char **argv)
{
  gtk_menu_button_popup (swell_window_get_menu_button (d->win));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_close_menu (Driver *d, guint argc, char **argv)
{
  gtk_menu_button_popdown (swell_window_get_menu_button (d->win));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_shortcuts (Driver *d, guint argc, char **argv)
{
  if (!g_action_group_has_action (G_ACTION_GROUP (d->win), "show-help-overlay"))
    swell_driver_fail (d, "no keyboard shortcuts window");
  else
    g_action_group_activate_action (G_ACTION_GROUP (d->win), "show-help-overlay", NULL);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_app_action (Driver *d, guint argc, char **argv)
{
  GActionGroup *app = G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (d->win)));
  if (!g_action_group_has_action (app, argv[1]))
    swell_driver_fail (d, "no action app.%s", argv[1]);
  else
    g_action_group_activate_action (app, argv[1], NULL);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_close_dialogs (Driver *d, guint argc, char **argv)
{
  close_dialogs (d);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_category (Driver *d, guint argc, char **argv)
{
  SwellCategoryList *cats = categories (d);
  guint n = (guint) atoi (argv[1]);
  g_autoptr (SwellCategoryItem) c = cats ? g_list_model_get_item (G_LIST_MODEL (cats), n) : NULL;
  if (!c)
    swell_driver_fail (d, "no sidebar row %u", n);
  else
    swell_label_view_show_category (SWELL_LABEL_VIEW (swell_driver_view (d, "label")), swell_category_item_get_id (c));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_add_category (Driver *d, guint argc, char **argv)
{
  SwellDocument *doc = swell_window_get_document (d->win);
  g_autoptr (GError) error = NULL;
  if (!doc || !swell_document_create_category (doc, argv[1], &error))
    swell_driver_fail (d, "add-category %s: %s", argv[1], error ? error->message : "no project");
  return NEXT_AFTER_DRAW;
}

static Next
cmd_category_action (Driver *d, guint argc, char **argv)
{
  g_autofree char *action = g_strconcat ("label.", argv[1], NULL);
  gtk_widget_activate_action (swell_driver_view (d, "label"), action, NULL);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_select_all (Driver *d, guint argc, char **argv)
{
  swell_label_view_select_all (SWELL_LABEL_VIEW (swell_driver_view (d, "label")));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_label_key (Driver *d, guint argc, char **argv)
{
  gtk_widget_activate_action (swell_driver_view (d, "label"), "label.assign", "i", atoi (argv[1]));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_delete_selected (Driver *d, guint argc, char **argv)
{
  gtk_widget_activate_action (swell_driver_view (d, "label"), "label.delete-selected", NULL);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_undo (Driver *d, guint argc, char **argv)
{
  gtk_widget_activate_action (swell_driver_view (d, "label"), "label.undo", NULL);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_import (Driver *d, guint argc, char **argv)
{
  SwellLabelView *label = SWELL_LABEL_VIEW (swell_driver_view (d, "label"));
  swell_label_view_import (label, (const char *const *) argv + 1, swell_label_view_get_category (label));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_scroll_grid (Driver *d, guint argc, char **argv)
{
  d->scroll_stop = argc == 3 ? g_ascii_strtod (argv[2], NULL) : 1.0;
  d->scrolling = TRUE;
  g_timeout_add (16, scroll_step, d);
  measure_until_idle (d, argv[1], TRUE);
  return NEXT_LATER;
}

static Next
cmd_assert_count (Driver *d, guint argc, char **argv)
{
  SwellCategoryList *cats = categories (d);
  guint n = cats ? g_list_model_get_n_items (G_LIST_MODEL (cats)) : 0;
  gboolean found = FALSE;
  for (guint i = 0; i < n && !found; i++) {
    g_autoptr (SwellCategoryItem) c = g_list_model_get_item (G_LIST_MODEL (cats), i);
    if (g_str_equal (swell_category_item_get_name (c), argv[1])) {
      found = TRUE;
      if (swell_category_item_get_total (c) != (guint) atoi (argv[2]))
        swell_driver_fail (d, "%s has %u images, expected %s", argv[1], swell_category_item_get_total (c), argv[2]);
    }
  }
  if (!found)
    swell_driver_fail (d, "no category %s", argv[1]);
  return NEXT_AFTER_DRAW;
}

static void
assert_shown (Driver *d, char **words, gboolean want)
{
  g_autofree char *text = g_strjoinv (" ", words);
  if (label_shown (GTK_WIDGET (d->win), text) != want)
    swell_driver_fail (d, "“%s” is %s the window", text, want ? "not shown in" : "shown in");
}

static Next
cmd_assert_shown (Driver *d, guint argc, char **argv)
{
  assert_shown (d, argv + 1, TRUE);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_assert_not_shown (Driver *d, guint argc, char **argv)
{
  assert_shown (d, argv + 1, FALSE);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_assert_view (Driver *d, guint argc, char **argv)
{
  if (g_strcmp0 (swell_window_get_view (d->win), argv[1]) != 0)
    swell_driver_fail (d, "the window shows %s, expected %s", swell_window_get_view (d->win), argv[1]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_recipe (Driver *d, guint argc, char **argv)
{
  SwellTrainView *train = SWELL_TRAIN_VIEW (swell_driver_view (d, "train"));
  for (guint i = 1; i < argc; i++) {
    char *eq = strchr (argv[i], '=');
    g_autofree char *key = eq ? g_strndup (argv[i], eq - argv[i]) : NULL;
    if (!eq || !swell_train_view_set_recipe_value (train, key, eq + 1))
      swell_driver_fail (d, "bad recipe setting %s", argv[i]);
  }
  return NEXT_AFTER_DRAW;
}

static Next
cmd_assert_recipe (Driver *d, guint argc, char **argv)
{
  g_autofree char *v = swell_train_view_get_recipe_value (SWELL_TRAIN_VIEW (swell_driver_view (d, "train")), argv[1]);
  if (g_strcmp0 (v, argv[2]) != 0)
    swell_driver_fail (d, "the Train view's %s is %s, expected %s", argv[1], v ? v : "(no such value)", argv[2]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_train (Driver *d, guint argc, char **argv)
{
  swell_train_view_start (SWELL_TRAIN_VIEW (swell_driver_view (d, "train")));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_stop (Driver *d, guint argc, char **argv)
{
  swell_train_view_stop (SWELL_TRAIN_VIEW (swell_driver_view (d, "train")));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_lr_find (Driver *d, guint argc, char **argv)
{
  swell_train_view_lr_find (SWELL_TRAIN_VIEW (swell_driver_view (d, "train")));
  return NEXT_AFTER_DRAW;
}

static Next
cmd_download (Driver *d, guint argc, char **argv)
{
  SwellTrainView *train = SWELL_TRAIN_VIEW (swell_driver_view (d, "train"));
  gboolean cancel = g_str_equal (argv[0], "cancel-download");
  if (cancel != swell_train_view_is_downloading (train))
    swell_driver_fail (d, cancel ? "no download to cancel" : "a download is already running");
  else
    swell_train_view_click_download (train, cancel);
  if (!cancel && !swell_train_view_is_downloading (train))
    swell_driver_fail (d, "the Download button started no download");
  return NEXT_AFTER_DRAW;
}

static Next
cmd_wait_idle (Driver *d, guint argc, char **argv)
{
  measure_until_idle (d, argv[1], busy (d));
  return NEXT_LATER;
}

static Next
cmd_assert_max_gap (Driver *d, guint argc, char **argv)
{
  double limit = g_ascii_strtod (argv[1], NULL);
  if (d->ticks < 10)
    swell_driver_fail (d, "the gap timer ran only %" G_GINT64_FORMAT " times: nothing was measured", d->ticks);
  else if (d->max_cpu_us / 1000.0 > limit)
    swell_driver_fail (d, "the main thread worked %.1f ms without dispatching the timeout (limit %.0f ms)",
          d->max_cpu_us / 1000.0, limit);
  else if (d->max_gap_us / 1000.0 > limit) {
    /* Wall-clock gap over the limit although the main thread did little
     * work in it: it was waiting for a CPU. Accept that only when the
     * machine is overloaded (load average above twice the cores). */
    double load = 0;
    g_autofree char *la = NULL;
    if (g_file_get_contents ("/proc/loadavg", &la, NULL, NULL))
      load = g_ascii_strtod (la, NULL);
    if (load > 2.0 * g_get_num_processors ())
      printf ("swell-test: WARNING longest gap %.1f ms but the main thread was busy only %.1f ms of it; "
              "load average %.1f on %u cores: CPU contention, not a blocked main loop\n",
              d->max_gap_us / 1000.0, d->max_gap_cpu_us / 1000.0, load, g_get_num_processors ());
    else
      swell_driver_fail (d, "the main loop was blocked for %.1f ms (limit %.0f ms)", d->max_gap_us / 1000.0, limit);
  }
  return NEXT_AFTER_DRAW;
}

static Next
cmd_cell (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_select_cell (SWELL_RESULTS_VIEW (swell_driver_view (d, "results")), atoi (argv[1]), atoi (argv[2])))
    swell_driver_fail (d, "no confusion matrix cell %s,%s", argv[1], argv[2]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_gallery_select (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_select_gallery (SWELL_RESULTS_VIEW (swell_driver_view (d, "results")), (guint) atoi (argv[1])))
    swell_driver_fail (d, "no gallery image %s", argv[1]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_gallery_relabel (Driver *d, guint argc, char **argv)
{
  SwellCategoryList *cats = categories (d);
  gint64 id = -1;
  for (guint i = 0; cats && i < swell_category_list_n_categories (cats); i++)
    if (g_str_equal (swell_category_item_get_name (swell_category_list_nth_category (cats, i)), argv[1]))
      id = swell_category_item_get_id (swell_category_list_nth_category (cats, i));
  if (id < 0)
    swell_driver_fail (d, "no category %s", argv[1]);
  else
    gtk_widget_activate_action (swell_driver_view (d, "results"), "results.relabel", "x", id);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_gallery_first (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_preview_first (SWELL_RESULTS_VIEW (swell_driver_view (d, "results"))))
    swell_driver_fail (d, "the gallery is empty");
  return NEXT_AFTER_DRAW;
}

static Next
cmd_predict (Driver *d, guint argc, char **argv)
{
  swell_predict_view_classify_paths (SWELL_PREDICT_VIEW (swell_driver_view (d, "predict")), (const char *const *) argv + 1);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_export_model (Driver *d, guint argc, char **argv)
{
  swell_results_view_export_model_to (SWELL_RESULTS_VIEW (swell_driver_view (d, "results")), argv[1]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_print_predictions (Driver *d, guint argc, char **argv)
{
  g_autofree char *text = swell_predict_view_describe (SWELL_PREDICT_VIEW (swell_driver_view (d, "predict")));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      printf ("swell-test: prediction\t%s\n", lines[i]);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_shot (Driver *d, guint argc, char **argv)
{
  const char *dir = g_getenv ("SWELL_TEST_ARTIFACTS");
  g_autofree char *path = g_build_filename (dir ? dir : ".", argv[1], NULL);
  g_autofree char *png = g_str_has_suffix (path, ".png") ? g_strdup (path) : g_strconcat (path, ".png", NULL);
  const char *cmdv[] = { "import", "-window", "root", png, NULL };
  int wait_status = 0;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) cmdv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &wait_status, &error) ||
      !g_spawn_check_wait_status (wait_status, &error))
    swell_driver_fail (d, "screenshot %s: %s", png, error->message);
  return NEXT_AFTER_DRAW;
}

static Next
cmd_echo (Driver *d, guint argc, char **argv)
{
  g_autofree char *text = g_strjoinv (" ", argv + 1);
  printf ("%s\n", text);
  return NEXT_AFTER_DRAW;
}

static Next cmd_help (Driver *d, guint argc, char **argv);

static Next
cmd_quit (Driver *d, guint argc, char **argv)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (d->win)));
  printf ("swell-test: done, status %d\n", d->status);
  fflush (stdout);
  if (d->status != 0)
    exit (d->status);
  g_application_quit (app);
  return NEXT_LATER;
}

/* Every command, in the order of the list in swell-test-driver.h (the test
 * ui_driver_commands checks that the list there is exactly this table). */
static const Command commands[] = {
  { "wait", "MS", "let the main loop run for MS milliseconds", cmd_wait },
  { "open", "PATH", "open a project in this window", cmd_open },
  { "close-project", "", "back to the welcome view", cmd_close_project },
  { "view", "NAME", "label | train | results | predict", cmd_view },
  { "menu", "", "pop up the main menu", cmd_menu },
  { "close-menu", "", "close the main menu", cmd_close_menu },
  { "shortcuts", "", "open the keyboard shortcuts window", cmd_shortcuts },
  { "app-action", "NAME", "activate app.NAME (about, preferences, …) as the main menu does", cmd_app_action },
  { "close-dialogs", "", "close any dialog windows", cmd_close_dialogs },
  { "category", "N", "select the N-th sidebar row of the Label view", cmd_category },
  { "add-category", "NAME", "create a category", cmd_add_category },
  { "category-action", "ACTION", "what the sidebar's context menu does on the selected category: "
    "rename-category, recolor-category or delete-category", cmd_category_action },
  { "select-all", "", "select every thumbnail shown", cmd_select_all },
  { "label-key", "N", "what the 1-9 / 0 key bindings of the Label view do", cmd_label_key },
  { "delete-selected", "", "delete the selected images", cmd_delete_selected },
  { "undo", "", "undo the last change in the Label view", cmd_undo },
  { "suggested", "", "select the Label view's Suggested row (fails without a finished run)", swell_driver_suggested },
  { "print-suggestions", "", "print what the Suggested page shows, in order: ID, predicted category, probability",
    swell_driver_print_suggestions },
  { "select-suggestion", "N", "select the N-th suggestion shown (from 0) alone", swell_driver_select_suggestion },
  { "accept-suggestion", "", "what Return does on the Suggested page: accept the selected suggestions",
    swell_driver_accept_suggestion },
  { "accept-above", "P", "what Accept Above… does: open its dialog with the probability P (prints its text)",
    swell_driver_accept_above },
  { "dialog-response", "ID", "click the response ID (accept, cancel, …) of the open message dialog",
    swell_driver_dialog_response },
  { "wait-health", "SECONDS", "wait until the Label view's data check is done (fails after SECONDS)",
    swell_driver_wait_health },
  { "health-details", "", "open the data banner's Details window and print the banner and what it lists",
    swell_driver_health_details },
  { "import", "PATH...", "what a drop of files on the grid does: import into the category shown", cmd_import },
  { "scroll-grid", "SECONDS [STOP]", "scroll the Label grid to STOP (a fraction of its height, 1 = the end) "
    "a third of a page every 16 ms, measuring the main loop like wait-idle", cmd_scroll_grid },
  { "assert-count", "NAME N", "fail unless category NAME has N images", cmd_assert_count },
  { "assert-shown", "TEXT...", "fail unless a label on screen contains TEXT", cmd_assert_shown },
  { "assert-not-shown", "TEXT...", "fail if a label on screen contains TEXT", cmd_assert_not_shown },
  { "assert-view", "NAME", "fail unless the window shows view NAME", cmd_assert_view },
  { "recipe", "[KEY=VALUE...]", "arch, weights (file), epochs, freeze, lr, batch, size, augment (0/1); "
    "the Advanced section's aug (crop,flip,rotate,zoom,warp,lighting or none, as swell-cli's --aug), "
    "min-scale, max-rotate, max-zoom, max-warp, max-lighting, lr-mult, keep (last/best); "
    "advanced (1: expand that section and scroll to it, 0: collapse it)", cmd_recipe },
  { "assert-recipe", "KEY VALUE", "fail unless the Train view's recipe shows VALUE for KEY (the keys of recipe)",
    cmd_assert_recipe },
  { "preference", "TITLE VALUE", "set the row TITLE of the open Preferences window to VALUE (a number, on/off, "
    "or the text of a choice)", swell_driver_preference },
  { "train", "", "start training (as the Train button)", cmd_train },
  { "stop", "", "stop training (as the Stop button)", cmd_stop },
  { "lr-find", "", "run the learning-rate finder", cmd_lr_find },
  { "download", "", "click the Train view's Download button (the pretrained weights of the network chosen)",
    cmd_download },
  { "cancel-download", "", "click the Cancel button beside the download's progress", cmd_download },
  { "wait-idle", "SECONDS", "wait until no training/lr-find/import/export/download/TTA runs (fails after SECONDS); "
    "meanwhile a 5 ms timeout measures the longest gap between its dispatches", cmd_wait_idle },
  { "assert-max-gap", "MS", "fail unless that longest gap was at most MS", cmd_assert_max_gap },
  { "cell", "ACTUAL PREDICTED", "click a confusion matrix cell in the Results view", cmd_cell },
  { "gallery-select", "N", "select the N-th gallery image", cmd_gallery_select },
  { "gallery-relabel", "NAME", "what \"Label As\" in the gallery's action bar does", cmd_gallery_relabel },
  { "gallery-first", "", "activate the first gallery image (opens the preview)", cmd_gallery_first },
  { "export-model", "PATH", "what Export Model… in the Results view does with PATH chosen in its file chooser "
    "(wait-idle waits for the export)", cmd_export_model },
  { "gallery-split", "valid|train|both", "the Results gallery's split choice: the mistakes among those images",
    swell_driver_gallery_split },
  { "gallery-order", "loss|unsure", "the Results gallery's order: top losses or most unsure", swell_driver_gallery_order },
  { "gallery-move", "", "what the gallery's Move to Train / Move to Valid button does on the selected image",
    swell_driver_gallery_move },
  { "gallery-delete", "", "what the gallery's Delete button does on the selected image", swell_driver_gallery_delete },
  { "matrix", "valid|test", "the Valid/Test choice over the confusion matrix (fails without test images)",
    swell_driver_matrix },
  { "tta", "on|off [SEED]", "turn the Test-time augmentation switch of the Results view on (with TTA's seed, "
    "default 0; wait-idle waits for the evaluation) or off", swell_driver_tta },
  { "print-gallery", "", "print the Results gallery's images in order: id, name, split, actual, predicted, "
    "probability, loss, label-may-be-wrong or -", swell_driver_print_gallery },
  { "print-results", "", "print what the Results view shows: run, title, summary, matrix, valid_accuracy, "
    "test_accuracy, tta", swell_driver_print_results },
  { "predict", "PATH...", "classify images in the Predict view", cmd_predict },
  { "print-predictions", "", "print what the Predict view's cards show", cmd_print_predictions },
  { "heatmap", "on|off [CLASS]", "click the Show Heatmap toggle of the open preview (else of the Predict view's "
    "newest card), choosing CLASS in its drop-down first; on waits until the overlay is drawn", swell_driver_heatmap },
  { "save-heatmap", "PATH", "write the overlay that heatmap shows (at the network's input size, as swell-cli "
    "explain writes it) as a PNG", swell_driver_save_heatmap },
  { "style", "follow|light|dark", "set the Style preference (and check the window follows it)", swell_driver_style },
  { "assert-style-color", "NAME COLOR", "fail unless the style's named colour NAME (as the plots, the "
    "confusion matrix and the tiles look it up) is COLOR", swell_driver_assert_style_color },
  { "sidebar", "0|1", "what the Show Sidebar button does in a narrow window: show (1) or hide (0) the "
    "view's sidebar over it (fails unless the sidebar is folded)", swell_driver_sidebar },
  { "resize", "WIDTH HEIGHT", "resize the window (unmaximized)", swell_driver_resize },
  { "assert-switcher", "top|bottom", "fail unless the view switcher is in the header bar (top) or in the "
    "bar at the bottom", swell_driver_assert_switcher },
  { "assert-fits", "WIDTH HEIGHT", "fail unless the window is at most WIDTH x HEIGHT and no widget "
    "shown is cut off: reaching past its sides or narrower than its minimum (what scrolls sideways may)",
    swell_driver_assert_fits },
  { "assert-accessible", "", "fail naming every focusable widget shown (in the window and the windows over "
    "it) that has no accessible name, and every plot or confusion matrix without a description",
    swell_driver_assert_accessible },
  { "assert-description", "NAME TEXT...", "fail unless the first widget shown with a description whose "
    "accessible name starts with NAME has one containing TEXT", swell_driver_assert_description },
  { "key", "KEYSPEC...", "press keys as a person does (real X events, xdotool key: ctrl+n, Tab, Return, alt+2)",
    swell_driver_key },
  { "type", "TEXT...", "type TEXT as key presses (xdotool type)", swell_driver_type },
  { "assert-focus", "DESCRIPTION...", "fail unless the keyboard focus (of the active window) is on a widget, or "
    "inside one, whose type and accessible name contain DESCRIPTION", swell_driver_assert_focus },
  { "wait-focus", "SECONDS DESCRIPTION...", "wait until the keyboard focus is as assert-focus DESCRIPTION wants "
    "(fails after SECONDS)", swell_driver_wait_focus },
  { "shot", "NAME", "screenshot the X screen into $SWELL_TEST_ARTIFACTS/NAME.png "
    "(ImageMagick's import -window root)", cmd_shot },
  { "echo", "[TEXT...]", "print TEXT on stdout", cmd_echo },
  { "help", "", "print this list", cmd_help },
  { "quit", "", "close the window and exit with the script's status", cmd_quit },
};

static Next
cmd_help (Driver *d, guint argc, char **argv)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    printf ("swell-test: help\t%s%s%s\t%s\n", commands[i].name, *commands[i].args ? " " : "", commands[i].args,
            commands[i].help);
  return NEXT_AFTER_DRAW;
}

/* How many arguments a command's ARGS allow: each word is one, "[...]" is
 * optional, and a word ending in "..." may repeat (max G_MAXUINT). */
static void
count_args (const char *args, guint *min, guint *max)
{
  g_auto (GStrv) words = g_strsplit (args, " ", -1);
  *min = *max = 0;
  for (guint i = 0; words[i]; i++) {
    if (!*words[i])
      continue;
    if (words[i][0] != '[')
      (*min)++;
    *max = g_str_has_suffix (words[i], "...") || g_str_has_suffix (words[i], "...]") ? G_MAXUINT : *max + 1;
  }
}

static const Command *
find_command (const char *name, guint n_args)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
    guint min, max;
    count_args (commands[i].args, &min, &max);
    if (g_str_equal (commands[i].name, name) && n_args >= min && n_args <= max)
      return &commands[i];
  }
  return NULL;
}

static void
run_next (Driver *d)
{
  while (d->lines[d->next]) {
    char *line = g_strstrip (d->lines[d->next++]);
    if (!*line || line[0] == '#')
      continue;
    g_auto (GStrv) argv = NULL;
    g_autoptr (GError) error = NULL;
    if (!g_shell_parse_argv (line, NULL, &argv, &error)) {
      swell_driver_fail (d, "cannot parse “%s”: %s", line, error->message);
      continue;
    }
    guint argc = g_strv_length (argv);
    printf ("swell-test: %s\n", line);
    fflush (stdout);
    const Command *cmd = find_command (argv[0], argc - 1);
    if (!cmd)
      swell_driver_fail (d, "unknown or malformed command “%s”", line);
    else if (cmd->run (d, argc, argv) == NEXT_LATER)
      return;
    /* Let the main loop draw between commands. */
    schedule (d, 50);
    return;
  }
}

/* Once the code that made the window (and opened its project) has returned
 * to the main loop, the script starts after half a second. */
static gboolean
start_cb (gpointer data)
{
  schedule (data, 500);
  return G_SOURCE_REMOVE;
}

static void
window_added (GtkApplication *app, GtkWindow *window, gpointer user_data)
{
  if (!SWELL_IS_WINDOW (window) || started)
    return;
  started = TRUE;
  const char *script = g_getenv ("SWELL_TEST_SCRIPT");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (script, &text, NULL, &error)) {
    printf ("swell-test: FAIL %s\n", error->message);
    exit (1);
  }
  Driver *d = g_new0 (Driver, 1);
  d->win = SWELL_WINDOW (window);
  d->lines = g_strsplit (text, "\n", -1);
  g_idle_add (start_cb, d);
}

void
swell_test_driver_install (SwellApplication *app)
{
  if (!g_getenv ("SWELL_TEST_SCRIPT"))
    return;
  /* The tests drive their own instance without a session bus. */
  GApplication *gapp = G_APPLICATION (app);
  g_application_set_flags (gapp, g_application_get_flags (gapp) | G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added), NULL);
}
