/* predict.c: swell-cli predict, from a project's model or from a model file
 * written by export-model, and swell-cli explain (Grad-CAM of a project's model). */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "swell-cli.h"
#include "swell-predict.h"

/* ------------------------------------------------------------ predict */

SwellProjectModel *swell_cli_load_model(const char *project, gint64 run_id) {
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProject) p = swell_project_open(project, &error);
  if (!p) {
    swell_cli_fail("%s", error->message);
    return NULL;
  }
  SwellProjectModel *pm = swell_project_load_model(p, run_id, &error);
  if (!pm) {
    if (run_id == 0 && g_error_matches(error, SWELL_PROJECT_ERROR, SWELL_PROJECT_ERROR_NOT_FOUND))
      swell_cli_fail(_("%s: no trained model yet (use “swell-cli train” first)"), project);
    else
      swell_cli_fail("%s", error->message);
  }
  return pm;
}

/* The classifier of a project's latest model, or NULL (the reason printed); *aug (when not
 * NULL): the training augmentation of its run, for --tta. */
static SwellClassifier *project_classifier(const char *project, SwellAugSettings *aug) {
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellProjectModel) pm = swell_cli_load_model(project, 0);
  if (!pm) return NULL;
  SwellClassifier *cls = swell_classifier_new_for_model(pm, &error);
  if (!cls) swell_cli_fail("%s: %s", project, error->message);
  g_autoptr(SwellProject) p = cls && aug ? swell_project_open(project, NULL) : NULL;
  if (p) swell_aug_settings_for_run(aug, p, pm->run_id);
  return cls;
}

/* The classifier of a model file that names its classes, or NULL (the reason printed). */
static SwellClassifier *file_classifier(const char *path) {
  g_autoptr(GError) error = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    swell_cli_fail(_("%s: no such file"), path);
    return NULL;
  }
  g_autoptr(SwellClassifier) cls = swell_classifier_new(path, NULL, &error);
  if (!cls) {
    swell_cli_fail("%s", error->message);
    return NULL;
  }
  if (!swell_classifier_get_class_names(cls)) {
    swell_cli_fail(_("%s: the model file names no classes (write it with “swell-cli export-model”)"),
                   path);
    return NULL;
  }
  return g_steal_pointer(&cls);
}

static void print_json(const char *image, const char *const *names, const float *probs,
                       const int *order, int top, gboolean unknown) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "image");
  json_builder_add_string_value(b, image);
  json_builder_set_member_name(b, "top");
  json_builder_begin_array(b);
  for (int i = 0; i < top; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "index");
    json_builder_add_int_value(b, order[i]);
    json_builder_set_member_name(b, "label");
    json_builder_add_string_value(b, names[order[i]]);
    json_builder_set_member_name(b, "prob");
    json_builder_add_double_value(b, probs[order[i]]);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "unknown");
  json_builder_add_boolean_value(b, unknown);
  json_builder_end_object(b);
  swell_cli_print_json(b);
}

/* Classifies each image and prints its top classes and whether it looks like none of them;
 * 1 when an image failed. */
static int predict_images(SwellClassifier *cls, char **images, int n, int top, gboolean json,
                          const SwellPredictOptions *opts) {
  const char *const *names = swell_classifier_get_class_names(cls);
  int C = swell_classifier_num_classes(cls);
  if (top < 1) top = 1;
  if (top > C) top = C;
  g_autofree float *probs = g_new(float, C);
  g_autofree int *order = g_new(int, top);
  int rc = 0;
  for (int k = 0; k < n; k++) {
    g_autoptr(GError) ierr = NULL;
    gboolean unknown = FALSE;
    if (!swell_classifier_predict_file(cls, images[k], opts, probs, NULL, &unknown, &ierr)) {
      fprintf(stderr, "swell-cli: %s\n", ierr->message);
      rc = 1;
      continue;
    }
    swell_top_k(probs, C, top, order);
    if (json) {
      print_json(images[k], names, probs, order, top, unknown);
    } else {
      printf("%s\n", images[k]);
      if (unknown) printf("  %s\n", _("looks like none of your categories"));
      for (int i = 0; i < top; i++)
        printf("  %-20s %6.2f%%\n", names[order[i]], 100.0 * probs[order[i]]);
    }
  }
  return rc;
}

int swell_cli_predict(int argc, char **argv) {
  int top = 3;
  gboolean json = FALSE, tta = FALSE;
  gint64 seed = 0;
  g_autofree char *model = NULL;
  GOptionEntry entries[] = {
      {"top", 0, 0, G_OPTION_ARG_INT, &top, N_("Classes to show per image (default 3)"), "K"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per image"), NULL},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model,
       N_("A model file from “swell-cli export-model” (.safetensors) instead of a project"),
       "FILE"},
      {"tta", 0, 0, G_OPTION_ARG_NONE, &tta,
       N_("Test-time augmentation: blend the centre crop with 4 augmented views (fastai’s tta)"),
       NULL},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the --tta views (default 0)"), "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!swell_cli_parse_options(entries, _("PROJECT IMAGE… | --model FILE IMAGE…"), &argc, &argv))
    return 2;
  if (model && argc < 2) return swell_cli_fail(_("predict --model needs at least one IMAGE"));
  if (!model && argc < 3) return swell_cli_fail(_("predict needs a PROJECT and at least one IMAGE"));
  SwellAugSettings aug;
  swell_aug_settings_init(&aug);
  g_autoptr(SwellClassifier) cls = model ? file_classifier(model) : project_classifier(argv[1], &aug);
  if (!cls) return 1;
  int first = model ? 1 : 2;
  SwellPredictOptions opts = {tta, (guint64)seed, &aug};
  return predict_images(cls, argv + first, argc - first, top, json, &opts);
}

/* ------------------------------------------------------------ explain */

/* The index of class `name` among the model's, or -1 after printing the reason. */
static int class_index(const char *project, const char *const *names, int C, const char *name) {
  for (int i = 0; i < C; i++)
    if (strcmp(names[i], name) == 0) return i;
  g_autofree char *list = g_strjoinv(", ", (char **)names);
  swell_cli_fail(_("%s: the model has no class “%s” (its classes: %s)"), project, name, list);
  return -1;
}

/* The overlay of e as a PNG at path (written whole or not at all); FALSE after printing why. */
static gboolean write_overlay(const SwellExplanation *e, const char *path) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pb = swell_explanation_render(e, SWELL_EXPLAIN_OPACITY);
  g_autofree char *png = NULL;
  gsize len = 0;
  if (!pb || !gdk_pixbuf_save_to_buffer(pb, &png, &len, "png", &error, NULL) ||
      !g_file_set_contents(path, png, (gssize)len, &error)) {
    swell_cli_fail(_("%s: cannot write the image: %s"), path,
                   error ? error->message : _("out of memory"));
    return FALSE;
  }
  return TRUE;
}

/* Are a and b the same existing file, under any names? */
static gboolean same_file(const char *a, const char *b) {
  GStatBuf sa, sb;
  return g_stat(a, &sa) == 0 && g_stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

int swell_cli_explain(int argc, char **argv) {
  g_autofree char *cls_name = NULL, *out = NULL;
  GOptionEntry entries[] = {
      {"class", 0, 0, G_OPTION_ARG_STRING, &cls_name,
       N_("The category to explain (default: the predicted one)"), "C"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &out,
       N_("The PNG to write: the preprocessed image with the Grad-CAM heatmap over it"),
       "FILE.png"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!swell_cli_parse_options(entries, _("PROJECT IMAGE --out FILE.png"), &argc, &argv))
    return 2;
  if (argc != 3) return swell_cli_fail(_("explain needs a PROJECT and one IMAGE"));
  if (!out) return swell_cli_fail(_("explain needs --out FILE.png"));
  if (same_file(out, argv[2]))
    return swell_cli_fail(_("%s: that is the image itself; choose another --out"), out);
  if (same_file(out, argv[1]))
    return swell_cli_fail(_("%s: that is the project itself; choose another --out"), out);
  g_autoptr(SwellClassifier) cls = project_classifier(argv[1], NULL);
  if (!cls) return 1;
  const char *const *names = swell_classifier_get_class_names(cls);
  int C = swell_classifier_num_classes(cls), k = -1;
  if (cls_name && (k = class_index(argv[1], names, C, cls_name)) < 0) return 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellExplanation) e = swell_classifier_explain_file(cls, argv[2], k, &error);
  if (!e) return swell_cli_fail("%s", error->message);
  if (!write_overlay(e, out)) return 1;
  printf("%s %.2f%%\n", names[e->class_index], 100.0 * e->probs[e->class_index]);
  return 0;
}
