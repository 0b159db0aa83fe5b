/* test_crash.c: a child process is killed with SIGKILL in the middle of (a)
 * an import and (b) writing training-run points and labels; the project must
 * then pass PRAGMA integrity_check and hold everything the child had
 * committed (and nothing half-written). The children are fresh copies of this
 * program (exec'd) so they are real separate processes with their own
 * connection. (c) kills a writer while SQLite is checkpointing a large
 * write-ahead log into the database file. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swell-import.h"
#include "swell-project.h"
#include "testutil.h"

#define N_LABEL_IMAGES 10

static char *tmpdir;
static char *datasets;
static char *self_exe;

/* ---------------------------------------------------------------- children */

static void child_progress(guint done, guint total, const char *current, gpointer data) {
  printf("progress %u\n", done);
  fflush(stdout);
}

static int import_child(const char *project, const char *folder) {
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_open(project, &e);
  if (!p) return 2;
  const char *paths[] = {folder, NULL};
  SwellImportOptions o;
  swell_import_options_init(&o);
  o.n_threads = 2;
  g_autoptr(SwellImportResult) r = swell_import_paths(p, paths, &o, child_progress, NULL, NULL, &e);
  printf("done\n");
  return r ? 0 : 3;
}

/* Step b: append 10 points (iterations 10b..10b+9), then relabel image
 * (b % N) to category (b / N) % 2, then report "ok b". */
static int run_child(const char *project) {
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_open(project, &e);
  if (!p) return 2;
  /* the writer starts its own run, as a training process does */
  const char *classes[] = {"a", "b", NULL};
  gint64 run_id = swell_project_create_run(p, "resnet18", NULL, "{}", classes, &e);
  g_autoptr(SwellRunInfo) run = run_id ? swell_project_get_run(p, run_id, &e) : NULL;
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  g_autoptr(GArray) ids = swell_project_list_image_ids(p, &SWELL_IMAGE_QUERY_ALL, &e);
  if (!run || !cats || cats->len != 2 || !ids || ids->len != N_LABEL_IMAGES) return 3;
  for (int b = 0; b < 100000; b++) {
    SwellRunPoint pts[10];
    for (int i = 0; i < 10; i++)
      pts[i] = (SwellRunPoint){.iteration = b * 10 + i, .epoch = b / 20, .loss = 1000.0 + b * 10 + i,
                               .smooth_loss = b, .lr = 1e-3, .mom = 0.9};
    if (!swell_project_append_points(p, run->id, pts, 10, &e)) return 4;
    if (b % 20 == 19) {
      SwellEpochMetrics m = {b / 20, SWELL_STAGE_FROZEN, 1.0, 1.0, 0.5, 0.5, 1.0};
      if (!swell_project_add_epoch(p, run->id, &m, &e)) return 5;
    }
    gint64 id = g_array_index(ids, gint64, b % N_LABEL_IMAGES);
    gint64 cat = ((SwellCategory *)cats->pdata[(b / N_LABEL_IMAGES) % 2])->id;
    if (!swell_project_set_label(p, &id, 1, cat, &e)) return 6;
    printf("ok %d\n", b);
    fflush(stdout);
  }
  return 0;
}

/* Commits round `round`'s labels (every image in category `cat`) with a
 * 24 MB setting in the same transaction, automatic checkpoints off, then
 * checkpoints the log into the database (TRUNCATE) and waits to be killed. */
static int checkpoint_child(const char *project, const char *cat) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(project, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) return 2;
  g_autofree char *sql = g_strdup_printf(
      "PRAGMA wal_autocheckpoint = 0; PRAGMA synchronous = FULL; BEGIN IMMEDIATE;"
      "UPDATE images SET category_id = %s;"
      "INSERT OR REPLACE INTO settings (key, value) VALUES ('pad', randomblob(24000000));"
      "UPDATE change_counters SET counter = counter + 1; COMMIT;",
      cat);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return 3;
  printf("committed\n");
  fflush(stdout);
  if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) return 4;
  printf("checkpointed\n");
  fflush(stdout);
  pause();
  return 0;
}

/* ------------------------------------------------------------------ parent */

/* Starts a child with argv, reads its stdout lines until `stop` returns TRUE
 * (then SIGKILLs it) or it exits; returns the last line seen. */
typedef gboolean (*LineFunc)(const char *line, gpointer data);

static void run_and_kill(char **argv, LineFunc stop, gpointer data, gboolean *killed) {
  GPid pid;
  int out_fd;
  g_autoptr(GError) e = NULL;
  if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL,
                                &out_fd, NULL, &e)) {
    CHECK(FALSE, "spawn: %s", e->message);
    return;
  }
  FILE *f = fdopen(out_fd, "r");
  char *line = NULL;
  size_t cap = 0;
  *killed = FALSE;
  while (getline(&line, &cap, f) > 0) {
    if (stop(line, data)) {
      kill(pid, SIGKILL);
      *killed = TRUE;
      break;
    }
  }
  free(line);
  fclose(f);
  int status;
  waitpid(pid, &status, 0);
  g_spawn_close_pid(pid);
  if (*killed) CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed");
}

/* Stops the child once a line `format` ("progress %d", "ok %d") has reported
 * a count of kill_at or more; last is the latest count reported. */
typedef struct {
  const char *format;
  int kill_at;
  int last;
} CountStop;

static gboolean stop_at_count(const char *line, gpointer data) {
  CountStop *s = data;
  int n;
  if (sscanf(line, s->format, &n) == 1) s->last = n;
  return s->last >= s->kill_at;
}

/* Opens the project a killed child left behind: it must open and pass the
 * integrity check. NULL when it does not open. */
static SwellProject *open_after_kill(const char *path) {
  g_autoptr(GError) e = NULL;
  SwellProject *p = swell_project_open(path, &e);
  CHECK(p != NULL, "open after kill: %s", e ? e->message : "");
  if (p) CHECK(swell_project_check_integrity(p, &e), "integrity after kill: %s", e ? e->message : "");
  return p;
}

static GHashTable *truth_of(const char *set) {
  GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  const char *splits[] = {"train", "valid"};
  const char *classes[] = {"cloudy", "rain", "shine", "sunrise"};
  for (int s = 0; s < 2; s++)
    for (int c = 0; c < 4; c++) {
      g_autofree char *dir = g_build_filename(datasets, set, splits[s], classes[c], NULL);
      g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
      const char *f;
      while (d && (f = g_dir_read_name(d))) {
        g_autofree char *fp = g_build_filename(dir, f, NULL);
        g_autoptr(GMappedFile) m = g_mapped_file_new(fp, FALSE, NULL);
        g_autoptr(GBytes) b = g_mapped_file_get_bytes(m);
        g_hash_table_insert(t, g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, b),
                            g_strdup_printf("%s/%s", splits[s], classes[c]));
      }
    }
  return t;
}

/* Every stored image: bytes match their SHA-256, label and split as the
 * folders said. Returns the number of images. */
static guint verify_images(SwellProject *p, GHashTable *truth) {
  g_autoptr(GError) e = NULL;
  g_autoptr(GPtrArray) imgs = swell_project_list_images(p, &SWELL_IMAGE_QUERY_ALL, &e);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &e);
  CHECK(imgs && cats, "list: %s", e ? e->message : "");
  if (!imgs || !cats) return 0;
  int bad = 0;
  for (guint i = 0; i < imgs->len; i++) {
    SwellProjectImage *img = imgs->pdata[i];
    g_autoptr(GBytes) b = swell_project_get_image_bytes(p, img->id, NULL);
    g_autofree char *sha = b ? g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, b) : NULL;
    g_autoptr(GBytes) thumb = swell_project_get_thumbnail(p, img->id, NULL, NULL);
    const char *cat = "?";
    for (guint c = 0; c < cats->len; c++)
      if (((SwellCategory *)cats->pdata[c])->id == img->category_id)
        cat = ((SwellCategory *)cats->pdata[c])->name;
    g_autofree char *got = g_strdup_printf("%s/%s", swell_split_to_string(img->split), cat);
    if (g_strcmp0(sha, img->sha256) != 0 || !thumb ||
        g_strcmp0(g_hash_table_lookup(truth, img->sha256), got) != 0)
      bad++;
  }
  CHECK(bad == 0, "%d of %u images damaged or mislabeled", bad, imgs->len);
  return imgs->len;
}

static void test_kill_during_import(void) {
  g_autofree char *weather = g_build_filename(datasets, "weather4_small", NULL);
  g_autoptr(GHashTable) truth = truth_of("weather4_small");
  int kill_points[] = {15, 120, 260};
  g_autofree char *path = g_build_filename(tmpdir, "import-kill.swell", NULL);
  g_autoptr(GError) e = NULL;
  {
    g_autoptr(SwellProject) p = swell_project_create(path, &e);
    CHECK(p != NULL, "create: %s", e ? e->message : "");
  }
  guint before = 0;
  for (guint k = 0; k < G_N_ELEMENTS(kill_points); k++) {
    char *argv[] = {self_exe, "--import-child", path, weather, NULL};
    CountStop s = {"progress %d", kill_points[k], 0};
    gboolean killed;
    run_and_kill(argv, stop_at_count, &s, &killed);
    g_autoptr(SwellProject) p = open_after_kill(path);
    if (!p) return;
    guint n = verify_images(p, truth);
    /* Progress N was reported after file N was handled; batches of 32 files
     * are committed before reporting, so at least N - 31 files (2 of them
     * are not images) were committed or already there (duplicates). */
    printf("ok   import killed at progress %d (%s): %u images committed and intact\n", s.last,
           killed ? "SIGKILL" : "finished first", n);
    CHECK(n >= before && n + 33 >= (guint)s.last && n <= 280,
          "committed images %u (progress %d, %u before)", n, s.last, before);
    before = n;
  }
  /* finishing the import afterwards gives the full, correct set */
  g_autoptr(SwellProject) p = swell_project_open(path, &e);
  const char *paths[] = {weather, NULL};
  g_autoptr(SwellImportResult) r = swell_import_paths(p, paths, NULL, NULL, NULL, NULL, &e);
  CHECK(r && r->n_imported + r->n_duplicates == 280, "completed import");
  CHECK(verify_images(p, truth) == 280, "280 images after completing");
}

/* Labels after steps 0..last (category index per image; -1 = as created). */
/* A new project at `path` with categories a and b (ids in cat_ids) and
 * N_LABEL_IMAGES unlabeled images. */
static void make_label_project(const char *path, gint64 cat_ids[2]) {
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  CHECK(p != NULL, "create %s: %s", path, e ? e->message : "");
  if (!p) return;
  cat_ids[0] = swell_project_create_category(p, "a", NULL, &e);
  cat_ids[1] = swell_project_create_category(p, "b", NULL, &e);
  for (int i = 0; i < N_LABEL_IMAGES; i++) {
    g_autofree char *n = g_strdup_printf("img%d", i);
    g_autoptr(GBytes) bytes = g_bytes_new(n, strlen(n));
    SwellNewImage ni = {.name = n, .bytes = bytes, .format = "png"};
    swell_project_add_image(p, &ni, NULL, &e);
  }
}

static void labels_after(int last, int labels[N_LABEL_IMAGES]) {
  for (int i = 0; i < N_LABEL_IMAGES; i++) labels[i] = -1;
  for (int b = 0; b <= last; b++) labels[b % N_LABEL_IMAGES] = (b / N_LABEL_IMAGES) % 2;
}

static void test_kill_during_run(void) {
  g_autofree char *path = g_build_filename(tmpdir, "run-kill.swell", NULL);
  g_autoptr(GError) e = NULL;
  gint64 cat_ids[2];
  make_label_project(path, cat_ids);
  int kill_after[] = {3, 40, 150};
  for (guint k = 0; k < G_N_ELEMENTS(kill_after); k++) {
    /* each round starts a new run from scratch on the same project */
    if (k > 0) {
      g_autoptr(SwellProject) p = swell_project_open(path, &e);
      g_autoptr(GArray) ids = swell_project_list_image_ids(p, &SWELL_IMAGE_QUERY_ALL, &e);
      swell_project_clear_label(p, (gint64 *)ids->data, ids->len, &e);
    }
    char *argv[] = {self_exe, "--run-child", path, NULL};
    CountStop s = {"ok %d", kill_after[k], -1};
    gboolean killed;
    run_and_kill(argv, stop_at_count, &s, &killed);
    CHECK(killed, "run child killed");
    g_autoptr(SwellProject) p = open_after_kill(path);
    if (!p) return;
    g_autoptr(SwellRunInfo) run = swell_project_get_latest_run(p, FALSE, &e);
    g_autoptr(GArray) pts = swell_project_list_points(p, run->id, -1, &e);
    int L = s.last;
    /* step L finished; step L+1 may have committed its points and maybe its label */
    guint n = pts->len;
    CHECK(n == (guint)(L + 1) * 10 || n == (guint)(L + 2) * 10, "points %u after ok %d", n, L);
    int bad_points = 0;
    for (guint i = 0; i < n; i++) {
      SwellRunPoint *pt = &g_array_index(pts, SwellRunPoint, i);
      if (pt->iteration != (gint64)i || pt->loss != 1000.0 + i) bad_points++;
    }
    CHECK(bad_points == 0, "%d points wrong", bad_points);
    g_autoptr(GArray) epochs = swell_project_list_epochs(p, run->id, &e);
    CHECK(epochs->len == (guint)(L + 1) / 20 || epochs->len == (guint)(L + 2) / 20, "epochs %u",
          epochs->len);
    int want_l[N_LABEL_IMAGES], want_next[N_LABEL_IMAGES];
    labels_after(L, want_l);
    labels_after(L + 1, want_next);
    g_autoptr(GPtrArray) imgs = swell_project_list_images(p, &SWELL_IMAGE_QUERY_ALL, &e);
    gboolean match_l = TRUE, match_next = TRUE;
    for (guint i = 0; i < imgs->len && i < N_LABEL_IMAGES; i++) {
      gint64 c = ((SwellProjectImage *)imgs->pdata[i])->category_id;
      gint64 wl = want_l[i] < 0 ? 0 : cat_ids[want_l[i]];
      gint64 wn = want_next[i] < 0 ? 0 : cat_ids[want_next[i]];
      match_l &= c == wl;
      match_next &= c == wn;
    }
    CHECK(match_l || (match_next && n == (guint)(L + 2) * 10),
          "labels are those of step %d (or the next, fully committed)", L);
    /* the killed writer's run no longer claims to be training */
    CHECK(run->status == SWELL_RUN_FAILED && run->message && strstr(run->message, "interrupted"),
          "killed run reads as %s (%s)", swell_run_status_to_string(run->status),
          run->message ? run->message : "no message");
    printf("ok   run writer killed after step %d: %u points, %u epochs, labels of step %d, "
           "integrity ok, run reads as %s: %s\n",
           L, n, epochs->len, match_l ? L : L + 1, swell_run_status_to_string(run->status),
           run->message ? run->message : "");
  }
}

/* Kills after "committed" plus a delay; *mid gets TRUE when the child had
 * not reported the checkpoint done. */
typedef struct {
  int delay_us;
  gboolean mid;
} CheckpointStop;

static gboolean stop_in_checkpoint(const char *line, gpointer data) {
  CheckpointStop *s = data;
  if (g_str_has_prefix(line, "committed")) {
    g_usleep(s->delay_us);
    s->mid = TRUE;
    return TRUE;
  }
  return FALSE;
}

static void test_kill_during_checkpoint(void) {
  g_autofree char *path = g_build_filename(tmpdir, "checkpoint-kill.swell", NULL);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autoptr(GError) e = NULL;
  gint64 cat_ids[2];
  make_label_project(path, cat_ids);
  const int delays_us[] = {0, 2000, 10000, 30000, 80000};
  int mid_checkpoint = 0;
  for (guint k = 0; k < G_N_ELEMENTS(delays_us); k++) {
    gint64 cat = cat_ids[k % 2];
    g_autofree char *cat_s = g_strdup_printf("%" G_GINT64_FORMAT, cat);
    char *argv[] = {self_exe, "--checkpoint-child", path, cat_s, NULL};
    CheckpointStop s = {delays_us[k], FALSE};
    gboolean killed;
    run_and_kill(argv, stop_in_checkpoint, &s, &killed);
    CHECK(killed, "checkpoint child killed");
    /* a -wal file still holding frames: the checkpoint had not finished */
    GStatBuf st;
    gboolean wal_left = g_stat(wal, &st) == 0 && st.st_size > 0;
    if (wal_left) mid_checkpoint++;
    g_autoptr(SwellProject) p = open_after_kill(path);
    if (!p) return;
    g_autoptr(GPtrArray) imgs = swell_project_list_images(p, &SWELL_IMAGE_QUERY_ALL, &e);
    int wrong = imgs ? 0 : N_LABEL_IMAGES;
    for (guint i = 0; imgs && i < imgs->len; i++)
      if (((SwellProjectImage *)imgs->pdata[i])->category_id != cat) wrong++;
    CHECK(imgs && imgs->len == N_LABEL_IMAGES && wrong == 0,
          "after a kill in the checkpoint: %d of %d labels wrong", wrong, N_LABEL_IMAGES);
    g_autofree char *pad = swell_project_get_setting(p, "pad");
    CHECK(pad != NULL, "the committed 24 MB setting is lost");
    printf("ok   writer killed %d ms into the checkpoint (%s): integrity ok, %d labels as "
           "committed\n",
           delays_us[k] / 1000, wal_left ? "log not yet copied" : "checkpoint done",
           N_LABEL_IMAGES - wrong);
  }
  CHECK(mid_checkpoint > 0, "no kill landed while the checkpoint was running");
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--import-child") == 0) return import_child(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "--run-child") == 0) return run_child(argv[2]);
  if (argc == 4 && strcmp(argv[1], "--checkpoint-child") == 0)
    return checkpoint_child(argv[2], argv[3]);
  self_exe = g_file_read_link("/proc/self/exe", NULL);
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  g_mkdir_with_parents(base, 0755);
  g_autofree char *tmpl = g_build_filename(base, "test_crash-XXXXXX", NULL);
  tmpdir = g_mkdtemp(tmpl);
  datasets = sw_test_shared_path("datasets");
  if (!tmpdir || !self_exe) return 1;
  test_kill_during_import();
  test_kill_during_run();
  test_kill_during_checkpoint();
  free(datasets);
  g_free(self_exe);
  return sw_test_finish();
}
