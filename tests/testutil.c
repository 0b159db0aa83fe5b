#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sw_test_failures = 0;

double sw_test_rel_err(const float *got, const float *want, size_t n) {
  double maxdiff = 0, maxref = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - (double)want[i]);
    if (isnan(got[i]) || isnan(want[i])) d = INFINITY;
    if (d > maxdiff) maxdiff = d;
    if (fabs(want[i]) > maxref) maxref = fabs(want[i]);
  }
  return maxdiff / (maxref > 1e-6 ? maxref : 1e-6);
}

int sw_test_close(const char *what, const float *got, const float *want, size_t n, double tol) {
  double e = sw_test_rel_err(got, want, n);
  int ok = e <= tol;
  printf("%s %s rel_err=%.3g (tol %.0e, %zu values)\n", ok ? "ok  " : "FAIL", what, e, tol, n);
  if (!ok) sw_test_failures++;
  return ok;
}

static char *join_env(const char *var, const char *name) {
  const char *dir = getenv(var);
  if (!dir) {
    fprintf(stderr, "%s is not set (run the tests with meson test)\n", var);
    exit(1);
  }
  size_t len = strlen(dir) + strlen(name) + 2;
  char *p = malloc(len);
  snprintf(p, len, "%s/%s", dir, name);
  return p;
}

char *sw_test_fixture_path(const char *name) { return join_env("SWELL_FIXTURES", name); }
char *sw_test_shared_path(const char *name) { return join_env("SWELL_SHARED", name); }

unsigned char *sw_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)n + 1);
  if (n < 0 || !b || fread(b, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "short read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

void sw_test_load_fixture(const char *name, sw_state_dict *sd) {
  char *path = sw_test_fixture_path(name);
  char err[512];
  sw_state_dict_init(sd);
  if (sw_safetensors_read(path, sd, err, sizeof err) != 0) {
    fprintf(stderr, "cannot load fixture: %s\n", err);
    exit(1);
  }
  free(path);
}

const sw_named_tensor *sw_test_tensor(const sw_state_dict *sd, const char *name) {
  const sw_named_tensor *t = sw_state_dict_find(sd, name);
  if (!t) {
    fprintf(stderr, "fixture has no tensor %s\n", name);
    exit(1);
  }
  return t;
}

int sw_test_finish(void) {
  if (sw_test_failures) {
    printf("%d check(s) failed\n", sw_test_failures);
    return 1;
  }
  printf("all checks passed\n");
  return 0;
}
