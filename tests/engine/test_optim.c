/* test_optim: fastai's Adam (decoupled wd, no wd on BN/bias, two groups, fixed and
 * scheduled momentum) and SGD with momentum, 3 steps each, against
 * tests/fixtures/learner_optim.safetensors (tests/golden/gen_learner.py, cross-checked
 * there with torch.optim.AdamW / SGD). Also freeze (trainable=false), clear_state and
 * save/load of the state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "testutil.h"

#define NP 6
static const struct {
  const char *name;
  int group;
  bool is_bn, is_bias;
} SPEC[NP] = {
    {"g0.weight", 0, false, false},    {"g0.bias", 0, false, true},
    {"g0.bn.weight", 0, true, false},  {"g0.bn.bias", 0, true, false},
    {"g1.weight", 1, false, false},    {"g1.bias", 1, false, true},
};

typedef struct {
  sw_param p[NP];
  sw_param *ptr[NP];
} params;

static void setup(params *ps, const sw_state_dict *sd) {
  char key[128];
  for (int i = 0; i < NP; i++) {
    snprintf(key, sizeof key, "init.%s", SPEC[i].name);
    const sw_named_tensor *t = sw_test_tensor(sd, key);
    sw_param *p = &ps->p[i];
    memset(p, 0, sizeof *p);
    p->name = SPEC[i].name;
    p->shape = t->shape;
    p->numel = sw_shape_numel(&t->shape);
    p->data = malloc(sizeof(float) * p->numel);
    p->grad = malloc(sizeof(float) * p->numel);
    memcpy(p->data, t->data, sizeof(float) * p->numel);
    p->group = SPEC[i].group;
    p->is_bn = SPEC[i].is_bn;
    p->is_bias = SPEC[i].is_bias;
    p->trainable = true;
    ps->ptr[i] = p;
  }
}

static void teardown(params *ps) {
  for (int i = 0; i < NP; i++) {
    free(ps->p[i].data);
    free(ps->p[i].grad);
  }
}

static void set_grads(params *ps, const sw_state_dict *sd, int k) {
  char key[128];
  for (int i = 0; i < NP; i++) {
    snprintf(key, sizeof key, "grad%d.%s", k, SPEC[i].name);
    memcpy(ps->p[i].grad, sw_test_tensor(sd, key)->data, sizeof(float) * ps->p[i].numel);
  }
}

static void run(const char *prefix, sw_optim_kind kind, double wd, const double *moms,
                const sw_state_dict *sd) {
  params ps;
  setup(&ps, sd);
  const float *lrf = sw_test_tensor(sd, "lrs")->data;
  /* The fixture stores them in float32: use the exact doubles the script used. */
  const double lrs[2] = {1e-3, 3e-2};
  CHECK(lrf[0] == (float)lrs[0] && lrf[1] == (float)lrs[1], "fixture lrs %g %g", lrf[0], lrf[1]);
  sw_optim_config cfg;
  sw_optim_config_default(&cfg, kind);
  cfg.wd = wd;
  char err[256];
  sw_optim *o = sw_optim_new(&cfg, ps.ptr, NP, err, sizeof err);
  CHECK(o != NULL, "%s", err);
  if (!o) return;
  char key[160], what[160];
  for (int k = 0; k < 3; k++) {
    set_grads(&ps, sd, k);
    sw_optim_step(o, lrs, moms[k]);
    for (int i = 0; i < NP; i++) {
      snprintf(key, sizeof key, "%s.step%d.%s", prefix, k, SPEC[i].name);
      snprintf(what, sizeof what, "%s step %d %s", prefix, k + 1, SPEC[i].name);
      const sw_named_tensor *t = sw_test_tensor(sd, key);
      sw_test_close(what, ps.p[i].data, t->data, ps.p[i].numel, 1e-6);
    }
  }
  sw_optim_free(o);
  teardown(&ps);
}

/* Frozen parameters are not touched; clear_state makes the next step a first step;
 * save/load of the state reproduces a step exactly. */
static void behaviour(const sw_state_dict *sd) {
  params ps, ref;
  setup(&ps, sd);
  setup(&ref, sd);
  double lrs[2] = {1e-3, 3e-2};
  sw_optim_config cfg;
  sw_optim_config_default(&cfg, SW_OPTIM_ADAM);
  CHECK(cfg.wd == 0.01 && cfg.eps == 1e-5 && cfg.sqr_mom == 0.99 && !cfg.wd_bn_bias,
        "Adam defaults are fastai's");
  char err[256];
  sw_optim *o = sw_optim_new(&cfg, ps.ptr, NP, err, sizeof err);
  sw_optim *r = sw_optim_new(&cfg, ref.ptr, NP, err, sizeof err);

  /* Freeze group 0 but the BN parameters (train_bn). */
  for (int i = 0; i < NP; i++) ps.p[i].trainable = ps.p[i].group == 1 || ps.p[i].is_bn;
  float before0[12];
  memcpy(before0, ps.p[0].data, sizeof before0);
  set_grads(&ps, sd, 0);
  sw_optim_step(o, lrs, 0.9);
  CHECK(memcmp(before0, ps.p[0].data, sizeof before0) == 0, "frozen weight changed");
  CHECK(memcmp(ps.p[2].data, sw_test_tensor(sd, "init.g0.bn.weight")->data, 16) != 0,
        "BN weight in frozen group did not train");

  /* Save state, step, restore params+state, step again: identical. */
  size_t nst = sw_optim_state_floats(o);
  float *st = malloc(nst * sizeof(float));
  sw_optim_save_state(o, st);
  float *saved[NP];
  for (int i = 0; i < NP; i++) {
    saved[i] = malloc(sizeof(float) * ps.p[i].numel);
    memcpy(saved[i], ps.p[i].data, sizeof(float) * ps.p[i].numel);
  }
  set_grads(&ps, sd, 1);
  sw_optim_step(o, lrs, 0.9);
  float once[8];
  memcpy(once, ps.p[4].data, sizeof once);
  for (int i = 0; i < NP; i++) memcpy(ps.p[i].data, saved[i], sizeof(float) * ps.p[i].numel);
  sw_optim_load_state(o, st);
  sw_optim_step(o, lrs, 0.9);
  CHECK(memcmp(once, ps.p[4].data, sizeof once) == 0, "save/load state does not reproduce");

  /* clear_state: the next step equals a first step from the same parameters. */
  for (int i = 0; i < NP; i++) {
    ps.p[i].trainable = true;
    memcpy(ref.p[i].data, ps.p[i].data, sizeof(float) * ps.p[i].numel);
  }
  sw_optim_clear_state(o);
  set_grads(&ps, sd, 2);
  set_grads(&ref, sd, 2);
  sw_optim_step(o, lrs, 0.9);
  sw_optim_step(r, lrs, 0.9);
  for (int i = 0; i < NP; i++)
    CHECK(memcmp(ps.p[i].data, ref.p[i].data, sizeof(float) * ps.p[i].numel) == 0,
          "after clear_state %s differs from a fresh optimiser", SPEC[i].name);

  for (int i = 0; i < NP; i++) free(saved[i]);
  free(st);
  sw_optim_free(o);
  sw_optim_free(r);
  teardown(&ps);
  teardown(&ref);
}

int main(void) {
  sw_state_dict sd;
  sw_test_load_fixture("learner_optim.safetensors", &sd);
  const double fixed[3] = {0.9, 0.9, 0.9};
  const float *mf = sw_test_tensor(&sd, "adam_moms")->data;
  const double sched[3] = {0.95, 0.9, 0.87};
  for (int k = 0; k < 3; k++) CHECK(mf[k] == (float)sched[k], "fixture mom %d", k);
  run("adam", SW_OPTIM_ADAM, 0.01, fixed, &sd);
  run("adammom", SW_OPTIM_ADAM, 0.01, sched, &sd);
  run("sgd", SW_OPTIM_SGD, 0.0, fixed, &sd);
  run("sgdwd", SW_OPTIM_SGD, 0.1, fixed, &sd);
  behaviour(&sd);
  sw_state_dict_free(&sd);
  return sw_test_finish();
}
