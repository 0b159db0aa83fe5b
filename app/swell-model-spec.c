/* swell-model-spec.c: weight-file metadata and tensors -> SwellModelSpec. */
#include "swell-config.h"

#include "swell-model-spec-private.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "swell-transforms.h"

G_DEFINE_QUARK(swell-inference-error-quark, swell_inference_error)

/* "[a, b, c]" or "(a, b, c)" with C-locale numbers -> 3 floats. */
static gboolean parse_triple(const char *s, float out[3]) {
  const char *p = s;
  while (g_ascii_isspace(*p)) p++;
  char close = *p == '[' ? ']' : *p == '(' ? ')' : '\0';
  if (!close) return FALSE;
  p++;
  for (int i = 0; i < 3; i++) {
    char *end = NULL;
    double v = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(v)) return FALSE;
    out[i] = (float)v;
    p = end;
    while (g_ascii_isspace(*p)) p++;
    if (*p++ != (i < 2 ? ',' : close)) return FALSE;
  }
  while (g_ascii_isspace(*p)) p++;
  return *p == '\0';
}

static gboolean parse_int(const char *s, int lo, int hi, int *out) {
  char *end = NULL;
  gint64 v = g_ascii_strtoll(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return FALSE;
  *out = (int)v;
  return TRUE;
}

static gboolean parse_width(const char *s, float *out) {
  char *end = NULL;
  double w = g_ascii_strtod(s, &end);
  if (end == s || *end != '\0' || !(w >= 0.1 && w <= 4.0)) return FALSE;
  *out = (float)w;
  return TRUE;
}

static gboolean bad_value(GError **error, const char *what, const char *key, const char *value) {
  g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
              _("%s: invalid %s “%s” in the metadata"), what, key, value);
  return FALSE;
}

static gboolean read_arch(const sw_state_dict *sd, const char *arch, const char *what,
                          SwellModelSpec *spec, GError **error) {
  const char *meta_arch = sw_state_dict_get_meta(sd, "arch");
  const char *name = arch ? arch : meta_arch;
  sw_arch a;
  if (!name) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_ARCH,
                _("%s: no architecture given and none in the file’s metadata"), what);
    return FALSE;
  }
  if (sw_arch_from_name(name, &a) != 0) {
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
  spec->arch = sw_arch_name(a);
  return TRUE;
}

/* Head and classes from the tensors; "num_classes" only when there is no classifier. */
static gboolean read_head(const sw_state_dict *sd, const char *what, SwellModelSpec *spec,
                          GError **error) {
  const sw_named_tensor *cls = sw_state_dict_find(sd, "head.8.weight");
  if (cls) {
    spec->head = SWELL_MODEL_HEAD_FASTAI;
  } else {
    spec->head = SWELL_MODEL_HEAD_IMAGENET;
    cls = sw_state_dict_find(sd, strcmp(spec->arch, "mobilenet_v2") == 0 ? "classifier.1.weight"
                                                                        : "fc.weight");
  }
  if (cls && cls->shape.ndim == 2 && cls->shape.dims[0] >= 1 && cls->shape.dims[0] <= 1000000)
    spec->num_classes = (int)cls->shape.dims[0];
  const char *v = sw_state_dict_get_meta(sd, "num_classes");
  int meta_classes = 0;
  if (v && !parse_int(v, 0, 1000000, &meta_classes))
    return bad_value(error, what, "num_classes", v);
  if (meta_classes > 0 && !cls) spec->num_classes = meta_classes;
  return TRUE;
}

/* The "none of these" calibration: unknown_score (energy only) and unknown_threshold. */
static gboolean read_unknown(const sw_state_dict *sd, const char *what, SwellModelSpec *spec,
                             GError **error) {
  spec->unknown_threshold = NAN;
  const char *v = sw_state_dict_get_meta(sd, "unknown_score");
  if (v && strcmp(v, "energy") != 0) return bad_value(error, what, "unknown_score", v);
  v = sw_state_dict_get_meta(sd, "unknown_threshold");
  if (!v) return TRUE;
  char *end = NULL;
  double t = g_ascii_strtod(v, &end);
  if (end == v || *end != '\0' || !isfinite(t) || fabs(t) > 1e30)
    return bad_value(error, what, "unknown_threshold", v);
  spec->unknown_threshold = (float)t;
  return TRUE;
}

gboolean swell_model_spec_from_state_dict(const sw_state_dict *sd, const char *arch,
                                          const char *what, SwellModelSpec *spec, GError **error) {
  memset(spec, 0, sizeof *spec);
  spec->width_mult = 1.0f;
  spec->input_size = 224;
  memcpy(spec->mean, SWELL_IMAGENET_MEAN, sizeof spec->mean);
  memcpy(spec->std, SWELL_IMAGENET_STD, sizeof spec->std);
  if (!read_arch(sd, arch, what, spec, error)) return FALSE;
  const char *v = sw_state_dict_get_meta(sd, "width_mult");
  if (v && !parse_width(v, &spec->width_mult)) return bad_value(error, what, "width_mult", v);
  v = sw_state_dict_get_meta(sd, "padding");
  spec->tf_same_padding = v && g_str_has_prefix(v, "tf_same");
  v = sw_state_dict_get_meta(sd, "input_size");
  if (v && !parse_int(v, 16, 4096, &spec->input_size))
    return bad_value(error, what, "input_size", v);
  v = sw_state_dict_get_meta(sd, "mean");
  if (v && !parse_triple(v, spec->mean)) return bad_value(error, what, "mean", v);
  v = sw_state_dict_get_meta(sd, "std");
  if (v && (!parse_triple(v, spec->std) || !(spec->std[0] > 0) || !(spec->std[1] > 0) ||
            !(spec->std[2] > 0)))
    return bad_value(error, what, "std", v);
  return read_unknown(sd, what, spec, error) && read_head(sd, what, spec, error);
}

void swell_model_spec_get_config(const SwellModelSpec *spec, sw_model_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  sw_arch_from_name(spec->arch, &cfg->arch);
  cfg->width_mult = spec->width_mult;
  cfg->tf_same_padding = spec->tf_same_padding != FALSE;
  cfg->head = spec->head == SWELL_MODEL_HEAD_FASTAI ? SW_HEAD_FASTAI : SW_HEAD_IMAGENET;
  cfg->num_classes = spec->num_classes;
  cfg->seed = 0;
}

char **swell_model_spec_read_class_names(const sw_state_dict *sd, const SwellModelSpec *spec,
                                         const char *what, GError **error) {
  const char *v = sw_state_dict_get_meta(sd, "class_names");
  if (!v) return NULL;
  g_autoptr(JsonNode) root = json_from_string(v, NULL);
  JsonArray *a = root && JSON_NODE_HOLDS_ARRAY(root) ? json_node_get_array(root) : NULL;
  if (!a || (int)json_array_get_length(a) != spec->num_classes || spec->num_classes < 1) {
    g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                _("%s: invalid class_names in the metadata (expected a list of %d names)"), what,
                spec->num_classes);
    return NULL;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
      g_set_error(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA,
                  _("%s: invalid class_names in the metadata (entry %u is not a string)"), what,
                  i + 1);
      return NULL;
    }
    g_ptr_array_add(names, g_strdup(json_node_get_string(e)));
  }
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

void swell_model_spec_write_unknown_threshold(float threshold, sw_state_dict *sd) {
  if (!isfinite(threshold)) return;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  sw_state_dict_set_meta(sd, "unknown_score", "energy");
  sw_state_dict_set_meta(sd, "unknown_threshold", g_ascii_formatd(buf, sizeof buf, "%.9g",
                                                                   threshold));
}

static void set_triple(sw_state_dict *sd, const char *key, const float v[3]) {
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *s = g_strdup_printf("[%s, %s, %s]",
                                       g_ascii_formatd(a, sizeof a, "%.9g", v[0]),
                                       g_ascii_formatd(b, sizeof b, "%.9g", v[1]),
                                       g_ascii_formatd(c, sizeof c, "%.9g", v[2]));
  sw_state_dict_set_meta(sd, key, s);
}

void swell_model_spec_write_metadata(const SwellModelSpec *spec, const char *const *class_names,
                                     sw_state_dict *sd) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  sw_state_dict_set_meta(sd, "arch", spec->arch);
  g_snprintf(buf, sizeof buf, "%d", spec->num_classes);
  sw_state_dict_set_meta(sd, "num_classes", buf);
  sw_state_dict_set_meta(sd, "head", spec->head == SWELL_MODEL_HEAD_FASTAI ? "fastai" : "imagenet");
  if (strcmp(spec->arch, "mobilenet_v2") == 0)
    sw_state_dict_set_meta(sd, "width_mult", g_ascii_formatd(buf, sizeof buf, "%.9g",
                                                              spec->width_mult));
  sw_state_dict_set_meta(sd, "padding", spec->tf_same_padding ? "tf_same" : "symmetric");
  g_snprintf(buf, sizeof buf, "%d", spec->input_size);
  sw_state_dict_set_meta(sd, "input_size", buf);
  set_triple(sd, "mean", spec->mean);
  set_triple(sd, "std", spec->std);
  swell_model_spec_write_unknown_threshold(spec->unknown_threshold, sd);
  if (class_names) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    for (int i = 0; class_names[i]; i++) json_builder_add_string_value(b, class_names[i]);
    json_builder_end_array(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *s = json_to_string(root, FALSE);
    sw_state_dict_set_meta(sd, "class_names", s);
  }
  sw_state_dict_set_meta(sd, "swell_version", PACKAGE_VERSION);
}
