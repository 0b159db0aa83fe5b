/* swell-export.h: writing a project's labeled images to a folder tree
 * DIR/<split>/<category folder>/<file> with their original bytes, the tree
 * that swell_import_paths reads back into the same categories and splits.
 *
 * The export is written into a new folder beside DIR (DIR.tmp-XXXXXX) and
 * renamed to DIR only when complete, so a failure part-way (a full disk, a
 * crash) leaves DIR as it was: absent, empty, or the earlier export. */
#pragma once

#include <glib.h>

#include "swell-project.h"

G_BEGIN_DECLS

#define SWELL_EXPORT_ERROR (swell_export_error_quark())
GQuark swell_export_error_quark(void);

typedef enum {
  SWELL_EXPORT_ERROR_EXISTS,     /* DIR holds an earlier export and `replace` was FALSE */
  SWELL_EXPORT_ERROR_NOT_EXPORT, /* DIR holds something else: never replaced */
  SWELL_EXPORT_ERROR_FAILED,     /* a folder or file could not be written (the message names it) */
} SwellExportError;

/* The longest file name written, in bytes (the file systems' limit). */
#define SWELL_EXPORT_NAME_MAX 255

/* Exports every labeled image (not deleted) of `project` to `dir`. `dir` may
 * be absent or an empty folder; a folder that holds an earlier export (only
 * <split>/<folder>/<regular file> entries, split being train, valid or test)
 * is replaced, atomically, when `replace` is TRUE, and refused with EXISTS
 * otherwise; any other folder is refused with NOT_EXPORT. Category folders
 * are swell_category_folder_name; file names are the images' names, '/' and
 * '\' written as '_', a leading '.' prefixed by '_', shortened (keeping the
 * extension and valid UTF-8) to SWELL_EXPORT_NAME_MAX bytes, and made unique
 * in their folder with -2, -3, ... before the extension. Error messages name
 * the final path (under `dir`) of what could not be written. */
gboolean swell_export_project(SwellProject *project, const char *dir, gboolean replace,
                              guint *n_exported, GError **error);

G_END_DECLS
