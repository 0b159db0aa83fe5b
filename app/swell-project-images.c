/* swell-project-images.c: the images of a SwellProject: adding, listing, bytes and
 * thumbnails, labels, splits, soft delete and restore. See swell-project.h. */
#include "swell-config.h"

#include "swell-project-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "swell-image.h"

/* ----------------------------------------------------------------- splits */

const char *swell_split_to_string(SwellSplit split) {
  switch (split) {
  case SWELL_SPLIT_TRAIN: return "train";
  case SWELL_SPLIT_VALID: return "valid";
  case SWELL_SPLIT_TEST: return "test";
  }
  return "train";
}

gboolean swell_split_from_string(const char *name, SwellSplit *out) {
  static const struct { const char *name; SwellSplit split; } names[] = {
      {"train", SWELL_SPLIT_TRAIN}, {"valid", SWELL_SPLIT_VALID},
      {"val", SWELL_SPLIT_VALID},   {"validation", SWELL_SPLIT_VALID},
      {"test", SWELL_SPLIT_TEST},
  };
  if (!name) return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (g_ascii_strcasecmp(name, names[i].name) == 0) {
      if (out) *out = names[i].split;
      return TRUE;
    }
  return FALSE;
}

/* ----------------------------------------------------------------- images */

SwellProjectImage *swell_project_image_copy(const SwellProjectImage *img) {
  SwellProjectImage *c = g_new0(SwellProjectImage, 1);
  *c = *img;
  c->name = g_strdup(img->name);
  c->sha256 = g_strdup(img->sha256);
  c->format = g_strdup(img->format);
  return c;
}

void swell_project_image_free(SwellProjectImage *img) {
  if (!img) return;
  g_free(img->name);
  g_free(img->sha256);
  g_free(img->format);
  g_free(img);
}

#define IMAGE_COLUMNS \
  "id, coalesce(category_id, 0), split, name, sha256, format, width, height, size, added, phash"

static SwellProjectImage *image_from_row(sqlite3_stmt *st) {
  SwellProjectImage *m = g_new0(SwellProjectImage, 1);
  m->id = sqlite3_column_int64(st, 0);
  m->category_id = sqlite3_column_int64(st, 1);
  m->split = (SwellSplit)sqlite3_column_int(st, 2);
  m->name = col_strdup(st, 3);
  m->sha256 = col_strdup(st, 4);
  m->format = col_strdup(st, 5);
  m->width = sqlite3_column_int(st, 6);
  m->height = sqlite3_column_int(st, 7);
  m->size = sqlite3_column_int64(st, 8);
  m->added = sqlite3_column_int64(st, 9);
  m->has_phash = sqlite3_column_type(st, 10) != SQLITE_NULL;
  m->phash = (guint64)sqlite3_column_int64(st, 10);
  return m;
}

/* WHERE clause for a query; parameters ?1 = category id, ?2 = split. */
static const char *query_where(const SwellImageQuery *q) {
  if (q->category_id == SWELL_CATEGORY_ANY)
    return " WHERE deleted = 0 AND (?1 IS NULL OR 1) AND (?2 < 0 OR split = ?2)";
  if (q->category_id == SWELL_CATEGORY_LABELED)
    return " WHERE deleted = 0 AND category_id IS NOT NULL AND (?1 IS NULL OR 1) AND (?2 < 0 OR "
           "split = ?2)";
  if (q->category_id == SWELL_CATEGORY_UNLABELED)
    return " WHERE deleted = 0 AND category_id IS NULL AND (?1 IS NULL OR 1) AND (?2 < 0 OR "
           "split = ?2)";
  return " WHERE deleted = 0 AND category_id = ?1 AND (?2 < 0 OR split = ?2)";
}

static sqlite3_stmt *query_stmt(SwellProject *self, const char *columns, const SwellImageQuery *q,
                                gboolean paged, GError **error) {
  g_autofree char *sql = g_strconcat("SELECT ", columns, " FROM images", query_where(q),
                                     paged ? " ORDER BY id LIMIT ?3 OFFSET ?4" : "", NULL);
  sqlite3_stmt *st = prep(self, sql, error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, q->category_id);
  sqlite3_bind_int(st, 2, q->split);
  if (paged) {
    sqlite3_bind_int64(st, 3, q->limit ? (gint64)q->limit : -1);
    sqlite3_bind_int64(st, 4, q->offset);
  }
  return st;
}

GPtrArray *swell_project_list_images(SwellProject *self, const SwellImageQuery *query,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && query, NULL);
  g_autoptr(sqlite3_stmt) st = query_stmt(self, IMAGE_COLUMNS, query, TRUE, error);
  if (!st) return NULL;
  return list_rows(self, st, (SwellRowFunc)image_from_row,
                   (GDestroyNotify)swell_project_image_free, _("cannot list the images"), error);
}

static void image_id_from_row(sqlite3_stmt *st, gpointer out) {
  *(gint64 *)out = sqlite3_column_int64(st, 0);
}

GArray *swell_project_list_image_ids(SwellProject *self, const SwellImageQuery *query,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && query, NULL);
  g_autoptr(sqlite3_stmt) st = query_stmt(self, "id", query, TRUE, error);
  if (!st) return NULL;
  return list_structs(self, st, sizeof(gint64), image_id_from_row, NULL,
                      _("cannot list the images"), error);
}

gint64 swell_project_count_images(SwellProject *self, const SwellImageQuery *query,
                                  GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && query, -1);
  g_autoptr(sqlite3_stmt) st = query_stmt(self, "count(*)", query, FALSE, error);
  if (!st) return -1;
  if (sqlite3_step(st) != SQLITE_ROW) {
    db_fail(self, error, _("cannot count the images"));
    return -1;
  }
  return sqlite3_column_int64(st, 0);
}

static SwellProjectImage *get_image_where(SwellProject *self, const char *where, gint64 id,
                                          const char *text, GError **error) {
  g_autofree char *sql = g_strconcat("SELECT " IMAGE_COLUMNS " FROM images ", where, NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
  if (!st) return NULL;
  if (text) sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return image_from_row(st);
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read an image"));
  else if (!text)
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no image with id %lld"), self->path, (long long)id);
  return NULL;
}

SwellProjectImage *swell_project_get_image(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  return get_image_where(self, "WHERE id = ? AND deleted = 0", id, NULL, error);
}

SwellProjectImage *swell_project_find_image_by_sha256(SwellProject *self, const char *sha256,
                                                      GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && sha256, NULL);
  return get_image_where(self, "WHERE sha256 = ? AND deleted = 0", 0, sha256, error);
}

static GBytes *get_blob(SwellProject *self, const char *sql, gint64 id, char **text_out,
                        GError **error) {
  g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (text_out) *text_out = col_strdup(st, 1);
    return g_bytes_new(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
  }
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read an image"));
  else
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no image with id %lld"), self->path, (long long)id);
  return NULL;
}

GBytes *swell_project_get_image_bytes(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  return get_blob(self,
                  "SELECT d.bytes, NULL FROM image_data d JOIN images i ON i.id = d.image_id "
                  "WHERE d.image_id = ? AND i.deleted = 0",
                  id, NULL, error);
}

/* Caches the encoded thumbnail of image `id` (replacing an older one). */
static gboolean store_thumbnail(SwellProject *self, gint64 id, const char *mime, GBytes *thumbnail,
                                GError **error) {
  gsize n;
  const void *data = g_bytes_get_data(thumbnail, &n);
  g_autoptr(sqlite3_stmt) st = prep(
      self, "INSERT OR REPLACE INTO thumbnails (image_id, mime, bytes) VALUES (?, ?, ?)", error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, mime, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64(st, 3, n ? data : "", n, SQLITE_STATIC);
  return step_done(self, st, error, _("cannot store the thumbnail"));
}

GBytes *swell_project_get_thumbnail(SwellProject *self, gint64 id, char **mime_type,
                                    GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(GError) local = NULL;
  char *mime = NULL;
  GBytes *thumb = get_blob(self, "SELECT bytes, mime FROM thumbnails WHERE image_id = ?", id,
                           &mime, &local);
  if (thumb) {
    if (mime_type) *mime_type = mime;
    else g_free(mime);
    return thumb;
  }
  if (!g_error_matches(local, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  /* Not cached yet: a small JPEG or PNG is its own thumbnail, else make it
   * from the original and keep it. */
  g_autoptr(SwellProjectImage) img = swell_project_get_image(self, id, error);
  if (!img) return NULL;
  g_autoptr(GBytes) bytes = swell_project_get_image_bytes(self, id, error);
  if (!bytes) return NULL;
  if (swell_image_is_own_thumbnail(bytes, SWELL_THUMBNAIL_SIZE)) {
    if (mime_type) *mime_type = g_strdup(strcmp(img->format, "png") == 0 ? "image/png" : "image/jpeg");
    return g_steal_pointer(&bytes);
  }
  g_autoptr(SwellRgbImage) rgb = swell_image_decode_bytes(bytes, img->name, error);
  if (!rgb) return NULL;
  thumb = swell_image_thumbnail(rgb, SWELL_THUMBNAIL_SIZE, SWELL_THUMBNAIL_JPEG, error);
  if (!thumb) return NULL;
  /* the cache is optional: a failure only costs time later */
  if (tx_begin(self, NULL))
    tx_end(self, store_thumbnail(self, id, "image/jpeg", thumb, NULL), NULL);
  if (mime_type) *mime_type = g_strdup("image/jpeg");
  return thumb;
}

/* Runs `sql` (?1 = value, ?2 = image id) for each distinct id; every id must
 * match one live image, or nothing changes. */
static gboolean update_images(SwellProject *self, const gint64 *ids, guint n_ids, const char *sql,
                              gint64 value, gboolean value_null, const char *what,
                              GError **error) {
  g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
  g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
  gboolean ok = st != NULL;
  for (guint i = 0; ok && i < n_ids; i++) {
    if (!g_hash_table_add(seen, (gpointer)&ids[i])) continue;
    sqlite3_reset(st);
    if (value_null) sqlite3_bind_null(st, 1);
    else sqlite3_bind_int64(st, 1, value);
    sqlite3_bind_int64(st, 2, ids[i]);
    ok = step_done(self, st, error, what);
    if (ok && sqlite3_changes(self->db) != 1) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: no image with id %lld"), self->path, (long long)ids[i]);
      ok = FALSE;
    }
  }
  return ok;
}

gboolean swell_project_set_image_phashes(SwellProject *self, const gint64 *ids,
                                         const guint64 *hashes, guint n, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && ((ids && hashes) || n == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st = prep(self, "UPDATE images SET phash = ?1 WHERE id = ?2", error);
  gboolean ok = st != NULL;
  for (guint i = 0; ok && i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)hashes[i]);
    sqlite3_bind_int64(st, 2, ids[i]);
    ok = step_done(self, st, error, _("cannot store the image hashes"));
    if (ok && sqlite3_changes(self->db) != 1) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: no image with id %lld"), self->path, (long long)ids[i]);
      ok = FALSE;
    }
  }
  /* a cache of what the bytes already say: no "changed" for it */
  return tx_end(self, ok, error);
}

gboolean swell_project_set_label(SwellProject *self, const gint64 *ids, guint n_ids,
                                 gint64 category_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = category_id == 0 || category_exists(self, category_id, error);
  if (ok)
    ok = update_images(self, ids, n_ids,
                       "UPDATE images SET category_id = ?1 WHERE id = ?2 AND deleted = 0",
                       category_id, category_id == 0, _("cannot label the images"), error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}

gboolean swell_project_clear_label(SwellProject *self, const gint64 *ids, guint n_ids,
                                   GError **error) {
  return swell_project_set_label(self, ids, n_ids, 0, error);
}

gboolean swell_project_set_split(SwellProject *self, const gint64 *ids, guint n_ids,
                                 SwellSplit split, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if ((int)split < 0 || split >= SWELL_N_SPLITS) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID, _("unknown split %d"),
                (int)split);
    return FALSE;
  }
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = update_images(
      self, ids, n_ids, "UPDATE images SET split = ?1, auto_split = 0 WHERE id = ?2 AND deleted = 0",
      split, FALSE, _("cannot change the split"), error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}

gboolean swell_project_delete_images(SwellProject *self, const gint64 *ids, guint n_ids,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = update_images(self, ids, n_ids,
                              "UPDATE images SET deleted = ?1 WHERE id = ?2 AND deleted = 0", 1,
                              FALSE, _("cannot delete the images"), error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}

gboolean swell_project_restore_images(SwellProject *self, const gint64 *ids, guint n_ids,
                                      GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = update_images(self, ids, n_ids,
                              "UPDATE images SET deleted = ?1 WHERE id = ?2 AND deleted = 1", 0,
                              FALSE, _("cannot restore the images"), error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}

gboolean swell_project_purge_deleted_images(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = exec_sql(self, "DELETE FROM images WHERE deleted = 1", error,
                         _("cannot remove the deleted images"));
  mark(self, SWELL_PROJECT_CHANGE_IMAGES | SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

/* Looks for an image with this SHA-256, deleted or not: *id is 0 when there is none. */
static gboolean find_sha256(SwellProject *self, const char *sha, gint64 *id, gboolean *deleted,
                            GError **error) {
  g_autoptr(sqlite3_stmt) st = prep(self, "SELECT id, deleted FROM images WHERE sha256 = ?", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    *deleted = sqlite3_column_int(st, 1) != 0;
  } else if (rc != SQLITE_DONE) {
    return db_fail(self, error, _("cannot look for duplicates"));
  }
  return TRUE;
}

static void bind_id_or_null(sqlite3_stmt *st, int i, gint64 id) {
  if (id) sqlite3_bind_int64(st, i, id);
  else sqlite3_bind_null(st, i);
}

static void bind_phash(sqlite3_stmt *st, int i, const SwellNewImage *image) {
  if (image->has_phash) sqlite3_bind_int64(st, i, (sqlite3_int64)image->phash);
  else sqlite3_bind_null(st, i);
}

/* The same bytes were deleted earlier: bring image `id` back with the new
 * name, label and split. */
static gboolean restore_as_new(SwellProject *self, gint64 id, const SwellNewImage *image,
                               GError **error) {
  g_autoptr(sqlite3_stmt) st = prep(self,
                                    "UPDATE images SET deleted = 0, name = ?, category_id = ?, "
                                    "split = ?, auto_split = ?, added = ?, "
                                    "phash = coalesce(?, phash) WHERE id = ?",
                                    error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, image->name, -1, SQLITE_TRANSIENT);
  bind_id_or_null(st, 2, image->category_id);
  sqlite3_bind_int(st, 3, image->split);
  sqlite3_bind_int(st, 4, image->auto_split ? 1 : 0);
  sqlite3_bind_int64(st, 5, now_seconds());
  bind_phash(st, 6, image);
  sqlite3_bind_int64(st, 7, id);
  return step_done(self, st, error, _("cannot add the image"));
}

/* Inserts a new image row and its bytes; *id gets its id. */
static gboolean insert_image(SwellProject *self, const SwellNewImage *image, const char *sha,
                             gint64 *id, GError **error) {
  gsize n;
  const void *data = g_bytes_get_data(image->bytes, &n);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           "INSERT INTO images (sha256, name, format, width, height, size, category_id, split, "
           "auto_split, added, phash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, image->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, image->format ? image->format : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 4, image->width);
  sqlite3_bind_int(st, 5, image->height);
  sqlite3_bind_int64(st, 6, (sqlite3_int64)n);
  bind_id_or_null(st, 7, image->category_id);
  sqlite3_bind_int(st, 8, image->split);
  sqlite3_bind_int(st, 9, image->auto_split ? 1 : 0);
  sqlite3_bind_int64(st, 10, now_seconds());
  bind_phash(st, 11, image);
  gboolean ok = step_done(self, st, error, _("cannot add the image"));
  *id = sqlite3_last_insert_rowid(self->db);
  if (!ok) return FALSE;
  g_autoptr(sqlite3_stmt) d =
      prep(self, "INSERT INTO image_data (image_id, bytes) VALUES (?, ?)", error);
  if (!d) return FALSE;
  sqlite3_bind_int64(d, 1, *id);
  sqlite3_bind_blob64(d, 2, n ? data : "", n, SQLITE_STATIC);
  return step_done(self, d, error, _("cannot store the image bytes"));
}

gint64 swell_project_add_image(SwellProject *self, const SwellNewImage *image,
                               gboolean *duplicate, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && image && image->bytes && image->name, 0);
  if (duplicate) *duplicate = FALSE;
  gsize n;
  const void *data = g_bytes_get_data(image->bytes, &n);
  g_autofree char *sha = image->sha256
                             ? g_ascii_strdown(image->sha256, -1)
                             : g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, n);
  if (!tx_begin(self, error)) return 0;
  gboolean ok = image->category_id == 0 || category_exists(self, image->category_id, error);
  gint64 id = 0;
  gboolean deleted = FALSE;
  if (ok) ok = find_sha256(self, sha, &id, &deleted, error);
  if (ok && id && !deleted) {
    if (duplicate) *duplicate = TRUE;
    tx_end(self, TRUE, NULL);
    return id;
  }
  if (ok && id && deleted) ok = restore_as_new(self, id, image, error);
  else if (ok) ok = insert_image(self, image, sha, &id, error);
  /* An image that is its own thumbnail is not stored twice (a re-encoded
   * 150x150 photo added 63% to a project of them). */
  if (ok && image->thumbnail && !swell_image_is_own_thumbnail(image->bytes, SWELL_THUMBNAIL_SIZE))
    ok = store_thumbnail(self, id, image->thumbnail_mime ? image->thumbnail_mime : "image/jpeg",
                         image->thumbnail, error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error) ? id : 0;
}

typedef struct {
  gint64 id;
  gint64 category;
  char *key; /* hex SHA-256 of seed:sha256 */
} SplitItem;

static gint split_item_cmp(gconstpointer a, gconstpointer b) {
  const SplitItem *x = a, *y = b;
  if (x->category != y->category) return x->category < y->category ? -1 : 1;
  return strcmp(x->key, y->key);
}

gboolean swell_project_assign_auto_split(SwellProject *self, const gint64 *ids, guint n_ids,
                                         double valid_fraction, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if (valid_fraction <= 0) valid_fraction = 0.2;
  if (valid_fraction > 1) valid_fraction = 1;
  g_autofree char *seed = swell_project_get_setting(self, "split-seed");
  if (!seed) seed = g_strdup("42");
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(SplitItem));
  g_autoptr(GHashTable) in_set = g_hash_table_new(g_int64_hash, g_int64_equal);
  gboolean ok = TRUE;
  {
    g_autoptr(sqlite3_stmt) st =
        prep(self, "SELECT coalesce(category_id, 0), sha256 FROM images WHERE id = ? AND deleted = 0",
             error);
    ok = st != NULL;
    for (guint i = 0; ok && i < n_ids; i++) {
      if (!g_hash_table_add(in_set, (gpointer)&ids[i])) continue;
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, ids[i]);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) continue; /* deleted meanwhile: nothing to do */
      if (rc != SQLITE_ROW) {
        ok = db_fail(self, error, _("cannot read an image"));
        break;
      }
      g_autofree char *k = g_strdup_printf("%s:%s", seed, sqlite3_column_text(st, 1));
      SplitItem it = {ids[i], sqlite3_column_int64(st, 0),
                      g_compute_checksum_for_string(G_CHECKSUM_SHA256, k, -1)};
      g_array_append_val(items, it);
    }
  }
  g_array_sort(items, split_item_cmp);
  g_autoptr(sqlite3_stmt) count = prep(
      self,
      "SELECT count(*), coalesce(sum(split = 1), 0) FROM images WHERE deleted = 0 AND split < 2 "
      "AND coalesce(category_id, 0) = ?",
      error);
  g_autoptr(sqlite3_stmt) upd = prep(self, "UPDATE images SET split = ?, auto_split = 1 WHERE id = ?", error);
  ok = ok && count && upd;
  for (guint i = 0; ok && i < items->len;) {
    guint j = i;
    SplitItem *first = &g_array_index(items, SplitItem, i);
    while (j < items->len && g_array_index(items, SplitItem, j).category == first->category) j++;
    guint n_new = j - i;
    /* others: images of this category outside the set, train + valid */
    sqlite3_reset(count);
    sqlite3_bind_int64(count, 1, first->category);
    if (sqlite3_step(count) != SQLITE_ROW) {
      ok = db_fail(self, error, _("cannot count the images"));
      break;
    }
    gint64 total = sqlite3_column_int64(count, 0), valid = sqlite3_column_int64(count, 1);
    /* Subtract the set's own images (they are in train or valid right now). */
    {
      g_autoptr(sqlite3_stmt) own = prep(self, "SELECT split FROM images WHERE id = ?", error);
      ok = own != NULL;
      for (guint k = i; ok && k < j; k++) {
        sqlite3_reset(own);
        sqlite3_bind_int64(own, 1, g_array_index(items, SplitItem, k).id);
        if (sqlite3_step(own) == SQLITE_ROW) {
          int s = sqlite3_column_int(own, 0);
          if (s < 2) total--;
          if (s == 1) valid--;
        }
      }
    }
    gint64 target = (gint64)floor(valid_fraction * (double)(total + n_new) + 0.5);
    gint64 need = CLAMP(target - valid, 0, (gint64)n_new);
    for (guint k = i; ok && k < j; k++) {
      sqlite3_reset(upd);
      sqlite3_bind_int(upd, 1, (gint64)(k - i) < need ? SWELL_SPLIT_VALID : SWELL_SPLIT_TRAIN);
      sqlite3_bind_int64(upd, 2, g_array_index(items, SplitItem, k).id);
      ok = step_done(self, upd, error, _("cannot change the split"));
    }
    i = j;
  }
  for (guint i = 0; i < items->len; i++) g_free(g_array_index(items, SplitItem, i).key);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}

gboolean swell_project_redraw_split(SwellProject *self, double valid_fraction, const char *seed,
                                    GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = !seed || swell_project_set_setting(self, "split-seed", seed, error);
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (int s = SWELL_SPLIT_TRAIN; ok && s <= SWELL_SPLIT_VALID; s++) {
    SwellImageQuery q = {SWELL_CATEGORY_ANY, s, 0, 0};
    g_autoptr(GArray) part = swell_project_list_image_ids(self, &q, error);
    ok = part != NULL;
    if (ok) g_array_append_vals(ids, part->data, part->len);
  }
  /* With every train and valid image in the set, each category's valid share
   * is drawn afresh. */
  if (ok)
    ok = swell_project_assign_auto_split(self, (const gint64 *)(void *)ids->data, ids->len,
                                         valid_fraction, error);
  mark(self, SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}
