/* test_export_model.c: test_export_model.sh's two helpers.
 *
 *   test_export_model init ARCH OUT.safetensors [tf_same]
 *       a freshly initialised torchvision-layout model (ImageNet head, 10
 *       outputs, seed 1) as pretrained weights to train from, for the
 *       architectures whose real weights the test machine does not have;
 *   test_export_model inputs MODEL.safetensors OUT.f32 IMAGE...
 *       the network inputs Swell makes of the images (SwellClassifier's own
 *       preprocessing with the model file's size and normalisation), as raw
 *       little-endian float32, one image after the other.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "swell-inference.h"
#include "weights.h"

static int init(const char *arch, const char *out, gboolean tf_same) {
  sw_model_config cfg = {.width_mult = 1.0f, .tf_same_padding = tf_same,
                         .head = SW_HEAD_IMAGENET, .num_classes = 10, .seed = 1};
  char err[512];
  if (sw_arch_from_name(arch, &cfg.arch) != 0) {
    fprintf(stderr, "test_export_model: unknown architecture %s\n", arch);
    return 1;
  }
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    fprintf(stderr, "test_export_model: %s\n", err);
    return 1;
  }
  sw_state_dict sd;
  sw_model_state_dict(m, &sd);
  int rc = sw_safetensors_write(out, &sd, err, sizeof err);
  if (rc) fprintf(stderr, "test_export_model: %s\n", err);
  sw_state_dict_free(&sd);
  sw_model_free(m);
  return rc ? 1 : 0;
}

static int inputs(const char *model, const char *out, char **images, int n) {
  g_autoptr(GError) error = NULL;
  g_autoptr(SwellClassifier) c = swell_classifier_new(model, NULL, &error);
  if (!c) {
    fprintf(stderr, "test_export_model: %s\n", error->message);
    return 1;
  }
  int S = swell_classifier_get_spec(c)->input_size;
  g_autofree float *x = g_new(float, (gsize)3 * S * S);
  FILE *f = fopen(out, "wb");
  if (!f) {
    perror(out);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    g_autoptr(SwellRgbImage) img = swell_image_decode_file(images[i], &error);
    if (!img || !swell_classifier_preprocess(c, img, x, &error) ||
        fwrite(x, sizeof(float), (size_t)3 * S * S, f) != (size_t)3 * S * S) {
      fprintf(stderr, "test_export_model: %s: %s\n", images[i], error ? error->message : "write");
      fclose(f);
      return 1;
    }
  }
  return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "init") == 0)
    return init(argv[2], argv[3], argc > 4 && strcmp(argv[4], "tf_same") == 0);
  if (argc >= 5 && strcmp(argv[1], "inputs") == 0)
    return inputs(argv[2], argv[3], argv + 4, argc - 4);
  fprintf(stderr, "usage: test_export_model init ARCH OUT [tf_same] | inputs MODEL OUT IMAGE...\n");
  return 2;
}
