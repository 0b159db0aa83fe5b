/* onnx.h: a model as a self-contained ONNX file, written by Swell itself.
 *
 * The graph walks the engine's node list (model_internal.h): a convolution
 * followed by its BatchNorm becomes one Conv with the normalisation folded
 * into its weights and bias (eval mode: running statistics, eps 1e-5); any
 * other BatchNorm a per-channel Mul + Add; ReLU is Relu, ReLU6 Clip(0, 6);
 * residual adds Add; max pooling MaxPool; fastai's AdaptiveConcatPool2d
 * GlobalMaxPool and GlobalAveragePool concatenated (max first) then Flatten;
 * torchvision's average pool GlobalAveragePool + Flatten; Linear Gemm
 * (transB); Dropout Identity (eval mode). Depthwise convolutions keep their
 * groups; MobileNetV2's TensorFlow 'SAME' padding becomes asymmetric pads on
 * the Conv, computed for the input size (so the file is for that size only).
 *
 * The file: IR version 7, opset 13 (default domain), producer "Swell";
 * one float32 input "input" of shape [N, 3, size, size] (N dynamic), outputs
 * "logits" and "probabilities" (Softmax over axis 1), both [N, classes];
 * metadata_props as given. Tensors are little-endian raw_data.
 */
#ifndef SW_ONNX_H
#define SW_ONNX_H

#include "model.h"

/* Writes m (eval mode) to path atomically (temporary file + rename; nothing
 * is left at path on failure). Prepares m for batch 1 at size x size to learn
 * the feature map shapes. meta: nmeta key/value pairs for metadata_props.
 * Returns 0, or -1 with "path: reason" in err. */
int sw_onnx_write(const char *path, sw_model *m, int size, const sw_kv *meta, int nmeta,
                  const char *producer_version, char *err, size_t errlen);

#endif
