/* test_weights_import: offline import of weight files into the cache.
 *
 * - a real MobileNetV2 .safetensors ($SWELL_SHARED/weights, 1001-class head:
 *   the body is what counts) imports as mobilenet_v2, byte for byte, and
 *   find_cached returns it; the same file is refused as resnet18, naming the
 *   file and the first mismatch;
 * - a torchvision-layout resnet18 .pth (tests/fixtures/resnet18_formula.pth,
 *   zip format) imports as resnet18 under "resnet18-imported.pth" (its SHA-256 is
 *   not the catalogue's) and is refused as resnet34; the same state dict rewritten
 *   in torch's legacy format (tests/pth_to_legacy.py, the format of torchvision's
 *   older files such as mobilenet_v2-b0353104.pth) imports under the catalogue's
 *   file name when its SHA-256 matches the catalogue's prefix (catalogue overridden
 *   here), and find_cached then prefers it;
 * - garbage, a truncated file, a missing file, an unknown architecture: clear
 *   errors, and nothing usable (nor any temporary file) is left in the cache. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "swell-weights.h"

#include "testutil.h"

static char *cache_dir;

static gboolean same_bytes(const char *a, const char *b) {
  g_autoptr(GMappedFile) ma = g_mapped_file_new(a, FALSE, NULL);
  g_autoptr(GMappedFile) mb = g_mapped_file_new(b, FALSE, NULL);
  if (!ma || !mb) return FALSE;
  gsize n = g_mapped_file_get_length(ma);
  return n == g_mapped_file_get_length(mb) &&
         memcmp(g_mapped_file_get_contents(ma), g_mapped_file_get_contents(mb), n) == 0;
}

static gint compare_names(gconstpointer a, gconstpointer b) {
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* Names in the cache folder, sorted, joined by spaces. */
static char *cache_listing(void) {
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(cache_dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d))) g_ptr_array_add(names, g_strdup(n));
  g_ptr_array_sort(names, compare_names);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(" ", (char **)names->pdata);
}

static void expect_refused(const char *arch, const char *file, const char *what, const char *needle) {
  g_autofree char *before = cache_listing();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = swell_weights_import(arch, file, NULL, &error);
  CHECK(path == NULL, "%s: imported as %s", what, path);
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE) ||
            g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH),
        "%s: %s", what, error ? error->message : "no error");
  CHECK(error && strstr(error->message, needle), "%s: message lacks “%s”: %s", what, needle,
        error ? error->message : "");
  g_autofree char *after = cache_listing();
  CHECK(strcmp(before, after) == 0, "%s: the cache changed from [%s] to [%s]", what, before, after);
  printf("ok %s refused: %s\n", what, error ? error->message : "");
}

/* Imports file as arch: it must arrive in the cache as want_name, byte for
 * byte, and be what find_cached then returns. Returns the imported path. */
static char *expect_imported(const char *arch, const char *file, const char *want_name, const char *what) {
  g_autoptr(GError) error = NULL;
  char *path = swell_weights_import(arch, file, NULL, &error);
  g_autofree char *want = g_build_filename(cache_dir, want_name, NULL);
  CHECK(path && strcmp(path, want) == 0, "%s: %s", what, error ? error->message : path);
  CHECK(same_bytes(want, file), "%s: the imported file differs from the source", what);
  g_autofree char *found = swell_weights_find_cached(arch, NULL);
  CHECK(found && strcmp(found, want) == 0, "%s: find_cached gave %s", what, found);
  return path;
}

static void keep_result(GObject *source, GAsyncResult *res, gpointer user_data) {
  *(GAsyncResult **)user_data = g_object_ref(res);
}

/* A new temporary folder (returned) whose cache/ is XDG_CACHE_HOME; cache_dir is
 * cache/swell/weights in it. */
static char *make_tmp_cache(void) {
  const char *base_tmp = g_getenv("SWELL_TMP");
  if (base_tmp) g_mkdir_with_parents(base_tmp, 0755);
  g_autofree char *tmpl = g_build_filename(base_tmp ? base_tmp : g_get_tmp_dir(), "weights-import-XXXXXX", NULL);
  char *tmp_root = g_mkdtemp(g_strdup(tmpl));
  g_assert(tmp_root);
  g_autofree char *xdg = g_build_filename(tmp_root, "cache", NULL);
  g_setenv("XDG_CACHE_HOME", xdg, TRUE);
  cache_dir = g_build_filename(xdg, "swell", "weights", NULL);
  return tmp_root;
}

/* Writes pth again in torch's legacy format as legacy, with the script
 * pth_to_legacy.py; whether that worked. */
static gboolean make_legacy_copy(const char *script, const char *pth, const char *legacy) {
  char *args[] = {"python3", (char *)script, (char *)pth, (char *)legacy, NULL};
  int status = -1;
  g_autoptr(GError) error = NULL;
  gboolean have_legacy = g_spawn_sync(NULL, args, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                      &status, &error) &&
                         g_spawn_check_wait_status(status, NULL);
  CHECK(have_legacy, "pth_to_legacy.py failed: %s", error ? error->message : "exit status");
  return have_legacy;
}

/* Catalogue: torchvision's entries, except that resnet18's prefix is the
 * legacy file's own (so the "is the catalogue's file" branch can be checked).
 * Returns the catalogue's resnet18 file name. */
static char *use_test_catalogue(const char *tmp_root, const char *legacy) {
  g_autofree char *legacy_sum = legacy ? swell_weights_file_sha256(legacy, NULL, NULL) : NULL;
  g_autofree char *r18_prefix = legacy_sum ? g_strndup(legacy_sum, 8) : g_strdup("f37072fd");
  char *r18_name = g_strdup_printf("resnet18-%s.pth", r18_prefix);
  g_autofree char *catalogue = g_build_filename(tmp_root, "catalogue.json", NULL);
  g_autofree char *json = g_strdup_printf(
      "{\"entries\": ["
      "{\"arch\": \"resnet18\", \"file_name\": \"%s\", \"sha256_prefix\": \"%s\"},"
      "{\"arch\": \"resnet34\", \"file_name\": \"resnet34-b627a593.pth\", \"sha256_prefix\": \"b627a593\"},"
      "{\"arch\": \"resnet50\", \"file_name\": \"resnet50-0676ba61.pth\", \"sha256_prefix\": \"0676ba61\"},"
      "{\"arch\": \"mobilenet_v2\", \"file_name\": \"mobilenet_v2-b0353104.pth\", \"sha256_prefix\": "
      "\"b0353104\"}]}",
      r18_name, r18_prefix);
  g_assert(g_file_set_contents(catalogue, json, -1, NULL));
  g_setenv("SWELL_WEIGHTS_CATALOGUE", catalogue, TRUE);
  return r18_name;
}

/* 1. safetensors as mobilenet_v2. */
static void test_import_safetensors(const char *mnv2) {
  g_autofree char *path =
      expect_imported("mobilenet_v2", mnv2, "mobilenet_v2-imported.safetensors", "mobilenet_v2 import");
  g_autofree char *listing = cache_listing();
  CHECK(strcmp(listing, "mobilenet_v2-imported.safetensors") == 0, "cache holds [%s]", listing);
  printf("ok imported %s as mobilenet_v2: %s\n", mnv2, path);
  expect_refused("resnet18", mnv2, "MobileNetV2 safetensors as resnet18", "resnet18");
  /* Importing again replaces the earlier import atomically. */
  g_autoptr(GError) error = NULL;
  g_autofree char *again = swell_weights_import("mobilenet_v2", mnv2, NULL, &error);
  g_autofree char *listing2 = cache_listing();
  CHECK(again && strcmp(listing2, "mobilenet_v2-imported.safetensors") == 0, "re-import: %s [%s]",
        error ? error->message : "", listing2);
}

/* 2. A torchvision-layout .pth (zip) as resnet18: not the catalogue's file. */
static void test_import_pth(const char *pth) {
  expect_refused("resnet34", pth, "ResNet-18 .pth as resnet34", "resnet34");
  g_autofree char *path = expect_imported("resnet18", pth, "resnet18-imported.pth", "resnet18 .pth import");
  printf("ok imported %s as resnet18: %s\n", pth, path);
}

/* 3. The legacy-format file, whose SHA-256 is the catalogue's: catalogue name. */
static void test_import_legacy(const char *legacy, const char *r18_name) {
  expect_refused("mobilenet_v2", legacy, "legacy ResNet-18 .pth as mobilenet_v2", "mobilenet_v2");
  /* find_cached prefers the catalogue's file to the earlier resnet18-imported.pth */
  g_autofree char *path = expect_imported("resnet18", legacy, r18_name, "legacy .pth import");
  printf("ok imported the legacy-format %s as resnet18 under the catalogue's name %s\n", legacy, r18_name);
}

/* 4. Garbage, truncated, missing, unknown architecture. */
static void test_refuse_bad_files(const char *tmp_root, const char *mnv2) {
  g_autofree char *garbage = g_build_filename(tmp_root, "holiday.pth", NULL);
  g_file_set_contents(garbage, "this is not a weights file, just some text\n", -1, NULL);
  expect_refused("resnet34", garbage, "a text file", "not a readable");
  if (g_file_test(mnv2, G_FILE_TEST_IS_REGULAR)) {
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_file_get_contents(mnv2, &bytes, &len, NULL);
    g_autofree char *cut = g_build_filename(tmp_root, "cut.safetensors", NULL);
    g_file_set_contents(cut, bytes, (gssize)(len / 3), NULL);
    expect_refused("mobilenet_v2", cut, "a truncated safetensors", cut);
  }
  g_autofree char *nothing = g_build_filename(tmp_root, "no-such-file.pth", NULL);
  expect_refused("resnet50", nothing, "a missing file", "no such file");
  expect_refused("resnet50", tmp_root, "a folder", "folder");
  expect_refused("vgg16", garbage, "an unknown architecture", "vgg16");
  g_autoptr(GError) error = NULL;
  g_autofree char *p = swell_weights_find_cached("resnet50", &error);
  CHECK(!p && g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NOT_CACHED),
        "resnet50 should not be cached");
}

/* 5. The async variant (as the window uses it). */
static void test_import_async(const char *mnv2) {
  GAsyncResult *result = NULL;
  swell_weights_import_async("resnet50", mnv2, NULL, keep_result, &result);
  while (!result) g_main_context_iteration(NULL, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *p = swell_weights_import_finish(result, &error);
  g_object_unref(result);
  CHECK(!p && g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE),
        "async import of MobileNetV2 as resnet50: %s", error ? error->message : p);
  printf("ok async import refused: %s\n", error ? error->message : "");
}

int main(int argc, char **argv) {
  char *tmp_root = make_tmp_cache();
  g_autofree char *mnv2 = g_build_filename(g_getenv("SWELL_SHARED") ? g_getenv("SWELL_SHARED") : "../shared",
                                           "weights", "mobilenet_v2_1.0_imagenet.safetensors", NULL);
  g_autofree char *pth = g_build_filename(g_getenv("SWELL_FIXTURES") ? g_getenv("SWELL_FIXTURES") : "fixtures",
                                          "resnet18_formula.pth", NULL);
  gboolean have_pth = g_file_test(pth, G_FILE_TEST_IS_REGULAR);
  gboolean have_mnv2 = g_file_test(mnv2, G_FILE_TEST_IS_REGULAR);

  /* The legacy-format copy of the fixture. */
  g_autofree char *legacy = g_build_filename(tmp_root, "resnet18-legacy.pth", NULL);
  gboolean have_legacy = have_pth && argc > 1 && make_legacy_copy(argv[1], pth, legacy);
  g_autofree char *r18_name = use_test_catalogue(tmp_root, have_legacy ? legacy : NULL);

  if (have_mnv2) test_import_safetensors(mnv2);
  else CHECK(0, "missing %s", mnv2);

  if (have_pth) test_import_pth(pth);
  if (have_legacy) test_import_legacy(legacy, r18_name);
  if (!have_pth) {
    printf("note: %s is missing; the .pth import was not checked\n", pth);
  }

  test_refuse_bad_files(tmp_root, mnv2);
  if (have_mnv2) test_import_async(mnv2);

  if (sw_test_failures == 0) {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp_root);
    g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
  }
  g_free(tmp_root);
  printf("%d checks failed\n", sw_test_failures);
  return sw_test_failures ? 1 : 0;
}
