/* swell-predict.c: "none of these" and test-time augmentation on top of
 * SwellClassifier (see swell-predict.h). */
#include "swell-config.h"

#include "swell-predict.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "layers.h"
#include "metrics.h"
#include "swell-inference-private.h"
#include "swell-loader.h"
#include "swell-transforms.h"

/* On weather4_small (mobilenet_v2, 5 epochs, seed 0) the energy score separated photos
 * of other things (hymenoptera's 397 ants and bees, 3 photos of ../shared/weights) a
 * little better than the maximum softmax probability: AUROC 0.771 vs 0.756, and at
 * the 5th percentile 52/400 vs 45/400 of them flagged (6/80 vs 5/80 valid images). */
float swell_unknown_calibrate(const float *logits, const gint32 *labels, int n, int n_classes) {
  if (!logits || n <= 0) return NAN;
  g_autofree float *scores = g_new(float, n);
  int k = 0;
  for (int i = 0; i < n; i++) {
    const float *z = logits + (gsize)i * n_classes;
    if (sw_argmax(z, n_classes) == labels[i]) scores[k++] = sw_energy_score(z, n_classes);
  }
  return sw_quantile(scores, k, SWELL_UNKNOWN_QUANTILE);
}

float swell_classifier_get_unknown_threshold(const SwellClassifier *c) {
  return swell_classifier_get_spec(c)->unknown_threshold;
}

gboolean swell_classifier_is_unknown(const SwellClassifier *c, const float *logits) {
  float t = swell_classifier_get_unknown_threshold(c);
  return isfinite(t) && sw_energy_score(logits, swell_classifier_num_classes(c)) < t;
}

/* FNV-1a over the pixels: the image's key for its TTA draws. */
static guint64 pixels_key(const SwellRgbImage *img) {
  guint64 h = 0xcbf29ce484222325ull;
  gsize n = (gsize)img->width * img->height * 3;
  for (gsize i = 0; i < n; i++) h = (h ^ img->pixels[i]) * 0x100000001b3ull;
  return h ^ ((guint64)img->width << 32 | (guint64)img->height);
}

/* Adds the softmax of SWELL_TTA_VIEWS augmented views of img, each / views, to mean. */
static gboolean tta_views(SwellClassifier *c, const SwellRgbImage *img, guint64 seed,
                          const SwellAugSettings *settings, float *mean, GError **error) {
  const SwellModelSpec *spec = swell_classifier_get_spec(c);
  int S = spec->input_size, C = spec->num_classes;
  SwellLoaderConfig lc;
  swell_loader_config_init(&lc, S, 1, TRUE);
  SwellAugSettings recipe;
  swell_aug_settings_init(&recipe);
  SwellAugmentConfig aug;
  swell_augment_config_from_settings(&aug, S, settings ? settings : &recipe);
  g_autoptr(SwellRgbImage) small = swell_transform_train_image(img, swell_loader_cache_side(&lc));
  if (!small) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("out of memory while preparing the image"));
    return FALSE;
  }
  guint64 key = pixels_key(small);
  g_autofree float *input = g_new(float, (gsize)3 * S * S);
  g_autofree float *p = g_new(float, C);
  for (int v = 0; v < SWELL_TTA_VIEWS; v++) {
    swell_transform_train(small, &aug, swell_augment_sample_seed(seed, (guint64)v, key),
                          spec->mean, spec->std, input);
    if (!swell_classifier_forward(c, input, p, error)) return FALSE;
    sw_softmax(p, p, 1, C);
    for (int k = 0; k < C; k++) mean[k] += p[k] / SWELL_TTA_VIEWS;
  }
  return TRUE;
}

gboolean swell_classifier_predict(SwellClassifier *c, const SwellRgbImage *img,
                                  const SwellPredictOptions *opts, float *probs, float *plain,
                                  gboolean *unknown, GError **error) {
  int C = swell_classifier_num_classes(c);
  g_autofree float *z = g_new(float, C);
  if (!swell_classifier_classify_logits(c, img, z, error)) return FALSE;
  if (unknown) *unknown = swell_classifier_is_unknown(c, z);
  sw_softmax(z, z, 1, C);
  if (plain) memcpy(plain, z, sizeof(float) * (size_t)C);
  if (!opts || !opts->tta) {
    memcpy(probs, z, sizeof(float) * (size_t)C);
    return TRUE;
  }
  g_autofree float *mean = g_new0(float, C);
  if (!tta_views(c, img, opts->seed, opts->aug, mean, error)) return FALSE;
  /* torch.lerp(aug_preds, preds, beta) */
  for (int k = 0; k < C; k++) probs[k] = mean[k] + (float)SWELL_TTA_BETA * (z[k] - mean[k]);
  return TRUE;
}

gboolean swell_classifier_predict_file(SwellClassifier *c, const char *path,
                                       const SwellPredictOptions *opts, float *probs,
                                       float *plain, gboolean *unknown, GError **error) {
  g_autoptr(SwellRgbImage) img = swell_image_decode_file(path, error);
  return img && swell_classifier_predict(c, img, opts, probs, plain, unknown, error);
}

/* ------------------------------------------------------------ a run's validation images */

void swell_aug_settings_from_hyperparams(SwellAugSettings *s, const char *hyperparams_json) {
  swell_aug_settings_init(s);
  g_autoptr(JsonNode) root = hyperparams_json ? json_from_string(hyperparams_json, NULL) : NULL;
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  if (!o) return;
  JsonNode *aug = json_object_get_member(o, "aug");
  JsonArray *names = aug && JSON_NODE_HOLDS_ARRAY(aug) ? json_node_get_array(aug) : NULL;
  if (names) {
    for (int a = 0; a < SWELL_N_AUGS; a++) s->on[a] = FALSE;
    for (guint i = 0; i < json_array_get_length(names); i++) {
      int a = swell_aug_from_name(json_array_get_string_element(names, i));
      if (a >= 0) s->on[a] = TRUE;
    }
  }
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const char *key = swell_aug_info(a)->value_name;
    if (key) s->value[a] = json_object_get_double_member_with_default(o, key, s->value[a]);
  }
  if (!json_object_get_boolean_member_with_default(o, "augment", TRUE))
    for (int a = 0; a < SWELL_N_AUGS; a++) s->on[a] = FALSE;
}

void swell_tta_evaluation_free(SwellTtaEvaluation *e) {
  if (!e) return;
  g_free(e->image_ids);
  g_free(e->actual);
  g_free(e->probs);
  g_free(e->tta_probs);
  g_free(e);
}

void swell_aug_settings_for_run(SwellAugSettings *s, SwellProject *project, gint64 run_id) {
  g_autoptr(SwellRunInfo) run = swell_project_get_run(project, run_id, NULL);
  swell_aug_settings_from_hyperparams(s, run ? run->hyperparams_json : NULL);
}

/* The stored predictions of the run whose images are in the valid split now. */
static GArray *valid_predictions(SwellProject *p, gint64 run_id, GError **error) {
  g_autoptr(GArray) all = swell_project_list_predictions(p, run_id, error);
  if (!all) return NULL;
  GArray *valid = g_array_new(FALSE, FALSE, sizeof(SwellPrediction));
  for (guint i = 0; i < all->len; i++) {
    const SwellPrediction *pr = &g_array_index(all, SwellPrediction, i);
    g_autoptr(SwellProjectImage) img = swell_project_get_image(p, pr->image_id, NULL);
    if (!img || img->split != SWELL_SPLIT_VALID) continue;
    SwellPrediction copy = {.image_id = pr->image_id, .actual = pr->actual};
    g_array_append_val(valid, copy);
  }
  return valid;
}

/* Image k of e through the classifier, plain and TTA. */
static gboolean evaluate_image(SwellProject *p, SwellClassifier *c, SwellTtaEvaluation *e, int k,
                               const SwellPredictOptions *opts, GError **error) {
  g_autoptr(GBytes) bytes = swell_project_get_image_bytes(p, e->image_ids[k], error);
  if (!bytes) return FALSE;
  g_autofree char *name = g_strdup_printf(_("image %lld"), (long long)e->image_ids[k]);
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(bytes, name, error);
  gsize off = (gsize)k * e->n_classes;
  return img && swell_classifier_predict(c, img, opts, e->tta_probs + off, e->probs + off, NULL,
                                         error);
}

static double accuracy_of(const float *probs, const gint32 *actual, int n, int C) {
  return n > 0 ? sw_accuracy(probs, actual, n, C) : NAN;
}

SwellTtaEvaluation *swell_tta_evaluate_run(SwellProject *project, gint64 run_id, guint64 seed,
                                           GCancellable *cancellable, GError **error) {
  g_autoptr(SwellProjectModel) pm = swell_project_load_model(project, run_id, error);
  if (!pm) return NULL;
  g_autoptr(SwellClassifier) c = swell_classifier_new_for_model(pm, error);
  if (!c) return NULL;
  g_autoptr(GArray) preds = valid_predictions(project, pm->run_id, error);
  if (!preds) return NULL;
  SwellAugSettings aug;
  swell_aug_settings_for_run(&aug, project, pm->run_id);
  SwellPredictOptions opts = {TRUE, seed, &aug};
  g_autoptr(SwellTtaEvaluation) e = g_new0(SwellTtaEvaluation, 1);
  e->run_id = pm->run_id;
  e->n = (int)preds->len;
  e->n_classes = swell_classifier_num_classes(c);
  e->image_ids = g_new(gint64, MAX(e->n, 1));
  e->actual = g_new(gint32, MAX(e->n, 1));
  e->probs = g_new(float, (gsize)MAX(e->n, 1) * e->n_classes);
  e->tta_probs = g_new(float, (gsize)MAX(e->n, 1) * e->n_classes);
  for (int k = 0; k < e->n; k++) {
    e->image_ids[k] = g_array_index(preds, SwellPrediction, k).image_id;
    e->actual[k] = g_array_index(preds, SwellPrediction, k).actual;
    if (g_cancellable_set_error_if_cancelled(cancellable, error) ||
        !evaluate_image(project, c, e, k, &opts, error))
      return NULL;
  }
  e->accuracy = accuracy_of(e->probs, e->actual, e->n, e->n_classes);
  e->tta_accuracy = accuracy_of(e->tta_probs, e->actual, e->n, e->n_classes);
  return g_steal_pointer(&e);
}

typedef struct {
  char *path;
  gint64 run_id;
  guint64 seed;
} TtaTask;

static void tta_task_free(TtaTask *t) {
  g_free(t->path);
  g_free(t);
}

static void tta_thread(GTask *task, gpointer source, gpointer task_data,
                       GCancellable *cancellable) {
  TtaTask *t = task_data;
  GError *error = NULL;
  g_autoptr(SwellProject) own = swell_project_open(t->path, &error);
  SwellTtaEvaluation *e = own ? swell_tta_evaluate_run(own, t->run_id, t->seed, cancellable, &error)
                              : NULL;
  if (e)
    g_task_return_pointer(task, e, (GDestroyNotify)swell_tta_evaluation_free);
  else
    g_task_return_error(task, error);
}

void swell_tta_evaluate_run_async(SwellProject *project, gint64 run_id, guint64 seed,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data) {
  g_return_if_fail(SWELL_IS_PROJECT(project));
  g_autoptr(GTask) task = g_task_new(project, cancellable, callback, user_data);
  g_task_set_source_tag(task, swell_tta_evaluate_run_async);
  TtaTask *t = g_new0(TtaTask, 1);
  t->path = g_strdup(swell_project_get_path(project));
  t->run_id = run_id;
  t->seed = seed;
  g_task_set_task_data(task, t, (GDestroyNotify)tta_task_free);
  g_task_run_in_thread(task, tta_thread);
}

SwellTtaEvaluation *swell_tta_evaluate_run_finish(SwellProject *project, GAsyncResult *result,
                                                  GError **error) {
  g_return_val_if_fail(g_task_is_valid(result, project), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}
