/* bench_engine.c: training-step and inference throughput of the engine
 * (issue 2, item 8). Driven by bench_engine.py, which runs the same
 * measurement in PyTorch and prints the ratios; see bench/README.md.
 *
 *   bench_engine --arch resnet34|mobilenet_v2|resnet18|resnet50 --mode train|infer
 *                [--batch 16] [--size 224] [--threads 2] [--warmup 2] [--iters 5]
 *                [--classes 10]
 *
 * The model is the torchvision body with fastai's head (num_classes outputs),
 * everything unfrozen. A training step is: zero the gradients, forward in
 * training mode, softmax cross-entropy, backward, and a plain SGD update
 * p -= lr * grad over every trainable parameter (PyTorch side: the same with
 * torch.optim.SGD(lr, momentum=0)). Inference is the model compiled into an
 * inference plan (plan.h: BatchNorm folded, activations pooled by liveness)
 * once, the model then freed, and the plan run; its build time goes to stderr.
 * Input is seeded random noise. Prints one JSON line with the median step
 * time and images per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layers.h"
#include "model.h"
#include "plan.h"
#include "tensor.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_engine --arch ARCH --mode train|infer [--batch N] [--size S]\n"
          "                    [--threads T] [--warmup N] [--iters N] [--classes N]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *arch_name = NULL, *mode = NULL;
  int batch = 16, size = 224, threads = 2, warmup = 2, iters = 5, classes = 10;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--arch"))
      arch_name = v;
    else if (!strcmp(a, "--mode"))
      mode = v;
    else if (!strcmp(a, "--batch"))
      batch = atoi(v);
    else if (!strcmp(a, "--size"))
      size = atoi(v);
    else if (!strcmp(a, "--threads"))
      threads = atoi(v);
    else if (!strcmp(a, "--warmup"))
      warmup = atoi(v);
    else if (!strcmp(a, "--iters"))
      iters = atoi(v);
    else if (!strcmp(a, "--classes"))
      classes = atoi(v);
    else
      usage();
    i++;
  }
  if (!arch_name || !mode || (strcmp(mode, "train") && strcmp(mode, "infer")) || batch < 1 ||
      size < 32 || iters < 1 || warmup < 0 || classes < 2)
    usage();
  bool train = !strcmp(mode, "train");

  sw_set_num_threads(threads);
  sw_model_config cfg = {.width_mult = 1.0f, .head = SW_HEAD_FASTAI, .num_classes = classes,
                         .seed = 1};
  if (sw_arch_from_name(arch_name, &cfg.arch) != 0) {
    fprintf(stderr, "bench_engine: unknown architecture '%s'\n", arch_name);
    return 2;
  }
  char err[512];
  sw_model *m = sw_model_new(&cfg, err, sizeof err);
  if (!m) {
    fprintf(stderr, "bench_engine: %s\n", err);
    return 1;
  }
  sw_model_freeze_to(m, 0);
  sw_plan *plan = NULL;
  if (train) {
    if (sw_model_prepare(m, batch, size, size, err, sizeof err) != 0) {
      fprintf(stderr, "bench_engine: %s\n", err);
      return 1;
    }
  } else {
    double t0 = now_s();
    plan = sw_plan_new(m, batch, size, size, err, sizeof err);
    if (!plan) {
      fprintf(stderr, "bench_engine: %s\n", err);
      return 1;
    }
    fprintf(stderr, "%s plan: built in %.3f s, pool %.1f MiB, workspace %.1f MiB, weights %.1f MiB\n",
            arch_name, now_s() - t0, sw_plan_pool_bytes(plan) / 1048576.0,
            sw_plan_workspace_bytes(plan) / 1048576.0, sw_plan_weight_bytes(plan) / 1048576.0);
    sw_model_free(m);
    m = NULL;
  }
  size_t nin = (size_t)batch * 3 * size * size;
  float *input = malloc(nin * sizeof(float));
  float *probs = malloc((size_t)batch * classes * sizeof(float));
  float *dlogits = malloc((size_t)batch * classes * sizeof(float));
  int32_t *targets = malloc((size_t)batch * sizeof(int32_t));
  double *times = malloc((size_t)(iters + warmup) * sizeof(double));
  if (!input || !probs || !dlogits || !targets || !times) {
    fprintf(stderr, "bench_engine: out of memory\n");
    return 1;
  }
  sw_rng rng;
  sw_rng_seed(&rng, 123);
  for (size_t i = 0; i < nin; i++) input[i] = sw_rng_normal(&rng);
  for (int b = 0; b < batch; b++) targets[b] = (int32_t)(sw_rng_next(&rng) % (uint64_t)classes);

  const float lr = 1e-4f;
  int np = m ? sw_model_num_params(m) : 0;
  float loss = 0;
  for (int it = 0; it < warmup + iters; it++) {
    double t0 = now_s();
    if (train) {
      sw_model_zero_grad(m);
      const float *logits = sw_model_forward(m, input, batch, true);
      loss = sw_cross_entropy_forward(probs, logits, targets, batch, classes, 0.0f);
      memset(dlogits, 0, (size_t)batch * classes * sizeof(float));
      sw_cross_entropy_backward(dlogits, probs, targets, batch, classes, 0.0f);
      sw_model_backward(m, dlogits);
      for (int i = 0; i < np; i++) {
        sw_param *p = sw_model_param(m, i);
        if (p->is_buffer || !p->trainable || !p->grad) continue;
        for (int64_t k = 0; k < p->numel; k++) p->data[k] -= lr * p->grad[k];
      }
    } else {
      const float *logits = sw_plan_forward(plan, input, batch);
      loss = logits[0];
    }
    times[it] = now_s() - t0;
    fprintf(stderr, "%s %s step %d: %.3f s\n", arch_name, mode, it, times[it]);
  }
  qsort(times + warmup, (size_t)iters, sizeof(double), cmp_double);
  double med = iters % 2 ? times[warmup + iters / 2]
                         : 0.5 * (times[warmup + iters / 2 - 1] + times[warmup + iters / 2]);
  printf("{\"side\": \"swell\", \"arch\": \"%s\", \"mode\": \"%s\", \"batch\": %d, \"size\": %d, "
         "\"threads\": %d, \"iters\": %d, \"step_s\": %.4f, \"images_per_s\": %.3f, "
         "\"check\": %.6g}\n",
         arch_name, mode, batch, size, threads, iters, med, batch / med, (double)loss);
  free(input);
  free(probs);
  free(dlogits);
  free(targets);
  free(times);
  sw_plan_free(plan);
  sw_model_free(m);
  return 0;
}
