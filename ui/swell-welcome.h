/* swell-welcome.h: the first view of an empty window: New / Open and the
 * recent projects. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SWELL_TYPE_WELCOME (swell_welcome_get_type ())
G_DECLARE_FINAL_TYPE (SwellWelcome, swell_welcome, SWELL, WELCOME, GtkWidget)

void swell_welcome_refresh (SwellWelcome *self);

G_END_DECLS
