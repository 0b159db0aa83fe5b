/* explain.h: Grad-CAM (Selvaraju et al., 2017) on the network's last
 * convolutional block: the body's output A (K, h, w), which is ResNet's layer4
 * and MobileNetV2's last features block (features.18), the input of the head.
 *
 * For a class c with logit y_c (before the softmax):
 *   alpha_k = mean over (h, w) of dy_c / dA_k                     (K)
 *   cam     = ReLU(sum_k alpha_k A_k)                             (h, w)
 *   heat    = cam upsampled bilinearly to the input size (H, W),
 *             as F.interpolate(mode='bilinear', align_corners=False)
 * Everything runs in eval mode (BatchNorm running statistics, no dropout) on
 * one image. The backward goes from the logit to A only, through the head's
 * *_backward passes; no parameter gradient is computed and no parameter, its
 * grad or any optimiser state is touched. The model's activation arena is
 * (re)prepared for (1, 3, H, W), so a model being trained must not be used.
 *
 * Use: sw_gradcam_prepare once per input size, sw_gradcam_forward once per
 * image, then sw_gradcam_class for each class wanted (one backward each).
 */
#ifndef SW_EXPLAIN_H
#define SW_EXPLAIN_H

#include "model.h"

typedef struct {
  int H, W;    /* input */
  int K, h, w; /* the last block's activation A */
} sw_gradcam_shape;

/* Prepares m for one (1, 3, height, width) image (nothing to do when it already
 * is) and describes the shapes. Returns 0, or -1 with a message in err. */
int sw_gradcam_prepare(sw_model *m, int height, int width, sw_gradcam_shape *s, char *err,
                       size_t errlen);
/* input (1, 3, H, W) -> logits (num_outputs), valid until the next forward, in
 * eval mode; keeps A for sw_gradcam_class. NULL when m is not prepared. */
const float *sw_gradcam_forward(sw_model *m, const float *input);
/* For class cls (0 <= cls < num_outputs) of the last sw_gradcam_forward (whose
 * input must still be valid): alpha (K) and heat (H, W) may be NULL, cam (h, w)
 * may not. Returns 0, or -1 when cls is out of range or no forward ran. */
int sw_gradcam_class(sw_model *m, int cls, float *alpha, float *cam, float *heat);

/* in (h, w) -> out (H, W), bilinear, align_corners=False (PyTorch's
 * F.interpolate / upsample_bilinear2d): source coordinate (x + 0.5) * w/W - 0.5,
 * clamped at 0; the right/bottom neighbour clamped to the last row/column. */
void sw_upsample_bilinear(const float *in, int h, int w, float *out, int H, int W);

#endif
