/* swell-trainer.c: see swell-trainer.h. */
#include "swell-config.h"

#include "swell-trainer.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "optim.h"
#include "swell-loader.h"
#include "swell-model-spec-private.h"
#include "swell-predict.h"
#include "swell-trainer-private.h"
#include "swell-weights.h"

#define POINT_FLUSH 16

void swell_train_options_init(SwellTrainOptions *opts) {
  memset(opts, 0, sizeof *opts);
  opts->arch = g_strdup("resnet34");
  opts->weights_path = NULL;
  opts->epochs = 4;
  opts->freeze_epochs = 1;
  opts->lr = 2e-3;
  opts->batch_size = 16;
  opts->size = 224;
  opts->seed = 0;
  opts->threads = 0;
  opts->augment = TRUE;
  swell_aug_settings_init(&opts->aug);
  opts->lr_mult = 100;
  opts->optimizer = SWELL_OPTIMIZER_ADAM;
  opts->keep = SWELL_KEEP_LAST;
}

gboolean swell_keep_from_name(const char *name, SwellKeep *out) {
  if (g_strcmp0(name, "last") == 0) *out = SWELL_KEEP_LAST;
  else if (g_strcmp0(name, "best") == 0) *out = SWELL_KEEP_BEST;
  else return FALSE;
  return TRUE;
}

const char *swell_keep_to_string(SwellKeep keep) {
  return keep == SWELL_KEEP_BEST ? "best" : "last";
}

void swell_train_options_get_augment(const SwellTrainOptions *opts, SwellAugmentConfig *cfg) {
  SwellAugSettings none = {0};
  /* Swell's recipe: RandomResizedCrop(size, min_scale 0.08) + horizontal flip (issue 4,
   * item 11; bench/reference_finetune.py). fastai's other aug_transforms (warp, rotation,
   * zoom, lighting) are off by default: on 200 photos and 5-10 epochs they cost accuracy
   * (weather4_small, 5 epochs, seed 0: 0.825 with them, 0.875 without). */
  swell_augment_config_from_settings(cfg, opts->size, opts->augment ? &opts->aug : &none);
}

gboolean swell_optimizer_from_name(const char *name, SwellOptimizer *out) {
  sw_optim_kind k;
  if (!name || sw_optim_kind_from_name(name, &k) != 0) return FALSE;
  *out = k == SW_OPTIM_SGD ? SWELL_OPTIMIZER_SGD : SWELL_OPTIMIZER_ADAM;
  return TRUE;
}

static sw_optim_kind optim_kind(SwellOptimizer o) {
  return o == SWELL_OPTIMIZER_SGD ? SW_OPTIM_SGD : SW_OPTIM_ADAM;
}

void swell_train_options_clear(SwellTrainOptions *opts) {
  g_clear_pointer(&opts->arch, g_free);
  g_clear_pointer(&opts->weights_path, g_free);
}

static void copy_options(SwellTrainOptions *dst, const SwellTrainOptions *src) {
  *dst = *src;
  dst->arch = g_strdup(src->arch ? src->arch : "resnet34");
  dst->weights_path = g_strdup(src->weights_path);
}

/* ------------------------------------------------------------ the object */


G_DEFINE_FINAL_TYPE(SwellTrainer, swell_trainer, G_TYPE_OBJECT)

enum { SIGNAL_BATCH, SIGNAL_EPOCH, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void lr_find_result_free(SwellLrFindResult *r) {
  if (!r) return;
  g_free(r->lrs);
  g_free(r->losses);
  g_free(r);
}

static void swell_trainer_finalize(GObject *object) {
  SwellTrainer *self = SWELL_TRAINER(object);
  /* The thread holds a reference until its very end, so it has finished (or is
   * finishing, when this runs on it) here. */
  if (self->thread) {
    if (g_thread_self() == self->thread)
      g_thread_unref(self->thread);
    else
      g_thread_join(self->thread);
  }
  g_free(self->project_path);
  swell_train_options_clear(&self->opts);
  if (self->context) g_main_context_unref(self->context);
  g_mutex_clear(&self->lock);
  g_clear_error(&self->error);
  g_strfreev(self->class_names);
  g_free(self->confusion);
  g_free(self->test_confusion);
  lr_find_result_free(self->lr_find);
  g_ptr_array_unref(self->warnings);
  G_OBJECT_CLASS(swell_trainer_parent_class)->finalize(object);
}

static void swell_trainer_class_init(SwellTrainerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->finalize = swell_trainer_finalize;
  signals[SIGNAL_BATCH] = g_signal_new("batch", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_EPOCH] = g_signal_new("epoch", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void swell_trainer_init(SwellTrainer *self) {
  g_mutex_init(&self->lock);
  self->status = SWELL_RUN_RUNNING;
  self->accuracy = NAN;
  self->kept_epoch = -1;
  self->test_accuracy = NAN;
  self->warnings = g_ptr_array_new_with_free_func(g_free);
}

SwellTrainer *swell_trainer_new(const char *project_path, SwellTrainerMode mode,
                                const SwellTrainOptions *opts) {
  SwellTrainer *self = g_object_new(SWELL_TYPE_TRAINER, NULL);
  self->project_path = g_strdup(project_path);
  self->mode = mode;
  copy_options(&self->opts, opts);
  return self;
}

gint64 swell_trainer_get_run_id(SwellTrainer *self) { return self->run_id; }
SwellRunStatus swell_trainer_get_status(SwellTrainer *self) { return self->status; }
const GError *swell_trainer_get_error(SwellTrainer *self) { return self->error; }
double swell_trainer_get_seconds(SwellTrainer *self) { return self->seconds; }
const char *const *swell_trainer_get_class_names(SwellTrainer *self) {
  return (const char *const *)self->class_names;
}
double swell_trainer_get_accuracy(SwellTrainer *self) { return self->accuracy; }
const int *swell_trainer_get_confusion(SwellTrainer *self, int *n_classes) {
  if (n_classes) *n_classes = self->confusion ? self->n_classes : 0;
  return self->confusion;
}
int swell_trainer_get_kept_epoch(SwellTrainer *self) { return self->kept_epoch; }
double swell_trainer_get_test_accuracy(SwellTrainer *self) { return self->test_accuracy; }
const int *swell_trainer_get_test_confusion(SwellTrainer *self, int *n_images) {
  if (n_images) *n_images = self->test_confusion ? self->n_test : 0;
  return self->test_confusion;
}
const SwellLrFindResult *swell_trainer_get_lr_find(SwellTrainer *self) { return self->lr_find; }
GPtrArray *swell_trainer_get_warnings(SwellTrainer *self) { return self->warnings; }
guint swell_trainer_get_auto_split(SwellTrainer *self) { return self->auto_split; }

char *swell_trainer_auto_split_message(guint n_valid) {
  return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                     "The project had no validation images: %u training image was "
                                     "moved to valid (the default stratified 20%% split).",
                                     "The project had no validation images: %u training images were "
                                     "moved to valid (the default stratified 20%% split).",
                                     n_valid),
                         n_valid);
}

gboolean swell_trainer_is_running(SwellTrainer *self) {
  g_mutex_lock(&self->lock);
  gboolean r = self->running;
  g_mutex_unlock(&self->lock);
  return r;
}

void swell_trainer_cancel(SwellTrainer *self) {
  g_atomic_int_set(&self->cancel, 1);
  g_mutex_lock(&self->lock);
  if (self->learner) sw_learner_cancel(self->learner);
  for (int i = 0; i < 2; i++)
    if (self->loaders[i]) swell_loader_cancel(self->loaders[i]);
  g_mutex_unlock(&self->lock);
}

/* ------------------------------------------------------- main-context dispatch */

typedef struct {
  SwellTrainer *self;
  int kind;
  SwellTrainerBatch batch;
  SwellEpochMetrics epoch;
} Dispatch;

static gboolean dispatch_cb(gpointer data) {
  Dispatch *d = data;
  if (d->kind == SIGNAL_BATCH)
    g_signal_emit(d->self, signals[SIGNAL_BATCH], 0, &d->batch);
  else if (d->kind == SIGNAL_EPOCH)
    g_signal_emit(d->self, signals[SIGNAL_EPOCH], 0, &d->epoch);
  else {
    g_mutex_lock(&d->self->lock);
    d->self->running = FALSE;
    d->self->finished = TRUE;
    g_mutex_unlock(&d->self->lock);
    g_signal_emit(d->self, signals[SIGNAL_FINISHED], 0);
  }
  return G_SOURCE_REMOVE;
}

static void dispatch_free(gpointer data) {
  Dispatch *d = data;
  g_object_unref(d->self);
  g_free(d);
}

static void dispatch(SwellTrainer *self, Dispatch *d) {
  d->self = g_object_ref(self);
  g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, dispatch_cb, d, dispatch_free);
}

/* ------------------------------------------------------------ batch sources */

static int source_begin(void *user, int epoch, char *err, size_t errlen) {
  Source *s = user;
  swell_loader_start_epoch(s->loader, epoch);
  g_array_set_size(s->ids_cur, 0);
  return 0;
}

static int source_next(void *user, float *x, int32_t *y, char *err, size_t errlen) {
  Source *s = user;
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellBatch) b = swell_loader_next(s->loader, &error);
  if (!b) {
    if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_strlcpy(err, error->message, errlen);
      return -1;
    }
    if (!error) { /* end of a complete pass */
      GArray *t = s->ids_done;
      s->ids_done = s->ids_cur;
      s->ids_cur = t;
      g_array_set_size(s->ids_cur, 0);
    }
    return 0; /* cancelled: the learner sees its own flag before the next batch */
  }
  memcpy(x, b->x, sizeof(float) * (size_t)b->n * 3 * (size_t)s->size * (size_t)s->size);
  memcpy(y, b->y, sizeof(int32_t) * (size_t)b->n);
  g_array_append_vals(s->ids_cur, b->ids, (guint)b->n);
  return b->n;
}

/* ------------------------------------------------------------ the job */


/* Each loader serialises its own fetches; this lock serialises them across
 * the loaders, which share job->fetch_project. */
static GBytes *fetch_image(gpointer user_data, gint64 id, GError **error) {
  Job *job = user_data;
  g_mutex_lock(&job->fetch_lock);
  GBytes *bytes = swell_project_get_image_bytes(job->fetch_project, id, error);
  g_mutex_unlock(&job->fetch_lock);
  return bytes;
}

static void bad_image(gpointer user_data, gint64 id, const GError *error) {
  SwellTrainer *self = user_data;
  g_mutex_lock(&self->lock);
  g_ptr_array_add(self->warnings, g_strdup_printf("%" G_GINT64_FORMAT ": %s", id, error->message));
  g_mutex_unlock(&self->lock);
}

static void flush_points(Job *job) {
  if (job->points->len == 0 || job->run_id == 0 || job->store_error) return;
  if (!swell_project_append_points(job->project, job->run_id,
                                   (const SwellRunPoint *)(void *)job->points->data,
                                   job->points->len, &job->store_error))
    sw_learner_cancel(job->learner);
  g_array_set_size(job->points, 0);
}

static SwellStage stage_of(sw_stage s) {
  return s == SW_STAGE_UNFROZEN || s == SW_STAGE_PLAIN ? SWELL_STAGE_UNFROZEN : SWELL_STAGE_FROZEN;
}

static void on_batch(const sw_batch_info *bi, void *user) {
  Job *job = user;
  Dispatch *d = g_new0(Dispatch, 1);
  d->kind = SIGNAL_BATCH;
  SwellTrainerBatch *b = &d->batch;
  b->lr_find = bi->stage == SW_STAGE_LR_FIND;
  b->stage = stage_of(bi->stage);
  b->iteration = bi->iteration;
  b->total_iterations = bi->total_iterations;
  b->n_epochs = b->lr_find ? bi->n_epochs : job->n_epochs_total;
  b->epoch = bi->stage == SW_STAGE_UNFROZEN ? job->self->opts.freeze_epochs + bi->epoch : bi->epoch;
  b->batch = bi->batch;
  b->n_batches = bi->n_batches;
  b->loss = bi->loss;
  b->smooth_loss = bi->smooth_loss;
  b->n_groups = MIN(bi->n_groups, SWELL_MAX_PARAM_GROUPS);
  for (int g = 0; g < b->n_groups; g++) b->group_lrs[g] = bi->lrs[g];
  b->lr = bi->lrs[bi->n_groups - 1];
  b->mom = bi->mom;
  b->elapsed = g_get_monotonic_time() / 1e6 - job->t0;
  if (!b->lr_find) {
    SwellRunPoint p = {0};
    p.iteration = b->iteration;
    p.epoch = b->epoch;
    p.loss = b->loss;
    p.smooth_loss = b->smooth_loss;
    p.lr = b->lr;
    p.mom = b->mom;
    p.n_groups = b->n_groups;
    memcpy(p.group_lrs, b->group_lrs, sizeof p.group_lrs);
    g_array_append_val(job->points, p);
    if (job->points->len >= POINT_FLUSH) flush_points(job);
  }
  dispatch(job->self, d);
}

static void on_epoch(const sw_epoch_info *ei, void *user) {
  Job *job = user;
  flush_points(job);
  swell_trainer_note_epoch(job, ei);
  Dispatch *d = g_new0(Dispatch, 1);
  d->kind = SIGNAL_EPOCH;
  SwellEpochMetrics *m = &d->epoch;
  m->epoch = ei->global_epoch;
  m->stage = stage_of(ei->stage);
  m->train_loss = ei->train_loss;
  m->valid_loss = ei->valid_loss;
  m->accuracy = ei->accuracy;
  m->error_rate = ei->error_rate;
  m->seconds = ei->seconds;
  if (job->run_id && !job->store_error &&
      !swell_project_add_epoch(job->project, job->run_id, m, &job->store_error))
    sw_learner_cancel(job->learner);
  dispatch(job->self, d);
}

/* "aug": the names of the augmentations applied (none when !augment), then every
 * augmentation value by its name ("min_scale": 0.08, ...). */
static void add_aug_json(JsonBuilder *b, const SwellTrainOptions *o) {
  json_builder_set_member_name(b, "aug");
  json_builder_begin_array(b);
  for (int a = 0; a < SWELL_N_AUGS; a++)
    if (o->augment && o->aug.on[a]) json_builder_add_string_value(b, swell_aug_info(a)->name);
  json_builder_end_array(b);
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const SwellAugInfo *info = swell_aug_info(a);
    if (!info->value_name) continue;
    json_builder_set_member_name(b, info->value_name);
    json_builder_add_double_value(b, o->aug.value[a]);
  }
}

static char *hyperparams_json(const SwellTrainOptions *o, const char *weights_path) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "recipe");
  json_builder_add_string_value(b, "fine_tune");
  json_builder_set_member_name(b, "epochs");
  json_builder_add_int_value(b, o->epochs);
  json_builder_set_member_name(b, "freeze_epochs");
  json_builder_add_int_value(b, o->freeze_epochs);
  json_builder_set_member_name(b, "base_lr");
  json_builder_add_double_value(b, o->lr);
  json_builder_set_member_name(b, "lr_mult");
  json_builder_add_double_value(b, o->lr_mult);
  json_builder_set_member_name(b, "pct_start");
  json_builder_add_double_value(b, 0.3);
  json_builder_set_member_name(b, "div");
  json_builder_add_double_value(b, 5);
  json_builder_set_member_name(b, "batch_size");
  json_builder_add_int_value(b, o->batch_size);
  json_builder_set_member_name(b, "size");
  json_builder_add_int_value(b, o->size);
  json_builder_set_member_name(b, "seed");
  json_builder_add_int_value(b, (gint64)o->seed);
  json_builder_set_member_name(b, "threads");
  json_builder_add_int_value(b, o->threads);
  json_builder_set_member_name(b, "augment");
  json_builder_add_boolean_value(b, o->augment);
  add_aug_json(b, o);
  sw_optim_config oc;
  sw_optim_config_default(&oc, optim_kind(o->optimizer));
  json_builder_set_member_name(b, "optimizer");
  json_builder_add_string_value(b, o->optimizer == SWELL_OPTIMIZER_SGD ? "sgd" : "adam");
  json_builder_set_member_name(b, "wd");
  json_builder_add_double_value(b, oc.wd);
  json_builder_set_member_name(b, "keep");
  json_builder_add_string_value(b, swell_keep_to_string(o->keep));
  json_builder_set_member_name(b, "weights_path");
  json_builder_add_string_value(b, weights_path);
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

void swell_trainer_add_confusion_json(JsonBuilder *b, const int *cm, int n_classes) {
  json_builder_begin_array(b);
  for (int i = 0; i < n_classes; i++) {
    json_builder_begin_array(b);
    for (int j = 0; j < n_classes; j++) json_builder_add_int_value(b, cm[i * n_classes + j]);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
}

char *swell_trainer_confusion_json(char **classes, const int *cm, int C) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "classes");
  json_builder_begin_array(b);
  for (int i = 0; i < C; i++) json_builder_add_string_value(b, classes[i]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "matrix");
  swell_trainer_add_confusion_json(b, cm, C);
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

static char *triple_str(const float v[3]) {
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup_printf("[%s, %s, %s]", g_ascii_dtostr(a, sizeof a, v[0]),
                         g_ascii_dtostr(b, sizeof b, v[1]), g_ascii_dtostr(c, sizeof c, v[2]));
}

/* Stores the kept model's validation predictions, its confusion matrix and accuracy;
 * *n: how many (0: no epoch completed, nothing to store). */
static gboolean store_predictions(Job *job, int *n, GError **error) {
  SwellTrainer *self = job->self;
  const float *probs;
  const int32_t *targets;
  const float *losses;
  const gint64 *ids;
  *n = swell_trainer_kept_valid(job, &probs, &targets, &losses, &ids);
  int C = self->n_classes;
  if (*n <= 0) {
    if (*n < 0)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                  "internal: the validation predictions do not match its images");
    return *n == 0;
  }
  g_autofree SwellPrediction *preds = g_new0(SwellPrediction, *n);
  for (int i = 0; i < *n; i++) {
    preds[i].image_id = ids[i];
    preds[i].split = SWELL_SPLIT_VALID;
    preds[i].actual = targets[i];
    preds[i].predicted = sw_argmax(probs + (size_t)i * C, C);
    preds[i].loss = losses[i];
    preds[i].n_classes = (guint)C;
    preds[i].probs = (float *)(probs + (size_t)i * C);
  }
  if (!swell_project_set_predictions(job->project, job->run_id, preds, (guint)*n, error))
    return FALSE;
  g_autofree int32_t *cm = g_new0(int32_t, C * C);
  sw_confusion_matrix(probs, targets, *n, C, cm);
  g_free(self->confusion);
  self->confusion = g_new0(int, C * C);
  for (int i = 0; i < C * C; i++) self->confusion[i] = cm[i];
  self->accuracy = sw_accuracy(probs, targets, *n, C);
  g_autofree char *cj = swell_trainer_confusion_json(self->class_names, self->confusion, C);
  return swell_project_set_confusion(job->project, job->run_id, cj, error);
}

/* The model as safetensors with its metadata: arch, classes, mean, std, input_size, padding,
 * the unknown threshold. */
static gboolean store_model(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  int C = self->n_classes;
  sw_state_dict sd;
  sw_model_state_dict(job->model, &sd);
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_array(jb);
  for (int i = 0; i < C; i++) json_builder_add_string_value(jb, self->class_names[i]);
  json_builder_end_array(jb);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  json_generator_set_root(gen, root);
  g_autofree char *classes = json_generator_to_data(gen, NULL);
  g_autofree char *mean = triple_str(job->meta.mean);
  g_autofree char *std = triple_str(job->meta.std);
  g_autofree char *isz = g_strdup_printf("%d", self->opts.size);
  sw_state_dict_set_meta(&sd, "classes", classes);
  sw_state_dict_set_meta(&sd, "mean", mean);
  sw_state_dict_set_meta(&sd, "std", std);
  sw_state_dict_set_meta(&sd, "input_size", isz);
  if (sw_model_get_config(job->model)->arch != SW_ARCH_MOBILENET_V2)
    sw_state_dict_set_meta(&sd, "padding", "symmetric");
  /* Calibrated on the kept model's validation (the restored best one's own pass). */
  const SwellTrainerPass *kv = &job->kept_valid;
  const int32_t *targets = kv->targets;
  const float *logits = kv->logits;
  int nv = kv->n;
  if (nv == 0) {
    nv = sw_learner_last_valid(job->learner, NULL, &targets, NULL);
    logits = sw_learner_last_valid_logits(job->learner);
  }
  float unknown = swell_unknown_calibrate(logits, targets, nv, C);
  swell_model_spec_write_unknown_threshold(unknown, &sd);
  void *bytes = NULL;
  size_t len = 0;
  char err[512];
  int rc = sw_safetensors_write_mem(&sd, &bytes, &len, err, sizeof err);
  sw_state_dict_free(&sd);
  if (rc < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot save the model: %s"), err);
    return FALSE;
  }
  SwellProjectModel pm = {0};
  pm.arch = self->opts.arch;
  pm.class_names = self->class_names;
  memcpy(pm.mean, job->meta.mean, sizeof pm.mean);
  memcpy(pm.std, job->meta.std, sizeof pm.std);
  pm.input_size = self->opts.size;
  pm.weights = g_bytes_new_with_free_func(bytes, len, free, bytes);
  gboolean ok = swell_project_save_model(job->project, job->run_id, &pm, error);
  g_bytes_unref(pm.weights);
  return ok;
}

/* Stores predictions, confusion matrix and model of the kept epoch (the last completed one,
 * or the best), then its predictions of the other images and the test score. */
static gboolean store_results(Job *job, GError **error) {
  int n = 0;
  if (!swell_trainer_restore_kept(job, error) || !store_predictions(job, &n, error)) return FALSE;
  if (n == 0) return TRUE;
  int kept = job->self->kept_epoch;
  return store_model(job, error) && swell_trainer_store_review(job, error) &&
         (kept < 0 || swell_project_set_kept_epoch(job->project, job->run_id, kept, error));
}

/* The discriminative ratio and the augmentation values. */
static gboolean check_recipe_options(const SwellTrainOptions *o, GError **error) {
  if (!(o->lr_mult >= 1 && o->lr_mult <= 1e6)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("the discriminative ratio (lr_mult) must be between 1 and 1000000"));
    return FALSE;
  }
  int bad = swell_aug_settings_find_bad_value(&o->aug);
  if (bad >= 0) {
    const SwellAugInfo *i = swell_aug_info(bad);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("%s (%s) must be between %g and %g, not %g"), _(i->value_title), i->value_name,
                i->value_min, i->value_max, o->aug.value[bad]);
    return FALSE;
  }
  return TRUE;
}

static gboolean check_options(const SwellTrainOptions *o, GError **error) {
  sw_arch a;
  if (!o->arch || sw_arch_from_name(o->arch, &a) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("unknown architecture “%s” (use resnet18, resnet34, resnet50 or mobilenet_v2)"),
                o->arch ? o->arch : "");
    return FALSE;
  }
  if (o->epochs < 0 || o->freeze_epochs < 0 || o->epochs + o->freeze_epochs == 0 ||
      o->epochs > 1000 || o->freeze_epochs > 1000) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("epochs must be between 0 and 1000 and not all zero"));
    return FALSE;
  }
  if (!(o->lr > 0 && o->lr < 10)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("the learning rate must be above 0 and below 10"));
    return FALSE;
  }
  if (o->batch_size < 2 || o->batch_size > 512) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("the batch size must be between 2 and 512"));
    return FALSE;
  }
  if (o->size < 32 || o->size > 1024) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("the image size must be between 32 and 1024"));
    return FALSE;
  }
  if (o->threads < 0 || o->threads > 256) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                _("the thread count must be between 0 and 256"));
    return FALSE;
  }
  return check_recipe_options(o, error);
}

/* Reads labeled images of one split as loader items. */
GArray *swell_trainer_split_items(SwellProject *p, GPtrArray *cats, SwellSplit split,
                                  GError **error) {
  GArray *items = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  for (guint c = 0; c < cats->len; c++) {
    const SwellCategory *cat = g_ptr_array_index(cats, c);
    SwellImageQuery q = {cat->id, (int)split, 0, 0};
    g_autoptr(GArray) ids = swell_project_list_image_ids(p, &q, error);
    if (!ids) {
      g_array_unref(items);
      return NULL;
    }
    for (guint i = 0; i < ids->len; i++) {
      SwellLoaderItem it = {g_array_index(ids, gint64, i), (int)c};
      g_array_append_val(items, it);
    }
  }
  return items;
}

static int compare_items(gconstpointer a, gconstpointer b) {
  const SwellLoaderItem *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* The precondition's rule, on the project's categories. */
static gboolean check_categories(GPtrArray *cats, const char *what, GError **error) {
  if (cats->len >= 2) return TRUE;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
              _("%s: training needs at least two categories (it has %u)"), what, cats->len);
  return FALSE;
}

gboolean swell_trainer_check_project(SwellProject *project, const char *what, GError **error) {
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, error);
  return cats && check_categories(cats, what, error);
}

/* The labeled training and validation images, in image order. */
static gboolean collect_splits(Job *job, GPtrArray *cats, GError **error) {
  for (int k = 0; k < 2; k++) {
    g_clear_pointer(&job->items[k], g_array_unref);
    job->items[k] = swell_trainer_split_items(job->project, cats,
                                              k == 0 ? SWELL_SPLIT_TRAIN : SWELL_SPLIT_VALID, error);
    if (!job->items[k]) return FALSE;
    g_array_sort(job->items[k], compare_items);
  }
  return TRUE;
}

/* The class names (the categories in display order) and the labeled images of each split,
 * in image order (import order), as a folder listing would give them. */
static gboolean job_collect_items(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  g_autoptr(GPtrArray) cats = swell_project_list_categories(job->project, error);
  if (!cats || !check_categories(cats, self->project_path, error)) return FALSE;
  char **names = g_new0(char *, cats->len + 1);
  for (guint c = 0; c < cats->len; c++)
    names[c] = g_strdup(((SwellCategory *)g_ptr_array_index(cats, c))->name);
  self->class_names = names;
  self->n_classes = (int)cats->len;
  if (!collect_splits(job, cats, error)) return FALSE;
  if (self->mode == SWELL_TRAINER_FINE_TUNE && job->items[1]->len == 0 && job->items[0]->len > 0) {
    /* No validation images: the import's default split, drawn now (and kept). */
    g_autoptr(GArray) ids = g_array_sized_new(FALSE, FALSE, sizeof(gint64), job->items[0]->len);
    for (guint i = 0; i < job->items[0]->len; i++)
      g_array_append_val(ids, g_array_index(job->items[0], SwellLoaderItem, i).id);
    if (!swell_project_assign_auto_split(job->project, (const gint64 *)(void *)ids->data, ids->len,
                                         0.2, error) ||
        !collect_splits(job, cats, error))
      return FALSE;
    self->auto_split = job->items[1]->len;
  }
  if ((int)job->items[0]->len < job->o->batch_size) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: %u labeled training images, fewer than one batch of %d"),
                self->project_path, job->items[0]->len, job->o->batch_size);
    return FALSE;
  }
  if (self->mode == SWELL_TRAINER_FINE_TUNE && job->items[1]->len == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: no labeled validation images to measure the model with"),
                self->project_path);
    return FALSE;
  }
  return self->mode != SWELL_TRAINER_FINE_TUNE || swell_trainer_collect_review(job, cats, error);
}

/* The network with the fastai head for the project's classes, the body from the pretrained
 * file (the weights manager's cached one unless the options name a file). */
static gboolean job_build_model(Job *job, GError **error) {
  const SwellTrainOptions *o = job->o;
  char err[1024];
  job->weights_path = g_strdup(o->weights_path);
  if (!job->weights_path) {
    job->weights_path = swell_weights_find_cached(o->arch, error);
    if (!job->weights_path) return FALSE;
  }
  sw_state_dict sd;
  if (sw_weights_read(job->weights_path, &sd, err, sizeof err) < 0) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, err);
    return FALSE;
  }
  if (!swell_model_spec_from_state_dict(&sd, o->arch, job->weights_path, &job->meta, error)) {
    sw_state_dict_free(&sd);
    return FALSE;
  }
  sw_model_config mc = {0};
  sw_arch_from_name(o->arch, &mc.arch);
  mc.width_mult = job->meta.width_mult;
  mc.tf_same_padding = job->meta.tf_same_padding;
  mc.head = SW_HEAD_FASTAI;
  mc.num_classes = job->self->n_classes;
  mc.seed = o->seed;
  job->model = sw_model_new(&mc, err, sizeof err);
  if (!job->model || sw_model_load(job->model, &sd, true, err, sizeof err) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", job->weights_path, err);
    g_clear_pointer(&job->model, sw_model_free);
    sw_state_dict_free(&sd);
    return FALSE;
  }
  sw_state_dict_free(&sd);
  sw_set_num_threads(o->threads > 0 ? o->threads : (int)g_get_num_processors());
  return TRUE;
}

/* Loader k's configuration: training (k 0) augmented as the recipe says, validation
 * resized and centre-cropped; both normalised with the pretrained file's mean/std. */
static void loader_config(const Job *job, int k, SwellLoaderConfig *lc) {
  const SwellTrainOptions *o = job->o;
  swell_loader_config_init(lc, o->size, o->batch_size, k == 0);
  if (k == 0) swell_train_options_get_augment(o, &lc->augment);
  memcpy(lc->mean, job->meta.mean, sizeof job->meta.mean);
  memcpy(lc->std, job->meta.std, sizeof job->meta.std);
  lc->seed = o->seed;
}

/* The batch loaders of both splits and the learner's batch sources on them. */
void swell_trainer_source_init(Job *job, gboolean training, const GArray *items, Source *src,
                               sw_batch_source *bs) {
  const SwellTrainOptions *o = job->o;
  SwellLoaderConfig lc;
  loader_config(job, training ? 0 : 1, &lc);
  src->loader = swell_loader_new(&lc, (const SwellLoaderItem *)(void *)items->data, items->len,
                                 fetch_image, job);
  swell_loader_set_bad_image_func(src->loader, bad_image, job->self);
  src->size = o->size;
  src->ids_cur = g_array_new(FALSE, FALSE, sizeof(gint64));
  src->ids_done = g_array_new(FALSE, FALSE, sizeof(gint64));
  memset(bs, 0, sizeof *bs);
  bs->user = src;
  bs->num_batches = (int)swell_loader_n_batches(src->loader);
  bs->batch_size = o->batch_size;
  bs->channels = 3;
  bs->height = bs->width = o->size;
  bs->begin_epoch = source_begin;
  bs->next = source_next;
}

void swell_trainer_source_clear(Source *src) {
  g_clear_pointer(&src->loader, swell_loader_free);
  g_clear_pointer(&src->ids_cur, g_array_unref);
  g_clear_pointer(&src->ids_done, g_array_unref);
}

static void job_make_sources(Job *job) {
  for (int k = 0; k < 2; k++)
    swell_trainer_source_init(job, k == 0, job->items[k], &job->src[k], &job->bs[k]);
}

/* The learner on the model and the sources, made cancellable through the trainer. */
static gboolean job_make_learner(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  char err[1024];
  sw_net_from_model(&job->net, job->model);
  sw_learner_config lcfg;
  sw_learner_config_default(&lcfg);
  sw_optim_config_default(&lcfg.optim, optim_kind(job->o->optimizer));
  job->learner = sw_learner_new(&job->net, &job->bs[0], job->items[1]->len ? &job->bs[1] : NULL,
                                &lcfg, err, sizeof err);
  if (!job->learner) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
    return FALSE;
  }
  g_mutex_lock(&self->lock);
  self->learner = job->learner;
  self->loaders[0] = job->src[0].loader;
  self->loaders[1] = job->src[1].loader;
  if (g_atomic_int_get(&self->cancel)) sw_learner_cancel(job->learner);
  g_mutex_unlock(&self->lock);
  sw_learner_callbacks cbs = {on_batch, on_epoch, job};
  sw_learner_set_callbacks(job->learner, &cbs);
  return TRUE;
}

static SwellLrFindResult *lr_find_result_new(const sw_lr_find_result *r) {
  SwellLrFindResult *res = g_new0(SwellLrFindResult, 1);
  res->n = r->n;
  res->lrs = g_new(double, r->n);
  res->losses = g_new(double, r->n);
  for (int i = 0; i < r->n; i++) {
    res->lrs[i] = r->lrs[i];
    res->losses[i] = r->losses[i];
  }
  res->valley = r->valley;
  res->minimum = r->minimum;
  res->steep = r->steep;
  res->valley_index = r->valley_idx;
  res->minimum_index = r->minimum_idx;
  res->steep_index = r->steep_idx;
  return res;
}

/* fastai's lr_find on the frozen network (a fresh vision_learner is frozen). */
static gboolean job_lr_find(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  char err[1024];
  sw_learner_freeze(job->learner);
  sw_lr_find_result r;
  int rc = sw_learner_lr_find(job->learner, 1e-7, 10, 100, true, &r, err, sizeof err);
  if (rc == SW_FIT_DONE) {
    self->lr_find = lr_find_result_new(&r);
    sw_lr_find_result_free(&r);
    self->status = SWELL_RUN_COMPLETED;
  } else if (rc == SW_FIT_CANCELLED) {
    self->status = SWELL_RUN_CANCELLED;
  } else {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
    return FALSE;
  }
  return TRUE;
}

/* fastai's fine_tune on the run made for it, then the results of its last completed epoch. */
static gboolean job_fit(Job *job, GError **error) {
  const SwellTrainOptions *o = job->o;
  char err[1024];
  sw_fine_tune_params ft;
  sw_fine_tune_params_default(&ft, o->epochs);
  ft.freeze_epochs = o->freeze_epochs;
  ft.base_lr = o->lr;
  ft.lr_mult = o->lr_mult;
  int rc = sw_learner_fine_tune(job->learner, &ft, err, sizeof err);
  flush_points(job);
  if (job->store_error) {
    g_propagate_error(error, g_steal_pointer(&job->store_error));
    return FALSE;
  }
  if (rc == SW_FIT_ERROR) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
    return FALSE;
  }
  if (!store_results(job, error)) return FALSE;
  job->self->status = rc == SW_FIT_CANCELLED ? SWELL_RUN_CANCELLED : SWELL_RUN_COMPLETED;
  return TRUE;
}

/* The stored run: created with the recipe, trained, then finished with its status. */
static gboolean job_fine_tune(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  g_autofree char *hp = hyperparams_json(job->o, job->weights_path);
  g_autofree char *wname = g_path_get_basename(job->weights_path);
  job->run_id = swell_project_create_run(job->project, job->o->arch, wname, hp,
                                         (const char *const *)self->class_names, error);
  if (job->run_id == 0) return FALSE;
  self->run_id = job->run_id;
  gboolean ok = job_fit(job, error);
  g_autoptr(GError) finish_err = NULL;
  const char *msg = ok ? (self->status == SWELL_RUN_CANCELLED ? _("cancelled") : NULL)
                       : (*error ? (*error)->message : NULL);
  if (!swell_project_finish_run(job->project, job->run_id, ok ? self->status : SWELL_RUN_FAILED,
                                msg, &finish_err) && ok) {
    g_propagate_error(error, g_steal_pointer(&finish_err));
    ok = FALSE;
  }
  return ok;
}

/* The one cleanup path, from any step. */
static void job_clear(Job *job) {
  SwellTrainer *self = job->self;
  g_mutex_lock(&self->lock);
  self->learner = NULL;
  self->loaders[0] = self->loaders[1] = NULL;
  g_mutex_unlock(&self->lock);
  g_clear_pointer(&job->learner, sw_learner_free);
  for (int k = 0; k < 2; k++) {
    swell_trainer_source_clear(&job->src[k]);
    g_clear_pointer(&job->items[k], g_array_unref);
  }
  swell_trainer_final_clear(job);
  g_clear_pointer(&job->points, g_array_unref);
  g_clear_error(&job->store_error);
  if (job->model) /* the job got as far as the network: the run may have changed */
    swell_project_notify_changed(job->project,
                                 SWELL_PROJECT_CHANGE_RUNS | SWELL_PROJECT_CHANGE_MODELS);
  g_clear_pointer(&job->model, sw_model_free);
  g_clear_pointer(&job->weights_path, g_free);
  g_clear_object(&job->fetch_project);
  g_clear_object(&job->project);
  g_mutex_clear(&job->fetch_lock);
}

static gboolean run_job(SwellTrainer *self, GError **error) {
  if (!check_options(&self->opts, error)) return FALSE;
  Job job = {0};
  g_mutex_init(&job.fetch_lock);
  job.self = self;
  job.o = &self->opts;
  job.points = g_array_new(FALSE, FALSE, sizeof(SwellRunPoint));
  job.n_epochs_total = self->opts.freeze_epochs + self->opts.epochs;
  job.last_epoch = job.best_epoch = -1;
  job.best_loss = INFINITY;
  gboolean ok = (job.project = swell_project_open(self->project_path, error)) &&
                (job.fetch_project = swell_project_open(self->project_path, error)) &&
                job_collect_items(&job, error) && job_build_model(&job, error);
  if (ok) {
    job_make_sources(&job);
    job.t0 = g_get_monotonic_time() / 1e6;
    ok = job_make_learner(&job, error) &&
         (self->mode == SWELL_TRAINER_LR_FIND ? job_lr_find(&job, error)
                                              : job_fine_tune(&job, error));
  }
  job_clear(&job);
  return ok;
}

static gpointer worker(gpointer data) {
  SwellTrainer *self = data;
  double t0 = g_get_monotonic_time() / 1e6;
  GError *error = NULL;
  if (!run_job(self, &error)) {
    self->status = SWELL_RUN_FAILED;
    self->error = error;
  }
  self->seconds = g_get_monotonic_time() / 1e6 - t0;
  Dispatch *d = g_new0(Dispatch, 1);
  d->kind = SIGNAL_FINISHED;
  dispatch(self, d);
  g_object_unref(self);
  return NULL;
}

void swell_trainer_start(SwellTrainer *self) {
  g_return_if_fail(self->thread == NULL);
  self->context = g_main_context_ref_thread_default();
  g_mutex_lock(&self->lock);
  self->running = TRUE;
  g_mutex_unlock(&self->lock);
  self->thread = g_thread_new("swell-trainer", worker, g_object_ref(self));
}

void swell_trainer_run(SwellTrainer *self) {
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  swell_trainer_start(self);
  for (;;) {
    g_mutex_lock(&self->lock);
    gboolean done = self->finished;
    g_mutex_unlock(&self->lock);
    if (done) break;
    g_main_context_iteration(ctx, TRUE);
  }
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}
