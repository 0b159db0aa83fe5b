/* swell-actions.c: application and window actions with their accelerators. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-actions.h"
#include "swell-preferences.h"
#include "swell-window-private.h"

/* ---------------------------------------------------------------- app */

static SwellWindow *
active_swell_window (GApplication *app)
{
  GtkWindow *w = gtk_application_get_active_window (GTK_APPLICATION (app));
  return SWELL_IS_WINDOW (w) ? SWELL_WINDOW (w) : NULL;
}

static void
new_window_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  SwellWindow *win = swell_window_new (SWELL_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (win));
}

/* The window that should show a project chosen now: the active one when it
 * is empty, else a new one (one project per window). */
static SwellWindow *
window_for_new_project (GApplication *app)
{
  SwellWindow *win = active_swell_window (app);
  if (win && swell_window_get_project_path (win) == NULL)
    return win;
  win = swell_window_new (SWELL_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (win));
  return win;
}

static void
new_project_response (GtkNativeDialog *native, int response, gpointer app)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
    g_autofree char *path = g_file_get_path (file);
    if (path) {
      if (!g_str_has_suffix (path, "." SWELL_PROJECT_EXTENSION)) {
        char *with_ext = g_strconcat (path, "." SWELL_PROJECT_EXTENSION, NULL);
        g_free (path);
        path = with_ext;
      }
      SwellWindow *win = window_for_new_project (app);
      swell_window_open_project (win, path, TRUE);
    }
  }
  g_object_unref (native);
}

static void
new_project_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    _("New Project"), GTK_WINDOW (active_swell_window (app)), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Create"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), _("My Photos.swell"));
  g_signal_connect (native, "response", G_CALLBACK (new_project_response), app);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
open_response (GtkNativeDialog *native, int response, gpointer app)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
    g_autofree char *path = g_file_get_path (file);
    if (path)
      swell_application_open_project (SWELL_APPLICATION (app), path);
  }
  g_object_unref (native);
}

static void
open_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    _("Open Project"), GTK_WINDOW (active_swell_window (app)), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Swell Projects"));
  gtk_file_filter_add_pattern (filter, "*." SWELL_PROJECT_EXTENSION);
  gtk_file_filter_add_mime_type (filter, "application/x-swell-project");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);
  g_signal_connect (native, "response", G_CALLBACK (open_response), app);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  /* Close each window the normal way so sizes are saved and runs stopped. */
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  const char *developers[] = { _("The Swell developers"), NULL };
  GtkWidget *about = adw_about_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (about), GTK_WINDOW (active_swell_window (app)));
  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Swell"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), swell_application_icon_name (about));
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), PACKAGE_VERSION);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("Train image classifiers on your own photos, on an ordinary laptop."));
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), developers[0]);
  adw_about_window_set_developers (ADW_ABOUT_WINDOW (about), developers);
  adw_about_window_set_translator_credits (ADW_ABOUT_WINDOW (about), _("translator-credits"));
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action, GVariant *param, gpointer app)
{
  gtk_window_present (GTK_WINDOW (swell_preferences_new (GTK_WINDOW (active_swell_window (app)))));
}

void
swell_actions_install_app (SwellApplication *app)
{
  static const GActionEntry entries[] = {
    { "new-window", new_window_activated, NULL, NULL, NULL, { 0 } },
    { "new-project", new_project_activated, NULL, NULL, NULL, { 0 } },
    { "open", open_activated, NULL, NULL, NULL, { 0 } },
    { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
    { "about", about_activated, NULL, NULL, NULL, { 0 } },
    { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  g_autoptr (GAction) scheme = g_settings_create_action (swell_application_get_settings (app), "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (app), scheme);

  struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.new-project", { "<Primary>n", NULL } },
    { "app.new-window", { "<Primary><Shift>n", NULL } },
    { "app.open", { "<Primary>o", NULL } },
    { "app.quit", { "<Primary>q", NULL } },
    { "app.preferences", { "<Primary>comma", NULL } },
    { "win.close", { "<Primary>w", NULL } },
    { "win.import", { "<Primary>i", NULL } },
    { "win.import-folder", { "<Primary><Shift>i", NULL } },
    { "win.add-category", { "<Primary>plus", "<Primary>equal", NULL } },
    { "win.view::label", { "<Alt>1", NULL } },
    { "win.view::train", { "<Alt>2", NULL } },
    { "win.view::results", { "<Alt>3", NULL } },
    { "win.view::predict", { "<Alt>4", NULL } },
    { "win.train", { "<Primary>Return", NULL } },
    { "win.stop", { "<Primary>period", NULL } },
    { "win.lr-find", { "<Primary>l", NULL } },
    { "win.predict-open", { "<Primary><Shift>o", NULL } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
}

/* ---------------------------------------------------------------- window */

static void
close_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  gtk_window_close (GTK_WINDOW (win));
}

static void
close_project_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_close_project (SWELL_WINDOW (win));
}

static void
view_change_state (GSimpleAction *action, GVariant *value, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), g_variant_get_string (value, NULL));
}

static void
import_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "label");
  swell_label_view_import_dialog (SWELL_WINDOW (win)->label_view, FALSE);
}

static void
import_folder_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "label");
  swell_label_view_import_dialog (SWELL_WINDOW (win)->label_view, TRUE);
}

static void
add_category_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "label");
  swell_label_view_add_category (SWELL_WINDOW (win)->label_view);
}

static void
train_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "train");
  swell_train_view_start (SWELL_WINDOW (win)->train_view);
}

static void
stop_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_train_view_stop (SWELL_WINDOW (win)->train_view);
}

static void
lr_find_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "train");
  swell_train_view_lr_find (SWELL_WINDOW (win)->train_view);
}

static void
predict_open_activated (GSimpleAction *action, GVariant *param, gpointer win)
{
  swell_window_set_view (SWELL_WINDOW (win), "predict");
  swell_predict_view_open_dialog (SWELL_WINDOW (win)->predict_view);
}

void
swell_actions_install_window (SwellWindow *win)
{
  static const GActionEntry entries[] = {
    { "close", close_activated, NULL, NULL, NULL, { 0 } },
    { "close-project", close_project_activated, NULL, NULL, NULL, { 0 } },
    { "view", NULL, "s", "'label'", view_change_state, { 0 } },
    { "import", import_activated, NULL, NULL, NULL, { 0 } },
    { "import-folder", import_folder_activated, NULL, NULL, NULL, { 0 } },
    { "add-category", add_category_activated, NULL, NULL, NULL, { 0 } },
    { "train", train_activated, NULL, NULL, NULL, { 0 } },
    { "stop", stop_activated, NULL, NULL, NULL, { 0 } },
    { "lr-find", lr_find_activated, NULL, NULL, NULL, { 0 } },
    { "predict-open", predict_open_activated, NULL, NULL, NULL, { 0 } },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (win), entries, G_N_ELEMENTS (entries), win);
}

static void
set_enabled (SwellWindow *win, const char *name, gboolean enabled)
{
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (win), name);
  if (a)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (a), enabled);
}

void
swell_actions_update_window (SwellWindow *win)
{
  gboolean open = swell_window_get_project_path (win) != NULL;
  gboolean busy = open && swell_train_view_is_busy (win->train_view);
  gboolean editable = open && !swell_window_is_read_only (win);
  set_enabled (win, "close-project", open);
  set_enabled (win, "view", open);
  set_enabled (win, "import", editable);
  set_enabled (win, "import-folder", editable);
  set_enabled (win, "add-category", editable);
  set_enabled (win, "train", editable && !busy);
  set_enabled (win, "lr-find", editable && !busy);
  set_enabled (win, "stop", busy);
  set_enabled (win, "predict-open", open);
}
