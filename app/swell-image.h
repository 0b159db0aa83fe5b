/* swell-image.h: decoding image bytes into 8-bit RGB with GdkPixbuf.
 *
 * Every decode goes through a GdkPixbufLoader fed with the bytes, so the
 * format is judged by content (never by the file name's extension). The
 * decoder:
 *  - rejects empty input, unrecognised formats, truncated or corrupt data
 *    (an image the loader could only partly decode is an error, not a
 *    half-grey picture);
 *  - rejects images over SWELL_IMAGE_MAX_PIXELS, judged from the header (the
 *    loader's size-prepared signal) before any pixel buffer is allocated;
 *  - applies the EXIF / TIFF orientation tag;
 *  - returns grayscale, CMYK, 16-bit and palette images as 8-bit RGB (the
 *    GdkPixbuf loaders do the conversions);
 *  - composites images with an alpha channel onto WHITE (out = a*c + (1-a)*255);
 *  - takes the first frame of animations (GIF, WebP, ANI).
 *
 * Errors are in SWELL_IMAGE_ERROR and read "<name>: <reason>", for example
 * "notes.jpg: not an image (unrecognised format)".
 *
 * All functions are thread-safe (no shared state besides GdkPixbuf's own
 * locked module table). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Images with more pixels than this (100 megapixels) are rejected. */
#define SWELL_IMAGE_MAX_PIXELS ((gint64)100 * 1000 * 1000)

#define SWELL_IMAGE_ERROR (swell_image_error_quark())
GQuark swell_image_error_quark(void);

typedef enum {
  SWELL_IMAGE_ERROR_READ,           /* the file could not be read (missing, permission) */
  SWELL_IMAGE_ERROR_EMPTY,          /* zero bytes */
  SWELL_IMAGE_ERROR_UNKNOWN_FORMAT, /* not an image GdkPixbuf recognises */
  SWELL_IMAGE_ERROR_TOO_LARGE,      /* over SWELL_IMAGE_MAX_PIXELS */
  SWELL_IMAGE_ERROR_CORRUPT,        /* truncated or corrupt image data */
  SWELL_IMAGE_ERROR_FAILED,         /* anything else (out of memory, encoder failure) */
} SwellImageError;

/* A tightly packed 8-bit RGB image: pixel (x, y) channel c is
 * pixels[(y * width + x) * 3 + c]. Create and free it with the functions
 * below (a decoded image may keep its pixels inside the decoder's buffer). */
typedef struct {
  int width;
  int height;
  guint8 *pixels;
  /*< private >*/
  gpointer owner; /* a GdkPixbuf holding `pixels`, or NULL when they are g_malloc'd */
} SwellRgbImage;

/* A new image with zeroed pixels, or NULL if width/height are not positive or
 * the allocation fails. */
SwellRgbImage *swell_rgb_image_new(int width, int height);
SwellRgbImage *swell_rgb_image_copy(const SwellRgbImage *img);
void swell_rgb_image_free(SwellRgbImage *img);
/* Bytes held by the image (struct + pixels), for cache accounting. */
gsize swell_rgb_image_size_bytes(const SwellRgbImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellRgbImage, swell_rgb_image_free)

/* Decodes `bytes`; `name` (a file name or any label) starts every error
 * message. Returns NULL and sets `error` on failure. */
SwellRgbImage *swell_image_decode_bytes(GBytes *bytes, const char *name, GError **error);
/* Like swell_image_decode_bytes(), but a large JPEG may be decoded at 1/2,
 * 1/4 or 1/8 scale (libjpeg's DCT scaling, several times faster) as long
 * as its short side stays >= min_side. The data is still checked whole.
 * min_side <= 0 decodes at full size. */
SwellRgbImage *swell_image_decode_bytes_reduced(GBytes *bytes, const char *name, int min_side,
                                                GError **error);
/* Reads and decodes a file; errors are named by `path` as given. */
SwellRgbImage *swell_image_decode_file(const char *path, GError **error);

/* What the header says, read without decoding the pixels. */
typedef struct {
  char format[32];  /* GdkPixbuf's format name: "jpeg", "png", "gif", "webp", "bmp", "tiff", ... */
  int width;        /* as stored, before the EXIF orientation is applied */
  int height;
} SwellImageInfo;

/* Identifies the format and dimensions cheaply (stops feeding the loader at
 * the header). Fails on empty input, unknown formats and images over the
 * pixel limit. It does NOT detect truncated pixel data: use
 * swell_image_decode_bytes() to validate a whole file. */
gboolean swell_image_probe_bytes(GBytes *bytes, const char *name, SwellImageInfo *info,
                                 GError **error);

/* Resamples to exactly (width, height) with a triangle (bilinear) filter
 * whose support widens with the shrink factor, as PIL's Image.resize(...,
 * BILINEAR) does (antialiased when shrinking), with PIL's 8-bit fixed-point
 * arithmetic: results match PIL/torchvision exactly. Returns NULL when the
 * target size is not positive. */
SwellRgbImage *swell_rgb_image_resize(const SwellRgbImage *img, int width, int height);
/* The part [x0, x0 + cw) x [y0, y0 + ch) of swell_rgb_image_resize(img,
 * width, height), bit for bit, computing (and allocating) only that part.
 * NULL when the region is not inside width x height. */
SwellRgbImage *swell_rgb_image_resize_region(const SwellRgbImage *img, int width, int height, int x0,
                                             int y0, int cw, int ch);
/* The size torchvision's Resize(short_side) gives a w x h image: the short
 * side becomes short_side, the long side floor(short_side * long / short). */
void swell_short_side_size(int w, int h, int short_side, int *out_w, int *out_h);
/* Resizes so the short side is `short_side` (swell_short_side_size). */
SwellRgbImage *swell_rgb_image_resize_short_side(const SwellRgbImage *img, int short_side);

typedef enum {
  SWELL_THUMBNAIL_PNG,
  SWELL_THUMBNAIL_JPEG, /* quality 85 */
} SwellThumbnailFormat;

/* TRUE when `bytes` can serve as their own thumbnail: a JPEG or PNG whose
 * sides fit in max_side, without alpha and without an EXIF rotation, so a
 * viewer that only decodes it shows what swell_image_thumbnail() would (a
 * re-encoding would only add to the project's size). */
gboolean swell_image_is_own_thumbnail(GBytes *bytes, int max_side);
/* A thumbnail whose longer side is at most `max_side` pixels (never upscaled;
 * the aspect ratio is kept, each side at least 1 px), encoded as PNG or JPEG. */
GBytes *swell_image_thumbnail(const SwellRgbImage *img, int max_side, SwellThumbnailFormat format,
                              GError **error);

G_END_DECLS
