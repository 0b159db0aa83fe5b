/* cli-data.c: swell-cli data commands: new, import, info, export. */
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
#include "swell-import.h"
#include "swell-project.h"

int swell_cli_new(int argc, char **argv);
int swell_cli_import(int argc, char **argv);
int swell_cli_info(int argc, char **argv);
int swell_cli_export(int argc, char **argv);

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

int swell_cli_import(int argc, char **argv) {
  g_autofree char *split_name = NULL;
  GOptionEntry entries[] = {
      {"split", 0, 0, G_OPTION_ARG_STRING, &split_name,
       N_("Put every image in this split (train or valid) instead of the folders’ or the "
          "automatic one"),
       N_("train|valid")},
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

int swell_cli_info(int argc, char **argv) {
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL}, {NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT"),
                     _("Show categories with image counts per split, and training runs."), entries,
                     &status))
    return status;
  if (argc != 2) return swell_cli_fail(_("info: expected one PROJECT"));
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_open(argv[1], &error);
  if (!project) return swell_cli_fail("%s", error->message);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, &error);
  int unlabeled[SWELL_N_SPLITS];
  g_autoptr(GPtrArray) runs = cats && swell_project_count_unlabeled(project, unlabeled, &error)
                                  ? swell_project_list_runs(project, &error)
                                  : NULL;
  gint64 n_images = runs ? swell_project_count_images(project, &SWELL_IMAGE_QUERY_ALL, &error) : -1;
  if (n_images < 0) return swell_cli_fail("%s", error->message);

  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "categories");
    json_builder_begin_array(b);
    for (guint i = 0; i < cats->len; i++) {
      SwellCategory *c = cats->pdata[i];
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "name");
      json_builder_add_string_value(b, c->name);
      add_split_counts(b, c->counts);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "unlabeled");
    json_builder_begin_object(b);
    add_split_counts(b, unlabeled);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "images");
    json_builder_add_int_value(b, n_images);
    json_builder_set_member_name(b, "runs");
    json_builder_begin_array(b);
    for (guint i = 0; i < runs->len; i++) {
      SwellRunInfo *r = runs->pdata[i];
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
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    printf("%s\n", text);
    return 0;
  }

  printf(_("Project: %s\n"), argv[1]);
  printf("%-24s %7s %7s %7s\n", _("Category"), "train", "valid", "test");
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = cats->pdata[i];
    printf("%-24s %7d %7d %7d\n", c->name, c->counts[0], c->counts[1], c->counts[2]);
  }
  printf("%-24s %7d %7d %7d\n", _("(unlabeled)"), unlabeled[0], unlabeled[1], unlabeled[2]);
  printf(_("Images: %lld\n"), (long long)n_images);
  if (runs->len == 0) {
    printf(_("Runs: none\n"));
  } else {
    printf(_("Runs:\n"));
    for (guint i = 0; i < runs->len; i++) {
      SwellRunInfo *r = runs->pdata[i];
      g_autofree char *created = iso_time(r->created);
      g_autofree char *acc = isfinite(r->accuracy) ? g_strdup_printf("%.4f", r->accuracy)
                                                   : g_strdup("-");
      printf(_("  #%lld %s %s accuracy %s %s\n"), (long long)r->id, r->arch,
             swell_run_status_to_string(r->status), acc, created);
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- export */

/* A file-system-safe single path component. */
static char *safe_component(const char *name) {
  GString *s = g_string_new(NULL);
  for (const char *p = name; *p; p++) g_string_append_c(s, (*p == '/' || *p == '\\') ? '_' : *p);
  if (s->len == 0 || s->str[0] == '.') g_string_prepend_c(s, '_');
  return g_string_free(s, FALSE);
}

/* DIR/name, or DIR/stem-2.ext, -3, ... when taken (by a file on disk or by
 * an earlier image of this export). */
static char *unique_path(const char *dir, const char *name, GHashTable *taken) {
  g_autofree char *safe = safe_component(name);
  const char *dot = strrchr(safe, '.');
  g_autofree char *stem = dot && dot != safe ? g_strndup(safe, dot - safe) : g_strdup(safe);
  const char *ext = dot && dot != safe ? dot : "";
  for (int n = 1;; n++) {
    g_autofree char *file = n == 1 ? g_strdup(safe) : g_strdup_printf("%s-%d%s", stem, n, ext);
    char *path = g_build_filename(dir, file, NULL);
    if (!g_hash_table_contains(taken, path) && !g_file_test(path, G_FILE_TEST_EXISTS)) {
      g_hash_table_add(taken, g_strdup(path));
      return path;
    }
    g_free(path);
  }
}

int swell_cli_export(int argc, char **argv) {
  GOptionEntry entries[] = {{NULL}};
  int status = 0;
  if (!parse_options(&argc, &argv, _("PROJECT DIR"),
                     _("Write the labeled images to DIR/<split>/<class>/ with their original "
                       "bytes and names."),
                     entries, &status))
    return status;
  if (argc != 3) return swell_cli_fail(_("export: expected a PROJECT and a DIR"));
  const char *dir = argv[2];
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) project = swell_project_open(argv[1], &error);
  if (!project) return swell_cli_fail("%s", error->message);
  g_autoptr(GPtrArray) cats = swell_project_list_categories(project, &error);
  if (!cats) return swell_cli_fail("%s", error->message);
  SwellImageQuery q = {SWELL_CATEGORY_LABELED, -1, 0, 0};
  g_autoptr(GPtrArray) images = swell_project_list_images(project, &q, &error);
  if (!images) return swell_cli_fail("%s", error->message);
  if (g_mkdir_with_parents(dir, 0755) != 0)
    return swell_cli_fail(_("%s: cannot create the folder (%s)"), dir, g_strerror(errno));
  g_autoptr(GHashTable) taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint n = 0;
  for (guint i = 0; i < images->len; i++) {
    SwellProjectImage *img = images->pdata[i];
    const char *cat = NULL;
    for (guint c = 0; c < cats->len && !cat; c++)
      if (((SwellCategory *)cats->pdata[c])->id == img->category_id)
        cat = ((SwellCategory *)cats->pdata[c])->name;
    if (!cat) continue;
    g_autofree char *cat_dir = safe_component(cat);
    g_autofree char *sub = g_build_filename(dir, swell_split_to_string(img->split), cat_dir, NULL);
    if (g_mkdir_with_parents(sub, 0755) != 0)
      return swell_cli_fail(_("%s: cannot create the folder (%s)"), sub, g_strerror(errno));
    g_autoptr(GBytes) bytes = swell_project_get_image_bytes(project, img->id, &error);
    if (!bytes) return swell_cli_fail("%s", error->message);
    g_autofree char *path = unique_path(sub, img->name, taken);
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    /* written to a temporary name and renamed: a failed write leaves no partial file */
    if (!g_file_set_contents(path, data, (gssize)len, &error))
      return swell_cli_fail(_("%s: cannot write the image (%s)"), path,
                            error->code == G_FILE_ERROR_NOSPC ? g_strerror(ENOSPC) : error->message);
    n++;
  }
  printf(g_dngettext(GETTEXT_PACKAGE, "Exported %u image to %s\n", "Exported %u images to %s\n", n),
         n, dir);
  return 0;
}
