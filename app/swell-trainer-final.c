/* swell-trainer-final.c: the end of a fine_tune run (see swell-trainer.h): the kept
 * model (the last completed epoch's, or the one of the lowest validation loss) and its
 * predictions of every image the run did not validate on: the labeled training images
 * (to review their labels), the unlabeled ones (to label with the model) and the test
 * images, evaluated here once for the run's test score. */
#include "swell-config.h"

#include "swell-trainer-private.h"

#include <math.h>
#include <string.h>

#include "metrics.h"

/* A review item's kind: its split, plus this flag when it is unlabeled. */
#define REVIEW_UNLABELED 8
#define REVIEW_SPLIT(kind) ((SwellSplit)((kind) & 3))

void swell_trainer_pass_clear(SwellTrainerPass *pass) {
  g_clear_pointer(&pass->probs, g_free);
  g_clear_pointer(&pass->targets, g_free);
  g_clear_pointer(&pass->losses, g_free);
  g_clear_pointer(&pass->logits, g_free);
  g_clear_pointer(&pass->ids, g_free);
  pass->n = 0;
}

void swell_trainer_final_clear(Job *job) {
  g_clear_pointer(&job->best_snap, g_free);
  swell_trainer_pass_clear(&job->kept_valid);
  g_clear_pointer(&job->review_items, g_array_unref);
  g_clear_pointer(&job->review_kinds, g_array_unref);
}

static void add_review(Job *job, const SwellLoaderItem *it, guint8 kind) {
  g_array_append_vals(job->review_items, it, 1);
  g_array_append_val(job->review_kinds, kind);
}

gboolean swell_trainer_collect_review(Job *job, GPtrArray *cats, GError **error) {
  job->review_items = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  job->review_kinds = g_array_new(FALSE, FALSE, sizeof(guint8));
  for (guint i = 0; i < job->items[0]->len; i++)
    add_review(job, &g_array_index(job->items[0], SwellLoaderItem, i), SWELL_SPLIT_TRAIN);
  g_autoptr(GArray) test = swell_trainer_split_items(job->project, cats, SWELL_SPLIT_TEST, error);
  if (!test) return FALSE;
  for (guint i = 0; i < test->len; i++)
    add_review(job, &g_array_index(test, SwellLoaderItem, i), SWELL_SPLIT_TEST);
  for (int s = 0; s < SWELL_N_SPLITS; s++) {
    SwellImageQuery q = {SWELL_CATEGORY_UNLABELED, s, 0, 0};
    g_autoptr(GArray) ids = swell_project_list_image_ids(job->project, &q, error);
    if (!ids) return FALSE;
    for (guint i = 0; i < ids->len; i++) {
      /* any class for the loader: an unlabeled image's loss is not kept */
      SwellLoaderItem it = {g_array_index(ids, gint64, i), 0};
      add_review(job, &it, (guint8)(s | REVIEW_UNLABELED));
    }
  }
  return TRUE;
}

void swell_trainer_note_epoch(Job *job, const sw_epoch_info *ei) {
  job->last_epoch = ei->global_epoch;
  if (job->o->keep != SWELL_KEEP_BEST || !(ei->valid_loss < job->best_loss)) return;
  if (!job->best_snap)
    job->best_snap = g_new(float, MAX(job->net.snapshot_floats(job->net.impl), 1));
  job->net.snapshot(job->net.impl, job->best_snap);
  job->best_loss = ei->valid_loss;
  job->best_epoch = ei->global_epoch;
}

/* The network as it is now over `items` (resize + centre crop, in order), even after a
 * cancel: a loader of its own, which a cancel does not stop. */
static gboolean predict_items(Job *job, const GArray *items, SwellTrainerPass *pass,
                              GError **error) {
  int C = job->self->n_classes;
  char err[1024];
  gsize cap = MAX(items->len, 1);
  pass->probs = g_new(float, cap * (gsize)C);
  pass->targets = g_new(int32_t, cap);
  pass->losses = g_new(float, cap);
  pass->logits = g_new(float, cap * (gsize)C);
  Source src = {0};
  sw_batch_source bs;
  swell_trainer_source_init(job, FALSE, items, &src, &bs);
  int n = 0;
  int rc = sw_learner_predict_final(job->learner, &bs, pass->probs, pass->targets, pass->losses,
                                    pass->logits, (int)items->len, &n, err, sizeof err);
  gboolean ok = rc == SW_FIT_DONE && (guint)n == src.ids_done->len;
  if (rc != SW_FIT_DONE)
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, err);
  else if (!ok)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "internal: %d predictions for %u images", n,
                src.ids_done->len);
  if (ok) {
    pass->ids = g_memdup2(src.ids_done->data, sizeof(gint64) * (gsize)n);
    pass->n = n;
  }
  swell_trainer_source_clear(&src);
  return ok;
}

/* The images the training and validation loaders found bad (reported once already). */
static GHashTable *known_bad(Job *job, GArray **ids) {
  *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (int k = 0; k < 2; k++) {
    gsize n = 0;
    SwellLoaderBadItem *bad = swell_loader_get_bad_items(job->src[k].loader, &n);
    for (gsize i = 0; i < n; i++) g_array_append_val(*ids, bad[i].id);
    swell_loader_bad_items_free(bad, n);
  }
  GHashTable *set = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint i = 0; i < (*ids)->len; i++) g_hash_table_add(set, &g_array_index(*ids, gint64, i));
  return set;
}

/* `items` (and their `kinds`, when given) without the known bad images. */
static GArray *usable_items(Job *job, const GArray *items, const GArray *kinds, GArray **kinds_out) {
  g_autoptr(GArray) bad_ids = NULL;
  g_autoptr(GHashTable) bad = known_bad(job, &bad_ids);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(SwellLoaderItem));
  if (kinds_out) *kinds_out = g_array_new(FALSE, FALSE, sizeof(guint8));
  for (guint i = 0; i < items->len; i++) {
    const SwellLoaderItem *it = &g_array_index(items, SwellLoaderItem, i);
    if (g_hash_table_contains(bad, &it->id)) continue;
    g_array_append_vals(out, it, 1);
    if (kinds_out) g_array_append_vals(*kinds_out, &g_array_index(kinds, guint8, i), 1);
  }
  return out;
}

gboolean swell_trainer_restore_kept(Job *job, GError **error) {
  SwellTrainer *self = job->self;
  self->kept_epoch = job->last_epoch;
  if (job->best_epoch < 0 || job->best_epoch == job->last_epoch) return TRUE;
  job->net.restore(job->net.impl, job->best_snap);
  self->kept_epoch = job->best_epoch;
  g_autoptr(GArray) valid = usable_items(job, job->items[1], NULL, NULL);
  return predict_items(job, valid, &job->kept_valid, error);
}

int swell_trainer_kept_valid(Job *job, const float **probs, const int32_t **targets,
                             const float **losses, const gint64 **ids) {
  const SwellTrainerPass *kv = &job->kept_valid;
  if (kv->n > 0) {
    *probs = kv->probs;
    *targets = kv->targets;
    *losses = kv->losses;
    *ids = kv->ids;
    return kv->n;
  }
  int n = sw_learner_last_valid(job->learner, probs, targets, losses);
  const GArray *done = job->src[1].ids_done;
  if (n > 0 && (guint)n != done->len) return -1;
  *ids = (const gint64 *)(void *)done->data;
  return n;
}

/* The test images' confusion matrix and accuracy (rows i of the pass with test[i]). */
static gboolean score_test(Job *job, const SwellTrainerPass *pass, const gboolean *test,
                           GError **error) {
  SwellTrainer *self = job->self;
  int C = self->n_classes, n = 0;
  g_autofree float *probs = g_new(float, (gsize)MAX(pass->n, 1) * C);
  g_autofree int32_t *targets = g_new(int32_t, MAX(pass->n, 1));
  for (int i = 0; i < pass->n; i++) {
    if (!test[i]) continue;
    memcpy(probs + (gsize)n * C, pass->probs + (gsize)i * C, sizeof(float) * C);
    targets[n++] = pass->targets[i];
  }
  if (n == 0) return TRUE;
  g_autofree int32_t *cm = g_new0(int32_t, C * C);
  sw_confusion_matrix(probs, targets, n, C, cm);
  g_free(self->test_confusion);
  self->test_confusion = g_new(int, C * C);
  for (int i = 0; i < C * C; i++) self->test_confusion[i] = cm[i];
  self->test_accuracy = sw_accuracy(probs, targets, n, C);
  self->n_test = n;
  g_autofree char *cj = swell_trainer_confusion_json(self->class_names, self->test_confusion, C);
  return swell_project_set_test_confusion(job->project, job->run_id, cj, error);
}

/* Stores the pass over `kinds`' images as predictions (one transaction with the test score). */
static gboolean store_pass(Job *job, const SwellTrainerPass *pass, const GArray *items,
                           const GArray *kinds, GError **error) {
  int C = job->self->n_classes;
  g_autofree SwellPrediction *preds = g_new0(SwellPrediction, MAX(pass->n, 1));
  g_autofree gboolean *test = g_new0(gboolean, MAX(pass->n, 1));
  guint j = 0; /* the pass keeps the items' order, without the images it could not read */
  for (int i = 0; i < pass->n; i++) {
    while (j < items->len && g_array_index(items, SwellLoaderItem, j).id != pass->ids[i]) j++;
    if (j == items->len) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "internal: image %" G_GINT64_FORMAT
                  " predicted out of order", pass->ids[i]);
      return FALSE;
    }
    guint8 kind = g_array_index(kinds, guint8, j);
    SwellPrediction *p = &preds[i];
    p->image_id = pass->ids[i];
    p->split = REVIEW_SPLIT(kind);
    p->actual = kind & REVIEW_UNLABELED ? SWELL_PREDICTION_UNLABELED : pass->targets[i];
    p->predicted = sw_argmax(pass->probs + (gsize)i * C, C);
    p->loss = kind & REVIEW_UNLABELED ? NAN : pass->losses[i];
    p->n_classes = (guint)C;
    p->probs = pass->probs + (gsize)i * C;
    test[i] = kind == SWELL_SPLIT_TEST;
  }
  gboolean ok = swell_project_begin(job->project, error) &&
                swell_project_set_predictions(job->project, job->run_id, preds, (guint)pass->n,
                                              error) &&
                score_test(job, pass, test, error) && swell_project_commit(job->project, error);
  if (!ok) swell_project_rollback(job->project);
  return ok;
}

gboolean swell_trainer_store_review(Job *job, GError **error) {
  if (!job->review_items || job->review_items->len == 0) return TRUE;
  g_autoptr(GArray) kinds = NULL;
  g_autoptr(GArray) items = usable_items(job, job->review_items, job->review_kinds, &kinds);
  if (items->len == 0) return TRUE;
  SwellTrainerPass pass = {0};
  gboolean ok = predict_items(job, items, &pass, error) &&
                store_pass(job, &pass, items, kinds, error);
  swell_trainer_pass_clear(&pass);
  return ok;
}
