/* swell-a11y.h: accessible names and descriptions for the widgets that have
 * no visible text of their own (icon-only buttons, list rows, the plots and
 * the confusion matrix): GTK_ACCESSIBLE_PROPERTY_LABEL and _DESCRIPTION, set
 * where the widget that takes the keyboard focus is (a GtkMenuButton's inner
 * toggle button, the row widget a GtkListView or GtkGridView focuses). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The accessible name of widget (and of the button inside a GtkMenuButton). */
void swell_a11y_set_label (GtkWidget *widget, const char *label);
void swell_a11y_set_description (GtkWidget *widget, const char *description);
/* For the child of a list item (set in the factory's bind): the name of the
 * row widget around it that the list focuses, and of child itself. Does
 * nothing while child has no parent. */
void swell_a11y_set_item_label (GtkWidget *child, const char *label);

/* Gives the rows of a GtkDropDown's popup list (a GtkStringList) their
 * text as accessible names (GTK 4.8's default rows have none), and the list
 * the name label. */
void swell_a11y_name_drop_down_items (GtkDropDown *drop_down, const char *label);

/* The widget the keyboard focus goes to when view (a view of the window, or
 * the welcome page) is shown. */
void swell_a11y_set_default_focus (GtkWidget *view, GtkWidget *target);
/* Moves the focus into view: to its default focus widget if that can take
 * it now, else to the first widget in view that can. */
void swell_a11y_focus_view (GtkWidget *view);

G_END_DECLS
