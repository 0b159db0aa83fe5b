/* weights_internal.h: helpers shared by the weight-file readers in engine/io
 * (weights.c, safetensors.c, pth.c, zip.c, pickle.c). Not part of the engine
 * API. */
#ifndef SW_WEIGHTS_INTERNAL_H
#define SW_WEIGHTS_INTERNAL_H

#include <stdarg.h>

#include "weights.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the weight readers assume a little-endian host"
#endif

/* Little-endian integers from a byte buffer. */
static inline uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t rd64(const unsigned char *p) {
  return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

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

/* A format's reader: fills *out (initialised by the caller) from src. */
typedef int (*sw_src_reader)(const sw_src *src, sw_state_dict *out, char *err, size_t errlen);
/* Initialises *out and runs read on the file at path / on a memory buffer
 * (what names it in messages; NULL gives "(memory)"). */
int sw_read_path(const char *path, sw_src_reader read, sw_state_dict *out, char *err,
                 size_t errlen);
int sw_read_mem(const void *buf, size_t len, const char *what, sw_src_reader read,
                sw_state_dict *out, char *err, size_t errlen);

/* Appends a tensor taking ownership of data (malloc'd). On failure frees data. */
int sw_state_dict_push_owned(sw_state_dict *sd, const char *name, sw_shape shape, float *data);

/* Appends metadata without looking for an existing key (readers, after a
 * duplicate check). */
int sw_state_dict_push_meta(sw_state_dict *sd, const char *key, const char *value);

/* A shape with 0..SW_MAX_DIMS non-negative dims whose floats fit in memory. */
bool sw_shape_valid(const sw_shape *s);

/* "[3, 2]" into buf. */
void sw_dims_str(const int64_t *d, int n, char *buf, size_t len);

/* True when buf starts like a legacy (pre-zip) torch.save file. */
bool sw_pth_is_legacy_header(const void *buf, size_t len);

float sw_half_to_float(uint16_t h);
float sw_bf16_to_float(uint16_t h);

/* Element types of stored tensors; integers are not converted (readers skip
 * integer buffers such as num_batches_tracked). */
typedef enum { SW_EL_F32, SW_EL_F16, SW_EL_BF16, SW_EL_F64, SW_EL_INT } sw_elem;
/* Converts n little-endian elements at src to float32 (SW_EL_INT: does nothing). */
void sw_elems_to_float(sw_elem kind, const unsigned char *src, size_t n, float *dst);

/* Copies a name into buf for messages, replacing control bytes and cutting
 * long names. Returns buf. */
const char *sw_printable(const char *s, size_t n, char *buf, size_t buflen);

/* Atomic file writes (safetensors.c, onnx.c): a unique temporary file beside
 * path, renamed into place by commit; abandon removes it. Nothing is ever
 * left half-written at path. */
typedef struct {
  int fd;
  char *tmp;
  const char *path;
} sw_atomic_file;

int sw_atomic_open(sw_atomic_file *f, const char *path, char *err, size_t errlen);
/* Writes all n bytes; 0, or -1 with errno set. */
int sw_atomic_write(sw_atomic_file *f, const void *p, size_t n);
/* fsync, close, rename into place and fsync the folder; on failure abandons. */
int sw_atomic_commit(sw_atomic_file *f, char *err, size_t errlen);
/* Removes the temporary file; reports "path: what: strerror(errno)". Returns -1. */
int sw_atomic_abandon(sw_atomic_file *f, const char *what, char *err, size_t errlen);

#endif
