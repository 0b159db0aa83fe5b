/* swell-application.h: the AdwApplication: windows (one project each), app
 * actions, recent projects and settings. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SWELL_APP_ID "io.github.swell.Swell"

#define SWELL_TYPE_APPLICATION (swell_application_get_type ())
G_DECLARE_FINAL_TYPE (SwellApplication, swell_application, SWELL, APPLICATION, AdwApplication)

SwellApplication *swell_application_new (void);
GSettings *swell_application_get_settings (SwellApplication *self);
/* The app's icon, or a generic one when it is not installed (running from
 * the build tree). */
const char *swell_application_icon_name (GtkWidget *for_widget);
/* Records a project as most recently used (GSettings + GtkRecentManager). */
void swell_application_add_recent (SwellApplication *self, const char *path);
void swell_application_forget_recent (SwellApplication *self, const char *path);
/* Opens a project: presents the window that has it, or uses an empty window,
 * or opens a new one. */
void swell_application_open_project (SwellApplication *self, const char *path);

G_END_DECLS
