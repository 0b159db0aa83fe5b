/* swell-preferences.h: the Preferences window: the style (follow the system,
 * light, dark), recent projects, and the training recipe new runs start from
 * (the GSettings keys the Train view also edits). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SWELL_TYPE_PREFERENCES (swell_preferences_get_type ())
G_DECLARE_FINAL_TYPE (SwellPreferences, swell_preferences, SWELL, PREFERENCES, AdwPreferencesWindow)

GtkWidget *swell_preferences_new (GtkWindow *parent);
/* Sets the recipe keys back to their defaults (fastai's fine_tune recipe). */
void swell_preferences_reset_recipe (GSettings *settings);

G_END_DECLS
