/* swell-train-view.h: the Train view: recipe, Train/Stop, live curves,
 * progress with ETA, per-epoch table and the learning-rate finder. */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"

G_BEGIN_DECLS

#define SWELL_TYPE_TRAIN_VIEW (swell_train_view_get_type ())
G_DECLARE_FINAL_TYPE (SwellTrainView, swell_train_view, SWELL, TRAIN_VIEW, GtkWidget)

void swell_train_view_set_document (SwellTrainView *self, SwellDocument *document);
void swell_train_view_start (SwellTrainView *self);
void swell_train_view_lr_find (SwellTrainView *self);
void swell_train_view_stop (SwellTrainView *self);
/* TRUE while a training run or an LR finder sweep is going. */
gboolean swell_train_view_is_busy (SwellTrainView *self);
/* Shows the curves and epochs of a stored run (0: the latest). */
void swell_train_view_show_run (SwellTrainView *self, gint64 run_id);
/* Narrow window (a phone): the plots' header and the schedule and epoch
 * table stack vertically. */
void swell_train_view_set_narrow (SwellTrainView *self, gboolean narrow);

G_END_DECLS
