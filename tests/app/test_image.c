/* test_image.c: the decoder on good and bad input (issue 3, item 8, at the
 * decoder level), probing, the PIL-style resize and thumbnails.
 *
 * Images are made here with GdkPixbuf or by hand (crafted PNG/GIF headers),
 * except the store's fixtures in tests/fixtures/images (written by
 * tests/golden/make_store_images.py), read here: gray.jpg, cmyk.jpg,
 * exif_rot6.jpg, anim.gif, rgba16.png; and partial_frame.gif, made with
 *   convert -size 10x8 xc:red -repage 30x20+4+6 \( -size 30x20 xc:blue \
 *     -repage 30x20+0+0 \) -loop 0 -delay 10 partial_frame.gif */
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swell-image.h"
#include "testutil.h"

static char *tmpdir;

static char *tmp_path(const char *name) { return g_build_filename(tmpdir, name, NULL); }

static void write_file(const char *name, const void *data, gsize len) {
  g_autofree char *p = tmp_path(name);
  g_autoptr(GError) e = NULL;
  if (!g_file_set_contents(p, data, (gssize)len, &e)) {
    fprintf(stderr, "cannot write %s: %s\n", p, e->message);
    exit(1);
  }
}

/* A w x h test pattern: red/green gradients, blue = 60. */
static GdkPixbuf *pattern(int w, int h, gboolean alpha) {
  GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, alpha, 8, w, h);
  int n = gdk_pixbuf_get_n_channels(pb), rs = gdk_pixbuf_get_rowstride(pb);
  guint8 *px = gdk_pixbuf_get_pixels(pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint8 *p = px + y * rs + x * n;
      p[0] = (guint8)(x * 255 / MAX(w - 1, 1));
      p[1] = (guint8)(y * 255 / MAX(h - 1, 1));
      p[2] = 60;
      if (alpha) p[3] = 255;
    }
  return pb;
}

static GBytes *encode(GdkPixbuf *pb, const char *type) {
  gchar *buf = NULL;
  gsize len = 0;
  g_autoptr(GError) e = NULL;
  gboolean ok = strcmp(type, "jpeg") == 0
                    ? gdk_pixbuf_save_to_buffer(pb, &buf, &len, type, &e, "quality", "95", NULL)
                    : gdk_pixbuf_save_to_buffer(pb, &buf, &len, type, &e, NULL);
  if (!ok) {
    fprintf(stderr, "cannot encode %s: %s\n", type, e->message);
    exit(1);
  }
  return g_bytes_new_take(buf, len);
}

static SwellRgbImage *decode_tmp(const char *name, GError **error) {
  g_autofree char *p = tmp_path(name);
  return swell_image_decode_file(p, error);
}

/* Expects failure with `code` and a message "<tmpdir>/<name>: <reason...>". */
static void expect_error(const char *name, int code, const char *reason) {
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = decode_tmp(name, &e);
  g_autofree char *p = tmp_path(name);
  g_autofree char *prefix = g_strdup_printf("%s: %s", p, reason);
  gboolean ok = img == NULL && e && e->domain == SWELL_IMAGE_ERROR && e->code == code &&
                g_str_has_prefix(e->message, prefix);
  printf("%s %s -> %s\n", ok ? "ok  " : "FAIL", name, e ? e->message : "decoded (no error)");
  CHECK(ok, "%s: want code %d and message starting \"%s\"", name, code, prefix);
}

static void px_at(const SwellRgbImage *img, int x, int y, int out[3]) {
  const guint8 *p = img->pixels + ((gsize)y * img->width + x) * 3;
  for (int c = 0; c < 3; c++) out[c] = p[c];
}

static gboolean near(const int got[3], int r, int g, int b, int tol) {
  return abs(got[0] - r) <= tol && abs(got[1] - g) <= tol && abs(got[2] - b) <= tol;
}

static void test_good_formats(void) {
  g_autoptr(GdkPixbuf) pb = pattern(64, 48, FALSE);
  /* Lossless formats decode to the exact pixels whatever the file is called. */
  const char *types[] = {"png", "bmp", "tiff"};
  const char *names[] = {"png_named.jpg", "bmp_named.png", "tiff_named.gif"};
  for (int i = 0; i < 3; i++) {
    g_autoptr(GBytes) b = encode(pb, types[i]);
    write_file(names[i], g_bytes_get_data(b, NULL), g_bytes_get_size(b));
    g_autoptr(GError) e = NULL;
    g_autoptr(SwellRgbImage) img = decode_tmp(names[i], &e);
    CHECK(img != NULL, "%s: %s", names[i], e ? e->message : "");
    if (!img) continue;
    int diff = 0;
    const guint8 *src = gdk_pixbuf_read_pixels(pb);
    int rs = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < 48; y++)
      for (int x = 0; x < 64 * 3; x++) diff += img->pixels[y * 64 * 3 + x] != src[y * rs + x];
    printf("%s %s (%s content) decodes to the exact pixels (%d differ)\n", diff ? "FAIL" : "ok  ", names[i],
           types[i], diff);
    CHECK(img->width == 64 && img->height == 48 && diff == 0, "%s", names[i]);
    SwellImageInfo info;
    g_clear_error(&e);
    CHECK(swell_image_probe_bytes(b, names[i], &info, &e), "probe %s", names[i]);
    CHECK(strcmp(info.format, types[i]) == 0 && info.width == 64 && info.height == 48,
          "probe %s says %s %dx%d", names[i], info.format, info.width, info.height);
  }
  /* WebP (lossy) named .png: judged by content. */
  g_autoptr(GBytes) wb = encode(pb, "webp");
  g_autoptr(GError) we = NULL;
  g_autoptr(SwellRgbImage) wimg = swell_image_decode_bytes(wb, "webp_named.png", &we);
  SwellImageInfo winfo = {0};
  gboolean wprobe = swell_image_probe_bytes(wb, "webp_named.png", &winfo, NULL);
  int wp[3] = {0, 0, 0};
  if (wimg) px_at(wimg, 63, 47, wp);
  gboolean wok = wimg && wimg->width == 64 && wimg->height == 48 && wprobe && strcmp(winfo.format, "webp") == 0 &&
                 near(wp, 255, 255, 60, 16);
  printf("%s webp_named.png (webp content): %s, corner %d,%d,%d\n", wok ? "ok  " : "FAIL", winfo.format, wp[0], wp[1],
         wp[2]);
  CHECK(wok, "webp: %s", we ? we->message : "wrong pixels or probe");
  /* ... and the same WebP cut short. */
  g_autoptr(GBytes) wcut = g_bytes_new_from_bytes(wb, 0, g_bytes_get_size(wb) * 2 / 3);
  g_clear_error(&we);
  g_autoptr(SwellRgbImage) wbad = swell_image_decode_bytes(wcut, "cut.webp", &we);
  CHECK(wbad == NULL && we && we->code == SWELL_IMAGE_ERROR_CORRUPT, "truncated webp accepted");
  printf("%s cut.webp -> %s\n", wbad == NULL ? "ok  " : "FAIL", we ? we->message : "decoded");

  /* JPEG: lossy, close to the source. */
  g_autoptr(GBytes) jb = encode(pb, "jpeg");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(jb, "pattern.jpg", &e);
  CHECK(img && img->width == 64 && img->height == 48, "jpeg: %s", e ? e->message : "");
  if (img) {
    int p[3];
    px_at(img, 63, 47, p);
    CHECK(near(p, 255, 255, 60, 12), "jpeg corner %d,%d,%d", p[0], p[1], p[2]);
  }
}

static void test_bad_files(void) {
  const char *text = "These are my notes, not a photo.\n";
  write_file("notes.jpg", text, strlen(text));
  expect_error("notes.jpg", SWELL_IMAGE_ERROR_UNKNOWN_FORMAT, "not an image (unrecognised format)");

  write_file("empty.jpg", "", 0);
  expect_error("empty.jpg", SWELL_IMAGE_ERROR_EMPTY, "empty file (0 bytes)");

  /* Truncated JPEG: the first 60% of a real one. */
  g_autoptr(GdkPixbuf) pb = pattern(200, 150, FALSE);
  g_autoptr(GBytes) jb = encode(pb, "jpeg");
  gsize jl = g_bytes_get_size(jb);
  write_file("cut.jpg", g_bytes_get_data(jb, NULL), jl * 6 / 10);
  expect_error("cut.jpg", SWELL_IMAGE_ERROR_CORRUPT, "truncated or corrupt image data");
  /* ... and cut just before the end-of-image marker. */
  write_file("cut_end.jpg", g_bytes_get_data(jb, NULL), jl - 2);
  expect_error("cut_end.jpg", SWELL_IMAGE_ERROR_CORRUPT, "truncated or corrupt image data");

  /* Truncated PNG (the loader itself returns a half-grey image for this). */
  g_autoptr(GBytes) pngb = encode(pb, "png");
  write_file("cut.png", g_bytes_get_data(pngb, NULL), g_bytes_get_size(pngb) * 7 / 10);
  expect_error("cut.png", SWELL_IMAGE_ERROR_CORRUPT, "truncated or corrupt image data");

  /* Garbage after a valid JPEG header. */
  GByteArray *junk = g_byte_array_new();
  g_byte_array_append(junk, g_bytes_get_data(jb, NULL), 200);
  for (int i = 0; i < 3000; i++) {
    guint8 v = (guint8)(i * 97 + 13);
    g_byte_array_append(junk, &v, 1);
  }
  write_file("garbage.jpg", junk->data, junk->len);
  g_byte_array_unref(junk);
  expect_error("garbage.jpg", SWELL_IMAGE_ERROR_CORRUPT, "truncated or corrupt image data");

  /* Unreadable: a missing file, a folder, and (when not root) a file with mode 000. */
  expect_error("missing.jpg", SWELL_IMAGE_ERROR_READ, "cannot read the file");
  g_autofree char *dir = tmp_path("folder.jpg");
  g_mkdir_with_parents(dir, 0755);
  expect_error("folder.jpg", SWELL_IMAGE_ERROR_READ, "cannot read the file");
  /* A FIFO named .jpg: refused at once, never waiting for a writer. */
  g_autofree char *fifo = tmp_path("pipe.jpg");
  g_unlink(fifo);
  if (mkfifo(fifo, 0644) == 0) expect_error("pipe.jpg", SWELL_IMAGE_ERROR_READ, "not a regular file");
  write_file("locked.jpg", g_bytes_get_data(jb, NULL), jl);
  g_autofree char *locked = tmp_path("locked.jpg");
  g_chmod(locked, 0);
  FILE *f = fopen(locked, "rb");
  if (f) {
    fclose(f);
    /* Root reads mode-000 files; /proc/self/mem opens but every read at
     * offset 0 fails (EIO): an unreadable file even for root. */
    g_autoptr(GError) e = NULL;
    g_autoptr(SwellRgbImage) img = swell_image_decode_file("/proc/self/mem", &e);
    gboolean ok = img == NULL && e && e->code == SWELL_IMAGE_ERROR_READ &&
                  g_str_has_prefix(e->message, "/proc/self/mem: cannot read the file (");
    printf("%s running as root (mode 000 does not stop reading): /proc/self/mem -> %s\n", ok ? "ok  " : "FAIL",
           e ? e->message : "decoded");
    CHECK(ok, "unreadable /proc/self/mem");
  } else {
    expect_error("locked.jpg", SWELL_IMAGE_ERROR_READ, "cannot read the file");
  }
  g_chmod(locked, 0644);
}

static guint32 crc32_of(const guint8 *d, gsize n, guint32 crc) {
  crc = ~crc;
  for (gsize i = 0; i < n; i++) {
    crc ^= d[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static void put_be32(GByteArray *a, guint32 v) {
  guint8 b[4] = {v >> 24, v >> 16, v >> 8, v};
  g_byte_array_append(a, b, 4);
}

static void png_chunk(GByteArray *a, const char *type, const guint8 *data, guint32 len) {
  put_be32(a, len);
  guint start = a->len;
  g_byte_array_append(a, (const guint8 *)type, 4);
  if (len) g_byte_array_append(a, data, len);
  put_be32(a, crc32_of(a->data + start, len + 4, 0));
}

static void test_too_large(void) {
  /* A valid PNG header claiming 30000x30000 RGB, a tiny (stored, zlib) IDAT. */
  GByteArray *a = g_byte_array_new();
  const guint8 sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  g_byte_array_append(a, sig, 8);
  guint8 ihdr[13] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0};
  png_chunk(a, "IHDR", ihdr, 13);
  const guint8 idat[] = {0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01};
  png_chunk(a, "IDAT", idat, sizeof idat);
  png_chunk(a, "IEND", NULL, 0);
  write_file("big.png", a->data, a->len);
  g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(a);

  gint64 t0 = g_get_monotonic_time();
  expect_error("big.png", SWELL_IMAGE_ERROR_TOO_LARGE,
               "30000x30000 is too large (900 megapixels; the limit is 100)");
  double ms = (g_get_monotonic_time() - t0) / 1000.0;
  printf("%s rejected from the header in %.1f ms\n", ms < 500 ? "ok  " : "FAIL", ms);
  CHECK(ms < 500, "rejecting big.png took %.0f ms (pixels decoded?)", ms);

  SwellImageInfo info;
  g_autoptr(GError) e = NULL;
  CHECK(!swell_image_probe_bytes(bytes, "big.png", &info, &e) && e &&
            e->code == SWELL_IMAGE_ERROR_TOO_LARGE,
        "probe of big.png did not fail as too large");

  /* Just over the limit (10001 x 10000), and just under (10000 x 10000) by probe. */
  a = g_byte_array_new();
  g_byte_array_append(a, sig, 8);
  guint8 ihdr2[13] = {0, 0, 0x27, 0x11, 0, 0, 0x27, 0x10, 8, 2, 0, 0, 0};
  png_chunk(a, "IHDR", ihdr2, 13);
  png_chunk(a, "IDAT", idat, sizeof idat);
  png_chunk(a, "IEND", NULL, 0);
  g_autoptr(GBytes) over = g_byte_array_free_to_bytes(a);
  g_clear_error(&e);
  CHECK(!swell_image_probe_bytes(over, "over.png", &info, &e) && e && e->code == SWELL_IMAGE_ERROR_TOO_LARGE,
        "10001x10000 not rejected");
  a = g_byte_array_new();
  g_byte_array_append(a, sig, 8);
  guint8 ihdr3[13] = {0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10, 8, 2, 0, 0, 0};
  png_chunk(a, "IHDR", ihdr3, 13);
  png_chunk(a, "IDAT", idat, sizeof idat);
  png_chunk(a, "IEND", NULL, 0);
  g_autoptr(GBytes) at = g_byte_array_free_to_bytes(a);
  g_clear_error(&e);
  gboolean ok = swell_image_probe_bytes(at, "limit.png", &info, &e);
  CHECK(ok && info.width == 10000 && info.height == 10000 && strcmp(info.format, "png") == 0,
        "probe of 10000x10000 header: %s", e ? e->message : "wrong info");
  printf("%s limit: 10001x10000 rejected, 10000x10000 accepted by the header check\n",
         ok ? "ok  " : "FAIL");

  /* A GIF whose screen and frame claim 20000 x 20000. */
  const guint8 gif[] = {'G', 'I', 'F', '8', '9', 'a', 0x20, 0x4E, 0x20, 0x4E, 0x80, 0, 0,
                        0, 0, 0, 255, 255, 255, /* 2-colour global table */
                        0x2C, 0, 0, 0, 0, 0x20, 0x4E, 0x20, 0x4E, 0, /* image descriptor */
                        2, 2, 0x44, 0x01, 0, 0x3B};
  write_file("big.gif", gif, sizeof gif);
  expect_error("big.gif", SWELL_IMAGE_ERROR_TOO_LARGE, "20000x20000 is too large (400 megapixels");
}

static char *fixture(const char *name) {
  g_autofree char *rel = g_build_filename("images", name, NULL);
  return sw_test_fixture_path(rel);
}

static void test_store_fixtures(void) {
  g_autoptr(GError) e = NULL;
  int p[3];

  char *path = fixture("gray.jpg");
  g_autoptr(SwellRgbImage) gray = swell_image_decode_file(path, &e);
  free(path);
  CHECK(gray != NULL, "gray.jpg: %s", e ? e->message : "");
  if (gray) {
    int a[3], b[3];
    px_at(gray, 2, gray->height / 2, a);
    px_at(gray, gray->width - 3, gray->height / 2, b);
    gboolean ok = a[0] == a[1] && a[1] == a[2] && b[0] == b[1] && b[1] == b[2] && a[0] < 20 && b[0] > 235;
    printf("%s grayscale JPEG -> RGB with R=G=B: left %d, right %d\n", ok ? "ok  " : "FAIL", a[0], b[0]);
    CHECK(ok, "grayscale: left %d,%d,%d right %d,%d,%d", a[0], a[1], a[2], b[0], b[1], b[2]);
  }

  g_clear_error(&e);
  path = fixture("cmyk.jpg");
  g_autoptr(SwellRgbImage) cmyk = swell_image_decode_file(path, &e);
  free(path);
  CHECK(cmyk != NULL, "cmyk.jpg: %s", e ? e->message : "");
  if (cmyk) {
    px_at(cmyk, cmyk->width / 2, cmyk->height / 2, p);
    printf("%s CMYK JPEG of pure red -> %d,%d,%d\n", near(p, 255, 0, 0, 20) ? "ok  " : "FAIL", p[0], p[1], p[2]);
    CHECK(near(p, 255, 0, 0, 20), "cmyk decoded to %d,%d,%d", p[0], p[1], p[2]);
  }

  g_clear_error(&e);
  path = fixture("exif_rot6.jpg");
  g_autoptr(SwellRgbImage) rot = swell_image_decode_file(path, &e);
  free(path);
  CHECK(rot != NULL, "exif_rot6.jpg: %s", e ? e->message : "");
  if (rot) {
    /* Stored 64x32 with the left half red; orientation 6 = rotate 90 degrees
     * clockwise: displayed 32x64 with the red half on top. */
    int top[3], bottom[3];
    px_at(rot, rot->width / 2, rot->height / 4, top);
    px_at(rot, rot->width / 2, rot->height * 3 / 4, bottom);
    gboolean ok = rot->width == 32 && rot->height == 64 && near(top, 255, 0, 0, 30) && near(bottom, 0, 0, 255, 30);
    printf("%s EXIF orientation 6 applied: %dx%d, top %d,%d,%d, bottom %d,%d,%d\n", ok ? "ok  " : "FAIL",
           rot->width, rot->height, top[0], top[1], top[2], bottom[0], bottom[1], bottom[2]);
    CHECK(ok, "EXIF rotation not applied");
  }

  g_clear_error(&e);
  path = fixture("anim.gif");
  g_autoptr(SwellRgbImage) gif = swell_image_decode_file(path, &e);
  free(path);
  CHECK(gif != NULL, "anim.gif: %s", e ? e->message : "");
  if (gif) {
    px_at(gif, gif->width / 2, gif->height / 2, p);
    printf("%s animated GIF -> first frame (red): %d,%d,%d\n", near(p, 255, 0, 0, 0) ? "ok  " : "FAIL", p[0], p[1],
           p[2]);
    CHECK(near(p, 255, 0, 0, 0), "anim.gif first frame is %d,%d,%d", p[0], p[1], p[2]);
  }

  /* A GIF whose first frame covers part of the canvas (committed fixture,
   * made with ImageMagick: 10x8 red at +4+6 on 30x20, then a blue frame). */
  g_clear_error(&e);
  path = fixture("partial_frame.gif");
  g_autoptr(SwellRgbImage) pf = swell_image_decode_file(path, &e);
  free(path);
  CHECK(pf != NULL, "partial_frame.gif: %s", e ? e->message : "");
  if (pf) {
    int in[3];
    px_at(pf, 8, 9, in);
    px_at(pf, 0, 0, p);
    gboolean ok = pf->width == 30 && pf->height == 20 && near(in, 255, 0, 0, 0) && !near(p, 0, 0, 255, 60);
    printf("%s GIF with a partial first frame: %dx%d, inside %d,%d,%d, outside %d,%d,%d (not the blue frame 2)\n",
           ok ? "ok  " : "FAIL", pf->width, pf->height, in[0], in[1], in[2], p[0], p[1], p[2]);
    CHECK(ok, "partial-frame GIF");
  }

  g_clear_error(&e);
  path = fixture("rgba16.png");
  g_autoptr(SwellRgbImage) rgba = swell_image_decode_file(path, &e);
  free(path);
  CHECK(rgba != NULL, "rgba16.png: %s", e ? e->message : "");
  if (rgba) {
    int l[3], r[3];
    px_at(rgba, 2, 5, l);
    px_at(rgba, rgba->width - 3, 5, r);
    gboolean ok = near(l, 0, 255, 0, 0) && near(r, 255, 255, 255, 0);
    printf("%s 16-bit RGBA PNG: opaque green %d,%d,%d, transparent -> white %d,%d,%d\n", ok ? "ok  " : "FAIL",
           l[0], l[1], l[2], r[0], r[1], r[2]);
    CHECK(ok, "16-bit RGBA decoded wrong");
  }
}

static void test_alpha(void) {
  /* Alpha composited onto white: out = (a*c + (255-a)*255 + 127) / 255. */
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, 3, 1);
  guint8 *px = gdk_pixbuf_get_pixels(pb);
  const guint8 vals[3][4] = {{0, 0, 0, 0}, {0, 0, 0, 255}, {0, 100, 200, 128}};
  memcpy(px, vals, sizeof vals);
  g_autoptr(GBytes) b = encode(pb, "png");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(b, "alpha.png", &e);
  CHECK(img != NULL, "alpha.png: %s", e ? e->message : "");
  if (!img) return;
  int p0[3], p1[3], p2[3];
  px_at(img, 0, 0, p0);
  px_at(img, 1, 0, p1);
  px_at(img, 2, 0, p2);
  int w1 = (128 * 100 + 127 * 255 + 127) / 255, w2 = (128 * 200 + 127 * 255 + 127) / 255;
  gboolean ok = near(p0, 255, 255, 255, 0) && near(p1, 0, 0, 0, 0) && near(p2, 127, w1, w2, 0);
  printf("%s alpha on white: transparent %d,%d,%d, opaque black %d,%d,%d, half %d,%d,%d (want 127,%d,%d)\n",
         ok ? "ok  " : "FAIL", p0[0], p0[1], p0[2], p1[0], p1[1], p1[2], p2[0], p2[1], p2[2], w1, w2);
  CHECK(ok, "alpha compositing");
}

static void test_exif_crafted(void) {
  /* A JPEG with an EXIF APP1 (orientation 8 = rotate 90 degrees counter-
   * clockwise) spliced in after SOI: the left half (red) goes to the bottom. */
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 40, 20);
  gdk_pixbuf_fill(pb, 0x0000FFFF);
  g_autoptr(GdkPixbuf) left = gdk_pixbuf_new_subpixbuf(pb, 0, 0, 20, 20);
  gdk_pixbuf_fill(left, 0xFF0000FF);
  g_autoptr(GBytes) jb = encode(pb, "jpeg");
  const guint8 app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 0x2A, 0, 0, 0, 8,
                         0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0};
  GByteArray *a = g_byte_array_new();
  const guint8 *d = g_bytes_get_data(jb, NULL);
  g_byte_array_append(a, d, 2);
  g_byte_array_append(a, app1, sizeof app1);
  g_byte_array_append(a, d + 2, g_bytes_get_size(jb) - 2);
  g_autoptr(GBytes) rb = g_byte_array_free_to_bytes(a);
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(rb, "rot8.jpg", &e);
  CHECK(img != NULL, "rot8.jpg: %s", e ? e->message : "");
  if (!img) return;
  int top[3], bottom[3];
  px_at(img, img->width / 2, img->height / 4, top);
  px_at(img, img->width / 2, img->height * 3 / 4, bottom);
  gboolean ok = img->width == 20 && img->height == 40 && near(top, 0, 0, 255, 30) && near(bottom, 255, 0, 0, 30);
  printf("%s EXIF orientation 8 applied: %dx%d, top %d,%d,%d, bottom %d,%d,%d\n", ok ? "ok  " : "FAIL", img->width,
         img->height, top[0], top[1], top[2], bottom[0], bottom[1], bottom[2]);
  CHECK(ok, "crafted EXIF orientation 8 not applied");
}

static void test_resize_and_thumbnail(void) {
  g_autoptr(GdkPixbuf) pb = pattern(600, 300, FALSE);
  g_autoptr(GBytes) b = encode(pb, "png");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(b, "big.png", &e);
  CHECK(img != NULL, "decode");
  if (!img) return;
  g_autoptr(SwellRgbImage) s = swell_rgb_image_resize_short_side(img, 100);
  CHECK(s && s->width == 200 && s->height == 100, "short side resize to %dx%d", s ? s->width : 0,
        s ? s->height : 0);
  for (int f = 0; f < 2; f++) {
    g_clear_error(&e);
    g_autoptr(GBytes) t = swell_image_thumbnail(img, 256, f ? SWELL_THUMBNAIL_JPEG : SWELL_THUMBNAIL_PNG, &e);
    CHECK(t != NULL, "thumbnail: %s", e ? e->message : "");
    if (!t) continue;
    SwellImageInfo info;
    CHECK(swell_image_probe_bytes(t, "thumb", &info, NULL), "thumbnail does not probe");
    gboolean ok = info.width == 256 && info.height == 128 && strcmp(info.format, f ? "jpeg" : "png") == 0;
    printf("%s thumbnail %s of 600x300 at 256: %s %dx%d, %zu bytes\n", ok ? "ok  " : "FAIL", f ? "JPEG" : "PNG",
           info.format, info.width, info.height, g_bytes_get_size(t));
    CHECK(ok, "thumbnail");
  }
  /* A large reduction (box pre-reduction + resize) keeps colours and layout:
   * 1200x600, left half red, right half blue -> 256x128 JPEG. */
  g_autoptr(SwellRgbImage) halves = swell_rgb_image_new(1200, 600);
  for (int y = 0; y < 600; y++)
    for (int x = 0; x < 1200; x++) {
      guint8 *q = halves->pixels + ((gsize)y * 1200 + x) * 3;
      q[0] = x < 600 ? 230 : 0;
      q[2] = x < 600 ? 0 : 230;
    }
  g_autoptr(GBytes) ht = swell_image_thumbnail(halves, 256, SWELL_THUMBNAIL_PNG, NULL);
  g_autoptr(SwellRgbImage) hd = ht ? swell_image_decode_bytes(ht, "halves-thumb.png", NULL) : NULL;
  CHECK(hd && hd->width == 256 && hd->height == 128, "halves thumbnail size");
  if (hd) {
    int l[3], r[3], m[3];
    px_at(hd, 10, 64, l);
    px_at(hd, 245, 64, r);
    px_at(hd, 127, 64, m);
    gboolean ok = near(l, 230, 0, 0, 0) && near(r, 0, 0, 230, 0) && m[0] > 150 && m[2] < 80;
    printf("%s thumbnail 1200x600 -> 256x128 keeps colours: left %d,%d,%d right %d,%d,%d\n", ok ? "ok  " : "FAIL",
           l[0], l[1], l[2], r[0], r[1], r[2]);
    CHECK(ok, "halves thumbnail colours");
  }
  /* Small images are not upscaled. */
  g_autoptr(SwellRgbImage) tiny = swell_rgb_image_new(30, 70);
  g_autoptr(GBytes) t = swell_image_thumbnail(tiny, 256, SWELL_THUMBNAIL_PNG, NULL);
  SwellImageInfo info = {0};
  CHECK(t && swell_image_probe_bytes(t, "tiny", &info, NULL) && info.width == 30 && info.height == 70,
        "small thumbnail was resized to %dx%d", info.width, info.height);
}

static void test_resize_region(void) {
  /* A region of a resize equals the same region cut from the whole resize,
   * bit for bit, shrinking and enlarging. */
  g_autoptr(SwellRgbImage) img = swell_rgb_image_new(97, 61);
  for (int i = 0; i < 97 * 61 * 3; i++) img->pixels[i] = (guint8)((i * 7919) % 251);
  const int cases[][6] = {{40, 25, 3, 5, 20, 11}, {300, 190, 100, 7, 50, 60}, {97, 30, 10, 0, 40, 30},
                          {50, 61, 0, 20, 50, 9}, {13, 200, 5, 150, 8, 50}};
  int bad = 0;
  for (int c = 0; c < 5; c++) {
    const int *k = cases[c];
    g_autoptr(SwellRgbImage) full = swell_rgb_image_resize(img, k[0], k[1]);
    g_autoptr(SwellRgbImage) part = swell_rgb_image_resize_region(img, k[0], k[1], k[2], k[3], k[4], k[5]);
    for (int y = 0; y < k[5]; y++)
      bad += memcmp(part->pixels + (gsize)y * k[4] * 3,
                    full->pixels + ((gsize)(y + k[3]) * k[0] + k[2]) * 3, (gsize)k[4] * 3) != 0;
  }
  CHECK(swell_rgb_image_resize_region(img, 40, 25, 30, 0, 20, 5) == NULL, "region outside accepted");
  printf("%s resize regions equal the regions of whole resizes (%d rows differ)\n", bad ? "FAIL" : "ok  ", bad);
  CHECK(bad == 0, "%d region rows differ", bad);
}

static void test_reduced_decode(void) {
  /* 2000x1200 JPEG, at least 256 on the short side: libjpeg decodes at 1/4
   * (500x300), close to the full decode resized to the same size. */
  g_autoptr(GdkPixbuf) pb = pattern(2000, 1200, FALSE);
  g_autoptr(GBytes) jb = encode(pb, "jpeg");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) small = swell_image_decode_bytes_reduced(jb, "big.jpg", 256, &e);
  g_autoptr(SwellRgbImage) full = swell_image_decode_bytes(jb, "big.jpg", NULL);
  CHECK(small && full, "reduced decode: %s", e ? e->message : "");
  if (!small || !full) return;
  g_autoptr(SwellRgbImage) ref = swell_rgb_image_resize(full, small->width, small->height);
  double mad = 0;
  gsize n = (gsize)small->width * small->height * 3;
  for (gsize i = 0; i < n; i++) mad += abs((int)small->pixels[i] - (int)ref->pixels[i]);
  mad /= n;
  gboolean ok = small->width == 500 && small->height == 300 && mad < 2.0;
  printf("%s reduced JPEG decode (short side >= 256): %dx%d, mean |diff| vs full decode + resize %.2f\n",
         ok ? "ok  " : "FAIL", small->width, small->height, mad);
  CHECK(ok, "reduced decode");
  /* Still checked whole: a truncated file is refused at reduced scale too. */
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes(jb, 0, g_bytes_get_size(jb) * 6 / 10);
  g_clear_error(&e);
  g_autoptr(SwellRgbImage) bad = swell_image_decode_bytes_reduced(cut, "cut.jpg", 256, &e);
  CHECK(bad == NULL && e && e->code == SWELL_IMAGE_ERROR_CORRUPT, "truncated JPEG decoded at reduced scale");
  /* min_side above the image: full size. */
  g_autoptr(SwellRgbImage) same = swell_image_decode_bytes_reduced(jb, "big.jpg", 1000, NULL);
  CHECK(same && same->width == 2000 && same->height == 1200, "min_side 1000 should keep 2000x1200");
}

/* Mutated files (byte flips, cuts, spliced garbage) of every writable format:
 * each either decodes to a sane image or fails with a SWELL_IMAGE_ERROR
 * naming the file; never a crash or a critical. */
static void test_mutations(void) {
  g_autoptr(GdkPixbuf) pb = pattern(48, 40, FALSE);
  g_autoptr(GdkPixbuf) pba = pattern(30, 20, TRUE);
  const char *types[] = {"jpeg", "png", "bmp", "tiff", "webp", "ico"};
  GRand *rand = g_rand_new_with_seed(1234);
  int decoded = 0, refused = 0, bad = 0, total = 0;
  for (int t = 0; t < 6; t++) {
    g_autoptr(GBytes) orig = encode(t == 1 ? pba : pb, types[t]);
    gsize len = g_bytes_get_size(orig);
    const guint8 *src = g_bytes_get_data(orig, NULL);
    for (int m = 0; m < 120; m++) {
      GByteArray *a = g_byte_array_new();
      g_byte_array_append(a, src, (guint)len);
      int kind = m % 4;
      if (kind == 0 || kind == 3) {
        int flips = 1 + g_rand_int_range(rand, 0, 8);
        for (int f = 0; f < flips; f++) a->data[g_rand_int_range(rand, 0, (gint32)a->len)] ^= (guint8)g_rand_int_range(rand, 1, 256);
      }
      if (kind == 1 || kind == 3) g_byte_array_set_size(a, (guint)g_rand_int_range(rand, 1, (gint32)a->len));
      if (kind == 2) {
        guint at = (guint)g_rand_int_range(rand, 0, (gint32)a->len);
        guint8 junk[64];
        for (int j = 0; j < 64; j++) junk[j] = (guint8)g_rand_int_range(rand, 0, 256);
        GByteArray *spliced = g_byte_array_new();
        g_byte_array_append(spliced, a->data, at);
        g_byte_array_append(spliced, junk, 64);
        g_byte_array_append(spliced, a->data + at, a->len - at);
        g_byte_array_unref(a);
        a = spliced;
      }
      g_autoptr(GBytes) b = g_byte_array_free_to_bytes(a);
      g_autoptr(GError) e = NULL;
      g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(b, "mutant", &e);
      SwellImageInfo info;
      g_autoptr(GError) pe = NULL;
      gboolean probed = swell_image_probe_bytes(b, "mutant", &info, &pe);
      total++;
      if (img) {
        decoded++;
        bad += img->width <= 0 || img->height <= 0 || img->width > 4096 || img->height > 4096;
      } else {
        refused++;
        bad += !(e && e->domain == SWELL_IMAGE_ERROR && g_str_has_prefix(e->message, "mutant: "));
      }
      bad += !probed && !(pe && pe->domain == SWELL_IMAGE_ERROR);
    }
  }
  g_rand_free(rand);
  printf("%s %d mutated files: %d decoded, %d refused with a named reason, %d misbehaved\n", bad ? "FAIL" : "ok  ",
         total, decoded, refused, bad);
  CHECK(bad == 0, "%d mutated files misbehaved", bad);
}

/* VmSize or VmPeak of this process, KiB. */
static long vm_kib(const char *field) {
  g_autofree char *status = NULL;
  if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL)) return -1;
  const char *p = strstr(status, field);
  return p ? atol(p + strlen(field)) : -1;
}

/* Decodes and probes `data` in a child whose address space is capped at
 * 512 MB above its current size; the child exits 0 when both refuse the
 * bytes as truncated or corrupt and its peak address space grew by less
 * than 64 MB. */
static gboolean refused_within_bounds(const char *name, const guint8 *data, gsize n) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    long size = vm_kib("VmSize:"), peak0 = vm_kib("VmPeak:");
    struct rlimit rl = {.rlim_cur = (rlim_t)(size + 512 * 1024) * 1024,
                        .rlim_max = (rlim_t)(size + 512 * 1024) * 1024};
    setrlimit(RLIMIT_AS, &rl);
    g_autoptr(GBytes) b = g_bytes_new_static(data, n);
    g_autoptr(GError) e = NULL, pe = NULL;
    g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(b, name, &e);
    SwellImageInfo info;
    gboolean probed = swell_image_probe_bytes(b, name, &info, &pe);
    long grew = vm_kib("VmPeak:") - MAX(peak0, size);
    gboolean ok = !img && !probed && e && e->code == SWELL_IMAGE_ERROR_CORRUPT && pe &&
                  pe->code == SWELL_IMAGE_ERROR_CORRUPT &&
                  strstr(e->message, "truncated or corrupt") && grew < 64 * 1024;
    printf("%s %s -> %s; peak address space +%ld MB\n", ok ? "ok  " : "FAIL", name,
           e ? e->message : "decoded (no error)", grew / 1024);
    fflush(stdout);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Issue 14: header fields that declare huge sizes (a BMP info header of
 * 0xe2e2e2e2 bytes made the BMP loader reserve 3.8 GB) are refused before
 * any loader allocates for them. */
static void test_declared_sizes(void) {
  guint8 bmp[64] = {'B', 'M', 64, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 0xe2, 0xe2, 0xe2, 0xe2};
  CHECK(refused_within_bounds("huge_header.bmp", bmp, sizeof bmp), "huge BMP info header");
  guint8 bmp_off[64] = {'B', 'M', 64, 0, 0, 0, 0, 0, 0, 0xe2, 0xe2, 0xe2, 0x72, 40, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 24};
  CHECK(refused_within_bounds("huge_offset.bmp", bmp_off, sizeof bmp_off), "huge BMP data offset");
  guint8 ico[64] = {0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0xe2, 0xe2, 0xe2, 0x72, 0xe2, 0xe2, 0xe2, 0x72};
  CHECK(refused_within_bounds("huge_entry.ico", ico, sizeof ico), "huge ICO entry");
  /* A good BMP still decodes. */
  g_autoptr(GdkPixbuf) pb = pattern(20, 10, FALSE);
  g_autoptr(GBytes) good = encode(pb, "bmp");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(good, "good.bmp", &e);
  CHECK(img && img->width == 20 && img->height == 10, "good BMP: %s", e ? e->message : "wrong size");
}

/* Issue 14: a small JPEG or PNG is its own thumbnail (not re-encoded at full
 * size); a large one, one with alpha or with an EXIF rotation is not. */
static void test_own_thumbnail(void) {
  g_autoptr(GdkPixbuf) small = pattern(150, 150, FALSE);
  g_autoptr(GdkPixbuf) big = pattern(300, 150, FALSE);
  g_autoptr(GdkPixbuf) alpha = pattern(100, 100, TRUE);
  g_autoptr(GBytes) small_jpg = encode(small, "jpeg"), small_png = encode(small, "png");
  g_autoptr(GBytes) big_jpg = encode(big, "jpeg"), alpha_png = encode(alpha, "png");
  g_autoptr(GBytes) small_bmp = encode(small, "bmp");
  CHECK(swell_image_is_own_thumbnail(small_jpg, 256), "150x150 JPEG is not its own thumbnail");
  CHECK(swell_image_is_own_thumbnail(small_png, 256), "150x150 PNG is not its own thumbnail");
  CHECK(!swell_image_is_own_thumbnail(big_jpg, 256), "300x150 JPEG taken as a 256 thumbnail");
  CHECK(!swell_image_is_own_thumbnail(alpha_png, 256), "PNG with alpha taken as its own thumbnail");
  CHECK(!swell_image_is_own_thumbnail(small_bmp, 256), "BMP taken as its own thumbnail");
  g_autofree char *path = fixture("exif_rot6.jpg");
  g_autofree char *data = NULL;
  gsize n = 0;
  CHECK(g_file_get_contents(path, &data, &n, NULL), "cannot read %s", path);
  g_autoptr(GBytes) rot = g_bytes_new(data, n);
  CHECK(!swell_image_is_own_thumbnail(rot, 256), "EXIF-rotated JPEG taken as its own thumbnail");
  printf("ok   own thumbnails: small JPEG/PNG yes; large, alpha, BMP, EXIF-rotated no\n");
}

int main(void) {
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  tmpdir = g_build_filename(base, "test_image", NULL);
  g_mkdir_with_parents(tmpdir, 0755);
  test_good_formats();
  test_bad_files();
  test_too_large();
  test_store_fixtures();
  test_alpha();
  test_exif_crafted();
  test_resize_and_thumbnail();
  test_resize_region();
  test_reduced_decode();
  test_mutations();
  test_declared_sizes();
  test_own_thumbnail();
  g_free(tmpdir);
  return sw_test_finish();
}
