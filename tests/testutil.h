/* testutil.h: small helpers shared by the C tests. A test is an executable
 * whose exit status is 0 when every check passed. */
#pragma once
#include <stdio.h>

#include "tensor.h"
#include "weights.h"

extern int sw_test_failures;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      sw_test_failures++;                                                  \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
    }                                                                      \
  } while (0)

/* Tolerances stated once for every golden comparison (issue 2): relative
 * error, as max|got - want| / max(max|want|, 1e-6), at most 1e-4 on outputs and
 * 1e-3 on gradients. */
#define SW_TOL_OUTPUT 1e-4
#define SW_TOL_GRAD 1e-3

/* Relative error as defined above. */
double sw_test_rel_err(const float *got, const float *want, size_t n);
/* Compares and prints one line "ok|FAIL <what> rel_err=..."; counts failures. */
int sw_test_close(const char *what, const float *got, const float *want, size_t n, double tol);

/* Path inside $SWELL_FIXTURES / $SWELL_SHARED (static buffer per call site is
 * not needed: returns a malloc'd string). */
char *sw_test_fixture_path(const char *name);
char *sw_test_shared_path(const char *name);
/* The whole file (malloc'd, one spare byte); exits the test when it cannot be read. */
unsigned char *sw_test_read_file(const char *path, size_t *len);
/* Reads a safetensors fixture from $SWELL_FIXTURES; exits the test on failure. */
void sw_test_load_fixture(const char *name, sw_state_dict *sd);
/* The tensor `name` of a fixture; exits the test when it is missing. */
const sw_named_tensor *sw_test_tensor(const sw_state_dict *sd, const char *name);

/* Prints "N checks failed" and returns the exit status. */
int sw_test_finish(void);
