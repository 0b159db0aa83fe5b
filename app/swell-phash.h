/* swell-phash.h: perceptual hashes of images and near-duplicate groups.
 *
 * The hash is a DCT hash in the manner of pHash: the image squeezed to a
 * 32x32 grey copy (the PIL-exact antialiased resize of swell-image.h, then
 * ITU-R 601 luma), its 2-D DCT-II, and the 8x8 lowest frequencies without DC
 * (63 coefficients), each bit set when its coefficient is above their median
 * (bit 63 is always 0). Copies that were resized, re-encoded or slightly
 * cropped stay a few bits apart; different photos are about 32 bits apart.
 * Everything here is plain computation: swell-dataset-check.h applies it to
 * a project. */
#pragma once

#include <glib.h>

#include "swell-image.h"

G_BEGIN_DECLS

/* Hashes at most this many bits apart are near-duplicates. Measured with
 * bench/bench_phash on the 677 photos of weather4_small and hymenoptera (see
 * bench/README.md): at 12, 673 of 677 copies made at 70% size, JPEG quality 40
 * and 3% cut off each side are found (676 at 80%, quality 75, 2% off two
 * sides), and of the 228,826 pairs of different files only 5 are this close,
 * all of them the same photo at two sizes; at 14, 10 pairs of different photos
 * join them. */
#define SWELL_PHASH_NEAR_DISTANCE 12

/* The 64-bit DCT hash of `img`. */
guint64 swell_image_phash(const SwellRgbImage *img);

/* Number of bits in which a and b differ (0..64). */
int swell_phash_distance(guint64 a, guint64 b);

/* Groups `n` hashes into connected components of the graph whose edges join
 * hashes at most `max_distance` bits apart (all pairs are compared: 10,000
 * hashes take about 30 ms). group_of[i] gets the component of hash i: 0 when it
 * is alone, else 1, 2, ... numbered in the order of their first member.
 * Returns the number of groups with two or more members. */
guint swell_phash_group(const guint64 *hashes, guint n, int max_distance, guint *group_of);

G_END_DECLS
