/* swell-test-driver-a11y.c: the test driver's commands about accessibility
 * and the keyboard: assert-accessible, assert-description, key, type and
 * assert-focus. Key events are real X events (xdotool, through the XTEST
 * extension of the Xvfb server), so they go where a person's keys would: to
 * the window that has the input focus, through GTK's shortcuts, mnemonics
 * and key bindings. The list is in swell-test-driver.h. */
#include "swell-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swell-plot.h"
#include "swell-confusion-view.h"
#include "swell-test-driver-private.h"

/* A string property of a widget's accessible, or NULL when it is not set.
 * GTK 4.8 has no getter: gtk_test_accessible_check_property() returns the
 * value it finds when it differs from the one asked for. */
static char *
accessible_string (GtkWidget *w, GtkAccessibleProperty property)
{
  static const char probe[] = "\x01swell-test-probe";
  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), property))
    return NULL;
  char *value = gtk_test_accessible_check_property (GTK_ACCESSIBLE (w), property, probe);
  return value ? value : g_strdup (probe);
}

static void
append_label_texts (GString *s, GtkWidget *w)
{
  if (GTK_IS_LABEL (w) && *gtk_label_get_text (GTK_LABEL (w)))
    g_string_append_printf (s, "%s%s", s->len ? " " : "", gtk_label_get_text (GTK_LABEL (w)));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    append_label_texts (s, c);
}

/* The accessible name of w as a screen reader gets it in GTK 4.8: its LABEL
 * property, else the widgets that label it (labelled-by: a label whose
 * mnemonic-widget it is, or the label inside a button; a button whose child
 * is an icon is labelled by the icon, which has no name). "" when it has
 * none. */
static char *
accessible_name (GtkWidget *w)
{
  g_autofree char *label = accessible_string (w, GTK_ACCESSIBLE_PROPERTY_LABEL);
  if (label && *label)
    return g_steal_pointer (&label);
  GString *s = g_string_new (NULL);
  GList *mnemonic = gtk_widget_list_mnemonic_labels (w);
  for (GList *l = mnemonic; l; l = l->next)
    if (GTK_IS_LABEL (l->data))
      g_string_append_printf (s, "%s%s", s->len ? " " : "", gtk_label_get_text (l->data));
  g_list_free (mnemonic);
  if (s->len == 0 && gtk_test_accessible_has_relation (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    append_label_texts (s, w);
  return g_string_free (s, FALSE);
}

/* Controls made of several widgets whose inner focusable part (a toggle
 * button, a GtkText) is named through the control. */
static gboolean
is_composite (GtkWidget *w)
{
  return GTK_IS_DROP_DOWN (w) || GTK_IS_SPIN_BUTTON (w) || GTK_IS_ENTRY (w) || GTK_IS_SEARCH_ENTRY (w) ||
         GTK_IS_PASSWORD_ENTRY (w) || ADW_IS_COMBO_ROW (w) || GTK_IS_COLUMN_VIEW (w);
}

static GtkWidget *
composite_ancestor (GtkWidget *w)
{
  /* A popup (a drop-down's list) is a surface of its own, its rows checked
   * one by one. */
  for (GtkWidget *p = gtk_widget_get_parent (w); p && !GTK_IS_ROOT (p) && !GTK_IS_POPOVER (p); p = gtk_widget_get_parent (p))
    if (is_composite (p))
      return p;
  return NULL;
}

/* "GtkButton (tooltip “…”) in SwellLabelView": enough to find a widget. */
static char *
describe_widget (GtkWidget *w)
{
  GString *s = g_string_new (G_OBJECT_TYPE_NAME (w));
  const char *tip = gtk_widget_get_tooltip_text (w);
  if (GTK_IS_BUTTON (w) && gtk_button_get_icon_name (GTK_BUTTON (w)))
    g_string_append_printf (s, " icon %s", gtk_button_get_icon_name (GTK_BUTTON (w)));
  if (GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (w)))
    g_string_append_printf (s, " icon %s", gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (w)));
  if (tip)
    g_string_append_printf (s, " tooltip “%s”", tip);
  for (GtkWidget *p = gtk_widget_get_parent (w); p; p = gtk_widget_get_parent (p))
    if (g_str_has_prefix (G_OBJECT_TYPE_NAME (p), "Swell") || GTK_IS_ROOT (p)) {
      g_string_append_printf (s, " in %s", G_OBJECT_TYPE_NAME (p));
      break;
    }
  return g_string_free (s, FALSE);
}

typedef struct {
  Driver *d;
  guint named, described, failures;
  GHashTable *checked;
} Walk;

static void
check_widget (Walk *walk, GtkWidget *w)
{
  gboolean graphic = SWELL_IS_PLOT (w) || SWELL_IS_CONFUSION_VIEW (w);
  if (!graphic && !(gtk_widget_get_focusable (w) && gtk_widget_get_can_focus (w)))
    return;
  /* Scrolling containers take the focus only when what they hold cannot. */
  if (GTK_IS_SCROLLED_WINDOW (w) || GTK_IS_VIEWPORT (w))
    return;
  /* A control's inner focusable part is checked as the control. */
  GtkWidget *control = composite_ancestor (w);
  if (control)
    w = control;
  if (!g_hash_table_add (walk->checked, w))
    return;
  g_autofree char *name = accessible_name (w);
  g_autofree char *what = describe_widget (w);
  if (!*name) {
    swell_driver_fail (walk->d, "no accessible name: %s", what);
    walk->failures++;
    return;
  }
  walk->named++;
  if (g_getenv ("SWELL_TEST_A11Y_VERBOSE"))
    printf ("swell-test: named %s: “%s”\n", what, name);
  if (graphic) {
    g_autofree char *desc = accessible_string (w, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    if (!desc || !*desc) {
      swell_driver_fail (walk->d, "no accessible description: %s “%s”", what, name);
      walk->failures++;
    } else {
      walk->described++;
      printf ("swell-test: description of “%s”: %s\n", name, desc);
    }
  }
}

static void
walk_widgets (Walk *walk, GtkWidget *w)
{
  if (!gtk_widget_get_mapped (w))
    return;
  check_widget (walk, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    walk_widgets (walk, c);
}

/* The main window and the windows shown over it (dialogs, Preferences). */
static GList *
shown_windows (Driver *d)
{
  GList *out = NULL;
  GList *windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l; l = l->next)
    if (GTK_IS_WINDOW (l->data) && gtk_widget_get_mapped (l->data) &&
        (l->data == (gpointer) d->win || gtk_window_get_transient_for (l->data) == GTK_WINDOW (d->win)))
      out = g_list_prepend (out, l->data);
  g_list_free (windows);
  return out;
}

Next
swell_driver_assert_accessible (Driver *d, guint argc, char **argv)
{
  Walk walk = { d, 0, 0, 0, g_hash_table_new (NULL, NULL) };
  GList *windows = shown_windows (d);
  for (GList *l = windows; l; l = l->next)
    walk_widgets (&walk, l->data);
  g_list_free (windows);
  g_hash_table_unref (walk.checked);
  printf ("swell-test: accessible: %u controls named, %u graphics described, %u without\n", walk.named,
          walk.described, walk.failures);
  return NEXT_AFTER_DRAW;
}

static GtkWidget *
find_named (GtkWidget *w, const char *name)
{
  if (!gtk_widget_get_mapped (w))
    return NULL;
  g_autofree char *label = accessible_string (w, GTK_ACCESSIBLE_PROPERTY_LABEL);
  if (label && g_str_has_prefix (label, name) &&
      gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c)) {
    GtkWidget *found = find_named (c, name);
    if (found)
      return found;
  }
  return NULL;
}

Next
swell_driver_assert_description (Driver *d, guint argc, char **argv)
{
  g_autofree char *text = g_strjoinv (" ", argv + 2);
  GtkWidget *w = find_named (GTK_WIDGET (d->win), argv[1]);
  g_autofree char *desc = w ? accessible_string (w, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION) : NULL;
  if (!w)
    swell_driver_fail (d, "no widget shown whose name starts with “%s” has a description", argv[1]);
  else if (!desc || !strstr (desc, text))
    swell_driver_fail (d, "the description of “%s” is “%s”, which does not contain “%s”", argv[1],
                       desc ? desc : "(none)", text);
  return NEXT_AFTER_DRAW;
}

/* Runs xdotool with args; the events reach the window through the X server
 * (the next command runs once GTK has had time to handle them). */
static Next
run_xdotool (Driver *d, const char *const *args, guint n_events)
{
  GPtrArray *cmd = g_ptr_array_new ();
  g_ptr_array_add (cmd, (gpointer) "xdotool");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (cmd, (gpointer) args[i]);
  g_ptr_array_add (cmd, NULL);
  int wait_status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  if (!g_spawn_sync (NULL, (char **) cmd->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err, &wait_status,
                     &error) ||
      !g_spawn_check_wait_status (wait_status, &error))
    swell_driver_fail (d, "xdotool: %s %s", error->message, err ? err : "");
  g_ptr_array_unref (cmd);
  swell_driver_next (d, 150 + 30 * n_events);
  return NEXT_LATER;
}

Next
swell_driver_key (Driver *d, guint argc, char **argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "key");
  g_ptr_array_add (args, (gpointer) "--delay");
  g_ptr_array_add (args, (gpointer) "60");
  for (guint i = 1; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  return run_xdotool (d, (const char *const *) args->pdata, argc);
}

Next
swell_driver_type (Driver *d, guint argc, char **argv)
{
  g_autofree char *text = g_strjoinv (" ", argv + 1);
  const char *args[] = { "type", "--delay", "40", text, NULL };
  return run_xdotool (d, args, (guint) strlen (text));
}

/* The window the keys go to: the active one (a dialog over the main window,
 * or the main window). */
static GtkWindow *
active_window (Driver *d)
{
  GtkWindow *active = NULL;
  GList *windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l; l = l->next)
    if (GTK_IS_WINDOW (l->data) && gtk_widget_get_mapped (l->data) && gtk_window_is_active (l->data))
      active = l->data;
  g_list_free (windows);
  return active ? active : GTK_WINDOW (d->win);
}

/* Whether the focus of the active window is on (or inside) a widget whose
 * type and accessible name contain want; *chain says where it is. */
static gboolean
focus_matches (Driver *d, const char *want, char **chain_out)
{
  GtkWindow *window = active_window (d);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GString *chain = g_string_new (NULL);
  gboolean found = FALSE;
  guint depth = 0;
  for (GtkWidget *w = focus; w && !found; w = gtk_widget_get_parent (w), depth++) {
    g_autofree char *name = GTK_IS_WINDOW (w) ? g_strdup (gtk_window_get_title (GTK_WINDOW (w))) : accessible_name (w);
    g_autofree char *text = g_strdup_printf ("%s “%s”", G_OBJECT_TYPE_NAME (w), name ? name : "");
    found = strstr (text, want) != NULL;
    /* The focus widget and the controls around it: enough to see where it is. */
    if (depth < 4 || found)
      g_string_append_printf (chain, "%s%s", chain->len ? " < " : "", text);
    if (GTK_IS_ROOT (w))
      break;
  }
  *chain_out = g_strdup_printf ("in %s: %s", G_OBJECT_TYPE_NAME (window), focus ? chain->str : "(nothing focused)");
  g_string_free (chain, TRUE);
  return found;
}

Next
swell_driver_assert_focus (Driver *d, guint argc, char **argv)
{
  g_autofree char *want = g_strjoinv (" ", argv + 1);
  g_autofree char *chain = NULL;
  gboolean found = focus_matches (d, want, &chain);
  printf ("swell-test: focus %s\n", chain);
  if (!found)
    swell_driver_fail (d, "the focus is not on “%s”: %s", want, chain);
  return NEXT_AFTER_DRAW;
}

typedef struct {
  Driver *d;
  char *want;
  gint64 deadline;
} FocusWait;

static gboolean
focus_poll (gpointer data)
{
  FocusWait *fw = data;
  g_autofree char *chain = NULL;
  gboolean found = focus_matches (fw->d, fw->want, &chain);
  if (!found && g_get_monotonic_time () < fw->deadline)
    return G_SOURCE_CONTINUE;
  printf ("swell-test: focus %s\n", chain);
  if (!found)
    swell_driver_fail (fw->d, "the focus did not come to “%s”: %s", fw->want, chain);
  swell_driver_next (fw->d, 50);
  g_free (fw->want);
  g_free (fw);
  return G_SOURCE_REMOVE;
}

Next
swell_driver_wait_focus (Driver *d, guint argc, char **argv)
{
  FocusWait *fw = g_new0 (FocusWait, 1);
  fw->d = d;
  fw->want = g_strjoinv (" ", argv + 2);
  fw->deadline = g_get_monotonic_time () + (gint64) atoi (argv[1]) * G_USEC_PER_SEC;
  g_timeout_add (50, focus_poll, fw);
  return NEXT_LATER;
}
