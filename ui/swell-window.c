/* swell-window.c: a Swell window. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-a11y.h"
#include "swell-actions.h"
#include "swell-window-private.h"
#include "swell-test-hooks.h"

G_DEFINE_FINAL_TYPE (SwellWindow, swell_window, ADW_TYPE_APPLICATION_WINDOW)

/* What a toast's button does: the caller's callback with its data (freed
 * with the toast). */
typedef struct {
  SwellWindow *window;
  GCallback action;
  gpointer data;
  GDestroyNotify destroy;
} ToastAction;

static void
toast_action_free (gpointer p, GClosure *closure)
{
  ToastAction *ta = p;
  if (ta->destroy && ta->data)
    ta->destroy (ta->data);
  g_free (ta);
}

static void
on_toast_button (AdwToast *toast, ToastAction *ta)
{
  ((void (*) (SwellWindow *, gpointer)) ta->action) (ta->window, ta->data);
}

/* libadwaita 1.2 frees a toast dismissed while its show animation still
 * runs (300 ms, 500 ms when it replaces another) and the animation's end then
 * writes to the freed memory (a crash seen when one export's toast followed
 * another). A toast younger than this is dismissed once it is this old; the
 * new toast, added with high priority, shows at once in its place. */
#define TOAST_SETTLE_MS 700

static gboolean
dismiss_settled_toast (gpointer data)
{
  adw_toast_dismiss (ADW_TOAST (data)); /* nothing if the overlay let it go already */
  return G_SOURCE_REMOVE;
}

/* libadwaita 1.2's toasts have an icon-only close button without a name. */
static void
name_close_buttons (GtkWidget *w)
{
  if (GTK_IS_BUTTON (w) && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (w)), "window-close-symbolic") == 0)
    swell_a11y_set_label (w, _("Close"));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    name_close_buttons (c);
}

void
swell_window_show_toast (SwellWindow *self, const char *text, const char *action_label, GCallback action,
                         gpointer data, GDestroyNotify destroy)
{
  /* A new toast replaces the one shown (AdwToastOverlay would queue it). */
  swell_window_dismiss_toast (self);
  AdwToast *toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, action_label ? 10 : 6);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  if (action_label && action) {
    ToastAction *ta = g_new0 (ToastAction, 1);
    *ta = (ToastAction) { self, action, data, destroy };
    adw_toast_set_button_label (toast, action_label);
    g_signal_connect_data (toast, "button-clicked", G_CALLBACK (on_toast_button), ta, toast_action_free, 0);
  } else if (destroy && data) {
    destroy (data);
  }
  g_set_weak_pointer (&self->toast, toast);
  self->toast_shown_at = g_get_monotonic_time ();
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  name_close_buttons (GTK_WIDGET (self->toast_overlay));
}

void
swell_window_dismiss_toast (SwellWindow *self)
{
  if (self->toast) {
    gint64 age_ms = (g_get_monotonic_time () - self->toast_shown_at) / 1000;
    if (age_ms >= TOAST_SETTLE_MS)
      adw_toast_dismiss (self->toast);
    else
      g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (TOAST_SETTLE_MS - age_ms), dismiss_settled_toast,
                          g_object_ref (self->toast), g_object_unref);
  }
  g_clear_weak_pointer (&self->toast);
}

void
swell_window_show_error (SwellWindow *self, const char *title, const char *message)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The keyboard focus follows the view shown (Alt+1…4, the view switcher,
 * opening or closing a project), once the view is on screen. */
static gboolean
focus_view_idle (gpointer data)
{
  SwellWindow *self = data;
  self->focus_idle = 0;
  GtkWidget *view = self->document ? adw_view_stack_get_visible_child (self->view_stack) : GTK_WIDGET (self->welcome);
  if (view)
    swell_a11y_focus_view (view);
  return G_SOURCE_REMOVE;
}

static void
queue_focus_view (SwellWindow *self)
{
  if (!self->focus_idle)
    self->focus_idle = g_timeout_add (50, focus_view_idle, self);
}

static void
on_view_changed (SwellWindow *self)
{
  queue_focus_view (self);
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);
  if (!name || !self->document)
    return;
  g_settings_set_string (self->settings, "last-view", name);
  swell_project_set_setting (swell_document_get_project (self->document), "last-view", name, NULL);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "view");
  if (action)
    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (name));
  swell_actions_update_window (self);
}

/* The view switcher moves to the bottom bar when the header bar is too
 * narrow for it (the title shows instead). */
static void
update_switcher_bar (SwellWindow *self)
{
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    self->document && adw_view_switcher_title_get_title_visible (self->switcher_title));
}

/* Below this width the views lay out for a phone (their sidebars fold by
 * themselves, AdwFlap). */
#define NARROW_WIDTH 600

static void
on_width_changed (SwellWindow *self)
{
  int w, h;
  gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
  swell_train_view_set_narrow (self->train_view, w > 0 && w < NARROW_WIDTH);
  swell_results_view_set_narrow (self->results_view, w > 0 && w < NARROW_WIDTH);
}

static void
update_title (SwellWindow *self)
{
  if (self->document) {
    g_autofree char *title = swell_document_get_title (self->document);
    gboolean read_only = swell_window_is_read_only (self);
    /* Translators: the window title of a project that cannot be written */
    g_autofree char *full = g_strdup_printf (read_only ? _("%s (read-only) — Swell") : _("%s — Swell"), title);
    gtk_window_set_title (GTK_WINDOW (self), full);
    gtk_widget_set_visible (GTK_WIDGET (self->read_only_label), read_only);
    adw_view_switcher_title_set_title (self->switcher_title, title);
    gtk_stack_set_visible_child_name (self->main_stack, "project");
  } else {
    gtk_widget_set_visible (GTK_WIDGET (self->read_only_label), FALSE);
    gtk_window_set_title (GTK_WINDOW (self), _("Swell"));
    adw_view_switcher_title_set_title (self->switcher_title, _("Swell"));
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
    queue_focus_view (self);
  }
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, self->document != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->import_button), self->document != NULL);
  update_switcher_bar (self);
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
  if (!view || !adw_view_stack_get_child_by_name (self->view_stack, view)) {
    g_free (view);
    view = g_settings_get_string (self->settings, "last-view");
  }
  adw_view_stack_set_visible_child_name (self->view_stack, view);
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

gboolean
swell_window_is_read_only (SwellWindow *self)
{
  g_return_val_if_fail (SWELL_IS_WINDOW (self), FALSE);
  return self->document && swell_project_is_read_only (swell_document_get_project (self->document));
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
  if (self->document && adw_view_stack_get_child_by_name (self->view_stack, name))
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
swell_window_get_view (SwellWindow *self)
{
  if (!self->document)
    return "welcome";
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

GtkWidget *
swell_window_get_view_widget (SwellWindow *self, const char *name)
{
  if (g_strcmp0 (name, "welcome") == 0)
    return GTK_WIDGET (self->welcome);
  return adw_view_stack_get_child_by_name (self->view_stack, name);
}

GtkMenuButton *
swell_window_get_menu_button (SwellWindow *self)
{
  return self->menu_button;
}

gboolean
swell_window_switcher_at_bottom (SwellWindow *self)
{
  return adw_view_switcher_bar_get_reveal (self->switcher_bar);
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
  g_clear_weak_pointer (&self->toast);
  g_clear_handle_id (&self->focus_idle, g_source_remove);
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
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, read_only_label);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, welcome);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, label_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, train_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, predict_view);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, import_button);
  gtk_widget_class_bind_template_child (widget_class, SwellWindow, menu_button);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);
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
  swell_a11y_set_label (GTK_WIDGET (self->menu_button), _("Main Menu"));
  g_signal_connect_swapped (self->switcher_title, "notify::title-visible", G_CALLBACK (update_switcher_bar), self);
  g_signal_connect_swapped (self, "notify::default-width", G_CALLBACK (on_width_changed), self);
  on_width_changed (self);
  update_title (self);
}

SwellWindow *
swell_window_new (SwellApplication *app)
{
  return g_object_new (SWELL_TYPE_WINDOW, "application", app, NULL);
}
