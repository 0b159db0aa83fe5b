/* swell-trainer-private.h: the trainer's job, shared by swell-trainer.c (the
 * set-up and the fit) and swell-trainer-final.c (the run's end: the kept
 * model and its predictions of every image). Not for use outside these files. */
#pragma once

#include "learner.h"
#include "swell-loader.h"
#include "swell-model-spec-private.h"
#include "swell-trainer.h"

G_BEGIN_DECLS

struct _SwellTrainer {
  GObject parent_instance;
  char *project_path;
  SwellTrainerMode mode;
  SwellTrainOptions opts;
  GMainContext *context;
  GThread *thread;
  GMutex lock;
  gboolean running;
  gboolean finished;
  gint cancel; /* atomic */
  sw_learner *learner;  /* under lock while it exists */
  SwellLoader *loaders[2];
  /* results */
  gint64 run_id;        /* atomic */
  SwellRunStatus status;
  GError *error;
  double seconds;
  char **class_names;
  double accuracy;
  int *confusion;
  int n_classes;
  SwellLrFindResult *lr_find;
  GPtrArray *warnings;
  guint auto_split;     /* images the job moved to valid (the project had none) */
  int kept_epoch;       /* 0-based epoch of the stored model, -1 when none */
  double test_accuracy; /* NAN when there were no test images */
  int *test_confusion;  /* n_classes x n_classes, NULL when no test images */
  int n_test;
};

/* A batch source over one loader. */
typedef struct {
  SwellLoader *loader;
  int size;
  gboolean cancelled;
  /* ids of the images of the current pass and of the last complete pass */
  GArray *ids_cur, *ids_done;
} Source;

/* One prediction pass: n images, in ids order (g_free'd by swell_trainer_pass_clear). */
typedef struct {
  int n;
  float *probs;     /* n x n_classes */
  int32_t *targets;
  float *losses;
  float *logits;    /* n x n_classes, before the softmax */
  gint64 *ids;
} SwellTrainerPass;

G_GNUC_INTERNAL void swell_trainer_pass_clear(SwellTrainerPass *pass);

/* One training job: its state from the project's items to the stored run, set up in steps
 * by run_job() and released by job_clear(). */
typedef struct {
  SwellTrainer *self;
  const SwellTrainOptions *o;  /* self->opts */
  SwellProject *project;       /* the job's own connection for writes */
  SwellProject *fetch_project; /* and the one for the loaders' image fetches */
  GMutex fetch_lock;           /* held around each fetch: the loaders of both splits share that
                                * connection, which is not for two threads at once (NOMUTEX) */
  GArray *items[2];            /* SwellLoaderItem: training, validation */
  char *weights_path;          /* the pretrained file */
  SwellModelSpec meta;         /* its metadata */
  sw_model *model;
  Source src[2];               /* training, validation */
  sw_batch_source bs[2];
  sw_net net;
  sw_learner *learner;
  gint64 run_id;
  GArray *points;              /* SwellRunPoint waiting to be stored */
  double t0;
  int n_epochs_total;
  GError *store_error;         /* first storage failure: the job stops */
  /* the run's end (swell-trainer-final.c) */
  int last_epoch;              /* the last completed epoch (0-based, over the run), -1: none */
  int best_epoch;              /* SWELL_KEEP_BEST: the lowest validation loss so far, -1: none */
  double best_loss;
  float *best_snap;            /* the network at best_epoch's end */
  SwellTrainerPass kept_valid; /* the validation pass of a restored best model (n 0: none) */
  GArray *review_items;        /* SwellLoaderItem: labeled training and test, unlabeled images */
  GArray *review_kinds;        /* guint8 per review item: its split, + REVIEW_UNLABELED */
} Job;

/* swell-trainer.c */
/* The labeled images of one split as loader items (class index = category position). */
G_GNUC_INTERNAL GArray *swell_trainer_split_items(SwellProject *p, GPtrArray *cats,
                                                  SwellSplit split, GError **error);
/* A loader over `items` with the training (augmented) or the validation transform, and
 * the learner's batch source on it. */
G_GNUC_INTERNAL void swell_trainer_source_init(Job *job, gboolean training, const GArray *items,
                                               Source *src, sw_batch_source *bs);
G_GNUC_INTERNAL void swell_trainer_source_clear(Source *src);
/* {"classes": [...], "matrix": [[...]]}, as the store keeps confusion matrices. */
G_GNUC_INTERNAL char *swell_trainer_confusion_json(char **classes, const int *cm, int C);

/* swell-trainer-final.c */
/* Picks the review images (labeled training and test images, unlabeled ones) once the
 * training and validation items are known. */
G_GNUC_INTERNAL gboolean swell_trainer_collect_review(Job *job, GPtrArray *cats, GError **error);
/* After each completed epoch: keeps the network of the lowest validation loss (SWELL_KEEP_BEST). */
G_GNUC_INTERNAL void swell_trainer_note_epoch(Job *job, const sw_epoch_info *ei);
/* At the end: restores the kept network (best: and validates it again) and sets kept_epoch. */
G_GNUC_INTERNAL gboolean swell_trainer_restore_kept(Job *job, GError **error);
/* The kept model's validation: its pass, or the learner's last one. Returns n. */
G_GNUC_INTERNAL int swell_trainer_kept_valid(Job *job, const float **probs,
                                             const int32_t **targets, const float **losses,
                                             const gint64 **ids);
/* The kept model's predictions of the review images, stored, and the test images' score. */
G_GNUC_INTERNAL gboolean swell_trainer_store_review(Job *job, GError **error);
/* Frees what the run's end kept in the job. */
G_GNUC_INTERNAL void swell_trainer_final_clear(Job *job);

G_END_DECLS
