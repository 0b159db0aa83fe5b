/* swell-project-categories.c: the categories of a SwellProject (names, colours, order).
 * See swell-project.h for the contract. */
#include "swell-config.h"

#include "swell-project-private.h"

#include <glib/gi18n.h>
#include <string.h>

static const char *const palette[] = {
    "#3584e4", /* blue */
    "#33d17a", /* green */
    "#f6d32d", /* yellow */
    "#ff7800", /* orange */
    "#e01b24", /* red */
    "#9141ac", /* purple */
    "#986a44", /* brown */
    "#2190a4", /* teal */
    "#e66197", /* pink */
    "#6f8396", /* slate */
    "#62a0ea", /* light blue */
    "#8ff0a4", /* light green */
};

const char *swell_project_palette_color(guint n) {
  return palette[n % G_N_ELEMENTS(palette)];
}

SwellCategory *swell_category_copy(const SwellCategory *cat) {
  SwellCategory *c = g_new0(SwellCategory, 1);
  *c = *cat;
  c->name = g_strdup(cat->name);
  c->color = g_strdup(cat->color);
  return c;
}

void swell_category_free(SwellCategory *cat) {
  if (!cat) return;
  g_free(cat->name);
  g_free(cat->color);
  g_free(cat);
}

/* "#rrggbb" (any case) -> lower-case copy; NULL if malformed. */
static char *normalize_color(const char *color) {
  if (!color || strlen(color) != 7 || color[0] != '#') return NULL;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit(color[i])) return NULL;
  return g_ascii_strdown(color, -1);
}

static gboolean check_color(SwellProject *self, const char *color, char **out, GError **error) {
  *out = normalize_color(color);
  if (!*out) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("“%s” is not a colour of the form #rrggbb"), color ? color : "");
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------- names and folders */

/* Bytes written as %XX in a category's folder name (besides a leading or trailing '.'). */
static gboolean folder_escapes(guchar c) {
  return c < 0x20 || c == 0x7f || strchr("/\\:*?\"<>|%", c) != NULL;
}

char *swell_category_folder_name(const char *name) {
  GString *s = g_string_new(NULL);
  gsize n = strlen(name);
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar)name[i];
    if (folder_escapes(c) || (c == '.' && (i == 0 || i == n - 1)))
      g_string_append_printf(s, "%%%02X", c);
    else
      g_string_append_c(s, (char)c);
  }
  return g_string_free(s, FALSE);
}

char *swell_category_name_from_folder(const char *folder) {
  GString *s = g_string_new(NULL);
  for (const char *p = folder; *p; p++) {
    if (p[0] == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
      guchar c = (guchar)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
      if (folder_escapes(c) || c == '.') {
        g_string_append_c(s, (char)c);
        p += 2;
        continue;
      }
    }
    g_string_append_c(s, *p);
  }
  return g_string_free(s, FALSE);
}

/* At most 40 characters of a name for a message, control characters shown as '?'. */
static char *name_for_message(const char *name) {
  GString *s = g_string_new(NULL);
  guint n = 0;
  for (const char *p = name; *p && n < 40; p = g_utf8_next_char(p), n++) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c)) g_string_append_c(s, '?');
    else g_string_append_unichar(s, c);
  }
  if (g_utf8_strlen(name, -1) > 40) g_string_append(s, "…");
  return g_string_free(s, FALSE);
}

static gboolean check_trimmed_name(const char *name, GError **error) {
  if (!*name || !g_utf8_validate(name, -1, NULL)) {
    g_set_error_literal(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                        _("a category needs a name"));
    return FALSE;
  }
  g_autofree char *shown = name_for_message(name);
  for (const char *p = name; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c)) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                  _("the category name “%s” contains a control character (U+%04X)"), shown, c);
      return FALSE;
    }
  }
  gsize len = strlen(name);
  g_autofree char *folder = swell_category_folder_name(name);
  if (len > SWELL_CATEGORY_FOLDER_MAX)
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the category name “%s” is too long (%zu bytes; the limit is %d)"),
                shown, len, SWELL_CATEGORY_FOLDER_MAX);
  else if (strlen(folder) > SWELL_CATEGORY_FOLDER_MAX)
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the category name “%s” is too long for a folder name (%zu bytes once its "
                  "characters / \\ : * ? \" < > | %% are written as %%XX; the limit is %d)"),
                shown, strlen(folder), SWELL_CATEGORY_FOLDER_MAX);
  else
    return TRUE;
  return FALSE;
}

static gboolean check_name(const char *name, char **out, GError **error) {
  *out = g_strstrip(g_strdup(name ? name : ""));
  if (check_trimmed_name(*out, error)) return TRUE;
  g_clear_pointer(out, g_free);
  return FALSE;
}

gboolean swell_category_check_name(const char *name, GError **error) {
  g_autofree char *trimmed = NULL;
  return check_name(name, &trimmed, error);
}

#define CATEGORY_SELECT                                                                  \
  "SELECT c.id, c.name, c.color, c.position,"                                           \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 0)," \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 1)," \
  " (SELECT count(*) FROM images i WHERE i.category_id = c.id AND i.deleted = 0 AND i.split = 2)" \
  " FROM categories c "

static SwellCategory *category_from_row(sqlite3_stmt *st) {
  SwellCategory *c = g_new0(SwellCategory, 1);
  c->id = sqlite3_column_int64(st, 0);
  c->name = col_strdup(st, 1);
  c->color = col_strdup(st, 2);
  c->position = sqlite3_column_int(st, 3);
  for (int s = 0; s < SWELL_N_SPLITS; s++) c->counts[s] = sqlite3_column_int(st, 4 + s);
  return c;
}

GPtrArray *swell_project_list_categories(SwellProject *self, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, CATEGORY_SELECT "ORDER BY c.position, c.id", error);
  if (!st) return NULL;
  return list_rows(self, st, (SwellRowFunc)category_from_row, (GDestroyNotify)swell_category_free,
                   _("cannot list the categories"), error);
}

static SwellCategory *get_category_where(SwellProject *self, const char *where, gint64 id,
                                         const char *name, GError **error) {
  g_autofree char *sql = g_strconcat(CATEGORY_SELECT, where, NULL);
  g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
  if (!st) return NULL;
  if (name) sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return category_from_row(st);
  if (rc != SQLITE_DONE) {
    db_fail(self, error, _("cannot read a category"));
    return NULL;
  }
  if (name)
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no category named “%s”"), self->path, name);
  else
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND,
                _("%s: no category with id %lld"), self->path, (long long)id);
  return NULL;
}

SwellCategory *swell_project_get_category(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), NULL);
  return get_category_where(self, "WHERE c.id = ?", id, NULL, error);
}

SwellCategory *swell_project_find_category(SwellProject *self, const char *name, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self) && name, NULL);
  g_autofree char *trimmed = g_strstrip(g_strdup(name));
  return get_category_where(self, "WHERE c.name = ? COLLATE NOCASE", 0, trimmed, error);
}

gboolean swell_project_count_unlabeled(SwellProject *self, int counts[SWELL_N_SPLITS],
                                       GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  for (int s = 0; s < SWELL_N_SPLITS; s++) counts[s] = 0;
  g_autoptr(sqlite3_stmt) st = prep(
      self,
      "SELECT split, count(*) FROM images WHERE deleted = 0 AND category_id IS NULL GROUP BY split",
      error);
  if (!st) return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int s = sqlite3_column_int(st, 0);
    if (s >= 0 && s < SWELL_N_SPLITS) counts[s] = sqlite3_column_int(st, 1);
  }
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot count the images"));
  return TRUE;
}

gboolean category_exists(SwellProject *self, gint64 id, GError **error) {
  g_autoptr(SwellCategory) c = swell_project_get_category(self, id, error);
  return c != NULL;
}

/* FALSE (INVALID) if another category already has this name. */
static gboolean check_unique_name(SwellProject *self, const char *name, gint64 except_id,
                                  GError **error) {
  g_autoptr(sqlite3_stmt) st =
      prep(self, "SELECT id FROM categories WHERE name = ? COLLATE NOCASE AND id != ?", error);
  if (!st) return FALSE;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, except_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("there is already a category named “%s”"), name);
    return FALSE;
  }
  if (rc != SQLITE_DONE) return db_fail(self, error, _("cannot read the categories"));
  return TRUE;
}

static char *next_palette_color(SwellProject *self, GError **error) {
  g_autoptr(GPtrArray) cats = swell_project_list_categories(self, error);
  if (!cats) return NULL;
  for (guint i = 0; i < G_N_ELEMENTS(palette); i++) {
    gboolean used = FALSE;
    for (guint j = 0; j < cats->len && !used; j++)
      used = g_strcmp0(((SwellCategory *)cats->pdata[j])->color, palette[i]) == 0;
    if (!used) return g_strdup(palette[i]);
  }
  return g_strdup(swell_project_palette_color(cats->len));
}

gint64 swell_project_create_category(SwellProject *self, const char *name, const char *color,
                                     GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), 0);
  g_autofree char *nm = NULL, *col = NULL;
  if (!check_name(name, &nm, error)) return 0;
  if (color && !check_color(self, color, &col, error)) return 0;
  if (!tx_begin(self, error)) return 0;
  gboolean ok = check_unique_name(self, nm, 0, error);
  if (ok && !col) ok = (col = next_palette_color(self, error)) != NULL;
  gint64 id = 0;
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self,
                                      "INSERT INTO categories (name, color, position, created) "
                                      "VALUES (?, ?, (SELECT coalesce(max(position) + 1, 0) FROM "
                                      "categories), ?)",
                                      error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, nm, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, col, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 3, now_seconds());
      ok = step_done(self, st, error, _("cannot create the category"));
      id = sqlite3_last_insert_rowid(self->db);
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error) ? id : 0;
}

static gboolean update_category_text(SwellProject *self, gint64 id, const char *sql,
                                     const char *value, GError **error) {
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = category_exists(self, id, error);
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, sql, error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 2, id);
      ok = step_done(self, st, error, _("cannot change the category"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error);
}

gboolean swell_project_rename_category(SwellProject *self, gint64 id, const char *name,
                                       GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  g_autofree char *nm = NULL;
  if (!check_name(name, &nm, error)) return FALSE;
  if (!check_unique_name(self, nm, id, error)) return FALSE;
  return update_category_text(self, id, "UPDATE categories SET name = ? WHERE id = ?", nm, error);
}

gboolean swell_project_recolor_category(SwellProject *self, gint64 id, const char *color,
                                        GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  g_autofree char *col = NULL;
  if (!check_color(self, color, &col, error)) return FALSE;
  return update_category_text(self, id, "UPDATE categories SET color = ? WHERE id = ?", col, error);
}

gboolean swell_project_reorder_categories(SwellProject *self, const gint64 *ids, guint n_ids,
                                          GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  g_autoptr(GPtrArray) cats = swell_project_list_categories(self, error);
  gboolean ok = cats != NULL;
  if (ok && cats->len != n_ids) {
    g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                _("the new order must list all %u categories (got %u)"), cats->len, n_ids);
    ok = FALSE;
  }
  for (guint i = 0; ok && i < n_ids; i++) {
    gboolean found = FALSE;
    for (guint j = 0; j < cats->len; j++) found |= ((SwellCategory *)cats->pdata[j])->id == ids[i];
    for (guint k = 0; k < i; k++) found &= ids[k] != ids[i];
    if (!found) {
      g_set_error(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_INVALID,
                  _("the new order has an unknown or repeated category id %lld"),
                  (long long)ids[i]);
      ok = FALSE;
    }
  }
  if (ok) {
    g_autoptr(sqlite3_stmt) st = prep(self, "UPDATE categories SET position = ? WHERE id = ?", error);
    ok = st != NULL;
    for (guint i = 0; ok && i < n_ids; i++) {
      sqlite3_reset(st);
      sqlite3_bind_int(st, 1, (int)i);
      sqlite3_bind_int64(st, 2, ids[i]);
      ok = step_done(self, st, error, _("cannot reorder the categories"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES);
  return tx_end(self, ok, error);
}

gboolean swell_project_delete_category(SwellProject *self, gint64 id, GError **error) {
  g_return_val_if_fail(SWELL_IS_PROJECT(self), FALSE);
  if (!tx_begin(self, error)) return FALSE;
  gboolean ok = category_exists(self, id, error);
  static const char *const sqls[] = {
      "UPDATE images SET category_id = NULL WHERE category_id = ?1",
      "DELETE FROM categories WHERE id = ?1",
      /* keep positions 0..n-1 */
      "UPDATE categories SET position = (SELECT count(*) FROM categories c2 WHERE "
      "c2.position < categories.position OR (c2.position = categories.position AND c2.id < "
      "categories.id)) WHERE ?1 IS NOT NULL",
  };
  for (guint i = 0; ok && i < G_N_ELEMENTS(sqls); i++) {
    g_autoptr(sqlite3_stmt) st = prep(self, sqls[i], error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, id);
      ok = step_done(self, st, error, _("cannot delete the category"));
    }
  }
  mark(self, SWELL_PROJECT_CHANGE_CATEGORIES | SWELL_PROJECT_CHANGE_IMAGES);
  return tx_end(self, ok, error);
}
