/* onnx.c: the ONNX writer (see onnx.h): a protobuf encoder (varints and
 * length-delimited fields, onnx.proto field numbers) and a walk over the
 * engine's node list.
 *
 * Everything but the weights is encoded in memory; the weights (initializers)
 * are streamed to the file after the rest of the graph, their sizes known in
 * advance, so a 100 MB model is never copied into one buffer.
 */
#include "onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "weights_internal.h"

/* ---- protobuf encoding ---------------------------------------------------- */

enum { PB_VARINT = 0, PB_LEN = 2, PB_FIXED32 = 5 };

typedef struct {
  unsigned char *b;
  size_t n, cap;
  bool oom;
} pb;

static void pb_bytes(pb *p, const void *d, size_t n) {
  if (p->oom) return;
  if (p->n + n > p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 256;
    while (nc < p->n + n) nc *= 2;
    unsigned char *nb = realloc(p->b, nc);
    if (!nb) {
      p->oom = true;
      return;
    }
    p->b = nb;
    p->cap = nc;
  }
  if (n) memcpy(p->b + p->n, d, n);
  p->n += n;
}

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static void pb_varint(pb *p, uint64_t v) {
  unsigned char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  buf[n++] = (unsigned char)v;
  pb_bytes(p, buf, n);
}

static void pb_tag(pb *p, int field, int wire) { pb_varint(p, ((uint64_t)field << 3) | wire); }

static void pb_int(pb *p, int field, int64_t v) {
  pb_tag(p, field, PB_VARINT);
  pb_varint(p, (uint64_t)v);
}

static void pb_blob(pb *p, int field, const void *d, size_t n) {
  pb_tag(p, field, PB_LEN);
  pb_varint(p, n);
  pb_bytes(p, d, n);
}

static void pb_str(pb *p, int field, const char *s) { pb_blob(p, field, s, strlen(s)); }

/* Appends sub as an embedded message and empties it. */
static void pb_msg(pb *p, int field, pb *sub) {
  if (sub->oom) p->oom = true;
  pb_blob(p, field, sub->b, sub->n);
  sub->n = 0;
  sub->oom = false;
}

static void pb_float(pb *p, int field, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                        (unsigned char)(u >> 24)};
  pb_tag(p, field, PB_FIXED32);
  pb_bytes(p, b, 4);
}

/* onnx.proto field numbers */
enum {
  MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_GRAPH = 7,
  MODEL_OPSET_IMPORT = 8, MODEL_METADATA_PROPS = 14,
  OPSET_DOMAIN = 1, OPSET_VERSION = 2,
  KV_KEY = 1, KV_VALUE = 2,
  GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
  NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
  ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20,
  ATTR_TYPE_FLOAT = 1, ATTR_TYPE_INT = 2, ATTR_TYPE_INTS = 7,
  TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
  TENSOR_FLOAT = 1,
  VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2,
  TYPE_TENSOR = 1, TYPE_TENSOR_ELEM_TYPE = 1, TYPE_TENSOR_SHAPE = 2,
  SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2,
};

enum { OPSET = 13, IR_VERSION = 7 };

static void attr_int(pb *a, const char *name, int64_t v) {
  pb s = {0};
  pb_str(&s, ATTR_NAME, name);
  pb_int(&s, ATTR_TYPE, ATTR_TYPE_INT);
  pb_int(&s, ATTR_I, v);
  pb_msg(a, NODE_ATTRIBUTE, &s);
  free(s.b);
}

static void attr_float(pb *a, const char *name, float v) {
  pb s = {0};
  pb_str(&s, ATTR_NAME, name);
  pb_int(&s, ATTR_TYPE, ATTR_TYPE_FLOAT);
  pb_float(&s, ATTR_F, v);
  pb_msg(a, NODE_ATTRIBUTE, &s);
  free(s.b);
}

static void attr_ints(pb *a, const char *name, const int64_t *v, int n) {
  pb s = {0};
  pb_str(&s, ATTR_NAME, name);
  pb_int(&s, ATTR_TYPE, ATTR_TYPE_INTS);
  for (int i = 0; i < n; i++) pb_int(&s, ATTR_INTS, v[i]);
  pb_msg(a, NODE_ATTRIBUTE, &s);
  free(s.b);
}

/* ---- the graph ------------------------------------------------------------ */

typedef struct {
  char name[48];
  int64_t dims[4];
  int ndim;
  float *data; /* owned */
  size_t numel;
} initializer;

typedef struct {
  sw_model *m;
  pb nodes; /* GraphProto.node entries */
  initializer *inits;
  int ninits, cap_inits;
  char (*vname)[32]; /* per engine value */
  int ntemp;
  bool clip_bounds; /* the ReLU6 bounds are in the initializers */
  bool oom;
} ox;

/* A new initializer of numel floats (zeroed) named "<prefix><suffix>"; NULL when out of memory. */
static float *add_init(ox *x, const char *prefix, const char *suffix, const int64_t *dims,
                       int ndim) {
  if (x->ninits == x->cap_inits) {
    int nc = x->cap_inits ? 2 * x->cap_inits : 64;
    initializer *ni = realloc(x->inits, (size_t)nc * sizeof *ni);
    if (!ni) {
      x->oom = true;
      return NULL;
    }
    x->inits = ni;
    x->cap_inits = nc;
  }
  initializer *t = &x->inits[x->ninits];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s%s", prefix, suffix);
  t->ndim = ndim;
  t->numel = 1;
  for (int i = 0; i < ndim; i++) {
    t->dims[i] = dims[i];
    t->numel *= (size_t)dims[i];
  }
  t->data = calloc(t->numel ? t->numel : 1, sizeof(float));
  if (!t->data) {
    x->oom = true;
    return NULL;
  }
  x->ninits++;
  return t->data;
}

static const char *last_init(const ox *x) { return x->inits[x->ninits - 1].name; }

/* Appends a NodeProto; attrs (may be NULL) holds its encoded attributes. */
static void add_node(ox *x, const char *op, const char *const *in, int nin, const char *out,
                     pb *attrs) {
  pb n = {0};
  for (int i = 0; i < nin; i++) pb_str(&n, NODE_INPUT, in[i]);
  pb_str(&n, NODE_OUTPUT, out);
  char name[48];
  snprintf(name, sizeof name, "%s_%d", op, x->ntemp++);
  pb_str(&n, NODE_NAME, name);
  pb_str(&n, NODE_OP_TYPE, op);
  if (attrs) {
    pb_bytes(&n, attrs->b, attrs->n);
    if (attrs->oom) n.oom = true;
    attrs->n = 0;
  }
  pb_msg(&x->nodes, GRAPH_NODE, &n);
  free(n.b);
}

static void node1(ox *x, const char *op, const char *in, const char *out) {
  add_node(x, op, &in, 1, out, NULL);
}

/* Per-channel BatchNorm scale and shift (eval mode). */
static void bn_affine(const sw_model *m, const sw_node *n, int c, double *scale, double *shift) {
  const float *g = m->params[n->pw].data, *b = m->params[n->pb].data;
  const float *mean = m->params[n->prm].data, *var = m->params[n->prv].data;
  double s = g[c] / sqrt((double)var[c] + 1e-5);
  *scale = s;
  *shift = b[c] - mean[c] * s;
}

/* Conv (and, when bn is not NULL, its BatchNorm folded in). */
static void emit_conv(ox *x, const sw_node *n, const sw_node *bn, const char *in, const char *out) {
  const sw_model *m = x->m;
  const sw_param *w = &m->params[n->pw];
  int64_t cout = n->cout, per = w->numel / n->cout;
  int64_t wd[4] = {w->shape.dims[0], w->shape.dims[1], w->shape.dims[2], w->shape.dims[3]};
  char prefix[40];
  snprintf(prefix, sizeof prefix, "conv%d", x->ntemp);
  float *W = add_init(x, prefix, ".weight", wd, 4);
  if (!W) return;
  char wname[48];
  snprintf(wname, sizeof wname, "%s", last_init(x));
  float *B = add_init(x, prefix, ".bias", &cout, 1);
  if (!B) return;
  const float *bias = n->pb >= 0 ? m->params[n->pb].data : NULL;
  for (int64_t c = 0; c < cout; c++) {
    double scale = 1.0, shift = 0.0;
    if (bn) bn_affine(m, bn, (int)c, &scale, &shift);
    for (int64_t j = 0; j < per; j++) W[c * per + j] = (float)(w->data[c * per + j] * scale);
    B[c] = (float)((bias ? bias[c] : 0.0) * scale + shift);
  }
  const char *ins[3] = {in, wname, last_init(x)};
  pb a = {0};
  int64_t k[2] = {n->k, n->k}, s[2] = {n->stride, n->stride};
  int64_t pads[4] = {n->conv.pad_t, n->conv.pad_l, n->conv.pad_b, n->conv.pad_r};
  attr_ints(&a, "kernel_shape", k, 2);
  attr_ints(&a, "strides", s, 2);
  attr_ints(&a, "pads", pads, 4);
  attr_int(&a, "group", n->groups);
  add_node(x, "Conv", ins, 3, out, &a);
  free(a.b);
}

/* A BatchNorm not folded into a conv: x * scale + shift per channel. */
static void emit_bn(ox *x, const sw_node *n, bool flat, const char *in, const char *out) {
  int64_t C = x->m->params[n->pw].numel;
  int64_t dims[3] = {C, 1, 1};
  char prefix[40], sname[48], mid[48];
  snprintf(prefix, sizeof prefix, "bn%d", x->ntemp);
  float *S = add_init(x, prefix, ".scale", dims, flat ? 1 : 3);
  if (!S) return;
  snprintf(sname, sizeof sname, "%s", last_init(x));
  float *T = add_init(x, prefix, ".shift", dims, flat ? 1 : 3);
  if (!T) return;
  for (int64_t c = 0; c < C; c++) {
    double scale, shift;
    bn_affine(x->m, n, (int)c, &scale, &shift);
    S[c] = (float)scale;
    T[c] = (float)shift;
  }
  snprintf(mid, sizeof mid, "%s.mul", prefix);
  const char *a[2] = {in, sname}, *b[2] = {mid, last_init(x)};
  add_node(x, "Mul", a, 2, mid, NULL);
  add_node(x, "Add", b, 2, out, NULL);
}

static void emit_relu6(ox *x, const char *in, const char *out) {
  if (!x->clip_bounds) {
    float *lo = add_init(x, "relu6", ".min", NULL, 0);
    float *hi = lo ? add_init(x, "relu6", ".max", NULL, 0) : NULL;
    if (!hi) return;
    *hi = 6.0f;
    x->clip_bounds = true;
  }
  const char *ins[3] = {in, "relu6.min", "relu6.max"};
  add_node(x, "Clip", ins, 3, out, NULL);
}

static void emit_linear(ox *x, const sw_node *n, const char *in, const char *out) {
  const sw_model *m = x->m;
  int64_t wd[2] = {n->out_features, n->in_features}, bd = n->out_features;
  char prefix[40], wname[48];
  snprintf(prefix, sizeof prefix, "linear%d", x->ntemp);
  float *W = add_init(x, prefix, ".weight", wd, 2);
  if (!W) return;
  memcpy(W, m->params[n->pw].data, (size_t)(wd[0] * wd[1]) * sizeof(float));
  snprintf(wname, sizeof wname, "%s", last_init(x));
  int nin = 2;
  if (n->pb >= 0) {
    float *B = add_init(x, prefix, ".bias", &bd, 1);
    if (!B) return;
    memcpy(B, m->params[n->pb].data, (size_t)bd * sizeof(float));
    nin = 3;
  }
  const char *ins[3] = {in, wname, nin == 3 ? last_init(x) : NULL};
  pb a = {0};
  attr_int(&a, "transB", 1);
  attr_float(&a, "alpha", 1.0f);
  add_node(x, "Gemm", ins, nin, out, &a);
  free(a.b);
}

static void emit_pool(ox *x, const sw_node *n, const char *in, const char *out) {
  char mx[40], av[40], cat[40];
  snprintf(mx, sizeof mx, "pool%d.max", x->ntemp);
  snprintf(av, sizeof av, "pool%d.avg", x->ntemp);
  snprintf(cat, sizeof cat, "pool%d.cat", x->ntemp);
  pb a = {0};
  if (n->op == SW_OP_CONCATPOOL) {
    node1(x, "GlobalMaxPool", in, mx);
    node1(x, "GlobalAveragePool", in, av);
    const char *ins[2] = {mx, av};
    attr_int(&a, "axis", 1);
    add_node(x, "Concat", ins, 2, cat, &a);
  } else {
    node1(x, "GlobalAveragePool", in, cat);
  }
  const char *flat = cat;
  attr_int(&a, "axis", 1);
  add_node(x, "Flatten", &flat, 1, out, &a);
  free(a.b);
}

static void emit_maxpool(ox *x, const sw_node *n, const char *in, const char *out) {
  pb a = {0};
  int64_t k[2] = {n->k, n->k}, s[2] = {n->stride, n->stride};
  int64_t pads[4] = {n->pad, n->pad, n->pad, n->pad};
  attr_ints(&a, "kernel_shape", k, 2);
  attr_ints(&a, "strides", s, 2);
  attr_ints(&a, "pads", pads, 4);
  add_node(x, "MaxPool", &in, 1, out, &a);
  free(a.b);
}

/* Is node i a conv whose only consumer is the BatchNorm right after it? */
static const sw_node *folded_bn(const sw_model *m, int i) {
  const sw_node *n = &m->nodes[i];
  if (n->op != SW_OP_CONV || i + 1 >= m->nnodes) return NULL;
  const sw_node *next = &m->nodes[i + 1];
  if (next->op != SW_OP_BN || next->in0 != n->out || m->values[n->out].nconsumers != 1) return NULL;
  return next;
}

/* Every node, in forward order; the last value is "logits". */
static void walk(ox *x) {
  sw_model *m = x->m;
  snprintf(x->vname[0], sizeof x->vname[0], "input");
  int last = m->nodes[m->nnodes - 1].out;
  for (int i = 0; i < m->nnodes && !x->oom; i++) {
    const sw_node *n = &m->nodes[i];
    const sw_node *bn = folded_bn(m, i);
    int outv = bn ? bn->out : n->out;
    if (outv == last)
      snprintf(x->vname[outv], sizeof x->vname[outv], "logits");
    else
      snprintf(x->vname[outv], sizeof x->vname[outv], "v%d", outv);
    const char *in = x->vname[n->in0], *out = x->vname[outv];
    switch (n->op) {
    case SW_OP_CONV: emit_conv(x, n, bn, in, out); break;
    case SW_OP_BN: emit_bn(x, n, m->values[n->in0].flat, in, out); break;
    case SW_OP_RELU: node1(x, "Relu", in, out); break;
    case SW_OP_RELU6: emit_relu6(x, in, out); break;
    case SW_OP_MAXPOOL: emit_maxpool(x, n, in, out); break;
    case SW_OP_ADD: {
      const char *ins[2] = {in, x->vname[n->in1]};
      add_node(x, "Add", ins, 2, out, NULL);
      break;
    }
    case SW_OP_CONCATPOOL:
    case SW_OP_AVGPOOL: emit_pool(x, n, in, out); break;
    case SW_OP_LINEAR: emit_linear(x, n, in, out); break;
    case SW_OP_DROPOUT: node1(x, "Identity", in, out); break;
    }
    if (bn) i++;
  }
  pb a = {0};
  attr_int(&a, "axis", 1);
  const char *lg = "logits";
  add_node(x, "Softmax", &lg, 1, "probabilities", &a);
  free(a.b);
  if (x->nodes.oom) x->oom = true;
}

/* ValueInfoProto: float32 tensor [N, dims...] with a dynamic batch N. */
static void value_info(pb *g, int field, const char *name, const int64_t *dims, int ndim) {
  pb shape = {0}, dim = {0}, tensor = {0}, type = {0}, vi = {0};
  pb_str(&dim, DIM_PARAM, "N");
  pb_msg(&shape, SHAPE_DIM, &dim);
  for (int i = 0; i < ndim; i++) {
    pb_int(&dim, DIM_VALUE, dims[i]);
    pb_msg(&shape, SHAPE_DIM, &dim);
  }
  pb_int(&tensor, TYPE_TENSOR_ELEM_TYPE, TENSOR_FLOAT);
  pb_msg(&tensor, TYPE_TENSOR_SHAPE, &shape);
  pb_msg(&type, TYPE_TENSOR, &tensor);
  pb_str(&vi, VALUE_INFO_NAME, name);
  pb_msg(&vi, VALUE_INFO_TYPE, &type);
  pb_msg(g, field, &vi);
  if (shape.oom || dim.oom || tensor.oom || type.oom) g->oom = true;
  free(shape.b);
  free(dim.b);
  free(tensor.b);
  free(type.b);
  free(vi.b);
}

/* The TensorProto of an initializer without its raw bytes (they follow it). */
static void init_header(const initializer *t, pb *h) {
  h->n = 0;
  for (int i = 0; i < t->ndim; i++) pb_int(h, TENSOR_DIMS, t->dims[i]);
  pb_int(h, TENSOR_DATA_TYPE, TENSOR_FLOAT);
  pb_str(h, TENSOR_NAME, t->name);
  pb_tag(h, TENSOR_RAW_DATA, PB_LEN);
  pb_varint(h, t->numel * 4);
}

static size_t init_record(const initializer *t, pb *h) {
  init_header(t, h);
  return h->n + t->numel * 4;
}

/* ModelProto fields other than the graph. */
static void model_head(pb *mp, const sw_kv *meta, int nmeta, const char *version) {
  pb sub = {0};
  pb_int(mp, MODEL_IR_VERSION, IR_VERSION);
  pb_str(mp, MODEL_PRODUCER_NAME, "Swell");
  pb_str(mp, MODEL_PRODUCER_VERSION, version ? version : "");
  pb_str(&sub, OPSET_DOMAIN, "");
  pb_int(&sub, OPSET_VERSION, OPSET);
  pb_msg(mp, MODEL_OPSET_IMPORT, &sub);
  for (int i = 0; i < nmeta; i++) {
    pb_str(&sub, KV_KEY, meta[i].key);
    pb_str(&sub, KV_VALUE, meta[i].value);
    pb_msg(mp, MODEL_METADATA_PROPS, &sub);
  }
  free(sub.b);
}

/* Streams the model: head, graph tag and length, graph body, initializers. */
static int write_file(const char *path, ox *x, pb *head, pb *body, char *err, size_t errlen) {
  pb h = {0};
  uint64_t glen = body->n;
  for (int i = 0; i < x->ninits; i++) {
    size_t rec = init_record(&x->inits[i], &h);
    glen += 1 + varint_len(rec) + rec;
  }
  pb_tag(head, MODEL_GRAPH, PB_LEN);
  pb_varint(head, glen);
  if (head->oom || h.oom) {
    free(h.b);
    return sw_werr(err, errlen, path, "out of memory");
  }
  sw_atomic_file f;
  if (sw_atomic_open(&f, path, err, errlen)) {
    free(h.b);
    return -1;
  }
  int rc = sw_atomic_write(&f, head->b, head->n) || sw_atomic_write(&f, body->b, body->n);
  for (int i = 0; i < x->ninits && !rc; i++) {
    const initializer *t = &x->inits[i];
    pb rec = {0};
    size_t len = init_record(t, &h);
    pb_tag(&rec, GRAPH_INITIALIZER, PB_LEN);
    pb_varint(&rec, len);
    rc = rec.oom || h.oom || sw_atomic_write(&f, rec.b, rec.n) || sw_atomic_write(&f, h.b, h.n) ||
         sw_atomic_write(&f, t->data, t->numel * 4);
    free(rec.b);
  }
  free(h.b);
  if (rc) return sw_atomic_abandon(&f, "write failed", err, errlen);
  return sw_atomic_commit(&f, err, errlen);
}

static void ox_free(ox *x) {
  for (int i = 0; i < x->ninits; i++) free(x->inits[i].data);
  free(x->inits);
  free(x->vname);
  free(x->nodes.b);
}

int sw_onnx_write(const char *path, sw_model *m, int size, const sw_kv *meta, int nmeta,
                  const char *producer_version, char *err, size_t errlen) {
  char perr[256];
  if (m->nnodes < 1) return sw_werr(err, errlen, path, "the model has no layers");
  if (sw_model_prepare(m, 1, size, size, perr, sizeof perr) != 0)
    return sw_werr(err, errlen, path, "%s", perr);
  ox x = {.m = m};
  x.vname = calloc((size_t)m->nvalues, sizeof *x.vname);
  if (!x.vname) return sw_werr(err, errlen, path, "out of memory");
  walk(&x);
  pb body = {0}, head = {0};
  pb_str(&body, GRAPH_NAME, sw_arch_name(m->cfg.arch));
  pb_bytes(&body, x.nodes.b, x.nodes.n);
  int64_t in_dims[3] = {3, size, size}, out_dims[1] = {m->num_outputs};
  value_info(&body, GRAPH_INPUT, "input", in_dims, 3);
  value_info(&body, GRAPH_OUTPUT, "logits", out_dims, 1);
  value_info(&body, GRAPH_OUTPUT, "probabilities", out_dims, 1);
  model_head(&head, meta, nmeta, producer_version);
  int rc;
  if (x.oom || body.oom || head.oom)
    rc = sw_werr(err, errlen, path, "out of memory");
  else
    rc = write_file(path, &x, &head, &body, err, errlen);
  free(body.b);
  free(head.b);
  ox_free(&x);
  return rc;
}
