/* swell-window.c: a Swell window. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-actions.h"
#include "swell-label-view.h"
#include "swell-predict-view.h"
#include "swell-results-view.h"
#include "swell-train-view.h"
#include "swell-welcome.h"
#include "swell-window.h"

struct _SwellWindow {
  GtkApplicationWindow parent_instance;

  GtkHeaderBar *header_bar;
  GtkStack *title_stack;
  GtkLabel *title_label;
  GtkStack *main_stack;
  GtkStack *view_stack;
  SwellWelcome *welcome;
  SwellLabelView *label_view;
  SwellTrainView *train_view;
  SwellResultsView *results_view;
  SwellPredictView *predict_view;
  GtkButton *import_button;
  GtkMenuButton *menu_button;
  GtkRevealer *toast_revealer;
  GtkLabel *toast_label;
  GtkButton *toast_button;

  SwellDocument *document;
  GSettings *settings;

  guint toast_timeout;
  GCallback toast_action;
  gpointer toast_data;
  GDestroyNotify toast_destroy;
};

G_DEFINE_FINAL_TYPE (SwellWindow, swell_window, GTK_TYPE_APPLICATION_WINDOW)

static void
clear_toast_data (SwellWindow *self)
{
  if (self->toast_destroy && self->toast_data)
    self->toast_destroy (self->toast_data);
  self->toast_action = NULL;
  self->toast_data = NULL;
  self->toast_destroy = NULL;
}

static void
hide_toast (SwellWindow *self)
{
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  gtk_revealer_set_reveal_child (self->toast_revealer, FALSE);
  clear_toast_data (self);
}

static gboolean
toast_timeout_cb (gpointer data)
{
  SwellWindow *self = data;
  self->toast_timeout = 0;
  hide_toast (self);
  return G_SOURCE_REMOVE;
}

static void
on_toast_action (SwellWindow *self)
{
  GCallback action = self->toast_action;
  gpointer data = self->toast_data;
  if (action)
    ((void (*) (SwellWindow *, gpointer)) action) (self, data);
  hide_toast (self);
}

static void
on_toast_close (SwellWindow *self)
{
  hide_toast (self);
}

void
swell_window_show_toast (SwellWindow *self, const char *text, const char *action_label, GCallback action,
                         gpointer data, GDestroyNotify destroy)
{
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  clear_toast_data (self);
  gtk_label_set_text (self->toast_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->toast_button), action_label != NULL);
  if (action_label)
    gtk_button_set_label (self->toast_button, action_label);
  self->toast_action = action;
  self->toast_data = data;
  self->toast_destroy = destroy;
  gtk_revealer_set_reveal_child (self->toast_revealer, TRUE);
  self->toast_timeout = g_timeout_add_seconds (action_label ? 10 : 6, toast_timeout_cb, self);
}

void
swell_window_dismiss_toast (SwellWindow *self)
{
  hide_toast (self);
}

void
swell_window_show_error (SwellWindow *self, const char *title, const char *message)
{
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", title);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", message);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_view_changed (SwellWindow *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->view_stack);
  if (!name || !self->document)
    return;
  g_settings_set_string (self->settings, "last-view", name);
  swell_project_set_setting (swell_document_get_project (self->document), "last-view", name, NULL);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "view");
  if (action)
    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (name));
  swell_actions_update_window (self);
}

static void
update_title (SwellWindow *self)
{
  if (self->document) {
    g_autofree char *title = swell_document_get_title (self->document);
    g_autofree char *full = g_strdup_printf (_("%s — Swell"), title);
    gtk_window_set_title (GTK_WINDOW (self), full);
    gtk_stack_set_visible_child_name (self->title_stack, "switcher");
    gtk_stack_set_visible_child_name (self->main_stack, "project");
  } else {
    gtk_window_set_title (GTK_WINDOW (self), _("Swell"));
    gtk_stack_set_visible_child_name (self->title_stack, "title");
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  }
  gtk_widget_set_visible (GTK_WIDGET (self->import_button), self->document != NULL);
}

static void
set_document (SwellWindow *self, SwellDocument *document)
{
  g_set_object (&self->document, document);
  swell_label_view_set_document (self->label_view, document);
  swell_train_view_set_document (self->train_view, document);
  swell_results_view_set_document (self->results_view, document);
  swell_predict_view_set_document (self->predict_view, document);
  update_title (self);
  swell_actions_update_window (self);
}

gboolean
swell_window_open_project (SwellWindow *self, const char *path, gboolean create)
{
  SwellApplication *app = SWELL_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr (GError) error = NULL;
  g_autoptr (SwellDocument) doc = swell_document_open (path, create, &error);
  if (!doc) {
    swell_window_show_error (self, create ? _("Could not create the project") : _("Could not open the project"),
                             error->message);
    if (!create && g_error_matches (error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND))
      swell_application_forget_recent (app, path);
    return FALSE;
  }
  set_document (self, doc);
  swell_application_add_recent (app, path);

  /* The project opens at its own last view, else at the last view used. */
  g_autofree char *view = swell_project_get_setting (swell_document_get_project (doc), "last-view");
  if (!view || !gtk_stack_get_child_by_name (self->view_stack, view)) {
    g_free (view);
    view = g_settings_get_string (self->settings, "last-view");
  }
  gtk_stack_set_visible_child_full (self->view_stack, view, GTK_STACK_TRANSITION_TYPE_NONE);
  on_view_changed (self);
  return TRUE;
}

void
swell_window_close_project (SwellWindow *self)
{
  if (swell_train_view_is_busy (self->train_view))
    swell_train_view_stop (self->train_view);
  set_document (self, NULL);
  swell_welcome_refresh (self->welcome);
}

const char *
swell_window_get_project_path (SwellWindow *self)
{
  return self->document ? swell_document_get_path (self->document) : NULL;
}

SwellDocument *swell_window_get_document (SwellWindow *self) { return self->document; }

void
swell_window_set_view (SwellWindow *self, const char *name)
{
  if (self->document && gtk_stack_get_child_by_name (self->view_stack, name))
    gtk_stack_set_visible_child_name (self->view_stack, name);
}

const char *
swell_window_get_view (SwellWindow *self)
{
  if (!self->document)
    return "welcome";
  return gtk_stack_get_visible_child_name (self->view_stack);
}

GtkWidget *
swell_window_get_view_widget (SwellWindow *self, const char *name)
{
  if (g_strcmp0 (name, "welcome") == 0)
    return GTK_WIDGET (self->welcome);
  return gtk_stack_get_child_by_name (self->view_stack, name);
}

GtkMenuButton *
swell_window_get_menu_button (SwellWindow *self)
{
  return self->menu_button;
}

static gboolean
swell_window_close_request (GtkWindow *window)
{
  SwellWindow *self = SWELL_WINDOW (window);
  int w, h;
  gtk_window_get_default_size (window, &w, &h);
  g_settings_set_int (self->settings, "window-width", w);
  g_settings_set_int (self->settings, "window-height", h);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (swell_train_view_is_busy (self->train_view))
    swell_train_view_stop (self->train_view);
  return GTK_WINDOW_CLASS (swell_window_parent_class)->close_request (window);
}

static void
swell_window_dispose (GObject *object)
{
  SwellWindow *self = SWELL_WINDOW (object);
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  clear_toast_data (self);
  g_clear_object (&self->document);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (swell_window_parent_class)->dispose (object);
}

static void
swell_window_class_init (SwellWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = swell_window_close_request;

  g_type_ensure (SWELL_TYPE_WELCOME);
  g_type_ensure (SWELL_TYPE_LABEL_VIEW);
  g_type_ensure (SWELL_TYPE_TRAIN_VIEW);
  g_type_ensure (SWELL_TYPE_RESULTS_VIEW);
  g_type_ensure (SWELL_TYPE_PREDICT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, title_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, welcome);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, label_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, train_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, predict_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, import_button);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, toast_revealer);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, toast_label);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, toast_button);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_toast_action);
  gtk_widget_class_bind_template_callback (widget_class, on_toast_close);
}

static void
swell_window_init (SwellWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (SWELL_APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  swell_actions_install_window (self);
  update_title (self);
}

SwellWindow *
swell_window_new (SwellApplication *app)
{
  return g_object_new (SWELL_TYPE_WINDOW, "application", app, NULL);
}
