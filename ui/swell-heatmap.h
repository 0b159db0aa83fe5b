/* swell-heatmap.h: a photo with its Grad-CAM heatmap (issue 12, item 1).
 *
 * SwellHeatmap draws a photo (swell_heatmap_set_image, fit into its image
 * area) and under it a "Show Heatmap" toggle and a drop-down of the model's
 * categories (default: the predicted one). With the toggle on it draws
 * instead swell_explanation_render's overlay (app/swell-explain.h): the photo
 * as the model saw it (resized and centre-cropped to its input size) with the
 * heatmap of the chosen category over it, scaled to fit: exactly what
 * `swell-cli explain` writes for the same image and class. The explanation is
 * computed on a worker thread through the app's SwellClassifier (one per
 * project and run, shared by every heatmap) and cached per image and class.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SWELL_TYPE_HEATMAP (swell_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (SwellHeatmap, swell_heatmap, SWELL, HEATMAP, GtkWidget)

/* image_height: the height the image area asks for (it takes what it gets). */
GtkWidget *swell_heatmap_new (int image_height);

/* The photo drawn while the heatmap is off (a thumbnail, later the full image). */
void swell_heatmap_set_image (SwellHeatmap *self, GdkTexture *texture);

/* What to explain: image `image_id` of the project at `project_path` (its
 * stored bytes), or, with image_id 0, the file `file`, with the model of
 * `run_id` (0: no model, the controls are insensitive) whose categories are
 * `class_names` (NULL-terminated, index order). `predicted` is the class the
 * drop-down starts at (-1: the one the model predicts, once explained).
 * Turns the heatmap off. */
void swell_heatmap_set_source (SwellHeatmap *self, const char *project_path, gint64 run_id, gint64 image_id,
                               const char *file, const char *const *class_names, int predicted);
/* The file given to set_source (NULL for a project image). */
const char *swell_heatmap_get_file (SwellHeatmap *self);

/* The toggle ("show" property) and the class chosen ("class-index"); setting
 * them acts as a click on the toggle / a choice in the drop-down. */
void swell_heatmap_set_show (SwellHeatmap *self, gboolean show);
gboolean swell_heatmap_get_show (SwellHeatmap *self);
/* FALSE when the model has no category `name`. */
gboolean swell_heatmap_set_class_name (SwellHeatmap *self, const char *name);
void swell_heatmap_set_class (SwellHeatmap *self, int class_index);
int swell_heatmap_get_class (SwellHeatmap *self);
/* The name of the class chosen (NULL when none is). */
const char *swell_heatmap_get_class_name (SwellHeatmap *self);

/* An explanation is being computed for what is shown. */
gboolean swell_heatmap_is_computing (SwellHeatmap *self);
/* Why the last explanation failed (NULL when it did not). */
const char *swell_heatmap_get_error (SwellHeatmap *self);
/* The overlay drawn now (network input size; NULL while off or computing). */
GdkTexture *swell_heatmap_get_overlay (SwellHeatmap *self);

G_END_DECLS
