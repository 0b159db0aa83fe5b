/* swell-cli: headless front end to the Swell engine and projects. */
#include "swell-config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swell-cli.h"


static const SwellCliCommand commands[] = {
  /* -- table: inspection -- */
  {"classify", N_("classify --arch A --weights FILE [--labels FILE] [--top K] [--squash] [--json] IMAGE…"), swell_cli_classify},
  {"forward", N_("forward --arch A --weights FILE [--num-classes N] [--head imagenet|fastai] [--eval|--train] --input IN --output OUT"), swell_cli_forward},
  /* -- end table: inspection -- */
  /* -- table: data -- */
  {"new", N_("new PROJECT [--categories a,b,c]"), swell_cli_new},
  {"import", N_("import PROJECT PATH… [--split train|valid] [--category C]"), swell_cli_import},
  {"info", N_("info PROJECT [--json]"), swell_cli_info},
  {"export", N_("export PROJECT DIR [--force]"), swell_cli_export},
  /* -- end table: data -- */
  /* -- table: labeling -- */
  {"images", N_("images PROJECT [--category C|--unlabeled] [--split train|valid|test] [--json]"), swell_cli_images},
  {"set", N_("set PROJECT ID… [--category C|--unlabeled|--predicted [--min-confidence P]] [--split train|valid|test]"), swell_cli_set},
  {"delete", N_("delete PROJECT ID…"), swell_cli_delete},
  {"split", N_("split PROJECT [--valid-pct 20] [--seed N]"), swell_cli_split},
  {"categories", N_("categories PROJECT add NAME… | rename OLD NEW | delete NAME… | list [--json]"), swell_cli_categories},
  {"runs", N_("runs PROJECT [--json] | runs PROJECT delete N"), swell_cli_runs},
  /* -- end table: labeling -- */
  /* -- table: training -- */
  {"train", N_("train PROJECT [--arch A] [--weights FILE] [--epochs N] [--freeze-epochs N] [--lr X] [--lr-mult X] [--batch-size N] [--size N] [--seed N] [--threads N] [--opt adam|sgd] [--no-augment | --aug crop,flip,rotate,zoom,warp,lighting] [--min-scale X] [--max-rotate X] [--max-zoom X] [--max-warp X] [--max-lighting X] [--keep last|best] [--json]"), swell_cli_train},
  {"lr-find", N_("lr-find PROJECT [--arch A] [--weights FILE] [--lr X] [--batch-size N] [--size N] [--seed N] [--threads N] [--opt adam|sgd] [--no-augment | --aug LIST] [--min-scale X] [--max-rotate X] [--max-zoom X] [--max-warp X] [--max-lighting X] [--json]"), swell_cli_lr_find},
  {"report", N_("report PROJECT [--run N] [--top K] [--split train|valid|both] [--order loss|unsure] [--tta] [--seed N] [--json]"), swell_cli_report},
  {"predict", N_("predict PROJECT IMAGE... [--top K] [--tta] [--seed N] [--json]"), swell_cli_predict},
  {"predict", N_("predict --model FILE IMAGE... [--top K] [--tta] [--seed N] [--json]"), swell_cli_predict},
  {"explain", N_("explain PROJECT IMAGE [--class C] --out FILE.png"), swell_cli_explain},
  {"export-model", N_("export-model PROJECT OUT [--run N] [--format safetensors|onnx]"), swell_cli_export_model},
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

/* ------------------------------------------------ helpers for the commands */

void swell_cli_print_json_node(JsonNode *root) {
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  g_autofree char *s = json_generator_to_data(gen, NULL);
  printf("%s\n", s);
  fflush(stdout);
}

void swell_cli_print_json(JsonBuilder *b) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  swell_cli_print_json_node(root);
}

void swell_cli_add_double(JsonBuilder *b, const char *name, double v) {
  json_builder_set_member_name(b, name);
  if (isfinite(v))
    json_builder_add_double_value(b, v);
  else
    json_builder_add_null_value(b);
}

int swell_cli_epoch_number(const SwellEpochMetrics *m) { return m->epoch + 1; }

/* One epoch's metrics as a JSON object (train --json lines, report --json). */
void swell_cli_add_epoch(JsonBuilder *b, const SwellEpochMetrics *m) {
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "epoch");
  json_builder_add_int_value(b, swell_cli_epoch_number(m));
  json_builder_set_member_name(b, "stage");
  json_builder_add_string_value(b, swell_stage_to_string(m->stage));
  swell_cli_add_double(b, "train_loss", m->train_loss);
  swell_cli_add_double(b, "valid_loss", m->valid_loss);
  swell_cli_add_double(b, "accuracy", m->accuracy);
  swell_cli_add_double(b, "seconds", m->seconds);
  json_builder_end_object(b);
}

gboolean swell_cli_parse_options(GOptionEntry *entries, const char *param, int *argc, char ***argv) {
  g_autoptr(GOptionContext) ctx = g_option_context_new(param);
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled(ctx, TRUE);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    swell_cli_fail("%s", error->message);
    return FALSE;
  }
  return TRUE;
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
