/* swell-model-spec-private.h: SwellModelSpec from and to engine types, for
 * app/ (and app/cli/) only: the UI never sees the engine. */
#pragma once

#include "model.h"
#include "swell-model-spec.h"
#include "weights.h"

G_BEGIN_DECLS

/* Fills `spec` from the state dict's metadata and tensors (rules and defaults
 * in swell-model-spec.h). `arch` (may be NULL) is the architecture the caller
 * asks for: it is used when the metadata has none, and a different metadata
 * "arch" is an error. `what` (a file name) starts every error message. */
gboolean swell_model_spec_from_state_dict(const sw_state_dict *sd, const char *arch,
                                          const char *what, SwellModelSpec *spec, GError **error);

/* The "class_names" metadata: a JSON array of spec->num_classes strings, in
 * class index order. NULL without an error when the file has none; an error
 * naming the file when it cannot be read or its length is wrong. */
char **swell_model_spec_read_class_names(const sw_state_dict *sd, const SwellModelSpec *spec,
                                         const char *what, GError **error);

/* Writes `spec` into sd's metadata with the keys the reader reads (arch,
 * num_classes, head, width_mult, padding "tf_same" | "symmetric", input_size,
 * mean, std, the unknown threshold when there is one), plus class_names (when not NULL) and swell_version. Floats are
 * written so that they read back exactly. */
void swell_model_spec_write_metadata(const SwellModelSpec *spec, const char *const *class_names,
                                     sw_state_dict *sd);

/* The "none of these" keys, unknown_score "energy" and unknown_threshold (read
 * back exactly), when threshold is finite; nothing when it is NAN. */
void swell_model_spec_write_unknown_threshold(float threshold, sw_state_dict *sd);

/* The engine configuration of `spec` (seed 0). */
void swell_model_spec_get_config(const SwellModelSpec *spec, sw_model_config *cfg);

G_END_DECLS
