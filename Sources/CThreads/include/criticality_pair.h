// A fork-join pair of threads (the caller and one persistent worker) for every parallel part of a
// training step: the partitioned GEMMs, the layers' per-sample and per-channel loops, and the
// elementwise pass (optimizer → observers → θ += Δθ).
#ifndef CRITICALITY_PAIR_H
#define CRITICALITY_PAIR_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The caller plus one persistent worker thread. Between jobs the worker spins for a short while
/// (so back-to-back jobs start at once) and then sleeps on a futex.
typedef struct crit_pair crit_pair;

/// One item of a job: `item(context, index, thread)`, thread 0 the caller, 1 the worker. A job is a
/// fixed number of items, each claimed atomically by one thread; the caller claims every item the
/// worker has not, so a job's result must not depend on which thread ran which item (give each item
/// its own output, or per-thread scratch merged in a fixed order afterwards).
typedef void (*crit_pair_item)(void *context, long index, int thread);

/// Starts the worker (when `with_worker` is non-zero); `spin_microseconds` is how long it spins after a
/// job before sleeping. Without a worker (not wanted, not startable, or no futex on this platform) the
/// pair runs every job on the caller alone. Returns NULL only when out of memory.
crit_pair *crit_pair_create(int with_worker, int spin_microseconds);

/// Stops and joins the worker, frees the pair. NULL is allowed.
void crit_pair_destroy(crit_pair *pair);

/// Runs `item` for every index in 0..<items, on the caller and (when `share` is non-zero, the pair has
/// a worker, is not contended and not in use by another caller) on the worker; returns when every item
/// has finished. The caller never waits for a worker that has not started: it claims the items itself,
/// and waits only for the at most one item the worker has in hand. The worker reads `context` only
/// after it has claimed an item, so a worker that wakes up after the job ended touches nothing.
/// Reentrant across pairs; a second caller of the same pair runs its job alone.
void crit_pair_run(crit_pair *pair, long items, int share, crit_pair_item item, void *context);

/// Whether the pair stands aside because its worker was recently not running when needed (other
/// processes hold the cores): waits for items in the worker's hands longer than 200 µs plus three of
/// the caller's own items added up to more than 10% of the wall time since the last check (checked
/// every 100 ms of waiting; a host's occasional millisecond hiccup stays below it). For 2 s afterwards
/// every job runs on the caller alone, then the worker is tried again; contention found again doubles
/// the next stand-aside, up to 64 s.
/// Cheap (one clock read).
int crit_pair_contended(crit_pair *pair);

/// The process's pair, created on first use, shared by every network of the process.
crit_pair *crit_pair_shared(void);

/// Whether `pair` has a worker thread.
int crit_pair_has_worker(const crit_pair *pair);

/// How many items of all jobs so far the worker ran (for tests and diagnostics).
long crit_pair_worker_items(const crit_pair *pair);

/// Testing: the worker sleeps `microseconds` after claiming each item (as a descheduled thread would
/// hold it), so that tests can make it take part in some items of some jobs and not others.
void crit_pair_set_worker_delay(crit_pair *pair, int microseconds);

/// Testing: forgets any contention seen so far (the pair takes its worker again at once).
void crit_pair_reset_contention(crit_pair *pair);

/// How long the shared pair's worker spins after a job before it sleeps: long enough to span the gaps
/// between a step's jobs, short enough to sleep when training stops.
#define CRIT_PAIR_SHARED_SPIN_MICROSECONDS 2000

#ifdef __cplusplus
}
#endif
#endif
