/* swell-project-private.h: what the files of SwellProject share (one GObject
 * implemented by concern):
 *  - swell-project.c: open/create/close, schema hookup, transactions,
 *    signals, integrity, settings and the helpers below;
 *  - swell-project-categories.c, swell-project-images.c (images, thumbnails,
 *    labels, splits), swell-project-runs.c (runs, points, epochs, predictions,
 *    confusion, run owners) and swell-project-models.c (stored models).
 * Not installed and not for use outside these files. */
#pragma once

#include <sqlite3.h>

#include "swell-project.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct _SwellProject {
  GObject parent_instance;
  char *path;
  sqlite3 *db;
  gboolean read_only;    /* opened with SQLITE_OPEN_READONLY (the file or its folder is not writable) */
  int tx_depth;          /* 0: autocommit; 1: BEGIN IMMEDIATE; >1: savepoints inside */
  guint pending_changes; /* SwellProjectChange flags to emit at the outermost commit */
  gint64 data_version;
  gint64 counters[5];    /* change_counters as last seen, per SwellProjectChange bit */
};

/* ------------------------------------------------ statements and errors */

/* Sets `error` from the connection's last error: "<path>: <what> (<sqlite>)";
 * returns FALSE. */
G_GNUC_INTERNAL gboolean db_fail(SwellProject *self, GError **error, const char *what);
/* Prepares `sql`; NULL with an error on failure. */
G_GNUC_INTERNAL sqlite3_stmt *prep(SwellProject *self, const char *sql, GError **error);
/* Runs a statement that returns no rows; SQLITE_DONE -> TRUE. */
G_GNUC_INTERNAL gboolean step_done(SwellProject *self, sqlite3_stmt *st, GError **error,
                                   const char *what);
G_GNUC_INTERNAL gboolean exec_sql(SwellProject *self, const char *sql, GError **error,
                                  const char *what);

/* Builds a struct from the current row of a statement. */
typedef gpointer (*SwellRowFunc)(sqlite3_stmt *st);
/* Fills `out` (a zeroed struct) from the current row of a statement. */
typedef void (*SwellRowFill)(sqlite3_stmt *st, gpointer out);
/* Steps `st` to the end: one from_row() per row, in a new array freeing them
 * with `free_func`. NULL with an error ("<what>") if a step fails. */
G_GNUC_INTERNAL GPtrArray *list_rows(SwellProject *self, sqlite3_stmt *st, SwellRowFunc from_row,
                                     GDestroyNotify free_func, const char *what, GError **error);
/* Steps `st` to the end: one struct of `size` bytes per row, filled by fill(),
 * in a new GArray (with `clear_func`, may be NULL). NULL with an error
 * ("<what>") if a step fails. */
G_GNUC_INTERNAL GArray *list_structs(SwellProject *self, sqlite3_stmt *st, guint size,
                                     SwellRowFill fill, GDestroyNotify clear_func,
                                     const char *what, GError **error);

/* ------------------------------------------------------- transactions */

/* BEGIN IMMEDIATE, or a savepoint inside a transaction already open. */
G_GNUC_INTERNAL gboolean tx_begin(SwellProject *self, GError **error);
/* Records SwellProjectChange flags to emit as "changed" at the outermost commit. */
G_GNUC_INTERNAL void mark(SwellProject *self, guint what);
/* Ends a write: commit when ok, else roll back (keeping the first error). */
G_GNUC_INTERNAL gboolean tx_end(SwellProject *self, gboolean ok, GError **error);

/* -------------------------------------------------------------- values */

/* A text column as a new string, NULL for NULL. */
G_GNUC_INTERNAL char *col_strdup(sqlite3_stmt *st, int i);
/* JSON array of strings <-> NULL-terminated vector. */
G_GNUC_INTERNAL char *strv_to_json(const char *const *v);
G_GNUC_INTERNAL char **json_to_strv(const char *json);
/* Unix time, seconds. */
G_GNUC_INTERNAL gint64 now_seconds(void);

/* ----------------------------------------------------- existence checks */

/* FALSE with NOT_FOUND (naming the id) when there is no such category. */
G_GNUC_INTERNAL gboolean category_exists(SwellProject *self, gint64 id, GError **error);
/* Prepares `sql` (about run `run_id`) once it has checked that the run
 * exists: NULL with NOT_FOUND (naming the id) when it does not. */
G_GNUC_INTERNAL sqlite3_stmt *prep_for_run(SwellProject *self, gint64 run_id, const char *sql,
                                           GError **error);

G_END_DECLS
