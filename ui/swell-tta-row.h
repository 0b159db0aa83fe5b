/* swell-tta-row.h: the Results view's "Test-time augmentation" switch: turned
 * on, it evaluates the run's model on its validation images with and without
 * TTA (swell_tta_evaluate_run_async: off the main thread, cancellable, a
 * spinner meanwhile) and shows both accuracies side by side. */
#pragma once

#include <gtk/gtk.h>

#include "swell-project.h"

G_BEGIN_DECLS

#define SWELL_TYPE_TTA_ROW (swell_tta_row_get_type ())
G_DECLARE_FINAL_TYPE (SwellTtaRow, swell_tta_row, SWELL, TTA_ROW, GtkWidget)

/* The run whose model is evaluated (project NULL or run_id 0: none, the
 * switch is insensitive). Cancels an evaluation running, turns the switch off. */
void swell_tta_row_set_run (SwellTtaRow *self, SwellProject *project, gint64 run_id);
/* Turns the switch on (starts the evaluation) or off (cancels it, hides the result). */
void swell_tta_row_set_active (SwellTtaRow *self, gboolean active);
/* The seed of TTA's random views (default 0, as swell-cli report --tta). */
void swell_tta_row_set_seed (SwellTtaRow *self, guint64 seed);
gboolean swell_tta_row_is_busy (SwellTtaRow *self);
/* The accuracies shown (centre crop, TTA) and the images evaluated; FALSE
 * while none is shown. */
gboolean swell_tta_row_get_result (SwellTtaRow *self, double *accuracy, double *tta_accuracy, int *n_images);

G_END_DECLS
