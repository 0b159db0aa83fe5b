/* swell-test-driver-results.c: the test driver's commands on the Results
 * view's review (split and order of the gallery, the Valid/Test matrix, the
 * TTA switch) and what it shows (swell-test-window only). */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swell-test-driver-private.h"
#include "swell-test-hooks.h"

static SwellResultsView *
results (Driver *d)
{
  return SWELL_RESULTS_VIEW (swell_driver_view (d, "results"));
}

Next
swell_driver_gallery_split (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_set_review (results (d), argv[1]))
    swell_driver_fail (d, "gallery-split %s: not train, valid or both, or no split choice shown (no run, or a matrix cell)",
                       argv[1]);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_gallery_order (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_set_review_order (results (d), argv[1]))
    swell_driver_fail (d, "gallery-order %s: not loss or unsure", argv[1]);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_gallery_move (Driver *d, guint argc, char **argv)
{
  if (!swell_results_view_move_selected (results (d)))
    swell_driver_fail (d, "gallery-move: no gallery image selected");
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_gallery_delete (Driver *d, guint argc, char **argv)
{
  gtk_widget_activate_action (swell_driver_view (d, "results"), "results.delete", NULL);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_matrix (Driver *d, guint argc, char **argv)
{
  gboolean test = g_str_equal (argv[1], "test");
  if (!test && !g_str_equal (argv[1], "valid"))
    swell_driver_fail (d, "matrix %s: not valid or test", argv[1]);
  else if (!swell_results_view_show_test_matrix (results (d), test))
    swell_driver_fail (d, "matrix %s: the run shown has no Valid/Test choice (no test images)", argv[1]);
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_tta (Driver *d, guint argc, char **argv)
{
  gboolean on = g_str_equal (argv[1], "on");
  if (!on && !g_str_equal (argv[1], "off")) {
    swell_driver_fail (d, "tta %s: not on or off", argv[1]);
    return NEXT_AFTER_DRAW;
  }
  SwellTtaRow *row = swell_results_view_get_tta_row (results (d));
  if (argc == 3)
    swell_tta_row_set_seed (row, g_ascii_strtoull (argv[2], NULL, 10));
  swell_tta_row_set_active (row, on);
  if (on && !swell_tta_row_is_busy (row))
    swell_driver_fail (d, "the TTA switch started no evaluation");
  return NEXT_AFTER_DRAW;
}

static void
print_lines (const char *what, char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      printf ("swell-test: %s\t%s\n", what, lines[i]);
  fflush (stdout);
  g_free (text);
}

Next
swell_driver_print_gallery (Driver *d, guint argc, char **argv)
{
  print_lines ("gallery", swell_results_view_describe_gallery (results (d)));
  return NEXT_AFTER_DRAW;
}

Next
swell_driver_print_results (Driver *d, guint argc, char **argv)
{
  print_lines ("results", swell_results_view_describe (results (d)));
  return NEXT_AFTER_DRAW;
}
