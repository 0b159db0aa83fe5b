/* swell-export.c: a project's labeled images as a folder tree. See swell-export.h. */
#include "swell-config.h"

#include "swell-export.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(swell-export-error-quark, swell_export_error)

/* Longest extension kept when a name is shortened (".jpeg", ".webp", ...). */
#define MAX_EXTENSION 16

static gboolean fail(GError **error, SwellExportError code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **error, SwellExportError code, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error_literal(error, SWELL_EXPORT_ERROR, code, msg);
  return FALSE;
}

/* --------------------------------------------------------------- the target */

static gboolean is_split_folder(const char *name) {
  SwellSplit s;
  return swell_split_from_string(name, &s) && strcmp(name, swell_split_to_string(s)) == 0;
}

/* Checks that `path` (an existing folder) holds only what an export writes at
 * `depth` (0: split folders, 1: category folders, 2: regular files); *n counts
 * the entries seen. FALSE + NOT_EXPORT naming the first other entry. */
static gboolean check_export_tree(const char *path, int depth, guint *n, GError **error) {
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) d = g_dir_open(path, 0, &local);
  if (!d)
    return fail(error, SWELL_EXPORT_ERROR_NOT_EXPORT, _("%s: cannot read the folder (%s)"), path,
                local->message);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    struct stat st;
    gboolean fits = g_lstat(child, &st) == 0 &&
                    (depth == 2 ? S_ISREG(st.st_mode)
                                : S_ISDIR(st.st_mode) && (depth == 1 || is_split_folder(name)));
    if (!fits)
      return fail(error, SWELL_EXPORT_ERROR_NOT_EXPORT,
                  _("%s: the folder holds “%s”, which an export does not write; export into a "
                    "new or empty folder"),
                  path, child);
    (*n)++;
    if (depth < 2 && !check_export_tree(child, depth + 1, n, error)) return FALSE;
  }
  return TRUE;
}

/* What `dir` is now: *is_export FALSE for nothing or an empty folder, TRUE for
 * an earlier export; FALSE + an error for anything else. `shown` is the path
 * the user gave, for the messages. */
static gboolean inspect_target(const char *dir, const char *shown, gboolean *is_export,
                               GError **error) {
  *is_export = FALSE;
  struct stat st;
  if (g_lstat(dir, &st) != 0) {
    if (errno == ENOENT) return TRUE;
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot create the folder (%s)"), shown,
                g_strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return fail(error, SWELL_EXPORT_ERROR_NOT_EXPORT,
                _("%s: not a folder; export into a new or empty folder"), shown);
  guint n = 0;
  if (!check_export_tree(dir, 0, &n, error)) return FALSE;
  *is_export = n > 0;
  return TRUE;
}

/* Removes a tree that check_export_tree accepted or that this export wrote. */
static void remove_tree(const char *path) {
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    struct stat st;
    if (g_lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(child);
    else g_unlink(child);
  }
  g_rmdir(path);
}

/* ------------------------------------------------------------------- names */

/* `stem` shortened at a UTF-8 character boundary so that stem + tail fits in
 * SWELL_EXPORT_NAME_MAX bytes (tail: at most MAX_EXTENSION + a few bytes). */
static char *fit_name(const char *stem, const char *tail) {
  gsize room = SWELL_EXPORT_NAME_MAX - strlen(tail), n = strlen(stem);
  if (n > room) {
    n = room;
    while (n > 0 && ((guchar)stem[n] & 0xc0) == 0x80) n--;
  }
  return g_strdup_printf("%.*s%s", (int)n, stem, tail);
}

/* The image's file name in folder `rel`: see swell-export.h. `taken` holds
 * the relative paths given out so far. */
static char *file_name(GHashTable *taken, const char *rel, const char *name) {
  GString *safe = g_string_new(NULL);
  for (const char *p = name; *p; p++) g_string_append_c(safe, (*p == '/' || *p == '\\') ? '_' : *p);
  if (safe->len == 0 || safe->str[0] == '.') g_string_prepend_c(safe, '_');
  g_autofree char *s = g_string_free(safe, FALSE);
  const char *dot = strrchr(s, '.');
  if (dot && strlen(dot) > MAX_EXTENSION) dot = NULL;
  g_autofree char *stem = dot ? g_strndup(s, dot - s) : g_strdup(s);
  const char *ext = dot ? dot : "";
  for (int n = 1;; n++) {
    g_autofree char *tail = n == 1 ? g_strdup(ext) : g_strdup_printf("-%d%s", n, ext);
    char *file = fit_name(stem, tail);
    char *key = g_build_filename(rel, file, NULL);
    if (g_hash_table_add(taken, key)) return file;
    g_free(file);
  }
}

/* category id -> folder name (unique: an over-long legacy name is shortened
 * and ends in -<id>). */
static GHashTable *category_folders(GPtrArray *cats) {
  GHashTable *folders = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = cats->pdata[i];
    char *folder = swell_category_folder_name(c->name);
    if (strlen(folder) > SWELL_EXPORT_NAME_MAX) {
      g_autofree char *tail = g_strdup_printf("-%lld", (long long)c->id);
      g_autofree char *whole = folder;
      folder = fit_name(whole, tail);
    }
    g_hash_table_insert(folders, g_memdup2(&c->id, sizeof c->id), folder);
  }
  return folders;
}

/* ------------------------------------------------------------------ writing */

/* Writes a new file; 0 or an errno value. */
static int write_new_file(const char *path, const char *data, gsize len) {
  int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int err = 0;
  for (gsize done = 0; done < len && !err;) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno != EINTR) err = errno;
    else if (w > 0) done += (gsize)w;
  }
  if (close(fd) != 0 && !err) err = errno;
  if (err) g_unlink(path);
  return err;
}

typedef struct {
  SwellProject *project;
  const char *shown;     /* the folder the user gave, for messages */
  const char *tmp;       /* the folder being written */
  GHashTable *folders;   /* category id -> folder name */
  GHashTable *taken;     /* relative paths written */
} Writer;

static gboolean write_image(Writer *w, SwellProjectImage *img, GError **error) {
  const char *folder = g_hash_table_lookup(w->folders, &img->category_id);
  g_autofree char *rel = g_build_filename(swell_split_to_string(img->split), folder, NULL);
  g_autofree char *sub = g_build_filename(w->tmp, rel, NULL);
  if (g_mkdir_with_parents(sub, 0755) != 0) {
    g_autofree char *shown = g_build_filename(w->shown, rel, NULL);
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot create the folder (%s)"), shown,
                g_strerror(errno));
  }
  g_autoptr(GBytes) bytes = swell_project_get_image_bytes(w->project, img->id, error);
  if (!bytes) return FALSE;
  g_autofree char *file = file_name(w->taken, rel, img->name);
  g_autofree char *path = g_build_filename(sub, file, NULL);
  gsize len;
  const char *data = g_bytes_get_data(bytes, &len);
  int err = write_new_file(path, data, len);
  if (err) {
    g_autofree char *shown = g_build_filename(w->shown, rel, file, NULL);
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot write the image (%s)"), shown,
                g_strerror(err));
  }
  return TRUE;
}

static gboolean write_tree(SwellProject *project, const char *tmp, const char *shown, guint *n,
                           GError **error) {
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, error);
  if (!cats) return FALSE;
  SwellImageQuery q = {SWELL_CATEGORY_LABELED, -1, 0, 0};
  g_autoptr(GPtrArray) images = swell_project_list_images(project, &q, error);
  if (!images) return FALSE;
  g_autoptr(GHashTable) folders = category_folders(cats);
  g_autoptr(GHashTable) taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Writer w = {project, shown, tmp, folders, taken};
  for (guint i = 0; i < images->len; i++) {
    SwellProjectImage *img = images->pdata[i];
    if (!g_hash_table_contains(folders, &img->category_id)) continue;
    if (!write_image(&w, img, error)) return FALSE;
    (*n)++;
  }
  /* the files reach the disk before the rename makes them the export */
  int fd = g_open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0 || syncfs(fd) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot write the images (%s)"), shown,
                g_strerror(err));
  }
  close(fd);
  return TRUE;
}

/* ------------------------------------------------------------ into place */

/* Makes the finished `tmp` the folder `dir`. An earlier export there is swapped
 * out in one step (RENAME_EXCHANGE) where the file system can, else moved
 * aside first; either way DIR always holds one complete export. */
static gboolean move_into_place(const char *tmp, const char *dir, const char *shown,
                                gboolean is_export, GError **error) {
  if (!is_export) {
    if (g_rename(tmp, dir) == 0) return TRUE;
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot create the folder (%s)"), shown,
                g_strerror(errno));
  }
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
    remove_tree(tmp); /* now the earlier export */
    return TRUE;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot replace the folder (%s)"), shown,
                g_strerror(errno));
  g_autofree char *aside = g_strconcat(tmp, "-old", NULL);
  if (g_rename(dir, aside) != 0)
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot replace the folder (%s)"), shown,
                g_strerror(errno));
  if (g_rename(tmp, dir) != 0) {
    int err = errno;
    g_rename(aside, dir);
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot replace the folder (%s)"), shown,
                g_strerror(err));
  }
  remove_tree(aside);
  return TRUE;
}

/* Syncs the folder that holds `path`, so that the rename itself is durable. */
static void sync_parent(const char *path) {
  g_autofree char *parent = g_path_get_dirname(path);
  int fd = g_open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

gboolean swell_export_project(SwellProject *project, const char *dir, gboolean replace,
                              guint *n_exported, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(project) && dir, FALSE);
  *n_exported = 0;
  g_autofree char *target = g_canonicalize_filename(dir, NULL);
  g_autofree char *parent = g_path_get_dirname(target);
  g_autofree char *base = g_path_get_basename(target);
  if (g_mkdir_with_parents(parent, 0755) != 0)
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot create the folder (%s)"), dir,
                g_strerror(errno));
  gboolean is_export;
  if (!inspect_target(target, dir, &is_export, error)) return FALSE;
  if (is_export && !replace)
    return fail(error, SWELL_EXPORT_ERROR_EXISTS, _("%s: the folder holds an earlier export"), dir);

  g_autofree char *tmp_name = fit_name(base, ".tmp-XXXXXX");
  g_autofree char *tmp = g_build_filename(parent, tmp_name, NULL);
  if (!g_mkdtemp_full(tmp, 0755))
    return fail(error, SWELL_EXPORT_ERROR_FAILED, _("%s: cannot create the folder (%s)"), tmp,
                g_strerror(errno));
  guint n = 0;
  if (!write_tree(project, tmp, dir, &n, error) ||
      !move_into_place(tmp, target, dir, is_export, error)) {
    remove_tree(tmp);
    return FALSE;
  }
  sync_parent(target);
  *n_exported = n;
  return TRUE;
}
