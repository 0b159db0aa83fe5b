/* swell-schema.c: schema versions and migrations of a project file. */
#include "swell-config.h"

#include "swell-schema.h"

#include <glib/gi18n.h>

#include "swell-project.h"

/* Version 1: the first schema. The label of an image is images.category_id
 * (NULL = unlabeled); the original bytes and the thumbnail live in their own
 * tables so that listing images never reads blobs. */
static const char migration_1[] =
    "CREATE TABLE categories ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  color TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE images ("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,"
    "  split INTEGER NOT NULL DEFAULT 0 CHECK (split IN (0, 1, 2)),"
    "  auto_split INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  added INTEGER NOT NULL);"
    "CREATE TABLE image_data ("
    "  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,"
    "  bytes BLOB NOT NULL);"
    "CREATE TABLE thumbnails ("
    "  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,"
    "  mime TEXT NOT NULL,"
    "  bytes BLOB NOT NULL);"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  arch TEXT NOT NULL,"
    "  weights TEXT,"
    "  hyperparams TEXT NOT NULL DEFAULT '{}',"
    "  class_names TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'running'"
    "    CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),"
    "  message TEXT,"
    "  confusion TEXT,"
    "  created INTEGER NOT NULL,"
    "  finished INTEGER);"
    "CREATE TABLE run_points ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  iteration INTEGER NOT NULL,"
    "  epoch INTEGER NOT NULL,"
    "  loss REAL,"
    "  smooth_loss REAL,"
    "  lr REAL,"
    "  mom REAL,"
    "  PRIMARY KEY (run_id, iteration)) WITHOUT ROWID;"
    "CREATE TABLE run_epochs ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  epoch INTEGER NOT NULL,"
    "  stage TEXT NOT NULL CHECK (stage IN ('frozen', 'unfrozen')),"
    "  train_loss REAL,"
    "  valid_loss REAL,"
    "  accuracy REAL,"
    "  error_rate REAL,"
    "  seconds REAL,"
    "  PRIMARY KEY (run_id, epoch)) WITHOUT ROWID;"
    "CREATE TABLE predictions ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  actual INTEGER NOT NULL,"
    "  predicted INTEGER NOT NULL,"
    "  loss REAL,"
    "  probs BLOB NOT NULL,"
    "  PRIMARY KEY (run_id, image_id)) WITHOUT ROWID;"
    "CREATE TABLE models ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  arch TEXT NOT NULL,"
    "  class_names TEXT NOT NULL,"
    "  mean TEXT NOT NULL,"
    "  std TEXT NOT NULL,"
    "  input_size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  weights BLOB NOT NULL);"
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);";

/* Version 2: learning rate of every parameter group per batch (discriminative
 * rates), and an index for the label view's filters. */
static const char migration_2[] =
    "ALTER TABLE run_points ADD COLUMN group_lrs BLOB;"
    "CREATE INDEX images_by_label ON images (deleted, category_id, split);"
    "CREATE INDEX predictions_by_image ON predictions (image_id);";

/* Version 3: one counter per kind of change (SwellProjectChange bit), bumped
 * by every committing transaction, so that a connection can tell WHAT other
 * connections changed (PRAGMA data_version only says that something did). */
static const char migration_3[] =
    "CREATE TABLE change_counters ("
    "  kind INTEGER PRIMARY KEY,"
    "  counter INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO change_counters (kind) VALUES (0), (1), (2), (3), (4);";

/* Version 4: the process that is training a run ("host\tboot id\tpid\tstart
 * time"), so that a run whose process died (a crash, a power cut, a full disk)
 * reads as interrupted instead of running forever. NULL once finished. */
static const char migration_4[] = "ALTER TABLE runs ADD COLUMN owner TEXT;";

/* Version 5: the perceptual hash of each image (swell-phash.h, 64 bits stored
 * as a signed integer), made at import to find near-duplicates. NULL until
 * computed: images of older projects get theirs on first use
 * (swell-dataset-check.h), so the migration itself reads no image. */
static const char migration_5[] = "ALTER TABLE images ADD COLUMN phash INTEGER;";

/* Version 6: a run stores its final model's predictions of every image, not only
 * of the valid ones: the split each image had then (earlier rows were all valid;
 * an unlabeled image has actual -1), and the test images' confusion matrix. */
static const char migration_6[] =
    "ALTER TABLE predictions ADD COLUMN split INTEGER NOT NULL DEFAULT 1"
    "  CHECK (split IN (0, 1, 2));"
    "ALTER TABLE runs ADD COLUMN test_confusion TEXT;";

/* Version 7: the epoch (0-based, over the whole run) whose model a run stored: the
 * last completed one, or with keep best the one of the lowest validation loss.
 * NULL for earlier runs and while running. */
static const char migration_7[] = "ALTER TABLE runs ADD COLUMN kept_epoch INTEGER;";

static const char *const migrations[] = {NULL,        migration_1, migration_2, migration_3,
                                         migration_4, migration_5, migration_6, migration_7};
G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == SWELL_SCHEMA_VERSION + 1);

static const char *const tables[] = {"categories", "images", "image_data", "thumbnails",
                                     "runs", "run_points", "run_epochs", "predictions",
                                     "models", "settings", "change_counters", NULL};

const char *const *swell_schema_tables(void) {
  return tables;
}

const char *swell_schema_migration_sql(int to_version) {
  if (to_version < 1 || to_version > SWELL_SCHEMA_VERSION) return NULL;
  return migrations[to_version];
}

int swell_schema_get_version(sqlite3 *db, const char *path, GError **error) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                _("%s: cannot read the schema version (%s)"), path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
  }
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

gboolean swell_schema_migrate(sqlite3 *db, const char *path, int to_version, GError **error) {
  char *msg = NULL;
  g_autofree char *pragmas = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                _("%s: cannot start the schema update (%s)"), path, msg);
    sqlite3_free(msg);
    return FALSE;
  }
  /* Read the version inside the write transaction: another connection may
   * have migrated meanwhile. */
  int from = swell_schema_get_version(db, path, error);
  if (from < 0) goto fail;
  for (int v = from + 1; v <= to_version; v++) {
    if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                  _("%s: schema update to version %d failed (%s)"), path, v, msg);
      sqlite3_free(msg);
      goto fail;
    }
  }
  pragmas = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = %d;",
                                             SWELL_APPLICATION_ID, MAX(from, to_version));
  if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
      sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_FAILED,
                _("%s: cannot finish the schema update (%s)"), path, msg);
    sqlite3_free(msg);
    goto fail;
  }
  return TRUE;
fail:
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}
