/* swell-transforms.c: evaluation and training transforms (see the header). */
#include "swell-config.h"

#include "swell-transforms.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

const float SWELL_IMAGENET_MEAN[3] = SWELL_IMAGENET_MEAN_INIT;
const float SWELL_IMAGENET_STD[3] = SWELL_IMAGENET_STD_INIT;

/* ------------------------------------------------------------ evaluation */

void swell_transform_center_crop(const SwellRgbImage *img, int size, const float mean[3],
                                 const float std[3], float *out_chw) {
  /* torchvision: top = int(round((h - size) / 2.0)), Python rounds half to even. */
  int top = (int)rint((img->height - size) / 2.0);
  int left = (int)rint((img->width - size) / 2.0);
  gsize plane = (gsize)size * size;
  for (int c = 0; c < 3; c++) {
    float *o = out_chw + c * plane;
    float zero = (0.0f - mean[c]) / std[c];
    for (int y = 0; y < size; y++) {
      int sy = y + top;
      for (int x = 0; x < size; x++) {
        int sx = x + left;
        if (sy < 0 || sy >= img->height || sx < 0 || sx >= img->width) {
          o[(gsize)y * size + x] = zero;
        } else {
          float v = (float)img->pixels[((gsize)sy * img->width + sx) * 3 + c] / 255.0f;
          o[(gsize)y * size + x] = (v - mean[c]) / std[c];
        }
      }
    }
  }
}

SwellRgbImage *swell_transform_eval_image(const SwellRgbImage *img, int size) {
  g_return_val_if_fail(img != NULL && size > 0, NULL);
  int nw, nh;
  swell_short_side_size(img->width, img->height, size, &nw, &nh);
  /* The short side is `size`, so the centre square lies inside the resized
   * image; only that square is computed (a 100000 x 10 panorama would
   * otherwise need a 2240000 x 224 intermediate). */
  int top = (int)rint((nh - size) / 2.0), left = (int)rint((nw - size) / 2.0);
  return swell_rgb_image_resize_region(img, nw, nh, left, top, size, size);
}

gboolean swell_transform_eval(const SwellRgbImage *img, int size, const float mean[3],
                              const float std[3], float *out_chw) {
  g_return_val_if_fail(img != NULL && size > 0 && out_chw != NULL, FALSE);
  g_autoptr(SwellRgbImage) square = swell_transform_eval_image(img, size);
  if (!square) return FALSE;
  swell_transform_center_crop(square, size, mean, std, out_chw);
  return TRUE;
}

/* ---------------------------------------------------------------- config */

void swell_augment_config_init_default(SwellAugmentConfig *cfg, int size) {
  *cfg = (SwellAugmentConfig){
      .size = size,
      .random_resized_crop = TRUE,
      .min_scale = 0.08,
      .max_scale = 1.0,
      .ratio_min = 3.0 / 4.0,
      .ratio_max = 4.0 / 3.0,
      .do_flip = TRUE,
      .max_rotate = 10.0,
      .min_zoom = 1.0,
      .max_zoom = 1.1,
      .max_warp = 0.2,
      .p_affine = 0.75,
      .max_lighting = 0.2,
      .p_lighting = 0.75,
      .pad_mode = SWELL_PAD_REFLECTION,
  };
}

void swell_augment_config_init_none(SwellAugmentConfig *cfg, int size) {
  SwellAugSettings none = {0};
  swell_augment_config_from_settings(cfg, size, &none);
}

/* ------------------------------------------------- augmentation settings */

static const SwellAugInfo aug_table[SWELL_N_AUGS] = {
    [SWELL_AUG_CROP] = {"crop", N_("Random resized crop"), "min_scale", "min-scale",
                        N_("Smallest crop, as a fraction of the image area"), 0.08, 0.01, 1.0,
                        0.01, TRUE},
    [SWELL_AUG_FLIP] = {"flip", N_("Horizontal flip"), NULL, NULL, NULL, 0, 0, 0, 0, TRUE},
    [SWELL_AUG_ROTATE] = {"rotate", N_("Rotation"), "max_rotate", "max-rotate",
                          N_("Largest rotation, in degrees"), 10.0, 0.0, 180.0, 1.0, FALSE},
    [SWELL_AUG_ZOOM] = {"zoom", N_("Zoom"), "max_zoom", "max-zoom",
                        N_("Largest zoom factor"), 1.1, 1.0, 4.0, 0.05, FALSE},
    [SWELL_AUG_WARP] = {"warp", N_("Perspective warp"), "max_warp", "max-warp",
                        N_("Largest perspective warp"), 0.2, 0.0, 0.9, 0.05, FALSE},
    [SWELL_AUG_LIGHTING] = {"lighting", N_("Brightness and contrast"), "max_lighting",
                            "max-lighting", N_("Largest change of brightness and contrast"), 0.2,
                            0.0, 0.9, 0.05, FALSE},
};

const SwellAugInfo *swell_aug_info(SwellAug aug) {
  g_return_val_if_fail(aug >= 0 && aug < SWELL_N_AUGS, NULL);
  return &aug_table[aug];
}

int swell_aug_from_name(const char *name) {
  for (int a = 0; a < SWELL_N_AUGS; a++)
    if (g_strcmp0(name, aug_table[a].name) == 0) return a;
  return -1;
}

void swell_aug_settings_init(SwellAugSettings *s) {
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    s->on[a] = aug_table[a].on_by_default;
    s->value[a] = aug_table[a].value_default;
  }
}

gboolean swell_aug_settings_set_list(SwellAugSettings *s, const char *list, GError **error) {
  gboolean on[SWELL_N_AUGS] = {0};
  g_auto(GStrv) words = g_strsplit(list ? list : "", ",", -1);
  gboolean none = g_strv_length(words) == 1 && strcmp(g_strstrip(words[0]), "none") == 0;
  for (int i = 0; words[i] && !none; i++) {
    int a = swell_aug_from_name(g_strstrip(words[i]));
    if (a < 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  _("unknown augmentation “%s” (choose from crop, flip, rotate, zoom, warp, "
                    "lighting, or none)"),
                  words[i]);
      return FALSE;
    }
    on[a] = TRUE;
  }
  memcpy(s->on, on, sizeof on);
  return TRUE;
}

char *swell_aug_settings_get_list(const SwellAugSettings *s) {
  GString *list = g_string_new(NULL);
  for (int a = 0; a < SWELL_N_AUGS; a++)
    if (s->on[a]) g_string_append_printf(list, "%s%s", list->len ? "," : "", aug_table[a].name);
  if (list->len == 0) g_string_append(list, "none");
  return g_string_free(list, FALSE);
}

int swell_aug_settings_find_bad_value(const SwellAugSettings *s) {
  for (int a = 0; a < SWELL_N_AUGS; a++) {
    const SwellAugInfo *i = &aug_table[a];
    if (i->value_name && !(s->value[a] >= i->value_min && s->value[a] <= i->value_max)) return a;
  }
  return -1;
}

void swell_augment_config_from_settings(SwellAugmentConfig *cfg, int size,
                                        const SwellAugSettings *s) {
  swell_augment_config_init_default(cfg, size);
  const double *v = s->value;
  cfg->random_resized_crop = s->on[SWELL_AUG_CROP];
  if (s->on[SWELL_AUG_CROP]) cfg->min_scale = v[SWELL_AUG_CROP];
  cfg->do_flip = s->on[SWELL_AUG_FLIP];
  cfg->max_rotate = s->on[SWELL_AUG_ROTATE] ? v[SWELL_AUG_ROTATE] : 0.0;
  cfg->max_zoom = s->on[SWELL_AUG_ZOOM] ? v[SWELL_AUG_ZOOM] : 1.0;
  cfg->max_warp = s->on[SWELL_AUG_WARP] ? v[SWELL_AUG_WARP] : 0.0;
  cfg->max_lighting = s->on[SWELL_AUG_LIGHTING] ? v[SWELL_AUG_LIGHTING] : 0.0;
}

SwellRgbImage *swell_transform_train_image(const SwellRgbImage *img, int short_side) {
  int nw, nh;
  swell_short_side_size(img->width, img->height, short_side, &nw, &nh);
  int cw = MIN(nw, 4 * nh), ch = MIN(nh, 4 * nw);
  return swell_rgb_image_resize_region(img, nw, nh, (nw - cw) / 2, (nh - ch) / 2, cw, ch);
}

/* ------------------------------------------------------------------- RNG */

static guint64 splitmix64(guint64 *x) {
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

guint64 swell_augment_sample_seed(guint64 seed, guint64 epoch, guint64 index) {
  guint64 s = seed;
  guint64 a = splitmix64(&s);
  s = a ^ (epoch * 0xD1B54A32D192ED03ull);
  guint64 b = splitmix64(&s);
  s = b ^ (index * 0x8CB92BA72F3D8DD7ull);
  return splitmix64(&s);
}

typedef struct {
  guint64 s[4];
} Rng; /* xoshiro256** */

static void rng_seed(Rng *r, guint64 seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline guint64 rotl(guint64 x, int k) { return (x << k) | (x >> (64 - k)); }

static guint64 rng_next(Rng *r) {
  guint64 *s = r->s;
  guint64 result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double rng_uniform(Rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static double rng_range(Rng *r, double lo, double hi) { return lo + (hi - lo) * rng_uniform(r); }
/* Uniform integer in [lo, hi], like Python's random.randint. */
static int rng_randint(Rng *r, int lo, int hi) {
  if (hi <= lo) return lo;
  return lo + (int)(rng_uniform(r) * (double)(hi - lo + 1));
}
static gboolean rng_bernoulli(Rng *r, double p) { return rng_uniform(r) < p; }

void swell_permutation(guint64 seed, guint32 *perm, gsize n) {
  Rng r;
  rng_seed(&r, seed);
  for (gsize i = 0; i < n; i++) perm[i] = (guint32)i;
  for (gsize i = n; i > 1; i--) {
    gsize j = (gsize)(rng_uniform(&r) * (double)i);
    guint32 t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
}

/* ----------------------------------------------------------------- draws */

void swell_augment_draw(const SwellAugmentConfig *cfg, int w, int h, guint64 sample_seed,
                        SwellAugmentParams *p) {
  Rng r;
  rng_seed(&r, sample_seed);
  memset(p, 0, sizeof *p);
  p->zoom = 1.0;
  p->zoom_col = p->zoom_row = 0.5;
  p->brightness = 0.5;
  p->contrast = 1.0;

  /* fastai RandomResizedCrop.before_call */
  gboolean found = FALSE;
  if (cfg->random_resized_crop) {
    for (int attempt = 0; attempt < 10 && !found; attempt++) {
      double area = rng_range(&r, cfg->min_scale, cfg->max_scale) * w * h;
      double ratio = exp(rng_range(&r, log(cfg->ratio_min), log(cfg->ratio_max)));
      int nw = (int)rint(sqrt(area * ratio));
      int nh = (int)rint(sqrt(area / ratio));
      if (nw <= w && nh <= h && nw >= 1 && nh >= 1) {
        p->crop_w = nw;
        p->crop_h = nh;
        p->crop_x = rng_randint(&r, 0, w - nw);
        p->crop_y = rng_randint(&r, 0, h - nh);
        found = TRUE;
      }
    }
    if (!found) {
      double ar = (double)w / h;
      if (ar < cfg->ratio_min) {
        p->crop_w = w;
        p->crop_h = (int)(w / cfg->ratio_min);
      } else if (ar > cfg->ratio_max) {
        p->crop_w = (int)(h * cfg->ratio_max);
        p->crop_h = h;
      } else {
        p->crop_w = w;
        p->crop_h = h;
      }
    }
  } else {
    /* Resize the short side then centre crop = centre square of the image. */
    p->crop_w = p->crop_h = MIN(w, h);
  }
  p->crop_w = CLAMP(p->crop_w, 1, w);
  p->crop_h = CLAMP(p->crop_h, 1, h);
  if (!found) {
    p->crop_x = (w - p->crop_w) / 2;
    p->crop_y = (h - p->crop_h) / 2;
  }

  /* aug_transforms, in fastai's order: Flip, Warp, Rotate, Zoom, Brightness, Contrast. */
  if (cfg->do_flip) p->flip = rng_bernoulli(&r, 0.5);
  if (cfg->max_warp > 0) {
    double xt = rng_range(&r, -cfg->max_warp, cfg->max_warp);
    p->warp_x = rng_bernoulli(&r, cfg->p_affine) ? xt : 0.0;
    double yt = rng_range(&r, -cfg->max_warp, cfg->max_warp);
    p->warp_y = rng_bernoulli(&r, cfg->p_affine) ? yt : 0.0;
  }
  if (cfg->max_rotate > 0) {
    double deg = rng_range(&r, -cfg->max_rotate, cfg->max_rotate);
    p->rotate_deg = rng_bernoulli(&r, cfg->p_affine) ? deg : 0.0;
  }
  if (cfg->min_zoom < 1.0 || cfg->max_zoom > 1.0) {
    double z = rng_range(&r, cfg->min_zoom, cfg->max_zoom);
    p->zoom = rng_bernoulli(&r, cfg->p_affine) ? z : 1.0;
    p->zoom_col = rng_uniform(&r);
    p->zoom_row = rng_uniform(&r);
  }
  if (cfg->max_lighting > 0) {
    double m = cfg->max_lighting;
    double b = rng_range(&r, 0.5 * (1 - m), 0.5 * (1 + m));
    p->brightness = rng_bernoulli(&r, cfg->p_lighting) ? b : 0.5;
    double c = exp(rng_range(&r, log(1 - m), -log(1 - m)));
    p->contrast = rng_bernoulli(&r, cfg->p_lighting) ? c : 1.0;
  }
}

/* ------------------------------------------------------------- rendering */

/* 3x3 row-major product c = a @ b. */
static void mat3_mul(const double a[9], const double b[9], double c[9]) {
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) c[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
}

/* Solves A x = b (8x8) by Gaussian elimination with partial pivoting.
 * Returns FALSE when A is singular. */
static gboolean solve8(double A[8][8], double b[8], double x[8]) {
  for (int col = 0; col < 8; col++) {
    int piv = col;
    for (int r = col + 1; r < 8; r++)
      if (fabs(A[r][col]) > fabs(A[piv][col])) piv = r;
    if (fabs(A[piv][col]) < 1e-12) return FALSE;
    if (piv != col) {
      for (int k = 0; k < 8; k++) {
        double t = A[col][k];
        A[col][k] = A[piv][k];
        A[piv][k] = t;
      }
      double t = b[col];
      b[col] = b[piv];
      b[piv] = t;
    }
    for (int r = col + 1; r < 8; r++) {
      double f = A[r][col] / A[col][col];
      for (int k = col; k < 8; k++) A[r][k] -= f * A[col][k];
      b[r] -= f * b[col];
    }
  }
  for (int r = 7; r >= 0; r--) {
    double s = b[r];
    for (int k = r + 1; k < 8; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return TRUE;
}

/* fastai's _WarpCoord: the homography H with H(targ_i) = orig_i for the four
 * corners (find_coeffs(orig_pts, targ_pts)), applied to the sampling grid. */
static gboolean warp_homography(double xt, double yt, double H[9]) {
  const double orig[4][2] = {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}};
  const double targ[4][2] = {{-1 - yt, -1 - xt}, {-1 + yt, 1 + xt}, {1 + yt, -1 + xt}, {1 - yt, 1 - xt}};
  double A[8][8], b[8], x[8];
  for (int i = 0; i < 4; i++) {
    double p1x = orig[i][0], p1y = orig[i][1], p2x = targ[i][0], p2y = targ[i][1];
    double r0[8] = {p2x, p2y, 1, 0, 0, 0, -p1x * p2x, -p1x * p2y};
    double r1[8] = {0, 0, 0, p2x, p2y, 1, -p1y * p2x, -p1y * p2y};
    memcpy(A[2 * i], r0, sizeof r0);
    memcpy(A[2 * i + 1], r1, sizeof r1);
    b[2 * i] = p1x;
    b[2 * i + 1] = p1y;
  }
  if (!solve8(A, b, x)) return FALSE;
  for (int i = 0; i < 8; i++) H[i] = x[i];
  H[8] = 1.0;
  return TRUE;
}

/* grid_sample's reflect_coordinates + clip for align_corners=True, in pixel
 * units over [0, n-1]. */
static inline float reflect_coord(float v, int n) {
  float span = (float)(n - 1);
  if (v >= 0.0f && v <= span) return v; /* the common case */
  if (n <= 1) return 0.0f;
  v = fabsf(v);
  float flips = floorf(v / span);
  float extra = v - flips * span;
  v = ((long)flips % 2 == 0) ? extra : span - extra;
  return CLAMP(v, 0.0f, span);
}

/* Bilinear sample of the three channels at continuous pixel-centre
 * coordinates (x, y), clamped to the image; adds weight * value to acc. */
static inline void bilinear_acc(const SwellRgbImage *img, float x, float y, float weight,
                                float acc[3]) {
  int w = img->width, h = img->height;
  x = CLAMP(x, 0.0f, (float)(w - 1));
  y = CLAMP(y, 0.0f, (float)(h - 1));
  int x0 = (int)x, y0 = (int)y;
  int x1 = MIN(x0 + 1, w - 1), y1 = MIN(y0 + 1, h - 1);
  float fx = x - x0, fy = y - y0;
  float w00 = (1 - fx) * (1 - fy) * weight, w01 = fx * (1 - fy) * weight;
  float w10 = (1 - fx) * fy * weight, w11 = fx * fy * weight;
  const guint8 *p00 = img->pixels + ((gsize)y0 * w + x0) * 3;
  const guint8 *p01 = img->pixels + ((gsize)y0 * w + x1) * 3;
  const guint8 *p10 = img->pixels + ((gsize)y1 * w + x0) * 3;
  const guint8 *p11 = img->pixels + ((gsize)y1 * w + x1) * 3;
  for (int c = 0; c < 3; c++) acc[c] += w00 * p00[c] + w01 * p01[c] + w10 * p10[c] + w11 * p11[c];
}

#define LIGHT_LUT 4096

void swell_augment_apply(const SwellRgbImage *img, const SwellAugmentConfig *cfg,
                         const SwellAugmentParams *p, const float mean[3], const float std[3],
                         float *out_chw) {
  const int S = cfg->size;
  const gsize plane = (gsize)S * S;

  /* Affine matrix M = flip @ rotate @ zoom, as AffineCoordTfm composes them
   * (the output is square, so _prepare_mat's aspect correction is 1). */
  double F[9] = {p->flip ? -1.0 : 1.0, 0, 0, 0, 1, 0, 0, 0, 1};
  double th = p->rotate_deg * G_PI / 180.0;
  double R[9] = {cos(th), sin(th), 0, -sin(th), cos(th), 0, 0, 0, 1};
  double s = 1.0 / p->zoom;
  double Z[9] = {s, 0, (1 - s) * (2 * p->zoom_col - 1), 0, s, (1 - s) * (2 * p->zoom_row - 1), 0, 0, 1};
  double FR[9], M[9];
  mat3_mul(F, R, FR);
  mat3_mul(FR, Z, M);
  double H[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  gboolean warp = (p->warp_x != 0.0 || p->warp_y != 0.0) && warp_homography(p->warp_x, p->warp_y, H);
  /* T = H @ M maps the output grid (xn, yn, 1) to homogeneous crop coordinates. */
  double T[9];
  mat3_mul(H, M, T);
  /* ... and the grid is xn = -1 + gx * step: fold that in, so that
   * (num_x, num_y, den) = T' @ (gx, gy, 1) in crop-pixel units. */
  double step = S > 1 ? 2.0 / (S - 1) : 0.0;
  double half = 0.5 * (S - 1);
  double A[9];
  for (int r = 0; r < 3; r++) {
    double a = T[r * 3] * step, b = T[r * 3 + 1] * step, c = T[r * 3 + 2] - T[r * 3] - T[r * 3 + 1];
    if (S <= 1) {
      a = b = 0;
      c = T[r * 3 + 2];
    }
    A[r * 3] = a;
    A[r * 3 + 1] = b;
    A[r * 3 + 2] = c;
  }
  /* pixel coordinate px = (u + 1) * half = (num_x + den) * half / den */
  float Ax[3] = {(float)((A[0] + A[6]) * half), (float)((A[1] + A[7]) * half), (float)((A[2] + A[8]) * half)};
  float Ay[3] = {(float)((A[3] + A[6]) * half), (float)((A[4] + A[7]) * half), (float)((A[5] + A[8]) * half)};
  float Ad[3] = {(float)A[6], (float)A[7], (float)A[8]};

  /* The crop, PIL-resized to S x S in fastai, is sampled directly here:
   * virtual pixel i of the crop sits at source x = crop_x + (i + 0.5) * sx - 0.5. */
  float sx = (float)p->crop_w / S, sy = (float)p->crop_h / S;
  float bx = p->crop_x + 0.5f * sx - 0.5f, by = p->crop_y + 0.5f * sy - 0.5f;
  double mscale = MAX(hypot(M[0], M[3]), hypot(M[1], M[4]));
  double shrink = MAX(sx, sy) * mscale * (warp ? 1.0 + MAX(fabs(p->warp_x), fabs(p->warp_y)) : 1.0);
  /* Plain bilinear up to a 1.25x shrink; k x k sub-samples beyond. */
  int k = shrink <= 1.25 ? 1 : (int)ceil(shrink - 1e-6);
  k = CLAMP(k, 1, 4);
  float offs[4];
  for (int a = 0; a < k; a++) offs[a] = (float)((a + 0.5) / k - 0.5);
  const float sub_w = 1.0f / (float)(k * k);
  const gboolean zeros = cfg->pad_mode == SWELL_PAD_ZEROS;
  const float span = (float)(S - 1);

  /* Lighting as a table over [0, 1], linearly interpolated: fastai's
   * sigmoid((logit(x) + logit(b)) * c) with logit clamped to [1e-7, 1-1e-7]. */
  gboolean light = p->brightness != 0.5 || p->contrast != 1.0;
  float *lut = NULL;
  if (light) {
    lut = g_new(float, LIGHT_LUT + 2);
    double lb = log(p->brightness / (1.0 - p->brightness));
    for (int i = 0; i <= LIGHT_LUT; i++) {
      double x = CLAMP((double)i / LIGHT_LUT, 1e-7, 1.0 - 1e-7);
      double l = (-log(1.0 / x - 1.0) + lb) * p->contrast;
      lut[i] = (float)(1.0 / (1.0 + exp(-l)));
    }
    lut[LIGHT_LUT + 1] = lut[LIGHT_LUT];
  }
  float inv_std[3];
  for (int c = 0; c < 3; c++) inv_std[c] = 1.0f / std[c];

  for (int oy = 0; oy < S; oy++) {
    for (int ox = 0; ox < S; ox++) {
      float acc[3] = {0, 0, 0};
      for (int ay = 0; ay < k; ay++) {
        float gy = oy + offs[ay];
        for (int ax = 0; ax < k; ax++) {
          float gx = ox + offs[ax];
          float px = Ax[0] * gx + Ax[1] * gy + Ax[2];
          float py = Ay[0] * gx + Ay[1] * gy + Ay[2];
          if (warp) {
            float d = Ad[0] * gx + Ad[1] * gy + Ad[2];
            if (d != 0.0f) {
              px /= d;
              py /= d;
            }
          }
          float cover = sub_w;
          if (!zeros) {
            px = reflect_coord(px, S);
            py = reflect_coord(py, S);
          } else if (px < 0 || py < 0 || px > span || py > span) {
            float ox_out = MAX(0.0f, MAX(-px, px - span));
            float oy_out = MAX(0.0f, MAX(-py, py - span));
            cover *= MAX(0.0f, 1.0f - ox_out) * MAX(0.0f, 1.0f - oy_out);
            if (cover <= 0.0f) continue;
            px = CLAMP(px, 0.0f, span);
            py = CLAMP(py, 0.0f, span);
          }
          bilinear_acc(img, bx + px * sx, by + py * sy, cover, acc);
        }
      }
      gsize o = (gsize)oy * S + ox;
      for (int c = 0; c < 3; c++) {
        float x = acc[c] * (1.0f / 255.0f);
        if (lut) {
          float t = CLAMP(x, 0.0f, 1.0f) * LIGHT_LUT;
          int i = (int)t;
          float f = t - i;
          x = lut[i] + f * (lut[i + 1] - lut[i]);
        }
        out_chw[c * plane + o] = (x - mean[c]) * inv_std[c];
      }
    }
  }
  g_free(lut);
}

void swell_transform_train(const SwellRgbImage *img, const SwellAugmentConfig *cfg,
                           guint64 sample_seed, const float mean[3], const float std[3],
                           float *out_chw) {
  SwellAugmentParams p;
  swell_augment_draw(cfg, img->width, img->height, sample_seed, &p);
  swell_augment_apply(img, cfg, &p, mean, std, out_chw);
}
