/* main.c: the swell executable (and, built with SWELL_TEST_DRIVER, swell-test-window). */
#include "swell-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "swell-application.h"
#ifdef SWELL_TEST_DRIVER
#include "swell-test-driver.h"
#endif

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

#ifdef SWELL_SCHEMA_BUILD_DIR
  /* Running uninstalled from the build tree: use the schema compiled there
   * (searched before the installed ones), unless the caller chose a schema
   * directory. */
  if (!g_getenv ("GSETTINGS_SCHEMA_DIR")) {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
    if (exe_dir && g_str_equal (exe_dir, SWELL_UI_BUILD_DIR))
      g_setenv ("GSETTINGS_SCHEMA_DIR", SWELL_SCHEMA_BUILD_DIR, TRUE);
  }
#endif

  g_autoptr (SwellApplication) app = swell_application_new ();
#ifdef SWELL_TEST_DRIVER
  /* swell-test-window (meson option test_driver): SWELL_TEST_SCRIPT drives it. */
  swell_test_driver_install (app);
#endif
  return g_application_run (G_APPLICATION (app), argc, argv);
}
