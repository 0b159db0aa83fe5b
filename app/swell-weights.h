/* swell-weights.h: the pretrained-weights manager.
 *
 * Swell fine-tunes networks pretrained on ImageNet. This module knows which
 * files exist (the catalogue), keeps them in a per-user cache
 * ($XDG_CACHE_HOME/swell/weights/, i.e. ~/.cache/swell/weights/), downloads them
 * with libsoup 3 (progress, cancellation, resume, checksum) and imports files the
 * user already has (offline use).
 *
 * Catalogue: torchvision's published ImageNet files, exactly those that
 * `torchvision.models.<arch>(pretrained=True)` loads in torchvision 0.14 (the
 * IMAGENET1K_V1 weights; fastai's `vision_learner(..., pretrained=True)` gets the
 * same files). Each file name carries the first 8 hex digits of the file's SHA-256
 * ("resnet34-b627a593.pth"); like torch.hub's check_hash, a download is accepted
 * only when its SHA-256 starts with that prefix.
 *
 * Environment (for tests, or a local mirror):
 *   SWELL_WEIGHTS_URL_BASE   download from BASE/<file_name> instead of entry->url
 *   SWELL_WEIGHTS_CATALOGUE  path to a JSON file that replaces the built-in catalogue:
 *     {"entries": [{"arch": "resnet34", "file_name": "resnet34-0123abcd.pth",
 *                   "url": "http://...", "size": 1234, "sha256_prefix": "0123abcd",
 *                   "input_size": 224, "mean": [..3], "std": [..3]}, ...]}
 *     ("url", "size", "input_size", "mean", "std" optional: defaults are
 *     SWELL_WEIGHTS_DEFAULT_URL_BASE/<file_name>, 0 = unknown, 224, ImageNet stats)
 *
 * Cache layout: a file appears under its final name only after it has been
 * completely written, fsync'ed and verified (atomic rename). In-progress downloads
 * live in "<file_name>.part" (+ "<file_name>.part.info" recording URL and
 * validator for a later resume, and "<file_name>.part.lock", locked with flock()
 * while a download runs so that two processes never write the same part);
 * nothing with a ".part*" suffix is ever used as weights. Imported files are stored as the catalogue's file name when their
 * SHA-256 matches the catalogue's prefix, otherwise as "<arch>-imported.pth" or
 * "<arch>-imported.safetensors" (a name that claims no checksum).
 *
 * Threading: call everything from one thread that runs a GMainContext (the UI's
 * main thread, or a thread that iterates its own context as the _sync wrappers
 * do). Callbacks are invoked in the thread-default main context of the caller of
 * the _async function.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SWELL_WEIGHTS_DEFAULT_URL_BASE "https://download.pytorch.org/models"

#define SWELL_WEIGHTS_ERROR (swell_weights_error_quark())
GQuark swell_weights_error_quark(void);

typedef enum {
  SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH,  /* not in the catalogue */
  SWELL_WEIGHTS_ERROR_NOT_CACHED,    /* find_cached: nothing in the cache yet */
  SWELL_WEIGHTS_ERROR_CATALOGUE,     /* SWELL_WEIGHTS_CATALOGUE unreadable or invalid */
  SWELL_WEIGHTS_ERROR_HTTP,          /* server answered with an error status (404, 500...) */
  SWELL_WEIGHTS_ERROR_NETWORK,       /* could not connect, or the connection broke */
  SWELL_WEIGHTS_ERROR_CHECKSUM,      /* SHA-256 does not start with the expected prefix */
  SWELL_WEIGHTS_ERROR_INVALID_FILE,  /* import: not a weight file, or not this architecture */
  SWELL_WEIGHTS_ERROR_IO,            /* cache directory or file could not be written */
  SWELL_WEIGHTS_ERROR_BUSY,          /* another download of the same file is running (any process) */
} SwellWeightsError;
/* Cancellation is reported as G_IO_ERROR / G_IO_ERROR_CANCELLED. */

typedef struct {
  const char *arch;          /* "resnet18", "resnet34", "resnet50", "mobilenet_v2" (sw_arch_name) */
  const char *file_name;     /* "resnet34-b627a593.pth" */
  const char *url;           /* "https://download.pytorch.org/models/resnet34-b627a593.pth" */
  guint64 size;              /* expected size in bytes (display, progress when the server
                                sends no length); 0 = unknown. Not a check: the hash is. */
  const char *sha256_prefix; /* lowercase hex, 8 digits for torchvision files */
  int input_size;            /* 224: training and inference crop (square) */
  float mean[3];             /* per-channel normalisation of [0,1] RGB: (x - mean) / std */
  float std[3];
} SwellWeightsEntry;

/* The catalogue (built-in, or SWELL_WEIGHTS_CATALOGUE), loaded once per process.
 * Entries stay valid for the life of the process. If the override file is
 * invalid, returns NULL, sets *n_entries to 0 and fills error (if given). */
const SwellWeightsEntry *swell_weights_catalogue(gsize *n_entries, GError **error);
/* The entry for an architecture name, or NULL with SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH
 * ("no pretrained weights are known for 'foo'; available: resnet18, ..."). */
const SwellWeightsEntry *swell_weights_lookup(const char *arch, GError **error);
/* Where entry is downloaded from: $SWELL_WEIGHTS_URL_BASE/<file_name> if set, else entry->url. */
char *swell_weights_entry_url(const SwellWeightsEntry *entry);

/* $XDG_CACHE_HOME/swell/weights (not created). */
char *swell_weights_cache_dir(void);

/* Path of the usable weights file for arch in the cache (downloaded or imported;
 * never a .part), or NULL with:
 *   SWELL_WEIGHTS_ERROR_NOT_CACHED: "no pretrained weights for resnet34 yet: run
 *     'swell-cli weights fetch resnet34' or 'swell-cli weights import resnet34 FILE'"
 *   SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH for names not in the catalogue.
 * Cheap (no hashing): files only get their final name after verification. */
char *swell_weights_find_cached(const char *arch, GError **error);

/* Progress of a download. Called at most ~10 times a second, plus once at the end
 * of the transfer (before verification). */
typedef struct {
  guint64 received;    /* bytes of the file on disk so far (including a resumed part) */
  guint64 total;       /* full file size; 0 if unknown */
  guint64 resumed_from;/* bytes that were already on disk when this transfer started */
  double rate;         /* bytes per second over the last few seconds; 0 at first */
  double eta_seconds;  /* seconds left at the current rate; < 0 if unknown */
} SwellWeightsProgress;

typedef void (*SwellWeightsProgressFunc)(const SwellWeightsProgress *progress, gpointer user_data);

/* Downloads the catalogue file for arch into the cache. If it is already cached,
 * completes at once with its path. Resumes "<file>.part" with a Range request when
 * the server allows it (206); starts again from zero when it does not (200). The
 * SHA-256 prefix is verified before the file gets its final name; a mismatching
 * file is deleted. An interrupted transfer keeps the .part (with its .info) for a
 * later resume; a cancelled one too. Errors: SWELL_WEIGHTS_ERROR_* above, or
 * G_IO_ERROR_CANCELLED. Messages name the architecture, the URL or file and the
 * reason, in a sentence fit for the user. progress may be NULL; progress_notify
 * frees progress_data when the operation is over. */
void swell_weights_fetch_async(const char *arch, GCancellable *cancellable,
                               SwellWeightsProgressFunc progress, gpointer progress_data,
                               GDestroyNotify progress_notify, GAsyncReadyCallback callback,
                               gpointer user_data);
/* The cached path (free with g_free), or NULL and error. */
char *swell_weights_fetch_finish(GAsyncResult *result, GError **error);
/* Blocking wrapper: runs the async operation on a private main context. Progress
 * is called from the calling thread. */
char *swell_weights_fetch_sync(const char *arch, GCancellable *cancellable,
                               SwellWeightsProgressFunc progress, gpointer progress_data,
                               GError **error);

/* Imports a .pth or .safetensors file the user has: reads it (sw_weights_read),
 * loads its body into a fresh model of arch (sw_model_load, body_only: a
 * classifier of any size is accepted and ignored), and copies it atomically into
 * the cache (see the header comment for the name). Replaces an earlier import.
 * Errors: SWELL_WEIGHTS_ERROR_INVALID_FILE naming the file and the reason (e.g.
 * "layer4.0.conv1.weight has shape [512, 256, 3, 3], resnet50 needs [...]"),
 * SWELL_WEIGHTS_ERROR_IO, G_IO_ERROR_CANCELLED. Returns the cached path. The check
 * takes a second or so for resnet50; use the async variant from a UI. */
char *swell_weights_import(const char *arch, const char *source_path, GCancellable *cancellable,
                           GError **error);
/* Runs swell_weights_import in a worker thread. */
void swell_weights_import_async(const char *arch, const char *source_path,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
char *swell_weights_import_finish(GAsyncResult *result, GError **error);

/* Lowercase hex SHA-256 of a file (NULL and error on failure). */
char *swell_weights_file_sha256(const char *path, GCancellable *cancellable, GError **error);

/* "83.3 MB", "1.2 kB": SI units like GNOME (g_format_size). */
char *swell_weights_format_size(guint64 bytes);

G_END_DECLS
