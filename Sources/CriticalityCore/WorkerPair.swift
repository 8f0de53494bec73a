import CThreads

/// The caller thread plus one persistent worker (`crit_pair`, Sources/CThreads): a fork-join pool of two
/// for the trainer's elementwise pass, whose worker is also BLAS's second thread when
/// `BLAS.shareWorker()` routed OpenBLAS's threading through it.
///
/// A job runs once on the caller (thread 0) and, if the worker takes it in time, once on the worker
/// (thread 1); it must split its work by claiming items with `claim()`, so that the caller alone finishes
/// everything when the worker is late or absent. Results therefore never depend on the split.
public final class WorkerPair {
    private let pair: OpaquePointer?
    private let owned: Bool

    /// The process's pair, shared with BLAS (one worker thread for both, never a second idle spinner).
    public static let shared = WorkerPair(pair: crit_pair_shared(), owned: false)

    /// A pair of its own: `withWorker` false runs every job on the caller alone (one thread).
    public init(withWorker: Bool, spinMicroseconds: Int = 0) {
        pair = crit_pair_create(withWorker ? 1 : 0, Int32(spinMicroseconds))
        owned = true
    }

    private init(pair: OpaquePointer?, owned: Bool) { self.pair = pair; self.owned = owned }

    deinit { if owned { crit_pair_destroy(pair) } }

    /// How many threads a job may run on: 2 with a worker, else 1.
    public var threads: Int { crit_pair_has_worker(pair) != 0 ? 2 : 1 }

    /// Runs `job(context, thread)` over `items` claimed items, on both threads when `share` is true (else
    /// on the caller only); returns when every thread that took part has returned.
    @inline(__always)
    public func run(items: Int, share: Bool, context: UnsafeMutableRawPointer,
                    _ job: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void) {
        crit_pair_run(pair, items, share ? 1 : 0, job, context)
    }

    /// The next unclaimed item of the running job, or nil when all are claimed (in increasing order).
    @inline(__always)
    public func claim() -> Int? {
        let i = crit_pair_claim(pair)
        return i >= 0 ? i : nil
    }

    /// Whether the worker recently was not running when needed (other processes hold the cores); jobs
    /// then run on the caller alone for a while.
    public var contended: Bool { crit_pair_contended(pair) != 0 }
}
