/* weights.h: named tensors (state dicts) and the weight-file formats.
 *
 * - .safetensors: read and write, including the string->string __metadata__;
 *   from a file or from memory (projects keep trained models as safetensors
 *   bytes in SQLite).
 * - PyTorch zip .pth state dicts as torchvision publishes them: a defensive
 *   pickle reader that accepts only the opcodes and globals state dicts use
 *   and never executes anything.
 * Loading is strict: names and shapes must match; `num_batches_tracked` is
 * ignored. Truncated, corrupt or hostile files give an error, never a crash.
 */
#ifndef SW_WEIGHTS_H
#define SW_WEIGHTS_H

#include "tensor.h"

typedef struct {
  char *name;    /* e.g. "layer1.0.conv1.weight" */
  sw_shape shape;
  float *data;   /* float32, contiguous; owned by the state dict unless borrowed */
} sw_named_tensor;

typedef struct {
  char *key;
  char *value;
} sw_kv;

typedef struct {
  sw_named_tensor *tensors;
  int count;
  sw_kv *metadata; /* safetensors __metadata__, in file order */
  int metadata_count;
  bool borrowed;   /* true: tensor data points into someone else's memory */
} sw_state_dict;

void sw_state_dict_init(sw_state_dict *sd);
void sw_state_dict_free(sw_state_dict *sd);
/* Appends a tensor; copies the name; copies data unless sd->borrowed. */
int sw_state_dict_add(sw_state_dict *sd, const char *name, sw_shape shape, const float *data);
const sw_named_tensor *sw_state_dict_find(const sw_state_dict *sd, const char *name);
int sw_state_dict_set_meta(sw_state_dict *sd, const char *key, const char *value);
const char *sw_state_dict_get_meta(const sw_state_dict *sd, const char *key);

/* safetensors. F32 is read as is; F16, BF16 and F64 are converted to float32;
 * integer tensors (e.g. num_batches_tracked) are skipped. */
int sw_safetensors_read(const char *path, sw_state_dict *out, char *err, size_t errlen);
int sw_safetensors_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out,
                            char *err, size_t errlen);
/* Writes atomically (temporary file + rename); F32 only. */
int sw_safetensors_write(const char *path, const sw_state_dict *sd, char *err, size_t errlen);
/* *out is malloc'd; caller frees. */
int sw_safetensors_write_mem(const sw_state_dict *sd, void **out, size_t *out_len, char *err,
                             size_t errlen);

/* PyTorch state dict (.pth / .pt): the zip format of torch.save since 1.6,
 * and the older "legacy" format (a stream of pickles followed by the raw
 * storages) that some published files still use. */
int sw_pth_read(const char *path, sw_state_dict *out, char *err, size_t errlen);
/* The same from memory; `what` names the buffer in messages. */
int sw_pth_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out, char *err,
                    size_t errlen);

/* Either format, chosen by content (zip or legacy torch magic vs safetensors header). */
int sw_weights_read(const char *path, sw_state_dict *out, char *err, size_t errlen);
int sw_weights_read_mem(const void *buf, size_t len, const char *what, sw_state_dict *out,
                        char *err, size_t errlen);

/* Readers initialise *out themselves (any previous content is not freed) and
 * leave it empty on failure. */

#endif
