/* swell-health-banner.h: the banner at the top of the Label view on what to
 * fix in the data before training (swell_dataset_check_async, off the main
 * thread): a one-line summary and a Details window that lists each health
 * finding with its sentence and each group of near-duplicate photos
 * (thumbnails, names and splits; those split between train and valid or test
 * first). Checked when a project is opened and again a second after the
 * images change (import, delete, label or split), the changes of that second
 * together. Hidden while nothing is found, or dismissed until the findings
 * change. */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"
#include "swell-thumbnailer.h"

G_BEGIN_DECLS

#define SWELL_TYPE_HEALTH_BANNER (swell_health_banner_get_type ())
G_DECLARE_FINAL_TYPE (SwellHealthBanner, swell_health_banner, SWELL, HEALTH_BANNER, GtkWidget)

void swell_health_banner_set_document (SwellHealthBanner *self, SwellDocument *document, SwellThumbnailer *thumbnailer);
/* Opens the Details window (NULL when there is no report yet). */
GtkWidget *swell_health_banner_open_details (SwellHealthBanner *self);

G_END_DECLS
