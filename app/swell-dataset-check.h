/* swell-dataset-check.h: what is wrong in a project's data, for `swell-cli
 * info` and the Label view: near-duplicate photos (above all those split
 * between train and valid or test) and dataset health findings, each with a
 * plain, translated sentence on why it matters.
 *
 * Near-duplicates are images whose perceptual hashes (swell-phash.h) are at
 * most SWELL_PHASH_NEAR_DISTANCE bits apart, grouped as connected
 * components. Health findings:
 *  - near-duplicates-across-splits: groups with images in train and in valid
 *    or test (the model is graded on photos it has learned);
 *  - few-train / few-valid: a category with fewer than
 *    SWELL_HEALTH_MIN_TRAIN training or SWELL_HEALTH_MIN_VALID validation
 *    images;
 *  - imbalance: the largest category has more than SWELL_HEALTH_MAX_IMBALANCE
 *    times the training images of the smallest (among categories with at
 *    least one; an empty one is already few-train);
 *  - small-images: images whose shorter side is under SWELL_HEALTH_MIN_SIDE px
 *    (one finding per category, one for the unlabeled ones).
 * Soft-deleted images are left out of everything. */
#pragma once

#include "swell-project.h"

G_BEGIN_DECLS

#define SWELL_HEALTH_MIN_TRAIN 10
#define SWELL_HEALTH_MIN_VALID 5
#define SWELL_HEALTH_MAX_IMBALANCE 3.0
#define SWELL_HEALTH_MIN_SIDE 64

typedef struct {
  GPtrArray *images;      /* SwellProjectImage *, in id order, two or more */
  gboolean across_splits; /* some in train, some in valid or test */
} SwellNearDuplicateGroup;

typedef enum {
  SWELL_HEALTH_NEAR_DUPLICATES_ACROSS_SPLITS,
  SWELL_HEALTH_FEW_TRAIN,
  SWELL_HEALTH_FEW_VALID,
  SWELL_HEALTH_IMBALANCE,
  SWELL_HEALTH_SMALL_IMAGES,
} SwellHealthKind;

/* "near-duplicates-across-splits", "few-train", "few-valid", "imbalance",
 * "small-images" (the JSON names; not translated). */
const char *swell_health_kind_to_string(SwellHealthKind kind);

typedef struct {
  SwellHealthKind kind;
  gint64 category_id; /* the category it is about (imbalance: the smallest), 0 for none */
  char *category;     /* its name, or NULL */
  GArray *image_ids;  /* gint64: the images concerned (small images, near-duplicates
                       * across splits); empty for findings about counts */
  char *message;      /* translated: what was found and why it matters */
} SwellHealthFinding;

typedef struct {
  GPtrArray *near_duplicates; /* SwellNearDuplicateGroup *: across splits first, then by first id */
  guint n_across_splits;      /* how many of them are across splits */
  GPtrArray *health;          /* SwellHealthFinding *, kinds in the order of the enum */
  guint n_unhashed;           /* images left out of the near-duplicate search: they
                               * could not be decoded to compute their hash */
} SwellDatasetReport;

void swell_dataset_report_free(SwellDatasetReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwellDatasetReport, swell_dataset_report_free)

/* Checks the project's data. Images without a stored hash (projects made
 * before schema 5) are decoded and hashed first and their hashes stored (in a
 * read-only project they are only kept in memory), so the first check of an
 * old project reads its images once. NULL with an error (SWELL_PROJECT_ERROR)
 * only when the project cannot be read. Blocks: the Label view calls it on a
 * thread of its own with a connection of its own. */
SwellDatasetReport *swell_dataset_check(SwellProject *project, GError **error);

/* The same on a worker thread, through a connection of its own on the same
 * file, so the window stays responsive while an old project's images are
 * hashed. Cancelling stops between images (G_IO_ERROR_CANCELLED; the hashes
 * computed so far are not stored). `callback` runs in the caller's
 * thread-default main context. */
void swell_dataset_check_async(SwellProject *project, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
SwellDatasetReport *swell_dataset_check_finish(SwellProject *project, GAsyncResult *result,
                                               GError **error);

G_END_DECLS
