/* test_predict: "none of these" and test-time augmentation (app/swell-predict.c)
 * on a model trained in seconds (weather4_small, MobileNetV2 0.35 body, 32x32,
 * fine_tune(1)):
 *  - the run stores an unknown threshold in its model: the 5th percentile of
 *    the energy scores of the correctly predicted validation images, which the
 *    test recomputes through the classifier;
 *  - about 5% of the correct validation images fall below it, and
 *    swell_classifier_predict's flag is exactly "score < threshold";
 *  - a model without a threshold never flags;
 *  - TTA is deterministic for a seed and independent of the other images,
 *    another seed gives other views, the blend is a probability vector, and
 *    swell_tta_evaluate_run's centre-crop accuracy is the run's, also through
 *    swell_tta_evaluate_run_async on a worker thread. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "swell-import.h"
#include "swell-inference-private.h"
#include "swell-predict.h"
#include "swell-trainer.h"
#include "testutil.h"

static gint64 train(const char *path, const char *weights, SwellKeep keep, int epochs) {
  SwellTrainOptions o;
  swell_train_options_init(&o);
  o.keep = keep;
  g_free(o.arch);
  o.arch = g_strdup("mobilenet_v2");
  o.weights_path = g_strdup(weights);
  o.epochs = epochs;
  o.size = 32;
  o.threads = 2;
  g_autoptr(SwellTrainer) t = swell_trainer_new(path, SWELL_TRAINER_FINE_TUNE, &o);
  swell_train_options_clear(&o);
  swell_trainer_run(t);
  if (keep == SWELL_KEEP_BEST) printf("kept epoch %d\n", swell_trainer_get_kept_epoch(t));
  const GError *err = swell_trainer_get_error(t);
  CHECK(swell_trainer_get_status(t) == SWELL_RUN_COMPLETED, "train: %s", err ? err->message : "");
  return swell_trainer_get_run_id(t);
}

static SwellRgbImage *image_of(SwellProject *p, gint64 id) {
  g_autoptr(GBytes) bytes = swell_project_get_image_bytes(p, id, NULL);
  return bytes ? swell_image_decode_bytes(bytes, "image", NULL) : NULL;
}

/* The threshold is the 5th percentile of the correct validation images' scores. */
static void test_threshold(SwellProject *p, SwellClassifier *c, GArray *preds) {
  float t = swell_classifier_get_unknown_threshold(c);
  CHECK(isfinite(t), "the stored model has a threshold (%g)", t);
  int C = swell_classifier_num_classes(c), k = 0, flagged = 0, mismatch = 0;
  g_autofree float *scores = g_new(float, preds->len);
  float z[8], probs[8];
  for (guint i = 0; i < preds->len; i++) {
    const SwellPrediction *pr = &g_array_index(preds, SwellPrediction, i);
    g_autoptr(SwellRgbImage) img = image_of(p, pr->image_id);
    gboolean unknown = FALSE;
    if (!img || !swell_classifier_classify_logits(c, img, z, NULL) ||
        !swell_classifier_predict(c, img, NULL, probs, NULL, &unknown, NULL)) {
      CHECK(FALSE, "image %" G_GINT64_FORMAT, pr->image_id);
      continue;
    }
    float s = sw_energy_score(z, C);
    mismatch += unknown != (s < t);
    if (sw_argmax(z, C) != pr->actual) continue;
    scores[k++] = s;
    flagged += unknown;
  }
  float want = sw_quantile(scores, k, SWELL_UNKNOWN_QUANTILE);
  printf("threshold %.4f (recomputed %.4f), %d of %d correct valid images flagged\n", t, want,
         flagged, k);
  CHECK(fabsf(t - want) < 1e-3f * (1 + fabsf(want)), "threshold %g, recomputed %g", t, want);
  CHECK(mismatch == 0, "%d flags are not score < threshold", mismatch);
  CHECK(k >= 20 && flagged >= 1 && flagged <= k / 10 + 1, "%d of %d correct flagged", flagged, k);
}

static void test_no_threshold(SwellProjectModel *pm, SwellProject *p, GArray *preds) {
  /* the same weights without the unknown keys: a model stored before */
  sw_state_dict sd;
  gsize len;
  const void *data = g_bytes_get_data(pm->weights, &len);
  char err[256];
  CHECK(sw_safetensors_read_mem(data, len, "m", &sd, err, sizeof err) == 0, "%s", err);
  int renamed = 0;
  for (int i = 0; i < sd.metadata_count; i++)
    if (g_str_has_prefix(sd.metadata[i].key, "unknown_")) {
      sd.metadata[i].key[0] = 'x'; /* "xnknown_...": a key the reader ignores */
      renamed++;
    }
  CHECK(renamed == 2, "%d unknown_ keys in the stored model", renamed);
  SwellProjectModel old = *pm;
  void *bytes = NULL;
  size_t n = 0;
  sw_safetensors_write_mem(&sd, &bytes, &n, err, sizeof err);
  sw_state_dict_free(&sd);
  old.weights = g_bytes_new_with_free_func(bytes, n, free, bytes);
  g_autoptr(SwellClassifier) oc = swell_classifier_new_for_model(&old, NULL);
  CHECK(oc && isnan(swell_classifier_get_unknown_threshold(oc)), "old model: no threshold");
  float z[8] = {-100, -100, -100, -100}, probs[8];
  int flagged = 0;
  CHECK(oc && !swell_classifier_is_unknown(oc, z), "old model never flags, even at -100");
  for (guint i = 0; oc && i < preds->len; i += 4) {
    g_autoptr(SwellRgbImage) img = image_of(p, g_array_index(preds, SwellPrediction, i).image_id);
    gboolean unknown = TRUE;
    if (img && swell_classifier_predict(oc, img, NULL, probs, NULL, &unknown, NULL))
      flagged += unknown;
  }
  CHECK(flagged == 0, "old model flagged %d images", flagged);
  g_bytes_unref(old.weights);
}

static void on_done(GObject *source, GAsyncResult *res, gpointer data) {
  *(GAsyncResult **)data = g_object_ref(res);
}

static void test_tta(SwellProject *p, SwellClassifier *c, GArray *preds, const SwellRunInfo *run) {
  g_autoptr(SwellRgbImage) img = image_of(p, g_array_index(preds, SwellPrediction, 0).image_id);
  SwellAugSettings aug;
  swell_aug_settings_for_run(&aug, p, run->id);
  SwellPredictOptions a = {TRUE, 0, &aug}, b = {TRUE, 1, &aug};
  float p1[8], p2[8], p3[8], plain[8], centre[8];
  CHECK(img && swell_classifier_predict(c, img, &a, p1, plain, NULL, NULL) &&
            swell_classifier_predict(c, img, &a, p2, NULL, NULL, NULL) &&
            swell_classifier_predict(c, img, &b, p3, NULL, NULL, NULL) &&
            swell_classifier_predict(c, img, NULL, centre, NULL, NULL, NULL),
        "tta predictions");
  int C = swell_classifier_num_classes(c);
  double sum = 0;
  for (int k = 0; k < C; k++) sum += p1[k];
  CHECK(memcmp(p1, p2, sizeof(float) * C) == 0, "same seed, same TTA probabilities");
  CHECK(memcmp(p1, p3, sizeof(float) * C) != 0, "another seed, other views");
  CHECK(memcmp(plain, centre, sizeof(float) * C) == 0 && memcmp(p1, centre, sizeof(float) * C) != 0,
        "plain is the centre crop, the blend is not");
  CHECK(fabs(sum - 1) < 1e-5, "the blend sums to %g", sum);
  /* views mean = (blend - beta * plain) / (1 - beta) is a probability vector too */
  for (int k = 0; k < C; k++) {
    float m = (p1[k] - (float)SWELL_TTA_BETA * plain[k]) / (1 - (float)SWELL_TTA_BETA);
    CHECK(m >= -1e-6f && m <= 1 + 1e-6f, "views' mean %d: %g", k, m);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellTtaEvaluation) e = swell_tta_evaluate_run(p, 0, 0, NULL, &error);
  g_autoptr(SwellTtaEvaluation) e2 = swell_tta_evaluate_run(p, run->id, 0, NULL, NULL);
  CHECK(e && e2 && e->n == 80 && e->run_id == run->id, "evaluated %d: %s", e ? e->n : -1,
        error ? error->message : "");
  if (!e || !e2 || e->n != 80) return;
  printf("TTA on 80 valid images: accuracy %.4f plain, %.4f with TTA (run %.4f)\n", e->accuracy,
         e->tta_accuracy, run->accuracy);
  CHECK(fabs(e->accuracy - run->accuracy) < 1.5 / 80, "plain %g vs run %g", e->accuracy,
        run->accuracy);
  CHECK(memcmp(e->tta_probs, e2->tta_probs, sizeof(float) * 80 * C) == 0, "evaluation repeats");
  /* image 0 as evaluated among the others is image 0 alone */
  CHECK(e->image_ids[0] == g_array_index(preds, SwellPrediction, 0).image_id &&
            memcmp(e->tta_probs, p1, sizeof(float) * C) == 0,
        "an image's TTA does not depend on the other images");
  /* the async form (the Results view's switch) gives the same on its own connection */
  g_autoptr(GAsyncResult) res = NULL;
  swell_tta_evaluate_run_async(p, 0, 0, NULL, on_done, &res);
  while (!res) g_main_context_iteration(NULL, TRUE);
  g_autoptr(SwellTtaEvaluation) ea = swell_tta_evaluate_run_finish(p, res, NULL);
  CHECK(ea && ea->n == 80 && memcmp(ea->tta_probs, e->tta_probs, sizeof(float) * 80 * C) == 0 &&
            ea->accuracy == e->accuracy,
        "async evaluation");
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_cancellable_cancel(cancel);
  g_clear_error(&error);
  g_autoptr(SwellTtaEvaluation) none = swell_tta_evaluate_run(p, 0, 0, cancel, &error);
  CHECK(!none && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "cancelled");
}

static void test_calibrate(void) {
  const float z[3 * 2] = {2, 0, 0, 3, 5, 0};
  const gint32 labels[3] = {0, 1, 1}; /* the third is predicted wrong */
  float right[2] = {sw_energy_score(z, 2), sw_energy_score(z + 2, 2)};
  float want = sw_quantile(right, 2, 0.05);
  CHECK(fabsf(swell_unknown_calibrate(z, labels, 3, 2) - want) < 1e-6f && fabsf(want - 2.1730f) < 1e-3f,
        "calibrate: %g, want %g", swell_unknown_calibrate(z, labels, 3, 2), want);
  const gint32 wrong[3] = {1, 0, 1};
  CHECK(isnan(swell_unknown_calibrate(z, wrong, 3, 2)) && isnan(swell_unknown_calibrate(NULL, labels, 0, 2)),
        "no correct prediction, no validation: NAN");
}

/* TTA augments as the run was trained: its stored "aug" list and values. */
static void test_aug_of_run(void) {
  SwellAugSettings s, recipe;
  swell_aug_settings_init(&recipe);
  swell_aug_settings_from_hyperparams(&s, NULL);
  CHECK(memcmp(&s, &recipe, sizeof s) == 0, "no hyper-parameters: the recipe");
  swell_aug_settings_from_hyperparams(&s, "{\"augment\": true, \"aug\": [\"crop\", \"rotate\"], "
                                          "\"min_scale\": 0.5, \"max_rotate\": 15}");
  CHECK(s.on[SWELL_AUG_CROP] && s.on[SWELL_AUG_ROTATE] && !s.on[SWELL_AUG_FLIP] &&
            !s.on[SWELL_AUG_LIGHTING] && s.value[SWELL_AUG_CROP] == 0.5 &&
            s.value[SWELL_AUG_ROTATE] == 15 && s.value[SWELL_AUG_WARP] == recipe.value[SWELL_AUG_WARP],
        "crop 0.5 + rotate 15");
  swell_aug_settings_from_hyperparams(&s, "{\"augment\": false, \"aug\": []}");
  gboolean any = FALSE;
  for (int a = 0; a < SWELL_N_AUGS; a++) any |= s.on[a];
  CHECK(!any, "--no-augment: no augmentation");
  swell_aug_settings_from_hyperparams(&s, "{\"base_lr\": 0.002}");
  CHECK(memcmp(&s, &recipe, sizeof s) == 0, "a run from before the aug list: the recipe");
}

int main(void) {
  test_calibrate();
  test_aug_of_run();
  g_autofree char *tmp = g_build_filename(g_getenv("SWELL_TMP") ? g_getenv("SWELL_TMP") : "/tmp",
                                          "predict", NULL);
  g_mkdir_with_parents(tmp, 0755);
  g_autofree char *path = g_build_filename(tmp, "p.swell", NULL);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_unlink(path);
  g_unlink(wal);
  char *data = sw_test_shared_path("datasets/weather4_small");
  char *weights = sw_test_shared_path("weights/mobilenet_v2_0.35_imagenet_notop.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &error);
  CHECK(p != NULL, "create: %s", error ? error->message : "");
  if (!p) return sw_test_finish();
  SwellImportOptions io;
  swell_import_options_init(&io);
  const char *paths[] = {data, NULL};
  g_autoptr(SwellImportResult) ir = swell_import_paths(p, paths, &io, NULL, NULL, NULL, &error);
  CHECK(ir && ir->n_imported == 280, "imported %u", ir ? ir->n_imported : 0);
  gint64 run_id = train(path, weights, SWELL_KEEP_LAST, 1);
  g_autoptr(SwellRunInfo) run = swell_project_get_run(p, run_id, NULL);
  g_autoptr(SwellProjectModel) pm = swell_project_load_model(p, run_id, &error);
  g_autoptr(SwellClassifier) c = pm ? swell_classifier_new_for_model(pm, &error) : NULL;
  g_autoptr(GArray) preds = swell_project_list_predictions(p, run_id, NULL);
  CHECK(run && c && preds && preds->len == 80, "model: %s", error ? error->message : "");
  if (run && c && preds && preds->len == 80) {
    test_threshold(p, c, preds);
    test_no_threshold(pm, p, preds);
    test_tta(p, c, preds, run);
  }
  /* Keep best: the threshold matches the kept model too (calibrated on its own validation pass
   * when an earlier epoch was kept). */
  gint64 best_id = train(path, weights, SWELL_KEEP_BEST, 4);
  g_autoptr(SwellRunInfo) best = swell_project_get_run(p, best_id, NULL);
  g_autoptr(SwellProjectModel) bm = swell_project_load_model(p, best_id, &error);
  g_autoptr(SwellClassifier) bc = bm ? swell_classifier_new_for_model(bm, &error) : NULL;
  g_autoptr(GArray) bpreds = swell_project_list_predictions(p, best_id, NULL);
  CHECK(best && bc && bpreds && bpreds->len == 80, "keep best: %s", error ? error->message : "");
  if (best && bc && bpreds && bpreds->len == 80) test_threshold(p, bc, bpreds);
  free(data);
  free(weights);
  return sw_test_finish();
}
