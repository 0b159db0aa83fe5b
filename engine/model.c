/* model.c: the node-list graph executor behind sw_model.
 *
 * Forward runs the nodes in order, backward in reverse. Parameters and their
 * gradients live in two contiguous blocks allocated once per model. For a
 * batch shape, sw_model_prepare plans one arena holding
 *  - every activation a backward pass needs (ReLU/ReLU6/add/dropout run in
 *    place when the producer of their input does not need its own output for
 *    backward: BatchNorm, conv, linear, add);
 *  - per-node saved state (BatchNorm mean/invstd, pooling argmax, dropout mask);
 *  - the conv workspace (the largest any conv needs);
 *  - the activation gradients, packed by liveness: the gradient of a value is
 *    alive from the backward step of its last consumer to the backward step of
 *    its producer, and buffers whose lifetimes do not overlap share memory.
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "model_internal.h"
#include "parallel.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const arch_names[] = {"resnet18", "resnet34", "resnet50", "mobilenet_v2"};

int sw_arch_from_name(const char *name, sw_arch *out) {
  if (!name) return -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(name, arch_names[i]) == 0) {
      *out = (sw_arch)i;
      return 0;
    }
  return -1;
}

const char *sw_arch_name(sw_arch a) {
  if ((int)a < 0 || (int)a > 3) return "unknown";
  return arch_names[a];
}

int sw_make_divisible(double v, int divisor) {
  int nv = (int)(v + divisor / 2.0) / divisor * divisor;
  if (nv < divisor) nv = divisor;
  if (nv < 0.9 * v) nv += divisor;
  return nv;
}

/* ---- builder ------------------------------------------------------------- */

/* Grows the array *p of *cap elements to hold `need`, zeroing the new part. */
int sw_grow_array(void **p, int *cap, int need, size_t elem) {
  if (need <= *cap) return 0;
  int nc = *cap ? *cap * 2 : 64;
  while (nc < need) nc *= 2;
  void *np = realloc(*p, (size_t)nc * elem);
  if (!np) return -1;
  memset((char *)np + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
  *p = np;
  *cap = nc;
  return 0;
}

static int new_value(sw_model *m, int C, bool flat, int producer) {
  if (sw_grow_array((void **)&m->values, &m->cap_values, m->nvalues + 1, sizeof(sw_value)))
    return -1;
  sw_value *v = &m->values[m->nvalues];
  memset(v, 0, sizeof *v);
  v->C = C;
  v->flat = flat;
  v->H = v->W = 1;
  v->producer = producer;
  v->alias = -1;
  return m->nvalues++;
}

static sw_node *new_node(sw_model *m, sw_op op, int in0, int in1) {
  if (in0 < 0 || (in1 < -1)) return NULL;
  if (sw_grow_array((void **)&m->nodes, &m->cap_nodes, m->nnodes + 1, sizeof(sw_node)))
    return NULL;
  sw_node *n = &m->nodes[m->nnodes];
  memset(n, 0, sizeof *n);
  n->op = op;
  n->in0 = in0;
  n->in1 = in1;
  n->out = -1;
  n->pw = n->pb = n->prm = n->prv = -1;
  m->values[in0].nconsumers++;
  if (in1 >= 0) m->values[in1].nconsumers++;
  return n;
}

/* Creates the node's output value; returns it. */
static int finish_node(sw_model *m, sw_node *n, int C, bool flat) {
  int idx = (int)(n - m->nodes);
  int v = new_value(m, C, flat, idx);
  if (v < 0) return -1;
  m->nodes[idx].out = v;
  m->nnodes++;
  return v;
}

static int add_param(sw_model *m, const char *prefix, const char *field, sw_shape shape,
                     bool is_buffer, bool is_bn, bool is_bias, sw_init_kind init, int64_t fan_in,
                     int64_t fan_out, int group) {
  /* three parallel arrays share one capacity */
  int c1 = m->cap_params, c2 = m->cap_params, c3 = m->cap_params;
  if (sw_grow_array((void **)&m->params, &c1, m->nparams + 1, sizeof(sw_param)) ||
      sw_grow_array((void **)&m->pinit, &c2, m->nparams + 1, sizeof(sw_param_init)) ||
      sw_grow_array((void **)&m->names, &c3, m->nparams + 1, sizeof(char *)))
    return -1;
  m->cap_params = c1;
  size_t len = strlen(prefix) + strlen(field) + 2;
  char *name = malloc(len);
  if (!name) return -1;
  snprintf(name, len, "%s.%s", prefix, field);
  int i = m->nparams++;
  m->names[i] = name;
  sw_param *p = &m->params[i];
  memset(p, 0, sizeof *p);
  p->shape = shape;
  p->numel = sw_shape_numel(&shape);
  p->group = group;
  p->is_buffer = is_buffer;
  p->is_bn = is_bn;
  p->is_bias = is_bias;
  p->trainable = !is_buffer;
  m->pinit[i] = (sw_param_init){init, fan_in, fan_out};
  return i;
}

int sw_mb_conv(sw_model *m, const char *prefix, int in, int cout, int k, int stride, int pad,
               int groups, bool bias, bool tf_same, int group) {
  if (in < 0) return -1;
  int cin = m->values[in].C;
  if (groups < 1 || cin % groups || cout % groups) return -1;
  sw_node *n = new_node(m, SW_OP_CONV, in, -1);
  if (!n) return -1;
  int idx = (int)(n - m->nodes);
  int64_t rf = (int64_t)k * k;
  int pw = add_param(m, prefix, "weight", sw_shape4(cout, cin / groups, k, k), false, false, false,
                     SW_INIT_KAIMING_FAN_OUT, (int64_t)(cin / groups) * rf, (int64_t)cout * rf,
                     group);
  int pb = bias ? add_param(m, prefix, "bias", sw_shape1(cout), false, false, true, SW_INIT_ZEROS,
                            0, 0, group)
                : -1;
  if (pw < 0 || (bias && pb < 0)) return -1;
  n = &m->nodes[idx];
  n->pw = pw;
  n->pb = pb;
  n->cout = cout;
  n->k = k;
  n->stride = stride;
  n->pad = pad;
  n->groups = groups;
  n->tf_same = tf_same;
  return finish_node(m, n, cout, false);
}

int sw_mb_bn(sw_model *m, const char *prefix, int in, int group, bool fastai_init) {
  if (in < 0) return -1;
  int C = m->values[in].C;
  bool flat = m->values[in].flat;
  sw_node *n = new_node(m, SW_OP_BN, in, -1);
  if (!n) return -1;
  int idx = (int)(n - m->nodes);
  int pw = add_param(m, prefix, "weight", sw_shape1(C), false, true, false, SW_INIT_ONES, 0, 0,
                     group);
  int pb = add_param(m, prefix, "bias", sw_shape1(C), false, true, false,
                     fastai_init ? SW_INIT_CONST_1E3 : SW_INIT_ZEROS, 0, 0, group);
  int prm = add_param(m, prefix, "running_mean", sw_shape1(C), true, false, false, SW_INIT_ZEROS,
                      0, 0, group);
  int prv = add_param(m, prefix, "running_var", sw_shape1(C), true, false, false, SW_INIT_ONES, 0,
                      0, group);
  if (pw < 0 || pb < 0 || prm < 0 || prv < 0) return -1;
  n = &m->nodes[idx];
  n->pw = pw;
  n->pb = pb;
  n->prm = prm;
  n->prv = prv;
  return finish_node(m, n, C, flat);
}

static int simple(sw_model *m, sw_op op, int in, int in1) {
  if (in < 0) return -1;
  int C = m->values[in].C;
  bool flat = m->values[in].flat;
  sw_node *n = new_node(m, op, in, in1);
  if (!n) return -1;
  return finish_node(m, n, C, flat);
}

int sw_mb_relu(sw_model *m, int in) { return simple(m, SW_OP_RELU, in, -1); }
int sw_mb_relu6(sw_model *m, int in) { return simple(m, SW_OP_RELU6, in, -1); }

int sw_mb_add(sw_model *m, int a, int b) {
  if (a < 0 || b < 0) return -1;
  if (m->values[a].C != m->values[b].C || m->values[a].flat != m->values[b].flat) return -1;
  return simple(m, SW_OP_ADD, a, b);
}

int sw_mb_maxpool(sw_model *m, int in, int k, int stride, int pad) {
  if (in < 0) return -1;
  sw_node *n = new_node(m, SW_OP_MAXPOOL, in, -1);
  if (!n) return -1;
  n->k = k;
  n->stride = stride;
  n->pad = pad;
  return finish_node(m, n, m->values[in].C, false);
}

int sw_mb_concatpool(sw_model *m, int in) {
  if (in < 0) return -1;
  sw_node *n = new_node(m, SW_OP_CONCATPOOL, in, -1);
  if (!n) return -1;
  return finish_node(m, n, 2 * m->values[in].C, true);
}

int sw_mb_avgpool(sw_model *m, int in) {
  if (in < 0) return -1;
  sw_node *n = new_node(m, SW_OP_AVGPOOL, in, -1);
  if (!n) return -1;
  return finish_node(m, n, m->values[in].C, true);
}

int sw_mb_linear(sw_model *m, const char *prefix, int in, int out_features, bool bias,
                 sw_init_kind init, int group) {
  if (in < 0 || !m->values[in].flat) return -1;
  int inf = m->values[in].C;
  sw_node *n = new_node(m, SW_OP_LINEAR, in, -1);
  if (!n) return -1;
  int idx = (int)(n - m->nodes);
  int pw = add_param(m, prefix, "weight", sw_shape2(out_features, inf), false, false, false, init,
                     inf, out_features, group);
  int pb = bias ? add_param(m, prefix, "bias", sw_shape1(out_features), false, false, true,
                            init == SW_INIT_UNIFORM_FAN_IN ? SW_INIT_UNIFORM_FAN_IN : SW_INIT_ZEROS,
                            inf, out_features, group)
                : -1;
  if (pw < 0 || (bias && pb < 0)) return -1;
  n = &m->nodes[idx];
  n->pw = pw;
  n->pb = pb;
  n->in_features = inf;
  n->out_features = out_features;
  return finish_node(m, n, out_features, true);
}

int sw_mb_dropout(sw_model *m, int in, float p) {
  if (in < 0) return -1;
  sw_node *n = new_node(m, SW_OP_DROPOUT, in, -1);
  if (!n) return -1;
  n->p = p;
  return finish_node(m, n, m->values[in].C, m->values[in].flat);
}

/* ---- creation ------------------------------------------------------------- */

static void init_params(sw_model *m) {
  sw_rng rng;
  sw_rng_seed(&rng, m->cfg.seed ^ 0x5357454c4c4d4f44ULL);
  for (int i = 0; i < m->nparams; i++) {
    sw_param *p = &m->params[i];
    sw_param_init *pi = &m->pinit[i];
    float *d = p->data;
    switch (pi->init) {
    case SW_INIT_ZEROS:
      memset(d, 0, (size_t)p->numel * sizeof(float));
      break;
    case SW_INIT_ONES:
      for (int64_t j = 0; j < p->numel; j++) d[j] = 1.0f;
      break;
    case SW_INIT_CONST_1E3:
      for (int64_t j = 0; j < p->numel; j++) d[j] = 1e-3f;
      break;
    case SW_INIT_KAIMING_FAN_OUT:
    case SW_INIT_KAIMING_FAN_IN: {
      int64_t fan = pi->init == SW_INIT_KAIMING_FAN_OUT ? pi->fan_out : pi->fan_in;
      float std = (float)(sqrt(2.0) / sqrt((double)(fan > 0 ? fan : 1)));
      for (int64_t j = 0; j < p->numel; j++) d[j] = std * sw_rng_normal(&rng);
      break;
    }
    case SW_INIT_NORMAL_001:
      for (int64_t j = 0; j < p->numel; j++) d[j] = 0.01f * sw_rng_normal(&rng);
      break;
    case SW_INIT_UNIFORM_FAN_IN: {
      float bound = (float)(1.0 / sqrt((double)(pi->fan_in > 0 ? pi->fan_in : 1)));
      for (int64_t j = 0; j < p->numel; j++) d[j] = bound * (2.0f * sw_rng_uniform(&rng) - 1.0f);
      break;
    }
    }
  }
}

sw_model *sw_model_new(const sw_model_config *cfg, char *err, size_t errlen) {
  if (!cfg) {
    snprintf(err, errlen, "model: no configuration");
    return NULL;
  }
  if ((int)cfg->arch < 0 || (int)cfg->arch > SW_ARCH_MOBILENET_V2) {
    snprintf(err, errlen, "model: unknown architecture %d", (int)cfg->arch);
    return NULL;
  }
  if (cfg->num_classes < 1 || cfg->num_classes > 1000000) {
    snprintf(err, errlen, "model: invalid number of classes %d", cfg->num_classes);
    return NULL;
  }
  if (cfg->head != SW_HEAD_FASTAI && cfg->head != SW_HEAD_IMAGENET) {
    snprintf(err, errlen, "model: unknown head kind %d", (int)cfg->head);
    return NULL;
  }
  float wm = cfg->width_mult;
  if (cfg->arch == SW_ARCH_MOBILENET_V2 && !(wm >= 0.1f && wm <= 4.0f)) {
    snprintf(err, errlen, "model: mobilenet_v2 width multiplier %g out of range [0.1, 4]",
             (double)wm);
    return NULL;
  }
  sw_model *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, errlen, "model: out of memory");
    return NULL;
  }
  m->cfg = *cfg;
  if (cfg->arch != SW_ARCH_MOBILENET_V2) {
    m->cfg.width_mult = 1.0f;
    m->cfg.tf_same_padding = false;
  }
  m->dropout_scale = 1.0f;
  sw_rng_seed(&m->rng, cfg->seed ^ 0x44524f504f5554ULL);

  int x = new_value(m, 3, false, -1);
  int body = -1;
  switch (cfg->arch) {
  case SW_ARCH_RESNET18: body = sw_build_resnet(m, x, 18); m->body_features = 512; break;
  case SW_ARCH_RESNET34: body = sw_build_resnet(m, x, 34); m->body_features = 512; break;
  case SW_ARCH_RESNET50: body = sw_build_resnet(m, x, 50); m->body_features = 2048; break;
  case SW_ARCH_MOBILENET_V2:
    body = sw_build_mobilenet_v2(m, x, wm, cfg->tf_same_padding);
    if (body >= 0) m->body_features = m->values[body].C;
    break;
  }
  m->head_start_param = m->nparams;
  int logits = -1;
  if (body >= 0) {
    if (cfg->head == SW_HEAD_FASTAI)
      logits = sw_build_fastai_head(m, body, m->body_features, cfg->num_classes, 2);
    else
      logits = sw_build_imagenet_head(m, body, m->body_features, cfg->num_classes, 2);
  }
  if (logits < 0 || logits != m->nvalues - 1) {
    snprintf(err, errlen, "model: cannot build %s (out of memory)", sw_arch_name(cfg->arch));
    sw_model_free(m);
    return NULL;
  }
  m->num_outputs = cfg->num_classes;

  size_t pf = 0, gf = 0;
  for (int i = 0; i < m->nparams; i++) {
    pf += (size_t)m->params[i].numel;
    if (!m->params[i].is_buffer) gf += (size_t)m->params[i].numel;
  }
  m->param_floats = pf;
  m->grad_floats = gf;
  m->param_block = calloc(pf ? pf : 1, sizeof(float));
  m->grad_block = calloc(gf ? gf : 1, sizeof(float));
  if (!m->param_block || !m->grad_block) {
    snprintf(err, errlen, "model: out of memory for %zu parameters", pf);
    sw_model_free(m);
    return NULL;
  }
  size_t po = 0, go = 0;
  for (int i = 0; i < m->nparams; i++) {
    sw_param *p = &m->params[i];
    p->name = m->names[i];
    p->data = m->param_block + po;
    po += (size_t)p->numel;
    if (!p->is_buffer) {
      p->grad = m->grad_block + go;
      go += (size_t)p->numel;
    }
  }
  init_params(m);
  sw_model_freeze_to(m, 0);
  return m;
}

void sw_model_free(sw_model *m) {
  if (!m) return;
  for (int i = 0; i < m->nparams; i++) free(m->names[i]);
  free(m->names);
  free(m->params);
  free(m->pinit);
  free(m->nodes);
  free(m->values);
  free(m->param_block);
  free(m->grad_block);
  sw_arena_free(&m->act);
  free(m);
}

const sw_model_config *sw_model_get_config(const sw_model *m) { return &m->cfg; }
int sw_model_num_params(const sw_model *m) { return m->nparams; }
sw_param *sw_model_param(sw_model *m, int i) {
  return (i >= 0 && i < m->nparams) ? &m->params[i] : NULL;
}
sw_param *sw_model_find_param(sw_model *m, const char *name) {
  for (int i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
  return NULL;
}
int sw_model_num_groups(const sw_model *m) { return 3; }
int sw_model_num_outputs(const sw_model *m) { return m->num_outputs; }
int sw_model_body_features(const sw_model *m) { return m->body_features; }

void sw_model_set_dropout(sw_model *m, float scale) {
  m->dropout_scale = scale < 0 ? 0 : scale;
}

size_t sw_model_memory_bytes(const sw_model *m) {
  return m->act.size + (m->param_floats + m->grad_floats) * sizeof(float);
}

/* ---- freezing ------------------------------------------------------------- */

void sw_model_freeze_to(sw_model *m, int n) {
  for (int i = 0; i < m->nparams; i++) {
    sw_param *p = &m->params[i];
    if (p->is_buffer)
      p->trainable = false;
    else
      p->trainable = p->group >= n || p->is_bn;
  }
}

/* ---- weights -------------------------------------------------------------- */

static bool is_classifier_name(const char *name) {
  return strncmp(name, "fc.", 3) == 0 || strncmp(name, "classifier.", 11) == 0 ||
         strncmp(name, "head.", 5) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

int sw_model_load(sw_model *m, const sw_state_dict *sd, bool body_only, char *err, size_t errlen) {
  char s1[96], s2[96];
  int n = body_only ? m->head_start_param : m->nparams;
  /* Check everything before copying anything: a failed load leaves the model untouched. */
  for (int i = 0; i < n; i++) {
    sw_param *p = &m->params[i];
    const sw_named_tensor *t = sw_state_dict_find(sd, p->name);
    if (!t) {
      snprintf(err, errlen, "missing tensor %s %s (expected by %s)", p->name,
               sw_shape_str(&p->shape, s1, sizeof s1), sw_arch_name(m->cfg.arch));
      return -1;
    }
    if (!sw_shape_equal(&t->shape, &p->shape)) {
      snprintf(err, errlen, "shape mismatch for %s: the weights have %s, %s expects %s", p->name,
               sw_shape_str(&t->shape, s1, sizeof s1), sw_arch_name(m->cfg.arch),
               sw_shape_str(&p->shape, s2, sizeof s2));
      return -1;
    }
  }
  for (int j = 0; j < sd->count; j++) {
    const char *name = sd->tensors[j].name;
    if (ends_with(name, "num_batches_tracked")) continue;
    if (body_only && is_classifier_name(name)) continue;
    if (!sw_model_find_param(m, name)) {
      snprintf(err, errlen, "unexpected tensor %s %s (not part of %s)", name,
               sw_shape_str(&sd->tensors[j].shape, s1, sizeof s1), sw_arch_name(m->cfg.arch));
      return -1;
    }
  }
  for (int i = 0; i < n; i++) {
    sw_param *p = &m->params[i];
    const sw_named_tensor *t = sw_state_dict_find(sd, p->name);
    memcpy(p->data, t->data, (size_t)p->numel * sizeof(float));
  }
  return 0;
}

void sw_model_state_dict(sw_model *m, sw_state_dict *out) {
  sw_state_dict_init(out);
  out->borrowed = true;
  for (int i = 0; i < m->nparams; i++)
    sw_state_dict_add(out, m->params[i].name, m->params[i].shape, m->params[i].data);
  char buf[64];
  sw_state_dict_set_meta(out, "arch", sw_arch_name(m->cfg.arch));
  snprintf(buf, sizeof buf, "%d", m->cfg.num_classes);
  sw_state_dict_set_meta(out, "num_classes", buf);
  sw_state_dict_set_meta(out, "head", m->cfg.head == SW_HEAD_FASTAI ? "fastai" : "imagenet");
  if (m->cfg.arch == SW_ARCH_MOBILENET_V2) {
    snprintf(buf, sizeof buf, "%g", (double)m->cfg.width_mult);
    sw_state_dict_set_meta(out, "width_mult", buf);
    sw_state_dict_set_meta(out, "padding", m->cfg.tf_same_padding ? "tf_same" : "symmetric");
  }
}

size_t sw_model_snapshot_floats(const sw_model *m) { return m->param_floats; }
void sw_model_snapshot(const sw_model *m, float *dst) {
  memcpy(dst, m->param_block, m->param_floats * sizeof(float));
}
void sw_model_restore(sw_model *m, const float *src) {
  memcpy(m->param_block, src, m->param_floats * sizeof(float));
}

static void zero_chunk(void *vctx, int64_t i0, int64_t i1) {
  memset((float *)vctx + i0, 0, (size_t)(i1 - i0) * sizeof(float));
}

/* n floats of p set to zero, over the engine's threads */
static void zero_floats(float *p, size_t n) { sw_parallel_for((int64_t)n, 1 << 16, zero_chunk, p); }

void sw_model_zero_grad(sw_model *m) { zero_floats(m->grad_block, m->grad_floats); }

/* ---- preparing a batch shape ------------------------------------------- */

static size_t vnumel(const sw_value *v, int B) { return (size_t)B * v->C * v->H * v->W; }

/* Does the backward of this op need its own output? (Then nothing may run in
 * place over that output.) */
static bool op_needs_output(sw_op op) {
  return op == SW_OP_RELU || op == SW_OP_RELU6 || op == SW_OP_MAXPOOL ||
         op == SW_OP_CONCATPOOL || op == SW_OP_AVGPOOL || op == SW_OP_DROPOUT;
}

static void tf_same_pad(int in, int k, int s, int *lo, int *hi) {
  int out = (in + s - 1) / s;
  int total = (out - 1) * s + k - in;
  if (total < 0) total = 0;
  *lo = total / 2;
  *hi = total - *lo;
}

/* Fills the per-node layer descriptors for batch B (shapes from the values). */
static void set_batch(sw_model *m, int B) {
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    n->conv.B = B;
    n->pool.B = B;
    n->bn.B = B;
  }
}

typedef sw_live_slot grad_slot;

static int cmp_slot_size(const void *a, const void *b) {
  const grad_slot *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->value - y->value;
}

/* Greedy first-fit placement of buffers with overlapping lifetimes (the
 * activation gradients here, the inference plan's activations in plan.c). */
size_t sw_live_place(sw_live_slot *s, int n) {
  qsort(s, (size_t)n, sizeof *s, cmp_slot_size);
  size_t total = 0;
  size_t *lo = malloc(sizeof(size_t) * (size_t)(n + 1));
  size_t *hi = malloc(sizeof(size_t) * (size_t)(n + 1));
  for (int i = 0; i < n; i++) {
    int k = 0;
    for (int j = 0; j < i; j++)
      if (s[j].t0 <= s[i].t1 && s[i].t0 <= s[j].t1) {
        lo[k] = s[j].off;
        hi[k] = s[j].off + s[j].size;
        k++;
      }
    /* lowest offset that fits between the conflicting intervals */
    size_t off = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (int j = 0; j < k; j++)
        if (off < hi[j] && lo[j] < off + s[i].size) {
          off = hi[j];
          moved = true;
        }
    }
    s[i].off = off;
    if (off + s[i].size > total) total = off + s[i].size;
  }
  free(lo);
  free(hi);
  return total;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Every node's layer descriptors and every value's height and width for batch
 * B and an input of height x width, into nd (nnodes) and vh, vw (nvalues);
 * the model itself is not touched. */
int sw_model_shapes(const sw_model *m, int B, int height, int width, sw_node_dims *nd, int *vh,
                    int *vw, char *err, size_t errlen) {
  vh[0] = height;
  vw[0] = width;
  for (int i = 0; i < m->nnodes; i++) {
    const sw_node *n = &m->nodes[i];
    const sw_value *in = &m->values[n->in0];
    int ih = vh[n->in0], iw = vw[n->in0], *oh = &vh[n->out], *ow = &vw[n->out];
    switch (n->op) {
    case SW_OP_CONV:
      if (n->tf_same) {
        int pt, pb, pl, pr;
        tf_same_pad(ih, n->k, n->stride, &pt, &pb);
        tf_same_pad(iw, n->k, n->stride, &pl, &pr);
        sw_conv2d_init_pad(&nd[i].conv, B, in->C, ih, iw, n->cout, n->k, n->stride, pt, pl, pb, pr,
                           n->groups);
      } else {
        sw_conv2d_init(&nd[i].conv, B, in->C, ih, iw, n->cout, n->k, n->stride, n->pad,
                       n->groups);
      }
      *oh = nd[i].conv.OH;
      *ow = nd[i].conv.OW;
      break;
    case SW_OP_MAXPOOL:
      sw_maxpool_init(&nd[i].pool, B, in->C, ih, iw, n->k, n->stride, n->pad);
      *oh = nd[i].pool.OH;
      *ow = nd[i].pool.OW;
      break;
    case SW_OP_BN:
      nd[i].bn = (sw_batchnorm){B, in->C, ih * iw, 0.1f, 1e-5f};
      *oh = ih;
      *ow = iw;
      break;
    case SW_OP_CONCATPOOL:
    case SW_OP_AVGPOOL:
      *oh = *ow = 1;
      break;
    default:
      *oh = ih;
      *ow = iw;
      break;
    }
    if (*oh < 1 || *ow < 1) {
      snprintf(err, errlen, "model: input %dx%d is too small for %s", height, width,
               sw_arch_name(m->cfg.arch));
      return -1;
    }
  }
  return 0;
}

/* sw_model_shapes into the model's own nodes and values (for sw_model_prepare). */
static int infer_shapes(sw_model *m, int B, int height, int width, char *err, size_t errlen) {
  sw_node_dims *nd = calloc((size_t)m->nnodes, sizeof *nd);
  int *vh = calloc((size_t)m->nvalues, sizeof(int)), *vw = calloc((size_t)m->nvalues, sizeof(int));
  int rc = -1;
  if (!nd || !vh || !vw)
    snprintf(err, errlen, "model: out of memory");
  else
    rc = sw_model_shapes(m, B, height, width, nd, vh, vw, err, errlen);
  if (rc == 0) {
    for (int i = 0; i < m->nnodes; i++) {
      m->nodes[i].conv = nd[i].conv;
      m->nodes[i].pool = nd[i].pool;
      m->nodes[i].bn = nd[i].bn;
    }
    for (int v = 0; v < m->nvalues; v++) {
      m->values[v].H = vh[v];
      m->values[v].W = vw[v];
    }
  }
  free(nd);
  free(vh);
  free(vw);
  return rc;
}

/* In-place decisions: ReLU/ReLU6/add/dropout write over their input when it
 * has no other consumer and its producer does not need it for backward. */
static void plan_in_place(sw_model *m) {
  sw_value *vals = m->values;
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    sw_value *out = &vals[n->out];
    out->alias = -1;
    if (n->op == SW_OP_RELU || n->op == SW_OP_RELU6 || n->op == SW_OP_ADD ||
        n->op == SW_OP_DROPOUT) {
      sw_value *in = &vals[n->in0];
      if (n->in0 != 0 && in->nconsumers == 1 && in->producer >= 0 &&
          !op_needs_output(m->nodes[in->producer].op))
        out->alias = in->alias >= 0 ? in->alias : n->in0;
    }
  }
}

/* BatchNorm + ReLU/ReLU6 in place on its only consumer: one fused pass each
 * way (sw_batchnorm_act_*); the activation node is skipped */
static void plan_fusion(sw_model *m) {
  sw_value *vals = m->values;
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    n->fused = false;
    if (n->op == SW_OP_BN) n->act = SW_ACT_NONE;
  }
  for (int i = 0; i + 1 < m->nnodes; i++) {
    sw_node *n = &m->nodes[i], *a = &m->nodes[i + 1];
    if (n->op == SW_OP_BN && (a->op == SW_OP_RELU || a->op == SW_OP_RELU6) &&
        a->in0 == n->out && vals[n->out].nconsumers == 1 && vals[a->out].alias == n->out) {
      n->act = a->op == SW_OP_RELU ? SW_ACT_RELU : SW_ACT_RELU6;
      a->fused = true;
    }
  }
}

/* Gradient lifetimes (backward step t = nnodes-1-node): one slot per value
 * whose gradient is formed, into slots (nvalues of them); returns the count. */
static int grad_lifetimes(sw_model *m, int B, grad_slot *slots) {
  sw_value *vals = m->values;
  int nv = m->nvalues;
  int *last_consumer = malloc(sizeof(int) * (size_t)nv);
  for (int v = 0; v < nv; v++) last_consumer[v] = -1;
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    if (i > last_consumer[n->in0]) last_consumer[n->in0] = i;
    if (n->in1 >= 0 && i > last_consumer[n->in1]) last_consumer[n->in1] = i;
  }
  int ns = 0;
  for (int v = 1; v < nv; v++) {
    vals[v].first_bwd = last_consumer[v];
    vals[v].grad = NULL;
    /* a fused BatchNorm's own output gradient is never formed */
    if (vals[v].producer >= 0 && m->nodes[vals[v].producer].op == SW_OP_BN &&
        m->nodes[vals[v].producer].act != SW_ACT_NONE)
      continue;
    grad_slot *s = &slots[ns++];
    s->value = v;
    s->size = round16(vnumel(&vals[v], B));
    s->t0 = last_consumer[v] < 0 ? -1 : m->nnodes - 1 - last_consumer[v];
    s->t1 = m->nnodes - 1 - vals[v].producer;
    /* a fused activation's output gradient is read one step later, by the BatchNorm */
    if (vals[v].producer >= 0 && m->nodes[vals[v].producer].fused) s->t1++;
  }
  free(last_consumer);
  return ns;
}

/* The largest workspace any conv needs, in floats. */
static size_t conv_workspace(const sw_model *m) {
  size_t ws = 0;
  for (int i = 0; i < m->nnodes; i++)
    if (m->nodes[i].op == SW_OP_CONV) {
      size_t w = sw_conv2d_workspace(&m->nodes[i].conv);
      if (w > ws) ws = w;
    }
  return ws;
}

/* One pass over the arena layout: activations, per-node saved state, the
 * conv workspace, the gradient block. Counts the floats it needs; with
 * place, also carves them from m->act. */
static size_t carve_arena(sw_model *m, int B, size_t ws, size_t grad_total, bool place) {
  sw_value *vals = m->values;
  size_t cnt = 0;
#define CARVE(ptr, type, nfl)                                                                   \
  do {                                                                                          \
    size_t n_ = round16(nfl);                                                                   \
    if (place) (ptr) = (type)sw_arena_floats(&m->act, n_ ? n_ : 16);                            \
    cnt += n_ ? n_ : 16;                                                                        \
  } while (0)
  for (int v = 0; v < m->nvalues; v++) {
    if (v == 0) {
      vals[0].data = NULL; /* the caller's input */
      continue;
    }
    if (vals[v].alias >= 0) continue;
    CARVE(vals[v].data, float *, vnumel(&vals[v], B));
  }
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    sw_value *in = &vals[n->in0], *out = &vals[n->out];
    n->save_mean = n->save_invstd = n->mask = NULL;
    n->argmax = NULL;
    switch (n->op) {
    case SW_OP_BN:
      CARVE(n->save_mean, float *, (size_t)in->C);
      CARVE(n->save_invstd, float *, (size_t)in->C);
      break;
    case SW_OP_MAXPOOL:
      CARVE(n->argmax, int32_t *, vnumel(out, B));
      break;
    case SW_OP_CONCATPOOL:
      CARVE(n->argmax, int32_t *, (size_t)B * in->C);
      break;
    case SW_OP_DROPOUT:
      CARVE(n->mask, float *, vnumel(out, B));
      break;
    default:
      break;
    }
  }
  CARVE(m->ws, float *, ws);
  CARVE(m->grad_arena, float *, grad_total);
#undef CARVE
  return cnt;
}

int sw_model_prepare(sw_model *m, int batch, int height, int width, char *err, size_t errlen) {
  if (batch < 1 || height < 1 || width < 1 || batch > 1 << 16 || height > 1 << 14 ||
      width > 1 << 14) {
    snprintf(err, errlen, "model: invalid batch shape %dx3x%dx%d", batch, height, width);
    return -1;
  }
  int B = batch;
  sw_value *vals = m->values;
  if (infer_shapes(m, B, height, width, err, errlen)) return -1;
  plan_in_place(m);
  plan_fusion(m);
  int nv = m->nvalues;
  grad_slot *slots = calloc((size_t)nv, sizeof *slots);
  if (!slots) {
    snprintf(err, errlen, "model: out of memory");
    return -1;
  }
  int ns = grad_lifetimes(m, B, slots);
  size_t grad_total = sw_live_place(slots, ns);

  /* two passes: count, then carve */
  size_t ws = conv_workspace(m);
  sw_arena_free(&m->act);
  size_t need = carve_arena(m, B, ws, grad_total, false);
  if (sw_arena_init(&m->act, need * sizeof(float) + 64 * 16) != 0) {
    snprintf(err, errlen, "model: out of memory for activations (%.0f MB)",
             need * 4.0 / 1048576.0);
    free(slots);
    return -1;
  }
  carve_arena(m, B, ws, grad_total, true);
  m->ws_floats = ws;
  m->grad_arena_floats = grad_total;
  for (int v = 0; v < nv; v++)
    if (vals[v].alias >= 0) vals[v].data = vals[vals[v].alias].data;
  vals[0].grad = NULL;
  for (int s = 0; s < ns; s++) vals[slots[s].value].grad = m->grad_arena + slots[s].off;
  free(slots);
  m->prep_batch = B;
  m->prep_h = height;
  m->prep_w = width;
  m->cur_batch = B;
  m->act_bytes = m->act.size;
  m->grad_bytes = grad_total * sizeof(float);
  return 0;
}

size_t sw_model_activation_bytes(const sw_model *m) { return m->act.size; }

/* ---- forward -------------------------------------------------------------- */

static float *P(sw_model *m, int i) { return i >= 0 ? m->params[i].data : NULL; }

const float *sw_model_forward(sw_model *m, const float *input, int batch, bool train) {
  if (!m->act.base || batch < 1 || batch > m->prep_batch || !input) return NULL;
  if (batch != m->cur_batch) {
    set_batch(m, batch);
    m->cur_batch = batch;
  }
  int B = batch;
  m->last_train = train;
  m->values[0].data = (float *)input;
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    sw_value *in = &m->values[n->in0], *out = &m->values[n->out];
    size_t cnt = vnumel(out, B);
    switch (n->op) {
    case SW_OP_CONV:
      sw_conv2d_forward(&n->conv, out->data, in->data, P(m, n->pw), P(m, n->pb), m->ws);
      break;
    case SW_OP_BN:
      sw_batchnorm_act_forward(&n->bn, n->act, out->data, n->save_mean, n->save_invstd, in->data,
                               P(m, n->pw), P(m, n->pb), P(m, n->prm), P(m, n->prv), train);
      break;
    case SW_OP_RELU:
      if (!n->fused) sw_relu_forward(out->data, in->data, cnt);
      break;
    case SW_OP_RELU6:
      if (!n->fused) sw_relu6_forward(out->data, in->data, cnt);
      break;
    case SW_OP_MAXPOOL:
      sw_maxpool_forward(&n->pool, out->data, n->argmax, in->data);
      break;
    case SW_OP_ADD:
      sw_add_forward(out->data, in->data, m->values[n->in1].data, cnt);
      break;
    case SW_OP_CONCATPOOL:
      sw_global_maxpool_forward(out->data, out->C, n->argmax, in->data, B, in->C, in->H * in->W);
      sw_global_avgpool_forward(out->data + in->C, out->C, in->data, B, in->C, in->H * in->W);
      break;
    case SW_OP_AVGPOOL:
      sw_global_avgpool_forward(out->data, out->C, in->data, B, in->C, in->H * in->W);
      break;
    case SW_OP_LINEAR:
      sw_linear_forward(out->data, in->data, P(m, n->pw), P(m, n->pb), B, n->in_features,
                        n->out_features);
      break;
    case SW_OP_DROPOUT:
      sw_dropout_forward(out->data, n->mask, in->data, cnt, n->p * m->dropout_scale, train,
                         &m->rng);
      break;
    }
  }
  /* values[0].data keeps pointing at the caller's input: conv1's weight gradient needs it */
  return m->values[m->nvalues - 1].data;
}

/* ---- backward ------------------------------------------------------------- */

/* The gradient of parameter i, when it is trainable and parameter gradients are wanted. */
static float *G(sw_model *m, int i, bool params) {
  return (params && i >= 0 && m->params[i].trainable) ? m->params[i].grad : NULL;
}

/* seed < 0: the training backward (parameter gradients of trainable tensors).
 * seed >= 0: only the activation gradients from the logits down to value seed. */
static void backward(sw_model *m, const float *dlogits, int seed) {
  if (!m->act.base || !dlogits) return;
  int B = m->cur_batch;
  bool train = m->last_train, params = seed < 0;
  sw_value *vals = m->values;
  /* which activations need a gradient */
  vals[0].need_grad = false;
  for (int i = 0; i < m->nnodes; i++) {
    sw_node *n = &m->nodes[i];
    bool ng = vals[n->in0].need_grad || (n->in1 >= 0 && vals[n->in1].need_grad) ||
              G(m, n->pw, params) || G(m, n->pb, params) || n->out == seed;
    vals[n->out].need_grad = ng;
  }
  sw_value *lv = &vals[m->nvalues - 1];
  if (!lv->need_grad) return;
  memcpy(lv->grad, dlogits, vnumel(lv, B) * sizeof(float));
  int stop = seed > 0 ? vals[seed].producer + 1 : 0;
  for (int i = m->nnodes - 1; i >= stop; i--) {
    sw_node *n = &m->nodes[i];
    sw_value *in = &vals[n->in0], *out = &vals[n->out];
    if (!out->need_grad || n->fused) continue; /* a fused activation: done by its BatchNorm */
    /* gradients whose first writer is this node start from zero, except
     * where the node can write instead of add (BatchNorm) */
    bool set_dinp = n->op == SW_OP_BN && in->need_grad && in->first_bwd == i;
    if (in->need_grad && in->first_bwd == i && !set_dinp) zero_floats(in->grad, vnumel(in, B));
    if (n->in1 >= 0 && vals[n->in1].need_grad && vals[n->in1].first_bwd == i)
      zero_floats(vals[n->in1].grad, vnumel(&vals[n->in1], B));
    float *dinp = in->need_grad ? in->grad : NULL;
    const float *dout = out->grad;
    size_t cnt = vnumel(out, B);
    switch (n->op) {
    case SW_OP_CONV: {
      float *dw = G(m, n->pw, params), *db = G(m, n->pb, params);
      if (dinp || dw || db)
        sw_conv2d_backward(&n->conv, dinp, dw, db, dout, in->data, P(m, n->pw), m->ws);
      break;
    }
    case SW_OP_BN: {
      /* fused: the gradient of the activation node after this one (its mask is
       * recomputed from the BatchNorm's input) */
      const sw_value *act = n->act != SW_ACT_NONE ? &vals[m->nodes[i + 1].out] : NULL;
      (set_dinp ? sw_batchnorm_act_backward_into : sw_batchnorm_act_backward)(
          &n->bn, n->act, dinp, G(m, n->pw, params), G(m, n->pb, params), act ? act->grad : dout,
          in->data, P(m, n->pw), P(m, n->pb), n->save_mean, n->save_invstd, P(m, n->prm),
          P(m, n->prv), train);
      break;
    }
    case SW_OP_RELU:
      if (dinp) sw_relu_backward(dinp, dout, out->data, cnt);
      break;
    case SW_OP_RELU6:
      if (dinp) sw_relu6_backward(dinp, dout, out->data, cnt);
      break;
    case SW_OP_MAXPOOL:
      if (dinp) sw_maxpool_backward(&n->pool, dinp, dout, n->argmax);
      break;
    case SW_OP_ADD: {
      float *db = vals[n->in1].need_grad ? vals[n->in1].grad : NULL;
      if (dinp && db) {
        sw_add_backward(dinp, db, dout, cnt);
      } else {
        float *d = dinp ? dinp : db;
        if (d)
          for (size_t j = 0; j < cnt; j++) d[j] += dout[j];
      }
      break;
    }
    case SW_OP_CONCATPOOL:
      if (dinp) {
        sw_global_maxpool_backward(dinp, dout, out->C, n->argmax, B, in->C, in->H * in->W);
        sw_global_avgpool_backward(dinp, dout + in->C, out->C, B, in->C, in->H * in->W);
      }
      break;
    case SW_OP_AVGPOOL:
      if (dinp) sw_global_avgpool_backward(dinp, dout, out->C, B, in->C, in->H * in->W);
      break;
    case SW_OP_LINEAR: {
      float *dw = G(m, n->pw, params), *db = G(m, n->pb, params);
      if (dinp || dw || db)
        sw_linear_backward(dinp, dw, db, dout, in->data, P(m, n->pw), B, n->in_features,
                           n->out_features);
      break;
    }
    case SW_OP_DROPOUT:
      if (dinp) sw_dropout_backward(dinp, dout, n->mask, cnt, train);
      break;
    }
  }
}

void sw_model_backward(sw_model *m, const float *dlogits) { backward(m, dlogits, -1); }

void sw_model_backward_to(sw_model *m, const float *dlogits, int value) {
  if (value > 0 && value < m->nvalues) backward(m, dlogits, value);
}
