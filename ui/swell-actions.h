/* swell-actions.h: application and window actions with their accelerators. */
#pragma once

#include "swell-application.h"
#include "swell-window.h"

G_BEGIN_DECLS

void swell_actions_install_app (SwellApplication *app);
void swell_actions_install_window (SwellWindow *win);
/* Enables/disables window actions for the current state (project open,
 * training running, ...). */
void swell_actions_update_window (SwellWindow *win);

G_END_DECLS
