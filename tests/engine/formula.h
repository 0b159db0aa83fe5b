/* formula.h: gen_models.py's formula parameters and input (the same integer
 * hash, bit-identical) and the model a fixture describes, shared by test_models.c and test_plan.c. */
#pragma once
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "model.h"
#include "testutil.h"
#include "weights.h"

static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static inline uint32_t hash32(uint32_t t, uint32_t i) {
  uint32_t seed = mix32(t * 0x9E3779B9u + 0x632BE5ABu);
  return mix32(mix32(i) ^ seed);
}

static inline float hash_u(uint32_t t, uint32_t i) {
  return (float)(hash32(t, i) >> 8) * (1.0f / 16777216.0f);
}

static inline float sym(uint32_t t, uint32_t i) { return 2.0f * hash_u(t, i) - 1.0f; }

static inline bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static inline bool in_list(const char *list, const char *name);

/* res_list: the BatchNorm weights that end a residual branch, or NULL */
static inline void formula_param(uint32_t t, sw_param *p, const char *res_list, float res_scale) {
  int64_t n = p->numel;
  float *d = p->data;
  if (res_list && in_list(res_list, p->name)) {
    for (int64_t i = 0; i < n; i++) d[i] = res_scale * (0.5f + 0.5f * hash_u(t, (uint32_t)i));
  } else if (ends_with(p->name, "running_mean")) {
    for (int64_t i = 0; i < n; i++) d[i] = sym(t, (uint32_t)i) * 0.1f;
  } else if (ends_with(p->name, "running_var")) {
    for (int64_t i = 0; i < n; i++) d[i] = 0.5f + hash_u(t, (uint32_t)i);
  } else if (p->is_bn && ends_with(p->name, ".weight")) {
    for (int64_t i = 0; i < n; i++) d[i] = 0.5f + 0.5f * hash_u(t, (uint32_t)i);
  } else if (p->is_bn) {
    for (int64_t i = 0; i < n; i++) d[i] = sym(t, (uint32_t)i) * 0.2f;
  } else if (ends_with(p->name, ".bias")) {
    for (int64_t i = 0; i < n; i++) d[i] = sym(t, (uint32_t)i) * 0.1f;
  } else {
    int64_t fan_in = n / p->shape.dims[0];
    float scale = (float)sqrt(3.0 / (double)fan_in);
    for (int64_t i = 0; i < n; i++) d[i] = sym(t, (uint32_t)i) * scale;
  }
}

static inline void set_formula(sw_model *m, const char *res_list, float res_scale) {
  for (int i = 0; i < sw_model_num_params(m); i++)
    formula_param((uint32_t)i, sw_model_param(m, i), res_list, res_scale);
}

/* A fixture's parameters: the formula, with the smaller weights on the BatchNorms
 * that end a residual branch when its metadata names them (res_bn_weights, res_scale). */
static inline void set_fixture_formula(sw_model *m, const sw_state_dict *fx) {
  const char *res_list = sw_state_dict_get_meta(fx, "res_bn_weights");
  const char *res_scale = sw_state_dict_get_meta(fx, "res_scale");
  set_formula(m, res_list, res_scale ? (float)atof(res_scale) : 0.0f);
}

static inline float *formula_input(uint32_t t, int b, int h, int w) {
  size_t n = (size_t)b * 3 * h * w;
  float *x = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) x[i] = sym(t, (uint32_t)i);
  return x;
}

/* Is name in the ';'-separated list? */
static inline bool in_list(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *s = list; s && *s;) {
    const char *e = strchr(s, ';');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l == len && strncmp(s, name, len) == 0) return true;
    s += l;
    if (*s == ';') s++;
  }
  return false;
}

/* ---- fixtures ------------------------------------------------------------ */

static inline const char *meta(const sw_state_dict *sd, const char *key) {
  const char *v = sw_state_dict_get_meta(sd, key);
  if (!v) {
    fprintf(stderr, "fixture metadata has no %s\n", key);
    exit(1);
  }
  return v;
}

static inline sw_model *model_from_fixture(const sw_state_dict *fx, char *err, size_t errlen) {
  sw_model_config cfg = {0};
  if (sw_arch_from_name(meta(fx, "arch"), &cfg.arch) != 0) {
    snprintf(err, errlen, "unknown arch %s", meta(fx, "arch"));
    return NULL;
  }
  cfg.width_mult = (float)atof(meta(fx, "width_mult"));
  cfg.tf_same_padding = strcmp(meta(fx, "tf_same"), "1") == 0;
  cfg.head = strcmp(meta(fx, "head"), "fastai") == 0 ? SW_HEAD_FASTAI : SW_HEAD_IMAGENET;
  cfg.num_classes = atoi(meta(fx, "num_classes"));
  cfg.seed = 1;
  return sw_model_new(&cfg, err, errlen);
}

/* Loads the fixture `name` into fx and builds its model with the fixture's
 * formula parameters (set_fixture_formula). NULL, with fx freed and the reason
 * in err, when the model cannot be built. */
static inline sw_model *fixture_model(const char *name, sw_state_dict *fx, char *err,
                                      size_t errlen) {
  sw_test_load_fixture(name, fx);
  sw_model *m = model_from_fixture(fx, err, errlen);
  if (!m) {
    sw_state_dict_free(fx);
    return NULL;
  }
  set_fixture_formula(m, fx);
  return m;
}
