/* swell-inference.c: weight-file metadata -> model spec, and classifying images. */
#include "swell-config.h"

#include "swell-inference.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "layers.h"
#include "swell-transforms.h"

G_DEFINE_QUARK(swell-inference-error-quark, swell_inference_error)

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};

/* "[0.5, 0.5, 0.5]" (or "0.5,0.5,0.5") -> 3 floats. */
static gboolean parse_triple(const char *s, float out[3]) {
  const char *p = s;
  while (*p == ' ' || *p == '[' || *p == '(') p++;
  for (int i = 0; i < 3; i++) {
    char *end = NULL;
    double v = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(v)) return FALSE;
    out[i] = (float)v;
    p = end;
    while (*p == ' ') p++;
    if (i < 2) {
      if (*p != ',') return FALSE;
      p++;
    }
  }
  while (*p == ' ' || *p == ']' || *p == ')') p++;
  return *p == '\0';
}

static gboolean parse_int(const char *s, int lo, int hi, int *out) {
  char *end = NULL;
  gint64 v = g_ascii_strtoll(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return FALSE;
  *out = (int)v;
  return TRUE;
}

gboolean swell_model_spec_from_weights(const sw_state_dict *sd, const char *arch, const char *what,
                                       SwellModelSpec *spec, GError **error) {
  memset(spec, 0, sizeof *spec);
  const char *meta_arch = sw_state_dict_get_meta(sd, "arch");
  const char *name = arch ? arch : meta_arch;
  if (!name) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_ARCH,
                _("%s: no architecture given and none in the file’s metadata"), what);
    return FALSE;
  }
  if (sw_arch_from_name(name, &spec->model.arch) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_ARCH,
                _("unknown architecture “%s” (known: resnet18, resnet34, resnet50, mobilenet_v2)"),
                name);
    return FALSE;
  }
  if (arch && meta_arch && strcmp(arch, meta_arch) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_ARCH,
                _("%s: the weights are for %s, not %s"), what, meta_arch, arch);
    return FALSE;
  }
  spec->model.width_mult = 1.0f;
  const char *v = sw_state_dict_get_meta(sd, "width_mult");
  if (v && spec->model.arch == SW_ARCH_MOBILENET_V2) {
    char *end = NULL;
    double w = g_ascii_strtod(v, &end);
    if (end == v || *end != '\0' || !(w >= 0.1 && w <= 4.0)) {
      g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                  _("%s: invalid width_mult “%s” in the metadata"), what, v);
      return FALSE;
    }
    spec->model.width_mult = (float)w;
  }
  v = sw_state_dict_get_meta(sd, "padding");
  spec->model.tf_same_padding = v && g_str_has_prefix(v, "tf_same");
  spec->input_size = 224;
  v = sw_state_dict_get_meta(sd, "input_size");
  if (v && !parse_int(v, 16, 4096, &spec->input_size)) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                _("%s: invalid input_size “%s” in the metadata"), what, v);
    return FALSE;
  }
  memcpy(spec->mean, imagenet_mean, sizeof spec->mean);
  memcpy(spec->std, imagenet_std, sizeof spec->std);
  v = sw_state_dict_get_meta(sd, "mean");
  if (v && !parse_triple(v, spec->mean)) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                _("%s: invalid mean “%s” in the metadata"), what, v);
    return FALSE;
  }
  v = sw_state_dict_get_meta(sd, "std");
  if (v && (!parse_triple(v, spec->std) || spec->std[0] <= 0 || spec->std[1] <= 0 ||
            spec->std[2] <= 0)) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                _("%s: invalid std “%s” in the metadata"), what, v);
    return FALSE;
  }
  /* head and classes from the tensors */
  const sw_named_tensor *cls = sw_state_dict_find(sd, "head.8.weight");
  if (cls) {
    spec->model.head = SW_HEAD_FASTAI;
  } else {
    spec->model.head = SW_HEAD_IMAGENET;
    cls = sw_state_dict_find(sd, spec->model.arch == SW_ARCH_MOBILENET_V2 ? "classifier.1.weight"
                                                                           : "fc.weight");
  }
  if (cls && cls->shape.ndim == 2 && cls->shape.dims[0] >= 1 && cls->shape.dims[0] <= 1000000)
    spec->model.num_classes = (int)cls->shape.dims[0];
  v = sw_state_dict_get_meta(sd, "num_classes");
  int meta_classes = 0;
  if (v && parse_int(v, 0, 1000000, &meta_classes) && meta_classes > 0 && !cls)
    spec->model.num_classes = meta_classes;
  spec->model.seed = 0;
  return TRUE;
}

struct _SwellClassifier {
  SwellModelSpec spec;
  SwellPreprocess preprocess;
  sw_model *model;
  float *input;
};

SwellClassifier *swell_classifier_new_from_state_dict(const sw_state_dict *sd, const char *arch,
                                                      const char *what, GError **error) {
  SwellModelSpec spec;
  if (!swell_model_spec_from_weights(sd, arch, what, &spec, error)) return NULL;
  if (spec.model.num_classes < 1) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_NO_HEAD,
                _("%s: the weights have no classifier (%s), so they cannot classify images"),
                what, spec.model.arch == SW_ARCH_MOBILENET_V2 ? "classifier.1.weight" : "fc.weight");
    return NULL;
  }
  char err[512];
  sw_model *m = sw_model_new(&spec.model, err, sizeof err);
  if (!m) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED, "%s: %s", what, err);
    return NULL;
  }
  if (sw_model_load(m, sd, false, err, sizeof err) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_WEIGHTS, "%s: %s", what, err);
    sw_model_free(m);
    return NULL;
  }
  if (sw_model_prepare(m, 1, spec.input_size, spec.input_size, err, sizeof err) != 0) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED, "%s: %s", what, err);
    sw_model_free(m);
    return NULL;
  }
  SwellClassifier *c = g_new0(SwellClassifier, 1);
  c->spec = spec;
  c->model = m;
  c->input = g_new(float, (gsize)3 * spec.input_size * spec.input_size);
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
  sw_model_free(c->model);
  g_free(c->input);
  g_free(c);
}

const SwellModelSpec *swell_classifier_get_spec(const SwellClassifier *c) { return &c->spec; }
int swell_classifier_num_classes(const SwellClassifier *c) { return c->spec.model.num_classes; }
sw_model *swell_classifier_get_model(SwellClassifier *c) { return c->model; }

void swell_classifier_set_preprocess(SwellClassifier *c, SwellPreprocess p) { c->preprocess = p; }

gboolean swell_classifier_classify(SwellClassifier *c, const SwellRgbImage *img, float *probs,
                                   GError **error) {
  gboolean ok;
  int S = c->spec.input_size;
  if (c->preprocess == SWELL_PREPROCESS_SQUASH) {
    g_autoptr(SwellRgbImage) sq = swell_rgb_image_resize(img, S, S);
    ok = sq != NULL;
    if (ok) swell_transform_center_crop(sq, S, c->spec.mean, c->spec.std, c->input);
  } else {
    ok = swell_transform_eval(img, S, c->spec.mean, c->spec.std, c->input);
  }
  if (!ok) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("out of memory while preparing the image"));
    return FALSE;
  }
  const float *logits = sw_model_forward(c->model, c->input, 1, false);
  if (!logits) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED,
                _("the model is not prepared"));
    return FALSE;
  }
  sw_softmax(probs, logits, 1, c->spec.model.num_classes);
  return TRUE;
}

gboolean swell_classifier_classify_file(SwellClassifier *c, const char *path, float *probs,
                                        GError **error) {
  g_autoptr(SwellRgbImage) img = swell_image_decode_file(path, error);
  if (!img) return FALSE;
  return swell_classifier_classify(c, img, probs, error);
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
