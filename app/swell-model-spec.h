/* swell-model-spec.h: what a weight file says about its model, read once for
 * training (the pretrained file) and for inference (a weight file or a
 * project's stored model).
 *
 * A weight file (safetensors or .pth) describes its model through its tensors
 * and, when present, its __metadata__ (see ../shared/weights/README.md):
 *   arch         "resnet18" | "resnet34" | "resnet50" | "mobilenet_v2"
 *   width_mult   MobileNetV2 width multiplier, 0.1 to 4     (default 1.0)
 *   num_classes  classifier outputs, 0 to 1000000, used when the file has no
 *                classifier tensor           (default: the classifier tensor's rows)
 *   input_size   square input side, 16 to 4096              (default 224)
 *   mean, std    three numbers as a list "[0.5, 0.5, 0.5]" or a tuple
 *                "(0.5, 0.5, 0.5)"; std positive   (default ImageNet statistics)
 *   padding      starting with "tf_same": TensorFlow 'SAME' padding on the
 *                stride-2 3x3 convolutions                  (default symmetric)
 *   class_names  a JSON array of num_classes strings, the class names in index
 *                order (written by export-model; read by
 *                swell_model_spec_read_class_names)
 *   unknown_score      "energy" (the only score; the key may be left out)
 *   unknown_threshold  a finite number: an image whose energy score
 *                (sw_energy_score: log-sum-exp of the logits) is below it
 *                looks like none of the classes. Written at the end of a
 *                training run (the 5th percentile of the correct validation
 *                predictions' scores); absent (NAN: never flag) otherwise
 * Any other key is ignored (export-model also writes head and swell_version). A value that cannot be read is an error naming the
 * file and the key: "<file>: invalid <key> “<value>” in the metadata".
 * The head is recognised from the tensors: "head.8.weight" is fastai's
 * create_head, "fc.weight" / "classifier.1.weight" torchvision's ImageNet
 * classifier; a file with neither is a body only (num_classes 0 unless the
 * metadata gives it).
 * Reading a state dict is app-internal: swell-model-spec-private.h.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Errors of reading a model and running it (also swell-inference.h's).
 * Messages start with the file: "<file>: <reason>". */
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

typedef enum {
  SWELL_MODEL_HEAD_FASTAI,   /* fastai's create_head ("head.8.weight") */
  SWELL_MODEL_HEAD_IMAGENET, /* torchvision's classifier ("fc" / "classifier.1") */
} SwellModelHead;

typedef struct {
  const char *arch;         /* canonical name, static: "resnet34", "mobilenet_v2", ... */
  float width_mult;         /* MobileNetV2 only (1.0) */
  gboolean tf_same_padding; /* MobileNetV2 only */
  SwellModelHead head;
  int num_classes;          /* 0: no classifier */
  int input_size;
  float mean[3];
  float std[3];
  float unknown_threshold;  /* "none of these" below this energy score; NAN: none */
} SwellModelSpec;

G_END_DECLS
