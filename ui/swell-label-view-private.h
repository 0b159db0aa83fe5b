/* swell-label-view-private.h: what the Label view's files share: the
 * instance struct and the functions one file offers the others.
 * swell-label-view.c is the widget (sidebar, grid, state), -actions.c its
 * actions (labels, splits, undo, category dialogs, import dialog) and -dnd.c
 * drag and drop (drops of files and thumbnails, the imports they start). */
#pragma once

#include "swell-health-banner.h"
#include "swell-label-suggestions.h"
#include "swell-label-view.h"
#include "swell-thumbnailer.h"
#include "swell-window.h"

G_BEGIN_DECLS

struct _SwellLabelView {
  GtkWidget parent_instance;

  AdwFlap *flap;
  GtkMenuButton *add_button;
  GtkPopover *add_popover;
  GtkEntry *add_entry;
  GtkListView *category_list;
  GtkLabel *heading_label;
  GtkLabel *count_label;
  GtkDropDown *split_dropdown;
  GtkStack *grid_stack;
  GtkGridView *grid;
  AdwStatusPage *empty_page;
  GtkRevealer *import_revealer;
  GtkLabel *import_label;
  GtkProgressBar *import_progress;
  GMenu *grid_menu;
  GMenu *label_submenu;
  GMenu *category_menu;

  SwellDocument *document;
  SwellImageFilter *filter;
  GtkMultiSelection *selection;
  GtkSingleSelection *category_selection;
  SwellThumbnailer *thumbnailer;
  gint64 context_category;
  GCancellable *import_cancellable;
  SwellProject *import_project; /* the project the running import writes to (no reference) */
  GQueue undo;  /* UndoOp*, newest at head */

  /* The "Suggested" sidebar row (after Unlabeled, while a finished run exists)
   * and its page; the sidebar shows categories + extra_rows. */
  SwellLabelSuggestions *suggestions;
  GListStore *extra_rows;
  SwellCategoryItem *suggested_row;
  gboolean suggested_mode;
  SwellHealthBanner *health_banner;
};

/* swell-label-view.c */
SwellWindow *_swell_label_view_get_window (SwellLabelView *self);
void _swell_label_view_show_error (SwellLabelView *self, const char *title, const GError *error);
/* The ids of the selected images (gint64). */
GArray *_swell_label_view_selected_ids (SwellLabelView *self);

/* swell-label-view-actions.c */
void _swell_label_view_class_actions_init (GtkWidgetClass *widget_class);
/* Labels ids with category_id, undoably; FALSE (error shown) on failure. */
gboolean _swell_label_view_relabel (SwellLabelView *self, GArray *ids, gint64 category_id);
void _swell_label_view_clear_undo (SwellLabelView *self);
/* The category id of each of ids now (gint64; SWELL_CATEGORY_UNLABELED for none). */
GArray *_swell_label_view_current_labels (SwellLabelView *self, GArray *ids);
/* Records a label change made elsewhere (ids had the labels `before`) for
 * label.undo; toast: a toast offers its Undo (dismissed once undone). */
void _swell_label_view_push_label_undo (SwellLabelView *self, GArray *ids, GArray *before, gboolean toast);
/* A toast's Undo button (data: the view): label.undo. */
void _swell_label_view_toast_undo (SwellWindow *win, gpointer data);

/* swell-label-view-suggestions.c */
void _swell_label_view_class_suggestions_init (GtkWidgetClass *widget_class);
/* Enables the accept actions for the page shown (suggested: the Suggested row). */
void _swell_label_view_suggestions_update_actions (SwellLabelView *self);

/* swell-label-view-dnd.c */
void _swell_label_view_class_dnd_init (GtkWidgetClass *widget_class);
/* Files dropped on the grid are imported into the category shown. */
void _swell_label_view_dnd_init (SwellLabelView *self);
/* A sidebar row takes dropped files (imported into its category) and
 * dragged thumbnails (relabelled with it). */
void _swell_label_view_dnd_setup_row (SwellLabelView *self, GtkWidget *row);
/* A thumbnail drags the selection (itself alone when unselected). */
void _swell_label_view_dnd_setup_tile (SwellLabelView *self, GtkWidget *tile);

G_END_DECLS
