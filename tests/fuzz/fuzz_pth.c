/* fuzz_pth.c: the PyTorch .pth reader (zip and legacy formats) from memory.
 *
 * Each input is read twice: as it is, and (when it looks like a zip) with
 * the CRC-32 of every stored entry recomputed and written into its local
 * header and central directory record, so that mutated pickles get past the
 * CRC check and reach the pickle machine. Either read must load or fail with
 * a message naming the buffer; a loaded state dict's values are all read. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "weights.h"
#include "zip.h"

#define le16 rd16 /* little-endian readers of weights_internal.h */
#define le32 rd32

static void put_le32(uint8_t *p, uint32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}

/* Recomputes the CRCs of a (non-zip64) zip's entries in place; entries whose
 * records point outside the buffer are left alone. Returns the number fixed. */
static int fix_crcs(uint8_t *z, size_t len) {
  if (len < 22) return 0;
  size_t eocd = len - 22;
  for (size_t back = 0; back <= 65535 && back <= len - 22; back++) {
    if (le32(z + len - 22 - back) == 0x06054b50u) {
      eocd = len - 22 - back;
      break;
    }
  }
  if (le32(z + eocd) != 0x06054b50u) return 0;
  size_t n = le16(z + eocd + 10), p = le32(z + eocd + 16);
  int fixed = 0;
  for (size_t i = 0; i < n; i++) {
    if (p > len || len - p < 46 || le32(z + p) != 0x02014b50u) break;
    size_t nl = le16(z + p + 28), xl = le16(z + p + 30), cl = le16(z + p + 32);
    size_t csize = le32(z + p + 20), lho = le32(z + p + 42);
    if (lho <= len && len - lho >= 30 && le32(z + lho) == 0x04034b50u) {
      size_t data = lho + 30 + le16(z + lho + 26) + le16(z + lho + 28);
      if (data <= len && len - data >= csize) {
        uint32_t crc = sw_crc32(0, z + data, csize);
        put_le32(z + p + 16, crc);
        put_le32(z + lho + 14, crc);
        fixed++;
      }
    }
    p += 46 + nl + xl + cl;
  }
  return fixed;
}

static void read_once(const uint8_t *data, size_t size) {
  sw_state_dict sd;
  char err[512] = "";
  if (sw_pth_read_mem(data, size, "fuzz.pth", &sd, err, sizeof err) == 0) {
    for (int i = 0; i < sd.count; i++) {
      const sw_named_tensor *t = &sd.tensors[i];
      FUZZ_CHECK(t->name != NULL, "tensor %d has no name", i);
      FUZZ_CHECK(sw_state_dict_find(&sd, t->name) != NULL, "tensor %s not found by name", t->name);
      volatile float s = 0;
      for (int64_t k = 0; k < sw_shape_numel(&t->shape); k++) s += t->data[k];
      (void)s;
    }
    sw_state_dict_free(&sd);
  } else {
    FUZZ_CHECK(strstr(err, "fuzz.pth") != NULL, "message without the buffer's name: %s", err);
    FUZZ_CHECK(sd.count == 0, "a failed read left %d tensors", sd.count);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  read_once(data, size);
  if (size < 4 || le32(data) != 0x04034b50u) return 0;
  uint8_t *copy = malloc(size);
  memcpy(copy, data, size);
  if (fix_crcs(copy, size) > 0 && memcmp(copy, data, size) != 0) read_once(copy, size);
  free(copy);
  return 0;
}
