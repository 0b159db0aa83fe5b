/* swell-predict.h: what a prediction says beyond the centre crop's
 * probabilities (issue 12, items 6 and 7), for swell-cli predict and report
 * and for the Predict and Results views.
 *
 * "None of these": a model trained by Swell carries an unknown threshold
 * (swell-model-spec.h's unknown_threshold, also in files written by
 * export-model): an image whose energy score, log(sum(exp(logits))) of the
 * centre crop, is below it looks like none of the model's classes. The
 * trainer sets it at the end of a run to the 5th percentile
 * (SWELL_UNKNOWN_QUANTILE) of the scores of the correctly predicted
 * validation images. A model without one (stored before, or an ImageNet
 * file) never flags.
 *
 * Test-time augmentation, as fastai's Learner.tta(n=4, beta=0.25):
 *   probs = (1 - beta) * mean(softmax of n augmented views) + beta * softmax(centre crop)
 * (torch.lerp(aug_preds, preds, beta)). The views use the training
 * augmentation of the model's run (its stored "aug" hyper-parameters; Swell's
 * recipe, RandomResizedCrop + flip, for a model file or a run without them),
 * from the loader's training copy of the image (swell_transform_train_image);
 * view v of an image draws from swell_augment_sample_seed(seed, v, key) where
 * key hashes that copy's pixels, so an image gets the same views whatever
 * the other images and their order: deterministic for a seed.
 */
#pragma once

#include "swell-inference.h"
#include "swell-transforms.h"

G_BEGIN_DECLS

#define SWELL_UNKNOWN_QUANTILE 0.05 /* of the correct validation predictions' scores */
#define SWELL_TTA_VIEWS 4           /* fastai's n */
#define SWELL_TTA_BETA 0.25         /* fastai's beta: the centre crop's weight */

typedef struct {
  gboolean tta; /* FALSE: the centre crop only */
  guint64 seed; /* TTA's draws */
  const SwellAugSettings *aug; /* TTA's augmentation; NULL: Swell's recipe */
} SwellPredictOptions;

/* The threshold for a model from n validation images' logits (n x n_classes,
 * NULL when there are none) and labels: the SWELL_UNKNOWN_QUANTILE quantile of
 * the energy scores of those predicted right; NAN when none is. */
float swell_unknown_calibrate(const float *logits, const gint32 *labels, int n, int n_classes);

/* The training augmentation a run stored in its hyper-parameters (JSON: "augment",
 * "aug" names and their values, as the trainer writes them); Swell's recipe
 * (swell_aug_settings_init) for what is missing, no augmentation for
 * "augment": false. */
void swell_aug_settings_from_hyperparams(SwellAugSettings *s, const char *hyperparams_json);
/* The same for run_id of `project` (the recipe when the run cannot be read). */
void swell_aug_settings_for_run(SwellAugSettings *s, SwellProject *project, gint64 run_id);

/* The model's unknown threshold; NAN when it has none. */
float swell_classifier_get_unknown_threshold(const SwellClassifier *c);
/* TRUE when the centre crop's logits (num_classes) look like none of the
 * classes; always FALSE for a model without a threshold. */
gboolean swell_classifier_is_unknown(const SwellClassifier *c, const float *logits);

/* Classifies img: probs (num_classes) gets the centre crop's softmax, or the
 * TTA blend when opts->tta (opts may be NULL: centre crop). plain (may be
 * NULL) gets the centre crop's softmax, *unknown (may be NULL) whether the
 * centre crop looks like none of the classes. */
gboolean swell_classifier_predict(SwellClassifier *c, const SwellRgbImage *img,
                                  const SwellPredictOptions *opts, float *probs, float *plain,
                                  gboolean *unknown, GError **error);
/* Same, decoding the image file first. */
gboolean swell_classifier_predict_file(SwellClassifier *c, const char *path,
                                       const SwellPredictOptions *opts, float *probs,
                                       float *plain, gboolean *unknown, GError **error);

/* A run's model on that run's validation images, with and without TTA. */
typedef struct {
  gint64 run_id;
  int n;            /* images evaluated */
  int n_classes;
  double accuracy;  /* centre crop (NAN when n is 0) */
  double tta_accuracy;
  gint64 *image_ids; /* n */
  gint32 *actual;    /* n class indices */
  float *probs;      /* n x n_classes: centre crop */
  float *tta_probs;  /* n x n_classes: TTA */
} SwellTtaEvaluation;

void swell_tta_evaluation_free(SwellTtaEvaluation *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellTtaEvaluation, swell_tta_evaluation_free)

/* Runs the model of run_id (0: the newest run with a model) on the images of
 * its stored predictions that are in the valid split now, labeled as the run
 * saw them, with TTA drawn from `seed` (for the Results view's TTA switch and
 * swell-cli report --tta; slow: 5 passes per image, call it from a worker
 * thread with its own SwellProject connection). NULL with an error (no
 * model, an image that cannot be read, G_IO_ERROR_CANCELLED). */
SwellTtaEvaluation *swell_tta_evaluate_run(SwellProject *project, gint64 run_id, guint64 seed,
                                           GCancellable *cancellable, GError **error);
/* The same on a worker thread through a connection of its own on the same file
 * (the Results view's TTA switch); cancelling stops between images. `callback`
 * runs in the caller's thread-default main context. */
void swell_tta_evaluate_run_async(SwellProject *project, gint64 run_id, guint64 seed,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
SwellTtaEvaluation *swell_tta_evaluate_run_finish(SwellProject *project, GAsyncResult *result,
                                                  GError **error);

G_END_DECLS
