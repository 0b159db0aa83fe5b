/* swell-trainer.h: a training job (fastai's fine_tune, or lr_find) on a worker
 * thread, stored in a Swell project.
 *
 * The recipe (issue 4): fastai's vision_learner defaults (fastai head, Adam with
 * wd 0.01, train_bn) and fine_tune(epochs, base_lr, freeze_epochs), batch 16,
 * training images RandomResizedCrop(size) + horizontal flip, validation images
 * resized and centre-cropped, normalised with the weights' mean/std.
 *
 * The job opens its OWN connections to the project file (one for its writes,
 * one for the loaders' image fetches), builds the network from a pretrained
 * weights file and its __metadata__ (normalisation, TensorFlow 'same' padding,
 * width), trains it with the batch loaders (training: fastai augmentation,
 * shuffled, drop_last; validation: resize + centre crop) and stores:
 *   - the run (architecture, weights, hyper-parameters as JSON, class names),
 *   - every batch's point (loss, smoothed loss, lr per group, momentum),
 *   - every epoch's metrics,
 *   - at the end (also when cancelled after at least one completed epoch): the
 *     validation predictions, the confusion matrix and the model (safetensors
 *     with metadata: arch, classes, mean, std, input_size, padding).
 *
 * Progress is reported on the GMainContext that was the thread-default one
 * when swell_trainer_start() was called, as signals:
 *   "batch"    (const SwellTrainerBatch *)   after every training batch
 *   "epoch"    (const SwellEpochMetrics *)   after every epoch
 *   "finished" ()                             once, at the very end
 * swell_trainer_cancel() may be called from any thread: the job stops within
 * one batch and keeps the last completed epoch's model.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "model.h"
#include "optim.h"
#include "swell-project.h"
#include "weights.h"

G_BEGIN_DECLS

typedef struct {
  char *arch;          /* "resnet34" (default), "resnet18", "resnet50", "mobilenet_v2" */
  char *weights_path;  /* NULL: the weights manager's cached file for arch */
  int epochs;          /* fine_tune epochs: 4 */
  int freeze_epochs;   /* 1 */
  double lr;           /* fine_tune base_lr: 2e-3 */
  int batch_size;      /* 16 */
  int size;            /* 224 */
  guint64 seed;        /* 0 */
  int threads;         /* 0: every core */
  gboolean augment;    /* TRUE: RandomResizedCrop (min_scale 0.08) + horizontal flip; FALSE:
                        * resize + centre crop */
  sw_optim_kind optimizer; /* SW_OPTIM_ADAM (default, fastai's settings) or SW_OPTIM_SGD */
} SwellTrainOptions;

void swell_train_options_init(SwellTrainOptions *opts);
void swell_train_options_clear(SwellTrainOptions *opts);

typedef enum {
  SWELL_TRAINER_FINE_TUNE,
  SWELL_TRAINER_LR_FIND,
} SwellTrainerMode;

typedef struct {
  gboolean lr_find;
  SwellStage stage;       /* frozen / unfrozen (lr_find: frozen) */
  gint64 iteration;       /* 0-based over the whole job */
  gint64 total_iterations;
  int epoch;              /* 0-based over the whole job */
  int n_epochs;           /* of the whole job */
  int batch;              /* 0-based within the epoch */
  int n_batches;
  double loss;
  double smooth_loss;
  double lr;              /* last group's */
  double mom;
  int n_groups;
  double group_lrs[SWELL_MAX_PARAM_GROUPS];
  double elapsed;         /* seconds since the job started */
} SwellTrainerBatch;

typedef struct {
  int n;                  /* points */
  double *lrs;
  double *losses;         /* smoothed */
  double valley, minimum, steep; /* fastai's suggestions (valley is the default) */
  int valley_index, minimum_index, steep_index;
} SwellLrFindResult;

#define SWELL_TYPE_TRAINER (swell_trainer_get_type())
G_DECLARE_FINAL_TYPE(SwellTrainer, swell_trainer, SWELL, TRAINER, GObject)

SwellTrainer *swell_trainer_new(const char *project_path, SwellTrainerMode mode,
                                const SwellTrainOptions *opts);
/* Starts the worker thread. Call once. */
void swell_trainer_start(SwellTrainer *self);
/* Thread-safe; harmless after the end. */
void swell_trainer_cancel(SwellTrainer *self);
gboolean swell_trainer_is_running(SwellTrainer *self);

/* Results, valid after "finished" (the run id as soon as the run exists). */
gint64 swell_trainer_get_run_id(SwellTrainer *self);
/* COMPLETED, CANCELLED or FAILED (RUNNING before the end). */
SwellRunStatus swell_trainer_get_status(SwellTrainer *self);
/* The failure, or NULL. */
const GError *swell_trainer_get_error(SwellTrainer *self);
double swell_trainer_get_seconds(SwellTrainer *self);
/* Class names in class index order (NULL before the data is read). */
const char *const *swell_trainer_get_class_names(SwellTrainer *self);
/* The final validation: accuracy (NAN when no epoch completed) and the
 * confusion matrix, n_classes x n_classes, rows actual (NULL when none). */
double swell_trainer_get_accuracy(SwellTrainer *self);
const int *swell_trainer_get_confusion(SwellTrainer *self, int *n_classes);
/* Adds the confusion matrix cm (n_classes x n_classes, rows actual) to b as an
 * array of rows of counts: the form the store keeps and swell-cli prints. */
void swell_trainer_add_confusion_json(JsonBuilder *b, const int *cm, int n_classes);
/* SWELL_TRAINER_LR_FIND only: the sweep and suggestions (NULL when not done). */
const SwellLrFindResult *swell_trainer_get_lr_find(SwellTrainer *self);
/* Bad images the loaders left out, as "id: message" lines (may be empty). */
GPtrArray *swell_trainer_get_warnings(SwellTrainer *self);

/* Runs the job to its end on the calling thread's own main context (for the
 * command line and tests): start + iterate until "finished". */
void swell_trainer_run(SwellTrainer *self);

/* Pretrained-file metadata: mean/std (ImageNet when absent), width_mult (1.0),
 * padding ("tf_same..." -> TRUE), input_size (224). A present "arch" must match
 * `arch` (when non-NULL); `what` names the file in messages. */
typedef struct {
  float mean[3], std[3];
  float width_mult;
  gboolean tf_same_padding;
  int input_size;
} SwellWeightsMeta;

gboolean swell_weights_meta_from_state_dict(const sw_state_dict *sd, const char *what,
                                            const char *arch, SwellWeightsMeta *meta,
                                            GError **error);

/* Builds the trained network of a stored model (fastai head, every tensor loaded). */
sw_model *swell_model_from_project(const SwellProjectModel *model, GError **error);

G_END_DECLS
