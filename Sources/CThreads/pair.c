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

// Job state: generation << 2 | phase. The caller posts generation G; the worker takes it (TAKEN) or
// the caller withdraws it (WITHDRAWN) when it has claimed every item before the worker woke up.
enum { POSTED = 0, TAKEN = 1, WITHDRAWN = 2 };

struct crit_pair {
    _Atomic uint64_t state;
    _Atomic uint32_t seq;  // futex word: bumped when a job is posted or the worker is stopped
    _Atomic int sleeping;
    _Atomic int stop;
    // The running job. `claim` is generation << 32 | next unclaimed index: a worker still holding an
    // older generation's snapshot fails every claim, so it never touches a later job's context.
    _Atomic uint64_t claim;
    _Atomic long items;
    _Atomic long done;  // items finished in the running generation
    _Atomic(crit_pair_item) item;
    _Atomic(void *) context;
    _Atomic int busy;  // a caller is inside crit_pair_run
    uint64_t generation;
    int spin_us;
    int has_worker;
    _Atomic int worker_delay_us;
    _Atomic long worker_items;
    // Contention (written by the caller): the time lost in waits longer than CRIT_PAIR_SLOW_WAIT_NS
    // for an item in the worker's hands since `window_start_ns`, and until when the pair stands aside.
    uint64_t window_start_ns;
    uint64_t stalled_ns;
    uint64_t aside_ns;  // the next stand-aside's length: doubles while contention persists
    int clean_windows;
    _Atomic uint64_t contended_until_ns;
#ifdef CRIT_HAVE_FUTEX
    pthread_t thread;
#endif
};

// A wait longer than CRIT_PAIR_SLOW_WAIT_NS plus CRIT_PAIR_SLOW_ITEMS times the caller's own mean item
// time in that job means the worker was descheduled while holding an item (a normal wait is at most
// about one item: the worker started its last one a little after the caller). When such waits add up
// to more than CRIT_PAIR_STALL_SHARE of a CRIT_PAIR_WINDOW_NS window of wall time (another process holds the
// worker's core: it is descheduled every few ms, and holds an item at some of those moments), the
// pair stands aside for CRIT_PAIR_CONTENDED_NS and the caller runs every item itself; then it tries
// the worker again. Contention found again on the retry doubles the next stand-aside (up to
// CRIT_PAIR_CONTENDED_MAX_NS), so that a long busy spell costs a few retries, not one every 2 s; a
// few clean windows reset it. Sporadic stalls below that share cost less than standing aside would.
#define CRIT_PAIR_SLOW_WAIT_NS 200000ull
#define CRIT_PAIR_SLOW_ITEMS 3
#define CRIT_PAIR_WINDOW_NS 100000000ull
#define CRIT_PAIR_STALL_SHARE 0.1
#define CRIT_PAIR_CONTENDED_NS 2000000000ull
#define CRIT_PAIR_CONTENDED_MAX_NS 64000000000ull

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

// The next unclaimed index of generation `g`, or −1 when all are claimed or `g` is no longer running.
static long claim(crit_pair *p, uint64_t g) {
    uint64_t c = atomic_load(&p->claim);
    for (;;) {
        if ((c >> 32) != g) return -1;
        long i = (long)(c & 0xffffffffull);
        if (i >= atomic_load(&p->items)) return -1;
        if (atomic_compare_exchange_weak(&p->claim, &c, c + 1)) return i;
    }
}

#ifdef CRIT_HAVE_FUTEX
static void *worker_main(void *arg) {
    crit_pair *p = arg;
    uint32_t seen = 0;  // seq at creation: a job posted before this thread first runs is still seen
    for (;;) {
        // Wait for a new post: spin for spin_us, then sleep on the futex.
        uint64_t until = nanoseconds_now() + 1000ull * (uint64_t)p->spin_us;
        for (unsigned k = 0; atomic_load_explicit(&p->seq, memory_order_acquire) == seen; k++) {
            cpu_relax();
            if ((k & 255) == 255 && nanoseconds_now() > until) {
                atomic_store(&p->sleeping, 1);
                if (atomic_load(&p->seq) == seen)
                    syscall(SYS_futex, &p->seq, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
                atomic_store(&p->sleeping, 0);
            }
        }
        seen = atomic_load(&p->seq);
        if (atomic_load(&p->stop)) break;
        uint64_t st = atomic_load(&p->state);
        if ((st & 3) != POSTED) continue;  // withdrawn before we woke up
        // Snapshot the job before taking it: once taken, the caller may finish it alone and post the
        // next one, but this snapshot then fails every claim (its generation is over).
        crit_pair_item item = atomic_load(&p->item);
        void *context = atomic_load(&p->context);
        if (!atomic_compare_exchange_strong(&p->state, &st, st | TAKEN)) continue;
        uint64_t g = st >> 2;
        long i;
        while ((i = claim(p, g)) >= 0) {
            int delay = atomic_load_explicit(&p->worker_delay_us, memory_order_relaxed);
            if (delay > 0) usleep((useconds_t)delay);
            item(context, i, 1);
            atomic_fetch_add_explicit(&p->worker_items, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        }
    }
    return NULL;
}
#endif

crit_pair *crit_pair_create(int with_worker, int spin_microseconds) {
    crit_pair *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->spin_us = spin_microseconds < 0 ? 0 : spin_microseconds;
    atomic_store(&p->state, (uint64_t)WITHDRAWN);
#ifdef CRIT_HAVE_FUTEX
    p->has_worker = with_worker && pthread_create(&p->thread, NULL, worker_main, p) == 0;
#else
    (void)with_worker;
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

// Waits until the worker's items of generation `g` are finished (`items` done in all). Spins briefly,
// then yields: if the scheduler put the worker on this core, a pure spin would keep it from running.
static void wait_for_items(crit_pair *p, long items, uint64_t slow_ns) {
    uint64_t start = 0;
    for (unsigned k = 0; atomic_load_explicit(&p->done, memory_order_acquire) < items; k++) {
        if (k < 4096) cpu_relax();
        else {
            if (start == 0) start = nanoseconds_now();
            sched_yield();
        }
    }
    // Waits past the spin (~10 µs) are timed; slow ones count as stalls (see CRIT_PAIR_STALL_SHARE).
    if (start == 0) return;
    uint64_t now = nanoseconds_now();
    if (now - start > slow_ns) p->stalled_ns += now - start;
    if (now - p->window_start_ns > CRIT_PAIR_WINDOW_NS) {
        if ((double)p->stalled_ns > CRIT_PAIR_STALL_SHARE * (double)(now - p->window_start_ns)) {
            if (p->aside_ns == 0) p->aside_ns = CRIT_PAIR_CONTENDED_NS;
            atomic_store(&p->contended_until_ns, now + p->aside_ns);
            if (p->aside_ns < CRIT_PAIR_CONTENDED_MAX_NS) p->aside_ns *= 2;
            p->clean_windows = 0;
        } else if (++p->clean_windows >= 4) {
            p->aside_ns = CRIT_PAIR_CONTENDED_NS;
        }
        p->window_start_ns = now;
        p->stalled_ns = 0;
    }
}

int crit_pair_contended(crit_pair *p) {
    if (!p) return 0;
    uint64_t until = atomic_load_explicit(&p->contended_until_ns, memory_order_relaxed);
    return until != 0 && nanoseconds_now() < until;
}

void crit_pair_run(crit_pair *p, long items, int share, crit_pair_item item, void *context) {
    int idle = 0;
    if (!share || items < 2 || !p || !p->has_worker || crit_pair_contended(p) ||
        !atomic_compare_exchange_strong(&p->busy, &idle, 1)) {
        for (long i = 0; i < items; i++) item(context, i, 0);
        return;
    }
    uint64_t g = ++p->generation & 0x3fffffffull;  // fits both the claim word and the state word
    // The claim word first: a worker with an older snapshot then fails its claims before it could
    // read the new item count.
    atomic_store(&p->claim, g << 32);
    atomic_store(&p->items, items);
    atomic_store(&p->done, 0);
    atomic_store(&p->item, item);
    atomic_store(&p->context, context);
    uint64_t posted = g << 2 | POSTED;
    atomic_store(&p->state, posted);
    atomic_fetch_add(&p->seq, 1);  // sequentially consistent: pairs with the worker's sleeping/seq check
#ifdef CRIT_HAVE_FUTEX
    if (atomic_load(&p->sleeping)) syscall(SYS_futex, &p->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#endif
    long i, mine = 0;
    uint64_t began = nanoseconds_now();
    while ((i = claim(p, g)) >= 0) {
        item(context, i, 0);
        mine++;
    }
    uint64_t expected = posted;
    if (atomic_compare_exchange_strong(&p->state, &expected, g << 2 | WITHDRAWN)) {
        // The worker never took it: every item ran here.
    } else if (atomic_fetch_add_explicit(&p->done, mine, memory_order_acq_rel) + mine < items) {
        uint64_t per_item = mine > 0 ? (nanoseconds_now() - began) / (uint64_t)mine : 0;
        wait_for_items(p, items, CRIT_PAIR_SLOW_WAIT_NS + CRIT_PAIR_SLOW_ITEMS * per_item);
    }
    atomic_store(&p->busy, 0);
}

int crit_pair_has_worker(const crit_pair *p) { return p && p->has_worker; }

long crit_pair_worker_items(const crit_pair *p) { return p ? atomic_load(&((crit_pair *)p)->worker_items) : 0; }

void crit_pair_set_worker_delay(crit_pair *p, int microseconds) {
    if (p) atomic_store(&p->worker_delay_us, microseconds);
}

void crit_pair_reset_contention(crit_pair *p) {
    if (!p) return;
    atomic_store(&p->contended_until_ns, 0);
    p->stalled_ns = 0;
    p->aside_ns = 0;
    p->clean_windows = 0;
    p->window_start_ns = nanoseconds_now();
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
