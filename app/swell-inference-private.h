/* swell-inference-private.h: SwellClassifier from and to engine types, for
 * app/ (and app/cli/) only. */
#pragma once

#include "model.h"
#include "swell-inference.h"
#include "weights.h"

G_BEGIN_DECLS

/* From a weight file already read; `what` (its name) starts every error message. */
SwellClassifier *swell_classifier_new_from_state_dict(const sw_state_dict *sd, const char *arch,
                                                      const char *what, GError **error);
/* The configuration of the network the classifier runs (as an inference plan). */
const sw_model_config *swell_classifier_get_config(SwellClassifier *c);
/* The loaded network behind the inference plan (for writing it out,
 * swell-model-export.c; explain runs on it). */
sw_model *swell_classifier_get_model(SwellClassifier *c);
/* The network on one prepared input (3 x input_size x input_size floats, as
 * swell_classifier_preprocess writes): num_classes logits. */
gboolean swell_classifier_forward(SwellClassifier *c, const float *input, float *logits,
                                  GError **error);

G_END_DECLS
