/* swell-results-view.h: the Results view of a run: run history, the
 * interactive confusion matrix, and the gallery of mistakes (or of one
 * matrix cell) with relabel / move / delete and a large preview. */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"

G_BEGIN_DECLS

#define SWELL_TYPE_RESULTS_VIEW (swell_results_view_get_type ())
G_DECLARE_FINAL_TYPE (SwellResultsView, swell_results_view, SWELL, RESULTS_VIEW, GtkWidget)

void swell_results_view_set_document (SwellResultsView *self, SwellDocument *document);
/* Shows a matrix cell's images in the gallery; FALSE if out of range. */
gboolean swell_results_view_select_cell (SwellResultsView *self, int actual, int predicted);
/* The run shown (0 when none). */
gint64 swell_results_view_get_run (SwellResultsView *self);

/* Narrow window (a phone): the confusion matrix above the gallery instead
 * of beside it. */
void swell_results_view_set_narrow (SwellResultsView *self, gboolean narrow);

G_END_DECLS
