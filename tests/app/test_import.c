/* test_import.c: importing files and folders (swell-import.h): bad input of
 * every kind made here, with the expected outcome and message for each; real
 * photos from $SWELL_SHARED/datasets with their folder layouts, labels and
 * splits; dedup; the automatic split; async import with progress on the main
 * loop; cancellation. */
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "swell-image.h"
#include "swell-import.h"
#include "swell-project.h"
#include "testutil.h"

static char *tmpdir;
static char *datasets;

static char *tmp_path(const char *name) {
  return g_build_filename(tmpdir, name, NULL);
}

static void write_file(const char *dir, const char *name, const void *data, gsize len) {
  g_autofree char *p = g_build_filename(dir, name, NULL);
  g_autoptr(GError) e = NULL;
  if (!g_file_set_contents(p, data, (gssize)len, &e)) {
    fprintf(stderr, "cannot write %s: %s\n", p, e->message);
    exit(1);
  }
}

static GBytes *read_bytes(const char *path) {
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL)) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  return g_bytes_new_take(data, len);
}

static void copy_fixture(const char *dir, const char *name, const char *as) {
  g_autofree char *src = sw_test_fixture_path(name);
  g_autoptr(GBytes) b = read_bytes(src);
  write_file(dir, as, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
  free(g_steal_pointer(&src));
}

static void png_chunk(GByteArray *out, const char *type, const guint8 *data, guint32 len) {
  guint8 be[4] = {len >> 24, len >> 16, len >> 8, len};
  g_byte_array_append(out, be, 4);
  g_byte_array_append(out, (const guint8 *)type, 4);
  if (len) g_byte_array_append(out, data, len);
  uLong crc = crc32(0, (const Bytef *)type, 4);
  if (len) crc = crc32(crc, data, len);
  guint8 c[4] = {crc >> 24, crc >> 16, crc >> 8, crc};
  g_byte_array_append(out, c, 4);
}

/* A valid PNG header announcing width x height RGB, with a tiny IDAT. */
static GByteArray *png_header(guint32 w, guint32 h) {
  GByteArray *out = g_byte_array_new();
  static const guint8 sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  g_byte_array_append(out, sig, 8);
  guint8 ihdr[13] = {w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h, 8, 2, 0, 0, 0};
  png_chunk(out, "IHDR", ihdr, 13);
  guint8 raw[64] = {0};
  guint8 comp[128];
  uLongf clen = sizeof comp;
  compress(comp, &clen, raw, sizeof raw);
  png_chunk(out, "IDAT", comp, (guint32)clen);
  png_chunk(out, "IEND", NULL, 0);
  return out;
}

static GBytes *pixbuf_bytes(int w, int h, guint32 rgba, const char *type) {
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  gdk_pixbuf_fill(pb, rgba);
  char *buf = NULL;
  gsize len = 0;
  g_autoptr(GError) e = NULL;
  if (!gdk_pixbuf_save_to_buffer(pb, &buf, &len, type, &e, NULL)) {
    fprintf(stderr, "cannot encode %s: %s\n", type, e->message);
    exit(1);
  }
  return g_bytes_new_take(buf, len);
}

static const SwellImportItem *find_item(const SwellImportResult *r, const char *basename) {
  for (guint i = 0; i < r->items->len; i++) {
    const SwellImportItem *it = r->items->pdata[i];
    g_autofree char *b = g_path_get_basename(it->path);
    if (strcmp(b, basename) == 0) return it;
  }
  return NULL;
}

static const char *outcome_name(SwellImportOutcome o) {
  return o == SWELL_IMPORT_IMPORTED ? "imported" : o == SWELL_IMPORT_DUPLICATE ? "duplicate" : "rejected";
}

static void expect(const SwellImportResult *r, const char *name, SwellImportOutcome outcome,
                   const char *message_part) {
  const SwellImportItem *it = find_item(r, name);
  CHECK(it != NULL, "%s: no result", name);
  if (!it) return;
  printf("%-9s %-16s %s\n", outcome_name(it->outcome), name, it->reason ? it->reason : "");
  CHECK(it->outcome == outcome, "%s: %s, expected %s (%s)", name, outcome_name(it->outcome),
        outcome_name(outcome), it->reason ? it->reason : "");
  if (message_part) {
    CHECK(it->reason && strstr(it->reason, message_part), "%s: message “%s” lacks “%s”", name,
          it->reason ? it->reason : "", message_part);
    /* every message names the file */
    CHECK(it->reason && g_str_has_prefix(it->reason, it->path), "%s: message does not start with the path: %s",
          name, it->reason ? it->reason : "");
  }
  CHECK((outcome == SWELL_IMPORT_REJECTED) == (it->image_id == 0), "%s: image id", name);
}

/* Decodes a thumbnail; pixel (x, y) as RGB. */
static SwellRgbImage *thumb_of(SwellProject *p, gint64 id) {
  g_autoptr(GError) e = NULL;
  g_autofree char *mime = NULL;
  g_autoptr(GBytes) t = swell_project_get_thumbnail(p, id, &mime, &e);
  CHECK(t != NULL, "thumbnail: %s", e ? e->message : "");
  if (!t) return NULL;
  CHECK(g_strcmp0(mime, "image/jpeg") == 0 || g_strcmp0(mime, "image/png") == 0, "mime %s", mime);
  SwellRgbImage *img = swell_image_decode_bytes(t, "thumbnail", &e);
  CHECK(img != NULL, "decode thumbnail: %s", e ? e->message : "");
  return img;
}

static const guint8 *px(const SwellRgbImage *img, int x, int y) {
  return img->pixels + ((gsize)y * img->width + x) * 3;
}

static SwellImportResult *import_one(SwellProject *p, const char *path, int split) {
  const char *paths[] = {path, NULL};
  SwellImportOptions o;
  swell_import_options_init(&o);
  o.split = split;
  g_autoptr(GError) e = NULL;
  SwellImportResult *r = swell_import_paths(p, paths, &o, NULL, NULL, NULL, &e);
  CHECK(r != NULL, "import %s: %s", path, e ? e->message : "");
  return r;
}

/* ------------------------------------------------------------- bad input */

/* Fills dir with bad input of every kind, and a few good files among it. */
static void make_bad_folder(const char *dir) {
  g_mkdir_with_parents(dir, 0755);
  const char *text = "Shopping list: eggs, milk, bread.\n";
  write_file(dir, "notes.jpg", text, strlen(text));
  {
    g_autofree char *cloudy = g_build_filename(datasets, "weather4_small", "train", "cloudy",
                                               "cloudy105.jpg", NULL);
    g_autoptr(GBytes) b = read_bytes(cloudy);
    write_file(dir, "truncated.jpg", g_bytes_get_data(b, NULL), g_bytes_get_size(b) * 6 / 10);
  }
  {
    g_autoptr(GBytes) png = pixbuf_bytes(30, 20, 0x20c040ff, "png");
    write_file(dir, "png_named.jpg", g_bytes_get_data(png, NULL), g_bytes_get_size(png));
    g_autoptr(GBytes) locked = pixbuf_bytes(24, 24, 0x8040c0ff, "png");
    write_file(dir, "locked.jpg", g_bytes_get_data(locked, NULL), g_bytes_get_size(locked));
  }
  g_autofree char *locked_path = g_build_filename(dir, "locked.jpg", NULL);
  g_chmod(locked_path, 0);
  copy_fixture(dir, "images/anim.gif", "anim.gif");
  copy_fixture(dir, "images/gray.jpg", "gray.jpg");
  copy_fixture(dir, "images/gray.jpg", "gray2.jpg"); /* same bytes, other name */
  copy_fixture(dir, "images/cmyk.jpg", "cmyk.jpg");
  copy_fixture(dir, "images/exif_rot6.jpg", "exif_rot6.jpg");
  copy_fixture(dir, "images/rgba16.png", "rgba16.png");
  copy_fixture(dir, "images/orange.webp", "orange.webp");
  copy_fixture(dir, "images/orange.bmp", "orange.bmp");
  copy_fixture(dir, "images/orange.tiff", "orange.tiff");
  write_file(dir, "empty.jpg", "", 0);
  g_autofree char *dangling = g_build_filename(dir, "dangling.jpg", NULL);
  CHECK(symlink("nowhere.jpg", dangling) == 0, "symlink");
  g_autofree char *fifo = g_build_filename(dir, "pipe.jpg", NULL);
  CHECK(mkfifo(fifo, 0644) == 0, "mkfifo");
  g_autofree char *subdir = g_build_filename(dir, "folder.jpg", NULL);
  g_mkdir(subdir, 0755); /* a folder named like an image: walked, empty */
  {
    g_autoptr(GByteArray) huge = png_header(30000, 30000);
    write_file(dir, "huge.png", huge->data, huge->len);
  }
}

/* The outcome and message of every file of make_bad_folder() but the orange ones. */
static void check_bad_outcomes(const SwellImportResult *r) {
  expect(r, "notes.jpg", SWELL_IMPORT_REJECTED, "not an image");
  expect(r, "truncated.jpg", SWELL_IMPORT_REJECTED, "truncated or corrupt");
  expect(r, "png_named.jpg", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "anim.gif", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "gray.jpg", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "gray2.jpg", SWELL_IMPORT_DUPLICATE, "same image as “gray.jpg”");
  expect(r, "cmyk.jpg", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "exif_rot6.jpg", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "rgba16.png", SWELL_IMPORT_IMPORTED, NULL);
  expect(r, "empty.jpg", SWELL_IMPORT_REJECTED, "empty file");
  expect(r, "dangling.jpg", SWELL_IMPORT_REJECTED, "broken symbolic link");
  expect(r, "pipe.jpg", SWELL_IMPORT_REJECTED, "not a regular file");
  expect(r, "huge.png", SWELL_IMPORT_REJECTED, "too large");
  if (geteuid() == 0) expect(r, "locked.jpg", SWELL_IMPORT_IMPORTED, NULL); /* root reads anything */
  else expect(r, "locked.jpg", SWELL_IMPORT_REJECTED, "Permission denied");
}

/* WebP, BMP and TIFF: imported with their format, size and an orange thumbnail. */
static void check_other_formats(SwellProject *p, const SwellImportResult *r) {
  g_autoptr(GError) e = NULL;
  const char *formats[][2] = {{"orange.webp", "webp"}, {"orange.bmp", "bmp"}, {"orange.tiff", "tiff"}};
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
    expect(r, formats[i][0], SWELL_IMPORT_IMPORTED, NULL);
    const SwellImportItem *fi = find_item(r, formats[i][0]);
    g_autoptr(SwellProjectImage) img = fi && fi->image_id ? swell_project_get_image(p, fi->image_id, &e) : NULL;
    CHECK(img && strcmp(img->format, formats[i][1]) == 0 && img->width == 16 && img->height == 12,
          "%s: format %s", formats[i][0], img ? img->format : "?");
    g_autoptr(SwellRgbImage) t = img ? thumb_of(p, img->id) : NULL;
    if (t) {
      const guint8 *c = px(t, t->width / 2, t->height / 2);
      CHECK(c[0] > 235 && c[1] > 110 && c[1] < 146 && c[2] < 20, "%s thumbnail orange: %d %d %d",
            formats[i][0], c[0], c[1], c[2]);
    }
  }
}

/* The image id an import gave the file `name` (0 when none). */
static gint64 imported_id(const SwellImportResult *r, const char *name) {
  const SwellImportItem *it = find_item(r, name);
  return it ? it->image_id : 0;
}

/* Formats judged by content, a GIF's first frame, EXIF rotation. */
static void check_formats_and_rotation(SwellProject *p, const SwellImportResult *r) {
  g_autoptr(GError) e = NULL;
  const SwellImportItem *it = find_item(r, "png_named.jpg");
  g_autoptr(SwellProjectImage) png = it ? swell_project_get_image(p, it->image_id, &e) : NULL;
  CHECK(png && strcmp(png->format, "png") == 0 && png->width == 30 && png->height == 20,
        "png named .jpg judged by content");
  it = find_item(r, "anim.gif");
  g_autoptr(SwellProjectImage) gif = it ? swell_project_get_image(p, it->image_id, &e) : NULL;
  CHECK(gif && strcmp(gif->format, "gif") == 0, "gif format");
  if (gif) {
    g_autoptr(SwellRgbImage) t = thumb_of(p, gif->id);
    if (t) {
      const guint8 *c = px(t, t->width / 2, t->height / 2);
      CHECK(c[0] > 200 && c[1] < 60 && c[2] < 60, "gif thumbnail is the first (red) frame: %d %d %d",
            c[0], c[1], c[2]);
    }
  }
  it = find_item(r, "exif_rot6.jpg");
  g_autoptr(SwellProjectImage) ex = it ? swell_project_get_image(p, it->image_id, &e) : NULL;
  CHECK(ex && ex->width == 64 && ex->height == 32, "exif image: stored size 64x32");
  if (ex) {
    g_autoptr(SwellRgbImage) t = thumb_of(p, ex->id);
    if (t) {
      CHECK(t->width == 32 && t->height == 64, "exif thumbnail rotated to 32x64, got %dx%d", t->width,
            t->height);
      const guint8 *top = px(t, t->width / 2, 4), *bottom = px(t, t->width / 2, t->height - 5);
      CHECK(top[0] > 200 && top[2] < 60, "rotated: red on top (%d %d %d)", top[0], top[1], top[2]);
      CHECK(bottom[2] > 200 && bottom[0] < 60, "rotated: blue at the bottom (%d %d %d)", bottom[0],
            bottom[1], bottom[2]);
    }
  }
}

/* CMYK, grayscale and 16-bit RGBA decoded to the right colours. */
static void check_colour_models(SwellProject *p, const SwellImportResult *r) {
  gint64 cmyk_id = imported_id(r, "cmyk.jpg");
  if (cmyk_id) {
    g_autoptr(SwellRgbImage) t = thumb_of(p, cmyk_id);
    if (t) {
      const guint8 *c = px(t, t->width / 2, t->height / 2);
      CHECK(c[0] > 180 && c[1] < 80 && c[2] < 80, "cmyk decoded as red: %d %d %d", c[0], c[1], c[2]);
    }
  }
  gint64 gray_id = imported_id(r, "gray.jpg");
  if (gray_id) {
    g_autoptr(SwellRgbImage) t = thumb_of(p, gray_id);
    if (t) {
      const guint8 *l = px(t, 2, t->height / 2), *rr = px(t, t->width - 3, t->height / 2);
      CHECK(l[0] < 40 && rr[0] > 215 && l[0] == l[1] && rr[1] == rr[2], "grayscale thumbnail");
    }
  }
  gint64 rgba_id = imported_id(r, "rgba16.png");
  if (rgba_id) {
    g_autoptr(SwellRgbImage) t = thumb_of(p, rgba_id);
    if (t) {
      const guint8 *l = px(t, 1, t->height / 2), *rr = px(t, t->width - 2, t->height / 2);
      CHECK(l[1] > 200 && l[0] < 60, "16-bit png: opaque green left (%d %d %d)", l[0], l[1], l[2]);
      CHECK(rr[0] > 230 && rr[1] > 230 && rr[2] > 230, "16-bit png: transparent right on white");
    }
  }
}

static void test_bad_input(void) {
  g_autofree char *dir = tmp_path("bad");
  make_bad_folder(dir);
  g_autofree char *gray_src = g_build_filename(dir, "gray.jpg", NULL);
  g_autoptr(GBytes) gray_bytes = read_bytes(gray_src);

  g_autofree char *path = tmp_path("bad.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  gboolean root = geteuid() == 0;
  const char *paths[] = {dir, NULL};
  g_autoptr(SwellImportResult) r = swell_import_paths(p, paths, NULL, NULL, NULL, NULL, &e);
  CHECK(r != NULL, "import bad: %s", e ? e->message : "");
  if (!r) return;
  check_bad_outcomes(r);
  check_other_formats(p, r);
  CHECK(r->n_files == 17 && r->n_duplicates == 1 && r->n_imported == (root ? 10u : 9u) &&
            r->n_rejected == (root ? 6u : 7u),
        "totals: %u files, %u imported, %u duplicates, %u rejected", r->n_files, r->n_imported,
        r->n_duplicates, r->n_rejected);
  g_autofree char *summary = swell_import_result_summary(r);
  printf("summary: %s\n", summary);

  /* what got in */
  check_formats_and_rotation(p, r);
  check_colour_models(p, r);
  /* unlabeled files directly in the imported folder; all in train or valid */
  SwellImageQuery q = {SWELL_CATEGORY_UNLABELED, -1, 0, 0};
  CHECK(swell_project_count_images(p, &q, &e) == r->n_imported, "all unlabeled");

  /* the project keeps its own copy: the original can go */
  gint64 gray_id = imported_id(r, "gray.jpg");
  g_autofree char *gray_path = g_build_filename(dir, "gray.jpg", NULL);
  g_unlink(gray_path);
  g_autoptr(GBytes) stored = gray_id ? swell_project_get_image_bytes(p, gray_id, &e) : NULL;
  CHECK(stored && g_bytes_equal(stored, gray_bytes), "original bytes kept in the project");

  /* a path that does not exist, given directly */
  g_autofree char *nope = tmp_path("no-such-photo.jpg");
  g_autoptr(SwellImportResult) r2 = import_one(p, nope, -1);
  CHECK(r2 && r2->n_rejected == 1 && strstr(((SwellImportItem *)r2->items->pdata[0])->reason,
                                            "No such file"),
        "missing path rejected");
  CHECK(swell_project_check_integrity(p, &e), "integrity");
}

/* Folder names that are odd category names: blank -> that file rejected,
 * not UTF-8 -> shown with a replacement character. */
static void test_odd_category_folders(void) {
  g_autoptr(GError) e = NULL;
  g_autofree char *odd = tmp_path("odd");
  g_autofree char *blank = g_build_filename(odd, "   ", NULL);
  g_autofree char *latin1 = g_build_filename(odd, "caf\xe9", NULL);
  g_mkdir_with_parents(blank, 0755);
  g_mkdir_with_parents(latin1, 0755);
  copy_fixture(blank, "images/anim.gif", "frames.gif");
  copy_fixture(latin1, "images/rgba16.png", "alpha.png");
  g_autofree char *op = tmp_path("odd.swell");
  g_autoptr(SwellProject) o = swell_project_create(op, &e);
  g_autoptr(SwellImportResult) r3 = import_one(o, odd, -1);
  if (r3) {
    expect(r3, "frames.gif", SWELL_IMPORT_REJECTED, "cannot be a category");
    expect(r3, "alpha.png", SWELL_IMPORT_IMPORTED, NULL);
  }
  g_autoptr(SwellCategory) cafe = swell_project_find_category(o, "caf\xef\xbf\xbd", &e);
  CHECK(cafe && cafe->counts[0] + cafe->counts[1] == 1, "non-UTF-8 folder name as a category");
}

/* ------------------------------------------------------------ real photos */

/* sha256 -> "split/class" for every image file of a data set. */
static GHashTable *dataset_truth(const char *set) {
  GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *root = g_build_filename(datasets, set, NULL);
  g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
  const char *split;
  while (d && (split = g_dir_read_name(d))) {
    g_autofree char *sd = g_build_filename(root, split, NULL);
    if (!g_file_test(sd, G_FILE_TEST_IS_DIR)) continue;
    g_autoptr(GDir) d2 = g_dir_open(sd, 0, NULL);
    const char *cls;
    while ((cls = g_dir_read_name(d2))) {
      g_autofree char *cd = g_build_filename(sd, cls, NULL);
      g_autoptr(GDir) d3 = g_dir_open(cd, 0, NULL);
      const char *f;
      while ((f = g_dir_read_name(d3))) {
        g_autofree char *fp = g_build_filename(cd, f, NULL);
        g_autoptr(GBytes) b = read_bytes(fp);
        char *sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, b);
        SwellSplit s;
        swell_split_from_string(split, &s);
        g_hash_table_insert(t, sha, g_strdup_printf("%s/%s", swell_split_to_string(s), cls));
      }
    }
  }
  return t;
}

static void check_against_truth(SwellProject *p, GHashTable *truth, const char *what) {
  g_autoptr(GError) e = NULL;
  g_autoptr(GPtrArray) imgs = swell_project_list_images(p, &SWELL_IMAGE_QUERY_ALL, &e);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  int wrong = 0;
  for (guint i = 0; i < imgs->len; i++) {
    SwellProjectImage *img = imgs->pdata[i];
    const char *cat = "(none)";
    for (guint c = 0; c < cats->len; c++)
      if (((SwellCategory *)cats->pdata[c])->id == img->category_id)
        cat = ((SwellCategory *)cats->pdata[c])->name;
    g_autofree char *got = g_strdup_printf("%s/%s", swell_split_to_string(img->split), cat);
    const char *want = g_hash_table_lookup(truth, img->sha256);
    if (g_strcmp0(got, want) != 0) {
      if (wrong++ < 5) fprintf(stderr, "%s: %s is %s, expected %s\n", what, img->name, got, want);
    }
  }
  CHECK(imgs->len == g_hash_table_size(truth) && wrong == 0, "%s: %u images, %d with a wrong label/split",
        what, imgs->len, wrong);
}

static void check_counts(SwellProject *p, const char *name, int train, int valid, int test) {
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellCategory) c = swell_project_find_category(p, name, &e);
  CHECK(c && c->counts[0] == train && c->counts[1] == valid && c->counts[2] == test,
        "%s: %d/%d/%d expected %d/%d/%d", name, c ? c->counts[0] : -1, c ? c->counts[1] : -1,
        c ? c->counts[2] : -1, train, valid, test);
}

static void test_real_photos(void) {
  g_autoptr(GError) e = NULL;
  g_autofree char *weather = g_build_filename(datasets, "weather4_small", NULL);
  g_autofree char *hymen = g_build_filename(datasets, "hymenoptera", NULL);

  /* weather4_small: <split>/<class>, 200/80 in 4 classes */
  g_autofree char *wp = tmp_path("weather.swell");
  g_autoptr(SwellProject) w = swell_project_create(wp, &e);
  g_autoptr(GTimer) timer = g_timer_new();
  g_autoptr(SwellImportResult) r = import_one(w, weather, -1);
  double secs = g_timer_elapsed(timer, NULL);
  CHECK(r && r->n_imported == 280 && r->n_duplicates == 0 && r->n_rejected == 2,
        "weather: %u imported %u dup %u rejected", r->n_imported, r->n_duplicates, r->n_rejected);
  printf("ok   weather4_small: %u imported in %.2f s (%.0f images/s); rejected: %s, %s\n",
         r->n_imported, secs, r->n_imported / secs,
         find_item(r, "MANIFEST.tsv") ? find_item(r, "MANIFEST.tsv")->reason : "?",
         find_item(r, "SOURCE.txt") ? find_item(r, "SOURCE.txt")->reason : "?");
  const char *wc[] = {"cloudy", "rain", "shine", "sunrise"};
  for (int i = 0; i < 4; i++) check_counts(w, wc[i], 50, 20, 0);
  g_autoptr(GHashTable) wtruth = dataset_truth("weather4_small");
  check_against_truth(w, wtruth, "weather");
  /* every image has its thumbnail cached at import */
  {
    g_autoptr(GPtrArray) imgs = swell_project_list_images(w, &SWELL_IMAGE_QUERY_ALL, &e);
    SwellProjectImage *big = NULL;
    for (guint i = 0; i < imgs->len; i++) {
      SwellProjectImage *m = imgs->pdata[i];
      if (!big || (gint64)m->width * m->height > (gint64)big->width * big->height) big = m;
    }
    g_autoptr(SwellRgbImage) t = big ? thumb_of(w, big->id) : NULL;
    CHECK(t && MAX(t->width, t->height) == SWELL_THUMBNAIL_SIZE, "thumbnail of %dx%d is %dx%d",
          big ? big->width : 0, big ? big->height : 0, t ? t->width : 0, t ? t->height : 0);
  }
  /* the same again: all duplicates */
  g_autoptr(SwellImportResult) again = import_one(w, weather, -1);
  CHECK(again && again->n_imported == 0 && again->n_duplicates == 280, "re-import: %u dup",
        again ? again->n_duplicates : 0);
  CHECK(swell_project_count_images(w, &SWELL_IMAGE_QUERY_ALL, &e) == 280, "still 280");
  /* a deleted image imported again comes back, with the folder's label */
  {
    g_autoptr(GArray) wids = swell_project_list_image_ids(w, &SWELL_IMAGE_QUERY_ALL, &e);
    gint64 victim = g_array_index(wids, gint64, 5);
    swell_project_set_label(w, &victim, 1, 0, &e);
    CHECK(swell_project_delete_images(w, &victim, 1, &e), "delete one");
    g_autoptr(SwellImportResult) back = import_one(w, weather, -1);
    CHECK(back && back->n_imported == 1 && back->n_duplicates == 279 &&
              g_array_index(back->imported_ids, gint64, 0) == victim,
          "deleted image re-imported: %u imported, %u duplicates", back ? back->n_imported : 0,
          back ? back->n_duplicates : 0);
    check_against_truth(w, wtruth, "weather after re-import of a deleted image");
  }

  /* hymenoptera: train/val, 244/153 */
  g_autofree char *hp = tmp_path("hymenoptera.swell");
  g_autoptr(SwellProject) h = swell_project_create(hp, &e);
  g_autoptr(SwellImportResult) hr = import_one(h, hymen, -1);
  CHECK(hr && hr->n_imported == 397 && hr->n_duplicates == 0 && hr->n_rejected == 3,
        "hymenoptera: %u imported %u dup %u rejected", hr->n_imported, hr->n_duplicates,
        hr->n_rejected);
  check_counts(h, "ants", 123, 70, 0);
  check_counts(h, "bees", 121, 83, 0);
  g_autoptr(GHashTable) htruth = dataset_truth("hymenoptera");
  check_against_truth(h, htruth, "hymenoptera");

  /* the imported folder's own name counts: .../valid -> valid */
  g_autofree char *vp = tmp_path("valid-only.swell");
  g_autoptr(SwellProject) v = swell_project_create(vp, &e);
  g_autofree char *wvalid = g_build_filename(weather, "valid", NULL);
  g_autoptr(SwellImportResult) vr = import_one(v, wvalid, -1);
  for (int i = 0; i < 4; i++) check_counts(v, wc[i], 0, 20, 0);
  /* a class folder inside a split folder: .../train/cloudy -> cloudy, train */
  g_autofree char *wtc = g_build_filename(weather, "train", "cloudy", NULL);
  g_autoptr(SwellImportResult) cr = import_one(v, wtc, -1);
  check_counts(v, "cloudy", 50, 20, 0);
  /* --split forces one */
  g_autofree char *wtr = g_build_filename(weather, "train", "rain", NULL);
  g_autoptr(SwellImportResult) rr = import_one(v, wtr, SWELL_SPLIT_VALID);
  check_counts(v, "rain", 0, 70, 0);

  /* <class>/<files> without split folders: seeded stratified 20% valid */
  g_autofree char *photos = tmp_path("photos");
  g_mkdir(photos, 0755);
  for (int i = 0; i < 4; i++) {
    g_autofree char *target = g_build_filename(weather, "train", wc[i], NULL);
    g_autofree char *link = g_build_filename(photos, wc[i], NULL);
    CHECK(symlink(target, link) == 0, "symlink %s", link);
  }
  /* a link back to the folder itself must not make the walk loop */
  g_autofree char *loop = g_build_filename(photos, "loop", NULL);
  CHECK(symlink(".", loop) == 0, "symlink loop");
  g_autofree char *ap = tmp_path("auto.swell");
  g_autoptr(SwellProject) a = swell_project_create(ap, &e);
  g_autoptr(SwellImportResult) ar = import_one(a, photos, -1);
  CHECK(ar && ar->n_imported == 200 && ar->n_files == 200, "class layout: %u imported of %u files",
        ar ? ar->n_imported : 0, ar ? ar->n_files : 0);
  for (int i = 0; i < 4; i++) check_counts(a, wc[i], 40, 10, 0);
  /* same seed, classes imported one by one in another order: same split */
  g_autofree char *bp = tmp_path("auto2.swell");
  g_autoptr(SwellProject) b = swell_project_create(bp, &e);
  for (int i = 3; i >= 0; i--) {
    g_autofree char *cls = g_build_filename(photos, wc[i], NULL);
    g_autoptr(SwellImportResult) br = import_one(b, cls, -1);
    /* photos/<class> alone: files directly inside, parent is no split: unlabeled */
    CHECK(br && br->n_imported == 50, "class folder alone");
  }
  {
    g_autoptr(GPtrArray) ia = swell_project_list_images(a, &SWELL_IMAGE_QUERY_ALL, &e);
    int agree = 0, valid_b = 0;
    for (guint i = 0; i < ia->len; i++) {
      SwellProjectImage *x = ia->pdata[i];
      g_autoptr(SwellProjectImage) y = swell_project_find_image_by_sha256(b, x->sha256, NULL);
      agree += y && y->split == x->split;
      valid_b += y && y->split == SWELL_SPLIT_VALID;
    }
    /* b's images are unlabeled (one group of 200 split in 4 steps): 40 valid */
    CHECK(valid_b == 40, "unlabeled group split 20%%: %d", valid_b);
    printf("ok   automatic split: 40/10 per class; another import order agrees on %d/200\n", agree);
  }
}

/* ------------------------------------------------------- async and cancel */

typedef struct {
  GMainLoop *loop;
  GThread *main_thread;
  guint calls, last_done, last_total;
  gboolean wrong_thread;
  GCancellable *cancel_at_40;
  SwellImportResult *result;
  GError *error;
  guint changed;
} AsyncState;

static void on_progress(guint done, guint total, const char *current, gpointer data) {
  AsyncState *s = data;
  s->calls++;
  s->last_done = done;
  s->last_total = total;
  if (g_thread_self() != s->main_thread) s->wrong_thread = TRUE;
  if (s->cancel_at_40 && done >= 40) g_cancellable_cancel(s->cancel_at_40);
}

static void on_done(GObject *src, GAsyncResult *res, gpointer data) {
  AsyncState *s = data;
  s->result = swell_import_paths_finish(SWELL_PROJECT(src), res, &s->error);
  g_main_loop_quit(s->loop);
}

static void on_changed(SwellProject *p, guint what, gpointer data) {
  ((AsyncState *)data)->changed |= what;
}

static void test_async_and_cancel(void) {
  g_autoptr(GError) e = NULL;
  g_autofree char *train = g_build_filename(datasets, "hymenoptera", "train", NULL);
  g_autofree char *path = tmp_path("async.swell");
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  const char *paths[] = {train, NULL};

  AsyncState s = {.loop = g_main_loop_new(NULL, FALSE), .main_thread = g_thread_self()};
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  s.cancel_at_40 = cancel;
  g_signal_connect(p, "changed", G_CALLBACK(on_changed), &s);
  swell_import_paths_async(p, paths, NULL, on_progress, &s, cancel, on_done, &s);
  g_main_loop_run(s.loop);
  CHECK(s.result && s.result->cancelled, "cancelled import returns a result marked cancelled");
  guint first = s.result ? s.result->n_imported : 0;
  CHECK(first >= 40 && first < 244, "cancel stopped early: %u of 244 imported", first);
  CHECK(!s.wrong_thread && s.calls > 0, "progress on the main thread (%u calls)", s.calls);
  CHECK(s.changed & SWELL_PROJECT_CHANGE_IMAGES, "changed emitted");
  CHECK(swell_project_count_images(p, &SWELL_IMAGE_QUERY_ALL, &e) == first,
        "what the cancelled import reported is in the project");
  CHECK(swell_project_check_integrity(p, &e), "integrity after cancel");
  g_clear_pointer(&s.result, swell_import_result_free);

  /* the rest, async, to the end */
  s.cancel_at_40 = NULL;
  s.calls = 0;
  swell_import_paths_async(p, paths, NULL, on_progress, &s, NULL, on_done, &s);
  g_main_loop_run(s.loop);
  CHECK(s.result && !s.result->cancelled && s.result->n_imported == 244 - first &&
            s.result->n_duplicates == first,
        "finish: %u imported, %u duplicates", s.result ? s.result->n_imported : 0,
        s.result ? s.result->n_duplicates : 0);
  CHECK(s.last_done == 244 && s.last_total == 244, "last progress 244/244 (%u/%u)", s.last_done,
        s.last_total);
  check_counts(p, "ants", 123, 0, 0);
  check_counts(p, "bees", 121, 0, 0);
  printf("ok   async import: cancelled after %u, finished the rest; %u progress calls on the main loop\n",
         first, s.calls);
  g_clear_pointer(&s.result, swell_import_result_free);
  g_main_loop_unref(s.loop);
}

/* Run as an unprivileged user: imports `file` into a new project in `dir`
 * and expects a "Permission denied" rejection naming the file. */
static int unreadable_child(const char *dir, const char *file) {
  /* (runs as uid 65534) */
  g_autofree char *upath = g_build_filename(dir, "u.swell", NULL);
  g_autoptr(GError) ue = NULL;
  g_autoptr(SwellProject) up = swell_project_create(upath, &ue);
  if (!up) {
    fprintf(stderr, "%s\n", ue->message);
    return 4;
  }
  g_autoptr(SwellImportResult) ur = import_one(up, file, -1);
  if (!ur || ur->n_rejected != 1) return 5;
  SwellImportItem *ui = ur->items->pdata[0];
  printf("rejected  %-16s %s (as uid %d)\n", "locked.jpg", ui->reason, (int)geteuid());
  return strstr(ui->reason, "Permission denied") && g_str_has_prefix(ui->reason, file) ? 0 : 6;
}

/* Root reads a chmod 000 file, so as root a child process drops to uid 65534
 * and imports one there: a real EACCES. This runs first, before this process
 * has any threads (a forked child must not inherit GLib's thread pools), in a
 * folder under the system temporary folder that uid 65534 can reach. */
static void test_unreadable_as_nobody(void) {
  if (geteuid() != 0) return; /* test_bad_input sees the EACCES itself */
  g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(), "swell-test-eacces-XXXXXX", NULL);
  char *dir = g_mkdtemp(tmpl);
  CHECK(dir != NULL, "temporary folder");
  if (!dir) return;
  g_chmod(dir, 0777);
  g_autofree char *file = g_build_filename(dir, "locked.jpg", NULL);
  g_file_set_contents(file, "secret", -1, NULL);
  g_chmod(file, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    alarm(60); /* never hang the suite */
    int rc = unreadable_child(dir, file);
    fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    printf("skip unreadable file: this system does not let root become uid 65534\n");
  else
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unreadable file as uid 65534: status %d",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  const char *names[] = {"locked.jpg", "u.swell", "u.swell-wal", "u.swell-shm"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *f = g_build_filename(dir, names[i], NULL);
    g_unlink(f);
  }
  g_rmdir(dir);
}

int main(int argc, char **argv) {
  test_unreadable_as_nobody();
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  g_mkdir_with_parents(base, 0755);
  g_autofree char *tmpl = g_build_filename(base, "test_import-XXXXXX", NULL);
  tmpdir = g_mkdtemp(tmpl);
  datasets = sw_test_shared_path("datasets");
  if (!tmpdir) return 1;
  test_bad_input();
  test_odd_category_folders();
  test_real_photos();
  test_async_and_cancel();
  free(datasets);
  return sw_test_finish();
}
