/* test_weights.c: state dicts, safetensors and .pth readers.
 *
 * Fixtures come from tests/golden/gen_pth.py; every value in them follows
 * formula() below, so the test recomputes them exactly (tolerance 0: the
 * formula's values are exact in float16, bfloat16, float32 and float64).
 * Bad files are made here, by mutating good ones in memory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_weights_zip.h"
#include "testutil.h"
#include "weights.h"

static float formula(int k, int64_t i) { return (float)((i * 7 + k) % 17 - 8) / 64.0f; }

static char *tmp_path(const char *name) {
  const char *dir = getenv("SWELL_TMP");
  if (!dir) dir = "/tmp";
  mkdir(dir, 0777);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static void write_file(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, len, f) != len) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fclose(f);
}

static int check_formula(const sw_named_tensor *t, int k, const char *what) {
  int64_t n = sw_shape_numel(&t->shape);
  for (int64_t i = 0; i < n; i++) {
    if (t->data[i] != formula(k, i)) {
      CHECK(0, "%s: %s[%lld] = %g, want %g", what, t->name, (long long)i, t->data[i], formula(k, i));
      return 0;
    }
  }
  return 1;
}

/* Expects a failure whose message contains `what` and `reason` (when given). */
static int expect_fail(int rc, const char *err, const char *what, const char *reason, const char *label) {
  if (rc == 0) {
    CHECK(0, "%s: accepted a bad file", label);
    return 0;
  }
  if (what && !strstr(err, what)) {
    CHECK(0, "%s: message does not name the file: %s", label, err);
    return 0;
  }
  if (reason && !strstr(err, reason)) {
    CHECK(0, "%s: message lacks \"%s\": %s", label, reason, err);
    return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------------ */

static void test_state_dict(void) {
  sw_state_dict sd;
  sw_state_dict_init(&sd);
  float v[6] = {1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 100; i++) {
    char name[32];
    snprintf(name, sizeof name, "t%d", i);
    CHECK(sw_state_dict_add(&sd, name, sw_shape2(2, 3), v) == 0, "add %s", name);
  }
  CHECK(sd.count == 100, "count %d", sd.count);
  CHECK(sw_state_dict_add(&sd, "t5", sw_shape1(1), v) != 0, "duplicate name accepted");
  CHECK(sw_state_dict_add(&sd, "neg", sw_shape1(-1), v) != 0, "negative dim accepted");
  sw_shape big = sw_shape4(INT64_MAX / 2, 4, 1, 1);
  CHECK(sw_state_dict_add(&sd, "big", big, NULL) != 0, "overflowing shape accepted");
  v[0] = 42; /* data was copied */
  const sw_named_tensor *t = sw_state_dict_find(&sd, "t99");
  CHECK(t && t->data[0] == 1 && t->data[5] == 6 && t->shape.dims[1] == 3, "find t99");
  CHECK(sw_state_dict_find(&sd, "nope") == NULL, "find missing");
  CHECK(sw_state_dict_add(&sd, "zeros", sw_shape1(3), NULL) == 0, "add zeros");
  t = sw_state_dict_find(&sd, "zeros");
  CHECK(t && t->data[0] == 0 && t->data[2] == 0, "zeros");
  CHECK(sw_state_dict_set_meta(&sd, "b", "1") == 0, "meta");
  CHECK(sw_state_dict_set_meta(&sd, "a", "2") == 0, "meta");
  CHECK(sw_state_dict_set_meta(&sd, "b", "3") == 0, "meta replace");
  CHECK(sd.metadata_count == 2 && strcmp(sd.metadata[0].key, "b") == 0, "meta order");
  CHECK(strcmp(sw_state_dict_get_meta(&sd, "b"), "3") == 0, "meta value");
  CHECK(sw_state_dict_get_meta(&sd, "c") == NULL, "meta missing");
  sw_state_dict_free(&sd);
  CHECK(sd.count == 0 && sd.tensors == NULL, "freed");

  /* Borrowed: data pointers are kept, not copied or freed. */
  sw_state_dict b;
  sw_state_dict_init(&b);
  b.borrowed = true;
  CHECK(sw_state_dict_add(&b, "x", sw_shape1(6), v) == 0, "borrowed add");
  CHECK(b.tensors[0].data == v, "borrowed pointer kept");
  sw_state_dict_free(&b);
  printf("ok   state dict basics\n");
}

/* A state dict with awkward names, a 0-d tensor, an empty tensor and metadata. */
static void make_sample(sw_state_dict *sd) {
  sw_state_dict_init(sd);
  float a[24], s = 3.25f;
  for (int i = 0; i < 24; i++) a[i] = formula(5, i);
  sw_state_dict_add(sd, "layer1.0.conv1.weight", sw_shape4(2, 3, 2, 2), a);
  sw_state_dict_add(sd, "name \"with\" \\ quotes\t\x01 and \xc3\xa9", sw_shape2(4, 6), a);
  sw_state_dict_add(sd, "scalar", (sw_shape){0, {0}}, &s);
  sw_state_dict_add(sd, "empty", sw_shape2(0, 5), NULL);
  sw_state_dict_add(sd, "odd", sw_shape1(3), a + 1); /* 12 bytes: later data is not 8-aligned */
  sw_state_dict_add(sd, "after_odd", sw_shape1(5), a + 2);
  sw_state_dict_set_meta(sd, "mean", "0.5,0.5,0.5");
  sw_state_dict_set_meta(sd, "padding", "same");
  sw_state_dict_set_meta(sd, "k\"\\\n", "v\xe2\x82\xac");
}

static void compare_sd(const sw_state_dict *a, const sw_state_dict *b, const char *label) {
  CHECK(a->count == b->count, "%s: count %d vs %d", label, a->count, b->count);
  for (int i = 0; i < a->count && i < b->count; i++) {
    const sw_named_tensor *x = &a->tensors[i], *y = &b->tensors[i];
    CHECK(strcmp(x->name, y->name) == 0, "%s: name %d: %s vs %s", label, i, x->name, y->name);
    CHECK(sw_shape_equal(&x->shape, &y->shape), "%s: shape of %s", label, x->name);
    int64_t n = sw_shape_numel(&x->shape);
    CHECK(n == 0 || memcmp(x->data, y->data, (size_t)n * 4) == 0, "%s: data of %s", label, x->name);
  }
  CHECK(a->metadata_count == b->metadata_count, "%s: metadata count", label);
  for (int i = 0; i < a->metadata_count && i < b->metadata_count; i++) {
    CHECK(strcmp(a->metadata[i].key, b->metadata[i].key) == 0, "%s: meta key %d", label, i);
    CHECK(strcmp(a->metadata[i].value, b->metadata[i].value) == 0, "%s: meta value %d", label, i);
  }
}

static void test_st_roundtrip(void) {
  sw_state_dict sd, back;
  char err[512];
  make_sample(&sd);
  void *buf;
  size_t len;
  CHECK(sw_safetensors_write_mem(&sd, &buf, &len, err, sizeof err) == 0, "write_mem: %s", err);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = (hl << 8) | ((unsigned char *)buf)[i];
  CHECK((8 + hl) % 8 == 0, "data area aligned to 8");
  CHECK(sw_safetensors_read_mem(buf, len, "roundtrip", &back, err, sizeof err) == 0, "read_mem: %s", err);
  compare_sd(&sd, &back, "memory roundtrip");
  sw_state_dict_free(&back);

  /* Unaligned buffer: the reader must copy, not cast. */
  unsigned char *un = malloc(len + 1);
  memcpy(un + 1, buf, len);
  CHECK(sw_safetensors_read_mem(un + 1, len, "unaligned", &back, err, sizeof err) == 0, "unaligned: %s", err);
  compare_sd(&sd, &back, "unaligned roundtrip");
  sw_state_dict_free(&back);
  free(un);

  char *path = tmp_path("weights_roundtrip.safetensors");
  unlink(path);
  CHECK(sw_safetensors_write(path, &sd, err, sizeof err) == 0, "write: %s", err);
  size_t flen;
  unsigned char *fb = sw_test_read_file(path, &flen);
  CHECK(flen == len && memcmp(fb, buf, len) == 0, "file and memory writers agree");
  free(fb);
  CHECK(sw_safetensors_read(path, &back, err, sizeof err) == 0, "read: %s", err);
  compare_sd(&sd, &back, "file roundtrip");
  sw_state_dict_free(&back);
  CHECK(sw_weights_read(path, &back, err, sizeof err) == 0, "weights_read: %s", err);
  compare_sd(&sd, &back, "weights_read roundtrip");
  sw_state_dict_free(&back);

  /* Overwrite in place (atomic replace) and check no temporary file is left. */
  sw_state_dict_set_meta(&sd, "padding", "valid");
  CHECK(sw_safetensors_write(path, &sd, err, sizeof err) == 0, "rewrite: %s", err);
  CHECK(sw_safetensors_read(path, &back, err, sizeof err) == 0, "reread: %s", err);
  CHECK(back.metadata_count == 3 && strcmp(sw_state_dict_get_meta(&back, "padding"), "valid") == 0,
        "rewritten metadata");
  sw_state_dict_free(&back);
  {
    const char *dir = getenv("SWELL_TMP") ? getenv("SWELL_TMP") : "/tmp";
    DIR *d = opendir(dir);
    int leftovers = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
      if (strncmp(de->d_name, "weights_roundtrip.safetensors.tmp", 33) == 0) leftovers++;
    if (d) closedir(d);
    CHECK(leftovers == 0, "%d temporary files left", leftovers);
  }
  /* Writing into a missing directory fails cleanly. */
  CHECK(sw_safetensors_write("/nonexistent-dir/x.safetensors", &sd, err, sizeof err) != 0 &&
            strstr(err, "/nonexistent-dir/x.safetensors"),
        "write to missing dir: %s", err);
  /* Names the format cannot hold. */
  sw_state_dict bad;
  sw_state_dict_init(&bad);
  sw_state_dict_add(&bad, "__metadata__", sw_shape1(1), NULL);
  void *bb;
  size_t bl;
  CHECK(sw_safetensors_write_mem(&bad, &bb, &bl, err, sizeof err) != 0, "__metadata__ tensor written");
  sw_state_dict_free(&bad);
  sw_state_dict_init(&bad);
  sw_state_dict_add(&bad, "bad\xff utf8", sw_shape1(1), NULL);
  CHECK(sw_safetensors_write_mem(&bad, &bb, &bl, err, sizeof err) != 0, "invalid UTF-8 name written");
  sw_state_dict_free(&bad);
  /* Empty state dict. */
  sw_state_dict_init(&bad);
  CHECK(sw_safetensors_write_mem(&bad, &bb, &bl, err, sizeof err) == 0, "empty write: %s", err);
  CHECK(sw_safetensors_read_mem(bb, bl, "empty", &back, err, sizeof err) == 0 && back.count == 0,
        "empty read: %s", err);
  free(bb);
  sw_state_dict_free(&back);

  free(path);
  free(buf);
  sw_state_dict_free(&sd);
  printf("ok   safetensors roundtrip\n");
}

static void test_st_fixtures(void) {
  sw_state_dict sd;
  char err[512];
  char *path = sw_test_fixture_path("weights_small.safetensors");
  CHECK(sw_safetensors_read(path, &sd, err, sizeof err) == 0, "%s", err);
  const char *names[] = {"conv.weight", "bn.weight", "bn.running_var", "fc.weight", "scalar", "empty"};
  CHECK(sd.count == 6, "count %d (num_batches_tracked must be skipped)", sd.count);
  for (int i = 0; i < sd.count && i < 6; i++)
    CHECK(strcmp(sd.tensors[i].name, names[i]) == 0, "order: %s vs %s", sd.tensors[i].name, names[i]);
  CHECK(sw_state_dict_find(&sd, "bn.num_batches_tracked") == NULL, "I64 tensor skipped");
  const sw_named_tensor *t = sw_test_tensor(&sd, "conv.weight");
  sw_shape cs = sw_shape4(4, 3, 3, 3);
  CHECK(sw_shape_equal(&t->shape, &cs), "conv shape");
  check_formula(t, 0, "small");
  check_formula(sw_test_tensor(&sd, "bn.weight"), 1, "small");
  check_formula(sw_test_tensor(&sd, "bn.running_var"), 2, "small");
  t = sw_test_tensor(&sd, "fc.weight");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 10 && t->shape.dims[1] == 4, "fc shape");
  check_formula(t, 3, "small");
  t = sw_test_tensor(&sd, "scalar");
  CHECK(t->data[0] == 2.5f, "scalar");
  t = sw_test_tensor(&sd, "empty");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 0 && t->shape.dims[1] == 3, "empty shape");
  const char *mk[] = {"format", "arch", "zeta", "alpha"};
  const char *mv[] = {"pt", "tiny", "last", "\xc3\xa9t\xc3\xa9 \"quoted\"\n"};
  CHECK(sd.metadata_count == 4, "metadata count %d", sd.metadata_count);
  for (int i = 0; i < 4 && i < sd.metadata_count; i++) {
    CHECK(strcmp(sd.metadata[i].key, mk[i]) == 0, "meta key order %s", sd.metadata[i].key);
    CHECK(strcmp(sd.metadata[i].value, mv[i]) == 0, "meta value %s", sd.metadata[i].value);
  }
  sw_state_dict_free(&sd);
  free(path);

  path = sw_test_fixture_path("weights_dtypes.safetensors");
  CHECK(sw_weights_read(path, &sd, err, sizeof err) == 0, "%s", err);
  const char *dn[] = {"a.f16", "b.bf16", "c.f64", "d.f32"};
  CHECK(sd.count == 4, "dtypes count %d", sd.count);
  for (int k = 0; k < 4 && k < sd.count; k++) {
    t = sw_test_tensor(&sd, dn[k]);
    check_formula(t, k, "dtypes");
  }
  t = sw_test_tensor(&sd, "a.f16");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 2 && t->shape.dims[1] == 3, "f16 shape");
  sw_state_dict_free(&sd);
  free(path);
  printf("ok   safetensors fixtures (F32, F16, BF16, F64, I64 skipped, metadata)\n");
}

/* Builds a safetensors buffer from a header string and a data area. */
static unsigned char *st_make(const char *header, size_t data_len, size_t *len) {
  size_t hl = strlen(header);
  *len = 8 + hl + data_len;
  unsigned char *b = calloc(1, *len);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
  memcpy(b + 8, header, hl);
  for (size_t i = 0; i < data_len; i++) b[8 + hl + i] = (unsigned char)i;
  return b;
}

static void st_expect_bad(const char *header, size_t data_len, const char *reason, const char *label) {
  size_t len;
  unsigned char *b = st_make(header, data_len, &len);
  sw_state_dict sd;
  char err[512] = "";
  int rc = sw_safetensors_read_mem(b, len, "bad.safetensors", &sd, err, sizeof err);
  if (expect_fail(rc, err, "bad.safetensors", reason, label)) printf("ok   rejects %s: %s\n", label, err);
  if (rc == 0) sw_state_dict_free(&sd);
  free(b);
}

/* One bad header per row: st_expect_bad(header, data_len, reason, label). */
static const struct {
  const char *header;
  size_t data_len;
  const char *reason, *label;
} st_bad_headers[] = {
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "belong to no tensor",
     "trailing bytes"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "belong to no tensor",
     "hole at start"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlap", "overlapping tensors"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
     8, "overlap", "aliased tensors"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", 8, "outside the data area",
     "offsets out of bounds"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin after end",
     "begin > end"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "do not match",
     "size mismatch"},
    {"{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "do not match",
     "wrong dtype size"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
     "too large", "overflowing shape"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2],\"data_offsets\":[0,8]}}", 8,
     "too large", "overflowing shape 2"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
     "non-negative integer", "huge dim"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integer",
     "negative dim"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "non-negative integer",
     "fractional dim"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, "dimensions",
     "5-d float tensor"},
    {"{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype",
     "unknown dtype"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "data_offsets", "one offset"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets", "missing offsets"},
    {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype", "missing dtype"},
    {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "shape", "missing shape"},
    {"{\"a\":[1,2]}", 0, "not an object", "tensor entry not an object"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
     8, "duplicate key", "duplicate names"},
    {"{\"__metadata__\":{\"a\":1}}", 0, "not a string", "metadata non-string"},
    {"{\"__metadata__\":[]}", 0, "not an object", "metadata array"},
    {"{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "NUL",
     "NUL in name"},
    {"[1,2,3]", 0, "not start with '{'", "array header"},
    {"{\"a\":tru}", 0, "invalid JSON", "JSON garbage 1"},
    {"{\"a\":1,}", 0, "invalid JSON", "trailing comma"},
    {"{\"a\":\"\\ud800\"}", 0, "surrogate", "lone surrogate"},
    {"{\"a\":\"\xc0\xaf\"}", 0, "UTF-8", "overlong UTF-8"},
    {"{\"a\":\"x\ny\"}", 0, "control character", "raw newline in string"},
    {"{\"a\":01}", 0, "invalid JSON", "leading zero"},
    {"{} {}", 0, "trailing", "two values"},
    {"{\"a\":{}} \x01", 0, "invalid JSON", "garbage padding"},
};

/* A good one first, so the helpers are known to work. */
static void test_st_good_handmade(void) {
  char err[512];
  sw_state_dict sd;
  size_t len;
  unsigned char *b = st_make("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &len);
  CHECK(sw_safetensors_read_mem(b, len, "good", &sd, err, sizeof err) == 0, "good: %s", err);
  sw_state_dict_free(&sd);
  free(b);
}

static void test_st_bad_headers(void) {
  for (size_t i = 0; i < sizeof st_bad_headers / sizeof *st_bad_headers; i++)
    st_expect_bad(st_bad_headers[i].header, st_bad_headers[i].data_len, st_bad_headers[i].reason,
                  st_bad_headers[i].label);
}

/* JSON too deep or too large: refused with bounded work and memory. */
static void test_st_json_bounds(void) {
  {
    /* Deep nesting must be refused, not recursed into. */
    char deep[4000];
    size_t o = 0;
    deep[o++] = '{';
    memcpy(deep + o, "\"x\":", 4);
    o += 4;
    for (int i = 0; i < 1500; i++) deep[o++] = '[';
    for (int i = 0; i < 1500; i++) deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = 0;
    st_expect_bad(deep, 0, "nesting", "deep nesting");
  }
  {
    /* Too many JSON values: bounded memory, clear message. */
    size_t n = 1100000;
    char *h = malloc(2 * n + 16);
    size_t o = 0;
    memcpy(h, "{\"a\":[", 6);
    o = 6;
    for (size_t i = 0; i < n; i++) {
      h[o++] = '0';
      h[o++] = ',';
    }
    h[o - 1] = ']';
    h[o++] = '}';
    h[o] = 0;
    st_expect_bad(h, 0, "more than 1048576 values", "a million JSON values");
    free(h);
  }
}

/* Header length larger than the file, and absurd; files too short; missing files. */
static void test_st_bad_lengths(void) {
  char err[512];
  sw_state_dict sd;
  size_t len;
  unsigned char *b = st_make("{}", 0, &len);
  b[0] = 200;
  int rc = sw_safetensors_read_mem(b, len, "long.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "long.safetensors", "larger than the file", "header length > file");
  memset(b, 0xff, 8);
  rc = sw_safetensors_read_mem(b, len, "huge.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "huge.safetensors", "larger than the file", "header length 2^64-1");
  free(b);
  rc = sw_safetensors_read_mem("abc", 3, "tiny.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "tiny.safetensors", "too short", "3-byte file");
  rc = sw_safetensors_read_mem(NULL, 0, "zero.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "zero.safetensors", "too short", "empty file");
  /* Missing file: names it. */
  rc = sw_safetensors_read("/nonexistent/w.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "/nonexistent/w.safetensors", "cannot open", "missing file");
  rc = sw_weights_read("/nonexistent/w.pth", &sd, err, sizeof err);
  expect_fail(rc, err, "/nonexistent/w.pth", "cannot open", "missing file (weights_read)");
}

/* The example message from the issue, word for word. */
static void test_st_example_message(void) {
  st_expect_bad("{\"layer1.0.conv1.weight\":{\"dtype\":\"F32\",\"shape\":[64,64,3,3],\"data_offsets\":[0,100]}}",
                100, "tensor layer1.0.conv1.weight: data_offsets [0, 100] do not match F32 shape [64, 64, 3, 3] (147456 bytes)",
                "example message");
}

/* Every prefix of a valid file must be rejected with a message (the reader
 * reads from files: also go through the file path for a few lengths). */
static void test_truncations(const char *fixture, int (*reader)(const char *, sw_state_dict *, char *, size_t),
                             int (*mem_reader)(const void *, size_t, const char *, sw_state_dict *, char *, size_t)) {
  char *path = sw_test_fixture_path(fixture);
  size_t len;
  unsigned char *b = sw_test_read_file(path, &len);
  char err[512];
  sw_state_dict sd;
  int accepted = 0, unnamed = 0;
  char *tp = tmp_path("weights_trunc.bin");
  for (size_t n = 0; n < len; n++) {
    int rc;
    if (mem_reader) {
      rc = mem_reader(b, n, "trunc.bin", &sd, err, sizeof err);
    } else {
      write_file(tp, b, n);
      rc = reader(tp, &sd, err, sizeof err);
    }
    if (rc == 0) {
      accepted++;
      sw_state_dict_free(&sd);
    } else if (!strstr(err, mem_reader ? "trunc.bin" : tp)) {
      unnamed++;
    }
  }
  CHECK(accepted == 0, "%s: %d truncated prefixes accepted", fixture, accepted);
  CHECK(unnamed == 0, "%s: %d messages without the file name", fixture, unnamed);
  printf("ok   %s: all %zu truncated prefixes rejected with a message\n", fixture, len);
  unlink(tp);
  free(tp);
  free(b);
  free(path);
}

/* ------------------------------------------------------------------------
 * .pth */

static void test_resnet18_pth(void) {
  char *path = sw_test_fixture_path("resnet18_formula.pth");
  char *mpath = sw_test_fixture_path("resnet18_formula.manifest");
  sw_state_dict sd;
  char err[512];
  if (sw_pth_read(path, &sd, err, sizeof err) != 0) {
    CHECK(0, "resnet18_formula.pth: %s", err);
    free(path);
    free(mpath);
    return;
  }
  FILE *f = fopen(mpath, "r");
  CHECK(f != NULL, "cannot open %s", mpath);
  char line[512];
  int k = 0, floats = 0, ints = 0, bad_values = 0;
  int64_t values = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    char *name = strtok(line, " \n"), *dtype = strtok(NULL, " \n"), *dims = strtok(NULL, " \n");
    if (!name || !dtype) continue;
    if (strcmp(dtype, "int64") == 0) {
      CHECK(strstr(name, "num_batches_tracked") != NULL, "unexpected int64 %s", name);
      CHECK(sw_state_dict_find(&sd, name) == NULL, "%s must be skipped", name);
      ints++;
      k++;
      continue;
    }
    CHECK(strcmp(dtype, "float32") == 0, "dtype %s", dtype);
    sw_shape want = {0};
    for (char *d = dims ? strtok(dims, ",") : NULL; d; d = strtok(NULL, ",")) want.dims[want.ndim++] = atoll(d);
    if (floats < sd.count) {
      const sw_named_tensor *t = &sd.tensors[floats];
      char a[64], b[64];
      CHECK(strcmp(t->name, name) == 0, "tensor %d is %s, want %s", floats, t->name, name);
      CHECK(sw_shape_equal(&t->shape, &want), "%s: shape %s, want %s", name, sw_shape_str(&t->shape, a, 64),
            sw_shape_str(&want, b, 64));
      if (!check_formula(t, k, "resnet18")) bad_values++;
      values += sw_shape_numel(&t->shape);
    }
    floats++;
    k++;
  }
  if (f) fclose(f);
  CHECK(floats == 102 && ints == 20, "manifest: %d float, %d int entries", floats, ints);
  CHECK(sd.count == floats, "read %d tensors, manifest has %d float entries", sd.count, floats);
  /* The structure itself, independent of the manifest. */
  const sw_named_tensor *t = sw_state_dict_find(&sd, "conv1.weight");
  CHECK(t && t->shape.ndim == 4 && t->shape.dims[0] == 64 && t->shape.dims[1] == 3 && t->shape.dims[2] == 7,
        "conv1.weight");
  t = sw_state_dict_find(&sd, "fc.weight");
  CHECK(t && t->shape.ndim == 2 && t->shape.dims[0] == 1000 && t->shape.dims[1] == 512, "fc.weight");
  t = sw_state_dict_find(&sd, "layer4.1.bn2.running_var");
  CHECK(t && t->shape.ndim == 1 && t->shape.dims[0] == 512, "layer4.1.bn2.running_var");
  CHECK(values == 11689512 + 9600, "value count %lld", (long long)values);
  printf("%s resnet18_formula.pth: %d tensors, %lld values equal to the formula, %d num_batches_tracked skipped\n",
         bad_values ? "FAIL" : "ok  ", sd.count, (long long)values, ints);
  /* The same file through sw_weights_read and from memory. */
  sw_state_dict w;
  CHECK(sw_weights_read(path, &w, err, sizeof err) == 0, "weights_read: %s", err);
  compare_sd(&sd, &w, "weights_read(.pth)");
  sw_state_dict_free(&w);
  size_t len;
  unsigned char *buf = sw_test_read_file(path, &len);
  CHECK(sw_weights_read_mem(buf, len, "resnet18 buffer", &w, err, sizeof err) == 0, "read_mem: %s", err);
  compare_sd(&sd, &w, "pth from memory");
  sw_state_dict_free(&w);
  free(buf);
  /* And converted to safetensors and back. */
  void *st;
  size_t stlen;
  CHECK(sw_safetensors_write_mem(&sd, &st, &stlen, err, sizeof err) == 0, "%s", err);
  CHECK(sw_safetensors_read_mem(st, stlen, "converted", &w, err, sizeof err) == 0, "%s", err);
  compare_sd(&sd, &w, "pth -> safetensors");
  sw_state_dict_free(&w);
  free(st);
  sw_state_dict_free(&sd);
  free(path);
  free(mpath);
}

static void test_small_pth(const char *fixture) {
  char *path = sw_test_fixture_path(fixture);
  sw_state_dict sd;
  char err[512];
  if (sw_pth_read(path, &sd, err, sizeof err) != 0) {
    CHECK(0, "%s: %s", fixture, err);
    free(path);
    return;
  }
  const char *order[] = {"f32", "f16", "f64", "bf16", "scalar", "view", "shared_a", "shared_b", "param", "unit_t", "empty"};
  CHECK(sd.count == 11, "count %d", sd.count);
  for (int i = 0; i < 11 && i < sd.count; i++) CHECK(strcmp(sd.tensors[i].name, order[i]) == 0, "order %d: %s", i, sd.tensors[i].name);
  const sw_named_tensor *t = sw_test_tensor(&sd, "f32");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 3 && t->shape.dims[1] == 4, "f32 shape");
  check_formula(t, 0, "f32");
  t = sw_test_tensor(&sd, "f16");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 2 && t->shape.dims[1] == 3, "f16 shape");
  check_formula(t, 1, "f16 (HalfStorage)");
  check_formula(sw_test_tensor(&sd, "f64"), 2, "f64 (DoubleStorage)");
  check_formula(sw_test_tensor(&sd, "bf16"), 3, "bf16 (BFloat16Storage)");
  CHECK(sw_state_dict_find(&sd, "i64") == NULL, "LongStorage tensor skipped");
  t = sw_test_tensor(&sd, "scalar");
  CHECK(t->shape.ndim == 0 && t->data[0] == 1.5f, "0-d tensor");
  t = sw_test_tensor(&sd, "view");
  CHECK(t->shape.ndim == 1 && t->shape.dims[0] == 10, "view shape");
  for (int i = 0; i < 10; i++) CHECK(t->data[i] == formula(4, i + 5), "view[%d] (storage offset 5)", i);
  t = sw_test_tensor(&sd, "shared_a");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 2 && t->shape.dims[1] == 5, "shared_a shape");
  check_formula(t, 4, "shared_a");
  t = sw_test_tensor(&sd, "shared_b");
  for (int i = 0; i < 10; i++) CHECK(t->data[i] == formula(4, i + 10), "shared_b[%d] (offset 10)", i);
  check_formula(sw_test_tensor(&sd, "param"), 5, "Parameter");
  t = sw_test_tensor(&sd, "unit_t");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 1 && t->shape.dims[1] == 3, "unit_t shape");
  check_formula(t, 6, "unit_t (size-1 dim with any stride)");
  t = sw_test_tensor(&sd, "empty");
  CHECK(t->shape.ndim == 2 && t->shape.dims[0] == 0 && t->shape.dims[1] == 3, "empty shape");
  sw_state_dict_free(&sd);
  free(path);
  printf("ok   %s: float/half/double/bfloat16 storages, offsets, shared storage, Parameter, 0-d, empty\n", fixture);
}

static void test_noncontig_pth(void) {
  sw_state_dict sd;
  char err[512];
  char *path = sw_test_fixture_path("pth_noncontig.pth");
  int rc = sw_pth_read(path, &sd, err, sizeof err);
  if (expect_fail(rc, err, "pth_noncontig.pth", "tensor t is not contiguous (size [3, 2], stride [1, 3])", "non-contiguous"))
    printf("ok   rejects non-contiguous tensor: %s\n", err);
  free(path);
}

/* --- hand-made zips and pickles --- */

/* Pickle snippets. */
static void pk_str(bytes *o, const char *s) {
  put1(o, 'X');
  put4(o, (uint32_t)strlen(s));
  puts_(o, s);
}
static void pk_global(bytes *o, const char *mod, const char *name) {
  put1(o, 'c');
  puts_(o, mod);
  put1(o, '\n');
  puts_(o, name);
  put1(o, '\n');
}
/* _rebuild_tensor_v2(('storage', torch.<st>, key, 'cpu', numel), offset, (dims), (strides), False, {}) */
static void pk_tensor(bytes *o, const char *st, const char *key, int numel, int offset, int ndim, const int *dims) {
  pk_global(o, "torch._utils", "_rebuild_tensor_v2");
  put1(o, '(');
  put1(o, '(');
  pk_str(o, "storage");
  pk_global(o, "torch", st);
  pk_str(o, key);
  pk_str(o, "cpu");
  put1(o, 'J');
  put4(o, (uint32_t)numel);
  put1(o, 't');
  put1(o, 'Q');
  put1(o, 'J');
  put4(o, (uint32_t)offset);
  put1(o, '(');
  for (int d = 0; d < ndim; d++) {
    put1(o, 'J');
    put4(o, (uint32_t)dims[d]);
  }
  put1(o, 't');
  put1(o, '(');
  int stride = 1;
  int strides[8];
  for (int d = ndim - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= dims[d];
  }
  for (int d = 0; d < ndim; d++) {
    put1(o, 'J');
    put4(o, (uint32_t)strides[d]);
  }
  put1(o, 't');
  put1(o, 0x89);
  put1(o, '}');
  put1(o, 't');
  put1(o, 'R');
}
static void pk_begin(bytes *o) {
  put1(o, 0x80);
  put1(o, 2);
  pk_global(o, "collections", "OrderedDict");
  put1(o, ')');
  put1(o, 'R');
  put1(o, '(');
}
static void pk_end(bytes *o) {
  put1(o, 'u');
  put1(o, '.');
}

static float six[6] = {0.5f, -1, 2, 3.25f, -4, 5};

/* Zips a pickle with one storage "0" of six floats (unless storage is given). */
static bytes make_pth(const bytes *pkl, const void *storage, size_t slen, bool zip64) {
  zin e[3] = {{"arch/data.pkl", pkl->b, pkl->n, 0, 0x0808},
              {"arch/data/0", storage ? storage : six, storage ? slen : sizeof six, 0, 0x0808},
              {"arch/version", "3\n", 2, 0, 0x0808}};
  return zip_build(e, 3, zip64);
}

static int try_pth(const bytes *file, char *err, size_t errlen, sw_state_dict *sd) {
  return sw_pth_read_mem(file->b, file->n, "bad.pth", sd, err, errlen);
}

static void pth_expect_bad_pickle(const bytes *pkl, const char *reason, const char *label) {
  bytes f = make_pth(pkl, NULL, 0, false);
  sw_state_dict sd;
  char err[512] = "";
  int rc = try_pth(&f, err, sizeof err, &sd);
  if (expect_fail(rc, err, "bad.pth", reason, label)) printf("ok   rejects %s: %s\n", label, err);
  if (rc == 0) sw_state_dict_free(&sd);
  free(f.b);
}

static void pth_expect_bad_zip(const bytes *f, const char *reason, const char *label) {
  sw_state_dict sd;
  char err[512] = "";
  int rc = try_pth(f, err, sizeof err, &sd);
  if (expect_fail(rc, err, "bad.pth", reason, label)) printf("ok   rejects %s: %s\n", label, err);
  if (rc == 0) sw_state_dict_free(&sd);
}

/* PROTO: the header of every pickle below. */
static void pk_proto(bytes *o, int version) {
  put1(o, 0x80);
  put1(o, version);
}

/* The pickle of a good state dict: {"w": a 2x3 tensor of FloatStorage "0"}. */
static bytes good_pickle(void) {
  int dims[2] = {2, 3};
  bytes good = {0};
  pk_begin(&good);
  pk_str(&good, "w");
  pk_tensor(&good, "FloatStorage", "0", 6, 0, 2, dims);
  pk_end(&good);
  return good;
}

/* Good, plain and zip64: the builders are right. */
static void test_pth_handmade_good(void) {
  char err[512];
  sw_state_dict sd;
  bytes good = good_pickle();
  for (int z64 = 0; z64 < 2; z64++) {
    bytes f = make_pth(&good, NULL, 0, z64);
    int rc = try_pth(&f, err, sizeof err, &sd);
    CHECK(rc == 0, "hand-made %s: %s", z64 ? "zip64" : "zip", err);
    if (rc == 0) {
      CHECK(sd.count == 1 && sd.tensors[0].shape.dims[1] == 3 && memcmp(sd.tensors[0].data, six, sizeof six) == 0,
            "hand-made values");
      sw_state_dict_free(&sd);
      printf("ok   hand-made %s .pth read\n", z64 ? "zip64" : "plain zip");
    }
    free(f.b);
  }
  free(good.b);
}

/* Hostile globals: must be refused before anything could run. */
static void test_pth_hostile_globals(void) {
  const char *marker = "/tmp/swell-weights-test-pwned";
  unlink(marker);
  bytes p = {0};
  pk_proto(&p, 2);
  pk_global(&p, "os", "system");
  pk_str(&p, "touch /tmp/swell-weights-test-pwned");
  put1(&p, 0x85);
  put1(&p, 'R');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "global os.system is not allowed", "GLOBAL os.system");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 2);
  pk_global(&p, "builtins", "eval");
  pk_str(&p, "__import__('os').system('touch /tmp/swell-weights-test-pwned')");
  put1(&p, 0x85);
  put1(&p, 'R');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "global builtins.eval is not allowed", "GLOBAL builtins.eval");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 4);
  pk_str(&p, "posix");
  pk_str(&p, "system");
  put1(&p, 0x93);
  pk_str(&p, "true");
  put1(&p, 0x85);
  put1(&p, 'R');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "global posix.system is not allowed", "STACK_GLOBAL posix.system");
  free(p.b);
  CHECK(access(marker, F_OK) != 0, "a hostile pickle ran a command");
}

/* REDUCE on things that are not whitelisted callables, and opcodes the reader
 * does not run. */
static void test_pth_bad_calls_and_opcodes(void) {
  bytes p = {0};
  pk_proto(&p, 2);
  pk_str(&p, "not callable");
  put1(&p, ')');
  put1(&p, 'R');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "REDUCE on a str", "REDUCE on a string");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 2);
  pk_global(&p, "torch", "FloatStorage");
  put1(&p, ')');
  put1(&p, 'R');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "calling torch.FloatStorage is not allowed", "REDUCE on a storage class");
  free(p.b);
  const char *other_ops[][2] = {{"\x80\x02(cos\nsystem\nX\x01\x00\x00\x00xi", "is not allowed"},
                                {"\x80\x02(o.", "'o' (0x6f)"},
                                {"\x80\x02)\x81.", "0x81"},
                                {"\x80\x02S'x'\n.", "'S'"},
                                {"\x80\x02P1\n.", "'P'"}};
  const char *labels[] = {"INST os.system", "OBJ", "NEWOBJ", "STRING", "PERSID"};
  for (int i = 0; i < 5; i++) {
    p = (bytes){0};
    puts_(&p, other_ops[i][0]);
    if (i == 0) put(&p, "\x00", 0);
    pth_expect_bad_pickle(&p, other_ops[i][1], labels[i]);
    free(p.b);
  }
}

/* Bounds in the machine: nesting. */
static void test_pth_nesting(void) {
  bytes p = {0};
  pk_proto(&p, 2);
  for (int i = 0; i < 100000; i++) put1(&p, '(');
  pth_expect_bad_pickle(&p, "nesting deeper", "100000 nested marks");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 2);
  for (int i = 0; i < 100000; i++) put1(&p, ']');
  for (int i = 0; i < 99999; i++) put1(&p, 'a');
  put1(&p, '.');
  /* 100000 lists nested by APPEND: accepted by the machine, but not a state dict;
   * nothing recurses over it. */
  pth_expect_bad_pickle(&p, "does not hold a state dict (got list)", "100000 nested lists");
  free(p.b);
}

/* Bounds in the machine: the stack and the object count. */
static void test_pth_stack_bounds(void) {
  bytes p = {0};
  pk_proto(&p, 2);
  put1(&p, 'N');
  for (int i = 0; i < (1 << 20) + 1; i++) put1(&p, '2'); /* DUP: no new objects */
  pth_expect_bad_pickle(&p, "stack deeper", "stack overflow");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 2);
  for (int i = 0; i < (1 << 20) + 10; i++) {
    put1(&p, ')');
    put1(&p, '0');
  }
  pth_expect_bad_pickle(&p, "more than 1048576 objects", "a million objects");
  free(p.b);
}

/* A pickle's bytes as a string literal: its text and length (NULs included). */
#define PICKLE(s) s, sizeof s - 1

/* Short pickles at the bounds of the machine (memo, stack, length, STOP). */
static const struct {
  const char *bytes;
  size_t len;
  const char *reason, *label;
} pth_short_pickles[] = {
    {PICKLE("\x80\x02]q\x00h\x00" "a."), "(got list)", "self-containing list"},
    {PICKLE("\x80\x02h\x05."), "memo index 5 out of range", "BINGET unset memo"},
    {PICKLE("\x80\x02Nr\xff\xff\xff\xff."), "memo index 4294967295 out of range", "LONG_BINPUT huge index"},
    {PICKLE("\x80\x02j\xff\xff\xff\x7f."), "memo index", "LONG_BINGET huge index"},
    {PICKLE("\x80\x02R"), "stack underflow", "stack underflow"},
    {PICKLE("\x80\x02X\xf0\xff\xff\xff" "abc"), "truncated pickle", "string longer than the pickle"},
    {PICKLE("\x80\x02}"), "no STOP", "pickle without STOP"},
    {PICKLE("\x80\x02NN."), "STOP with 2 items", "STOP with extra items"},
};

static void test_pth_short_pickles(void) {
  for (size_t i = 0; i < sizeof pth_short_pickles / sizeof *pth_short_pickles; i++) {
    bytes p = {0};
    put(&p, pth_short_pickles[i].bytes, pth_short_pickles[i].len);
    pth_expect_bad_pickle(&p, pth_short_pickles[i].reason, pth_short_pickles[i].label);
    free(p.b);
  }
}

/* Well-formed state dicts {"w": one tensor} whose tensor does not fit its
 * storage, one row each. */
static const struct {
  const char *key;
  int numel, offset, ndim, dims[5];
  const char *reason, *label;
} pth_bad_tensors[] = {
    {"0", 6, 0, 5, {1, 1, 1, 2, 3}, "more than 4 dimensions", "5-d tensor"},
    {"0", 6, 0, 1, {7}, "exceed its storage", "tensor larger than its storage"},
    {"0", 6, 4, 2, {2, 3}, "offset 4 + 6 elements exceed", "offset past the storage"},
    {"0", 7, 0, 2, {2, 3}, "has 24 bytes, expected 7", "storage size mismatch"},
    {"1", 6, 0, 2, {2, 3}, "storage entry arch/data/1 is missing", "missing data/<key>"},
    {"../../etc/passwd", 6, 0, 2, {2, 3}, "invalid storage key", "storage key with a path"},
};

static void test_pth_bad_tensors(void) {
  for (size_t i = 0; i < sizeof pth_bad_tensors / sizeof *pth_bad_tensors; i++) {
    bytes p = {0};
    pk_begin(&p);
    pk_str(&p, "w");
    pk_tensor(&p, "FloatStorage", pth_bad_tensors[i].key, pth_bad_tensors[i].numel,
              pth_bad_tensors[i].offset, pth_bad_tensors[i].ndim, pth_bad_tensors[i].dims);
    pk_end(&p);
    pth_expect_bad_pickle(&p, pth_bad_tensors[i].reason, pth_bad_tensors[i].label);
    free(p.b);
  }
}

/* Many views of one storage: fine while small (tied weights are legitimate),
 * refused past the memory budget. */
static void test_pth_storage_views(void) {
  char err[512];
  sw_state_dict sd;
  bytes p = {0};
  pk_begin(&p);
  int big[1] = {6};
  for (int i = 0; i < 40000; i++) {
    char key[16];
    snprintf(key, sizeof key, "w%d", i);
    pk_str(&p, key);
    if (i == 0) {
      pk_tensor(&p, "FloatStorage", "0", 6, 0, 1, big);
      put1(&p, 'q');
      put1(&p, 0); /* memo the tensor */
    } else {
      put1(&p, 'h');
      put1(&p, 0);
    }
  }
  pk_end(&p);
  {
    /* Make the "file" tiny so that the budget (4 x size + 64 MB) is what stops it:
     * 40000 x 24 bytes is under 64 MB, so this one loads... */
    bytes f = make_pth(&p, NULL, 0, false);
    int rc = try_pth(&f, err, sizeof err, &sd);
    CHECK(rc == 0 && sd.count == 40000, "40000 views of one storage: %s", err);
    if (rc == 0) sw_state_dict_free(&sd);
    free(f.b);
  }
  free(p.b);
  /* ...while views of a 4 MB storage 40 times over (160 MB > 4 x 4 MB + 64 MB) do not. */
  float *four = calloc(1 << 20, sizeof(float));
  int d1[1] = {1 << 20};
  p = (bytes){0};
  pk_begin(&p);
  for (int i = 0; i < 40; i++) {
    char key[16];
    snprintf(key, sizeof key, "w%d", i);
    pk_str(&p, key);
    pk_tensor(&p, "FloatStorage", "0", 1 << 20, 0, 1, d1);
  }
  pk_end(&p);
  bytes f = make_pth(&p, four, (1 << 20) * sizeof(float), false);
  pth_expect_bad_zip(&f, "over 4 times the file size", "many views of one storage");
  free(f.b);
  free(p.b);
  free(four);
}

/* Well-formed pickles whose entries are not a state dict's. */
static void test_pth_bad_entries(void) {
  int dims[2] = {2, 3}, d3[3] = {1, 2, 3};
  bytes p = {0};
  pk_begin(&p);
  pk_str(&p, "w");
  pk_tensor(&p, "FloatStorage", "0", 6, 0, 2, dims);
  pk_str(&p, "w");
  pk_tensor(&p, "FloatStorage", "0", 6, 0, 3, d3);
  pk_end(&p);
  pth_expect_bad_pickle(&p, "key w appears twice", "duplicate key");
  free(p.b);
  p = (bytes){0};
  pk_begin(&p);
  pk_str(&p, "w");
  put1(&p, 'J');
  put4(&p, 3);
  pk_end(&p);
  pth_expect_bad_pickle(&p, "entry w is not a tensor (got int)", "non-tensor value");
  free(p.b);
  p = (bytes){0};
  pk_begin(&p);
  put1(&p, 'J');
  put4(&p, 3);
  pk_tensor(&p, "FloatStorage", "0", 6, 0, 2, dims);
  pk_end(&p);
  pth_expect_bad_pickle(&p, "key 0 is not a string", "non-string key");
  free(p.b);
  p = (bytes){0};
  pk_begin(&p);
  pk_str(&p, "w");
  pk_global(&p, "torch._utils", "_rebuild_tensor_v2");
  put1(&p, '(');
  pk_str(&p, "not a storage");
  put1(&p, 'K');
  put1(&p, 0);
  put1(&p, ')');
  put1(&p, ')');
  put1(&p, 0x89);
  put1(&p, '}');
  put1(&p, 't');
  put1(&p, 'R');
  pk_end(&p);
  pth_expect_bad_pickle(&p, "not a storage", "rebuild with a string as storage");
  free(p.b);
  p = (bytes){0};
  pk_proto(&p, 2);
  pk_str(&p, "x");
  put1(&p, '}');
  put1(&p, 'b');
  put1(&p, '.');
  pth_expect_bad_pickle(&p, "BUILD on a str", "BUILD on a string");
  free(p.b);
}

/* Zip-level damage: entries (compression, encryption, version, byte order,
 * data.pkl, duplicates). */
static void test_pth_zip_entries(void) {
  char err[512];
  sw_state_dict sd;
  bytes good = good_pickle();
  zin e[3] = {{"arch/data.pkl", good.b, good.n, 8, 0}, {"arch/data/0", six, sizeof six, 0, 0}, {"arch/version", "3\n", 2, 0, 0}};
  bytes f = zip_build(e, 3, false);
  pth_expect_bad_zip(&f, "is compressed (method 8)", "compressed data.pkl");
  free(f.b);
  e[0].method = 0;
  e[1].method = 8;
  f = zip_build(e, 3, false);
  pth_expect_bad_zip(&f, "arch/data/0 is compressed", "compressed storage");
  free(f.b);
  e[1].method = 0;
  e[1].flags = 1;
  f = zip_build(e, 3, false);
  pth_expect_bad_zip(&f, "encrypted", "encrypted entry");
  free(f.b);
  e[1].flags = 0;
  f = zip_build(e, 2, false);
  pth_expect_bad_zip(&f, "no arch/version", "missing version");
  free(f.b);
  zin e2[4] = {e[0], e[1], e[2], {"arch/byteorder", "big", 3, 0, 0}};
  f = zip_build(e2, 4, false);
  pth_expect_bad_zip(&f, "big-endian", "big-endian byteorder");
  free(f.b);
  e2[3].data = "little";
  e2[3].len = 6;
  f = zip_build(e2, 4, false);
  CHECK(try_pth(&f, err, sizeof err, &sd) == 0, "byteorder little: %s", err);
  sw_state_dict_free(&sd);
  free(f.b);
  e[2].data = "999";
  e[2].len = 3;
  f = zip_build(e, 3, false);
  pth_expect_bad_zip(&f, "version", "unknown version");
  free(f.b);
  e[2].data = "3\n";
  e[2].len = 2;
  zin e3[2] = {{"other/thing", "x", 1, 0, 0}, {"version", "3", 1, 0, 0}};
  f = zip_build(e3, 2, false);
  pth_expect_bad_zip(&f, "no <prefix>/data.pkl", "zip without data.pkl");
  free(f.b);
  zin e4[4] = {e[0], e[1], e[2], {"b/data.pkl", good.b, good.n, 0, 0}};
  f = zip_build(e4, 4, false);
  pth_expect_bad_zip(&f, "more than one", "two data.pkl");
  free(f.b);
  zin e5[4] = {e[0], e[1], e[2], e[1]};
  f = zip_build(e5, 4, false);
  pth_expect_bad_zip(&f, "appears twice", "duplicate zip entry");
  free(f.b);
  free(good.b);
}

/* Zip-level damage: the central directory, the stored data (CRC), the
 * end-of-central-directory record. Each change is undone before the next. */
static void test_pth_zip_directory(void) {
  char err[512];
  sw_state_dict sd;
  bytes good = good_pickle();
  bytes f = make_pth(&good, NULL, 0, false);
  size_t eocd = f.n - 22;
  /* Central directory offset pointing outside the file. */
  unsigned char save[4];
  memcpy(save, f.b + eocd + 16, 4);
  f.b[eocd + 16] = 0xF0;
  f.b[eocd + 19] = 0x7F;
  pth_expect_bad_zip(&f, "central directory", "central directory outside the file");
  memcpy(f.b + eocd + 16, save, 4);
  /* Central directory size larger than the file. */
  memcpy(save, f.b + eocd + 12, 4);
  f.b[eocd + 15] = 0x10;
  pth_expect_bad_zip(&f, "outside the file", "central directory size");
  memcpy(f.b + eocd + 12, save, 4);
  /* Entry count that cannot fit. */
  f.b[eocd + 8] = f.b[eocd + 10] = 200;
  pth_expect_bad_zip(&f, "cannot hold", "entry count");
  f.b[eocd + 8] = f.b[eocd + 10] = 3;
  /* Local header offset of the first CD entry beyond the data. */
  uint32_t cd = (uint32_t)f.b[eocd + 16] | (uint32_t)f.b[eocd + 17] << 8 | (uint32_t)f.b[eocd + 18] << 16 |
                (uint32_t)f.b[eocd + 19] << 24;
  memcpy(save, f.b + cd + 42, 4);
  f.b[cd + 45] = 0x40;
  pth_expect_bad_zip(&f, "local header offset", "local header outside the file");
  memcpy(f.b + cd + 42, save, 4);
  /* Stored size larger than the space before the directory. */
  memcpy(save, f.b + cd + 20, 4);
  f.b[cd + 22] = 0x10;
  f.b[cd + 26] = 0x10;
  pth_expect_bad_zip(&f, "runs into the central directory", "entry data past the directory");
  memcpy(f.b + cd + 20, save, 4);
  f.b[cd + 26] = save[2];
  /* A flipped byte in the storage data: CRC. */
  CHECK(try_pth(&f, err, sizeof err, &sd) == 0, "restored file reads: %s", err);
  sw_state_dict_free(&sd);
  size_t data_at = 0;
  for (size_t i = 0; i + sizeof six <= f.n; i++)
    if (memcmp(f.b + i, six, sizeof six) == 0) data_at = i;
  f.b[data_at + 5] ^= 0x40;
  pth_expect_bad_zip(&f, "CRC mismatch", "corrupt storage bytes");
  f.b[data_at + 5] ^= 0x40;
  /* Comment length that does not match the file end: no EOCD. */
  f.b[f.n - 2] = 5;
  pth_expect_bad_zip(&f, "end-of-central-directory", "bad EOCD");
  f.b[f.n - 2] = 0;
  free(f.b);
  f = (bytes){0};
  puts_(&f, "PK\x03\x04 not really a zip at all, just some text of a reasonable length");
  pth_expect_bad_zip(&f, "end-of-central-directory", "text with zip magic");
  free(f.b);
  free(good.b);
}

/* Legacy (pre-zip) stream: magic, 1001, sys_info, object, keys, then storages. */
static bytes legacy_build(const bytes *obj, const char *const *keys, int nkeys, const int64_t *counts,
                          const void *const *data, const size_t *lens, bool little) {
  bytes o = {0};
  static const unsigned char magic[] = {0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
  put(&o, magic, sizeof magic);
  put1(&o, 0x80);
  put1(&o, 2);
  put1(&o, 'M');
  put2(&o, 1001);
  put1(&o, '.');
  put1(&o, 0x80);
  put1(&o, 2);
  put1(&o, '}');
  put1(&o, '(');
  pk_str(&o, "protocol_version");
  put1(&o, 'M');
  put2(&o, 1001);
  pk_str(&o, "little_endian");
  put1(&o, little ? 0x88 : 0x89);
  put1(&o, 'u');
  put1(&o, '.');
  put(&o, obj->b, obj->n);
  put1(&o, 0x80);
  put1(&o, 2);
  put1(&o, ']');
  put1(&o, '(');
  for (int i = 0; i < nkeys; i++) pk_str(&o, keys[i]);
  put1(&o, 'e');
  put1(&o, '.');
  for (int i = 0; i < nkeys; i++) {
    put8(&o, (uint64_t)counts[i]);
    put(&o, data[i], lens[i]);
  }
  return o;
}

/* A legacy object pickle: {"w": _rebuild_tensor(storage key "k", 0, (2, 3), (3, 1))} using the
 * 6-element persistent id and the 4-argument _rebuild_tensor of torch 0.4 files. */
static bytes legacy_obj(const char *key, int numel, const char *view) {
  bytes p = {0};
  put1(&p, 0x80);
  put1(&p, 2);
  put1(&p, '}');
  pk_str(&p, "w");
  pk_global(&p, "torch._utils", "_rebuild_tensor");
  put1(&p, '(');
  put1(&p, '(');
  pk_str(&p, "storage");
  pk_global(&p, "torch", "FloatStorage");
  pk_str(&p, key);
  pk_str(&p, "cpu");
  put1(&p, 'K');
  put1(&p, (unsigned)numel);
  if (view) {
    pk_str(&p, view);
    put1(&p, 'K');
    put1(&p, 0);
    put1(&p, 'K');
    put1(&p, 6);
    put1(&p, 0x87);
  } else {
    put1(&p, 'N');
  }
  put1(&p, 't');
  put1(&p, 'Q');
  put1(&p, 'K');
  put1(&p, 0);
  put1(&p, 'K');
  put1(&p, 2);
  put1(&p, 'K');
  put1(&p, 3);
  put1(&p, 0x86);
  put1(&p, 'K');
  put1(&p, 3);
  put1(&p, 'K');
  put1(&p, 1);
  put1(&p, 0x86);
  put1(&p, 't');
  put1(&p, 'R');
  put1(&p, 's');
  put1(&p, '.');
  return p;
}

static void legacy_expect(const bytes *f, const char *reason, const char *label) {
  sw_state_dict sd;
  char err[512] = "";
  int rc = sw_weights_read_mem(f->b, f->n, "old.pth", &sd, err, sizeof err);
  if (reason == NULL) {
    CHECK(rc == 0, "%s: %s", label, err);
    if (rc == 0) {
      CHECK(sd.count == 1 && memcmp(sd.tensors[0].data, six, sizeof six) == 0, "%s: values", label);
      sw_state_dict_free(&sd);
      printf("ok   %s\n", label);
    }
    return;
  }
  if (expect_fail(rc, err, "old.pth", reason, label)) printf("ok   rejects %s: %s\n", label, err);
  if (rc == 0) sw_state_dict_free(&sd);
}

static void test_legacy_handmade(void) {
  const char *k[] = {"140000"};
  int64_t cnt[] = {6};
  const void *dat[] = {six};
  size_t len[] = {sizeof six};
  bytes obj = legacy_obj("140000", 6, NULL);
  bytes f = legacy_build(&obj, k, 1, cnt, dat, len, true);
  legacy_expect(&f, NULL, "legacy stream with _rebuild_tensor (torch 0.4 style) read");
  f.n--;
  legacy_expect(&f, "runs past the end", "legacy storage truncated");
  f.n++;
  put1(&f, 0);
  legacy_expect(&f, "unexpected bytes after the last storage", "legacy trailing byte");
  free(f.b);
  f = legacy_build(&obj, k, 1, cnt, dat, len, false);
  legacy_expect(&f, "big-endian", "legacy big-endian");
  free(f.b);
  int64_t cnt7[] = {7};
  f = legacy_build(&obj, k, 1, cnt7, dat, len, true);
  legacy_expect(&f, "holds 7 elements, the pickle says 6", "legacy count mismatch");
  free(f.b);
  int64_t huge[] = {INT64_MAX};
  f = legacy_build(&obj, k, 1, huge, dat, len, true);
  legacy_expect(&f, "elements, the pickle says 6", "legacy absurd count");
  free(f.b);
  const char *k2[] = {"140000", "999"};
  int64_t cnt2[] = {6, 0};
  const void *dat2[] = {six, six};
  size_t len2[] = {sizeof six, 0};
  f = legacy_build(&obj, k2, 2, cnt2, dat2, len2, true);
  legacy_expect(&f, "storage 999 is listed but used by no tensor", "legacy unused key");
  free(f.b);
  f = legacy_build(&obj, k, 0, cnt, dat, len, true);
  legacy_expect(&f, "used but not in the file", "legacy missing storage");
  free(f.b);
  free(obj.b);
  obj = legacy_obj("140000", 6, "140000");
  f = legacy_build(&obj, k, 1, cnt, dat, len, true);
  legacy_expect(&f, "storage views are not supported", "legacy storage view");
  free(f.b);
  free(obj.b);
  /* Pickles longer than the reader's first 1 MB window (file and memory). */
  {
    bytes big = {0};
    obj = legacy_obj("140000", 6, NULL);
    put1(&big, 0x80);
    put1(&big, 2);
    put1(&big, 'X');
    put4(&big, 3000000);
    for (int i = 0; i < 3000000; i++) put1(&big, 'a');
    put1(&big, '0'); /* POP the padding string */
    put(&big, obj.b + 2, obj.n - 2);
    f = legacy_build(&big, k, 1, cnt, dat, len, true);
    legacy_expect(&f, NULL, "legacy stream with a 3 MB pickle (memory)");
    char *tp = tmp_path("weights_legacy_big.pth");
    write_file(tp, f.b, f.n);
    sw_state_dict sd;
    char err[512];
    CHECK(sw_weights_read(tp, &sd, err, sizeof err) == 0 && sd.count == 1, "legacy 3 MB pickle from a file: %s", err);
    if (sd.count) sw_state_dict_free(&sd);
    printf("ok   legacy stream with a 3 MB pickle (file)\n");
    unlink(tp);
    free(tp);
    free(f.b);
    free(big.b);
    free(obj.b);
  }
  /* Wrong magic number (one byte off) is not taken for a legacy file. */
  obj = legacy_obj("140000", 6, NULL);
  f = legacy_build(&obj, k, 1, cnt, dat, len, true);
  f.b[13] ^= 1;
  sw_state_dict sd;
  char err[512];
  CHECK(sw_pth_read_mem(f.b, f.n, "old.pth", &sd, err, sizeof err) != 0 && strstr(err, "old.pth"), "bad magic: %s", err);
  free(f.b);
  free(obj.b);
}

int main(void) {
  test_state_dict();
  test_st_roundtrip();
  test_st_fixtures();
  test_st_good_handmade();
  test_st_bad_headers();
  test_st_json_bounds();
  test_st_bad_lengths();
  test_st_example_message();
  test_truncations("weights_small.safetensors", NULL, sw_safetensors_read_mem);
  test_truncations("weights_dtypes.safetensors", sw_safetensors_read, NULL);
  test_resnet18_pth();
  test_small_pth("pth_small.pth");
  test_small_pth("pth_small_legacy.pth");
  test_small_pth("pth_small_p4.pth");
  test_noncontig_pth();
  test_legacy_handmade();
  test_pth_handmade_good();
  test_pth_hostile_globals();
  test_pth_bad_calls_and_opcodes();
  test_pth_nesting();
  test_pth_stack_bounds();
  test_pth_short_pickles();
  test_pth_bad_tensors();
  test_pth_storage_views();
  test_pth_bad_entries();
  test_pth_zip_entries();
  test_pth_zip_directory();
  test_truncations("pth_small.pth", NULL, sw_pth_read_mem);
  test_truncations("pth_noncontig.pth", sw_pth_read, NULL);
  test_truncations("pth_small_legacy.pth", NULL, sw_weights_read_mem);
  test_truncations("pth_small_p4.pth", NULL, sw_pth_read_mem);
  return sw_test_finish();
}
