/* test_schedule: fastai's one-cycle and fine_tune schedules, batch by batch,
 * against tests/fixtures/learner_sched.safetensors (tests/golden/gen_learner.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "testutil.h"

/* pct_train as fastai accumulates it (TrainEvalCallback). */
static void run_cycle(const sw_one_cycle *oc, int n_epoch, int n_iter, float *lrs, float *moms) {
  int k = 0;
  for (int e = 0; e < n_epoch; e++) {
    double pct = (double)e / n_epoch;
    for (int i = 0; i < n_iter; i++, k++) {
      double l[SW_MAX_GROUPS], m;
      sw_one_cycle_at(oc, pct, l, &m);
      for (int g = 0; g < oc->n_groups; g++) lrs[k * oc->n_groups + g] = (float)l[g];
      moms[k] = (float)m;
      pct += 1.0 / (n_iter * n_epoch);
    }
  }
}

/* Element-wise relative error: lrs span many decades. */
static void check_rel(const char *what, const float *got, const float *want, size_t n) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)got[i] - want[i]) / fabs((double)want[i]);
    if (!(e <= worst)) worst = e;
  }
  int ok = worst <= 1e-6;
  printf("%s %s max elementwise rel_err=%.3g (tol 1e-06, %zu values)\n", ok ? "ok  " : "FAIL",
         what, worst, n);
  if (!ok) sw_test_failures++;
}

static void compare(const sw_state_dict *sd, const char *name, const float *got, size_t n) {
  const sw_named_tensor *t = sw_test_tensor(sd, name);
  CHECK((size_t)sw_shape_numel(&t->shape) == n, "%s: %lld values, expected %zu", name,
        (long long)sw_shape_numel(&t->shape), n);
  if ((size_t)sw_shape_numel(&t->shape) != n) return;
  check_rel(name, got, t->data, n);
}

int main(void) {
  sw_state_dict sd;
  sw_test_load_fixture("learner_sched.safetensors", &sd);
  float lrs[256 * 3], moms[256];

  /* fit_one_cycle(3, slice(1e-4, 1e-2)), 3 groups, 7 batches per epoch. */
  sw_one_cycle oc;
  sw_one_cycle_init(&oc, 3, 1e-4, 1e-2);
  run_cycle(&oc, 3, 7, lrs, moms);
  compare(&sd, "oc_lrs", lrs, 21 * 3);
  compare(&sd, "oc_moms", moms, 21);

  /* fit_one_cycle(2, 3e-3, pct_start=0.3, div=10), one group. */
  sw_one_cycle_init(&oc, 1, 0, 3e-3);
  oc.pct_start = 0.3;
  oc.div = 10;
  run_cycle(&oc, 2, 10, lrs, moms);
  compare(&sd, "oc1_lrs", lrs, 20);
  compare(&sd, "oc1_moms", moms, 20);

  /* fine_tune(3): frozen cycle (1 epoch) then unfrozen (3 epochs), 6 batches each. */
  sw_one_cycle fr, un;
  sw_fine_tune_schedules(3, 2e-3, 100, 0.3, 5.0, &fr, &un);
  run_cycle(&fr, 1, 6, lrs, moms);
  run_cycle(&un, 3, 6, lrs + 6 * 3, moms + 6);
  compare(&sd, "ft_lrs", lrs, 24 * 3);
  compare(&sd, "ft_moms", moms, 24);

  /* fine_tune(2, base_lr=1e-3, freeze_epochs=2), 4 batches each. */
  sw_fine_tune_schedules(3, 1e-3, 100, 0.3, 5.0, &fr, &un);
  run_cycle(&fr, 2, 4, lrs, moms);
  run_cycle(&un, 2, 4, lrs + 8 * 3, moms + 8);
  compare(&sd, "ft2_lrs", lrs, 16 * 3);
  compare(&sd, "ft2_moms", moms, 16);

  /* lr_find sweep. */
  for (int i = 0; i < 100; i++) lrs[i] = (float)sw_sched_exp(1e-7, 10, i / 100.0);
  compare(&sd, "lrfind_lrs", lrs, 100);

  /* Sanity of the shape itself, independent of the fixture. */
  sw_one_cycle_init(&oc, 1, 0, 1e-2);
  double l, m;
  sw_one_cycle_at(&oc, 0.0, &l, &m);
  CHECK(fabs(l - 1e-2 / 25) < 1e-12 && fabs(m - 0.95) < 1e-12, "start lr %g mom %g", l, m);
  sw_one_cycle_at(&oc, 0.25, &l, &m);
  CHECK(fabs(l - 1e-2) < 1e-9 && fabs(m - 0.85) < 1e-7, "peak lr %g mom %g", l, m);
  sw_one_cycle_at(&oc, 1.0, &l, &m);
  CHECK(fabs(l - 1e-7) < 1e-12 && fabs(m - 0.95) < 1e-7, "end lr %g mom %g", l, m);
  double em[3];
  sw_even_mults(1e-5, 1e-3, 3, em);
  CHECK(fabs(em[1] - 1e-4) < 1e-12, "even_mults middle %g", em[1]);
  sw_lr_range(0, 1e-3, 3, em);
  CHECK(em[0] == 1e-4 && em[1] == 1e-4 && em[2] == 1e-3, "slice(hi) %g %g %g", em[0], em[1],
        em[2]);

  sw_state_dict_free(&sd);
  return sw_test_finish();
}
