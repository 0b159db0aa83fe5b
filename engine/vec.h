/* vec.h: small fixed-order float reductions for the engine's kernels, on GCC
 * vector extensions (four-float vectors: SSE on x86-64, NEON elsewhere), so
 * the accumulators stay in registers and the summation order is the same on
 * every machine and thread count. Internal to engine/. */
#ifndef SW_VEC_H
#define SW_VEC_H

#include <string.h>

typedef float sw_v4 __attribute__((vector_size(16)));

static inline sw_v4 sw_ld4(const float *p) {
  sw_v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline float sw_hsum2(sw_v4 a, sw_v4 b) {
  sw_v4 s = a + b;
  return (s[0] + s[2]) + (s[1] + s[3]);
}

/* sum a*b */
static inline float sw_dot(const float *x, const float *y, int n) {
  sw_v4 a = {0, 0, 0, 0}, b = {0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    a += sw_ld4(x + i) * sw_ld4(y + i);
    b += sw_ld4(x + i + 4) * sw_ld4(y + i + 4);
  }
  float t = 0.0f;
  for (; i < n; i++) t += x[i] * y[i];
  return sw_hsum2(a, b) + t;
}

/* acc[k] += sum x * yk for three rows y0, y1, y2 in one pass */
static inline void sw_dot3(const float *x, const float *y0, const float *y1, const float *y2,
                           int n, float *acc) {
  sw_v4 z = {0, 0, 0, 0};
  sw_v4 a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v4 u = sw_ld4(x + i), v = sw_ld4(x + i + 4);
    a0 += u * sw_ld4(y0 + i);
    b0 += v * sw_ld4(y0 + i + 4);
    a1 += u * sw_ld4(y1 + i);
    b1 += v * sw_ld4(y1 + i + 4);
    a2 += u * sw_ld4(y2 + i);
    b2 += v * sw_ld4(y2 + i + 4);
  }
  float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f;
  for (; i < n; i++) {
    t0 += x[i] * y0[i];
    t1 += x[i] * y1[i];
    t2 += x[i] * y2[i];
  }
  acc[0] += sw_hsum2(a0, b0) + t0;
  acc[1] += sw_hsum2(a1, b1) + t1;
  acc[2] += sw_hsum2(a2, b2) + t2;
}

/* ---- double accumulation (as PyTorch's CPU batch norm, whose accumulator
 * type for float is double) ------------------------------------------------ */

typedef double sw_v2d __attribute__((vector_size(16)));
typedef float sw_v2f __attribute__((vector_size(8)));

static inline sw_v2d sw_ld2d(const float *p) {
  sw_v2f f;
  memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, sw_v2d);
}

static inline double sw_hsum2d(sw_v2d a, sw_v2d b, sw_v2d c, sw_v2d d) {
  sw_v2d s = (a + b) + (c + d);
  return s[0] + s[1];
}

/* sum x, in double */
static inline double sw_sum_d(const float *x, int n) {
  sw_v2d z = {0, 0}, a = z, b = z, c = z, d = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    a += sw_ld2d(x + i);
    b += sw_ld2d(x + i + 2);
    c += sw_ld2d(x + i + 4);
    d += sw_ld2d(x + i + 6);
  }
  double t = 0;
  for (; i < n; i++) t += x[i];
  return sw_hsum2d(a, b, c, d) + t;
}

/* sum (x - k) and sum (x - k)^2, in double */
static inline void sw_shift_sums_d(const float *x, int n, double k, double *s1, double *s2) {
  sw_v2d z = {0, 0}, kv = {k, k};
  sw_v2d a0 = z, a1 = z, a2 = z, a3 = z, q0 = z, q1 = z, q2 = z, q3 = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v2d d0 = sw_ld2d(x + i) - kv, d1 = sw_ld2d(x + i + 2) - kv;
    sw_v2d d2 = sw_ld2d(x + i + 4) - kv, d3 = sw_ld2d(x + i + 6) - kv;
    a0 += d0;
    a1 += d1;
    a2 += d2;
    a3 += d3;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  double t0 = 0, t1 = 0;
  for (; i < n; i++) {
    double d = x[i] - k;
    t0 += d;
    t1 += d * d;
  }
  *s1 = sw_hsum2d(a0, a1, a2, a3) + t0;
  *s2 = sw_hsum2d(q0, q1, q2, q3) + t1;
}

/* sum g and sum g*(x - m), in double */
static inline void sw_sum_dot_dev_d(const float *g, const float *x, int n, double m, double *sg,
                                    double *sgx) {
  sw_v2d z = {0, 0}, mv = {m, m};
  sw_v2d a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v2d g0 = sw_ld2d(g + i), g1 = sw_ld2d(g + i + 2);
    sw_v2d g2 = sw_ld2d(g + i + 4), g3 = sw_ld2d(g + i + 6);
    a0 += g0;
    a1 += g1;
    a2 += g2;
    a3 += g3;
    b0 += g0 * (sw_ld2d(x + i) - mv);
    b1 += g1 * (sw_ld2d(x + i + 2) - mv);
    b2 += g2 * (sw_ld2d(x + i + 4) - mv);
    b3 += g3 * (sw_ld2d(x + i + 6) - mv);
  }
  double t0 = 0, t1 = 0;
  for (; i < n; i++) {
    t0 += g[i];
    t1 += (double)g[i] * (x[i] - m);
  }
  *sg = sw_hsum2d(a0, a1, a2, a3) + t0;
  *sgx = sw_hsum2d(b0, b1, b2, b3) + t1;
}

#endif
