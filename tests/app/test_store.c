/* test_store.c: the project store (swell-project.h): open/create errors,
 * schema migrations (v1; v4 to the perceptual hashes of v5), categories,
 * labels, splits, soft delete, runs, models, settings, signals, and two
 * connections writing at the same time. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "swell-dataset-check.h"
#include "swell-image.h"
#include "swell-phash.h"
#include "swell-project.h"
#include "swell-schema.h"
#include "testutil.h"

static char *tmpdir;

static char *tmp_path(const char *name) {
  return g_build_filename(tmpdir, name, NULL);
}

static gint64 add_fake_image(SwellProject *p, const char *name, gint64 cat, SwellSplit split,
                             gboolean auto_split) {
  /* The store keeps any bytes; only import validates images. */
  g_autoptr(GBytes) b = g_bytes_new(name, strlen(name));
  SwellNewImage ni = {.name = name, .bytes = b, .format = "png", .width = 4, .height = 3,
                      .category_id = cat, .split = split, .auto_split = auto_split};
  gboolean dup = TRUE;
  g_autoptr(GError) e = NULL;
  gint64 id = swell_project_add_image(p, &ni, &dup, &e);
  CHECK(id > 0 && !dup, "add %s: %s", name, e ? e->message : "duplicate");
  return id;
}

/* Runs sql on the file at path behind the store's back. */
static void sql_on_file(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_open(path, &db);
  sqlite3_exec(db, sql, NULL, NULL, NULL);
  sqlite3_close(db);
}

/* Opening path fails with `code` and a message that names the file and
 * contains `also` (when not NULL). */
static void check_open_fails(const char *path, SwellProjectError code, const char *also) {
  g_autoptr(GError) e = NULL;
  g_autofree char *name = g_path_get_basename(path);
  CHECK(!swell_project_open(path, &e), "open %s", name);
  CHECK(g_error_matches(e, SWELL_PROJECT_ERROR, code) && strstr(e->message, name) &&
            (!also || strstr(e->message, also)),
        "%s: %s", name, e ? e->message : "");
}

static void on_changed(SwellProject *p, guint what, gpointer data) {
  guint *acc = data;
  *acc |= what;
}

static void test_open_errors(void) {
  g_autoptr(GError) e = NULL;
  g_autofree char *missing = tmp_path("missing.swell");
  check_open_fails(missing, SWELL_PROJECT_ERROR_NOT_FOUND, NULL);

  g_autofree char *text = tmp_path("notes.swell");
  g_file_set_contents(text, "These are my notes, not a database. ......................................"
                            "..............................................................", -1, NULL);
  check_open_fails(text, SWELL_PROJECT_ERROR_NOT_A_PROJECT, "not a Swell project");

  g_autofree char *empty = tmp_path("empty.swell");
  g_file_set_contents(empty, "", 0, NULL);
  check_open_fails(empty, SWELL_PROJECT_ERROR_NOT_A_PROJECT, NULL);

  /* another application's SQLite file */
  g_autofree char *other = tmp_path("other.db");
  sql_on_file(other, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  check_open_fails(other, SWELL_PROJECT_ERROR_NOT_A_PROJECT, "another application");
  /* and it was not modified (still not WAL, still one table) */
  sqlite3 *db;
  sqlite3_open(other, &db);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
  sqlite3_step(st);
  CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "delete") == 0, "other db untouched");
  sqlite3_finalize(st);
  sqlite3_close(db);

  /* a folder */
  CHECK(!swell_project_open(tmpdir, &e), "open dir");
  CHECK(g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT), "dir: %s",
        e ? e->message : "");
  g_clear_error(&e);

  /* create over an existing file refuses and keeps the file */
  CHECK(!swell_project_create(text, &e), "create over existing");
  CHECK(g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_EXISTS), "exists: %s",
        e ? e->message : "");
  g_clear_error(&e);
  CHECK(g_file_test(text, G_FILE_TEST_EXISTS), "existing file kept");

  /* a project from a newer Swell */
  g_autofree char *newer = tmp_path("newer.swell");
  {
    g_autoptr(SwellProject) p = swell_project_create(newer, &e);
    CHECK(p != NULL, "create: %s", e ? e->message : "");
  }
  sql_on_file(newer, "PRAGMA user_version = 99");
  check_open_fails(newer, SWELL_PROJECT_ERROR_TOO_NEW, NULL);

  /* a damaged project: a table dropped behind our back */
  g_autofree char *damaged = tmp_path("damaged.swell");
  {
    g_autoptr(SwellProject) p = swell_project_create(damaged, &e);
  }
  sql_on_file(damaged, "PRAGMA foreign_keys=OFF; DROP TABLE settings");
  check_open_fails(damaged, SWELL_PROJECT_ERROR_CORRUPT, "settings");

  /* garbage over the schema page: not a database any more */
  g_autofree char *garbled = tmp_path("garbled.swell");
  {
    g_autoptr(SwellProject) p = swell_project_create(garbled, &e);
  }
  {
    g_autofree char *data = NULL;
    gsize len = 0;
    g_file_get_contents(garbled, &data, &len, NULL);
    memset(data, 0x5a, MIN(len, 100)); /* the 100-byte header */
    g_file_set_contents(garbled, data, (gssize)len, NULL);
  }
  CHECK(!swell_project_open(garbled, &e), "open garbled");
  CHECK(e && (e->code == SWELL_PROJECT_ERROR_NOT_A_PROJECT || e->code == SWELL_PROJECT_ERROR_CORRUPT) &&
            strstr(e->message, "garbled.swell"),
        "garbled: %s", e ? e->message : "");
  if (e) printf("ok   garbled project: %s\n", e->message);
  g_clear_error(&e);
}

static void test_migration(void) {
  /* A version-1 file as the first Swell wrote it. */
  g_autofree char *path = tmp_path("v1.swell");
  sqlite3 *db;
  sqlite3_open(path, &db);
  CHECK(sqlite3_exec(db, swell_schema_migration_sql(1), NULL, NULL, NULL) == SQLITE_OK, "v1 sql");
  g_autofree char *pragmas = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = 1;",
                                             SWELL_APPLICATION_ID);
  sqlite3_exec(db, pragmas, NULL, NULL, NULL);
  sqlite3_exec(db,
               "INSERT INTO categories (name, color, position, created) VALUES ('old', '#123456', "
               "0, 1); INSERT INTO runs (arch, class_names, created) VALUES ('resnet34', "
               "'[\"old\"]', 1); INSERT INTO run_points (run_id, iteration, epoch, loss) VALUES "
               "(1, 0, 0, 2.5); INSERT INTO images (sha256, name, format, width, height, size, "
               "category_id, split, added) VALUES ('ab', 'a.jpg', 'jpeg', 1, 1, 1, 1, 1, 1); "
               "INSERT INTO predictions VALUES (1, 1, 0, 0, 0.1, x'0000803f');",
               NULL, NULL, NULL);
  sqlite3_close(db);
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_open(path, &e);
  CHECK(p != NULL, "open v1: %s", e ? e->message : "");
  if (!p) return;
  sqlite3_open(path, &db);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  sqlite3_step(st);
  CHECK(sqlite3_column_int(st, 0) == SWELL_SCHEMA_VERSION, "migrated to %d",
        sqlite3_column_int(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  g_autoptr(SwellCategory) c = swell_project_find_category(p, "OLD", &e);
  CHECK(c && strcmp(c->color, "#123456") == 0, "v1 category kept");
  g_autoptr(GArray) pts = swell_project_list_points(p, 1, -1, &e);
  CHECK(pts && pts->len == 1 && g_array_index(pts, SwellRunPoint, 0).loss == 2.5 &&
            g_array_index(pts, SwellRunPoint, 0).n_groups == 0,
        "v1 point kept");
  SwellRunPoint np = {.iteration = 1, .epoch = 0, .loss = 2.0, .smooth_loss = 2.2, .lr = 1e-3,
                      .mom = 0.9, .n_groups = 3, .group_lrs = {1e-5, 1e-4, 1e-3}};
  CHECK(swell_project_append_points(p, 1, &np, 1, &e), "append after migration: %s",
        e ? e->message : "");
  g_autoptr(GArray) old_preds = swell_project_list_predictions(p, 1, &e);
  CHECK(old_preds && old_preds->len == 1 &&
            g_array_index(old_preds, SwellPrediction, 0).split == SWELL_SPLIT_VALID &&
            g_array_index(old_preds, SwellPrediction, 0).probs[0] == 1.0f,
        "v1 prediction kept, as a valid one");
  printf("ok   migration v1 -> v%d\n", SWELL_SCHEMA_VERSION);
}

/* Inserts an image row with its bytes, the way schema 4 stored them. */
static void insert_v4_image(sqlite3 *db, const char *name, const void *bytes, size_t n,
                            int split) {
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db,
                     "INSERT INTO images (sha256, name, format, width, height, size, category_id, "
                     "split, added) VALUES (?, ?, 'jpeg', 300, 200, ?, 1, ?, 1)",
                     -1, &st, NULL);
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, n);
  sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
  sqlite3_bind_int(st, 4, split);
  CHECK(sqlite3_step(st) == SQLITE_DONE, "insert %s", name);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(db, "INSERT INTO image_data (image_id, bytes) VALUES (last_insert_rowid(), ?)",
                     -1, &st, NULL);
  sqlite3_bind_blob(st, 1, bytes, (int)n, SQLITE_TRANSIENT);
  CHECK(sqlite3_step(st) == SQLITE_DONE, "insert the bytes of %s", name);
  sqlite3_finalize(st);
}

/* A version-4 project (before perceptual hashes) with weather4_small's
 * cloudy206.jpg (train) and cloudy229.jpg (valid), the same photo at two
 * sizes, an unrelated photo and bytes that no longer decode. */
static char *make_v4_project(const char *name) {
  char *path = tmp_path(name);
  sqlite3 *db;
  sqlite3_open(path, &db);
  for (int v = 1; v <= 4; v++)
    CHECK(sqlite3_exec(db, swell_schema_migration_sql(v), NULL, NULL, NULL) == SQLITE_OK, "v%d sql",
          v);
  g_autofree char *pragmas = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = 4;",
                                             SWELL_APPLICATION_ID);
  sqlite3_exec(db, pragmas, NULL, NULL, NULL);
  sqlite3_exec(db,
               "INSERT INTO categories (name, color, position, created) VALUES ('cloudy', "
               "'#123456', 0, 1)",
               NULL, NULL, NULL);
  const char *files[] = {"train/cloudy/cloudy206.jpg", "valid/cloudy/cloudy229.jpg",
                         "train/rain/rain35.jpg"};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *rel = g_build_filename("datasets/weather4_small", files[i], NULL);
    g_autofree char *file = sw_test_shared_path(rel);
    size_t n = 0;
    g_autofree unsigned char *bytes = sw_test_read_file(file, &n);
    g_autofree char *base = g_path_get_basename(file);
    insert_v4_image(db, base, bytes, n, i == 1 ? 1 : 0);
  }
  insert_v4_image(db, "damaged.jpg", "not a jpeg", 10, 0);
  sqlite3_close(db);
  return path;
}

/* Schema 4 -> 5: the images and their labels are kept, without hashes; the
 * first check computes and stores them (the undecodable one is left out and
 * counted) and finds the pair across train and valid. */
static void test_migration_v4_hashes(void) {
  g_autofree char *path = make_v4_project("v4.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_open(path, &e);
  CHECK(p != NULL, "open v4: %s", e ? e->message : "");
  if (!p) return;
  g_autoptr(GPtrArray) before = swell_project_list_images(p, &SWELL_IMAGE_QUERY_ALL, &e);
  CHECK(before && before->len == 4, "v4 images kept");
  for (guint i = 0; before && i < before->len; i++) {
    SwellProjectImage *img = before->pdata[i];
    CHECK(!img->has_phash && img->category_id == 1, "%s: no hash yet, label kept", img->name);
  }
  g_autoptr(SwellDatasetReport) r = swell_dataset_check(p, &e);
  CHECK(r != NULL, "check: %s", e ? e->message : "");
  if (!r) return;
  CHECK(r->n_unhashed == 1, "one image cannot be hashed: %u", r->n_unhashed);
  SwellNearDuplicateGroup *g = r->near_duplicates->len == 1 ? r->near_duplicates->pdata[0] : NULL;
  CHECK(g && g->across_splits && g->images->len == 2 &&
            ((SwellProjectImage *)g->images->pdata[0])->id == 1 &&
            ((SwellProjectImage *)g->images->pdata[1])->id == 2,
        "the pair across splits: %u groups", r->near_duplicates->len);
  CHECK(r->health->len > 0 && ((SwellHealthFinding *)r->health->pdata[0])->kind ==
                                  SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS,
        "first finding: near-duplicates across splits");
  /* stored: another connection reads them, equal to what an import computes */
  g_autoptr(SwellProject) q = swell_project_open(path, &e);
  g_autoptr(GPtrArray) after = q ? swell_project_list_images(q, &SWELL_IMAGE_QUERY_ALL, &e) : NULL;
  CHECK(after && after->len == 4, "images after the check");
  for (guint i = 0; after && i < 3; i++) {
    SwellProjectImage *img = after->pdata[i];
    g_autoptr(GBytes) bytes = swell_project_get_image_bytes(q, img->id, &e);
    g_autoptr(SwellRgbImage) rgb = bytes ? swell_image_decode_bytes(bytes, img->name, &e) : NULL;
    CHECK(img->has_phash && rgb && img->phash == swell_image_phash(rgb), "%s: hash stored",
          img->name);
  }
  CHECK(after && !((SwellProjectImage *)after->pdata[3])->has_phash, "damaged.jpg: no hash");
  printf("ok   migration v4 -> v5: hashes computed on the first check and stored, the pair found\n");
}

/* The project test_categories_and_images() works on, step after step. */
typedef struct {
  SwellProject *p;
  guint changes;   /* SWELL_PROJECT_CHANGE_* seen by the "changed" signal */
  gint64 a, b, c;  /* categories */
  gint64 ids[6];   /* a1 a2 b1 u1 u2 c1 */
} CatsProject;

/* Creating categories: names trimmed and unique, colours from the palette or normalised. */
static void check_create_categories(CatsProject *cp) {
  SwellProject *p = cp->p;
  g_autoptr(GError) e = NULL;
  cp->a = swell_project_create_category(p, "  cats ", NULL, &e);
  cp->b = swell_project_create_category(p, "dogs", NULL, &e);
  cp->c = swell_project_create_category(p, "birds", "#AABBCC", &e);
  CHECK(cp->a && cp->b && cp->c, "create categories");
  CHECK(cp->changes & SWELL_PROJECT_CHANGE_CATEGORIES, "changed signal");
  CHECK(!swell_project_create_category(p, "Cats", NULL, &e) &&
            g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID),
        "duplicate name refused");
  g_clear_error(&e);
  CHECK(!swell_project_create_category(p, "   ", NULL, &e), "empty name refused");
  g_clear_error(&e);
  CHECK(!swell_project_create_category(p, "fish", "red", &e), "bad colour refused");
  g_clear_error(&e);

  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  CHECK(cats->len == 3, "3 categories");
  SwellCategory *c0 = cats->pdata[0], *c1 = cats->pdata[1], *c2 = cats->pdata[2];
  CHECK(strcmp(c0->name, "cats") == 0 && c0->position == 0, "trimmed name, order");
  CHECK(strcmp(c0->color, swell_project_palette_color(0)) == 0 &&
            strcmp(c1->color, swell_project_palette_color(1)) == 0,
        "palette colours %s %s", c0->color, c1->color);
  CHECK(strcmp(c2->color, "#aabbcc") == 0, "colour normalised");
}

/* Rename, recolour, reorder: stored, and refused when they would clash. */
static void check_edit_categories(CatsProject *cp) {
  SwellProject *p = cp->p;
  gint64 a = cp->a, b = cp->b, c = cp->c;
  g_autoptr(GError) e = NULL;
  CHECK(swell_project_rename_category(p, b, "puppies", &e), "rename");
  CHECK(!swell_project_rename_category(p, b, "CATS", &e), "rename to taken name refused");
  g_clear_error(&e);
  CHECK(swell_project_rename_category(p, b, "Puppies", &e), "rename case of own name");
  CHECK(swell_project_recolor_category(p, b, "#010203", &e), "recolour");
  gint64 order[] = {c, a, b};
  CHECK(swell_project_reorder_categories(p, order, 3, &e), "reorder: %s", e ? e->message : "");
  gint64 bad_order[] = {c, a, a};
  CHECK(!swell_project_reorder_categories(p, bad_order, 3, &e), "bad reorder refused");
  g_clear_error(&e);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  CHECK(((SwellCategory *)cats->pdata[0])->id == c && ((SwellCategory *)cats->pdata[2])->id == b &&
            strcmp(((SwellCategory *)cats->pdata[2])->name, "Puppies") == 0 &&
            strcmp(((SwellCategory *)cats->pdata[2])->color, "#010203") == 0,
        "order/rename/colour stored");
}

/* Adding images: duplicates by SHA-256, bytes kept, counts, paging, ids. */
static void check_add_images(CatsProject *cp) {
  SwellProject *p = cp->p;
  gint64 a = cp->a, b = cp->b, c = cp->c, *ids = cp->ids;
  g_autoptr(GError) e = NULL;
  ids[0] = add_fake_image(p, "a1", a, SWELL_SPLIT_TRAIN, FALSE);
  ids[1] = add_fake_image(p, "a2", a, SWELL_SPLIT_VALID, FALSE);
  ids[2] = add_fake_image(p, "b1", b, SWELL_SPLIT_TRAIN, FALSE);
  ids[3] = add_fake_image(p, "u1", 0, SWELL_SPLIT_TRAIN, FALSE);
  ids[4] = add_fake_image(p, "u2", 0, SWELL_SPLIT_TEST, FALSE);
  ids[5] = add_fake_image(p, "c1", c, SWELL_SPLIT_TRAIN, FALSE);
  {
    g_autoptr(GBytes) same = g_bytes_new("a1", 2);
    SwellNewImage ni = {.name = "copy-of-a1", .bytes = same, .category_id = b};
    gboolean dup = FALSE;
    gint64 id = swell_project_add_image(p, &ni, &dup, &e);
    CHECK(dup && id == ids[0], "duplicate by SHA-256 detected");
    g_autoptr(SwellProjectImage) img = swell_project_get_image(p, ids[0], &e);
    CHECK(img->category_id == a && strcmp(img->name, "a1") == 0, "duplicate changed nothing");
    g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)"a1", 2);
    CHECK(strcmp(img->sha256, sha) == 0, "sha256 stored");
    g_autoptr(GBytes) bytes = swell_project_get_image_bytes(p, ids[0], &e);
    CHECK(bytes && g_bytes_get_size(bytes) == 2 && memcmp(g_bytes_get_data(bytes, NULL), "a1", 2) == 0,
          "bytes round trip");
  }
  SwellImageQuery q = {a, -1, 0, 0};
  CHECK(swell_project_count_images(p, &q, &e) == 2, "count cat a");
  q = (SwellImageQuery){SWELL_CATEGORY_UNLABELED, -1, 0, 0};
  CHECK(swell_project_count_images(p, &q, &e) == 2, "count unlabeled");
  q = (SwellImageQuery){SWELL_CATEGORY_LABELED, SWELL_SPLIT_TRAIN, 0, 0};
  CHECK(swell_project_count_images(p, &q, &e) == 3, "count labeled train");
  q = (SwellImageQuery){SWELL_CATEGORY_ANY, -1, 2, 3};
  g_autoptr(GPtrArray) page = swell_project_list_images(p, &q, &e);
  CHECK(page && page->len == 3 && ((SwellProjectImage *)page->pdata[0])->id == ids[2], "paging");
  g_autoptr(GArray) idl = swell_project_list_image_ids(p, &SWELL_IMAGE_QUERY_ALL, &e);
  CHECK(idl && idl->len == 6, "id list");
}

/* Labels for many ids at once, atomically; splits; the counts that follow. */
static void check_labels_and_splits(CatsProject *cp) {
  SwellProject *p = cp->p;
  gint64 a = cp->a, b = cp->b, c = cp->c, *ids = cp->ids;
  g_autoptr(GError) e = NULL;
  cp->changes = 0;
  gint64 relabel[] = {ids[3], ids[4], ids[3]};
  CHECK(swell_project_set_label(p, relabel, 3, b, &e), "set label");
  CHECK(cp->changes & SWELL_PROJECT_CHANGE_IMAGES, "images changed signal");
  gint64 with_bad[] = {ids[0], 999999};
  CHECK(!swell_project_set_label(p, with_bad, 2, c, &e) &&
            g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND),
        "unknown id refused");
  g_clear_error(&e);
  {
    g_autoptr(SwellProjectImage) img = swell_project_get_image(p, ids[0], &e);
    CHECK(img->category_id == a, "failed set_label rolled back");
  }
  CHECK(!swell_project_set_label(p, ids, 1, 424242, &e), "unknown category refused");
  g_clear_error(&e);
  CHECK(swell_project_clear_label(p, &ids[4], 1, &e), "clear label");
  CHECK(swell_project_set_split(p, &ids[0], 1, SWELL_SPLIT_TEST, &e), "set split");

  int un[3];
  swell_project_count_unlabeled(p, un, &e);
  CHECK(un[0] == 0 && un[1] == 0 && un[2] == 1, "unlabeled counts %d %d %d", un[0], un[1], un[2]);
  g_autoptr(SwellCategory) ca = swell_project_get_category(p, a, &e);
  CHECK(ca->counts[0] == 0 && ca->counts[1] == 1 && ca->counts[2] == 1, "cat a counts");
}

/* Soft delete, undo, purge; deleting a category unlabels its images, never deletes them. */
static void check_delete_and_restore(CatsProject *cp) {
  SwellProject *p = cp->p;
  gint64 a = cp->a, *ids = cp->ids;
  g_autoptr(GError) e = NULL;
  gint64 del[] = {ids[1], ids[2]};
  CHECK(swell_project_delete_images(p, del, 2, &e), "delete");
  CHECK(swell_project_count_images(p, &SWELL_IMAGE_QUERY_ALL, &e) == 4, "deleted hidden");
  CHECK(!swell_project_get_image(p, ids[1], &e), "deleted not fetched");
  g_clear_error(&e);
  CHECK(swell_project_restore_images(p, del, 2, &e), "restore");
  CHECK(swell_project_count_images(p, &SWELL_IMAGE_QUERY_ALL, &e) == 6, "restored");
  {
    g_autoptr(SwellProjectImage) img = swell_project_get_image(p, ids[1], &e);
    CHECK(img && img->category_id == a && img->split == SWELL_SPLIT_VALID, "restore keeps label");
  }
  CHECK(swell_project_delete_images(p, &ids[5], 1, &e), "delete c1");
  CHECK(swell_project_purge_deleted_images(p, &e), "purge");
  CHECK(!swell_project_restore_images(p, &ids[5], 1, &e), "purged cannot be restored");
  g_clear_error(&e);

  /* delete a category: its images become unlabeled, never deleted */
  CHECK(swell_project_delete_category(p, a, &e), "delete category");
  CHECK(swell_project_count_images(p, &SWELL_IMAGE_QUERY_ALL, &e) == 5, "images kept");
  {
    g_autoptr(SwellProjectImage) img = swell_project_get_image(p, ids[0], &e);
    CHECK(img && img->category_id == 0, "image of deleted category unlabeled");
  }
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  CHECK(cats->len == 2 && ((SwellCategory *)cats->pdata[0])->position == 0 &&
            ((SwellCategory *)cats->pdata[1])->position == 1,
        "positions renumbered");
}

/* Settings; an explicit transaction whose rollback drops everything inside. */
static void check_settings_and_rollback(CatsProject *cp) {
  SwellProject *p = cp->p;
  g_autoptr(GError) e = NULL;
  CHECK(swell_project_get_setting(p, "last-view") == NULL, "unset setting");
  CHECK(swell_project_set_setting(p, "last-view", "train", &e), "set setting");
  g_autofree char *v = swell_project_get_setting(p, "last-view");
  CHECK(g_strcmp0(v, "train") == 0, "setting stored");
  CHECK(swell_project_set_setting(p, "last-view", NULL, &e), "remove setting");

  /* explicit transaction: rollback drops everything inside */
  CHECK(swell_project_begin(p, &e), "begin");
  swell_project_create_category(p, "temp", NULL, &e);
  swell_project_set_label(p, &cp->ids[0], 1, cp->b, &e);
  swell_project_rollback(p);
  g_autoptr(SwellCategory) temp = swell_project_find_category(p, "temp", NULL);
  CHECK(temp == NULL, "rolled back category");
  CHECK(swell_project_check_integrity(p, &e), "integrity: %s", e ? e->message : "");
}

static void test_categories_and_images(void) {
  g_autofree char *path = tmp_path("cats.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  CHECK(p != NULL, "create: %s", e ? e->message : "");
  CatsProject cp = {.p = p};
  g_signal_connect(p, "changed", G_CALLBACK(on_changed), &cp.changes);
  check_create_categories(&cp);
  check_edit_categories(&cp);
  check_add_images(&cp);
  check_labels_and_splits(&cp);
  check_delete_and_restore(&cp);
  check_settings_and_rollback(&cp);
  printf("ok   categories, labels, splits, delete/restore\n");
}

/* Adds fake images named prefix + from .. prefix + (to - 1) to category cat,
 * left to the automatic split, and appends their ids to ids. */
static void add_auto_split_images(SwellProject *p, const char *prefix, int from, int to, gint64 cat,
                                  GArray *ids) {
  for (int i = from; i < to; i++) {
    g_autofree char *n = g_strdup_printf("%s%d", prefix, i);
    gint64 id = add_fake_image(p, n, cat, SWELL_SPLIT_TRAIN, TRUE);
    g_array_append_val(ids, id);
  }
}

static void test_auto_split(void) {
  g_autofree char *path = tmp_path("split.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  gint64 a = swell_project_create_category(p, "a", NULL, &e);
  gint64 b = swell_project_create_category(p, "b", NULL, &e);
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  add_auto_split_images(p, "a", 0, 50, a, ids);
  add_auto_split_images(p, "b", 0, 7, b, ids);
  CHECK(swell_project_assign_auto_split(p, (gint64 *)ids->data, ids->len, 0.2, &e), "split");
  g_autoptr(SwellCategory) ca = swell_project_get_category(p, a, &e);
  g_autoptr(SwellCategory) cb = swell_project_get_category(p, b, &e);
  CHECK(ca->counts[1] == 10 && ca->counts[0] == 40, "a: 40/10, got %d/%d", ca->counts[0],
        ca->counts[1]);
  CHECK(cb->counts[1] == 1 && cb->counts[0] == 6, "b: 6/1 (round(1.4)), got %d/%d", cb->counts[0],
        cb->counts[1]);
  /* incremental: 5 more in a -> round(0.2 * 55) = 11 valid in total */
  g_autoptr(GArray) more = g_array_new(FALSE, FALSE, sizeof(gint64));
  add_auto_split_images(p, "a", 50, 55, a, more);
  CHECK(swell_project_assign_auto_split(p, (gint64 *)more->data, more->len, 0.2, &e), "split 2");
  g_autoptr(SwellCategory) ca2 = swell_project_get_category(p, a, &e);
  CHECK(ca2->counts[1] == 11 && ca2->counts[0] == 44, "a after 5 more: 44/11, got %d/%d",
        ca2->counts[0], ca2->counts[1]);

  /* seeded: the same images in another project, added in reverse order, get
   * the same split; another seed gives another split */
  g_autofree char *path2 = tmp_path("split2.swell");
  g_autofree char *path3 = tmp_path("split3.swell");
  g_autoptr(SwellProject) p2 = swell_project_create(path2, &e);
  g_autoptr(SwellProject) p3 = swell_project_create(path3, &e);
  swell_project_set_setting(p3, "split-seed", "7", &e);
  gint64 a2 = swell_project_create_category(p2, "a", NULL, &e);
  gint64 a3 = swell_project_create_category(p3, "a", NULL, &e);
  g_autoptr(GArray) ids2 = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) ids3 = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (int i = 49; i >= 0; i--) {
    g_autofree char *n = g_strdup_printf("a%d", i);
    gint64 id2 = add_fake_image(p2, n, a2, SWELL_SPLIT_TRAIN, TRUE);
    gint64 id3 = add_fake_image(p3, n, a3, SWELL_SPLIT_TRAIN, TRUE);
    g_array_append_val(ids2, id2);
    g_array_append_val(ids3, id3);
  }
  swell_project_assign_auto_split(p2, (gint64 *)ids2->data, ids2->len, 0.2, &e);
  swell_project_assign_auto_split(p3, (gint64 *)ids3->data, ids3->len, 0.2, &e);
  int same = 0, same3 = 0;
  for (int i = 0; i < 50; i++) {
    g_autofree char *n = g_strdup_printf("a%d", i);
    g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, n, -1);
    g_autoptr(SwellProjectImage) x = swell_project_find_image_by_sha256(p, sha, NULL);
    g_autoptr(SwellProjectImage) y = swell_project_find_image_by_sha256(p2, sha, NULL);
    g_autoptr(SwellProjectImage) z = swell_project_find_image_by_sha256(p3, sha, NULL);
    same += x && y && x->split == y->split;
    same3 += x && z && x->split == z->split;
  }
  /* p's a-category got 5 more images later (its first 50 were split alone) */
  CHECK(same == 50, "same seed, other order: same split (%d/50 agree)", same);
  CHECK(same3 < 50, "other seed: another split (%d/50 agree)", same3);
  printf("ok   stratified seeded split\n");
}

/* Train, test and unlabeled predictions sit beside the valid ones: each set is
 * listed on its own, the valid list stays the Results view's. */
static void check_prediction_sets(SwellProject *p, gint64 run, gint64 cat) {
  g_autoptr(GError) e = NULL;
  gint64 tr = add_fake_image(p, "t1", cat, SWELL_SPLIT_TRAIN, FALSE);
  gint64 te = add_fake_image(p, "t2", cat, SWELL_SPLIT_TEST, FALSE);
  gint64 un = add_fake_image(p, "u1", 0, SWELL_SPLIT_VALID, FALSE);
  float pa[2] = {0.05f, 0.95f}, pb[2] = {0.6f, 0.4f}, pc[2] = {0.2f, 0.8f};
  SwellPrediction more[3] = {{tr, 0, 1, 2.99, 2, pa, SWELL_SPLIT_TRAIN},
                             {te, 0, 0, 0.51, 2, pb, SWELL_SPLIT_TEST},
                             {un, SWELL_PREDICTION_UNLABELED, 1, NAN, 2, pc, SWELL_SPLIT_VALID}};
  CHECK(swell_project_set_predictions(p, run, more, 3, &e), "more predictions: %s",
        e ? e->message : "");
  g_autoptr(GArray) valid = swell_project_list_predictions(p, run, &e);
  g_autoptr(GArray) train = swell_project_list_predictions_of(p, run, SWELL_PREDICTIONS_TRAIN, &e);
  g_autoptr(GArray) test = swell_project_list_predictions_of(p, run, SWELL_PREDICTIONS_TEST, &e);
  g_autoptr(GArray) unl = swell_project_list_predictions_of(p, run, SWELL_PREDICTIONS_UNLABELED, &e);
  g_autoptr(GArray) all = swell_project_list_predictions_of(p, run, SWELL_PREDICTIONS_ALL, &e);
  CHECK(valid->len == 2 && train->len == 1 && test->len == 1 && unl->len == 1 && all->len == 5,
        "prediction sets: valid %u train %u test %u unlabeled %u all %u", valid->len, train->len,
        test->len, unl->len, all->len);
  const SwellPrediction *u = &g_array_index(unl, SwellPrediction, 0);
  CHECK(u->image_id == un && u->actual == SWELL_PREDICTION_UNLABELED && isnan(u->loss) &&
            u->probs[1] == 0.8f,
        "unlabeled prediction read back");
  CHECK(g_array_index(train, SwellPrediction, 0).split == SWELL_SPLIT_TRAIN &&
            g_array_index(test, SwellPrediction, 0).image_id == te,
        "train and test predictions read back");
  g_autofree char *none = swell_project_get_test_confusion(p, run, &e);
  CHECK(none == NULL && e == NULL, "no test confusion yet");
  const char *tcm = "{\"classes\":[\"x\",\"y\"],\"matrix\":[[1,0],[0,0]]}";
  CHECK(swell_project_set_test_confusion(p, run, tcm, &e), "test confusion");
  g_autofree char *tcm2 = swell_project_get_test_confusion(p, run, &e);
  g_autofree char *vcm = swell_project_get_confusion(p, run, &e);
  CHECK(g_strcmp0(tcm, tcm2) == 0 && vcm == NULL, "test confusion read back, apart from valid");
  CHECK(swell_project_delete_images(p, (gint64[]){tr, te, un}, 3, &e), "delete the extra images");
}

static void test_runs_and_models(void) {
  g_autofree char *path = tmp_path("runs.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  gint64 cat = swell_project_create_category(p, "x", NULL, &e);
  gint64 img1 = add_fake_image(p, "i1", cat, SWELL_SPLIT_VALID, FALSE);
  gint64 img2 = add_fake_image(p, "i2", cat, SWELL_SPLIT_VALID, FALSE);
  CHECK(swell_project_get_latest_run(p, FALSE, &e) == NULL && e == NULL, "no run yet");
  const char *classes[] = {"x", "y", NULL};
  CHECK(!swell_project_create_run(p, "resnet34", "w", "not json", classes, &e), "bad hparams");
  g_clear_error(&e);
  gint64 r1 = swell_project_create_run(p, "resnet34", "resnet34.safetensors",
                                       "{\"epochs\":4,\"lr\":0.002}", classes, &e);
  CHECK(r1 > 0, "create run: %s", e ? e->message : "");
  g_autoptr(SwellRunInfo) info = swell_project_get_run(p, r1, &e);
  CHECK(info && info->status == SWELL_RUN_RUNNING && isnan(info->accuracy) &&
            g_strv_length(info->class_names) == 2 && strcmp(info->class_names[1], "y") == 0 &&
            info->finished == 0 && !info->has_model,
        "new run");
  SwellRunPoint pts[5];
  for (int i = 0; i < 5; i++)
    pts[i] = (SwellRunPoint){.iteration = i, .epoch = i / 3, .loss = 1.0 / (i + 1),
                             .smooth_loss = 0.5, .lr = 1e-3 * i, .mom = 0.95, .n_groups = 2,
                             .group_lrs = {1e-5 * i, 1e-3 * i}};
  pts[4].loss = NAN;
  CHECK(swell_project_append_points(p, r1, pts, 3, &e), "points 1");
  CHECK(swell_project_append_points(p, r1, pts + 3, 2, &e), "points 2");
  CHECK(!swell_project_append_points(p, 12345, pts, 1, &e), "points for unknown run refused");
  g_clear_error(&e);
  g_autoptr(GArray) got = swell_project_list_points(p, r1, -1, &e);
  CHECK(got->len == 5 && g_array_index(got, SwellRunPoint, 2).loss == 1.0 / 3 &&
            g_array_index(got, SwellRunPoint, 3).epoch == 1 &&
            g_array_index(got, SwellRunPoint, 3).n_groups == 2 &&
            g_array_index(got, SwellRunPoint, 3).group_lrs[1] == 3e-3 &&
            isnan(g_array_index(got, SwellRunPoint, 4).loss),
        "points read back");
  g_autoptr(GArray) tail = swell_project_list_points(p, r1, 2, &e);
  CHECK(tail->len == 2 && g_array_index(tail, SwellRunPoint, 0).iteration == 3, "points after 2");

  SwellEpochMetrics m0 = {0, SWELL_STAGE_FROZEN, 1.2, 0.9, 0.7, 0.3, 12.5};
  SwellEpochMetrics m1 = {1, SWELL_STAGE_UNFROZEN, 0.8, 0.6, 0.875, 0.125, 20.0};
  CHECK(swell_project_add_epoch(p, r1, &m0, &e) && swell_project_add_epoch(p, r1, &m1, &e), "epochs");
  g_autoptr(GArray) eps = swell_project_list_epochs(p, r1, &e);
  CHECK(eps->len == 2 && g_array_index(eps, SwellEpochMetrics, 0).stage == SWELL_STAGE_FROZEN &&
            g_array_index(eps, SwellEpochMetrics, 1).accuracy == 0.875 &&
            g_array_index(eps, SwellEpochMetrics, 1).seconds == 20.0,
        "epochs read back");

  float probs1[2] = {0.9f, 0.1f}, probs2[2] = {0.3f, 0.7f};
  SwellPrediction preds[2] = {{img1, 0, 0, 0.105, 2, probs1, SWELL_SPLIT_VALID},
                              {img2, 0, 1, 1.204, 2, probs2, SWELL_SPLIT_VALID}};
  CHECK(swell_project_set_predictions(p, r1, preds, 2, &e), "predictions");
  g_autoptr(GArray) pr = swell_project_list_predictions(p, r1, &e);
  CHECK(pr->len == 2 && g_array_index(pr, SwellPrediction, 1).predicted == 1 &&
            g_array_index(pr, SwellPrediction, 1).n_classes == 2 &&
            g_array_index(pr, SwellPrediction, 1).probs[1] == 0.7f &&
            g_array_index(pr, SwellPrediction, 0).loss == 0.105 &&
            g_array_index(pr, SwellPrediction, 0).split == SWELL_SPLIT_VALID,
        "predictions read back");
  check_prediction_sets(p, r1, cat);
  CHECK(!swell_project_set_confusion(p, r1, "{oops", &e), "bad confusion refused");
  g_clear_error(&e);
  const char *cm = "{\"classes\":[\"x\",\"y\"],\"matrix\":[[1,1],[0,0]]}";
  CHECK(swell_project_set_confusion(p, r1, cm, &e), "confusion");
  g_autofree char *cm2 = swell_project_get_confusion(p, r1, &e);
  CHECK(g_strcmp0(cm, cm2) == 0, "confusion read back");

  SwellProjectModel model = {.arch = "resnet34", .class_names = (char **)classes,
                             .mean = {0.485f, 0.456f, 0.406f}, .std = {0.229f, 0.224f, 0.225f},
                             .input_size = 224};
  model.weights = g_bytes_new_static("fake safetensors", 16);
  CHECK(swell_project_save_model(p, r1, &model, &e), "save model");
  g_bytes_unref(model.weights);
  CHECK(swell_project_finish_run(p, r1, SWELL_RUN_COMPLETED, NULL, &e), "finish");
  gint64 r2 = swell_project_create_run(p, "mobilenet_v2", NULL, NULL, classes, &e);
  CHECK(swell_project_finish_run(p, r2, SWELL_RUN_FAILED, "out of memory", &e), "fail run");

  g_autoptr(SwellRunInfo) latest = swell_project_get_latest_run(p, FALSE, &e);
  g_autoptr(SwellRunInfo) latest_model = swell_project_get_latest_run(p, TRUE, &e);
  CHECK(latest && latest->id == r2 && latest->status == SWELL_RUN_FAILED &&
            g_strcmp0(latest->message, "out of memory") == 0 && latest->finished > 0,
        "latest run");
  CHECK(latest_model && latest_model->id == r1 && latest_model->has_model &&
            latest_model->accuracy == 0.875 && latest_model->n_epochs == 2 &&
            latest_model->status == SWELL_RUN_COMPLETED,
        "latest run with model");
  g_autoptr(GPtrArray) runs = swell_project_list_runs(p, &e);
  CHECK(runs->len == 2 && ((SwellRunInfo *)runs->pdata[0])->id == r1, "list runs");
  CHECK(!latest_model->keep_best && latest_model->kept_epoch == -1 && latest->kept_epoch == -1,
        "no kept epoch stored: -1, keep last");
  /* keep best: the hyperparams' "keep" and the kept epoch read back (get_run and list_runs) */
  gint64 r3 = swell_project_create_run(p, "resnet18", NULL, "{\"keep\":\"best\"}", classes, &e);
  CHECK(r3 > 0 && swell_project_add_epoch(p, r3, &m0, &e) && swell_project_add_epoch(p, r3, &m1, &e),
        "keep-best run");
  CHECK(!swell_project_set_kept_epoch(p, 12345, 0, &e), "kept epoch of an unknown run refused");
  g_clear_error(&e);
  CHECK(swell_project_set_kept_epoch(p, r3, 0, &e), "set kept epoch: %s", e ? e->message : "");
  g_autoptr(SwellRunInfo) kb = swell_project_get_run(p, r3, &e);
  CHECK(kb && kb->keep_best && kb->kept_epoch == 0 && kb->n_epochs == 2, "kept epoch read back");
  g_autoptr(GPtrArray) runs3 = swell_project_list_runs(p, &e);
  SwellRunInfo *kl = runs3 && runs3->len == 3 ? runs3->pdata[2] : NULL;
  CHECK(kl && kl->id == r3 && kl->keep_best && kl->kept_epoch == 0 &&
            !((SwellRunInfo *)runs3->pdata[0])->keep_best,
        "kept epoch in the list of runs");
  CHECK(swell_project_delete_run(p, r3, &e), "delete keep-best run");

  g_autoptr(SwellProjectModel) lm = swell_project_load_model(p, 0, &e);
  CHECK(lm && lm->run_id == r1 && strcmp(lm->arch, "resnet34") == 0 && lm->input_size == 224 &&
            fabsf(lm->mean[2] - 0.406f) < 1e-7f && fabsf(lm->std[0] - 0.229f) < 1e-7f &&
            g_strv_length(lm->class_names) == 2 && g_bytes_get_size(lm->weights) == 16,
        "load latest model");
  CHECK(!swell_project_load_model(p, r2, &e) &&
            g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND),
        "run without model");
  g_clear_error(&e);

  /* a purged image's predictions go with it */
  CHECK(swell_project_delete_images(p, &img2, 1, &e), "delete img2");
  g_autoptr(GArray) pr2 = swell_project_list_predictions(p, r1, &e);
  CHECK(pr2->len == 1, "deleted image's prediction hidden");
  CHECK(swell_project_purge_deleted_images(p, &e), "purge");
  CHECK(swell_project_delete_run(p, r1, &e), "delete run");
  CHECK(!swell_project_load_model(p, 0, &e), "model deleted with run");
  g_clear_error(&e);
  CHECK(swell_project_check_integrity(p, &e), "integrity: %s", e ? e->message : "");
  printf("ok   runs, points, epochs, predictions, confusion, models\n");
}

/* ---- two connections writing at once (UI + training thread) */

typedef struct {
  const char *path;
  gint64 run_id;
  int failures;
  char *first_error;
} Writer;

static gpointer training_thread(gpointer data) {
  Writer *w = data;
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_open(w->path, &e);
  if (!p) {
    w->failures++;
    w->first_error = g_strdup(e->message);
    return NULL;
  }
  for (int b = 0; b < 200; b++) {
    SwellRunPoint pts[4];
    for (int i = 0; i < 4; i++)
      pts[i] = (SwellRunPoint){.iteration = b * 4 + i, .epoch = b / 50, .loss = 1.0, .lr = 1e-3};
    if (!swell_project_append_points(p, w->run_id, pts, 4, &e)) {
      if (!w->first_error) w->first_error = g_strdup(e->message);
      w->failures++;
      g_clear_error(&e);
    }
  }
  return NULL;
}

static void test_concurrency(void) {
  g_autofree char *path = tmp_path("concurrent.swell");
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) ui = swell_project_create(path, &e);
  gint64 a = swell_project_create_category(ui, "a", NULL, &e);
  gint64 b = swell_project_create_category(ui, "b", NULL, &e);
  gint64 ids[20];
  for (int i = 0; i < 20; i++) {
    g_autofree char *n = g_strdup_printf("img%d", i);
    ids[i] = add_fake_image(ui, n, a, SWELL_SPLIT_TRAIN, FALSE);
  }
  const char *classes[] = {"a", "b", NULL};
  gint64 run = swell_project_create_run(ui, "resnet18", NULL, "{}", classes, &e);
  Writer w = {path, run, 0, NULL};
  swell_project_poll_external_changes(ui);
  GThread *t = g_thread_new("training", training_thread, &w);
  int ui_failures = 0;
  char *ui_error = NULL;
  for (int k = 0; k < 200; k++) {
    /* the UI relabels and reads while training writes */
    if (!swell_project_set_label(ui, &ids[k % 20], 1, k % 2 ? a : b, &e)) {
      ui_failures++;
      if (!ui_error) ui_error = g_strdup(e->message);
      g_clear_error(&e);
    }
    g_autoptr(GArray) pts = swell_project_list_points(ui, run, -1, &e);
    if (!pts) {
      ui_failures++;
      g_clear_error(&e);
    }
  }
  g_thread_join(t);
  CHECK(w.failures == 0, "training thread: %d failed writes (%s)", w.failures,
        w.first_error ? w.first_error : "");
  CHECK(ui_failures == 0, "ui: %d failed (%s)", ui_failures, ui_error ? ui_error : "");
  g_autoptr(GArray) pts = swell_project_list_points(ui, run, -1, &e);
  CHECK(pts && pts->len == 800, "all 800 points stored (%u)", pts ? pts->len : 0);
  guint changes = 0;
  g_signal_connect(ui, "changed", G_CALLBACK(on_changed), &changes);
  /* the training thread only wrote run points: the UI hears exactly that */
  CHECK(swell_project_poll_external_changes(ui) && changes == SWELL_PROJECT_CHANGE_RUNS,
        "external change seen: %#x", changes);
  CHECK(!swell_project_poll_external_changes(ui), "no new external change");
  {
    g_autoptr(SwellProject) other = swell_project_open(path, &e);
    swell_project_create_category(other, "c", NULL, &e);
    swell_project_set_label(other, ids, 1, a, &e);
    changes = 0;
    CHECK(swell_project_poll_external_changes(ui) &&
              changes == (SWELL_PROJECT_CHANGE_CATEGORIES | SWELL_PROJECT_CHANGE_IMAGES),
          "categories + images changed elsewhere: %#x", changes);
    /* the UI's own commits are not reported as external */
    swell_project_set_label(ui, ids, 1, b, &e);
    changes = 0;
    CHECK(!swell_project_poll_external_changes(ui), "own change not external");
    CHECK(changes == 0, "no signal for own changes on poll");
  }
  g_free(w.first_error);
  g_free(ui_error);
  printf("ok   two connections wrote 200 + 200 transactions at once, no lock failures\n");
}

/* A grid of 10,000 images must open instantly: ids, counts and the first
 * screenful of cached thumbnails without touching the originals. */
static void test_big_grid(void) {
  g_autofree char *path = tmp_path("big.swell");
  g_autoptr(GError) e = NULL;
  {
    g_autoptr(SwellProject) p = swell_project_create(path, &e);
    gint64 cats[4];
    for (int c = 0; c < 4; c++) {
      g_autofree char *n = g_strdup_printf("class%d", c);
      cats[c] = swell_project_create_category(p, n, NULL, &e);
    }
    static guint8 thumb[1500], orig[3000];
    memset(thumb, 0x55, sizeof thumb);
    memset(orig, 0x33, sizeof orig);
    CHECK(swell_project_begin(p, &e), "begin");
    for (int i = 0; i < 10000; i++) {
      memcpy(orig, &i, sizeof i); /* distinct bytes */
      g_autoptr(GBytes) b = g_bytes_new(orig, sizeof orig);
      g_autoptr(GBytes) t = g_bytes_new_static(thumb, sizeof thumb);
      g_autofree char *n = g_strdup_printf("photo%05d.jpg", i);
      SwellNewImage ni = {.name = n, .bytes = b, .format = "jpeg", .width = 640, .height = 480,
                          .thumbnail = t, .thumbnail_mime = "image/jpeg",
                          .category_id = i % 5 == 4 ? 0 : cats[i % 4], .split = i % 5 == 0};
      if (!swell_project_add_image(p, &ni, NULL, &e)) {
        CHECK(FALSE, "add: %s", e->message);
        break;
      }
    }
    CHECK(swell_project_commit(p, &e), "commit");
  }
  g_autoptr(GTimer) t = g_timer_new();
  g_autoptr(SwellProject) p = swell_project_open(path, &e);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  int un[3];
  swell_project_count_unlabeled(p, un, &e);
  g_autoptr(GArray) ids = swell_project_list_image_ids(p, &SWELL_IMAGE_QUERY_ALL, &e);
  SwellImageQuery q = {((SwellCategory *)cats->pdata[1])->id, -1, 0, 0};
  g_autoptr(GPtrArray) one = swell_project_list_images(p, &q, &e);
  gsize thumb_bytes = 0;
  for (guint i = 0; i < 200 && ids && i < ids->len; i++) {
    g_autoptr(GBytes) th = swell_project_get_thumbnail(p, g_array_index(ids, gint64, i), NULL, &e);
    thumb_bytes += th ? g_bytes_get_size(th) : 0;
  }
  double secs = g_timer_elapsed(t, NULL);
  CHECK(ids && ids->len == 10000 && cats->len == 4 && un[0] + un[1] == 2000 && one->len == 2000 &&
            thumb_bytes == 200 * 1500,
        "big grid contents");
  CHECK(secs < 2.0, "open + counts + 10,000 ids + 2,000 rows + 200 thumbnails took %.3f s", secs);
  printf("ok   10,000-image project: open, category counts, all ids, one category and 200 thumbnails in %.3f s\n",
         secs);
  g_clear_object(&p);
  g_unlink(path);
}

/* Category names the store refuses (control characters, over 255 bytes as a
 * folder), for creating and renaming alike; the folder-name mapping of export
 * is reversible. */
static void test_category_names(void) {
  g_autofree char *path = g_build_filename(tmpdir, "names.swell", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  CHECK(p != NULL, "create: %s", e ? e->message : "");
  if (!p) return;
  gint64 id = swell_project_create_category(p, "fine", NULL, &e);
  CHECK(id > 0, "create fine");
  CHECK(!swell_project_create_category(p, "a\tb", NULL, &e) &&
            g_error_matches(e, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID) &&
            strstr(e->message, "control character"),
        "control character refused: %s", e ? e->message : "");
  g_clear_error(&e);
  CHECK(!swell_project_rename_category(p, id, "new\nline", &e) && strstr(e->message, "U+000A"),
        "rename with a control character refused: %s", e ? e->message : "");
  g_clear_error(&e);
  g_autofree char *long_name = g_strnfill(256, 'x');
  CHECK(!swell_project_rename_category(p, id, long_name, &e) && strstr(e->message, "256 bytes"),
        "rename to 256 bytes refused: %s", e ? e->message : "");
  g_clear_error(&e);
  long_name[255] = 0;
  CHECK(swell_project_rename_category(p, id, long_name, &e), "rename to 255 bytes");
  g_autoptr(SwellCategory) c = swell_project_get_category(p, id, &e);
  CHECK(c && strcmp(c->name, long_name) == 0, "255-byte name stored");

  static const char *const names[] = {"a\\b", "a_b", "a/b", "x:y?", ".hidden", "e.g.", "100%",
                                      "a%5Cb", "<*|\">", "café", "a%20b"};
  static const char *const folders[] = {"a%5Cb", "a_b", "a%2Fb", "x%3Ay%3F", "%2Ehidden",
                                        "e.g%2E", "100%25", "a%255Cb", "%3C%2A%7C%22%3E", "café",
                                        "a%2520b"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *f = swell_category_folder_name(names[i]);
    g_autofree char *back = swell_category_name_from_folder(f);
    CHECK(strcmp(f, folders[i]) == 0 && strcmp(back, names[i]) == 0, "folder of “%s”: %s -> %s",
          names[i], f, back);
  }
  g_autofree char *plain = swell_category_name_from_folder("a%20b %zz %");
  CHECK(strcmp(plain, "a%20b %zz %") == 0, "other %%XX left as they are: %s", plain);
}

int main(void) {
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  g_mkdir_with_parents(base, 0755);
  g_autofree char *tmpl = g_build_filename(base, "test_store-XXXXXX", NULL);
  tmpdir = g_mkdtemp(tmpl);
  if (!tmpdir) {
    fprintf(stderr, "cannot make a temporary folder in %s\n", base);
    return 1;
  }
  test_open_errors();
  test_migration();
  test_migration_v4_hashes();
  test_categories_and_images();
  test_category_names();
  test_auto_split();
  test_runs_and_models();
  test_concurrency();
  test_big_grid();
  return sw_test_finish();
}
