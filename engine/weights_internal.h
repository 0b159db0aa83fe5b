/* weights_internal.h: helpers shared by weights.c (safetensors) and pth.c
 * (zip + pickle). Not part of the engine API. */
#ifndef SW_WEIGHTS_INTERNAL_H
#define SW_WEIGHTS_INTERNAL_H

#include <stdarg.h>

#include "weights.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the weight readers assume a little-endian host"
#endif

/* A byte source: an open file (read with pread) or a memory buffer. */
typedef struct {
  int fd;                   /* -1 for memory */
  const unsigned char *mem; /* when fd < 0 */
  uint64_t size;
  const char *what;         /* file name used in messages */
} sw_src;

/* "what: message" into err. Always returns -1. */
int sw_werr(char *err, size_t errlen, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Opens path and fills src (fd, size). */
int sw_src_open(sw_src *src, const char *path, char *err, size_t errlen);
void sw_src_close(sw_src *src);
/* Reads exactly n bytes at off; fails (with message) if out of range. */
int sw_src_read(const sw_src *src, uint64_t off, void *dst, size_t n, char *err, size_t errlen);

/* Appends a tensor taking ownership of data (malloc'd). On failure frees data. */
int sw_state_dict_push_owned(sw_state_dict *sd, const char *name, sw_shape shape, float *data);

/* True when buf starts like a legacy (pre-zip) torch.save file. */
bool sw_pth_is_legacy_header(const void *buf, size_t len);

float sw_half_to_float(uint16_t h);
float sw_bf16_to_float(uint16_t h);

/* Copies a name into buf for messages, replacing control bytes and cutting
 * long names. Returns buf. */
const char *sw_printable(const char *s, size_t n, char *buf, size_t buflen);

#endif
