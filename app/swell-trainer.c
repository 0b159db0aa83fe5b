/* swell-trainer.c: see swell-trainer.h. */
#include "swell-config.h"

#include "swell-trainer.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "learner.h"
#include "metrics.h"
#include "swell-loader.h"
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
  opts->optimizer = SW_OPTIM_ADAM;
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

/* ------------------------------------------------------------ metadata */

/* "[a, b, c]" with C-locale numbers. */
static gboolean parse_triple(const char *s, float out[3]) {
  if (!s) return FALSE;
  const char *p = s;
  while (g_ascii_isspace(*p)) p++;
  if (*p++ != '[') return FALSE;
  for (int i = 0; i < 3; i++) {
    char *end = NULL;
    double v = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(v)) return FALSE;
    out[i] = (float)v;
    p = end;
    while (g_ascii_isspace(*p)) p++;
    if (*p++ != (i < 2 ? ',' : ']')) return FALSE;
  }
  while (g_ascii_isspace(*p)) p++;
  return *p == '\0';
}

gboolean swell_weights_meta_from_state_dict(const sw_state_dict *sd, const char *what,
                                            const char *arch, SwellWeightsMeta *meta,
                                            GError **error) {
  memcpy(meta->mean, SWELL_IMAGENET_MEAN, sizeof meta->mean);
  memcpy(meta->std, SWELL_IMAGENET_STD, sizeof meta->std);
  meta->width_mult = 1.0f;
  meta->tf_same_padding = FALSE;
  meta->input_size = 224;
  const char *v;
  if ((v = sw_state_dict_get_meta(sd, "arch")) && arch && strcmp(v, arch) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: holds %s weights, not %s"), what, v, arch);
    return FALSE;
  }
  if ((v = sw_state_dict_get_meta(sd, "mean")) && !parse_triple(v, meta->mean)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: metadata “mean” is not three numbers: %s"), what, v);
    return FALSE;
  }
  if ((v = sw_state_dict_get_meta(sd, "std")) && !parse_triple(v, meta->std)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: metadata “std” is not three numbers: %s"), what, v);
    return FALSE;
  }
  for (int c = 0; c < 3; c++)
    if (!(meta->std[c] > 0)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  _("%s: metadata “std” must be positive"), what);
      return FALSE;
    }
  if ((v = sw_state_dict_get_meta(sd, "width_mult"))) {
    char *end = NULL;
    double w = g_ascii_strtod(v, &end);
    if (end == v || !(w > 0 && w <= 4)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  _("%s: metadata “width_mult” is not a width: %s"), what, v);
      return FALSE;
    }
    meta->width_mult = (float)w;
  }
  if ((v = sw_state_dict_get_meta(sd, "padding"))) meta->tf_same_padding = g_str_has_prefix(v, "tf_same");
  if ((v = sw_state_dict_get_meta(sd, "input_size"))) {
    gint64 n = g_ascii_strtoll(v, NULL, 10);
    if (n >= 16 && n <= 4096) meta->input_size = (int)n;
  }
  return TRUE;
}

sw_model *swell_model_from_project(const SwellProjectModel *pm, GError **error) {
  char err[512];
  sw_state_dict sd;
  gsize len = 0;
  const void *data = g_bytes_get_data(pm->weights, &len);
  if (sw_safetensors_read_mem(data, len, "stored model", &sd, err, sizeof err) < 0) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, err);
    return NULL;
  }
  SwellWeightsMeta meta;
  sw_model_config cfg = {0};
  if (!swell_weights_meta_from_state_dict(&sd, "stored model", pm->arch, &meta, error)) {
    sw_state_dict_free(&sd);
    return NULL;
  }
  if (sw_arch_from_name(pm->arch, &cfg.arch) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("stored model: unknown architecture “%s”"), pm->arch);
    sw_state_dict_free(&sd);
    return NULL;
  }
  cfg.width_mult = meta.width_mult;
  cfg.tf_same_padding = meta.tf_same_padding;
  cfg.head = SW_HEAD_FASTAI;
  cfg.num_classes = (int)g_strv_length(pm->class_names);
  cfg.seed = 0;
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m || sw_model_load(m, &sd, false, err, sizeof err) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("stored model: %s"), err);
    sw_model_free(m);
    sw_state_dict_free(&sd);
    return NULL;
  }
  sw_state_dict_free(&sd);
  return m;
}

/* ------------------------------------------------------------ the object */

struct _SwellTrainer {
  GObject parent_instance;
  char *project_path;
  SwellTrainerMode mode;
  SwellTrainOptions opts;
  GMainContext *context;
  GThread *thread;
  GMutex lock;
  gboolean running;
  gboolean finished;
  gint cancel; /* atomic */
  sw_learner *learner;  /* under lock while it exists */
  SwellLoader *loaders[2];
  /* results */
  gint64 run_id;        /* atomic */
  SwellRunStatus status;
  GError *error;
  double seconds;
  char **class_names;
  double accuracy;
  int *confusion;
  int n_classes;
  SwellLrFindResult *lr_find;
  GPtrArray *warnings;
};

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
const SwellLrFindResult *swell_trainer_get_lr_find(SwellTrainer *self) { return self->lr_find; }
GPtrArray *swell_trainer_get_warnings(SwellTrainer *self) { return self->warnings; }

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

typedef struct {
  SwellLoader *loader;
  int size;
  gboolean cancelled;
  /* ids of the images of the current pass and of the last complete pass */
  GArray *ids_cur, *ids_done;
} Source;

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

typedef struct {
  SwellTrainer *self;
  SwellProject *project; /* the job's own connection for writes */
  gint64 run_id;
  GArray *points;        /* SwellRunPoint waiting to be stored */
  double t0;
  int n_epochs_total;
  gint64 total_iterations;
  GError *store_error;   /* first storage failure: the job stops */
  sw_learner *learner;
} Job;

static GBytes *fetch_image(gpointer user_data, gint64 id, GError **error) {
  return swell_project_get_image_bytes(SWELL_PROJECT(user_data), id, error);
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
  json_builder_add_double_value(b, 100);
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
  sw_optim_config oc;
  sw_optim_config_default(&oc, o->optimizer);
  json_builder_set_member_name(b, "optimizer");
  json_builder_add_string_value(b, o->optimizer == SW_OPTIM_SGD ? "sgd" : "adam");
  json_builder_set_member_name(b, "wd");
  json_builder_add_double_value(b, oc.wd);
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

static char *confusion_json(char **classes, const int *cm, int C) {
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

/* Stores predictions, confusion matrix and model of the last completed epoch. */
static gboolean store_results(Job *job, sw_model *model, Source *valid, const SwellWeightsMeta *meta,
                              GError **error) {
  SwellTrainer *self = job->self;
  const float *probs;
  const int32_t *targets;
  const float *losses;
  int n = sw_learner_last_valid(job->learner, &probs, &targets, &losses);
  int C = self->n_classes;
  if (n == 0) return TRUE;
  if ((guint)n != valid->ids_done->len) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "internal: %d validation predictions for %u images", n, valid->ids_done->len);
    return FALSE;
  }
  g_autofree SwellPrediction *preds = g_new0(SwellPrediction, n);
  for (int i = 0; i < n; i++) {
    preds[i].image_id = g_array_index(valid->ids_done, gint64, i);
    preds[i].actual = targets[i];
    preds[i].predicted = sw_argmax(probs + (size_t)i * C, C);
    preds[i].loss = losses[i];
    preds[i].n_classes = (guint)C;
    preds[i].probs = (float *)(probs + (size_t)i * C);
  }
  if (!swell_project_set_predictions(job->project, job->run_id, preds, (guint)n, error))
    return FALSE;
  g_autofree int32_t *cm = g_new0(int32_t, C * C);
  sw_confusion_matrix(probs, targets, n, C, cm);
  g_free(self->confusion);
  self->confusion = g_new0(int, C * C);
  for (int i = 0; i < C * C; i++) self->confusion[i] = cm[i];
  self->accuracy = sw_accuracy(probs, targets, n, C);
  g_autofree char *cj = confusion_json(self->class_names, self->confusion, C);
  if (!swell_project_set_confusion(job->project, job->run_id, cj, error)) return FALSE;

  /* The model as safetensors with its metadata. */
  sw_state_dict sd;
  sw_model_state_dict(model, &sd);
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_array(jb);
  for (int i = 0; i < C; i++) json_builder_add_string_value(jb, self->class_names[i]);
  json_builder_end_array(jb);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  json_generator_set_root(gen, root);
  g_autofree char *classes = json_generator_to_data(gen, NULL);
  g_autofree char *mean = triple_str(meta->mean);
  g_autofree char *std = triple_str(meta->std);
  g_autofree char *isz = g_strdup_printf("%d", self->opts.size);
  sw_state_dict_set_meta(&sd, "classes", classes);
  sw_state_dict_set_meta(&sd, "mean", mean);
  sw_state_dict_set_meta(&sd, "std", std);
  sw_state_dict_set_meta(&sd, "input_size", isz);
  if (sw_model_get_config(model)->arch != SW_ARCH_MOBILENET_V2)
    sw_state_dict_set_meta(&sd, "padding", "symmetric");
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
  memcpy(pm.mean, meta->mean, sizeof pm.mean);
  memcpy(pm.std, meta->std, sizeof pm.std);
  pm.input_size = self->opts.size;
  pm.weights = g_bytes_new_with_free_func(bytes, len, free, bytes);
  gboolean ok = swell_project_save_model(job->project, job->run_id, &pm, error);
  g_bytes_unref(pm.weights);
  return ok;
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
  return TRUE;
}

/* Reads labeled images of one split as loader items. */
static GArray *split_items(SwellProject *p, GPtrArray *cats, SwellSplit split, GError **error) {
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

static gboolean run_job(SwellTrainer *self, GError **error) {
  const SwellTrainOptions *o = &self->opts;
  char err[1024];
  if (!check_options(o, error)) return FALSE;

  g_autoptr(SwellProject) project = swell_project_open(self->project_path, error);
  if (!project) return FALSE;
  g_autoptr(SwellProject) fetch_project = swell_project_open(self->project_path, error);
  if (!fetch_project) return FALSE;

  /* Classes and items. */
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, error);
  if (!cats) return FALSE;
  if (cats->len < 2) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: training needs at least two categories (it has %u)"), self->project_path,
                cats->len);
    return FALSE;
  }
  char **names = g_new0(char *, cats->len + 1);
  for (guint c = 0; c < cats->len; c++)
    names[c] = g_strdup(((SwellCategory *)g_ptr_array_index(cats, c))->name);
  self->class_names = names;
  self->n_classes = (int)cats->len;
  g_autoptr(GArray) train_items = split_items(project, cats, SWELL_SPLIT_TRAIN, error);
  if (!train_items) return FALSE;
  g_autoptr(GArray) valid_items = split_items(project, cats, SWELL_SPLIT_VALID, error);
  if (!valid_items) return FALSE;
  /* Items in image order (import order), as a folder listing would give them. */
  g_array_sort(train_items, compare_items);
  g_array_sort(valid_items, compare_items);
  if ((int)train_items->len < o->batch_size) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: %u labeled training images, fewer than one batch of %d"),
                self->project_path, train_items->len, o->batch_size);
    return FALSE;
  }
  if (self->mode == SWELL_TRAINER_FINE_TUNE && valid_items->len == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("%s: no labeled validation images to measure the model with"),
                self->project_path);
    return FALSE;
  }

  /* Pretrained weights. */
  g_autofree char *weights_path = g_strdup(o->weights_path);
  if (!weights_path) {
    weights_path = swell_weights_find_cached(o->arch, error);
    if (!weights_path) return FALSE;
  }
  sw_state_dict sd;
  if (sw_weights_read(weights_path, &sd, err, sizeof err) < 0) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, err);
    return FALSE;
  }
  SwellWeightsMeta meta;
  if (!swell_weights_meta_from_state_dict(&sd, weights_path, o->arch, &meta, error)) {
    sw_state_dict_free(&sd);
    return FALSE;
  }
  sw_model_config mc = {0};
  sw_arch_from_name(o->arch, &mc.arch);
  mc.width_mult = meta.width_mult;
  mc.tf_same_padding = meta.tf_same_padding;
  mc.head = SW_HEAD_FASTAI;
  mc.num_classes = self->n_classes;
  mc.seed = o->seed;
  sw_model *model = sw_model_new(&mc, err, sizeof err);
  if (!model || sw_model_load(model, &sd, true, err, sizeof err) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", weights_path, err);
    sw_model_free(model);
    sw_state_dict_free(&sd);
    return FALSE;
  }
  sw_state_dict_free(&sd);
  sw_set_num_threads(o->threads > 0 ? o->threads : (int)g_get_num_processors());

  /* Loaders. */
  SwellLoaderConfig lc[2];
  for (int k = 0; k < 2; k++) {
    swell_loader_config_init(&lc[k], o->size, o->batch_size, k == 0);
    if (k == 0 && !o->augment) {
      swell_augment_config_init_none(&lc[k].augment, o->size);
    } else if (k == 0) {
      /* The recipe: RandomResizedCrop(size, min_scale 0.08) + horizontal flip (issue 4,
       * item 11; bench/reference_finetune.py). fastai's other aug_transforms (warp,
       * rotation, zoom, lighting) stay off: on 200 photos and 5-10 epochs they cost
       * accuracy (weather4_small, 5 epochs, seed 0: 0.825 with them, 0.875 without). */
      SwellAugmentConfig *a = &lc[k].augment;
      a->max_rotate = 0;
      a->min_zoom = a->max_zoom = 1.0;
      a->max_warp = 0;
      a->max_lighting = 0;
    }
    memcpy(lc[k].mean, meta.mean, sizeof meta.mean);
    memcpy(lc[k].std, meta.std, sizeof meta.std);
    lc[k].seed = o->seed;
  }
  GArray *its[2] = {train_items, valid_items};
  Source src[2];
  for (int k = 0; k < 2; k++) {
    src[k].loader = swell_loader_new(&lc[k], (const SwellLoaderItem *)(void *)its[k]->data,
                                     its[k]->len, fetch_image, fetch_project);
    swell_loader_set_bad_image_func(src[k].loader, bad_image, self);
    src[k].size = o->size;
    src[k].ids_cur = g_array_new(FALSE, FALSE, sizeof(gint64));
    src[k].ids_done = g_array_new(FALSE, FALSE, sizeof(gint64));
  }
  sw_batch_source bs[2];
  for (int k = 0; k < 2; k++) {
    memset(&bs[k], 0, sizeof bs[k]);
    bs[k].user = &src[k];
    bs[k].num_batches = (int)swell_loader_n_batches(src[k].loader);
    bs[k].batch_size = o->batch_size;
    bs[k].channels = 3;
    bs[k].height = bs[k].width = o->size;
    bs[k].begin_epoch = source_begin;
    bs[k].next = source_next;
  }

  sw_net net;
  sw_net_from_model(&net, model);
  sw_learner_config lcfg;
  sw_learner_config_default(&lcfg);
  sw_optim_config_default(&lcfg.optim, o->optimizer);
  sw_learner *learner = sw_learner_new(&net, &bs[0], valid_items->len ? &bs[1] : NULL, &lcfg, err,
                                       sizeof err);
  gboolean ok = learner != NULL;
  if (!ok) g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);

  Job job = {0};
  job.self = self;
  job.project = project;
  job.points = g_array_new(FALSE, FALSE, sizeof(SwellRunPoint));
  job.t0 = g_get_monotonic_time() / 1e6;
  job.learner = learner;
  job.n_epochs_total = o->freeze_epochs + o->epochs;

  if (ok) {
    g_mutex_lock(&self->lock);
    self->learner = learner;
    self->loaders[0] = src[0].loader;
    self->loaders[1] = src[1].loader;
    if (g_atomic_int_get(&self->cancel)) sw_learner_cancel(learner);
    g_mutex_unlock(&self->lock);
    sw_learner_callbacks cbs = {on_batch, on_epoch, &job};
    sw_learner_set_callbacks(learner, &cbs);
  }

  if (ok && self->mode == SWELL_TRAINER_LR_FIND) {
    sw_learner_freeze(learner); /* a fresh vision_learner is frozen */
    sw_lr_find_result r;
    int rc = sw_learner_lr_find(learner, 1e-7, 10, 100, true, &r, err, sizeof err);
    if (rc == SW_FIT_DONE) {
      SwellLrFindResult *res = g_new0(SwellLrFindResult, 1);
      res->n = r.n;
      res->lrs = g_new(double, r.n);
      res->losses = g_new(double, r.n);
      for (int i = 0; i < r.n; i++) {
        res->lrs[i] = r.lrs[i];
        res->losses[i] = r.losses[i];
      }
      res->valley = r.valley;
      res->minimum = r.minimum;
      res->steep = r.steep;
      res->valley_index = r.valley_idx;
      res->minimum_index = r.minimum_idx;
      res->steep_index = r.steep_idx;
      self->lr_find = res;
      sw_lr_find_result_free(&r);
      self->status = SWELL_RUN_COMPLETED;
    } else if (rc == SW_FIT_CANCELLED) {
      self->status = SWELL_RUN_CANCELLED;
    } else {
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
      ok = FALSE;
    }
  } else if (ok) {
    g_autofree char *hp = hyperparams_json(o, weights_path);
    g_autofree char *wname = g_path_get_basename(weights_path);
    job.run_id = swell_project_create_run(project, o->arch, wname, hp,
                                          (const char *const *)self->class_names, error);
    if (job.run_id == 0) {
      ok = FALSE;
    } else {
      self->run_id = job.run_id;
      sw_fine_tune_params ft;
      sw_fine_tune_params_default(&ft, o->epochs);
      ft.freeze_epochs = o->freeze_epochs;
      ft.base_lr = o->lr;
      int rc = sw_learner_fine_tune(learner, &ft, err, sizeof err);
      flush_points(&job);
      GError *store_err = NULL;
      if (job.store_error) {
        g_propagate_error(error, job.store_error);
        job.store_error = NULL;
        ok = FALSE;
      } else if (rc == SW_FIT_ERROR) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
        ok = FALSE;
      } else if (!store_results(&job, model, &src[1], &meta, &store_err)) {
        g_propagate_error(error, store_err);
        ok = FALSE;
      } else {
        self->status = rc == SW_FIT_CANCELLED ? SWELL_RUN_CANCELLED : SWELL_RUN_COMPLETED;
      }
      g_autoptr(GError) finish_err = NULL;
      const char *msg = ok ? (self->status == SWELL_RUN_CANCELLED ? _("cancelled") : NULL)
                           : (*error ? (*error)->message : NULL);
      if (!swell_project_finish_run(project, job.run_id, ok ? self->status : SWELL_RUN_FAILED, msg,
                                    &finish_err) && ok) {
        g_propagate_error(error, g_steal_pointer(&finish_err));
        ok = FALSE;
      }
    }
  }

  g_mutex_lock(&self->lock);
  self->learner = NULL;
  self->loaders[0] = self->loaders[1] = NULL;
  g_mutex_unlock(&self->lock);
  sw_learner_free(learner);
  for (int k = 0; k < 2; k++) {
    swell_loader_free(src[k].loader);
    g_array_unref(src[k].ids_cur);
    g_array_unref(src[k].ids_done);
  }
  g_array_unref(job.points);
  g_clear_error(&job.store_error);
  sw_model_free(model);
  swell_project_notify_changed(project, SWELL_PROJECT_CHANGE_RUNS | SWELL_PROJECT_CHANGE_MODELS);
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
