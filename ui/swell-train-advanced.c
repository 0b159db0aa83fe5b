/* swell-train-advanced.c: the Train view's advanced recipe (see swell-train-advanced.h). */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "swell-train-advanced.h"
#include "swell-transforms.h"

struct _SwellTrainAdvanced {
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkBox *aug_box;
  GtkSpinButton *lr_mult_spin;
  GtkLabel *keep_title;
  GtkCheckButton *keep_last;
  GtkCheckButton *keep_best;
  GtkLabel *keep_best_label;

  GtkSwitch *aug_switch[SWELL_N_AUGS];
  GtkSpinButton *aug_spin[SWELL_N_AUGS]; /* NULL: the augmentation has no value */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SwellTrainAdvanced, swell_train_advanced, GTK_TYPE_WIDGET)

static void
set_label (GtkWidget *w, const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

/* "aug-crop": the GSettings key of an augmentation's switch. */
static char *
aug_key (SwellAug a)
{
  return g_strconcat ("aug-", swell_aug_info (a)->name, NULL);
}

/* The schema's defaults are the trainer's (the Reset button and a first start give
 * the recipe swell-cli trains with); a critical when they drift apart. */
static void
check_defaults (GSettings *settings)
{
  static gboolean checked;
  if (checked)
    return;
  checked = TRUE;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_object_get (settings, "settings-schema", &schema, NULL);
  SwellTrainOptions opts;
  swell_train_options_init (&opts);
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const SwellAugInfo *info = swell_aug_info (a);
    g_autofree char *key = aug_key (a);
    g_autoptr (GSettingsSchemaKey) k = g_settings_schema_get_key (schema, key);
    g_autoptr (GVariant) on = g_settings_schema_key_get_default_value (k);
    if (g_variant_get_boolean (on) != info->on_by_default || info->on_by_default != opts.aug.on[a])
      g_critical ("GSettings key %s: its default is not the trainer's", key);
    if (!info->option)
      continue;
    g_autoptr (GSettingsSchemaKey) vk = g_settings_schema_get_key (schema, info->option);
    g_autoptr (GVariant) v = g_settings_schema_key_get_default_value (vk);
    if (g_variant_get_double (v) != info->value_default)
      g_critical ("GSettings key %s: default %g, the trainer's %g", info->option, g_variant_get_double (v),
                  info->value_default);
  }
  g_autoptr (GSettingsSchemaKey) mk = g_settings_schema_get_key (schema, "lr-mult");
  g_autoptr (GVariant) mult = g_settings_schema_key_get_default_value (mk);
  if (g_variant_get_double (mult) != opts.lr_mult)
    g_critical ("GSettings key lr-mult: default %g, the trainer's %g", g_variant_get_double (mult), opts.lr_mult);
  g_autoptr (GSettingsSchemaKey) kk = g_settings_schema_get_key (schema, "keep");
  g_autoptr (GVariant) keep = g_settings_schema_key_get_default_value (kk);
  if (g_strcmp0 (g_variant_get_string (keep, NULL), swell_keep_to_string (opts.keep)) != 0)
    g_critical ("GSettings key keep: its default is not the trainer's");
  swell_train_options_clear (&opts);
}

static int
digits_for_step (double step)
{
  return step >= 1 ? 0 : (int) ceil (-log10 (step) - 1e-9);
}

static void
add_aug_row (SwellTrainAdvanced *self, SwellAug a)
{
  const SwellAugInfo *info = swell_aug_info (a);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *sw = gtk_switch_new ();
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  set_label (sw, _(info->title));
  GtkWidget *title = gtk_label_new (_(info->title));
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_box_append (GTK_BOX (row), sw);
  gtk_box_append (GTK_BOX (row), title);
  g_autofree char *key = aug_key (a);
  g_settings_bind (self->settings, key, sw, "active", G_SETTINGS_BIND_DEFAULT);
  if (info->option) {
    GtkAdjustment *adj = gtk_adjustment_new (info->value_default, info->value_min, info->value_max, info->value_step,
                                             info->value_step * 10, 0);
    GtkWidget *spin = gtk_spin_button_new (adj, info->value_step, (guint) digits_for_step (info->value_step));
    gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
    gtk_editable_set_width_chars (GTK_EDITABLE (spin), 4); /* the rows' spin buttons line up */
    gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text (spin, _(info->value_title));
    set_label (spin, _(info->value_title));
    g_object_bind_property (sw, "active", spin, "sensitive", G_BINDING_SYNC_CREATE);
    g_settings_bind (self->settings, info->option, spin, "value", G_SETTINGS_BIND_DEFAULT);
    gtk_box_append (GTK_BOX (row), spin);
    self->aug_spin[a] = GTK_SPIN_BUTTON (spin);
  }
  gtk_box_append (self->aug_box, row);
  self->aug_switch[a] = GTK_SWITCH (sw);
}

static void
keep_setting_changed (SwellTrainAdvanced *self)
{
  SwellKeep keep = SWELL_KEEP_LAST;
  g_autofree char *name = g_settings_get_string (self->settings, "keep");
  swell_keep_from_name (name, &keep);
  gtk_check_button_set_active (keep == SWELL_KEEP_BEST ? self->keep_best : self->keep_last, TRUE);
}

static void
keep_toggled (SwellTrainAdvanced *self)
{
  const char *keep = swell_keep_to_string (gtk_check_button_get_active (self->keep_best) ? SWELL_KEEP_BEST
                                                                                         : SWELL_KEEP_LAST);
  g_autofree char *now = g_settings_get_string (self->settings, "keep");
  if (g_strcmp0 (now, keep) != 0)
    g_settings_set_string (self->settings, "keep", keep);
}

void
swell_train_advanced_apply (SwellTrainAdvanced *self, SwellTrainOptions *opts)
{
  /* As swell-cli train stores them: the value of an augmentation that is off (or of
   * every one without augmentation) is its default, which --aug and --no-augment keep. */
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    opts->aug.on[a] = gtk_switch_get_active (self->aug_switch[a]);
    opts->aug.value[a] = swell_aug_info (a)->value_default;
    if (self->aug_spin[a] && opts->augment && opts->aug.on[a]) {
      gtk_spin_button_update (self->aug_spin[a]);
      opts->aug.value[a] = gtk_spin_button_get_value (self->aug_spin[a]);
    }
  }
  gtk_spin_button_update (self->lr_mult_spin);
  opts->lr_mult = gtk_spin_button_get_value (self->lr_mult_spin);
  opts->keep = gtk_check_button_get_active (self->keep_best) ? SWELL_KEEP_BEST : SWELL_KEEP_LAST;
}

/* The spin button of option `key` ("min-scale", "lr-mult"), or NULL. */
static GtkSpinButton *
spin_of (SwellTrainAdvanced *self, const char *key)
{
  if (g_str_equal (key, "lr-mult"))
    return self->lr_mult_spin;
  for (int a = 0; a < SWELL_N_AUGS; a++)
    if (self->aug_spin[a] && g_strcmp0 (key, swell_aug_info (a)->option) == 0)
      return self->aug_spin[a];
  return NULL;
}

gboolean
swell_train_advanced_set_value (SwellTrainAdvanced *self, const char *key, const char *value)
{
  if (g_str_equal (key, "aug")) {
    SwellAugSettings s;
    swell_aug_settings_init (&s);
    if (!swell_aug_settings_set_list (&s, value, NULL))
      return FALSE;
    for (int a = 0; a < SWELL_N_AUGS; a++)
      gtk_switch_set_active (self->aug_switch[a], s.on[a]);
    return TRUE;
  }
  if (g_str_equal (key, "keep")) {
    SwellKeep keep;
    if (!swell_keep_from_name (value, &keep))
      return FALSE;
    gtk_check_button_set_active (keep == SWELL_KEEP_BEST ? self->keep_best : self->keep_last, TRUE);
    return TRUE;
  }
  GtkSpinButton *spin = spin_of (self, key);
  char *end = NULL;
  double v = spin ? g_ascii_strtod (value, &end) : NAN;
  GtkAdjustment *adj = spin ? gtk_spin_button_get_adjustment (spin) : NULL;
  if (!spin || end == value || *end || !(v >= gtk_adjustment_get_lower (adj) && v <= gtk_adjustment_get_upper (adj)))
    return FALSE;
  gtk_spin_button_set_value (spin, v);
  return TRUE;
}

char *
swell_train_advanced_get_value (SwellTrainAdvanced *self, const char *key)
{
  if (g_str_equal (key, "aug")) {
    SwellAugSettings s;
    swell_aug_settings_init (&s);
    for (int a = 0; a < SWELL_N_AUGS; a++)
      s.on[a] = gtk_switch_get_active (self->aug_switch[a]);
    return swell_aug_settings_get_list (&s);
  }
  if (g_str_equal (key, "keep"))
    return g_strdup (swell_keep_to_string (gtk_check_button_get_active (self->keep_best) ? SWELL_KEEP_BEST
                                                                                          : SWELL_KEEP_LAST));
  GtkSpinButton *spin = spin_of (self, key);
  if (!spin)
    return NULL;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", gtk_spin_button_get_value (spin)));
}

static void
swell_train_advanced_dispose (GObject *object)
{
  SwellTrainAdvanced *self = SWELL_TRAIN_ADVANCED (object);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_TRAIN_ADVANCED);
  G_OBJECT_CLASS (swell_train_advanced_parent_class)->dispose (object);
}

static void
swell_train_advanced_class_init (SwellTrainAdvancedClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_train_advanced_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-train-advanced.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, SwellTrainAdvanced, name)
  BIND (box);
  BIND (aug_box);
  BIND (lr_mult_spin);
  BIND (keep_title);
  BIND (keep_last);
  BIND (keep_best);
  BIND (keep_best_label);
#undef BIND
}

static void
swell_train_advanced_init (SwellTrainAdvanced *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new ("io.github.swell.Swell");
  check_defaults (self->settings);
  for (int a = 0; a < SWELL_N_AUGS; a++)
    add_aug_row (self, a);
  /* the augmentations apply only with the Augmentation switch on */
  g_settings_bind (self->settings, "augment", self->aug_box, "sensitive",
                   G_SETTINGS_BIND_GET | G_SETTINGS_BIND_NO_SENSITIVITY);
  g_settings_bind (self->settings, "lr-mult", self->lr_mult_spin, "value", G_SETTINGS_BIND_DEFAULT);
  set_label (GTK_WIDGET (self->lr_mult_spin), _("Discriminative ratio"));
  set_label (GTK_WIDGET (self->keep_last), _("Keep the model of the last epoch"));
  set_label (GTK_WIDGET (self->keep_best), _("Keep the model of the best epoch (lowest validation loss)"));
  keep_setting_changed (self);
  g_signal_connect_swapped (self->settings, "changed::keep", G_CALLBACK (keep_setting_changed), self);
  g_signal_connect_swapped (self->keep_best, "toggled", G_CALLBACK (keep_toggled), self);
}
