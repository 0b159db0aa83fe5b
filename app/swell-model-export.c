/* swell-model-export.c: a stored model to a safetensors or ONNX file. */
#include "swell-config.h"

#include "swell-model-export.h"

#include <glib/gi18n.h>
#include <string.h>

#include "onnx.h"
#include "swell-inference-private.h"
#include "swell-model-spec-private.h"
#include "weights.h"

gboolean swell_model_format_from_name(const char *name, SwellModelFormat *format) {
  if (g_strcmp0(name, "safetensors") == 0)
    *format = SWELL_MODEL_FORMAT_SAFETENSORS;
  else if (g_strcmp0(name, "onnx") == 0)
    *format = SWELL_MODEL_FORMAT_ONNX;
  else
    return FALSE;
  return TRUE;
}

gboolean swell_model_format_from_path(const char *path, SwellModelFormat *format) {
  const char *dot = strrchr(path, '.');
  if (!dot || strchr(dot, '/')) return FALSE;
  g_autofree char *ext = g_ascii_strdown(dot + 1, -1);
  return swell_model_format_from_name(ext, format);
}

static gboolean write_failed(GError **error, const char *err) {
  g_set_error_literal(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_FAILED, err);
  return FALSE;
}

/* The classifier's description and the class names as metadata. */
static void export_metadata(const SwellClassifier *c, sw_state_dict *sd) {
  swell_model_spec_write_metadata(swell_classifier_get_spec(c),
                                  swell_classifier_get_class_names(c), sd);
}

static gboolean export_safetensors(SwellClassifier *c, const char *path, GError **error) {
  sw_state_dict sd;
  char err[1024];
  sw_model_state_dict(swell_classifier_get_model(c), &sd);
  export_metadata(c, &sd);
  int rc = sw_safetensors_write(path, &sd, err, sizeof err);
  sw_state_dict_free(&sd);
  return rc == 0 || write_failed(error, err);
}

static gboolean export_onnx(SwellClassifier *c, const char *path, GError **error) {
  sw_state_dict meta;
  char err[1024];
  sw_state_dict_init(&meta);
  export_metadata(c, &meta);
  int rc = sw_onnx_write(path, swell_classifier_get_model(c), swell_classifier_get_spec(c)->input_size,
                         meta.metadata, meta.metadata_count, PACKAGE_VERSION, err, sizeof err);
  sw_state_dict_free(&meta);
  return rc == 0 || write_failed(error, err);
}

gboolean swell_model_export(const SwellProjectModel *model, const char *path,
                            SwellModelFormat format, GError **error) {
  /* The classifier reads the stored weights once and checks them against the
   * class names; the export writes what it would run. */
  g_autoptr(SwellClassifier) c = swell_classifier_new_for_model(model, error);
  if (!c) return FALSE;
  if (format == SWELL_MODEL_FORMAT_ONNX) return export_onnx(c, path, error);
  return export_safetensors(c, path, error);
}
