/* test_model_spec.c: SwellModelSpec from a weight file's metadata and tensors
 * (app/swell-model-spec.c): every key, the defaults, each bad value's message,
 * list and tuple syntax, the architecture rules, the head from the tensors and
 * the engine configuration. */
#include <math.h>
#include <string.h>

#include "swell-model-spec-private.h"
#include "swell-transforms.h"
#include "testutil.h"

static const char *FILE_NAME = "w.safetensors";

/* A state dict with metadata pairs (NULL-terminated) and, when `tensor` is
 * non-NULL, one [rows, 2] tensor of that name. */
static void make(sw_state_dict *sd, const char *tensor, int rows, const char *const *meta) {
  sw_state_dict_init(sd);
  if (tensor) {
    float *zeros = g_new0(float, (gsize)rows * 2);
    sw_state_dict_add(sd, tensor, sw_shape2(rows, 2), zeros);
    g_free(zeros);
  }
  for (int i = 0; meta && meta[i]; i += 2) sw_state_dict_set_meta(sd, meta[i], meta[i + 1]);
}

static gboolean read_spec(const char *tensor, int rows, const char *const *meta, const char *arch,
                          SwellModelSpec *spec, GError **error) {
  sw_state_dict sd;
  make(&sd, tensor, rows, meta);
  gboolean ok = swell_model_spec_from_state_dict(&sd, arch, FILE_NAME, spec, error);
  sw_state_dict_free(&sd);
  return ok;
}

static gboolean same3(const float *a, const float *b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

static void test_defaults(void) {
  SwellModelSpec s;
  g_autoptr(GError) error = NULL;
  CHECK(read_spec(NULL, 0, NULL, "resnet34", &s, &error), "defaults: %s",
        error ? error->message : "");
  CHECK(strcmp(s.arch, "resnet34") == 0, "arch %s", s.arch);
  CHECK(s.width_mult == 1.0f && !s.tf_same_padding, "width %g, padding %d", s.width_mult,
        s.tf_same_padding);
  CHECK(s.input_size == 224, "input_size %d", s.input_size);
  CHECK(same3(s.mean, SWELL_IMAGENET_MEAN) && same3(s.std, SWELL_IMAGENET_STD), "ImageNet mean/std");
  CHECK(s.head == SWELL_MODEL_HEAD_IMAGENET && s.num_classes == 0, "body only: head %d, %d classes",
        s.head, s.num_classes);
  CHECK(SWELL_IMAGENET_MEAN[0] == 0.485f && SWELL_IMAGENET_STD[2] == 0.225f, "ImageNet statistics");
}

static void test_every_key(void) {
  const char *meta[] = {"arch", "mobilenet_v2", "width_mult", "0.35",
                        "padding", "tf_same: stride-2 3x3 convs", "input_size", "160",
                        "mean", "[0.5, 0.25, 0.125]", "std", "(0.5, 0.5, 2)",
                        "num_classes", "10", "source", "ignored", NULL};
  SwellModelSpec s;
  g_autoptr(GError) error = NULL;
  CHECK(read_spec(NULL, 0, meta, NULL, &s, &error), "every key: %s", error ? error->message : "");
  CHECK(strcmp(s.arch, "mobilenet_v2") == 0, "arch from the metadata: %s", s.arch);
  CHECK(fabsf(s.width_mult - 0.35f) < 1e-7f, "width_mult %g", s.width_mult);
  CHECK(s.tf_same_padding, "padding tf_same");
  CHECK(s.input_size == 160, "input_size %d", s.input_size);
  const float mean[3] = {0.5f, 0.25f, 0.125f}, std[3] = {0.5f, 0.5f, 2.0f};
  CHECK(same3(s.mean, mean), "mean %g %g %g", s.mean[0], s.mean[1], s.mean[2]);
  CHECK(same3(s.std, std), "std %g %g %g", s.std[0], s.std[1], s.std[2]);
  CHECK(s.num_classes == 10, "num_classes from the metadata without a classifier: %d",
        s.num_classes);
  const char *sym[] = {"padding", "symmetric", NULL};
  CHECK(read_spec(NULL, 0, sym, "mobilenet_v2", &s, NULL) && !s.tf_same_padding,
        "padding symmetric");
}

static void test_syntax(void) {
  const char *good[] = {"[0.1, 0.2, 0.3]", "(0.1, 0.2, 0.3)", " [ 0.1 ,0.2,0.3 ] ", "(0.1,0.2,0.3)",
                        "[1e-1, 2E-1, 0.3]"};
  const float want[3] = {0.1f, 0.2f, 0.3f};
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    const char *meta[] = {"mean", good[i], "std", good[i], NULL};
    SwellModelSpec s;
    g_autoptr(GError) error = NULL;
    CHECK(read_spec(NULL, 0, meta, "resnet18", &s, &error) && same3(s.mean, want) &&
              same3(s.std, want),
          "triple “%s”: %s", good[i], error ? error->message : "wrong values");
  }
}

static void expect_bad(const char *key, const char *value) {
  const char *meta[] = {key, value, NULL};
  SwellModelSpec s;
  g_autoptr(GError) error = NULL;
  CHECK(!read_spec(NULL, 0, meta, "mobilenet_v2", &s, &error), "%s “%s” accepted", key, value);
  g_autofree char *want = g_strdup_printf("%s: invalid %s “%s” in the metadata", FILE_NAME, key, value);
  CHECK(g_error_matches(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_METADATA) &&
            strcmp(error->message, want) == 0,
        "%s “%s”: %s", key, value, error ? error->message : "(no error)");
}

static void test_bad_values(void) {
  const char *width[] = {"wide", "", "0", "0.05", "4.5", "1.0x", "-1"};
  for (gsize i = 0; i < G_N_ELEMENTS(width); i++) expect_bad("width_mult", width[i]);
  const char *size[] = {"big", "", "8", "15", "4097", "224px", "22.4"};
  for (gsize i = 0; i < G_N_ELEMENTS(size); i++) expect_bad("input_size", size[i]);
  const char *triple[] = {"[1, 2]", "0.5, 0.5, 0.5", "[1, 2, 3)", "(1, 2, 3]", "[1, 2, 3, 4]",
                          "[1, 2, nan]", "[1, 2, inf]", "[a, b, c]", "[1, 2, 3] x", ""};
  for (gsize i = 0; i < G_N_ELEMENTS(triple); i++) {
    expect_bad("mean", triple[i]);
    expect_bad("std", triple[i]);
  }
  expect_bad("std", "[0.5, 0, 0.5]");
  expect_bad("std", "[0.5, 0.5, -1]");
  const char *classes[] = {"many", "-1", "1000001", "3.5", ""};
  for (gsize i = 0; i < G_N_ELEMENTS(classes); i++) expect_bad("num_classes", classes[i]);
  /* the limits themselves are fine */
  const char *edges[] = {"width_mult", "0.1", "input_size", "16", NULL};
  SwellModelSpec s;
  CHECK(read_spec(NULL, 0, edges, "mobilenet_v2", &s, NULL) && s.input_size == 16, "lower limits");
  const char *edges2[] = {"width_mult", "4", "input_size", "4096", "num_classes", "0", NULL};
  CHECK(read_spec(NULL, 0, edges2, "mobilenet_v2", &s, NULL) && s.input_size == 4096 &&
            s.width_mult == 4.0f && s.num_classes == 0,
        "upper limits");
}

static void expect_arch_error(const char *const *meta, const char *arch, const char *want) {
  SwellModelSpec s;
  g_autoptr(GError) error = NULL;
  CHECK(!read_spec(NULL, 0, meta, arch, &s, &error), "arch %s accepted", arch ? arch : "(none)");
  CHECK(g_error_matches(error, SWELL_INFERENCE_ERROR, SWELL_INFERENCE_ERROR_ARCH) &&
            strcmp(error->message, want) == 0,
        "arch error: %s", error ? error->message : "(no error)");
}

static void test_arch(void) {
  const char *mnv2[] = {"arch", "mobilenet_v2", NULL};
  expect_arch_error(mnv2, "resnet18", "w.safetensors: the weights are for mobilenet_v2, not resnet18");
  expect_arch_error(NULL, NULL, "w.safetensors: no architecture given and none in the file’s metadata");
  expect_arch_error(NULL, "vgg",
                    "unknown architecture “vgg” (known: resnet18, resnet34, resnet50, mobilenet_v2)");
  const char *vgg[] = {"arch", "vgg", NULL};
  expect_arch_error(vgg, NULL,
                    "unknown architecture “vgg” (known: resnet18, resnet34, resnet50, mobilenet_v2)");
  SwellModelSpec s;
  CHECK(read_spec(NULL, 0, mnv2, "mobilenet_v2", &s, NULL) && strcmp(s.arch, "mobilenet_v2") == 0,
        "the same arch in the call and the metadata");
  const char *r50[] = {"arch", "resnet50", NULL};
  CHECK(read_spec(NULL, 0, r50, NULL, &s, NULL) && strcmp(s.arch, "resnet50") == 0,
        "arch from the metadata alone");
}

static void test_head(void) {
  const char *seven[] = {"num_classes", "7", NULL};
  SwellModelSpec s;
  CHECK(read_spec("head.8.weight", 4, seven, "resnet34", &s, NULL) &&
            s.head == SWELL_MODEL_HEAD_FASTAI && s.num_classes == 4,
        "fastai head: the tensor's rows win over num_classes (%d)", s.num_classes);
  CHECK(read_spec("fc.weight", 1000, NULL, "resnet18", &s, NULL) &&
            s.head == SWELL_MODEL_HEAD_IMAGENET && s.num_classes == 1000,
        "torchvision resnet classifier");
  CHECK(read_spec("classifier.1.weight", 1001, NULL, "mobilenet_v2", &s, NULL) &&
            s.head == SWELL_MODEL_HEAD_IMAGENET && s.num_classes == 1001,
        "torchvision mobilenet_v2 classifier");
  CHECK(read_spec("fc.weight", 1000, NULL, "mobilenet_v2", &s, NULL) && s.num_classes == 0,
        "fc.weight is not a mobilenet_v2 classifier");
}

static void test_config(void) {
  const char *meta[] = {"width_mult", "0.5", "padding", "tf_same", NULL};
  SwellModelSpec s;
  CHECK(read_spec("head.8.weight", 3, meta, "mobilenet_v2", &s, NULL), "config spec");
  sw_model_config cfg;
  swell_model_spec_get_config(&s, &cfg);
  CHECK(cfg.arch == SW_ARCH_MOBILENET_V2 && cfg.width_mult == 0.5f && cfg.tf_same_padding &&
            cfg.head == SW_HEAD_FASTAI && cfg.num_classes == 3 && cfg.seed == 0,
        "engine config");
  CHECK(read_spec("fc.weight", 5, NULL, "resnet50", &s, NULL), "config spec 2");
  swell_model_spec_get_config(&s, &cfg);
  CHECK(cfg.arch == SW_ARCH_RESNET50 && cfg.head == SW_HEAD_IMAGENET && cfg.num_classes == 5 &&
            !cfg.tf_same_padding,
        "engine config 2");
}

/* "None of these": unknown_threshold read, written back exactly, absent = NAN (never flag). */
static void test_unknown_threshold(void) {
  SwellModelSpec s;
  g_autoptr(GError) error = NULL;
  CHECK(read_spec(NULL, 0, NULL, "resnet34", &s, NULL) && isnan(s.unknown_threshold),
        "no threshold: NAN");
  const char *meta[] = {"unknown_score", "energy", "unknown_threshold", "1.8535", NULL};
  CHECK(read_spec(NULL, 0, meta, "resnet34", &s, &error) && s.unknown_threshold == 1.8535f,
        "threshold %g: %s", s.unknown_threshold, error ? error->message : "");
  const char *only[] = {"unknown_threshold", "-3.25", NULL};
  CHECK(read_spec(NULL, 0, only, "resnet34", &s, NULL) && s.unknown_threshold == -3.25f,
        "threshold without unknown_score");
  s.unknown_threshold = 0.1f / 3;
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  swell_model_spec_write_metadata(&s, NULL, &sd);
  SwellModelSpec back;
  CHECK(swell_model_spec_from_state_dict(&sd, NULL, FILE_NAME, &back, NULL) &&
            back.unknown_threshold == s.unknown_threshold &&
            g_strcmp0(sw_state_dict_get_meta(&sd, "unknown_score"), "energy") == 0,
        "threshold written back exactly");
  sw_state_dict_free(&sd);
  s.unknown_threshold = NAN;
  sw_state_dict_init(&sd);
  swell_model_spec_write_metadata(&s, NULL, &sd);
  CHECK(!sw_state_dict_get_meta(&sd, "unknown_threshold") &&
            !sw_state_dict_get_meta(&sd, "unknown_score"),
        "no threshold, no keys");
  sw_state_dict_free(&sd);
  const char *bad[] = {"", "low", "nan", "inf", "1e40", "2.5x"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) expect_bad("unknown_threshold", bad[i]);
  expect_bad("unknown_score", "max_softmax");
}

int main(void) {
  test_defaults();
  test_unknown_threshold();
  test_every_key();
  test_syntax();
  test_bad_values();
  test_arch();
  test_head();
  test_config();
  return sw_test_finish();
}
