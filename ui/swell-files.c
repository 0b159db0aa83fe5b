/* swell-files.c: local paths from chooser and drop file lists. */
#include "swell-files.h"

static void
add_path (GPtrArray *paths, GFile *file, gboolean regular_only)
{
  char *p = g_file_get_path (file);
  if (p && (!regular_only || g_file_test (p, G_FILE_TEST_IS_REGULAR)))
    g_ptr_array_add (paths, p);
  else
    g_free (p);
}

static char **
finish (GPtrArray *paths)
{
  g_ptr_array_add (paths, NULL);
  return (char **) g_ptr_array_free (paths, FALSE);
}

char **
swell_files_paths_from_model (GListModel *files)
{
  GPtrArray *paths = g_ptr_array_new ();
  guint n = files ? g_list_model_get_n_items (files) : 0;
  for (guint i = 0; i < n; i++) {
    g_autoptr (GFile) f = g_list_model_get_item (files, i);
    add_path (paths, f, FALSE);
  }
  return finish (paths);
}

char **
swell_files_paths_from_drop (const GValue *value, gboolean regular_only)
{
  GPtrArray *paths = g_ptr_array_new ();
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l; l = l->next)
    add_path (paths, l->data, regular_only);
  g_slist_free (files);
  return finish (paths);
}
