/* test_ui_models.c: the window's view models, without a display: image list
 * filtering (category, split, minimal change ranges, 10,000 images), the
 * category list (order, counts per split, palette), the confusion matrix
 * (counts, row shares, a cell's exact image set) and the gallery's sorting;
 * the review items (split, "label may be wrong" mark, the app's review order,
 * a matrix from stored counts); plus the plot widget's tick maths and the
 * paths of chooser and drop file lists. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "swell-category-list.h"
#include "swell-files.h"
#include "swell-image-list.h"
#include "swell-plot.h"
#include "swell-results-model.h"

#include "testutil.h"

typedef struct {
  guint calls, pos, removed, added;
} Change;

static void
on_items_changed (GListModel *m, guint pos, guint removed, guint added, Change *c)
{
  c->calls++;
  c->pos = pos;
  c->removed = removed;
  c->added = added;
}

/* Ids of a model's items, for comparing with what is expected. */
static GArray *
ids_of (GListModel *m)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < g_list_model_get_n_items (m); i++) {
    g_autoptr (GObject) o = g_list_model_get_item (m, i);
    gint64 id = SWELL_IS_IMAGE_ITEM (o) ? swell_image_item_get_id (SWELL_IMAGE_ITEM (o))
                                        : swell_pred_item_get_image_id (SWELL_PRED_ITEM (o));
    g_array_append_val (a, id);
  }
  return a;
}

static gboolean
ids_equal (GArray *a, const gint64 *want, guint n)
{
  if (a->len != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_array_index (a, gint64, i) != want[i])
      return FALSE;
  return TRUE;
}

/* 10 images: ids 1..10; category (id % 3) + 1 for ids <= 8, 9 and 10
 * unlabeled; ids 4 and 8 in valid, 10 in test. */
static SwellImageList *
make_list (void)
{
  SwellImageList *list = swell_image_list_new ();
  SwellImageItem *items[10];
  for (int i = 0; i < 10; i++) {
    gint64 id = i + 1;
    gint64 cat = id <= 8 ? id % 3 + 1 : SWELL_CATEGORY_UNLABELED;
    SwellSplit split = id == 4 || id == 8 ? SWELL_SPLIT_VALID : id == 10 ? SWELL_SPLIT_TEST : SWELL_SPLIT_TRAIN;
    g_autofree char *name = g_strdup_printf ("img%02d.jpg", i + 1);
    items[i] = swell_image_item_new (id, name, cat, split);
  }
  swell_image_list_append (list, items, 10);
  for (int i = 0; i < 10; i++)
    g_object_unref (items[i]);
  return list;
}

static void
test_image_filter (void)
{
  g_autoptr (SwellImageList) list = make_list ();
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (list)) == 10, "10 images");
  g_autoptr (SwellImageFilter) f = swell_image_filter_new (list);
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (f)) == 10, "All shows everything");

  /* category 2 = ids with id % 3 == 1: 1, 4, 7 */
  swell_image_filter_set_category (f, 2);
  g_autoptr (GArray) a = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (a, (gint64[]) { 1, 4, 7 }, 3), "category 2 is 1,4,7 (got %u items)", a->len);
  swell_image_filter_set_split (f, SWELL_SPLIT_VALID);
  g_autoptr (GArray) b = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (b, (gint64[]) { 4 }, 1), "category 2 valid is 4");
  swell_image_filter_set_split (f, SWELL_SPLIT_ANY);
  swell_image_filter_set_category (f, SWELL_CATEGORY_UNLABELED);
  g_autoptr (GArray) c = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (c, (gint64[]) { 9, 10 }, 2), "unlabeled is 9,10");

  /* Labeling image 9 as category 2 moves it out of Unlabeled with one
   * minimal change (position 0, 1 removed, 0 added). */
  Change ch = { 0 };
  g_signal_connect (f, "items-changed", G_CALLBACK (on_items_changed), &ch);
  swell_image_item_set_category_id (swell_image_list_lookup (list, 9), 2);
  CHECK (ch.calls == 1 && ch.pos == 0 && ch.removed == 1 && ch.added == 0, "relabel out: calls %u pos %u -%u +%u",
         ch.calls, ch.pos, ch.removed, ch.added);
  swell_image_filter_set_category (f, 2);
  g_autoptr (GArray) d = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (d, (gint64[]) { 1, 4, 7, 9 }, 4), "category 2 now has 9 at its place in store order");

  /* A frozen batch of changes refilters once. */
  memset (&ch, 0, sizeof ch);
  swell_image_list_freeze (list);
  swell_image_item_set_category_id (swell_image_list_lookup (list, 1), 3);
  swell_image_item_set_category_id (swell_image_list_lookup (list, 4), 3);
  CHECK (ch.calls == 0, "no signal while frozen");
  swell_image_list_thaw (list);
  CHECK (ch.calls == 1, "one items-changed at thaw, got %u", ch.calls);
  g_autoptr (GArray) e = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (e, (gint64[]) { 7, 9 }, 2), "category 2 after moving 1 and 4 away");

  /* Removing from the master list updates the filter. */
  swell_image_list_remove (list, (gint64[]) { 7, 3 }, 2);
  g_autoptr (GArray) g = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (g, (gint64[]) { 9 }, 1), "7 removed from the filter");
  CHECK (swell_image_list_lookup (list, 7) == NULL && g_list_model_get_n_items (G_LIST_MODEL (list)) == 8, "master has 8");
  /* Appending a duplicate id is ignored; a new one lands in the filter. */
  g_autoptr (SwellImageItem) dup = swell_image_item_new (9, "dup", 2, SWELL_SPLIT_TRAIN);
  g_autoptr (SwellImageItem) fresh = swell_image_item_new (42, "new", 2, SWELL_SPLIT_TRAIN);
  SwellImageItem *add[] = { dup, fresh };
  swell_image_list_append (list, add, 2);
  g_autoptr (GArray) h = ids_of (G_LIST_MODEL (f));
  CHECK (ids_equal (h, (gint64[]) { 9, 42 }, 2), "42 appended, duplicate 9 ignored");
}

static void
test_image_filter_10k (void)
{
  g_autoptr (SwellImageList) list = swell_image_list_new ();
  const guint N = 10000;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < N; i++)
    g_ptr_array_add (items, swell_image_item_new (i + 1, "x.jpg", i % 4 + 1, i % 5 == 0 ? SWELL_SPLIT_VALID : SWELL_SPLIT_TRAIN));
  gint64 t0 = g_get_monotonic_time ();
  swell_image_list_append (list, (SwellImageItem **) items->pdata, N);
  g_autoptr (SwellImageFilter) f = swell_image_filter_new (list);
  g_autoptr (SwellCategoryList) cats = swell_category_list_new (list);
  for (int c = 1; c <= 4; c++)
    swell_category_list_upsert (cats, c, "c", "#3584e4");
  swell_image_filter_set_category (f, 3);
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (f)) == N / 4, "2500 in category 3");
  /* Relabel 500 images in one batch, as the 1-9 keys do. */
  swell_image_list_freeze (list);
  for (guint i = 0; i < 500; i++)
    swell_image_item_set_category_id (g_ptr_array_index (items, i * 4), 3);
  swell_image_list_thaw (list);
  gint64 t1 = g_get_monotonic_time ();
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (f)) == N / 4 + 500, "3000 after relabel");
  SwellCategoryItem *c3 = swell_category_list_lookup (cats, 3, NULL);
  CHECK (swell_category_item_get_total (c3) == 3000, "category 3 counts 3000, got %u", swell_category_item_get_total (c3));
  double ms = (t1 - t0) / 1000.0;
  printf ("10,000 images: load + filter + recount + relabel 500: %.1f ms\n", ms);
  CHECK (ms < 500, "view models too slow for 10,000 images: %.1f ms", ms);
}

static void
count_notify (guint *n)
{
  (*n)++;
}

static void
test_category_list (void)
{
  g_autoptr (SwellImageList) list = make_list ();
  g_autoptr (SwellCategoryList) cats = swell_category_list_new (list);
  GListModel *m = G_LIST_MODEL (cats);
  CHECK (g_list_model_get_n_items (m) == 2, "All + Unlabeled");
  swell_category_list_upsert (cats, 1, "cloudy", "#3584e4");
  swell_category_list_upsert (cats, 2, "rain", "#33d17a");
  swell_category_list_upsert (cats, 3, "shine", NULL);
  CHECK (g_list_model_get_n_items (m) == 5, "All + 3 + Unlabeled");
  g_autoptr (SwellCategoryItem) first = g_list_model_get_item (m, 0);
  g_autoptr (SwellCategoryItem) last = g_list_model_get_item (m, 4);
  CHECK (swell_category_item_get_id (first) == SWELL_CATEGORY_ALL, "All first");
  CHECK (swell_category_item_get_id (last) == SWELL_CATEGORY_UNLABELED, "Unlabeled last");
  CHECK (swell_category_item_get_id (swell_category_list_nth_category (cats, 1)) == 2, "2nd category is rain (key 2)");
  CHECK (swell_category_list_nth_category (cats, 3) == NULL, "no 4th category");

  /* counts: category 1 = ids%3==0: 3,6 (train) -> train 2; category 2:
   * 1,4,7 -> train 2 valid 1; category 3: 2,5,8 -> train 2 valid 1;
   * unlabeled 9 (train), 10 (test). */
  SwellCategoryItem *c2 = swell_category_list_lookup (cats, 2, NULL);
  CHECK (swell_category_item_get_count (c2, SWELL_SPLIT_TRAIN) == 2 && swell_category_item_get_count (c2, SWELL_SPLIT_VALID) == 1,
         "rain 2 train 1 valid");
  SwellCategoryItem *un = swell_category_list_lookup (cats, SWELL_CATEGORY_UNLABELED, NULL);
  CHECK (swell_category_item_get_count (un, SWELL_SPLIT_TRAIN) == 1 && swell_category_item_get_count (un, SWELL_SPLIT_TEST) == 1,
         "unlabeled 1 train 1 test");
  CHECK (swell_category_item_get_total (first) == 10, "All counts 10");
  CHECK (swell_category_item_get_count (first, SWELL_SPLIT_VALID) == 2, "All has 2 valid");

  /* Counts follow label and split changes, with a notify. */
  guint notified = 0;
  g_signal_connect_swapped (c2, "notify::total", G_CALLBACK (count_notify), &notified);
  swell_image_item_set_split (swell_image_list_lookup (list, 1), SWELL_SPLIT_VALID);
  CHECK (swell_category_item_get_count (c2, SWELL_SPLIT_VALID) == 2, "rain now 2 valid");
  CHECK (notified == 1, "one notify::total for the split change, got %u", notified);
  swell_image_item_set_category_id (swell_image_list_lookup (list, 9), 2);
  CHECK (swell_category_item_get_total (c2) == 4 && swell_category_item_get_total (un) == 1, "9 moved to rain");

  /* Rename in place, remove, next colour skips used ones. */
  swell_category_list_upsert (cats, 2, "rainy", "#33d17a");
  CHECK (g_str_equal (swell_category_item_get_name (c2), "rainy"), "renamed");
  CHECK (g_list_model_get_n_items (m) == 5, "rename does not add");
  const char *next = swell_category_list_next_color (cats);
  CHECK (g_ascii_strcasecmp (next, "#3584e4") != 0 && g_ascii_strcasecmp (next, "#33d17a") != 0, "next colour unused: %s", next);
  swell_category_list_remove (cats, 1);
  CHECK (g_list_model_get_n_items (m) == 4 && swell_category_list_lookup (cats, 1, NULL) == NULL, "removed");
}

/* 3 classes; predictions for image ids 1..8:
 *  id actual pred probs(0,1,2)        loss
 *   1   0     0   .90 .05 .05          0.105
 *   2   0     1   .30 .60 .10          1.204
 *   3   0     1   .45 .50 .05          0.799
 *   4   1     1   .10 .80 .10          0.223
 *   5   1     2   .20 .20 .60          1.609
 *   6   2     2   .05 .05 .90          0.105
 *   7   2     0   .40 .25 .35          1.050
 *   8   2     0   .34 .33 .33          1.109  (most unsure: margin .01)
 */
static GListStore *
make_predictions (SwellImageList *images)
{
  static const struct { int a, p; float pr[3]; float loss; } rows[] = {
    { 0, 0, { .90f, .05f, .05f }, 0.105f }, { 0, 1, { .30f, .60f, .10f }, 1.204f },
    { 0, 1, { .45f, .50f, .05f }, 0.799f }, { 1, 1, { .10f, .80f, .10f }, 0.223f },
    { 1, 2, { .20f, .20f, .60f }, 1.609f }, { 2, 2, { .05f, .05f, .90f }, 0.105f },
    { 2, 0, { .40f, .25f, .35f }, 1.050f }, { 2, 0, { .34f, .33f, .33f }, 1.109f },
  };
  GListStore *store = g_list_store_new (SWELL_TYPE_PRED_ITEM);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    gint64 id = i + 1;
    g_autoptr (SwellPredItem) p = swell_pred_item_new (id, swell_image_list_lookup (images, id), rows[i].a, rows[i].p,
                                                       rows[i].pr, 3, rows[i].loss);
    g_list_store_append (store, p);
  }
  return store;
}

static void
test_confusion (void)
{
  g_autoptr (SwellImageList) images = make_list ();
  g_autoptr (GListStore) preds = make_predictions (images);
  const char *names[] = { "cloudy", "rain", "shine", NULL };
  g_autoptr (SwellConfusion) cm = swell_confusion_new (names, G_LIST_MODEL (preds));
  CHECK (swell_confusion_get_n_classes (cm) == 3, "3 classes");
  guint want[3][3] = { { 1, 2, 0 }, { 0, 1, 1 }, { 2, 0, 1 } };
  for (int a = 0; a < 3; a++)
    for (int p = 0; p < 3; p++)
      CHECK (swell_confusion_get_count (cm, a, p) == want[a][p], "count[%d][%d] = %u, want %u", a, p,
             swell_confusion_get_count (cm, a, p), want[a][p]);
  CHECK (fabs (swell_confusion_get_row_share (cm, 0, 1) - 2.0 / 3) < 1e-9, "row share of cloudy->rain is 2/3");
  CHECK (fabs (swell_confusion_get_row_share (cm, 1, 2) - 0.5) < 1e-9, "row share of rain->shine is 1/2");
  CHECK (fabs (swell_confusion_get_accuracy (cm) - 3.0 / 8) < 1e-9, "accuracy 3/8");
  /* one rounding for every accuracy shown: 53/80 is 66.3 from a double or a stored float */
  CHECK (swell_percent (53.0 / 80) == 66.3 && swell_percent ((float) (53.0 / 80)) == 66.3,
         "percent 53/80: %.17g %.17g", swell_percent (53.0 / 80), swell_percent ((float) (53.0 / 80)));
  CHECK (swell_percent (1.0 / 3) == 33.3 && swell_percent (0.875) == 87.5 &&
         swell_percent (1.0) == 100.0 && swell_percent (0.0) == 0.0 && swell_percent (0.00049) == 0.0,
         "percent 1/3, 7/8, 1, 0, 0.049%%");
  /* A cell gives exactly its images, in input order. */
  g_autoptr (GListModel) cell = swell_confusion_cell_predictions (cm, 0, 1);
  g_autoptr (GArray) ids = ids_of (cell);
  CHECK (ids_equal (ids, (gint64[]) { 2, 3 }, 2), "cloudy->rain cell is images 2, 3");
  g_autoptr (GListModel) cell2 = swell_confusion_cell_predictions (cm, 2, 0);
  g_autoptr (GArray) ids2 = ids_of (cell2);
  CHECK (ids_equal (ids2, (gint64[]) { 7, 8 }, 2), "shine->cloudy cell is images 7, 8");
  g_autoptr (GListModel) empty = swell_confusion_cell_predictions (cm, 1, 0);
  CHECK (g_list_model_get_n_items (empty) == 0, "rain->cloudy is empty");
  /* Every prediction is in exactly one cell. */
  guint total = 0;
  for (int a = 0; a < 3; a++)
    for (int p = 0; p < 3; p++) {
      g_autoptr (GListModel) c = swell_confusion_cell_predictions (cm, a, p);
      total += g_list_model_get_n_items (c);
      CHECK (g_list_model_get_n_items (c) == swell_confusion_get_count (cm, a, p), "cell size equals count");
    }
  CHECK (total == 8, "cells partition the predictions");
}

static void
test_gallery (void)
{
  g_autoptr (SwellImageList) images = make_list ();
  g_autoptr (GListStore) preds = make_predictions (images);
  g_autoptr (SwellGallery) g = swell_gallery_new ();
  swell_gallery_show_misclassified (g, G_LIST_MODEL (preds));
  g_autoptr (GArray) top = ids_of (G_LIST_MODEL (g));
  /* mistakes: 2 (1.204), 3 (0.799), 5 (1.609), 7 (1.050), 8 (1.109) */
  CHECK (ids_equal (top, (gint64[]) { 5, 2, 8, 7, 3 }, 5), "top losses order 5,2,8,7,3");
  Change ch = { 0 };
  g_signal_connect (g, "items-changed", G_CALLBACK (on_items_changed), &ch);
  swell_gallery_set_sort (g, SWELL_GALLERY_SORT_MOST_UNSURE);
  CHECK (ch.calls == 1, "resort emits items-changed");
  g_autoptr (GArray) unsure = ids_of (G_LIST_MODEL (g));
  /* margins: 2: .30, 3: .05, 5: .40, 7: .05, 8: .01 -> 8, 3, 7 (tie by id), 2, 5 */
  CHECK (ids_equal (unsure, (gint64[]) { 8, 3, 7, 2, 5 }, 5), "most unsure order 8,3,7,2,5");
  CHECK (fabsf (swell_pred_item_get_margin (g_list_model_get_item (G_LIST_MODEL (preds), 7)) - 0.01f) < 1e-6,
         "margin of image 8 is 0.01");
  /* A cell shown as is (all its predictions), sorted. */
  const char *names[] = { "cloudy", "rain", "shine", NULL };
  g_autoptr (SwellConfusion) cm = swell_confusion_new (names, G_LIST_MODEL (preds));
  g_autoptr (GListModel) diag = swell_confusion_cell_predictions (cm, 2, 2);
  swell_gallery_show_all (g, diag);
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (g)) == 1, "correct cell shows its one image");
  swell_gallery_show_misclassified (g, G_LIST_MODEL (preds));
  swell_gallery_remove_image (g, 3);
  g_autoptr (GArray) after = ids_of (G_LIST_MODEL (g));
  CHECK (ids_equal (after, (gint64[]) { 8, 7, 2, 5 }, 4), "deleted image 3 leaves the gallery");
}

/* Items made from stored predictions: their split and mark come from the app
 * (swell_metrics_label_may_be_wrong), their order is swell_metrics_review_order's. */
static void
test_review_items (void)
{
  /* 6 labeled train images over 2 classes: probs of class 0 */
  const float p0[] = { 0.95f, 0.97f, 0.40f, 0.08f, 0.50f, 0.60f };
  const int actual[] = { 1, 0, 0, 1, 1, 1 };
  g_autoptr (GArray) sp = g_array_new (FALSE, TRUE, sizeof (SwellPrediction));
  float probs[6][2];
  for (int i = 0; i < 6; i++) {
    probs[i][0] = p0[i];
    probs[i][1] = 1 - p0[i];
    SwellPrediction pr = { .image_id = 10 + i, .actual = actual[i], .predicted = p0[i] >= 0.5f ? 0 : 1,
                           .loss = -log (probs[i][actual[i]]), .n_classes = 2, .probs = probs[i],
                           .split = SWELL_SPLIT_TRAIN };
    g_array_append_val (sp, pr);
  }
  g_autoptr (GListStore) store = g_list_store_new (SWELL_TYPE_PRED_ITEM);
  /* added in reverse: the gallery's order must not depend on the input's */
  for (int i = 5; i >= 0; i--) {
    g_autoptr (SwellPredItem) it = swell_pred_item_new_from_prediction (&g_array_index (sp, SwellPrediction, i), NULL);
    g_list_store_append (store, it);
  }
  g_autoptr (SwellGallery) g = swell_gallery_new ();
  swell_gallery_show_all (g, G_LIST_MODEL (store));
  for (int o = 0; o < 2; o++) {
    swell_gallery_set_sort (g, o ? SWELL_GALLERY_SORT_MOST_UNSURE : SWELL_GALLERY_SORT_TOP_LOSSES);
    g_autofree int *order = swell_metrics_review_order (sp, o ? SWELL_REVIEW_MOST_UNSURE : SWELL_REVIEW_TOP_LOSSES);
    gboolean same = g_list_model_get_n_items (G_LIST_MODEL (g)) == 6;
    for (guint k = 0; same && k < 6; k++) {
      g_autoptr (SwellPredItem) it = g_list_model_get_item (G_LIST_MODEL (g), k);
      same = swell_pred_item_get_image_id (it) == g_array_index (sp, SwellPrediction, order[k]).image_id;
    }
    CHECK (same, "gallery order %d is swell_metrics_review_order's", o);
  }
  /* marks: image 10 (b taken for a at 0.95) only; 13 is right at 0.92, 12, 14, 15 are unsure mistakes */
  guint marks = 0;
  for (guint k = 0; k < 6; k++) {
    g_autoptr (SwellPredItem) it = g_list_model_get_item (G_LIST_MODEL (g), k);
    gboolean want = swell_metrics_label_may_be_wrong (&g_array_index (sp, SwellPrediction, swell_pred_item_get_image_id (it) - 10));
    CHECK (swell_pred_item_get_label_may_be_wrong (it) == want, "mark of image %lld", (long long) swell_pred_item_get_image_id (it));
    CHECK (swell_pred_item_get_split (it) == SWELL_SPLIT_TRAIN, "split kept");
    marks += want;
  }
  CHECK (marks == 1 && swell_gallery_count_label_may_be_wrong (g) == 1, "one label may be wrong (%u)", marks);
  swell_gallery_show_misclassified (g, G_LIST_MODEL (store));
  CHECK (g_list_model_get_n_items (G_LIST_MODEL (g)) == 4, "4 mistakes");
  /* a matrix from stored counts (a run's test score) */
  const char *names[] = { "a", "b", NULL };
  const gint32 counts[] = { 3, 1, 0, 4 };
  g_autoptr (SwellConfusion) cm = swell_confusion_new_from_counts (names, counts, 2, G_LIST_MODEL (store));
  CHECK (swell_confusion_get_count (cm, 0, 1) == 1 && swell_confusion_get_count (cm, 1, 1) == 4, "counts kept");
  CHECK (fabs (swell_confusion_get_accuracy (cm) - 7.0 / 8) < 1e-12, "accuracy 7/8");
}

static void
test_plot_ticks (void)
{
  double t[32];
  int n = swell_plot_nice_ticks (0, 1, 6, t);
  CHECK (n == 6 && fabs (t[0]) < 1e-12 && fabs (t[5] - 1) < 1e-12 && fabs (t[1] - 0.2) < 1e-12, "0..1 in 0.2 steps (n=%d)", n);
  n = swell_plot_nice_ticks (0.13, 2.71, 5, t);
  CHECK (n >= 3 && t[0] >= 0.13 && t[n - 1] <= 2.71, "ticks inside the range");
  for (int i = 1; i < n; i++)
    CHECK (t[i] > t[i - 1], "increasing");
  n = swell_plot_log_ticks (1e-7, 10, t);
  CHECK (n >= 4 && n <= 9, "log ticks over 8 decades: %d", n);
  CHECK (fabs (log10 (t[0]) - round (log10 (t[0]))) < 1e-9, "decades");
  n = swell_plot_log_ticks (1e-5, 1e-2, t);
  CHECK (n == 4 && fabs (t[0] - 1e-5) < 1e-18 && fabs (t[3] - 1e-2) < 1e-15, "1e-5..1e-2: 4 decades");
  g_autofree char *a = swell_plot_format_value (0.001, TRUE);
  g_autofree char *b = swell_plot_format_value (0.25, FALSE);
  g_autofree char *c = swell_plot_format_value (3e-6, FALSE);
  CHECK (g_str_equal (a, "1e-3"), "log label %s", a);
  CHECK (g_str_equal (b, "0.25"), "linear label %s", b);
  CHECK (g_str_equal (c, "3.0e-6"), "small label %s", c);
  CHECK (swell_plot_nice_ticks (1, 1, 5, t) == 0, "empty range gives no ticks");
}

/* The paths of a file chooser's list and of a drop: local files in order,
 * remote ones left out, folders left out of a drop only when asked. */
static void
test_file_paths (void)
{
  g_autofree char *dir = g_dir_make_tmp ("swell-files-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "a.jpg", NULL);
  CHECK (g_file_set_contents (file, "x", 1, NULL), "write %s", file);
  g_autoptr (GFile) f_file = g_file_new_for_path (file);
  g_autoptr (GFile) f_dir = g_file_new_for_path (dir);
  g_autoptr (GFile) f_remote = g_file_new_for_uri ("sftp://example.org/b.jpg");

  g_autoptr (GListStore) store = g_list_store_new (G_TYPE_FILE);
  g_list_store_append (store, f_dir);
  g_list_store_append (store, f_remote);
  g_list_store_append (store, f_file);
  g_auto (GStrv) chosen = swell_files_paths_from_model (G_LIST_MODEL (store));
  CHECK (g_strv_length (chosen) == 2 && g_str_equal (chosen[0], dir) && g_str_equal (chosen[1], file),
         "chooser paths: %u", g_strv_length (chosen));
  g_auto (GStrv) none = swell_files_paths_from_model (NULL);
  CHECK (none && !none[0], "no chooser list gives an empty array");

  GSList *list = g_slist_append (NULL, f_dir);
  list = g_slist_append (list, f_remote);
  list = g_slist_append (list, f_file);
  GdkFileList *fl = gdk_file_list_new_from_list (list);
  g_slist_free (list);
  GValue v = G_VALUE_INIT;
  g_value_init (&v, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&v, fl);
  g_auto (GStrv) all = swell_files_paths_from_drop (&v, FALSE);
  g_auto (GStrv) regular = swell_files_paths_from_drop (&v, TRUE);
  CHECK (g_strv_length (all) == 2 && g_str_equal (all[0], dir) && g_str_equal (all[1], file), "drop paths: %u",
         g_strv_length (all));
  CHECK (g_strv_length (regular) == 1 && g_str_equal (regular[0], file), "drop, regular files only: %u",
         g_strv_length (regular));
  g_value_unset (&v);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (void)
{
  test_image_filter ();
  test_image_filter_10k ();
  test_category_list ();
  test_confusion ();
  test_gallery ();
  test_review_items ();
  test_plot_ticks ();
  test_file_paths ();
  if (sw_test_failures)
    fprintf (stderr, "%d check(s) failed\n", sw_test_failures);
  else
    printf ("all view-model checks passed\n");
  return sw_test_failures ? 1 : 0;
}
