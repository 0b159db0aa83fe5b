/* swell-model-export.h: a project's trained model as a file other programs
 * can use (swell-cli export-model, the Results view's Export Model…).
 *
 * - safetensors: the stored weights, with __metadata__ holding arch,
 *   num_classes, head, width_mult (MobileNetV2), padding, input_size, mean,
 *   std, class_names (a JSON array, class index order) and swell_version, as
 *   swell-model-spec.h reads them: `swell-cli classify --weights` and
 *   `swell-cli predict --model` on the file use the same preprocessing and
 *   print the class names.
 * - ONNX: a self-contained graph written by the engine (engine/io/onnx.h):
 *   input "input" [N, 3, size, size] float32, outputs "logits" and
 *   "probabilities", the same keys in metadata_props.
 * Errors are in SWELL_INFERENCE_ERROR and name the file.
 */
#pragma once

#include "swell-project.h"

G_BEGIN_DECLS

typedef enum {
  SWELL_MODEL_FORMAT_SAFETENSORS,
  SWELL_MODEL_FORMAT_ONNX,
} SwellModelFormat;

/* "safetensors" | "onnx" (as --format takes them). */
gboolean swell_model_format_from_name(const char *name, SwellModelFormat *format);
/* From the extension: ".safetensors" or ".onnx" (any case). FALSE for another. */
gboolean swell_model_format_from_path(const char *path, SwellModelFormat *format);

/* Writes `model` to `path` atomically (a failed export leaves no file there). */
gboolean swell_model_export(const SwellProjectModel *model, const char *path,
                            SwellModelFormat format, GError **error);

G_END_DECLS
