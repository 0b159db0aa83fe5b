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

#include "testutil.h"
#include "weights.h"

static float formula(int k, int64_t i) { return (float)((i * 7 + k) % 17 - 8) / 64.0f; }

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n ? (size_t)n : 1);
  if (fread(b, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "short read %s\n", path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

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
  unsigned char *fb = slurp(path, &flen);
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

static void test_st_bad(void) {
  char err[512];
  sw_state_dict sd;
  /* A good one first, so the helpers are known to work. */
  {
    size_t len;
    unsigned char *b = st_make("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &len);
    CHECK(sw_safetensors_read_mem(b, len, "good", &sd, err, sizeof err) == 0, "good: %s", err);
    sw_state_dict_free(&sd);
    free(b);
  }
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "belong to no tensor",
                "trailing bytes");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "belong to no tensor",
                "hole at start");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12, "overlap", "overlapping tensors");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                8, "overlap", "aliased tensors");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", 8, "outside the data area",
                "offsets out of bounds");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin after end",
                "begin > end");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "do not match",
                "size mismatch");
  st_expect_bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "do not match",
                "wrong dtype size");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                "too large", "overflowing shape");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2],\"data_offsets\":[0,8]}}", 8,
                "too large", "overflowing shape 2");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
                "non-negative integer", "huge dim");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integer",
                "negative dim");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "non-negative integer",
                "fractional dim");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, "dimensions",
                "5-d float tensor");
  st_expect_bad("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype",
                "unknown dtype");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "data_offsets",
                "one offset");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets", "missing offsets");
  st_expect_bad("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype", "missing dtype");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "shape", "missing shape");
  st_expect_bad("{\"a\":[1,2]}", 0, "not an object", "tensor entry not an object");
  st_expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
                8, "duplicate key", "duplicate names");
  st_expect_bad("{\"__metadata__\":{\"a\":1}}", 0, "not a string", "metadata non-string");
  st_expect_bad("{\"__metadata__\":[]}", 0, "not an object", "metadata array");
  st_expect_bad("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "NUL",
                "NUL in name");
  st_expect_bad("[1,2,3]", 0, "not start with '{'", "array header");
  st_expect_bad("{\"a\":tru}", 0, "invalid JSON", "JSON garbage 1");
  st_expect_bad("{\"a\":1,}", 0, "invalid JSON", "trailing comma");
  st_expect_bad("{\"a\":\"\\ud800\"}", 0, "surrogate", "lone surrogate");
  st_expect_bad("{\"a\":\"\xc0\xaf\"}", 0, "UTF-8", "overlong UTF-8");
  st_expect_bad("{\"a\":\"x\ny\"}", 0, "control character", "raw newline in string");
  st_expect_bad("{\"a\":01}", 0, "invalid JSON", "leading zero");
  st_expect_bad("{} {}", 0, "trailing", "two values");
  st_expect_bad("{\"a\":{}} \x01", 0, "invalid JSON", "garbage padding");
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
  /* Header length larger than the file, and absurd. */
  {
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
  }
  /* Missing file: names it. */
  int rc = sw_safetensors_read("/nonexistent/w.safetensors", &sd, err, sizeof err);
  expect_fail(rc, err, "/nonexistent/w.safetensors", "cannot open", "missing file");
  rc = sw_weights_read("/nonexistent/w.pth", &sd, err, sizeof err);
  expect_fail(rc, err, "/nonexistent/w.pth", "cannot open", "missing file (weights_read)");
  /* The example message from the issue. */
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
  unsigned char *b = slurp(path, &len);
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

int main(void) {
  test_state_dict();
  test_st_roundtrip();
  test_st_fixtures();
  test_st_bad();
  test_truncations("weights_small.safetensors", NULL, sw_safetensors_read_mem);
  test_truncations("weights_dtypes.safetensors", sw_safetensors_read, NULL);
  return sw_test_finish();
}
