/* swell-heatmap.c: a photo and its Grad-CAM overlay (see swell-heatmap.h). */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-heatmap.h"
#include "swell-inference.h"

#define SPACING 6
#define CACHE_MAX 96 /* overlays kept (a 224 px one is 150 kB) */

struct _SwellHeatmap {
  GtkWidget parent_instance;
  GtkWidget *controls; /* vertical box: the bar, then the status line */
  GtkWidget *toggle;
  GtkWidget *dropdown;
  GtkWidget *spinner;
  GtkWidget *status;
  GtkStringList *classes;
  int image_height;
  GdkTexture *image;
  /* what is explained */
  char *project_path;
  gint64 run_id, image_id;
  char *file;
  gboolean show;
  gboolean setting; /* set_source is resetting the controls */
  /* what is shown */
  GdkTexture *overlay;
  int shown_class;
  float shown_prob;
  char *error;
  gboolean computing;
  guint generation; /* of the request whose result is wanted */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (SwellHeatmap, swell_heatmap, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_SHOW, PROP_CLASS_INDEX, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---------------------------------------------------------------- cache */

/* Overlays by image and class (main thread only). */
typedef struct {
  GdkTexture *overlay;
  int class_index;
  float prob;
} Entry;

static GHashTable *cache;

static void
entry_free (gpointer p)
{
  Entry *e = p;
  g_object_unref (e->overlay);
  g_free (e);
}

/* The image's part of the key; the class index follows it. */
static char *
cache_image_key (SwellHeatmap *self)
{
  return g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%s\n", self->project_path,
                          self->run_id, self->image_id, self->file ? self->file : "");
}

static void
cache_put (const char *key, GdkTexture *overlay, int class_index, float prob)
{
  if (!cache)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  if (g_hash_table_size (cache) >= CACHE_MAX)
    g_hash_table_remove_all (cache);
  Entry *e = g_new0 (Entry, 1);
  e->overlay = g_object_ref (overlay);
  e->class_index = class_index;
  e->prob = prob;
  g_hash_table_insert (cache, g_strdup (key), e);
}

/* ---------------------------------------------------------------- worker */

/* One classifier per project and run, shared by every heatmap: loading the
 * model costs more than explaining one image. The lock is held while it
 * explains (one call at a time per classifier). */
static GMutex classifier_lock;
static struct {
  char *path;
  gint64 run_id;
  SwellProjectModel *model;
  SwellClassifier *classifier;
} shared;

static SwellClassifier *
shared_classifier (SwellProject *conn, const char *path, gint64 run_id, GError **error)
{
  if (shared.classifier && shared.run_id == run_id && g_strcmp0 (shared.path, path) == 0)
    return shared.classifier;
  g_clear_pointer (&shared.classifier, swell_classifier_free);
  g_clear_pointer (&shared.model, swell_project_model_free);
  g_clear_pointer (&shared.path, g_free);
  shared.model = swell_project_load_model (conn, run_id, error);
  shared.classifier = shared.model ? swell_classifier_new_for_model (shared.model, error) : NULL;
  if (!shared.classifier) {
    g_clear_pointer (&shared.model, swell_project_model_free);
    return NULL;
  }
  shared.path = g_strdup (path);
  shared.run_id = run_id;
  return shared.classifier;
}

typedef struct {
  char *project_path;
  gint64 run_id, image_id;
  char *file;
  int class_index; /* -1: the predicted one */
  char *image_key; /* cache_image_key */
  guint generation;
} Request;

static void
request_free (gpointer p)
{
  Request *r = p;
  g_free (r->project_path);
  g_free (r->file);
  g_free (r->image_key);
  g_free (r);
}

typedef struct {
  GdkPixbuf *overlay;
  int class_index;
  float prob;
} Explained;

static void
explained_free (gpointer p)
{
  Explained *x = p;
  g_clear_object (&x->overlay);
  g_free (x);
}

static void
explain_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Request *r = data;
  g_autoptr (GError) error = NULL;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_autoptr (SwellProject) conn = swell_project_open (r->project_path, &error);
  g_autoptr (GBytes) bytes = conn && r->image_id > 0 ? swell_project_get_image_bytes (conn, r->image_id, &error) : NULL;
  g_autoptr (SwellExplanation) e = NULL;
  if (conn && (bytes || r->image_id <= 0)) {
    g_mutex_lock (&classifier_lock);
    SwellClassifier *c = shared_classifier (conn, r->project_path, r->run_id, &error);
    if (c && bytes) {
      g_autofree char *name = g_strdup_printf ("#%" G_GINT64_FORMAT, r->image_id);
      e = swell_classifier_explain_bytes (c, bytes, name, r->class_index, &error);
    } else if (c) {
      e = swell_classifier_explain_file (c, r->file, r->class_index, &error);
    }
    g_mutex_unlock (&classifier_lock);
  }
  if (!e) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  Explained *x = g_new0 (Explained, 1);
  x->overlay = swell_explanation_render (e, SWELL_EXPLAIN_OPACITY);
  x->class_index = e->class_index;
  x->prob = e->probs[e->class_index];
  if (!x->overlay) {
    explained_free (x);
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("out of memory"));
    return;
  }
  g_task_return_pointer (task, x, explained_free);
}

/* ---------------------------------------------------------------- state */

static int
selected_class (SwellHeatmap *self)
{
  guint s = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->dropdown));
  return s == GTK_INVALID_LIST_POSITION ? -1 : (int) s;
}

static void
update (SwellHeatmap *self)
{
  gboolean has_model = self->run_id > 0;
  gtk_widget_set_sensitive (self->toggle, has_model);
  gtk_widget_set_sensitive (self->dropdown, has_model);
  gtk_widget_set_tooltip_text (self->toggle, has_model ? _("Show which parts of the photo raised the score of the chosen category")
                                                       : _("This run kept no model to explain with"));
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), self->computing);
  gtk_widget_set_visible (self->spinner, self->computing);
  g_autofree char *text = NULL;
  if (self->show && self->error)
    text = g_strdup (self->error);
  else if (self->show && self->overlay) {
    guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
    const char *name = self->shown_class >= 0 && (guint) self->shown_class < n
                         ? gtk_string_list_get_string (self->classes, self->shown_class) : "?";
    text = g_strdup_printf (_("Evidence for “%s” (%.1f%%) in the photo as the model saw it"), name,
                            100.0 * self->shown_prob);
  }
  gtk_label_set_text (GTK_LABEL (self->status), text ? text : "");
  gtk_widget_set_visible (self->status, text != NULL);
  if (self->error)
    gtk_widget_add_css_class (self->status, "error");
  else
    gtk_widget_remove_css_class (self->status, "error");
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
explained (GObject *source, GAsyncResult *res, gpointer data)
{
  SwellHeatmap *self = SWELL_HEATMAP (source);
  Request *r = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  Explained *x = g_task_propagate_pointer (G_TASK (res), &error);
  g_autoptr (GdkTexture) overlay = x ? gdk_texture_new_for_pixbuf (x->overlay) : NULL;
  if (x) {
    /* under the class asked for and, for -1, the one explained */
    g_autofree char *key = g_strdup_printf ("%s%d", r->image_key, r->class_index);
    g_autofree char *explained_key = g_strdup_printf ("%s%d", r->image_key, x->class_index);
    cache_put (key, overlay, x->class_index, x->prob);
    cache_put (explained_key, overlay, x->class_index, x->prob);
  }
  if (r->generation == self->generation) {
    self->computing = FALSE;
    if (x) {
      g_set_object (&self->overlay, overlay);
      self->shown_class = x->class_index;
      self->shown_prob = x->prob;
      if (selected_class (self) != x->class_index) {
        self->setting = TRUE;
        gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown), (guint) x->class_index);
        self->setting = FALSE;
        g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CLASS_INDEX]);
      }
    } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_free (self->error);
      self->error = g_strdup (error->message);
    }
    update (self);
  }
  if (x)
    explained_free (x);
}

/* Shows the overlay of the class chosen (from the cache, or computed on a
 * worker thread), or the photo when the heatmap is off. */
static void
request (SwellHeatmap *self)
{
  self->generation++;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->overlay);
  g_clear_pointer (&self->error, g_free);
  self->computing = FALSE;
  if (!self->show || self->run_id <= 0 || (!self->image_id && !self->file)) {
    update (self);
    return;
  }
  int k = selected_class (self);
  g_autofree char *image_key = cache_image_key (self);
  g_autofree char *key = g_strdup_printf ("%s%d", image_key, k);
  Entry *e = cache ? g_hash_table_lookup (cache, key) : NULL;
  if (e) {
    self->overlay = g_object_ref (e->overlay);
    self->shown_class = e->class_index;
    self->shown_prob = e->prob;
    update (self);
    return;
  }
  Request *r = g_new0 (Request, 1);
  r->project_path = g_strdup (self->project_path);
  r->run_id = self->run_id;
  r->image_id = self->image_id;
  r->file = g_strdup (self->file);
  r->class_index = k;
  r->image_key = g_steal_pointer (&image_key);
  r->generation = self->generation;
  self->computing = TRUE;
  self->cancellable = g_cancellable_new ();
  GTask *task = g_task_new (self, self->cancellable, explained, NULL);
  g_task_set_task_data (task, r, request_free);
  g_task_run_in_thread (task, explain_thread);
  g_object_unref (task);
  update (self);
}

static void
on_toggled (SwellHeatmap *self)
{
  gboolean on = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->toggle));
  if (on == self->show)
    return;
  self->show = on;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SHOW]);
  if (!self->setting)
    request (self);
}

static void
on_class_selected (SwellHeatmap *self)
{
  if (self->setting)
    return;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CLASS_INDEX]);
  if (self->show)
    request (self);
}

/* ---------------------------------------------------------------- API */

void
swell_heatmap_set_image (SwellHeatmap *self, GdkTexture *texture)
{
  g_return_if_fail (SWELL_IS_HEATMAP (self));
  if (g_set_object (&self->image, texture))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
swell_heatmap_set_source (SwellHeatmap *self, const char *project_path, gint64 run_id, gint64 image_id,
                          const char *file, const char *const *class_names, int predicted)
{
  g_return_if_fail (SWELL_IS_HEATMAP (self));
  self->setting = TRUE;
  g_free (self->project_path);
  self->project_path = g_strdup (project_path);
  self->run_id = project_path ? run_id : 0;
  self->image_id = image_id;
  g_free (self->file);
  self->file = image_id > 0 ? NULL : g_strdup (file);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->toggle), FALSE);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
  gtk_string_list_splice (self->classes, 0, n, class_names);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown),
                              predicted >= 0 && (guint) predicted < n ? (guint) predicted : GTK_INVALID_LIST_POSITION);
  self->setting = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CLASS_INDEX]);
  request (self);
}

const char *swell_heatmap_get_file (SwellHeatmap *self) { return self->file; }
gboolean swell_heatmap_get_show (SwellHeatmap *self) { return self->show; }
int swell_heatmap_get_class (SwellHeatmap *self) { return selected_class (self); }
const char *
swell_heatmap_get_class_name (SwellHeatmap *self)
{
  int k = selected_class (self);
  return k >= 0 ? gtk_string_list_get_string (self->classes, (guint) k) : NULL;
}

gboolean swell_heatmap_is_computing (SwellHeatmap *self) { return self->computing; }
const char *swell_heatmap_get_error (SwellHeatmap *self) { return self->error; }

void
swell_heatmap_set_show (SwellHeatmap *self, gboolean show)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->toggle), show);
}

void
swell_heatmap_set_class (SwellHeatmap *self, int class_index)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown),
                              class_index >= 0 && (guint) class_index < n ? (guint) class_index : GTK_INVALID_LIST_POSITION);
}

gboolean
swell_heatmap_set_class_name (SwellHeatmap *self, const char *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->classes, i), name) == 0) {
      gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown), i);
      return TRUE;
    }
  return FALSE;
}

GdkTexture *
swell_heatmap_get_overlay (SwellHeatmap *self)
{
  return self->show ? self->overlay : NULL;
}

GtkWidget *
swell_heatmap_new (int image_height)
{
  SwellHeatmap *self = g_object_new (SWELL_TYPE_HEATMAP, NULL);
  self->image_height = MAX (image_height, 0);
  return GTK_WIDGET (self);
}

/* ---------------------------------------------------------------- widget */

static int
controls_height (SwellHeatmap *self, int width)
{
  int h = 0;
  gtk_widget_measure (self->controls, GTK_ORIENTATION_VERTICAL, width, &h, NULL, NULL, NULL);
  return h;
}

static GtkSizeRequestMode
swell_heatmap_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
swell_heatmap_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                       int *minimum_baseline, int *natural_baseline)
{
  SwellHeatmap *self = SWELL_HEATMAP (widget);
  int cmin = 0, cnat = 0;
  gtk_widget_measure (self->controls, orientation, orientation == GTK_ORIENTATION_VERTICAL ? for_size : -1, &cmin, &cnat,
                      NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL) {
    *minimum = cmin;
    *natural = MAX (cnat, self->image_height * 4 / 3);
  } else {
    *minimum = cmin + SPACING + self->image_height;
    *natural = cnat + SPACING + self->image_height;
  }
}

static void
swell_heatmap_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  SwellHeatmap *self = SWELL_HEATMAP (widget);
  int h = controls_height (self, width);
  gtk_widget_allocate (self->controls, width, h, -1, gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (0, height - h)));
}

/* The photo, or its overlay when the heatmap is on, fit into the image area
 * (above the controls), centred. */
static void
swell_heatmap_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SwellHeatmap *self = SWELL_HEATMAP (widget);
  GdkTexture *t = self->show && self->overlay ? self->overlay : self->image;
  int w = gtk_widget_get_width (widget);
  int h = gtk_widget_get_height (widget) - controls_height (self, w) - SPACING;
  if (t && w > 0 && h > 0) {
    double tw = gdk_texture_get_width (t), th = gdk_texture_get_height (t);
    double scale = MIN (w / tw, h / th);
    graphene_rect_t r = GRAPHENE_RECT_INIT ((float) ((w - tw * scale) / 2), (float) ((h - th * scale) / 2),
                                            (float) (tw * scale), (float) (th * scale));
    gtk_snapshot_append_texture (snapshot, t, &r);
  }
  gtk_widget_snapshot_child (widget, self->controls, snapshot);
}

static void
swell_heatmap_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SwellHeatmap *self = SWELL_HEATMAP (object);
  switch (prop_id) {
  case PROP_SHOW: g_value_set_boolean (value, self->show); break;
  case PROP_CLASS_INDEX: g_value_set_int (value, selected_class (self)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
swell_heatmap_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SwellHeatmap *self = SWELL_HEATMAP (object);
  switch (prop_id) {
  case PROP_SHOW: swell_heatmap_set_show (self, g_value_get_boolean (value)); break;
  case PROP_CLASS_INDEX: swell_heatmap_set_class (self, g_value_get_int (value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
swell_heatmap_dispose (GObject *object)
{
  SwellHeatmap *self = SWELL_HEATMAP (object);
  self->generation++;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->controls, gtk_widget_unparent);
  g_clear_object (&self->classes);
  g_clear_object (&self->image);
  g_clear_object (&self->overlay);
  G_OBJECT_CLASS (swell_heatmap_parent_class)->dispose (object);
}

static void
swell_heatmap_finalize (GObject *object)
{
  SwellHeatmap *self = SWELL_HEATMAP (object);
  g_free (self->project_path);
  g_free (self->file);
  g_free (self->error);
  G_OBJECT_CLASS (swell_heatmap_parent_class)->finalize (object);
}

static void
swell_heatmap_class_init (SwellHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = swell_heatmap_dispose;
  object_class->finalize = swell_heatmap_finalize;
  object_class->get_property = swell_heatmap_get_property;
  object_class->set_property = swell_heatmap_set_property;
  widget_class->get_request_mode = swell_heatmap_get_request_mode;
  widget_class->measure = swell_heatmap_measure;
  widget_class->size_allocate = swell_heatmap_size_allocate;
  widget_class->snapshot = swell_heatmap_snapshot;
  props[PROP_SHOW] = g_param_spec_boolean ("show", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_CLASS_INDEX] = g_param_spec_int ("class-index", NULL, NULL, -1, G_MAXINT, -1,
                                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gtk_widget_class_set_css_name (widget_class, "swell-heatmap");
}

/* The drop-down's items: the button's label ellipsizes (a card is narrow),
 * the popup's does not. */
static void
item_setup (GtkSignalListItemFactory *f, GtkListItem *li, gpointer ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (ellipsize) {
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
    gtk_label_set_width_chars (GTK_LABEL (label), 4);
  }
  gtk_list_item_set_child (li, label);
}

static void
item_bind (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkStringObject *s = gtk_list_item_get_item (li);
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (li)), s ? gtk_string_object_get_string (s) : "");
}

static GtkListItemFactory *
item_factory (gboolean ellipsize)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (item_setup), GINT_TO_POINTER (ellipsize));
  g_signal_connect (f, "bind", G_CALLBACK (item_bind), NULL);
  return f;
}

static void
swell_heatmap_init (SwellHeatmap *self)
{
  self->image_height = 160;
  self->shown_class = -1;
  self->classes = gtk_string_list_new (NULL);
  self->controls = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_parent (self->controls, GTK_WIDGET (self));
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->toggle = gtk_toggle_button_new_with_label (_("Show Heatmap"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Show the Grad-CAM heatmap"), -1);
  g_signal_connect_swapped (self->toggle, "notify::active", G_CALLBACK (on_toggled), self);
  self->dropdown = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->classes)), NULL);
  g_autoptr (GtkListItemFactory) button_factory = item_factory (TRUE);
  g_autoptr (GtkListItemFactory) list_factory = item_factory (FALSE);
  gtk_drop_down_set_factory (GTK_DROP_DOWN (self->dropdown), button_factory);
  gtk_drop_down_set_list_factory (GTK_DROP_DOWN (self->dropdown), list_factory);
  gtk_widget_set_tooltip_text (self->dropdown, _("The category whose evidence the heatmap shows"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Category to explain"), -1);
  g_signal_connect_swapped (self->dropdown, "notify::selected", G_CALLBACK (on_class_selected), self);
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_box_append (GTK_BOX (bar), self->toggle);
  gtk_box_append (GTK_BOX (bar), self->dropdown);
  gtk_box_append (GTK_BOX (bar), self->spinner);
  self->status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_widget_add_css_class (self->status, "caption");
  gtk_widget_set_visible (self->status, FALSE);
  gtk_box_append (GTK_BOX (self->controls), bar);
  gtk_box_append (GTK_BOX (self->controls), self->status);
  update (self);
}
