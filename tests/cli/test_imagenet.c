/* test_imagenet: swell-cli classify and forward from outside (issue 2, items 6 and 7).
 *
 *  - ImageNet check: ../shared/weights/mobilenet_v2_1.0_imagenet.safetensors
 *    (TF-SAME padding and mean/std 0.5 from its metadata) on the three photos,
 *    resized to 224x224 as the README's reference outputs were (--squash): the
 *    README's top-1 labels, probabilities within 0.02 of its table;
 *  - default preprocessing (resize the short side, centre-crop): top-1 and
 *    probability as torchvision's Resize(224)+CenterCrop(224) with the same
 *    weights in PyTorch (values measured with tests/golden/gen_models.py's model);
 *  - --json output parses, one object per image, as the issue spells it;
 *  - forward: logits of the real weights on a fixed input equal PyTorch's
 *    (models_forward_mnv2.safetensors) within SW_TOL_OUTPUT;
 *  - bad arguments give one line on stderr naming the file or value, exit != 0.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "testutil.h"
#include "weights.h"

static const char *cli;
static char *weights, *labels, *images[3];

typedef struct {
  int status;
  char *out, *err;
} run_result;

static run_result run(const char *const *args) {
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)cli);
  for (int i = 0; args[i]; i++) g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);
  run_result r = {0};
  GError *error = NULL;
  int wait = 0;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                    &wait, &error)) {
    fprintf(stderr, "cannot run %s: %s\n", cli, error->message);
    exit(1);
  }
  r.status = g_spawn_check_wait_status(wait, NULL) ? 0 : 1;
  g_ptr_array_free(argv, TRUE);
  return r;
}

static void free_result(run_result *r) {
  g_free(r->out);
  g_free(r->err);
}

/* Parses --json output: checks the shape and returns the top entries' label and prob. */
static void check_json(const char *out, const char *const want_label[3], const double want_prob[3],
                       double tol, const char *what) {
  char **lines = g_strsplit(out, "\n", -1);
  int n = 0;
  for (int i = 0; lines[i]; i++) {
    if (!lines[i][0]) continue;
    GError *error = NULL;
    JsonParser *p = json_parser_new();
    if (!json_parser_load_from_data(p, lines[i], -1, &error)) {
      CHECK(0, "%s: line %d is not JSON: %s", what, i, error->message);
      g_clear_error(&error);
      g_object_unref(p);
      continue;
    }
    JsonNode *root = json_parser_get_root(p);
    CHECK(JSON_NODE_HOLDS_OBJECT(root), "%s: line %d is not an object", what, i);
    if (JSON_NODE_HOLDS_OBJECT(root) && n < 3) {
      JsonObject *o = json_node_get_object(root);
      const char *image = json_object_get_string_member_with_default(o, "image", "");
      CHECK(strcmp(image, images[n]) == 0, "%s: image \"%s\", want \"%s\" (as given)", what, image,
            images[n]);
      JsonArray *top = json_object_has_member(o, "top") ? json_object_get_array_member(o, "top") : NULL;
      CHECK(top && json_array_get_length(top) == 3, "%s: \"top\" should have 3 entries", what);
      if (top && json_array_get_length(top) >= 1) {
        double last = 2;
        for (guint j = 0; j < json_array_get_length(top); j++) {
          JsonObject *e = json_array_get_object_element(top, j);
          CHECK(json_object_has_member(e, "index") && json_object_has_member(e, "label") &&
                    json_object_has_member(e, "prob"),
                "%s: entry without index/label/prob", what);
          double pr = json_object_get_double_member_with_default(e, "prob", -1);
          CHECK(pr >= 0 && pr <= last, "%s: probabilities not sorted", what);
          last = pr;
        }
        JsonObject *e = json_array_get_object_element(top, 0);
        const char *label = json_object_get_string_member_with_default(e, "label", "");
        double prob = json_object_get_double_member_with_default(e, "prob", -1);
        bool ok = strcmp(label, want_label[n]) == 0 && fabs(prob - want_prob[n]) <= tol;
        printf("%s %s: %s -> %s (%.3f; want %s %.3f +- %.2f)\n", ok ? "ok  " : "FAIL", what,
               strrchr(images[n], '/') + 1, label, prob, want_label[n], want_prob[n], tol);
        if (!ok) sw_test_failures++;
      }
      n++;
    }
    g_object_unref(p);
  }
  CHECK(n == 3, "%s: %d JSON lines, want 3", what, n);
  g_strfreev(lines);
}

static void test_classify(void) {
  /* README table: TF-SAME, 224x224 bilinear resize */
  const char *readme_label[3] = {"Egyptian cat", "military uniform", "macaw"};
  const double readme_prob[3] = {0.67, 0.72, 0.93};
  const char *const a1[] = {"classify", "--arch", "mobilenet_v2", "--weights", weights, "--labels",
                            labels, "--top", "3", "--json", "--squash", images[0], images[1],
                            images[2], NULL};
  run_result r = run(a1);
  CHECK(r.status == 0, "classify --squash failed: %s", r.err);
  check_json(r.out, readme_label, readme_prob, 0.02, "ImageNet check (README, --squash)");
  free_result(&r);

  /* default: Resize(224) + CenterCrop(224); PyTorch gives these top-1s */
  const char *crop_label[3] = {"Egyptian cat", "mortarboard", "macaw"};
  const double crop_prob[3] = {0.626, 0.296, 0.941};
  const char *const a2[] = {"classify", "--arch", "mobilenet_v2", "--weights", weights, "--labels",
                            labels, "--top", "3", "--json", images[0], images[1], images[2], NULL};
  r = run(a2);
  CHECK(r.status == 0, "classify failed: %s", r.err);
  check_json(r.out, crop_label, crop_prob, 0.005, "classify (short side + centre crop)");
  free_result(&r);

  /* text output, no labels: the index as the label */
  const char *const a3[] = {"classify", "--arch", "mobilenet_v2", "--weights", weights, "--top", "1",
                            images[2], NULL};
  r = run(a3);
  bool ok = r.status == 0 && strstr(r.out, images[2]) && strstr(r.out, " 89  89");
  printf("%s classify text output without --labels:\n%s", ok ? "ok  " : "FAIL", r.out);
  if (!ok) sw_test_failures++;
  free_result(&r);
}

static void test_forward(void) {
  char *fx = sw_test_fixture_path("models_forward_mnv2.safetensors");
  const char *tmp = getenv("SWELL_TMP");
  g_mkdir_with_parents(tmp, 0755);
  char *out = g_build_filename(tmp, "models_forward_logits.safetensors", NULL);
  const char *const a[] = {"forward", "--arch", "mobilenet_v2", "--weights", weights, "--head",
                           "imagenet", "--eval", "--input", fx, "--output", out, NULL};
  run_result r = run(a);
  CHECK(r.status == 0, "forward failed: %s", r.err);
  sw_state_dict want, got;
  sw_test_load_fixture("models_forward_mnv2.safetensors", &want);
  sw_state_dict_init(&got);
  char err[512];
  if (sw_safetensors_read(out, &got, err, sizeof err) == 0) {
    const sw_named_tensor *g = sw_state_dict_find(&got, "logits");
    const sw_named_tensor *w = sw_test_tensor(&want, "logits");
    CHECK(g && sw_shape_equal(&g->shape, &w->shape), "forward: logits shape");
    if (g && sw_shape_equal(&g->shape, &w->shape))
      sw_test_close("swell-cli forward mobilenet_v2 1.0 (TF-SAME from metadata) logits vs PyTorch",
                    g->data, w->data, (size_t)sw_shape_numel(&w->shape), SW_TOL_OUTPUT);
  } else {
    CHECK(0, "%s", err);
  }
  sw_state_dict_free(&want);
  sw_state_dict_free(&got);
  free_result(&r);
  g_free(out);
  free(fx);
}

static void expect_error(const char *const *args, const char *must, const char *what) {
  run_result r = run(args);
  size_t len = r.err ? strlen(r.err) : 0;
  int newlines = 0;
  for (size_t i = 0; i < len; i++) newlines += r.err[i] == '\n';
  bool ok = r.status != 0 && strstr(r.err, must) != NULL && newlines == 1;
  printf("%s %s -> exit %d, %s", ok ? "ok  " : "FAIL", what, r.status, r.err);
  if (!ok) {
    sw_test_failures++;
    printf("     (wanted one line containing \"%s\")\n", must);
  }
  free_result(&r);
}

static void test_errors(void) {
  const char *tmp = getenv("SWELL_TMP");
  expect_error((const char *const[]){"classify", "--arch", "resnet99", "--weights", weights, images[0], NULL},
               "unknown architecture “resnet99”", "classify with an unknown arch");
  expect_error((const char *const[]){"classify", "--arch", "resnet18", "--weights", "/nonexistent/w.safetensors", images[0], NULL},
               "/nonexistent/w.safetensors: no such file", "classify with a missing weight file");
  expect_error((const char *const[]){"classify", "--arch", "resnet18", "--weights", weights, images[0], NULL},
               "the weights are for mobilenet_v2, not resnet18", "classify with mobilenet weights as resnet18");
  expect_error((const char *const[]){"classify", "--arch", "mobilenet_v2", "--weights", weights, "/nonexistent/cat.jpg", NULL},
               "/nonexistent/cat.jpg", "classify a missing image");
  expect_error((const char *const[]){"classify", "--arch", "mobilenet_v2", "--weights", labels, images[0], NULL},
               "imagenet_labels.txt", "classify with a text file as weights");
  /* a resnet18 file without metadata, used as resnet34 */
  sw_model_config cfg = {.arch = SW_ARCH_RESNET18, .head = SW_HEAD_IMAGENET, .num_classes = 10};
  char err[256];
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  sw_state_dict view, plain;
  sw_model_state_dict(m, &view);
  sw_state_dict_init(&plain);
  plain.borrowed = true;
  for (int i = 0; i < view.count; i++)
    sw_state_dict_add(&plain, view.tensors[i].name, view.tensors[i].shape, view.tensors[i].data);
  char *r18 = g_build_filename(tmp, "models_resnet18_nometa.safetensors", NULL);
  g_mkdir_with_parents(tmp, 0755);
  CHECK(sw_safetensors_write(r18, &plain, err, sizeof err) == 0, "%s", err);
  char *in = sw_test_fixture_path("models_forward_mnv2.safetensors");
  char *out = g_build_filename(tmp, "models_forward_bad.safetensors", NULL);
  expect_error((const char *const[]){"forward", "--arch", "resnet34", "--weights", r18, "--input", in, "--output", out, NULL},
               "models_resnet18_nometa.safetensors: missing tensor layer1.2.conv1.weight [64, 64, 3, 3] (expected by resnet34)", "forward with resnet18 weights as resnet34");
  expect_error((const char *const[]){"forward", "--arch", "resnet18", "--weights", r18, "--head", "fastai", "--input", in, "--output", out, NULL},
               "missing tensor head.2.weight", "forward --head fastai with ImageNet weights");
  expect_error((const char *const[]){"forward", "--arch", "resnet18", "--weights", r18, "--head", "best", "--input", in, "--output", out, NULL},
               "unknown head “best”", "forward with an unknown head");
  expect_error((const char *const[]){"forward", "--arch", "resnet18", "--weights", r18, "--input", r18, "--output", out, NULL},
               "no tensor named “input”", "forward with an input file without “input”");
  expect_error((const char *const[]){"forward", "--arch", "resnet18", "--weights", r18, "--output", out, NULL},
               "--input is required", "forward without --input");
  CHECK(!g_file_test(out, G_FILE_TEST_EXISTS), "a failed forward wrote %s", out);
  sw_state_dict_free(&view);
  sw_state_dict_free(&plain);
  sw_model_free(m);
  g_free(r18);
  g_free(out);
  free(in);
}

int main(void) {
  cli = getenv("SWELL_CLI");
  if (!cli) {
    fprintf(stderr, "SWELL_CLI is not set (run with meson test)\n");
    return 1;
  }
  weights = sw_test_shared_path("weights/mobilenet_v2_1.0_imagenet.safetensors");
  labels = sw_test_shared_path("weights/imagenet_labels.txt");
  images[0] = sw_test_shared_path("weights/images/cat.bmp");
  images[1] = sw_test_shared_path("weights/images/grace_hopper.bmp");
  images[2] = sw_test_shared_path("weights/images/parrot.jpg");
  test_classify();
  test_forward();
  test_errors();
  return sw_test_finish();
}
