/* swell-inference.c: SwellClassifier, from a weight file or a stored model to
 * probabilities. */
#include "swell-config.h"

#include "swell-inference-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "explain.h"
#include "layers.h"
#include "plan.h"
#include "swell-model-spec-private.h"
#include "swell-transforms.h"

struct _SwellClassifier {
  SwellModelSpec spec;
  SwellPreprocess preprocess;
  char **class_names; /* NULL when the weights name no classes */
  sw_plan *plan;      /* classify */
  sw_model *model;    /* explain (its training arena prepared on the first one) and export */
  float *input;
};

/* Builds and loads the network `spec` describes and compiles it into an
 * inference plan for one image. */
static SwellClassifier *classifier_new(const SwellModelSpec *spec,
                                       const char *const *class_names, const sw_state_dict *sd,
                                       const char *what, GError **error) {
  sw_model_config cfg;
  swell_model_spec_get_config(spec, &cfg);
  char err[512];
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED, "%s: %s", what, err);
    return NULL;
  }
  if (sw_model_load(m, sd, false, err, sizeof err) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_WEIGHTS, "%s: %s", what, err);
    sw_model_free(m);
    return NULL;
  }
  sw_plan *plan = sw_plan_new(m, 1, spec->input_size, spec->input_size, err, sizeof err);
  if (!plan) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED, "%s: %s", what, err);
    sw_model_free(m);
    return NULL;
  }
  SwellClassifier *c = g_new0(SwellClassifier, 1);
  c->spec = *spec;
  c->plan = plan;
  c->class_names = g_strdupv((char **)class_names);
  c->model = m;
  c->input = g_new(float, (gsize)3 * spec->input_size * spec->input_size);
  return c;
}

SwellClassifier *swell_classifier_new_from_state_dict(const sw_state_dict *sd, const char *arch,
                                                      const char *what, GError **error) {
  SwellModelSpec spec;
  if (!swell_model_spec_from_state_dict(sd, arch, what, &spec, error)) return NULL;
  if (spec.num_classes < 1) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_NO_HEAD,
                _("%s: the weights have no classifier (%s), so they cannot classify images"),
                what, strcmp(spec.arch, "mobilenet_v2") == 0 ? "classifier.1.weight" : "fc.weight");
    return NULL;
  }
  g_autoptr(GError) names_error = NULL;
  g_auto(GStrv) names = swell_model_spec_read_class_names(sd, &spec, what, &names_error);
  if (names_error) {
    g_propagate_error(error, g_steal_pointer(&names_error));
    return NULL;
  }
  return classifier_new(&spec, (const char *const *)names, sd, what, error);
}

SwellClassifier *swell_classifier_new_for_model(const SwellProjectModel *pm, GError **error) {
  const char *what = "stored model";
  char err[512];
  sw_state_dict sd;
  gsize len = 0;
  const void *data = g_bytes_get_data(pm->weights, &len);
  if (sw_safetensors_read_mem(data, len, what, &sd, err, sizeof err) < 0) {
    g_set_error_literal(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_READ, err);
    return NULL;
  }
  SwellModelSpec spec;
  SwellClassifier *c = NULL;
  int n_names = (int)g_strv_length(pm->class_names);
  if (!swell_model_spec_from_state_dict(&sd, pm->arch, what, &spec, error)) {
    /* error set */
  } else if (spec.head != SWELL_MODEL_HEAD_FASTAI || spec.num_classes != n_names) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_WEIGHTS,
                _("%s: the weights have no fastai head with %d outputs, one per class"), what,
                n_names);
  } else {
    /* The store's normalisation and size, as the model was trained. */
    spec.input_size = pm->input_size > 0 ? pm->input_size : 224;
    memcpy(spec.mean, pm->mean, sizeof spec.mean);
    memcpy(spec.std, pm->std, sizeof spec.std);
    c = classifier_new(&spec, (const char *const *)pm->class_names, &sd, what, error);
  }
  sw_state_dict_free(&sd);
  return c;
}

SwellClassifier *swell_classifier_new(const char *weights_path, const char *arch, GError **error) {
  sw_state_dict sd;
  char err[1024];
  sw_state_dict_init(&sd);
  if (sw_weights_read(weights_path, &sd, err, sizeof err) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_READ, "%s", err);
    sw_state_dict_free(&sd);
    return NULL;
  }
  SwellClassifier *c = swell_classifier_new_from_state_dict(&sd, arch, weights_path, error);
  sw_state_dict_free(&sd);
  return c;
}

void swell_classifier_free(SwellClassifier *c) {
  if (!c) return;
  sw_plan_free(c->plan);
  sw_model_free(c->model);
  g_strfreev(c->class_names);
  g_free(c->input);
  g_free(c);
}

const SwellModelSpec *swell_classifier_get_spec(const SwellClassifier *c) { return &c->spec; }
int swell_classifier_num_classes(const SwellClassifier *c) { return c->spec.num_classes; }
const sw_model_config *swell_classifier_get_config(SwellClassifier *c) {
  return sw_plan_get_config(c->plan);
}
const char *const *swell_classifier_get_class_names(const SwellClassifier *c) {
  return (const char *const *)c->class_names;
}
sw_model *swell_classifier_get_model(SwellClassifier *c) { return c->model; }

void swell_classifier_set_preprocess(SwellClassifier *c, SwellPreprocess p) { c->preprocess = p; }

/* The input_size x input_size RGB square the network sees, before
 * normalisation; NULL (error set) when memory runs out. */
static SwellRgbImage *preprocessed_image(const SwellClassifier *c, const SwellRgbImage *img,
                                         GError **error) {
  int S = c->spec.input_size;
  SwellRgbImage *sq = c->preprocess == SWELL_PREPROCESS_SQUASH ? swell_rgb_image_resize(img, S, S)
                                                                : swell_transform_eval_image(img, S);
  if (!sq)
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("out of memory while preparing the image"));
  return sq;
}

gboolean swell_classifier_preprocess(const SwellClassifier *c, const SwellRgbImage *img,
                                     float *input, GError **error) {
  g_autoptr(SwellRgbImage) sq = preprocessed_image(c, img, error);
  if (!sq) return FALSE;
  swell_transform_center_crop(sq, c->spec.input_size, c->spec.mean, c->spec.std, input);
  return TRUE;
}

gboolean swell_classifier_forward(SwellClassifier *c, const float *input, float *logits,
                                  GError **error) {
  const float *out = sw_plan_forward(c->plan, input, 1);
  if (!out) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("the model is not prepared"));
    return FALSE;
  }
  memcpy(logits, out, sizeof(float) * (size_t)c->spec.num_classes);
  return TRUE;
}

gboolean swell_classifier_classify_logits(SwellClassifier *c, const SwellRgbImage *img,
                                          float *logits, GError **error) {
  return swell_classifier_preprocess(c, img, c->input, error) &&
         swell_classifier_forward(c, c->input, logits, error);
}

/* Softmax probabilities of the plan on c->input. */
static gboolean classify_input(SwellClassifier *c, float *probs, GError **error) {
  if (!swell_classifier_forward(c, c->input, probs, error)) return FALSE;
  sw_softmax(probs, probs, 1, c->spec.num_classes);
  return TRUE;
}

gboolean swell_classifier_classify(SwellClassifier *c, const SwellRgbImage *img, float *probs,
                                   GError **error) {
  return swell_classifier_preprocess(c, img, c->input, error) && classify_input(c, probs, error);
}

gboolean swell_classifier_classify_file(SwellClassifier *c, const char *path, float *probs,
                                        GError **error) {
  g_autoptr(SwellRgbImage) img = swell_image_decode_file(path, error);
  if (!img) return FALSE;
  return swell_classifier_classify(c, img, probs, error);
}

/* ------------------------------------------------------------ explain */

/* Grad-CAM of class cls (-1: the predicted one) on c->input into e. */
static gboolean explain_input(SwellClassifier *c, int cls, SwellExplanation *e, GError **error) {
  char err[256];
  sw_gradcam_shape s;
  int S = c->spec.input_size;
  if (sw_gradcam_prepare(c->model, S, S, &s, err, sizeof err) != 0 ||
      !sw_gradcam_forward(c->model, c->input)) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("cannot explain the prediction: %s"), err);
    return FALSE;
  }
  if (cls < 0) swell_top_k(e->probs, e->num_classes, 1, &cls);
  e->class_index = cls;
  g_autofree float *cam = g_new(float, (gsize)s.h * s.w);
  e->heatmap = g_new(float, (gsize)S * S);
  if (sw_gradcam_class(c->model, e->class_index, NULL, cam, e->heatmap) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("cannot explain the prediction"));
    return FALSE;
  }
  for (int i = 0; i < S * S; i++) e->heatmap_max = MAX(e->heatmap_max, e->heatmap[i]);
  return TRUE;
}

SwellExplanation *swell_classifier_explain(SwellClassifier *c, const SwellRgbImage *img,
                                           int class_index, GError **error) {
  int C = c->spec.num_classes;
  if (class_index < -1 || class_index >= C) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("class %d is out of range (the model has %d classes)"), class_index, C);
    return NULL;
  }
  g_autoptr(SwellExplanation) e = g_new0(SwellExplanation, 1);
  e->num_classes = C;
  e->size = c->spec.input_size;
  e->probs = g_new(float, C);
  e->image = preprocessed_image(c, img, error);
  if (!e->image) return NULL;
  swell_transform_center_crop(e->image, e->size, c->spec.mean, c->spec.std, c->input);
  if (!classify_input(c, e->probs, error) || !explain_input(c, class_index, e, error))
    return NULL;
  return g_steal_pointer(&e);
}

SwellExplanation *swell_classifier_explain_bytes(SwellClassifier *c, GBytes *bytes,
                                                 const char *name, int class_index,
                                                 GError **error) {
  g_autoptr(SwellRgbImage) img = swell_image_decode_bytes(bytes, name, error);
  if (!img) return NULL;
  return swell_classifier_explain(c, img, class_index, error);
}

SwellExplanation *swell_classifier_explain_file(SwellClassifier *c, const char *path,
                                                int class_index, GError **error) {
  g_autoptr(SwellRgbImage) img = swell_image_decode_file(path, error);
  if (!img) return NULL;
  return swell_classifier_explain(c, img, class_index, error);
}

int swell_top_k(const float *values, int n, int k, int *indices) {
  if (k > n) k = n;
  if (k < 0) k = 0;
  for (int j = 0; j < k; j++) indices[j] = -1;
  for (int i = 0; i < n; i++) {
    /* insertion into the sorted top list */
    int pos = k;
    while (pos > 0 && (indices[pos - 1] < 0 || values[i] > values[indices[pos - 1]])) pos--;
    if (pos >= k) continue;
    for (int j = k - 1; j > pos; j--) indices[j] = indices[j - 1];
    indices[pos] = i;
  }
  return k;
}

char **swell_labels_read(const char *path, int *n, GError **error) {
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, error)) return NULL;
  if (!g_utf8_validate(text, (gssize)len, NULL)) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_READ,
                _("%s: the label file is not UTF-8 text"), path);
    return NULL;
  }
  char **lines = g_strsplit(text, "\n", -1);
  int count = (int)g_strv_length(lines);
  if (count > 0 && lines[count - 1][0] == '\0') {
    g_free(lines[count - 1]);
    lines[count - 1] = NULL;
    count--;
  }
  for (int i = 0; i < count; i++) g_strchomp(lines[i]); /* also drops a CR */
  *n = count;
  return lines;
}
