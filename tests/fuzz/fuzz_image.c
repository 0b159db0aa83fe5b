/* fuzz_image.c: the import path for one image file (app/swell-import.c's
 * process_job): probe the header, decode the whole image, make the JPEG
 * thumbnail the project stores.
 *
 * Every step either succeeds or fails with a message that starts with the
 * file's name. What the probe reports must agree with the decode (the same
 * pixel count; the sides may swap when an EXIF orientation rotates), and the
 * thumbnail must be a non-empty JPEG. */
#include <string.h>

#include "fuzz.h"
#include "swell-image.h"
#include "swell-project.h"

#define NAME "fuzz.img"

static void check_message(const GError *err, const char *step) {
  FUZZ_CHECK(err != NULL && err->message != NULL, "%s failed without an error", step);
  FUZZ_CHECK(g_str_has_prefix(err->message, NAME ": "), "%s: message without the name: %s", step,
             err->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_autoptr(GBytes) bytes = g_bytes_new(data, size);
  g_autoptr(GError) err = NULL;
  SwellImageInfo info;
  if (!swell_image_probe_bytes(bytes, NAME, &info, &err)) {
    check_message(err, "probe");
    return 0;
  }
  FUZZ_CHECK(info.width > 0 && info.height > 0, "probe gave %dx%d", info.width, info.height);
  FUZZ_CHECK((gint64)info.width * info.height <= SWELL_IMAGE_MAX_PIXELS, "probe passed %dx%d",
             info.width, info.height);
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(bytes, NAME, &err);
  if (!img) {
    check_message(err, "decode");
    return 0;
  }
  FUZZ_CHECK((gint64)img->width * img->height == (gint64)info.width * info.height,
             "%s: probed %dx%d, decoded %dx%d", info.format, info.width, info.height, img->width,
             img->height);
  g_autoptr(GBytes) thumb = swell_image_thumbnail(img, SWELL_THUMBNAIL_SIZE, SWELL_THUMBNAIL_JPEG, &err);
  FUZZ_CHECK(thumb != NULL, "no thumbnail for a decoded %dx%d image: %s", img->width, img->height,
             err ? err->message : "(no error)");
  gsize n;
  const guint8 *t = g_bytes_get_data(thumb, &n);
  FUZZ_CHECK(n > 3 && t[0] == 0xFF && t[1] == 0xD8, "the thumbnail is not a JPEG");
  return 0;
}
