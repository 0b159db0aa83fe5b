/* swell-test-driver-private.h: what the files of the test driver share (in
 * swell-test-window only): the driver's state, how a command ends, and the
 * commands of swell-test-driver-layout.c, swell-test-driver-heatmap.c and
 * swell-test-driver-results.c that the command table of swell-test-driver.c
 * lists. */
#pragma once

#include "swell-test-driver.h"
#include "swell-window.h"

G_BEGIN_DECLS

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

/* A command either is done when its handler returns (the next one runs after
 * the main loop has drawn) or goes on by itself and calls run_next later. */
typedef enum {
  NEXT_AFTER_DRAW,
  NEXT_LATER,
} Next;

/* Prints "swell-test: FAIL ..." and makes the script's status 1. */
void swell_driver_fail (Driver *d, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* For a command that returned NEXT_LATER: runs the next one after the main
 * loop has drawn. */
void swell_driver_resume (Driver *d);
/* Runs the next command after ms milliseconds (a NEXT_LATER command calls it once done). */
void swell_driver_next (Driver *d, guint ms);
/* The window's view NAME ("welcome", "label", "train", "results", "predict"). */
GtkWidget *swell_driver_view (Driver *d, const char *name);

/* swell-test-driver-layout.c: the window's size, style and layout, and the
 * Preferences window. */
Next swell_driver_style (Driver *d, guint argc, char **argv);
Next swell_driver_assert_style_color (Driver *d, guint argc, char **argv);
Next swell_driver_sidebar (Driver *d, guint argc, char **argv);
Next swell_driver_assert_switcher (Driver *d, guint argc, char **argv);
Next swell_driver_resize (Driver *d, guint argc, char **argv);
Next swell_driver_assert_fits (Driver *d, guint argc, char **argv);
Next swell_driver_preference (Driver *d, guint argc, char **argv);

/* swell-test-driver-a11y.c: accessible names and descriptions, and real key
 * events. */
Next swell_driver_assert_accessible (Driver *d, guint argc, char **argv);
Next swell_driver_assert_description (Driver *d, guint argc, char **argv);
Next swell_driver_key (Driver *d, guint argc, char **argv);
Next swell_driver_type (Driver *d, guint argc, char **argv);
Next swell_driver_assert_focus (Driver *d, guint argc, char **argv);
Next swell_driver_wait_focus (Driver *d, guint argc, char **argv);
/* swell-test-driver-results.c: the Results view's review, test matrix and TTA. */
Next swell_driver_gallery_split (Driver *d, guint argc, char **argv);
Next swell_driver_gallery_order (Driver *d, guint argc, char **argv);
Next swell_driver_gallery_move (Driver *d, guint argc, char **argv);
Next swell_driver_gallery_delete (Driver *d, guint argc, char **argv);
Next swell_driver_matrix (Driver *d, guint argc, char **argv);
Next swell_driver_tta (Driver *d, guint argc, char **argv);
Next swell_driver_print_gallery (Driver *d, guint argc, char **argv);
Next swell_driver_print_results (Driver *d, guint argc, char **argv);

/* swell-test-driver-heatmap.c: the Grad-CAM heatmap of the preview or of a
 * Predict view card. */
Next swell_driver_heatmap (Driver *d, guint argc, char **argv);
Next swell_driver_save_heatmap (Driver *d, guint argc, char **argv);
/* swell-test-driver-label.c: the Label view's suggestions and data banner. */
Next swell_driver_suggested (Driver *d, guint argc, char **argv);
Next swell_driver_print_suggestions (Driver *d, guint argc, char **argv);
Next swell_driver_select_suggestion (Driver *d, guint argc, char **argv);
Next swell_driver_accept_suggestion (Driver *d, guint argc, char **argv);
Next swell_driver_accept_above (Driver *d, guint argc, char **argv);
Next swell_driver_dialog_response (Driver *d, guint argc, char **argv);
Next swell_driver_wait_health (Driver *d, guint argc, char **argv);
Next swell_driver_health_details (Driver *d, guint argc, char **argv);

G_END_DECLS
