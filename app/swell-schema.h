/* swell-schema.h: the SQLite schema of a Swell project and its migrations.
 *
 * A project file is recognised by PRAGMA application_id (SWELL_APPLICATION_ID)
 * and carries its schema version in PRAGMA user_version. Version 0 is an empty
 * database; migration N (N >= 1) takes version N-1 to N. Opening a project
 * runs every missing migration in one transaction, so an old project is
 * brought up to date or left untouched. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* "SWEL" */
#define SWELL_APPLICATION_ID 0x5357454c
/* The version this build writes. */
#define SWELL_SCHEMA_VERSION 7

/* The SQL of migration `to_version` (1..SWELL_SCHEMA_VERSION), or NULL. */
const char *swell_schema_migration_sql(int to_version);

/* Reads PRAGMA user_version; -1 and an error (SQLite's message after `path`)
 * if it cannot be read. */
int swell_schema_get_version(sqlite3 *db, const char *path, GError **error);

/* Migrates from the current user_version up to `to_version` in one
 * transaction (BEGIN IMMEDIATE), setting application_id and user_version. On
 * failure everything is rolled back and `error` (SWELL_PROJECT_ERROR_FAILED)
 * names `path`. */
gboolean swell_schema_migrate(sqlite3 *db, const char *path, int to_version, GError **error);

/* The tables every current project has (NULL-terminated), to recognise damage. */
const char *const *swell_schema_tables(void);

G_END_DECLS
