/* swell-predict-view.h: the Predict view: drop or open photos and see the
 * top 3 classes with probabilities from the selected run's model. */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"

G_BEGIN_DECLS

#define SWELL_TYPE_PREDICT_VIEW (swell_predict_view_get_type ())
G_DECLARE_FINAL_TYPE (SwellPredictView, swell_predict_view, SWELL, PREDICT_VIEW, GtkWidget)

void swell_predict_view_set_document (SwellPredictView *self, SwellDocument *document);
void swell_predict_view_open_dialog (SwellPredictView *self);
/* Classifies image files (on a worker thread); results appear as they come. */
void swell_predict_view_classify_paths (SwellPredictView *self, const char *const *paths);

G_END_DECLS
