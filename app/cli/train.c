/* train.c: swell-cli train and lr-find. */
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
#include "swell-trainer.h"
#include "swell-transforms.h"

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
    swell_cli_add_epoch(b, m);
    swell_cli_print_json(b);
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
  g_autofree char *acc = swell_accuracy_to_string(m->accuracy);
  g_autofree char *err = swell_accuracy_to_string(m->error_rate);
  printf("%-6d %-10.6f %-10.6f %-9s %-10s %02d:%02d\n", swell_cli_epoch_number(m), m->train_loss,
         m->valid_loss, acc, err, (int)m->seconds / 60, (int)m->seconds % 60);
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
  double lr, lr_mult;
  gint64 seed;
  char *opt;
  SwellOptimizer optimizer; /* parsed from opt */
  char *keep_name;
  SwellKeep keep;           /* parsed from keep_name */
  gboolean no_augment, json;
  char *aug;                      /* --aug LIST */
  double aug_value[SWELL_N_AUGS]; /* --min-scale ...; NAN when not given */
  char *aug_help[SWELL_N_AUGS];   /* their --help lines */
  SwellAugSettings aug_settings;  /* parsed from aug and aug_value */
} TrainArgs;

static void train_args_init(TrainArgs *a) {
  *a = (TrainArgs){0};
  a->optimizer = SWELL_OPTIMIZER_ADAM;
  a->epochs = 4;
  a->freeze_epochs = 1;
  a->batch_size = 16;
  a->size = 224;
  a->lr = 2e-3;
  a->lr_mult = 100;
  for (int i = 0; i < SWELL_N_AUGS; i++) a->aug_value[i] = NAN;
  swell_aug_settings_init(&a->aug_settings);
}

static void train_args_clear(TrainArgs *a) {
  g_free(a->opt);
  g_free(a->keep_name);
  g_free(a->arch);
  g_free(a->weights);
  g_free(a->aug);
  for (int i = 0; i < SWELL_N_AUGS; i++) g_free(a->aug_help[i]);
}

/* --aug and one option per augmentation value, from the app's table. */
static void add_aug_entries(GArray *entries, TrainArgs *a) {
  GOptionEntry list = {"aug", 0, 0, G_OPTION_ARG_STRING, &a->aug,
                       N_("Augmentations, comma-separated: crop, flip, rotate, zoom, warp, "
                          "lighting, or none (default crop,flip)"),
                       "LIST"};
  g_array_append_val(entries, list);
  for (int i = 0; i < SWELL_N_AUGS; i++) {
    const SwellAugInfo *info = swell_aug_info(i);
    if (!info->option) continue;
    a->aug_help[i] = g_strdup_printf(_("%s (default %g; with “%s” in --aug)"),
                                     _(info->value_title), info->value_default, info->name);
    GOptionEntry e = {info->option, 0, 0, G_OPTION_ARG_DOUBLE, &a->aug_value[i], a->aug_help[i],
                      "X"};
    g_array_append_val(entries, e);
  }
}

static GOptionEntry *train_entries(TrainArgs *a, gboolean fine_tune) {
  GOptionEntry common[] = {
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
  };
  GOptionEntry fine_tune_only[] = {
      {"epochs", 0, 0, G_OPTION_ARG_INT, &a->epochs, N_("Unfrozen epochs (default 4)"), "N"},
      {"keep", 0, 0, G_OPTION_ARG_STRING, &a->keep_name,
       N_("Model to keep: last (default, as fastai) or best (the epoch of the lowest validation "
          "loss)"),
       "last|best"},
      {"freeze-epochs", 0, 0, G_OPTION_ARG_INT, &a->freeze_epochs,
       N_("Frozen epochs first (default 1)"), "N"},
      {"lr-mult", 0, 0, G_OPTION_ARG_DOUBLE, &a->lr_mult,
       N_("Discriminative ratio once unfrozen: the body's first layers train at lr / X "
          "(default 100)"),
       "X"},
  };
  GArray *entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry)); /* zero-terminated */
  g_array_append_vals(entries, common, G_N_ELEMENTS(common));
  add_aug_entries(entries, a);
  if (fine_tune) g_array_append_vals(entries, fine_tune_only, G_N_ELEMENTS(fine_tune_only));
  return (GOptionEntry *)(void *)g_array_free(entries, FALSE);
}

/* The augmentation options into a->aug_settings; FALSE after printing the reason. */
static gboolean parse_aug_args(TrainArgs *a) {
  g_autoptr(GError) error = NULL;
  if (a->aug && a->no_augment) {
    swell_cli_fail(_("--aug and --no-augment cannot be used together"));
    return FALSE;
  }
  if (a->aug && !swell_aug_settings_set_list(&a->aug_settings, a->aug, &error)) {
    swell_cli_fail("--aug: %s", error->message);
    return FALSE;
  }
  for (int i = 0; i < SWELL_N_AUGS; i++) {
    const SwellAugInfo *info = swell_aug_info(i);
    if (isnan(a->aug_value[i])) continue;
    if (!a->aug_settings.on[i] || a->no_augment) {
      SwellAugSettings with = a->aug_settings;
      with.on[i] = TRUE;
      g_autofree char *list = swell_aug_settings_get_list(&with);
      swell_cli_fail(_("--%s needs “%s” in --aug (e.g. --aug %s)"), info->option, info->name,
                     list);
      return FALSE;
    }
    a->aug_settings.value[i] = a->aug_value[i];
  }
  int bad = swell_aug_settings_find_bad_value(&a->aug_settings);
  if (bad >= 0) {
    const SwellAugInfo *info = swell_aug_info(bad);
    swell_cli_fail(_("--%s must be between %g and %g, not %g"), info->option, info->value_min,
                   info->value_max, a->aug_settings.value[bad]);
    return FALSE;
  }
  return TRUE;
}

static int do_train(const TrainArgs *a, const char *project, SwellTrainerMode mode);

static int train_like(int argc, char **argv, SwellTrainerMode mode) {
  TrainArgs a;
  train_args_init(&a);
  g_autofree GOptionEntry *entries = train_entries(&a, mode == SWELL_TRAINER_FINE_TUNE);
  if (!swell_cli_parse_options(entries, _("PROJECT"), &argc, &argv)) {
    train_args_clear(&a);
    return 2;
  }
  int rc;
  if (argc != 2)
    rc = swell_cli_fail(_("%s needs exactly one PROJECT (see “swell-cli %s --help”)"), argv[0],
                        argv[0]);
  else if (a.seed < 0)
    rc = swell_cli_fail(_("--seed must not be negative"));
  else if (a.opt && !swell_optimizer_from_name(a.opt, &a.optimizer))
    rc = swell_cli_fail(_("unknown optimiser “%s” (choose adam or sgd)"), a.opt);
  else if (!parse_aug_args(&a))
    rc = 1;
  else if (a.keep_name && !swell_keep_from_name(a.keep_name, &a.keep))
    rc = swell_cli_fail(_("--keep: unknown choice “%s” (choose last or best)"), a.keep_name);
  else
    rc = do_train(&a, argv[1], mode);
  train_args_clear(&a);
  return rc;
}

static void print_lr_find(const TrainArgs *a, SwellTrainer *trainer, const SwellLrFindResult *r) {
  if (a->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    swell_cli_add_double(b, "suggestion", r->valley);
    swell_cli_add_double(b, "valley", r->valley);
    swell_cli_add_double(b, "minimum", r->minimum);
    swell_cli_add_double(b, "steep", r->steep);
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
    swell_cli_add_double(b, "seconds", swell_trainer_get_seconds(trainer));
    if (swell_trainer_get_auto_split(trainer)) { /* images moved to valid before training */
      json_builder_set_member_name(b, "auto_split");
      json_builder_add_int_value(b, swell_trainer_get_auto_split(trainer));
    }
    json_builder_end_object(b);
    swell_cli_print_json(b);
  } else {
    printf(_("Learning-rate finder: %d batches in %.1f s\n"), r->n,
           swell_trainer_get_seconds(trainer));
    printf(_("  valley (suggested): %.3g\n"), r->valley);
    printf(_("  minimum / 10:       %.3g\n"), r->minimum);
    printf(_("  steepest:           %.3g\n"), r->steep);
  }
}

/* --keep best: the kept epoch, numbered from 1 (0 when none was kept). */
static int kept_epoch(SwellTrainer *trainer) { return swell_trainer_get_kept_epoch(trainer) + 1; }

/* The kept epoch (--keep best) and the test score (when the project has test images). */
static void summary_json_final(JsonBuilder *b, const TrainArgs *a, SwellTrainer *trainer) {
  if (a->keep == SWELL_KEEP_BEST && kept_epoch(trainer) > 0) {
    json_builder_set_member_name(b, "kept_epoch");
    json_builder_add_int_value(b, kept_epoch(trainer));
  }
  int n_test = 0;
  const int *tcm = swell_trainer_get_test_confusion(trainer, &n_test);
  if (!tcm) return;
  int C = (int)g_strv_length((char **)swell_trainer_get_class_names(trainer));
  swell_cli_add_double(b, "test_accuracy", swell_trainer_get_test_accuracy(trainer));
  json_builder_set_member_name(b, "test_confusion_matrix");
  swell_trainer_add_confusion_json(b, tcm, C);
}

static void summary_text_final(const TrainArgs *a, SwellTrainer *trainer) {
  if (a->keep == SWELL_KEEP_BEST && kept_epoch(trainer) > 0)
    printf(_("Kept the model of epoch %d (the lowest validation loss)\n"), kept_epoch(trainer));
  int n_test = 0;
  const int *tcm = swell_trainer_get_test_confusion(trainer, &n_test);
  if (!tcm) return;
  int C = (int)g_strv_length((char **)swell_trainer_get_class_names(trainer));
  g_autofree char *acc = swell_accuracy_to_string(swell_trainer_get_test_accuracy(trainer));
  printf(g_dngettext(GETTEXT_PACKAGE, "Test accuracy %s on %d test image\n",
                     "Test accuracy %s on %d test images\n", (gulong)n_test),
         acc, n_test);
  swell_cli_print_confusion(swell_trainer_get_class_names(trainer), tcm, C);
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
    swell_cli_add_double(b, "accuracy", acc);
    json_builder_set_member_name(b, "confusion_matrix");
    if (cm)
      swell_trainer_add_confusion_json(b, cm, C);
    else
      json_builder_add_null_value(b);
    json_builder_set_member_name(b, "classes");
    json_builder_begin_array(b);
    for (int i = 0; classes && classes[i]; i++) json_builder_add_string_value(b, classes[i]);
    json_builder_end_array(b);
    swell_cli_add_double(b, "seconds", swell_trainer_get_seconds(trainer));
    if (swell_trainer_get_auto_split(trainer)) { /* images moved to valid before training */
      json_builder_set_member_name(b, "auto_split");
      json_builder_add_int_value(b, swell_trainer_get_auto_split(trainer));
    }
    summary_json_final(b, a, trainer);
    json_builder_end_object(b);
    swell_cli_print_json(b);
    return;
  }
  g_autofree char *acc_text = swell_accuracy_to_string(acc);
  printf(_("Run %lld %s in %.1f s; validation accuracy %s\n"),
         (long long)swell_trainer_get_run_id(trainer), swell_run_status_to_string(status),
         swell_trainer_get_seconds(trainer), acc_text);
  if (cm) swell_cli_print_confusion(classes, cm, C);
  summary_text_final(a, trainer);
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
  opts.aug = a->aug_settings;
  opts.lr_mult = a->lr_mult;
  opts.optimizer = a->optimizer;
  opts.keep = a->keep;
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
  if (swell_trainer_get_auto_split(trainer)) {
    g_autofree char *note = swell_trainer_auto_split_message(swell_trainer_get_auto_split(trainer));
    fprintf(stderr, "swell-cli: %s\n", note);
  }
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
