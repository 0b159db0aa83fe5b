/* test_trainer: the SwellTrainer job API the window uses, on real photos
 * ($SWELL_SHARED/datasets/weather4_small) with the small MobileNetV2 0.35
 * feature extractor at 32x32 so it runs in seconds:
 *  - "batch", "epoch" and "finished" arrive on the caller's main context (the
 *    main thread), in order, with fastai's fine_tune stages;
 *  - the run, every point, every epoch, the predictions, the confusion matrix
 *    and the model are stored, and the stored model loads back;
 *  - cancelling from the main loop after the first epoch keeps that epoch's
 *    model and marks the run cancelled;
 *  - the kept model's predictions of the training images (eval mode, the
 *    validation transform: the same as SwellClassifier on the stored model), of
 *    unlabeled images (actual -1) and of test images, scored once as the run's
 *    test score; test images are never trained on; a cancelled run stores them too;
 *  - keep best: the model, predictions and confusion of the lowest validation loss;
 *  - a missing weights file fails with a message naming it. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "swell-import.h"
#include "swell-inference-private.h"
#include "swell-trainer.h"
#include "testutil.h"

typedef struct {
  GThread *main_thread;
  int n_batch, n_epoch, n_finished;
  int n_batch_epoch1; /* batches seen when the first epoch's signal arrived */
  gboolean off_thread;
  gint64 last_iteration;
  gboolean in_order;
  int stages[8];
  int cancel_after_epoch; /* 0-based; -1: never */
} Seen;

static void on_batch(SwellTrainer *t, const SwellTrainerBatch *b, Seen *s) {
  if (g_thread_self() != s->main_thread) s->off_thread = TRUE;
  if (b->iteration != s->last_iteration + 1) s->in_order = FALSE;
  s->last_iteration = b->iteration;
  s->n_batch++;
}

static void on_epoch(SwellTrainer *t, const SwellEpochMetrics *m, Seen *s) {
  if (g_thread_self() != s->main_thread) s->off_thread = TRUE;
  if (s->n_epoch == 0) s->n_batch_epoch1 = s->n_batch;
  if (s->n_epoch < 8) s->stages[s->n_epoch] = (int)m->stage;
  s->n_epoch++;
  if (s->n_epoch - 1 == s->cancel_after_epoch) swell_trainer_cancel(t);
}

static void on_finished(SwellTrainer *t, Seen *s) { s->n_finished++; }

static SwellKeep keep_option = SWELL_KEEP_LAST;
static double lr_option = 2e-3;

static SwellTrainer *run(const char *path, const char *weights, int epochs, Seen *s,
                         int cancel_after_epoch) {
  SwellTrainOptions o;
  swell_train_options_init(&o);
  o.keep = keep_option;
  o.lr = lr_option;
  g_free(o.arch);
  o.arch = g_strdup("mobilenet_v2");
  o.weights_path = g_strdup(weights);
  o.epochs = epochs;
  o.size = 32;
  o.threads = 2;
  memset(s, 0, sizeof *s);
  s->main_thread = g_thread_self();
  s->last_iteration = -1;
  s->in_order = TRUE;
  s->cancel_after_epoch = cancel_after_epoch;
  SwellTrainer *t = swell_trainer_new(path, SWELL_TRAINER_FINE_TUNE, &o);
  swell_train_options_clear(&o);
  g_signal_connect(t, "batch", G_CALLBACK(on_batch), s);
  g_signal_connect(t, "epoch", G_CALLBACK(on_epoch), s);
  g_signal_connect(t, "finished", G_CALLBACK(on_finished), s);
  swell_trainer_run(t);
  return t;
}

/* The training images' stored predictions: every labeled one, the same as the stored
 * model gives through SwellClassifier (eval mode, resize + centre crop); the last
 * epoch kept; no test images, no test score. */
static void check_train_predictions(SwellProject *p, SwellTrainer *t, SwellProjectModel *pm,
                                    guint n_train) {
  g_autoptr(GError) error = NULL;
  gint64 run_id = swell_trainer_get_run_id(t);
  g_autoptr(GArray) tp = swell_project_list_predictions_of(p, run_id, SWELL_PREDICTIONS_TRAIN,
                                                           &error);
  CHECK(tp && tp->len == n_train, "%u train predictions", tp ? tp->len : 0);
  g_autoptr(SwellClassifier) cls = pm ? swell_classifier_new_for_model(pm, &error) : NULL;
  for (guint i = 0; cls && tp && i < tp->len; i += 37) {
    const SwellPrediction *pr = &g_array_index(tp, SwellPrediction, i);
    g_autoptr(GBytes) bytes = swell_project_get_image_bytes(p, pr->image_id, &error);
    g_autoptr(SwellRgbImage) img = bytes ? swell_image_decode_bytes(bytes, "train image", &error) : NULL;
    float probs[4];
    CHECK(img && swell_classifier_classify(cls, img, probs, &error), "classify %u", i);
    double worst = 0;
    for (int c = 0; img && c < 4; c++) worst = MAX(worst, fabs(probs[c] - pr->probs[c]));
    CHECK(worst < 1e-4 && pr->split == SWELL_SPLIT_TRAIN && pr->actual >= 0 &&
              fabs(pr->loss + log(pr->probs[pr->actual])) < 1e-3,
          "train prediction %u: %g from the classifier's", i, worst);
  }
  CHECK(swell_trainer_get_kept_epoch(t) == 1, "kept epoch %d", swell_trainer_get_kept_epoch(t));
  CHECK(!swell_trainer_get_test_confusion(t, NULL) && isnan(swell_trainer_get_test_accuracy(t)),
        "no test images: no test score");
  g_autofree char *no_test = swell_project_get_test_confusion(p, run_id, &error);
  CHECK(!no_test && !error, "no test confusion stored");
}

/* 20 training images to test, 10 unlabeled: 170 left to train on (10 batches). */
static void move_to_test_and_unlabel(SwellProject *p, gint64 *to_test, gint64 *to_unlabel) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) train_imgs = swell_project_list_images(
      p, &(SwellImageQuery){SWELL_CATEGORY_LABELED, SWELL_SPLIT_TRAIN, 0, 0}, &error);
  for (int i = 0; i < 30; i++) {
    gint64 id = ((SwellProjectImage *)train_imgs->pdata[i * 6])->id;
    if (i < 20) to_test[i] = id;
    else to_unlabel[i - 20] = id;
  }
  CHECK(swell_project_set_split(p, to_test, 20, SWELL_SPLIT_TEST, &error) &&
            swell_project_clear_label(p, to_unlabel, 10, &error),
        "test split and unlabeled images");
}

/* The cancelled run's unlabeled and test predictions, and its test score. */
static void check_test_and_unlabeled(SwellProject *p, SwellTrainer *c, const gint64 *test,
                                     const gint64 *unlabeled) {
  g_autoptr(GError) error = NULL;
  gint64 run_id = swell_trainer_get_run_id(c);
  g_autoptr(GArray) up = swell_project_list_predictions_of(p, run_id, SWELL_PREDICTIONS_UNLABELED,
                                                           &error);
  g_autoptr(GArray) tp = swell_project_list_predictions_of(p, run_id, SWELL_PREDICTIONS_TEST,
                                                           &error);
  g_autoptr(GArray) trp = swell_project_list_predictions_of(p, run_id, SWELL_PREDICTIONS_TRAIN,
                                                            &error);
  CHECK(up && up->len == 10 && tp && tp->len == 20 && trp && trp->len == 170,
        "cancelled run: %u unlabeled, %u test, %u train predictions", up ? up->len : 0,
        tp ? tp->len : 0, trp ? trp->len : 0);
  for (guint i = 0; up && up->len == 10 && i < 10; i++) {
    const SwellPrediction *pr = &g_array_index(up, SwellPrediction, i);
    CHECK(pr->image_id == unlabeled[i] && pr->actual == SWELL_PREDICTION_UNLABELED &&
              isnan(pr->loss) && pr->predicted >= 0 && pr->predicted < 4,
          "unlabeled prediction %u", i);
  }
  int n = 0;
  const int *cm = swell_trainer_get_test_confusion(c, &n);
  int correct = 0, total = 0;
  for (guint i = 0; tp && i < tp->len; i++) {
    const SwellPrediction *pr = &g_array_index(tp, SwellPrediction, i);
    CHECK(pr->image_id == test[i] && pr->split == SWELL_SPLIT_TEST, "test prediction %u", i);
    correct += pr->actual == pr->predicted;
  }
  for (int k = 0; cm && k < 16; k++) total += cm[k];
  CHECK(cm && n == 20 && total == 20 &&
            fabs(swell_trainer_get_test_accuracy(c) - correct / 20.0) < 1e-6,
        "test score: %d images, accuracy %g, %d/20 from the predictions", n,
        swell_trainer_get_test_accuracy(c), correct);
  g_autofree char *tj = swell_project_get_test_confusion(p, run_id, &error);
  CHECK(tj && strstr(tj, "\"matrix\""), "test confusion stored: %s", tj ? tj : "(none)");
  printf("cancelled run: test accuracy %.3f on 20 images\n", swell_trainer_get_test_accuracy(c));
}

/* Keep best: the stored predictions are those of the kept epoch, the lowest validation loss. */
static void check_keep_best(SwellProject *p, SwellTrainer *kb) {
  g_autoptr(GError) error = NULL;
  gint64 run_id = swell_trainer_get_run_id(kb);
  g_autoptr(GArray) eps = swell_project_list_epochs(p, run_id, &error);
  int best = -1;
  for (guint i = 0; eps && i < eps->len; i++)
    if (best < 0 || g_array_index(eps, SwellEpochMetrics, i).valid_loss <
                        g_array_index(eps, SwellEpochMetrics, best).valid_loss)
      best = (int)i;
  int kept = swell_trainer_get_kept_epoch(kb);
  for (guint i = 0; eps && i < eps->len; i++)
    printf("keep best: epoch %u valid loss %.4f accuracy %.4f\n", i,
           g_array_index(eps, SwellEpochMetrics, i).valid_loss,
           g_array_index(eps, SwellEpochMetrics, i).accuracy);
  CHECK(swell_trainer_get_status(kb) == SWELL_RUN_COMPLETED && eps && eps->len == 7 &&
            kept == best && kept < 6,
        "keep best: kept epoch %d, lowest valid loss at %d of %u (not the last)", kept, best,
        eps ? eps->len : 0);
  g_autoptr(GArray) vp = swell_project_list_predictions(p, run_id, &error);
  double loss = 0;
  int correct = 0;
  for (guint i = 0; vp && i < vp->len; i++) {
    const SwellPrediction *pr = &g_array_index(vp, SwellPrediction, i);
    loss += pr->loss;
    correct += pr->predicted == pr->actual;
  }
  if (best >= 0 && vp && vp->len > 0) {
    const SwellEpochMetrics *m = &g_array_index(eps, SwellEpochMetrics, best);
    CHECK(fabs(loss / vp->len - m->valid_loss) < 1e-4 &&
              fabs((double)correct / vp->len - m->accuracy) < 1e-6 &&
              fabs(swell_trainer_get_accuracy(kb) - m->accuracy) < 1e-6,
          "kept predictions: loss %g accuracy %g, epoch %d had %g %g", loss / vp->len,
          (double)correct / vp->len, best, m->valid_loss, m->accuracy);
  }
  g_autoptr(SwellRunInfo) ri = swell_project_get_run(p, run_id, &error);
  CHECK(ri && strstr(ri->hyperparams_json, "\"keep\":\"best\""), "hyperparams: %s",
        ri ? ri->hyperparams_json : "");
  CHECK(ri && ri->keep_best && ri->kept_epoch == kept, "stored kept epoch %d, the trainer's %d",
        ri ? ri->kept_epoch : -2, kept);
  printf("keep best: epoch %d of 7 kept\n", kept);
}

/* Missing weights: the run fails naming the file, and finishes once. */
static void check_missing_weights(const char *path, const char *tmp) {
  Seen s;
  g_autofree char *missing = g_build_filename(tmp, "missing.safetensors", NULL);
  g_autoptr(SwellTrainer) f = run(path, missing, 1, &s, -1);
  const GError *ferr = swell_trainer_get_error(f);
  CHECK(swell_trainer_get_status(f) == SWELL_RUN_FAILED && ferr &&
            strstr(ferr->message, "missing.safetensors"),
        "missing weights: %s", ferr ? ferr->message : "(no error)");
  CHECK(s.n_finished == 1, "finished once on failure");
}

int main(void) {
  g_autofree char *tmp = g_build_filename(g_getenv("SWELL_TMP") ? g_getenv("SWELL_TMP") : "/tmp",
                                          "trainer", NULL);
  g_mkdir_with_parents(tmp, 0755);
  g_autofree char *path = g_build_filename(tmp, "t.swell", NULL);
  g_unlink(path);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_unlink(wal);
  char *data = sw_test_shared_path("datasets/weather4_small");
  char *weights = sw_test_shared_path("weights/mobilenet_v2_0.35_imagenet_notop.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &error);
  if (!p) {
    fprintf(stderr, "create: %s\n", error->message);
    return 1;
  }
  SwellImportOptions io;
  swell_import_options_init(&io);
  const char *paths[] = {data, NULL};
  g_autoptr(SwellImportResult) ir = swell_import_paths(p, paths, &io, NULL, NULL, NULL, &error);
  CHECK(ir && ir->n_imported == 280, "imported %u", ir ? ir->n_imported : 0);

  /* A full fine_tune(1): 1 frozen + 1 unfrozen epoch of 12 batches. */
  Seen s;
  g_autoptr(SwellTrainer) t = run(path, weights, 1, &s, -1);
  const GError *terr = swell_trainer_get_error(t);
  CHECK(swell_trainer_get_status(t) == SWELL_RUN_COMPLETED, "status %d: %s",
        swell_trainer_get_status(t), terr ? terr->message : "");
  CHECK(s.n_batch == 24 && s.n_epoch == 2 && s.n_finished == 1, "signals %d %d %d", s.n_batch,
        s.n_epoch, s.n_finished);
  CHECK(!s.off_thread, "a signal was emitted off the main thread");
  CHECK(s.in_order, "batches out of order");
  CHECK(s.stages[0] == SWELL_STAGE_FROZEN && s.stages[1] == SWELL_STAGE_UNFROZEN, "stages");
  gint64 run_id = swell_trainer_get_run_id(t);
  g_autoptr(SwellRunInfo) ri = swell_project_get_run(p, run_id, &error);
  CHECK(ri && ri->status == SWELL_RUN_COMPLETED && ri->has_model && ri->n_epochs == 2,
        "stored run");
  CHECK(ri && fabs(ri->accuracy - swell_trainer_get_accuracy(t)) < 1e-6, "stored accuracy");
  g_autoptr(GArray) pts = swell_project_list_points(p, run_id, -1, &error);
  CHECK(pts && pts->len == 24, "%u points stored", pts ? pts->len : 0);
  if (pts && pts->len == 24) {
    const SwellRunPoint *p0 = &g_array_index(pts, SwellRunPoint, 0);
    const SwellRunPoint *p12 = &g_array_index(pts, SwellRunPoint, 12);
    CHECK(p0->n_groups == 3 && fabs(p0->group_lrs[2] - 2e-3 / 25) < 1e-12 &&
              fabs(p0->group_lrs[0] - 2e-4 / 25) < 1e-12 && fabs(p0->mom - 0.95) < 1e-12,
          "first point lrs %g %g mom %g", p0->group_lrs[0], p0->group_lrs[2], p0->mom);
    CHECK(p12->epoch == 1 && fabs(p12->group_lrs[0] - 1e-5 / 5) < 1e-12 &&
              fabs(p12->group_lrs[2] - 1e-3 / 5) < 1e-12,
          "unfrozen first point");
  }
  g_autoptr(GArray) preds = swell_project_list_predictions(p, run_id, &error);
  CHECK(preds && preds->len == 80, "%u predictions", preds ? preds->len : 0);
  int correct = 0;
  for (guint i = 0; preds && i < preds->len; i++) {
    const SwellPrediction *pr = &g_array_index(preds, SwellPrediction, i);
    double sum = 0;
    int best = 0;
    for (guint c = 0; c < pr->n_classes; c++) {
      sum += pr->probs[c];
      if (pr->probs[c] > pr->probs[best]) best = (int)c;
    }
    CHECK(fabs(sum - 1) < 1e-4 && best == pr->predicted && pr->n_classes == 4, "prediction %u", i);
    CHECK(fabs(pr->loss + log(pr->probs[pr->actual])) < 1e-3, "prediction %u loss", i);
    correct += pr->predicted == pr->actual;
  }
  CHECK(fabs(correct / 80.0 - swell_trainer_get_accuracy(t)) < 1e-6, "accuracy from predictions");
  g_autofree char *conf = swell_project_get_confusion(p, run_id, &error);
  CHECK(conf && strstr(conf, "\"matrix\""), "confusion json");
  g_autoptr(SwellProjectModel) pm = swell_project_load_model(p, run_id, &error);
  CHECK(pm && pm->input_size == 32 && pm->mean[0] == 0.5f && pm->std[2] == 0.5f &&
            g_strv_length(pm->class_names) == 4,
        "stored model metadata");
  if (pm) {
    g_autoptr(GError) merr = NULL;
    g_autoptr(SwellClassifier) cls = swell_classifier_new_for_model(pm, &merr);
    const sw_model_config *mc = cls ? swell_classifier_get_config(cls) : NULL;
    CHECK(mc && mc->num_classes == 4, "stored model loads: %s", merr ? merr->message : "");
    if (mc) CHECK(mc->tf_same_padding && fabsf(mc->width_mult - 0.35f) < 1e-6f,
                  "stored model keeps padding and width");
  }
  printf("fine_tune(1) at 32px: accuracy %.3f in %.1f s\n", swell_trainer_get_accuracy(t),
         swell_trainer_get_seconds(t));
  check_train_predictions(p, t, pm, 200);

  gint64 to_test[20], to_unlabel[10];
  move_to_test_and_unlabel(p, to_test, to_unlabel);

  /* Cancel from the main loop after the first epoch. */
  g_autoptr(SwellTrainer) c = run(path, weights, 5, &s, 0);
  CHECK(swell_trainer_get_status(c) == SWELL_RUN_CANCELLED, "cancel status %d",
        swell_trainer_get_status(c));
  CHECK(s.n_epoch == 1 && s.n_finished == 1, "epochs after cancel %d", s.n_epoch);
  g_autoptr(SwellRunInfo) rc = swell_project_get_run(p, swell_trainer_get_run_id(c), &error);
  CHECK(rc && rc->status == SWELL_RUN_CANCELLED && rc->has_model && rc->n_epochs == 1,
        "cancelled run stored with its model");
  /* Count epoch 1's batches only: the cancel lands after that epoch's signal, when a batch
   * of epoch 2 may already have been reported. */
  CHECK(s.n_batch_epoch1 == 10, "%d batches: the test and unlabeled images were trained on",
        s.n_batch_epoch1);
  check_test_and_unlabeled(p, c, to_test, to_unlabel);

  /* Keep best: 1 + 6 epochs at 5e-3, where the last epoch does worse than the one before
   * (valid loss 1.072 at epoch 5, 1.102 at 6). Cancelled from the last epoch's signal, which
   * arrives while the run's end is under way: the run is complete, and the final passes
   * (the best epoch's validation again, the other images) run to their end all the same. */
  keep_option = SWELL_KEEP_BEST;
  lr_option = 5e-3;
  g_autoptr(SwellTrainer) kb = run(path, weights, 6, &s, 6);
  keep_option = SWELL_KEEP_LAST;
  lr_option = 2e-3;
  check_keep_best(p, kb);

  check_missing_weights(path, tmp);
  free(data);
  free(weights);
  return sw_test_finish();
}
