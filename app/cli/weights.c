/* weights.c: `swell-cli weights list | fetch ARCH | import ARCH FILE`. */
#include "swell-config.h"

#include <glib-unix.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swell-cli.h"
#include "swell-weights.h"


static void print_weights_help(FILE *out) {
  fprintf(out, "%s\n\n", _("Usage: swell-cli weights list\n"
                           "       swell-cli weights fetch ARCH\n"
                           "       swell-cli weights import ARCH FILE"));
  fprintf(out, "%s\n", _("Manage the pretrained ImageNet weights Swell starts training from."));
  fprintf(out, "\n%s\n", _("  list           show the architectures, their files and whether each is cached"));
  fprintf(out, "%s\n", _("  fetch ARCH     download the weights for ARCH into the cache (resumes an interrupted download)"));
  fprintf(out, "%s\n", _("  import ARCH FILE  check a .pth or .safetensors file you already have and copy it into the cache"));
  g_autofree char *dir = swell_weights_cache_dir();
  /* Not fprintf(out, _(...), dir): with -fsanitize GCC 12 cannot prove the
   * translated format non-null and fails with -Werror=format-overflow. */
  g_autofree char *line = g_strdup_printf(_("Cache folder: %s"), dir);
  fprintf(out, "\n%s\n", line);
}

/* "1:05" or "1:02:03". */
static char *format_duration(double seconds) {
  if (seconds < 0) return g_strdup("--:--");
  guint64 s = (guint64)(seconds + 0.5);
  if (s >= 3600)
    return g_strdup_printf("%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
                           (unsigned)(s % 60));
  return g_strdup_printf("%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

static int cmd_list(void) {
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  const SwellWeightsEntry *entries = swell_weights_catalogue(&n, &error);
  if (!entries) return swell_cli_fail("%s", error->message);
  /* TRANSLATORS: column headings of `swell-cli weights list` */
  const char *h_arch = _("ARCH"), *h_file = _("FILE"), *h_size = _("SIZE"), *h_state = _("CACHED");
  int w_arch = (int)g_utf8_strlen(h_arch, -1), w_file = (int)g_utf8_strlen(h_file, -1);
  int w_size = (int)g_utf8_strlen(h_size, -1);
  g_autofree char **sizes = g_new0(char *, n + 1);
  for (gsize i = 0; i < n; i++) {
    sizes[i] = entries[i].size ? swell_weights_format_size(entries[i].size) : g_strdup("?");
    w_arch = MAX(w_arch, (int)strlen(entries[i].arch));
    w_file = MAX(w_file, (int)strlen(entries[i].file_name));
    w_size = MAX(w_size, (int)g_utf8_strlen(sizes[i], -1));
  }
  /* printf pads by bytes; pad UTF-8 headings by characters. */
#define PAD(s, w) (int)((w) + strlen(s) - g_utf8_strlen((s), -1)), (s)
  printf("%-*s  %-*s  %*s  %s\n", PAD(h_arch, w_arch), PAD(h_file, w_file), PAD(h_size, w_size), h_state);
  g_autofree char *dir = swell_weights_cache_dir();
  for (gsize i = 0; i < n; i++) {
    g_autofree char *path = swell_weights_find_cached(entries[i].arch, NULL);
    const char *state;
    if (!path) state = _("no");
    else if (g_str_has_suffix(path, entries[i].file_name)) state = _("yes");
    else state = _("yes (imported)");
    printf("%-*s  %-*s  %*s  %s\n", w_arch, entries[i].arch, w_file, entries[i].file_name,
           PAD(sizes[i], w_size), state);
    g_free(sizes[i]);
  }
#undef PAD
  printf("\n");
  printf(_("Cache folder: %s"), dir);
  printf("\n");
  return 0;
}

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  char *path;
  GError *error;
  gboolean tty;
  gboolean printed;
  guint64 total;
  guint64 resumed_from;
  gint64 started_us;
  int last_tenth;
} FetchCli;

static void on_progress(const SwellWeightsProgress *p, gpointer user_data) {
  FetchCli *f = user_data;
  f->total = p->total;
  f->resumed_from = p->resumed_from;
  if (!f->tty) {
    /* In a log: one line per tenth of the file, not a line per update. */
    if (!p->total) return;
    int tenth = (int)(10.0 * (double)p->received / (double)p->total);
    if (tenth <= f->last_tenth) return;
    f->last_tenth = tenth;
  }
  g_autofree char *got = swell_weights_format_size(p->received);
  g_autofree char *rate = p->rate > 0 ? swell_weights_format_size((guint64)p->rate) : g_strdup("-");
  g_autofree char *eta = format_duration(p->eta_seconds);
  g_autofree char *line = NULL;
  if (p->total) {
    g_autofree char *total = swell_weights_format_size(p->total);
    /* TRANSLATORS: download progress: "12.3 MB of 87.3 MB (14%), 5.1 MB/s, 0:15 left" */
    line = g_strdup_printf(_("%s of %s (%d%%), %s/s, %s left"), got, total,
                           (int)(100.0 * (double)p->received / (double)p->total), rate, eta);
  } else {
    /* TRANSLATORS: download progress with an unknown total: "12.3 MB, 5.1 MB/s" */
    line = g_strdup_printf(_("%s, %s/s"), got, rate);
  }
  if (f->tty) {
    fprintf(stderr, "\r\033[K  %s", line);
    f->printed = TRUE;
  } else {
    fprintf(stderr, "  %s\n", line);
  }
  fflush(stderr);
}

static void on_fetched(GObject *source, GAsyncResult *res, gpointer user_data) {
  FetchCli *f = user_data;
  f->path = swell_weights_fetch_finish(res, &f->error);
  g_main_loop_quit(f->loop);
}

static gboolean on_sigint(gpointer user_data) {
  FetchCli *f = user_data;
  g_cancellable_cancel(f->cancellable);
  return G_SOURCE_CONTINUE;
}

static int cmd_fetch(const char *arch) {
  g_autoptr(GError) error = NULL;
  const SwellWeightsEntry *entry = swell_weights_lookup(arch, &error);
  if (!entry) return swell_cli_fail("%s", error->message);
  g_autofree char *cached = swell_weights_find_cached(arch, NULL);
  if (cached && g_str_has_suffix(cached, entry->file_name)) {
    printf(_("The %s weights are already in the cache: %s"), arch, cached);
    printf("\n");
    return 0;
  }
  g_autofree char *url = swell_weights_entry_url(entry);
  FetchCli f = {0};
  f.tty = isatty(STDERR_FILENO);
  f.loop = g_main_loop_new(NULL, FALSE);
  f.cancellable = g_cancellable_new();
  f.started_us = g_get_monotonic_time();
  g_autofree char *size = entry->size ? swell_weights_format_size(entry->size) : g_strdup("?");
  fprintf(stderr, _("Downloading the %s weights (%s) from %s"), arch, size, url);
  fprintf(stderr, "\n");
  guint sig = g_unix_signal_add(SIGINT, on_sigint, &f);
  swell_weights_fetch_async(arch, f.cancellable, on_progress, &f, NULL, on_fetched, &f);
  g_main_loop_run(f.loop);
  g_source_remove(sig);
  if (f.printed) fprintf(stderr, "\n");
  g_main_loop_unref(f.loop);
  g_object_unref(f.cancellable);
  if (!f.path) {
    int rc = swell_cli_fail("%s", f.error->message);
    g_error_free(f.error);
    return rc;
  }
  double secs = (double)(g_get_monotonic_time() - f.started_us) / G_USEC_PER_SEC;
  GStatBuf sb;
  guint64 bytes = g_stat(f.path, &sb) == 0 ? (guint64)sb.st_size : 0;
  g_autofree char *got = swell_weights_format_size(bytes);
  g_autofree char *took = format_duration(secs);
  /* TRANSLATORS: summary after a download: arch, size, SHA-256 prefix, duration, path */
  printf(_("Downloaded the %s weights (%s, SHA-256 %s… verified) in %s: %s"), arch, got,
         entry->sha256_prefix, took, f.path);
  printf("\n");
  if (f.resumed_from) {
    g_autofree char *from = swell_weights_format_size(f.resumed_from);
    printf(_("Resumed an interrupted download at %s."), from);
    printf("\n");
  }
  g_free(f.path);
  return 0;
}

static int cmd_import(const char *arch, const char *file) {
  g_autoptr(GError) error = NULL;
  g_autofree char *path = swell_weights_import(arch, file, NULL, &error);
  if (!path) return swell_cli_fail("%s", error->message);
  printf(_("Imported %s as the %s weights: %s"), file, arch, path);
  printf("\n");
  return 0;
}

int swell_cli_weights(int argc, char **argv) {
  if (argc < 2) {
    print_weights_help(stderr);
    return 2;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
    print_weights_help(stdout);
    return 0;
  }
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_weights_help(stdout);
      return 0;
    }
  if (strcmp(sub, "list") == 0) {
    if (argc != 2) return swell_cli_fail(_("“weights list” takes no arguments"));
    return cmd_list();
  }
  if (strcmp(sub, "fetch") == 0) {
    if (argc != 3) return swell_cli_fail(_("usage: swell-cli weights fetch ARCH (for example resnet34)"));
    return cmd_fetch(argv[2]);
  }
  if (strcmp(sub, "import") == 0) {
    if (argc != 4) return swell_cli_fail(_("usage: swell-cli weights import ARCH FILE"));
    return cmd_import(argv[2], argv[3]);
  }
  return swell_cli_fail(_("unknown weights command “%s”; use list, fetch or import"), sub);
}
