import CThreads

/// The caller thread plus one persistent worker (`crit_pair`, Sources/CThreads): the fork-join pool of
/// two on which a training step runs its partitioned GEMMs (`PartitionedGEMM`), its layers' loops and
/// its elementwise pass.
///
/// A job is a fixed number of items, each claimed atomically by one thread; the caller claims every
/// item the worker has not started and waits only for the one the worker has in hand, so a worker that
/// another process keeps off its core costs at most that item. Jobs split their work by the problem
/// alone (never by the number of threads), so a result never depends on which thread ran which item
/// or on whether the worker took part at all.
public final class WorkerPair: @unchecked Sendable {
    let pair: OpaquePointer?
    private let owned: Bool

    /// The most threads a job runs on (the caller and one worker): the bound of per-thread scratch.
    public static let maximumThreads = 2

    /// The process's pair with a worker (one worker thread for every network of the process).
    public static let shared = WorkerPair(pair: crit_pair_shared(), owned: false)
    /// A pair without a worker: every job on the caller alone.
    public static let callerOnly = WorkerPair(withWorker: false)

    /// The pair for a training run on `threads` threads: 1 → `callerOnly`, 2 or more → `shared` (the
    /// pair is this project's 2-core target; more threads than two are not used).
    public static func forThreads(_ threads: Int) -> WorkerPair { threads >= 2 ? shared : callerOnly }

    /// A pair of its own: `withWorker` false runs every job on the caller alone (one thread).
    public init(withWorker: Bool, spinMicroseconds: Int = 0) {
        pair = crit_pair_create(withWorker ? 1 : 0, Int32(spinMicroseconds))
        owned = true
    }

    private init(pair: OpaquePointer?, owned: Bool) { self.pair = pair; self.owned = owned }

    deinit { if owned { crit_pair_destroy(pair) } }

    /// How many threads a job may run on: 2 with a worker, else 1.
    public var threads: Int { crit_pair_has_worker(pair) != 0 ? 2 : 1 }

    /// Runs `item(context, index, thread)` for every index in 0..<items, on both threads when `share`
    /// is true (else on the caller only); returns when every item has finished. `item` must read
    /// `context` only for the index it was given (a late worker is given none).
    @inline(__always)
    public func run(items: Int, share: Bool, context: UnsafeMutableRawPointer,
                    _ item: @convention(c) (UnsafeMutableRawPointer?, Int, Int32) -> Void) {
        crit_pair_run(pair, items, share ? 1 : 0, item, context)
    }

    /// Runs `body(index, thread)` for every index in 0..<items on the pair's threads (see `run`).
    /// `body` must give each index its own output, or use per-`thread` scratch merged in a fixed order.
    @inline(__always)
    public func forEach(_ items: Int, share: Bool = true, _ body: (Int, Int) -> Void) {
        if items == 1 || !share || pair == nil { for i in 0..<items { body(i, 0) }; return }
        // The closure goes to the C job through a stack slot: a `var` captured by the inner closure
        // would be boxed on the heap (an allocation per job, per step).
        withoutActuallyEscaping(body) { escaping in
            withUnsafeTemporaryAllocation(of: ((Int, Int) -> Void).self, capacity: 1) { slot in
                slot.baseAddress!.initialize(to: escaping)
                crit_pair_run(pair, items, 1, { context, index, thread in
                    context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(index, Int(thread))
                }, UnsafeMutableRawPointer(slot.baseAddress!))
                slot.baseAddress!.deinitialize(count: 1)
            }
        }
    }

    /// `job.runItem(i, thread:)` for every i in 0..<items on the pair's threads (see `run`), without
    /// allocating: the job object carries its own parameters, and only a reference to it (in a stack slot)
    /// reaches the C pool. `forEach(_:_:)` with a closure allocates twice per call (the contexts
    /// `withoutActuallyEscaping` builds), which a step that must not allocate cannot afford.
    @inline(__always)
    public func forEach(_ items: Int, share: Bool = true, job: PairJob) {
        if items == 1 || !share || pair == nil { for i in 0..<items { job.runItem(i, thread: 0) }; return }
        withUnsafeTemporaryAllocation(of: PairJob.self, capacity: 1) { slot in
            slot.baseAddress!.initialize(to: job)
            crit_pair_run(pair, items, 1, { context, index, thread in
                context!.assumingMemoryBound(to: PairJob.self).pointee.runItem(index, thread: Int(thread))
            }, UnsafeMutableRawPointer(slot.baseAddress!))
            slot.baseAddress!.deinitialize(count: 1)
        }
    }

    /// Whether the worker recently was not running when needed (other processes hold the cores); jobs
    /// then run on the caller alone for a while.
    public var contended: Bool { crit_pair_contended(pair) != 0 }

    /// Items the worker has run so far (diagnostics and tests).
    public var workerItems: Int { crit_pair_worker_items(pair) }
}

/// An object whose parallel job is a fixed number of items it runs itself (`WorkerPair.forEach(_:job:)`):
/// it stores the job's parameters before the call, and `runItem` reads them for item `index`, writing
/// only that item's outputs (or per-`thread` scratch).
public protocol PairJob: AnyObject {
    func runItem(_ index: Int, thread: Int)
}

