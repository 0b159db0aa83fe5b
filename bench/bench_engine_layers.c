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
 *
 *   bench_engine_layers --ab 1 [--batch 16] [--iters 5]
 *
 * instead times ResNet-34's 3x3 stride-1 convs (56x56x64 ... 7x7x512) pass by
 * pass (forward, backward-data, backward-weights) with Winograd F(4x4), F(2x2)
 * and im2col, the two alternating within every repeat (the minimum of the
 * repeats is kept), so the ratio holds on a loaded machine; the last column
 * names the kernel AUTO runs for that pass (conv.c, wino_auto).
 *
 *   bench_engine_layers --other 1 [--batch 16] [--iters 3]
 *
 * times the other convolutions of ResNet-34/50 (the 7x7 stride-2 stem, 3x3
 * stride 2, the 1x1 projections, ResNet-50's 1x1 stride 1) pass by pass with
 * the default kernel choice, one row each: name, forward, backward-data
 * ("-" for the stem, whose input needs none) and backward-weights ms, the
 * minimum of the repeats. bench_layers_torch.py runs the same shapes in
 * PyTorch and prints the ratios.
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

static void cpu_name(char *buf, size_t n) {
  snprintf(buf, n, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (strncmp(line, "model name", 10) || !colon) continue;
    snprintf(buf, n, "%s", colon + 2);
    buf[strcspn(buf, "\n")] = 0;
    break;
  }
  fclose(f);
}

/* ms of one call of pass p (0 forward, 1 backward-data, 2 backward-weights) */
static double time_pass(const sw_conv2d *c, int p, float *y, float *dx, float *dw, const float *x,
                        const float *w, const float *dy, float *ws) {
  double t0 = now_s();
  if (p == 0) sw_conv2d_forward(c, y, x, w, NULL, ws);
  if (p == 1) sw_conv2d_backward(c, dx, NULL, NULL, dy, x, w, ws);
  if (p == 2) sw_conv2d_backward(c, NULL, dw, NULL, dy, x, w, ws);
  return (now_s() - t0) * 1e3;
}

/* Winograd vs im2col on the 3x3 stride-1 shapes, interleaved. */
static void winograd_ab(int batch, int threads, int iters) {
  static const int shapes[4][2] = {{56, 64}, {28, 128}, {14, 256}, {7, 512}};
  static const char *pass[3] = {"forward", "bwd-data", "bwd-weights"};
  static const sw_conv_algo algo[3] = {SW_CONV_WINOGRAD, SW_CONV_WINOGRAD2, SW_CONV_IM2COL};
  char cpu[128];
  cpu_name(cpu, sizeof cpu);
  printf("Winograd F(4x4,3x3) and F(2x2,3x3) vs im2col, batch %d, threads %d, "
         "min of %d interleaved repeats\n",
         batch, threads, iters);
  printf("CPU: %s\n", cpu);
  printf("%-16s %-12s %9s %9s %9s %6s %6s %7s\n", "conv", "pass", "F4 ms", "F2 ms", "im2col ms",
         "F4", "F2", "auto");
  sw_rng rng;
  sw_rng_seed(&rng, 1);
  const sw_conv_algo saved = sw_conv2d_get_algo();
  double tot[3] = {0, 0, 0};
  for (int i = 0; i < 4; i++) {
    const int H = shapes[i][0], C = shapes[i][1];
    sw_conv2d c;
    sw_conv2d_init(&c, batch, C, H, H, C, 3, 1, 1, 1);
    size_t nx = (size_t)batch * C * H * H, nw = (size_t)C * C * 9;
    float *x = malloc(nx * 4), *y = malloc(nx * 4), *dy = malloc(nx * 4), *dx = calloc(nx, 4);
    float *w = malloc(nw * 4), *dw = calloc(nw, 4);
    float *ws = malloc((sw_conv2d_workspace(&c) + 1) * 4);
    for (size_t k = 0; k < nx; k++) x[k] = sw_rng_normal(&rng);
    for (size_t k = 0; k < nx; k++) dy[k] = sw_rng_normal(&rng);
    for (size_t k = 0; k < nw; k++) w[k] = sw_rng_normal(&rng) * 0.05f;
    double best[3][3];
    for (int p = 0; p < 3; p++) best[p][0] = best[p][1] = best[p][2] = 1e30;
    for (int it = 0; it < iters; it++)
      for (int p = 0; p < 3; p++)
        for (int j = 0; j < 3; j++) {
          int a = (it + j) % 3; /* rotate which method goes first */
          sw_conv2d_set_algo(algo[a]);
          double t = time_pass(&c, p, y, dx, dw, x, w, dy, ws);
          if (t < best[p][a]) best[p][a] = t;
        }
    char name[32];
    snprintf(name, sizeof name, "%dx%dx%d", H, H, C);
    static const sw_conv_pass cpass[3] = {SW_CONV_PASS_FORWARD, SW_CONV_PASS_BWD_DATA,
                                          SW_CONV_PASS_BWD_WEIGHTS};
    sw_conv2d_set_algo(SW_CONV_AUTO);
    for (int p = 0; p < 3; p++) {
      const int tile = sw_conv2d_winograd_tile(&c, cpass[p]);
      printf("%-16s %-12s %9.2f %9.2f %9.2f %5.2fx %5.2fx %7s\n", p ? "" : name, pass[p],
             best[p][0], best[p][1], best[p][2], best[p][2] / best[p][0],
             best[p][2] / best[p][1], tile == 4 ? "F4" : tile == 2 ? "F2" : "im2col");
      for (int a = 0; a < 3; a++) tot[a] += best[p][a];
    }
    free(x);
    free(y);
    free(dy);
    free(dx);
    free(w);
    free(dw);
    free(ws);
  }
  printf("%-16s %-12s %9.2f %9.2f %9.2f %5.2fx %5.2fx\n", "all four", "all passes", tot[0], tot[1],
         tot[2], tot[2] / tot[0], tot[2] / tot[1]);
  sw_conv2d_set_algo(saved);
}

/* The convolutions of ResNet-34 and ResNet-50 (torchvision v1.5: stride in
 * the 3x3) other than the 3x3 stride-1 ones, at 224x224. */
static const struct {
  const char *name;
  int Cin, H, Cout, K, s, pad;
  bool dinp;
} OTHER[] = {
    {"stem 7x7s2 3->64 @224", 3, 224, 64, 7, 2, 3, false},
    {"3x3s2 64->128 @56", 64, 56, 128, 3, 2, 1, true},
    {"3x3s2 128->256 @28", 128, 28, 256, 3, 2, 1, true},
    {"3x3s2 256->512 @14", 256, 14, 512, 3, 2, 1, true},
    {"3x3s2 128->128 @56", 128, 56, 128, 3, 2, 1, true},
    {"3x3s2 256->256 @28", 256, 28, 256, 3, 2, 1, true},
    {"3x3s2 512->512 @14", 512, 14, 512, 3, 2, 1, true},
    {"1x1s2 64->128 @56", 64, 56, 128, 1, 2, 0, true},
    {"1x1s2 128->256 @28", 128, 28, 256, 1, 2, 0, true},
    {"1x1s2 256->512 @14", 256, 14, 512, 1, 2, 0, true},
    {"1x1s2 256->512 @56", 256, 56, 512, 1, 2, 0, true},
    {"1x1s2 512->1024 @28", 512, 28, 1024, 1, 2, 0, true},
    {"1x1s2 1024->2048 @14", 1024, 14, 2048, 1, 2, 0, true},
    {"1x1 64->64 @56", 64, 56, 64, 1, 1, 0, true},
    {"1x1 64->256 @56", 64, 56, 256, 1, 1, 0, true},
    {"1x1 256->64 @56", 256, 56, 64, 1, 1, 0, true},
    {"1x1 256->128 @56", 256, 56, 128, 1, 1, 0, true},
    {"1x1 128->512 @28", 128, 28, 512, 1, 1, 0, true},
    {"1x1 512->128 @28", 512, 28, 128, 1, 1, 0, true},
    {"1x1 512->256 @28", 512, 28, 256, 1, 1, 0, true},
    {"1x1 256->1024 @14", 256, 14, 1024, 1, 1, 0, true},
    {"1x1 1024->256 @14", 1024, 14, 256, 1, 1, 0, true},
    {"1x1 1024->512 @14", 1024, 14, 512, 1, 1, 0, true},
    {"1x1 512->2048 @7", 512, 7, 2048, 1, 1, 0, true},
    {"1x1 2048->512 @7", 2048, 7, 512, 1, 1, 0, true},
};

static void other_convs(int batch, int threads, int iters) {
  char cpu[128];
  cpu_name(cpu, sizeof cpu);
  printf("other convs, batch %d, threads %d, min of %d repeats (ms)\n", batch, threads, iters);
  printf("CPU: %s\n", cpu);
  printf("%-24s %10s %10s %10s\n", "conv", "forward", "bwd-data", "bwd-weights");
  sw_rng rng;
  sw_rng_seed(&rng, 1);
  for (size_t i = 0; i < sizeof OTHER / sizeof OTHER[0]; i++) {
    sw_conv2d c;
    sw_conv2d_init(&c, batch, OTHER[i].Cin, OTHER[i].H, OTHER[i].H, OTHER[i].Cout, OTHER[i].K,
                   OTHER[i].s, OTHER[i].pad, 1);
    size_t nx = (size_t)batch * c.Cin * c.H * c.W, ny = (size_t)batch * c.Cout * c.OH * c.OW;
    size_t nw = (size_t)c.Cout * c.Cin * c.KH * c.KW;
    float *x = malloc(nx * 4), *dx = calloc(nx, 4), *y = malloc(ny * 4), *dy = malloc(ny * 4);
    float *w = malloc(nw * 4), *dw = calloc(nw, 4);
    float *ws = malloc((sw_conv2d_workspace(&c) + 1) * 4);
    for (size_t k = 0; k < nx; k++) x[k] = sw_rng_normal(&rng);
    for (size_t k = 0; k < ny; k++) dy[k] = sw_rng_normal(&rng);
    for (size_t k = 0; k < nw; k++) w[k] = sw_rng_normal(&rng) * 0.05f;
    double best[3] = {1e30, 1e30, 1e30};
    for (int it = 0; it < iters; it++)
      for (int p = 0; p < 3; p++) {
        if (p == 1 && !OTHER[i].dinp) continue;
        double t = time_pass(&c, p, y, dx, dw, x, w, dy, ws);
        if (t < best[p]) best[p] = t;
      }
    char bd[16] = "-";
    if (OTHER[i].dinp) snprintf(bd, sizeof bd, "%.2f", best[1]);
    printf("%-24s %10.2f %10s %10.2f\n", OTHER[i].name, best[0], bd, best[2]);
    fflush(stdout);
    free(x);
    free(dx);
    free(y);
    free(dy);
    free(w);
    free(dw);
    free(ws);
  }
}

int main(int argc, char **argv) {
  const char *arch = "resnet34";
  int batch = 16, size = 224, threads = 2, iters = 3, ab = 0, other = 0;
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
    else if (!strcmp(argv[i], "--ab"))
      ab = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--other"))
      other = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--cpu"))
      g_clock = atoi(argv[i + 1]) ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  sw_set_num_threads(threads);
  if (ab) {
    winograd_ab(batch, threads, iters);
    return 0;
  }
  if (other) {
    other_convs(batch, threads, iters);
    return 0;
  }
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
      sw_batchnorm_act_backward(&bn, act, dyc, dg, dbb, dy, y, g, bb, sm, si, rm, rv, true);
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
