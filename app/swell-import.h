/* swell-import.h: importing image files and folders into a project.
 *
 * - The bytes of each file are copied into the project; the project never
 *   depends on the original files afterwards.
 * - Files are judged by content, not by name (swell-image.h decodes each one
 *   fully once): non-images, empty, truncated/corrupt, unreadable files and
 *   images over 100 megapixels (judged from the header, before decoding) are
 *   rejected with a reason, and the import goes on with the rest.
 * - The perceptual hash of each decoded image (swell-phash.h) is stored with
 *   it, for swell-dataset-check.h's near-duplicate groups.
 * - Duplicates (same SHA-256 as an image already in the project, or earlier in
 *   the same import) are not added twice; they are reported.
 * - Folders are walked recursively (hidden files and folders, whose names start
 *   with '.', are skipped). Labels and split come from the layout:
 *     <class>/<files>                 -> labeled <class>, automatic split
 *     <split>/<class>/<files>         -> labeled <class>, that split
 *     <split>/<files>                 -> unlabeled, that split
 *   Split folder names: train, valid, val, validation, test (case-insensitive).
 *   The imported folder's own name counts: importing "photos/valid" whose
 *   children are class folders puts them in valid; importing "data/train/cats"
 *   (a class folder inside a split folder) labels them "cats" in train; a
 *   folder given directly whose own children are all files and whose name is
 *   not a split name is a class folder too: importing "photos/ants" and
 *   "photos/bees" labels them "ants" and "bees" (automatic split). Files
 *   directly inside an imported folder that also holds folders, or files given
 *   one by one, are unlabeled.
 *   Categories named by folders are created as needed (default palette).
 * - Images without a split from their folder or the options get the project's
 *   seeded, stratified automatic split (swell_project_assign_auto_split()).
 * - Work runs on a pool of worker threads (hashing, decoding, thumbnails); the
 *   database is written through a connection of the import's own, in batches
 *   of a few dozen images, each batch one transaction, so a crash loses at
 *   most the batch in flight and re-importing finishes the job (duplicates are
 *   skipped).
 */
#pragma once

#include "swell-project.h"

G_BEGIN_DECLS

/* Files larger than this are rejected without being read. */
#define SWELL_IMPORT_MAX_FILE_BYTES ((gint64)256 * 1024 * 1024)

typedef struct {
  /* > 0: label every imported image with this category (overrides folder
   * names); 0: labels from folder names. */
  gint64 category_id;
  /* A SwellSplit to force for every image, or -1: from folders, else automatic. */
  int split;
  /* Share of valid images for the automatic split; <= 0 means 0.2. */
  double valid_fraction;
  /* Worker threads; 0 means the number of processors. */
  guint n_threads;
} SwellImportOptions;

/* {0, -1, 0.2, 0} */
void swell_import_options_init(SwellImportOptions *options);

typedef enum {
  SWELL_IMPORT_IMPORTED,
  SWELL_IMPORT_DUPLICATE,
  SWELL_IMPORT_REJECTED,
} SwellImportOutcome;

typedef struct {
  char *path;                /* the file as found (given path joined with its relative path) */
  SwellImportOutcome outcome;
  char *reason;              /* rejected: "<path>: <why>"; duplicate: "<path>: same image as “<name>”"; else NULL */
  gint64 image_id;           /* imported: the new id; duplicate: the existing image; rejected: 0 */
} SwellImportItem;

typedef struct {
  guint n_files;             /* files considered */
  guint n_imported;
  guint n_duplicates;
  guint n_rejected;
  GPtrArray *items;          /* SwellImportItem *, one per file, in a stable order (sorted by path) */
  GArray *imported_ids;      /* gint64 ids of the images added by this import */
  gboolean cancelled;        /* stopped early by the GCancellable; what was committed stays */
} SwellImportResult;

void swell_import_result_free(SwellImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellImportResult, swell_import_result_free)

/* Progress: `done` of `total` files processed; `current` is the file just
 * finished (may be NULL). */
typedef void (*SwellImportProgressFunc)(guint done, guint total, const char *current,
                                        gpointer user_data);

/* Imports files and folders, blocking the calling thread; `progress` is called
 * in the calling thread. `project` is only used for its path and to emit
 * "changed" at the end (the import writes through its own connection), so it
 * must belong to the calling thread. Cancellation stops after the files in
 * flight and returns the (partial) result with `cancelled` set, not an error.
 * Returns NULL with an error only when the project cannot be opened or
 * written; a bad file is never an error, it is a rejected item. Do not call it
 * while `project` holds an explicit transaction (swell_project_begin()): the
 * import's own connection would wait for it. */
SwellImportResult *swell_import_paths(SwellProject *project, const char *const *paths,
                                      const SwellImportOptions *options,
                                      SwellImportProgressFunc progress, gpointer progress_data,
                                      GCancellable *cancellable, GError **error);

/* The same on a worker thread. `progress` is called in the thread-default main
 * context of the caller (the UI's main loop), so it can touch widgets (calls
 * are coalesced: not every file is reported); `progress_data` must stay valid
 * until `callback` runs. swell_import_paths_finish() emits "changed" on
 * `project`. */
void swell_import_paths_async(SwellProject *project, const char *const *paths,
                              const SwellImportOptions *options, SwellImportProgressFunc progress,
                              gpointer progress_data, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
SwellImportResult *swell_import_paths_finish(SwellProject *project, GAsyncResult *result,
                                             GError **error);

/* One line for people, e.g. "Imported 12 images, 2 duplicates, 1 rejected". */
char *swell_import_result_summary(const SwellImportResult *result);

G_END_DECLS
