/* data.c: swell-cli data commands: new, import, info, export. */
#include "swell-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swell-cli.h"
#include "swell-dataset-check.h"
#include "swell-export.h"
#include "swell-import.h"
#include "swell-metrics.h"
#include "swell-project.h"


/* Parses options; on failure prints the one-line reason and returns FALSE. */
static gboolean parse_options(int *argc, char ***argv, const char *params, const char *summary,
                              GOptionEntry *entries, int *status) {
  g_autoptr(GOptionContext) ctx = g_option_context_new(params);
  g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    *status = swell_cli_fail("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------- new */

int swell_cli_new(int argc, char **argv) {
  g_autofree char *categories = NULL;
  GOptionEntry entries[] = {
      {"categories", 0, 0, G_OPTION_ARG_STRING, &categories,
       N_("Comma-separated category names to create"), N_("A,B,C")},
      {NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT"), _("Create a new, empty project file."), entries,
                     &status))
    return status;
  if (argc != 2) return swell_cli_fail(_("new: expected one PROJECT file name"));
  const char *path = argv[1];
  g_auto(GStrv) names = categories ? g_strsplit(categories, ",", -1) : g_new0(char *, 1);
  /* Check the names before creating anything. */
  for (guint i = 0; names[i]; i++) {
    g_strstrip(names[i]);
    if (!*names[i]) return swell_cli_fail(_("new: empty category name in “%s”"), categories);
    g_autoptr(GError) invalid = NULL;
    if (!swell_category_check_name(names[i], &invalid))
      return swell_cli_fail(_("new: %s"), invalid->message);
    for (guint j = 0; j < i; j++)
      if (g_utf8_collate(names[i], names[j]) == 0 || g_ascii_strcasecmp(names[i], names[j]) == 0)
        return swell_cli_fail(_("new: the category “%s” is named twice"), names[i]);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_create(path, &error);
  if (!project) return swell_cli_fail("%s", error->message);
  for (guint i = 0; names[i]; i++)
    if (!swell_project_create_category(project, names[i], NULL, &error)) {
      g_clear_object(&project);
      g_unlink(path);
      return swell_cli_fail("%s", error->message);
    }
  printf(_("Created %s with %u categories\n"), path, g_strv_length(names));
  return 0;
}

/* ---------------------------------------------------------------- import */

static void print_progress(guint done, guint total, const char *current, gpointer data) {
  /* Only on a terminal: \r-updated line on stderr. */
  fputc('\r', stderr);
  fprintf(stderr, _("Importing %u/%u"), done, total);
  if (done == total) fprintf(stderr, "\n");
  fflush(stderr);
}

/* The id of the category named `name`, made when there is none; 0 with an error. */
static gint64 find_or_create_category(SwellProject *project, const char *name, GError **error) {
  g_autoptr(GError) local = NULL;
  g_autoptr(SwellCategory) c = swell_project_find_category(project, name, &local);
  if (c) return c->id;
  if (!g_error_matches(local, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return 0;
  }
  return swell_project_create_category(project, name, NULL, error);
}

int swell_cli_import(int argc, char **argv) {
  g_autofree char *split_name = NULL, *category = NULL;
  GOptionEntry entries[] = {
      {"split", 0, 0, G_OPTION_ARG_STRING, &split_name,
       N_("Put every image in this split (train or valid) instead of the folders’ or the "
          "automatic one"),
       N_("train|valid")},
      {"category", 0, 0, G_OPTION_ARG_STRING, &category,
       N_("Label every imported image with this category (created if needed) instead of the "
          "folders’ names"),
       "C"},
      {NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT PATH…"),
                     _("Import image files and folders (<class>/<files> or "
                       "<split>/<class>/<files>) into a project."),
                     entries, &status))
    return status;
  if (argc < 3) return swell_cli_fail(_("import: expected a PROJECT and at least one PATH"));
  SwellImportOptions opts;
  swell_import_options_init(&opts);
  if (split_name) {
    SwellSplit s;
    if (!swell_split_from_string(split_name, &s))
      return swell_cli_fail(_("import: unknown split “%s” (use train or valid)"), split_name);
    opts.split = s;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_open(argv[1], &error);
  if (!project) return swell_cli_fail("%s", error->message);
  if (category && !(opts.category_id = find_or_create_category(project, category, &error)))
    return swell_cli_fail(_("import: the category “%s” cannot be made: %s"), category,
                          error->message);
  g_autoptr(SwellImportResult) r =
      swell_import_paths(project, (const char *const *)argv + 2, &opts,
                         isatty(STDERR_FILENO) ? print_progress : NULL, NULL, NULL, &error);
  if (!r) return swell_cli_fail("%s", error->message);
  g_autofree char *summary = swell_import_result_summary(r);
  printf("%s\n", summary);
  for (guint i = 0; i < r->items->len; i++) {
    SwellImportItem *it = r->items->pdata[i];
    if (it->outcome == SWELL_IMPORT_DUPLICATE) printf(_("  duplicate: %s\n"), it->reason);
  }
  for (guint i = 0; i < r->items->len; i++) {
    SwellImportItem *it = r->items->pdata[i];
    if (it->outcome == SWELL_IMPORT_REJECTED) printf(_("  rejected: %s\n"), it->reason);
  }
  return 0;
}

/* ------------------------------------------------------------------ info */

static char *iso_time(gint64 unix_seconds) {
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
  return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

static void add_split_counts(JsonBuilder *b, const int counts[SWELL_N_SPLITS]) {
  for (int s = 0; s < SWELL_N_SPLITS; s++) {
    json_builder_set_member_name(b, swell_split_to_string(s));
    json_builder_add_int_value(b, counts[s]);
  }
}

static void add_id_array(JsonBuilder *b, const gint64 *ids, guint n) {
  json_builder_begin_array(b);
  for (guint i = 0; i < n; i++) json_builder_add_int_value(b, ids[i]);
  json_builder_end_array(b);
}

/* "near_duplicates" (every group), "near_duplicates_across_splits" (those
 * split between train and valid or test), both lists of id lists. */
static void add_near_duplicates(JsonBuilder *b, const SwellDatasetReport *r) {
  for (int across = 0; across <= 1; across++) {
    json_builder_set_member_name(b, across ? "near_duplicates_across_splits" : "near_duplicates");
    json_builder_begin_array(b);
    for (guint g = 0; g < r->near_duplicates->len; g++) {
      SwellNearDuplicateGroup *group = r->near_duplicates->pdata[g];
      if (across && !group->across_splits) continue;
      json_builder_begin_array(b);
      for (guint i = 0; i < group->images->len; i++)
        json_builder_add_int_value(b, ((SwellProjectImage *)group->images->pdata[i])->id);
      json_builder_end_array(b);
    }
    json_builder_end_array(b);
  }
}

/* "health": [{"kind", "category" (or null), "message", "images": [ids]}]. */
static void add_health(JsonBuilder *b, const SwellDatasetReport *r) {
  json_builder_set_member_name(b, "health");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->health->len; i++) {
    SwellHealthFinding *f = r->health->pdata[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, swell_health_kind_to_string(f->kind));
    json_builder_set_member_name(b, "category");
    if (f->category) json_builder_add_string_value(b, f->category);
    else json_builder_add_null_value(b);
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, f->message);
    json_builder_set_member_name(b, "images");
    add_id_array(b, (const gint64 *)(void *)f->image_ids->data, f->image_ids->len);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

typedef struct {
  GPtrArray *cats;
  int unlabeled[SWELL_N_SPLITS];
  gint64 n_images;
  GPtrArray *runs;
  SwellDatasetReport *report;
} ProjectInfo;

static void print_info_json(const ProjectInfo *in) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "categories");
  json_builder_begin_array(b);
  for (guint i = 0; i < in->cats->len; i++) {
    SwellCategory *c = in->cats->pdata[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, c->name);
    add_split_counts(b, c->counts);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "unlabeled");
  json_builder_begin_object(b);
  add_split_counts(b, in->unlabeled);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "images");
  json_builder_add_int_value(b, in->n_images);
  json_builder_set_member_name(b, "runs");
  json_builder_begin_array(b);
  for (guint i = 0; i < in->runs->len; i++) {
    SwellRunInfo *r = in->runs->pdata[i];
    g_autofree char *created = iso_time(r->created);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, r->id);
    json_builder_set_member_name(b, "arch");
    json_builder_add_string_value(b, r->arch);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, swell_run_status_to_string(r->status));
    json_builder_set_member_name(b, "accuracy");
    if (isfinite(r->accuracy)) json_builder_add_double_value(b, r->accuracy);
    else json_builder_add_null_value(b);
    json_builder_set_member_name(b, "created");
    json_builder_add_string_value(b, created);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  add_near_duplicates(b, in->report);
  add_health(b, in->report);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, FALSE);
  printf("%s\n", text);
}

/* "#12 cloudy206.jpg (train, cloudy)" */
static char *describe_image(const SwellProjectImage *img, GPtrArray *cats) {
  const char *label = _("unlabeled");
  for (guint i = 0; i < cats->len; i++)
    if (((SwellCategory *)cats->pdata[i])->id == img->category_id)
      label = ((SwellCategory *)cats->pdata[i])->name;
  return g_strdup_printf("#%lld %s (%s, %s)", (long long)img->id, img->name,
                         swell_split_to_string(img->split), label);
}

static void print_near_duplicates(const SwellDatasetReport *r, GPtrArray *cats) {
  guint n = r->near_duplicates->len;
  if (n == 0) printf(_("Near-duplicates: none\n"));
  else
    printf(g_dngettext(GETTEXT_PACKAGE, "Near-duplicates: %u group (%u across splits)\n",
                       "Near-duplicates: %u groups (%u across splits)\n", n),
           n, r->n_across_splits);
  for (guint g = 0; g < n; g++) {
    SwellNearDuplicateGroup *group = r->near_duplicates->pdata[g];
    g_autoptr(GString) line = g_string_new(NULL);
    for (guint i = 0; i < group->images->len; i++) {
      g_autofree char *d = describe_image(group->images->pdata[i], cats);
      g_string_append_printf(line, "%s%s", i ? ", " : "", d);
    }
    if (group->across_splits) printf(_("  across splits: %s\n"), line->str);
    else printf("  %s\n", line->str);
  }
  if (r->n_unhashed > 0)
    printf(g_dngettext(GETTEXT_PACKAGE, "  (%u image could not be decoded and was not compared)\n",
                       "  (%u images could not be decoded and were not compared)\n",
                       r->n_unhashed),
           r->n_unhashed);
}

static void print_health(const SwellDatasetReport *r) {
  if (r->health->len == 0) {
    printf(_("Dataset health: no problems found\n"));
    return;
  }
  printf(_("Dataset health:\n"));
  for (guint i = 0; i < r->health->len; i++)
    printf("  %s\n", ((SwellHealthFinding *)r->health->pdata[i])->message);
}

static void print_info_text(const char *path, const ProjectInfo *in) {
  printf(_("Project: %s\n"), path);
  printf("%-24s %7s %7s %7s\n", _("Category"), "train", "valid", "test");
  for (guint i = 0; i < in->cats->len; i++) {
    SwellCategory *c = in->cats->pdata[i];
    printf("%-24s %7d %7d %7d\n", c->name, c->counts[0], c->counts[1], c->counts[2]);
  }
  printf("%-24s %7d %7d %7d\n", _("(unlabeled)"), in->unlabeled[0], in->unlabeled[1],
         in->unlabeled[2]);
  printf(_("Images: %lld\n"), (long long)in->n_images);
  if (in->runs->len == 0) {
    printf(_("Runs: none\n"));
  } else {
    printf(_("Runs:\n"));
    for (guint i = 0; i < in->runs->len; i++) {
      SwellRunInfo *r = in->runs->pdata[i];
      g_autofree char *created = iso_time(r->created);
      g_autofree char *acc = swell_accuracy_to_string(r->accuracy);
      printf(_("  #%lld %s %s accuracy %s %s\n"), (long long)r->id, r->arch,
             swell_run_status_to_string(r->status), acc, created);
    }
  }
  print_near_duplicates(in->report, in->cats);
  print_health(in->report);
}

int swell_cli_info(int argc, char **argv) {
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL}, {NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT"),
                     _("Show categories with image counts per split, training runs, "
                       "near-duplicate photos and what to fix in the data."),
                     entries, &status))
    return status;
  if (argc != 2) return swell_cli_fail(_("info: expected one PROJECT"));
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_open(argv[1], &error);
  if (!project) return swell_cli_fail("%s", error->message);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, &error);
  ProjectInfo in = {.cats = cats};
  g_autoptr(GPtrArray) runs = cats && swell_project_count_unlabeled(project, in.unlabeled, &error)
                                  ? swell_project_list_runs(project, &error)
                                  : NULL;
  in.runs = runs;
  in.n_images = runs ? swell_project_count_images(project, &SWELL_IMAGE_QUERY_ALL, &error) : -1;
  g_autoptr(SwellDatasetReport) report =
      in.n_images >= 0 ? swell_dataset_check(project, &error) : NULL;
  if (!report) return swell_cli_fail("%s", error->message);
  in.report = report;
  if (json) print_info_json(&in);
  else print_info_text(argv[1], &in);
  return 0;
}

/* ---------------------------------------------------------------- export */

int swell_cli_export(int argc, char **argv) {
  gboolean force = FALSE;
  GOptionEntry entries[] = {
      {"force", 0, 0, G_OPTION_ARG_NONE, &force,
       N_("Replace DIR when it holds an earlier export (only <split>/<class>/<file> entries)"),
       NULL},
      {NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT DIR"),
                     /* xgettext:no-c-format */
                     _("Write the labeled images to DIR/<split>/<class>/ with their original "
                       "bytes and names.\n"
                       "DIR must be new or empty; an earlier export there is refused unless "
                       "--force is given,\nand a folder holding anything else is never "
                       "replaced. The export is written beside DIR\nand renamed to it when "
                       "complete, so a failure leaves DIR as it was.\n"
                       "Class folder names write / \\ : * ? \" < > | %, control characters and "
                       "a leading or trailing .\nas %XX; import reads them back."),
                     entries, &status))
    return status;
  if (argc != 3) return swell_cli_fail(_("export: expected a PROJECT and a DIR"));
  const char *dir = argv[2];
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_open(argv[1], &error);
  if (!project) return swell_cli_fail("%s", error->message);
  guint n = 0;
  if (!swell_export_project(project, dir, force, &n, &error)) {
    if (g_error_matches(error, SWELL_EXPORT_ERROR, SWELL_EXPORT_ERROR_EXISTS))
      return swell_cli_fail(_("%s; add --force to replace it"), error->message);
    return swell_cli_fail("%s", error->message);
  }
  printf(g_dngettext(GETTEXT_PACKAGE, "Exported %u image to %s\n", "Exported %u images to %s\n", n),
         n, dir);
  return 0;
}
