/* head.c: the classifier heads.
 *
 * fastai create_head(nf, n) with the defaults (concat_pool, lin_ftrs [512],
 * ps 0.5 -> [0.25, 0.5], first_bn, no bn_final):
 *   0 AdaptiveConcatPool2d (max first, then avg)   (B, nf, H, W) -> (B, 2nf)
 *   1 Flatten
 *   2 BatchNorm1d(2nf)          head.2.*   (fastai BatchNorm: weight 1, bias 1e-3)
 *   3 Dropout(0.25)
 *   4 Linear(2nf, 512, no bias) head.4.weight (kaiming_normal_, fan_in)
 *   5 ReLU
 *   6 BatchNorm1d(512)          head.6.*
 *   7 Dropout(0.5)
 *   8 Linear(512, n, no bias)   head.8.weight (kaiming_normal_, fan_in)
 * ImageNet heads as torchvision: ResNet avgpool -> flatten -> fc;
 * MobileNetV2 avgpool -> flatten -> classifier.0 Dropout(0.2) -> classifier.1 Linear.
 */
#include "model_internal.h"

int sw_build_fastai_head(sw_model *m, int x, int nf, int n, int group) {
  (void)nf;
  x = sw_mb_concatpool(m, x);
  x = sw_mb_bn(m, "head.2", x, group, true);
  x = sw_mb_dropout(m, x, 0.25f);
  x = sw_mb_linear(m, "head.4", x, 512, false, SW_INIT_KAIMING_FAN_IN, group);
  x = sw_mb_relu(m, x);
  x = sw_mb_bn(m, "head.6", x, group, true);
  x = sw_mb_dropout(m, x, 0.5f);
  return sw_mb_linear(m, "head.8", x, n, false, SW_INIT_KAIMING_FAN_IN, group);
}

int sw_build_imagenet_head(sw_model *m, int x, int nf, int n, int group) {
  (void)nf;
  x = sw_mb_avgpool(m, x);
  if (m->cfg.arch == SW_ARCH_MOBILENET_V2) {
    x = sw_mb_dropout(m, x, 0.2f);
    return sw_mb_linear(m, "classifier.1", x, n, true, SW_INIT_NORMAL_001, group);
  }
  return sw_mb_linear(m, "fc", x, n, true, SW_INIT_UNIFORM_FAN_IN, group);
}
