/* zip.h: the zip reading torch's checkpoints need: CRC-32, the central
 * directory (zip64 included) and stored entries, every offset checked
 * against the file. Compressed, encrypted and multi-disk archives are
 * refused. Not part of the engine API. */
#ifndef SW_ZIP_H
#define SW_ZIP_H

#include "weights_internal.h"

typedef struct {
  char *name;
  uint16_t flags, method;
  uint32_t crc;
  uint64_t csize, usize, lho; /* compressed size, size, local header offset */
} sw_zip_entry;

typedef struct {
  const sw_src *src;
  sw_zip_entry *e; /* sorted by name */
  int n;
  uint64_t cd_off; /* entry data must lie before the central directory */
} sw_zip;

/* CRC-32 with the zip polynomial; start with crc = 0. */
uint32_t sw_crc32(uint32_t crc, const unsigned char *p, size_t n);

/* Reads the central directory of src (which must outlive z). */
int sw_zip_open(sw_zip *z, const sw_src *src, char *err, size_t errlen);
void sw_zip_free(sw_zip *z);
/* The entry called name, or NULL. */
const sw_zip_entry *sw_zip_find(const sw_zip *z, const char *name);
/* Locates an entry's data (checks local header, method, bounds). */
int sw_zip_locate(const sw_zip *z, const sw_zip_entry *e, uint64_t *data_off, char *err,
                  size_t errlen);
/* Reads a whole entry (at most max bytes) into a malloc'd buffer, checking its CRC. */
int sw_zip_read(const sw_zip *z, const sw_zip_entry *e, uint64_t max, unsigned char **out,
                size_t *len, char *err, size_t errlen);

#endif
