/* swell-dataset-check.c: near-duplicate groups and dataset health findings of
 * a project. See swell-dataset-check.h. */
#include "swell-config.h"

#include "swell-dataset-check.h"

#include <glib/gi18n.h>

#include "swell-image.h"
#include "swell-phash.h"

const char *swell_health_kind_to_string(SwellHealthKind kind) {
  switch (kind) {
  case SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS: return "near-duplicates-across-splits";
  case SWELL_HEALTH_FEW_TRAIN: return "few-train";
  case SWELL_HEALTH_FEW_VALID: return "few-valid";
  case SWELL_HEALTH_IMBALANCE: return "imbalance";
  case SWELL_HEALTH_SMALL_IMAGES: return "small-images";
  }
  return "unknown";
}

static void group_free(SwellNearDuplicateGroup *g) {
  if (!g) return;
  g_ptr_array_unref(g->images);
  g_free(g);
}

static void finding_free(SwellHealthFinding *f) {
  if (!f) return;
  g_free(f->category);
  g_array_unref(f->image_ids);
  g_free(f->message);
  g_free(f);
}

void swell_dataset_report_free(SwellDatasetReport *report) {
  if (!report) return;
  g_clear_pointer(&report->near_duplicates, g_ptr_array_unref);
  g_clear_pointer(&report->health, g_ptr_array_unref);
  g_free(report);
}

/* ---------------------------------------------------------------- hashes */

/* Hashes the images that have no hash yet and stores them; returns how many
 * could not be decoded (they stay without one), or -1 when cancelled. */
static int fill_missing_hashes(SwellProject *project, GPtrArray *images,
                               GCancellable *cancellable) {
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) hashes = g_array_new(FALSE, FALSE, sizeof(guint64));
  int n_failed = 0;
  for (guint i = 0; i < images->len; i++) {
    SwellProjectImage *img = images->pdata[i];
    if (img->has_phash) continue;
    if (g_cancellable_is_cancelled(cancellable)) return -1;
    g_autoptr(GBytes) bytes = swell_project_get_image_bytes(project, img->id, NULL);
    g_autoptr(SwellRgbImage) rgb = bytes ? swell_image_decode_bytes(bytes, img->name, NULL) : NULL;
    if (!rgb) {
      n_failed++;
      continue;
    }
    img->phash = swell_image_phash(rgb);
    img->has_phash = TRUE;
    g_array_append_val(ids, img->id);
    g_array_append_val(hashes, img->phash);
  }
  /* The stored hashes only save this work next time: when they cannot be
   * written (a read-only project, a busy disk) the check goes on with them. */
  if (ids->len > 0 && !swell_project_is_read_only(project))
    swell_project_set_image_phashes(project, (const gint64 *)(void *)ids->data,
                                    (const guint64 *)(void *)hashes->data, ids->len, NULL);
  return n_failed;
}

/* ------------------------------------------------------- near-duplicates */

static gboolean straddles_splits(GPtrArray *images) {
  gboolean train = FALSE, held_out = FALSE;
  for (guint i = 0; i < images->len; i++) {
    SwellSplit s = ((SwellProjectImage *)images->pdata[i])->split;
    if (s == SWELL_SPLIT_TRAIN) train = TRUE;
    else held_out = TRUE;
  }
  return train && held_out;
}

static gint across_first(gconstpointer a, gconstpointer b) {
  const SwellNearDuplicateGroup *x = *(SwellNearDuplicateGroup *const *)a;
  const SwellNearDuplicateGroup *y = *(SwellNearDuplicateGroup *const *)b;
  if (x->across_splits != y->across_splits) return x->across_splits ? -1 : 1;
  gint64 fx = ((SwellProjectImage *)x->images->pdata[0])->id;
  gint64 fy = ((SwellProjectImage *)y->images->pdata[0])->id;
  return fx < fy ? -1 : fx > fy;
}

/* The groups among `images` (in id order, as listed) that have a hash. */
static GPtrArray *group_near_duplicates(GPtrArray *images, guint *n_across) {
  g_autoptr(GPtrArray) hashed = g_ptr_array_new();
  for (guint i = 0; i < images->len; i++)
    if (((SwellProjectImage *)images->pdata[i])->has_phash) g_ptr_array_add(hashed, images->pdata[i]);
  g_autofree guint64 *hashes = g_new(guint64, MAX(hashed->len, 1));
  for (guint i = 0; i < hashed->len; i++) hashes[i] = ((SwellProjectImage *)hashed->pdata[i])->phash;
  g_autofree guint *group_of = g_new(guint, MAX(hashed->len, 1));
  guint n_groups = swell_phash_group(hashes, hashed->len, SWELL_PHASH_NEAR_DISTANCE, group_of);
  GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
  for (guint g = 0; g < n_groups; g++) {
    SwellNearDuplicateGroup *group = g_new0(SwellNearDuplicateGroup, 1);
    group->images = g_ptr_array_new_with_free_func((GDestroyNotify)swell_project_image_free);
    g_ptr_array_add(groups, group);
  }
  for (guint i = 0; i < hashed->len; i++)
    if (group_of[i])
      g_ptr_array_add(((SwellNearDuplicateGroup *)groups->pdata[group_of[i] - 1])->images,
                      swell_project_image_copy(hashed->pdata[i]));
  *n_across = 0;
  for (guint g = 0; g < groups->len; g++) {
    SwellNearDuplicateGroup *group = groups->pdata[g];
    group->across_splits = straddles_splits(group->images);
    if (group->across_splits) (*n_across)++;
  }
  g_ptr_array_sort(groups, across_first);
  return groups;
}

/* ---------------------------------------------------------------- health */

static SwellHealthFinding *finding_new(GPtrArray *health, SwellHealthKind kind,
                                       const SwellCategory *c, char *message) {
  SwellHealthFinding *f = g_new0(SwellHealthFinding, 1);
  f->kind = kind;
  f->category_id = c ? c->id : 0;
  f->category = c ? g_strdup(c->name) : NULL;
  f->image_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  f->message = message;
  g_ptr_array_add(health, f);
  return f;
}

static void check_across_splits(GPtrArray *health, GPtrArray *groups, guint n_across) {
  if (n_across == 0) return;
  SwellHealthFinding *f = finding_new(
      health, SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS, NULL,
      g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                  "%u group of near-duplicate photos is split between train and "
                                  "valid or test: the model is graded on photos it has already "
                                  "learned, so the accuracy looks better than it is. Keep each "
                                  "group in one split, or delete the copies.",
                                  "%u groups of near-duplicate photos are split between train and "
                                  "valid or test: the model is graded on photos it has already "
                                  "learned, so the accuracy looks better than it is. Keep each "
                                  "group in one split, or delete the copies.",
                                  n_across),
                      n_across));
  for (guint g = 0; g < groups->len; g++) {
    SwellNearDuplicateGroup *group = groups->pdata[g];
    if (!group->across_splits) continue;
    for (guint i = 0; i < group->images->len; i++)
      g_array_append_val(f->image_ids, ((SwellProjectImage *)group->images->pdata[i])->id);
  }
}

static char *few_message(SwellHealthKind kind, const SwellCategory *c, int n) {
  if (kind == SWELL_HEALTH_FEW_TRAIN)
    return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                       "“%s” has %d training image: too few examples for the "
                                       "model to learn what this category looks like. Give it "
                                       "at least %d.",
                                       "“%s” has %d training images: too few examples for the "
                                       "model to learn what this category looks like. Give it "
                                       "at least %d.",
                                       n),
                           c->name, n, SWELL_HEALTH_MIN_TRAIN);
  return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                     "“%s” has %d validation image: its accuracy is measured on "
                                     "so few photos that one mistake more or less changes it a "
                                     "lot. Give it at least %d.",
                                     "“%s” has %d validation images: its accuracy is measured on "
                                     "so few photos that one mistake more or less changes it a "
                                     "lot. Give it at least %d.",
                                     n),
                         c->name, n, SWELL_HEALTH_MIN_VALID);
}

/* few-train for every category, then few-valid. */
static void check_counts(GPtrArray *health, GPtrArray *cats) {
  static const struct {
    SwellHealthKind kind;
    SwellSplit split;
    int min;
  } rules[] = {{SWELL_HEALTH_FEW_TRAIN, SWELL_SPLIT_TRAIN, SWELL_HEALTH_MIN_TRAIN},
               {SWELL_HEALTH_FEW_VALID, SWELL_SPLIT_VALID, SWELL_HEALTH_MIN_VALID}};
  for (guint r = 0; r < G_N_ELEMENTS(rules); r++)
    for (guint i = 0; i < cats->len; i++) {
      const SwellCategory *c = cats->pdata[i];
      int n = c->counts[rules[r].split];
      if (n < rules[r].min) finding_new(health, rules[r].kind, c, few_message(rules[r].kind, c, n));
    }
}

static void check_imbalance(GPtrArray *health, GPtrArray *cats) {
  const SwellCategory *big = NULL, *small = NULL;
  for (guint i = 0; i < cats->len; i++) {
    const SwellCategory *c = cats->pdata[i];
    int n = c->counts[SWELL_SPLIT_TRAIN];
    if (n == 0) continue;
    if (!big || n > big->counts[SWELL_SPLIT_TRAIN]) big = c;
    if (!small || n < small->counts[SWELL_SPLIT_TRAIN]) small = c;
  }
  if (!big || big == small) return;
  int nb = big->counts[SWELL_SPLIT_TRAIN], ns = small->counts[SWELL_SPLIT_TRAIN];
  if (nb <= SWELL_HEALTH_MAX_IMBALANCE * ns) return;
  finding_new(health, SWELL_HEALTH_IMBALANCE, small,
              g_strdup_printf(_("“%s” has %d training images and “%s” only %d (%.1f to 1): the "
                                "model learns to favour the bigger category, and the overall "
                                "accuracy hides its mistakes on the smaller one. Keep the "
                                "categories within %.0f to 1."),
                              big->name, nb, small->name, ns, (double)nb / ns,
                              SWELL_HEALTH_MAX_IMBALANCE));
}

static char *small_images_message(const SwellCategory *c, guint n) {
  if (!c)
    return g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE,
                    "%u unlabeled image is under %d px on its shorter side: it is blown up to the "
                    "network’s input size and shows little of what it contains.",
                    "%u unlabeled images are under %d px on their shorter side: they are blown up "
                    "to the network’s input size and show little of what they contain.",
                    n),
        n, SWELL_HEALTH_MIN_SIDE);
  return g_strdup_printf(
      g_dngettext(GETTEXT_PACKAGE,
                  "%u image of “%s” is under %d px on its shorter side: it is blown up to the "
                  "network’s input size and shows little of what the category looks like.",
                  "%u images of “%s” are under %d px on their shorter side: they are blown up to "
                  "the network’s input size and show little of what the category looks like.",
                  n),
      n, c->name, SWELL_HEALTH_MIN_SIDE);
}

/* One finding per category with small images (in category order), then one
 * for the unlabeled ones. */
static void check_small_images(GPtrArray *health, GPtrArray *cats, GPtrArray *images) {
  for (guint k = 0; k <= cats->len; k++) {
    const SwellCategory *c = k < cats->len ? cats->pdata[k] : NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < images->len; i++) {
      const SwellProjectImage *img = images->pdata[i];
      if (img->category_id == (c ? c->id : 0) && MIN(img->width, img->height) < SWELL_HEALTH_MIN_SIDE)
        g_array_append_val(ids, img->id);
    }
    if (ids->len == 0) continue;
    SwellHealthFinding *f = finding_new(health, SWELL_HEALTH_SMALL_IMAGES, c,
                                        small_images_message(c, ids->len));
    g_array_append_vals(f->image_ids, ids->data, ids->len);
  }
}

static SwellDatasetReport *check(SwellProject *project, GCancellable *cancellable,
                                 GError **error) {
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, error);
  if (!cats) return NULL;
  g_autoptr(GPtrArray) images = swell_project_list_images(project, &SWELL_IMAGE_QUERY_ALL, error);
  if (!images) return NULL;
  int n_unhashed = fill_missing_hashes(project, images, cancellable);
  if (n_unhashed < 0) {
    g_cancellable_set_error_if_cancelled(cancellable, error);
    return NULL;
  }
  SwellDatasetReport *r = g_new0(SwellDatasetReport, 1);
  r->n_unhashed = (guint)n_unhashed;
  r->near_duplicates = group_near_duplicates(images, &r->n_across_splits);
  r->health = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
  check_across_splits(r->health, r->near_duplicates, r->n_across_splits);
  check_counts(r->health, cats);
  check_imbalance(r->health, cats);
  check_small_images(r->health, cats, images);
  return r;
}

SwellDatasetReport *swell_dataset_check(SwellProject *project, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(project), NULL);
  return check(project, NULL, error);
}

static void check_thread(GTask *task, gpointer source, gpointer task_data,
                         GCancellable *cancellable) {
  GError *error = NULL;
  g_autoptr(SwellProject) own = swell_project_open(task_data, &error);
  SwellDatasetReport *r = own ? check(own, cancellable, &error) : NULL;
  if (r) g_task_return_pointer(task, r, (GDestroyNotify)swell_dataset_report_free);
  else g_task_return_error(task, error);
}

void swell_dataset_check_async(SwellProject *project, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SWELL_IS_PROJECT(project));
  g_autoptr(GTask) task = g_task_new(project, cancellable, callback, user_data);
  g_task_set_source_tag(task, swell_dataset_check_async);
  g_task_set_task_data(task, g_strdup(swell_project_get_path(project)), g_free);
  g_task_run_in_thread(task, check_thread);
}

SwellDatasetReport *swell_dataset_check_finish(SwellProject *project, GAsyncResult *result,
                                               GError **error) {
  g_return_val_if_fail(g_task_is_valid(result, project), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}
