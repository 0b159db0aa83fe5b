/* swell-project.h: a Swell project, one SQLite file (`*.swell`) holding
 * categories, images (their original bytes and cached thumbnails), labels,
 * the train/valid/test split, training runs with their curves, metrics and
 * per-image predictions, trained models and small key-value settings.
 *
 * Threads and connections
 *  - A SwellProject wraps ONE sqlite3 connection and must be used by one
 *    thread at a time. A thread that works in the background (training,
 *    import) opens its OWN SwellProject on the same file with
 *    swell_project_open(swell_project_get_path(ui_project), ...).
 *  - The database is in WAL mode with a busy timeout, and every write starts
 *    with BEGIN IMMEDIATE, so two connections (UI + training thread) can both
 *    write without "database is locked" failures.
 *  - Every function below that changes data is ONE transaction (all or
 *    nothing). A crash or kill at any moment leaves a valid database holding
 *    everything committed before it.
 *
 * Signals
 *  - "changed" (SwellProjectChange what): emitted, in the calling thread, after
 *    a change made through THIS object has been committed. Changes committed by
 *    other connections are not seen until swell_project_poll_external_changes()
 *    is called (the UI can call it from a timeout, it is cheap), which emits
 *    "changed" with the kinds of change other connections committed (for
 *    example only SWELL_PROJECT_CHANGE_RUNS while a training thread writes).
 *
 * Errors are in SWELL_PROJECT_ERROR and name the project file, e.g.
 * "/home/me/birds.swell: not a Swell project (the file is not a database)".
 *
 * Ownership: returned structs, arrays and strings belong to the caller; free
 * them with the matching *_free() (g_autoptr works for all of them), GPtrArrays
 * have their free function set. Ids are gint64 and always > 0; 0 means "none".
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ----------------------------------------------------------------- basics */

#define SWELL_PROJECT_ERROR (swell_project_error_quark())
GQuark swell_project_error_quark(void);

typedef enum {
  SWELL_PROJECT_ERROR_NOT_A_PROJECT, /* not SQLite, or SQLite but not a Swell project */
  SWELL_PROJECT_ERROR_CORRUPT,       /* the database is damaged */
  SWELL_PROJECT_ERROR_TOO_NEW,       /* made by a newer Swell (schema version unknown here) */
  SWELL_PROJECT_ERROR_EXISTS,        /* swell_project_create() on an existing file */
  SWELL_PROJECT_ERROR_NOT_FOUND,     /* no such file / category / image / run / model */
  SWELL_PROJECT_ERROR_INVALID,       /* bad argument: empty or duplicate name, bad colour, ... */
  SWELL_PROJECT_ERROR_FAILED,        /* any other SQLite or I/O failure (message says which) */
  SWELL_PROJECT_ERROR_READ_ONLY,     /* a change to a project opened read-only */
} SwellProjectError;

/* The file name extension of projects, without the dot. */
#define SWELL_PROJECT_EXTENSION "swell"

typedef enum {
  SWELL_SPLIT_TRAIN = 0,
  SWELL_SPLIT_VALID = 1,
  SWELL_SPLIT_TEST = 2, /* held out: never used for training or for choosing anything */
} SwellSplit;
#define SWELL_N_SPLITS 3

/* "train", "valid", "test". */
const char *swell_split_to_string(SwellSplit split);
/* Accepts train, valid, val, validation, test (ASCII case-insensitive). */
gboolean swell_split_from_string(const char *name, SwellSplit *out);

typedef enum {
  SWELL_PROJECT_CHANGE_CATEGORIES = 1 << 0, /* created, renamed, recoloured, reordered, deleted */
  SWELL_PROJECT_CHANGE_IMAGES = 1 << 1,     /* added, deleted, restored, label or split changed */
  SWELL_PROJECT_CHANGE_RUNS = 1 << 2,       /* run created/finished, points, epochs, predictions */
  SWELL_PROJECT_CHANGE_MODELS = 1 << 3,
  SWELL_PROJECT_CHANGE_SETTINGS = 1 << 4,
  SWELL_PROJECT_CHANGE_ALL = 0x1f,
} SwellProjectChange;

#define SWELL_TYPE_PROJECT (swell_project_get_type())
G_DECLARE_FINAL_TYPE(SwellProject, swell_project, SWELL, PROJECT, GObject)

/* Creates a new, empty project at `path`. Fails with ..._EXISTS if the file
 * exists. */
SwellProject *swell_project_create(const char *path, GError **error);
/* Opens an existing project, migrating an older schema to the current one
 * (in one transaction). Fails with NOT_FOUND, NOT_A_PROJECT (not SQLite, or a
 * SQLite file of another application), CORRUPT or TOO_NEW; the message names
 * the file. */
SwellProject *swell_project_open(const char *path, GError **error);
/* TRUE when the project was opened read-only: its file or its folder is not
 * writable (a read-only folder or medium). Reading works as usual; every
 * change fails with SWELL_PROJECT_ERROR_READ_ONLY. */
gboolean swell_project_is_read_only(SwellProject *self);
/* The path as given to create/open. */
const char *swell_project_get_path(SwellProject *self);

/* Checks PRAGMA data_version; if another connection committed since the last
 * call, emits "changed" with what it changed (SwellProjectChange flags) and
 * returns TRUE. FALSE (no signal) when nothing changed elsewhere. */
gboolean swell_project_poll_external_changes(SwellProject *self);

/* Emits "changed" with `what` (for example after a worker thread's own
 * connection changed the file: the import does this at its end). */
void swell_project_notify_changed(SwellProject *self, SwellProjectChange what);

/* Runs PRAGMA integrity_check; FALSE with CORRUPT and the first problem. */
gboolean swell_project_check_integrity(SwellProject *self, GError **error);

/* Gives the pages freed by deletions (for example a run's model, 14-85 MB)
 * back to the file system, so the file shrinks: an incremental vacuum and a
 * checkpoint of the write-ahead log. A project made before new projects were
 * created with PRAGMA auto_vacuum = INCREMENTAL is switched once by a full
 * VACUUM (which needs as much free disk space as the file; if it fails the
 * project is unchanged). Not inside an explicit transaction. */
gboolean swell_project_reclaim_space(SwellProject *self, GError **error);

/* ------------------------------------------------------------- categories */

typedef struct {
  gint64 id;
  char *name;      /* unique, case-insensitively */
  char *color;     /* "#rrggbb", lower case */
  int position;    /* 0, 1, 2, ... in display order; also the class index order of new runs */
  int counts[SWELL_N_SPLITS]; /* images per split, indexed by SwellSplit (deleted images excluded) */
} SwellCategory;

SwellCategory *swell_category_copy(const SwellCategory *cat);
void swell_category_free(SwellCategory *cat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellCategory, swell_category_free)

/* All categories in display order (element type SwellCategory *). */
GPtrArray *swell_project_list_categories(SwellProject *self, GError **error);
/* One category by id, or by name (case-insensitive); NULL + NOT_FOUND if none. */
SwellCategory *swell_project_get_category(SwellProject *self, gint64 id, GError **error);
SwellCategory *swell_project_find_category(SwellProject *self, const char *name, GError **error);
/* Unlabeled image counts per split. */
gboolean swell_project_count_unlabeled(SwellProject *self, int counts[SWELL_N_SPLITS],
                                       GError **error);

/* The n-th colour of the default palette (cycles): GNOME's palette, readable
 * on light and dark backgrounds. */
const char *swell_project_palette_color(guint n);

/* The longest category folder name in an export, in bytes (the file systems' limit). */
#define SWELL_CATEGORY_FOLDER_MAX 255

/* Checks a new category name (trimmed of surrounding whitespace): not empty,
 * UTF-8, no control characters, and a folder name (swell_category_folder_name)
 * of at most SWELL_CATEGORY_FOLDER_MAX bytes. FALSE + INVALID with a one-line
 * reason otherwise. Creating and renaming a category apply the same check. */
gboolean swell_category_check_name(const char *name, GError **error);
/* The folder of a category in an export: the name with the bytes that common
 * file systems refuse in a folder name (control characters, / \ : * ? " < > |),
 * '%' itself and a leading or trailing '.' written as %XX (upper-case hex).
 * swell_category_name_from_folder reverses it: it decodes exactly these %XX
 * and leaves any other text as it is. */
char *swell_category_folder_name(const char *name);
char *swell_category_name_from_folder(const char *folder);

/* Creates a category at the end of the order. `color` is "#rrggbb" or NULL
 * for the next unused palette colour. Returns its id, or 0 on error (a name
 * that swell_category_check_name refuses, a duplicate name, a bad colour). */
gint64 swell_project_create_category(SwellProject *self, const char *name, const char *color,
                                     GError **error);
gboolean swell_project_rename_category(SwellProject *self, gint64 id, const char *name,
                                       GError **error);
gboolean swell_project_recolor_category(SwellProject *self, gint64 id, const char *color,
                                        GError **error);
/* Sets the display order: `ids` must be a permutation of all category ids. */
gboolean swell_project_reorder_categories(SwellProject *self, const gint64 *ids, guint n_ids,
                                          GError **error);
/* Deletes a category; its images become unlabeled (never deleted). */
gboolean swell_project_delete_category(SwellProject *self, gint64 id, GError **error);

/* ----------------------------------------------------------------- images */

typedef struct {
  gint64 id;
  gint64 category_id;  /* 0 = unlabeled */
  SwellSplit split;
  char *name;          /* original file name (basename), for display and export */
  char *sha256;        /* 64 lower-case hex digits of the original bytes */
  char *format;        /* GdkPixbuf format name: "jpeg", "png", ... */
  int width, height;   /* as stored in the file (before EXIF orientation) */
  gint64 size;         /* bytes */
  gint64 added;        /* unix time, seconds */
  gboolean has_phash;  /* FALSE: not computed yet (an image of a project made before schema 5) */
  guint64 phash;       /* perceptual hash of the decoded image (swell-phash.h) */
} SwellProjectImage;

SwellProjectImage *swell_project_image_copy(const SwellProjectImage *img);
void swell_project_image_free(SwellProjectImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellProjectImage, swell_project_image_free)

/* Values of SwellImageQuery.category_id besides a real id (> 0). */
#define SWELL_CATEGORY_UNLABELED ((gint64)0)
#define SWELL_CATEGORY_ANY ((gint64)-1)     /* labeled or not */
#define SWELL_CATEGORY_LABELED ((gint64)-2) /* any category, not unlabeled */

typedef struct {
  gint64 category_id; /* a category id, or SWELL_CATEGORY_UNLABELED / _ANY / _LABELED */
  int split;          /* a SwellSplit, or -1 for every split */
  guint offset;       /* paging: skip this many (in id order) */
  guint limit;        /* at most this many; 0 = no limit */
} SwellImageQuery;

/* A query matching every image: {SWELL_CATEGORY_ANY, -1, 0, 0}. */
#define SWELL_IMAGE_QUERY_ALL ((SwellImageQuery){SWELL_CATEGORY_ANY, -1, 0, 0})

/* Images matching `query` in id order (= import order); element SwellProjectImage *.
 * Soft-deleted images are never listed. */
GPtrArray *swell_project_list_images(SwellProject *self, const SwellImageQuery *query,
                                     GError **error);
/* Just the ids (GArray of gint64), for big grids. */
GArray *swell_project_list_image_ids(SwellProject *self, const SwellImageQuery *query,
                                     GError **error);
/* Number of matching images (ignores offset/limit); -1 on error. */
gint64 swell_project_count_images(SwellProject *self, const SwellImageQuery *query,
                                  GError **error);
SwellProjectImage *swell_project_get_image(SwellProject *self, gint64 id, GError **error);
/* The image with this SHA-256 (hex), or NULL (no error) when there is none. */
SwellProjectImage *swell_project_find_image_by_sha256(SwellProject *self, const char *sha256,
                                               GError **error);

/* The original file bytes, exactly as imported. */
GBytes *swell_project_get_image_bytes(SwellProject *self, gint64 id, GError **error);
/* The cached thumbnail: longer side at most SWELL_THUMBNAIL_SIZE, EXIF-oriented,
 * transparent parts on white, normally JPEG. If it is missing it is made now
 * (decoding the original) and cached. `mime_type` (optional) gets its MIME
 * type ("image/jpeg" or "image/png"). */
#define SWELL_THUMBNAIL_SIZE 256
GBytes *swell_project_get_thumbnail(SwellProject *self, gint64 id, char **mime_type,
                                    GError **error);

/* Stores the perceptual hashes of `n` images (hashes[i] for ids[i]), one
 * transaction; unknown ids are an error and nothing changes. */
gboolean swell_project_set_image_phashes(SwellProject *self, const gint64 *ids,
                                         const guint64 *hashes, guint n, GError **error);

/* Labels `n_ids` images with `category_id` (0 = unlabeled), one transaction.
 * Unknown ids are an error and nothing changes. */
gboolean swell_project_set_label(SwellProject *self, const gint64 *ids, guint n_ids,
                                 gint64 category_id, GError **error);
/* Same as set_label(..., 0, ...). */
gboolean swell_project_clear_label(SwellProject *self, const gint64 *ids, guint n_ids,
                                   GError **error);
gboolean swell_project_set_split(SwellProject *self, const gint64 *ids, guint n_ids,
                                 SwellSplit split, GError **error);
/* Soft delete: the images disappear from every list and count but stay in the
 * file until purged, so swell_project_restore_images() can undo it. */
gboolean swell_project_delete_images(SwellProject *self, const gint64 *ids, guint n_ids,
                                     GError **error);
gboolean swell_project_restore_images(SwellProject *self, const gint64 *ids, guint n_ids,
                                      GError **error);
/* Removes soft-deleted images for good (for example when the window closes). */
gboolean swell_project_purge_deleted_images(SwellProject *self, GError **error);

/* Adding one image (what import uses; the UI normally uses swell-import.h). */
typedef struct {
  const char *name;        /* original basename */
  GBytes *bytes;           /* original file bytes (stored as is) */
  const char *sha256;      /* hex of `bytes`, or NULL to compute it here */
  const char *format;      /* GdkPixbuf format name */
  int width, height;
  GBytes *thumbnail;       /* encoded thumbnail, or NULL to make it on first use */
  const char *thumbnail_mime; /* "image/jpeg" or "image/png" */
  gint64 category_id;      /* 0 = unlabeled */
  SwellSplit split;
  gboolean auto_split;     /* TRUE: split not given by the user/folder; see assign_auto_split */
  gboolean has_phash;      /* FALSE: no hash yet (computed on first use) */
  guint64 phash;           /* swell_image_phash() of the decoded image */
} SwellNewImage;

/* Inserts the image, or, when an image with the same SHA-256 exists, does not
 * and sets *duplicate (its id is returned). A soft-deleted image with the same
 * bytes is restored and takes the new label and split. Returns the id, 0 on
 * error. Joins the current explicit transaction if there is one. */
gint64 swell_project_add_image(SwellProject *self, const SwellNewImage *image,
                               gboolean *duplicate, GError **error);

/* Seeded, stratified split: among `ids` (images just added with auto_split),
 * per category (unlabeled counts as one), puts in valid as many as needed to
 * bring that category's valid share to `valid_fraction` (default 0.2 when <=
 * 0), the rest in train; which ones is decided by a hash of the project's seed
 * (setting "split-seed", default 42) and each image's SHA-256, so it does not
 * depend on import order. */
gboolean swell_project_assign_auto_split(SwellProject *self, const gint64 *ids, guint n_ids,
                                         double valid_fraction, GError **error);

/* Re-draws the train/valid split of every train and valid image (test images
 * stay where they are) with the stratified rule of assign_auto_split() at
 * `valid_fraction` (<= 0: 0.2). `seed` (may be NULL: keep the project's) is
 * saved as the project's "split-seed" first, so later imports agree with it.
 * One transaction. */
gboolean swell_project_redraw_split(SwellProject *self, double valid_fraction, const char *seed,
                                    GError **error);

/* Explicit transactions to group several calls into one (for example an import
 * batch). begin = BEGIN IMMEDIATE. Functions above called inside join it and
 * their "changed" signals are emitted at commit. */
gboolean swell_project_begin(SwellProject *self, GError **error);
gboolean swell_project_commit(SwellProject *self, GError **error);
void swell_project_rollback(SwellProject *self);

/* ------------------------------------------------------------------- runs */

typedef enum {
  SWELL_RUN_RUNNING,
  SWELL_RUN_COMPLETED,
  SWELL_RUN_CANCELLED,
  SWELL_RUN_FAILED,
} SwellRunStatus;

/* "running", "completed", "cancelled", "failed". */
const char *swell_run_status_to_string(SwellRunStatus status);

typedef enum {
  SWELL_STAGE_FROZEN,
  SWELL_STAGE_UNFROZEN,
} SwellStage;
/* "frozen", "unfrozen". */
const char *swell_stage_to_string(SwellStage stage);

typedef struct {
  gint64 id;
  char *arch;              /* "resnet34", "mobilenet_v2", ... */
  char *weights;           /* name of the pretrained weights used */
  char *hyperparams_json;  /* a JSON object, as given at creation */
  char **class_names;      /* NULL-terminated, class index order */
  SwellRunStatus status;
  char *message;           /* failure message, or NULL */
  gint64 created;          /* unix time, seconds */
  gint64 finished;         /* unix time, 0 while running */
  double accuracy;         /* last epoch's accuracy, NAN when no epoch yet */
  double valid_loss;       /* last epoch's valid loss, NAN when no epoch yet */
  int n_epochs;            /* epochs recorded so far */
  gboolean has_model;
  gboolean keep_best;      /* the run's hyperparams say "keep": "best" (SwellTrainOptions.keep) */
  int kept_epoch;          /* the epoch whose model the run stored, 0-based over the whole run;
                            * -1 while running, when none was kept, and for runs of older files */
} SwellRunInfo;

SwellRunInfo *swell_run_info_copy(const SwellRunInfo *run);
void swell_run_info_free(SwellRunInfo *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellRunInfo, swell_run_info_free)

/* Starts a run (status running). `class_names` is NULL-terminated, in class
 * index order (normally the category names in display order). Returns the
 * run id, 0 on error. */
gint64 swell_project_create_run(SwellProject *self, const char *arch, const char *weights,
                                const char *hyperparams_json, const char *const *class_names,
                                GError **error);
/* Sets the final status (completed, cancelled or failed), `message` (may be
 * NULL) and the finish time. */
gboolean swell_project_finish_run(SwellProject *self, gint64 run_id, SwellRunStatus status,
                                  const char *message, GError **error);
/* All runs, oldest first (element SwellRunInfo *). */
GPtrArray *swell_project_list_runs(SwellProject *self, GError **error);
SwellRunInfo *swell_project_get_run(SwellProject *self, gint64 run_id, GError **error);
/* The newest run (with_model: the newest that has a model); NULL without an
 * error when there is none. */
SwellRunInfo *swell_project_get_latest_run(SwellProject *self, gboolean with_model, GError **error);
/* Deletes a run with its points, epochs, predictions and model. */
gboolean swell_project_delete_run(SwellProject *self, gint64 run_id, GError **error);

#define SWELL_MAX_PARAM_GROUPS 8
/* One training batch. */
typedef struct {
  gint64 iteration;   /* 0, 1, 2, ... over the whole run */
  int epoch;          /* 0-based, over the whole run (frozen epochs first) */
  double loss;        /* this batch's training loss */
  double smooth_loss; /* fastai's debiased exponential moving average */
  double lr;          /* learning rate of the last (head) group */
  double mom;         /* momentum (Adam beta1) */
  int n_groups;       /* entries used in group_lrs (0..SWELL_MAX_PARAM_GROUPS) */
  double group_lrs[SWELL_MAX_PARAM_GROUPS];
} SwellRunPoint;

/* Appends points (one transaction; call it every few batches). An iteration
 * already stored is replaced. */
gboolean swell_project_append_points(SwellProject *self, gint64 run_id, const SwellRunPoint *points,
                                     guint n_points, GError **error);
/* Points with iteration > after_iteration (-1 for all), in order; GArray of
 * SwellRunPoint. */
GArray *swell_project_list_points(SwellProject *self, gint64 run_id, gint64 after_iteration,
                                  GError **error);

/* One epoch's metrics. */
typedef struct {
  int epoch;          /* 0-based over the whole run */
  SwellStage stage;
  double train_loss;
  double valid_loss;
  double accuracy;
  double error_rate;
  double seconds;
} SwellEpochMetrics;

/* Adds (or replaces) one epoch's metrics. */
gboolean swell_project_add_epoch(SwellProject *self, gint64 run_id, const SwellEpochMetrics *m,
                                 GError **error);
/* GArray of SwellEpochMetrics in epoch order. */
GArray *swell_project_list_epochs(SwellProject *self, gint64 run_id, GError **error);

/* One image's prediction by a run's final model (the kept one, see
 * SwellTrainOptions.keep), in eval mode on the validation transform. A run
 * stores them for every image it could read: its validation images (the
 * Results view's), its labeled training and test images, and the unlabeled
 * ones (actual SWELL_PREDICTION_UNLABELED). */
#define SWELL_PREDICTION_UNLABELED (-1)
typedef struct {
  gint64 image_id;
  int actual;         /* class index (into the run's class_names) of its label when the run
                       * was made, or SWELL_PREDICTION_UNLABELED */
  int predicted;      /* argmax class index */
  double loss;        /* cross-entropy of this image (NAN when unlabeled) */
  guint n_classes;
  float *probs;       /* n_classes softmax probabilities */
  SwellSplit split;   /* the image's split when the run was made */
} SwellPrediction;

/* Which of a run's predictions to list (flags). */
typedef enum {
  SWELL_PREDICTIONS_TRAIN = 1 << 0,     /* labeled images of the train split */
  SWELL_PREDICTIONS_VALID = 1 << 1,     /* labeled images of the valid split */
  SWELL_PREDICTIONS_TEST = 1 << 2,      /* labeled images of the test split */
  SWELL_PREDICTIONS_UNLABELED = 1 << 3, /* unlabeled images, any split */
  SWELL_PREDICTIONS_ALL = 0xf,
} SwellPredictionSet;

/* Stores predictions (replacing the run's earlier ones for the same images),
 * one transaction. `preds` is an array of n structs. */
gboolean swell_project_set_predictions(SwellProject *self, gint64 run_id,
                                       const SwellPrediction *preds, guint n, GError **error);
/* The validation predictions: swell_project_list_predictions_of(..., SWELL_PREDICTIONS_VALID). */
GArray *swell_project_list_predictions(SwellProject *self, gint64 run_id, GError **error);
/* GArray of SwellPrediction of the sets (SwellPredictionSet flags) in image id
 * order (probs owned by the array: it has a clear func). Predictions of
 * soft-deleted images are left out. */
GArray *swell_project_list_predictions_of(SwellProject *self, gint64 run_id, guint sets,
                                          GError **error);

/* The validation confusion matrix as JSON, for example
 * {"classes":["a","b"],"matrix":[[3,1],[0,4]]} (rows: actual). */
gboolean swell_project_set_confusion(SwellProject *self, gint64 run_id, const char *json,
                                     GError **error);
/* NULL without an error when the run has none. */
char *swell_project_get_confusion(SwellProject *self, gint64 run_id, GError **error);
/* The same for the run's test images (the final model evaluated on them once
 * at the end of the run); NULL without an error when the run had none.
 * swell_metrics_load_test_score() reads it as numbers. */
gboolean swell_project_set_test_confusion(SwellProject *self, gint64 run_id, const char *json,
                                          GError **error);
char *swell_project_get_test_confusion(SwellProject *self, gint64 run_id, GError **error);
/* The epoch (0-based, over the whole run) whose model the run stored; read back as
 * SwellRunInfo.kept_epoch. */
gboolean swell_project_set_kept_epoch(SwellProject *self, gint64 run_id, int epoch,
                                      GError **error);

/* Labels each of `ids` with the category its prediction by run `run_id` names
 * (the run's class name, looked up among the project's categories now) when
 * that prediction's probability is at least `min_confidence` (0: always); the
 * others stay as they are. One transaction (joins an explicit one): an image
 * that does not exist or that the run has no prediction of, or a predicted
 * category deleted since, is an error (NOT_FOUND, naming it) and nothing
 * changes. `n_labeled` (may be NULL) gets how many were labeled. */
gboolean swell_project_label_with_predictions(SwellProject *self, gint64 run_id,
                                              const gint64 *ids, guint n_ids,
                                              double min_confidence, guint *n_labeled,
                                              GError **error);

/* ----------------------------------------------------------------- models */

typedef struct {
  gint64 run_id;
  char *arch;
  char **class_names;     /* NULL-terminated, class index order */
  float mean[3];          /* input normalisation (RGB) */
  float std[3];
  int input_size;         /* e.g. 224 */
  gint64 created;         /* unix time */
  GBytes *weights;        /* safetensors bytes */
} SwellProjectModel;

void swell_project_model_free(SwellProjectModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellProjectModel, swell_project_model_free)

/* Stores (or replaces) the model of a run; `model->run_id` is ignored and
 * `created` is set now. */
gboolean swell_project_save_model(SwellProject *self, gint64 run_id, const SwellProjectModel *model,
                                  GError **error);
/* The model of `run_id`, or of the newest run with a model when run_id is 0.
 * NOT_FOUND when there is none. */
SwellProjectModel *swell_project_load_model(SwellProject *self, gint64 run_id, GError **error);

/* --------------------------------------------------------------- settings */

/* Small text values (e.g. "last-view", "split-seed"). NULL when unset. */
char *swell_project_get_setting(SwellProject *self, const char *key);
/* value NULL removes the key. */
gboolean swell_project_set_setting(SwellProject *self, const char *key, const char *value,
                                   GError **error);

G_END_DECLS
