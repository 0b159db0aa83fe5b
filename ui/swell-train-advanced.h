/* swell-train-advanced.h: the Train view's advanced recipe (inside its Advanced
 * expander): a switch per training augmentation of swell_aug_info() with its
 * value, fine_tune's discriminative ratio (lr_mult) and which epoch's model a
 * run keeps (last or best). Each control is bound to its GSettings key (the
 * defaults there are the trainer's, checked when the first one is made). */
#pragma once

#include <gtk/gtk.h>

#include "swell-trainer.h"

G_BEGIN_DECLS

#define SWELL_TYPE_TRAIN_ADVANCED (swell_train_advanced_get_type ())
G_DECLARE_FINAL_TYPE (SwellTrainAdvanced, swell_train_advanced, SWELL, TRAIN_ADVANCED, GtkWidget)

/* Sets opts->aug (which augmentations, their values), lr_mult and keep as shown; call it
 * after setting opts->augment. The value of an augmentation that is off, or of every one when
 * !opts->augment, is its default, as swell-cli stores it. */
void swell_train_advanced_apply (SwellTrainAdvanced *self, SwellTrainOptions *opts);

/* The test driver's recipe keys: aug (a list as swell-cli's --aug: crop,flip,… or none),
 * min-scale, max-rotate, max-zoom, max-warp, max-lighting, lr-mult, keep (last|best).
 * set: FALSE for an unknown key or a value it does not take (out of range). */
gboolean swell_train_advanced_set_value (SwellTrainAdvanced *self, const char *key, const char *value);
/* NULL for an unknown key. */
char *swell_train_advanced_get_value (SwellTrainAdvanced *self, const char *key);

G_END_DECLS
