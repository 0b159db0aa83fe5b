/* swell-document.c: an open project and its view models. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-document.h"

struct _SwellDocument {
  GObject parent_instance;
  SwellProject *project;
  SwellImageList *images;
  SwellCategoryList *categories;
  guint poll_id;
  gboolean own_change; /* inside one of our own edits: models are updated in place */
};

G_DEFINE_FINAL_TYPE (SwellDocument, swell_document, G_TYPE_OBJECT)

enum { SIG_RUNS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
swell_document_dispose (GObject *object)
{
  SwellDocument *self = SWELL_DOCUMENT (object);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->project) {
    g_signal_handlers_disconnect_by_data (self->project, self);
    /* Images deleted in this session (kept for undo) go for good now. */
    swell_project_purge_deleted_images (self->project, NULL);
  }
  g_clear_object (&self->categories);
  g_clear_object (&self->images);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (swell_document_parent_class)->dispose (object);
}

static void
swell_document_class_init (SwellDocumentClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = swell_document_dispose;
  signals[SIG_RUNS_CHANGED] = g_signal_new ("runs-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
swell_document_init (SwellDocument *self)
{
  self->images = swell_image_list_new ();
  self->categories = swell_category_list_new (self->images);
}

static gboolean
reload_categories (SwellDocument *self, GError **error)
{
  g_autoptr (GPtrArray) cats = swell_project_list_categories (self->project, error);
  if (!cats)
    return FALSE;
  /* Drop categories that are gone, then upsert in order. Order changes are
   * rare (reorder): rebuild from scratch when the order differs. */
  guint n_old = swell_category_list_n_categories (self->categories);
  gboolean same_order = n_old <= cats->len;
  for (guint i = 0; i < n_old && same_order; i++) {
    SwellCategory *c = g_ptr_array_index (cats, i);
    same_order = swell_category_item_get_id (swell_category_list_nth_category (self->categories, i)) == c->id;
  }
  if (!same_order)
    swell_category_list_clear (self->categories);
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = g_ptr_array_index (cats, i);
    swell_category_list_upsert (self->categories, c->id, c->name, c->color);
  }
  return TRUE;
}

static gboolean
reload_images (SwellDocument *self, GError **error)
{
  SwellImageQuery q = SWELL_IMAGE_QUERY_ALL;
  g_autoptr (GPtrArray) imgs = swell_project_list_images (self->project, &q, error);
  if (!imgs)
    return FALSE;
  g_autoptr (GHashTable) present = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  swell_image_list_freeze (self->images);
  for (guint i = 0; i < imgs->len; i++) {
    SwellProjectImage *img = g_ptr_array_index (imgs, i);
    g_hash_table_add (present, &img->id);
    SwellImageItem *item = swell_image_list_lookup (self->images, img->id);
    if (item) {
      swell_image_item_set_category_id (item, img->category_id);
      swell_image_item_set_split (item, img->split);
    } else {
      g_ptr_array_add (fresh, swell_image_item_new (img->id, img->name, img->category_id, img->split));
    }
  }
  g_autoptr (GArray) gone = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->images));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->images), i);
    gint64 id = swell_image_item_get_id (item);
    if (!g_hash_table_contains (present, &id))
      g_array_append_val (gone, id);
  }
  swell_image_list_remove (self->images, (gint64 *) gone->data, gone->len);
  swell_image_list_append (self->images, (SwellImageItem **) fresh->pdata, fresh->len);
  swell_image_list_thaw (self->images);
  return TRUE;
}

gboolean
swell_document_reload (SwellDocument *self, GError **error)
{
  return reload_categories (self, error) && reload_images (self, error);
}

/* TRUE when the per-category, per-split counts of the store equal those of
 * the image list: then an external change (reported as CHANGE_ALL, e.g. a
 * training run writing its points every few batches) did not touch the
 * images, and reloading 10,000 rows on the main thread can be skipped. */
static gboolean
counts_match_store (SwellDocument *self)
{
  g_autoptr (GPtrArray) cats = swell_project_list_categories (self->project, NULL);
  int unlabeled[SWELL_N_SPLITS];
  if (!cats || !swell_project_count_unlabeled (self->project, unlabeled, NULL))
    return FALSE;
  if (swell_category_list_n_categories (self->categories) != cats->len)
    return FALSE;
  for (guint i = 0; i < cats->len; i++) {
    SwellCategory *c = g_ptr_array_index (cats, i);
    SwellCategoryItem *it = swell_category_list_lookup (self->categories, c->id, NULL);
    for (int sp = 0; sp < SWELL_N_SPLITS; sp++)
      if (!it || swell_category_item_get_count (it, sp) != (guint) c->counts[sp])
        return FALSE;
  }
  SwellCategoryItem *un = swell_category_list_lookup (self->categories, SWELL_CATEGORY_UNLABELED, NULL);
  for (int sp = 0; sp < SWELL_N_SPLITS; sp++)
    if (swell_category_item_get_count (un, sp) != (guint) unlabeled[sp])
      return FALSE;
  return TRUE;
}

static void
on_project_changed (SwellProject *project, SwellProjectChange what, SwellDocument *self)
{
  if (self->own_change)
    return;
  g_autoptr (GError) error = NULL;
  if ((what & SWELL_PROJECT_CHANGE_CATEGORIES) && !reload_categories (self, &error))
    g_warning ("%s", error->message);
  g_clear_error (&error);
  gboolean images = (what & (SWELL_PROJECT_CHANGE_IMAGES | SWELL_PROJECT_CHANGE_CATEGORIES)) != 0;
  if (images && what == SWELL_PROJECT_CHANGE_ALL && counts_match_store (self))
    images = FALSE;
  if (images && !reload_images (self, &error))
    g_warning ("%s", error->message);
  if (what & (SWELL_PROJECT_CHANGE_RUNS | SWELL_PROJECT_CHANGE_MODELS))
    g_signal_emit (self, signals[SIG_RUNS_CHANGED], 0);
}

static gboolean
poll_cb (gpointer data)
{
  SwellDocument *self = data;
  swell_project_poll_external_changes (self->project);
  return G_SOURCE_CONTINUE;
}

SwellDocument *
swell_document_open (const char *path, gboolean create, GError **error)
{
  g_autoptr (SwellProject) project = create ? swell_project_create (path, error) : swell_project_open (path, error);
  if (!project)
    return NULL;
  g_autoptr (SwellDocument) self = g_object_new (SWELL_TYPE_DOCUMENT, NULL);
  self->project = g_steal_pointer (&project);
  if (!swell_document_reload (self, error))
    return NULL;
  g_signal_connect (self->project, "changed", G_CALLBACK (on_project_changed), self);
  self->poll_id = g_timeout_add (700, poll_cb, self);
  return g_steal_pointer (&self);
}

SwellProject *swell_document_get_project (SwellDocument *self) { return self->project; }
const char *swell_document_get_path (SwellDocument *self) { return swell_project_get_path (self->project); }
SwellImageList *swell_document_get_images (SwellDocument *self) { return self->images; }
SwellCategoryList *swell_document_get_categories (SwellDocument *self) { return self->categories; }

char *
swell_document_get_title (SwellDocument *self)
{
  g_autofree char *base = g_path_get_basename (swell_document_get_path (self));
  char *dot = g_strrstr (base, "." SWELL_PROJECT_EXTENSION);
  if (dot && dot != base && dot[strlen ("." SWELL_PROJECT_EXTENSION)] == '\0')
    *dot = '\0';
  return g_steal_pointer (&base);
}

/* The image edits a document makes in its project. */
typedef enum { EDIT_LABEL, EDIT_SPLIT, EDIT_DELETE, EDIT_RESTORE } ImageEdit;

/* Makes edit on ids in the store as this document's own change (so
 * on_project_changed leaves the models alone), then brings the loaded items up
 * to date in place. value is the category id for EDIT_LABEL, the SwellSplit for
 * EDIT_SPLIT, unused otherwise. */
static gboolean
edit_images (SwellDocument *self, ImageEdit edit, GArray *ids, gint64 value, GError **error)
{
  const gint64 *id = (const gint64 *) ids->data;
  gboolean ok = FALSE;
  self->own_change = TRUE;
  switch (edit) {
  case EDIT_LABEL: ok = swell_project_set_label (self->project, id, ids->len, value, error); break;
  case EDIT_SPLIT: ok = swell_project_set_split (self->project, id, ids->len, (SwellSplit) value, error); break;
  case EDIT_DELETE: ok = swell_project_delete_images (self->project, id, ids->len, error); break;
  case EDIT_RESTORE: ok = swell_project_restore_images (self->project, id, ids->len, error); break;
  }
  self->own_change = FALSE;
  if (!ok)
    return FALSE;
  if (edit == EDIT_DELETE) {
    swell_image_list_remove (self->images, id, ids->len);
    return TRUE;
  }
  if (edit == EDIT_RESTORE) /* Restored rows come back in id order: a full reload puts them in place. */
    return reload_images (self, error);
  swell_image_list_freeze (self->images);
  for (guint i = 0; i < ids->len; i++) {
    SwellImageItem *item = swell_image_list_lookup (self->images, id[i]);
    if (item && edit == EDIT_LABEL)
      swell_image_item_set_category_id (item, value);
    else if (item)
      swell_image_item_set_split (item, (SwellSplit) value);
  }
  swell_image_list_thaw (self->images);
  return TRUE;
}

gboolean
swell_document_set_label (SwellDocument *self, GArray *ids, gint64 category_id, GError **error)
{
  return edit_images (self, EDIT_LABEL, ids, category_id, error);
}

gboolean
swell_document_set_split (SwellDocument *self, GArray *ids, SwellSplit split, GError **error)
{
  return edit_images (self, EDIT_SPLIT, ids, split, error);
}

gboolean
swell_document_delete_images (SwellDocument *self, GArray *ids, GError **error)
{
  return edit_images (self, EDIT_DELETE, ids, 0, error);
}

gboolean
swell_document_restore_images (SwellDocument *self, GArray *ids, GError **error)
{
  return edit_images (self, EDIT_RESTORE, ids, 0, error);
}

gboolean
swell_document_label_with_predictions (SwellDocument *self, gint64 run_id, GArray *ids, double min_confidence,
                                       guint *n_labeled, GError **error)
{
  const gint64 *id = (const gint64 *) ids->data;
  self->own_change = TRUE;
  gboolean ok = swell_project_label_with_predictions (self->project, run_id, id, ids->len, min_confidence, n_labeled,
                                                      error);
  self->own_change = FALSE;
  if (!ok)
    return FALSE;
  /* Each image's label as the store has it now (the category each was given). */
  swell_image_list_freeze (self->images);
  for (guint i = 0; i < ids->len; i++) {
    SwellImageItem *item = swell_image_list_lookup (self->images, id[i]);
    g_autoptr (SwellProjectImage) img = item ? swell_project_get_image (self->project, id[i], NULL) : NULL;
    if (img)
      swell_image_item_set_category_id (item, img->category_id);
  }
  swell_image_list_thaw (self->images);
  return TRUE;
}

gint64
swell_document_create_category (SwellDocument *self, const char *name, GError **error)
{
  gint64 id = swell_project_create_category (self->project, name, NULL, error);
  return id;
}

gboolean
swell_document_rename_category (SwellDocument *self, gint64 id, const char *name, GError **error)
{
  return swell_project_rename_category (self->project, id, name, error);
}

gboolean
swell_document_recolor_category (SwellDocument *self, gint64 id, const char *color, GError **error)
{
  return swell_project_recolor_category (self->project, id, color, error);
}

gboolean
swell_document_delete_category (SwellDocument *self, gint64 id, GError **error)
{
  return swell_project_delete_category (self->project, id, error);
}
