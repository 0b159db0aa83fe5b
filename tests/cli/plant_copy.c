/* plant_copy.c: writes a near-duplicate of a photo, as people make them by
 * accident: cropped by a few percent, resized and re-encoded as JPEG at
 * another quality (GdkPixbuf, so the test needs no image tool).
 *
 *   plant_copy IN OUT SCALE QUALITY [LEFT TOP RIGHT BOTTOM]
 *
 * SCALE multiplies each side after the crop; LEFT..BOTTOM are the shares cut
 * off each side (0.03 = 3%). */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 5 && argc != 9) {
    fprintf(stderr, "usage: plant_copy IN OUT SCALE QUALITY [LEFT TOP RIGHT BOTTOM]\n");
    return 2;
  }
  GError *error = NULL;
  GdkPixbuf *in = gdk_pixbuf_new_from_file(argv[1], &error);
  if (!in) {
    fprintf(stderr, "plant_copy: %s\n", error->message);
    return 1;
  }
  GdkPixbuf *pb = gdk_pixbuf_apply_embedded_orientation(in);
  int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
  double cut[4] = {0, 0, 0, 0};
  for (int i = 0; argc == 9 && i < 4; i++) cut[i] = atof(argv[5 + i]);
  int x0 = (int)(cut[0] * w), y0 = (int)(cut[1] * h);
  int cw = w - x0 - (int)(cut[2] * w), ch = h - y0 - (int)(cut[3] * h);
  GdkPixbuf *sub = gdk_pixbuf_new_subpixbuf(pb, x0, y0, cw, ch);
  double scale = atof(argv[3]);
  GdkPixbuf *out = gdk_pixbuf_scale_simple(sub, MAX(1, (int)(cw * scale)), MAX(1, (int)(ch * scale)),
                                           GDK_INTERP_BILINEAR);
  if (!gdk_pixbuf_save(out, argv[2], "jpeg", &error, "quality", argv[4], NULL)) {
    fprintf(stderr, "plant_copy: %s: %s\n", argv[2], error->message);
    return 1;
  }
  g_object_unref(out);
  g_object_unref(sub);
  g_object_unref(pb);
  g_object_unref(in);
  return 0;
}
