/* report.c: swell-cli report. */
#include "swell-config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "layers.h"
#include "metrics.h"
#include "swell-cli.h"
#include "swell-image.h"
#include "swell-metrics.h"
#include "swell-predict.h"
#include "swell-trainer.h"
#include "swell-transforms.h"

/* ------------------------------------------------------------ report */

void swell_cli_print_confusion(const char *const *classes, const int *cm, int C) {
  printf("%s\n", _("Confusion matrix (rows: actual, columns: predicted):"));
  printf("%14s", "");
  for (int j = 0; j < C; j++) printf(" %10.10s", classes[j]);
  printf("\n");
  for (int i = 0; i < C; i++) {
    printf("%14.14s", classes[i]);
    for (int j = 0; j < C; j++) printf(" %10d", cm[i * C + j]);
    printf("\n");
  }
}

/* What the report shows of one run: read from the project, then interpreted. */
typedef struct {
  SwellProject *project;
  SwellRunInfo *run;
  GArray *epochs; /* SwellEpochMetrics */
  GArray *preds;  /* SwellPrediction */
  int C, n;       /* classes, predictions */
  int32_t *cm;    /* C x C, rows actual */
  int *order;     /* predictions in the review order (top losses: largest first) */
  sw_confused_pair pairs[64];
  int np;
  int ntop;
  SwellTtaEvaluation *tta; /* with --tta */
  guint64 tta_seed;
  /* --split given: the review of that set, with its splits and marks */
  gboolean review;
  const char *split_name; /* "train", "valid" or "both" */
  guint sets;             /* SwellPredictionSet */
  SwellReviewOrder by;
  gboolean has_test;
  SwellTestScore test;
} Report;

static void report_clear(Report *r) {
  g_clear_object(&r->project);
  g_clear_pointer(&r->run, swell_run_info_free);
  g_clear_pointer(&r->epochs, g_array_unref);
  g_clear_pointer(&r->preds, g_array_unref);
  g_clear_pointer(&r->cm, g_free);
  g_clear_pointer(&r->order, g_free);
  g_clear_pointer(&r->tta, swell_tta_evaluation_free);
  swell_test_score_clear(&r->test);
}

/* Reads the run (the latest when run_id is 0), its epochs and its predictions; returns the
 * exit status of a failure, or 0. */
static int report_load(Report *r, const char *path, gint64 run_id) {
  g_autoptr(GError) error = NULL;
  r->project = swell_project_open(path, &error);
  if (!r->project) return swell_cli_fail("%s", error->message);
  r->run = run_id > 0 ? swell_project_get_run(r->project, run_id, &error)
                      : swell_project_get_latest_run(r->project, FALSE, &error);
  if (!r->run) {
    if (error) return swell_cli_fail("%s", error->message);
    return swell_cli_fail(_("%s: no training runs yet (use “swell-cli train”)"), path);
  }
  r->epochs = swell_project_list_epochs(r->project, r->run->id, &error);
  if (!r->epochs) return swell_cli_fail("%s", error->message);
  r->preds = swell_project_list_predictions_of(r->project, r->run->id, r->sets, &error);
  if (!r->preds) return swell_cli_fail("%s", error->message);
  g_autofree char *conf = swell_project_get_confusion(r->project, r->run->id, &error);
  if (error) return swell_cli_fail("%s", error->message);
  r->has_test = swell_metrics_load_test_score(r->project, r->run->id, &r->test, &error);
  if (error) return swell_cli_fail("%s", error->message);
  return 0;
}

/* Confusion matrix from the predictions (the stored JSON is the same data), top losses and
 * most-confused pairs. */
static void report_interpret(Report *r, int top) {
  r->C = (int)g_strv_length(r->run->class_names);
  r->n = (int)r->preds->len;
  r->cm = swell_metrics_confusion_of_predictions(r->preds, r->C);
  r->order = swell_metrics_review_order(r->preds, r->by);
  r->np = sw_most_confused(r->cm, r->C, 1, r->pairs, G_N_ELEMENTS(r->pairs));
  if (top < 0) top = 0;
  r->ntop = MIN(top, r->n);
}

static const char *class_or_unknown(const Report *r, int k) {
  return k >= 0 && k < r->C ? r->run->class_names[k] : "?";
}

static double prob_of(const SwellPrediction *pr, int k) {
  return pr->probs && k >= 0 && k < (int)pr->n_classes ? pr->probs[k] : NAN;
}

/* The title of the review order's list. */
static const char *order_title(const Report *r) {
  return r->by == SWELL_REVIEW_MOST_UNSURE
             ? _("Most unsure (image, actual, predicted, probability, loss):")
             : _("Top losses (image, actual, predicted, probability, loss):");
}

/* The k-th prediction in the review order. */
static const SwellPrediction *in_order(const Report *r, int k) {
  return &g_array_index(r->preds, SwellPrediction, r->order[k]);
}

static void report_json_run(JsonBuilder *b, const Report *r) {
  const SwellRunInfo *run = r->run;
  json_builder_set_member_name(b, "run");
  json_builder_add_int_value(b, run->id);
  json_builder_set_member_name(b, "arch");
  json_builder_add_string_value(b, run->arch);
  json_builder_set_member_name(b, "weights");
  json_builder_add_string_value(b, run->weights);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, swell_run_status_to_string(run->status));
  /* the recipe as stored with the run (optimizer, rates, epochs, ...) */
  g_autoptr(JsonNode) hp = run->hyperparams_json ? json_from_string(run->hyperparams_json, NULL)
                                                 : NULL;
  json_builder_set_member_name(b, "hyperparams");
  if (hp && JSON_NODE_HOLDS_OBJECT(hp))
    json_builder_add_value(b, g_steal_pointer(&hp));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "classes");
  json_builder_begin_array(b);
  for (int i = 0; i < r->C; i++) json_builder_add_string_value(b, run->class_names[i]);
  json_builder_end_array(b);
  swell_cli_add_double(b, "accuracy", run->accuracy);
  swell_cli_add_double(b, "valid_loss", run->valid_loss);
  json_builder_set_member_name(b, "epochs");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->epochs->len; i++)
    swell_cli_add_epoch(b, &g_array_index(r->epochs, SwellEpochMetrics, i));
  json_builder_end_array(b);
}

/* The run's test score, when it has one: test_accuracy, test_confusion_matrix. */
static void report_json_test(JsonBuilder *b, const Report *r) {
  if (!r->has_test) return;
  swell_cli_add_double(b, "test_accuracy", r->test.accuracy);
  json_builder_set_member_name(b, "test_images");
  json_builder_add_int_value(b, r->test.n_images);
  json_builder_set_member_name(b, "test_confusion_matrix");
  swell_trainer_add_confusion_json(b, r->test.matrix, r->test.n_classes);
}

static void report_json_image(JsonBuilder *b, const Report *r, const SwellPrediction *pr) {
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "image");
  json_builder_add_int_value(b, pr->image_id);
  g_autoptr(SwellProjectImage) img = swell_project_get_image(r->project, pr->image_id, NULL);
  json_builder_set_member_name(b, "name");
  if (img)
    json_builder_add_string_value(b, img->name);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "actual");
  json_builder_add_string_value(b, class_or_unknown(r, pr->actual));
  json_builder_set_member_name(b, "predicted");
  json_builder_add_string_value(b, class_or_unknown(r, pr->predicted));
  swell_cli_add_double(b, "prob", prob_of(pr, pr->predicted));
  swell_cli_add_double(b, "prob_actual", prob_of(pr, pr->actual));
  swell_cli_add_double(b, "loss", pr->loss);
  if (r->review) {
    json_builder_set_member_name(b, "split");
    json_builder_add_string_value(b, swell_split_to_string(pr->split));
    json_builder_set_member_name(b, "label_may_be_wrong");
    json_builder_add_boolean_value(b, swell_metrics_label_may_be_wrong(pr));
  }
  json_builder_end_object(b);
}

static void report_json_interpretation(JsonBuilder *b, const Report *r) {
  json_builder_set_member_name(b, "confusion_matrix");
  swell_trainer_add_confusion_json(b, r->cm, r->C);
  json_builder_set_member_name(b, "most_confused");
  json_builder_begin_array(b);
  for (int i = 0; i < r->np; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "actual");
    json_builder_add_string_value(b, r->run->class_names[r->pairs[i].actual]);
    json_builder_set_member_name(b, "predicted");
    json_builder_add_string_value(b, r->run->class_names[r->pairs[i].predicted]);
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, r->pairs[i].count);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, r->by == SWELL_REVIEW_MOST_UNSURE ? "most_unsure" : "top_losses");
  json_builder_begin_array(b);
  for (int k = 0; k < r->ntop; k++) report_json_image(b, r, in_order(r, k));
  json_builder_end_array(b);
  if (r->review) {
    /* every image of the set whose label may be wrong, in the same order */
    json_builder_set_member_name(b, "label_may_be_wrong");
    json_builder_begin_array(b);
    for (int k = 0; k < r->n; k++)
      if (swell_metrics_label_may_be_wrong(in_order(r, k))) report_json_image(b, r, in_order(r, k));
    json_builder_end_array(b);
  }
}

/* "tta": {"images", "views", "beta", "seed", "accuracy" (centre crop), "tta_accuracy"} */
static void report_json_tta(JsonBuilder *b, const Report *r) {
  json_builder_set_member_name(b, "tta");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "images");
  json_builder_add_int_value(b, r->tta->n);
  json_builder_set_member_name(b, "views");
  json_builder_add_int_value(b, SWELL_TTA_VIEWS);
  swell_cli_add_double(b, "beta", SWELL_TTA_BETA);
  json_builder_set_member_name(b, "seed");
  json_builder_add_int_value(b, (gint64)r->tta_seed);
  swell_cli_add_double(b, "accuracy", r->tta->accuracy);
  swell_cli_add_double(b, "tta_accuracy", r->tta->tta_accuracy);
  json_builder_end_object(b);
}

static void report_print_json(const Report *r) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  report_json_run(b, r);
  if (r->review) {
    json_builder_set_member_name(b, "split");
    json_builder_add_string_value(b, r->split_name);
    json_builder_set_member_name(b, "images");
    json_builder_add_int_value(b, r->n);
  }
  report_json_interpretation(b, r);
  if (r->tta) report_json_tta(b, r);
  report_json_test(b, r);
  json_builder_end_object(b);
  swell_cli_print_json(b);
}

static void report_print_epochs(const Report *r) {
  const SwellRunInfo *run = r->run;
  printf(_("Run %lld: %s (%s), %s\n"), (long long)run->id, run->arch, run->weights,
         swell_run_status_to_string(run->status));
  printf("%-6s %-9s %-10s %-10s %-9s %s\n", _("epoch"), _("stage"), _("train_loss"),
         _("valid_loss"), _("accuracy"), _("time"));
  for (guint i = 0; i < r->epochs->len; i++) {
    const SwellEpochMetrics *m = &g_array_index(r->epochs, SwellEpochMetrics, i);
    g_autofree char *acc = swell_accuracy_to_string(m->accuracy);
    printf("%-6d %-9s %-10.6f %-10.6f %-9s %02d:%02d\n", swell_cli_epoch_number(m),
           swell_stage_to_string(m->stage), m->train_loss, m->valid_loss, acc,
           (int)m->seconds / 60, (int)m->seconds % 60);
  }
}

/* One image of a list: with its split and mark in a review (--split). */
static void report_print_image(const Report *r, const SwellPrediction *pr) {
  g_autoptr(SwellProjectImage) img = swell_project_get_image(r->project, pr->image_id, NULL);
  printf("  %-30.30s %-12s %-12s %.3f %.3f", img ? img->name : "?",
         class_or_unknown(r, pr->actual), class_or_unknown(r, pr->predicted),
         prob_of(pr, pr->predicted), pr->loss);
  if (r->review)
    printf("  %s%s", swell_split_to_string(pr->split),
           swell_metrics_label_may_be_wrong(pr) ? _("  label may be wrong") : "");
  printf("\n");
}

static void report_print_interpretation(const Report *r) {
  char **names = r->run->class_names;
  printf("\n");
  swell_cli_print_confusion((const char *const *)names, r->cm, r->C);
  if (r->np > 0) {
    printf("\n%s\n", _("Most confused (actual → predicted: count):"));
    for (int i = 0; i < r->np; i++)
      printf("  %s → %s: %d\n", names[r->pairs[i].actual], names[r->pairs[i].predicted],
             r->pairs[i].count);
  }
  printf("\n%s\n", order_title(r));
  for (int k = 0; k < r->ntop; k++) report_print_image(r, in_order(r, k));
  if (!r->review) return;
  int n_wrong = 0;
  for (int k = 0; k < r->n; k++) n_wrong += swell_metrics_label_may_be_wrong(in_order(r, k));
  printf("\n");
  printf(g_dngettext(GETTEXT_PACKAGE,
                     "Label may be wrong: %d image (another category with probability ≥ %.2f):\n",
                     "Label may be wrong: %d images (another category with probability ≥ %.2f):\n",
                     (gulong)n_wrong),
         n_wrong, SWELL_LABEL_DOUBT_PROB);
  for (int k = 0; k < r->n; k++)
    if (swell_metrics_label_may_be_wrong(in_order(r, k))) report_print_image(r, in_order(r, k));
}

static void report_print_test(const Report *r) {
  if (!r->has_test) return;
  g_autofree char *acc = swell_accuracy_to_string(r->test.accuracy);
  printf("\n");
  printf(g_dngettext(GETTEXT_PACKAGE,
                     "Test image (%d, evaluated once at the end of the run): accuracy %s\n",
                     "Test images (%d, evaluated once at the end of the run): accuracy %s\n",
                     (gulong)r->test.n_images),
         r->test.n_images, acc);
  swell_cli_print_confusion((const char *const *)r->run->class_names, r->test.matrix,
                            MIN(r->test.n_classes, r->C));
}

static void report_print_tta(const Report *r) {
  printf("\n");
  printf(_("Test-time augmentation on %d validation images (%d views, beta %.2f, seed %llu):\n"),
         r->tta->n, SWELL_TTA_VIEWS, SWELL_TTA_BETA, (unsigned long long)r->tta_seed);
  g_autofree char *plain = swell_accuracy_to_string(r->tta->accuracy);
  g_autofree char *tta = swell_accuracy_to_string(r->tta->tta_accuracy);
  printf("  %-22s %s\n", _("accuracy without TTA"), plain);
  printf("  %-22s %s\n", _("accuracy with TTA"), tta);
}

static void report_print_text(const Report *r) {
  report_print_epochs(r);
  if (r->review) {
    printf("\n");
    printf(_("Images reviewed: %s (%d)\n"), r->split_name, r->n);
  }
  if (r->n > 0)
    report_print_interpretation(r);
  else if (!r->review)
    printf("%s\n", _("No validation predictions stored for this run."));
  else
    printf("%s\n", _("No predictions of these images stored for this run (runs made before "
                      "Swell stored the training images’ predictions have only the validation "
                      "ones)."));
  if (r->tta) report_print_tta(r);
  report_print_test(r);
}

/* --tta: the run's model on its validation images with and without TTA. */
static int report_tta(Report *r, const char *path) {
  g_autoptr(GError) error = NULL;
  r->tta = swell_tta_evaluate_run(r->project, r->run->id, r->tta_seed, NULL, &error);
  if (r->tta) return 0;
  if (g_error_matches(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND))
    return swell_cli_fail(_("%s: run %lld has no trained model for --tta"), path,
                          (long long)r->run->id);
  return swell_cli_fail("%s: %s", path, error->message);
}

/* --split and --order into the report; FALSE after printing the reason. */
static gboolean report_options(Report *r, const char *split, const char *order) {
  r->split_name = "valid";
  r->sets = SWELL_PREDICTIONS_VALID;
  if (order && !swell_review_order_from_name(order, &r->by)) {
    swell_cli_fail(_("report: unknown --order “%s” (use loss or unsure)"), order);
    return FALSE;
  }
  if (!split) return TRUE;
  r->review = TRUE;
  if (g_ascii_strcasecmp(split, "both") == 0) {
    r->split_name = "both";
    r->sets = SWELL_PREDICTIONS_TRAIN | SWELL_PREDICTIONS_VALID;
    return TRUE;
  }
  SwellSplit s;
  if (!swell_split_from_string(split, &s) || s == SWELL_SPLIT_TEST) {
    swell_cli_fail(_("report: unknown --split “%s” (use train, valid or both)"), split);
    return FALSE;
  }
  r->split_name = swell_split_to_string(s);
  r->sets = s == SWELL_SPLIT_TRAIN ? SWELL_PREDICTIONS_TRAIN : SWELL_PREDICTIONS_VALID;
  return TRUE;
}

int swell_cli_report(int argc, char **argv) {
  gint64 run_id = 0;
  gboolean json = FALSE, tta = FALSE;
  gint64 seed = 0;
  int top = 10;
  g_autofree char *split = NULL, *order = NULL;
  GOptionEntry entries[] = {
      {"run", 0, 0, G_OPTION_ARG_INT64, &run_id, N_("Run id (default: the latest run)"), "N"},
      {"top", 0, 0, G_OPTION_ARG_INT, &top, N_("Top losses to list (default 10)"), "K"},
      {"split", 0, 0, G_OPTION_ARG_STRING, &split,
       N_("Review the final model’s predictions of these labeled images, with their split and "
          "“label may be wrong” marks (another category with probability ≥ 0.9); without it: "
          "the validation images, unmarked"),
       "train|valid|both"},
      {"order", 0, 0, G_OPTION_ARG_STRING, &order,
       N_("Order of the image list: loss (top losses, default) or unsure (smallest margin "
          "between the two likeliest categories first)"),
       "loss|unsure"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL},
      {"tta", 0, 0, G_OPTION_ARG_NONE, &tta,
       N_("Also the validation accuracy with test-time augmentation (fastai’s tta: 4 augmented "
          "views blended with the centre crop)"),
       NULL},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the --tta views (default 0)"), "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!swell_cli_parse_options(entries, _("PROJECT"), &argc, &argv)) return 2;
  if (argc != 2) return swell_cli_fail(_("report needs exactly one PROJECT"));
  Report r = {0};
  r.tta_seed = (guint64)seed;
  if (!report_options(&r, split, order)) return 1;
  int rc = report_load(&r, argv[1], run_id);
  if (rc == 0 && tta) rc = report_tta(&r, argv[1]);
  if (rc == 0) {
    report_interpret(&r, top);
    if (json)
      report_print_json(&r);
    else
      report_print_text(&r);
  }
  report_clear(&r);
  return rc;
}
