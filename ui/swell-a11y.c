/* swell-a11y.c: accessible names and descriptions (see swell-a11y.h). */
#include "swell-config.h"

#include "swell-a11y.h"

void
swell_a11y_set_label (GtkWidget *widget, const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  /* GTK 4.8's GtkMenuButton focuses the toggle button inside it. */
  if (GTK_IS_MENU_BUTTON (widget)) {
    for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
      if (GTK_IS_BUTTON (c))
        gtk_accessible_update_property (GTK_ACCESSIBLE (c), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  }
}

void
swell_a11y_set_description (GtkWidget *widget, const char *description)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

void
swell_a11y_set_item_label (GtkWidget *child, const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (child));
  gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  GtkWidget *row = gtk_widget_get_parent (child);
  if (row)
    gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

void
swell_a11y_set_default_focus (GtkWidget *view, GtkWidget *target)
{
  g_object_set_data (G_OBJECT (view), "swell-a11y-default-focus", target);
}

void
swell_a11y_focus_view (GtkWidget *view)
{
  GtkWidget *target = g_object_get_data (G_OBJECT (view), "swell-a11y-default-focus");
  if (target && gtk_widget_get_mapped (target) && gtk_widget_grab_focus (target))
    return;
  gtk_widget_child_focus (view, GTK_DIR_TAB_FORWARD);
}

static void
item_setup (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (li, label);
}

static void
item_bind (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GObject *item = gtk_list_item_get_item (li);
  const char *text = GTK_IS_STRING_OBJECT (item) ? gtk_string_object_get_string (GTK_STRING_OBJECT (item)) : "";
  GtkWidget *label = gtk_list_item_get_child (li);
  gtk_label_set_text (GTK_LABEL (label), text);
  swell_a11y_set_item_label (label, text);
}

static void
name_list_views (GtkWidget *w, const char *label)
{
  if (GTK_IS_LIST_VIEW (w))
    swell_a11y_set_label (w, label);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    name_list_views (c, label);
}

void
swell_a11y_name_drop_down_items (GtkDropDown *drop_down, const char *label)
{
  name_list_views (GTK_WIDGET (drop_down), label);
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (item_setup), NULL);
  g_signal_connect (f, "bind", G_CALLBACK (item_bind), NULL);
  gtk_drop_down_set_list_factory (drop_down, f);
  g_object_unref (f);
}
