/* test_dataset_check.c: near-duplicate grouping (swell-phash.h) and the
 * health findings of swell-dataset-check.h at their thresholds, on a store of
 * fake images whose hashes are set by hand: chains join into one group, a
 * group is "across splits" only with train and valid/test, deleted images are
 * left out, 10 training / 5 validation images and 3:1 are not findings while
 * 4 and 3.3:1 are, a 64 px side is not small while 63 is; the check on a
 * worker thread. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "swell-dataset-check.h"
#include "swell-phash.h"
#include "swell-project.h"
#include "testutil.h"

static void test_grouping(void) {
  /* 0-1 and 1-2 are 6 bits apart, 0-2 are 12: one chain at 6 */
  const guint64 h[] = {0, 0x3f, 0xfff, 0xffff000000000000ull, 0xfffe000000000000ull, 0xff00ff};
  guint g[G_N_ELEMENTS(h)];
  guint n = swell_phash_group(h, G_N_ELEMENTS(h), 6, g);
  CHECK(n == 2 && g[0] == 1 && g[1] == 1 && g[2] == 1 && g[3] == 2 && g[4] == 2 && g[5] == 0,
        "groups at 6: %u (%u %u %u %u %u %u)", n, g[0], g[1], g[2], g[3], g[4], g[5]);
  n = swell_phash_group(h, G_N_ELEMENTS(h), 0, g);
  CHECK(n == 0 && g[0] == 0 && g[3] == 0, "nothing at 0: %u", n);
  CHECK(swell_phash_distance(0, ~(guint64)0) == 64 && swell_phash_distance(0x5, 0x6) == 2,
        "distances");
  CHECK(swell_phash_group(NULL, 0, 12, NULL) == 0, "no hashes");
  printf("ok   grouping: chains join, numbered by first member\n");
}

static gint64 add(SwellProject *p, gint64 cat, SwellSplit split, int w, int h, guint64 hash) {
  static int serial;
  g_autofree char *name = g_strdup_printf("img%d.png", ++serial);
  g_autoptr(GBytes) b = g_bytes_new(name, strlen(name));
  SwellNewImage ni = {.name = name, .bytes = b, .format = "png", .width = w, .height = h,
                      .category_id = cat, .split = split, .has_phash = TRUE, .phash = hash};
  g_autoptr(GError) e = NULL;
  gint64 id = swell_project_add_image(p, &ni, NULL, &e);
  CHECK(id > 0, "add %s: %s", name, e ? e->message : "");
  return id;
}

/* A pseudo-random hash per n (splitmix64): about 32 bits from any other. */
static guint64 far_hash(int n) {
  guint64 z = (guint64)(n + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* kinds and categories of the findings as one string, e.g. "few-train:b small-images:-" */
static char *summary(const SwellDatasetReport *r) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < r->health->len; i++) {
    SwellHealthFinding *f = r->health->pdata[i];
    g_string_append_printf(s, "%s%s:%s", i ? " " : "", swell_health_kind_to_string(f->kind),
                           f->category ? f->category : "-");
  }
  return g_string_free(s, FALSE);
}

typedef struct {
  gboolean done;
  SwellDatasetReport *report;
  GError *error;
} Checked;

static void on_checked(GObject *source, GAsyncResult *result, gpointer data) {
  Checked *c = data;
  c->report = swell_dataset_check_finish(SWELL_PROJECT(source), result, &c->error);
  c->done = TRUE;
}

/* swell_dataset_check_async() gives what the blocking call gave, and a
 * cancelled check gives G_IO_ERROR_CANCELLED. */
static void test_async(SwellProject *p, const SwellDatasetReport *want) {
  Checked c = {0};
  swell_dataset_check_async(p, NULL, on_checked, &c);
  while (!c.done) g_main_context_iteration(NULL, TRUE);
  g_autofree char *a = c.report ? summary(c.report) : g_strdup(c.error->message);
  g_autofree char *b = summary(want);
  CHECK(c.report && strcmp(a, b) == 0 &&
            c.report->near_duplicates->len == want->near_duplicates->len,
        "async: “%s”, blocking: “%s”", a, b);
  g_clear_pointer(&c.report, swell_dataset_report_free);
  g_clear_error(&c.error);
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_cancellable_cancel(cancel);
  c.done = FALSE;
  swell_dataset_check_async(p, cancel, on_checked, &c);
  while (!c.done) g_main_context_iteration(NULL, TRUE);
  CHECK(!c.report && g_error_matches(c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "cancelled: %s",
        c.error ? c.error->message : "a report");
  g_clear_pointer(&c.report, swell_dataset_report_free);
  g_clear_error(&c.error);
  printf("ok   the check on a worker thread, and cancelled\n");
}

static void test_health(const char *dir) {
  g_autofree char *path = g_build_filename(dir, "health.swell", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(SwellProject) p = swell_project_create(path, &e);
  CHECK(p != NULL, "create: %s", e ? e->message : "");
  if (!p) return;
  gint64 a = swell_project_create_category(p, "a", NULL, &e);
  gint64 b = swell_project_create_category(p, "b", NULL, &e);
  int k = 0;
  /* a: 30 train, 5 valid; b: 10 train, 5 valid: 3:1, the minimums, 64 px */
  for (int i = 0; i < 30; i++) add(p, a, SWELL_SPLIT_TRAIN, 64, 300, far_hash(k++));
  for (int i = 0; i < 10; i++) add(p, b, SWELL_SPLIT_TRAIN, 300, 64, far_hash(k++));
  for (int i = 0; i < 5; i++) add(p, a, SWELL_SPLIT_VALID, 100, 100, far_hash(k++));
  gint64 bv = 0;
  for (int i = 0; i < 5; i++) bv = add(p, b, SWELL_SPLIT_VALID, 100, 100, far_hash(k++));
  g_autoptr(SwellDatasetReport) r0 = swell_dataset_check(p, &e);
  g_autofree char *s0 = r0 ? summary(r0) : g_strdup("(failed)");
  CHECK(r0 && r0->near_duplicates->len == 0 && strcmp(s0, "") == 0, "at the limits: “%s”", s0);

  /* three more in a (33:10 > 3:1), one b valid deleted (4), a 63 px image, two
   * near-duplicates in train only (8 bits apart; a deleted one in valid 4
   * bits from them) */
  add(p, a, SWELL_SPLIT_TRAIN, 100, 100, far_hash(k++));
  CHECK(swell_project_delete_images(p, &bv, 1, &e), "delete");
  gint64 tiny = add(p, 0, SWELL_SPLIT_TRAIN, 63, 500, 0x00ff00ff00ff00ffull);
  gint64 d1 = add(p, a, SWELL_SPLIT_TRAIN, 100, 100, 0x0f0f0f0f0f0f0f0full);
  gint64 d2 = add(p, a, SWELL_SPLIT_TRAIN, 100, 100, 0x0f0f0f0f0f0f0ff0ull);
  gint64 deleted = add(p, a, SWELL_SPLIT_VALID, 100, 100, 0x0f0f0f0f0f0f0f00ull);
  CHECK(swell_project_delete_images(p, &deleted, 1, &e), "delete");
  g_autoptr(SwellDatasetReport) r1 = swell_dataset_check(p, &e);
  g_autofree char *s1 = r1 ? summary(r1) : g_strdup("(failed)");
  CHECK(r1 && strcmp(s1, "few-valid:b imbalance:b small-images:-") == 0, "findings: “%s”", s1);
  SwellHealthFinding *small = r1 && r1->health->len == 3 ? r1->health->pdata[2] : NULL;
  CHECK(small && small->image_ids->len == 1 && g_array_index(small->image_ids, gint64, 0) == tiny,
        "the 63 px image");
  CHECK(r1 && r1->near_duplicates->len == 1 && r1->n_across_splits == 0, "one group in train");

  /* 12 bits from d2, 20 from d1: joins the group through d2; it now reaches test */
  gint64 d3 = add(p, b, SWELL_SPLIT_TEST, 100, 100, 0x0f0f0f0f0f0f0ff0ull ^ 0xfff00ull);
  g_autoptr(SwellDatasetReport) r2 = swell_dataset_check(p, &e);
  SwellNearDuplicateGroup *g = r2 && r2->near_duplicates->len == 1 ? r2->near_duplicates->pdata[0] : NULL;
  CHECK(g && g->across_splits && g->images->len == 3 &&
            ((SwellProjectImage *)g->images->pdata[0])->id == d1 &&
            ((SwellProjectImage *)g->images->pdata[2])->id == d3,
        "the chain across train and test");
  SwellHealthFinding *f = r2 && r2->health->len ? r2->health->pdata[0] : NULL;
  CHECK(f && f->kind == SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS && f->image_ids->len == 3 &&
            g_array_index(f->image_ids, gint64, 1) == d2 && strstr(f->message, "1 group"),
        "across-splits finding: %s", f ? f->message : "none");
  printf("ok   health thresholds, deleted images left out, a near-duplicate chain across splits\n");
  test_async(p, r2);
}

int main(void) {
  const char *base = g_getenv("SWELL_TMP");
  if (!base) base = g_get_tmp_dir();
  g_mkdir_with_parents(base, 0755);
  g_autofree char *tmpl = g_build_filename(base, "test_dataset_check-XXXXXX", NULL);
  char *dir = g_mkdtemp(tmpl);
  if (!dir) return 1;
  test_grouping();
  test_health(dir);
  return sw_test_finish();
}
