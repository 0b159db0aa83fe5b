/* swell-cli.h: the headless command-line tool. Each command group lives in its
 * own file in app/cli/ (data.c, label.c, train.c, report.c, predict.c, model.c,
 * weights.c, inspect.c) and every command has this signature: argv[0] is the command name.
 * Return 0 on success; otherwise print one line "swell-cli: <reason>" on
 * stderr and return non-zero. The table in swell-cli.c lists them. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "swell-project.h"

typedef int (*SwellCliCommandFunc)(int argc, char **argv);

typedef struct {
  const char *name;
  const char *usage;   /* translatable, shown by `swell-cli help` */
  SwellCliCommandFunc func;
} SwellCliCommand;

/* inspect.c: checks of the engine from outside, on weight files */
int swell_cli_classify(int argc, char **argv);
int swell_cli_forward(int argc, char **argv);
/* data.c: projects and their images */
int swell_cli_new(int argc, char **argv);
int swell_cli_import(int argc, char **argv);
int swell_cli_info(int argc, char **argv);
int swell_cli_export(int argc, char **argv);
/* label.c: labels, splits, categories and runs of a project */
int swell_cli_images(int argc, char **argv);
int swell_cli_set(int argc, char **argv);
int swell_cli_delete(int argc, char **argv);
int swell_cli_split(int argc, char **argv);
int swell_cli_categories(int argc, char **argv);
int swell_cli_runs(int argc, char **argv);
/* train.c */
int swell_cli_train(int argc, char **argv);
int swell_cli_lr_find(int argc, char **argv);
/* report.c */
int swell_cli_report(int argc, char **argv);
/* predict.c */
int swell_cli_predict(int argc, char **argv);
int swell_cli_explain(int argc, char **argv);
/* The model of run_id (0: the latest run with one) of a project; NULL after
 * printing the reason (predict.c, used by model.c). */
SwellProjectModel *swell_cli_load_model(const char *project, gint64 run_id);
/* model.c: a trained model as a file */
int swell_cli_export_model(int argc, char **argv);
/* weights.c: the pretrained weights cache */
int swell_cli_weights(int argc, char **argv);

/* Prints "swell-cli: " + message to stderr; returns 1. */
int swell_cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Parses GOption entries (help enabled); on failure prints the one-line reason
 * and returns FALSE. */
gboolean swell_cli_parse_options(GOptionEntry *entries, const char *param, int *argc, char ***argv);

/* Prints a JSON node or a builder's root as one line on stdout and flushes. */
void swell_cli_print_json_node(JsonNode *root);
void swell_cli_print_json(JsonBuilder *b);
/* Adds member `name`: v, or null when v is not finite. */
void swell_cli_add_double(JsonBuilder *b, const char *name, double v);
/* The number people see for an epoch: from 1, as the window shows it (the store
 * counts from 0). */
int swell_cli_epoch_number(const SwellEpochMetrics *m);
/* One epoch's metrics as a JSON object (train --json lines, report --json). */
void swell_cli_add_epoch(JsonBuilder *b, const SwellEpochMetrics *m);
/* Prints a confusion matrix (C x C, rows actual) as a table under its title (report.c). */
void swell_cli_print_confusion(const char *const *classes, const int *cm, int C);
