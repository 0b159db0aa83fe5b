/* schedule.c: see schedule.h. */
#include "schedule.h"

#include <math.h>

double sw_sched_cos(double start, double end, double pos) {
  return start + (1.0 + cos(M_PI * (1.0 - pos))) * (end - start) / 2.0;
}

double sw_sched_exp(double start, double end, double pos) {
  return start * pow(end / start, pos);
}

double sw_combined_cos_at(const sw_combined_cos *c, double pos) {
  /* fastai: pcts = cumsum(tensor([0, pct, 1-pct])) in float32;
   * idx = min(last i with pos >= pcts[i], 1);
   * actual_pos = (pos - pcts[idx]) / (pcts[idx+1] - pcts[idx]) in float32. */
  float p0 = 0.0f;
  float p1 = (float)c->pct;
  float p2 = p1 + (float)(1.0 - c->pct);
  float fpos = (float)pos;
  int idx = (fpos >= p1) ? 1 : 0;
  float lo = idx ? p1 : p0, hi = idx ? p2 : p1;
  float actual = (fpos - lo) / (hi - lo);
  if (idx == 0) return sw_sched_cos(c->start, c->middle, (double)actual);
  return sw_sched_cos(c->middle, c->end, (double)actual);
}

void sw_even_mults(double start, double stop, int n, double *out) {
  if (n == 1) {
    out[0] = stop;
    return;
  }
  double mult = stop / start;
  double step = pow(mult, 1.0 / (double)(n - 1));
  for (int i = 0; i < n; i++) out[i] = start * pow(step, (double)i);
}

void sw_lr_range(double lo, double hi, int n_groups, double *out) {
  if (lo > 0) {
    sw_even_mults(lo, hi, n_groups, out);
    return;
  }
  for (int i = 0; i < n_groups - 1; i++) out[i] = hi / 10.0;
  out[n_groups - 1] = hi;
}

void sw_one_cycle_init(sw_one_cycle *oc, int n_groups, double lo, double hi) {
  if (n_groups < 1) n_groups = 1;
  if (n_groups > SW_MAX_GROUPS) n_groups = SW_MAX_GROUPS;
  oc->n_groups = n_groups;
  sw_lr_range(lo, hi, n_groups, oc->lr_max);
  oc->div = 25.0;
  oc->div_final = 1e5;
  oc->pct_start = 0.25;
  oc->moms[0] = 0.95;
  oc->moms[1] = 0.85;
  oc->moms[2] = 0.95;
}

void sw_one_cycle_at(const sw_one_cycle *oc, double pos, double *lrs, double *mom) {
  for (int g = 0; g < oc->n_groups; g++) {
    sw_combined_cos c = {oc->pct_start, oc->lr_max[g] / oc->div, oc->lr_max[g],
                         oc->lr_max[g] / oc->div_final};
    lrs[g] = sw_combined_cos_at(&c, pos);
  }
  sw_combined_cos m = {oc->pct_start, oc->moms[0], oc->moms[1], oc->moms[2]};
  *mom = sw_combined_cos_at(&m, pos);
}

void sw_fine_tune_schedules(int n_groups, double base_lr, double lr_mult, double pct_start,
                            double div, sw_one_cycle *frozen, sw_one_cycle *unfrozen) {
  sw_one_cycle_init(frozen, n_groups, 0.0, base_lr);
  frozen->pct_start = 0.99;
  base_lr /= 2.0;
  sw_one_cycle_init(unfrozen, n_groups, base_lr / lr_mult, base_lr);
  unfrozen->pct_start = pct_start;
  unfrozen->div = div;
}
