/* swell-image.c: GdkPixbuf decoding to RGB, PIL-exact bilinear resize,
 * thumbnails. See swell-image.h for the contract. */
#include "swell-image.h"

#include <glib/gi18n.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swell-config.h"

G_DEFINE_QUARK(swell-image-error-quark, swell_image_error)

/* ---------------------------------------------------------------- images */

SwellRgbImage *swell_rgb_image_new(int width, int height) {
  if (width <= 0 || height <= 0) return NULL;
  gsize n = (gsize)width * (gsize)height * 3;
  guint8 *px = g_try_malloc0(n);
  if (!px) return NULL;
  SwellRgbImage *img = g_new0(SwellRgbImage, 1);
  img->width = width;
  img->height = height;
  img->pixels = px;
  return img;
}

SwellRgbImage *swell_rgb_image_copy(const SwellRgbImage *img) {
  SwellRgbImage *out = swell_rgb_image_new(img->width, img->height);
  if (out) memcpy(out->pixels, img->pixels, (gsize)img->width * img->height * 3);
  return out;
}

void swell_rgb_image_free(SwellRgbImage *img) {
  if (!img) return;
  if (img->owner)
    g_object_unref(img->owner);
  else
    g_free(img->pixels);
  g_free(img);
}

gsize swell_rgb_image_size_bytes(const SwellRgbImage *img) {
  if (img->owner) return sizeof *img + gdk_pixbuf_get_byte_length(img->owner);
  return sizeof *img + (gsize)img->width * (gsize)img->height * 3;
}

/* -------------------------------------------------------------- decoding */

typedef struct {
  gboolean got_size;
  gboolean too_large;
  gboolean probe; /* stop at the header */
  int width, height;
  /* Rows the loader reported as decoded (area-updated); an image with rows
   * never decoded is truncated even when the loader closes without error
   * (GdkPixbuf's PNG, baseline JPEG, BMP and WebP loaders do that). */
  guint8 *rows_done;
  int rows_total;
  int min_side; /* > 0: a JPEG may be decoded at 1/2, 1/4 or 1/8 scale down to this short side */
} HeaderState;

static void on_area_prepared(GdkPixbufLoader *loader, gpointer data) {
  HeaderState *st = data;
  GdkPixbuf *pb = gdk_pixbuf_loader_get_pixbuf(loader);
  if (!pb || st->rows_done) return;
  st->rows_total = gdk_pixbuf_get_height(pb);
  st->rows_done = g_new0(guint8, st->rows_total);
}

static void on_area_updated(GdkPixbufLoader *loader, int x, int y, int width, int height,
                            gpointer data) {
  HeaderState *st = data;
  if (!st->rows_done) return;
  int y0 = MAX(y, 0), y1 = MIN(y + height, st->rows_total);
  if (y1 > y0) memset(st->rows_done + y0, 1, (gsize)(y1 - y0));
}

static gboolean all_rows_done(const HeaderState *st) {
  if (!st->rows_done) return FALSE;
  for (int i = 0; i < st->rows_total; i++)
    if (!st->rows_done[i]) return FALSE;
  return TRUE;
}

static void on_size_prepared(GdkPixbufLoader *loader, int width, int height, gpointer data) {
  HeaderState *st = data;
  st->got_size = TRUE;
  st->width = width;
  st->height = height;
  if (width <= 0 || height <= 0 || (gint64)width * height > SWELL_IMAGE_MAX_PIXELS) st->too_large = TRUE;
  /* A 0x0 requested size makes the GdkPixbuf loaders stop before they
   * allocate the pixel buffer (the trick gdk_pixbuf_get_file_info uses). */
  gboolean stop = st->too_large;
  if (st->probe && !stop) {
    /* The PNM and TGA loaders treat 0x0 as a failure without an error and
     * GdkPixbuf warns about it; they are rare, let them read their header. */
    GdkPixbufFormat *fmt = gdk_pixbuf_loader_get_format(loader);
    g_autofree char *fname = fmt ? gdk_pixbuf_format_get_name(fmt) : NULL;
    stop = !(fname && (strcmp(fname, "pnm") == 0 || strcmp(fname, "tga") == 0));
  }
  if (stop) {
    gdk_pixbuf_loader_set_size(loader, 0, 0);
    return;
  }
  if (st->min_side > 0 && !st->probe) {
    GdkPixbufFormat *fmt = gdk_pixbuf_loader_get_format(loader);
    g_autofree char *fname = fmt ? gdk_pixbuf_format_get_name(fmt) : NULL;
    if (fname && strcmp(fname, "jpeg") == 0) {
      /* libjpeg's DCT scaling: the JPEG loader picks the largest 1/k whose
       * output (ceil(w/k) x ceil(h/k)) still covers the requested size, so
       * asking for exactly that size needs no further scaling. */
      int k = 1, short_side = MIN(width, height);
      while (k < 8 && short_side / (2 * k) >= st->min_side) k *= 2;
      if (k > 1) gdk_pixbuf_loader_set_size(loader, (width + k - 1) / k, (height + k - 1) / k);
    }
  }
}

static void set_too_large(GError **error, const char *name, int w, int h) {
  double mp = (double)w * (double)h / 1e6;
  g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_TOO_LARGE,
              _("%s: %dx%d is too large (%.0f megapixels; the limit is %d)"), name, w, h, mp,
              (int)(SWELL_IMAGE_MAX_PIXELS / 1000000));
}

static void set_not_image(GError **error, const char *name) {
  g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_UNKNOWN_FORMAT,
              _("%s: not an image (unrecognised format)"), name);
}

static void set_corrupt(GError **error, const char *name, const char *detail) {
  if (detail && *detail)
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_CORRUPT,
                _("%s: truncated or corrupt image data (%s)"), name, detail);
  else
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_CORRUPT,
                _("%s: truncated or corrupt image data"), name);
}

/* Container-level completeness checks for formats whose GdkPixbuf loaders
 * return a partly grey image without an error when the data is cut short. */

static guint32 be32(const guint8 *p) {
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* Walks the JPEG marker segments (skipping APPn payloads such as an EXIF
 * thumbnail by their lengths, and entropy-coded data after each SOS) and
 * succeeds only when the EOI marker is reached inside the data. */
static gboolean jpeg_complete(const guint8 *d, gsize n) {
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return FALSE;
  gsize pos = 2;
  while (pos + 1 < n) {
    if (d[pos] != 0xFF) { /* stray bytes before a marker: libjpeg skips them too */
      pos++;
      continue;
    }
    while (pos + 1 < n && d[pos + 1] == 0xFF) pos++; /* fill bytes */
    if (pos + 1 >= n) return FALSE;
    guint8 m = d[pos + 1];
    if (m == 0xD9) return TRUE;
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      pos += 2;
      continue;
    }
    if (pos + 3 >= n) return FALSE;
    gsize seglen = ((gsize)d[pos + 2] << 8) | d[pos + 3];
    if (seglen < 2) return FALSE;
    pos += 2 + seglen;
    if (pos > n) return FALSE;
    if (m == 0xDA) {
      /* Entropy-coded data runs to the next marker that is not a stuffed
       * 0xFF00 or a restart marker. */
      while (pos + 1 < n) {
        if (d[pos] == 0xFF && d[pos + 1] != 0x00 && !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7))
          break;
        pos++;
      }
      if (pos + 1 >= n) return FALSE;
    }
  }
  return FALSE;
}

/* Walks the PNG chunks up to IEND. */
static gboolean png_complete(const guint8 *d, gsize n) {
  static const guint8 sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (n < 8 || memcmp(d, sig, 8) != 0) return FALSE;
  gsize pos = 8;
  while (pos + 12 <= n) {
    guint32 len = be32(d + pos);
    if ((gsize)len > n - pos - 12) return FALSE;
    if (memcmp(d + pos + 4, "IEND", 4) == 0) return TRUE;
    pos += 12 + (gsize)len;
  }
  return FALSE;
}

/* The RIFF header states the WebP file's length. */
static gboolean webp_complete(const guint8 *d, gsize n) {
  if (n < 12 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WEBP", 4) != 0) return FALSE;
  guint32 riff = (guint32)d[4] | ((guint32)d[5] << 8) | ((guint32)d[6] << 16) | ((guint32)d[7] << 24);
  return (guint64)riff + 8 <= n;
}

static guint32 le32(const guint8 *p) {
  return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

/* Header fields some GdkPixbuf loaders trust to size a buffer before they
 * have seen the data: the BMP loader grows its buffer to the info header's
 * declared size (bytes 14-17; e2 e2 e2 e2 costs 3.8 GB of address space)
 * and to the pixel data offset, the ICO/CUR loader to each entry's offset.
 * A declared size beyond the file (or, for the BMP info header, beyond the
 * largest BITMAPV5HEADER, 124 bytes) is refused here, before any loader
 * runs, so one bad file cannot allocate more than its own length. */
static gboolean header_sizes_fit(const guint8 *d, gsize n) {
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') {
    if (n < 18) return FALSE;
    guint32 info_size = le32(d + 14), data_offset = le32(d + 10);
    return info_size <= 124 && 14 + (gsize)info_size <= n && data_offset <= n;
  }
  /* GdkPixbuf's own ICO/CUR signature: 00 00 01|02 00, 1-255 entries. */
  if (n >= 6 && d[0] == 0 && d[1] == 0 && (d[2] == 1 || d[2] == 2) && d[3] == 0 && d[4] != 0 &&
      d[5] == 0) {
    guint count = d[4];
    if (6 + (gsize)count * 16 > n) return FALSE;
    for (guint i = 0; i < count; i++) {
      const guint8 *e = d + 6 + (gsize)i * 16;
      if ((guint64)le32(e + 12) + 40 > n || (guint64)le32(e + 12) + le32(e + 8) > n) return FALSE;
    }
  }
  return TRUE;
}

static gboolean container_complete(const char *format, const guint8 *d, gsize n) {
  if (!format) return TRUE;
  if (strcmp(format, "jpeg") == 0) return jpeg_complete(d, n);
  if (strcmp(format, "png") == 0) return png_complete(d, n);
  if (strcmp(format, "webp") == 0) return webp_complete(d, n);
  return TRUE;
}

/* Feeds `bytes` to a fresh loader in chunks, stopping early once the header
 * says the image is too large (or, when probing, once the header is read).
 * Returns the loader after close (caller unrefs) or NULL with `error` set.
 * `*pixbuf_out` gets a new reference to the decoded first frame unless
 * probing. */
static GdkPixbufLoader *run_loader(GBytes *bytes, const char *name, HeaderState *st,
                                   GdkPixbuf **pixbuf_out, GError **error) {
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data(bytes, &len) : NULL;
  if (len == 0) {
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_EMPTY, _("%s: empty file (0 bytes)"),
                name);
    return NULL;
  }
  if (!header_sizes_fit(data, len)) {
    set_corrupt(error, name, _("the header declares more data than the file holds"));
    return NULL;
  }

  GdkPixbufLoader *loader = gdk_pixbuf_loader_new();
  g_signal_connect(loader, "size-prepared", G_CALLBACK(on_size_prepared), st);
  if (!st->probe) {
    g_signal_connect(loader, "area-prepared", G_CALLBACK(on_area_prepared), st);
    g_signal_connect(loader, "area-updated", G_CALLBACK(on_area_updated), st);
  }

  g_autoptr(GError) werr = NULL;
  gboolean write_ok = TRUE;
  /* Small chunks when probing: the header is in the first few KB. */
  const gsize chunk = st->probe ? 4096 : 64 * 1024;
  for (gsize off = 0; off < len; off += chunk) {
    gsize n = MIN(chunk, len - off);
    if (!gdk_pixbuf_loader_write(loader, data + off, n, &werr)) {
      write_ok = FALSE;
      break;
    }
    if (st->too_large || (st->probe && st->got_size)) break;
  }
  g_autoptr(GError) cerr = NULL;
  /* Always close (a loader must be closed before it is finalised). */
  gboolean close_ok = gdk_pixbuf_loader_close(loader, write_ok ? &cerr : NULL);

  if (st->too_large) {
    set_too_large(error, name, st->width, st->height);
    g_object_unref(loader);
    return NULL;
  }
  if (st->probe && st->got_size) return loader;

  GdkPixbufFormat *fmt = gdk_pixbuf_loader_get_format(loader);
  if (!fmt) {
    /* No loader recognised the content. */
    set_not_image(error, name);
    g_object_unref(loader);
    return NULL;
  }
  if (!write_ok || !close_ok) {
    GError *e = werr ? werr : cerr;
    if (e && e->domain == GDK_PIXBUF_ERROR && e->code == GDK_PIXBUF_ERROR_UNKNOWN_TYPE)
      set_not_image(error, name);
    else if (e && e->domain == GDK_PIXBUF_ERROR && e->code == GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY)
      g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_FAILED,
                  _("%s: not enough memory to decode the image"), name);
    else
      set_corrupt(error, name, e ? e->message : NULL);
    g_object_unref(loader);
    return NULL;
  }
  if (st->probe) {
    /* Closed cleanly without ever announcing a size: nothing to decode. */
    set_corrupt(error, name, NULL);
    g_object_unref(loader);
    return NULL;
  }
  g_autofree char *fmt_name = gdk_pixbuf_format_get_name(fmt);
  GdkPixbuf *pb = gdk_pixbuf_loader_get_pixbuf(loader);
  /* Animations may draw their first frame over part of the canvas only, so
   * the row check is for still-image formats (the GIF loader reports
   * truncation itself; WebP is checked by its RIFF length). */
  gboolean animated = fmt_name && (strcmp(fmt_name, "gif") == 0 || strcmp(fmt_name, "ani") == 0 ||
                                   strcmp(fmt_name, "webp") == 0);
  if (!pb || (!animated && !all_rows_done(st)) || !container_complete(fmt_name, data, len)) {
    set_corrupt(error, name, NULL);
    g_object_unref(loader);
    return NULL;
  }
  *pixbuf_out = g_object_ref(pb);
  return loader;
}

/* Converts a (possibly alpha) 8-bit pixbuf to tightly packed RGB in place
 * (rows only move towards the start of the buffer, so a forward pass is
 * safe), compositing alpha onto white with rounding:
 * (a*c + (255-a)*255 + 127) / 255. The image keeps the pixbuf (our
 * reference) as the owner of its pixels: a fresh copy of a 12-megapixel
 * photo would cost a page fault per 4 KiB and take longer than the move. */
static SwellRgbImage *pixbuf_to_rgb(GdkPixbuf *pb, const char *name, GError **error) {
  int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
  int nch = gdk_pixbuf_get_n_channels(pb);
  int stride = gdk_pixbuf_get_rowstride(pb);
  if (gdk_pixbuf_get_bits_per_sample(pb) != 8 || gdk_pixbuf_get_colorspace(pb) != GDK_COLORSPACE_RGB ||
      (nch != 3 && nch != 4) || w <= 0 || h <= 0) {
    set_corrupt(error, name, "unsupported pixel layout");
    return NULL;
  }
  if ((gint64)w * h > SWELL_IMAGE_MAX_PIXELS) {
    set_too_large(error, name, w, h);
    return NULL;
  }
  guint8 *px = gdk_pixbuf_get_pixels(pb); /* writable; copies if the pixbuf wraps read-only bytes */
  for (int y = 0; y < h; y++) {
    const guint8 *s = px + (gsize)y * stride;
    guint8 *d = px + (gsize)y * w * 3;
    if (nch == 3) {
      if (d != s) memmove(d, s, (gsize)w * 3);
    } else {
      for (int x = 0; x < w; x++, s += 4, d += 3) {
        unsigned a = s[3], r = s[0], g = s[1], b = s[2];
        d[0] = (guint8)((a * r + (255 - a) * 255 + 127) / 255);
        d[1] = (guint8)((a * g + (255 - a) * 255 + 127) / 255);
        d[2] = (guint8)((a * b + (255 - a) * 255 + 127) / 255);
      }
    }
  }
  SwellRgbImage *img = g_new0(SwellRgbImage, 1);
  img->width = w;
  img->height = h;
  img->pixels = px;
  img->owner = g_object_ref(pb);
  return img;
}

SwellRgbImage *swell_image_decode_bytes(GBytes *bytes, const char *name, GError **error) {
  return swell_image_decode_bytes_reduced(bytes, name, 0, error);
}

SwellRgbImage *swell_image_decode_bytes_reduced(GBytes *bytes, const char *name, int min_side,
                                                GError **error) {
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (!name) name = "image";
  HeaderState st = {.min_side = min_side};
  GdkPixbuf *pb = NULL;
  GdkPixbufLoader *loader = run_loader(bytes, name, &st, &pb, error);
  g_free(st.rows_done);
  if (!loader) return NULL;
  /* Applies the "orientation" option (EXIF in JPEG/WebP, the TIFF tag). */
  GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation(pb);
  g_object_unref(pb);
  g_object_unref(loader);
  if (!oriented) {
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_FAILED,
                _("%s: not enough memory to decode the image"), name);
    return NULL;
  }
  SwellRgbImage *img = pixbuf_to_rgb(oriented, name, error);
  g_object_unref(oriented);
  return img;
}

static GBytes *read_fail(GError **error, const char *name, int err) {
  g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_READ, _("%s: cannot read the file (%s)"), name,
              g_strerror(err));
  return NULL;
}

static GBytes *read_file_bytes(const char *path, const char *name, GError **error) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0) return read_fail(error, name, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return read_fail(error, name, err);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return read_fail(error, name, EISDIR);
  }
  if (!S_ISREG(st.st_mode)) {
    /* FIFOs, sockets and devices could block or never end. */
    close(fd);
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_READ, _("%s: not a regular file"), name);
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  GByteArray *buf = g_byte_array_sized_new(st.st_size > 0 ? (guint)MIN(st.st_size, G_MAXINT) : 4096);
  guint8 chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      g_byte_array_unref(buf);
      return read_fail(error, name, err);
    }
    if (n == 0) break;
    g_byte_array_append(buf, chunk, (guint)n);
  }
  close(fd);
  return g_byte_array_free_to_bytes(buf);
}

SwellRgbImage *swell_image_decode_file(const char *path, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  g_autofree char *name = g_filename_display_name(path);
  g_autoptr(GBytes) bytes = read_file_bytes(path, name, error);
  if (!bytes) return NULL;
  return swell_image_decode_bytes(bytes, name, error);
}

gboolean swell_image_probe_bytes(GBytes *bytes, const char *name, SwellImageInfo *info,
                                 GError **error) {
  g_return_val_if_fail(info != NULL, FALSE);
  if (!name) name = "image";
  memset(info, 0, sizeof *info);
  HeaderState st = {.probe = TRUE};
  GdkPixbuf *pb = NULL;
  GdkPixbufLoader *loader = run_loader(bytes, name, &st, &pb, error);
  if (!loader) return FALSE;
  GdkPixbufFormat *fmt = gdk_pixbuf_loader_get_format(loader);
  if (!fmt) {
    set_not_image(error, name);
    g_object_unref(loader);
    return FALSE;
  }
  g_autofree char *fname = gdk_pixbuf_format_get_name(fmt);
  g_strlcpy(info->format, fname ? fname : "", sizeof info->format);
  info->width = st.width;
  info->height = st.height;
  g_object_unref(loader);
  return TRUE;
}

/* ------------------------------------------------- PIL-exact bilinear resize
 *
 * PIL (Pillow's Resample.c) resizes 8-bit images in two separable passes,
 * horizontal then vertical, each storing rounded, clipped 8-bit results. The
 * filter is the triangle 1 - |x| with support 1, stretched by the scale
 * factor when shrinking (antialiasing). Weights are normalised, then turned
 * into fixed point with PRECISION_BITS = 22. Reproduced here so eval
 * transforms match torchvision's PIL pipeline bit for bit. */

#define PIL_PRECISION_BITS (32 - 8 - 2)

typedef struct {
  int ksize;
  int *bounds;  /* (xmin, count) per output pixel */
  gint32 *kk;   /* ksize fixed-point weights per output pixel */
} ResampleCoeffs;

static double tri_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* Coefficients of output pixels first .. first + count - 1 of a resize from
 * in_size to out_size (entry i is output pixel first + i). */
static void coeffs_init(ResampleCoeffs *rc, int in_size, int out_size, int first, int count) {
  double scale = (double)in_size / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = 1.0 * filterscale;
  int ksize = (int)ceil(support) * 2 + 1;
  rc->ksize = ksize;
  rc->bounds = g_new(int, (gsize)count * 2);
  rc->kk = g_new0(gint32, (gsize)count * ksize);
  double *pre = g_new(double, ksize);
  for (int i = 0; i < count; i++) {
    int xx = first + i;
    double center = (xx + 0.5) * scale;
    double ww = 0.0, ss = 1.0 / filterscale;
    int xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = (int)(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; x++) {
      double w = tri_filter((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; x++)
      if (ww != 0.0) pre[x] /= ww;
    gint32 *k = rc->kk + (gsize)i * ksize;
    for (int x = 0; x < ksize; x++) {
      double v = x < xmax ? pre[x] : 0.0;
      k[x] = v < 0 ? (gint32)(-0.5 + v * (1 << PIL_PRECISION_BITS))
                   : (gint32)(0.5 + v * (1 << PIL_PRECISION_BITS));
    }
    rc->bounds[i * 2] = xmin;
    rc->bounds[i * 2 + 1] = xmax;
  }
  g_free(pre);
}

static void coeffs_clear(ResampleCoeffs *rc) {
  g_free(rc->bounds);
  g_free(rc->kk);
}

static inline guint8 clip8(gint32 v) {
  v >>= PIL_PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (guint8)v;
}

/* (h, in_w, 3) -> (h, out_w, 3) */
static void resample_horizontal(const guint8 *in, int in_w, int h, guint8 *out, int out_w,
                                const ResampleCoeffs *rc) {
  for (int y = 0; y < h; y++) {
    const guint8 *row = in + (gsize)y * in_w * 3;
    guint8 *orow = out + (gsize)y * out_w * 3;
    for (int xx = 0; xx < out_w; xx++) {
      int xmin = rc->bounds[xx * 2], xmax = rc->bounds[xx * 2 + 1];
      const gint32 *k = rc->kk + (gsize)xx * rc->ksize;
      /* 32-bit sums as PIL: at most 255 * 2^22 plus rounding. */
      gint32 s0 = 1 << (PIL_PRECISION_BITS - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < xmax; x++) {
        const guint8 *p = row + (gsize)(x + xmin) * 3;
        s0 += (gint32)p[0] * k[x];
        s1 += (gint32)p[1] * k[x];
        s2 += (gint32)p[2] * k[x];
      }
      orow[xx * 3] = clip8(s0);
      orow[xx * 3 + 1] = clip8(s1);
      orow[xx * 3 + 2] = clip8(s2);
    }
  }
}

/* (in_h, w, 3) -> (out_h, w, 3) */
static void resample_vertical(const guint8 *in, int w, guint8 *out, int out_h,
                              const ResampleCoeffs *rc) {
  gsize stride = (gsize)w * 3;
  gint32 *acc = g_new(gint32, stride);
  for (int yy = 0; yy < out_h; yy++) {
    int ymin = rc->bounds[yy * 2], ymax = rc->bounds[yy * 2 + 1];
    const gint32 *k = rc->kk + (gsize)yy * rc->ksize;
    for (gsize i = 0; i < stride; i++) acc[i] = 1 << (PIL_PRECISION_BITS - 1);
    for (int y = 0; y < ymax; y++) {
      const guint8 *row = in + (gsize)(y + ymin) * stride;
      gint32 ky = k[y];
      for (gsize i = 0; i < stride; i++) acc[i] += (gint32)row[i] * ky;
    }
    guint8 *orow = out + (gsize)yy * stride;
    for (gsize i = 0; i < stride; i++) orow[i] = clip8(acc[i]);
  }
  g_free(acc);
}

SwellRgbImage *swell_rgb_image_resize_region(const SwellRgbImage *img, int width, int height, int x0,
                                             int y0, int cw, int ch) {
  if (width <= 0 || height <= 0 || cw <= 0 || ch <= 0 || x0 < 0 || y0 < 0 || x0 + cw > width ||
      y0 + ch > height)
    return NULL;
  const gsize in_stride = (gsize)img->width * 3, out_stride = (gsize)cw * 3;

  /* Input rows the vertical pass needs, and its coefficients. */
  ResampleCoeffs vc = {0};
  int rmin, rmax;
  gboolean vertical = height != img->height;
  if (vertical) {
    coeffs_init(&vc, img->height, height, y0, ch);
    rmin = img->height;
    rmax = 0;
    for (int i = 0; i < ch; i++) {
      rmin = MIN(rmin, vc.bounds[i * 2]);
      rmax = MAX(rmax, vc.bounds[i * 2] + vc.bounds[i * 2 + 1]);
    }
    for (int i = 0; i < ch; i++) vc.bounds[i * 2] -= rmin;
  } else {
    rmin = y0;
    rmax = y0 + ch;
  }
  int rows = MAX(rmax - rmin, 1);

  /* Horizontal pass over those rows, for output columns x0 .. x0 + cw. */
  guint8 *tmp = g_try_malloc((gsize)rows * out_stride);
  if (!tmp) {
    if (vertical) coeffs_clear(&vc);
    return NULL;
  }
  if (width != img->width) {
    ResampleCoeffs hc;
    coeffs_init(&hc, img->width, width, x0, cw);
    resample_horizontal(img->pixels + (gsize)rmin * in_stride, img->width, rows, tmp, cw, &hc);
    coeffs_clear(&hc);
  } else {
    for (int y = 0; y < rows; y++)
      memcpy(tmp + (gsize)y * out_stride, img->pixels + (gsize)(rmin + y) * in_stride + (gsize)x0 * 3, out_stride);
  }

  SwellRgbImage *out = swell_rgb_image_new(cw, ch);
  if (out) {
    if (vertical)
      resample_vertical(tmp, cw, out->pixels, ch, &vc);
    else
      memcpy(out->pixels, tmp, (gsize)ch * out_stride);
  }
  if (vertical) coeffs_clear(&vc);
  g_free(tmp);
  return out;
}

SwellRgbImage *swell_rgb_image_resize(const SwellRgbImage *img, int width, int height) {
  if (width <= 0 || height <= 0) return NULL;
  if (width == img->width && height == img->height) return swell_rgb_image_copy(img);
  return swell_rgb_image_resize_region(img, width, height, 0, 0, width, height);
}

void swell_short_side_size(int w, int h, int short_side, int *out_w, int *out_h) {
  if (w <= h) {
    *out_w = short_side;
    *out_h = (int)((gint64)short_side * h / w);
  } else {
    *out_h = short_side;
    *out_w = (int)((gint64)short_side * w / h);
  }
  *out_w = MAX(*out_w, 1);
  *out_h = MAX(*out_h, 1);
}

SwellRgbImage *swell_rgb_image_resize_short_side(const SwellRgbImage *img, int short_side) {
  if (short_side <= 0) return NULL;
  int nw, nh;
  swell_short_side_size(img->width, img->height, short_side, &nw, &nh);
  return swell_rgb_image_resize(img, nw, nh);
}

/* ------------------------------------------------------------ thumbnails */

/* Averages f x f blocks (the last partial blocks average what they have):
 * a cheap first step for large reductions, as PIL's reducing_gap does. */
static SwellRgbImage *box_reduce(const SwellRgbImage *img, int f) {
  int w = (img->width + f - 1) / f, h = (img->height + f - 1) / f;
  SwellRgbImage *out = swell_rgb_image_new(w, h);
  if (!out) return NULL;
  guint32 *acc = g_new0(guint32, (gsize)w * 3);
  for (int oy = 0; oy < h; oy++) {
    int y0 = oy * f, y1 = MIN(y0 + f, img->height);
    memset(acc, 0, sizeof(guint32) * (gsize)w * 3);
    for (int y = y0; y < y1; y++) {
      const guint8 *row = img->pixels + (gsize)y * img->width * 3;
      for (int x = 0; x < img->width; x++) {
        guint32 *a = acc + (gsize)(x / f) * 3;
        a[0] += row[x * 3];
        a[1] += row[x * 3 + 1];
        a[2] += row[x * 3 + 2];
      }
    }
    guint8 *o = out->pixels + (gsize)oy * w * 3;
    for (int ox = 0; ox < w; ox++) {
      guint32 n = (guint32)(MIN(ox * f + f, img->width) - ox * f) * (guint32)(y1 - y0);
      for (int c = 0; c < 3; c++) o[ox * 3 + c] = (guint8)((acc[ox * 3 + c] + n / 2) / n);
    }
  }
  g_free(acc);
  return out;
}

GBytes *swell_image_thumbnail(const SwellRgbImage *img, int max_side, SwellThumbnailFormat format,
                              GError **error) {
  g_return_val_if_fail(img != NULL && max_side > 0, NULL);
  int w = img->width, h = img->height;
  g_autoptr(SwellRgbImage) small = NULL;
  const SwellRgbImage *src = img;
  if (MAX(w, h) > max_side) {
    int nw, nh;
    if (w >= h) {
      nw = max_side;
      nh = MAX(1, (int)lround((double)h * max_side / w));
    } else {
      nh = max_side;
      nw = MAX(1, (int)lround((double)w * max_side / h));
    }
    /* Box-reduce first while the image is over twice the target, then the
     * antialiased bilinear resize: nearly the quality, a fraction of the cost. */
    int f = MIN(w / nw, h / nh) / 2;
    g_autoptr(SwellRgbImage) reduced = f >= 2 ? box_reduce(img, f) : NULL;
    small = swell_rgb_image_resize(reduced ? reduced : img, nw, nh);
    if (!small) {
      g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_FAILED,
                  _("not enough memory for a thumbnail"));
      return NULL;
    }
    src = small;
  }
  g_autoptr(GdkPixbuf) pb =
      gdk_pixbuf_new_from_data(src->pixels, GDK_COLORSPACE_RGB, FALSE, 8, src->width, src->height,
                               src->width * 3, NULL, NULL);
  gchar *buf = NULL;
  gsize len = 0;
  g_autoptr(GError) perr = NULL;
  gboolean ok = format == SWELL_THUMBNAIL_JPEG
                    ? gdk_pixbuf_save_to_buffer(pb, &buf, &len, "jpeg", &perr, "quality", "85", NULL)
                    : gdk_pixbuf_save_to_buffer(pb, &buf, &len, "png", &perr, NULL);
  if (!ok) {
    g_set_error(error, SWELL_IMAGE_ERROR, SWELL_IMAGE_ERROR_FAILED,
                _("cannot encode the thumbnail (%s)"), perr ? perr->message : "unknown error");
    return NULL;
  }
  return g_bytes_new_take(buf, len);
}

gboolean swell_image_is_own_thumbnail(GBytes *bytes, int max_side) {
  SwellImageInfo info;
  if (!swell_image_probe_bytes(bytes, NULL, &info, NULL) || info.width > max_side ||
      info.height > max_side || (strcmp(info.format, "jpeg") != 0 && strcmp(info.format, "png") != 0))
    return FALSE;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new();
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(bytes, &n);
  gboolean ok = gdk_pixbuf_loader_write(loader, d, n, NULL);
  ok = gdk_pixbuf_loader_close(loader, NULL) && ok;
  GdkPixbuf *pb = ok ? gdk_pixbuf_loader_get_pixbuf(loader) : NULL;
  if (!pb || gdk_pixbuf_get_has_alpha(pb)) return FALSE;
  const char *orientation = gdk_pixbuf_get_option(pb, "orientation");
  return !orientation || strcmp(orientation, "1") == 0;
}
