/* swell-project-models.c: the trained models stored in a SwellProject. See
 * swell-project.h. */
#include "swell-config.h"

#include "swell-project-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

static char *floats_to_json(const float *v, int n) {
  GString *s = g_string_new("[");
  for (int i = 0; i < n; i++) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(s, g_ascii_formatd(buf, sizeof buf, "%.9g", v[i]));
    if (i + 1 < n) g_string_append_c(s, ',');
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

static void json_to_floats(const char *json, float *v, int n) {
  g_autoptr(JsonNode) node = json ? json_from_string(json, NULL) : NULL;
  for (int i = 0; i < n; i++) v[i] = 0.0f;
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) return;
  JsonArray *a = json_node_get_array(node);
  for (int i = 0; i < n && i < (int)json_array_get_length(a); i++)
    v[i] = (float)json_array_get_double_element(a, i);
}

void swell_project_model_free(SwellProjectModel *model) {
  if (!model) return;
  g_free(model->arch);
  g_strfreev(model->class_names);
  g_clear_pointer(&model->weights, g_bytes_unref);
  g_free(model);
}

gboolean swell_project_save_model(SwellProject *self, gint64 run_id, const SwellProjectModel *model,
                                  GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && model && model->weights && model->arch, FALSE);
  g_autofree char *classes = strv_to_json((const char *const *)model->class_names);
  g_autofree char *mean = floats_to_json(model->mean, 3);
  g_autofree char *std = floats_to_json(model->std, 3);
  gsize n;
  const void *data = g_bytes_get_data(model->weights, &n);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id,
                   "INSERT OR REPLACE INTO models (run_id, arch, class_names, mean, std, "
                   "input_size, created, weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, model->arch, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, classes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, mean, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, std, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, model->input_size);
    sqlite3_bind_int64(st, 7, now_seconds());
    sqlite3_bind_blob64(st, 8, n ? data : "", n, SQLITE_STATIC);
    ok = step_done(self, st, error, _("cannot store the model"));
  }
  mark(self, SWELL_PROJECT_CHANGE_MODELS | SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

SwellProjectModel *swell_project_load_model(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           run_id > 0 ? "SELECT run_id, arch, class_names, mean, std, input_size, created, weights "
                        "FROM models WHERE run_id = ?"
                      : "SELECT run_id, arch, class_names, mean, std, input_size, created, weights "
                        "FROM models ORDER BY run_id DESC LIMIT 1",
           error);
  if (!st) return NULL;
  if (run_id > 0) sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read the model"));
    else if (run_id > 0)
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: run %lld has no trained model"), self->path, (long long)run_id);
    else
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                  _("%s: the project has no trained model yet"), self->path);
    return NULL;
  }
  SwellProjectModel *m = g_new0(SwellProjectModel, 1);
  m->run_id = sqlite3_column_int64(st, 0);
  m->arch = col_strdup(st, 1);
  m->class_names = json_to_strv((const char *)sqlite3_column_text(st, 2));
  json_to_floats((const char *)sqlite3_column_text(st, 3), m->mean, 3);
  json_to_floats((const char *)sqlite3_column_text(st, 4), m->std, 3);
  m->input_size = sqlite3_column_int(st, 5);
  m->created = sqlite3_column_int64(st, 6);
  m->weights = g_bytes_new(sqlite3_column_blob(st, 7), sqlite3_column_bytes(st, 7));
  return m;
}
