/* swell-results-preview.h: the Results view's image preview (a gallery
 * image activated, from the mistakes or a confusion-matrix cell): the photo
 * with its Grad-CAM heatmap (SwellHeatmap) and the prediction's caption. */
#pragma once

#include "swell-document.h"
#include "swell-results-model.h"
#include "swell-thumbnailer.h"

G_BEGIN_DECLS

/* Opens a modal window over `parent` for prediction p of run `run_id`
 * (0 when the run kept no model: no heatmap), whose categories are
 * class_names (NULL-terminated, index order). The thumbnail shows until
 * the full image is decoded on a worker thread. */
void swell_results_preview_open (GtkWindow *parent, SwellDocument *document, SwellThumbnailer *thumbnailer,
                                 SwellPredItem *p, gint64 run_id, const char *const *class_names);

G_END_DECLS
