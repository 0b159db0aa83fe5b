/* inspect.c: `swell-cli classify` and `swell-cli forward`, headless checks
 * of the engine from outside.
 *
 *   classify --arch A --weights FILE [--labels FILE] [--top K] [--json] IMAGE...
 *   forward  --arch A --weights FILE [--num-classes N] [--head imagenet|fastai]
 *            [--eval|--train] --input IN.safetensors --output OUT.safetensors
 */
#include "swell-config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "swell-cli.h"
#include "swell-inference-private.h"
#include "swell-model-spec-private.h"
#include "weights.h"


/* Parses options; on failure prints one line and returns FALSE. */
static gboolean parse(GOptionContext *ctx, int *argc, char ***argv, int *status) {
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    *status = swell_cli_fail("%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean check_arch(const char *arch, int *status) {
  sw_arch a;
  if (!arch) {
    *status = swell_cli_fail("%s", _("--arch is required (resnet18, resnet34, resnet50 or mobilenet_v2)"));
    return FALSE;
  }
  if (sw_arch_from_name(arch, &a) != 0) {
    *status = swell_cli_fail(_("unknown architecture “%s” (known: resnet18, resnet34, resnet50, mobilenet_v2)"),
                             arch);
    return FALSE;
  }
  return TRUE;
}

static int read_weights(const char *path, sw_state_dict *sd) {
  char err[1024];
  sw_state_dict_init(sd);
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    sw_state_dict_free(sd);
    return swell_cli_fail(_("%s: no such file"), path);
  }
  if (sw_weights_read(path, sd, err, sizeof err) != 0) {
    sw_state_dict_free(sd);
    return swell_cli_fail("%s", err);
  }
  return 0;
}

/* ---- classify -------------------------------------------------------------- */

int swell_cli_classify(int argc, char **argv) {
  g_autofree char *arch = NULL, *weights = NULL, *labels_path = NULL;
  int top = 5;
  gboolean json = FALSE, squash = FALSE;
  g_auto(GStrv) images = NULL;
  GOptionEntry entries[] = {
      {"arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("architecture: resnet18, resnet34, resnet50, mobilenet_v2"), "A"},
      {"weights", 0, 0, G_OPTION_ARG_FILENAME, &weights, N_("pretrained weights with their ImageNet classifier (.safetensors or .pth)"), "FILE"},
      {"labels", 0, 0, G_OPTION_ARG_FILENAME, &labels_path, N_("class names, one per line"), "FILE"},
      {"top", 0, 0, G_OPTION_ARG_INT, &top, N_("how many classes to show (default 5)"), "K"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("one JSON object per image and line"), NULL},
      {"squash", 0, 0, G_OPTION_ARG_NONE, &squash, N_("resize the whole photo to the input size instead of resizing the short side and centre-cropping"), NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, NULL, N_("IMAGE…")},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(_("— classify photos with an ImageNet network"));
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse(ctx, &argc, &argv, &status)) return status;
  if (!check_arch(arch, &status)) return status;
  if (!weights) return swell_cli_fail("%s", _("--weights is required"));
  if (!images || !images[0]) return swell_cli_fail("%s", _("no image given"));
  if (top < 1) return swell_cli_fail(_("--top must be at least 1 (got %d)"), top);

  sw_state_dict sd;
  if ((status = read_weights(weights, &sd)) != 0) return status;
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellClassifier) cls = swell_classifier_new_from_state_dict(&sd, arch, weights, &error);
  sw_state_dict_free(&sd);
  if (!cls) return swell_cli_fail("%s", error->message);
  int n = swell_classifier_num_classes(cls);
  if (squash) swell_classifier_set_preprocess(cls, SWELL_PREPROCESS_SQUASH);

  g_auto(GStrv) labels = NULL;
  int nlabels = 0;
  if (labels_path) {
    labels = swell_labels_read(labels_path, &nlabels, &error);
    if (!labels) return swell_cli_fail("%s", error->message);
    if (nlabels != n)
      return swell_cli_fail(_("%s: %d labels, but the classifier has %d classes"), labels_path,
                            nlabels, n);
  }
  /* --labels, else the class names the file's metadata gives, else the indices */
  const char *const *names = labels ? (const char *const *)labels
                                    : swell_classifier_get_class_names(cls);
  if (top > n) top = n;
  g_autofree float *probs = g_new(float, n);
  g_autofree int *idx = g_new(int, top);
  int failures = 0;
  for (int i = 0; images[i]; i++) {
    g_clear_error(&error);
    if (!swell_classifier_classify_file(cls, images[i], probs, &error)) {
      swell_cli_fail("%s", error->message);
      failures++;
      continue;
    }
    int k = swell_top_k(probs, n, top, idx);
    if (json) {
      g_autoptr(JsonBuilder) b = json_builder_new();
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "image");
      json_builder_add_string_value(b, images[i]);
      json_builder_set_member_name(b, "top");
      json_builder_begin_array(b);
      for (int j = 0; j < k; j++) {
        g_autofree char *num = g_strdup_printf("%d", idx[j]);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, idx[j]);
        json_builder_set_member_name(b, "label");
        json_builder_add_string_value(b, names ? names[idx[j]] : num);
        json_builder_set_member_name(b, "prob");
        json_builder_add_double_value(b, probs[idx[j]]);
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
      json_builder_end_object(b);
      g_autoptr(JsonNode) root = json_builder_get_root(b);
      g_autofree char *line = json_to_string(root, FALSE);
      printf("%s\n", line);
    } else {
      printf("%s\n", images[i]);
      for (int j = 0; j < k; j++) {
        g_autofree char *num = g_strdup_printf("%d", idx[j]);
        printf("  %6.2f%%  %5d  %s\n", 100.0 * probs[idx[j]], idx[j],
               names ? names[idx[j]] : num);
      }
    }
    fflush(stdout);
  }
  return failures ? 1 : 0;
}

/* ---- forward --------------------------------------------------------------- */

int swell_cli_forward(int argc, char **argv) {
  g_autofree char *arch = NULL, *weights = NULL, *head = NULL, *input = NULL, *output = NULL;
  int num_classes = 0;
  gboolean eval = FALSE, train = FALSE;
  GOptionEntry entries[] = {
      {"arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("architecture: resnet18, resnet34, resnet50, mobilenet_v2"), "A"},
      {"weights", 0, 0, G_OPTION_ARG_FILENAME, &weights, N_("weights (.safetensors or .pth)"), "FILE"},
      {"num-classes", 0, 0, G_OPTION_ARG_INT, &num_classes, N_("classifier outputs (default: from the weights)"), "N"},
      {"head", 0, 0, G_OPTION_ARG_STRING, &head, N_("imagenet (torchvision's classifier) or fastai (create_head); default: from the weights"), "imagenet|fastai"},
      {"eval", 0, 0, G_OPTION_ARG_NONE, &eval, N_("evaluation mode: BatchNorm running statistics, no dropout (default)"), NULL},
      {"train", 0, 0, G_OPTION_ARG_NONE, &train, N_("training mode: BatchNorm batch statistics, dropout"), NULL},
      {"input", 0, 0, G_OPTION_ARG_FILENAME, &input, N_("safetensors file with a float32 tensor “input” (N, 3, H, W)"), "IN"},
      {"output", 0, 0, G_OPTION_ARG_FILENAME, &output, N_("safetensors file to write “logits” (N, classes) to"), "OUT"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(_("— run a network on a tensor and save its logits"));
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse(ctx, &argc, &argv, &status)) return status;
  if (argc > 1) return swell_cli_fail(_("unexpected argument “%s”"), argv[1]);
  if (!check_arch(arch, &status)) return status;
  if (!weights) return swell_cli_fail("%s", _("--weights is required"));
  if (!input) return swell_cli_fail("%s", _("--input is required"));
  if (!output) return swell_cli_fail("%s", _("--output is required"));
  if (eval && train) return swell_cli_fail("%s", _("--eval and --train exclude each other"));
  if (head && strcmp(head, "imagenet") != 0 && strcmp(head, "fastai") != 0)
    return swell_cli_fail(_("unknown head “%s” (imagenet or fastai)"), head);
  if (num_classes < 0) return swell_cli_fail(_("--num-classes must be positive (got %d)"), num_classes);

  sw_state_dict sd;
  if ((status = read_weights(weights, &sd)) != 0) return status;
  g_autoptr(GError) error = NULL;
  SwellModelSpec spec;
  if (!swell_model_spec_from_state_dict(&sd, arch, weights, &spec, &error)) {
    sw_state_dict_free(&sd);
    return swell_cli_fail("%s", error->message);
  }
  if (head)
    spec.head = strcmp(head, "fastai") == 0 ? SWELL_MODEL_HEAD_FASTAI : SWELL_MODEL_HEAD_IMAGENET;
  if (num_classes > 0) spec.num_classes = num_classes;
  if (spec.num_classes < 1) {
    sw_state_dict_free(&sd);
    return swell_cli_fail(_("%s: the weights have no classifier; give --num-classes"), weights);
  }
  char err[1024];
  sw_model_config cfg;
  swell_model_spec_get_config(&spec, &cfg);
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    sw_state_dict_free(&sd);
    return swell_cli_fail("%s", err);
  }
  if (sw_model_load(m, &sd, false, err, sizeof err) != 0) {
    sw_state_dict_free(&sd);
    sw_model_free(m);
    return swell_cli_fail("%s: %s", weights, err);
  }
  sw_state_dict_free(&sd);

  sw_state_dict in;
  sw_state_dict_init(&in);
  if (sw_safetensors_read(input, &in, err, sizeof err) != 0) {
    sw_model_free(m);
    sw_state_dict_free(&in);
    return swell_cli_fail("%s", err);
  }
  const sw_named_tensor *x = sw_state_dict_find(&in, "input");
  int rc = 0;
  if (!x) {
    rc = swell_cli_fail(_("%s: no tensor named “input”"), input);
  } else if (x->shape.ndim != 4 || x->shape.dims[1] != 3 || x->shape.dims[0] < 1 ||
             x->shape.dims[0] > 4096 || x->shape.dims[2] < 1 || x->shape.dims[3] < 1) {
    char s[96];
    rc = swell_cli_fail(_("%s: “input” has shape %s; expected (N, 3, H, W)"), input,
                        sw_shape_str(&x->shape, s, sizeof s));
  } else {
    int B = (int)x->shape.dims[0], H = (int)x->shape.dims[2], W = (int)x->shape.dims[3];
    if (sw_model_prepare(m, B, H, W, err, sizeof err) != 0) {
      rc = swell_cli_fail("%s: %s", input, err);
    } else {
      const float *logits = sw_model_forward(m, x->data, B, train);
      int n = sw_model_num_outputs(m);
      sw_state_dict out;
      sw_state_dict_init(&out);
      sw_state_dict_add(&out, "logits", sw_shape2(B, n), logits);
      sw_state_dict_set_meta(&out, "arch", arch);
      sw_state_dict_set_meta(&out, "mode", train ? "train" : "eval");
      if (sw_safetensors_write(output, &out, err, sizeof err) != 0) rc = swell_cli_fail("%s", err);
      sw_state_dict_free(&out);
    }
  }
  sw_state_dict_free(&in);
  sw_model_free(m);
  return rc;
}
