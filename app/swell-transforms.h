/* swell-transforms.h: image -> normalised float tensor, for evaluation and
 * for training with fastai's default augmentations.
 *
 * Evaluation (deterministic), as torchvision's
 *   Resize(size) -> CenterCrop(size) -> ToTensor() -> Normalize(mean, std)
 * on a PIL image: the short side is resized to `size` with PIL's antialiased
 * bilinear filter (bit-exact, see swell_rgb_image_resize), the centre
 * size x size square is cut (offsets rounded half to even, as Python's
 * round()), values are scaled to [0, 1] and normalised per channel, all in
 * float32 as torch does.
 *
 * Training, as fastai v2:
 *   item_tfms  = RandomResizedCrop(size, min_scale=0.08, ratio=(3/4, 4/3))
 *   batch_tfms = aug_transforms() = Flip(p=0.5), Warp(0.2, p=0.75),
 *                Rotate(10 deg, p=0.75), Zoom(1..1.1, p=0.75),
 *                Brightness(0.2, p=0.75), Contrast(0.2, p=0.75)
 * with fastai's exact parameter draws and matrices (flip_mat, rotate_mat,
 * zoom_mat, _WarpCoord's perspective, _BrightnessLogit, _ContrastLogit).
 * fastai crops and PIL-resizes, then resamples again on the GPU; Swell does
 * the crop, flip, warp, rotation and zoom as ONE resampling pass from the
 * (cached, pre-shrunk) image: every output pixel's coordinates go through the
 * affine matrix and the perspective warp in the crop's [-1, 1] space
 * (align_corners=True), are reflected (or zero-padded) at the crop's border
 * as fastai's grid_sample does, then mapped into the source image and
 * sampled bilinearly; when that mapping shrinks by more than 1.25x (crop
 * much larger than the output), k x k sub-samples are averaged
 * (k = ceil(shrink), at most 4) so the result is antialiased like PIL's
 * resize. With the crop equal to the output size this is exactly fastai's
 * grid_sample (tested against torch). Lighting is then applied in
 * logit space, (logit(x) + logit(brightness)) * contrast, and the result is
 * normalised.
 *
 * Every random draw of a sample comes from a generator seeded by
 * swell_augment_sample_seed(seed, epoch, index), so the same seed gives the
 * same batch whatever the thread timing. */
#pragma once

#include "swell-image.h"

G_BEGIN_DECLS

/* ImageNet statistics, the usual model normalisation (the only copy of the
 * numbers: the _INIT forms are for static initialisers). */
#define SWELL_IMAGENET_MEAN_INIT {0.485f, 0.456f, 0.406f}
#define SWELL_IMAGENET_STD_INIT {0.229f, 0.224f, 0.225f}
extern const float SWELL_IMAGENET_MEAN[3];
extern const float SWELL_IMAGENET_STD[3];

/* Evaluation transform of `img` into out_chw[3 * size * size] (C, H, W).
 * Returns FALSE only when memory runs out. */
gboolean swell_transform_eval(const SwellRgbImage *img, int size, const float mean[3],
                              const float std[3], float *out_chw);

/* The size x size RGB square the evaluation transform normalises
 * (resize + centre crop), computed without the rest of the resized image. */
SwellRgbImage *swell_transform_eval_image(const SwellRgbImage *img, int size);

/* The crop-and-normalise half of the evaluation transform, for an image whose
 * short side is already `size` (e.g. cached). Areas outside the image (when
 * it is smaller than size) are zero before normalisation, as torchvision pads. */
void swell_transform_center_crop(const SwellRgbImage *img, int size, const float mean[3],
                                 const float std[3], float *out_chw);

typedef enum {
  SWELL_PAD_REFLECTION, /* fastai's default */
  SWELL_PAD_ZEROS,
} SwellPadMode;

/* Training augmentation settings; every transform can be switched off. */
typedef struct {
  int size;                     /* output side */
  gboolean random_resized_crop; /* FALSE: the whole image, centre-cropped to a square */
  double min_scale;             /* RandomResizedCrop: 0.08 */
  double max_scale;             /* 1.0 */
  double ratio_min, ratio_max;  /* 3/4, 4/3 */
  gboolean do_flip;             /* horizontal flip with p = 0.5 */
  double max_rotate;            /* degrees, 10; 0 disables */
  double min_zoom, max_zoom;    /* 1.0, 1.1; both 1 disables */
  double max_warp;              /* 0.2; 0 disables */
  double p_affine;              /* 0.75, for warp, rotate and zoom */
  double max_lighting;          /* 0.2; 0 disables brightness and contrast */
  double p_lighting;            /* 0.75 */
  SwellPadMode pad_mode;        /* reflection */
} SwellAugmentConfig;

/* fastai's defaults (listed above) for output side `size`. */
void swell_augment_config_init_default(SwellAugmentConfig *cfg, int size);
/* Everything off: resize short side + centre crop through the same
 * resampler (what --no-augment trains with). */
void swell_augment_config_init_none(SwellAugmentConfig *cfg, int size);
/* The copy of `img` training crops are drawn from: short side `short_side`
 * (the loader's cache side); a very elongated image keeps its central 4:1
 * part (random crops have ratios within 3/4..4/3 and take at least min_scale
 * of the area, so little is lost), which bounds its size. NULL when memory
 * runs out. */
SwellRgbImage *swell_transform_train_image(const SwellRgbImage *img, int short_side);

/* The augmentations a training run can switch on, each with at most one value
 * (swell-cli train --aug and its value options, the Train view's Advanced
 * section, the run's hyper-parameters). The values default to fastai's
 * (RandomResizedCrop's min_scale, aug_transforms' max_rotate, max_zoom,
 * max_warp, max_lighting); Swell's recipe switches on crop and flip only. */
typedef enum {
  SWELL_AUG_CROP,     /* RandomResizedCrop; value min_scale */
  SWELL_AUG_FLIP,     /* horizontal flip with p 0.5; no value */
  SWELL_AUG_ROTATE,   /* value max_rotate, degrees */
  SWELL_AUG_ZOOM,     /* value max_zoom (min_zoom stays 1) */
  SWELL_AUG_WARP,     /* perspective warp; value max_warp */
  SWELL_AUG_LIGHTING, /* brightness and contrast; value max_lighting */
  SWELL_N_AUGS,
} SwellAug;

typedef struct {
  const char *name;         /* "crop": the word in --aug and in the stored "aug" list */
  const char *title;        /* translatable (N_), e.g. for a switch */
  const char *value_name;   /* "min_scale": the stored hyper-parameter; NULL: no value */
  const char *option;       /* "min-scale": swell-cli's option; NULL: no value */
  const char *value_title;  /* translatable (N_) description of the value; NULL: no value */
  double value_default;     /* fastai's */
  double value_min, value_max; /* accepted, inclusive */
  double value_step;        /* a sensible increment (a spin button's step) */
  gboolean on_by_default;   /* in Swell's recipe */
} SwellAugInfo;

/* The description of `aug` (0 <= aug < SWELL_N_AUGS). */
const SwellAugInfo *swell_aug_info(SwellAug aug);
/* The augmentation called `name` ("crop"), or -1. */
int swell_aug_from_name(const char *name);

typedef struct {
  gboolean on[SWELL_N_AUGS];
  double value[SWELL_N_AUGS]; /* unused for an augmentation without a value */
} SwellAugSettings;

/* Swell's recipe: crop and flip on, every value at its default. */
void swell_aug_settings_init(SwellAugSettings *s);
/* Switches on exactly the augmentations of a comma-separated list of names
 * ("crop,flip,rotate"; "none" for none). FALSE on an unknown name, with the
 * reason, leaving `s` as it was. */
gboolean swell_aug_settings_set_list(SwellAugSettings *s, const char *list, GError **error);
/* The names of the augmentations on, comma-separated ("crop,flip"), or "none". */
char *swell_aug_settings_get_list(const SwellAugSettings *s);
/* The augmentation whose value is outside its range, or -1 when all are in range. */
int swell_aug_settings_find_bad_value(const SwellAugSettings *s);
/* The training configuration for output side `size` with exactly these
 * augmentations on (everything else at fastai's settings). */
void swell_augment_config_from_settings(SwellAugmentConfig *cfg, int size, const SwellAugSettings *s);

/* One sample's random draws. */
typedef struct {
  int crop_x, crop_y, crop_w, crop_h; /* in the source image's pixels */
  gboolean flip;
  double rotate_deg;  /* 0 when not applied */
  double zoom;        /* 1 when not applied */
  double zoom_col, zoom_row; /* zoom centre, in [0, 1] */
  double warp_x, warp_y;     /* 0 when not applied */
  double brightness;  /* in (0, 1); 0.5 is neutral */
  double contrast;    /* > 0; 1 is neutral */
} SwellAugmentParams;

/* The generator seed of sample `index` of `epoch` (splitmix64 mixing). */
guint64 swell_augment_sample_seed(guint64 seed, guint64 epoch, guint64 index);

/* A seeded uniformly random permutation of 0..n-1 (Fisher-Yates). */
void swell_permutation(guint64 seed, guint32 *perm, gsize n);

/* Draws the parameters for an image of img_w x img_h from `sample_seed`. */
void swell_augment_draw(const SwellAugmentConfig *cfg, int img_w, int img_h, guint64 sample_seed,
                        SwellAugmentParams *params);

/* Renders `img` with `params` into out_chw[3 * cfg->size * cfg->size],
 * normalised with mean/std. */
void swell_augment_apply(const SwellRgbImage *img, const SwellAugmentConfig *cfg,
                         const SwellAugmentParams *params, const float mean[3], const float std[3],
                         float *out_chw);

/* draw + apply. */
void swell_transform_train(const SwellRgbImage *img, const SwellAugmentConfig *cfg,
                           guint64 sample_seed, const float mean[3], const float std[3],
                           float *out_chw);

G_END_DECLS
