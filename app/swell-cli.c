/* swell-cli: headless front end to the Swell engine and projects. */
#include "swell-config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swell-cli.h"

/* Commands, one block per area. Each block declares its functions and adds its
 * table entries; keep to your own block. */
/* -- decl: inspection (classify, forward) -- */
int swell_cli_classify(int argc, char **argv);
int swell_cli_forward(int argc, char **argv);
/* -- end decl: inspection -- */
/* -- decl: data (new, import, info, export) -- */
int swell_cli_new(int argc, char **argv);
int swell_cli_import(int argc, char **argv);
int swell_cli_info(int argc, char **argv);
int swell_cli_export(int argc, char **argv);
/* -- end decl: data -- */
/* -- decl: training (train, lr-find, report, predict) -- */
int swell_cli_train(int argc, char **argv);
int swell_cli_lr_find(int argc, char **argv);
int swell_cli_report(int argc, char **argv);
int swell_cli_predict(int argc, char **argv);
/* -- end decl: training -- */
/* -- decl: weights -- */
int swell_cli_weights(int argc, char **argv);
/* -- end decl: weights -- */

static const SwellCliCommand commands[] = {
  /* -- table: inspection -- */
  {"classify", N_("classify --arch A --weights FILE [--labels FILE] [--top K] [--json] IMAGE…"), swell_cli_classify},
  {"forward", N_("forward --arch A --weights FILE [--num-classes N] [--head imagenet|fastai] [--eval|--train] --input IN --output OUT"), swell_cli_forward},
  /* -- end table: inspection -- */
  /* -- table: data -- */
  {"new", N_("new PROJECT [--categories a,b,c]"), swell_cli_new},
  {"import", N_("import PROJECT PATH… [--split train|valid]"), swell_cli_import},
  {"info", N_("info PROJECT [--json]"), swell_cli_info},
  {"export", N_("export PROJECT DIR"), swell_cli_export},
  /* -- end table: data -- */
  /* -- table: training -- */
  {"train", N_("train PROJECT [--arch A] [--weights FILE] [--epochs N] [--freeze-epochs N] [--lr X] [--batch-size N] [--size N] [--seed N] [--threads N] [--no-augment] [--json]"), swell_cli_train},
  {"lr-find", N_("lr-find PROJECT [--arch A] [--weights FILE] [--lr X] [--batch-size N] [--size N] [--seed N] [--threads N] [--no-augment] [--json]"), swell_cli_lr_find},
  {"report", N_("report PROJECT [--run N] [--top K] [--json]"), swell_cli_report},
  {"predict", N_("predict PROJECT IMAGE... [--top K] [--json]"), swell_cli_predict},
  /* -- end table: training -- */
  /* -- table: weights -- */
  {"weights", N_("weights list | fetch ARCH | import ARCH FILE   manage the pretrained weights"),
   swell_cli_weights},
  /* -- end table: weights -- */
  {NULL, NULL, NULL},
};

int swell_cli_fail(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  fprintf(stderr, "swell-cli: %s\n", msg);
  return 1;
}

static void print_help(FILE *out) {
  fprintf(out, "%s\n\n", _("Usage: swell-cli COMMAND [OPTIONS...]"));
  fprintf(out, "%s\n", _("Commands:"));
  for (const SwellCliCommand *c = commands; c->name; c++)
    fprintf(out, "  %s\n", _(c->usage));
  fprintf(out, "\n%s\n", _("Run “swell-cli COMMAND --help” for a command’s options."));
}

int main(int argc, char **argv) {
  setlocale(LC_ALL, "");
  bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    print_help(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("swell-cli %s\n", PACKAGE_VERSION);
    return 0;
  }
  for (const SwellCliCommand *c = commands; c->name; c++)
    if (strcmp(c->name, argv[1]) == 0) return c->func(argc - 1, argv + 1);
  return swell_cli_fail(_("unknown command “%s”; run “swell-cli help” for the list"), argv[1]);
}
