/* swell-results-model.c: predictions, confusion matrix and gallery models. */
#include "swell-config.h"

#include <string.h>

#include "swell-metrics.h"
#include "swell-results-model.h"

#include <math.h>

/* ---------------------------------------------------------------- prediction */

struct _SwellPredItem {
  GObject parent_instance;
  gint64 image_id;
  SwellImageItem *image;
  int actual, predicted, n_classes;
  float *probs;
  float loss;
  SwellSplit split;
  gboolean label_may_be_wrong;
};

G_DEFINE_FINAL_TYPE (SwellPredItem, swell_pred_item, G_TYPE_OBJECT)

static void
swell_pred_item_finalize (GObject *object)
{
  SwellPredItem *self = SWELL_PRED_ITEM (object);
  g_clear_object (&self->image);
  g_free (self->probs);
  G_OBJECT_CLASS (swell_pred_item_parent_class)->finalize (object);
}

static void
swell_pred_item_class_init (SwellPredItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_pred_item_finalize;
}

static void swell_pred_item_init (SwellPredItem *self) {}

SwellPredItem *
swell_pred_item_new (gint64 image_id, SwellImageItem *image, int actual, int predicted,
                      const float *probs, int n_classes, float loss)
{
  SwellPredItem *self = g_object_new (SWELL_TYPE_PRED_ITEM, NULL);
  self->image_id = image_id;
  self->image = image ? g_object_ref (image) : NULL;
  self->actual = actual;
  self->predicted = predicted;
  self->n_classes = n_classes;
  self->probs = g_new0 (float, MAX (n_classes, 1));
  if (probs && n_classes > 0)
    memcpy (self->probs, probs, sizeof (float) * n_classes);
  self->loss = loss;
  self->split = SWELL_SPLIT_VALID;
  return self;
}

SwellPredItem *
swell_pred_item_new_from_prediction (const SwellPrediction *sp, SwellImageItem *image)
{
  SwellPredItem *self = swell_pred_item_new (sp->image_id, image, sp->actual, sp->predicted, sp->probs,
                                             (int) sp->n_classes, (float) sp->loss);
  self->split = sp->split;
  self->label_may_be_wrong = swell_metrics_label_may_be_wrong (sp);
  return self;
}

SwellSplit swell_pred_item_get_split (SwellPredItem *self) { return self->split; }
gboolean swell_pred_item_get_label_may_be_wrong (SwellPredItem *self) { return self->label_may_be_wrong; }

gint64 swell_pred_item_get_image_id (SwellPredItem *self) { return self->image_id; }
SwellImageItem *swell_pred_item_get_image (SwellPredItem *self) { return self->image; }
int swell_pred_item_get_actual (SwellPredItem *self) { return self->actual; }
int swell_pred_item_get_predicted (SwellPredItem *self) { return self->predicted; }
int swell_pred_item_get_n_classes (SwellPredItem *self) { return self->n_classes; }
float swell_pred_item_get_loss (SwellPredItem *self) { return self->loss; }
gboolean swell_pred_item_is_correct (SwellPredItem *self) { return self->actual == self->predicted; }

float
swell_pred_item_get_prob (SwellPredItem *self, int klass)
{
  if (klass < 0 || klass >= self->n_classes)
    return 0.0f;
  return self->probs[klass];
}

float
swell_pred_item_get_margin (SwellPredItem *self)
{
  return swell_metrics_top_margin (self->probs, self->n_classes);
}

/* ---------------------------------------------------------------- confusion */

struct _SwellConfusion {
  GObject parent_instance;
  GStrv names;
  int n;
  gint32 *counts; /* n x n, row = actual */
  GListModel *predictions;
};

G_DEFINE_FINAL_TYPE (SwellConfusion, swell_confusion, G_TYPE_OBJECT)

static void
swell_confusion_finalize (GObject *object)
{
  SwellConfusion *self = SWELL_CONFUSION (object);
  g_strfreev (self->names);
  g_free (self->counts);
  g_clear_object (&self->predictions);
  G_OBJECT_CLASS (swell_confusion_parent_class)->finalize (object);
}

static void
swell_confusion_class_init (SwellConfusionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_confusion_finalize;
}

static void swell_confusion_init (SwellConfusion *self) {}

SwellConfusion *
swell_confusion_new (const char *const *class_names, GListModel *predictions)
{
  SwellConfusion *self = g_object_new (SWELL_TYPE_CONFUSION, NULL);
  self->names = g_strdupv ((char **) class_names);
  self->n = (int) g_strv_length (self->names);
  self->counts = g_new0 (gint32, MAX (self->n * self->n, 1));
  self->predictions = g_object_ref (predictions);
  guint len = g_list_model_get_n_items (predictions);
  g_autofree gint32 *actual = g_new (gint32, MAX (len, 1));
  g_autofree gint32 *predicted = g_new (gint32, MAX (len, 1));
  for (guint i = 0; i < len; i++) {
    g_autoptr (SwellPredItem) p = g_list_model_get_item (predictions, i);
    actual[i] = p->actual;
    predicted[i] = p->predicted;
  }
  /* images unlabeled at the time of the run are left out */
  swell_metrics_confusion (actual, predicted, len, self->n, self->counts);
  return self;
}

SwellConfusion *
swell_confusion_new_from_counts (const char *const *class_names, const gint32 *counts, int n_classes,
                                 GListModel *predictions)
{
  SwellConfusion *self = g_object_new (SWELL_TYPE_CONFUSION, NULL);
  self->names = g_strdupv ((char **) class_names);
  self->n = (int) g_strv_length (self->names);
  self->counts = g_new0 (gint32, MAX (self->n * self->n, 1));
  self->predictions = g_object_ref (predictions);
  int m = MIN (n_classes, self->n);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++)
      self->counts[i * self->n + j] = counts[i * n_classes + j];
  return self;
}

int swell_confusion_get_n_classes (SwellConfusion *self) { return self->n; }
GListModel *swell_confusion_get_predictions (SwellConfusion *self) { return self->predictions; }

const char *
swell_confusion_get_class_name (SwellConfusion *self, int klass)
{
  g_return_val_if_fail (klass >= 0 && klass < self->n, NULL);
  return self->names[klass];
}

guint
swell_confusion_get_count (SwellConfusion *self, int actual, int predicted)
{
  g_return_val_if_fail (actual >= 0 && actual < self->n && predicted >= 0 && predicted < self->n, 0);
  return self->counts[actual * self->n + predicted];
}

guint
swell_confusion_get_row_total (SwellConfusion *self, int actual)
{
  guint t = 0;
  for (int j = 0; j < self->n; j++)
    t += self->counts[actual * self->n + j];
  return t;
}

double
swell_confusion_get_row_share (SwellConfusion *self, int actual, int predicted)
{
  guint t = swell_confusion_get_row_total (self, actual);
  return t ? (double) swell_confusion_get_count (self, actual, predicted) / t : 0.0;
}

double
swell_confusion_get_accuracy (SwellConfusion *self)
{
  guint total = 0, right = 0;
  for (int i = 0; i < self->n; i++)
    for (int j = 0; j < self->n; j++) {
      total += self->counts[i * self->n + j];
      if (i == j)
        right += self->counts[i * self->n + j];
    }
  return total ? (double) right / total : 0.0;
}

GListModel *
swell_confusion_cell_predictions (SwellConfusion *self, int actual, int predicted)
{
  GListStore *store = g_list_store_new (SWELL_TYPE_PRED_ITEM);
  guint len = g_list_model_get_n_items (self->predictions);
  for (guint i = 0; i < len; i++) {
    g_autoptr (SwellPredItem) p = g_list_model_get_item (self->predictions, i);
    if (p->actual == actual && p->predicted == predicted)
      g_list_store_append (store, p);
  }
  return G_LIST_MODEL (store);
}

/* ---------------------------------------------------------------- gallery */

struct _SwellGallery {
  GObject parent_instance;
  GPtrArray *items; /* SwellPredItem* */
  SwellGallerySort sort;
};

static void swell_gallery_model_init (GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (SwellGallery, swell_gallery, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, swell_gallery_model_init))

static GType gal_get_item_type (GListModel *m) { return SWELL_TYPE_PRED_ITEM; }
static guint gal_get_n_items (GListModel *m) { return SWELL_GALLERY (m)->items->len; }
static gpointer
gal_get_item (GListModel *m, guint position)
{
  SwellGallery *self = SWELL_GALLERY (m);
  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
swell_gallery_model_init (GListModelInterface *iface)
{
  iface->get_item_type = gal_get_item_type;
  iface->get_n_items = gal_get_n_items;
  iface->get_item = gal_get_item;
}

static void
swell_gallery_finalize (GObject *object)
{
  g_ptr_array_unref (SWELL_GALLERY (object)->items);
  G_OBJECT_CLASS (swell_gallery_parent_class)->finalize (object);
}

static void
swell_gallery_class_init (SwellGalleryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_gallery_finalize;
}

static void
swell_gallery_init (SwellGallery *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

SwellGallery *
swell_gallery_new (void)
{
  return g_object_new (SWELL_TYPE_GALLERY, NULL);
}

static int
cmp_image_id (gconstpointer a, gconstpointer b)
{
  SwellPredItem *pa = *(SwellPredItem **) a, *pb = *(SwellPredItem **) b;
  return pa->image_id < pb->image_id ? -1 : pa->image_id > pb->image_id;
}

/* The order is app/swell-metrics.c's review order (swell-cli report --order),
 * computed on the items in image id order, so ties go by image id as there. */
static void
resort (SwellGallery *self)
{
  guint n = self->items->len;
  if (n < 2)
    return;
  g_ptr_array_sort (self->items, cmp_image_id);
  g_autoptr (GArray) preds = g_array_sized_new (FALSE, TRUE, sizeof (SwellPrediction), n);
  for (guint i = 0; i < n; i++) {
    SwellPredItem *p = g_ptr_array_index (self->items, i);
    SwellPrediction sp = { .image_id = p->image_id, .actual = p->actual, .predicted = p->predicted,
                           .loss = p->loss, .n_classes = (guint) p->n_classes, .probs = p->probs, .split = p->split };
    g_array_append_val (preds, sp);
  }
  g_autofree int *order = swell_metrics_review_order (
    preds, self->sort == SWELL_GALLERY_SORT_MOST_UNSURE ? SWELL_REVIEW_MOST_UNSURE : SWELL_REVIEW_TOP_LOSSES);
  g_autofree gpointer *sorted = g_new (gpointer, n);
  for (guint i = 0; i < n; i++)
    sorted[i] = g_ptr_array_index (self->items, order[i]);
  memcpy (self->items->pdata, sorted, sizeof (gpointer) * n);
}

static void
fill (SwellGallery *self, GListModel *source, gboolean misclassified_only)
{
  guint old = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  guint len = source ? g_list_model_get_n_items (source) : 0;
  for (guint i = 0; i < len; i++) {
    SwellPredItem *p = g_list_model_get_item (source, i);
    if (!misclassified_only || !swell_pred_item_is_correct (p))
      g_ptr_array_add (self->items, p);
    else
      g_object_unref (p);
  }
  resort (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->items->len);
}

void swell_gallery_show_misclassified (SwellGallery *self, GListModel *source) { fill (self, source, TRUE); }
void swell_gallery_show_all (SwellGallery *self, GListModel *source) { fill (self, source, FALSE); }
SwellGallerySort swell_gallery_get_sort (SwellGallery *self) { return self->sort; }

void
swell_gallery_set_sort (SwellGallery *self, SwellGallerySort sort)
{
  if (self->sort == sort)
    return;
  self->sort = sort;
  resort (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, self->items->len, self->items->len);
}

guint
swell_gallery_count_label_may_be_wrong (SwellGallery *self)
{
  guint n = 0;
  for (guint i = 0; i < self->items->len; i++)
    n += ((SwellPredItem *) g_ptr_array_index (self->items, i))->label_may_be_wrong ? 1 : 0;
  return n;
}

void
swell_gallery_remove_image (SwellGallery *self, gint64 image_id)
{
  for (guint i = 0; i < self->items->len; i++) {
    SwellPredItem *p = g_ptr_array_index (self->items, i);
    if (p->image_id == image_id) {
      g_ptr_array_remove_index (self->items, i);
      g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
      return;
    }
  }
}
