/* explain.c: Grad-CAM on the last convolutional block (see explain.h).
 *
 * A is the body's output value: the input of the head's first node (fastai's
 * AdaptiveConcatPool2d, or the ImageNet heads' average pool). The class's
 * one-hot dlogits go backward through the head only (sw_model_backward_to),
 * which leaves dy_c/dA in A's gradient buffer.
 */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* The value the head pools: the body's output A. -1 if there is none. */
static int last_block_value(const sw_model *m) {
  for (int i = 0; i < m->nnodes; i++)
    if (m->nodes[i].op == SW_OP_CONCATPOOL || m->nodes[i].op == SW_OP_AVGPOOL)
      return m->nodes[i].in0;
  return -1;
}

int sw_gradcam_prepare(sw_model *m, int height, int width, sw_gradcam_shape *s, char *err,
                       size_t errlen) {
  int a = last_block_value(m);
  if (a < 0) {
    snprintf(err, errlen, "explain: %s has no pooled convolutional output",
             sw_arch_name(m->cfg.arch));
    return -1;
  }
  bool ready = m->act.base && m->prep_batch == 1 && m->prep_h == height && m->prep_w == width;
  if (!ready && sw_model_prepare(m, 1, height, width, err, errlen) != 0) return -1;
  const sw_value *v = &m->values[a];
  *s = (sw_gradcam_shape){height, width, v->C, v->H, v->W};
  return 0;
}

const float *sw_gradcam_forward(sw_model *m, const float *input) {
  if (!m->act.base || m->prep_batch != 1) return NULL;
  return sw_model_forward(m, input, 1, false);
}

int sw_gradcam_class(sw_model *m, int cls, float *alpha, float *cam, float *heat) {
  int a = last_block_value(m);
  /* values[0].data is the input of the last forward, NULL until one ran after prepare */
  if (a < 0 || cls < 0 || cls >= m->num_outputs || !m->act.base || m->prep_batch != 1 ||
      m->cur_batch != 1 || m->last_train || !m->values[0].data)
    return -1;
  float *dlogits = calloc((size_t)m->num_outputs, sizeof(float));
  float *al = alpha ? alpha : malloc((size_t)m->values[a].C * sizeof(float));
  if (!dlogits || !al) {
    free(dlogits);
    if (al != alpha) free(al);
    return -1;
  }
  dlogits[cls] = 1.0f; /* d y_c / d logits */
  sw_model_backward_to(m, dlogits, a);
  const sw_value *v = &m->values[a];
  int K = v->C, hw = v->H * v->W;
  const float *A = v->data, *dA = v->grad; /* (K, h, w) each, batch 1 */
  /* alpha_k = mean_p dA[k, p] */
  for (int k = 0; k < K; k++) {
    double s = 0;
    for (int p = 0; p < hw; p++) s += dA[(size_t)k * hw + p];
    al[k] = (float)(s / hw);
  }
  /* cam[p] = ReLU(sum_k alpha_k A[k, p]) */
  for (int p = 0; p < hw; p++) {
    double s = 0;
    for (int k = 0; k < K; k++) s += (double)al[k] * A[(size_t)k * hw + p];
    cam[p] = s > 0 ? (float)s : 0.0f;
  }
  if (heat) sw_upsample_bilinear(cam, v->H, v->W, heat, m->prep_h, m->prep_w);
  if (al != alpha) free(al);
  free(dlogits);
  return 0;
}

/* One axis of align_corners=False: output index o of n_out over n_in inputs ->
 * the two source indices and the weight of the second. */
static void bilinear_src(int o, int n_in, int n_out, int *i0, int *i1, float *l1) {
  float scale = (float)n_in / (float)n_out;
  float src = scale * ((float)o + 0.5f) - 0.5f;
  if (src < 0) src = 0;
  int i = (int)src;
  if (i > n_in - 1) i = n_in - 1;
  *i0 = i;
  *i1 = i < n_in - 1 ? i + 1 : i;
  *l1 = src - (float)i;
}

void sw_upsample_bilinear(const float *in, int h, int w, float *out, int H, int W) {
  for (int y = 0; y < H; y++) {
    int y0, y1;
    float ly;
    bilinear_src(y, h, H, &y0, &y1, &ly);
    const float *r0 = in + (size_t)y0 * w, *r1 = in + (size_t)y1 * w;
    for (int x = 0; x < W; x++) {
      int x0, x1;
      float lx;
      bilinear_src(x, w, W, &x0, &x1, &lx);
      float top = (1 - lx) * r0[x0] + lx * r0[x1];
      float bot = (1 - lx) * r1[x0] + lx * r1[x1];
      out[(size_t)y * W + x] = (1 - ly) * top + ly * bot;
    }
  }
}
