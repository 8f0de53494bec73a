// A fork-join pair of threads for the trainer's elementwise pass (optimizer → observers → θ += Δθ).
#ifndef CRITICALITY_PAIR_H
#define CRITICALITY_PAIR_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The caller plus one persistent worker thread. Between jobs the worker spins for a short while
/// (so back-to-back jobs start at once) and then sleeps on a futex (so it does not take the core from
/// BLAS's own threads during the GEMMs of the next step).
typedef struct crit_pair crit_pair;

/// A job: called as `job(context, thread)` once on the caller (thread 0) and, if the worker wakes up in
/// time, once on the worker (thread 1). Work must be split by claiming items with `crit_pair_claim`, so
/// that the caller alone finishes everything when the worker is late.
typedef void (*crit_pair_job)(void *context, int thread);

/// Starts the worker (when `with_worker` is non-zero); `spin_microseconds` is how long it spins after a
/// job before sleeping. Without a worker (not wanted, not startable, or no futex on this platform) the
/// pair runs every job on the caller alone.
/// Returns NULL only when out of memory.
crit_pair *crit_pair_create(int with_worker, int spin_microseconds);

/// Stops and joins the worker, frees the pair. NULL is allowed.
void crit_pair_destroy(crit_pair *pair);

/// Runs `job` on both threads (on the caller only when `share` is 0) over items 0..<items (claimed with
/// `crit_pair_claim`); returns when every thread that took part has returned. If the worker has not started the job by the time the caller's
/// own call returns, the job is withdrawn from it and the caller returns at once. Not reentrant: one
/// caller thread per pair.
void crit_pair_run(crit_pair *pair, long items, int share, crit_pair_job job, void *context);

/// Runs `job(context, 0)` on the caller and `job(context, 1)` on the worker at the same time (the two
/// parts may wait on each other, so both must run: nothing is withdrawn). If the worker is absent or in
/// use by another caller, part 1 runs on a thread started for it. Returns 0, or −1 if no thread could be
/// started.
int crit_pair_run_split(crit_pair *pair, crit_pair_job job, void *context);

/// Whether the pair stands aside because its worker was recently not running when needed (other
/// processes hold the cores): most of the last ~8 waits for it took over 200 µs. For 2 s afterwards,
/// `crit_pair_run` runs jobs on the caller alone (its jobs' results do not depend on the split); then
/// the pair is tried again. Split jobs (BLAS) still use it: OpenBLAS's two halves must run at once, and
/// its thread count is part of its results. Cheap (one clock read).
int crit_pair_contended(crit_pair *pair);

/// The process's pair, created on first use: shared by BLAS (see crit_pair_blas_threads) and the
/// trainer's fused pass, so that one worker thread serves both and never competes with a second idle
/// spinner for the other core.
crit_pair *crit_pair_shared(void);

/// Whether `pair` has a worker thread.
int crit_pair_has_worker(const crit_pair *pair);

/// How long the shared pair's worker spins after a job before it sleeps: long enough to span the gaps
/// between a step's GEMMs and its elementwise pass (the worker is then the only other runnable thread,
/// so spinning costs nothing), short enough to sleep when training stops.
#define CRIT_PAIR_SHARED_SPIN_MICROSECONDS 2000

/// OpenBLAS's caller-managed threading callback (`openblas_threads_callback`): runs BLAS's jobs on the
/// shared pair (job 0 on the caller, job 1 on the worker; jobs 2… on threads started for them).
void crit_pair_blas_threads(int sync, void (*dojob)(int, void *, int), int numjobs, size_t elsize, void *jobdata,
                            int dojob_data);

/// Waits (sleeping, polling /proc/self/task every 10 ms, at most `max_seconds`) until no thread of the
/// process other than the caller and the shared worker is running. Once OpenBLAS's jobs go to the
/// shared pair, OpenBLAS's own threads have no work; they spin until their idle timeout and then sleep
/// for good, but while BLAS keeps being called they can keep spinning (measured: GEMMs at half speed
/// for seconds). Returns 0 when they are idle, else the number still running (Linux; 0 elsewhere).
int crit_pair_wait_for_idle_threads(double max_seconds);

/// Whether this platform can run crit_pair_blas_threads.
int crit_pair_blas_supported(void);

/// The next unclaimed item of the running job, or −1 when all are claimed. Items are claimed in
/// increasing order.
long crit_pair_claim(crit_pair *pair);


#ifdef __cplusplus
}
#endif
#endif
