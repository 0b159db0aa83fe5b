/* cli-train.c: swell-cli train, lr-find, report, predict. */
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
#include "swell-trainer.h"
#include "swell-transforms.h"

int swell_cli_train(int argc, char **argv);
int swell_cli_lr_find(int argc, char **argv);
int swell_cli_report(int argc, char **argv);
int swell_cli_predict(int argc, char **argv);

/* ------------------------------------------------------------ helpers */

static void print_json_node(JsonNode *root) {
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  g_autofree char *s = json_generator_to_data(gen, NULL);
  printf("%s\n", s);
  fflush(stdout);
}

static void print_json_builder(JsonBuilder *b) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  print_json_node(root);
}

static void add_double(JsonBuilder *b, const char *name, double v) {
  json_builder_set_member_name(b, name);
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

/* One epoch's metrics as a JSON object (train --json lines, report --json). */
static void add_epoch(JsonBuilder *b, const SwellEpochMetrics *m) {
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "epoch");
  json_builder_add_int_value(b, m->epoch);
  json_builder_set_member_name(b, "stage");
  json_builder_add_string_value(b, swell_stage_to_string(m->stage));
  add_double(b, "train_loss", m->train_loss);
  add_double(b, "valid_loss", m->valid_loss);
  add_double(b, "accuracy", m->accuracy);
  add_double(b, "seconds", m->seconds);
  json_builder_end_object(b);
}

static gboolean parse_options(GOptionEntry *entries, const char *param, int *argc, char ***argv) {
  g_autoptr(GOptionContext) ctx = g_option_context_new(param);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled(ctx, TRUE);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    swell_cli_fail("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* --------------------------------------------------------- train / lr-find */

typedef struct {
  gboolean json;
  gboolean tty;
  gboolean finished;
  gboolean progress_shown;
  int last_stage_printed;
  SwellTrainer *trainer;
} TrainUi;

static void clear_progress(TrainUi *ui) {
  if (ui->progress_shown) {
    printf("\r%-78s\r", "");
    ui->progress_shown = FALSE;
  }
}

static void on_batch(SwellTrainer *t, const SwellTrainerBatch *b, TrainUi *ui) {
  if (ui->json || !ui->tty) return;
  double frac = b->total_iterations > 0 ? (double)(b->iteration + 1) / b->total_iterations : 0;
  int width = 30, filled = (int)(frac * width + 0.5);
  char bar[64];
  for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '-';
  bar[width] = 0;
  double eta = frac > 0 ? b->elapsed * (1 - frac) / frac : 0;
  if (b->lr_find)
    printf("\r[%s] %3.0f%%  lr %.2e  loss %.4f   ", bar, 100 * frac, b->lr, b->smooth_loss);
  else
    printf("\r[%s] %3.0f%%  epoch %d/%d  batch %d/%d  loss %.4f  ETA %.0fs   ", bar, 100 * frac,
           b->epoch + 1, b->n_epochs, b->batch + 1, b->n_batches, b->smooth_loss, eta);
  ui->progress_shown = TRUE;
  fflush(stdout);
}

static void on_epoch(SwellTrainer *t, const SwellEpochMetrics *m, TrainUi *ui) {
  if (ui->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    add_epoch(b, m);
    print_json_builder(b);
    return;
  }
  clear_progress(ui);
  if (ui->last_stage_printed != (int)m->stage) {
    printf("%s\n", m->stage == SWELL_STAGE_FROZEN ? _("Frozen body (head only):")
                                                   : _("Whole network (unfrozen):"));
    printf("%-6s %-10s %-10s %-9s %-10s %s\n", _("epoch"), _("train_loss"), _("valid_loss"),
           _("accuracy"), _("error_rate"), _("time"));
    ui->last_stage_printed = (int)m->stage;
  }
  printf("%-6d %-10.6f %-10.6f %-9.4f %-10.4f %02d:%02d\n", m->epoch, m->train_loss, m->valid_loss,
         m->accuracy, m->error_rate, (int)m->seconds / 60, (int)m->seconds % 60);
  fflush(stdout);
}

static void on_finished(SwellTrainer *t, TrainUi *ui) { ui->finished = TRUE; }

static gboolean on_sigint(gpointer data) {
  TrainUi *ui = data;
  fprintf(stderr, "%s\n", _("swell-cli: stopping after the current batch…"));
  swell_trainer_cancel(ui->trainer);
  return G_SOURCE_CONTINUE;
}

static void run_trainer(SwellTrainer *trainer, TrainUi *ui) {
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  g_signal_connect(trainer, "batch", G_CALLBACK(on_batch), ui);
  g_signal_connect(trainer, "epoch", G_CALLBACK(on_epoch), ui);
  g_signal_connect(trainer, "finished", G_CALLBACK(on_finished), ui);
  ui->trainer = trainer;
  GSource *sig = g_unix_signal_source_new(SIGINT);
  g_source_set_callback(sig, on_sigint, ui, NULL);
  g_source_attach(sig, ctx);
  GSource *term = g_unix_signal_source_new(SIGTERM);
  g_source_set_callback(term, on_sigint, ui, NULL);
  g_source_attach(term, ctx);
  swell_trainer_start(trainer);
  while (!ui->finished) g_main_context_iteration(ctx, TRUE);
  g_source_destroy(sig);
  g_source_unref(sig);
  g_source_destroy(term);
  g_source_unref(term);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  clear_progress(ui);
}

typedef struct {
  char *arch, *weights;
  int epochs, freeze_epochs, batch_size, size, threads;
  double lr;
  gint64 seed;
  char *opt;
  sw_optim_kind optimizer; /* parsed from opt */
  gboolean no_augment, json;
} TrainArgs;

static GOptionEntry *train_entries(TrainArgs *a, gboolean with_epochs) {
  GOptionEntry all[] = {
      {"arch", 0, 0, G_OPTION_ARG_STRING, &a->arch,
       N_("Architecture: resnet34 (default), resnet18, resnet50, mobilenet_v2"), "ARCH"},
      {"weights", 0, 0, G_OPTION_ARG_FILENAME, &a->weights,
       N_("Pretrained weights file (default: the cached file for the architecture)"), "FILE"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &a->lr, N_("Base learning rate (default 2e-3)"), "X"},
      {"batch-size", 0, 0, G_OPTION_ARG_INT, &a->batch_size, N_("Batch size (default 16)"), "N"},
      {"size", 0, 0, G_OPTION_ARG_INT, &a->size, N_("Input image size (default 224)"), "N"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &a->seed, N_("Random seed (default 0)"), "N"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &a->threads, N_("Threads (default: every core)"), "N"},
      {"no-augment", 0, 0, G_OPTION_ARG_NONE, &a->no_augment, N_("Train without augmentation"),
       NULL},
      {"opt", 0, 0, G_OPTION_ARG_STRING, &a->opt,
       N_("Optimiser: adam (default, as fastai sets it up) or sgd (with momentum)"), "NAME"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &a->json, N_("Print one JSON object per line"), NULL},
      {"epochs", 0, 0, G_OPTION_ARG_INT, &a->epochs, N_("Unfrozen epochs (default 4)"), "N"},
      {"freeze-epochs", 0, 0, G_OPTION_ARG_INT, &a->freeze_epochs,
       N_("Frozen epochs first (default 1)"), "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  int n = G_N_ELEMENTS(all);
  if (!with_epochs) { /* drop --epochs / --freeze-epochs */
    all[n - 3] = all[n - 1];
    n -= 2;
  }
  return g_memdup2(all, sizeof(GOptionEntry) * (gsize)n);
}

static int do_train(const TrainArgs *a, const char *project, SwellTrainerMode mode);

static int train_like(int argc, char **argv, SwellTrainerMode mode) {
  TrainArgs a = {0};
  a.optimizer = SW_OPTIM_ADAM;
  a.epochs = 4;
  a.freeze_epochs = 1;
  a.batch_size = 16;
  a.size = 224;
  a.lr = 2e-3;
  g_autofree GOptionEntry *entries = train_entries(&a, mode == SWELL_TRAINER_FINE_TUNE);
  if (!parse_options(entries, _("PROJECT"), &argc, &argv)) return 2;
  int rc;
  if (argc != 2)
    rc = swell_cli_fail(_("%s needs exactly one PROJECT (see “swell-cli %s --help”)"), argv[0],
                        argv[0]);
  else if (a.seed < 0)
    rc = swell_cli_fail(_("--seed must not be negative"));
  else if (a.opt && sw_optim_kind_from_name(a.opt, &a.optimizer) != 0)
    rc = swell_cli_fail(_("unknown optimiser “%s” (choose adam or sgd)"), a.opt);
  else
    rc = do_train(&a, argv[1], mode);
  g_free(a.opt);
  g_free(a.arch);
  g_free(a.weights);
  return rc;
}

static void print_lr_find(const TrainArgs *a, SwellTrainer *trainer, const SwellLrFindResult *r) {
  if (a->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_double(b, "suggestion", r->valley);
    add_double(b, "valley", r->valley);
    add_double(b, "minimum", r->minimum);
    add_double(b, "steep", r->steep);
    json_builder_set_member_name(b, "lrs");
    json_builder_begin_array(b);
    for (int i = 0; i < r->n; i++) json_builder_add_double_value(b, r->lrs[i]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "losses");
    json_builder_begin_array(b);
    for (int i = 0; i < r->n; i++)
      if (isfinite(r->losses[i]))
        json_builder_add_double_value(b, r->losses[i]);
      else
        json_builder_add_null_value(b);
    json_builder_end_array(b);
    add_double(b, "seconds", swell_trainer_get_seconds(trainer));
    json_builder_end_object(b);
    print_json_builder(b);
  } else {
    printf(_("Learning-rate finder: %d batches in %.1f s\n"), r->n,
           swell_trainer_get_seconds(trainer));
    printf(_("  valley (suggested): %.3g\n"), r->valley);
    printf(_("  minimum / 10:       %.3g\n"), r->minimum);
    printf(_("  steepest:           %.3g\n"), r->steep);
  }
}

static void print_summary(const TrainArgs *a, SwellTrainer *trainer, SwellRunStatus status) {
  const char *const *classes = swell_trainer_get_class_names(trainer);
  int C = 0;
  const int *cm = swell_trainer_get_confusion(trainer, &C);
  double acc = swell_trainer_get_accuracy(trainer);
  if (a->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "run");
    json_builder_add_int_value(b, swell_trainer_get_run_id(trainer));
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, swell_run_status_to_string(status));
    add_double(b, "accuracy", acc);
    json_builder_set_member_name(b, "confusion_matrix");
    if (cm)
      swell_trainer_add_confusion_json(b, cm, C);
    else
      json_builder_add_null_value(b);
    json_builder_set_member_name(b, "classes");
    json_builder_begin_array(b);
    for (int i = 0; classes && classes[i]; i++) json_builder_add_string_value(b, classes[i]);
    json_builder_end_array(b);
    add_double(b, "seconds", swell_trainer_get_seconds(trainer));
    json_builder_end_object(b);
    print_json_builder(b);
    return;
  }
  printf(_("Run %lld %s in %.1f s; validation accuracy %.4f\n"),
         (long long)swell_trainer_get_run_id(trainer), swell_run_status_to_string(status),
         swell_trainer_get_seconds(trainer), acc);
  if (cm) {
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
}

static int do_train(const TrainArgs *a, const char *project, SwellTrainerMode mode) {
  SwellTrainOptions opts;
  swell_train_options_init(&opts);
  if (a->arch) {
    g_free(opts.arch);
    opts.arch = g_strdup(a->arch);
  }
  opts.weights_path = g_strdup(a->weights);
  opts.epochs = a->epochs;
  opts.freeze_epochs = a->freeze_epochs;
  opts.lr = a->lr;
  opts.batch_size = a->batch_size;
  opts.size = a->size;
  opts.seed = (guint64)a->seed;
  opts.threads = a->threads;
  opts.augment = !a->no_augment;
  opts.optimizer = a->optimizer;
  g_autoptr(SwellTrainer) trainer = swell_trainer_new(project, mode, &opts);
  swell_train_options_clear(&opts);
  TrainUi ui = {0};
  ui.json = a->json;
  ui.tty = isatty(STDOUT_FILENO);
  ui.last_stage_printed = -1;
  run_trainer(trainer, &ui);

  SwellRunStatus status = swell_trainer_get_status(trainer);
  const GError *err = swell_trainer_get_error(trainer);
  GPtrArray *warn = swell_trainer_get_warnings(trainer);
  for (guint i = 0; i < warn->len; i++)
    fprintf(stderr, _("swell-cli: warning: image %s\n"), (const char *)g_ptr_array_index(warn, i));
  if (status == SWELL_RUN_FAILED)
    return swell_cli_fail("%s", err ? err->message : _("training failed"));
  if (mode == SWELL_TRAINER_LR_FIND) {
    const SwellLrFindResult *r = swell_trainer_get_lr_find(trainer);
    if (!r) return swell_cli_fail(_("the learning-rate finder was cancelled"));
    print_lr_find(a, trainer, r);
    return 0;
  }
  print_summary(a, trainer, status);
  return status == SWELL_RUN_CANCELLED ? 130 : 0;
}

int swell_cli_train(int argc, char **argv) { return train_like(argc, argv, SWELL_TRAINER_FINE_TUNE); }
int swell_cli_lr_find(int argc, char **argv) { return train_like(argc, argv, SWELL_TRAINER_LR_FIND); }

/* ------------------------------------------------------------ report */

int swell_cli_report(int argc, char **argv) {
  gint64 run_id = 0;
  gboolean json = FALSE;
  int top = 10;
  GOptionEntry entries[] = {
      {"run", 0, 0, G_OPTION_ARG_INT64, &run_id, N_("Run id (default: the latest run)"), "N"},
      {"top", 0, 0, G_OPTION_ARG_INT, &top, N_("Top losses to list (default 10)"), "K"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!parse_options(entries, _("PROJECT"), &argc, &argv)) return 2;
  if (argc != 2) return swell_cli_fail(_("report needs exactly one PROJECT"));
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_open(argv[1], &error);
  if (!p) return swell_cli_fail("%s", error->message);
  g_autoptr(SwellRunInfo) run = run_id > 0 ? swell_project_get_run(p, run_id, &error)
                                           : swell_project_get_latest_run(p, FALSE, &error);
  if (!run) {
    if (error) return swell_cli_fail("%s", error->message);
    return swell_cli_fail(_("%s: no training runs yet (use “swell-cli train”)"), argv[1]);
  }
  g_autoptr(GArray) epochs = swell_project_list_epochs(p, run->id, &error);
  if (!epochs) return swell_cli_fail("%s", error->message);
  g_autoptr(GArray) preds = swell_project_list_predictions(p, run->id, &error);
  if (!preds) return swell_cli_fail("%s", error->message);
  g_autofree char *conf = swell_project_get_confusion(p, run->id, &error);
  if (error) return swell_cli_fail("%s", error->message);
  int C = (int)g_strv_length(run->class_names);
  /* Confusion matrix from the predictions (the stored JSON is the same data). */
  int n = (int)preds->len;
  g_autofree int32_t *cm = g_new0(int32_t, C * C > 0 ? C * C : 1);
  for (int i = 0; i < n; i++) {
    const SwellPrediction *pr = &g_array_index(preds, SwellPrediction, i);
    if (pr->actual >= 0 && pr->actual < C && pr->predicted >= 0 && pr->predicted < C)
      cm[pr->actual * C + pr->predicted]++;
  }
  g_autofree float *losses = g_new(float, n > 0 ? n : 1);
  for (int i = 0; i < n; i++) losses[i] = (float)g_array_index(preds, SwellPrediction, i).loss;
  g_autofree int *order = g_new(int, n > 0 ? n : 1);
  sw_top_losses(losses, n, order);
  sw_confused_pair pairs[64];
  int np = sw_most_confused(cm, C, 1, pairs, G_N_ELEMENTS(pairs));
  if (top < 0) top = 0;
  int ntop = MIN(top, n);

  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
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
    for (int i = 0; i < C; i++) json_builder_add_string_value(b, run->class_names[i]);
    json_builder_end_array(b);
    add_double(b, "accuracy", run->accuracy);
    add_double(b, "valid_loss", run->valid_loss);
    json_builder_set_member_name(b, "epochs");
    json_builder_begin_array(b);
    for (guint i = 0; i < epochs->len; i++) add_epoch(b, &g_array_index(epochs, SwellEpochMetrics, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "confusion_matrix");
    swell_trainer_add_confusion_json(b, cm, C);
    json_builder_set_member_name(b, "most_confused");
    json_builder_begin_array(b);
    for (int i = 0; i < np; i++) {
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "actual");
      json_builder_add_string_value(b, run->class_names[pairs[i].actual]);
      json_builder_set_member_name(b, "predicted");
      json_builder_add_string_value(b, run->class_names[pairs[i].predicted]);
      json_builder_set_member_name(b, "count");
      json_builder_add_int_value(b, pairs[i].count);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "top_losses");
    json_builder_begin_array(b);
    for (int k = 0; k < ntop; k++) {
      const SwellPrediction *pr = &g_array_index(preds, SwellPrediction, order[k]);
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "image");
      json_builder_add_int_value(b, pr->image_id);
      g_autoptr(SwellProjectImage) img = swell_project_get_image(p, pr->image_id, NULL);
      json_builder_set_member_name(b, "name");
      if (img)
        json_builder_add_string_value(b, img->name);
      else
        json_builder_add_null_value(b);
      json_builder_set_member_name(b, "actual");
      json_builder_add_string_value(b, pr->actual < C ? run->class_names[pr->actual] : "?");
      json_builder_set_member_name(b, "predicted");
      json_builder_add_string_value(b, pr->predicted < C ? run->class_names[pr->predicted] : "?");
      add_double(b, "prob", pr->probs && pr->predicted < (int)pr->n_classes ? pr->probs[pr->predicted] : NAN);
      add_double(b, "prob_actual", pr->probs && pr->actual < (int)pr->n_classes ? pr->probs[pr->actual] : NAN);
      add_double(b, "loss", pr->loss);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    print_json_builder(b);
    return 0;
  }
  printf(_("Run %lld: %s (%s), %s\n"), (long long)run->id, run->arch, run->weights,
         swell_run_status_to_string(run->status));
  printf("%-6s %-9s %-10s %-10s %-9s %s\n", _("epoch"), _("stage"), _("train_loss"),
         _("valid_loss"), _("accuracy"), _("time"));
  for (guint i = 0; i < epochs->len; i++) {
    const SwellEpochMetrics *m = &g_array_index(epochs, SwellEpochMetrics, i);
    printf("%-6d %-9s %-10.6f %-10.6f %-9.4f %02d:%02d\n", m->epoch,
           swell_stage_to_string(m->stage), m->train_loss, m->valid_loss, m->accuracy,
           (int)m->seconds / 60, (int)m->seconds % 60);
  }
  if (n > 0) {
    printf("\n%s\n", _("Confusion matrix (rows: actual, columns: predicted):"));
    printf("%14s", "");
    for (int j = 0; j < C; j++) printf(" %10.10s", run->class_names[j]);
    printf("\n");
    for (int i = 0; i < C; i++) {
      printf("%14.14s", run->class_names[i]);
      for (int j = 0; j < C; j++) printf(" %10d", cm[i * C + j]);
      printf("\n");
    }
    if (np > 0) {
      printf("\n%s\n", _("Most confused (actual → predicted: count):"));
      for (int i = 0; i < np; i++)
        printf("  %s → %s: %d\n", run->class_names[pairs[i].actual],
               run->class_names[pairs[i].predicted], pairs[i].count);
    }
    printf("\n%s\n", _("Top losses (image, actual, predicted, probability, loss):"));
    for (int k = 0; k < ntop; k++) {
      const SwellPrediction *pr = &g_array_index(preds, SwellPrediction, order[k]);
      g_autoptr(SwellProjectImage) img = swell_project_get_image(p, pr->image_id, NULL);
      printf("  %-30.30s %-12s %-12s %.3f %.3f\n", img ? img->name : "?",
             pr->actual < C ? run->class_names[pr->actual] : "?",
             pr->predicted < C ? run->class_names[pr->predicted] : "?",
             pr->probs && pr->predicted < (int)pr->n_classes ? pr->probs[pr->predicted] : NAN,
             pr->loss);
    }
  } else {
    printf("%s\n", _("No validation predictions stored for this run."));
  }
  return 0;
}

/* ------------------------------------------------------------ predict */

int swell_cli_predict(int argc, char **argv) {
  int top = 3;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"top", 0, 0, G_OPTION_ARG_INT, &top, N_("Classes to show per image (default 3)"), "K"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per image"), NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!parse_options(entries, _("PROJECT IMAGE…"), &argc, &argv)) return 2;
  if (argc < 3) return swell_cli_fail(_("predict needs a PROJECT and at least one IMAGE"));
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_open(argv[1], &error);
  if (!p) return swell_cli_fail("%s", error->message);
  g_autoptr(SwellProjectModel) pm = swell_project_load_model(p, 0, &error);
  if (!pm) {
    if (g_error_matches(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND))
      return swell_cli_fail(_("%s: no trained model yet (use “swell-cli train” first)"), argv[1]);
    return swell_cli_fail("%s", error->message);
  }
  sw_model *m = swell_model_from_project(pm, &error);
  if (!m) return swell_cli_fail("%s: %s", argv[1], error->message);
  int size = pm->input_size > 0 ? pm->input_size : 224;
  char err[512];
  if (sw_model_prepare(m, 1, size, size, err, sizeof err) < 0) {
    sw_model_free(m);
    return swell_cli_fail("%s", err);
  }
  int C = sw_model_num_outputs(m);
  if (top < 1) top = 1;
  if (top > C) top = C;
  g_autofree float *x = g_new(float, 3 * size * size);
  g_autofree float *probs = g_new(float, C);
  g_autofree int *order = g_new(int, C);
  int rc = 0;
  for (int k = 2; k < argc; k++) {
    g_autoptr(GError) ierr = NULL;
    g_autoptr(SwellRgbImage) img = swell_image_decode_file(argv[k], &ierr);
    if (!img) {
      fprintf(stderr, "swell-cli: %s\n", ierr->message);
      rc = 1;
      continue;
    }
    swell_transform_eval(img, size, pm->mean, pm->std, x);
    const float *logits = sw_model_forward(m, x, 1, false);
    sw_softmax(probs, logits, 1, C);
    /* order by probability, largest first */
    for (int i = 0; i < C; i++) order[i] = i;
    for (int i = 0; i < C; i++)
      for (int j = i + 1; j < C; j++)
        if (probs[order[j]] > probs[order[i]]) {
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
    if (json) {
      g_autoptr(JsonBuilder) b = json_builder_new();
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "image");
      json_builder_add_string_value(b, argv[k]);
      json_builder_set_member_name(b, "top");
      json_builder_begin_array(b);
      for (int i = 0; i < top; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, order[i]);
        json_builder_set_member_name(b, "label");
        json_builder_add_string_value(b, pm->class_names[order[i]]);
        json_builder_set_member_name(b, "prob");
        json_builder_add_double_value(b, probs[order[i]]);
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
      json_builder_end_object(b);
      print_json_builder(b);
    } else {
      printf("%s\n", argv[k]);
      for (int i = 0; i < top; i++)
        printf("  %-20s %6.2f%%\n", pm->class_names[order[i]], 100.0 * probs[order[i]]);
    }
  }
  sw_model_free(m);
  return rc;
}
