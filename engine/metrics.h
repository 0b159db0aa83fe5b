/* metrics.h: interpretation of a classifier's validation predictions, as fastai's
 * ClassificationInterpretation: confusion matrix, top losses, most unsure
 * (smallest top-1 minus top-2 probability margin) and most-confused pairs.
 * probs (n, C) row-major, targets (n) in 0..C-1. */
#ifndef SW_METRICS_H
#define SW_METRICS_H

#include <stdint.h>

/* Index of the largest probability (first on ties, as torch.argmax). */
int sw_argmax(const float *p, int C);

/* cm (C, C): cm[actual*C + predicted] = count, predicted = sw_argmax of each row. */
void sw_confusion_matrix(const float *probs, const int32_t *targets, int n, int C, int32_t *cm);
/* The same from class indices (stored predictions): pairs with either index outside
 * 0..C-1 (an image unlabeled at the time) are left out. */
void sw_confusion_from_labels(const int32_t *actual, const int32_t *predicted, int n, int C,
                              int32_t *cm);

/* Accuracy over n predictions (0 when n == 0). */
float sw_accuracy(const float *probs, const int32_t *targets, int n, int C);

/* order (n): indices sorted by loss, largest first (ties by index). */
void sw_top_losses(const float *losses, int n, int *order);

/* margin of one row: top-1 minus top-2 probability (top-1 when C == 1). */
float sw_top_margin(const float *p, int C);
/* order (n): indices sorted by margin, smallest first (most unsure first). */
void sw_most_unsure(const float *probs, int n, int C, int *order);

typedef struct {
  int actual, predicted, count;
} sw_confused_pair;

/* Off-diagonal cells with count >= min_count, largest first (ties: by actual, then
 * predicted). Writes at most max_out pairs; returns how many were written. */
int sw_most_confused(const int32_t *cm, int C, int min_count, sw_confused_pair *out, int max_out);

/* "None of these": the energy score of one row of logits at temperature 1 (Liu
 * et al. 2020), as the negative energy, log(sum(exp(z))): high for an image
 * that looks like the training categories, low for one far from all of them. */
float sw_energy_score(const float *logits, int C);

/* The q-quantile (0 <= q <= 1) of n values, linearly interpolated between the
 * sorted neighbours (numpy's default); sorts `values` in place. NAN when n == 0. */
float sw_quantile(float *values, int n, double q);

#endif
