/* swell-application.c: the AdwApplication. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-actions.h"
#include "swell-application.h"
#include "swell-window.h"

#define MAX_RECENT 12

struct _SwellApplication {
  AdwApplication parent_instance;
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SwellApplication, swell_application, ADW_TYPE_APPLICATION)

GSettings *
swell_application_get_settings (SwellApplication *self)
{
  return self->settings;
}

const char *
swell_application_icon_name (GtkWidget *for_widget)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (for_widget));
  return gtk_icon_theme_has_icon (theme, SWELL_APP_ID) ? SWELL_APP_ID : "applications-science-symbolic";
}

/* The style preference: follow the system (AdwStyleManager's default), or
 * always light or dark. */
static void
apply_color_scheme (SwellApplication *self)
{
  static const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT,
                                            ADW_COLOR_SCHEME_FORCE_DARK };
  guint i = (guint) g_settings_get_enum (self->settings, "color-scheme");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[MIN (i, G_N_ELEMENTS (schemes) - 1)]);
}

static void
swell_application_startup (GApplication *app)
{
  SwellApplication *self = SWELL_APPLICATION (app);
  G_APPLICATION_CLASS (swell_application_parent_class)->startup (app);
  g_set_application_name (_("Swell"));
  gtk_window_set_default_icon_name (SWELL_APP_ID);
  /* AdwApplication loads style.css (and style-dark.css in the dark style)
   * from the resource base path. */
  g_signal_connect_swapped (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), self);
  apply_color_scheme (self);
  swell_actions_install_app (self);
}

static SwellWindow *
find_window_for (SwellApplication *self, const char *path, gboolean want_empty)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next) {
    if (!SWELL_IS_WINDOW (l->data))
      continue;
    SwellWindow *win = l->data;
    const char *p = swell_window_get_project_path (win);
    if (want_empty ? p == NULL : (p && path && g_strcmp0 (p, path) == 0))
      return win;
  }
  return NULL;
}

static void
swell_application_activate (GApplication *app)
{
  SwellApplication *self = SWELL_APPLICATION (app);
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (active) {
    gtk_window_present (active);
    return;
  }
  SwellWindow *win = swell_window_new (self);
  gtk_window_present (GTK_WINDOW (win));
}

void
swell_application_open_project (SwellApplication *self, const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *abs = g_file_get_path (file);
  SwellWindow *win = find_window_for (self, abs, FALSE);
  if (win) {
    gtk_window_present (GTK_WINDOW (win));
    return;
  }
  win = find_window_for (self, NULL, TRUE);
  if (!win)
    win = swell_window_new (self);
  gtk_window_present (GTK_WINDOW (win));
  swell_window_open_project (win, abs, FALSE);
}

static void
swell_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  SwellApplication *self = SWELL_APPLICATION (app);
  for (int i = 0; i < n_files; i++) {
    g_autofree char *path = g_file_get_path (files[i]);
    if (path)
      swell_application_open_project (self, path);
  }
}

void
swell_application_add_recent (SwellApplication *self, const char *path)
{
  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_strv_builder_add (b, path);
  guint n = 1;
  for (guint i = 0; old[i] && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0) {
      g_strv_builder_add (b, old[i]);
      n++;
    }
  g_auto (GStrv) fresh = g_strv_builder_end (b);
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *) fresh);

  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
}

void
swell_application_forget_recent (SwellApplication *self, const char *path)
{
  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  for (guint i = 0; old[i]; i++)
    if (g_strcmp0 (old[i], path) != 0)
      g_strv_builder_add (b, old[i]);
  g_auto (GStrv) fresh = g_strv_builder_end (b);
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *) fresh);
}

static void
swell_application_finalize (GObject *object)
{
  g_clear_object (&SWELL_APPLICATION (object)->settings);
  G_OBJECT_CLASS (swell_application_parent_class)->finalize (object);
}

static void
swell_application_class_init (SwellApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = swell_application_finalize;
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  app_class->startup = swell_application_startup;
  app_class->activate = swell_application_activate;
  app_class->open = swell_application_open;
}

static void
swell_application_init (SwellApplication *self)
{
  self->settings = g_settings_new (SWELL_APP_ID);
}

SwellApplication *
swell_application_new (void)
{
  return g_object_new (SWELL_TYPE_APPLICATION, "application-id", SWELL_APP_ID, "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/swell/Swell", NULL);
}
