/* swell-files.h: the local paths of the files a file chooser returned or a
 * drop brought, as a NULL-terminated array for the import and predict
 * paths. Files without a local path (remote locations) are left out. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* From gtk_file_chooser_get_files(): a list model of GFile. */
char **swell_files_paths_from_model (GListModel *files);
/* From a GdkFileList drop value. With regular_only, only regular files
 * (no folders). */
char **swell_files_paths_from_drop (const GValue *value, gboolean regular_only);

G_END_DECLS
