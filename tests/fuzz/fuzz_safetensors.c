/* fuzz_safetensors.c: the safetensors reader from memory, and a round trip.
 *
 * Whatever the reader accepts is written back with sw_safetensors_write_mem
 * and read again: the second read must give the same tensors (names, shapes,
 * every value bit for bit, in order) and the same metadata. A rejected input
 * must be rejected with a message naming the buffer. */
#include <string.h>

#include "fuzz.h"
#include "weights.h"

static void check_same(const sw_state_dict *a, const sw_state_dict *b) {
  FUZZ_CHECK(a->count == b->count, "%d tensors became %d", a->count, b->count);
  for (int i = 0; i < a->count; i++) {
    const sw_named_tensor *x = &a->tensors[i], *y = &b->tensors[i];
    FUZZ_CHECK(strcmp(x->name, y->name) == 0, "tensor %d: name %s became %s", i, x->name, y->name);
    FUZZ_CHECK(sw_shape_equal(&x->shape, &y->shape), "tensor %s: the shape changed", x->name);
    size_t bytes = (size_t)sw_shape_numel(&x->shape) * sizeof(float);
    FUZZ_CHECK(bytes == 0 || memcmp(x->data, y->data, bytes) == 0, "tensor %s: the values changed",
               x->name);
  }
  FUZZ_CHECK(a->metadata_count == b->metadata_count, "%d metadata entries became %d",
             a->metadata_count, b->metadata_count);
  for (int i = 0; i < a->metadata_count; i++) {
    FUZZ_CHECK(strcmp(a->metadata[i].key, b->metadata[i].key) == 0, "metadata %d: key changed", i);
    FUZZ_CHECK(strcmp(a->metadata[i].value, b->metadata[i].value) == 0, "metadata %s: value changed",
               a->metadata[i].key);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sw_state_dict sd, again;
  char err[512] = "";
  if (sw_safetensors_read_mem(data, size, "fuzz.safetensors", &sd, err, sizeof err) != 0) {
    FUZZ_CHECK(strstr(err, "fuzz.safetensors") != NULL, "message without the buffer's name: %s", err);
    FUZZ_CHECK(sd.count == 0, "a failed read left %d tensors", sd.count);
    return 0;
  }
  void *out = NULL;
  size_t out_len = 0;
  FUZZ_CHECK(sw_safetensors_write_mem(&sd, &out, &out_len, err, sizeof err) == 0,
             "what was read cannot be written: %s", err);
  FUZZ_CHECK(sw_safetensors_read_mem(out, out_len, "rewritten", &again, err, sizeof err) == 0,
             "what was written cannot be read: %s", err);
  check_same(&sd, &again);
  sw_state_dict_free(&again);
  sw_state_dict_free(&sd);
  free(out);
  return 0;
}
