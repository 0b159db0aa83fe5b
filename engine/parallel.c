/* parallel.c: persistent pthread pool behind sw_parallel_for (see parallel.h). */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tensor.h"

#define SW_POOL_MAX 64

/* Waits spin this many rounds of the CPU's pause hint (some 50-200 us) before
 * they sleep: one training step runs hundreds of loops back to back, and
 * waking a sleeping thread costs tens of microseconds, more in a VM. */
#define SW_SPIN_ROUNDS 4096

typedef struct {
  pthread_mutex_t lock;     /* guards the sleeping and waking below */
  pthread_cond_t start;     /* sleeping workers wait for a new generation */
  pthread_cond_t done;      /* the sleeping caller waits for pending == 0 */
  pthread_t threads[SW_POOL_MAX];
  int nthreads;             /* workers started (the caller is not one of them) */
  int sleepers;             /* workers in pthread_cond_wait (under lock) */
  /* the current job: written by the caller before it publishes the generation,
   * read only by the workers taking part (the caller waits for all of them
   * before it writes the next one) */
  sw_parallel_fn fn;
  void *ctx;
  int64_t n;
  /* (loop number << 8) | chunks: a worker learns from this one word whether
   * it takes part, without reading the job */
  _Atomic uint64_t generation;
  _Atomic int pending;
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

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* The next generation after `seen`: spun for, then slept for. */
static uint64_t wait_generation(uint64_t seen) {
  for (int i = 0; i < SW_SPIN_ROUNDS; i++) {
    uint64_t g = atomic_load_explicit(&g_pool.generation, memory_order_acquire);
    if (g != seen) return g;
    cpu_relax();
  }
  pthread_mutex_lock(&g_pool.lock);
  g_pool.sleepers++;
  uint64_t g;
  while ((g = atomic_load_explicit(&g_pool.generation, memory_order_acquire)) == seen)
    pthread_cond_wait(&g_pool.start, &g_pool.lock);
  g_pool.sleepers--;
  pthread_mutex_unlock(&g_pool.lock);
  return g;
}

static void *worker_main(void *arg) {
  int id = (int)(intptr_t)arg; /* handles chunk id + 1 */
  uint64_t seen = 0;
  for (;;) {
    seen = wait_generation(seen);
    const int chunk = id + 1, chunks = (int)(seen & 0xff);
    if (chunk < chunks) {
      int64_t b, e;
      chunk_range(g_pool.n, chunks, chunk, &b, &e);
      g_pool.fn(g_pool.ctx, b, e);
      if (atomic_fetch_sub_explicit(&g_pool.pending, 1, memory_order_acq_rel) == 1) {
        pthread_mutex_lock(&g_pool.lock);
        pthread_cond_signal(&g_pool.done);
        pthread_mutex_unlock(&g_pool.lock);
      }
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
  /* the job, then its generation: a worker reads the job only after it sees
   * the new generation (release / acquire), and no worker still reads the
   * last job (the last loop waited for all of them) */
  g_pool.fn = fn;
  g_pool.ctx = ctx;
  g_pool.n = n;
  const int used = workers + 1 < chunks ? workers + 1 : chunks;
  atomic_store_explicit(&g_pool.pending, used - 1, memory_order_relaxed);
  pthread_mutex_lock(&g_pool.lock);
  uint64_t next = ((atomic_load_explicit(&g_pool.generation, memory_order_relaxed) >> 8) + 1) << 8;
  atomic_store_explicit(&g_pool.generation, next | (uint64_t)used, memory_order_release);
  if (g_pool.sleepers > 0) pthread_cond_broadcast(&g_pool.start);
  pthread_mutex_unlock(&g_pool.lock);
  /* If fewer workers could be started than asked for, the split simply has
   * fewer chunks: every item is computed the same way in any chunk. */
  int64_t b, e;
  chunk_range(n, used, 0, &b, &e);
  fn(ctx, b, e);
  int spins = 0;
  while (atomic_load_explicit(&g_pool.pending, memory_order_acquire) > 0 &&
         spins++ < SW_SPIN_ROUNDS)
    cpu_relax();
  if (atomic_load_explicit(&g_pool.pending, memory_order_acquire) > 0) {
    pthread_mutex_lock(&g_pool.lock);
    while (atomic_load_explicit(&g_pool.pending, memory_order_acquire) > 0)
      pthread_cond_wait(&g_pool.done, &g_pool.lock);
    pthread_mutex_unlock(&g_pool.lock);
  }
  pthread_mutex_unlock(&g_owner);
}
