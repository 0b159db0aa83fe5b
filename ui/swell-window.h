/* swell-window.h: a Swell window: the welcome view, or one open project
 * with its Label / Train / Results / Predict views. */
#pragma once

#include <adwaita.h>

#include "swell-application.h"
#include "swell-document.h"

G_BEGIN_DECLS

#define SWELL_TYPE_WINDOW (swell_window_get_type ())
G_DECLARE_FINAL_TYPE (SwellWindow, swell_window, SWELL, WINDOW, AdwApplicationWindow)

SwellWindow *swell_window_new (SwellApplication *app);
/* Opens (or with create, creates) a project in this window; errors are shown
 * in a dialog. Returns FALSE on error. */
gboolean swell_window_open_project (SwellWindow *self, const char *path, gboolean create);
/* Back to the welcome view (stops a running training first). */
void swell_window_close_project (SwellWindow *self);
/* NULL when the window shows the welcome view. */
const char *swell_window_get_project_path (SwellWindow *self);
/* TRUE when the open project is read-only (its file or folder cannot be written). */
gboolean swell_window_is_read_only (SwellWindow *self);
/* "label", "train", "results", "predict". */
void swell_window_set_view (SwellWindow *self, const char *name);
GtkWidget *swell_window_get_view_widget (SwellWindow *self, const char *name);

/* A short message at the bottom of the window; with an action label and
 * callback (e.g. Undo) it shows a button. data is freed with destroy. */
void swell_window_show_toast (SwellWindow *self, const char *text, const char *action_label,
                              GCallback action, gpointer data, GDestroyNotify destroy);
/* Hides the toast (e.g. its Undo was done another way). */
void swell_window_dismiss_toast (SwellWindow *self);
/* A modal error dialog with a title and the error message. */
void swell_window_show_error (SwellWindow *self, const char *title, const char *message);

G_END_DECLS
