/* swell-test-driver.c: the SWELL_TEST_SCRIPT driver (tests only). */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swell-label-view.h"
#include "swell-predict-view.h"
#include "swell-results-view.h"
#include "swell-test-driver.h"
#include "swell-train-view.h"

typedef struct {
  SwellWindow *win;
  GStrv lines;
  guint next;
  int status;
  /* main-loop gap measurement */
  guint gap_source;
  gint64 last_tick;
  gint64 max_gap_us;
  gint64 ticks;
  gint64 idle_deadline;
  gint64 gap_start;
  gboolean last_busy;
  gboolean scrolling;
  double scroll_stop;
  gint64 last_cpu;       /* main thread CPU time at the last tick, us */
  gint64 max_gap_cpu_us; /* CPU the main thread used during the longest gap */
  gint64 max_cpu_us;     /* most CPU the main thread used between two ticks */
} Driver;

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

static void
fail (Driver *d, const char *fmt, ...)
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
  return d->scrolling || swell_train_view_is_busy (train) || swell_label_view_is_importing (label);
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
    fail (d, "still busy after the wait-idle timeout");
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
      fail (d, "cannot parse “%s”: %s", line, error->message);
      continue;
    }
    const char *cmd = argv[0];
    guint argc = g_strv_length (argv);
    printf ("swell-test: %s\n", line);
    fflush (stdout);
    SwellWindow *win = d->win;

    if (g_str_equal (cmd, "wait") && argc == 2) {
      schedule (d, (guint) atoi (argv[1]));
      return;
    } else if (g_str_equal (cmd, "open") && argc == 2) {
      gint64 t0 = g_get_monotonic_time ();
      if (!swell_window_open_project (win, argv[1], FALSE))
        fail (d, "could not open %s", argv[1]);
      printf ("swell-test: opened in %.0f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
    } else if (g_str_equal (cmd, "view") && argc == 2) {
      swell_window_set_view (win, argv[1]);
      if (g_strcmp0 (swell_window_get_view (win), argv[1]) != 0)
        fail (d, "view %s not shown", argv[1]);
    } else if (g_str_equal (cmd, "category") && argc == 2) {
      SwellDocument *doc = swell_window_get_document (win);
      guint n = (guint) atoi (argv[1]);
      g_autoptr (SwellCategoryItem) c = doc ? g_list_model_get_item (G_LIST_MODEL (swell_document_get_categories (doc)), n) : NULL;
      if (!c)
        fail (d, "no sidebar row %u", n);
      else
        swell_label_view_show_category (SWELL_LABEL_VIEW (swell_window_get_view_widget (win, "label")),
                                        swell_category_item_get_id (c));
    } else if (g_str_equal (cmd, "add-category") && argc == 2) {
      SwellDocument *doc = swell_window_get_document (win);
      if (!doc || !swell_document_create_category (doc, argv[1], &error))
        fail (d, "add-category %s: %s", argv[1], error ? error->message : "no project");
    } else if (g_str_equal (cmd, "label-key") && argc == 2) {
      /* What the 1-9 / 0 key bindings of the Label view activate. */
      gtk_widget_activate_action (swell_window_get_view_widget (win, "label"), "label.assign", "i", atoi (argv[1]));
    } else if (g_str_equal (cmd, "delete-selected")) {
      gtk_widget_activate_action (swell_window_get_view_widget (win, "label"), "label.delete-selected", NULL);
    } else if (g_str_equal (cmd, "undo")) {
      gtk_widget_activate_action (swell_window_get_view_widget (win, "label"), "label.undo", NULL);
    } else if (g_str_equal (cmd, "import") && argc >= 2) {
      /* What a drop of files on the grid does: import into the category shown. */
      SwellLabelView *label = SWELL_LABEL_VIEW (swell_window_get_view_widget (win, "label"));
      swell_label_view_import (label, (const char *const *) argv + 1, swell_label_view_get_category (label));
    } else if (g_str_equal (cmd, "assert-count") && argc == 3) {
      SwellDocument *doc = swell_window_get_document (win);
      SwellCategoryList *cats = doc ? swell_document_get_categories (doc) : NULL;
      guint n = cats ? g_list_model_get_n_items (G_LIST_MODEL (cats)) : 0;
      gboolean found = FALSE;
      for (guint i = 0; i < n && !found; i++) {
        g_autoptr (SwellCategoryItem) c = g_list_model_get_item (G_LIST_MODEL (cats), i);
        if (g_str_equal (swell_category_item_get_name (c), argv[1])) {
          found = TRUE;
          if (swell_category_item_get_total (c) != (guint) atoi (argv[2]))
            fail (d, "%s has %u images, expected %s", argv[1], swell_category_item_get_total (c), argv[2]);
        }
      }
      if (!found)
        fail (d, "no category %s", argv[1]);
    } else if ((g_str_equal (cmd, "assert-shown") || g_str_equal (cmd, "assert-not-shown")) && argc >= 2) {
      gboolean want = g_str_equal (cmd, "assert-shown");
      g_autofree char *text = g_strjoinv (" ", argv + 1);
      if (label_shown (GTK_WIDGET (win), text) != want)
        fail (d, "“%s” is %s the window", text, want ? "not shown in" : "shown in");
    } else if (g_str_equal (cmd, "assert-view") && argc == 2) {
      if (g_strcmp0 (swell_window_get_view (win), argv[1]) != 0)
        fail (d, "the window shows %s, expected %s", swell_window_get_view (win), argv[1]);
    } else if (g_str_equal (cmd, "close-project")) {
      swell_window_close_project (win);
    } else if (g_str_equal (cmd, "menu")) {
      gtk_menu_button_popup (swell_window_get_menu_button (win));
    } else if (g_str_equal (cmd, "close-menu")) {
      gtk_menu_button_popdown (swell_window_get_menu_button (win));
    } else if (g_str_equal (cmd, "shortcuts")) {
      if (!g_action_group_has_action (G_ACTION_GROUP (win), "show-help-overlay"))
        fail (d, "no keyboard shortcuts window");
      else
        g_action_group_activate_action (G_ACTION_GROUP (win), "show-help-overlay", NULL);
    } else if (g_str_equal (cmd, "select-all")) {
      swell_label_view_select_all (SWELL_LABEL_VIEW (swell_window_get_view_widget (win, "label")));
    } else if (g_str_equal (cmd, "recipe")) {
      SwellTrainView *train = SWELL_TRAIN_VIEW (swell_window_get_view_widget (win, "train"));
      for (guint i = 1; i < argc; i++) {
        char *eq = strchr (argv[i], '=');
        g_autofree char *key = eq ? g_strndup (argv[i], eq - argv[i]) : NULL;
        if (!eq || !swell_train_view_set_recipe_value (train, key, eq + 1))
          fail (d, "bad recipe setting %s", argv[i]);
      }
    } else if (g_str_equal (cmd, "train")) {
      swell_train_view_start (SWELL_TRAIN_VIEW (swell_window_get_view_widget (win, "train")));
    } else if (g_str_equal (cmd, "stop")) {
      swell_train_view_stop (SWELL_TRAIN_VIEW (swell_window_get_view_widget (win, "train")));
    } else if (g_str_equal (cmd, "category-action") && argc == 2) {
      /* What the sidebar's context menu does on the selected category:
       * rename-category, recolor-category or delete-category. */
      g_autofree char *action = g_strconcat ("label.", argv[1], NULL);
      gtk_widget_activate_action (swell_window_get_view_widget (win, "label"), action, NULL);
    } else if (g_str_equal (cmd, "lr-find")) {
      swell_train_view_lr_find (SWELL_TRAIN_VIEW (swell_window_get_view_widget (win, "train")));
    } else if (g_str_equal (cmd, "scroll-grid") && (argc == 2 || argc == 3)) {
      d->scroll_stop = argc == 3 ? g_ascii_strtod (argv[2], NULL) : 1.0;
      /* Scroll the Label grid to its end, a third of a page every 16 ms (a
       * fast flick), measuring the main loop like wait-idle. */
      d->scrolling = TRUE;
      g_timeout_add (16, scroll_step, d);
      d->max_gap_us = 0;
      d->ticks = 0;
      d->last_tick = d->gap_start = g_get_monotonic_time ();
      d->last_cpu = thread_cpu_us ();
      d->max_gap_cpu_us = d->max_cpu_us = 0;
      d->last_busy = TRUE;
      d->gap_source = g_timeout_add (5, gap_tick, d);
      d->idle_deadline = g_get_monotonic_time () + (gint64) atoi (argv[1]) * G_USEC_PER_SEC;
      g_timeout_add (50, idle_poll, d);
      return;
    } else if (g_str_equal (cmd, "wait-idle") && argc == 2) {
      d->max_gap_us = 0;
      d->ticks = 0;
      d->last_tick = d->gap_start = g_get_monotonic_time ();
      d->last_cpu = thread_cpu_us ();
      d->max_gap_cpu_us = d->max_cpu_us = 0;
      d->last_busy = busy (d);
      d->gap_source = g_timeout_add (5, gap_tick, d);
      d->idle_deadline = g_get_monotonic_time () + (gint64) atoi (argv[1]) * G_USEC_PER_SEC;
      g_timeout_add (50, idle_poll, d);
      return;
    } else if (g_str_equal (cmd, "assert-max-gap") && argc == 2) {
      double limit = g_ascii_strtod (argv[1], NULL);
      if (d->ticks < 10)
        fail (d, "the gap timer ran only %" G_GINT64_FORMAT " times: nothing was measured", d->ticks);
      else if (d->max_cpu_us / 1000.0 > limit)
        fail (d, "the main thread worked %.1f ms without dispatching the timeout (limit %.0f ms)", d->max_cpu_us / 1000.0, limit);
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
          fail (d, "the main loop was blocked for %.1f ms (limit %.0f ms)", d->max_gap_us / 1000.0, limit);
      }
    } else if (g_str_equal (cmd, "cell") && argc == 3) {
      if (!swell_results_view_select_cell (SWELL_RESULTS_VIEW (swell_window_get_view_widget (win, "results")),
                                           atoi (argv[1]), atoi (argv[2])))
        fail (d, "no confusion matrix cell %s,%s", argv[1], argv[2]);
    } else if (g_str_equal (cmd, "gallery-select") && argc == 2) {
      if (!swell_results_view_select_gallery (SWELL_RESULTS_VIEW (swell_window_get_view_widget (win, "results")),
                                              (guint) atoi (argv[1])))
        fail (d, "no gallery image %s", argv[1]);
    } else if (g_str_equal (cmd, "gallery-relabel") && argc == 2) {
      /* What "Label As" in the gallery's action bar does. */
      SwellDocument *doc = swell_window_get_document (win);
      SwellCategoryList *cats = doc ? swell_document_get_categories (doc) : NULL;
      gint64 id = -1;
      for (guint i = 0; cats && i < swell_category_list_n_categories (cats); i++)
        if (g_str_equal (swell_category_item_get_name (swell_category_list_nth_category (cats, i)), argv[1]))
          id = swell_category_item_get_id (swell_category_list_nth_category (cats, i));
      if (id < 0)
        fail (d, "no category %s", argv[1]);
      else
        gtk_widget_activate_action (swell_window_get_view_widget (win, "results"), "results.relabel", "x", id);
    } else if (g_str_equal (cmd, "gallery-first")) {
      if (!swell_results_view_preview_first (SWELL_RESULTS_VIEW (swell_window_get_view_widget (win, "results"))))
        fail (d, "the gallery is empty");
    } else if (g_str_equal (cmd, "close-dialogs")) {
      close_dialogs (d);
    } else if (g_str_equal (cmd, "predict") && argc >= 2) {
      swell_predict_view_classify_paths (SWELL_PREDICT_VIEW (swell_window_get_view_widget (win, "predict")),
                                         (const char *const *) argv + 1);
    } else if (g_str_equal (cmd, "print-predictions")) {
      g_autofree char *text = swell_predict_view_describe (SWELL_PREDICT_VIEW (swell_window_get_view_widget (win, "predict")));
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        if (*lines[i])
          printf ("swell-test: prediction\t%s\n", lines[i]);
    } else if (g_str_equal (cmd, "dark") && argc == 2) {
      GSettings *s = swell_application_get_settings (SWELL_APPLICATION (gtk_window_get_application (GTK_WINDOW (win))));
      g_settings_set_boolean (s, "dark-style", atoi (argv[1]) != 0);
    } else if (g_str_equal (cmd, "shot") && argc == 2) {
      const char *dir = g_getenv ("SWELL_TEST_ARTIFACTS");
      g_autofree char *path = g_build_filename (dir ? dir : ".", argv[1], NULL);
      g_autofree char *png = g_str_has_suffix (path, ".png") ? g_strdup (path) : g_strconcat (path, ".png", NULL);
      const char *cmdv[] = { "import", "-window", "root", png, NULL };
      int wait_status = 0;
      if (!g_spawn_sync (NULL, (char **) cmdv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &wait_status, &error) ||
          !g_spawn_check_wait_status (wait_status, &error))
        fail (d, "screenshot %s: %s", png, error->message);
    } else if (g_str_equal (cmd, "echo")) {
      g_autofree char *text = g_strjoinv (" ", argv + 1);
      printf ("%s\n", text);
    } else if (g_str_equal (cmd, "quit")) {
      GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (win)));
      printf ("swell-test: done, status %d\n", d->status);
      fflush (stdout);
      if (d->status != 0)
        exit (d->status);
      g_application_quit (app);
      return;
    } else {
      fail (d, "unknown or malformed command “%s”", line);
    }
    /* Let the main loop draw between commands. */
    schedule (d, 50);
    return;
  }
}

void
swell_test_driver_maybe_start (SwellWindow *win)
{
  const char *script = g_getenv ("SWELL_TEST_SCRIPT");
  if (!script || started)
    return;
  started = TRUE;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (script, &text, NULL, &error)) {
    printf ("swell-test: FAIL %s\n", error->message);
    exit (1);
  }
  Driver *d = g_new0 (Driver, 1);
  d->win = win;
  d->lines = g_strsplit (text, "\n", -1);
  schedule (d, 500);
}
