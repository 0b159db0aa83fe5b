/* winograd.h: F(4x4, 3x3) and F(2x2, 3x3) Winograd convolution (Lavin & Gray
 * 2015, points 0, +-1, +-2, inf and 0, +-1, inf) for the 3x3 stride-1 groups-1
 * convs, in all three passes.
 * conv.c dispatches here (see sw_conv2d_set_algo in layers.h); im2col + sgemm
 * stays the fallback and the reference. Internal to engine/. */
#ifndef SW_WINOGRAD_H
#define SW_WINOGRAD_H

#include "layers.h"

/* 3x3, stride 1, groups 1, every padding in [0, 2] (so the backward-data
 * convolution, padding 2 - p, is one too). */
bool sw_wino_supported(const sw_conv2d *c);
/* Winograd at least halves the multiplications of c (36 per 4x4 tile and
 * channel pair against 9 per output pixel): false for maps so small that the
 * tiles are mostly padding (2x2, 5x5), where im2col is as fast and exact. */
bool sw_wino_profitable(const sw_conv2d *c);
/* Floats of scratch space the three passes need (transformed weights, one
 * block of transformed tiles per slot); depends on c only. */
size_t sw_wino_workspace(const sw_conv2d *c);
/* out = conv(inp, weight) + bias (bias may be NULL), with output tiles of
 * tile x tile: 4 is F(4x4, 3x3), 2 is F(2x2, 3x3) (16 positions, points
 * 0, +-1, inf: more multiplications, an error close to im2col's). */
void sw_wino_forward(const sw_conv2d *c, int tile, float *out, const float *inp,
                     const float *weight, const float *bias, float *ws);
/* dinp += and dweight += (either may be NULL); the bias gradient is conv.c's. */
void sw_wino_backward(const sw_conv2d *c, int tile, float *dinp, float *dweight,
                      const float *dout, const float *inp, const float *weight, float *ws);
/* Filters transformed once (the inference plan): sw_wino_transform_weights
 * writes sw_wino_weights_floats floats into U, packed for the AVX-512 gemm
 * when `packed` (only if sw_wino_can_pack()); sw_wino_forward_pre is then
 * sw_wino_forward without the weight transform, with sw_wino_workspace_pre
 * floats of ws. */
bool sw_wino_can_pack(void);
size_t sw_wino_weights_floats(const sw_conv2d *c, int tile, bool packed);
void sw_wino_transform_weights(const sw_conv2d *c, int tile, bool packed, const float *weight,
                               float *U);
size_t sw_wino_workspace_pre(const sw_conv2d *c, int tile);
void sw_wino_forward_pre(const sw_conv2d *c, int tile, bool packed, float *out, const float *inp,
                         const float *U, const float *bias, float *ws);
/* The instruction set of the transforms: the best the CPU has (16-lane AVX-512
 * with avx512f/dq/vl/bw, else 8-lane AVX2 with FMA, else the x86-64-v2
 * baseline), or less with SWELL_WINO_ISA=avx2|base. Every one gives the same
 * bits (the transforms are lane-wise). For tests and benches:
 * sw_wino_set_isa picks one (at most the best) and returns the one now used;
 * sw_wino_set_avx2(true) is the best, (false) the baseline, and returns
 * whether the one now used is above the baseline. */
typedef enum { SW_WINO_ISA_BASE, SW_WINO_ISA_AVX2, SW_WINO_ISA_AVX512 } sw_wino_isa;
sw_wino_isa sw_wino_set_isa(sw_wino_isa isa);
bool sw_wino_set_avx2(bool on);

#endif
