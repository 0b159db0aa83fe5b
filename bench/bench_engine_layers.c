/* bench_engine_layers.c: per-layer timings of the convolutions (and the
 * batch norm + activation after each) of resnet34 and mobilenet_v2 at a given
 * batch and input size, for finding the hot kernels. Not a comparison with
 * PyTorch (that is bench_engine.py).
 *
 *   bench_engine_layers [--arch resnet34|mobilenet_v2] [--batch 16] [--size 224]
 *                       [--threads 2] [--iters 3] [--cpu 1]
 *
 * For every distinct conv shape: forward, backward (dweight + dinp; no dinp
 * for the first conv), the count of such convs in the network, time x count
 * and GFLOP/s. Then fused batch norm + ReLU (or ReLU6) forward+backward
 * over the same outputs, and the totals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layers.h"
#include "tensor.h"

typedef struct {
  int Cin, H, Cout, K, s, pad, groups, count;
  bool dinp;
  bool relu6;
} shape;

/* --cpu: process CPU time instead of wall time (steadier on a busy machine;
 * meaningful with --threads 1, where no thread spins) */
static clockid_t g_clock = CLOCK_MONOTONIC;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(g_clock, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int add_shape(shape *v, int n, shape s) {
  for (int i = 0; i < n; i++)
    if (v[i].Cin == s.Cin && v[i].H == s.H && v[i].Cout == s.Cout && v[i].K == s.K &&
        v[i].s == s.s && v[i].pad == s.pad && v[i].groups == s.groups && v[i].dinp == s.dinp) {
      v[i].count += s.count;
      return n;
    }
  v[n] = s;
  return n + 1;
}

static int resnet34_shapes(shape *v, int size) {
  int n = 0, H = size / 2;
  n = add_shape(v, n, (shape){3, size, 64, 7, 2, 3, 1, 1, false, false});
  H = H / 2; /* maxpool */
  const int blocks[4] = {3, 4, 6, 3}, widths[4] = {64, 128, 256, 512};
  int cin = 64;
  for (int l = 0; l < 4; l++)
    for (int b = 0; b < blocks[l]; b++) {
      int s = (l > 0 && b == 0) ? 2 : 1;
      int w = widths[l];
      n = add_shape(v, n, (shape){cin, H, w, 3, s, 1, 1, 1, true, false});
      if (s == 2 || cin != w) n = add_shape(v, n, (shape){cin, H, w, 1, s, 0, 1, 1, true, false});
      H = (H + 2 - 3) / s + 1;
      n = add_shape(v, n, (shape){w, H, w, 3, 1, 1, 1, 1, true, false});
      cin = w;
    }
  return n;
}

static int mobilenet_v2_shapes(shape *v, int size) {
  int n = 0, H = size;
  n = add_shape(v, n, (shape){3, H, 32, 3, 2, 1, 1, 1, false, true});
  H = (H + 2 - 3) / 2 + 1;
  const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                         {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int cin = 32;
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < cfg[i][2]; j++) {
      int t = cfg[i][0], c = cfg[i][1], s = j == 0 ? cfg[i][3] : 1;
      int hid = cin * t;
      if (t != 1) n = add_shape(v, n, (shape){cin, H, hid, 1, 1, 0, 1, 1, true, true});
      n = add_shape(v, n, (shape){hid, H, hid, 3, s, 1, hid, 1, true, true});
      H = (H + 2 - 3) / s + 1;
      n = add_shape(v, n, (shape){hid, H, c, 1, 1, 0, 1, 1, true, false});
      cin = c;
    }
  n = add_shape(v, n, (shape){cin, H, 1280, 1, 1, 0, 1, 1, true, true});
  return n;
}

int main(int argc, char **argv) {
  const char *arch = "resnet34";
  int batch = 16, size = 224, threads = 2, iters = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--arch"))
      arch = argv[i + 1];
    else if (!strcmp(argv[i], "--batch"))
      batch = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--size"))
      size = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads"))
      threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--iters"))
      iters = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--cpu"))
      g_clock = atoi(argv[i + 1]) ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  sw_set_num_threads(threads);
  shape v[128];
  int n;
  if (!strcmp(arch, "resnet34"))
    n = resnet34_shapes(v, size);
  else if (!strcmp(arch, "mobilenet_v2"))
    n = mobilenet_v2_shapes(v, size);
  else {
    fprintf(stderr, "unknown arch %s\n", arch);
    return 2;
  }
  printf("%s batch %d size %d threads %d (ms per call, x count)\n", arch, batch, size, threads);
  printf("%-30s %5s %9s %9s %9s %9s %8s\n", "conv", "count", "fwd", "bwd", "bn+act", "total",
         "GFLOP/s");
  double tot_f = 0, tot_b = 0, tot_o = 0;
  sw_rng rng;
  sw_rng_seed(&rng, 1);
  for (int i = 0; i < n; i++) {
    shape *s = &v[i];
    sw_conv2d c;
    sw_conv2d_init(&c, batch, s->Cin, s->H, s->H, s->Cout, s->K, s->s, s->pad, s->groups);
    size_t nx = (size_t)batch * s->Cin * s->H * s->H;
    size_t ny = (size_t)batch * s->Cout * c.OH * c.OW;
    size_t nw = (size_t)s->Cout * (s->Cin / s->groups) * s->K * s->K;
    float *x = malloc(nx * 4), *dx = calloc(nx, 4), *w = malloc(nw * 4), *dw = calloc(nw, 4);
    float *y = malloc(ny * 4), *dy = malloc(ny * 4), *y2 = malloc(ny * 4);
    float *dyc = calloc(ny, 4);
    float *ws = malloc((sw_conv2d_workspace(&c) + 1) * 4);
    float *g = malloc(s->Cout * 4), *bb = calloc(s->Cout, 4), *rm = calloc(s->Cout, 4);
    float *rv = malloc(s->Cout * 4), *sm = malloc(s->Cout * 4), *si = malloc(s->Cout * 4);
    float *dg = calloc(s->Cout, 4), *dbb = calloc(s->Cout, 4);
    for (size_t k = 0; k < nx; k++) x[k] = sw_rng_normal(&rng);
    for (size_t k = 0; k < nw; k++) w[k] = sw_rng_normal(&rng) * 0.05f;
    for (size_t k = 0; k < ny; k++) dy[k] = sw_rng_normal(&rng);
    for (int k = 0; k < s->Cout; k++) g[k] = rv[k] = 1.0f;
    sw_batchnorm bn = {.B = batch, .C = s->Cout, .HW = c.OH * c.OW, .momentum = 0.1f, .eps = 1e-5f};
    double tf = 1e9, tb = 1e9, to = 1e9;
    for (int it = 0; it < iters; it++) {
      double t0 = now_s();
      sw_conv2d_forward(&c, y, x, w, NULL, ws);
      double t1 = now_s();
      sw_conv2d_backward(&c, s->dinp ? dx : NULL, dw, NULL, dy, x, w, ws);
      double t2 = now_s();
      /* as the models run it: one fused pass each way (sw_batchnorm_act_*) */
      sw_act act = s->relu6 ? SW_ACT_RELU6 : SW_ACT_RELU;
      sw_batchnorm_act_forward(&bn, act, y2, sm, si, y, g, bb, rm, rv, true);
      sw_batchnorm_act_backward(&bn, act, dyc, dg, dbb, dy, y2, y, g, sm, si, rm, rv, true);
      double t3 = now_s();
      if (t1 - t0 < tf) tf = t1 - t0;
      if (t2 - t1 < tb) tb = t2 - t1;
      if (t3 - t2 < to) to = t3 - t2;
    }
    double flops = 2.0 * batch * s->Cout * c.OH * c.OW * (double)(s->Cin / s->groups) * s->K * s->K;
    double all_flops = flops * (s->dinp ? 3 : 2);
    char name[64];
    snprintf(name, sizeof name, "%dx%d %d->%d k%d s%d g%d", s->H, s->H, s->Cin, s->Cout, s->K, s->s,
             s->groups);
    printf("%-30s %5d %9.2f %9.2f %9.2f %9.1f %8.1f\n", name, s->count, tf * 1e3, tb * 1e3,
           to * 1e3, (tf + tb + to) * 1e3 * s->count, all_flops / (tf + tb) * 1e-9);
    tot_f += tf * s->count;
    tot_b += tb * s->count;
    tot_o += to * s->count;
    free(x);
    free(dx);
    free(w);
    free(dw);
    free(y);
    free(dy);
    free(y2);
    free(dyc);
    free(ws);
    free(g);
    free(bb);
    free(rm);
    free(rv);
    free(sm);
    free(si);
    free(dg);
    free(dbb);
  }
  printf("total: conv fwd %.1f ms, conv bwd %.1f ms, bn+act %.1f ms, sum %.1f ms\n", tot_f * 1e3,
         tot_b * 1e3, tot_o * 1e3, (tot_f + tot_b + tot_o) * 1e3);
  return 0;
}
