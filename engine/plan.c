/* plan.c: the inference plan (see plan.h).
 *
 * sw_plan_new walks the model's nodes once (model_internal.h), turning them
 * into steps over plan buffers: buf_of[v] is the plan buffer holding model
 * value v, and nodes that disappear (a folded BatchNorm, a fused activation,
 * a dropout) map their output onto the buffer of the step they join. Then
 * each buffer gets its lifetime in steps and sw_live_place (model.c) lays the
 * buffers out in one pool. sw_plan_forward runs the steps in order.
 */
#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "model_internal.h"
#include "winograd.h"

typedef enum {
  ST_CONV,        /* conv (+ folded BatchNorm as weights and bias) (+ act) */
  ST_BN,          /* eval-mode BatchNorm that could not be folded (+ act) */
  ST_ACT,         /* a ReLU / ReLU6 with nothing to fuse into */
  ST_MAXPOOL,
  ST_ADD,         /* residual add (+ act), in place over in0 when no later step reads it */
  ST_CONCATPOOL,  /* (B, C, H, W) -> (B, 2C): max, then avg */
  ST_AVGPOOL,     /* (B, C, H, W) -> (B, C) */
  ST_LINEAR,      /* linear (+ BatchNorm1d of its input folded in) (+ act) */
} step_kind;

#define NO_W ((size_t)-1)

typedef struct {
  step_kind kind;
  int in0, in1, out, tmp; /* plan buffers; tmp: the concat pool's argmax scratch */
  sw_act act;
  sw_conv2d conv;
  sw_maxpool pool;
  sw_batchnorm bn;
  int C, HW;              /* input channels and map size (pools, add, act) */
  int in_f, out_f;        /* linear */
  size_t w, b, rm, rv;    /* offsets into the weight block, NO_W when none */
  int wtile;              /* conv run by Winograd with this tile: w is then its */
  bool wpacked;           /* transformed filters (packed for the AVX-512 gemm) */
} step;

typedef struct {
  size_t per;   /* floats per image */
  int t0, t1;   /* first and last step that touches it */
  float *data;
} buffer;

struct sw_plan {
  sw_model_config cfg;
  int num_outputs, max_batch, height, width;
  step *steps;
  int nsteps, cap_steps;
  buffer *bufs;
  int nbufs, cap_bufs;
  int out_buf;
  float *weights;
  size_t nweights, cap_weights;
  bool fixed_weights; /* sw_plan_update: the block may not grow (or move) */
  float *pool;
  size_t pool_floats, live_floats;
  float *ws;
  size_t ws_floats;
};

/* ---- building ------------------------------------------------------------ */

typedef struct {
  const sw_model *m;
  sw_plan *p;
  sw_node_dims *nd;
  int *vh, *vw;
  int *buf_of;    /* model value -> plan buffer */
  int *only_user; /* model value -> its one consumer node, or -1 */
  int *pre_bn;    /* linear node -> BatchNorm1d node folded into it, or -1 */
  bool *done;     /* node absorbed by an earlier step */
} builder;

static int new_buffer(sw_plan *p, size_t per) {
  if (sw_grow_array((void **)&p->bufs, &p->cap_bufs, p->nbufs + 1, sizeof(buffer))) return -1;
  p->bufs[p->nbufs] = (buffer){.per = per, .t0 = -1, .t1 = -1};
  return p->nbufs++;
}

/* A buffer for model value v, of its shape. */
static int value_buffer(builder *bd, int v) {
  const sw_value *val = &bd->m->values[v];
  int b = new_buffer(bd->p, (size_t)val->C * bd->vh[v] * bd->vw[v]);
  if (b >= 0) bd->buf_of[v] = b;
  return b;
}

static step *new_step(sw_plan *p, step_kind kind, int in0, int out) {
  if (sw_grow_array((void **)&p->steps, &p->cap_steps, p->nsteps + 1, sizeof(step))) return NULL;
  step *s = &p->steps[p->nsteps++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->in0 = in0;
  s->in1 = s->tmp = -1;
  s->out = out;
  s->w = s->b = s->rm = s->rv = NO_W;
  return s;
}

/* The step of model node i: reads the buffer of its first input, writes a new
 * buffer of its output's shape. */
static step *node_step(builder *bd, int i, step_kind kind) {
  const sw_node *n = &bd->m->nodes[i];
  int out = value_buffer(bd, n->out);
  return out < 0 ? NULL : new_step(bd->p, kind, bd->buf_of[n->in0], out);
}

/* n floats of the weight block (offsets stay valid as it grows); NO_W on failure. */
static size_t new_weights(sw_plan *p, size_t n) {
  if (p->nweights + n > p->cap_weights) {
    if (p->fixed_weights) return NO_W;
    size_t nc = p->cap_weights ? p->cap_weights * 2 : 1 << 16;
    while (nc < p->nweights + n) nc *= 2;
    float *nw = realloc(p->weights, nc * sizeof(float));
    if (!nw) return NO_W;
    p->weights = nw;
    p->cap_weights = nc;
  }
  size_t off = p->nweights;
  p->nweights += n;
  return off;
}

static size_t copy_weights(sw_plan *p, const sw_param *src) {
  size_t off = new_weights(p, (size_t)src->numel);
  if (off != NO_W) memcpy(p->weights + off, src->data, (size_t)src->numel * sizeof(float));
  return off;
}

static const sw_param *param(const builder *bd, int i) {
  return i >= 0 ? &bd->m->params[i] : NULL;
}

/* BatchNorm node bn as y = x * scale[c] + shift[c], in double. */
static void bn_affine(const builder *bd, const sw_node *bn, int c, double *scale, double *shift) {
  const float eps = 1e-5f;
  double g = param(bd, bn->pw)->data[c], beta = param(bd, bn->pb)->data[c];
  double mean = param(bd, bn->prm)->data[c], var = param(bd, bn->prv)->data[c];
  *scale = g / sqrt(var + (double)eps);
  *shift = beta - mean * *scale;
}

/* If the one consumer of model value v is a ReLU / ReLU6, the step producing
 * v applies it: returns the activation and maps the ReLU's output to v's buffer. */
static sw_act absorb_act(builder *bd, int v) {
  int j = bd->only_user[v];
  if (j < 0 || bd->done[j]) return SW_ACT_NONE;
  const sw_node *a = &bd->m->nodes[j];
  if (a->op != SW_OP_RELU && a->op != SW_OP_RELU6) return SW_ACT_NONE;
  bd->done[j] = true;
  bd->buf_of[a->out] = bd->buf_of[v];
  return a->op == SW_OP_RELU ? SW_ACT_RELU : SW_ACT_RELU6;
}

/* conv (Cout, Cin/g, k, k) -> weights w * scale[co], bias (b - mean) * scale + beta */
static int add_conv(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  step *s = node_step(bd, i, ST_CONV);
  if (!s) return -1;
  s->conv = bd->nd[i].conv;
  const sw_param *pw = param(bd, n->pw), *pb = param(bd, n->pb);
  /* Winograd convs keep only their transformed filters: the folded weights
   * are made in a temporary copy */
  s->wtile = sw_conv2d_winograd_tile(&s->conv, SW_CONV_PASS_INFER);
  float *tmp = NULL;
  if (s->wtile) {
    tmp = malloc((size_t)pw->numel * sizeof(float));
    if (!tmp) return -1;
    memcpy(tmp, pw->data, (size_t)pw->numel * sizeof(float));
  } else {
    s->w = copy_weights(bd->p, pw);
  }
  int v = n->out, j = bd->only_user[v];
  bool fold = j >= 0 && bd->m->nodes[j].op == SW_OP_BN;
  if (pb || fold) s->b = new_weights(bd->p, (size_t)n->cout);
  if ((!tmp && s->w == NO_W) || ((pb || fold) && s->b == NO_W)) {
    free(tmp);
    return -1;
  }
  float *w = tmp ? tmp : bd->p->weights + s->w, *b = s->b == NO_W ? NULL : bd->p->weights + s->b;
  size_t per = (size_t)(pw->numel / n->cout);
  for (int co = 0; co < n->cout && b; co++) {
    double scale = 1.0, shift = 0.0, b0 = pb ? pb->data[co] : 0.0;
    if (fold) bn_affine(bd, &bd->m->nodes[j], co, &scale, &shift);
    for (size_t k = 0; k < per; k++) w[co * per + k] = (float)(w[co * per + k] * scale);
    b[co] = (float)(b0 * scale + shift);
  }
  if (tmp) {
    s->wpacked = sw_wino_can_pack();
    s->w = new_weights(bd->p, sw_wino_weights_floats(&s->conv, s->wtile, s->wpacked));
    if (s->w != NO_W)
      sw_wino_transform_weights(&s->conv, s->wtile, s->wpacked, tmp, bd->p->weights + s->w);
    free(tmp);
    if (s->w == NO_W) return -1;
  }
  if (fold) {
    bd->done[j] = true;
    v = bd->m->nodes[j].out;
    bd->buf_of[v] = s->out;
  }
  s->act = absorb_act(bd, v);
  return 0;
}

/* The Linear a BatchNorm1d's output reaches through eval-mode dropouts only, or -1. */
static int bn_feeds_linear(const builder *bd, int i) {
  int v = bd->m->nodes[i].out, j;
  while ((j = bd->only_user[v]) >= 0 && bd->m->nodes[j].op == SW_OP_DROPOUT)
    v = bd->m->nodes[j].out;
  return j >= 0 && bd->m->nodes[j].op == SW_OP_LINEAR ? j : -1;
}

static int add_bn(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  int lin = bn_feeds_linear(bd, i);
  if (lin >= 0) {
    /* folded into the Linear: its input is the BatchNorm's input */
    bd->pre_bn[lin] = i;
    bd->buf_of[n->out] = bd->buf_of[n->in0];
    return 0;
  }
  step *s = node_step(bd, i, ST_BN);
  if (!s) return -1;
  s->bn = bd->nd[i].bn;
  s->w = copy_weights(bd->p, param(bd, n->pw));
  s->b = copy_weights(bd->p, param(bd, n->pb));
  s->rm = copy_weights(bd->p, param(bd, n->prm));
  s->rv = copy_weights(bd->p, param(bd, n->prv));
  if (s->w == NO_W || s->b == NO_W || s->rm == NO_W || s->rv == NO_W) return -1;
  s->act = absorb_act(bd, n->out);
  return 0;
}

/* linear (OUT, IN); with a BatchNorm1d x * scale + shift before it:
 * weights w[o][i] * scale[i], bias b[o] + sum_i w[o][i] * shift[i] */
static int add_linear(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  step *s = node_step(bd, i, ST_LINEAR);
  if (!s) return -1;
  s->in_f = n->in_features;
  s->out_f = n->out_features;
  const sw_param *pb = param(bd, n->pb);
  const sw_node *bn = bd->pre_bn[i] >= 0 ? &bd->m->nodes[bd->pre_bn[i]] : NULL;
  s->w = copy_weights(bd->p, param(bd, n->pw));
  if (pb || bn) s->b = new_weights(bd->p, (size_t)s->out_f);
  if (s->w == NO_W || ((pb || bn) && s->b == NO_W)) return -1;
  float *w = bd->p->weights + s->w, *b = s->b == NO_W ? NULL : bd->p->weights + s->b;
  double *scale = bn ? malloc(sizeof(double) * 2 * (size_t)s->in_f) : NULL;
  if (bn && !scale) return -1;
  for (int k = 0; bn && k < s->in_f; k++) bn_affine(bd, bn, k, &scale[k], &scale[s->in_f + k]);
  for (int o = 0; o < s->out_f && b; o++) {
    double acc = pb ? pb->data[o] : 0.0;
    float *row = w + (size_t)o * s->in_f;
    for (int k = 0; bn && k < s->in_f; k++) {
      acc += (double)row[k] * scale[s->in_f + k];
      row[k] = (float)(row[k] * scale[k]);
    }
    b[o] = (float)acc;
  }
  free(scale);
  s->act = absorb_act(bd, n->out);
  return 0;
}

static int add_add(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  step *s = node_step(bd, i, ST_ADD);
  if (!s) return -1;
  s->in1 = bd->buf_of[n->in1];
  s->act = absorb_act(bd, n->out);
  return 0;
}

/* Max pool, the two global pools and a lone activation. */
static int add_simple(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  static const step_kind kinds[] = {[SW_OP_MAXPOOL] = ST_MAXPOOL, [SW_OP_CONCATPOOL] = ST_CONCATPOOL,
                                    [SW_OP_AVGPOOL] = ST_AVGPOOL, [SW_OP_RELU] = ST_ACT,
                                    [SW_OP_RELU6] = ST_ACT};
  step *s = node_step(bd, i, kinds[n->op]);
  if (!s) return -1;
  s->C = bd->m->values[n->in0].C;
  s->HW = bd->vh[n->in0] * bd->vw[n->in0];
  if (n->op == SW_OP_RELU || n->op == SW_OP_RELU6) {
    s->act = n->op == SW_OP_RELU ? SW_ACT_RELU : SW_ACT_RELU6;
    return 0;
  }
  if (n->op == SW_OP_MAXPOOL) s->pool = bd->nd[i].pool; /* no argmax kept */
  if (n->op == SW_OP_CONCATPOOL) {
    /* int32 argmax scratch, one per max output */
    s->tmp = new_buffer(bd->p, (size_t)s->C);
    if (s->tmp < 0) return -1;
  }
  s->act = absorb_act(bd, n->out);
  return 0;
}

static int add_node(builder *bd, int i) {
  const sw_node *n = &bd->m->nodes[i];
  switch (n->op) {
  case SW_OP_CONV: return add_conv(bd, i);
  case SW_OP_BN: return add_bn(bd, i);
  case SW_OP_LINEAR: return add_linear(bd, i);
  case SW_OP_ADD: return add_add(bd, i);
  case SW_OP_DROPOUT: bd->buf_of[n->out] = bd->buf_of[n->in0]; return 0;
  default: return add_simple(bd, i);
  }
}

/* ---- memory -------------------------------------------------------------- */

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static void touch(buffer *b, int t) {
  if (b->t0 < 0 || t < b->t0) b->t0 = t;
  if (t > b->t1) b->t1 = t;
}

static void rename_buffer(sw_plan *p, int t0, int from, int to) {
  for (int t = t0; t < p->nsteps; t++) {
    step *s = &p->steps[t];
    if (s->in0 == from) s->in0 = to;
    if (s->in1 == from) s->in1 = to;
    if (s->out == from) s->out = to;
  }
  if (p->out_buf == from) p->out_buf = to;
}

/* A residual add writes over its first input when no later step reads it
 * (the add's output buffer is renamed to the input's everywhere after). */
static int add_in_place(sw_plan *p) {
  int *last = malloc(sizeof(int) * (size_t)p->nbufs);
  if (!last) return -1;
  for (int b = 0; b < p->nbufs; b++) last[b] = -1;
  for (int t = 0; t < p->nsteps; t++) {
    last[p->steps[t].in0] = t;
    if (p->steps[t].in1 >= 0) last[p->steps[t].in1] = t;
  }
  last[p->out_buf] = p->nsteps;
  for (int t = 0; t < p->nsteps; t++) {
    step *s = &p->steps[t];
    int a = s->in0, o = s->out;
    if (s->kind != ST_ADD || a == 0 || a == s->in1 || last[a] != t) continue;
    rename_buffer(p, t, o, a);
    last[a] = last[o];
  }
  free(last);
  return 0;
}

/* Lifetimes, then one pool laid out by sw_live_place; the conv workspace. */
static int place_buffers(sw_plan *p) {
  if (add_in_place(p) != 0) return -1;
  for (int t = 0; t < p->nsteps; t++) {
    step *s = &p->steps[t];
    touch(&p->bufs[s->in0], t);
    touch(&p->bufs[s->out], t);
    if (s->in1 >= 0) touch(&p->bufs[s->in1], t);
    if (s->tmp >= 0) touch(&p->bufs[s->tmp], t);
    if (s->kind == ST_CONV) {
      size_t w = s->wtile ? sw_wino_workspace_pre(&s->conv, s->wtile)
                          : sw_conv2d_workspace(&s->conv);
      if (w > p->ws_floats) p->ws_floats = w;
    }
  }
  touch(&p->bufs[p->out_buf], p->nsteps); /* the logits outlive the forward */
  sw_live_slot *slots = calloc((size_t)p->nbufs, sizeof *slots);
  if (!slots) return -1;
  int ns = 0;
  for (int b = 1; b < p->nbufs; b++)
    if (p->bufs[b].t0 >= 0)
      slots[ns++] = (sw_live_slot){.size = round16(p->bufs[b].per * (size_t)p->max_batch),
                                   .t0 = p->bufs[b].t0, .t1 = p->bufs[b].t1, .value = b};
  p->live_floats = 0;
  for (int t = 0; t <= p->nsteps; t++) {
    size_t live = 0;
    for (int k = 0; k < ns; k++)
      if (slots[k].t0 <= t && t <= slots[k].t1) live += slots[k].size;
    if (live > p->live_floats) p->live_floats = live;
  }
  p->pool_floats = sw_live_place(slots, ns);
  size_t total = p->pool_floats + round16(p->ws_floats);
  p->pool = aligned_alloc(64, (total ? total : 16) * sizeof(float));
  if (!p->pool) {
    free(slots);
    return -1;
  }
  p->ws = p->pool + p->pool_floats;
  for (int k = 0; k < ns; k++) p->bufs[slots[k].value].data = p->pool + slots[k].off;
  free(slots);
  return 0;
}

/* ---- creation ------------------------------------------------------------ */

static void builder_free(builder *bd) {
  free(bd->nd);
  free(bd->vh);
  free(bd->vw);
  free(bd->buf_of);
  free(bd->only_user);
  free(bd->pre_bn);
  free(bd->done);
}

static int builder_init(builder *bd, const sw_model *m, sw_plan *p) {
  memset(bd, 0, sizeof *bd);
  bd->m = m;
  bd->p = p;
  size_t nn = (size_t)m->nnodes, nv = (size_t)m->nvalues;
  bd->nd = calloc(nn, sizeof *bd->nd);
  bd->vh = calloc(nv, sizeof(int));
  bd->vw = calloc(nv, sizeof(int));
  bd->buf_of = calloc(nv, sizeof(int));
  bd->only_user = calloc(nv, sizeof(int));
  bd->pre_bn = calloc(nn, sizeof(int));
  bd->done = calloc(nn, sizeof(bool));
  if (!bd->nd || !bd->vh || !bd->vw || !bd->buf_of || !bd->only_user || !bd->pre_bn || !bd->done)
    return -1;
  for (size_t v = 0; v < nv; v++) bd->only_user[v] = -1;
  for (size_t i = 0; i < nn; i++) {
    const sw_node *n = &m->nodes[i];
    bd->pre_bn[i] = -1;
    if (m->values[n->in0].nconsumers == 1) bd->only_user[n->in0] = (int)i;
    if (n->in1 >= 0 && m->values[n->in1].nconsumers == 1) bd->only_user[n->in1] = (int)i;
  }
  return 0;
}

/* The steps of m for p's batch shape, its weights folded into p's block (the
 * input is buffer 0). */
static int build_steps(builder *bd, const sw_model *m, sw_plan *p, char *err, size_t errlen) {
  int rc = sw_model_shapes(m, p->max_batch, p->height, p->width, bd->nd, bd->vh, bd->vw, err,
                           errlen);
  if (rc == 0) rc = new_buffer(p, (size_t)3 * p->height * p->width) == 0 ? 0 : -1;
  for (int i = 0; rc == 0 && i < m->nnodes; i++)
    if (!bd->done[i]) rc = add_node(bd, i);
  return rc;
}

sw_plan *sw_plan_new(const sw_model *m, int max_batch, int height, int width, char *err,
                     size_t errlen) {
  if (max_batch < 1 || height < 1 || width < 1 || max_batch > 1 << 16 || height > 1 << 14 ||
      width > 1 << 14) {
    snprintf(err, errlen, "plan: invalid batch shape %dx3x%dx%d", max_batch, height, width);
    return NULL;
  }
  sw_plan *p = calloc(1, sizeof *p);
  builder bd;
  if (!p || builder_init(&bd, m, p) != 0) {
    snprintf(err, errlen, "plan: out of memory");
    if (p) builder_free(&bd);
    free(p);
    return NULL;
  }
  p->cfg = m->cfg;
  p->num_outputs = m->num_outputs;
  p->max_batch = max_batch;
  p->height = height;
  p->width = width;
  int rc = build_steps(&bd, m, p, err, errlen);
  if (rc == 0) {
    p->out_buf = bd.buf_of[m->nvalues - 1];
    rc = place_buffers(p);
  }
  if (rc != 0 && !strstr(err, "too small"))
    snprintf(err, errlen, "plan: out of memory for %s at %dx3x%dx%d", sw_arch_name(m->cfg.arch),
             max_batch, height, width);
  builder_free(&bd);
  if (rc != 0) {
    sw_plan_free(p);
    return NULL;
  }
  return p;
}

/* The steps of m folded again, into p's own weight block: the same steps with
 * the same offsets, or -1 (then p's weights are a mix and p must be freed). */
int sw_plan_update(sw_plan *p, const sw_model *m, char *err, size_t errlen) {
  if (!p || !m || m->cfg.arch != p->cfg.arch || m->num_outputs != p->num_outputs) {
    snprintf(err, errlen, "plan: the model is not the plan's");
    return -1;
  }
  sw_plan t = {.cfg = m->cfg, .num_outputs = m->num_outputs, .max_batch = p->max_batch,
               .height = p->height, .width = p->width, .weights = p->weights,
               .cap_weights = p->cap_weights, .fixed_weights = true};
  builder bd;
  int rc = builder_init(&bd, m, &t);
  if (rc == 0) rc = build_steps(&bd, m, &t, err, errlen);
  builder_free(&bd);
  bool same = rc == 0 && t.weights == p->weights && t.nweights == p->nweights &&
              t.nsteps == p->nsteps;
  for (int k = 0; same && k < t.nsteps; k++) {
    const step *a = &t.steps[k], *b = &p->steps[k];
    same = a->kind == b->kind && a->w == b->w && a->b == b->b && a->rm == b->rm &&
           a->rv == b->rv && a->wtile == b->wtile && a->wpacked == b->wpacked;
  }
  free(t.steps);
  free(t.bufs);
  if (!same) {
    snprintf(err, errlen, "plan: the model no longer matches the plan");
    return -1;
  }
  return 0;
}

void sw_plan_free(sw_plan *p) {
  if (!p) return;
  free(p->steps);
  free(p->bufs);
  free(p->weights);
  free(p->pool);
  free(p);
}

/* ---- forward ------------------------------------------------------------- */

static void act_forward(sw_act act, float *x, size_t n) {
  if (act == SW_ACT_RELU) sw_relu_forward(x, x, n);
  if (act == SW_ACT_RELU6) sw_relu6_forward(x, x, n);
}

static float *W(sw_plan *p, size_t off) { return off == NO_W ? NULL : p->weights + off; }

/* One step for batch B. */
static void run_step(sw_plan *p, step *s, int B) {
  float *in = p->bufs[s->in0].data, *out = p->bufs[s->out].data;
  size_t n = p->bufs[s->out].per * (size_t)B;
  switch (s->kind) {
  case ST_CONV: /* (B, Cin, H, W) -> (B, Cout, OH, OW) */
    s->conv.B = B;
    if (s->wtile)
      sw_wino_forward_pre(&s->conv, s->wtile, s->wpacked, out, in, W(p, s->w), W(p, s->b), p->ws);
    else
      sw_conv2d_forward_infer(&s->conv, out, in, W(p, s->w), W(p, s->b), p->ws);
    break;
  case ST_BN: /* (B, C, HW) -> (B, C, HW), act fused */
    s->bn.B = B;
    sw_batchnorm_act_forward(&s->bn, s->act, out, NULL, NULL, in, W(p, s->w), W(p, s->b),
                             W(p, s->rm), W(p, s->rv), false);
    return;
  case ST_ACT: /* n elements */
    memcpy(out, in, n * sizeof(float));
    break;
  case ST_MAXPOOL: /* (B, C, H, W) -> (B, C, OH, OW) */
    s->pool.B = B;
    sw_maxpool_forward(&s->pool, out, NULL, in);
    break;
  case ST_ADD: /* n elements, out may be in0 */
    sw_add_forward(out, in, p->bufs[s->in1].data, n);
    break;
  case ST_CONCATPOOL: /* (B, C, HW) -> (B, 2C), max first; the argmax is not needed */
    sw_global_maxpool_forward(out, 2 * s->C, (int32_t *)p->bufs[s->tmp].data, in, B, s->C,
                              s->HW);
    sw_global_avgpool_forward(out + s->C, 2 * s->C, in, B, s->C, s->HW);
    break;
  case ST_AVGPOOL: /* (B, C, HW) -> (B, C) */
    sw_global_avgpool_forward(out, s->C, in, B, s->C, s->HW);
    break;
  case ST_LINEAR: /* (B, IN) -> (B, OUT) */
    sw_linear_forward(out, in, W(p, s->w), W(p, s->b), B, s->in_f, s->out_f);
    break;
  }
  act_forward(s->act, out, n);
}

const float *sw_plan_forward(sw_plan *p, const float *input, int batch) {
  if (!p || !input || batch < 1 || batch > p->max_batch) return NULL;
  p->bufs[0].data = (float *)input; /* read only: no step writes buffer 0 */
  for (int t = 0; t < p->nsteps; t++) run_step(p, &p->steps[t], batch);
  return p->bufs[p->out_buf].data;
}

/* ---- queries ------------------------------------------------------------- */

int sw_plan_num_outputs(const sw_plan *p) { return p->num_outputs; }
int sw_plan_max_batch(const sw_plan *p) { return p->max_batch; }
int sw_plan_num_steps(const sw_plan *p) { return p->nsteps; }
const sw_model_config *sw_plan_get_config(const sw_plan *p) { return &p->cfg; }
size_t sw_plan_pool_bytes(const sw_plan *p) { return p->pool_floats * sizeof(float); }
size_t sw_plan_live_bytes(const sw_plan *p) { return p->live_floats * sizeof(float); }
size_t sw_plan_workspace_bytes(const sw_plan *p) { return p->ws_floats * sizeof(float); }
size_t sw_plan_weight_bytes(const sw_plan *p) { return p->nweights * sizeof(float); }
