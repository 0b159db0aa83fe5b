/* ui_bigproject.c: writes a project with many small distinct images (for the
 * window's 10,000-thumbnail smoothness test). Usage: ui_bigproject PATH N */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>

#include "swell-project.h"

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: ui_bigproject PATH N\n");
    return 2;
  }
  int n = atoi (argv[2]);
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellProject) p = swell_project_create (argv[1], &error);
  if (!p) {
    fprintf (stderr, "ui_bigproject: %s\n", error->message);
    return 1;
  }
  const char *names[] = { "alpha", "beta", "gamma", "delta" };
  gint64 cats[4];
  for (int c = 0; c < 4; c++)
    if (!(cats[c] = swell_project_create_category (p, names[c], NULL, &error))) {
      fprintf (stderr, "ui_bigproject: %s\n", error->message);
      return 1;
    }
  /* 96x64 images: a colour gradient per image, so every file differs and the
   * thumbnails are visibly different. */
  const int W = 96, H = 64;
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, W, H);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (int i = 0; i < n; i++) {
    if (i % 500 == 0 && !swell_project_begin (p, &error))
      goto fail;
    int c = i % 4;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        guint8 *q = px + y * stride + x * 3;
        int v = (x * 2 + y + i * 7) & 255;
        q[0] = c == 0 ? 200 : c == 3 ? 128 : (guint8) v / 3;
        q[1] = c == 1 ? 180 : c == 3 ? 128 : (guint8) (i & 255);
        q[2] = c == 2 ? 220 : c == 3 ? 128 : (guint8) v;
      }
    /* The index in the first pixels makes every file unique. */
    px[0] = (guint8) (i >> 8);
    px[1] = (guint8) (i & 255);
    px[2] = (guint8) (i >> 16);
    gchar *buf;
    gsize len;
    if (!gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL))
      goto fail;
    g_autoptr (GBytes) bytes = g_bytes_new_take (buf, len);
    g_autofree char *name = g_strdup_printf ("synthetic%05d.png", i);
    SwellNewImage img = { .name = name, .bytes = bytes, .format = "png", .width = W, .height = H,
                          .thumbnail = bytes, .thumbnail_mime = "image/png", .category_id = cats[c],
                          .split = i % 5 == 0 ? SWELL_SPLIT_VALID : SWELL_SPLIT_TRAIN };
    gboolean dup = FALSE;
    if (!swell_project_add_image (p, &img, &dup, &error))
      goto fail;
    if (dup) {
      fprintf (stderr, "ui_bigproject: image %d is a duplicate\n", i);
      return 1;
    }
    if ((i % 500 == 499 || i == n - 1) && !swell_project_commit (p, &error))
      goto fail;
  }
  printf ("wrote %d images to %s\n", n, argv[1]);
  return 0;
fail:
  fprintf (stderr, "ui_bigproject: %s\n", error->message);
  return 1;
}
