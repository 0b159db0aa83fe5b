/* swell-label-suggestions.c: the Label view's "Suggested" page (see the
 * header): a filtered list of the latest finished run's predictions of the
 * images that are unlabeled now, in a thumbnail grid. */
#include "swell-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "swell-image-tile.h"
#include "swell-label-suggestions.h"

/* ------------------------------------------------------------- one suggestion */

#define SWELL_TYPE_SUGGESTION (swell_suggestion_get_type ())
G_DECLARE_FINAL_TYPE (SwellSuggestion, swell_suggestion, SWELL, SUGGESTION, GObject)

struct _SwellSuggestion {
  GObject parent_instance;
  SwellImageItem *image;
  gint64 category_id; /* the predicted category as the project has it now */
  char *category;
  char *color;
  guint position;     /* the category's place in the sidebar: the group order */
  double probability;
};

G_DEFINE_FINAL_TYPE (SwellSuggestion, swell_suggestion, G_TYPE_OBJECT)

static void
swell_suggestion_finalize (GObject *object)
{
  SwellSuggestion *self = SWELL_SUGGESTION (object);
  g_clear_object (&self->image);
  g_free (self->category);
  g_free (self->color);
  G_OBJECT_CLASS (swell_suggestion_parent_class)->finalize (object);
}

static void swell_suggestion_class_init (SwellSuggestionClass *klass) { G_OBJECT_CLASS (klass)->finalize = swell_suggestion_finalize; }
static void swell_suggestion_init (SwellSuggestion *self) {}

/* Groups in sidebar order, the most confident first, then by id. */
static int
compare_suggestions (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const SwellSuggestion *x = a, *y = b;
  if (x->position != y->position)
    return x->position < y->position ? -1 : 1;
  if (x->probability != y->probability)
    return x->probability > y->probability ? -1 : 1;
  gint64 i = swell_image_item_get_id (x->image), j = swell_image_item_get_id (y->image);
  return (i > j) - (i < j);
}

/* ------------------------------------------------------------- the page */

struct _SwellLabelSuggestions {
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkGridView *grid;
  AdwStatusPage *empty_page;

  SwellDocument *document;
  SwellThumbnailer *thumbnailer;
  GListStore *store;            /* SwellSuggestion, every prediction of the run with a category */
  GtkFilterListModel *filtered; /* those whose image is unlabeled now */
  GtkMultiSelection *selection;
  gint64 run_id;
  gboolean run_known;
};

G_DEFINE_FINAL_TYPE (SwellLabelSuggestions, swell_label_suggestions, GTK_TYPE_WIDGET)

enum { SIG_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
still_unlabeled (gpointer item, gpointer user_data)
{
  SwellLabelSuggestions *self = user_data;
  SwellSuggestion *s = item;
  if (!self->document)
    return FALSE;
  /* A deleted image is no longer in the list (the item is another one after a restore). */
  SwellImageItem *now = swell_image_list_lookup (swell_document_get_images (self->document),
                                                 swell_image_item_get_id (s->image));
  return now && swell_image_item_get_category_id (now) == SWELL_CATEGORY_UNLABELED;
}

static void
update_page (SwellLabelSuggestions *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "grid" : "empty");
  if (n == 0)
    adw_status_page_set_description (self->empty_page,
      self->run_id == 0
        ? _("Train a model in the Train view: it then suggests a category for each unlabeled photo.")
        : _("The latest model has no suggestion for the photos without a category. Retrain to get suggestions for photos added since."));
  g_signal_emit (self, signals[SIG_CHANGED], 0);
}

static void
emit_changed (SwellLabelSuggestions *self)
{
  g_signal_emit (self, signals[SIG_CHANGED], 0);
}

static void
on_images_changed (SwellLabelSuggestions *self)
{
  gtk_filter_changed (gtk_filter_list_model_get_filter (self->filtered), GTK_FILTER_CHANGE_DIFFERENT);
}

/* The newest run that is not training now (a running run has no predictions
 * yet; when none runs this is the run `swell-cli set --predicted` uses). */
static SwellRunInfo *
latest_finished_run (SwellProject *project)
{
  g_autoptr (GPtrArray) runs = swell_project_list_runs (project, NULL);
  for (guint i = runs ? runs->len : 0; i-- > 0;) {
    SwellRunInfo *r = g_ptr_array_index (runs, i);
    if (r->status != SWELL_RUN_RUNNING)
      return swell_run_info_copy (r);
  }
  return NULL;
}

void
swell_label_suggestions_reload (SwellLabelSuggestions *self, gboolean force)
{
  if (!self->document)
    return;
  SwellProject *project = swell_document_get_project (self->document);
  g_autoptr (SwellRunInfo) run = latest_finished_run (project);
  gint64 run_id = run ? run->id : 0;
  if (!force && self->run_known && run_id == self->run_id)
    return;
  self->run_known = TRUE;
  self->run_id = run_id;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) preds = run ? swell_project_list_predictions_of (project, run->id, SWELL_PREDICTIONS_ALL, &error) : NULL;
  if (error)
    g_warning ("%s", error->message);
  SwellImageList *images = swell_document_get_images (self->document);
  SwellCategoryList *cats = swell_document_get_categories (self->document);
  guint n_classes = run ? g_strv_length (run->class_names) : 0;
  for (guint i = 0; preds && i < preds->len; i++) {
    SwellPrediction *pr = &g_array_index (preds, SwellPrediction, i);
    SwellImageItem *image = swell_image_list_lookup (images, pr->image_id);
    if (!image || pr->predicted < 0 || (guint) pr->predicted >= n_classes)
      continue;
    /* The predicted class by name among the categories now (as accepting
     * finds it): one deleted or renamed since suggests nothing. */
    const char *name = run->class_names[pr->predicted];
    SwellCategoryItem *c = NULL;
    guint pos = 0;
    for (guint k = 0; k < swell_category_list_n_categories (cats) && !c; k++)
      if (g_strcmp0 (swell_category_item_get_name (swell_category_list_nth_category (cats, k)), name) == 0) {
        c = swell_category_list_nth_category (cats, k);
        pos = k;
      }
    if (!c)
      continue;
    SwellSuggestion *s = g_object_new (SWELL_TYPE_SUGGESTION, NULL);
    s->image = g_object_ref (image);
    s->category_id = swell_category_item_get_id (c);
    s->category = g_strdup (name);
    s->color = g_strdup (swell_category_item_get_color (c));
    s->position = pos;
    s->probability = pr->probs[pr->predicted];
    g_ptr_array_add (items, s);
  }
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)), items->pdata, items->len);
  g_list_store_sort (self->store, compare_suggestions, NULL);
  update_page (self);
}

gint64 swell_label_suggestions_get_run (SwellLabelSuggestions *self) { return self->run_id; }

guint
swell_label_suggestions_count (SwellLabelSuggestions *self, guint counts[SWELL_N_SPLITS])
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (int sp = 0; counts && sp < SWELL_N_SPLITS; sp++)
    counts[sp] = 0;
  for (guint i = 0; counts && i < n; i++) {
    g_autoptr (SwellSuggestion) s = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);
    counts[swell_image_item_get_split (s->image)]++;
  }
  return n;
}

char *
swell_label_suggestions_groups (SwellLabelSuggestions *self)
{
  GString *out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered)), run = 0;
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellSuggestion) s = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);
    g_autoptr (SwellSuggestion) next = i + 1 < n ? g_list_model_get_item (G_LIST_MODEL (self->filtered), i + 1) : NULL;
    run++;
    if (next && next->position == s->position)
      continue;
    if (out->len > 0)
      g_string_append (out, " · ");
    g_string_append_printf (out, "%u %s", run, s->category);
    run = 0;
  }
  return g_string_free (out, FALSE);
}

GArray *
swell_label_suggestions_selected_ids (SwellLabelSuggestions *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint pos;
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok; ok = gtk_bitset_iter_next (&iter, &pos)) {
    g_autoptr (SwellSuggestion) s = g_list_model_get_item (G_LIST_MODEL (self->filtered), pos);
    if (s) {
      gint64 id = swell_image_item_get_id (s->image);
      g_array_append_val (ids, id);
    }
  }
  return ids;
}

GArray *
swell_label_suggestions_ids_above (SwellLabelSuggestions *self, double min_probability)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellSuggestion) s = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);
    /* The rule of swell_project_label_with_predictions: at least min. */
    if (s->probability >= min_probability) {
      gint64 id = swell_image_item_get_id (s->image);
      g_array_append_val (ids, id);
    }
  }
  return ids;
}

void
swell_label_suggestions_select_all (SwellLabelSuggestions *self)
{
  gtk_selection_model_select_all (GTK_SELECTION_MODEL (self->selection));
}

gboolean
swell_label_suggestions_select (SwellLabelSuggestions *self, guint n)
{
  if (n >= g_list_model_get_n_items (G_LIST_MODEL (self->filtered)))
    return FALSE;
  return gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), n, TRUE);
}

gboolean
swell_label_suggestions_activate_selected (SwellLabelSuggestions *self)
{
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  if (gtk_bitset_is_empty (set))
    return FALSE;
  /* What the grid's Return key binding does on the focused thumbnail. */
  return gtk_widget_activate_action (GTK_WIDGET (self->grid), "list.activate-item", "u", gtk_bitset_get_minimum (set));
}

char *
swell_label_suggestions_describe (SwellLabelSuggestions *self)
{
  GString *out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (guint i = 0; i < n; i++) {
    g_autoptr (SwellSuggestion) s = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);
    g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\t%.6f\n", swell_image_item_get_id (s->image), s->category,
                            s->probability);
  }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------- tiles */

static void
tile_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelSuggestions *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *tile = swell_image_tile_new (150);
  swell_image_tile_set_show_badges (SWELL_IMAGE_TILE (tile), TRUE, FALSE);
  GtkWidget *caption = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_set_size_request (caption, 150, -1);
  gtk_label_set_ellipsize (GTK_LABEL (caption), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (caption, "caption");
  gtk_box_append (GTK_BOX (box), tile);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_list_item_set_child (li, box);
}

static void
tile_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelSuggestions *self)
{
  SwellSuggestion *s = gtk_list_item_get_item (li);
  GtkWidget *tile = gtk_widget_get_first_child (gtk_list_item_get_child (li));
  GtkWidget *caption = gtk_widget_get_next_sibling (tile);
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), s->image, self->thumbnailer,
                         self->document ? swell_document_get_categories (self->document) : NULL);
  g_autofree char *name = g_markup_escape_text (s->category, -1);
  /* The group's colour, its name and how sure the model is. */
  g_autofree char *markup = g_strdup_printf ("<span foreground=\"%s\">●</span> <b>%s</b> %.1f%%",
                                             s->color ? s->color : "#77767b", name, s->probability * 100);
  gtk_label_set_markup (GTK_LABEL (caption), markup);
  g_autofree char *tip = g_strdup_printf (_("%s: the model suggests “%s” (probability %.3f)"),
                                          swell_image_item_get_name (s->image), s->category, s->probability);
  gtk_widget_set_tooltip_text (caption, tip);
}

static void
tile_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelSuggestions *self)
{
  GtkWidget *tile = gtk_widget_get_first_child (gtk_list_item_get_child (li));
  swell_image_tile_bind (SWELL_IMAGE_TILE (tile), NULL, NULL, NULL);
}

/* Return (or a double click) on a thumbnail accepts the selection, or the
 * thumbnail alone when it is not selected. */
static void
on_grid_activate (GtkGridView *grid, guint position, SwellLabelSuggestions *self)
{
  if (!gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), position))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (self), "label.accept-suggestion", NULL);
}

/* ------------------------------------------------------------- document */

/* A category added, renamed or deleted changes which predictions name one. */
static void
on_categories_changed (SwellLabelSuggestions *self)
{
  swell_label_suggestions_reload (self, TRUE);
}

void
swell_label_suggestions_set_document (SwellLabelSuggestions *self, SwellDocument *document,
                                      SwellThumbnailer *thumbnailer)
{
  if (self->document) {
    g_signal_handlers_disconnect_by_data (swell_document_get_images (self->document), self);
    g_signal_handlers_disconnect_by_data (swell_document_get_categories (self->document), self);
  }
  g_list_store_remove_all (self->store);
  g_set_object (&self->document, document);
  g_set_object (&self->thumbnailer, thumbnailer);
  self->run_id = 0;
  self->run_known = FALSE;
  if (!document)
    return;
  g_signal_connect_swapped (swell_document_get_images (document), "items-changed", G_CALLBACK (on_images_changed), self);
  g_signal_connect_swapped (swell_document_get_images (document), "contents-changed", G_CALLBACK (on_images_changed), self);
  g_signal_connect_swapped (swell_document_get_categories (document), "items-changed", G_CALLBACK (on_categories_changed),
                            self);
  swell_label_suggestions_reload (self, TRUE);
}

/* ------------------------------------------------------------- class */

static void
swell_label_suggestions_dispose (GObject *object)
{
  SwellLabelSuggestions *self = SWELL_LABEL_SUGGESTIONS (object);
  swell_label_suggestions_set_document (self, NULL, NULL);
  if (self->grid)
    gtk_grid_view_set_model (self->grid, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_LABEL_SUGGESTIONS);
  G_OBJECT_CLASS (swell_label_suggestions_parent_class)->dispose (object);
}

static void
swell_label_suggestions_class_init (SwellLabelSuggestionsClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_label_suggestions_dispose;
  signals[SIG_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-label-suggestions.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellLabelSuggestions, stack);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelSuggestions, grid);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelSuggestions, empty_page);
}

static void
swell_label_suggestions_init (SwellLabelSuggestions *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->store = g_list_store_new (SWELL_TYPE_SUGGESTION);
  GtkCustomFilter *filter = gtk_custom_filter_new (still_unlabeled, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), GTK_FILTER (filter));
  g_signal_connect_swapped (self->filtered, "items-changed", G_CALLBACK (update_page), self);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (emit_changed), self);
  gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
  GtkListItemFactory *tf = gtk_signal_list_item_factory_new ();
  g_signal_connect (tf, "setup", G_CALLBACK (tile_setup), self);
  g_signal_connect (tf, "bind", G_CALLBACK (tile_bind), self);
  g_signal_connect (tf, "unbind", G_CALLBACK (tile_unbind), self);
  gtk_grid_view_set_factory (self->grid, tf);
  g_object_unref (tf);
  g_signal_connect (self->grid, "activate", G_CALLBACK (on_grid_activate), self);
  update_page (self);
}
