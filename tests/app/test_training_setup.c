/* test_training_setup: what a training job is set up from, without training:
 *  - the app's interpretation functions (swell-metrics.h) give engine/metrics.c's
 *    confusion matrix and margin on a small case (stored predictions with an
 *    unlabeled image, a one-class row, no classes);
 *  - one rounding for every accuracy shown (swell_percent, swell_accuracy_to_string);
 *  - the augmentation settings of a run (--aug lists, value ranges);
 *  - the review functions: the "label may be wrong" rule at its threshold, the top-loss
 *    and most-unsure orders (the engine's), a stored test score read back and a damaged
 *    one refused;
 *  - the project precondition (swell_trainer_check_project) the Train view shares with
 *    the job: at least two categories, whether or not they have images yet, and the job
 *    fails with the very same reason. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "swell-metrics.h"
#include "swell-project.h"
#include "swell-trainer.h"
#include "swell-transforms.h"
#include "testutil.h"

/* 3 classes, 6 predictions: rows of probabilities, actual labels (-1: unlabeled). */
static const float probs[6][3] = {
    {0.7f, 0.2f, 0.1f}, {0.1f, 0.6f, 0.3f}, {0.3f, 0.3f, 0.4f},
    {0.5f, 0.4f, 0.1f}, {0.2f, 0.2f, 0.6f}, {0.1f, 0.8f, 0.1f},
};
static const int32_t actual[6] = {0, 1, 2, 1, -1, 0};

static void test_confusion(void) {
  int32_t predicted[6], want[9], got[9];
  for (int i = 0; i < 6; i++) predicted[i] = sw_argmax(probs[i], 3);
  sw_confusion_matrix(&probs[0][0], actual, 6, 3, want);
  swell_metrics_confusion(actual, predicted, 6, 3, got);
  for (int i = 0; i < 9; i++) CHECK(got[i] == want[i], "cell %d: %d, engine %d", i, got[i], want[i]);
  /* the hand count: rows actual, the unlabeled image left out */
  const int32_t hand[9] = {1, 1, 0, 1, 1, 0, 0, 0, 1};
  for (int i = 0; i < 9; i++) CHECK(got[i] == hand[i], "cell %d: %d, want %d", i, got[i], hand[i]);

  /* the stored predictions of a run give the same matrix */
  g_autoptr(GArray) preds = g_array_new(FALSE, TRUE, sizeof(SwellPrediction));
  for (int i = 0; i < 6; i++) {
    SwellPrediction p = {i + 1, actual[i], predicted[i], 0.5, 3, (float *)probs[i], SWELL_SPLIT_VALID};
    g_array_append_val(preds, p);
  }
  g_autofree gint32 *cm = swell_metrics_confusion_of_predictions(preds, 3);
  for (int i = 0; i < 9; i++) CHECK(cm[i] == want[i], "stored cell %d: %d, engine %d", i, cm[i], want[i]);
  /* a predicted class outside the run's classes is left out as well */
  g_array_index(preds, SwellPrediction, 0).predicted = 3;
  g_autofree gint32 *cm2 = swell_metrics_confusion_of_predictions(preds, 3);
  CHECK(cm2[0] == 0, "out-of-range prediction left out: %d", cm2[0]);
  g_autofree gint32 *none = swell_metrics_confusion_of_predictions(preds, 0);
  CHECK(none != NULL, "no classes: still an array");
}

static void test_margin(void) {
  for (int i = 0; i < 6; i++) {
    float want = sw_top_margin(probs[i], 3), got = swell_metrics_top_margin(probs[i], 3);
    CHECK(got == want, "margin %d: %g, engine %g", i, got, want);
  }
  CHECK(fabsf(swell_metrics_top_margin(probs[0], 3) - 0.5f) < 1e-6f, "0.7 - 0.2");
  CHECK(swell_metrics_top_margin(probs[2], 3) > 0.0999f && swell_metrics_top_margin(probs[2], 3) < 0.1001f,
        "0.4 - 0.3");
  float one = 0.9f;
  CHECK(swell_metrics_top_margin(&one, 1) == 0.9f, "one class: its probability");
  CHECK(swell_metrics_top_margin(NULL, 0) == 0.0f, "no classes: 0");
}

/* Runs a fine-tune job on path (it fails before any weights are needed); returns its error. */
static char *job_error(const char *path) {
  SwellTrainOptions o;
  swell_train_options_init(&o);
  o.weights_path = g_strdup("/nonexistent/weights.safetensors");
  g_autoptr(SwellTrainer) t = swell_trainer_new(path, SWELL_TRAINER_FINE_TUNE, &o);
  swell_train_options_clear(&o);
  swell_trainer_run(t);
  CHECK(swell_trainer_get_status(t) == SWELL_RUN_FAILED, "the job fails");
  const GError *e = swell_trainer_get_error(t);
  return g_strdup(e ? e->message : "");
}

static void test_precondition(void) {
  g_autofree char *dir = g_dir_make_tmp("swell-setup-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "p.swell", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &error);
  CHECK(p != NULL, "project: %s", error ? error->message : "");
  if (!p) return;
  const char *names[] = {"cloudy", "rain"};
  for (int k = 0; k < 3; k++) {
    g_autoptr(GError) why = NULL;
    gboolean ok = swell_trainer_check_project(p, "P", &why);
    if (k < 2) {
      g_autofree char *want = g_strdup_printf("P: training needs at least two categories (it has %d)", k);
      CHECK(!ok && why && strcmp(why->message, want) == 0, "%d categories: %s", k,
            why ? why->message : "(no error)");
      /* the job refuses the same project with the same reason */
      g_autofree char *job = job_error(path);
      g_autofree char *want_job = g_strdup_printf("%s: training needs at least two categories (it has %d)",
                                                  path, k);
      CHECK(strcmp(job, want_job) == 0, "job with %d categories: %s", k, job);
      CHECK(swell_project_create_category(p, names[k], NULL, &error) > 0, "category: %s",
            error ? error->message : "");
    } else {
      /* two categories without images yet pass: the job's own rule (it then fails on the
       * number of training images) */
      CHECK(ok && !why, "two categories: %s", why ? why->message : "ok");
      g_autofree char *job = job_error(path);
      CHECK(strstr(job, "labeled training images, fewer than one batch of 16") != NULL, "job: %s", job);
    }
  }
  g_clear_object(&p);
  g_unlink(path);
  g_rmdir(dir);
}

static void check_accuracy_text(double fraction, const char *want) {
  g_autofree char *got = swell_accuracy_to_string(fraction);
  g_autofree char *got_f = swell_accuracy_to_string((float)fraction);
  gboolean ok = g_strcmp0(got, want) == 0 && g_strcmp0(got_f, want) == 0;
  printf("%s accuracy %.17g shows as %s (as a float: %s), want %s\n", ok ? "ok  " : "FAIL", fraction,
         got, got_f, want);
  CHECK(ok, "accuracy %.17g: %s / %s, want %s", fraction, got, got_f, want);
}

/* The 83.75%: the run list and the Results header showed 83.8% and 83.7%. */
static void test_accuracy_text(void) {
  check_accuracy_text(67.0 / 80, "83.8%");
  check_accuracy_text(53.0 / 80, "66.3%");
  check_accuracy_text(49.0 / 80, "61.3%");
  check_accuracy_text(133.0 / 160, "83.1%");
  check_accuracy_text(1.0 / 3, "33.3%");
  check_accuracy_text(1.0, "100.0%");
  check_accuracy_text(0.0, "0.0%");
  check_accuracy_text(NAN, "—");
  CHECK(swell_percent(67.0 / 80) == 83.8, "swell_percent(67/80) = %.17g", swell_percent(67.0 / 80));
}

static void test_aug_settings(void) {
  int failures = sw_test_failures;
  SwellAugSettings s;
  swell_aug_settings_init(&s);
  g_autofree char *def = swell_aug_settings_get_list(&s);
  CHECK(strcmp(def, "crop,flip") == 0, "default augmentations: %s", def);
  g_autoptr(GError) error = NULL;
  CHECK(swell_aug_settings_set_list(&s, "lighting, rotate,zoom", &error), "valid list refused");
  g_autofree char *three = swell_aug_settings_get_list(&s);
  CHECK(strcmp(three, "rotate,zoom,lighting") == 0, "set list: %s", three);
  CHECK(!swell_aug_settings_set_list(&s, "crop,spin", &error) && strstr(error->message, "“spin”"),
        "unknown augmentation accepted or not named: %s", error ? error->message : "");
  g_autofree char *kept = swell_aug_settings_get_list(&s);
  CHECK(strcmp(kept, "rotate,zoom,lighting") == 0, "a refused list changed the settings: %s", kept);
  CHECK(swell_aug_settings_set_list(&s, "none", NULL), "none refused");
  g_autofree char *none = swell_aug_settings_get_list(&s);
  CHECK(strcmp(none, "none") == 0, "none: %s", none);
  swell_aug_settings_init(&s);
  CHECK(swell_aug_settings_find_bad_value(&s) == -1, "the defaults are out of range");
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const SwellAugInfo *i = swell_aug_info(a);
    CHECK(swell_aug_from_name(i->name) == a, "%s not found by its name", i->name);
    if (!i->value_name) continue;
    SwellAugSettings t = s;
    t.value[a] = i->value_max + 1;
    CHECK(swell_aug_settings_find_bad_value(&t) == a, "%s above its range accepted", i->value_name);
    t.value[a] = NAN;
    CHECK(swell_aug_settings_find_bad_value(&t) == a, "%s NaN accepted", i->value_name);
  }
  printf("%s augmentation lists and value ranges\n", sw_test_failures == failures ? "ok  " : "FAIL");
}

static void test_review(void) {
  float wrong[3] = {0.05f, 0.9f, 0.05f}, almost[3] = {0.1f, 0.8999f, 0.0001f};
  SwellPrediction pw = {1, 0, 1, 3.0, 3, wrong, SWELL_SPLIT_TRAIN};
  SwellPrediction pa = {2, 0, 1, 2.3, 3, almost, SWELL_SPLIT_TRAIN};
  SwellPrediction pr = {3, 1, 1, 0.1, 3, wrong, SWELL_SPLIT_TRAIN};
  SwellPrediction pu = {4, SWELL_PREDICTION_UNLABELED, 1, NAN, 3, wrong, SWELL_SPLIT_TRAIN};
  CHECK(swell_metrics_label_may_be_wrong(&pw), "another class at 0.9: label may be wrong");
  CHECK(!swell_metrics_label_may_be_wrong(&pa), "another class at 0.8999: not flagged");
  CHECK(!swell_metrics_label_may_be_wrong(&pr), "its own class at 0.9: not flagged");
  CHECK(!swell_metrics_label_may_be_wrong(&pu), "an unlabeled image: not flagged");

  g_autoptr(GArray) preds = g_array_new(FALSE, TRUE, sizeof(SwellPrediction));
  float losses[6];
  for (int i = 0; i < 6; i++) {
    losses[i] = (float)(i * 7 % 5) / 3.0f;
    SwellPrediction p = {i + 1, MAX(actual[i], 0), sw_argmax(probs[i], 3), losses[i], 3,
                         (float *)probs[i], SWELL_SPLIT_TRAIN};
    g_array_append_val(preds, p);
  }
  int want[6];
  g_autofree int *by_loss = swell_metrics_review_order(preds, SWELL_REVIEW_TOP_LOSSES);
  sw_top_losses(losses, 6, want);
  CHECK(memcmp(by_loss, want, sizeof want) == 0, "top-loss order");
  g_autofree int *unsure = swell_metrics_review_order(preds, SWELL_REVIEW_MOST_UNSURE);
  sw_most_unsure(&probs[0][0], 6, 3, want);
  CHECK(memcmp(unsure, want, sizeof want) == 0 && (unsure[0] == 2 || unsure[0] == 3),
        "most-unsure order: first %d", unsure[0]);
  SwellReviewOrder o;
  CHECK(swell_review_order_from_name("unsure", &o) && o == SWELL_REVIEW_MOST_UNSURE &&
            !swell_review_order_from_name("Loss", &o),
        "order names");
}

static void test_test_score(void) {
  g_autofree char *dir = g_dir_make_tmp("swell-score-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "s.swell", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  const char *classes[] = {"a", "b", NULL};
  gint64 run = swell_project_create_run(p, "resnet34", "w", "{}", classes, &e);
  SwellTestScore ts;
  CHECK(!swell_metrics_load_test_score(p, run, &ts, &e) && !e, "no test score: FALSE, no error");
  CHECK(swell_project_set_test_confusion(p, run, "{\"classes\":[\"a\",\"b\"],"
                                                 "\"matrix\":[[3,1],[0,4]]}", &e), "store");
  CHECK(swell_metrics_load_test_score(p, run, &ts, &e) && ts.n_classes == 2 && ts.n_images == 8 &&
            fabs(ts.accuracy - 7 / 8.0) < 1e-12 && ts.matrix[1] == 1 && ts.matrix[3] == 4,
        "test score read back: %d images, accuracy %g", ts.n_images, ts.accuracy);
  swell_test_score_clear(&ts);
  CHECK(swell_project_set_test_confusion(p, run, "{\"matrix\":[[3,1],[0]]}", &e), "store bad");
  CHECK(!swell_metrics_load_test_score(p, run, &ts, &e) && e && strstr(e->message, path) &&
            strstr(e->message, "damaged"),
        "damaged test score refused: %s", e ? e->message : "");
  g_unlink(path);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL), *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_rmdir(dir);
}

int main(void) {
  test_accuracy_text();
  test_aug_settings();
  test_confusion();
  test_review();
  test_test_score();
  test_margin();
  test_precondition();
  return sw_test_finish();
}
