/* test_weights_download: the weights manager against a loopback HTTP server
 * (tests/weights_server.py on 127.0.0.1). Never touches the real URLs.
 *
 * Cases: a good download; a checksum mismatch; a connection cut halfway, then a
 * resume with Range (and a restart when the server ignores Range, and when the
 * resumed part was corrupt); a 404; a slow server, cancelled; no network
 * (connection refused); already cached; `swell-cli weights fetch resnet34`
 * and `weights list`. After each failure: no file in the cache that could pass
 * as good (find_cached says NOT_CACHED).
 *
 * argv[1]: path of weights_server.py. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "swell-weights.h"

#include "testutil.h"

static char *tmp_root, *srv_dir, *cache_dir, *catalogue_path;
static int port;
static GSubprocess *server;

typedef struct {
  const char *arch;
  char *file_name;
  GBytes *data;
  char *prefix;
} Fixture;

static Fixture fx_good, fx_bad, fx_missing, fx_cli;

/* Deterministic pseudo-random bytes. */
static GBytes *make_bytes(gsize n, guint32 seed) {
  guint8 *buf = g_malloc(n);
  guint32 x = seed ? seed : 1;
  for (gsize i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (guint8)(x >> 7);
  }
  return g_bytes_new_take(buf, n);
}

static char *sha256_hex(GBytes *b) {
  return g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, b);
}

static void make_fixture(Fixture *f, const char *arch, gsize n, guint32 seed, gboolean serve,
                         const char *fake_prefix) {
  f->arch = arch;
  f->data = make_bytes(n, seed);
  g_autofree char *sum = sha256_hex(f->data);
  f->prefix = fake_prefix ? g_strdup(fake_prefix) : g_strndup(sum, 8);
  if (fake_prefix) g_assert(!g_str_has_prefix(sum, fake_prefix));
  f->file_name = g_strdup_printf("%s-%s.pth", arch, f->prefix);
  if (serve) {
    g_autofree char *p = g_build_filename(srv_dir, f->file_name, NULL);
    g_assert(g_file_set_contents(p, g_bytes_get_data(f->data, NULL), (gssize)n, NULL));
  }
}

static void write_catalogue(void) {
  Fixture *all[] = {&fx_good, &fx_bad, &fx_missing, &fx_cli};
  g_autoptr(GString) s = g_string_new("{\"entries\": [\n");
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    g_string_append_printf(s,
                           "  {\"arch\": \"%s\", \"file_name\": \"%s\", \"url\": "
                           "\"http://127.0.0.1:9/unused/%s\", \"size\": %zu, \"sha256_prefix\": "
                           "\"%s\", \"input_size\": 224, \"mean\": [0.485, 0.456, 0.406], \"std\": "
                           "[0.229, 0.224, 0.225]}%s\n",
                           all[i]->arch, all[i]->file_name, all[i]->file_name,
                           g_bytes_get_size(all[i]->data), all[i]->prefix,
                           i + 1 < G_N_ELEMENTS(all) ? "," : "");
  g_string_append(s, "]}\n");
  g_assert(g_file_set_contents(catalogue_path, s->str, -1, NULL));
}

static void start_server(const char *script) {
  GError *error = NULL;
  server = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            "python3", script, srv_dir, NULL);
  if (!server) {
    fprintf(stderr, "cannot start the test server: %s\n", error->message);
    exit(1);
  }
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(server));
  g_autofree char *line = g_data_input_stream_read_line(out, NULL, NULL, &error);
  if (!line || sscanf(line, "PORT %d", &port) != 1) {
    fprintf(stderr, "the test server did not report its port\n");
    exit(1);
  }
}

static void stop_server(void) {
  /* Closing its stdin makes the server exit. */
  g_output_stream_close(g_subprocess_get_stdin_pipe(server), NULL, NULL);
  g_subprocess_wait(server, NULL, NULL);
  g_clear_object(&server);
}

/* GET on the control server (a separate session, not the code under test). */
static char *server_get(const char *path) {
  g_autoptr(SoupSession) session = soup_session_new();
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%d%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read(session, msg, NULL, &error);
  if (!body) {
    fprintf(stderr, "control request %s failed: %s\n", path, error->message);
    exit(1);
  }
  return g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
}

static char *server_log(void) { return server_get("/log"); }

/* Server behaviour, e.g. "range=1&cut=0&slow=0". */
static void server_set(const char *settings) {
  g_autofree char *path = g_strconcat("/set?", settings, NULL);
  g_free(server_get(path));
}

static int count_substr(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static void use_server(const char *settings) {
  g_autofree char *base = g_strdup_printf("http://127.0.0.1:%d/f/", port);
  g_setenv("SWELL_WEIGHTS_URL_BASE", base, TRUE);
  server_set(settings);
}

static char *cache_path(const char *name) { return g_build_filename(cache_dir, name, NULL); }

static void clear_cache(void) {
  g_autoptr(GDir) d = g_dir_open(cache_dir, 0, NULL);
  if (!d) return;
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *p = cache_path(name);
    g_unlink(p);
  }
}

/* Nothing in the cache could pass as weights for f. */
static void check_nothing_usable(const Fixture *f, const char *when) {
  g_autoptr(GError) error = NULL;
  g_autofree char *found = swell_weights_find_cached(f->arch, &error);
  CHECK(found == NULL, "%s: find_cached returned %s", when, found);
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NOT_CACHED), "%s: %s", when,
        error ? error->message : "no error");
  g_autofree char *final_path = cache_path(f->file_name);
  CHECK(!g_file_test(final_path, G_FILE_TEST_EXISTS), "%s: %s exists", when, final_path);
  /* Any other file must carry the .part / .part.info / .part.lock suffix. */
  g_autoptr(GDir) d = g_dir_open(cache_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    CHECK(g_str_has_suffix(name, ".part") || g_str_has_suffix(name, ".part.info") ||
              g_str_has_suffix(name, ".part.lock"),
          "%s: unexpected file %s in the cache", when, name);
}

static gboolean file_equals(const char *path, GBytes *want) {
  g_autofree char *got = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &got, &len, NULL)) return FALSE;
  return len == g_bytes_get_size(want) && memcmp(got, g_bytes_get_data(want, NULL), len) == 0;
}

static guint64 file_size(const char *path) {
  GStatBuf sb;
  return g_stat(path, &sb) == 0 ? (guint64)sb.st_size : 0;
}

typedef struct {
  int calls;
  SwellWeightsProgress last;
  double max_rate;
  gboolean eta_seen;
  gboolean monotonic;
} ProgressLog;

static void on_progress(const SwellWeightsProgress *p, gpointer user_data) {
  ProgressLog *log = user_data;
  if (log->calls > 0 && p->received < log->last.received) log->monotonic = FALSE;
  log->calls++;
  log->last = *p;
  if (p->rate > log->max_rate) log->max_rate = p->rate;
  if (p->eta_seconds >= 0) log->eta_seen = TRUE;
}

static char *fetch(const char *arch, ProgressLog *log, GError **error) {
  if (log) {
    memset(log, 0, sizeof *log);
    log->monotonic = TRUE;
  }
  return swell_weights_fetch_sync(arch, NULL, log ? on_progress : NULL, log, error);
}

static void test_good(void) {
  clear_cache();
  use_server("range=1&cut=0&slow=0");
  check_nothing_usable(&fx_good, "before any download");
  {
    g_autoptr(GError) e = NULL;
    g_autofree char *p = swell_weights_find_cached(fx_good.arch, &e);
    g_autofree char *want = g_strdup_printf(
        "no pretrained weights for %s yet: run 'swell-cli weights fetch %s' or 'swell-cli weights "
        "import %s FILE'",
        fx_good.arch, fx_good.arch, fx_good.arch);
    CHECK(e && strcmp(e->message, want) == 0, "find_cached message: %s", e ? e->message : "(none)");
  }
  ProgressLog log;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch(fx_good.arch, &log, &error);
  g_autofree char *want_path = cache_path(fx_good.file_name);
  CHECK(path && strcmp(path, want_path) == 0, "good download: %s", error ? error->message : path);
  CHECK(file_equals(want_path, fx_good.data), "good download: content differs");
  g_autofree char *part = g_strconcat(want_path, ".part", NULL);
  g_autofree char *info = g_strconcat(want_path, ".part.info", NULL);
  CHECK(!g_file_test(part, G_FILE_TEST_EXISTS) && !g_file_test(info, G_FILE_TEST_EXISTS),
        "good download left a .part or .part.info");
  CHECK(log.calls >= 1 && log.last.received == g_bytes_get_size(fx_good.data) &&
            log.last.total == g_bytes_get_size(fx_good.data) && log.monotonic,
        "good download progress: %d calls, last %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, log.calls,
        log.last.received, log.last.total);
  g_autofree char *found = swell_weights_find_cached(fx_good.arch, NULL);
  CHECK(found && strcmp(found, want_path) == 0, "find_cached after download: %s", found);
  printf("ok good download (%d progress calls)\n", log.calls);

  /* Already cached: no request at all. */
  g_autofree char *before = server_log();
  g_autofree char *again = fetch(fx_good.arch, NULL, NULL);
  g_autofree char *after = server_log();
  CHECK(again && strcmp(again, want_path) == 0, "second fetch: %s", again);
  CHECK(count_substr(after, "\"path\"") == count_substr(before, "\"path\""),
        "second fetch sent a request");
  printf("ok already cached\n");
}

static void test_checksum_mismatch(void) {
  clear_cache();
  use_server("range=1&cut=0&slow=0");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch(fx_bad.arch, NULL, &error);
  CHECK(path == NULL, "mismatch accepted");
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_CHECKSUM), "mismatch: %s",
        error ? error->message : "no error");
  CHECK(error && strstr(error->message, "corrupt") && strstr(error->message, fx_bad.prefix) &&
            strstr(error->message, "deleted"),
        "mismatch message: %s", error ? error->message : "");
  check_nothing_usable(&fx_bad, "checksum mismatch");
  g_autofree char *part = cache_path(fx_bad.file_name);
  g_autofree char *part2 = g_strconcat(part, ".part", NULL);
  CHECK(!g_file_test(part2, G_FILE_TEST_EXISTS), "mismatching .part kept");
  printf("ok checksum mismatch: %s\n", error ? error->message : "");
}

static void test_cut_and_resume(void) {
  clear_cache();
  gsize n = g_bytes_get_size(fx_good.data);
  g_autofree char *final_path = cache_path(fx_good.file_name);
  g_autofree char *part = g_strconcat(final_path, ".part", NULL);

  /* 1. The connection drops halfway. */
  use_server("range=1&cut=1&slow=0");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch(fx_good.arch, NULL, &error);
  CHECK(path == NULL, "cut download accepted");
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NETWORK), "cut: %s",
        error ? error->message : "no error");
  CHECK(error && strstr(error->message, "interrupted") && strstr(error->message, "resume"),
        "cut message: %s", error ? error->message : "");
  check_nothing_usable(&fx_good, "connection cut");
  guint64 part_size = file_size(part);
  CHECK(part_size > 0 && part_size < n, "cut: .part has %" G_GUINT64_FORMAT " bytes", part_size);
  printf("ok connection cut: %s\n", error ? error->message : "");

  /* A server error (503) keeps the part for later. */
  use_server("range=1&cut=0&slow=0&fail=503");
  g_clear_error(&error);
  g_autofree char *path503 = fetch(fx_good.arch, NULL, &error);
  CHECK(path503 == NULL && g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_HTTP) &&
            strstr(error->message, "503"),
        "503: %s", error ? error->message : path503);
  CHECK(file_size(part) == part_size, "503 changed the .part (%" G_GUINT64_FORMAT " bytes)", file_size(part));
  check_nothing_usable(&fx_good, "503");
  printf("ok 503 keeps the partial file: %s\n", error ? error->message : "");
  use_server("range=1&cut=0&slow=0&fail=0");

  /* 2. Resume with Range. */
  g_autofree char *log_before = server_log();
  ProgressLog log;
  g_clear_error(&error);
  g_autofree char *path2 = fetch(fx_good.arch, &log, &error);
  CHECK(path2 && strcmp(path2, final_path) == 0, "resume: %s", error ? error->message : path2);
  CHECK(file_equals(final_path, fx_good.data), "resume: content differs");
  g_autofree char *log_after = server_log();
  g_autofree char *range = g_strdup_printf("\"range\": \"bytes=%" G_GUINT64_FORMAT "-\"", part_size);
  CHECK(count_substr(log_after, range) == count_substr(log_before, range) + 1,
        "resume did not send %s: %s", range, log_after);
  CHECK(strstr(log_after, "\"if_range\": \"\\\"") != NULL, "resume sent no If-Range validator");
  CHECK(log.last.resumed_from == part_size, "progress resumed_from %" G_GUINT64_FORMAT,
        log.last.resumed_from);
  CHECK(!g_file_test(part, G_FILE_TEST_EXISTS), "resume left the .part");
  printf("ok resumed at %" G_GUINT64_FORMAT " of %zu bytes with a Range request\n", part_size, n);

  /* 3. A server that ignores Range: 200, so the download starts again from zero. */
  clear_cache();
  use_server("range=1&cut=1&slow=0");
  g_clear_error(&error);
  g_free(fetch(fx_good.arch, NULL, &error));
  CHECK(file_size(part) > 0, "no .part after the second cut");
  use_server("range=0&cut=0&slow=0");
  g_clear_error(&error);
  g_autofree char *path3 = fetch(fx_good.arch, &log, &error);
  CHECK(path3 && file_equals(final_path, fx_good.data), "restart after 200: %s",
        error ? error->message : "content differs");
  CHECK(log.last.resumed_from == 0, "a 200 answer was treated as a resume");
  printf("ok server without Range support: restarted from zero\n");

  /* 4. A corrupt .part: the resumed file fails the check, is deleted, and the
   * download starts once more from zero. */
  clear_cache();
  use_server("range=1&cut=1&slow=0");
  g_clear_error(&error);
  g_free(fetch(fx_good.arch, NULL, &error));
  {
    g_autofree char *bytes = NULL;
    gsize len = 0;
    CHECK(g_file_get_contents(part, &bytes, &len, NULL) && len > 16, "no .part to corrupt");
    if (bytes && len > 16) {
      memset(bytes, 0xAB, 16);
      g_file_set_contents(part, bytes, (gssize)len, NULL);
    }
  }
  g_autofree char *log4a = server_log();
  g_clear_error(&error);
  g_autofree char *path4 = fetch(fx_good.arch, &log, &error);
  g_autofree char *log4b = server_log();
  CHECK(path4 && file_equals(final_path, fx_good.data), "after a corrupt part: %s",
        error ? error->message : "content differs");
  /* Two requests: the resume (Range), then a full download. */
  int req_before = count_substr(log4a, "\"path\""), req_after = count_substr(log4b, "\"path\"");
  CHECK(req_after - req_before == 2, "corrupt part: %d requests", req_after - req_before);
  CHECK(log.last.resumed_from == 0, "the final transfer after a corrupt part was a resume");
  printf("ok corrupt .part detected after resume; restarted from zero (%d requests)\n",
         req_after - req_before);
}

static void test_404(void) {
  clear_cache();
  use_server("range=1&cut=0&slow=0");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch(fx_missing.arch, NULL, &error);
  CHECK(path == NULL, "404 accepted");
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_HTTP), "404: %s",
        error ? error->message : "no error");
  CHECK(error && strstr(error->message, "404") && strstr(error->message, fx_missing.file_name),
        "404 message: %s", error ? error->message : "");
  check_nothing_usable(&fx_missing, "404");
  /* Only the (empty) lock file may remain: no part, no info. */
  g_autoptr(GDir) d = g_dir_open(cache_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    CHECK(g_str_has_suffix(name, ".part.lock"), "404 left %s in the cache", name);
  printf("ok 404: %s\n", error ? error->message : "");
}

typedef struct {
  GMainLoop *loop;
  char *path;
  GError *error;
  gint64 cancelled_at;
  gint64 finished_at;
} CancelData;

static gboolean do_cancel(gpointer user_data) {
  GCancellable *c = user_data;
  g_cancellable_cancel(c);
  return G_SOURCE_REMOVE;
}

static void on_cancel_done(GObject *src, GAsyncResult *res, gpointer user_data) {
  CancelData *cd = user_data;
  cd->path = swell_weights_fetch_finish(res, &cd->error);
  cd->finished_at = g_get_monotonic_time();
  g_main_loop_quit(cd->loop);
}

static void test_slow_cancel(void) {
  clear_cache();
  use_server("range=1&cut=0&slow=1");
  CancelData cd = {0};
  cd.loop = g_main_loop_new(NULL, FALSE);
  GCancellable *c = g_cancellable_new();
  ProgressLog log = {0};
  log.monotonic = TRUE;
  swell_weights_fetch_async(fx_good.arch, c, on_progress, &log, NULL, on_cancel_done, &cd);
  g_timeout_add(1200, do_cancel, c);
  gint64 t0 = g_get_monotonic_time();
  /* While it runs, a second download of the same file is refused (flock). */
  while (log.calls == 0) g_main_context_iteration(NULL, TRUE);
  {
    g_autoptr(GError) busy = NULL;
    g_autofree char *p2 = swell_weights_fetch_sync(fx_good.arch, NULL, NULL, NULL, &busy);
    CHECK(p2 == NULL && g_error_matches(busy, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_BUSY),
          "concurrent download: %s", busy ? busy->message : p2);
    printf("ok concurrent download refused: %s\n", busy ? busy->message : "");
  }
  g_main_loop_run(cd.loop);
  double secs = (double)(cd.finished_at - t0) / G_USEC_PER_SEC;
  CHECK(cd.path == NULL, "slow download finished despite cancel");
  CHECK(g_error_matches(cd.error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "cancel: %s",
        cd.error ? cd.error->message : "no error");
  CHECK(cd.error && strstr(cd.error->message, "download of the resnet18 weights cancelled"),
        "cancel message: %s",
        cd.error ? cd.error->message : "");
  CHECK(secs < 3.0, "cancel took until %.2f s", secs);
  CHECK(log.calls >= 2 && log.max_rate > 0 && log.eta_seen,
        "slow progress: %d calls, max rate %.0f B/s, eta seen %d", log.calls, log.max_rate,
        log.eta_seen);
  CHECK(log.last.received < g_bytes_get_size(fx_good.data), "slow: everything arrived before cancel");
  check_nothing_usable(&fx_good, "cancelled");
  printf("ok slow server cancelled after %.2f s (%" G_GUINT64_FORMAT " bytes, %.0f B/s, ETA %.0f s): %s\n",
         secs, log.last.received, log.max_rate, log.last.eta_seconds,
         cd.error ? cd.error->message : "");
  g_clear_error(&cd.error);
  g_main_loop_unref(cd.loop);
  g_object_unref(c);
}

static void test_no_network(void) {
  clear_cache();
  /* A port that was free a moment ago and has nobody listening. */
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  g_assert(g_socket_bind(s, any, FALSE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
  int closed_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(s, NULL);
  g_autofree char *base = g_strdup_printf("http://127.0.0.1:%d/ok", closed_port);
  g_setenv("SWELL_WEIGHTS_URL_BASE", base, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch(fx_good.arch, NULL, &error);
  CHECK(path == NULL, "no network: download succeeded");
  CHECK(g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_NETWORK), "no network: %s",
        error ? error->message : "no error");
  CHECK(error && strstr(error->message, "cannot download") && strstr(error->message, "import"),
        "no network message: %s", error ? error->message : "");
  check_nothing_usable(&fx_good, "no network");
  printf("ok no network: %s\n", error ? error->message : "");
}

static void test_unknown_arch(void) {
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fetch("vgg16", NULL, &error);
  CHECK(path == NULL && g_error_matches(error, SWELL_WEIGHTS_ERROR, SWELL_WEIGHTS_ERROR_UNKNOWN_ARCH),
        "unknown arch: %s", error ? error->message : "no error");
  printf("ok unknown architecture: %s\n", error ? error->message : "");
}

static int run_cli(char **argv_tail, char **out, char **err) {
  const char *cli = g_getenv("SWELL_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)cli);
  for (char **a = argv_tail; *a; a++) g_ptr_array_add(argv, *a);
  g_ptr_array_add(argv, NULL);
  int status = -1;
  GError *error = NULL;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                    &error)) {
    fprintf(stderr, "cannot run %s: %s\n", cli, error->message);
    g_error_free(error);
    return -1;
  }
  return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

static void test_cli(void) {
  if (!g_getenv("SWELL_CLI")) {
    CHECK(0, "SWELL_CLI is not set");
    return;
  }
  clear_cache();
  use_server("range=1&cut=0&slow=0");
  g_autofree char *out = NULL, *err = NULL;
  char *fetch_args[] = {"weights", "fetch", "resnet34", NULL};
  int rc = run_cli(fetch_args, &out, &err);
  g_autofree char *want_path = cache_path(fx_cli.file_name);
  CHECK(rc == 0, "swell-cli weights fetch resnet34 failed: %s", err);
  CHECK(out && strstr(out, want_path) && strstr(out, fx_cli.prefix), "fetch summary: %s", out);
  CHECK(file_equals(want_path, fx_cli.data), "swell-cli fetch: content differs");
  printf("ok swell-cli weights fetch resnet34: %s", out ? out : "\n");

  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *list_args[] = {"weights", "list", NULL};
  rc = run_cli(list_args, &out, &err);
  CHECK(rc == 0 && out, "weights list failed: %s", err);
  gboolean row_ok = FALSE, other_ok = FALSE;
  g_auto(GStrv) lines = g_strsplit(out ? out : "", "\n", -1);
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix(*l, "resnet34 ") && strstr(*l, fx_cli.file_name) && g_str_has_suffix(*l, "yes"))
      row_ok = TRUE;
    if (g_str_has_prefix(*l, "resnet18 ") && g_str_has_suffix(*l, "no")) other_ok = TRUE;
  }
  CHECK(row_ok && other_ok, "weights list:\n%s", out);
  printf("ok swell-cli weights list\n");

  /* Failures: exit status and one clear line. */
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  use_server("range=1&cut=0&slow=0");
  char *bad_args[] = {"weights", "fetch", "mobilenet_v2", NULL};
  rc = run_cli(bad_args, &out, &err);
  CHECK(rc != 0 && err && strstr(err, "swell-cli: ") && strstr(err, "404"), "fetch of a 404: rc %d, %s",
        rc, err);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *usage_args[] = {"weights", "fetch", NULL};
  rc = run_cli(usage_args, &out, &err);
  CHECK(rc != 0 && err && strstr(err, "usage"), "fetch without ARCH: rc %d, %s", rc, err);
  printf("ok swell-cli failures\n");
}

static void test_bad_catalogue(void) {
  /* The override is read once per process: check a bad one through swell-cli. */
  g_autofree char *bad = g_build_filename(tmp_root, "bad-catalogue.json", NULL);
  g_file_set_contents(bad, "{\"entries\": [{\"arch\": \"resnet34\", \"file_name\": \"../x\", "
                           "\"sha256_prefix\": \"00\"}]}",
                      -1, NULL);
  g_autofree char *saved = g_strdup(g_getenv("SWELL_WEIGHTS_CATALOGUE"));
  g_setenv("SWELL_WEIGHTS_CATALOGUE", bad, TRUE);
  g_autofree char *out = NULL, *err = NULL;
  char *args[] = {"weights", "list", NULL};
  int rc = run_cli(args, &out, &err);
  g_setenv("SWELL_WEIGHTS_CATALOGUE", saved, TRUE);
  CHECK(rc != 0 && err && strstr(err, bad) && strstr(err, "file_name"), "bad catalogue: rc %d, %s", rc,
        err);
  printf("ok invalid catalogue override rejected: %s", err ? err : "\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s weights_server.py\n", argv[0]);
    return 2;
  }
  const char *base_tmp = g_getenv("SWELL_TMP");
  if (base_tmp) g_mkdir_with_parents(base_tmp, 0755);
  g_autofree char *tmpl = g_build_filename(base_tmp ? base_tmp : g_get_tmp_dir(), "weights-dl-XXXXXX", NULL);
  tmp_root = g_mkdtemp(g_strdup(tmpl));
  g_assert(tmp_root);
  srv_dir = g_build_filename(tmp_root, "server", NULL);
  g_mkdir_with_parents(srv_dir, 0755);
  g_autofree char *xdg = g_build_filename(tmp_root, "cache", NULL);
  g_setenv("XDG_CACHE_HOME", xdg, TRUE);
  cache_dir = g_build_filename(xdg, "swell", "weights", NULL);
  catalogue_path = g_build_filename(tmp_root, "catalogue.json", NULL);
  g_setenv("no_proxy", "127.0.0.1,localhost", TRUE);
  g_setenv("NO_PROXY", "127.0.0.1,localhost", TRUE);
  g_unsetenv("http_proxy");
  g_unsetenv("HTTP_PROXY");

  make_fixture(&fx_good, "resnet18", 300 * 1024 + 123, 1, TRUE, NULL);
  make_fixture(&fx_bad, "resnet50", 64 * 1024, 2, TRUE, "deadbeef");
  make_fixture(&fx_missing, "mobilenet_v2", 1000, 3, FALSE, NULL);
  make_fixture(&fx_cli, "resnet34", 200 * 1024 + 7, 4, TRUE, NULL);
  write_catalogue();
  g_setenv("SWELL_WEIGHTS_CATALOGUE", catalogue_path, TRUE);

  start_server(argv[1]);
  test_good();
  test_checksum_mismatch();
  test_cut_and_resume();
  test_404();
  test_slow_cancel();
  test_no_network();
  test_unknown_arch();
  test_cli();
  test_bad_catalogue();
  stop_server();

  if (sw_test_failures == 0) {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp_root);
    g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
  }
  printf("%d checks failed\n", sw_test_failures);
  return sw_test_failures ? 1 : 0;
}
