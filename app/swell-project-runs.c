/* swell-project-runs.c: the training runs of a SwellProject: runs and their owners
 * (interrupted-run detection), curve points, epoch metrics, predictions and
 * the confusion matrix. See swell-project.h. */
#include "swell-config.h"

#include "swell-project-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *swell_run_status_to_string(SwellRunStatus status) {
  switch (status) {
  case SWELL_RUN_RUNNING: return "running";
  case SWELL_RUN_COMPLETED: return "completed";
  case SWELL_RUN_CANCELLED: return "cancelled";
  case SWELL_RUN_FAILED: return "failed";
  }
  return "failed";
}

static SwellRunStatus run_status_from_string(const char *s) {
  for (int i = SWELL_RUN_RUNNING; i <= SWELL_RUN_FAILED; i++)
    if (g_strcmp0(s, swell_run_status_to_string(i)) == 0) return i;
  return SWELL_RUN_FAILED;
}

const char *swell_stage_to_string(SwellStage stage) {
  return stage == SWELL_STAGE_FROZEN ? "frozen" : "unfrozen";
}

static double col_double_or_nan(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void bind_double_or_null(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v)) sqlite3_bind_double(st, i, v);
  else sqlite3_bind_null(st, i);
}

SwellRunInfo *swell_run_info_copy(const SwellRunInfo *run) {
  SwellRunInfo *c = g_new0(SwellRunInfo, 1);
  *c = *run;
  c->arch = g_strdup(run->arch);
  c->weights = g_strdup(run->weights);
  c->hyperparams_json = g_strdup(run->hyperparams_json);
  c->class_names = g_strdupv(run->class_names);
  c->message = g_strdup(run->message);
  return c;
}

void swell_run_info_free(SwellRunInfo *run) {
  if (!run) return;
  g_free(run->arch);
  g_free(run->weights);
  g_free(run->hyperparams_json);
  g_strfreev(run->class_names);
  g_free(run->message);
  g_free(run);
}

#define RUN_SELECT                                                                          \
  "SELECT r.id, r.arch, r.weights, r.hyperparams, r.class_names, r.status, r.message,"     \
  " r.created, coalesce(r.finished, 0),"                                                    \
  " (SELECT accuracy FROM run_epochs e WHERE e.run_id = r.id ORDER BY epoch DESC LIMIT 1)," \
  " (SELECT valid_loss FROM run_epochs e WHERE e.run_id = r.id ORDER BY epoch DESC LIMIT 1)," \
  " (SELECT count(*) FROM run_epochs e WHERE e.run_id = r.id),"                            \
  " EXISTS (SELECT 1 FROM models m WHERE m.run_id = r.id), r.owner,"                        \
  " coalesce(r.kept_epoch, -1)"                                                             \
  " FROM runs r "

/* Start time of a live process (field 22 of /proc/PID/stat, clock ticks since
 * boot), which tells it apart from a later process with the same pid; NULL
 * when there is no such live process. */
static char *process_start_ticks(pid_t pid) {
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents(path, &stat, NULL, NULL)) return NULL;
  const char *p = strrchr(stat, ')'); /* the command name may hold spaces */
  if (!p) return NULL;
  g_auto(GStrv) f = g_strsplit(p + 2, " ", 0);
  /* after "pid (comm) ", field 3 (state) is f[0]; field 22 (starttime) is f[19].
   * A zombie (Z) or dead (X) process has ended: killed, not yet reaped. */
  if (g_strv_length(f) <= 19 || strcmp(f[0], "Z") == 0 || strcmp(f[0], "X") == 0) return NULL;
  return g_strdup(f[19]);
}

static char *boot_id(void) {
  g_autofree char *id = NULL;
  if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &id, NULL, NULL)) return NULL;
  return g_strdup(g_strstrip(id));
}

/* "host\tboot id\tpid\tstart time": this process, told apart from any other
 * on any machine and from a later process that reuses its pid. */
static char *this_process_owner(void) {
  g_autofree char *boot = boot_id(), *start = process_start_ticks(getpid());
  return g_strdup_printf("%s\t%s\t%d\t%s", g_get_host_name(), boot ? boot : "",
                         (int)getpid(), start ? start : "");
}

/* Is the process named by `owner` gone? FALSE when it cannot be told (another
 * host, or no /proc): such a run stays "running". */
static gboolean owner_is_gone(const char *owner) {
  g_auto(GStrv) f = g_strsplit(owner, "\t", 4);
  if (g_strv_length(f) != 4 || strcmp(f[0], g_get_host_name()) != 0) return FALSE;
  g_autofree char *boot = boot_id();
  if (!boot || !*f[1]) return FALSE;
  if (strcmp(boot, f[1]) != 0) return TRUE; /* the machine has restarted since */
  g_autofree char *start = process_start_ticks((pid_t)atoi(f[2]));
  return !start || strcmp(start, f[3]) != 0;
}

/* Do the run's hyperparams say "keep": "best"? */
static gboolean hyperparams_keep_best(const char *json) {
  g_autoptr(JsonNode) node = json ? json_from_string(json, NULL) : NULL;
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
  return o && g_strcmp0(json_object_get_string_member_with_default(o, "keep", ""), "best") == 0;
}

static SwellRunInfo *run_from_row(sqlite3_stmt *st) {
  SwellRunInfo *r = g_new0(SwellRunInfo, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->arch = col_strdup(st, 1);
  r->weights = col_strdup(st, 2);
  r->hyperparams_json = col_strdup(st, 3);
  r->class_names = json_to_strv((const char *)sqlite3_column_text(st, 4));
  r->status = run_status_from_string((const char *)sqlite3_column_text(st, 5));
  r->message = col_strdup(st, 6);
  r->created = sqlite3_column_int64(st, 7);
  r->finished = sqlite3_column_int64(st, 8);
  r->accuracy = col_double_or_nan(st, 9);
  r->valid_loss = col_double_or_nan(st, 10);
  r->n_epochs = sqlite3_column_int(st, 11);
  r->has_model = sqlite3_column_int(st, 12) != 0;
  r->kept_epoch = sqlite3_column_int(st, 14);
  r->keep_best = hyperparams_keep_best(r->hyperparams_json);
  const char *owner = (const char *)sqlite3_column_text(st, 13);
  if (r->status == SWELL_RUN_RUNNING && owner && owner_is_gone(owner)) {
    r->status = SWELL_RUN_FAILED;
    g_free(r->message);
    r->message = g_strdup(_("interrupted when the process training it ended early (a crash, a "
                            "power cut or a full disk); the completed epochs are kept"));
  }
  return r;
}

static gboolean run_exists(SwellProject *self, gint64 run_id, GError **error) {
  g_autoptr(sqlite3_stmt) st = prep(self, "SELECT 1 FROM runs WHERE id = ?", error);
  if (!st) return FALSE;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return TRUE;
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot read a run"));
  g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
              _("%s: no run with id %lld"), self->path, (long long)run_id);
  return FALSE;
}

sqlite3_stmt *prep_for_run(SwellProject *self, gint64 run_id, const char *sql, GError **error) {
  return run_exists(self, run_id, error) ? prep(self, sql, error) : NULL;
}

gint64 swell_project_create_run(SwellProject *self, const char *arch, const char *weights,
                                const char *hyperparams_json, const char *const *class_names,
                                GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && arch && class_names, 0);
  if (hyperparams_json) {
    g_autoptr(GError) jerr = NULL;
    g_autoptr(JsonNode) node = json_from_string(hyperparams_json, &jerr);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                  _("the hyperparameters are not a JSON object (%s)"),
                  jerr ? jerr->message : _("not an object"));
      return 0;
    }
  }
  g_autofree char *classes = strv_to_json(class_names);
  if (!tx_begin(self, error)) return 0;
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      "INSERT INTO runs (arch, weights, hyperparams, class_names, status, created, owner) "
      "VALUES (?, ?, ?, ?, 'running', ?, ?)",
      error);
  gboolean ok = st != NULL;
  gint64 id = 0;
  if (ok) {
    sqlite3_bind_text(st, 1, arch, -1, SQLITE_TRANSIENT);
    if (weights) sqlite3_bind_text(st, 2, weights, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, hyperparams_json ? hyperparams_json : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, classes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now_seconds());
    g_autofree char *owner = this_process_owner();
    sqlite3_bind_text(st, 6, owner, -1, SQLITE_TRANSIENT);
    ok = step_done(self, st, error, _("cannot create the run"));
    id = sqlite3_last_insert_rowid(self->db);
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error) ? id : 0;
}

gboolean swell_project_finish_run(SwellProject *self, gint64 run_id, SwellRunStatus status,
                                  const char *message, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id,
                   "UPDATE runs SET status = ?, message = ?, finished = ?,"
                   " owner = CASE WHEN ?1 = 'running' THEN owner END WHERE id = ?",
                   error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_text(st, 1, swell_run_status_to_string(status), -1, SQLITE_STATIC);
    if (message) sqlite3_bind_text(st, 2, message, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    if (status == SWELL_RUN_RUNNING) sqlite3_bind_null(st, 3);
    else sqlite3_bind_int64(st, 3, now_seconds());
    sqlite3_bind_int64(st, 4, run_id);
    ok = step_done(self, st, error, _("cannot finish the run"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

GPtrArray *swell_project_list_runs(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, RUN_SELECT "ORDER BY r.id", error);
  if (!st) return NULL;
  return list_rows(self, st, (SwellRowFunc)run_from_row, (GDestroyNotify)swell_run_info_free,
                   _("cannot list the runs"), error);
}

SwellRunInfo *swell_project_get_run(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, RUN_SELECT "WHERE r.id = ?", error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return run_from_row(st);
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read a run"));
  else
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no run with id %lld"), self->path, (long long)run_id);
  return NULL;
}

SwellRunInfo *swell_project_get_latest_run(SwellProject *self, gboolean with_model,
                                           GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      with_model ? RUN_SELECT "WHERE EXISTS (SELECT 1 FROM models m WHERE m.run_id = r.id) "
                              "ORDER BY r.id DESC LIMIT 1"
                 : RUN_SELECT "ORDER BY r.id DESC LIMIT 1",
      error);
  if (!st) return NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return run_from_row(st);
  if (rc != SQLITE_DONE) db_fail(self, error, _("cannot read a run"));
  return NULL;
}

gboolean swell_project_delete_run(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st = prep_for_run(self, run_id, "DELETE FROM runs WHERE id = ?", error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_int64(st, 1, run_id);
    ok = step_done(self, st, error, _("cannot delete the run"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS | SWELL_PROJECT_CHANGE_MODELS);
  return tx_end(self, ok, error);
}

gboolean swell_project_append_points(SwellProject *self, gint64 run_id,
                                     const SwellRunPoint *points, guint n_points, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (points || n_points == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id,
                   "INSERT OR REPLACE INTO run_points (run_id, iteration, epoch, loss, "
                   "smooth_loss, lr, mom, group_lrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   error);
  gboolean ok = st != NULL;
  for (guint i = 0; ok && i < n_points; i++) {
    const SwellRunPoint *p = &points[i];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, p->iteration);
    sqlite3_bind_int(st, 3, p->epoch);
    bind_double_or_null(st, 4, p->loss);
    bind_double_or_null(st, 5, p->smooth_loss);
    bind_double_or_null(st, 6, p->lr);
    bind_double_or_null(st, 7, p->mom);
    int ng = CLAMP(p->n_groups, 0, SWELL_MAX_PARAM_GROUPS);
    if (ng > 0) sqlite3_bind_blob(st, 8, p->group_lrs, ng * (int)sizeof(double), SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 8);
    ok = step_done(self, st, error, _("cannot store the training curve"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

static void point_from_row(sqlite3_stmt *st, gpointer out) {
  SwellRunPoint *p = out;
  p->iteration = sqlite3_column_int64(st, 0);
  p->epoch = sqlite3_column_int(st, 1);
  p->loss = col_double_or_nan(st, 2);
  p->smooth_loss = col_double_or_nan(st, 3);
  p->lr = col_double_or_nan(st, 4);
  p->mom = col_double_or_nan(st, 5);
  int nb = sqlite3_column_bytes(st, 6);
  p->n_groups = MIN(nb / (int)sizeof(double), SWELL_MAX_PARAM_GROUPS);
  if (p->n_groups > 0)
    memcpy(p->group_lrs, sqlite3_column_blob(st, 6), p->n_groups * sizeof(double));
}

GArray *swell_project_list_points(SwellProject *self, gint64 run_id, gint64 after_iteration,
                                  GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           "SELECT iteration, epoch, loss, smooth_loss, lr, mom, group_lrs FROM run_points "
           "WHERE run_id = ? AND iteration > ? ORDER BY iteration",
           error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, after_iteration);
  return list_structs(self, st, sizeof(SwellRunPoint), point_from_row, NULL,
                      _("cannot read the training curve"), error);
}

gboolean swell_project_add_epoch(SwellProject *self, gint64 run_id, const SwellEpochMetrics *m,
                                 GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && m, FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id,
                   "INSERT OR REPLACE INTO run_epochs (run_id, epoch, stage, train_loss, "
                   "valid_loss, accuracy, error_rate, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, m->epoch);
    sqlite3_bind_text(st, 3, swell_stage_to_string(m->stage), -1, SQLITE_STATIC);
    bind_double_or_null(st, 4, m->train_loss);
    bind_double_or_null(st, 5, m->valid_loss);
    bind_double_or_null(st, 6, m->accuracy);
    bind_double_or_null(st, 7, m->error_rate);
    bind_double_or_null(st, 8, m->seconds);
    ok = step_done(self, st, error, _("cannot store the epoch metrics"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

static void epoch_from_row(sqlite3_stmt *st, gpointer out) {
  SwellEpochMetrics *m = out;
  m->epoch = sqlite3_column_int(st, 0);
  m->stage = g_strcmp0((const char *)sqlite3_column_text(st, 1), "frozen") == 0
                 ? SWELL_STAGE_FROZEN
                 : SWELL_STAGE_UNFROZEN;
  m->train_loss = col_double_or_nan(st, 2);
  m->valid_loss = col_double_or_nan(st, 3);
  m->accuracy = col_double_or_nan(st, 4);
  m->error_rate = col_double_or_nan(st, 5);
  m->seconds = col_double_or_nan(st, 6);
}

GArray *swell_project_list_epochs(SwellProject *self, gint64 run_id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self,
                                    "SELECT epoch, stage, train_loss, valid_loss, accuracy, "
                                    "error_rate, seconds FROM run_epochs WHERE run_id = ? ORDER BY "
                                    "epoch",
                                    error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  return list_structs(self, st, sizeof(SwellEpochMetrics), epoch_from_row, NULL,
                      _("cannot read the epoch metrics"), error);
}

static void prediction_clear(gpointer p) {
  SwellPrediction *pr = p;
  g_clear_pointer(&pr->probs, g_free);
}

gboolean swell_project_set_predictions(SwellProject *self, gint64 run_id,
                                       const SwellPrediction *preds, guint n, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (preds || n == 0), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id,
                   "INSERT OR REPLACE INTO predictions (run_id, image_id, actual, predicted, "
                   "loss, probs, split) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   error);
  gboolean ok = st != NULL;
  for (guint i = 0; ok && i < n; i++) {
    const SwellPrediction *p = &preds[i];
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, p->image_id);
    sqlite3_bind_int(st, 3, p->actual);
    sqlite3_bind_int(st, 4, p->predicted);
    bind_double_or_null(st, 5, p->loss);
    sqlite3_bind_blob(st, 6, p->n_classes ? (const void *)p->probs : "",
                      (int)(p->n_classes * sizeof(float)), SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, (int)p->split);
    ok = step_done(self, st, error, _("cannot store the predictions"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

static void prediction_from_row(sqlite3_stmt *st, gpointer out) {
  SwellPrediction *p = out;
  p->image_id = sqlite3_column_int64(st, 0);
  p->actual = sqlite3_column_int(st, 1);
  p->predicted = sqlite3_column_int(st, 2);
  p->loss = col_double_or_nan(st, 3);
  p->n_classes = (guint)sqlite3_column_bytes(st, 4) / sizeof(float);
  p->probs = g_memdup2(sqlite3_column_blob(st, 4), p->n_classes * sizeof(float));
  p->split = (SwellSplit)CLAMP(sqlite3_column_int(st, 5), 0, SWELL_N_SPLITS - 1);
}

GArray *swell_project_list_predictions_of(SwellProject *self, gint64 run_id, guint sets,
                                          GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  G_STATIC_ASSERT(SWELL_PREDICTIONS_TRAIN == 1 << SWELL_SPLIT_TRAIN &&
                  SWELL_PREDICTIONS_VALID == 1 << SWELL_SPLIT_VALID &&
                  SWELL_PREDICTIONS_TEST == 1 << SWELL_SPLIT_TEST);
  g_autoptr(sqlite3_stmt) st =
      prep(self,
           "SELECT p.image_id, p.actual, p.predicted, p.loss, p.probs, p.split "
           "FROM predictions p JOIN images i ON i.id = p.image_id "
           "WHERE p.run_id = ? AND i.deleted = 0 AND "
           "(CASE WHEN p.actual < 0 THEN 8 ELSE 1 << p.split END) & ? != 0 ORDER BY p.image_id",
           error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int(st, 2, (int)sets);
  return list_structs(self, st, sizeof(SwellPrediction), prediction_from_row, prediction_clear,
                      _("cannot read the predictions"), error);
}

GArray *swell_project_list_predictions(SwellProject *self, gint64 run_id, GError **error) {
  return swell_project_list_predictions_of(self, run_id, SWELL_PREDICTIONS_VALID, error);
}

/* Sets a JSON column of a run (`sql`: UPDATE runs SET <column> = ? WHERE id = ?). */
static gboolean set_run_json(SwellProject *self, gint64 run_id, const char *sql, const char *json,
                             GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && json, FALSE);
  g_autoptr(GError) jerr = NULL;
  g_autoptr(JsonNode) node = json_from_string(json, &jerr);
  if (!node) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the confusion matrix is not valid JSON (%s)"), jerr ? jerr->message : "");
    return FALSE;
  }
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st = prep_for_run(self, run_id, sql, error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, run_id);
    ok = step_done(self, st, error, _("cannot store the confusion matrix"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

/* A text column of a run (`sql`: SELECT <column> FROM runs WHERE id = ?). */
static char *get_run_text(SwellProject *self, gint64 run_id, const char *sql, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep_for_run(self, run_id, sql, error);
  if (!st) return NULL;
  sqlite3_bind_int64(st, 1, run_id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    db_fail(self, error, _("cannot read a run"));
    return NULL;
  }
  return col_strdup(st, 0);
}

gboolean swell_project_set_confusion(SwellProject *self, gint64 run_id, const char *json,
                                     GError **error) {
  return set_run_json(self, run_id, "UPDATE runs SET confusion = ? WHERE id = ?", json, error);
}

char *swell_project_get_confusion(SwellProject *self, gint64 run_id, GError **error) {
  return get_run_text(self, run_id, "SELECT confusion FROM runs WHERE id = ?", error);
}

gboolean swell_project_set_test_confusion(SwellProject *self, gint64 run_id, const char *json,
                                          GError **error) {
  return set_run_json(self, run_id, "UPDATE runs SET test_confusion = ? WHERE id = ?", json,
                      error);
}

char *swell_project_get_test_confusion(SwellProject *self, gint64 run_id, GError **error) {
  return get_run_text(self, run_id, "SELECT test_confusion FROM runs WHERE id = ?", error);
}

gboolean swell_project_set_kept_epoch(SwellProject *self, gint64 run_id, int epoch,
                                      GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && epoch >= 0, FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(sqlite3_stmt) st =
      prep_for_run(self, run_id, "UPDATE runs SET kept_epoch = ? WHERE id = ?", error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_int(st, 1, epoch);
    sqlite3_bind_int64(st, 2, run_id);
    ok = step_done(self, st, error, _("cannot store the kept epoch"));
  }
  mark(self, SWELL_PROJECT_CHANGE_RUNS);
  return tx_end(self, ok, error);
}

/* Labels one image with its prediction `pr` (when confident enough); *labeled says if it did. */
static gboolean label_with_prediction(SwellProject *self, const SwellRunInfo *run, gint64 id,
                                      const SwellPrediction *pr, double min_confidence,
                                      gboolean *labeled, GError **error) {
  *labeled = FALSE;
  g_autoptr(SwellProjectImage) img = swell_project_get_image(self, id, error);
  if (!img) return FALSE;
  if (!pr || pr->predicted < 0 || (guint)pr->predicted >= g_strv_length(run->class_names)) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: run #%lld has no prediction of image %lld"), self->path,
                (long long)run->id, (long long)id);
    return FALSE;
  }
  if (pr->probs[pr->predicted] < min_confidence) return TRUE;
  const char *name = run->class_names[pr->predicted];
  g_autoptr(GError) find_error = NULL;
  g_autoptr(SwellCategory) cat = swell_project_find_category(self, name, &find_error);
  if (!cat) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: image %lld is predicted “%s”, a category the project no longer has"),
                self->path, (long long)id, name);
    return FALSE;
  }
  *labeled = TRUE;
  return swell_project_set_label(self, &id, 1, cat->id, error);
}

gboolean swell_project_label_with_predictions(SwellProject *self, gint64 run_id,
                                              const gint64 *ids, guint n_ids,
                                              double min_confidence, guint *n_labeled,
                                              GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && (ids || n_ids == 0), FALSE);
  if (n_labeled) *n_labeled = 0;
  g_autoptr(SwellRunInfo) run = swell_project_get_run(self, run_id, error);
  if (!run) return FALSE;
  g_autoptr(GArray) preds = swell_project_list_predictions_of(self, run_id, SWELL_PREDICTIONS_ALL,
                                                              error);
  if (!preds) return FALSE;
  g_autoptr(GHashTable) by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
  for (guint i = 0; i < preds->len; i++) {
    SwellPrediction *pr = &g_array_index(preds, SwellPrediction, i);
    g_hash_table_insert(by_id, &pr->image_id, pr);
  }
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = TRUE;
  guint done = 0;
  for (guint i = 0; ok && i < n_ids; i++) {
    gboolean labeled = FALSE;
    ok = label_with_prediction(self, run, ids[i], g_hash_table_lookup(by_id, &ids[i]),
                               min_confidence, &labeled, error);
    done += labeled;
  }
  ok = tx_end(self, ok, error);
  if (ok && n_labeled) *n_labeled = done;
  return ok;
}
