/* swell-preferences.c: the Preferences window. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-application.h"
#include "swell-preferences.h"

struct _SwellPreferences {
  AdwPreferencesWindow parent_instance;
  AdwComboRow *style_row;
  AdwActionRow *recent_row;
  GtkButton *clear_recent_button;
  AdwComboRow *arch_row;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *freeze_spin;
  GtkSpinButton *lr_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *size_spin;
  GtkSwitch *augment_switch;
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SwellPreferences, swell_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const recipe_keys[] = { "arch", "epochs", "freeze-epochs", "learning-rate", "batch-size",
                                           "image-size", "augment",
                                           /* the Train view's Advanced section (swell-train-advanced.c) */
                                           "aug-crop", "aug-flip", "aug-rotate", "aug-zoom", "aug-warp",
                                           "aug-lighting", "min-scale", "max-rotate", "max-zoom", "max-warp",
                                           "max-lighting", "lr-mult", "keep" };

void
swell_preferences_reset_recipe (GSettings *settings)
{
  for (guint i = 0; i < G_N_ELEMENTS (recipe_keys); i++)
    g_settings_reset (settings, recipe_keys[i]);
}

/* A combo row shows an enum key: its items are in the order of the enum's
 * values (data/io.github.swell.Swell.gschema.xml). */
static void
enum_key_changed (GSettings *settings, const char *key, AdwComboRow *row)
{
  guint v = (guint) g_settings_get_enum (settings, key);
  if (adw_combo_row_get_selected (row) != v)
    adw_combo_row_set_selected (row, v);
}

static void
enum_row_selected (AdwComboRow *row, GParamSpec *pspec, GSettings *settings)
{
  const char *key = g_object_get_data (G_OBJECT (row), "key");
  guint v = adw_combo_row_get_selected (row);
  if (v != GTK_INVALID_LIST_POSITION && (guint) g_settings_get_enum (settings, key) != v)
    g_settings_set_enum (settings, key, (int) v);
}

static void
bind_enum_row (SwellPreferences *self, const char *key, AdwComboRow *row)
{
  g_autofree char *signal = g_strconcat ("changed::", key, NULL);
  g_object_set_data_full (G_OBJECT (row), "key", g_strdup (key), g_free);
  enum_key_changed (self->settings, key, row);
  g_signal_connect_object (self->settings, signal, G_CALLBACK (enum_key_changed), row, 0);
  g_signal_connect_object (row, "notify::selected", G_CALLBACK (enum_row_selected), self->settings, 0);
}

/* The learning rate in three significant digits (as the Train view writes
 * it), at the schema's full range and precision. */
static gboolean
on_lr_output (GtkSpinButton *spin, gpointer data)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (buf, sizeof buf, "%.3g", gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)));
  if (!g_str_equal (buf, gtk_editable_get_text (GTK_EDITABLE (spin))))
    gtk_editable_set_text (GTK_EDITABLE (spin), buf);
  return TRUE;
}

static int
on_lr_input (GtkSpinButton *spin, double *value, gpointer data)
{
  char *end = NULL;
  double v = g_ascii_strtod (gtk_editable_get_text (GTK_EDITABLE (spin)), &end);
  if (!end || *end || !(v > 0))
    return GTK_INPUT_ERROR;
  *value = v;
  return TRUE;
}

static void
update_recent_row (SwellPreferences *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  guint n = g_strv_length (recent);
  g_autofree char *text = n ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u project on the welcome page",
                                                            "%u projects on the welcome page", n), n)
                            : g_strdup (_("None"));
  adw_action_row_set_subtitle (self->recent_row, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->clear_recent_button), n > 0);
}

static void
on_clear_recent (SwellPreferences *self)
{
  g_settings_set_strv (self->settings, "recent-projects", NULL);
}

static void
on_reset (SwellPreferences *self)
{
  swell_preferences_reset_recipe (self->settings);
}

static void
swell_preferences_dispose (GObject *object)
{
  SwellPreferences *self = SWELL_PREFERENCES (object);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (swell_preferences_parent_class)->dispose (object);
}

static void
swell_preferences_class_init (SwellPreferencesClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_preferences_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-preferences.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, SwellPreferences, name)
  BIND (style_row);
  BIND (recent_row);
  BIND (clear_recent_button);
  BIND (arch_row);
  BIND (epochs_spin);
  BIND (freeze_spin);
  BIND (lr_spin);
  BIND (batch_spin);
  BIND (size_spin);
  BIND (augment_switch);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_clear_recent);
  gtk_widget_class_bind_template_callback (widget_class, on_reset);
  gtk_widget_class_bind_template_callback (widget_class, on_lr_output);
  gtk_widget_class_bind_template_callback (widget_class, on_lr_input);
}

static void
swell_preferences_init (SwellPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (SWELL_APP_ID);
  bind_enum_row (self, "color-scheme", self->style_row);
  bind_enum_row (self, "arch", self->arch_row);
  g_settings_bind (self->settings, "epochs", self->epochs_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "freeze-epochs", self->freeze_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "learning-rate", self->lr_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "batch-size", self->batch_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "image-size", self->size_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "augment", self->augment_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->settings, "changed::recent-projects", G_CALLBACK (update_recent_row), self);
  update_recent_row (self);
}

GtkWidget *
swell_preferences_new (GtkWindow *parent)
{
  return g_object_new (SWELL_TYPE_PREFERENCES, "transient-for", parent, "modal", TRUE, NULL);
}
