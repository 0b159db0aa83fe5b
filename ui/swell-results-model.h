/* swell-results-model.h: view models of a run's results (no widgets).
 *
 * SwellPredItem is one labeled image's outcome in a run: the class it had
 * when the run was made (actual), the predicted class, all class
 * probabilities, its loss, its split then and whether its label may be wrong
 * (swell_metrics_label_may_be_wrong). SwellConfusion counts them into a
 * matrix and gives each cell's images. SwellGallery is a GListModel of
 * predictions (the misclassified ones, or one matrix cell's) in a review order
 * of app/swell-metrics.h (top losses or most unsure). */
#pragma once

#include <gio/gio.h>

#include "swell-image-item.h"
#include "swell-metrics.h" /* swell_percent, swell_accuracy_to_string */

G_BEGIN_DECLS

#define SWELL_TYPE_PRED_ITEM (swell_pred_item_get_type ())
G_DECLARE_FINAL_TYPE (SwellPredItem, swell_pred_item, SWELL, PRED_ITEM, GObject)

/* probs has n_classes entries (copied). image may be NULL when the image was
 * deleted since the run. */
SwellPredItem *swell_pred_item_new (gint64 image_id, SwellImageItem *image, int actual, int predicted,
                                       const float *probs, int n_classes, float loss);
/* The same from a stored prediction (its split and "label may be wrong" mark too). */
SwellPredItem *swell_pred_item_new_from_prediction (const SwellPrediction *prediction, SwellImageItem *image);
gint64 swell_pred_item_get_image_id (SwellPredItem *self);
SwellImageItem *swell_pred_item_get_image (SwellPredItem *self);
int swell_pred_item_get_actual (SwellPredItem *self);
int swell_pred_item_get_predicted (SwellPredItem *self);
float swell_pred_item_get_prob (SwellPredItem *self, int klass);
int swell_pred_item_get_n_classes (SwellPredItem *self);
float swell_pred_item_get_loss (SwellPredItem *self);
/* Top-1 minus top-2 probability: small means unsure. */
float swell_pred_item_get_margin (SwellPredItem *self);
gboolean swell_pred_item_is_correct (SwellPredItem *self);
/* The image's split when the run was made (SWELL_SPLIT_VALID for items made
 * with swell_pred_item_new). */
SwellSplit swell_pred_item_get_split (SwellPredItem *self);
/* swell_metrics_label_may_be_wrong of its prediction (FALSE for items made with
 * swell_pred_item_new). */
gboolean swell_pred_item_get_label_may_be_wrong (SwellPredItem *self);

#define SWELL_TYPE_CONFUSION (swell_confusion_get_type ())
G_DECLARE_FINAL_TYPE (SwellConfusion, swell_confusion, SWELL, CONFUSION, GObject)

/* predictions: a list of SwellPredItem (the run's validation images). */
SwellConfusion *swell_confusion_new (const char *const *class_names, GListModel *predictions);
/* A matrix given as counts (n_classes x n_classes, rows actual; e.g. a run's
 * stored test score) over the names; predictions (may be empty) only give the
 * cells' images. */
SwellConfusion *swell_confusion_new_from_counts (const char *const *class_names, const gint32 *counts, int n_classes,
                                                 GListModel *predictions);
int swell_confusion_get_n_classes (SwellConfusion *self);
const char *swell_confusion_get_class_name (SwellConfusion *self, int klass);
guint swell_confusion_get_count (SwellConfusion *self, int actual, int predicted);
guint swell_confusion_get_row_total (SwellConfusion *self, int actual);
/* count / row total, 0 for an empty row. */
double swell_confusion_get_row_share (SwellConfusion *self, int actual, int predicted);
double swell_confusion_get_accuracy (SwellConfusion *self);

GListModel *swell_confusion_get_predictions (SwellConfusion *self);
/* A new list with exactly the predictions of that cell, in input order. */
GListModel *swell_confusion_cell_predictions (SwellConfusion *self, int actual, int predicted);

/* The gallery's orders: swell_metrics_review_order's (ties by image id). */
typedef enum {
  SWELL_GALLERY_SORT_TOP_LOSSES = 0,  /* highest loss first */
  SWELL_GALLERY_SORT_MOST_UNSURE = 1, /* smallest top1-top2 margin first */
} SwellGallerySort;

#define SWELL_TYPE_GALLERY (swell_gallery_get_type ())
G_DECLARE_FINAL_TYPE (SwellGallery, swell_gallery, SWELL, GALLERY, GObject)

SwellGallery *swell_gallery_new (void);
/* Shows the misclassified predictions of source. */
void swell_gallery_show_misclassified (SwellGallery *self, GListModel *source);
/* Shows a given list (e.g. a matrix cell) as is, but sorted. */
void swell_gallery_show_all (SwellGallery *self, GListModel *source);
void swell_gallery_set_sort (SwellGallery *self, SwellGallerySort sort);
SwellGallerySort swell_gallery_get_sort (SwellGallery *self);
/* How many of the images shown may have a wrong label. */
guint swell_gallery_count_label_may_be_wrong (SwellGallery *self);
/* Drops predictions whose image was deleted. */
void swell_gallery_remove_image (SwellGallery *self, gint64 image_id);

G_END_DECLS
