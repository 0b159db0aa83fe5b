/* enospc_shim.c: LD_PRELOAD helper for tests/test_full_disk.sh: a disk that
 * fills up.
 *
 * Writes to regular files below $SWELL_ENOSPC_DIR (write, pwrite, pwrite64,
 * writev, pwritev and growing ftruncate / fallocate) draw on a budget of
 * $SWELL_ENOSPC_BYTES bytes shared by the whole process; once it is spent they
 * fail with ENOSPC, as on a full file system. A write that straddles the limit
 * is cut short (a partial write), as the kernel does. Everything else passes
 * through. */
/* Both pwrite and pwrite64 are defined here: the build's large-file flag
 * would make them the same symbol. (off_t is 64 bits on the 64-bit targets.) */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long long budget = -1; /* -1: not read yet */
static char dir[PATH_MAX];
static size_t dirlen;

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

static void init(void) {
  if (budget != -1) return;
  const char *d = getenv("SWELL_ENOSPC_DIR"), *b = getenv("SWELL_ENOSPC_BYTES");
  budget = b ? atoll(b) : LLONG_MAX;
  if (d && realpath(d, dir)) dirlen = strlen(dir);
}

/* Does fd name a regular file below the directory? */
static int watched(int fd) {
  if (!dirlen) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  return strncmp(path, dir, dirlen) == 0 && (path[dirlen] == '/' || path[dirlen] == 0);
}

/* How many of n bytes may be written to fd: n, fewer, or -1 (ENOSPC). */
static ssize_t allow(int fd, size_t n) {
  pthread_mutex_lock(&lock);
  init();
  ssize_t ok = (ssize_t)n;
  if (n > 0 && watched(fd)) {
    if (budget <= 0) {
      ok = -1;
    } else if ((long long)n > budget) {
      ok = (ssize_t)budget;
      budget = 0;
    } else {
      budget -= (long long)n;
    }
  }
  pthread_mutex_unlock(&lock);
  if (ok < 0) errno = ENOSPC;
  return ok;
}

#define REAL(ret, name, ...)                      \
  typedef ret (*name##_fn)(__VA_ARGS__);          \
  static name##_fn real_##name;                   \
  if (!real_##name) {                             \
    void *sym = next(#name);                      \
    memcpy(&real_##name, &sym, sizeof sym);       \
  }

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(ssize_t, write, int, const void *, size_t);
  ssize_t k = allow(fd, n);
  return k < 0 ? -1 : real_write(fd, buf, (size_t)k);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
  ssize_t k = allow(fd, n);
  return k < 0 ? -1 : real_pwrite(fd, buf, (size_t)k, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t);
  ssize_t k = allow(fd, n);
  return k < 0 ? -1 : real_pwrite64(fd, buf, (size_t)k, off);
}

static size_t iov_total(const struct iovec *iov, int cnt) {
  size_t t = 0;
  for (int i = 0; i < cnt; i++) t += iov[i].iov_len;
  return t;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  REAL(ssize_t, writev, int, const struct iovec *, int);
  size_t total = iov_total(iov, cnt);
  ssize_t k = allow(fd, total);
  if (k < 0) return -1;
  if ((size_t)k == total) return real_writev(fd, iov, cnt);
  REAL(ssize_t, write, int, const void *, size_t);
  return k ? real_write(fd, iov[0].iov_base, (size_t)k < iov[0].iov_len ? (size_t)k : iov[0].iov_len) : 0;
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t);
  size_t total = iov_total(iov, cnt);
  ssize_t k = allow(fd, total);
  if (k < 0) return -1;
  if ((size_t)k == total) return real_pwritev(fd, iov, cnt, off);
  REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
  return k ? real_pwrite(fd, iov[0].iov_base, (size_t)k < iov[0].iov_len ? (size_t)k : iov[0].iov_len, off) : 0;
}

/* Growing a file reserves space too. */
static int grow_allowed(int fd, off_t new_size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || new_size <= st.st_size) return 1;
  return allow(fd, (size_t)(new_size - st.st_size)) == (ssize_t)(new_size - st.st_size);
}

int ftruncate(int fd, off_t len) {
  REAL(int, ftruncate, int, off_t);
  if (!grow_allowed(fd, len)) {
    errno = ENOSPC;
    return -1;
  }
  return real_ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len) {
  REAL(int, ftruncate64, int, off64_t);
  if (!grow_allowed(fd, (off_t)len)) {
    errno = ENOSPC;
    return -1;
  }
  return real_ftruncate64(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(int, fallocate, int, int, off_t, off_t);
  if (!grow_allowed(fd, off + len)) {
    errno = ENOSPC;
    return -1;
  }
  return real_fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
  REAL(int, posix_fallocate, int, off_t, off_t);
  if (!grow_allowed(fd, off + len)) return ENOSPC;
  return real_posix_fallocate(fd, off, len);
}
