/* learner_model.c: sw_net operations over an sw_model; predictions through an
 * inference plan (plan.h). */
#include "learner.h"

#include "plan.h"

static int m_num_params(void *m) { return sw_model_num_params(m); }
static sw_param *m_param(void *m, int i) { return sw_model_param(m, i); }
static int m_num_groups(void *m) { return sw_model_num_groups(m); }
static int m_num_outputs(void *m) { return sw_model_num_outputs(m); }
static int m_prepare(void *m, int batch, int h, int w, char *err, size_t errlen) {
  return sw_model_prepare(m, batch, h, w, err, errlen);
}
static const float *m_forward(void *m, const float *x, int batch, bool train) {
  return sw_model_forward(m, x, batch, train);
}
static void m_backward(void *m, const float *dlogits) { sw_model_backward(m, dlogits); }
static void m_zero_grad(void *m) { sw_model_zero_grad(m); }
static void m_freeze_to(void *m, int n) { sw_model_freeze_to(m, n); }
static size_t m_snapshot_floats(void *m) { return sw_model_snapshot_floats(m); }
static void m_snapshot(void *m, float *dst) { sw_model_snapshot(m, dst); }
static void m_restore(void *m, const float *src) { sw_model_restore(m, src); }

static void *m_infer_new(void *m, int batch, int h, int w, char *err, size_t errlen) {
  return sw_plan_new(m, batch, h, w, err, errlen);
}
static int m_infer_update(void *p, void *m, char *err, size_t errlen) {
  return sw_plan_update(p, m, err, errlen);
}
static const float *m_infer_forward(void *p, const float *x, int batch) {
  return sw_plan_forward(p, x, batch);
}
static void m_infer_free(void *p) { sw_plan_free(p); }

void sw_net_from_model(sw_net *net, sw_model *m) {
  net->impl = m;
  net->num_params = m_num_params;
  net->param = m_param;
  net->num_groups = m_num_groups;
  net->num_outputs = m_num_outputs;
  net->prepare = m_prepare;
  net->forward = m_forward;
  net->backward = m_backward;
  net->zero_grad = m_zero_grad;
  net->freeze_to = m_freeze_to;
  net->snapshot_floats = m_snapshot_floats;
  net->snapshot = m_snapshot;
  net->restore = m_restore;
  net->infer_new = m_infer_new;
  net->infer_update = m_infer_update;
  net->infer_forward = m_infer_forward;
  net->infer_free = m_infer_free;
}
