/* swell-label-view.h: the Label view: category sidebar and thumbnail grid,
 * import by drag and drop, relabel by keys or by dragging thumbnails. */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"

G_BEGIN_DECLS

#define SWELL_TYPE_LABEL_VIEW (swell_label_view_get_type ())
G_DECLARE_FINAL_TYPE (SwellLabelView, swell_label_view, SWELL, LABEL_VIEW, GtkWidget)

void swell_label_view_set_document (SwellLabelView *self, SwellDocument *document);
/* Imports files/folders; category_id > 0 labels them all with it, 0 takes
 * labels from folder names. Shows progress and a summary. */
void swell_label_view_import (SwellLabelView *self, const char *const *paths, gint64 category_id);
/* Opens a file chooser (folders = TRUE: choose folders). */
void swell_label_view_import_dialog (SwellLabelView *self, gboolean folders);
/* Focuses the "new category" entry. */
void swell_label_view_add_category (SwellLabelView *self);
/* Selects a sidebar row by category id (SWELL_CATEGORY_ALL, ...). */
void swell_label_view_show_category (SwellLabelView *self, gint64 category_id);

G_END_DECLS
