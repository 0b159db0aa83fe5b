/* test_trainer: the SwellTrainer job API the window uses, on real photos
 * ($SWELL_SHARED/datasets/weather4_small) with the small MobileNetV2 0.35
 * feature extractor at 32x32 so it runs in seconds:
 *  - "batch", "epoch" and "finished" arrive on the caller's main context (the
 *    main thread), in order, with fastai's fine_tune stages;
 *  - the run, every point, every epoch, the predictions, the confusion matrix
 *    and the model are stored, and the stored model loads back;
 *  - cancelling from the main loop after the first epoch keeps that epoch's
 *    model and marks the run cancelled;
 *  - a missing weights file fails with a message naming it. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "swell-import.h"
#include "swell-trainer.h"
#include "testutil.h"

typedef struct {
  GThread *main_thread;
  int n_batch, n_epoch, n_finished;
  gboolean off_thread;
  gint64 last_iteration;
  gboolean in_order;
  int stages[8];
  gboolean cancel_after_first_epoch;
} Seen;

static void on_batch(SwellTrainer *t, const SwellTrainerBatch *b, Seen *s) {
  if (g_thread_self() != s->main_thread) s->off_thread = TRUE;
  if (b->iteration != s->last_iteration + 1) s->in_order = FALSE;
  s->last_iteration = b->iteration;
  s->n_batch++;
}

static void on_epoch(SwellTrainer *t, const SwellEpochMetrics *m, Seen *s) {
  if (g_thread_self() != s->main_thread) s->off_thread = TRUE;
  if (s->n_epoch < 8) s->stages[s->n_epoch] = (int)m->stage;
  s->n_epoch++;
  if (s->cancel_after_first_epoch) swell_trainer_cancel(t);
}

static void on_finished(SwellTrainer *t, Seen *s) { s->n_finished++; }

static SwellTrainer *run(const char *path, const char *weights, int epochs, Seen *s,
                         gboolean cancel) {
  SwellTrainOptions o;
  swell_train_options_init(&o);
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
  s->cancel_after_first_epoch = cancel;
  SwellTrainer *t = swell_trainer_new(path, SWELL_TRAINER_FINE_TUNE, &o);
  swell_train_options_clear(&o);
  g_signal_connect(t, "batch", G_CALLBACK(on_batch), s);
  g_signal_connect(t, "epoch", G_CALLBACK(on_epoch), s);
  g_signal_connect(t, "finished", G_CALLBACK(on_finished), s);
  swell_trainer_run(t);
  return t;
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
  g_autoptr(SwellTrainer) t = run(path, weights, 1, &s, FALSE);
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
    sw_model *m = swell_model_from_project(pm, &merr);
    CHECK(m && sw_model_num_outputs(m) == 4, "stored model loads: %s", merr ? merr->message : "");
    if (m) CHECK(sw_model_get_config(m)->tf_same_padding && fabsf(sw_model_get_config(m)->width_mult - 0.35f) < 1e-6f,
                 "stored model keeps padding and width");
    sw_model_free(m);
  }
  printf("fine_tune(1) at 32px: accuracy %.3f in %.1f s\n", swell_trainer_get_accuracy(t),
         swell_trainer_get_seconds(t));

  /* Cancel from the main loop after the first epoch. */
  g_autoptr(SwellTrainer) c = run(path, weights, 5, &s, TRUE);
  CHECK(swell_trainer_get_status(c) == SWELL_RUN_CANCELLED, "cancel status %d",
        swell_trainer_get_status(c));
  CHECK(s.n_epoch == 1 && s.n_finished == 1, "epochs after cancel %d", s.n_epoch);
  g_autoptr(SwellRunInfo) rc = swell_project_get_run(p, swell_trainer_get_run_id(c), &error);
  CHECK(rc && rc->status == SWELL_RUN_CANCELLED && rc->has_model && rc->n_epochs == 1,
        "cancelled run stored with its model");

  /* Missing weights. */
  g_autofree char *missing = g_build_filename(tmp, "missing.safetensors", NULL);
  g_autoptr(SwellTrainer) f = run(path, missing, 1, &s, FALSE);
  const GError *ferr = swell_trainer_get_error(f);
  CHECK(swell_trainer_get_status(f) == SWELL_RUN_FAILED && ferr &&
            strstr(ferr->message, "missing.safetensors"),
        "missing weights: %s", ferr ? ferr->message : "(no error)");
  CHECK(s.n_finished == 1, "finished once on failure");
  free(data);
  free(weights);
  return sw_test_finish();
}
