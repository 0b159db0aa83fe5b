/* metrics.c: see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sw_argmax(const float *p, int C) {
  int best = 0;
  for (int c = 1; c < C; c++)
    if (p[c] > p[best]) best = c;
  return best;
}

/* The one counting rule of both confusion matrices. */
static void confusion_add(int32_t *cm, int C, int actual, int predicted) {
  if (actual >= 0 && actual < C && predicted >= 0 && predicted < C) cm[actual * C + predicted]++;
}

void sw_confusion_matrix(const float *probs, const int32_t *targets, int n, int C, int32_t *cm) {
  memset(cm, 0, sizeof(int32_t) * (size_t)C * (size_t)C);
  for (int i = 0; i < n; i++) confusion_add(cm, C, targets[i], sw_argmax(probs + (size_t)i * C, C));
}

void sw_confusion_from_labels(const int32_t *actual, const int32_t *predicted, int n, int C,
                              int32_t *cm) {
  memset(cm, 0, sizeof(int32_t) * (size_t)C * (size_t)C);
  for (int i = 0; i < n; i++) confusion_add(cm, C, actual[i], predicted[i]);
}

float sw_accuracy(const float *probs, const int32_t *targets, int n, int C) {
  if (n <= 0) return 0.0f;
  int ok = 0;
  for (int i = 0; i < n; i++) ok += sw_argmax(probs + (size_t)i * C, C) == targets[i];
  return (float)ok / (float)n;
}

typedef struct {
  float key;
  int idx;
} keyed;

static int cmp_desc(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->key > y->key) return -1;
  if (x->key < y->key) return 1;
  return x->idx - y->idx;
}

static int cmp_asc(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->key < y->key) return -1;
  if (x->key > y->key) return 1;
  return x->idx - y->idx;
}

static void sort_indices(const float *keys, int n, int *order, int (*cmp)(const void *, const void *)) {
  keyed *k = malloc(sizeof(keyed) * (size_t)(n > 0 ? n : 1));
  if (!k) { /* fall back to identity order rather than crash */
    for (int i = 0; i < n; i++) order[i] = i;
    return;
  }
  for (int i = 0; i < n; i++) {
    k[i].key = keys[i];
    k[i].idx = i;
  }
  qsort(k, (size_t)n, sizeof *k, cmp);
  for (int i = 0; i < n; i++) order[i] = k[i].idx;
  free(k);
}

void sw_top_losses(const float *losses, int n, int *order) {
  sort_indices(losses, n, order, cmp_desc);
}

float sw_top_margin(const float *p, int C) {
  float a = -1.0f, b = 0.0f;
  for (int c = 0; c < C; c++) {
    if (p[c] > a) {
      b = a < 0 ? 0.0f : a;
      a = p[c];
    } else if (p[c] > b) {
      b = p[c];
    }
  }
  return a - b;
}

void sw_most_unsure(const float *probs, int n, int C, int *order) {
  float *m = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  if (!m) {
    for (int i = 0; i < n; i++) order[i] = i;
    return;
  }
  for (int i = 0; i < n; i++) m[i] = sw_top_margin(probs + (size_t)i * C, C);
  sort_indices(m, n, order, cmp_asc);
  free(m);
}

static int cmp_pair(const void *a, const void *b) {
  const sw_confused_pair *x = a, *y = b;
  if (x->count != y->count) return y->count - x->count;
  if (x->actual != y->actual) return x->actual - y->actual;
  return x->predicted - y->predicted;
}

int sw_most_confused(const int32_t *cm, int C, int min_count, sw_confused_pair *out, int max_out) {
  int n = 0;
  sw_confused_pair *all = malloc(sizeof *all * (size_t)(C * C > 0 ? C * C : 1));
  if (!all) return 0;
  for (int a = 0; a < C; a++)
    for (int p = 0; p < C; p++)
      if (a != p && cm[a * C + p] >= min_count && cm[a * C + p] > 0)
        all[n++] = (sw_confused_pair){a, p, cm[a * C + p]};
  qsort(all, (size_t)n, sizeof *all, cmp_pair);
  if (n > max_out) n = max_out;
  memcpy(out, all, sizeof *all * (size_t)n);
  free(all);
  return n;
}

float sw_energy_score(const float *logits, int C) {
  float m = -INFINITY;
  for (int c = 0; c < C; c++)
    if (logits[c] > m) m = logits[c];
  double s = 0;
  for (int c = 0; c < C; c++) s += exp((double)logits[c] - m);
  return (float)((double)m + log(s));
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

float sw_quantile(float *values, int n, double q) {
  if (n <= 0) return NAN;
  qsort(values, (size_t)n, sizeof *values, cmp_float);
  double pos = q * (n - 1);
  int i = (int)pos;
  if (i >= n - 1) return values[n - 1];
  return (float)(values[i] + (values[i + 1] - values[i]) * (pos - i));
}
