/* swell-window-private.h: SwellWindow's instance struct, shared by
 * swell-window.c and swell-actions.c (the window's actions reach its views
 * through it). */
#pragma once

#include "swell-label-view.h"
#include "swell-predict-view.h"
#include "swell-results-view.h"
#include "swell-train-view.h"
#include "swell-welcome.h"
#include "swell-window.h"

G_BEGIN_DECLS

struct _SwellWindow {
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwHeaderBar *header_bar;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar *switcher_bar;
  GtkLabel *read_only_label;
  GtkStack *main_stack;
  AdwViewStack *view_stack;
  SwellWelcome *welcome;
  SwellLabelView *label_view;
  SwellTrainView *train_view;
  SwellResultsView *results_view;
  SwellPredictView *predict_view;
  GtkButton *import_button;
  GtkMenuButton *menu_button;

  SwellDocument *document;
  GSettings *settings;
  /* The toast shown (a weak pointer: the overlay owns it), so that a new one
   * replaces it and swell_window_dismiss_toast can hide it. */
  AdwToast *toast;
  gint64 toast_shown_at; /* g_get_monotonic_time () when it was added */
  guint focus_idle;      /* moves the focus into the view shown */
};

G_END_DECLS
