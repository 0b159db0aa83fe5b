/* swell-label-view.c: the Label view: the sidebar, the grid and their state. */
#include "swell-config.h"

#include <glib/gi18n.h>

#include "swell-a11y.h"
#include "swell-category-row.h"
#include "swell-image-tile.h"
#include "swell-label-view-private.h"
#include "swell-test-hooks.h"

G_DEFINE_FINAL_TYPE (SwellLabelView, swell_label_view, GTK_TYPE_WIDGET)

SwellWindow *
_swell_label_view_get_window (SwellLabelView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return SWELL_IS_WINDOW (root) ? SWELL_WINDOW (root) : NULL;
}

void
_swell_label_view_show_error (SwellLabelView *self, const char *title, const GError *error)
{
  SwellWindow *win = _swell_label_view_get_window (self);
  if (win)
    swell_window_show_error (win, title, error->message);
  else
    g_warning ("%s: %s", title, error->message);
}

/* ------------------------------------------------------------- selection */

GArray *
_swell_label_view_selected_ids (SwellLabelView *self)
{
  if (self->suggested_mode)
    return swell_label_suggestions_selected_ids (self->suggestions);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!self->selection)
    return ids;
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint pos;
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok; ok = gtk_bitset_iter_next (&iter, &pos)) {
    g_autoptr (SwellImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), pos);
    if (item) {
      gint64 id = swell_image_item_get_id (item);
      g_array_append_val (ids, id);
    }
  }
  return ids;
}

/* ------------------------------------------------------------- categories */

static void
on_add_popover_show (SwellLabelView *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->add_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->add_entry));
}

static void
on_add_confirm (SwellLabelView *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_entry))));
  if (!self->document || !*name)
    return;
  g_autoptr (GError) error = NULL;
  gint64 id = swell_document_create_category (self->document, name, &error);
  if (!id) {
    _swell_label_view_show_error (self, _("Could not add the category"), error);
    return;
  }
  gtk_popover_popdown (self->add_popover);
  swell_label_view_show_category (self, id);
}

void
swell_label_view_add_category (SwellLabelView *self)
{
  if (self->document)
    gtk_menu_button_popup (self->add_button);
}
gboolean
swell_label_view_scroll_by (SwellLabelView *self, double pages, double stop)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->grid));
  double value = gtk_adjustment_get_value (adj), page = gtk_adjustment_get_page_size (adj);
  double end = MIN (gtk_adjustment_get_upper (adj) * stop, gtk_adjustment_get_upper (adj) - page);
  if (value >= end - 0.5)
    return FALSE;
  gtk_adjustment_set_value (adj, MIN (value + pages * page, end));
  return TRUE;
}

gint64
swell_label_view_get_category (SwellLabelView *self)
{
  return self->filter ? swell_image_filter_get_category (self->filter) : SWELL_CATEGORY_ALL;
}

void
swell_label_view_select_all (SwellLabelView *self)
{
  if (self->suggested_mode)
    swell_label_suggestions_select_all (self->suggestions);
  else if (self->selection)
    gtk_selection_model_select_all (GTK_SELECTION_MODEL (self->selection));
}

/* ------------------------------------------------------------- context menus */

static void
unparent_popover (GtkPopover *popover)
{
  /* Unparent after the closing animation/activation has finished. */
  g_idle_add_once ((GSourceOnceFunc) gtk_widget_unparent, popover);
}

static void
rebuild_label_submenu (SwellLabelView *self)
{
  g_menu_remove_all (self->label_submenu);
  SwellCategoryList *cats = swell_document_get_categories (self->document);
  for (guint i = 0; i < swell_category_list_n_categories (cats); i++) {
    SwellCategoryItem *c = swell_category_list_nth_category (cats, i);
    g_autoptr (GMenuItem) mi = g_menu_item_new (swell_category_item_get_name (c), NULL);
    g_menu_item_set_action_and_target_value (mi, "label.assign", g_variant_new_int32 ((gint32) i + 1));
    if (i < 9) {
      g_autofree char *accel = g_strdup_printf ("%u", i + 1);
      g_menu_item_set_attribute (mi, "accel", "s", accel);
    }
    g_menu_append_item (self->label_submenu, mi);
  }
}

static void
on_grid_right_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  if (!self->document)
    return;
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->grid), x, y, GTK_PICK_DEFAULT);
  while (picked && !SWELL_IS_IMAGE_TILE (picked))
    picked = gtk_widget_get_parent (picked);
  if (!picked)
    return;
  GtkListItem *li = g_object_get_data (G_OBJECT (picked), "list-item");
  if (li && !gtk_list_item_get_selected (li))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), gtk_list_item_get_position (li), TRUE);
  rebuild_label_submenu (self);
  GtkWidget *popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->grid_menu));
  gtk_widget_set_parent (popover, GTK_WIDGET (self->grid));
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (unparent_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
on_row_right_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  SwellLabelView *self = user_data;
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  SwellCategoryItem *c = swell_category_row_get_item (SWELL_CATEGORY_ROW (row));
  if (!c || !swell_category_item_is_real (c))
    return;
  self->context_category = swell_category_item_get_id (c);
  GtkWidget *popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (self->category_menu));
  gtk_widget_set_parent (popover, row);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (unparent_popover), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* ------------------------------------------------------------- factories */

static void
category_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  GtkWidget *row = swell_category_row_new ();
  gtk_list_item_set_child (li, row);
  _swell_label_view_dnd_setup_row (self, row);
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_row_right_click), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
}

static void
category_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_category_row_bind (SWELL_CATEGORY_ROW (gtk_list_item_get_child (li)), gtk_list_item_get_item (li),
                           gtk_list_item_get_position (li));
}

static void
category_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_category_row_bind (SWELL_CATEGORY_ROW (gtk_list_item_get_child (li)), NULL, 0);
}

static void
tile_setup (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  GtkWidget *tile = swell_image_tile_new (150);
  g_object_set_data (G_OBJECT (tile), "list-item", li);
  gtk_list_item_set_child (li, tile);
  _swell_label_view_dnd_setup_tile (self, tile);
}

static void
tile_bind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  SwellImageTile *tile = SWELL_IMAGE_TILE (gtk_list_item_get_child (li));
  swell_image_tile_bind (tile, gtk_list_item_get_item (li), self->thumbnailer,
                         self->document ? swell_document_get_categories (self->document) : NULL);
  /* The category chip is redundant inside one category. */
  swell_image_tile_set_show_badges (tile, TRUE, swell_image_filter_get_category (self->filter) == SWELL_CATEGORY_ALL);
}

static void
tile_unbind (GtkSignalListItemFactory *f, GtkListItem *li, SwellLabelView *self)
{
  swell_image_tile_bind (SWELL_IMAGE_TILE (gtk_list_item_get_child (li)), NULL, NULL, NULL);
}

/* ------------------------------------------------------------- state */

/* The Suggested page's heading: how many, and the key that accepts them. */
static void
update_suggested_heading (SwellLabelView *self)
{
  gtk_label_set_text (self->heading_label, _("Suggested"));
  guint n = swell_label_suggestions_count (self->suggestions, NULL);
  g_autoptr (GArray) sel = swell_label_suggestions_selected_ids (self->suggestions);
  g_autofree char *groups = swell_label_suggestions_groups (self->suggestions);
  g_autofree char *count = sel->len > 0
    ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u suggestion · %u selected — press Return to accept",
                                    "%u suggestions · %u selected — press Return to accept", n),
                       n, sel->len)
    : n > 0 ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unlabeled photo with the model’s suggestion: %s",
                                            "%u unlabeled photos with the model’s suggestion: %s", n),
                               n, groups)
            : g_strdup (_("No unlabeled photo has a suggestion"));
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->grid_stack, "suggested");
}

static void
update_heading (SwellLabelView *self)
{
  if (!self->document)
    return;
  if (self->suggested_mode) {
    update_suggested_heading (self);
    return;
  }
  gint64 cat = swell_image_filter_get_category (self->filter);
  SwellCategoryItem *c = swell_category_list_lookup (swell_document_get_categories (self->document), cat, NULL);
  gtk_label_set_text (self->heading_label, c ? swell_category_item_get_name (c) : "");
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter));
  g_autoptr (GtkBitset) sel = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  guint64 n_sel = gtk_bitset_get_size (sel);
  g_autofree char *count = n_sel > 0
    ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image · %u selected — press 1–9 to label, Delete to remove",
                                    "%u images · %u selected — press 1–9 to label, Delete to remove", shown),
                       shown, (guint) n_sel)
    : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image", "%u images", shown), shown);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->grid_stack, shown > 0 ? "grid" : "empty");
  if (shown == 0) {
    g_autofree char *text = NULL;
    if (cat > 0)
      text = g_strdup_printf (_("Drag photos or folders from your file manager to add them as “%s”, or press a number key on selected photos in another category."),
                              c ? swell_category_item_get_name (c) : "");
    else if (cat == SWELL_CATEGORY_UNLABELED)
      text = g_strdup (_("Every photo has a category. Photos you add without one show up here."));
    else
      text = g_strdup (_("Drag photos or folders from your file manager. A folder of class folders (cats/, dogs/) keeps its labels; train/ and valid/ folders keep their split."));
    adw_status_page_set_description (self->empty_page, text);
  }
}

static void
on_category_selected (SwellLabelView *self)
{
  SwellCategoryItem *c = gtk_single_selection_get_selected_item (self->category_selection);
  if (!c || !self->filter)
    return;
  self->context_category = swell_category_item_get_id (c);
  /* Narrow (the sidebar over the grid): picking a category shows its images. */
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
  /* Suggested shows the unlabeled images the model has a category for (what
   * is imported meanwhile stays unlabeled); no split filter there. */
  self->suggested_mode = swell_category_item_get_id (c) == SWELL_CATEGORY_SUGGESTED;
  gtk_widget_set_visible (GTK_WIDGET (self->split_dropdown), !self->suggested_mode);
  if (self->suggested_mode)
    swell_label_suggestions_reload (self->suggestions, FALSE);
  _swell_label_view_suggestions_update_actions (self);
  swell_image_filter_set_category (self->filter, self->suggested_mode ? SWELL_CATEGORY_UNLABELED
                                                                      : swell_category_item_get_id (c));
  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  update_heading (self);
  /* A read-only project (read-only folder or medium) cannot be edited. */
  gboolean real = swell_category_item_is_real (c) && !swell_project_is_read_only (swell_document_get_project (self->document));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.rename-category", real);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.recolor-category", real);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.delete-category", real);
}

static void
on_split_filter_changed (SwellLabelView *self)
{
  if (!self->filter)
    return;
  guint sel = gtk_drop_down_get_selected (self->split_dropdown);
  swell_image_filter_set_split (self->filter, sel == 0 || sel == GTK_INVALID_LIST_POSITION ? SWELL_SPLIT_ANY : (int) sel - 1);
  update_heading (self);
}

/* Return on a category row (the arrows select it): on to its images (the
 * grid, the Suggested page, or the empty page's Import button). */
static void
on_category_activate (SwellLabelView *self, guint position)
{
  gtk_single_selection_set_selected (self->category_selection, position);
  gtk_widget_child_focus (GTK_WIDGET (self->grid_stack), GTK_DIR_TAB_FORWARD);
}

void
swell_label_view_show_category (SwellLabelView *self, gint64 category_id)
{
  if (!self->document)
    return;
  guint pos;
  if (swell_category_list_lookup (swell_document_get_categories (self->document), category_id, &pos))
    gtk_single_selection_set_selected (self->category_selection, pos);
}

gboolean
swell_label_view_show_suggested (SwellLabelView *self)
{
  guint pos;
  if (!self->document || !g_list_store_find (self->extra_rows, self->suggested_row, &pos))
    return FALSE;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (swell_document_get_categories (self->document)));
  gtk_single_selection_set_selected (self->category_selection, n + pos);
  return self->suggested_mode;
}

gboolean swell_label_view_is_suggested (SwellLabelView *self) { return self->suggested_mode; }
SwellLabelSuggestions *swell_label_view_get_suggestions (SwellLabelView *self) { return self->suggestions; }
SwellHealthBanner *swell_label_view_get_health_banner (SwellLabelView *self) { return self->health_banner; }

/* The Suggested row is there while a finished run is; its counts are the
 * suggestions' per split. */
static void
on_suggestions_changed (SwellLabelView *self)
{
  guint counts[SWELL_N_SPLITS];
  swell_label_suggestions_count (self->suggestions, counts);
  swell_category_item_set_counts (self->suggested_row, counts);
  gboolean want = self->document && swell_label_suggestions_get_run (self->suggestions) != 0;
  guint pos;
  gboolean has = g_list_store_find (self->extra_rows, self->suggested_row, &pos);
  if (want && !has)
    g_list_store_append (self->extra_rows, self->suggested_row);
  else if (!want && has)
    g_list_store_remove (self->extra_rows, pos);
  _swell_label_view_suggestions_update_actions (self);
  if (self->suggested_mode)
    update_heading (self);
}

static void
on_runs_changed (SwellLabelView *self)
{
  swell_label_suggestions_reload (self->suggestions, FALSE);
}

void
swell_label_view_set_document (SwellLabelView *self, SwellDocument *document)
{
  if (self->import_cancellable)
    g_cancellable_cancel (self->import_cancellable);
  _swell_label_view_clear_undo (self);
  if (self->filter)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  self->suggested_mode = FALSE;
  gtk_grid_view_set_model (self->grid, NULL);
  gtk_list_view_set_model (self->category_list, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->category_selection);
  g_clear_object (&self->filter);
  g_clear_object (&self->thumbnailer);
  g_set_object (&self->document, document);
  swell_label_suggestions_set_document (self->suggestions, NULL, NULL);
  swell_health_banner_set_document (self->health_banner, NULL, NULL);
  if (!document) {
    g_list_store_remove_all (self->extra_rows);
    return;
  }

  self->thumbnailer = swell_thumbnailer_get_for_path (swell_document_get_path (document));
  swell_label_suggestions_set_document (self->suggestions, document, self->thumbnailer);
  swell_health_banner_set_document (self->health_banner, document, self->thumbnailer);
  g_signal_connect_swapped (document, "runs-changed", G_CALLBACK (on_runs_changed), self);
  self->filter = swell_image_filter_new (swell_document_get_images (document));
  g_signal_connect_swapped (self->filter, "items-changed", G_CALLBACK (update_heading), self);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->filter)));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (update_heading), self);
  gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));

  /* The categories, then the Suggested row (when there is a run). */
  GListStore *parts = g_list_store_new (G_TYPE_LIST_MODEL);
  g_list_store_append (parts, swell_document_get_categories (document));
  g_list_store_append (parts, self->extra_rows);
  self->category_selection = gtk_single_selection_new (G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (parts))));
  gtk_single_selection_set_autoselect (self->category_selection, TRUE);
  g_signal_connect_swapped (self->category_selection, "notify::selected", G_CALLBACK (on_category_selected), self);
  gtk_list_view_set_model (self->category_list, GTK_SELECTION_MODEL (self->category_selection));
  gtk_drop_down_set_selected (self->split_dropdown, 0);
  on_category_selected (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.undo", FALSE);
  gboolean editable = !swell_project_is_read_only (swell_document_get_project (document));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.assign", editable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.set-split", editable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "label.delete-selected", editable);
}

/* ------------------------------------------------------------- class */

static void
swell_label_view_dispose (GObject *object)
{
  SwellLabelView *self = SWELL_LABEL_VIEW (object);
  swell_label_view_set_document (self, NULL);
  if (self->suggestions)
    g_signal_handlers_disconnect_by_data (self->suggestions, self);
  g_clear_object (&self->import_cancellable);
  g_clear_object (&self->extra_rows);
  g_clear_object (&self->suggested_row);
  gtk_widget_dispose_template (GTK_WIDGET (self), SWELL_TYPE_LABEL_VIEW);
  G_OBJECT_CLASS (swell_label_view_parent_class)->dispose (object);
}

static void
swell_label_view_class_init (SwellLabelViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = swell_label_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  g_type_ensure (SWELL_TYPE_HEALTH_BANNER);
  g_type_ensure (SWELL_TYPE_LABEL_SUGGESTIONS);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/swell/Swell/swell-label-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, health_banner);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, suggestions);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, flap);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_button);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_popover);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, add_entry);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, category_list);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, heading_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, count_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid_stack);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_revealer);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_label);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, import_progress);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, grid_menu);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, label_submenu);
  gtk_widget_class_bind_template_child (widget_class, SwellLabelView, category_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_add_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_add_confirm);
  gtk_widget_class_bind_template_callback (widget_class, on_split_filter_changed);
  _swell_label_view_class_dnd_init (widget_class);
  _swell_label_view_class_actions_init (widget_class);
  _swell_label_view_class_suggestions_init (widget_class);
}

static void
swell_label_view_init (SwellLabelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->undo);
  self->extra_rows = g_list_store_new (SWELL_TYPE_CATEGORY_ITEM);
  self->suggested_row = swell_category_item_new_extra (SWELL_CATEGORY_SUGGESTED, _("Suggested"));
  g_signal_connect_swapped (self->suggestions, "changed", G_CALLBACK (on_suggestions_changed), self);

  GtkListItemFactory *cf = gtk_signal_list_item_factory_new ();
  g_signal_connect (cf, "setup", G_CALLBACK (category_setup), self);
  g_signal_connect (cf, "bind", G_CALLBACK (category_bind), self);
  g_signal_connect (cf, "unbind", G_CALLBACK (category_unbind), self);
  gtk_list_view_set_factory (self->category_list, cf);
  g_object_unref (cf);

  GtkListItemFactory *tf = gtk_signal_list_item_factory_new ();
  g_signal_connect (tf, "setup", G_CALLBACK (tile_setup), self);
  g_signal_connect (tf, "bind", G_CALLBACK (tile_bind), self);
  g_signal_connect (tf, "unbind", G_CALLBACK (tile_unbind), self);
  gtk_grid_view_set_factory (self->grid, tf);
  g_object_unref (tf);

  _swell_label_view_dnd_init (self);

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_grid_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->grid), GTK_EVENT_CONTROLLER (click));
  swell_a11y_set_label (GTK_WIDGET (self->add_button), _("Add Category"));
  swell_a11y_set_default_focus (GTK_WIDGET (self), GTK_WIDGET (self->grid));
  swell_a11y_name_drop_down_items (self->split_dropdown, _("Split shown"));
  g_signal_connect_swapped (self->category_list, "activate", G_CALLBACK (on_category_activate), self);
}
