/* swell-explain.h: a Grad-CAM explanation of one prediction and its overlay.
 *
 * swell_classifier_explain (swell-inference.h) makes one: the probabilities,
 * the class explained and its Grad-CAM heatmap (engine/explain.h: ReLU of the
 * gradient-weighted sum of the last convolutional block's activation maps,
 * upsampled bilinearly) at the size of the preprocessed image, which comes
 * with it. The views show swell_explanation_render's overlay; swell-cli
 * explain writes it as a PNG.
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "swell-image.h"

G_BEGIN_DECLS

typedef struct {
  int class_index;      /* the class explained */
  int num_classes;
  float *probs;         /* num_classes softmax probabilities, as swell_classifier_classify */
  int size;             /* the network input: size x size */
  float *heatmap;       /* size x size, row-major, >= 0, not normalised (0 = no evidence) */
  float heatmap_max;    /* its largest value */
  SwellRgbImage *image; /* the preprocessed image (resized, centre-cropped) the network saw */
} SwellExplanation;

void swell_explanation_free(SwellExplanation *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellExplanation, swell_explanation_free)

/* The default opacity of the heatmap's strongest part in the overlay. */
#define SWELL_EXPLAIN_OPACITY 0.6

/* The overlay as a size x size RGB pixbuf: each pixel of the image is blended
 * with the colour of t = heatmap / heatmap_max through the inferno colour map
 * (perceptually uniform, dark purple to pale yellow), with alpha = opacity * t,
 * so where the model saw no evidence the photo shows unchanged. An all-zero
 * heatmap gives the plain image. NULL only when memory runs out. */
GdkPixbuf *swell_explanation_render(const SwellExplanation *e, double opacity);

/* inferno(t) for t in [0, 1] (clamped), as 8-bit RGB. */
void swell_colormap_inferno(float t, guint8 rgb[3]);

G_END_DECLS
