/* swell-inference.h: from a weight file to predictions, shared by swell-cli
 * and the UI.
 *
 * A weight file (safetensors or .pth) describes its model through its tensors
 * and, when present, its __metadata__ (see ../shared/weights/README.md):
 *   arch         "resnet18" | "resnet34" | "resnet50" | "mobilenet_v2"
 *   width_mult   MobileNetV2 width multiplier            (default 1.0)
 *   num_classes  classifier outputs   (default: the classifier tensor's rows)
 *   input_size   square input side                       (default 224)
 *   mean, std    "[0.5, 0.5, 0.5]"                       (default ImageNet statistics)
 *   padding      starting with "tf_same": TensorFlow 'SAME' padding on the
 *                stride-2 3x3 convolutions               (default symmetric)
 * The head is recognised from the tensors: "head.8.weight" is fastai's
 * create_head, "fc.weight" / "classifier.1.weight" torchvision's ImageNet
 * classifier; a file with neither is a body only and cannot classify.
 * Errors are in SWELL_INFERENCE_ERROR and name the file: "<file>: <reason>".
 */
#pragma once

#include <gio/gio.h>

#include "model.h"
#include "swell-image.h"
#include "weights.h"

G_BEGIN_DECLS

#define SWELL_INFERENCE_ERROR (swell_inference_error_quark())
GQuark swell_inference_error_quark(void);

typedef enum {
  SWELL_INFERENCE_ERROR_READ,     /* the weight file cannot be read or parsed */
  SWELL_INFERENCE_ERROR_ARCH,     /* unknown architecture, or the file is for another one */
  SWELL_INFERENCE_ERROR_METADATA, /* a metadata value cannot be parsed */
  SWELL_INFERENCE_ERROR_WEIGHTS,  /* the tensors do not fit the model (missing, shape) */
  SWELL_INFERENCE_ERROR_NO_HEAD,  /* a body-only file cannot classify */
  SWELL_INFERENCE_ERROR_FAILED,   /* anything else (out of memory, image) */
} SwellInferenceError;

typedef struct {
  sw_model_config model; /* arch, width_mult, tf_same_padding, head, num_classes */
  int input_size;
  float mean[3];
  float std[3];
} SwellModelSpec;

/* Fills `spec` from the state dict's metadata and tensors (defaults above).
 * `arch` (may be NULL) is the architecture the caller asks for: it is used
 * when the metadata has none, and a different metadata "arch" is an error.
 * `what` (a file name) starts every error message. */
gboolean swell_model_spec_from_weights(const sw_state_dict *sd, const char *arch, const char *what,
                                       SwellModelSpec *spec, GError **error);

/* A model with its weights loaded, prepared for one image at a time, eval mode. */
typedef struct _SwellClassifier SwellClassifier;

SwellClassifier *swell_classifier_new(const char *weights_path, const char *arch, GError **error);
SwellClassifier *swell_classifier_new_from_state_dict(const sw_state_dict *sd, const char *arch,
                                                      const char *what, GError **error);
void swell_classifier_free(SwellClassifier *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellClassifier, swell_classifier_free)

const SwellModelSpec *swell_classifier_get_spec(const SwellClassifier *c);
int swell_classifier_num_classes(const SwellClassifier *c);
sw_model *swell_classifier_get_model(SwellClassifier *c);

typedef enum {
  SWELL_PREPROCESS_CENTER_CROP, /* resize the short side, centre-crop (default; torchvision eval) */
  SWELL_PREPROCESS_SQUASH,      /* resize the whole image to input_size x input_size */
} SwellPreprocess;

void swell_classifier_set_preprocess(SwellClassifier *c, SwellPreprocess p);

/* Preprocess (resize the short side to input_size and centre-crop, or squash),
 * normalise, run the model in eval mode; writes the softmax probabilities
 * (num_classes floats). */
gboolean swell_classifier_classify(SwellClassifier *c, const SwellRgbImage *img, float *probs,
                                   GError **error);
/* Same, decoding the image file first (EXIF orientation applied). */
gboolean swell_classifier_classify_file(SwellClassifier *c, const char *path, float *probs,
                                        GError **error);

/* Indices of the k largest values, largest first (ties: lower index first).
 * k is clamped to n; returns the number written. */
int swell_top_k(const float *values, int n, int k, int *indices);

/* Reads a label file, one label per line (trailing empty line ignored).
 * Returns a NULL-terminated array (g_strfreev) and sets *n. */
char **swell_labels_read(const char *path, int *n, GError **error);

G_END_DECLS
