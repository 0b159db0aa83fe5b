/* swell-results-view-private.h: what the Results view's files share: the
 * instance struct and the functions one file offers the other.
 * swell-results-view.c is the widget (runs, matrix, gallery, preview) and
 * -actions.c its actions (relabel, split, delete with undo, the gallery's
 * menu and action bar, Export Model…). */
#pragma once

#include "swell-confusion-view.h"
#include "swell-results-model.h"
#include "swell-results-view.h"
#include "swell-thumbnailer.h"
#include "swell-tta-row.h"
#include "swell-window.h"

G_BEGIN_DECLS

struct _SwellResultsView {
  GtkWidget parent_instance;
  GtkStack *content_stack;
  AdwFlap *flap;
  GtkPaned *inner_paned;
  GtkListView *run_list;
  GtkLabel *run_title;
  GtkLabel *run_summary;
  SwellConfusionView *matrix;
  GtkLabel *gallery_title;
  GtkButton *show_mistakes_button;
  GtkDropDown *sort_dropdown;
  GtkStack *gallery_stack;
  GtkGridView *gallery;
  GtkLabel *gallery_empty;
  GtkLabel *matrix_caption;
  GMenu *gallery_menu;
  GMenu *relabel_submenu;
  GtkActionBar *gallery_actions;
  GtkButton *split_button;
  GtkDropDown *split_dropdown;
  GtkBox *gallery_header;
  GtkScrolledWindow *panel_scroller;
  GtkWidget *matrix_switch;
  GtkToggleButton *matrix_valid_button;
  GtkToggleButton *matrix_test_button;
  SwellTtaRow *tta_row;

  SwellDocument *document;
  SwellThumbnailer *thumbnailer;
  GListStore *runs;
  GtkSingleSelection *run_selection;
  SwellGallery *gallery_model;
  GtkSingleSelection *gallery_selection;
  SwellConfusion *confusion; /* the matrix shown: valid_confusion or test_confusion */
  SwellConfusion *valid_confusion;
  SwellConfusion *test_confusion; /* NULL when the run has no test score */
  GListStore *predictions;        /* the validation images' */
  GListStore *review;             /* the images the split choice reviews (the gallery's mistakes) */
  double test_accuracy;           /* the run's test score (with test_confusion) */
  int test_images;
  gint64 run_id;
  gboolean run_has_model; /* the run shown completed (so it stored a model) */
  gboolean exporting;
  int cell_a, cell_p; /* -1: all mistakes */
  gboolean reloading_runs;
};

/* swell-results-view.c */
SwellWindow *_swell_results_view_get_window (SwellResultsView *self);
void _swell_results_view_show_error (SwellResultsView *self, const char *title, const GError *error);
/* The gallery's selected image, NULL when none. */
SwellPredItem *_swell_results_view_selected_pred (SwellResultsView *self);
void _swell_results_view_open_preview (SwellResultsView *self, SwellPredItem *p);
void _swell_results_view_update_gallery_title (SwellResultsView *self);
/* Loads the run shown again (after an undo). */
void _swell_results_view_reload_run (SwellResultsView *self);

/* swell-results-view-actions.c */
void _swell_results_view_class_actions_init (GtkWidgetClass *widget_class);
/* The gallery's selection drives the action bar; a right click opens the menu. */
void _swell_results_view_actions_init (SwellResultsView *self);
/* Export Model… is enabled for a run with a model while no export runs. */
void _swell_results_view_update_export_action (SwellResultsView *self);
/* The action bar's Move to Train / Move to Valid. */
void _swell_results_view_move_split (SwellResultsView *self);

G_END_DECLS
