/* winograd_body.h: the Winograd transforms and tile kernels of winograd.c, on
 * vectors of WN float lanes (one lane per channel). Included by winograd.c once
 * per vector width, with
 *   WV     the vector type (WN floats, GCC vector extension),
 *   WN     its lanes,
 *   WS(x)  the name x for this width.
 * Every operation is lane-wise, so every width gives the same bits. The staged
 * maps' channels are padded to a multiple of 8 (WL), not of WN: loads and stores
 * of a staged pixel stop at its padded end. No include guard: included twice. */

/* ---- 1-D transforms on WN-lane vectors: y[i*ys] = M x[j*xs] --------------- */

/* Bt (6 -> 6) */
AI void WS(bt6)(const WV *x, int xs, WV *y, int ys) {
  WV x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs];
  y[0] = 4.0f * x0 - 5.0f * x2 + x4;
  y[ys] = x3 + x4 - 4.0f * (x1 + x2);
  y[2 * ys] = x4 - x3 + 4.0f * (x1 - x2);
  y[3 * ys] = x4 - x2 + 2.0f * (x3 - x1);
  y[4 * ys] = x4 - x2 + 2.0f * (x1 - x3);
  y[5 * ys] = 4.0f * x1 - 5.0f * x3 + x5;
}

/* G (3 -> 6) */
AI void WS(g6)(const WV *x, int xs, WV *y, int ys) {
  WV g0 = x[0], g1 = x[xs], g2 = x[2 * xs];
  WV a = g0 + g2, b = g0 * (1.0f / 24) + g2 * (1.0f / 6);
  y[0] = g0 * 0.25f;
  y[ys] = (a + g1) * (-1.0f / 6);
  y[2 * ys] = (a - g1) * (-1.0f / 6);
  y[3 * ys] = b + g1 * (1.0f / 12);
  y[4 * ys] = b - g1 * (1.0f / 12);
  y[5 * ys] = g2;
}

/* At (6 -> 4) */
AI void WS(at4)(const WV *x, int xs, WV *y, int ys) {
  WV m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs], m4 = x[4 * xs], m5 = x[5 * xs];
  WV s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  y[0] = m0 + s12 + s34;
  y[ys] = d12 + 2.0f * d34;
  y[2 * ys] = s12 + 4.0f * s34;
  y[3 * ys] = d12 + 8.0f * d34 + m5;
}

/* A (4 -> 6), the adjoint of At */
AI void WS(a6)(const WV *x, int xs, WV *y, int ys) {
  WV y0 = x[0], y1 = x[xs], y2 = x[2 * xs], y3 = x[3 * xs];
  WV e = y0 + y2, o = y1 + y3, e4 = y0 + 4.0f * y2, o4 = 2.0f * y1 + 8.0f * y3;
  y[0] = y0;
  y[ys] = e + o;
  y[2 * ys] = e - o;
  y[3 * ys] = e4 + o4;
  y[4 * ys] = e4 - o4;
  y[5 * ys] = y3;
}

/* Gt (6 -> 3), the adjoint of G */
AI void WS(gt3)(const WV *x, int xs, WV *y, int ys) {
  WV u0 = x[0], u1 = x[xs], u2 = x[2 * xs], u3 = x[3 * xs], u4 = x[4 * xs], u5 = x[5 * xs];
  WV s12 = u1 + u2, d12 = u2 - u1, s34 = u3 + u4, d34 = u3 - u4;
  y[0] = u0 * 0.25f - s12 * (1.0f / 6) + s34 * (1.0f / 24);
  y[ys] = d12 * (1.0f / 6) + d34 * (1.0f / 12);
  y[2 * ys] = (s34 - s12) * (1.0f / 6) + u5;
}

/* F(2x2, 3x3) (points 0, +-1, inf): Bt (4 -> 4), G (3 -> 4), At (4 -> 2) and the
 * adjoints A (2 -> 4), Gt (4 -> 3) */
AI void WS(bt4)(const WV *x, int xs, WV *y, int ys) {
  WV x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs];
  y[0] = x0 - x2;
  y[ys] = x1 + x2;
  y[2 * ys] = x2 - x1;
  y[3 * ys] = x1 - x3;
}

AI void WS(g4)(const WV *x, int xs, WV *y, int ys) {
  WV g0 = x[0], g1 = x[xs], g2 = x[2 * xs], h = (g0 + g2) * 0.5f;
  y[0] = g0;
  y[ys] = h + g1 * 0.5f;
  y[2 * ys] = h - g1 * 0.5f;
  y[3 * ys] = g2;
}

AI void WS(at2)(const WV *x, int xs, WV *y, int ys) {
  WV m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs];
  y[0] = m0 + m1 + m2;
  y[ys] = m1 - m2 - m3;
}

AI void WS(a4)(const WV *x, int xs, WV *y, int ys) {
  WV y0 = x[0], y1 = x[xs];
  y[0] = y0;
  y[ys] = y0 + y1;
  y[2 * ys] = y0 - y1;
  y[3 * ys] = -y1;
}

AI void WS(gt3_2)(const WV *x, int xs, WV *y, int ys) {
  WV u0 = x[0], u1 = x[xs], u2 = x[2 * xs], u3 = x[3 * xs];
  WV h = (u1 + u2) * 0.5f;
  y[0] = u0 + h;
  y[ys] = (u1 - u2) * 0.5f;
  y[2 * ys] = h + u3;
}

/* The transforms of tile m (a compile-time constant wherever these inline). */
#define TILE_TRANSFORM(name, f4, f2)                                                           \
  AI void name(int m, const WV *x, int xs, WV *y, int ys) {                                    \
    if (m == 4)                                                                                \
      f4(x, xs, y, ys);                                                                        \
    else                                                                                       \
      f2(x, xs, y, ys);                                                                        \
  }
TILE_TRANSFORM(WS(bt_m), WS(bt6), WS(bt4))
TILE_TRANSFORM(WS(g_m), WS(g6), WS(g4))
TILE_TRANSFORM(WS(at_m), WS(at4), WS(at2))
TILE_TRANSFORM(WS(a_m), WS(a6), WS(a4))
TILE_TRANSFORM(WS(gt_m), WS(gt3), WS(gt3_2))

/* n lanes of v to dst (all WN with one copy) and back */
AI void WS(putv)(float *dst, const WV *v, int n) {
  if (n == WN)
    memcpy(dst, v, sizeof *v);
  else
    memcpy(dst, v, (size_t)n * sizeof(float));
}
AI void WS(getv)(WV *v, const float *src, int n) {
  if (n == WN)
    memcpy(v, src, sizeof *v);
  else
    memcpy(v, src, (size_t)n * sizeof(float));
}

/* ---- tile kernels -------------------------------------------------------- */


/* Tiles [i0, i1) of the block starting at tile t0 (n tiles): the 6x6 patches
 * of the staged input X (B, Hs, Ws, Cp) -> V[xi][i][c], rows n*C floats apart. */
AI void WS(in_tiles_body)(const int m, const wgeom *g, const float *X, int64_t t0, int n, int i0,
                      int i1, float *V) {
  const int a = m + 2;
  const int C = g->C, Cp = g->Cp;
  const size_t xs = pos_stride(n, C), rs = (size_t)g->Ws * Cp;
  int b, h0, w0;
  tile_at(g, t0 + i0, &b, &h0, &w0);
  for (int i = i0; i < i1; i++, tile_next(g, &b, &h0, &w0)) {
    const float *base = X + ((size_t)b * g->Hs + h0) * rs + (size_t)w0 * Cp;
    for (int c0 = 0; c0 < C; c0 += WN) {
      const int nl = C - c0 < WN ? C - c0 : WN;
      const int nr = Cp - c0 < WN ? Cp - c0 : WN; /* lanes inside the staged pixel */
      WV d[WP], e[WP];
      if (nr < WN) memset(d, 0, sizeof d);
      for (int r = 0; r < a; r++)
        for (int k = 0; k < a; k++) WS(getv)(&d[r * a + k], base + r * rs + (size_t)k * Cp + c0, nr);
      for (int k = 0; k < a; k++) WS(bt_m)(m, d + k, a, e + k, a);
      for (int r = 0; r < a; r++) WS(bt_m)(m, e + r * a, 1, d + r * a, 1);
      float *dst = V + (size_t)i * C + c0;
      for (int k = 0; k < a * a; k++) WS(putv)(dst + k * xs, &d[k], nl);
    }
  }
}

/* Tiles [i0, i1): M[xi][i][k] -> their 4x4 squares of the staged output
 * O (B, Hq, Wq, Kp). */
AI void WS(out_tiles_body)(const int m, const wgeom *g, const float *M, int64_t t0, int n, int i0,
                       int i1, float *O) {
  const int a = m + 2;
  const int K = g->K, Kp = g->Kp;
  const size_t xs = pos_stride(n, K), rs = (size_t)g->Wq * Kp;
  int b, h0, w0;
  tile_at(g, t0 + i0, &b, &h0, &w0);
  for (int i = i0; i < i1; i++, tile_next(g, &b, &h0, &w0)) {
    float *base = O + ((size_t)b * g->Hq + h0) * rs + (size_t)w0 * Kp;
    for (int k0 = 0; k0 < K; k0 += WN) {
      const int nl = K - k0 < WN ? K - k0 : WN;
      const int nw = Kp - k0 < WN ? Kp - k0 : WN; /* lanes inside the staged pixel */
      WV mm[WP], e[24];
      if (nl < WN) memset(mm, 0, sizeof mm);
      const float *src = M + (size_t)i * K + k0;
      for (int k = 0; k < a * a; k++) WS(getv)(&mm[k], src + k * xs, nl);
      for (int k = 0; k < a; k++) WS(at_m)(m, mm + k, a, e + k, a);
      for (int r = 0; r < m; r++) WS(at_m)(m, e + r * a, 1, mm + r * m, 1);
      for (int r = 0; r < m; r++)
        for (int k = 0; k < m; k++) WS(putv)(base + r * rs + (size_t)k * Kp + k0, &mm[r * m + k], nw);
    }
  }
}

/* Tiles [i0, i1) of the forward geometry: the 4x4 squares of the staged dout
 * D (B, Hq, Wq, Kp) -> Y[xi][i][k] = A dy At. */
AI void WS(dout_tiles_body)(const int m, const wgeom *g, const float *D, int64_t t0, int n, int i0,
                        int i1, float *Y) {
  const int a = m + 2;
  const int K = g->K, Kp = g->Kp;
  const size_t xs = pos_stride(n, K), rs = (size_t)g->Wq * Kp;
  int b, h0, w0;
  tile_at(g, t0 + i0, &b, &h0, &w0);
  for (int i = i0; i < i1; i++, tile_next(g, &b, &h0, &w0)) {
    const float *base = D + ((size_t)b * g->Hq + h0) * rs + (size_t)w0 * Kp;
    for (int k0 = 0; k0 < K; k0 += WN) {
      const int nl = K - k0 < WN ? K - k0 : WN;
      const int nr = Kp - k0 < WN ? Kp - k0 : WN; /* lanes inside the staged pixel */
      WV y[16], e[24], z[WP];
      if (nr < WN) memset(y, 0, sizeof y);
      for (int r = 0; r < m; r++)
        for (int k = 0; k < m; k++) WS(getv)(&y[r * m + k], base + r * rs + (size_t)k * Kp + k0, nr);
      for (int k = 0; k < m; k++) WS(a_m)(m, y + k, m, e + k, m);
      for (int r = 0; r < a; r++) WS(a_m)(m, e + r * m, 1, z + r * a, 1);
      float *dst = Y + (size_t)i * K + k0;
      for (int k = 0; k < a * a; k++) WS(putv)(dst + k * xs, &z[k], nl);
    }
  }
}

/* Filters as (input channel i, group of 8 output channels) items [p0, p1):
 * filter (i, o) is w[o*so + i*si + tap] (tap 8 - k when flipped) ->
 * U[xi][i][o] = G g Gt, rows K floats apart; or (packed) each U[xi] packed for
 * sw_sgemm_avx512_pb (64-column panels, rows 64 floats apart). */
AI void WS(weights_body)(const int m, const float *w, size_t so, size_t si, bool flip, bool packed,
                     int C, int K, float *U, int64_t p0, int64_t p1) {
  const int a = m + 2;
  const int ng = (K + WN - 1) / WN;
  for (int64_t p = p0; p < p1; p++) {
    const int i = (int)(p / ng), o0 = (int)(p % ng) * WN;
    const int nl = K - o0 < WN ? K - o0 : WN;
    WV gk[9], e[18], u[WP];
    if (nl < WN) memset(gk, 0, sizeof gk);
    for (int l = 0; l < nl; l++) {
      const float *q = w + (size_t)(o0 + l) * so + (size_t)i * si;
      for (int k = 0; k < 9; k++) gk[k][l] = q[flip ? 8 - k : k];
    }
    for (int k = 0; k < 3; k++) WS(g_m)(m, gk + k, 3, e + k, 3);
    for (int r = 0; r < a; r++) WS(g_m)(m, e + r * 3, 1, u + r * a, 1);
    float *dst = U + (packed ? sw_gemm_pb_index(C, i, o0) : (size_t)i * K + o0);
    const size_t ps = packed ? sw_gemm_pb_floats(C, K) : (size_t)C * K;
    for (int k = 0; k < a * a; k++) WS(putv)(dst + (size_t)k * ps, &u[k], nl);
  }
}

/* The same items: dweight (K, C, 3, 3) += Gt dU[.][i][o] G. */
AI void WS(dweights_body)(const int m, const float *dU, int C, int K, float *dw, int64_t p0,
                      int64_t p1) {
  const int a = m + 2;
  const int ng = (K + WN - 1) / WN;
  for (int64_t p = p0; p < p1; p++) {
    const int i = (int)(p / ng), o0 = (int)(p % ng) * WN;
    const int nl = K - o0 < WN ? K - o0 : WN;
    WV du[WP], e[18], r9[9];
    if (nl < WN) memset(du, 0, sizeof du);
    const float *src = dU + (size_t)i * K + o0;
    for (int k = 0; k < a * a; k++) WS(getv)(&du[k], src + (size_t)k * C * K, nl);
    for (int k = 0; k < a; k++) WS(gt_m)(m, du + k, a, e + k, a);
    for (int r = 0; r < 3; r++) WS(gt_m)(m, e + r * a, 1, r9 + r * 3, 1);
    for (int l = 0; l < nl; l++) {
      float *q = dw + ((size_t)(o0 + l) * C + i) * 9;
      for (int k = 0; k < 9; k++) q[k] += r9[k][l];
    }
  }
}
