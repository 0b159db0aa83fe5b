/* pth.c: PyTorch zip state dicts (work in progress: reader lands next). */
#include "weights_internal.h"

int sw_pth_read(const char *path, sw_state_dict *out, char *err, size_t errlen) {
  sw_state_dict_init(out);
  return sw_werr(err, errlen, path, ".pth reading is not implemented yet");
}
