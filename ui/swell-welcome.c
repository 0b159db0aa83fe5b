/* swell-welcome.c: the welcome view. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-a11y.h"
#include "swell-application.h"
#include "swell-welcome.h"

struct _SwellWelcome {
  GtkWidget parent_instance;
  AdwStatusPage *status_page;
  GtkLabel *recent_heading;
  GtkListBox *recent_list;
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SwellWelcome, swell_welcome, GTK_TYPE_WIDGET)

static void
on_row_activated (SwellWelcome *self, GtkListBoxRow *row)
{
  const char *path = g_object_get_data (G_OBJECT (row), "path");
  GtkApplication *app = GTK_APPLICATION (g_application_get_default ());
  if (path && app)
    swell_application_open_project (SWELL_APPLICATION (app), path);
}

static void
on_forget_clicked (GtkButton *button, SwellWelcome *self)
{
  const char *path = g_object_get_data (G_OBJECT (button), "path");
  swell_application_forget_recent (SWELL_APPLICATION (g_application_get_default ()), path);
}

static char *
describe_age (GFile *file)
{
  g_autoptr (GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, G_FILE_QUERY_INFO_NONE,
                                                  NULL, NULL);
  if (!info)
    return g_strdup (_("Missing"));
  g_autoptr (GDateTime) mtime = g_file_info_get_modification_date_time (info);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  if (!mtime)
    return g_strdup ("");
  GTimeSpan age = g_date_time_difference (now, mtime);
  if (age < G_TIME_SPAN_MINUTE)
    return g_strdup (_("Just now"));
  if (age < G_TIME_SPAN_HOUR)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago",
                                         (gulong) (age / G_TIME_SPAN_MINUTE)),
                            (int) (age / G_TIME_SPAN_MINUTE));
  if (age < G_TIME_SPAN_DAY)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago",
                                         (gulong) (age / G_TIME_SPAN_HOUR)),
                            (int) (age / G_TIME_SPAN_HOUR));
  g_autoptr (GDateTime) local = g_date_time_to_local (mtime);
  return g_date_time_format (local, "%x");
}

void
swell_welcome_refresh (SwellWelcome *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))))
    gtk_list_box_remove (self->recent_list, child);
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  guint n = 0;
  for (guint i = 0; recent[i]; i++) {
    g_autoptr (GFile) file = g_file_new_for_path (recent[i]);
    g_autofree char *base = g_file_get_basename (file);
    char *dot = g_strrstr (base, ".swell");
    if (dot && dot != base)
      *dot = '\0';
    g_autoptr (GFile) parent = g_file_get_parent (file);
    g_autofree char *dir = parent ? g_file_get_parse_name (parent) : g_strdup ("");
    const char *home = g_get_home_dir ();
    if (home && g_str_has_prefix (dir, home)) {
      char *short_dir = g_strconcat ("~", dir + strlen (home), NULL);
      g_free (dir);
      dir = short_dir;
    }
    g_autofree char *age = describe_age (file);

    GtkWidget *row = gtk_list_box_row_new ();
    g_object_set_data_full (G_OBJECT (row), "path", g_strdup (recent[i]), g_free);
    GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
    g_object_set (box, "margin-top", 6, "margin-bottom", 6, "margin-start", 12, "margin-end", 6, NULL);
    GtkWidget *icon = gtk_image_new_from_icon_name ("folder-pictures-symbolic");
    gtk_box_append (GTK_BOX (box), icon);
    GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_set_hexpand (texts, TRUE);
    GtkWidget *name = gtk_label_new (base);
    gtk_label_set_xalign (GTK_LABEL (name), 0);
    gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
    gtk_widget_add_css_class (name, "heading");
    GtkWidget *where = gtk_label_new (dir);
    gtk_label_set_xalign (GTK_LABEL (where), 0);
    gtk_label_set_ellipsize (GTK_LABEL (where), PANGO_ELLIPSIZE_MIDDLE);
    gtk_widget_add_css_class (where, "dim-label");
    gtk_widget_add_css_class (where, "caption");
    gtk_box_append (GTK_BOX (texts), name);
    gtk_box_append (GTK_BOX (texts), where);
    gtk_box_append (GTK_BOX (box), texts);
    GtkWidget *when = gtk_label_new (age);
    gtk_widget_add_css_class (when, "dim-label");
    gtk_box_append (GTK_BOX (box), when);
    GtkWidget *forget = gtk_button_new_from_icon_name ("window-close-symbolic");
    gtk_widget_set_tooltip_text (forget, _("Remove from Recent Projects"));
    /* Translators: the accessible name of the button that removes project %s from the recent projects */
    g_autofree char *forget_name = g_strdup_printf (_("Remove %s from Recent Projects"), base);
    swell_a11y_set_label (forget, forget_name);
    /* Translators: the accessible name of a recent project's row: name, folder, when it was changed */
    g_autofree char *row_name = g_strdup_printf (_("%s in %s, %s"), base, dir, age);
    swell_a11y_set_label (row, row_name);
    gtk_widget_set_valign (forget, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (forget, "flat");
    gtk_widget_add_css_class (forget, "circular");
    g_object_set_data_full (G_OBJECT (forget), "path", g_strdup (recent[i]), g_free);
    g_signal_connect (forget, "clicked", G_CALLBACK (on_forget_clicked), self);
    gtk_box_append (GTK_BOX (box), forget);
    gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
    gtk_list_box_append (self->recent_list, row);
    n++;
  }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_heading), n > 0);
}

static void
swell_welcome_dispose (GObject *object)
{
  SwellWelcome *self = SWELL_WELCOME (object);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_WELCOME);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (swell_welcome_parent_class)->dispose (object);
}

static void
swell_welcome_class_init (SwellWelcomeClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_welcome_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-welcome.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellWelcome, status_page);
  gtk_widget_class_bind_template_child (widget_class, SwellWelcome, recent_heading);
  gtk_widget_class_bind_template_child (widget_class, SwellWelcome, recent_list);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
}

static void
swell_welcome_init (SwellWelcome *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  swell_a11y_set_default_focus (GTK_WIDGET (self),
                                GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), SWELL_TYPE_WELCOME, "new_button")));
  adw_status_page_set_icon_name (self->status_page, swell_application_icon_name (GTK_WIDGET (self)));
  self->settings = g_settings_new (SWELL_APP_ID);
  g_signal_connect_swapped (self->settings, "changed::recent-projects", G_CALLBACK (swell_welcome_refresh), self);
  swell_welcome_refresh (self);
}
