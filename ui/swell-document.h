/* swell-document.h: an open project as the window uses it: the store
 * connection of the main thread plus the view models (images, categories),
 * kept in step with the store. Every edit goes through here so the models
 * change in place (no reload of 10,000 rows for one label). Changes made by
 * other connections (training thread, import) are picked up by polling. */
#pragma once

#include <gio/gio.h>

#include "swell-category-list.h"
#include "swell-image-list.h"
#include "swell-project.h"

G_BEGIN_DECLS

#define SWELL_TYPE_DOCUMENT (swell_document_get_type ())
G_DECLARE_FINAL_TYPE (SwellDocument, swell_document, SWELL, DOCUMENT, GObject)

/* Opens (create = FALSE) or creates a project file. */
SwellDocument *swell_document_open (const char *path, gboolean create, GError **error);
SwellProject *swell_document_get_project (SwellDocument *self);
const char *swell_document_get_path (SwellDocument *self);
/* The file's base name without extension, for titles. */
char *swell_document_get_title (SwellDocument *self);
SwellImageList *swell_document_get_images (SwellDocument *self);
SwellCategoryList *swell_document_get_categories (SwellDocument *self);

/* Reloads categories and images from the store. */
gboolean swell_document_reload (SwellDocument *self, GError **error);

gboolean swell_document_set_label (SwellDocument *self, GArray *ids, gint64 category_id, GError **error);
gboolean swell_document_set_split (SwellDocument *self, GArray *ids, SwellSplit split, GError **error);
/* Soft delete (undoable with restore). */
gboolean swell_document_delete_images (SwellDocument *self, GArray *ids, GError **error);
gboolean swell_document_restore_images (SwellDocument *self, GArray *ids, GError **error);
/* Labels ids with the categories run_id predicted for them, those predicted
 * with a probability of at least min_confidence (swell_project_label_with_predictions:
 * one transaction, all or nothing); n_labeled (may be NULL) gets how many. */
gboolean swell_document_label_with_predictions (SwellDocument *self, gint64 run_id, GArray *ids,
                                                double min_confidence, guint *n_labeled, GError **error);

gint64 swell_document_create_category (SwellDocument *self, const char *name, GError **error);
gboolean swell_document_rename_category (SwellDocument *self, gint64 id, const char *name, GError **error);
gboolean swell_document_recolor_category (SwellDocument *self, gint64 id, const char *color, GError **error);
gboolean swell_document_delete_category (SwellDocument *self, gint64 id, GError **error);

/* Emitted when runs or models changed (own or other connections). */
/* signal "runs-changed" */

G_END_DECLS
