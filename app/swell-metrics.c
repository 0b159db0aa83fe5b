/* swell-metrics.c: see swell-metrics.h. */
#include "swell-config.h"

#include "swell-metrics.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "metrics.h"

G_STATIC_ASSERT(sizeof(gint32) == sizeof(int32_t));

void swell_metrics_confusion(const gint32 *actual, const gint32 *predicted, guint n, int n_classes,
                             gint32 *cm) {
  sw_confusion_from_labels(actual, predicted, (int)n, n_classes, cm);
}

gint32 *swell_metrics_confusion_of_predictions(GArray *predictions, int n_classes) {
  guint n = predictions->len;
  g_autofree gint32 *actual = g_new(gint32, MAX(n, 1));
  g_autofree gint32 *predicted = g_new(gint32, MAX(n, 1));
  for (guint i = 0; i < n; i++) {
    const SwellPrediction *pr = &g_array_index(predictions, SwellPrediction, i);
    actual[i] = pr->actual;
    predicted[i] = pr->predicted;
  }
  gint32 *cm = g_new0(gint32, MAX(n_classes * n_classes, 1));
  swell_metrics_confusion(actual, predicted, n, n_classes, cm);
  return cm;
}

float swell_metrics_top_margin(const float *probs, int n_classes) {
  return n_classes > 0 ? sw_top_margin(probs, n_classes) : 0.0f;
}

double swell_percent(double fraction) {
  /* float inputs carry ~1e-8 of noise: snap to 1e-6 first, then round half up */
  double tenths = round(fraction * 1e6) / 1e3;
  return floor(tenths + 0.5) / 10;
}

char *swell_accuracy_to_string(double fraction) {
  if (!isfinite(fraction)) return g_strdup("—");
  return g_strdup_printf("%.1f%%", swell_percent(fraction));
}

gboolean swell_review_order_from_name(const char *name, SwellReviewOrder *out) {
  if (g_strcmp0(name, "loss") == 0) *out = SWELL_REVIEW_TOP_LOSSES;
  else if (g_strcmp0(name, "unsure") == 0) *out = SWELL_REVIEW_MOST_UNSURE;
  else return FALSE;
  return TRUE;
}

int *swell_metrics_review_order(GArray *predictions, SwellReviewOrder order) {
  int n = (int)predictions->len;
  int C = n > 0 ? (int)g_array_index(predictions, SwellPrediction, 0).n_classes : 0;
  int *idx = g_new(int, MAX(n, 1));
  if (order == SWELL_REVIEW_TOP_LOSSES) {
    g_autofree float *losses = g_new(float, MAX(n, 1));
    for (int i = 0; i < n; i++) losses[i] = (float)g_array_index(predictions, SwellPrediction, i).loss;
    sw_top_losses(losses, n, idx);
    return idx;
  }
  g_autofree float *probs = g_new0(float, (gsize)MAX(n, 1) * MAX(C, 1));
  for (int i = 0; i < n; i++) {
    const SwellPrediction *pr = &g_array_index(predictions, SwellPrediction, i);
    memcpy(probs + (gsize)i * C, pr->probs, sizeof(float) * MIN((guint)C, pr->n_classes));
  }
  sw_most_unsure(probs, n, C, idx);
  return idx;
}

gboolean swell_metrics_label_may_be_wrong(const SwellPrediction *pr) {
  return pr->actual >= 0 && pr->predicted >= 0 && pr->predicted != pr->actual &&
         (guint)pr->predicted < pr->n_classes && pr->probs[pr->predicted] >= (float)SWELL_LABEL_DOUBT_PROB;
}

void swell_test_score_clear(SwellTestScore *score) {
  g_clear_pointer(&score->matrix, g_free);
  memset(score, 0, sizeof *score);
}

/* The matrix of {"classes": [...], "matrix": [[...]]} into `out`; FALSE when malformed. */
static gboolean parse_confusion(JsonNode *root, SwellTestScore *out) {
  JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  JsonArray *rows = o && json_object_has_member(o, "matrix")
                        ? json_object_get_array_member(o, "matrix") : NULL;
  int C = rows ? (int)json_array_get_length(rows) : 0;
  if (C < 1) return FALSE;
  out->n_classes = C;
  out->matrix = g_new0(gint32, C * C);
  int correct = 0;
  for (int i = 0; i < C; i++) {
    JsonNode *rn = json_array_get_element(rows, i);
    JsonArray *row = JSON_NODE_HOLDS_ARRAY(rn) ? json_node_get_array(rn) : NULL;
    if (!row || (int)json_array_get_length(row) != C) return FALSE;
    for (int j = 0; j < C; j++) {
      gint64 v = json_array_get_int_element(row, j);
      if (v < 0 || v > G_MAXINT32) return FALSE;
      out->matrix[i * C + j] = (gint32)v;
      out->n_images += (int)v;
      if (i == j) correct += (int)v;
    }
  }
  out->accuracy = out->n_images > 0 ? (double)correct / out->n_images : NAN;
  return TRUE;
}

gboolean swell_metrics_load_test_score(SwellProject *project, gint64 run_id, SwellTestScore *out,
                                       GError **error) {
  memset(out, 0, sizeof *out);
  g_autoptr(GError) err = NULL;
  g_autofree char *json = swell_project_get_test_confusion(project, run_id, &err);
  if (!json) {
    if (err) g_propagate_error(error, g_steal_pointer(&err));
    return FALSE;
  }
  g_autoptr(JsonNode) root = json_from_string(json, NULL);
  if (!root || !parse_confusion(root, out)) {
    swell_test_score_clear(out);
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_CORRUPT,
                _("%s: run %lld: the stored test confusion matrix is damaged"),
                swell_project_get_path(project), (long long)run_id);
    return FALSE;
  }
  return TRUE;
}
