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

/* sum x[0..n) */
static inline float sw_sum(const float *x, int n) {
  sw_v4 a = {0, 0, 0, 0}, b = {0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    a += sw_ld4(x + i);
    b += sw_ld4(x + i + 4);
  }
  float t = 0.0f;
  for (; i < n; i++) t += x[i];
  return sw_hsum2(a, b) + t;
}

/* sum (x - m)^2 */
static inline float sw_sqdev(const float *x, int n, float m) {
  sw_v4 a = {0, 0, 0, 0}, b = {0, 0, 0, 0}, mv = {m, m, m, m};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v4 d0 = sw_ld4(x + i) - mv, d1 = sw_ld4(x + i + 4) - mv;
    a += d0 * d0;
    b += d1 * d1;
  }
  float t = 0.0f;
  for (; i < n; i++) t += (x[i] - m) * (x[i] - m);
  return sw_hsum2(a, b) + t;
}

/* sum (x - k) and sum (x - k)^2 in one pass */
static inline void sw_shift_sums(const float *x, int n, float k, float *s1, float *s2) {
  sw_v4 z = {0, 0, 0, 0}, kv = {k, k, k, k};
  sw_v4 a0 = z, b0 = z, a1 = z, b1 = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v4 d0 = sw_ld4(x + i) - kv, d1 = sw_ld4(x + i + 4) - kv;
    a0 += d0;
    b0 += d1;
    a1 += d0 * d0;
    b1 += d1 * d1;
  }
  float t0 = 0.0f, t1 = 0.0f;
  for (; i < n; i++) {
    float d = x[i] - k;
    t0 += d;
    t1 += d * d;
  }
  *s1 = sw_hsum2(a0, b0) + t0;
  *s2 = sw_hsum2(a1, b1) + t1;
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

/* sum dy and sum dy*(x - m) in one pass */
static inline void sw_sum_dot_dev(const float *dy, const float *x, int n, float m, float *sdy,
                                  float *sdyx) {
  sw_v4 z = {0, 0, 0, 0}, mv = {m, m, m, m};
  sw_v4 a0 = z, b0 = z, a1 = z, b1 = z;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    sw_v4 g0 = sw_ld4(dy + i), g1 = sw_ld4(dy + i + 4);
    a0 += g0;
    b0 += g1;
    a1 += g0 * (sw_ld4(x + i) - mv);
    b1 += g1 * (sw_ld4(x + i + 4) - mv);
  }
  float t0 = 0.0f, t1 = 0.0f;
  for (; i < n; i++) {
    t0 += dy[i];
    t1 += dy[i] * (x[i] - m);
  }
  *sdy = sw_hsum2(a0, b0) + t0;
  *sdyx = sw_hsum2(a1, b1) + t1;
}

#endif
