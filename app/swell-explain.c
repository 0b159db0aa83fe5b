/* swell-explain.c: the Grad-CAM overlay (see swell-explain.h). */
#include "swell-explain.h"

#include <math.h>

void swell_explanation_free(SwellExplanation *e) {
  if (!e) return;
  g_free(e->probs);
  g_free(e->heatmap);
  swell_rgb_image_free(e->image);
  g_free(e);
}

/* matplotlib's inferno (van der Walt and Smith, CC0) at entries 0, 16, ..., 240
 * and 255 of its 256, rounded to 8 bits; linear in between. */
static const guint8 inferno[17][3] = {
    {0, 0, 4},       {11, 7, 36},     {33, 12, 74},    {61, 9, 101},    {87, 16, 110},
    {113, 25, 110},  {138, 34, 106},  {163, 44, 97},   {188, 55, 84},   {210, 70, 68},
    {228, 90, 49},   {241, 115, 29},  {249, 142, 9},   {252, 172, 17},  {249, 203, 53},
    {242, 234, 105}, {252, 255, 164},
};

void swell_colormap_inferno(float t, guint8 rgb[3]) {
  if (!(t > 0)) t = 0; /* also NaN */
  if (t > 1) t = 1;
  float pos = t * 255.0f; /* entry index in the 256-entry map */
  int k = pos >= 240.0f ? 15 : (int)(pos / 16.0f);
  float lo = (float)(16 * k), hi = k == 15 ? 255.0f : lo + 16.0f;
  float f = (pos - lo) / (hi - lo);
  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8)lrintf((1 - f) * inferno[k][c] + f * inferno[k + 1][c]);
}

GdkPixbuf *swell_explanation_render(const SwellExplanation *e, double opacity) {
  g_return_val_if_fail(e != NULL && e->image != NULL, NULL);
  int S = e->size;
  GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, S, S);
  if (!pb) return NULL;
  guint8 *dst = gdk_pixbuf_get_pixels(pb);
  int stride = gdk_pixbuf_get_rowstride(pb);
  float scale = e->heatmap_max > 0 ? 1.0f / e->heatmap_max : 0.0f;
  float op = (float)CLAMP(opacity, 0.0, 1.0);
  for (int y = 0; y < S; y++) {
    const guint8 *src = e->image->pixels + (gsize)y * S * 3;
    guint8 *row = dst + (gsize)y * stride;
    for (int x = 0; x < S; x++) {
      float t = e->heatmap[(gsize)y * S + x] * scale;
      guint8 col[3];
      swell_colormap_inferno(t, col);
      float a = op * CLAMP(t, 0.0f, 1.0f);
      for (int c = 0; c < 3; c++)
        row[x * 3 + c] = (guint8)lrintf((1 - a) * src[x * 3 + c] + a * col[c]);
    }
  }
  return pb;
}
