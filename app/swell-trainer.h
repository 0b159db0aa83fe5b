/* swell-trainer.h: a training job (fastai's fine_tune, or lr_find) on a worker
 * thread, stored in a Swell project.
 *
 * The recipe (issue 4): fastai's vision_learner defaults (fastai head, Adam with
 * wd 0.01, train_bn) and fine_tune(epochs, base_lr, freeze_epochs), batch 16,
 * training images RandomResizedCrop(size) + horizontal flip (by default: the other
 * augmentations of swell-transforms can be switched on), validation images
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
 *   - at the end (also when cancelled after at least one completed epoch), all
 *     from the kept model (the last completed epoch's, or with SWELL_KEEP_BEST
 *     the one of the lowest validation loss): the validation predictions, the
 *     confusion matrix, the model (safetensors with metadata: arch, classes,
 *     mean, std, input_size, padding, and the "none of these" threshold
 *     calibrated on the kept model's validation, swell-predict.h), and its
 *     predictions (eval mode, the
 *     validation transform) of the labeled training images, the unlabeled
 *     images and the test images, which are evaluated there once for the run's
 *     test score (test accuracy and confusion matrix). Test images are never
 *     used for training or for choosing anything (lr_find, the kept epoch).
 *     These final passes run to their end even when the run was cancelled.
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

#include "swell-project.h"
#include "swell-transforms.h"

G_BEGIN_DECLS

typedef enum {
  SWELL_OPTIMIZER_ADAM, /* default, with fastai's settings */
  SWELL_OPTIMIZER_SGD,  /* with momentum */
} SwellOptimizer;

/* "adam" or "sgd" (swell-cli's --opt); FALSE for any other name. */
gboolean swell_optimizer_from_name(const char *name, SwellOptimizer *out);

/* Which epoch's model a run stores (swell-cli's --keep). */
typedef enum {
  SWELL_KEEP_LAST, /* default, as fastai: the last completed epoch's */
  SWELL_KEEP_BEST, /* the epoch of the lowest validation loss (validation images only, never
                    * the test ones); costs one copy of the network's weights in memory */
} SwellKeep;

/* "last" or "best"; FALSE for any other name. */
gboolean swell_keep_from_name(const char *name, SwellKeep *out);
const char *swell_keep_to_string(SwellKeep keep);

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
  gboolean augment;    /* TRUE: the augmentations of `aug`; FALSE: none (resize + centre crop) */
  SwellAugSettings aug; /* swell_aug_settings_init(): RandomResizedCrop (min_scale 0.08) +
                         * horizontal flip */
  double lr_mult;      /* fine_tune's discriminative ratio: the body's first group trains at
                        * lr / lr_mult after unfreezing (slice(lr / lr_mult, lr)): 100 */
  SwellOptimizer optimizer; /* SWELL_OPTIMIZER_ADAM */
  SwellKeep keep;      /* SWELL_KEEP_LAST; stored in the run's hyperparams as "keep" */
} SwellTrainOptions;

void swell_train_options_init(SwellTrainOptions *opts);
void swell_train_options_clear(SwellTrainOptions *opts);
/* The training loader's augmentation for these options (none when !augment). */
void swell_train_options_get_augment(const SwellTrainOptions *opts, SwellAugmentConfig *cfg);

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

/* The project's precondition for training, checked by the job first and by the Train view
 * before it starts one: at least two categories (no validation images is not a reason to
 * refuse: the job draws the default split, see swell_trainer_get_auto_split()). FALSE with the reason (naming the project
 * as `what`) otherwise. */
gboolean swell_trainer_check_project(SwellProject *project, const char *what, GError **error);

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
/* The 0-based epoch (over the whole run) whose model was stored, -1 when none. */
int swell_trainer_get_kept_epoch(SwellTrainer *self);
/* The kept model on the test images: accuracy (NAN when there were none) and the
 * confusion matrix (n_classes x n_classes, rows actual; NULL when there were none)
 * with the number of test images it counts. */
double swell_trainer_get_test_accuracy(SwellTrainer *self);
const int *swell_trainer_get_test_confusion(SwellTrainer *self, int *n_images);
/* SWELL_TRAINER_LR_FIND only: the sweep and suggestions (NULL when not done). */
const SwellLrFindResult *swell_trainer_get_lr_find(SwellTrainer *self);
/* Bad images the loaders left out, as "id: message" lines (may be empty). */
GPtrArray *swell_trainer_get_warnings(SwellTrainer *self);
/* Fine-tuning a project with labeled training images but no labeled validation
 * images first gives it the default stratified 20% valid split
 * (swell_project_assign_auto_split(), kept in the project): the number of
 * images it moved to valid, 0 when it did not. */
guint swell_trainer_get_auto_split(SwellTrainer *self);
/* The sentence that tells people so (CLI stderr, Train view). */
char *swell_trainer_auto_split_message(guint n_valid);

/* Runs the job to its end on the calling thread's own main context (for the
 * command line and tests): start + iterate until "finished". */
void swell_trainer_run(SwellTrainer *self);

G_END_DECLS
