/* schedule.h: fastai's hyper-parameter schedules (fastai/callback/schedule.py).
 *
 *  - sched_cos(start, end, pos) = start + (1 + cos(pi*(1-pos))) * (end-start)/2
 *  - sched_exp(start, end, pos) = start * (end/start)^pos
 *  - combined_cos(pct, start, middle, end): cosine start->middle over the first
 *    pct of training, then middle->end, as combine_scheds([pct, 1-pct], ...)
 *    (whose boundaries are float32 tensors in fastai: emulated here).
 *  - one-cycle: lr = combined_cos(pct_start, lr_max/div, lr_max, lr_max/div_final)
 *    per parameter group, mom = combined_cos(pct_start, moms[0], moms[1], moms[2]).
 *  - lr_range: fastai's Learner.lr_range. slice(hi) -> hi/10 for every group but
 *    the last, hi for the last; slice(lo, hi) -> even_mults(lo, hi, n_groups).
 *
 * pos is the fraction of training done before the batch: fastai's pct_train,
 * i.e. (epoch * n_iter + iter) / (n_epoch * n_iter).
 */
#ifndef SW_SCHEDULE_H
#define SW_SCHEDULE_H

#define SW_MAX_GROUPS 8

double sw_sched_cos(double start, double end, double pos);
double sw_sched_exp(double start, double end, double pos);

typedef struct {
  double pct;
  double start, middle, end;
} sw_combined_cos;

double sw_combined_cos_at(const sw_combined_cos *c, double pos);

/* fastai's even_mults: n values from start to stop in geometric progression. */
void sw_even_mults(double start, double stop, int n, double *out);

/* fastai's lr_range for slice(lo, hi); lo <= 0 means slice(hi). */
void sw_lr_range(double lo, double hi, int n_groups, double *out);

typedef struct {
  int n_groups;
  double lr_max[SW_MAX_GROUPS];
  double div;       /* 25 */
  double div_final; /* 1e5 */
  double pct_start; /* 0.25 */
  double moms[3];   /* 0.95, 0.85, 0.95 */
} sw_one_cycle;

/* Fills fastai's fit_one_cycle defaults with lr_max = slice(lo, hi) over n_groups. */
void sw_one_cycle_init(sw_one_cycle *oc, int n_groups, double lo, double hi);
/* lrs[n_groups] and *mom at training fraction pos. */
void sw_one_cycle_at(const sw_one_cycle *oc, double pos, double *lrs, double *mom);

/* fastai's fine_tune(epochs, base_lr, freeze_epochs, lr_mult, pct_start, div):
 *   freeze(); fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
 *   base_lr /= 2; unfreeze()
 *   fit_one_cycle(epochs, slice(base_lr/lr_mult, base_lr), pct_start=pct_start, div=div)
 * The two one-cycle schedules (other settings at fit_one_cycle's defaults). */
void sw_fine_tune_schedules(int n_groups, double base_lr, double lr_mult, double pct_start,
                            double div, sw_one_cycle *frozen, sw_one_cycle *unfrozen);

#endif
