/* test_weights_fuzz.c: seeded random mutations of valid weight files.
 *
 * Every mutated file must either load or be rejected with a message naming
 * the buffer; never crash, hang or read out of bounds (run this under
 * -Db_sanitize=address,undefined to check the last part). Modes:
 *   1. random byte/bit changes and truncations anywhere in a .safetensors
 *   2. the same inside its JSON header, with JSON-ish bytes
 *   3. random changes anywhere in a .pth (mostly caught by CRC checks)
 *   4. changes inside the .pth's data.pkl with the zip CRC recomputed, so
 *      that the mutated pickle reaches the pickle machine
 *   5. changes inside the .pth's zip structures (local headers, central
 *      directory, end records)
 *   6. random changes anywhere in a legacy-format .pth (no CRC: every change
 *      reaches the pickle machine or the storage table)
 */
#include <stdlib.h>
#include <string.h>

#include "test_weights_zip.h"
#include "testutil.h"
#include "weights.h"

typedef struct {
  int accepted, rejected, unnamed;
} tally;

static void run(tally *t, const unsigned char *buf, size_t len) {
  sw_state_dict sd;
  char err[512];
  err[0] = 0;
  /* Copy into an exact-size allocation so ASan sees any overread. */
  unsigned char *exact = malloc(len ? len : 1);
  memcpy(exact, buf, len);
  if (sw_weights_read_mem(exact, len, "fuzz.bin", &sd, err, sizeof err) == 0) {
    t->accepted++;
    for (int i = 0; i < sd.count; i++) { /* touch every value */
      volatile float s = 0;
      for (int64_t k = 0; k < sw_shape_numel(&sd.tensors[i].shape); k++) s += sd.tensors[i].data[k];
      (void)s;
    }
    sw_state_dict_free(&sd);
  } else {
    t->rejected++;
    if (!strstr(err, "fuzz.bin")) {
      if (t->unnamed++ < 5) fprintf(stderr, "message without the name: %s\n", err);
    }
  }
  free(exact);
}

static const unsigned char json_bytes[] = "{}[],:\"\\0123456789-+.eEtrufalsn \x00\xff\xc3";

/* Applies 1..4 mutations within [lo, hi). */
static size_t mutate(sw_rng *r, unsigned char *b, size_t len, size_t lo, size_t hi, bool jsonish) {
  int n = 1 + (int)(sw_rng_next(r) % 4);
  for (int i = 0; i < n && hi > lo; i++) {
    size_t at = lo + (size_t)(sw_rng_next(r) % (hi - lo));
    switch (sw_rng_next(r) % 6) {
      case 0: b[at] ^= (unsigned char)(1u << (sw_rng_next(r) % 8)); break;
      case 1: b[at] = (unsigned char)sw_rng_next(r); break;
      case 2: b[at] = jsonish ? json_bytes[sw_rng_next(r) % (sizeof json_bytes - 1)] : 0xFF; break;
      case 3: b[at] = jsonish ? json_bytes[sw_rng_next(r) % (sizeof json_bytes - 1)] : 0x00; break;
      case 4: b[at] = (unsigned char)(b[at] + 1); break;
      case 5:
        if (sw_rng_next(r) % 4 == 0) len = at; /* truncate */
        else b[at] = (unsigned char)(b[at] - 1);
        break;
    }
  }
  return len;
}

/* Finds an entry of a (comment-less, non-zip64) zip: data offset, size and
 * the offset of its CRC in the central directory. */
static int zip_entry(const unsigned char *z, size_t len, const char *suffix, size_t *data, size_t *size,
                     size_t *crc_at) {
  size_t eocd = len - 22;
  size_t n = z[eocd + 10] | z[eocd + 11] << 8;
  size_t p = (size_t)z[eocd + 16] | (size_t)z[eocd + 17] << 8 | (size_t)z[eocd + 18] << 16 | (size_t)z[eocd + 19] << 24;
  for (size_t i = 0; i < n; i++) {
    size_t nl = z[p + 28] | z[p + 29] << 8, xl = z[p + 30] | z[p + 31] << 8, cl = z[p + 32] | z[p + 33] << 8;
    size_t lho = (size_t)z[p + 42] | (size_t)z[p + 43] << 8 | (size_t)z[p + 44] << 16 | (size_t)z[p + 45] << 24;
    size_t sz = (size_t)z[p + 24] | (size_t)z[p + 25] << 8 | (size_t)z[p + 26] << 16 | (size_t)z[p + 27] << 24;
    size_t sl = strlen(suffix);
    if (nl >= sl && memcmp(z + p + 46 + nl - sl, suffix, sl) == 0) {
      size_t lnl = z[lho + 26] | z[lho + 27] << 8, lxl = z[lho + 28] | z[lho + 29] << 8;
      *data = lho + 30 + lnl + lxl;
      *size = sz;
      *crc_at = p + 16;
      return 0;
    }
    p += 46 + nl + xl + cl;
  }
  return -1;
}

static void report(const char *what, const tally *t, int n) {
  CHECK(t->accepted + t->rejected == n, "%s: ran %d of %d", what, t->accepted + t->rejected, n);
  CHECK(t->unnamed == 0, "%s: %d messages without the name", what, t->unnamed);
  printf("ok   %s: %d mutations, %d loaded, %d rejected with a message, no crash\n", what, n, t->accepted,
         t->rejected);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000;
  sw_rng r;
  sw_rng_seed(&r, 20261128);
  size_t slen, plen;
  char *sp = sw_test_fixture_path("weights_small.safetensors"), *pp = sw_test_fixture_path("pth_small.pth");
  unsigned char *st = sw_test_read_file(sp, &slen), *pth = sw_test_read_file(pp, &plen);
  unsigned char *work = malloc(slen > plen ? slen : plen);
  size_t hlen = (size_t)st[0] | (size_t)st[1] << 8;

  tally t1 = {0}, t2 = {0}, t3 = {0}, t4 = {0}, t5 = {0};
  for (int i = 0; i < n; i++) {
    memcpy(work, st, slen);
    run(&t1, work, mutate(&r, work, slen, 0, slen, false));
  }
  report("safetensors, anywhere", &t1, n);
  for (int i = 0; i < n; i++) {
    memcpy(work, st, slen);
    run(&t2, work, mutate(&r, work, slen, 8, 8 + hlen, true));
  }
  report("safetensors, JSON header", &t2, n);
  for (int i = 0; i < n; i++) {
    memcpy(work, pth, plen);
    run(&t3, work, mutate(&r, work, plen, 0, plen, false));
  }
  report(".pth, anywhere", &t3, n);
  size_t pkl_at = 0, pkl_size = 0, crc_at = 0;
  CHECK(zip_entry(pth, plen, "/data.pkl", &pkl_at, &pkl_size, &crc_at) == 0, "data.pkl not found");
  for (int i = 0; i < 2 * n; i++) {
    memcpy(work, pth, plen);
    mutate(&r, work, plen, pkl_at, pkl_at + pkl_size, false); /* no truncation of the whole file here */
    uint32_t c = crc32_ref(work + pkl_at, pkl_size);
    for (int k = 0; k < 4; k++) work[crc_at + k] = (unsigned char)(c >> (8 * k));
    run(&t4, work, plen);
  }
  report(".pth, data.pkl with CRC fixed", &t4, 2 * n);
  for (int i = 0; i < n; i++) {
    /* Zip structures: the first local header and everything after the last storage. */
    memcpy(work, pth, plen);
    size_t lo = sw_rng_next(&r) % 2 ? 0 : plen - 700, hi = lo ? plen : 64;
    run(&t5, work, mutate(&r, work, plen, lo, hi, false));
  }
  report(".pth, zip structures", &t5, n);
  size_t llen;
  char *lp = sw_test_fixture_path("pth_small_legacy.pth");
  unsigned char *leg = sw_test_read_file(lp, &llen), *lw = malloc(llen);
  tally t6 = {0};
  for (int i = 0; i < 2 * n; i++) {
    memcpy(lw, leg, llen);
    run(&t6, lw, mutate(&r, lw, llen, 0, llen, false));
  }
  report("legacy .pth, anywhere", &t6, 2 * n);
  free(lw);
  free(leg);
  free(lp);
  free(work);
  free(st);
  free(pth);
  free(sp);
  free(pp);
  return sw_test_finish();
}
