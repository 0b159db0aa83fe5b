/* swell-project.c: the project store, one SQLite connection per object:
 * open/create/close, the schema hookup, transactions and the "changed"
 * signal, integrity checks, settings and the helpers the other
 * swell-project-*.c files share (swell-project-private.h). See
 * swell-project.h for the contract. */
#include "swell-config.h"

#include "swell-project-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "swell-schema.h"

/* How long a writer waits for another connection's transaction to end. */
#define BUSY_TIMEOUT_MS 30000

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

/* Sets `error` from the connection's last error: "<path>: <what> (<sqlite>)". */
gboolean db_fail(SwellProject *self, GError **error, const char *what) {
  int code = sqlite3_errcode(self->db) & 0xff;
  SwellProjectError e = SWELL_PROJECT_ERROR_FAILED;
  if (code == SQLITE_CORRUPT) e = SWELL_PROJECT_ERROR_CORRUPT;
  else if (code == SQLITE_NOTADB) e = SWELL_PROJECT_ERROR_NOT_A_PROJECT;
  g_set_error(error, SWELL_PROJECT_ERROR, e, "%s: %s (%s)", self->path, what,
              sqlite3_errmsg(self->db));
  return FALSE;
}

sqlite3_stmt *prep(SwellProject *self, const char *sql, GError **error) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_fail(self, error, _("database query failed"));
    return NULL;
  }
  return st;
}

GPtrArray *list_rows(SwellProject *self, sqlite3_stmt *st, SwellRowFunc from_row,
                     GDestroyNotify free_func, const char *what, GError **error) {
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(free_func);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) g_ptr_array_add(out, from_row(st));
  if (rc != SQLITE_DONE) {
    db_fail(self, error, what);
    return NULL;
  }
  return g_steal_pointer(&out);
}

GArray *list_structs(SwellProject *self, sqlite3_stmt *st, guint size, SwellRowFill fill,
                     GDestroyNotify clear_func, const char *what, GError **error) {
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, size);
  if (clear_func) g_array_set_clear_func(out, clear_func);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1); /* zeroed */
    fill(st, out->data + (gsize)(out->len - 1) * size);
  }
  if (rc != SQLITE_DONE) {
    db_fail(self, error, what);
    return NULL;
  }
  return g_steal_pointer(&out);
}

/* Runs a statement that returns no rows; SQLITE_DONE -> TRUE. */
gboolean step_done(SwellProject *self, sqlite3_stmt *st, GError **error, const char *what) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(self, error, what);
  return TRUE;
}

gboolean exec_sql(SwellProject *self, const char *sql, GError **error, const char *what) {
  if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK) return db_fail(self, error, what);
  return TRUE;
}

void mark(SwellProject *self, guint what) {
  self->pending_changes |= what;
}

void swell_project_notify_changed(SwellProject *self, SwellProjectChange what) {
  g_return_if_fail(SWELL_IS_PROJECT(self));
  g_signal_emit(self, signals[SIGNAL_CHANGED], 0, (guint)what);
}

gboolean tx_begin(SwellProject *self, GError **error) {
  if (self->read_only) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_READ_ONLY,
                _("%s: the project is read-only (its file or folder cannot be written)"),
                self->path);
    return FALSE;
  }
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
gboolean tx_end(SwellProject *self, gboolean ok, GError **error) {
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

char *col_strdup(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? g_strdup((const char *)s) : NULL;
}

/* JSON array of strings <-> NULL-terminated vector. */
char *strv_to_json(const char *const *v) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; v && v[i]; i++) json_builder_add_string_value(b, v[i]);
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

char **json_to_strv(const char *json) {
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

gint64 now_seconds(void) {
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

/* create: makes the file (EXISTS if there is one); open: checks that it
 * exists and is not a folder. */
static gboolean check_path(const char *path, gboolean create, GError **error) {
  if (create) {
    int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      int e = errno;
      g_set_error(error, SWELL_PROJECT_ERROR,
                  e == EEXIST ? SWELL_PROJECT_ERROR_EXISTS : SWELL_PROJECT_ERROR_FAILED,
                  e == EEXIST ? _("%s: a file with this name already exists")
                              : _("%s: cannot create the project (%s)"),
                  path, g_strerror(e));
      return FALSE;
    }
    close(fd);
    return TRUE;
  }
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND, _("%s: no such file"),
                path);
    return FALSE;
  }
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT,
                _("%s: not a Swell project (it is a folder)"), path);
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  gint64 app_id, version, n_objects;
} FileHeader;

static gboolean read_header(SwellProject *self, FileHeader *h, GError **error) {
  return read_int_pragma(self, "PRAGMA application_id", &h->app_id, error) &&
         read_int_pragma(self, "PRAGMA user_version", &h->version, error) &&
         read_int_pragma(self, "SELECT count(*) FROM sqlite_master", &h->n_objects, error);
}

/* create: the file must be empty; open: it must be a Swell project this
 * version can read. */
static gboolean check_header(const char *path, gboolean create, const FileHeader *h,
                             GError **error) {
  if (create) {
    if (h->app_id != 0 || h->n_objects != 0) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_EXISTS,
                  _("%s: a file with this name already exists"), path);
      return FALSE;
    }
    return TRUE;
  }
  if (h->app_id != SWELL_APPLICATION_ID) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_A_PROJECT,
                h->n_objects == 0
                    ? _("%s: not a Swell project (an empty file or database)")
                    : _("%s: not a Swell project (a database of another application)"),
                path);
    return FALSE;
  }
  if (h->version > SWELL_SCHEMA_VERSION) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_TOO_NEW,
                _("%s: made by a newer version of Swell (project format %d; this version "
                  "reads up to %d)"),
                path, (int)h->version, SWELL_SCHEMA_VERSION);
    return FALSE;
  }
  return TRUE;
}

/* WAL: readers never block the writer and a killed writer leaves the
 * database valid. FULL sync: a committed label survives a power cut too. */
static gboolean configure_connection(SwellProject *self, GError **error) {
  g_autoptr(sqlite3_stmt) st = NULL;
  if (sqlite3_prepare_v2(self->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    return db_fail(self, error, _("cannot switch to write-ahead logging"));
  return exec_sql(self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", error,
                  _("cannot configure the database"));
}

/* A project whose tables are gone is damaged, not just old. */
static gboolean check_tables(SwellProject *self, GError **error) {
  for (const char *const *t = swell_schema_tables(); *t; t++) {
    g_autoptr(sqlite3_stmt) st = NULL;
    if (sqlite3_prepare_v2(self->db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
      return db_fail(self, error, _("cannot read the project"));
    sqlite3_bind_text(st, 1, *t, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) return db_fail(self, error, _("cannot read the project"));
    if (sqlite3_column_int(st, 0) != 1) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_CORRUPT,
                  _("%s: damaged project (the table “%s” is missing)"), self->path, *t);
      return FALSE;
    }
  }
  return TRUE;
}

/* A project can be written when both its file and its folder can (WAL
 * keeps its -wal and -shm files next to the database). access() answers
 * for the caller's rights and for read-only mounts alike (EROFS). */
static gboolean path_writable(const char *path) {
  g_autofree char *dir = g_path_get_dirname(path);
  return g_access(path, W_OK) == 0 && g_access(dir, W_OK) == 0;
}

/* Opens the connection. Read-only: a WAL database needs its -shm file to
 * exist (or to be creatable) even for reading, so when there is no -wal
 * file left by a writer (a project closed cleanly) it is opened as
 * immutable: nothing else can change it where nothing can be written. */
static int open_connection(SwellProject *self) {
  if (!self->read_only)
    return sqlite3_open_v2(self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  g_autofree char *wal = g_strconcat(self->path, "-wal", NULL);
  if (g_file_test(wal, G_FILE_TEST_EXISTS))
    return sqlite3_open_v2(self->path, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  g_autofree char *abs = g_canonicalize_filename(self->path, NULL);
  g_autofree char *uri = g_filename_to_uri(abs, NULL, NULL);
  if (!uri) return SQLITE_CANTOPEN;
  g_autofree char *immutable = g_strconcat(uri, "?immutable=1", NULL);
  return sqlite3_open_v2(immutable, &self->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
}

/* Read-only: only what reading needs; an older format cannot be upgraded. */
static gboolean configure_read_only(SwellProject *self, const FileHeader *h, GError **error) {
  if (h->version < SWELL_SCHEMA_VERSION) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_READ_ONLY,
                _("%s: the project is read-only and in an older format (%d); open it once "
                  "where it can be written to upgrade it"),
                self->path, (int)h->version);
    return FALSE;
  }
  return exec_sql(self, "PRAGMA foreign_keys = ON;", error, _("cannot configure the database"));
}

static SwellProject *open_common(const char *path, gboolean create, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  if (!check_path(path, create, error)) return NULL;

  g_autoptr(SwellProject) self = g_object_new(SWELL_TYPE_PROJECT, NULL);
  self->path = g_strdup(path);
  self->read_only = !create && !path_writable(path);
  int rc = open_connection(self);
  if (rc != SQLITE_OK) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                _("%s: cannot open the project (%s)"), path,
                self->db ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
    if (create) unlink_project_files(path);
    return NULL;
  }
  sqlite3_busy_timeout(self->db, BUSY_TIMEOUT_MS);

  FileHeader h = {0};
  if (!read_header(self, &h, error)) goto fail;
  if (!check_header(path, create, &h, error)) return NULL; /* not ours: do not delete it */
  /* Before the first table: freed pages can be given back to the file system
   * (swell_project_reclaim_space()). */
  if (create && !exec_sql(self, "PRAGMA auto_vacuum = INCREMENTAL", error,
                          _("cannot configure the database")))
    goto fail;
  if (self->read_only) {
    if (!configure_read_only(self, &h, error)) goto fail;
  } else if (!configure_connection(self, error)) {
    goto fail;
  }
  if (h.version < SWELL_SCHEMA_VERSION &&
      !swell_schema_migrate(self->db, path, SWELL_SCHEMA_VERSION, error))
    goto fail;
  if (!check_tables(self, error)) goto fail;
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

gboolean swell_project_is_read_only(SwellProject *self) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  return self->read_only;
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

/* ------------------------------------------------------------ free space */

gboolean swell_project_reclaim_space(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (self->tx_depth > 0) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("%s: cannot give back free space inside a transaction"), self->path);
    return FALSE;
  }
  gint64 mode = 0;
  if (!read_int_pragma(self, "PRAGMA auto_vacuum", &mode, error)) return FALSE;
  /* 2 = incremental. A project made before it was the default needs one full
   * VACUUM to switch (it rewrites the file, in a transaction of its own). */
  if (mode == 2 ? !exec_sql(self, "PRAGMA incremental_vacuum", error, _("cannot give back free space"))
                : !exec_sql(self, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", error,
                            _("cannot compact the project")))
    return FALSE;
  /* The pages leave the main file when the write-ahead log is checkpointed;
   * a reader of another connection may delay that, which is not an error. */
  g_autoptr(sqlite3_stmt) st = prep(self, "PRAGMA wal_checkpoint(TRUNCATE)", error);
  if (!st) return FALSE;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_BUSY)
    return db_fail(self, error, _("cannot give back free space"));
  return TRUE;
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
