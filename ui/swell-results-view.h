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
/* Opens the preview of the first gallery image; FALSE if the gallery is empty. */
gboolean swell_results_view_preview_first (SwellResultsView *self);
/* Selects the n-th gallery image (FALSE if there is none). */
gboolean swell_results_view_select_gallery (SwellResultsView *self, guint n);
/* The run shown (0 when none). */
gint64 swell_results_view_get_run (SwellResultsView *self);

G_END_DECLS
