/*
 * The thread pool behind the kernels: the calling thread plus threads − 1 pthreads workers.
 *
 * A job is (fn, ctx, ntasks). Posting it bumps a generation number; every participating thread
 * then claims task indices from one 64-bit counter whose high half is the generation, so a worker
 * that wakes late can never claim a task of a newer job with the arguments of an older one (its
 * compare-and-swap carries the generation it read). The caller runs tasks too and, when none is
 * left to claim, waits only for tasks already claimed: a worker that is descheduled or still asleep
 * costs nothing but its share, which matters on a small machine shared with other processes.
 *
 * Workers spin for SPIN_NS after each job (the calls of one training update follow each other
 * within microseconds), then sleep on a condition variable. The wake-up is race-free: a worker
 * registers as sleeping and re-checks the generation under the mutex the poster takes to signal.
 */
#define _GNU_SOURCE
#include "deepq.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long an idle worker polls for the next job before sleeping. */
#define SPIN_NS 100000L
#define MAX_THREADS 256

struct dq_pool {
  int threads;
  void *scratch[MAX_THREADS];
  void *shared;
  size_t sharedBytes;
  pthread_t tids[MAX_THREADS];
  int started; /* workers created */

  /* The current job. */
  dq_task_fn fn;
  void *ctx;
  long ntasks;
  int jobThreads; /* threads allowed on this job: workers with tid ≥ this leave it alone */
  _Alignas(64) atomic_uint gen;
  _Alignas(64) atomic_ullong next; /* (gen << 32) | next task index */
  _Alignas(64) atomic_long done;   /* tasks finished in the current job */
  _Alignas(64) atomic_int sleepers;
  atomic_int stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

struct worker_arg {
  dq_pool *pool;
  int tid;
};

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Claims and runs tasks of generation `gen` until none is left (or a newer job replaced it). */
static void run_tasks(dq_pool *p, unsigned gen, dq_task_fn fn, void *ctx, long ntasks, int tid) {
  for (;;) {
    unsigned long long v = atomic_load_explicit(&p->next, memory_order_acquire);
    if ((unsigned)(v >> 32) != gen) return;
    long idx = (long)(v & 0xffffffffu);
    if (idx >= ntasks) return;
    if (!atomic_compare_exchange_weak_explicit(&p->next, &v, v + 1, memory_order_acq_rel, memory_order_relaxed)) continue;
    fn(ctx, idx, tid);
    atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
  }
}

static void *worker_main(void *arg) {
  struct worker_arg wa = *(struct worker_arg *)arg;
  free(arg);
  dq_pool *p = wa.pool;
  unsigned seen = atomic_load(&p->gen);
  for (;;) {
    unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
    if (g == seen) {
      const long until = now_ns() + SPIN_NS;
      unsigned spins = 0;
      while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && !atomic_load(&p->stop)) {
        CPU_RELAX();
        if ((++spins & 1023) == 0 && now_ns() > until) {
          pthread_mutex_lock(&p->mu);
          atomic_fetch_add(&p->sleepers, 1);
          while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->cv, &p->mu);
          atomic_fetch_sub(&p->sleepers, 1);
          pthread_mutex_unlock(&p->mu);
          break;
        }
      }
    }
    if (atomic_load(&p->stop)) return NULL;
    seen = g;
    /* Job fields were written before the generation was published (release/acquire). */
    dq_task_fn fn = p->fn;
    void *ctx = p->ctx;
    long ntasks = p->ntasks;
    const int allowed = wa.tid < p->jobThreads;
    atomic_thread_fence(memory_order_acquire); /* the fields are read before any claim (see dq_pool_run) */
    if (allowed) run_tasks(p, g, fn, ctx, ntasks, wa.tid);
  }
}

dq_pool *dq_pool_create(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  dq_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->threads = threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (int t = 0; t < threads; t++) {
    p->scratch[t] = aligned_alloc(64, DQ_SCRATCH_BYTES);
    if (!p->scratch[t]) {
      dq_pool_destroy(p);
      return NULL;
    }
  }
  for (int t = 1; t < threads; t++) {
    struct worker_arg *wa = malloc(sizeof *wa);
    if (!wa) break;
    wa->pool = p;
    wa->tid = t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Workers run only kernels: a small stack is plenty. */
    pthread_attr_setstacksize(&attr, 1 << 20);
    const int err = pthread_create(&p->tids[t], &attr, worker_main, wa);
    pthread_attr_destroy(&attr);
    if (err) {
      free(wa);
      break;
    }
    p->started = t;
  }
  /* Fewer workers than asked (thread creation failed) just means fewer threads. */
  p->threads = p->started + 1;
  return p;
}

void dq_pool_destroy(dq_pool *p) {
  if (!p) return;
  atomic_store(&p->stop, 1);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add(&p->gen, 1);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t <= p->started; t++) pthread_join(p->tids[t], NULL);
  for (int t = 0; t < MAX_THREADS; t++) free(p->scratch[t]);
  free(p->shared);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p);
}

int dq_pool_threads(const dq_pool *p) { return p->threads; }

void *dq_pool_scratch(dq_pool *p, int tid) { return p->scratch[tid]; }

void *dq_pool_shared(dq_pool *p, size_t bytes) {
  if (bytes <= p->sharedBytes) return p->shared;
  /* Grown in steps of at least 1/2, so a sequence of growing calls reallocates only a few times. */
  size_t want = p->sharedBytes + p->sharedBytes / 2;
  if (want < bytes) want = bytes;
  want = (want + 63) & ~(size_t)63;
  void *buf = aligned_alloc(64, want);
  if (!buf) return NULL;
  free(p->shared);
  p->shared = buf;
  p->sharedBytes = want;
  return buf;
}

void dq_pool_run(dq_pool *p, int threads, long ntasks, dq_task_fn fn, void *ctx) {
  if (threads > p->threads) threads = p->threads;
  if (threads <= 1 || ntasks <= 1) {
    for (long t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  const unsigned gen = atomic_load(&p->gen) + 1;
  /* Retire the previous job's claims before its fields change: a late worker that still holds the
     previous generation may read this job's fields, but its compare-and-swap then fails. */
  atomic_store(&p->next, (unsigned long long)gen << 32);
  atomic_thread_fence(memory_order_release);
  p->fn = fn;
  p->ctx = ctx;
  p->ntasks = ntasks;
  p->jobThreads = threads;
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  atomic_store(&p->gen, gen); /* seq_cst: publishes the fields, and orders against the sleepers check below */
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
  run_tasks(p, gen, fn, ctx, ntasks, 0);
  /* Only tasks a worker already claimed are left. If it was descheduled mid-task, yield this core
     to it rather than spin against it (the machine may have fewer free cores than threads). */
  for (unsigned spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < ntasks; spins++) {
    if (spins < 20000) CPU_RELAX();
    else sched_yield();
  }
}
