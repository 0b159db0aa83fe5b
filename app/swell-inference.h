/* swell-inference.h: running a model on images, the one way swell-cli
 * (predict, classify) and the UI (Predict view) do it.
 *
 * A SwellClassifier is built from a weight file (its model described by its
 * metadata and tensors, see swell-model-spec.h) or from a project's stored
 * model; either way it preprocesses an image, runs the network in eval mode
 * and returns softmax probabilities, or explains them with Grad-CAM
 * (swell_classifier_explain, swell-explain.h).
 * Errors are in SWELL_INFERENCE_ERROR and name the file: "<file>: <reason>".
 * Building one from a state dict, or reaching its engine model, is
 * app-internal: swell-inference-private.h. Whether an image looks like none of
 * the classes, and test-time augmentation: swell-predict.h.
 */
#pragma once

#include <gio/gio.h>

#include "swell-explain.h"
#include "swell-image.h"
#include "swell-model-spec.h"
#include "swell-project.h"

G_BEGIN_DECLS

/* A model with its weights loaded, prepared for one image at a time, eval mode. */
typedef struct _SwellClassifier SwellClassifier;

/* From a weight file (.safetensors or .pth); `arch` as in swell-model-spec.h. */
SwellClassifier *swell_classifier_new(const char *weights_path, const char *arch, GError **error);
/* From a project's stored model (a fastai head with one output per class name),
 * normalised and sized as the store says. Errors start with "stored model: ". */
SwellClassifier *swell_classifier_new_for_model(const SwellProjectModel *model, GError **error);
void swell_classifier_free(SwellClassifier *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellClassifier, swell_classifier_free)

const SwellModelSpec *swell_classifier_get_spec(const SwellClassifier *c);
int swell_classifier_num_classes(const SwellClassifier *c);
/* The class names in index order (NULL-terminated): a stored model's, or a weight
 * file's "class_names" metadata; NULL when the weights name no classes. */
const char *const *swell_classifier_get_class_names(const SwellClassifier *c);

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
/* Same as classify but writes the network's raw outputs (num_classes logits,
 * before the softmax). */
gboolean swell_classifier_classify_logits(SwellClassifier *c, const SwellRgbImage *img,
                                          float *logits, GError **error);
/* Same as classify, decoding the image file first (EXIF orientation applied). */
gboolean swell_classifier_classify_file(SwellClassifier *c, const char *path, float *probs,
                                        GError **error);
/* Only the preprocessing: writes the network input (3 x input_size x input_size
 * floats, normalised) that classify would run on. */
gboolean swell_classifier_preprocess(const SwellClassifier *c, const SwellRgbImage *img,
                                     float *input, GError **error);

/* Grad-CAM (swell-explain.h) of class_index (-1: the predicted class, the most
 * probable) on the image as classify preprocesses it: probabilities identical
 * to classify's and the heatmap at the preprocessed size. The first call
 * prepares the network's training arena for one image (kept for the next).
 * One call at a time per classifier, like classify. */
SwellExplanation *swell_classifier_explain(SwellClassifier *c, const SwellRgbImage *img,
                                           int class_index, GError **error);
/* Same, decoding the image first (EXIF orientation applied): a file, or a
 * project's stored bytes (`name` for errors, as swell_image_decode_bytes). */
SwellExplanation *swell_classifier_explain_bytes(SwellClassifier *c, GBytes *bytes,
                                                 const char *name, int class_index,
                                                 GError **error);
SwellExplanation *swell_classifier_explain_file(SwellClassifier *c, const char *path,
                                                int class_index, GError **error);

/* Indices of the k largest values, largest first (ties: lower index first).
 * k is clamped to n; returns the number written. */
int swell_top_k(const float *values, int n, int k, int *indices);

/* Reads a label file, one label per line (trailing empty line ignored).
 * Returns a NULL-terminated array (g_strfreev) and sets *n. */
char **swell_labels_read(const char *path, int *n, GError **error);

G_END_DECLS
