/* resnet.c: torchvision's ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck,
 * v1.5: the stride sits on the 3x3 conv), without the final fc.
 *
 * Body:  conv1 7x7/2 (no bias) -> bn1 -> relu -> maxpool 3x3/2 pad 1
 *        -> layer1 .. layer4 (strides 1, 2, 2, 2)
 * BasicBlock(in, planes, stride):
 *        conv1 3x3/stride -> bn1 -> relu -> conv2 3x3 -> bn2
 *        (+ downsample.0 conv 1x1/stride -> downsample.1 bn, when stride != 1
 *        or in != planes) -> add -> relu
 * Bottleneck(in, planes, stride): width = planes, out = 4*planes
 *        conv1 1x1 -> bn1 -> relu -> conv2 3x3/stride -> bn2 -> relu
 *        -> conv3 1x1 -> bn3 (+ downsample) -> add -> relu
 * Parameter groups (fastai _resnet_split): conv1, bn1, layer1, layer2 -> 0;
 * layer3, layer4 -> 1; the head -> 2.
 */
#include <stdio.h>

#include "model_internal.h"

static int conv_bn(sw_model *m, const char *blk, const char *conv, const char *bn, int x,
                   int cout, int k, int stride, int pad, int group) {
  char a[96], b[96];
  snprintf(a, sizeof a, "%s%s", blk, conv);
  snprintf(b, sizeof b, "%s%s", blk, bn);
  x = sw_mb_conv(m, a, x, cout, k, stride, pad, 1, false, false, group);
  return sw_mb_bn(m, b, x, group, false);
}

static int basic_block(sw_model *m, const char *p, int x, int planes, int stride, int group) {
  int cin = x >= 0 ? m->values[x].C : 0;
  int y = conv_bn(m, p, "conv1", "bn1", x, planes, 3, stride, 1, group);
  y = sw_mb_relu(m, y);
  y = conv_bn(m, p, "conv2", "bn2", y, planes, 3, 1, 1, group);
  int id = x;
  if (stride != 1 || cin != planes)
    id = conv_bn(m, p, "downsample.0", "downsample.1", x, planes, 1, stride, 0, group);
  y = sw_mb_add(m, y, id);
  return sw_mb_relu(m, y);
}

static int bottleneck(sw_model *m, const char *p, int x, int planes, int stride, int group) {
  int cin = x >= 0 ? m->values[x].C : 0;
  int y = conv_bn(m, p, "conv1", "bn1", x, planes, 1, 1, 0, group);
  y = sw_mb_relu(m, y);
  y = conv_bn(m, p, "conv2", "bn2", y, planes, 3, stride, 1, group);
  y = sw_mb_relu(m, y);
  y = conv_bn(m, p, "conv3", "bn3", y, planes * 4, 1, 1, 0, group);
  int id = x;
  if (stride != 1 || cin != planes * 4)
    id = conv_bn(m, p, "downsample.0", "downsample.1", x, planes * 4, 1, stride, 0, group);
  y = sw_mb_add(m, y, id);
  return sw_mb_relu(m, y);
}

int sw_build_resnet(sw_model *m, int x, int depth) {
  static const int blocks18[4] = {2, 2, 2, 2}, blocks34[4] = {3, 4, 6, 3};
  const int *blocks = depth == 18 ? blocks18 : blocks34; /* 34 and 50 share the counts */
  bool bottle = depth == 50;
  x = sw_mb_conv(m, "conv1", x, 64, 7, 2, 3, 1, false, false, 0);
  x = sw_mb_bn(m, "bn1", x, 0, false);
  x = sw_mb_relu(m, x);
  x = sw_mb_maxpool(m, x, 3, 2, 1);
  static const int planes[4] = {64, 128, 256, 512};
  for (int l = 0; l < 4; l++) {
    int group = l < 2 ? 0 : 1;
    for (int b = 0; b < blocks[l]; b++) {
      char p[48];
      snprintf(p, sizeof p, "layer%d.%d.", l + 1, b);
      int stride = (b == 0 && l > 0) ? 2 : 1;
      x = bottle ? bottleneck(m, p, x, planes[l], stride, group)
                 : basic_block(m, p, x, planes[l], stride, group);
    }
  }
  return x;
}
