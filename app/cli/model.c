/* model.c: swell-cli export-model, a project's trained model as a file.
 *
 *   export-model PROJECT OUT [--run N] [--format safetensors|onnx]
 */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "swell-cli.h"
#include "swell-model-export.h"

int swell_cli_export_model(int argc, char **argv) {
  gint64 run_id = 0;
  g_autofree char *format_name = NULL;
  GOptionEntry entries[] = {
      {"run", 0, 0, G_OPTION_ARG_INT64, &run_id, N_("Run id (default: the latest run with a model)"),
       "N"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_name,
       N_("safetensors or onnx (default: from OUT’s extension)"), "F"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  if (!swell_cli_parse_options(entries, _("PROJECT OUT"), &argc, &argv)) return 2;
  if (argc != 3) return swell_cli_fail(_("export-model needs a PROJECT and an OUT file"));
  if (run_id < 0) return swell_cli_fail(_("--run must be a run id (got %lld)"), (long long)run_id);
  const char *out = argv[2];
  SwellModelFormat format;
  if (format_name) {
    if (!swell_model_format_from_name(format_name, &format))
      return swell_cli_fail(_("unknown --format “%s” (known: safetensors, onnx)"), format_name);
  } else if (!swell_model_format_from_path(out, &format)) {
    return swell_cli_fail(_("%s: cannot tell the format from the extension (use .safetensors or "
                            ".onnx, or --format)"),
                          out);
  }
  g_autoptr(SwellProjectModel) pm = swell_cli_load_model(argv[1], run_id);
  if (!pm) return 1;
  g_autoptr(GError) error = NULL;
  if (!swell_model_export(pm, out, format, &error)) return swell_cli_fail("%s", error->message);
  printf(_("exported run %lld (%s, %d classes) to %s\n"), (long long)pm->run_id, pm->arch,
         (int)g_strv_length(pm->class_names), out);
  return 0;
}
