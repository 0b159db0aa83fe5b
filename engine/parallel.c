/* parallel.c: persistent pthread pool behind sw_parallel_for (see parallel.h). */
#include "parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tensor.h"

#define SW_POOL_MAX 64

typedef struct {
  pthread_mutex_t lock;     /* guards everything below */
  pthread_cond_t start;     /* workers wait for a new generation */
  pthread_cond_t done;      /* the caller waits for pending == 0 */
  pthread_t threads[SW_POOL_MAX];
  int nthreads;             /* workers started (the caller is not one of them) */
  uint64_t generation;
  int pending;
  /* the current job */
  sw_parallel_fn fn;
  void *ctx;
  int64_t n;
  int chunks;
} sw_pool;

static sw_pool g_pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
                         .start = PTHREAD_COND_INITIALIZER,
                         .done = PTHREAD_COND_INITIALIZER};
/* Held by the caller for the duration of one parallel loop. */
static pthread_mutex_t g_owner = PTHREAD_MUTEX_INITIALIZER;

static void chunk_range(int64_t n, int chunks, int i, int64_t *b, int64_t *e) {
  *b = n * i / chunks;
  *e = n * (i + 1) / chunks;
}

static void *worker_main(void *arg) {
  int id = (int)(intptr_t)arg; /* handles chunk id + 1 */
  uint64_t seen = 0;
  pthread_mutex_lock(&g_pool.lock);
  for (;;) {
    while (g_pool.generation == seen) pthread_cond_wait(&g_pool.start, &g_pool.lock);
    seen = g_pool.generation;
    int chunk = id + 1;
    if (chunk < g_pool.chunks) {
      sw_parallel_fn fn = g_pool.fn;
      void *ctx = g_pool.ctx;
      int64_t b, e;
      chunk_range(g_pool.n, g_pool.chunks, chunk, &b, &e);
      pthread_mutex_unlock(&g_pool.lock);
      fn(ctx, b, e);
      pthread_mutex_lock(&g_pool.lock);
      if (--g_pool.pending == 0) pthread_cond_signal(&g_pool.done);
    }
  }
  return NULL;
}

/* Called with g_owner held. Returns the number of usable workers. */
static int pool_ensure(int want) {
  if (want > SW_POOL_MAX) want = SW_POOL_MAX;
  pthread_mutex_lock(&g_pool.lock);
  while (g_pool.nthreads < want) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&g_pool.threads[g_pool.nthreads], &attr, worker_main,
                            (void *)(intptr_t)g_pool.nthreads);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    g_pool.nthreads++;
  }
  int have = g_pool.nthreads;
  pthread_mutex_unlock(&g_pool.lock);
  return have < want ? have : want;
}

int sw_parallel_chunks(int64_t n, int64_t min_chunk) {
  if (n <= 0) return 0;
  if (min_chunk < 1) min_chunk = 1;
  int64_t t = sw_get_num_threads();
  int64_t by_size = (n + min_chunk - 1) / min_chunk;
  if (t > by_size) t = by_size;
  if (t > SW_POOL_MAX + 1) t = SW_POOL_MAX + 1;
  return t < 1 ? 1 : (int)t;
}

void sw_parallel_for(int64_t n, int64_t min_chunk, sw_parallel_fn fn, void *ctx) {
  if (n <= 0) return;
  int chunks = sw_parallel_chunks(n, min_chunk);
  if (chunks <= 1) {
    fn(ctx, 0, n);
    return;
  }
  if (pthread_mutex_trylock(&g_owner) != 0) {
    /* Nested or concurrent use: same partition, run serially here so the
     * result stays identical. */
    for (int i = 0; i < chunks; i++) {
      int64_t b, e;
      chunk_range(n, chunks, i, &b, &e);
      fn(ctx, b, e);
    }
    return;
  }
  int workers = pool_ensure(chunks - 1);
  pthread_mutex_lock(&g_pool.lock);
  g_pool.fn = fn;
  g_pool.ctx = ctx;
  g_pool.n = n;
  g_pool.chunks = workers + 1 < chunks ? workers + 1 : chunks;
  int used = g_pool.chunks;
  g_pool.pending = used - 1;
  g_pool.generation++;
  pthread_cond_broadcast(&g_pool.start);
  pthread_mutex_unlock(&g_pool.lock);

  /* If fewer workers could be started than asked for, the split simply has
   * fewer chunks: every item is computed the same way in any chunk. */
  int64_t b, e;
  chunk_range(n, used, 0, &b, &e);
  fn(ctx, b, e);

  pthread_mutex_lock(&g_pool.lock);
  while (g_pool.pending > 0) pthread_cond_wait(&g_pool.done, &g_pool.lock);
  pthread_mutex_unlock(&g_pool.lock);
  pthread_mutex_unlock(&g_owner);
}
