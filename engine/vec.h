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
 * type for float is double) ------------------------------------------------
 *
 * Eight double accumulators, lane l summing the elements i with i % 8 == l,
 * combined as ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7)), then the tail
 * added in order. One 8-lane vector holds them: four SSE registers on the
 * baseline, one zmm register where a caller is compiled for AVX-512 (these
 * always inline into it); the same operations, so the same bits either way. */

typedef double sw_v8d __attribute__((vector_size(64)));
typedef float sw_v8f __attribute__((vector_size(32)));

#define SW_VEC_AI static inline __attribute__((always_inline))

/* (through pointers: a 64-byte vector passed by value would change the ABI
 * between baseline and AVX-512 code) */
SW_VEC_AI void sw_ld8d(sw_v8d *v, const float *p) {
  sw_v8f f;
  memcpy(&f, p, sizeof f);
  *v = __builtin_convertvector(f, sw_v8d);
}

SW_VEC_AI double sw_hsum8d(const sw_v8d *v) {
  const sw_v8d a = *v;
  return ((a[0] + a[2]) + (a[4] + a[6])) + ((a[1] + a[3]) + (a[5] + a[7]));
}

/* sum x, in double */
SW_VEC_AI double sw_sum_d(const float *x, int n) {
  sw_v8d a = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v8d v;
    sw_ld8d(&v, x + i);
    a += v;
  }
  double t = 0;
  for (; i < n; i++) t += x[i];
  return sw_hsum8d(&a) + t;
}

/* sum (x - k) and sum (x - k)^2, in double */
SW_VEC_AI void sw_shift_sums_d(const float *x, int n, double k, double *s1, double *s2) {
  const sw_v8d z = {0, 0, 0, 0, 0, 0, 0, 0};
  sw_v8d a = z, q = z, kv = z + k;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v8d d;
    sw_ld8d(&d, x + i);
    d -= kv;
    a += d;
    q += d * d;
  }
  double t0 = 0, t1 = 0;
  for (; i < n; i++) {
    double d = x[i] - k;
    t0 += d;
    t1 += d * d;
  }
  *s1 = sw_hsum8d(&a) + t0;
  *s2 = sw_hsum8d(&q) + t1;
}

/* sum g and sum g*(x - m), in double */
SW_VEC_AI void sw_sum_dot_dev_d(const float *g, const float *x, int n, double m, double *sg,
                                double *sgx) {
  const sw_v8d z = {0, 0, 0, 0, 0, 0, 0, 0};
  sw_v8d a = z, b = z, mv = z + m;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v8d gv, xv;
    sw_ld8d(&gv, g + i);
    sw_ld8d(&xv, x + i);
    a += gv;
    b += gv * (xv - mv);
  }
  double t0 = 0, t1 = 0;
  for (; i < n; i++) {
    t0 += g[i];
    t1 += (double)g[i] * (x[i] - m);
  }
  *sg = sw_hsum8d(&a) + t0;
  *sgx = sw_hsum8d(&b) + t1;
}

#endif
