/* swell-metrics.h: a run's interpretation for the views and swell-cli, on GLib
 * types: the confusion matrix of stored predictions, one prediction's margin,
 * how an accuracy is shown, the review orders (top losses, most unsure), the
 * "label may be wrong" rule and the run's test score.
 * Both are engine/metrics.c's (sw_confusion_from_labels, sw_top_margin); this is
 * the app's door to them, so that ui/ never calls the engine. */
#pragma once

#include <glib.h>

#include "swell-project.h"

G_BEGIN_DECLS

/* cm (n_classes x n_classes, rows actual): cm[actual * n_classes + predicted] =
 * count over n predictions; pairs with either index outside 0..n_classes-1 (an
 * image unlabeled when the run was made) are left out. */
void swell_metrics_confusion(const gint32 *actual, const gint32 *predicted, guint n, int n_classes,
                             gint32 *cm);
/* The same for a run's stored predictions (a GArray of SwellPrediction); free with
 * g_free. Never NULL (one element when n_classes is 0). */
gint32 *swell_metrics_confusion_of_predictions(GArray *predictions, int n_classes);

/* Top-1 minus top-2 probability (top-1 when n_classes is 1, 0 when there are no
 * classes): small means unsure. */
float swell_metrics_top_margin(const float *probs, int n_classes);

/* A fraction as a percentage rounded half up to one decimal, for "%.1f%%":
 * 53/80 shows as 66.3 whether it comes as a double or as a stored float
 * (printf alone gives 66.2 for the exact 66.25 and 66.3 for the float). The one
 * rounding of every accuracy Swell shows (window and swell-cli). */
double swell_percent(double fraction);
/* An accuracy (a fraction) as people read it everywhere: "66.3%" (swell_percent),
 * "—" when it is not finite (no epoch completed). Free with g_free. */
char *swell_accuracy_to_string(double fraction);

/* The orders of a review of labeled images (fastai's ImageClassifierCleaner). */
typedef enum {
  SWELL_REVIEW_TOP_LOSSES,  /* largest loss first */
  SWELL_REVIEW_MOST_UNSURE, /* smallest top-1 minus top-2 margin first */
} SwellReviewOrder;

/* "loss" or "unsure" (swell-cli report --order); FALSE for any other name. */
gboolean swell_review_order_from_name(const char *name, SwellReviewOrder *out);
/* Indices into `predictions` (a GArray of SwellPrediction, labeled ones) in that order,
 * ties by index; g_free. Never NULL. */
int *swell_metrics_review_order(GArray *predictions, SwellReviewOrder order);

/* The one rule of "label may be wrong": a labeled image that the model puts in
 * another class with probability >= SWELL_LABEL_DOUBT_PROB. */
#define SWELL_LABEL_DOUBT_PROB 0.9
gboolean swell_metrics_label_may_be_wrong(const SwellPrediction *pr);

/* A run's test score: its kept model on the test images, evaluated once at the end. */
typedef struct {
  int n_classes;
  int n_images;     /* test images counted */
  double accuracy;  /* correct / n_images */
  gint32 *matrix;   /* n_classes x n_classes, rows actual */
} SwellTestScore;

/* Reads the test score stored with `run_id`: FALSE without an error when the run
 * has none (no test images), FALSE with an error when it cannot be read. */
gboolean swell_metrics_load_test_score(SwellProject *project, gint64 run_id, SwellTestScore *out,
                                       GError **error);
void swell_test_score_clear(SwellTestScore *score);

G_END_DECLS
