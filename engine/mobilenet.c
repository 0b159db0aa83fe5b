/* mobilenet.c: torchvision's MobileNetV2 `features` (all but the classifier).
 *
 * features.0      Conv2dNormActivation(3, c0, 3x3 stride 2) with ReLU6
 * features.1..17  InvertedResidual(inp, oup, stride, t) over the settings
 *                 (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2)
 *                 (6,96,3,1) (6,160,3,2) (6,320,1,1); channels are
 *                 _make_divisible(c * width, 8); c0 = _make_divisible(32 * width, 8)
 * features.18     Conv2dNormActivation(inp, last, 1x1) with ReLU6,
 *                 last = _make_divisible(1280 * max(1, width), 8)
 * InvertedResidual: hidden = round(inp * t);
 *   conv.0 (t != 1): 1x1 conv -> BN -> ReLU6          (conv.0.0, conv.0.1)
 *   next:            3x3 depthwise conv/stride -> BN -> ReLU6
 *   then:            1x1 conv to oup (conv.N) -> BN (conv.N+1)
 *   plus the input when stride == 1 and inp == oup.
 * tf_same: every stride-2 3x3 conv (features.0.0 and the stride-2 depthwise
 * convs) uses TensorFlow 'SAME' padding, (0, 1) at even sizes, instead of 1.
 * Parameter groups: features[0, 9) -> 0, features[9, 19) -> 1, head -> 2.
 */
#include <math.h>
#include <stdio.h>

#include "model_internal.h"

#define MNV2_SPLIT 9 /* first feature module of parameter group 1 (19 modules in all) */

static int conv_bn_act(sw_model *m, const char *p, int x, int cout, int k, int stride,
                       int groups, bool tf_same, int group) {
  char a[96], b[96];
  snprintf(a, sizeof a, "%s.0", p);
  snprintf(b, sizeof b, "%s.1", p);
  bool same = tf_same && stride == 2 && k == 3;
  x = sw_mb_conv(m, a, x, cout, k, stride, (k - 1) / 2, groups, false, same, group);
  x = sw_mb_bn(m, b, x, group, false);
  return sw_mb_relu6(m, x);
}

int sw_build_mobilenet_v2(sw_model *m, int x, float width_mult, bool tf_same) {
  static const int setting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  double w = width_mult;
  int inp = sw_make_divisible(32 * w, 8);
  int last = sw_make_divisible(1280 * (w > 1.0 ? w : 1.0), 8);
  x = conv_bn_act(m, "features.0", x, inp, 3, 2, 1, tf_same, 0);
  int idx = 1;
  for (int s = 0; s < 7; s++) {
    int t = setting[s][0], oup = sw_make_divisible(setting[s][1] * w, 8);
    for (int i = 0; i < setting[s][2]; i++, idx++) {
      int stride = i == 0 ? setting[s][3] : 1;
      int group = idx < MNV2_SPLIT ? 0 : 1;
      int hidden = (int)lround((double)inp * t);
      char p[64], q[80];
      int y = x, j = 0;
      if (t != 1) {
        snprintf(p, sizeof p, "features.%d.conv.%d", idx, j++);
        y = conv_bn_act(m, p, y, hidden, 1, 1, 1, tf_same, group);
      }
      snprintf(p, sizeof p, "features.%d.conv.%d", idx, j++);
      y = conv_bn_act(m, p, y, hidden, 3, stride, hidden, tf_same, group);
      snprintf(q, sizeof q, "features.%d.conv.%d", idx, j++);
      y = sw_mb_conv(m, q, y, oup, 1, 1, 0, 1, false, false, group);
      snprintf(q, sizeof q, "features.%d.conv.%d", idx, j++);
      y = sw_mb_bn(m, q, y, group, false);
      if (stride == 1 && inp == oup) y = sw_mb_add(m, y, x);
      x = y;
      inp = oup;
    }
  }
  char p[32];
  snprintf(p, sizeof p, "features.%d", idx);
  return conv_bn_act(m, p, x, last, 1, 1, 1, tf_same, idx < MNV2_SPLIT ? 0 : 1);
}
