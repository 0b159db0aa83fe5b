/* swell-import.c: importing files and folders into a project on worker
 * threads. See swell-import.h. */
#include "swell-config.h"

#include "swell-import.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swell-image.h"
#include "swell-phash.h"

/* Images per transaction: a crash loses at most one batch. */
#define BATCH_IMAGES 32
#define BATCH_SECONDS 1.0

/* Memory bounds that do not grow with the number of worker threads (issue 14:
 * a 10,000-image import stays under 300 MB; eight threads importing
 * 12-megapixel photos of 2.5 MB peaked at 318 MB before, 158 MB with them):
 *  - file bytes held by the jobs submitted and not yet committed, by the
 *    sizes the walk saw (one job is always allowed, however large);
 *  - full-size decodes running at once, at DECODE_PIXEL_BYTES per pixel of
 *    the header's size (the RGB pixel buffer and, while the EXIF orientation
 *    is applied, its rotated copy; or an alpha channel, or libjpeg's
 *    progressive coefficients): two 12-megapixel photos at a time, a dozen
 *    of 2 megapixels; an image over the budget decodes alone. */
#define HELD_FILE_BYTES ((gint64)64 * 1024 * 1024)
#define DECODE_PIXEL_BYTES 6
#define DECODE_BUDGET_BYTES ((gint64)192 * 1024 * 1024)

void swell_import_options_init(SwellImportOptions *options) {
  options->category_id = 0;
  options->split = -1;
  options->valid_fraction = 0.2;
  options->n_threads = 0;
}

static void item_free(SwellImportItem *item) {
  if (!item) return;
  g_free(item->path);
  g_free(item->reason);
  g_free(item);
}

void swell_import_result_free(SwellImportResult *result) {
  if (!result) return;
  g_clear_pointer(&result->items, g_ptr_array_unref);
  g_clear_pointer(&result->imported_ids, g_array_unref);
  g_free(result);
}

char *swell_import_result_summary(const SwellImportResult *r) {
  g_autofree char *a = g_strdup_printf(
      g_dngettext(GETTEXT_PACKAGE, "Imported %u image", "Imported %u images", r->n_imported),
      r->n_imported);
  g_autofree char *b = g_strdup_printf(
      g_dngettext(GETTEXT_PACKAGE, "%u duplicate", "%u duplicates", r->n_duplicates),
      r->n_duplicates);
  g_autofree char *c = g_strdup_printf(_("%u rejected"), r->n_rejected);
  return g_strdup_printf(r->cancelled ? _("%s, %s, %s (cancelled)") : _("%s, %s, %s"), a, b, c);
}

/* ------------------------------------------------------------------ walk */

typedef struct {
  char *path;
  char *label;      /* category name from the folders, or NULL */
  int split;        /* SwellSplit from the folders, or -1 */
  char *error;      /* known bad already during the walk */
  gint64 size;      /* bytes, as the walk saw them (0 when unknown) */
} Entry;

static void entry_free(Entry *e) {
  g_free(e->path);
  g_free(e->label);
  g_free(e->error);
  g_free(e);
}

static Entry *entry_new(const char *path, const char *label, int split, char *error) {
  Entry *e = g_new0(Entry, 1);
  e->path = g_strdup(path);
  e->label = g_strdup(label);
  e->split = split;
  e->error = error;
  return e;
}

/* Labels and split from the folder names: comps[0] is the imported folder's
 * own name, comps[1..] the folders below it down to the file. `root_is_class`:
 * the imported folder holds files only (see walk_paths()). */
static void classify_folders(GPtrArray *comps, int parent_split, gboolean root_is_class,
                             char **label, int *split) {
  *label = NULL;
  *split = -1;
  for (guint i = 0; i < comps->len; i++) {
    SwellSplit s;
    if (swell_split_from_string(comps->pdata[i], &s)) {
      *split = s;
      if (i + 1 < comps->len) *label = g_filename_display_name(comps->pdata[i + 1]);
      return;
    }
  }
  if (comps->len >= 2) {
    *label = g_filename_display_name(comps->pdata[1]);
  } else if (parent_split >= 0) {
    /* importing data/train/cats: a class folder inside a split folder */
    *label = g_filename_display_name(comps->pdata[0]);
    *split = parent_split;
  } else if (root_is_class) {
    /* importing photos/ants: a class folder given directly */
    *label = g_filename_display_name(comps->pdata[0]);
  }
}

static char *stat_error(const char *path, int err) {
  struct stat lst;
  if (err == ENOENT && g_lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
    return g_strdup_printf(_("%s: broken symbolic link (its target does not exist)"), path);
  return g_strdup_printf(_("%s: cannot read the file (%s)"), path, g_strerror(err));
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void walk_dir(const char *dir, GPtrArray *comps, int parent_split, gboolean root_is_class,
                     GHashTable *visited, GPtrArray *entries) {
  g_autoptr(GError) err = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
  if (!d) {
    g_ptr_array_add(entries,
                    entry_new(dir, NULL, -1,
                              g_strdup_printf(_("%s: cannot open the folder (%s)"), dir,
                                              err ? err->message : "?")));
    return;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)))
    if (name[0] != '.') g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_strings);
  for (guint i = 0; i < names->len; i++) {
    const char *nm = names->pdata[i];
    g_autofree char *full = g_build_filename(dir, nm, NULL);
    struct stat st;
    if (g_stat(full, &st) != 0) {
      g_ptr_array_add(entries, entry_new(full, NULL, -1, stat_error(full, errno)));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      g_autofree char *key = g_strdup_printf("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
      if (!g_hash_table_add(visited, g_steal_pointer(&key))) continue; /* a link loop */
      g_ptr_array_add(comps, (gpointer)nm);
      walk_dir(full, comps, parent_split, root_is_class, visited, entries);
      g_ptr_array_remove_index(comps, comps->len - 1);
      continue;
    }
    char *label;
    int split;
    classify_folders(comps, parent_split, root_is_class, &label, &split);
    Entry *e = entry_new(full, NULL, split, NULL);
    e->label = label;
    e->size = st.st_size;
    g_ptr_array_add(entries, e);
  }
}

/* TRUE when the folder's own children (hidden ones aside) are all files, and
 * there is at least one: a class folder, not a data set. */
static gboolean holds_only_files(const char *dir) {
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  gboolean any = FALSE;
  while (d && (name = g_dir_read_name(d))) {
    if (name[0] == '.') continue;
    g_autofree char *full = g_build_filename(dir, name, NULL);
    if (g_file_test(full, G_FILE_TEST_IS_DIR)) return FALSE;
    any = TRUE;
  }
  return any;
}

static GPtrArray *walk_paths(const char *const *paths) {
  GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
  g_autoptr(GHashTable) visited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint p = 0; paths && paths[p]; p++) {
    const char *path = paths[p];
    struct stat st;
    if (g_stat(path, &st) != 0) {
      g_ptr_array_add(entries, entry_new(path, NULL, -1, stat_error(path, errno)));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      Entry *e = entry_new(path, NULL, -1, NULL);
      e->size = st.st_size;
      g_ptr_array_add(entries, e);
      continue;
    }
    g_autofree char *canon = g_canonicalize_filename(path, NULL);
    g_autofree char *root_name = g_path_get_basename(canon);
    g_autofree char *parent = g_path_get_dirname(canon);
    g_autofree char *parent_name = g_path_get_basename(parent);
    SwellSplit ps;
    int parent_split = swell_split_from_string(parent_name, &ps) ? (int)ps : -1;
    g_autofree char *key = g_strdup_printf("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    g_hash_table_add(visited, g_steal_pointer(&key));
    g_autoptr(GPtrArray) comps = g_ptr_array_new();
    g_ptr_array_add(comps, root_name);
    SwellSplit rs;
    gboolean root_is_class = !swell_split_from_string(root_name, &rs) && holds_only_files(path);
    walk_dir(path, comps, parent_split, root_is_class, visited, entries);
  }
  return entries;
}

/* ------------------------------------------------------------------- jobs */

/* The bytes of full-size decodes running now (DECODE_BUDGET_BYTES). */
typedef struct {
  GMutex lock;
  GCond cond;
  gint64 used;
} DecodeBudget;

static void budget_acquire(DecodeBudget *b, gint64 n) {
  g_mutex_lock(&b->lock);
  while (b->used > 0 && b->used + n > DECODE_BUDGET_BYTES) g_cond_wait(&b->cond, &b->lock);
  b->used += n;
  g_mutex_unlock(&b->lock);
}

static void budget_release(DecodeBudget *b, gint64 n) {
  g_mutex_lock(&b->lock);
  b->used -= n;
  g_cond_broadcast(&b->cond);
  g_mutex_unlock(&b->lock);
}

typedef struct {
  Entry *entry;
  GAsyncQueue *done_queue;    /* borrowed */
  GHashTable *known_sha;      /* borrowed, read-only while workers run */
  DecodeBudget *budget;       /* borrowed */
  gint64 held;                /* file bytes counted against HELD_FILE_BYTES */
  gboolean done;
  /* results */
  GBytes *bytes;
  char *sha256;
  SwellImageInfo info;
  GBytes *thumb;
  guint64 phash;              /* swell_image_phash() of the decoded image */
  gboolean known;             /* its SHA-256 was in the project before the import */
  char *reason;               /* rejected */
} Job;

static void job_clear(Job *job) {
  g_clear_pointer(&job->bytes, g_bytes_unref);
  g_clear_pointer(&job->thumb, g_bytes_unref);
  g_clear_pointer(&job->sha256, g_free);
  g_clear_pointer(&job->reason, g_free);
}

/* Reads a regular file, refusing huge or special files before reading. */
static GBytes *read_file(const char *path, char **reason) {
  int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0) {
    *reason = stat_error(path, errno);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *reason = stat_error(path, errno);
    close(fd);
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    *reason = g_strdup_printf(_("%s: not a regular file"), path);
    close(fd);
    return NULL;
  }
  if (st.st_size > SWELL_IMPORT_MAX_FILE_BYTES) {
    *reason = g_strdup_printf(_("%s: file too large (%.0f MB; the limit is %.0f MB)"), path,
                              st.st_size / 1048576.0, SWELL_IMPORT_MAX_FILE_BYTES / 1048576.0);
    close(fd);
    return NULL;
  }
  gsize cap = (gsize)st.st_size, len = 0;
  guint8 *buf = g_malloc(cap + 1);
  for (;;) {
    if (len == cap) { /* the file grew while we read it */
      if (cap >= (gsize)SWELL_IMPORT_MAX_FILE_BYTES) break;
      cap = cap * 2 + 4096;
      buf = g_realloc(buf, cap + 1);
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *reason = g_strdup_printf(_("%s: cannot read the file (%s)"), path, g_strerror(errno));
      g_free(buf);
      close(fd);
      return NULL;
    }
    if (r == 0) break;
    len += (gsize)r;
  }
  close(fd);
  return g_bytes_new_take(buf, len);
}

/* Decodes the probed job whole (the content check) and takes its perceptual
 * hash and thumbnail, within the decode budget. */
static void decode_job(Job *job) {
  const char *path = job->entry->path;
  g_autoptr(GError) err = NULL;
  gint64 need = (gint64)job->info.width * job->info.height * DECODE_PIXEL_BYTES;
  budget_acquire(job->budget, need);
  SwellRgbImage *img = swell_image_decode_bytes(job->bytes, path, &err);
  if (!img) {
    job->reason = g_strdup(err->message);
  } else {
    job->phash = swell_image_phash(img);
    if (!(job->thumb = swell_image_thumbnail(img, SWELL_THUMBNAIL_SIZE, SWELL_THUMBNAIL_JPEG, &err)))
      job->reason = g_strdup_printf("%s: %s", path, err->message);
  }
  swell_rgb_image_free(img);
  budget_release(job->budget, need);
}

static void process_job(gpointer data, gpointer user_data) {
  Job *job = data;
  const char *path = job->entry->path;
  g_autoptr(GError) err = NULL;
  job->bytes = read_file(path, &job->reason);
  if (job->bytes) {
    gsize n;
    const void *d = g_bytes_get_data(job->bytes, &n);
    job->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, n);
    if (g_hash_table_contains(job->known_sha, job->sha256))
      job->known = TRUE; /* a duplicate: it was validated when first imported */
    else if (!swell_image_probe_bytes(job->bytes, path, &job->info, &err))
      job->reason = g_strdup(err->message);
    else
      decode_job(job);
  }
  g_async_queue_push(job->done_queue, job);
}

/* ------------------------------------------------------------------ import */

typedef struct {
  SwellProject *db;          /* the import's own connection */
  const SwellImportOptions *opts;
  GHashTable *category_ids;  /* casefolded name -> gint64* */
  SwellImportResult *result;
  GArray *auto_ids;
} Importer;

/* `folder`: the category's folder name, as export writes it (swell_category_folder_name). */
static gint64 category_for(Importer *im, const char *folder, GError **error) {
  if (im->opts->category_id > 0) return im->opts->category_id;
  if (!folder) return 0;
  g_autofree char *label = swell_category_name_from_folder(folder);
  g_autofree char *key = g_utf8_casefold(label, -1);
  gint64 *cached = g_hash_table_lookup(im->category_ids, key);
  if (cached) return *cached;
  g_autoptr(GError) local = NULL;
  g_autoptr(SwellCategory) c = swell_project_find_category(im->db, label, &local);
  gint64 id = c ? c->id : 0;
  if (!c) {
    if (!g_error_matches(local, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return -1;
    }
    id = swell_project_create_category(im->db, label, NULL, error);
    if (!id) return -1;
  }
  g_hash_table_insert(im->category_ids, g_steal_pointer(&key), g_memdup2(&id, sizeof id));
  return id;
}

/* Records one finished job; FALSE on a database failure. */
static gboolean handle_job(Importer *im, Job *job, GError **error) {
  SwellImportItem *item = g_new0(SwellImportItem, 1);
  item->path = g_strdup(job->entry->path);
  g_ptr_array_add(im->result->items, item);
  im->result->n_files++;
  if (job->entry->error || job->reason) {
    item->outcome = SWELL_IMPORT_REJECTED;
    item->reason = g_strdup(job->entry->error ? job->entry->error : job->reason);
    im->result->n_rejected++;
    return TRUE;
  }
  g_autoptr(GError) cat_error = NULL;
  gint64 cat = category_for(im, job->entry->label, &cat_error);
  if (cat < 0) {
    if (!g_error_matches(cat_error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID)) {
      g_propagate_error(error, g_steal_pointer(&cat_error));
      return FALSE;
    }
    /* a folder name that cannot be a category: this file only */
    item->outcome = SWELL_IMPORT_REJECTED;
    item->reason = g_strdup_printf(_("%s: the folder name “%s” cannot be a category (%s)"),
                                   job->entry->path, job->entry->label, cat_error->message);
    im->result->n_rejected++;
    return TRUE;
  }
  int split = im->opts->split >= 0 ? im->opts->split : job->entry->split;
  g_autofree char *name = g_filename_display_basename(job->entry->path);
  SwellNewImage ni = {
      .name = name,
      .bytes = job->bytes,
      .sha256 = job->sha256,
      .format = job->info.format,
      .width = job->info.width,
      .height = job->info.height,
      .thumbnail = job->thumb,
      .thumbnail_mime = "image/jpeg",
      .category_id = cat,
      .split = split >= 0 ? (SwellSplit)split : SWELL_SPLIT_TRAIN,
      .auto_split = split < 0,
      .has_phash = !job->known,
      .phash = job->phash,
  };
  gboolean dup = FALSE;
  if (job->known) {
    /* Known SHA-256: normally a duplicate; add_image decides (the earlier
     * copy may have been deleted since the import started). */
    g_autoptr(SwellProjectImage) old = swell_project_find_image_by_sha256(im->db, job->sha256, NULL);
    if (!old) {
      /* It was deleted meanwhile: validate it like a new file. */
      g_autoptr(GError) err = NULL;
      g_autoptr(SwellRgbImage) img = NULL;
      if (!swell_image_probe_bytes(job->bytes, job->entry->path, &job->info, &err) ||
          !(img = swell_image_decode_bytes(job->bytes, job->entry->path, &err))) {
        item->outcome = SWELL_IMPORT_REJECTED;
        item->reason = g_strdup(err->message);
        im->result->n_rejected++;
        return TRUE;
      }
      ni.format = job->info.format;
      ni.width = job->info.width;
      ni.height = job->info.height;
      ni.has_phash = TRUE;
      ni.phash = swell_image_phash(img);
    }
  }
  gint64 id = swell_project_add_image(im->db, &ni, &dup, error);
  if (!id) return FALSE;
  item->image_id = id;
  if (dup) {
    g_autoptr(SwellProjectImage) old = swell_project_get_image(im->db, id, NULL);
    item->outcome = SWELL_IMPORT_DUPLICATE;
    item->reason = g_strdup_printf(_("%s: same image as “%s”, already in the project"),
                                   job->entry->path, old ? old->name : "?");
    im->result->n_duplicates++;
  } else {
    item->outcome = SWELL_IMPORT_IMPORTED;
    im->result->n_imported++;
    g_array_append_val(im->result->imported_ids, id);
    if (ni.auto_split) g_array_append_val(im->auto_ids, id);
  }
  return TRUE;
}

static GHashTable *load_known_sha(SwellProject *db, GError **error) {
  g_autoptr(GPtrArray) imgs = swell_project_list_images(db, &SWELL_IMAGE_QUERY_ALL, error);
  if (!imgs) return NULL;
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < imgs->len; i++)
    g_hash_table_add(set, g_strdup(((SwellProjectImage *)imgs->pdata[i])->sha256));
  return set;
}

static SwellImportResult *import_run(const char *project_path, const char *const *paths,
                                     const SwellImportOptions *options,
                                     SwellImportProgressFunc progress, gpointer progress_data,
                                     GCancellable *cancellable, GError **error) {
  SwellImportOptions defaults;
  swell_import_options_init(&defaults);
  const SwellImportOptions *opts = options ? options : &defaults;

  g_autoptr(SwellProject) db = swell_project_open(project_path, error);
  if (!db) return NULL;
  if (opts->category_id > 0) {
    g_autoptr(SwellCategory) c = swell_project_get_category(db, opts->category_id, error);
    if (!c) return NULL;
  }
  g_autoptr(GHashTable) known = load_known_sha(db, error);
  if (!known) return NULL;

  g_autoptr(SwellImportResult) result = g_new0(SwellImportResult, 1);
  result->items = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
  result->imported_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) auto_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GHashTable) category_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  Importer im = {db, opts, category_ids, result, auto_ids};

  g_autoptr(GPtrArray) entries = walk_paths(paths);
  guint total = entries->len;
  g_autofree Job *jobs = g_new0(Job, MAX(total, 1));
  g_autoptr(GAsyncQueue) queue = g_async_queue_new();
  guint n_threads = opts->n_threads ? opts->n_threads : g_get_num_processors();
  n_threads = CLAMP(n_threads, 1, 64);
  GThreadPool *pool = g_thread_pool_new(process_job, NULL, (gint)n_threads, FALSE, NULL);
  guint max_in_flight = n_threads * 4;
  guint next_submit = 0, next_commit = 0, batch = 0;
  gint64 held = 0; /* file bytes of the jobs in flight */
  DecodeBudget budget = {0};
  g_mutex_init(&budget.lock);
  g_cond_init(&budget.cond);
  gboolean ok = TRUE, cancelled = FALSE;
  g_autoptr(GTimer) timer = g_timer_new();

  for (;;) {
    if (!cancelled && g_cancellable_is_cancelled(cancellable)) cancelled = TRUE;
    while (ok && !cancelled && next_submit < total && next_submit - next_commit < max_in_flight) {
      Job *job = &jobs[next_submit];
      job->entry = entries->pdata[next_submit];
      job->held = CLAMP(job->entry->size, 0, SWELL_IMPORT_MAX_FILE_BYTES);
      if (next_submit > next_commit && held + job->held > HELD_FILE_BYTES) break;
      held += job->held;
      next_submit++;
      job->done_queue = queue;
      job->known_sha = known;
      job->budget = &budget;
      if (job->entry->error) g_async_queue_push(queue, job);
      else g_thread_pool_push(pool, job, NULL);
    }
    if (next_commit == next_submit) break;
    Job *finished = g_async_queue_pop(queue);
    finished->done = TRUE;
    while (next_commit < next_submit && jobs[next_commit].done) {
      Job *job = &jobs[next_commit];
      if (ok) {
        if (batch == 0) {
          ok = swell_project_begin(db, error);
          g_timer_start(timer);
        }
        if (ok) {
          ok = handle_job(&im, job, error);
          batch++;
          if (!ok) {
            swell_project_rollback(db);
            batch = 0;
          }
        }
        if (ok && (batch >= BATCH_IMAGES || g_timer_elapsed(timer, NULL) > BATCH_SECONDS)) {
          ok = swell_project_commit(db, error);
          batch = 0;
        }
      }
      held -= job->held;
      job_clear(job);
      next_commit++;
      if (ok && progress) progress(next_commit, total, job->entry->path, progress_data);
    }
  }
  g_thread_pool_free(pool, FALSE, TRUE);
  g_mutex_clear(&budget.lock);
  g_cond_clear(&budget.cond);
  if (ok && batch > 0) ok = swell_project_commit(db, error);
  if (ok && auto_ids->len > 0)
    ok = swell_project_assign_auto_split(db, (const gint64 *)auto_ids->data, auto_ids->len,
                                         opts->valid_fraction, error);
  if (!ok) return NULL;
  result->cancelled = cancelled;
  return g_steal_pointer(&result);
}

SwellImportResult *swell_import_paths(SwellProject *project, const char *const *paths,
                                      const SwellImportOptions *options,
                                      SwellImportProgressFunc progress, gpointer progress_data,
                                      GCancellable *cancellable, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(project), NULL);
  SwellImportResult *r = import_run(swell_project_get_path(project), paths, options, progress,
                                    progress_data, cancellable, error);
  swell_project_notify_changed(project, SWELL_PROJECT_CHANGE_IMAGES | SWELL_PROJECT_CHANGE_CATEGORIES);
  return r;
}

/* ------------------------------------------------------------------ async */

typedef struct {
  GMutex lock;
  guint done, total;
  char *current;
  gboolean scheduled;
  SwellImportProgressFunc func;
  gpointer data;
  GMainContext *context;
} AsyncProgress;

static void async_progress_clear(gpointer p) {
  AsyncProgress *ap = p;
  g_free(ap->current);
  g_main_context_unref(ap->context);
  g_mutex_clear(&ap->lock);
}

static gboolean async_progress_dispatch(gpointer p) {
  AsyncProgress *ap = p;
  g_mutex_lock(&ap->lock);
  guint done = ap->done, total = ap->total;
  char *current = g_steal_pointer(&ap->current);
  ap->scheduled = FALSE;
  g_mutex_unlock(&ap->lock);
  ap->func(done, total, current, ap->data);
  g_free(current);
  return G_SOURCE_REMOVE;
}

static void async_progress_report(guint done, guint total, const char *current, gpointer p) {
  AsyncProgress *ap = p;
  g_mutex_lock(&ap->lock);
  ap->done = done;
  ap->total = total;
  g_free(ap->current);
  ap->current = g_strdup(current);
  gboolean schedule = !ap->scheduled;
  ap->scheduled = TRUE;
  g_mutex_unlock(&ap->lock);
  if (schedule)
    g_main_context_invoke_full(ap->context, G_PRIORITY_DEFAULT, async_progress_dispatch,
                               g_atomic_rc_box_acquire(ap),
                               (GDestroyNotify)g_atomic_rc_box_release);
}

typedef struct {
  char *project_path;
  char **paths;
  SwellImportOptions options;
  AsyncProgress *progress; /* rc box or NULL */
} AsyncData;

static void async_data_free(AsyncData *d) {
  g_free(d->project_path);
  g_strfreev(d->paths);
  if (d->progress) g_atomic_rc_box_release_full(d->progress, async_progress_clear);
  g_free(d);
}

static void import_thread(GTask *task, gpointer source, gpointer task_data,
                          GCancellable *cancellable) {
  AsyncData *d = task_data;
  GError *error = NULL;
  SwellImportResult *r =
      import_run(d->project_path, (const char *const *)d->paths, &d->options,
                 d->progress ? async_progress_report : NULL, d->progress, cancellable, &error);
  if (r) g_task_return_pointer(task, r, (GDestroyNotify)swell_import_result_free);
  else g_task_return_error(task, error);
}

void swell_import_paths_async(SwellProject *project, const char *const *paths,
                              const SwellImportOptions *options, SwellImportProgressFunc progress,
                              gpointer progress_data, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SWELL_IS_PROJECT(project));
  AsyncData *d = g_new0(AsyncData, 1);
  d->project_path = g_strdup(swell_project_get_path(project));
  d->paths = g_strdupv((char **)paths);
  if (options) d->options = *options;
  else swell_import_options_init(&d->options);
  if (progress) {
    d->progress = g_atomic_rc_box_new0(AsyncProgress);
    g_mutex_init(&d->progress->lock);
    d->progress->func = progress;
    d->progress->data = progress_data;
    d->progress->context = g_main_context_ref_thread_default();
  }
  g_autoptr(GTask) task = g_task_new(project, cancellable, callback, user_data);
  g_task_set_source_tag(task, swell_import_paths_async);
  /* a cancelled import still returns what it did (result->cancelled) */
  g_task_set_check_cancellable(task, FALSE);
  g_task_set_task_data(task, d, (GDestroyNotify)async_data_free);
  g_task_run_in_thread(task, import_thread);
}

SwellImportResult *swell_import_paths_finish(SwellProject *project, GAsyncResult *result,
                                             GError **error) {
  g_return_val_if_fail(g_task_is_valid(result, project), NULL);
  swell_project_notify_changed(project, SWELL_PROJECT_CHANGE_IMAGES | SWELL_PROJECT_CHANGE_CATEGORIES);
  return g_task_propagate_pointer(G_TASK(result), error);
}
