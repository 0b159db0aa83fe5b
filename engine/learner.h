/* learner.h: fastai's training loop: fit_one_cycle, fine_tune, lr_find.
 *
 * The learner drives a network (sw_net: an sw_model, or anything with the same
 * operations) with an optimiser (optim.h) under a schedule (schedule.h), pulling
 * batches through a callback interface (sw_batch_source) so engine/ stays free
 * of GLib and of image decoding. Loss: softmax cross-entropy, mean over the batch.
 *
 * Reported numbers follow fastai's Recorder:
 *  - smooth_loss: exponential moving average of the batch losses with beta 0.98,
 *    debiased (AvgSmoothLoss), reset at the start of each fit; the epoch's
 *    train_loss is the smoothed loss at the end of the epoch;
 *  - valid_loss: mean cross-entropy over every validation image; accuracy and
 *    error_rate over the same images.
 *
 * Cancellation: sw_learner_cancel() may be called from any thread; the running
 * fit stops before its next batch and the network is restored to the state at
 * the end of the last completed epoch (or at the start of the fit when no epoch
 * completed). Functions that run training return SW_FIT_DONE, SW_FIT_CANCELLED or
 * SW_FIT_ERROR (message in err).
 */
#ifndef SW_LEARNER_H
#define SW_LEARNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "optim.h"
#include "schedule.h"

/* ---- the network the learner trains ------------------------------------ */
typedef struct {
  void *impl;
  int (*num_params)(void *impl); /* including buffers */
  sw_param *(*param)(void *impl, int i);
  int (*num_groups)(void *impl);
  int (*num_outputs)(void *impl);
  int (*prepare)(void *impl, int batch, int height, int width, char *err, size_t errlen);
  /* input (B, 3, H, W) -> logits (B, num_outputs) */
  const float *(*forward)(void *impl, const float *input, int batch, bool train);
  void (*backward)(void *impl, const float *dlogits);
  void (*zero_grad)(void *impl);
  void (*freeze_to)(void *impl, int n); /* fastai freeze_to, with train_bn */
  size_t (*snapshot_floats)(void *impl);
  void (*snapshot)(void *impl, float *dst);
  void (*restore)(void *impl, const float *src);
  /* Optional (NULL: predictions run forward in eval mode): a compiled
   * inference copy of the current weights for batches up to `batch`. The
   * learner keeps it from one prediction pass to the next and, when
   * infer_update is there, compiles the weights of the moment into it again
   * (0, or -1 with a message: it is then released and made anew). */
  void *(*infer_new)(void *impl, int batch, int height, int width, char *err, size_t errlen);
  int (*infer_update)(void *infer, void *impl, char *err, size_t errlen);
  const float *(*infer_forward)(void *infer, const float *input, int batch);
  void (*infer_free)(void *infer);
} sw_net;

/* The sw_model operations (learner_model.c). */
void sw_net_from_model(sw_net *net, sw_model *m);

/* ---- data ---------------------------------------------------------------- */
typedef struct {
  void *user;
  int num_batches; /* batches per epoch (training: drop_last, so every batch is full) */
  int batch_size;  /* images per batch at most */
  int channels, height, width;
  /* Starts epoch `epoch` (0-based, counted over the whole learner's life for the
   * training source, so shuffles differ). Returns 0, or -1 with a message. */
  int (*begin_epoch)(void *user, int epoch, char *err, size_t errlen);
  /* Writes the next batch: images (n, channels, height, width) and targets (n).
   * Returns n > 0, 0 at the end of the epoch, -1 on error (message in err). */
  int (*next)(void *user, float *images, int32_t *targets, char *err, size_t errlen);
} sw_batch_source;

/* ---- callbacks ------------------------------------------------------------ */
typedef enum {
  SW_STAGE_PLAIN,    /* a fit_one_cycle on its own, model unfrozen */
  SW_STAGE_FROZEN,   /* body frozen (fine_tune's first stage, or fit while frozen) */
  SW_STAGE_UNFROZEN, /* fine_tune's second stage */
  SW_STAGE_LR_FIND,
} sw_stage;

const char *sw_stage_name(sw_stage s); /* "plain", "frozen", "unfrozen", "lr_find" */

typedef struct {
  sw_stage stage;
  int iteration;        /* batches done before this one, over the whole call (fine_tune: both stages) */
  int total_iterations; /* of the whole call */
  int epoch;            /* 0-based within the stage, as fastai counts */
  int n_epochs;         /* of the stage */
  int batch;            /* 0-based within the epoch */
  int n_batches;
  float loss;           /* this batch */
  float smooth_loss;
  int n_groups;
  double lrs[SW_MAX_GROUPS];
  double mom;
} sw_batch_info;

typedef struct {
  sw_stage stage;
  int epoch;         /* 0-based within the stage */
  int n_epochs;
  int global_epoch;  /* 0-based over the whole call */
  float train_loss;  /* smoothed loss at the end of the epoch (fastai's train_loss) */
  float valid_loss;
  float accuracy;
  float error_rate;
  int n_valid;
  double seconds;    /* training + validation of this epoch */
} sw_epoch_info;

typedef struct {
  /* Called on the training thread after every training batch / epoch. */
  void (*on_batch)(const sw_batch_info *info, void *user);
  void (*on_epoch)(const sw_epoch_info *info, void *user);
  void *user;
} sw_learner_callbacks;

/* ---- learner ------------------------------------------------------------- */
typedef struct {
  sw_optim_config optim; /* fastai Adam by default */
  float label_smoothing; /* 0 */
  double smooth_beta;    /* 0.98 */
} sw_learner_config;

void sw_learner_config_default(sw_learner_config *cfg);

typedef struct sw_learner sw_learner;

enum { SW_FIT_ERROR = -1, SW_FIT_DONE = 0, SW_FIT_CANCELLED = 1 };

/* net, train and valid are borrowed. valid may be NULL (no validation). */
sw_learner *sw_learner_new(const sw_net *net, sw_batch_source *train, sw_batch_source *valid,
                           const sw_learner_config *cfg, char *err, size_t errlen);
void sw_learner_free(sw_learner *l);
void sw_learner_set_callbacks(sw_learner *l, const sw_learner_callbacks *cbs);
sw_optim *sw_learner_optim(sw_learner *l);
int sw_learner_num_groups(const sw_learner *l);

/* fastai's Learner.freeze_to (also clears the optimiser state), freeze, unfreeze. */
void sw_learner_freeze_to(sw_learner *l, int n);
void sw_learner_freeze(sw_learner *l);
void sw_learner_unfreeze(sw_learner *l);

/* Thread-safe. Also makes every later fit return SW_FIT_CANCELLED at once. */
void sw_learner_cancel(sw_learner *l);
bool sw_learner_cancelled(const sw_learner *l);

/* fit_one_cycle(n_epoch, ...) with the schedule oc (sw_one_cycle_init + overrides). */
int sw_learner_fit_one_cycle(sw_learner *l, int n_epoch, const sw_one_cycle *oc, char *err,
                             size_t errlen);

typedef struct {
  int epochs;
  double base_lr;   /* 2e-3 */
  int freeze_epochs;/* 1 */
  double lr_mult;   /* 100 */
  double pct_start; /* 0.3 */
  double div;       /* 5 */
} sw_fine_tune_params;

void sw_fine_tune_params_default(sw_fine_tune_params *p, int epochs);
int sw_learner_fine_tune(sw_learner *l, const sw_fine_tune_params *p, char *err, size_t errlen);

/* ---- lr_find --------------------------------------------------------------- */
typedef struct {
  int n;            /* points recorded */
  float *lrs;       /* n, malloc'd: lr of the last group at each batch */
  float *losses;    /* n, malloc'd: smoothed loss after each batch */
  double valley;    /* suggestions as fastai's SuggestionMethod */
  double minimum;   /* lr at the minimum loss / 10 */
  double steep;
  int valley_idx, minimum_idx, steep_idx; /* indices into lrs/losses of the marked points */
} sw_lr_find_result;

void sw_lr_find_result_free(sw_lr_find_result *r);

/* fastai's suggestions from recorded (lrs, losses): uses lrs[num_it/10 : n-5],
 * cut at the first NaN. Returns -1 when too few points remain. */
int sw_lr_suggest(const float *lrs, const float *losses, int n, int num_it,
                  sw_lr_find_result *out);

/* Exponential sweep from start_lr to end_lr over num_it batches (fastai: 1e-7, 10,
 * 100), same lr for every group, momentum 0.9; stops when the smoothed loss
 * exceeds 4x its minimum (stop_div) or after num_it batches. Model and optimiser
 * state are restored afterwards. Returns SW_FIT_DONE with *out filled (free with
 * sw_lr_find_result_free), SW_FIT_CANCELLED or SW_FIT_ERROR. */
int sw_learner_lr_find(sw_learner *l, double start_lr, double end_lr, int num_it, bool stop_div,
                       sw_lr_find_result *out, char *err, size_t errlen);

/* ---- validation and predictions -------------------------------------------- */
/* Runs the network in eval mode over src. Fills, when non-NULL, probs (n*C),
 * targets (n), losses (n) for up to capacity images; *n_out gets the count.
 * Returns SW_FIT_DONE, SW_FIT_CANCELLED or SW_FIT_ERROR. */
int sw_learner_predict(sw_learner *l, sw_batch_source *src, float *probs, int32_t *targets,
                       float *losses, int capacity, int *n_out, char *err, size_t errlen);

/* The same, also after sw_learner_cancel() (never SW_FIT_CANCELLED): what the
 * end of a cancelled fit runs to store its kept model's predictions; logits
 * (capacity * C, or NULL) also gets the raw network outputs. */
int sw_learner_predict_final(sw_learner *l, sw_batch_source *src, float *probs, int32_t *targets,
                             float *losses, float *logits, int capacity, int *n_out, char *err,
                             size_t errlen);

/* The last completed validation (end of the last completed epoch): borrowed arrays
 * valid until the next fit. Returns the image count (0 when none). */
int sw_learner_last_valid(const sw_learner *l, const float **probs, const int32_t **targets,
                          const float **losses);
/* The same validation's raw network outputs (n * C logits, before the softmax),
 * borrowed as above; NULL without a validation source. */
const float *sw_learner_last_valid_logits(const sw_learner *l);

#endif
