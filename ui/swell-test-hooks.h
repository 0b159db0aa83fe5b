/* swell-test-hooks.h: what the views and the window offer the test driver
 * (swell-test-driver.c) and nothing else: state the product never asks for
 * and clicks it makes through its widgets. Private: included only by the
 * driver and by the files that implement these hooks. */
#pragma once

#include "swell-heatmap.h"
#include "swell-health-banner.h"
#include "swell-label-suggestions.h"
#include "swell-label-view.h"
#include "swell-predict-view.h"
#include "swell-results-view.h"
#include "swell-train-view.h"
#include "swell-tta-row.h"
#include "swell-window.h"

G_BEGIN_DECLS

/* swell-window.c */
SwellDocument *swell_window_get_document (SwellWindow *self);
/* "welcome", or the view shown: "label", "train", "results", "predict". */
const char *swell_window_get_view (SwellWindow *self);
GtkMenuButton *swell_window_get_menu_button (SwellWindow *self);
/* TRUE when the view switcher is in the bar at the bottom (narrow window),
 * FALSE when it is in the header bar. */
gboolean swell_window_switcher_at_bottom (SwellWindow *self);

/* swell-label-view.c */
gboolean swell_label_view_is_importing (SwellLabelView *self);
void swell_label_view_select_all (SwellLabelView *self);
/* Scrolls the grid down by a fraction of a page; FALSE once `stop` (a
 * fraction of the whole height, 1 = the end) is reached. */
gboolean swell_label_view_scroll_by (SwellLabelView *self, double pages, double stop);
/* The category shown (SWELL_CATEGORY_ALL, SWELL_CATEGORY_UNLABELED or an id). */
gint64 swell_label_view_get_category (SwellLabelView *self);

/* Selects the Suggested sidebar row; FALSE when it is not there (no
 * finished run). */
gboolean swell_label_view_show_suggested (SwellLabelView *self);
gboolean swell_label_view_is_suggested (SwellLabelView *self);
SwellLabelSuggestions *swell_label_view_get_suggestions (SwellLabelView *self);
SwellHealthBanner *swell_label_view_get_health_banner (SwellLabelView *self);

/* swell-label-view-suggestions.c */
/* What Accept Above… does: opens its dialog (NULL unless the Suggested page is shown). */
GtkWidget *swell_label_view_open_accept_above (SwellLabelView *self);

/* swell-label-suggestions.c */
/* What Return does on the first selected thumbnail of the Suggested page
 * (the grid's list.activate-item); FALSE when none is selected. */
gboolean swell_label_suggestions_activate_selected (SwellLabelSuggestions *self);

/* swell-health-banner.c */
/* A check is due or running. */
gboolean swell_health_banner_is_checking (SwellHealthBanner *self);
/* "banner<TAB>shown|hidden<TAB>SUMMARY", then one line per finding
 * ("health<TAB>KIND<TAB>CATEGORY<TAB>MESSAGE") and per near-duplicate group
 * ("near-duplicates<TAB>across|within<TAB>NAME:SPLIT..."), as Details lists them. */
char *swell_health_banner_describe (SwellHealthBanner *self);

/* swell-train-view.c */
/* Sets one recipe value by name: arch, weights (a file path, this session
 * only), epochs, freeze, lr, batch, size, augment (0/1). FALSE if invalid. */
gboolean swell_train_view_set_recipe_value (SwellTrainView *self, const char *key, const char *value);
/* What the recipe's widget for `key` (as set_recipe_value) shows, or NULL. */
char *swell_train_view_get_recipe_value (SwellTrainView *self, const char *key);
/* A pretrained-weights download started with the Download button runs. */
gboolean swell_train_view_is_downloading (SwellTrainView *self);
/* Clicks the Download button (cancel: the Cancel button beside the download's
 * progress), if it is shown and sensitive. */
void swell_train_view_click_download (SwellTrainView *self, gboolean cancel);

/* swell-results-view.c */
/* Opens the preview of the first gallery image; FALSE if the gallery is empty. */
gboolean swell_results_view_preview_first (SwellResultsView *self);
/* Selects the n-th gallery image (FALSE if there is none). */
gboolean swell_results_view_select_gallery (SwellResultsView *self, guint n);
/* What Export Model… does with `path` chosen in its file chooser (the export
 * runs in a thread; errors are shown in the window). */
void swell_results_view_export_model_to (SwellResultsView *self, const char *path);
gboolean swell_results_view_is_exporting (SwellResultsView *self);
/* The gallery's split choice ("valid", "train", "both") and order ("loss",
 * "unsure"), as the drop-downs; FALSE for another name (or no run shown). */
gboolean swell_results_view_set_review (SwellResultsView *self, const char *split);
gboolean swell_results_view_set_review_order (SwellResultsView *self, const char *order);
/* The Valid/Test choice over the matrix; FALSE when the run has no test score. */
gboolean swell_results_view_show_test_matrix (SwellResultsView *self, gboolean test);
SwellTtaRow *swell_results_view_get_tta_row (SwellResultsView *self);
/* What the action bar's Move to Train / Move to Valid button does on the
 * selected gallery image; FALSE when none is selected. */
gboolean swell_results_view_move_selected (SwellResultsView *self);
/* An export or a TTA evaluation runs. */
gboolean swell_results_view_is_busy (SwellResultsView *self);
/* One line per gallery image, in its order: "ID<TAB>NAME<TAB>SPLIT<TAB>ACTUAL<TAB>
 * PREDICTED<TAB>PROB<TAB>LOSS<TAB>label-may-be-wrong|-". */
char *swell_results_view_describe_gallery (SwellResultsView *self);
/* "KEY<TAB>VALUE..." lines: run, title (the gallery's), summary (the header),
 * matrix (valid|test), valid_accuracy, test_accuracy ACC N (with a test score),
 * tta ACC TTA_ACC N (when the TTA switch shows a result). */
char *swell_results_view_describe (SwellResultsView *self);

/* swell-predict-view.c */
/* One line per finished image, "PATH<TAB>LABEL<TAB>PROB<TAB>unknown|known"
 * (top-1, and whether the card says it looks like none of the categories),
 * or "PATH<TAB>ERROR<TAB>message": what the cards show. */
char *swell_predict_view_describe (SwellPredictView *self);
/* The heatmap of the n-th card (0: the newest image), if it is shown. */
SwellHeatmap *swell_predict_view_get_heatmap (SwellPredictView *self, guint n);

G_END_DECLS
