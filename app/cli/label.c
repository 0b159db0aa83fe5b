/* label.c: swell-cli labeling commands: images, set, delete, split, categories, runs.
 * Each command that changes the project is one transaction. */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "swell-cli.h"
#include "swell-metrics.h"
#include "swell-project.h"

/* ------------------------------------------------------------- helpers */

static SwellProject *open_project(const char *path) {
  g_autoptr(GError) error = NULL;
  SwellProject *p = swell_project_open(path, &error);
  if (!p) swell_cli_fail("%s", error->message);
  return p;
}

/* argv[0..argc) as image ids; FALSE (reason printed) on a word that is not one. */
static GArray *parse_ids(int argc, char **argv, const char *command) {
  GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (int i = 0; i < argc; i++) {
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(argv[i], 10, 1, G_MAXINT64, &v, NULL)) {
      swell_cli_fail(_("%s: “%s” is not an image id (ids are numbers, see “swell-cli images”)"),
                     command, argv[i]);
      g_array_unref(ids);
      return NULL;
    }
    gint64 id = (gint64)v;
    g_array_append_val(ids, id);
  }
  return ids;
}

static gboolean parse_split(const char *command, const char *name, SwellSplit *split) {
  if (swell_split_from_string(name, split)) return TRUE;
  swell_cli_fail(_("%s: unknown split “%s” (use train, valid or test)"), command, name);
  return FALSE;
}

/* The category named `name` (case-insensitive); NULL with the reason printed. */
static SwellCategory *find_category(SwellProject *p, const char *name) {
  g_autoptr(GError) error = NULL;
  SwellCategory *c = swell_project_find_category(p, name, &error);
  if (!c && g_error_matches(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND))
    swell_cli_fail(_("%s: unknown category “%s” (see “swell-cli categories %s list”)"),
                   swell_project_get_path(p), name, swell_project_get_path(p));
  else if (!c)
    swell_cli_fail("%s", error->message);
  return c;
}

/* --category C / --unlabeled into *id (0: unlabeled; unchanged when neither is
 * given); FALSE with the reason printed. */
static gboolean category_option(SwellProject *p, const char *command, const char *name,
                                gboolean unlabeled, gint64 *id) {
  if (name && unlabeled) {
    swell_cli_fail(_("%s: give either --category or --unlabeled, not both"), command);
    return FALSE;
  }
  if (unlabeled) *id = SWELL_CATEGORY_UNLABELED;
  if (!name) return TRUE;
  g_autoptr(SwellCategory) c = find_category(p, name);
  if (c) *id = c->id;
  return c != NULL;
}

static void add_string_or_null(JsonBuilder *b, const char *name, const char *value) {
  json_builder_set_member_name(b, name);
  if (value) json_builder_add_string_value(b, value);
  else json_builder_add_null_value(b);
}

static char *iso_time(gint64 unix_seconds) {
  if (unix_seconds <= 0) return NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
  return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/* --------------------------------------------------------------- images */

/* Category id -> name. */
static GHashTable *category_names(GPtrArray *cats) {
  GHashTable *t = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = cats->pdata[i];
    g_hash_table_insert(t, &c->id, c->name);
  }
  return t;
}

/* The latest run's predictions by image id (SwellPrediction * into `preds`): of every image
 * it predicted (validation, training, test and unlabeled images). */
static GHashTable *latest_predictions(SwellProject *p, SwellRunInfo **run, GArray **preds,
                                      GError **error) {
  GHashTable *t = g_hash_table_new(g_int64_hash, g_int64_equal);
  *run = swell_project_get_latest_run(p, FALSE, error);
  if (!*run) return (error && *error) ? (g_hash_table_unref(t), NULL) : t;
  *preds = swell_project_list_predictions_of(p, (*run)->id, SWELL_PREDICTIONS_ALL, error);
  if (!*preds) {
    g_hash_table_unref(t);
    return NULL;
  }
  for (guint i = 0; i < (*preds)->len; i++) {
    SwellPrediction *pr = &g_array_index(*preds, SwellPrediction, i);
    if (pr->predicted >= 0 && (guint)pr->predicted < g_strv_length((*run)->class_names))
      g_hash_table_insert(t, &pr->image_id, pr);
  }
  return t;
}

static void print_image(JsonBuilder *b, const SwellProjectImage *img, const char *cat,
                        const SwellRunInfo *run, const SwellPrediction *pr) {
  const char *pred = pr ? run->class_names[pr->predicted] : NULL;
  if (!b) {
    printf("%lld\t%s\t%s\t%s", (long long)img->id, img->name, cat ? cat : _("(unlabeled)"),
           swell_split_to_string(img->split));
    if (pr) printf("\t%s %.4f", pred, pr->probs[pr->predicted]);
    printf("\n");
    return;
  }
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, img->id);
  json_builder_set_member_name(b, "file");
  json_builder_add_string_value(b, img->name);
  add_string_or_null(b, "category", cat);
  json_builder_set_member_name(b, "split");
  json_builder_add_string_value(b, swell_split_to_string(img->split));
  if (pr) {
    json_builder_set_member_name(b, "prediction");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "category");
    json_builder_add_string_value(b, pred);
    json_builder_set_member_name(b, "probability");
    json_builder_add_double_value(b, pr->probs[pr->predicted]);
    json_builder_end_object(b);
  }
  json_builder_end_object(b);
}

int swell_cli_images(int argc, char **argv) {
  g_autofree char *category = NULL, *split_name = NULL;
  gboolean unlabeled = FALSE, json = FALSE;
  GOptionEntry entries[] = {
      {"category", 0, 0, G_OPTION_ARG_STRING, &category, N_("Only images of this category"), "C"},
      {"unlabeled", 0, 0, G_OPTION_ARG_NONE, &unlabeled, N_("Only unlabeled images"), NULL},
      {"split", 0, 0, G_OPTION_ARG_STRING, &split_name, N_("Only images of this split"),
       N_("train|valid|test")},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
       N_("Print one JSON array: {\"id\", \"file\", \"category\" (null: unlabeled), \"split\", "
          "\"prediction\": {\"category\", \"probability\"} (the latest run’s, when it has one: "
          "labeled and unlabeled images)} per image"),
       NULL},
      {NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT"), &argc, &argv)) return 2;
  if (argc != 2) return swell_cli_fail(_("images: expected one PROJECT"));
  SwellSplit split = 0;
  if (split_name && !parse_split("images", split_name, &split)) return 1;
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  gint64 cat = SWELL_CATEGORY_ANY;
  if (!category_option(p, "images", category, unlabeled, &cat)) return 1;
  g_autoptr(GError) error = NULL;
  SwellImageQuery q = {cat, split_name ? (int)split : -1, 0, 0};
  g_autoptr(GPtrArray) images = swell_project_list_images(p, &q, &error);
  g_autoptr(GPtrArray) cats = images ? swell_project_list_categories(p, &error) : NULL;
  g_autoptr(SwellRunInfo) run = NULL;
  g_autoptr(GArray) preds = NULL;
  g_autoptr(GHashTable) by_image = cats ? latest_predictions(p, &run, &preds, &error) : NULL;
  if (!by_image) return swell_cli_fail("%s", error->message);
  g_autoptr(GHashTable) names = category_names(cats);
  g_autoptr(JsonBuilder) b = json ? json_builder_new() : NULL;
  if (b) json_builder_begin_array(b);
  for (guint i = 0; i < images->len; i++) {
    SwellProjectImage *img = images->pdata[i];
    print_image(b, img, g_hash_table_lookup(names, &img->category_id), run,
                g_hash_table_lookup(by_image, &img->id));
  }
  if (b) {
    json_builder_end_array(b);
    swell_cli_print_json(b);
  }
  return 0;
}

/* ------------------------------------------------------------ set, delete */

/* --predicted: the latest run's predictions as labels (inside the command's transaction). */
static gboolean set_predicted(SwellProject *p, GArray *ids, double min_confidence, guint *n_labeled,
                              GError **error) {
  g_autoptr(SwellRunInfo) run = swell_project_get_latest_run(p, FALSE, error);
  if (!run) {
    if (!*error)
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: no training runs yet, so no predictions (use “swell-cli train”)"),
                  swell_project_get_path(p));
    return FALSE;
  }
  return swell_project_label_with_predictions(p, run->id, (const gint64 *)(void *)ids->data,
                                              ids->len, min_confidence, n_labeled, error);
}

static void print_set_result(guint n_ids, gboolean predicted, guint n_labeled, double min) {
  if (!predicted) {
    printf(g_dngettext(GETTEXT_PACKAGE, "Changed %u image\n", "Changed %u images\n", n_ids), n_ids);
    return;
  }
  printf(g_dngettext(GETTEXT_PACKAGE, "Labeled %u image with its predicted category",
                     "Labeled %u images with their predicted category", n_labeled),
         n_labeled);
  if (n_labeled < n_ids)
    printf(g_dngettext(GETTEXT_PACKAGE, "; %u below %.2f left as it was",
                       "; %u below %.2f left as they were", n_ids - n_labeled),
           n_ids - n_labeled, min);
  printf("\n");
}

int swell_cli_set(int argc, char **argv) {
  g_autofree char *category = NULL, *split_name = NULL;
  gboolean unlabeled = FALSE, predicted = FALSE;
  double min_confidence = 0;
  GOptionEntry entries[] = {
      {"category", 0, 0, G_OPTION_ARG_STRING, &category, N_("Label the images with this category"),
       "C"},
      {"unlabeled", 0, 0, G_OPTION_ARG_NONE, &unlabeled, N_("Remove the images’ labels"), NULL},
      {"predicted", 0, 0, G_OPTION_ARG_NONE, &predicted,
       N_("Label the images with the category the latest run predicts for them (see “images "
          "--json”)"),
       NULL},
      {"min-confidence", 0, 0, G_OPTION_ARG_DOUBLE, &min_confidence,
       N_("With --predicted: only the images predicted with at least this probability (0 to 1; "
          "default 0); the others stay as they are"),
       "P"},
      {"split", 0, 0, G_OPTION_ARG_STRING, &split_name, N_("Move the images to this split"),
       N_("train|valid|test")},
      {NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT ID…"), &argc, &argv)) return 2;
  if (argc < 3) return swell_cli_fail(_("set: expected a PROJECT and at least one image ID"));
  if (!category && !unlabeled && !split_name && !predicted)
    return swell_cli_fail(
        _("set: nothing to change (give --category, --unlabeled, --predicted or --split)"));
  if (predicted && (category || unlabeled))
    return swell_cli_fail(_("set: give either --predicted or --category/--unlabeled, not both"));
  if (!(min_confidence >= 0 && min_confidence <= 1))
    return swell_cli_fail(_("set: --min-confidence must be between 0 and 1 (got %g)"),
                          min_confidence);
  if (min_confidence > 0 && !predicted)
    return swell_cli_fail(_("set: --min-confidence goes with --predicted"));
  SwellSplit split = 0;
  if (split_name && !parse_split("set", split_name, &split)) return 1;
  g_autoptr(GArray) ids = parse_ids(argc - 2, argv + 2, "set");
  if (!ids) return 1;
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  gint64 cat = -1; /* -1: labels unchanged */
  if (!category_option(p, "set", category, unlabeled, &cat)) return 1;
  g_autoptr(GError) error = NULL;
  const gint64 *v = (const gint64 *)(void *)ids->data;
  guint n_labeled = 0;
  gboolean ok = swell_project_begin(p, &error) &&
                (cat < 0 || swell_project_set_label(p, v, ids->len, cat, &error)) &&
                (!predicted || set_predicted(p, ids, min_confidence, &n_labeled, &error)) &&
                (!split_name || swell_project_set_split(p, v, ids->len, split, &error)) &&
                swell_project_commit(p, &error);
  if (!ok) {
    swell_project_rollback(p);
    return swell_cli_fail("%s", error->message);
  }
  print_set_result(ids->len, predicted, n_labeled, min_confidence);
  return 0;
}

int swell_cli_delete(int argc, char **argv) {
  GOptionEntry entries[] = {{NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT ID…"), &argc, &argv)) return 2;
  if (argc < 3) return swell_cli_fail(_("delete: expected a PROJECT and at least one image ID"));
  g_autoptr(GArray) ids = parse_ids(argc - 2, argv + 2, "delete");
  if (!ids) return 1;
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  g_autoptr(GError) error = NULL;
  /* the soft delete the window's undo uses: the bytes stay in the file */
  if (!swell_project_delete_images(p, (const gint64 *)(void *)ids->data, ids->len, &error))
    return swell_cli_fail("%s", error->message);
  printf(g_dngettext(GETTEXT_PACKAGE, "Deleted %u image\n", "Deleted %u images\n", ids->len),
         ids->len);
  return 0;
}

/* ---------------------------------------------------------------- split */

int swell_cli_split(int argc, char **argv) {
  int pct = 20;
  g_autofree char *seed = NULL;
  GOptionEntry entries[] = {
      {"valid-pct", 0, 0, G_OPTION_ARG_INT, &pct,
       N_("Share of each category’s train and valid images to put in valid (default 20)"), "PCT"},
      {"seed", 0, 0, G_OPTION_ARG_STRING, &seed,
       N_("Seed of the draw, kept as the project’s split seed (default: the project’s, 42)"), "N"},
      {NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT"), &argc, &argv)) return 2;
  if (argc != 2) return swell_cli_fail(_("split: expected one PROJECT"));
  if (pct < 1 || pct > 99)
    return swell_cli_fail(_("split: --valid-pct must be between 1 and 99 (got %d)"), pct);
  if (seed && !g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT64, NULL, NULL))
    return swell_cli_fail(_("split: --seed must be a whole number ≥ 0 (got “%s”)"), seed);
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  g_autoptr(GError) error = NULL;
  if (!swell_project_redraw_split(p, pct / 100.0, seed, &error))
    return swell_cli_fail("%s", error->message);
  gint64 n[2];
  for (int s = 0; s < 2; s++) {
    SwellImageQuery q = {SWELL_CATEGORY_ANY, s, 0, 0};
    n[s] = swell_project_count_images(p, &q, &error);
    if (n[s] < 0) return swell_cli_fail("%s", error->message);
  }
  printf(_("Split %lld images: %lld train, %lld valid\n"), (long long)(n[0] + n[1]),
         (long long)n[0], (long long)n[1]);
  return 0;
}

/* ----------------------------------------------------------- categories */

static int categories_list(SwellProject *p, gboolean json) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cats = swell_project_list_categories(p, &error);
  if (!cats) return swell_cli_fail("%s", error->message);
  g_autoptr(JsonBuilder) b = json ? json_builder_new() : NULL;
  if (b) json_builder_begin_array(b);
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = cats->pdata[i];
    if (!b) {
      printf("%s\t%s\t%d\t%d\t%d\n", c->name, c->color, c->counts[0], c->counts[1], c->counts[2]);
      continue;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, c->name);
    json_builder_set_member_name(b, "color");
    json_builder_add_string_value(b, c->color);
    for (int s = 0; s < SWELL_N_SPLITS; s++) {
      json_builder_set_member_name(b, swell_split_to_string(s));
      json_builder_add_int_value(b, c->counts[s]);
    }
    json_builder_end_object(b);
  }
  if (b) {
    json_builder_end_array(b);
    swell_cli_print_json(b);
  }
  return 0;
}

/* add NAME… / delete NAME…, all in one transaction. */
static int categories_add_delete(SwellProject *p, gboolean add, int n, char **names) {
  g_autoptr(GError) error = NULL;
  if (!swell_project_begin(p, &error)) return swell_cli_fail("%s", error->message);
  for (int i = 0; i < n; i++) {
    g_autoptr(SwellCategory) c = add ? NULL : find_category(p, names[i]);
    gboolean ok = add ? swell_project_create_category(p, names[i], NULL, &error) != 0
                      : c && swell_project_delete_category(p, c->id, &error);
    if (!ok) {
      swell_project_rollback(p);
      return error ? swell_cli_fail("%s", error->message) : 1;
    }
  }
  if (!swell_project_commit(p, &error)) return swell_cli_fail("%s", error->message);
  if (add)
    printf(g_dngettext(GETTEXT_PACKAGE, "Added %d category\n", "Added %d categories\n", n), n);
  else
    printf(g_dngettext(GETTEXT_PACKAGE, "Deleted %d category (its images are now unlabeled)\n",
                       "Deleted %d categories (their images are now unlabeled)\n", n),
           n);
  return 0;
}

int swell_cli_categories(int argc, char **argv) {
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
       N_("list: print one JSON array of {\"name\", \"color\", \"train\", \"valid\", \"test\"}"),
       NULL},
      {NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT add NAME… | rename OLD NEW | delete NAME… | list"),
                               &argc, &argv))
    return 2;
  if (argc < 3) return swell_cli_fail(_("categories: expected a PROJECT and add, rename, delete or list"));
  const char *op = argv[2];
  gboolean list = strcmp(op, "list") == 0, rename = strcmp(op, "rename") == 0;
  gboolean add = strcmp(op, "add") == 0, del = strcmp(op, "delete") == 0;
  if (!list && !rename && !add && !del)
    return swell_cli_fail(_("categories: unknown action “%s” (use add, rename, delete or list)"), op);
  if (list && argc != 3) return swell_cli_fail(_("categories list: expected no other argument"));
  if (rename && argc != 5) return swell_cli_fail(_("categories rename: expected OLD and NEW names"));
  if ((add || del) && argc < 4)
    return swell_cli_fail(_("categories %s: expected at least one NAME"), op);
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  if (list) return categories_list(p, json);
  if (add || del) return categories_add_delete(p, add, argc - 3, argv + 3);
  g_autoptr(SwellCategory) c = find_category(p, argv[3]);
  if (!c) return 1;
  g_autoptr(GError) error = NULL;
  if (!swell_project_rename_category(p, c->id, argv[4], &error))
    return swell_cli_fail("%s", error->message);
  printf(_("Renamed “%s” to “%s”\n"), c->name, g_strstrip(argv[4]));
  return 0;
}

/* ----------------------------------------------------------------- runs */

static void add_run_json(JsonBuilder *b, const SwellRunInfo *r) {
  g_autofree char *created = iso_time(r->created), *finished = iso_time(r->finished);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, r->id);
  json_builder_set_member_name(b, "arch");
  json_builder_add_string_value(b, r->arch);
  add_string_or_null(b, "weights", r->weights);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, swell_run_status_to_string(r->status));
  add_string_or_null(b, "message", r->message);
  swell_cli_add_double(b, "accuracy", r->accuracy);
  swell_cli_add_double(b, "valid_loss", r->valid_loss);
  json_builder_set_member_name(b, "epochs");
  json_builder_add_int_value(b, r->n_epochs);
  json_builder_set_member_name(b, "has_model");
  json_builder_add_boolean_value(b, r->has_model);
  json_builder_set_member_name(b, "classes");
  json_builder_begin_array(b);
  for (int i = 0; r->class_names && r->class_names[i]; i++)
    json_builder_add_string_value(b, r->class_names[i]);
  json_builder_end_array(b);
  add_string_or_null(b, "created", created);
  add_string_or_null(b, "finished", finished);
  json_builder_end_object(b);
}

static int runs_list(SwellProject *p, gboolean json) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = swell_project_list_runs(p, &error);
  if (!runs) return swell_cli_fail("%s", error->message);
  g_autoptr(JsonBuilder) b = json ? json_builder_new() : NULL;
  if (b) json_builder_begin_array(b);
  for (guint i = 0; i < runs->len; i++) {
    SwellRunInfo *r = runs->pdata[i];
    if (b) {
      add_run_json(b, r);
      continue;
    }
    g_autofree char *created = iso_time(r->created);
    g_autofree char *acc = swell_accuracy_to_string(r->accuracy);
    printf("#%lld\t%s\t%s\t%s\t%d\t%s\t%s\n", (long long)r->id, r->arch,
           swell_run_status_to_string(r->status), acc, r->n_epochs,
           r->has_model ? _("model") : _("no model"), created ? created : "-");
  }
  if (b) {
    json_builder_end_array(b);
    swell_cli_print_json(b);
  }
  return 0;
}

static gint64 file_size(const char *path) {
  GStatBuf st;
  return g_stat(path, &st) == 0 ? (gint64)st.st_size : -1;
}

static int runs_delete(SwellProject *p, const char *word) {
  const char *path = swell_project_get_path(p);
  guint64 id = 0;
  if (!g_ascii_string_to_unsigned(word[0] == '#' ? word + 1 : word, 10, 1, G_MAXINT64, &id, NULL))
    return swell_cli_fail(_("runs delete: “%s” is not a run number (see “swell-cli runs %s”)"),
                          word, path);
  g_autoptr(GError) error = NULL;
  gint64 before = file_size(path);
  if (!swell_project_delete_run(p, (gint64)id, &error))
    return swell_cli_fail("%s", error->message);
  if (!swell_project_reclaim_space(p, &error))
    return swell_cli_fail(_("run #%llu deleted, but its space was not given back: %s"),
                          (unsigned long long)id, error->message);
  g_autofree char *a = g_format_size(MAX(before, 0)), *b = g_format_size(MAX(file_size(path), 0));
  printf(_("Deleted run #%llu; %s: %s → %s\n"), (unsigned long long)id, path, a, b);
  return 0;
}

int swell_cli_runs(int argc, char **argv) {
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
       N_("Print one JSON array of runs: {\"id\", \"arch\", \"weights\", \"status\", \"message\", "
          "\"accuracy\", \"valid_loss\", \"epochs\", \"has_model\", \"classes\", \"created\", "
          "\"finished\"}"),
       NULL},
      {NULL}};
  if (!swell_cli_parse_options(entries, _("PROJECT [delete N]"), &argc, &argv)) return 2;
  if (argc >= 3 && strcmp(argv[2], "delete") != 0)
    return swell_cli_fail(_("runs: unknown action “%s” (use delete N, or nothing to list)"),
                          argv[2]);
  if (argc != 2 && argc != 4)
    return swell_cli_fail(_("runs: expected a PROJECT, or a PROJECT and delete N"));
  g_autoptr(SwellProject) p = open_project(argv[1]);
  if (!p) return 1;
  return argc == 2 ? runs_list(p, json) : runs_delete(p, argv[3]);
}
