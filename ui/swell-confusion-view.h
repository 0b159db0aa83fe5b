/* swell-confusion-view.h: an interactive confusion matrix drawn in
 * snapshot(): counts, cells shaded by their share of the row (blue on the
 * diagonal, red off it), class names on both axes, tooltips, and a click (or
 * arrows + Enter or space; the keyboard's cell has an accent ring) on a cell
 * emits "cell-activated" (actual, predicted). Its accessible description
 * reads the cells as a table ("Actual cloudy: 18 predicted cloudy, 2
 * predicted rain; …"), its name says the keyboard's cell. */
#pragma once

#include <gtk/gtk.h>

#include "swell-results-model.h"

G_BEGIN_DECLS

#define SWELL_TYPE_CONFUSION_VIEW (swell_confusion_view_get_type ())
G_DECLARE_FINAL_TYPE (SwellConfusionView, swell_confusion_view, SWELL, CONFUSION_VIEW, GtkWidget)

GtkWidget *swell_confusion_view_new (void);
void swell_confusion_view_set_confusion (SwellConfusionView *self, SwellConfusion *confusion);
/* Highlights a cell (-1, -1 for none). */
void swell_confusion_view_set_selected (SwellConfusionView *self, int actual, int predicted);
/* The cell under a point, FALSE outside the cells. */
gboolean swell_confusion_view_cell_at (SwellConfusionView *self, double x, double y, int *actual, int *predicted);

G_END_DECLS
