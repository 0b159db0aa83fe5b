/* swell-health-banner.c: the Label view's banner on dataset health and
 * near-duplicates (see the header). */
#include "swell-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "swell-dataset-check.h"
#include "swell-health-banner.h"
#include "swell-image-tile.h"
#include "swell-test-hooks.h"

#define RECHECK_DELAY_MS 1000

struct _SwellHealthBanner {
  GtkWidget parent_instance;

  GtkRevealer *revealer;
  GtkLabel *summary_label;

  SwellDocument *document;
  SwellThumbnailer *thumbnailer;
  GCancellable *cancellable; /* the check running, or NULL */
  guint recheck_id;          /* a check due after a change */
  SwellDatasetReport *report;
  char *summary;             /* the report's summary, NULL when nothing to fix */
  char *dismissed;           /* the summary dismissed with the close button */
};

G_DEFINE_FINAL_TYPE (SwellHealthBanner, swell_health_banner, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------- summary */

static guint
count_kind (SwellDatasetReport *r, SwellHealthKind kind, gboolean images)
{
  guint n = 0;
  for (guint i = 0; i < r->health->len; i++) {
    SwellHealthFinding *f = g_ptr_array_index (r->health, i);
    if (f->kind == kind)
      n += images ? f->image_ids->len : 1;
  }
  return n;
}

/* "3 problems in the data: 2 near-duplicate pairs across splits, 1 category
 * with few validation photos", or NULL when there is nothing to fix. */
static char *
make_summary (SwellDatasetReport *r)
{
  if (r->health->len == 0)
    return NULL;
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  guint problems = 0;
  if (r->n_across_splits > 0) {
    gboolean pairs = TRUE;
    for (guint i = 0; i < r->near_duplicates->len; i++) {
      SwellNearDuplicateGroup *g = g_ptr_array_index (r->near_duplicates, i);
      if (g->across_splits && g->images->len != 2)
        pairs = FALSE;
    }
    guint n = r->n_across_splits;
    g_ptr_array_add (parts, pairs ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u near-duplicate pair across splits",
                                                                  "%u near-duplicate pairs across splits", n), n)
                                  : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u near-duplicate group across splits",
                                                                  "%u near-duplicate groups across splits", n), n));
    problems += n;
  }
  guint n = count_kind (r, SWELL_HEALTH_FEW_TRAIN, FALSE);
  if (n > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u category with few training photos",
                                                          "%u categories with few training photos", n), n));
  problems += n;
  n = count_kind (r, SWELL_HEALTH_FEW_VALID, FALSE);
  if (n > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u category with few validation photos",
                                                          "%u categories with few validation photos", n), n));
  problems += n;
  n = count_kind (r, SWELL_HEALTH_IMBALANCE, FALSE);
  if (n > 0)
    g_ptr_array_add (parts, g_strdup (_("unbalanced categories")));
  problems += n;
  n = count_kind (r, SWELL_HEALTH_SMALL_IMAGES, TRUE);
  if (n > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u photo under %u px", "%u photos under %u px", n),
                                             n, (guint) SWELL_HEALTH_MIN_SIDE));
  problems += count_kind (r, SWELL_HEALTH_SMALL_IMAGES, FALSE);
  g_ptr_array_add (parts, NULL);
  g_autofree char *list = g_strjoinv (_(", "), (char **) parts->pdata);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u problem in the data: %s", "%u problems in the data: %s", problems),
                          problems, list);
}

static void
show_report (SwellHealthBanner *self)
{
  g_clear_pointer (&self->summary, g_free);
  if (self->report)
    self->summary = make_summary (self->report);
  if (self->summary)
    gtk_label_set_text (self->summary_label, self->summary);
  gtk_revealer_set_reveal_child (self->revealer, self->summary && g_strcmp0 (self->summary, self->dismissed) != 0);
}

/* ------------------------------------------------------------- checking */

typedef struct {
  SwellHealthBanner *self; /* a reference */
  GCancellable *cancellable; /* this check's: another one is the check that replaced it */
} Check;

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Check *c = user_data;
  SwellHealthBanner *self = c->self;
  g_autoptr (GError) error = NULL;
  SwellDatasetReport *report = swell_dataset_check_finish (SWELL_PROJECT (source), result, &error);
  if (c->cancellable == self->cancellable && !g_cancellable_is_cancelled (c->cancellable)) {
    g_clear_object (&self->cancellable);
    if (!report)
      g_warning ("dataset check: %s", error->message);
    g_clear_pointer (&self->report, swell_dataset_report_free);
    self->report = g_steal_pointer (&report);
    show_report (self);
  }
  g_clear_pointer (&report, swell_dataset_report_free);
  g_object_unref (c->cancellable);
  g_object_unref (c->self);
  g_free (c);
}

static gboolean
check_now (gpointer data)
{
  SwellHealthBanner *self = data;
  self->recheck_id = 0;
  if (!self->document)
    return G_SOURCE_REMOVE;
  /* A check of data that changed since it started is out of date. */
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  Check *c = g_new0 (Check, 1);
  c->self = g_object_ref (self);
  c->cancellable = g_object_ref (self->cancellable);
  swell_dataset_check_async (swell_document_get_project (self->document), self->cancellable, on_checked, c);
  return G_SOURCE_REMOVE;
}

static void
on_images_changed (SwellHealthBanner *self)
{
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  self->recheck_id = g_timeout_add (RECHECK_DELAY_MS, check_now, self);
}

gboolean
swell_health_banner_is_checking (SwellHealthBanner *self)
{
  return self->recheck_id != 0 || self->cancellable != NULL;
}

void
swell_health_banner_set_document (SwellHealthBanner *self, SwellDocument *document, SwellThumbnailer *thumbnailer)
{
  if (self->document)
    g_signal_handlers_disconnect_by_data (swell_document_get_images (self->document), self);
  g_clear_handle_id (&self->recheck_id, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->report, swell_dataset_report_free);
  g_clear_pointer (&self->dismissed, g_free);
  g_set_object (&self->document, document);
  g_set_object (&self->thumbnailer, thumbnailer);
  show_report (self);
  if (!document)
    return;
  g_signal_connect_swapped (swell_document_get_images (document), "items-changed", G_CALLBACK (on_images_changed), self);
  g_signal_connect_swapped (swell_document_get_images (document), "contents-changed", G_CALLBACK (on_images_changed), self);
  check_now (self);
}

static void
on_dismiss (SwellHealthBanner *self)
{
  g_free (self->dismissed);
  self->dismissed = g_strdup (self->summary);
  show_report (self);
}

/* ------------------------------------------------------------- details */

static char *
finding_title (SwellHealthFinding *f)
{
  switch (f->kind) {
  case SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS: return g_strdup (_("Near-duplicates across splits"));
  case SWELL_HEALTH_FEW_TRAIN: return g_strdup_printf (_("Few training photos in “%s”"), f->category ? f->category : "");
  case SWELL_HEALTH_FEW_VALID: return g_strdup_printf (_("Few validation photos in “%s”"), f->category ? f->category : "");
  case SWELL_HEALTH_IMBALANCE: return g_strdup (_("Unbalanced categories"));
  case SWELL_HEALTH_SMALL_IMAGES:
    return f->category ? g_strdup_printf (_("Small photos in “%s”"), f->category) : g_strdup (_("Small unlabeled photos"));
  }
  return g_strdup ("");
}

#define GROUP_NAMES_MAX 4
/* Groups listed in Details (each a row with thumbnails). */
#define GROUPS_MAX 100

/* "cloudy206.jpg (Train), cloudy229.jpg (Valid)"; a large group names its
 * first few and says how many more. */
static char *
group_names (SwellNearDuplicateGroup *g)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < g->images->len && i < GROUP_NAMES_MAX; i++) {
    SwellProjectImage *img = g_ptr_array_index (g->images, i);
    if (i > 0)
      g_string_append (s, _(", "));
    g_string_append_printf (s, _("%s (%s)"), img->name, swell_ui_split_display_name (img->split));
  }
  if (g->images->len > GROUP_NAMES_MAX) {
    guint more = g->images->len - GROUP_NAMES_MAX;
    g_string_append (s, _(", "));
    g_string_append_printf (s, g_dngettext (GETTEXT_PACKAGE, "and %u more", "and %u more", more), more);
  }
  return g_string_free (s, FALSE);
}

static GtkWidget *
group_row (SwellHealthBanner *self, SwellNearDuplicateGroup *g)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *names = group_names (g);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), names);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               g->across_splits ? _("Split between train and valid or test: keep them in one split, or delete the copies.")
                                                : _("In one split: the model sees this photo more often than the others."));
  GtkWidget *thumbs = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_valign (thumbs, GTK_ALIGN_CENTER);
  SwellImageList *images = swell_document_get_images (self->document);
  for (guint i = 0; i < g->images->len && i < 3; i++) {
    SwellProjectImage *img = g_ptr_array_index (g->images, i);
    SwellImageItem *item = swell_image_list_lookup (images, img->id);
    if (!item)
      continue;
    GtkWidget *tile = swell_image_tile_new (56);
    swell_image_tile_set_show_badges (SWELL_IMAGE_TILE (tile), FALSE, FALSE);
    swell_image_tile_bind (SWELL_IMAGE_TILE (tile), item, self->thumbnailer, swell_document_get_categories (self->document));
    gtk_box_append (GTK_BOX (thumbs), tile);
  }
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), thumbs);
  return row;
}

GtkWidget *
swell_health_banner_open_details (SwellHealthBanner *self)
{
  SwellDatasetReport *r = self->report;
  if (!r || !self->document)
    return NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *win = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (win), _("Data Problems"));
  gtk_window_set_modal (GTK_WINDOW (win), TRUE);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (win), GTK_WINDOW (root));
  gtk_window_set_default_size (GTK_WINDOW (win), 560, 640);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  GtkWidget *page = adw_preferences_page_new ();
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (win), box);

  GtkWidget *health = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (health), _("What to Fix Before Training"));
  if (self->summary)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (health), self->summary);
  if (r->health->len == 0) {
    GtkWidget *row = adw_action_row_new ();
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Nothing: the categories have enough photos of a good size."));
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (health), row);
  }
  for (guint i = 0; i < r->health->len; i++) {
    SwellHealthFinding *f = g_ptr_array_index (r->health, i);
    GtkWidget *row = adw_action_row_new ();
    g_autofree char *title = finding_title (f);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
    adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), f->message);
    GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
    adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (health), row);
  }
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (health));

  GtkWidget *dups = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (dups), _("Near-Duplicate Photos"));
  g_autofree char *how = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                       "%u group of the same photo resized, re-encoded or slightly cropped, %u of them split between train and valid or test.",
                                                       "%u groups of the same photo resized, re-encoded or slightly cropped, %u of them split between train and valid or test.",
                                                       r->near_duplicates->len),
                                          r->near_duplicates->len, r->n_across_splits);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (dups),
                                         r->near_duplicates->len > 0 ? how : _("No two photos are near-duplicates."));
  for (guint i = 0; i < r->near_duplicates->len && i < GROUPS_MAX; i++)
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (dups), group_row (self, g_ptr_array_index (r->near_duplicates, i)));
  if (r->near_duplicates->len > GROUPS_MAX) {
    guint more = r->near_duplicates->len - GROUPS_MAX;
    GtkWidget *row = adw_action_row_new ();
    g_autofree char *t = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u more group is not listed here: “swell-cli info” lists every one",
                                                       "%u more groups are not listed here: “swell-cli info” lists every one", more),
                                          more);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (dups), row);
  }
  if (r->n_unhashed > 0) {
    GtkWidget *row = adw_action_row_new ();
    g_autofree char *t = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u photo could not be read and was not compared",
                                                       "%u photos could not be read and were not compared", r->n_unhashed),
                                          r->n_unhashed);
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (dups), row);
  }
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (dups));
  gtk_window_present (GTK_WINDOW (win));
  return win;
}

static void
on_details (SwellHealthBanner *self)
{
  swell_health_banner_open_details (self);
}

char *
swell_health_banner_describe (SwellHealthBanner *self)
{
  GString *out = g_string_new (NULL);
  SwellDatasetReport *r = self->report;
  g_string_append_printf (out, "banner\t%s\t%s\n", gtk_revealer_get_reveal_child (self->revealer) ? "shown" : "hidden",
                          self->summary ? self->summary : "");
  for (guint i = 0; r && i < r->health->len; i++) {
    SwellHealthFinding *f = g_ptr_array_index (r->health, i);
    g_string_append_printf (out, "health\t%s\t%s\t%s\n", swell_health_kind_to_string (f->kind),
                            f->category ? f->category : "", f->message);
  }
  for (guint i = 0; r && i < r->near_duplicates->len; i++) {
    SwellNearDuplicateGroup *g = g_ptr_array_index (r->near_duplicates, i);
    g_string_append_printf (out, "near-duplicates\t%s", g->across_splits ? "across" : "within");
    for (guint k = 0; k < g->images->len; k++) {
      SwellProjectImage *img = g_ptr_array_index (g->images, k);
      g_string_append_printf (out, "\t%s:%s", img->name, swell_split_to_string (img->split));
    }
    g_string_append_c (out, '\n');
  }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------- class */

static void
swell_health_banner_dispose (GObject *object)
{
  SwellHealthBanner *self = SWELL_HEALTH_BANNER (object);
  swell_health_banner_set_document (self, NULL, NULL);
  g_clear_pointer (&self->summary, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_HEALTH_BANNER);
  G_OBJECT_CLASS (swell_health_banner_parent_class)->dispose (object);
}

static void
swell_health_banner_class_init (SwellHealthBannerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_health_banner_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-health-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellHealthBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, SwellHealthBanner, summary_label);
  gtk_widget_class_bind_template_callback (widget_class, on_details);
  gtk_widget_class_bind_template_callback (widget_class, on_dismiss);
}

static void
swell_health_banner_init (SwellHealthBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
