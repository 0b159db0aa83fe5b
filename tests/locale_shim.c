/* locale_shim.c: LD_PRELOAD helper for tests/test_i18n.sh.
 *
 * swell and swell-cli bind the "swell" text domain to the compiled-in LOCALEDIR
 * (the install prefix). To check translations from the build tree, without
 * installing into the system, this shim redirects that one binding to
 * $SWELL_TEST_LOCALEDIR (the build tree's po/ folder, where meson puts
 * de/LC_MESSAGES/swell.mo). Every other domain is left alone. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

char *bindtextdomain(const char *domainname, const char *dirname);

char *bindtextdomain(const char *domainname, const char *dirname) {
  typedef char *(*bind_fn)(const char *, const char *);
  static bind_fn real;
  if (!real) {
    void *sym = dlsym(RTLD_NEXT, "bindtextdomain");
    memcpy(&real, &sym, sizeof real);
  }
  const char *dir = getenv("SWELL_TEST_LOCALEDIR");
  if (dir && *dir && dirname && domainname && strcmp(domainname, "swell") == 0) dirname = dir;
  return real(domainname, dirname);
}
