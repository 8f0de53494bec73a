#include "criticality_pair.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#define CRIT_HAVE_FUTEX 1
#endif

// Job state: generation << 2 | phase.
enum { POSTED = 0, TAKEN = 1, WITHDRAWN = 2, DONE = 3 };

struct crit_pair {
    _Atomic uint64_t state;
    _Atomic uint32_t seq;  // futex word: bumped when a job is posted or the worker is stopped
    _Atomic int sleeping;
    _Atomic int stop;
    _Atomic long next;
    long items;
    crit_pair_job job;
    void *context;
    _Atomic int busy;  // a caller is inside crit_pair_run / crit_pair_run_split
    uint64_t generation;
    _Atomic long worker_tid;
    int spin_us;
    int has_worker;
    // Contention (written by the caller in wait_done): a running average of "the caller waited more
    // than CRIT_PAIR_SLOW_WAIT_NS for the worker", and until when the pair counts as contended.
    double slow_share;
    _Atomic uint64_t contended_until_ns;
#ifdef CRIT_HAVE_FUTEX
    pthread_t thread;
#endif
};

// A wait this long for the worker means it was not running: normal waits are a chunk or an unbalanced
// GEMM half, a few µs. When most recent waits are this slow (other processes hold the cores), the pair
// stands aside for CRIT_PAIR_CONTENDED_NS: `crit_pair_run`'s jobs run on the caller alone, since a
// fork-join that waits for a descheduled thread costs a time slice per job (measured: `mlp2` at 222
// steps/s on two threads against 2,375 on one, with two busy processes).
#define CRIT_PAIR_SLOW_WAIT_NS 200000ull
#define CRIT_PAIR_CONTENDED_NS 2000000000ull

static uint64_t nanoseconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

// A spin-wait step. Not PAUSE: under KVM a PAUSE loop triggers pause-loop exits that hand the vCPU
// back to the host (OpenBLAS spins with NOPs for the same reason).
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("nop;nop;nop;nop;nop;nop;nop;nop");
#endif
}

#ifdef CRIT_HAVE_FUTEX
static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *worker_main(void *arg) {
    crit_pair *p = arg;
    atomic_store(&p->worker_tid, (long)syscall(SYS_gettid));
    uint32_t seen = 0;  // seq at creation: a job posted before this thread first runs is still seen
    for (;;) {
        // Wait for a new post: spin for spin_us, then sleep on the futex.
        double until = seconds_now() + 1e-6 * p->spin_us;
        for (unsigned k = 0; atomic_load_explicit(&p->seq, memory_order_acquire) == seen; k++) {
            cpu_relax();
            if ((k & 255) == 255 && seconds_now() > until) {
                atomic_store(&p->sleeping, 1);
                if (atomic_load(&p->seq) == seen)
                    syscall(SYS_futex, &p->seq, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
                atomic_store(&p->sleeping, 0);
            }
        }
        seen = atomic_load(&p->seq);
        if (atomic_load(&p->stop)) break;
        uint64_t st = atomic_load_explicit(&p->state, memory_order_acquire);
        if ((st & 3) != POSTED) continue;  // withdrawn (or already finished) before we woke up
        if (!atomic_compare_exchange_strong(&p->state, &st, st | TAKEN)) continue;
        p->job(p->context, 1);
        atomic_store_explicit(&p->state, (st & ~(uint64_t)3) | DONE, memory_order_release);
    }
    return NULL;
}
#endif

crit_pair *crit_pair_create(int with_worker, int spin_microseconds) {
    crit_pair *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->spin_us = spin_microseconds < 0 ? 0 : spin_microseconds;
    atomic_store(&p->state, (uint64_t)DONE);
#ifdef CRIT_HAVE_FUTEX
    p->has_worker = with_worker && pthread_create(&p->thread, NULL, worker_main, p) == 0;
#endif
    return p;
}

void crit_pair_destroy(crit_pair *p) {
    if (!p) return;
#ifdef CRIT_HAVE_FUTEX
    if (p->has_worker) {
        atomic_store(&p->stop, 1);
        atomic_fetch_add(&p->seq, 1);
        syscall(SYS_futex, &p->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        pthread_join(p->thread, NULL);
    }
#endif
    free(p);
}

static uint64_t post(crit_pair *p, crit_pair_job job, void *context) {
    p->job = job;
    p->context = context;
    uint64_t posted = ++p->generation << 2 | POSTED;
    atomic_store_explicit(&p->state, posted, memory_order_release);
    atomic_fetch_add(&p->seq, 1);  // sequentially consistent: pairs with the worker's sleeping/seq check
#ifdef CRIT_HAVE_FUTEX
    if (atomic_load(&p->sleeping)) syscall(SYS_futex, &p->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#endif
    return posted;
}

static void wait_done(crit_pair *p, uint64_t posted) {
    // The worker is finishing. Spin briefly, then yield: if the scheduler put the worker on this core,
    // a pure spin would keep it from running for a whole time slice.
    uint64_t start = 0;
    for (unsigned k = 0; atomic_load_explicit(&p->state, memory_order_acquire) != (posted | DONE); k++) {
        if (k < 4096) cpu_relax();
        else {
            if (start == 0) start = nanoseconds_now();
            sched_yield();
        }
    }
    // Slow waits (the spin ran out, ~10 µs) are timed; an average of the last ~8 waits decides.
    int slow = start != 0 && nanoseconds_now() - start > CRIT_PAIR_SLOW_WAIT_NS;
    p->slow_share += ((double)slow - p->slow_share) / 8;
    if (p->slow_share > 0.4) {
        atomic_store(&p->contended_until_ns, nanoseconds_now() + CRIT_PAIR_CONTENDED_NS);
        p->slow_share = 0;
    }
}

int crit_pair_contended(crit_pair *p) {
    if (!p) return 0;
    uint64_t until = atomic_load_explicit(&p->contended_until_ns, memory_order_relaxed);
    return until != 0 && nanoseconds_now() < until;
}

static int enter(crit_pair *p) {
    int idle = 0;
    return p->has_worker && atomic_compare_exchange_strong(&p->busy, &idle, 1);
}

void crit_pair_run(crit_pair *p, long items, int share, crit_pair_job job, void *context) {
    p->items = items;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    if (!share || items < 2 || crit_pair_contended(p) || !enter(p)) {
        job(context, 0);
        return;
    }
    uint64_t posted = post(p, job, context);
    job(context, 0);
    uint64_t expected = posted;
    if (!atomic_compare_exchange_strong(&p->state, &expected, posted | WITHDRAWN)) wait_done(p, posted);
    atomic_store(&p->busy, 0);
}

#ifdef CRIT_HAVE_FUTEX
struct transient { crit_pair_job job; void *context; };
static void *transient_main(void *arg) {
    struct transient *t = arg;
    t->job(t->context, 1);
    return NULL;
}
#endif

int crit_pair_run_split(crit_pair *p, crit_pair_job job, void *context) {
    if (enter(p)) {
        uint64_t posted = post(p, job, context);
        job(context, 0);
        wait_done(p, posted);
        atomic_store(&p->busy, 0);
        return 0;
    }
#ifdef CRIT_HAVE_FUTEX
    // The worker is taken (another thread is using the pair) or absent: a thread of our own for part 1.
    struct transient t = {job, context};
    pthread_t th;
    if (pthread_create(&th, NULL, transient_main, &t) == 0) {
        job(context, 0);
        pthread_join(th, NULL);
        return 0;
    }
#endif
    return -1;
}

long crit_pair_claim(crit_pair *p) {
    long i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    return i < p->items ? i : -1;
}


static crit_pair *_Atomic shared_pair;

crit_pair *crit_pair_shared(void) {
    crit_pair *p = atomic_load(&shared_pair);
    if (p) return p;
    crit_pair *fresh = crit_pair_create(1, CRIT_PAIR_SHARED_SPIN_MICROSECONDS);
    crit_pair *none = NULL;
    if (!atomic_compare_exchange_strong(&shared_pair, &none, fresh)) {
        crit_pair_destroy(fresh);
        return none;
    }
    return fresh;
}

int crit_pair_has_worker(const crit_pair *p) { return p && p->has_worker; }

// OpenBLAS's caller-managed threading: exec_blas hands us `numjobs` jobs that must run at the same time
// (they wait on each other's progress), job i calling dojob(i, jobdata + i·elsize, dojob_data).
struct blas_jobs {
    void (*dojob)(int, void *, int);
    char *jobdata;
    size_t elsize;
    int dojob_data;
};

static void blas_part(void *context, int thread) {
    struct blas_jobs *b = context;
    b->dojob(thread, b->jobdata + (size_t)thread * b->elsize, b->dojob_data);
}

#ifdef CRIT_HAVE_FUTEX
struct blas_extra { struct blas_jobs *b; int index; };
static void *blas_extra_main(void *arg) {
    struct blas_extra *e = arg;
    e->b->dojob(e->index, e->b->jobdata + (size_t)e->index * e->b->elsize, e->b->dojob_data);
    return NULL;
}
#endif

void crit_pair_blas_threads(int sync, void (*dojob)(int, void *, int), int numjobs, size_t elsize, void *jobdata,
                            int dojob_data) {
    (void)sync;  // every call waits for its jobs (stronger than an asynchronous start)
    struct blas_jobs b = {dojob, jobdata, elsize, dojob_data};
    if (numjobs <= 1) {
        if (numjobs == 1) dojob(0, jobdata, dojob_data);
        return;
    }
#ifdef CRIT_HAVE_FUTEX
    // Jobs 2… (only when BLAS was asked for more than two threads) get threads of their own.
    enum { MAX_EXTRA = 254 };
    pthread_t extra[MAX_EXTRA];
    struct blas_extra args[MAX_EXTRA];
    int started = 0;
    for (int i = 2; i < numjobs && started < MAX_EXTRA; i++) {
        args[started] = (struct blas_extra){&b, i};
        if (pthread_create(&extra[started], NULL, blas_extra_main, &args[started]) != 0) abort();
        started++;
    }
    if (crit_pair_run_split(crit_pair_shared(), blas_part, &b) != 0) abort();
    for (int i = 0; i < started; i++) pthread_join(extra[i], NULL);
#else
    abort();  // never installed without threads (crit_pair_blas_supported)
#endif
}

int crit_pair_blas_supported(void) {
#ifdef CRIT_HAVE_FUTEX
    return 1;
#else
    return 0;
#endif
}

#ifdef CRIT_HAVE_FUTEX
#include <dirent.h>
#include <stdio.h>
#include <string.h>
// Threads of this process other than the caller and the shared worker that are running (state R).
static int other_running_threads(long self, long worker) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return 0;
    int running = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long tid = strtol(e->d_name, NULL, 10);
        if (tid <= 0 || tid == self || tid == worker) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *close = strrchr(buf, ')');  // "tid (name) S ..."
        if (close && close[1] == ' ' && close[2] == 'R') running++;
    }
    closedir(d);
    return running;
}
#endif

int crit_pair_wait_for_idle_threads(double max_seconds) {
#ifdef CRIT_HAVE_FUTEX
    crit_pair *p = crit_pair_shared();
    long self = (long)syscall(SYS_gettid);
    double until = seconds_now() + max_seconds;
    for (;;) {
        int n = other_running_threads(self, atomic_load(&p->worker_tid));
        if (n == 0) return 0;
        if (seconds_now() > until) return n;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
#else
    (void)max_seconds;
    return 0;
#endif
}
