/* locale_shim.c: LD_PRELOAD helper for tests/test_i18n.sh.
 *
 * 1. swell and swell-cli bind the "swell" text domain to the compiled-in
 *    LOCALEDIR (the install prefix). To check translations from the build tree
 *    without installing into the system, this shim redirects that one binding to
 *    $SWELL_TEST_LOCALEDIR (the build tree's po/ folder, where meson puts
 *    de/LC_MESSAGES/swell.mo). Every other domain is left alone.
 * 2. With $SWELL_TEST_GETTEXT_LOG set, every lookup in the "swell" domain
 *    (gettext from _(), dgettext/dcgettext from GtkBuilder templates and g_dgettext)
 *    appends "msgid<TAB>result" to that file, so a test can see which strings the
 *    window showed and in which language. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *bindtextdomain(const char *domainname, const char *dirname);
char *textdomain(const char *domainname);
char *gettext(const char *msgid);
char *dgettext(const char *domainname, const char *msgid);
char *dcgettext(const char *domainname, const char *msgid, int category);
char *ngettext(const char *msgid, const char *msgid_plural, unsigned long n);
char *dngettext(const char *domainname, const char *msgid, const char *msgid_plural, unsigned long n);

static void *next_symbol(const char *name) { return dlsym(RTLD_NEXT, name); }

#define REAL(type, name)                        \
  static type real_##name;                      \
  if (!real_##name) {                           \
    void *sym = next_symbol(#name);             \
    memcpy(&real_##name, &sym, sizeof sym);     \
  }

typedef char *(*fn_bind)(const char *, const char *);
typedef char *(*fn_textdomain)(const char *);
typedef char *(*fn_gettext)(const char *);
typedef char *(*fn_dgettext)(const char *, const char *);
typedef char *(*fn_dcgettext)(const char *, const char *, int);
typedef char *(*fn_ngettext)(const char *, const char *, unsigned long);
typedef char *(*fn_dngettext)(const char *, const char *, const char *, unsigned long);

static int is_swell(const char *domain) {
  if (domain) return strcmp(domain, "swell") == 0;
  REAL(fn_textdomain, textdomain);
  const char *cur = real_textdomain(NULL);
  return cur && strcmp(cur, "swell") == 0;
}

static void escape_into(char *dst, size_t cap, size_t *len, const char *s) {
  for (; s && *s && *len + 3 < cap; s++) {
    if (*s == '\n') { dst[(*len)++] = '\\'; dst[(*len)++] = 'n'; }
    else if (*s == '\t') { dst[(*len)++] = '\\'; dst[(*len)++] = 't'; }
    else if (*s == '\004') { dst[(*len)++] = '|'; }
    else dst[(*len)++] = *s;
  }
}

static void log_lookup(const char *domain, const char *msgid, const char *result) {
  const char *path = getenv("SWELL_TEST_GETTEXT_LOG");
  if (!path || !*path || !msgid || !is_swell(domain)) return;
  char line[4096];
  size_t len = 0;
  escape_into(line, sizeof line - 2, &len, msgid);
  line[len++] = '\t';
  escape_into(line, sizeof line - 2, &len, result);
  line[len++] = '\n';
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, line, len); /* one write: lines of threads do not interleave */
  (void)w;
  close(fd);
}

char *bindtextdomain(const char *domainname, const char *dirname) {
  REAL(fn_bind, bindtextdomain);
  const char *dir = getenv("SWELL_TEST_LOCALEDIR");
  if (dir && *dir && dirname && domainname && strcmp(domainname, "swell") == 0) dirname = dir;
  return real_bindtextdomain(domainname, dirname);
}

char *gettext(const char *msgid) {
  REAL(fn_gettext, gettext);
  char *r = real_gettext(msgid);
  log_lookup(NULL, msgid, r);
  return r;
}

char *dgettext(const char *domainname, const char *msgid) {
  REAL(fn_dgettext, dgettext);
  char *r = real_dgettext(domainname, msgid);
  log_lookup(domainname, msgid, r);
  return r;
}

char *dcgettext(const char *domainname, const char *msgid, int category) {
  REAL(fn_dcgettext, dcgettext);
  char *r = real_dcgettext(domainname, msgid, category);
  if (category == LC_MESSAGES) log_lookup(domainname, msgid, r);
  return r;
}

char *ngettext(const char *msgid, const char *msgid_plural, unsigned long n) {
  REAL(fn_ngettext, ngettext);
  char *r = real_ngettext(msgid, msgid_plural, n);
  log_lookup(NULL, msgid, r);
  return r;
}

char *dngettext(const char *domainname, const char *msgid, const char *msgid_plural, unsigned long n) {
  REAL(fn_dngettext, dngettext);
  char *r = real_dngettext(domainname, msgid, msgid_plural, n);
  log_lookup(domainname, msgid, r);
  return r;
}
