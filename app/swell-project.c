/* swell-project.c: the project store, one SQLite connection per object.
 * See swell-project.h for the contract. */
#include "swell-config.h"

#include "swell-project.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swell-image.h"
#include "swell-schema.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* How long a writer waits for another connection's transaction to end. */
#define BUSY_TIMEOUT_MS 30000

struct _SwellProject {
  GObject parent_instance;
  char *path;
  sqlite3 *db;
  int tx_depth;          /* 0: autocommit; 1: BEGIN IMMEDIATE; >1: savepoints inside */
  guint pending_changes; /* SwellProjectChange flags to emit at the outermost commit */
  gint64 data_version;
  gint64 counters[5];    /* change_counters as last seen, per SwellProjectChange bit */
};

G_DEFINE_FINAL_TYPE(SwellProject, swell_project, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_QUARK(swell-project-error-quark, swell_project_error)

static void swell_project_finalize(GObject *object) {
  SwellProject *self = SWELL_PROJECT(object);
  if (self->db) {
    if (self->tx_depth > 0) sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close_v2(self->db);
  }
  g_free(self->path);
  G_OBJECT_CLASS(swell_project_parent_class)->finalize(object);
}

static void swell_project_class_init(SwellProjectClass *klass) {
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->finalize = swell_project_finalize;
  /**
   * SwellProject::changed:
   * @what: SwellProjectChange flags
   *
   * Emitted after a change through this object was committed.
   */
  signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void swell_project_init(SwellProject *self) {
}

/* ---------------------------------------------------------------- helpers */

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

const char *swell_run_status_to_string(SwellRunStatus status) {
  switch (status) {
  case SWELL_RUN_RUNNING: return "running";
  case SWELL_RUN_COMPLETED: return "completed";
  case SWELL_RUN_CANCELLED: return "cancelled";
  case SWELL_RUN_FAILED: return "failed";
  }
  return "failed";
}

static SwellRunStatus run_status_from_string(const char *s) {
  for (int i = SWELL_RUN_RUNNING; i <= SWELL_RUN_FAILED; i++)
    if (g_strcmp0(s, swell_run_status_to_string(i)) == 0) return i;
  return SWELL_RUN_FAILED;
}

const char *swell_stage_to_string(SwellStage stage) {
  return stage == SWELL_STAGE_FROZEN ? "frozen" : "unfrozen";
}

/* Sets `error` from the connection's last error: "<path>: <what> (<sqlite>)". */
static gboolean db_fail(SwellProject *self, GError **error, const char *what) {
  int code = sqlite3_errcode(self->db) & 0xff;
  SwellProjectError e = SWELL_PROJECT_ERROR_FAILED;
  if (code == SQLITE_CORRUPT) e = SWELL_PROJECT_ERROR_CORRUPT;
  else if (code == SQLITE_NOTADB) e = SWELL_PROJECT_ERROR_NOT_A_PROJECT;
  g_set_error(error, SWELL_PROJECT_ERROR, e, "%s: %s (%s)", self->path, what,
              sqlite3_errmsg(self->db));
  return FALSE;
}

static sqlite3_stmt *prep(SwellProject *self, const char *sql, GError **error) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_fail(self, error, _("database query failed"));
    return NULL;
  }
  return st;
}

/* Runs a statement that returns no rows; SQLITE_DONE -> TRUE. */
static gboolean step_done(SwellProject *self, sqlite3_stmt *st, GError **error, const char *what) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(self, error, what);
  return TRUE;
}

static gboolean exec_sql(SwellProject *self, const char *sql, GError **error, const char *what) {
  if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(self, error, what);
  return TRUE;
}

static void mark(SwellProject *self, guint what) {
  self->pending_changes |= what;
}

void swell_project_notify_changed(SwellProject *self, SwellProjectChange what) {
  g_return_if_fail(SWELL_IS_PROJECT(self));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0, (guint)what);
}

static gboolean tx_begin(SwellProject *self, GError **error) {
  const char *sql = self->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT swell_nested";
  if (!exec_sql(self, sql, error, _("cannot start a transaction"))) return FALSE;
  self->tx_depth++;
  return TRUE;
}

static void tx_rollback(SwellProject *self) {
  if (self->tx_depth <= 0) return;
  if (self->tx_depth == 1) {
    sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    self->pending_changes = 0;
  } else {
    sqlite3_exec(self->db, "ROLLBACK TO swell_nested; RELEASE swell_nested", NULL, NULL, NULL);
  }
  self->tx_depth--;
}

/* Bumps the change counters of `what` (inside the transaction). */
static gboolean bump_counters(SwellProject *self, guint what, GError **error) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(self->db,
                         "UPDATE change_counters SET counter = counter + 1 WHERE (?1 >> kind) & 1",
                         -1, &st, NULL) != SQLITE_OK)
    return db_fail(self, error, _("cannot save the changes"));
  sqlite3_bind_int(st, 1, (int)what);
  gboolean ok = sqlite3_step(st) == SQLITE_DONE;
  sqlite3_finalize(st);
  return ok ? TRUE : db_fail(self, error, _("cannot save the changes"));
}

static gboolean tx_commit(SwellProject *self, GError **error) {
  g_return_val_if_fail(self->tx_depth > 0, FALSE);
  if (self->tx_depth == 1 && self->pending_changes &&
      !bump_counters(self, self->pending_changes, error)) {
    tx_rollback(self);
    return FALSE;
  }
  const char *sql = self->tx_depth == 1 ? "COMMIT" : "RELEASE swell_nested";
  if (!exec_sql(self, sql, error, _("cannot save the changes"))) {
    tx_rollback(self);
    return FALSE;
  }
  self->tx_depth--;
  if (self->tx_depth == 0 && self->pending_changes) {
    guint what = self->pending_changes;
    self->pending_changes = 0;
    /* our own bumps are not news for poll_external_changes() */
    for (guint k = 0; k < G_N_ELEMENTS(self->counters); k++)
      if (what & (1u << k)) self->counters[k]++;
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0, what);
  }
  return TRUE;
}

/* Ends a write: commit when ok, else roll back (keeping the first error). */
static gboolean tx_end(SwellProject *self, gboolean ok, GError **error) {
  if (!ok) {
    tx_rollback(self);
    return FALSE;
  }
  return tx_commit(self, error);
}

gboolean swell_project_begin(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  return tx_begin(self, error);
}

gboolean swell_project_commit(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  return tx_commit(self, error);
}

void swell_project_rollback(SwellProject *self) {
  g_return_if_fail(SWELL_IS_PROJECT(self));
  tx_rollback(self);
}

static char *col_strdup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? g_strdup((const char *)s) : NULL;
}

static double col_double_or_nan(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void bind_double_or_null(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v)) sqlite3_bind_double(st, i, v);
  else sqlite3_bind_null(st, i);
}

/* JSON array of strings <-> NULL-terminated vector. */
static char *strv_to_json(const char *const *v) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; v && v[i]; i++) json_builder_add_string_value(b, v[i]);
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

static char **json_to_strv(const char *json) {
  g_autoptr(GPtrArray) out = g_ptr_array_new();
  g_autoptr(JsonNode) node = json ? json_from_string(json, NULL) : NULL;
  if (node && JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      const char *s = json_array_get_string_element(a, i);
      g_ptr_array_add(out, g_strdup(s ? s : ""));
    }
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static char *floats_to_json(const float *v, int n) {
  GString *s = g_string_new("[");
  for (int i = 0; i < n; i++) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(s, g_ascii_formatd(buf, sizeof buf, "%.9g", v[i]));
    if (i + 1 < n) g_string_append_c(s, ',');
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

static void json_to_floats(const char *json, float *v, int n) {
  g_autoptr(JsonNode) node = json ? json_from_string(json, NULL) : NULL;
  for (int i = 0; i < n; i++) v[i] = 0.0f;
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) return;
  JsonArray *a = json_node_get_array(node);
  for (int i = 0; i < n && i < (int)json_array_get_length(a); i++)
    v[i] = (float)json_array_get_double_element(a, i);
}

static gint64 now_seconds(void) {
  return g_get_real_time() / G_USEC_PER_SEC;
}

/* ------------------------------------------------------------ open/create */

static void unlink_project_files(const char *path) {
  g_unlink(path);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
}

/* Reads one integer pragma; FALSE on failure (error set, naming the file). */
static gboolean read_int_pragma(SwellProject *self, const char *sql, gint64 *out, GError **error) {
  g_autoptr(sqlite3_stmt) st = NULL;
  int rc = sqlite3_prepare_v2(self->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    int code = sqlite3_errcode(self->db) & 0xff;
    if (code == SQLITE_NOTADB)
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT,
                  _("%s: not a Swell project (the file is not a database)"), self->path);
    else
      db_fail(self, error, _("cannot read the project"));
    return FALSE;
  }
  *out = sqlite3_column_int64(st, 0);
  return TRUE;
}

static guint read_counters(SwellProject *self);

static SwellProject *open_common(const char *path, gboolean create, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  if (create) {
    int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      int e = errno;
      g_set_error(error, SWELL_PROJECT_ERROR,
                  e == EEXIST ? SWELL_PROJECT_ERROR_EXISTS : SWELL_PROJECT_ERROR_FAILED,
                  e == EEXIST ? _("%s: a file with this name already exists")
                              : _("%s: cannot create the project (%s)"),
                  path, g_strerror(e));
      return NULL;
    }
    close(fd);
  } else {
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: no such file"), path);
      return NULL;
    }
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT,
                  _("%s: not a Swell project (it is a folder)"), path);
      return NULL;
    }
  }

  g_autoptr(SwellProject) self = g_object_new(SWELL_TYPE_PROJECT, NULL);
  self->path = g_strdup(path);
  int rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                _("%s: cannot open the project (%s)"), path,
                self->db ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
    if (create) unlink_project_files(path);
    return NULL;
  }
  sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS);

  gint64 app_id = 0, version = 0, n_objects = 0;
  if (!read_int_pragma(self, "PRAGMA application_id", &app_id, error) ||
      !read_int_pragma(self, "PRAGMA user_version", &version, error) ||
      !read_int_pragma(self, "SELECT count(*) FROM sqlite_master", &n_objects, error))
    goto fail;
  if (create) {
    if (app_id != 0 || n_objects != 0) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_EXISTS,
                  _("%s: a file with this name already exists"), path);
      return NULL; /* not ours: do not delete it */
    }
  } else {
    if (app_id != SWELL_APPLICATION_ID) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT,
                  n_objects == 0 ? _("%s: not a Swell project (an empty file or database)")
                                 : _("%s: not a Swell project (a database of another application)"),
                  path);
      return NULL;
    }
    if (version > SWELL_SCHEMA_VERSION) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_TOO_NEW,
                  _("%s: made by a newer version of Swell (project format %d; this version "
                    "reads up to %d)"),
                  path, (int)version, SWELL_SCHEMA_VERSION);
      return NULL;
    }
  }

  /* WAL: readers never block the writer and a killed writer leaves the
   * database valid. FULL sync: a committed label survives a power cut too. */
  {
    g_autoptr(sqlite3_stmt) st = NULL;
    if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
      db_fail(self, error, _("cannot switch to write-ahead logging"));
      goto fail;
    }
    if (!exec_sql(self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", error,
                  _("cannot configure the database")))
      goto fail;
  }

  if (version < SWELL_SCHEMA_VERSION &&
      !swell_schema_migrate(self->db, path, SWELL_SCHEMA_VERSION, error))
    goto fail;

  /* A project whose tables are gone is damaged, not just old. */
  for (const char *const *t = swell_schema_tables(); *t; t++) {
    g_autoptr(sqlite3_stmt) st = NULL;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK) {
      db_fail(self, error, _("cannot read the project"));
      goto fail;
    }
    sqlite3_bind_text(st, 1, *t, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
      db_fail(self, error, _("cannot read the project"));
      goto fail;
    }
    if (sqlite3_column_int(st, 0) != 1) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_CORRUPT,
                  _("%s: damaged project (the table “%s” is missing)"), path, *t);
      goto fail;
    }
  }
  if (!read_int_pragma(self, "PRAGMA data_version", &self->data_version, error)) goto fail;
  read_counters(self);
  return g_steal_pointer(&self);

fail:
  if (create) {
    sqlite3_close_v2(self->db);
    self->db = NULL;
    unlink_project_files(path);
  }
  return NULL;
}

SwellProject *swell_project_create(const char *path, GError **error) {
  return open_common(path, TRUE, error);
}

SwellProject *swell_project_open(const char *path, GError **error) {
  return open_common(path, FALSE, error);
}

const char *swell_project_get_path(SwellProject *self) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  return self->path;
}

/* Reads change_counters; returns the bits whose counter differs from the
 * cache and updates the cache. */
static guint read_counters(SwellProject *self) {
  sqlite3_stmt *st = NULL;
  guint what = 0;
  if (sqlite3_prepare_v2(self->db, "SELECT kind, counter FROM change_counters", -1, &st, NULL) !=
      SQLITE_OK)
    return SWELL_PROJECT_CHANGE_ALL;
  while (sqlite3_step(st) == SQLITE_ROW) {
    int k = sqlite3_column_int(st, 0);
    gint64 c = sqlite3_column_int64(st, 1);
    if (k < 0 || k >= (int)G_N_ELEMENTS(self->counters)) continue;
    if (c != self->counters[k]) what |= 1u << k;
    self->counters[k] = c;
  }
  sqlite3_finalize(st);
  return what;
}

gboolean swell_project_poll_external_changes(SwellProject *self) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  gint64 v = 0;
  if (self->tx_depth > 0) return FALSE; /* inside our own transaction nothing moves */
  if (!read_int_pragma(self, "PRAGMA data_version", &v, NULL)) return FALSE;
  if (v == self->data_version) return FALSE;
  self->data_version = v;
  guint what = read_counters(self);
  if (!what) return FALSE; /* e.g. only thumbnails were cached elsewhere */
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0, what);
  return TRUE;
}

gboolean swell_project_check_integrity(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  g_autoptr(sqlite3_stmt) st = prep(self, "PRAGMA integrity_check(1)", error);
  if (!st) return FALSE;
  if (sqlite3_step(st) != SQLITE_ROW) return db_fail(self, error, _("integrity check failed"));
  const char *r = (const char *)sqlite3_column_text(st, 0);
  if (g_strcmp0(r, "ok") != 0) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_CORRUPT,
                _("%s: damaged project (%s)"), self->path, r ? r : "?");
    return FALSE;
  }
  g_autoptr(sqlite3_stmt) fk = prep(self, "PRAGMA foreign_key_check", error);
  if (!fk) return FALSE;
  int rc = sqlite3_step(fk);
  if (rc == SQLITE_ROW) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_CORRUPT,
                _("%s: damaged project (a row of “%s” points to nothing)"), self->path,
                sqlite3_column_text(fk, 0));
    return FALSE;
  }
  if (rc != SQLITE_DONE) return db_fail(self, error, _("integrity check failed"));
  return TRUE;
}

/* ------------------------------------------------------------- categories */

static const char *const palette[] = {
    "#3584e4", /* blue */
    "#33d17a", /* green */
    "#f6d32d", /* yellow */
    "#ff7800", /* orange */
    "#e01b24", /* red */
    "#9141ac", /* purple */
    "#986a44", /* brown */
    "#2190a4", /* teal */
    "#e66197", /* pink */
    "#6f8396", /* slate */
    "#62a0ea", /* light blue */
    "#8ff0a4", /* light green */
};

const char *swell_project_palette_color(guint n) {
  return palette[n % G_N_ELEMENTS(palette)];
}

SwellCategory *swell_category_copy(const SwellCategory *cat) {
  SwellCategory *c = g_new0(SwellCategory, 1);
  *c = *cat;
  c->name = g_strdup(cat->name);
  c->color = g_strdup(cat->color);
  return c;
}

void swell_category_free(SwellCategory *cat) {
  if (!cat) return;
  g_free(cat->name);
  g_free(cat->color);
  g_free(cat);
}

/* "#rrggbb" (any case) -> lower-case copy; NULL if malformed. */
static char *normalize_color(const char *color) {
  if (!color || strlen(color) != 7 || color[0] != '#') return NULL;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit(color[i])) return NULL;
  return g_ascii_strdown(color, -1);
}

static gboolean check_color(SwellProject *self, const char *color, char **out, GError **error) {
  *out = normalize_color(color);
  if (!*out) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("“%s” is not a colour of the form #rrggbb"), color ? color : "");
    return FALSE;
  }
  return TRUE;
}

static gboolean check_name(const char *name, char **out, GError **error) {
  *out = name ? g_strstrip(g_strdup(name)) : NULL;
  if (!*out || !**out || !g_utf8_validate(*out, -1, NULL)) {
    g_clear_pointer(out, g_free);
    g_set_error_literal(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                        _("a category needs a name"));
    return FALSE;
  }
  return TRUE;
}

#define CATEGORY_SELECT                                                                  \
  "SELECT c.id, c.name, c.color, c.position,"                                           \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 0)," \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 1)," \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 2)" \
  " FROM categories c "

static SwellCategory *category_from_row(sqlite3_stmt *st) {
  SwellCategory *c = g_new0(SwellCategory, 1);
  c->id = sqlite3_column_int64(st, 0);
  c->name = col_strdup(st, 1);
  c->color = col_strdup(st, 2);
  c->position = sqlite3_column_int(st, 3);
  for (int s = 0; s < SWELL_N_SPLITS; s++) c->counts[s] = sqlite3_column_int(st, 4 + s);
  return c;
}

GPtrArray *swell_project_list_categories(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, CATEGORY_SELECT "ORDER BY c.position, c.id", error);
  if (!st) return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)swell_category_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) g_ptr_array_add(out, category_from_row(st));
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot list the categories"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

static SwellCategory *get_category_where(SwellProject *self, const char *where, gint64 id,
                                         const char *name, GError **error) {
  g_autofree char *sql = g_strconcat(CATEGORY_SELECT, where, NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
  if (!st) return NULL;
  if (name) sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return category_from_row(st);
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot read a category"));
    return NULL;
  }
  if (name)
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no category named “%s”"), self->path, name);
  else
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no category with id %lld"), self->path, (long long)id);
  return NULL;
}

SwellCategory *swell_project_get_category(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  return get_category_where(self, "WHERE c.id = ?", id, NULL, error);
}

SwellCategory *swell_project_find_category(SwellProject *self, const char *name, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && name, NULL);
  g_autofree char *trimmed = g_strstrip(g_strdup(name));
  return get_category_where(self, "WHERE c.name = ? COLLATE NOCASE", 0, trimmed, error);
}

gboolean swell_project_count_unlabeled(SwellProject *self, int counts[SWELL_N_SPLITS],
                                       GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  for (int s = 0; s < SWELL_N_SPLITS; s++) counts[s] = 0;
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      "SELECT split, count(*) FROM images WHERE deleted = 0 AND category_id IS NULL GROUP BY split",
      error);
  if (!st) return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int s = sqlite3_column_int(st, 0);
    if (s >= 0 && s < SWELL_N_SPLITS) counts[s] = sqlite3_column_int(st, 1);
  }
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot count the images"));
  return TRUE;
}

static gboolean category_exists(SwellProject *self, gint64 id, GError **error) {
  g_autoptr(SwellCategory) c = swell_project_get_category(self, id, error);
  return c != NULL;
}

/* FALSE (INVALID) if another category already has this name. */
static gboolean check_unique_name(SwellProject *self, const char *name, gint64 except_id,
                                  GError **error) {
  g_autoptr(sqlite3_stmt) st =
      prep(self, "SELECT id FROM categories WHERE name = ? COLLATE NOCASE AND id != ?", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, except_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("there is already a category named “%s”"), name);
    return FALSE;
  }
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot read the categories"));
  return TRUE;
}

static char *next_palette_color(SwellProject *self, GError **error) {
  g_autoptr(GPtrArray) cats = swell_project_list_categories(self, error);
  if (!cats) return NULL;
  for (guint i = 0; i < G_N_ELEMENTS(palette); i++) {
    gboolean used = FALSE;
    for (guint j = 0; j < cats->len && !used; j++)
      used = g_strcmp0(((SwellCategory *)cats->pdata[j])->color, palette[i]) == 0;
    if (!used) return g_strdup(palette[i]);
  }
  return g_strdup(swell_project_palette_color(cats->len));
}

gint64 swell_project_create_category(SwellProject *self, const char *name, const char *color,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), 0);
  g_autofree char *nm = NULL, *col = NULL;
  if (!check_name(name, &nm, error)) return 0;
  if (color && !check_color(self, color, &col, error)) return 0;
  if (!tx_begin(self, error)) return 0;
  gboolean ok = check_unique_name(self, nm, 0, error);
  if (ok && !col) ok = (col = next_palette_color(self, error)) != NULL;
  gint64 id = 0;
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self,
                                      "INSERT INTO categories (name, color, position, created) "
                                      "VALUES (?, ?, (SELECT coalesce(max(position) + 1, 0) FROM "
                                      "categories), ?)",
                                      error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, nm, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, col, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 3, now_seconds());
      ok = step_done(self, st, error, _("cannot create the category"));
      id = sqlite3_last_insert_rowid(self->db);
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error) ? id : 0;
}

static gboolean update_category_text(SwellProject *self, gint64 id, const char *sql,
                                     const char *value, GError **error) {
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = category_exists(self, id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 2, id);
      ok = step_done(self, st, error, _("cannot change the category"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error);
}

gboolean swell_project_rename_category(SwellProject *self, gint64 id, const char *name,
                                       GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  g_autofree char *nm = NULL;
  if (!check_name(name, &nm, error)) return FALSE;
  if (!check_unique_name(self, nm, id, error)) return FALSE;
  return update_category_text(self, id, "UPDATE categories SET name = ? WHERE id = ?", nm, error);
}

gboolean swell_project_recolor_category(SwellProject *self, gint64 id, const char *color,
                                        GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  g_autofree char *col = NULL;
  if (!check_color(self, color, &col, error)) return FALSE;
  return update_category_text(self, id, "UPDATE categories SET color = ? WHERE id = ?", col, error);
}

gboolean swell_project_reorder_categories(SwellProject *self, const gint64 *ids, guint n_ids,
                                          GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(GPtrArray) cats = swell_project_list_categories(self, error);
  gboolean ok = cats != NULL;
  if (ok && cats->len != n_ids) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the new order must list all %u categories (got %u)"), cats->len, n_ids);
    ok = FALSE;
  }
  for (guint i = 0; ok && i < n_ids; i++) {
    gboolean found = FALSE;
    for (guint j = 0; j < cats->len; j++) found |= ((SwellCategory *)cats->pdata[j])->id == ids[i];
    for (guint k = 0; k < i; k++) found &= ids[k] != ids[i];
    if (!found) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                  _("the new order has an unknown or repeated category id %lld"),
                  (long long)ids[i]);
      ok = FALSE;
    }
  }
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, "UPDATE categories SET position = ? WHERE id = ?", error);
    ok = st != NULL;
    for (guint i = 0; ok && i < n_ids; i++) {
      sqlite3_reset(st);
      sqlite3_bind_int(st, 1, (int)i);
      sqlite3_bind_int64(st, 2, ids[i]);
      ok = step_done(self, st, error, _("cannot reorder the categories"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error);
}

gboolean swell_project_delete_category(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = category_exists(self, id, error);
  static const char *const sqls[] = {
      "UPDATE images SET category_id = NULL WHERE category_id = ?1",
      "DELETE FROM categories WHERE id = ?1",
      /* keep positions 0..n-1 */
      "UPDATE categories SET position = (SELECT count(*) FROM categories c2 WHERE "
      "c2.position < categories.position OR (c2.position = categories.position AND c2.id < "
      "categories.id)) WHERE ?1 IS NOT NULL",
  };
  for (guint i = 0; ok && i < G_N_ELEMENTS(sqls); i++) {
    g_autoptr(sqlite3_stmt) st = prep(self, sqls[i], error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, id);
      ok = step_done(self, st, error, _("cannot delete the category"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES | SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
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
  "id, coalesce(category_id, 0), split, name, sha256, format, width, height, size, added"

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
  g_autoptr(GPtrArray) out =
      g_ptr_array_new_with_free_func((GDestroyNotify)swell_project_image_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) g_ptr_array_add(out, image_from_row(st));
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot list the images"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

GArray *swell_project_list_image_ids(SwellProject *self, const SwellImageQuery *query,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && query, NULL);
  g_autoptr(sqlite3_stmt) st = query_stmt(self, "id", query, TRUE, error);
  if (!st) return NULL;
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(gint64));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 0);
    g_array_append_val(out, id);
  }
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot list the images"));
    return NULL;
  }
  return g_steal_pointer(&out);
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
  /* Not cached yet: make it from the original and keep it. */
  g_autoptr(SwellProjectImage) img = swell_project_get_image(self, id, error);
  if (!img) return NULL;
  g_autoptr(GBytes) bytes = swell_project_get_image_bytes(self, id, error);
  if (!bytes) return NULL;
  g_autoptr(SwellRgbImage) rgb = swell_image_decode_bytes(bytes, img->name, error);
  if (!rgb) return NULL;
  thumb = swell_image_thumbnail(rgb, SWELL_THUMBNAIL_SIZE, SWELL_THUMBNAIL_JPEG, error);
  if (!thumb) return NULL;
  if (tx_begin(self, NULL)) {
    g_autoptr(sqlite3_stmt) st =
        prep(self, "INSERT OR REPLACE INTO thumbnails (image_id, mime, bytes) VALUES (?, ?, ?)", NULL);
    gboolean ok = st != NULL;
    if (ok) {
      gsize n;
      const void *data = g_bytes_get_data(thumb, &n);
      sqlite3_bind_int64(st, 1, id);
      sqlite3_bind_text(st, 2, "image/jpeg", -1, SQLITE_STATIC);
      sqlite3_bind_blob64(st, 3, data, n, SQLITE_STATIC);
      ok = step_done(self, st, NULL, "");
    }
    tx_end(self, ok, NULL); /* the cache is optional: a failure only costs time later */
  }
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
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, "SELECT id, deleted FROM images WHERE sha256 = ?", error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        deleted = sqlite3_column_int(st, 1) != 0;
      } else if (rc != SQLITE_DONE) {
        ok = db_fail(self, error, _("cannot look for duplicates"));
      }
    }
  }
  if (ok && id && !deleted) {
    if (duplicate) *duplicate = TRUE;
    tx_end(self, TRUE, NULL);
    return id;
  }
  sqlite3_int64 cat = image->category_id;
  if (ok && id && deleted) {
    /* The same bytes were deleted earlier: bring that image back. */
    g_autoptr(sqlite3_stmt) st = prep(self,
                                      "UPDATE images SET deleted = 0, name = ?, category_id = ?, "
                                      "split = ?, auto_split = ?, added = ? WHERE id = ?",
                                      error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, image->name, -1, SQLITE_TRANSIENT);
      if (cat) sqlite3_bind_int64(st, 2, cat);
      else sqlite3_bind_null(st, 2);
      sqlite3_bind_int(st, 3, image->split);
      sqlite3_bind_int(st, 4, image->auto_split ? 1 : 0);
      sqlite3_bind_int64(st, 5, now_seconds());
      sqlite3_bind_int64(st, 6, id);
      ok = step_done(self, st, error, _("cannot add the image"));
    }
  } else if (ok) {
    g_autoptr(sqlite3_stmt) st =
        prep(self,
             "INSERT INTO images (sha256, name, format, width, height, size, category_id, split, "
             "auto_split, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, image->name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, image->format ? image->format : "", -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(st, 4, image->width);
      sqlite3_bind_int(st, 5, image->height);
      sqlite3_bind_int64(st, 6, (sqlite3_int64)n);
      if (cat) sqlite3_bind_int64(st, 7, cat);
      else sqlite3_bind_null(st, 7);
      sqlite3_bind_int(st, 8, image->split);
      sqlite3_bind_int(st, 9, image->auto_split ? 1 : 0);
      sqlite3_bind_int64(st, 10, now_seconds());
      ok = step_done(self, st, error, _("cannot add the image"));
      id = sqlite3_last_insert_rowid(self->db);
    }
    if (ok) {
      g_autoptr(sqlite3_stmt) d =
          prep(self, "INSERT INTO image_data (image_id, bytes) VALUES (?, ?)", error);
      ok = d != NULL;
      if (ok) {
        sqlite3_bind_int64(d, 1, id);
        sqlite3_bind_blob64(d, 2, n ? data : "", n, SQLITE_STATIC);
        ok = step_done(self, d, error, _("cannot store the image bytes"));
      }
    }
  }
  if (ok && image->thumbnail) {
    gsize tn;
    const void *td = g_bytes_get_data(image->thumbnail, &tn);
    g_autoptr(sqlite3_stmt) t = prep(
        self, "INSERT OR REPLACE INTO thumbnails (image_id, mime, bytes) VALUES (?, ?, ?)", error);
    ok = t != NULL;
    if (ok) {
      sqlite3_bind_int64(t, 1, id);
      sqlite3_bind_text(t, 2, image->thumbnail_mime ? image->thumbnail_mime : "image/jpeg", -1,
                        SQLITE_TRANSIENT);
      sqlite3_bind_blob64(t, 3, tn ? td : "", tn, SQLITE_STATIC);
      ok = step_done(self, t, error, _("cannot store the thumbnail"));
    }
  }
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

/* ------------------------------------------------------------------- runs */

SwellRunInfo *swell_run_info_copy(const SwellRunInfo *run) {
  SwellRunInfo *c = g_new0(SwellRunInfo, 1);
  *c = *run;
  c->arch = g_strdup(run->arch);
  c->weights = g_strdup(run->weights);
  c->hyperparams_json = g_strdup(run->hyperparams_json);
  c->class_names = g_strdupv(run->class_names);
  c->message = g_strdup(run->message);
  return c;
}

void swell_run_info_free(SwellRunInfo *run) {
  if (!run) return;
  g_free(run->arch);
  g_free(run->weights);
  g_free(run->hyperparams_json);
  g_strfreev(run->class_names);
  g_free(run->message);
  g_free(run);
}

#define RUN_SELECT                                                                          \
  "SELECT r.id, r.arch, r.weights, r.hyperparams, r.class_names, r.status, r.message,"     \
  " r.created, coalesce(r.finished, 0),"                                                    \
  " (SELECT accuracy FROM run_epochs e WHERE e.run_id = r.id ORDER BY epoch DESC LIMIT 1)," \
  " (SELECT valid_loss FROM run_epochs e WHERE e.run_id = r.id ORDER BY epoch DESC LIMIT 1)," \
  " (SELECT count(*) FROM run_epochs e WHERE e.run_id = r.id),"                            \
  " EXISTS (SELECT 1 FROM models m WHERE m.run_id = r.id), r.owner"                         \
  " FROM runs r "

/* Start time of a live process (field 22 of /proc/PID/stat, clock ticks since
 * boot), which tells it apart from a later process with the same pid; NULL
 * when there is no such live process. */
static char *process_start_ticks(pid_t pid) {
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents(path, &stat, NULL, NULL)) return NULL;
  const char *p = strrchr(stat, ')'); /* the command name may hold spaces */
  if (!p) return NULL;
  g_auto(GStrv) f = g_strsplit(p + 2, " ", 0);
  /* after "pid (comm) ", field 3 (state) is f[0]; field 22 (starttime) is f[19].
   * A zombie (Z) or dead (X) process has ended: killed, not yet reaped. */
  if (g_strv_length(f) <= 19 || strcmp(f[0], "Z") == 0 || strcmp(f[0], "X") == 0) return NULL;
  return g_strdup(f[19]);
}

static char *boot_id(void) {
  g_autofree char *id = NULL;
  if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &id, NULL, NULL)) return NULL;
  return g_strdup(g_strstrip(id));
}

/* "host\tboot id\tpid\tstart time": this process, told apart from any other
 * on any machine and from a later process that reuses its pid. */
static char *this_process_owner(void) {
  g_autofree char *boot = boot_id(), *start = process_start_ticks(getpid());
  return g_strdup_printf("%s\t%s\t%d\t%s", g_get_host_name(), boot ? boot : "",
                         (int)getpid(), start ? start : "");
}

/* Is the process named by `owner` gone? FALSE when it cannot be told (another
 * host, or no /proc): such a run stays "running". */
static gboolean owner_is_gone(const char *owner) {
  g_auto(GStrv) f = g_strsplit(owner, "\t", 4);
  if (g_strv_length(f) != 4 || strcmp(f[0], g_get_host_name()) != 0) return FALSE;
  g_autofree char *boot = boot_id();
  if (!boot || !*f[1]) return FALSE;
  if (strcmp(boot, f[1]) != 0) return TRUE; /* the machine has restarted since */
  g_autofree char *start = process_start_ticks((pid_t)atoi(f[2]));
  return !start || strcmp(start, f[3]) != 0;
}

static SwellRunInfo *run_from_row(sqlite3_stmt *st) {
  SwellRunInfo *r = g_new0(SwellRunInfo, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->arch = col_strdup(st, 1);
  r->weights = col_strdup(st, 2);
  r->hyperparams_json = col_strdup(st, 3);
  r->class_names = json_to_strv((const char *)sqlite3_column_text(st, 4));
  r->status = run_status_from_string((const char *)sqlite3_column_text(st, 5));
  r->message = col_strdup(st, 6);
  r->created = sqlite3_column_int64(st, 7);
  r->finished = sqlite3_column_int64(st, 8);
  r->accuracy = col_double_or_nan(st, 9);
  r->valid_loss = col_double_or_nan(st, 10);
  r->n_epochs = sqlite3_column_int(st, 11);
  r->has_model = sqlite3_column_int(st, 12) != 0;
  const char *owner = (const char *)sqlite3_column_text(st, 13);
  if (r->status == SWELL_RUN_RUNNING && owner && owner_is_gone(owner)) {
    r->status = SWELL_RUN_FAILED;
    g_free(r->message);
    r->message = g_strdup(_("interrupted when the process training it ended early (a crash, a "
                            "power cut or a full disk); the completed epochs are kept"));
  }
  return r;
}

static gboolean run_exists(SwellProject *self, gint64 run_id, GError **error) {
  g_autoptr(sqlite3_stmt) st = prep(self, "SELECT 1 FROM runs WHERE id = ?", error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return TRUE;
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot read a run"));
  g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
              _("%s: no run with id %lld"), self->path, (long long)run_id);
  return FALSE;
}

gint64 swell_project_create_run(SwellProject *self, const char *arch, const char *weights,
                                const char *hyperparams_json, const char *const *class_names,
                                GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && arch && class_names, 0);
  if (hyperparams_json) {
    g_autoptr(GError) jerr = NULL;
    g_autoptr(JsonNode) node = json_from_string(hyperparams_json, &jerr);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                  _("the hyperparameters are not a JSON object (%s)"),
                  jerr ? jerr->message : _("not an object"));
      return 0;
    }
  }
  g_autofree char *classes = strv_to_json(class_names);
  if (!tx_begin(self, error)) return 0;
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      "INSERT INTO runs (arch, weights, hyperparams, class_names, status, created, owner) "
      "VALUES (?, ?, ?, ?, 'running', ?, ?)",
      error);
  gboolean ok = st != NULL;
  gint64 id = 0;
  if (ok) {
    sqlite3_bind_text(st, 1, arch, -1, SQLITE_TRANSIENT);
    if (weights) sqlite3_bind_text(st, 2, weights, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, hyperparams_json ? hyperparams_json : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, classes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now_seconds());
    g_autofree char *owner = this_process_owner();
    sqlite3_bind_text(st, 6, owner, -1, SQLITE_TRANSIENT);
    ok = step_done(self, st, error, _("cannot create the run"));
    id = sqlite3_last_insert_rowid(self->db);
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error) ? id : 0;
}

gboolean swell_project_finish_run(SwellProject *self, gint64 run_id, SwellRunStatus status,
                                  const char *message, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st =
        prep(self,
             "UPDATE runs SET status = ?, message = ?, finished = ?,"
             " owner = CASE WHEN ?1 = 'running' THEN owner END WHERE id = ?",
             error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, swell_run_status_to_string(status), -1, SQLITE_STATIC);
      if (message) sqlite3_bind_text(st, 2, message, -1, SQLITE_TRANSIENT);
      else sqlite3_bind_null(st, 2);
      if (status == SWELL_RUN_RUNNING) sqlite3_bind_null(st, 3);
      else sqlite3_bind_int64(st, 3, now_seconds());
      sqlite3_bind_int64(st, 4, run_id);
      ok = step_done(self, st, error, _("cannot finish the run"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

GPtrArray *swell_project_list_runs(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, RUN_SELECT "ORDER BY r.id", error);
  if (!st) return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)swell_run_info_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) g_ptr_array_add(out, run_from_row(st));
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot list the runs"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

SwellRunInfo *swell_project_get_run(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, RUN_SELECT "WHERE r.id = ?", error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return run_from_row(st);
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read a run"));
  else
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no run with id %lld"), self->path, (long long)run_id);
  return NULL;
}

SwellRunInfo *swell_project_get_latest_run(SwellProject *self, gboolean with_model,
                                           GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      with_model ? RUN_SELECT "WHERE EXISTS (SELECT 1 FROM models m WHERE m.run_id = r.id) "
                              "ORDER BY r.id DESC LIMIT 1"
                 : RUN_SELECT "ORDER BY r.id DESC LIMIT 1",
      error);
  if (!st) return NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return run_from_row(st);
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read a run"));
  return NULL;
}

gboolean swell_project_delete_run(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, "DELETE FROM runs WHERE id = ?", error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, run_id);
      ok = step_done(self, st, error, _("cannot delete the run"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS | SWELL_PROJECT_CHANGE_MODELS);
  return tx_end(self, ok, error);
}

gboolean swell_project_append_points(SwellProject *self, gint64 run_id,
                                     const SwellRunPoint *points, guint n_points, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (points || n_points == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  g_autoptr(sqlite3_stmt) st = NULL;
  if (ok)
    ok = (st = prep(self,
                    "INSERT OR REPLACE INTO run_points (run_id, iteration, epoch, loss, smooth_loss, "
                    "lr, mom, group_lrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    error)) != NULL;
  for (guint i = 0; ok && i < n_points; i++) {
    const SwellRunPoint *p = &points[i];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, p->iteration);
    sqlite3_bind_int(st, 3, p->epoch);
    bind_double_or_null(st, 4, p->loss);
    bind_double_or_null(st, 5, p->smooth_loss);
    bind_double_or_null(st, 6, p->lr);
    bind_double_or_null(st, 7, p->mom);
    int ng = CLAMP(p->n_groups, 0, SWELL_MAX_PARAM_GROUPS);
    if (ng > 0) sqlite3_bind_blob(st, 8, p->group_lrs, ng * (int)sizeof(double), SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 8);
    ok = step_done(self, st, error, _("cannot store the training curve"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

GArray *swell_project_list_points(SwellProject *self, gint64 run_id, gint64 after_iteration,
                                  GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           "SELECT iteration, epoch, loss, smooth_loss, lr, mom, group_lrs FROM run_points "
           "WHERE run_id = ? AND iteration > ? ORDER BY iteration",
           error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, after_iteration);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SwellRunPoint));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    SwellRunPoint p = {0};
    p.iteration = sqlite3_column_int64(st, 0);
    p.epoch = sqlite3_column_int(st, 1);
    p.loss = col_double_or_nan(st, 2);
    p.smooth_loss = col_double_or_nan(st, 3);
    p.lr = col_double_or_nan(st, 4);
    p.mom = col_double_or_nan(st, 5);
    int nb = sqlite3_column_bytes(st, 6);
    p.n_groups = MIN(nb / (int)sizeof(double), SWELL_MAX_PARAM_GROUPS);
    if (p.n_groups > 0) memcpy(p.group_lrs, sqlite3_column_blob(st, 6), p.n_groups * sizeof(double));
    g_array_append_val(out, p);
  }
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot read the training curve"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

gboolean swell_project_add_epoch(SwellProject *self, gint64 run_id, const SwellEpochMetrics *m,
                                 GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && m, FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st =
        prep(self,
             "INSERT OR REPLACE INTO run_epochs (run_id, epoch, stage, train_loss, valid_loss, "
             "accuracy, error_rate, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, run_id);
      sqlite3_bind_int(st, 2, m->epoch);
      sqlite3_bind_text(st, 3, swell_stage_to_string(m->stage), -1, SQLITE_STATIC);
      bind_double_or_null(st, 4, m->train_loss);
      bind_double_or_null(st, 5, m->valid_loss);
      bind_double_or_null(st, 6, m->accuracy);
      bind_double_or_null(st, 7, m->error_rate);
      bind_double_or_null(st, 8, m->seconds);
      ok = step_done(self, st, error, _("cannot store the epoch metrics"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

GArray *swell_project_list_epochs(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self,
                                    "SELECT epoch, stage, train_loss, valid_loss, accuracy, "
                                    "error_rate, seconds FROM run_epochs WHERE run_id = ? ORDER BY "
                                    "epoch",
                                    error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SwellEpochMetrics));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    SwellEpochMetrics m = {0};
    m.epoch = sqlite3_column_int(st, 0);
    m.stage = g_strcmp0((const char *)sqlite3_column_text(st, 1), "frozen") == 0
                  ? SWELL_STAGE_FROZEN
                  : SWELL_STAGE_UNFROZEN;
    m.train_loss = col_double_or_nan(st, 2);
    m.valid_loss = col_double_or_nan(st, 3);
    m.accuracy = col_double_or_nan(st, 4);
    m.error_rate = col_double_or_nan(st, 5);
    m.seconds = col_double_or_nan(st, 6);
    g_array_append_val(out, m);
  }
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot read the epoch metrics"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

static void prediction_clear(gpointer p) {
  SwellPrediction *pr = p;
  g_clear_pointer(&pr->probs, g_free);
}

gboolean swell_project_set_predictions(SwellProject *self, gint64 run_id,
                                       const SwellPrediction *preds, guint n, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (preds || n == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  g_autoptr(sqlite3_stmt) st = NULL;
  if (ok)
    ok = (st = prep(self,
                    "INSERT OR REPLACE INTO predictions (run_id, image_id, actual, predicted, "
                    "loss, probs) VALUES (?, ?, ?, ?, ?, ?)",
                    error)) != NULL;
  for (guint i = 0; ok && i < n; i++) {
    const SwellPrediction *p = &preds[i];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, p->image_id);
    sqlite3_bind_int(st, 3, p->actual);
    sqlite3_bind_int(st, 4, p->predicted);
    bind_double_or_null(st, 5, p->loss);
    sqlite3_bind_blob(st, 6, p->n_classes ? (const void *)p->probs : "",
                      (int)(p->n_classes * sizeof(float)), SQLITE_TRANSIENT);
    ok = step_done(self, st, error, _("cannot store the predictions"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

GArray *swell_project_list_predictions(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self,
                                    "SELECT p.image_id, p.actual, p.predicted, p.loss, p.probs "
                                    "FROM predictions p JOIN images i ON i.id = p.image_id "
                                    "WHERE p.run_id = ? AND i.deleted = 0 ORDER BY p.image_id",
                                    error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SwellPrediction));
  g_array_set_clear_func(out, prediction_clear);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    SwellPrediction p = {0};
    p.image_id = sqlite3_column_int64(st, 0);
    p.actual = sqlite3_column_int(st, 1);
    p.predicted = sqlite3_column_int(st, 2);
    p.loss = col_double_or_nan(st, 3);
    p.n_classes = (guint)sqlite3_column_bytes(st, 4) / sizeof(float);
    p.probs = g_memdup2(sqlite3_column_blob(st, 4), p.n_classes * sizeof(float));
    g_array_append_val(out, p);
  }
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot read the predictions"));
    return NULL;
  }
  return g_steal_pointer(&out);
}

gboolean swell_project_set_confusion(SwellProject *self, gint64 run_id, const char *json,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && json, FALSE);
  g_autoptr(GError) jerr = NULL;
  g_autoptr(JsonNode) node = json_from_string(json, &jerr);
  if (!node) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the confusion matrix is not valid JSON (%s)"), jerr ? jerr->message : "");
    return FALSE;
  }
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, "UPDATE runs SET confusion = ? WHERE id = ?", error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 2, run_id);
      ok = step_done(self, st, error, _("cannot store the confusion matrix"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

char *swell_project_get_confusion(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  if (!run_exists(self, run_id, error)) return NULL;
  g_autoptr(sqlite3_stmt) st = prep(self, "SELECT confusion FROM runs WHERE id = ?", error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    db_fail(self, error, _("cannot read a run"));
    return NULL;
  }
  return col_strdup(st, 0);
}

/* ----------------------------------------------------------------- models */

void swell_project_model_free(SwellProjectModel *model) {
  if (!model) return;
  g_free(model->arch);
  g_strfreev(model->class_names);
  g_clear_pointer(&model->weights, g_bytes_unref);
  g_free(model);
}

gboolean swell_project_save_model(SwellProject *self, gint64 run_id, const SwellProjectModel *model,
                                  GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && model && model->weights && model->arch, FALSE);
  g_autofree char *classes = strv_to_json((const char *const *)model->class_names);
  g_autofree char *mean = floats_to_json(model->mean, 3);
  g_autofree char *std = floats_to_json(model->std, 3);
  gsize n;
  const void *data = g_bytes_get_data(model->weights, &n);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = run_exists(self, run_id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st =
        prep(self,
             "INSERT OR REPLACE INTO models (run_id, arch, class_names, mean, std, input_size, "
             "created, weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, run_id);
      sqlite3_bind_text(st, 2, model->arch, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, classes, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, mean, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 5, std, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(st, 6, model->input_size);
      sqlite3_bind_int64(st, 7, now_seconds());
      sqlite3_bind_blob64(st, 8, n ? data : "", n, SQLITE_STATIC);
      ok = step_done(self, st, error, _("cannot store the model"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_MODELS | SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

SwellProjectModel *swell_project_load_model(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           run_id > 0 ? "SELECT run_id, arch, class_names, mean, std, input_size, created, weights "
                        "FROM models WHERE run_id = ?"
                      : "SELECT run_id, arch, class_names, mean, std, input_size, created, weights "
                        "FROM models ORDER BY run_id DESC LIMIT 1",
           error);
  if (!st) return NULL;
  if (run_id > 0) sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read the model"));
    else if (run_id > 0)
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: run %lld has no trained model"), self->path, (long long)run_id);
    else
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: the project has no trained model yet"), self->path);
    return NULL;
  }
  SwellProjectModel *m = g_new0(SwellProjectModel, 1);
  m->run_id = sqlite3_column_int64(st, 0);
  m->arch = col_strdup(st, 1);
  m->class_names = json_to_strv((const char *)sqlite3_column_text(st, 2));
  json_to_floats((const char *)sqlite3_column_text(st, 3), m->mean, 3);
  json_to_floats((const char *)sqlite3_column_text(st, 4), m->std, 3);
  m->input_size = sqlite3_column_int(st, 5);
  m->created = sqlite3_column_int64(st, 6);
  m->weights = g_bytes_new(sqlite3_column_blob(st, 7), sqlite3_column_bytes(st, 7));
  return m;
}

/* --------------------------------------------------------------- settings */

char *swell_project_get_setting(SwellProject *self, const char *key) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && key, NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, "SELECT value FROM settings WHERE key = ?", NULL);
  if (!st) return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_ROW) return NULL;
  return col_strdup(st, 0);
}

gboolean swell_project_set_setting(SwellProject *self, const char *key, const char *value,
                                   GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && key, FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           value ? "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)"
                 : "DELETE FROM settings WHERE key = ?",
           error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (value) sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    ok = step_done(self, st, error, _("cannot save the setting"));
  }
  mark(self, SWELL_PROJECT_CHANGE_SETTINGS);
  return tx_end(self, ok, error);
}
