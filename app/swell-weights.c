/* swell-weights.c: catalogue, cache, downloads (libsoup 3) and import of
 * pretrained weights. See swell-weights.h for the contract. */
#include "swell-config.h"

#include "swell-weights.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "model.h"
#include "swell-transforms.h"
#include "weights.h"

G_DEFINE_QUARK(swell-weights-error-quark, swell_weights_error)

/* ---------------------------------------------------------------------------
 * Catalogue
 *
 * torchvision 0.14, IMAGENET1K_V1 (what `pretrained=True` maps to in
 * torchvision.models.resnet / mobilenetv2 through handle_legacy_interface).
 * URLs and hash prefixes: torchvision/models/resnet.py and mobilenetv2.py.
 * Sizes in bytes as published (torchvision's own metadata lists them in MiB:
 * 44.661, 83.275, 97.781, 13.555). Preprocessing: ImageClassification(crop_size=224)
 * with ImageNet mean/std.
 * ------------------------------------------------------------------------- */

#define IMAGENET_MEAN SWELL_IMAGENET_MEAN_INIT
#define IMAGENET_STD SWELL_IMAGENET_STD_INIT

static const SwellWeightsEntry builtin_catalogue[] = {
  {"resnet18", "resnet18-f37072fd.pth", SWELL_WEIGHTS_DEFAULT_URL_BASE "/resnet18-f37072fd.pth",
   46830571, "f37072fd", 224, IMAGENET_MEAN, IMAGENET_STD},
  {"resnet34", "resnet34-b627a593.pth", SWELL_WEIGHTS_DEFAULT_URL_BASE "/resnet34-b627a593.pth",
   87319819, "b627a593", 224, IMAGENET_MEAN, IMAGENET_STD},
  {"resnet50", "resnet50-0676ba61.pth", SWELL_WEIGHTS_DEFAULT_URL_BASE "/resnet50-0676ba61.pth",
   102530333, "0676ba61", 224, IMAGENET_MEAN, IMAGENET_STD},
  {"mobilenet_v2", "mobilenet_v2-b0353104.pth",
   SWELL_WEIGHTS_DEFAULT_URL_BASE "/mobilenet_v2-b0353104.pth", 14212972, "b0353104", 224,
   IMAGENET_MEAN, IMAGENET_STD},
};

/* Architectures the engine can build (engine/model.h). */
static const char *const known_archs[] = {"resnet18", "resnet34", "resnet50", "mobilenet_v2"};

static gboolean is_known_arch(const char *arch) {
  for (gsize i = 0; i < G_N_ELEMENTS(known_archs); i++)
    if (g_strcmp0(arch, known_archs[i]) == 0) return TRUE;
  return FALSE;
}

static gboolean is_hex_lower(const char *s) {
  if (!s || !*s) return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit(*s) && !(*s >= 'a' && *s <= 'f')) return FALSE;
  return TRUE;
}

static gboolean is_plain_file_name(const char *s) {
  return s && *s && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\') &&
         !g_str_has_suffix(s, ".part") && strlen(s) < 200;
}

static gboolean read_float3(JsonObject *o, const char *member, float out[3], const char *path,
                            int index, GError **error) {
  if (!json_object_has_member(o, member)) return TRUE; /* keep the default */
  JsonNode *n = json_object_get_member(o, member);
  JsonArray *a = JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
  if (!a || json_array_get_length(a) != 3) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE,
                _("%s: entry %d: “%s” must be a list of 3 numbers"), path, index, member);
    return FALSE;
  }
  for (guint i = 0; i < 3; i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) ||
        (json_node_get_value_type(e) != G_TYPE_DOUBLE && json_node_get_value_type(e) != G_TYPE_INT64)) {
      g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE,
                  _("%s: entry %d: “%s” must be a list of 3 numbers"), path, index, member);
      return FALSE;
    }
    out[i] = (float)json_node_get_double(e);
  }
  return TRUE;
}

static const char *get_string_member(JsonObject *o, const char *member) {
  if (!json_object_has_member(o, member)) return NULL;
  JsonNode *n = json_object_get_member(o, member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return NULL;
  return json_node_get_string(n);
}

/* Loads SWELL_WEIGHTS_CATALOGUE. Strings are interned: entries live for the process. */
static SwellWeightsEntry *load_catalogue_file(const char *path, gsize *n_out, GError **error) {
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_file(parser, path, &local)) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE,
                _("cannot read the weights catalogue %s: %s"), path, local->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  JsonObject *ro = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  JsonNode *en = ro && json_object_has_member(ro, "entries") ? json_object_get_member(ro, "entries") : NULL;
  JsonArray *arr = en && JSON_NODE_HOLDS_ARRAY(en) ? json_node_get_array(en) : NULL;
  if (!arr || json_array_get_length(arr) == 0) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE,
                _("%s: expected an object with a non-empty “entries” list"), path);
    return NULL;
  }
  guint n = json_array_get_length(arr);
  SwellWeightsEntry *entries = g_new0(SwellWeightsEntry, n);
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(arr, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    SwellWeightsEntry *e = &entries[i];
    const char *arch = o ? get_string_member(o, "arch") : NULL;
    const char *file = o ? get_string_member(o, "file_name") : NULL;
    const char *prefix = o ? get_string_member(o, "sha256_prefix") : NULL;
    const char *url = o ? get_string_member(o, "url") : NULL;
    const char *why = NULL;
    if (!o) why = _("not an object");
    else if (!is_known_arch(arch)) why = _("“arch” must be one of resnet18, resnet34, resnet50, mobilenet_v2");
    else if (!is_plain_file_name(file)) why = _("“file_name” must be a plain file name");
    else if (!is_hex_lower(prefix) || strlen(prefix) > 64) why = _("“sha256_prefix” must be lowercase hexadecimal");
    if (why) {
      g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE, "%s: entry %u: %s", path, i, why);
      g_free(entries);
      return NULL;
    }
    e->arch = g_intern_string(arch);
    e->file_name = g_intern_string(file);
    e->sha256_prefix = g_intern_string(prefix);
    if (url) {
      e->url = g_intern_string(url);
    } else {
      g_autofree char *u = g_strconcat(SWELL_WEIGHTS_DEFAULT_URL_BASE "/", file, NULL);
      e->url = g_intern_string(u);
    }
    e->size = json_object_has_member(o, "size") ? (guint64)json_object_get_int_member(o, "size") : 0;
    e->input_size = json_object_has_member(o, "input_size") ? (int)json_object_get_int_member(o, "input_size") : 224;
    memcpy(e->mean, SWELL_IMAGENET_MEAN, sizeof e->mean);
    memcpy(e->std, SWELL_IMAGENET_STD, sizeof e->std);
    if (!read_float3(o, "mean", e->mean, path, (int)i, error) ||
        !read_float3(o, "std", e->std, path, (int)i, error)) {
      g_free(entries);
      return NULL;
    }
    if (e->input_size < 32 || e->input_size > 4096) {
      g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CATALOGUE,
                  _("%s: entry %u: “input_size” must be between 32 and 4096"), path, i);
      g_free(entries);
      return NULL;
    }
  }
  *n_out = n;
  return entries;
}

static const SwellWeightsEntry *catalogue_entries;
static gsize catalogue_n;
static GError *catalogue_error;

const SwellWeightsEntry *swell_weights_catalogue(gsize *n_entries, GError **error) {
  static gsize loaded = 0;
  if (g_once_init_enter(&loaded)) {
    const char *override = g_getenv("SWELL_WEIGHTS_CATALOGUE");
    if (override && *override) {
      gsize n = 0;
      SwellWeightsEntry *e = load_catalogue_file(override, &n, &catalogue_error);
      catalogue_entries = e;
      catalogue_n = e ? n : 0;
    } else {
      catalogue_entries = builtin_catalogue;
      catalogue_n = G_N_ELEMENTS(builtin_catalogue);
    }
    g_once_init_leave(&loaded, 1);
  }
  if (n_entries) *n_entries = catalogue_n;
  if (!catalogue_entries && error) *error = g_error_copy(catalogue_error);
  return catalogue_entries;
}

const SwellWeightsEntry *swell_weights_lookup(const char *arch, GError **error) {
  gsize n = 0;
  const SwellWeightsEntry *entries = swell_weights_catalogue(&n, error);
  if (!entries) return NULL;
  for (gsize i = 0; i < n; i++)
    if (g_strcmp0(entries[i].arch, arch) == 0) return &entries[i];
  g_autoptr(GString) names = g_string_new(NULL);
  for (gsize i = 0; i < n; i++) g_string_append_printf(names, "%s%s", i ? ", " : "", entries[i].arch);
  g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH,
              _("no pretrained weights are known for “%s”; available: %s"), arch ? arch : "",
              names->str);
  return NULL;
}

char *swell_weights_entry_url(const SwellWeightsEntry *entry) {
  const char *base = g_getenv("SWELL_WEIGHTS_URL_BASE");
  if (base && *base) {
    gsize len = strlen(base);
    while (len > 0 && base[len - 1] == '/') len--;
    return g_strdup_printf("%.*s/%s", (int)len, base, entry->file_name);
  }
  return g_strdup(entry->url);
}

char *swell_weights_cache_dir(void) {
  const char *xdg = g_getenv("XDG_CACHE_HOME");
  if (xdg && g_path_is_absolute(xdg)) return g_build_filename(xdg, "swell", "weights", NULL);
  return g_build_filename(g_get_user_cache_dir(), "swell", "weights", NULL);
}

static char *imported_name(const char *arch, const char *ext) {
  return g_strdup_printf("%s-imported.%s", arch, ext);
}

char *swell_weights_find_cached(const char *arch, GError **error) {
  const SwellWeightsEntry *e = swell_weights_lookup(arch, error);
  if (!e) return NULL;
  g_autofree char *dir = swell_weights_cache_dir();
  g_autofree char *st = imported_name(arch, "safetensors");
  g_autofree char *pth = imported_name(arch, "pth");
  const char *candidates[] = {e->file_name, st, pth};
  for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
    g_autofree char *path = g_build_filename(dir, candidates[i], NULL);
    GStatBuf sb;
    if (g_stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) return g_steal_pointer(&path);
  }
  g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NOT_CACHED,
              _("no pretrained weights for %s yet: run 'swell-cli weights fetch %s' or "
                "'swell-cli weights import %s FILE'"),
              arch, arch, arch);
  return NULL;
}

char *swell_weights_format_size(guint64 bytes) { return g_format_size(bytes); }

/* ---------------------------------------------------------------------------
 * Small file helpers
 * ------------------------------------------------------------------------- */

static gboolean fsync_path(const char *path, gboolean directory, GError **error) {
  int fd = g_open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0 || fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot write %s to disk: %s"),
                path, g_strerror(err));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

static gboolean ensure_cache_dir(char **dir_out, GError **error) {
  g_autofree char *dir = swell_weights_cache_dir();
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    int err = errno;
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO,
                _("cannot create the weights cache folder %s: %s"), dir, g_strerror(err));
    return FALSE;
  }
  *dir_out = g_steal_pointer(&dir);
  return TRUE;
}

/* Ends a failed I/O step, taking *local: a cancellation goes to error as it
 * is, anything else as SWELL_WEIGHTS_ERROR_IO with the message `format`
 * (whose arguments may use (*local)->message). Returns FALSE. */
G_GNUC_PRINTF(3, 4)
static gboolean io_failed(GError **error, GError **local, const char *format, ...) {
  if (g_error_matches(*local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error(error, g_steal_pointer(local));
    return FALSE;
  }
  va_list args;
  va_start(args, format);
  g_propagate_error(error, g_error_new_valist(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, format, args));
  va_end(args);
  g_clear_error(local);
  return FALSE;
}

/* Hashes a whole file into checksum (which the caller created). */
static gboolean hash_file_into(const char *path, GChecksum *checksum, guint64 *size_out,
                               GCancellable *cancellable, GError **error) {
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read(file, cancellable, &local);
  if (!in) return io_failed(error, &local, _("cannot read %s: %s"), path, local->message);
  guchar *buf = g_malloc(1 << 20);
  guint64 total = 0;
  for (;;) {
    gssize n = g_input_stream_read(G_INPUT_STREAM(in), buf, 1 << 20, cancellable, &local);
    if (n < 0) {
      g_free(buf);
      return io_failed(error, &local, _("cannot read %s: %s"), path, local->message);
    }
    if (n == 0) break;
    g_checksum_update(checksum, buf, (gssize)n);
    total += (guint64)n;
  }
  g_free(buf);
  if (size_out) *size_out = total;
  return TRUE;
}

char *swell_weights_file_sha256(const char *path, GCancellable *cancellable, GError **error) {
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  if (!hash_file_into(path, sum, NULL, cancellable, error)) return NULL;
  return g_strdup(g_checksum_get_string(sum));
}

static void remove_quietly(const char *path) {
  if (g_unlink(path) != 0 && errno != ENOENT) g_warning("cannot remove %s: %s", path, g_strerror(errno));
}

/* ---------------------------------------------------------------------------
 * Download
 *
 * State machine, all on the caller's main context:
 *   prepare (worker thread: validate and hash an existing .part)
 *   -> send (soup_session_send_async, Range if resuming)
 *   -> read/write loop (g_input_stream_read_bytes_async, g_output_stream_write_all_async)
 *   -> finalize (worker thread: fsync, verify the SHA-256 prefix, rename)
 * A resumed transfer whose result fails the checksum is retried once from zero.
 * ------------------------------------------------------------------------- */

#define CHUNK_SIZE (64 * 1024)
#define RATE_WINDOW_US (3 * G_USEC_PER_SEC)
#define N_SAMPLES 64

typedef struct {
  const SwellWeightsEntry *entry;
  char *url;
  char *dir;
  char *final_path;
  char *part_path;
  char *info_path;
  int lock_fd; /* flock()ed "<file>.part.lock", or -1 */

  SoupSession *session;
  SoupMessage *msg;
  GInputStream *in;
  GOutputStream *out;
  GChecksum *sha;
  GBytes *chunk; /* being written */

  guint64 offset;   /* bytes already in .part when the current request was sent */
  guint64 received; /* bytes in .part now */
  guint64 total;    /* expected full size, 0 if unknown */
  gboolean resuming;
  gboolean restarted; /* already started again from zero once */
  char *validator;    /* ETag or Last-Modified recorded for the .part */

  SwellWeightsProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_notify;
  gint64 last_report_us;
  gint64 sample_t[N_SAMPLES];
  guint64 sample_b[N_SAMPLES];
  int sample_head, sample_count;
} FetchData;

static void fetch_data_free(FetchData *d) {
  if (d->lock_fd >= 0) close(d->lock_fd); /* releases the flock */
  if (d->out) g_output_stream_close(d->out, NULL, NULL);
  g_clear_object(&d->out);
  g_clear_object(&d->in);
  g_clear_object(&d->msg);
  g_clear_object(&d->session);
  g_clear_pointer(&d->sha, g_checksum_free);
  g_clear_pointer(&d->chunk, g_bytes_unref);
  if (d->progress_notify) d->progress_notify(d->progress_data);
  g_free(d->url);
  g_free(d->dir);
  g_free(d->final_path);
  g_free(d->part_path);
  g_free(d->info_path);
  g_free(d->validator);
  g_free(d);
}

static void fetch_start_request(GTask *task);
static void fetch_start_prepare(GTask *task);

static void report_progress(FetchData *d, gboolean force) {
  gint64 now = g_get_monotonic_time();
  if (!force && now - d->last_report_us < G_USEC_PER_SEC / 10) return;
  d->last_report_us = now;
  /* Rate over a sliding window of samples. */
  int idx = (d->sample_head + d->sample_count) % N_SAMPLES;
  if (d->sample_count == N_SAMPLES) d->sample_head = (d->sample_head + 1) % N_SAMPLES;
  else d->sample_count++;
  d->sample_t[idx] = now;
  d->sample_b[idx] = d->received;
  while (d->sample_count > 2 && now - d->sample_t[d->sample_head] > RATE_WINDOW_US) {
    d->sample_head = (d->sample_head + 1) % N_SAMPLES;
    d->sample_count--;
  }
  if (!d->progress) return;
  SwellWeightsProgress p = {.received = d->received, .total = d->total, .resumed_from = d->offset,
                            .rate = 0, .eta_seconds = -1};
  gint64 dt = now - d->sample_t[d->sample_head];
  if (d->sample_count >= 2 && dt > 0) {
    p.rate = (double)(d->received - d->sample_b[d->sample_head]) / ((double)dt / G_USEC_PER_SEC);
    if (p.rate > 0 && d->total >= d->received) p.eta_seconds = (double)(d->total - d->received) / p.rate;
  }
  d->progress(&p, d->progress_data);
}

static void return_fetch_error(GTask *task, GError *error) {
  FetchData *d = g_task_get_task_data(task);
  if (d->out) {
    g_output_stream_close(d->out, NULL, NULL);
    g_clear_object(&d->out);
  }
  g_task_return_error(task, error);
  g_object_unref(task);
}

static GError *cancelled_error(FetchData *d) {
  g_autofree char *got = g_format_size(d->received);
  return g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                     _("download of the %s weights cancelled after %s; run the same command again "
                       "to resume"),
                     d->entry->arch, got);
}

/* Ends the fetch after a failed step, taking `error`: a cancellation as
 * cancelled_error(), anything else as SWELL_WEIGHTS_ERROR `code` with the
 * message `format` (whose arguments may use error->message). */
G_GNUC_PRINTF(4, 5)
static void fail_fetch(GTask *task, GError *error, SwellWeightsError code, const char *format, ...) {
  FetchData *d = g_task_get_task_data(task);
  GError *e;
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    e = cancelled_error(d);
  } else {
    va_list args;
    va_start(args, format);
    e = g_error_new_valist(SWELL_WEIGHTS_ERROR, code, format, args);
    va_end(args);
  }
  g_error_free(error);
  return_fetch_error(task, e);
}

/* Writes "<file>.part.info": URL and validator of the transfer. */
static gboolean write_info(FetchData *d, GError **error) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_key_file_set_string(kf, "part", "url", d->url);
  if (d->validator) g_key_file_set_string(kf, "part", "validator", d->validator);
  if (d->total) g_key_file_set_uint64(kf, "part", "total", d->total);
  g_autoptr(GError) local = NULL;
  if (!g_key_file_save_to_file(kf, d->info_path, &local)) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot write %s: %s"),
                d->info_path, local->message);
    return FALSE;
  }
  return TRUE;
}

/* -- finalize (worker thread) -- */

static void finalize_thread(GTask *sub, gpointer source, gpointer task_data, GCancellable *c) {
  FetchData *d = task_data;
  GError *error = NULL;
  if (!fsync_path(d->part_path, FALSE, &error)) {
    g_task_return_error(sub, error);
    return;
  }
  const char *got = g_checksum_get_string(d->sha);
  if (!g_str_has_prefix(got, d->entry->sha256_prefix)) {
    remove_quietly(d->part_path);
    remove_quietly(d->info_path);
    g_task_return_new_error(sub, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CHECKSUM,
                            _("the file downloaded for %s from %s is corrupt: its SHA-256 starts with "
                              "%.*s, expected %s; it was deleted"),
                            d->entry->arch, d->url, (int)strlen(d->entry->sha256_prefix), got,
                            d->entry->sha256_prefix);
    return;
  }
  if (g_rename(d->part_path, d->final_path) != 0) {
    int err = errno;
    g_task_return_new_error(sub, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO,
                            _("cannot move %s to %s: %s"), d->part_path, d->final_path, g_strerror(err));
    return;
  }
  remove_quietly(d->info_path);
  if (!fsync_path(d->dir, TRUE, &error)) {
    g_task_return_error(sub, error);
    return;
  }
  g_task_return_boolean(sub, TRUE);
}

static void finalize_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  GTask *task = user_data;
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  if (!g_task_propagate_boolean(G_TASK(res), &error)) {
    if (g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CHECKSUM) && d->resuming &&
        !d->restarted) {
      /* The resumed part may have come from another version of the file: start over once. */
      g_clear_error(&error);
      d->restarted = TRUE;
      fetch_start_prepare(task);
      return;
    }
    return_fetch_error(task, error);
    return;
  }
  g_task_return_pointer(task, g_strdup(d->final_path), g_free);
  g_object_unref(task);
}

static void fetch_finalize(GTask *task) {
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  if (!g_output_stream_close(d->out, NULL, &error)) {
    GError *e = g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot write %s: %s"),
                            d->part_path, error->message);
    g_error_free(error);
    return_fetch_error(task, e);
    return;
  }
  g_clear_object(&d->out);
  g_clear_object(&d->in);
  report_progress(d, TRUE);
  /* The worker thread reads d->sha and paths only; the main context waits for it. */
  GTask *sub = g_task_new(NULL, NULL, finalize_done, task);
  g_task_set_task_data(sub, d, NULL);
  g_task_run_in_thread(sub, finalize_thread);
  g_object_unref(sub);
}

/* -- read/write loop -- */

static void read_next(GTask *task);

static void write_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  GTask *task = user_data;
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  gsize written = 0;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, &written, &error)) {
    fail_fetch(task, error, SWELL_WEIGHTS_ERROR_IO, _("cannot write %s: %s"), d->part_path, error->message);
    return;
  }
  d->received += written;
  g_clear_pointer(&d->chunk, g_bytes_unref);
  report_progress(d, FALSE);
  read_next(task);
}

static void read_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  GTask *task = user_data;
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  GBytes *bytes = g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), res, &error);
  if (!bytes) {
    g_autofree char *got = g_format_size(d->received);
    g_autofree char *want = d->total ? g_format_size(d->total) : g_strdup(_("an unknown size"));
    fail_fetch(task, error, SWELL_WEIGHTS_ERROR_NETWORK,
               _("the download of the %s weights from %s was interrupted after %s of %s (%s); "
                 "run the same command again to resume"),
               d->entry->arch, d->url, got, want, error->message);
    return;
  }
  gsize n = g_bytes_get_size(bytes);
  if (n == 0) {
    g_bytes_unref(bytes);
    if (d->total && d->received != d->total) {
      g_autofree char *got = g_format_size(d->received);
      g_autofree char *want = g_format_size(d->total);
      return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NETWORK,
                                           _("the download of the %s weights from %s was interrupted "
                                             "after %s of %s; run the same command again to resume"),
                                           d->entry->arch, d->url, got, want));
      return;
    }
    fetch_finalize(task);
    return;
  }
  if (d->total && d->received + n > d->total) {
    g_bytes_unref(bytes);
    return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NETWORK,
                                         _("the server at %s sent more data than announced for the %s "
                                           "weights"),
                                         d->url, d->entry->arch));
    return;
  }
  g_checksum_update(d->sha, g_bytes_get_data(bytes, NULL), (gssize)n);
  d->chunk = bytes;
  g_output_stream_write_all_async(d->out, g_bytes_get_data(bytes, NULL), n, G_PRIORITY_DEFAULT,
                                  g_task_get_cancellable(task), write_done, task);
}

static void read_next(GTask *task) {
  FetchData *d = g_task_get_task_data(task);
  if (g_cancellable_is_cancelled(g_task_get_cancellable(task))) {
    return_fetch_error(task, cancelled_error(d));
    return;
  }
  g_input_stream_read_bytes_async(d->in, CHUNK_SIZE, G_PRIORITY_DEFAULT, g_task_get_cancellable(task),
                                  read_done, task);
}

/* -- response -- */

static char *status_text(SoupMessage *msg) {
  guint status = soup_message_get_status(msg);
  const char *reason = soup_message_get_reason_phrase(msg);
  if (!reason || !*reason) reason = soup_status_get_phrase(status);
  return g_strdup_printf("%u %s", status, reason ? reason : "");
}

static void send_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  GTask *task = user_data;
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  GInputStream *in = soup_session_send_finish(SOUP_SESSION(source), res, &error);
  if (!in) {
    fail_fetch(task, error, SWELL_WEIGHTS_ERROR_NETWORK,
               _("cannot download the %s weights from %s: %s. Check the network "
                 "connection, or import a file you already have with 'swell-cli weights "
                 "import %s FILE'"),
               d->entry->arch, d->url, error->message, d->entry->arch);
    return;
  }
  d->in = in;
  guint status = soup_message_get_status(d->msg);
  SoupMessageHeaders *h = soup_message_get_response_headers(d->msg);
  GError *io = NULL;
  g_autoptr(GFile) part = g_file_new_for_path(d->part_path);

  if (status == SOUP_STATUS_PARTIAL_CONTENT && d->offset > 0) {
    goffset start = -1, end = -1, total = -1;
    if (!soup_message_headers_get_content_range(h, &start, &end, &total) || start != (goffset)d->offset) {
      /* Not the range we asked for: start over (once). */
      g_clear_object(&d->in);
      if (d->restarted) {
        return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_HTTP,
                                             _("the server at %s answered a resume request with "
                                               "an unexpected range"),
                                             d->url));
        return;
      }
      d->restarted = TRUE;
      remove_quietly(d->part_path);
      remove_quietly(d->info_path);
      fetch_start_prepare(task);
      return;
    }
    d->total = total > 0 ? (guint64)total : (d->entry->size ? d->entry->size : 0);
    GFileOutputStream *out = g_file_append_to(part, G_FILE_CREATE_PRIVATE, NULL, &io);
    if (!out) goto io_failed;
    d->out = G_OUTPUT_STREAM(out);
    d->received = d->offset;
  } else if (status == SOUP_STATUS_OK) {
    /* Full body: (re)start the part from zero. */
    d->offset = 0;
    d->received = 0;
    d->resuming = FALSE;
    g_checksum_reset(d->sha);
    goffset len = soup_message_headers_get_content_length(h);
    d->total = len > 0 ? (guint64)len : d->entry->size;
    g_free(d->validator);
    const char *etag = soup_message_headers_get_one(h, "ETag");
    const char *lm = soup_message_headers_get_one(h, "Last-Modified");
    /* Weak ETags cannot validate a byte range (RFC 9110 13.1.5). */
    d->validator = g_strdup(etag && !g_str_has_prefix(etag, "W/") ? etag : lm);
    if (!write_info(d, &io)) goto io_failed;
    GFileOutputStream *out =
        g_file_replace(part, NULL, FALSE, G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, NULL, &io);
    if (!out) goto io_failed;
    d->out = G_OUTPUT_STREAM(out);
  } else if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && d->offset > 0 && !d->restarted) {
    g_clear_object(&d->in);
    d->restarted = TRUE;
    remove_quietly(d->part_path);
    remove_quietly(d->info_path);
    fetch_start_prepare(task);
    return;
  } else {
    g_autofree char *st = status_text(d->msg);
    g_clear_object(&d->in);
    /* A missing or refused resource (4xx) makes a partial file useless; after a
     * server error (5xx) it is kept for a later resume. */
    if (status >= 400 && status < 500) {
      remove_quietly(d->part_path);
      remove_quietly(d->info_path);
    }
    return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_HTTP,
                                         _("cannot download the %s weights: the server answered “%s” "
                                           "for %s"),
                                         d->entry->arch, st, d->url));
    return;
  }
  report_progress(d, TRUE);
  read_next(task);
  return;

io_failed: {
  GError *e = g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot write %s: %s"),
                          d->part_path, io->message);
  g_error_free(io);
  return_fetch_error(task, e);
}
}

static void fetch_start_request(GTask *task) {
  FetchData *d = g_task_get_task_data(task);
  g_clear_object(&d->msg);
  d->msg = soup_message_new(SOUP_METHOD_GET, d->url);
  if (!d->msg) {
    return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NETWORK,
                                         _("cannot download the %s weights: “%s” is not a valid "
                                           "address"),
                                         d->entry->arch, d->url));
    return;
  }
  if (d->offset > 0) {
    SoupMessageHeaders *rh = soup_message_get_request_headers(d->msg);
    soup_message_headers_set_range(rh, (goffset)d->offset, -1);
    if (d->validator) soup_message_headers_replace(rh, "If-Range", d->validator);
  }
  soup_session_send_async(d->session, d->msg, G_PRIORITY_DEFAULT, g_task_get_cancellable(task),
                          send_done, task);
}

/* -- prepare (worker thread): decide whether an existing .part can be resumed -- */

typedef struct {
  guint64 offset;
  GChecksum *sha;
  char *validator;
} PrepareResult;

static void prepare_result_free(PrepareResult *r) {
  if (r->sha) g_checksum_free(r->sha);
  g_free(r->validator);
  g_free(r);
}

static void prepare_thread(GTask *sub, gpointer source, gpointer task_data, GCancellable *c) {
  FetchData *d = task_data;
  PrepareResult *r = g_new0(PrepareResult, 1);
  r->sha = g_checksum_new(G_CHECKSUM_SHA256);
  GStatBuf sb;
  gboolean usable = FALSE;
  if (!d->restarted && g_stat(d->part_path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (g_key_file_load_from_file(kf, d->info_path, G_KEY_FILE_NONE, NULL)) {
      g_autofree char *url = g_key_file_get_string(kf, "part", "url", NULL);
      guint64 total = g_key_file_get_uint64(kf, "part", "total", NULL);
      /* Resume only a part of the same URL that is shorter than the whole file. */
      if (g_strcmp0(url, d->url) == 0 && (total == 0 || (guint64)sb.st_size < total) &&
          (d->entry->size == 0 || (guint64)sb.st_size < d->entry->size)) {
        guint64 hashed = 0;
        GError *error = NULL;
        if (hash_file_into(d->part_path, r->sha, &hashed, c, &error)) {
          usable = TRUE;
          r->offset = hashed;
          r->validator = g_key_file_get_string(kf, "part", "validator", NULL);
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
          prepare_result_free(r);
          g_task_return_error(sub, error);
          return;
        } else {
          g_error_free(error);
        }
      }
    }
  }
  if (!usable) {
    remove_quietly(d->part_path);
    remove_quietly(d->info_path);
    g_checksum_reset(r->sha);
    r->offset = 0;
  }
  g_task_return_pointer(sub, r, (GDestroyNotify)prepare_result_free);
}

static void prepare_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  GTask *task = user_data;
  FetchData *d = g_task_get_task_data(task);
  GError *error = NULL;
  PrepareResult *r = g_task_propagate_pointer(G_TASK(res), &error);
  if (!r) {
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_error_free(error);
      error = cancelled_error(d);
    }
    return_fetch_error(task, error);
    return;
  }
  g_clear_pointer(&d->sha, g_checksum_free);
  d->sha = g_steal_pointer(&r->sha);
  d->offset = r->offset;
  d->received = r->offset;
  d->resuming = r->offset > 0;
  g_free(d->validator);
  d->validator = g_steal_pointer(&r->validator);
  prepare_result_free(r);
  fetch_start_request(task);
}

static void fetch_start_prepare(GTask *task) {
  FetchData *d = g_task_get_task_data(task);
  GTask *sub = g_task_new(NULL, g_task_get_cancellable(task), prepare_done, task);
  g_task_set_task_data(sub, d, NULL);
  g_task_run_in_thread(sub, prepare_thread);
  g_object_unref(sub);
}

void swell_weights_fetch_async(const char *arch, GCancellable *cancellable,
                               SwellWeightsProgressFunc progress, gpointer progress_data,
                               GDestroyNotify progress_notify, GAsyncReadyCallback callback,
                               gpointer user_data) {
  GTask *task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, swell_weights_fetch_async);
  /* Report cancellation with our own message (which says how much was kept). */
  g_task_set_check_cancellable(task, FALSE);
  FetchData *d = g_new0(FetchData, 1);
  d->lock_fd = -1;
  d->progress = progress;
  d->progress_data = progress_data;
  d->progress_notify = progress_notify;
  g_task_set_task_data(task, d, (GDestroyNotify)fetch_data_free);

  GError *error = NULL;
  d->entry = swell_weights_lookup(arch, &error);
  if (!d->entry || !ensure_cache_dir(&d->dir, &error)) {
    return_fetch_error(task, error);
    return;
  }
  d->url = swell_weights_entry_url(d->entry);
  d->final_path = g_build_filename(d->dir, d->entry->file_name, NULL);
  d->part_path = g_strconcat(d->final_path, ".part", NULL);
  d->info_path = g_strconcat(d->final_path, ".part.info", NULL);
  if (g_file_test(d->final_path, G_FILE_TEST_IS_REGULAR)) {
    g_task_return_pointer(task, g_strdup(d->final_path), g_free);
    g_object_unref(task);
    return;
  }
  /* One download of a file at a time, across processes (the window and swell-cli). */
  g_autofree char *lock_path = g_strconcat(d->final_path, ".part.lock", NULL);
  d->lock_fd = g_open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (d->lock_fd < 0) {
    int err = errno;
    return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO,
                                         _("cannot write %s: %s"), lock_path, g_strerror(err)));
    return;
  }
  if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return_fetch_error(task, g_error_new(SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_BUSY,
                                         _("the %s weights are already being downloaded (by this "
                                           "or another program); wait for that download to finish"),
                                         d->entry->arch));
    return;
  }
  /* Another process may have finished it while we waited for nothing. */
  if (g_file_test(d->final_path, G_FILE_TEST_IS_REGULAR)) {
    g_task_return_pointer(task, g_strdup(d->final_path), g_free);
    g_object_unref(task);
    return;
  }
  d->session = soup_session_new();
  g_autofree char *ua = g_strdup_printf("Swell/%s ", PACKAGE_VERSION); /* trailing space: + libsoup's */
  soup_session_set_user_agent(d->session, ua);
  soup_session_set_timeout(d->session, 60);
  soup_session_set_idle_timeout(d->session, 60);
  /* Weight files are served as they are; a content decoder would break byte ranges. */
  soup_session_remove_feature_by_type(d->session, SOUP_TYPE_CONTENT_DECODER);
  d->sha = g_checksum_new(G_CHECKSUM_SHA256);
  fetch_start_prepare(task);
}

char *swell_weights_fetch_finish(GAsyncResult *result, GError **error) {
  return g_task_propagate_pointer(G_TASK(result), error);
}

typedef struct {
  GAsyncResult *result;
} SyncData;

static void sync_done(GObject *source, GAsyncResult *res, gpointer user_data) {
  SyncData *s = user_data;
  s->result = g_object_ref(res);
}

char *swell_weights_fetch_sync(const char *arch, GCancellable *cancellable,
                               SwellWeightsProgressFunc progress, gpointer progress_data,
                               GError **error) {
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  SyncData s = {NULL};
  swell_weights_fetch_async(arch, cancellable, progress, progress_data, NULL, sync_done, &s);
  while (!s.result) g_main_context_iteration(ctx, TRUE);
  char *path = swell_weights_fetch_finish(s.result, error);
  g_object_unref(s.result);
  /* Let the session finish closing its connections. */
  while (g_main_context_iteration(ctx, FALSE)) {
  }
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return path;
}

/* ---------------------------------------------------------------------------
 * Import
 * ------------------------------------------------------------------------- */

/* Copies src into a temporary file in dir, hashing it, then fsyncs and renames it
 * to dest_name. */
static gboolean copy_into_cache(const char *src, const char *dir, const char *dest_name,
                                GChecksum *sha, GCancellable *cancellable, GError **error) {
  g_autofree char *dest = g_build_filename(dir, dest_name, NULL);
  g_autofree char *tmpl = g_strconcat(dest, ".XXXXXX.part", NULL);
  int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot create a file in %s: %s"),
                dir, g_strerror(err));
    return FALSE;
  }
  g_autoptr(GFile) in_file = g_file_new_for_path(src);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) in = g_file_read(in_file, cancellable, &local);
  gboolean ok = in != NULL;
  if (ok) {
    guchar *buf = g_malloc(1 << 20);
    for (;;) {
      gssize n = g_input_stream_read(G_INPUT_STREAM(in), buf, 1 << 20, cancellable, &local);
      if (n < 0) {
        ok = FALSE;
        break;
      }
      if (n == 0) break;
      g_checksum_update(sha, buf, n);
      gssize off = 0;
      while (off < n) {
        ssize_t w = write(fd, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          int err = errno;
          g_set_error(&local, G_IO_ERROR, g_io_error_from_errno(err), "%s", g_strerror(err));
          ok = FALSE;
          break;
        }
        off += w;
      }
      if (!ok) break;
    }
    g_free(buf);
  }
  if (ok && fsync(fd) != 0) {
    int err = errno;
    g_set_error(&local, G_IO_ERROR, g_io_error_from_errno(err), "%s", g_strerror(err));
    ok = FALSE;
  }
  close(fd);
  if (ok && g_rename(tmpl, dest) != 0) {
    int err = errno;
    g_set_error(&local, G_IO_ERROR, g_io_error_from_errno(err), "%s", g_strerror(err));
    ok = FALSE;
  }
  if (!ok) {
    remove_quietly(tmpl);
    return io_failed(error, &local, _("cannot copy %s to %s: %s"), src, dest, local ? local->message : "?");
  }
  return fsync_path(dir, TRUE, error);
}

char *swell_weights_import(const char *arch, const char *source_path, GCancellable *cancellable,
                           GError **error) {
  const SwellWeightsEntry *entry = swell_weights_lookup(arch, error);
  if (!entry) return NULL;
  sw_arch a;
  if (sw_arch_from_name(arch, &a) != 0) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH,
                _("the engine cannot build a “%s” network"), arch);
    return NULL;
  }
  if (!g_file_test(source_path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE,
                _("cannot import %s: no such file"), source_path);
    return NULL;
  }
  if (!g_file_test(source_path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE,
                _("cannot import %s: it is a folder or a special file, not a weights file"),
                source_path);
    return NULL;
  }
  /* Format by content: safetensors starts with an 8-byte header length and then
   * the JSON header's "{"; anything else that sw_weights_read accepts is a PyTorch
   * file (zip, or the legacy pickle stream torchvision's older files use). */
  guchar head[9] = {0};
  gboolean is_safetensors = FALSE;
  FILE *f = fopen(source_path, "rb");
  if (f) {
    is_safetensors = fread(head, 1, sizeof head, f) == sizeof head && head[8] == '{';
    fclose(f);
  }

  char err[512] = {0};
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  if (sw_weights_read(source_path, &sd, err, sizeof err) != 0) {
    sw_state_dict_free(&sd);
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE,
                _("cannot import %s: it is not a readable .pth or .safetensors weights file (%s)"),
                source_path, err);
    return NULL;
  }
  if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
    sw_state_dict_free(&sd);
    return NULL;
  }
  sw_model_config cfg = {.arch = a, .width_mult = 1.0f, .tf_same_padding = false,
                         .head = SW_HEAD_IMAGENET, .num_classes = 1000, .seed = 0};
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    sw_state_dict_free(&sd);
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot create a %s network: %s"),
                arch, err);
    return NULL;
  }
  int rc = sw_model_load(m, &sd, true, err, sizeof err);
  sw_model_free(m);
  sw_state_dict_free(&sd);
  if (rc != 0) {
    g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_INVALID_FILE,
                _("cannot import %s: it does not hold %s weights (%s)"), source_path, arch, err);
    return NULL;
  }

  g_autofree char *dir = NULL;
  if (!ensure_cache_dir(&dir, error)) return NULL;
  const char *ext = is_safetensors ? "safetensors" : "pth";
  g_autofree char *imported = imported_name(arch, ext);
  g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
  if (!copy_into_cache(source_path, dir, imported, sha, cancellable, error)) return NULL;

  g_autofree char *imported_path = g_build_filename(dir, imported, NULL);
  g_autofree char *other_name = imported_name(arch, is_safetensors ? "pth" : "safetensors");
  g_autofree char *other_path = g_build_filename(dir, other_name, NULL);
  if (!is_safetensors && g_str_has_prefix(g_checksum_get_string(sha), entry->sha256_prefix) &&
      g_str_has_suffix(entry->file_name, ".pth")) {
    /* The very file the catalogue names: store it under the catalogue's name. */
    g_autofree char *final_path = g_build_filename(dir, entry->file_name, NULL);
    if (g_rename(imported_path, final_path) != 0) {
      int e = errno;
      remove_quietly(imported_path);
      g_set_error(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_IO, _("cannot move %s to %s: %s"),
                  imported_path, final_path, g_strerror(e));
      return NULL;
    }
    g_autofree char *part = g_strconcat(final_path, ".part", NULL);
    g_autofree char *info = g_strconcat(final_path, ".part.info", NULL);
    remove_quietly(part);
    remove_quietly(info);
    return g_steal_pointer(&final_path);
  }
  /* An earlier import in the other format would be shadowed or shadow this one. */
  remove_quietly(other_path);
  return g_steal_pointer(&imported_path);
}

typedef struct {
  char *arch;
  char *source;
} ImportData;

static void import_data_free(ImportData *d) {
  g_free(d->arch);
  g_free(d->source);
  g_free(d);
}

static void import_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *c) {
  ImportData *d = task_data;
  GError *error = NULL;
  char *path = swell_weights_import(d->arch, d->source, c, &error);
  if (path) g_task_return_pointer(task, path, g_free);
  else g_task_return_error(task, error);
}

void swell_weights_import_async(const char *arch, const char *source_path,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data) {
  GTask *task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, swell_weights_import_async);
  ImportData *d = g_new0(ImportData, 1);
  d->arch = g_strdup(arch);
  d->source = g_strdup(source_path);
  g_task_set_task_data(task, d, (GDestroyNotify)import_data_free);
  g_task_run_in_thread(task, import_thread);
  g_object_unref(task);
}

char *swell_weights_import_finish(GAsyncResult *result, GError **error) {
  return g_task_propagate_pointer(G_TASK(result), error);
}
