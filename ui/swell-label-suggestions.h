/* swell-label-suggestions.h: the Label view's "Suggested" page: the
 * unlabeled images the latest finished run predicted, grouped by predicted
 * category (in sidebar order), most confident first, each thumbnail captioned
 * with its predicted category and probability. An image leaves the page as
 * soon as it has a label and comes back when it is unlabeled again (undo).
 * Accepting goes through swell_document_label_with_predictions (the Label
 * view's label.accept-suggestion and label.accept-above actions). */
#pragma once

#include <gtk/gtk.h>

#include "swell-document.h"
#include "swell-thumbnailer.h"

G_BEGIN_DECLS

#define SWELL_TYPE_LABEL_SUGGESTIONS (swell_label_suggestions_get_type ())
G_DECLARE_FINAL_TYPE (SwellLabelSuggestions, swell_label_suggestions, SWELL, LABEL_SUGGESTIONS, GtkWidget)

void swell_label_suggestions_set_document (SwellLabelSuggestions *self, SwellDocument *document,
                                           SwellThumbnailer *thumbnailer);
/* Reads the latest finished run's predictions again when that run changed
 * (force: always). */
void swell_label_suggestions_reload (SwellLabelSuggestions *self, gboolean force);
/* The run whose predictions are shown, 0 when there is none. */
gint64 swell_label_suggestions_get_run (SwellLabelSuggestions *self);
/* How many suggestions are shown, per split of their images. */
guint swell_label_suggestions_count (SwellLabelSuggestions *self, guint counts[SWELL_N_SPLITS]);
/* The groups shown, in order, with their sizes: "4 cloudy · 1 rain · 5 shine". */
char *swell_label_suggestions_groups (SwellLabelSuggestions *self);
/* The ids (gint64) of the selected suggestions, of every one shown, or of
 * those predicted with a probability of at least min_probability. */
GArray *swell_label_suggestions_selected_ids (SwellLabelSuggestions *self);
GArray *swell_label_suggestions_ids_above (SwellLabelSuggestions *self, double min_probability);
void swell_label_suggestions_select_all (SwellLabelSuggestions *self);
/* Selects the n-th suggestion shown alone; FALSE if there is none. */
gboolean swell_label_suggestions_select (SwellLabelSuggestions *self, guint n);
/* One line per suggestion shown, in order: "ID<TAB>CATEGORY<TAB>PROBABILITY". */
char *swell_label_suggestions_describe (SwellLabelSuggestions *self);

/* signal "changed": the suggestions shown, their selection or their run changed. */

G_END_DECLS
