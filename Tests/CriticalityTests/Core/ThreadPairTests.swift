import CKernels
import Synchronization
import CThreads
import XCTest
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// The caller + worker pair that BLAS and the trainer's fused pass share (`crit_pair`).
final class ThreadPairTests: XCTestCase {
    final class Claims {
        let pair: OpaquePointer
        let visits: UnsafeMutablePointer<Int>
        let byWorker = Atomic<Int>(0)
        init(pair: OpaquePointer, items: Int) {
            self.pair = pair
            visits = .allocate(capacity: items)
            visits.initialize(repeating: 0, count: items)
        }
        deinit { visits.deallocate() }

        /// One `crit_pair_run` job over `items`: each claimed item is counted, with some work per item
        /// so that both threads get items.
        func run(items: Int) {
            crit_pair_run(pair, items, 1, { context, thread in
                let c = Unmanaged<Claims>.fromOpaque(context!).takeUnretainedValue()
                while true {
                    let i = crit_pair_claim(c.pair)
                    guard i >= 0 else { return }
                    c.visits[i] += 1
                    if thread == 1 { c.byWorker.add(1, ordering: .relaxed) }
                    var x = 0.0
                    for k in 0..<2000 { x += Double(k) }
                    if x < 0 { print(x) }
                }
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Every item is claimed exactly once, whichever thread takes it, over many jobs; the worker takes
    /// part (it spins between back-to-back jobs).
    func testRunClaimsEveryItemOnce() throws {
        let pair = try XCTUnwrap(crit_pair_shared())
        try XCTSkipIf(crit_pair_has_worker(pair) == 0, "no worker thread on this platform")
        let items = 64, jobs = 300
        let claims = Claims(pair: pair, items: items)
        for _ in 0..<jobs { claims.run(items: items) }
        for i in 0..<items { XCTAssertEqual(claims.visits[i], jobs, "item \(i)") }
        XCTAssertGreaterThan(claims.byWorker.load(ordering: .relaxed), 0, "the worker never took an item")
        // share = 0 keeps everything on the caller
        let before = claims.byWorker.load(ordering: .relaxed)
        crit_pair_run(pair, items, 0, { context, thread in
            let c = Unmanaged<Claims>.fromOpaque(context!).takeUnretainedValue()
            while crit_pair_claim(c.pair) >= 0 { if thread == 1 { c.byWorker.add(1, ordering: .relaxed) } }
        }, Unmanaged.passUnretained(claims).toOpaque())
        XCTAssertEqual(claims.byWorker.load(ordering: .relaxed), before)
    }

    final class Rendezvous {
        let arrived = Atomic<Int>(0)
        let timedOut = Atomic<Bool>(false)
    }

    /// The two parts of a split job run at the same time: each waits for the other to arrive, which
    /// would time out if the pair ran them one after the other (BLAS's jobs wait on each other so).
    func testSplitRunsBothPartsConcurrently() throws {
        let pair = try XCTUnwrap(crit_pair_shared())
        for _ in 0..<50 {
            let r = Rendezvous()
            let rc = crit_pair_run_split(pair, { context, _ in
                let r = Unmanaged<Rendezvous>.fromOpaque(context!).takeUnretainedValue()
                r.arrived.add(1, ordering: .sequentiallyConsistent)
                let start = DispatchTime.now().uptimeNanoseconds
                while r.arrived.load(ordering: .sequentiallyConsistent) < 2 {
                    if DispatchTime.now().uptimeNanoseconds - start > 5_000_000_000 { r.timedOut.store(true, ordering: .relaxed); return }
                }
            }, Unmanaged.passUnretained(r).toOpaque())
            XCTAssertEqual(rc, 0)
            XCTAssertFalse(r.timedOut.load(ordering: .relaxed), "the parts did not run at the same time")
        }
    }

    /// GEMMs split across the shared worker are right (against a Float64 reference: a job lost or run
    /// twice would leave whole blocks of C wrong) and bit-reproducible from call to call.
    func testSharedBLASThreadsComputeTheProduct() {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 2
        XCTAssertEqual(BLAS.shareWorker(), BLAS.sharesWorker)
        let m = 256, n = 300, k = 500
        var rng = RNG(seed: 5, stream: .sampling)
        let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            BLAS.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            return c
        }
        let c = product()
        var worst = 0.0
        for i in stride(from: 0, to: m, by: 7) {
            for j in 0..<n {
                var r = 0.0
                for l in 0..<k { r += Double(a[i * k + l]) * Double(b[l * n + j]) }
                worst = max(worst, abs(Double(c[i * n + j]) - r))
            }
        }
        XCTAssertLessThan(worst, 1e-3, "largest error \(worst) (entries are of order √k ≈ 22)")
        XCTAssertTrue(c == product(), "two identical calls gave different bits")
    }
    /// A worker that keeps making the caller wait (here: its part sleeps 1 ms, as a descheduled thread
    /// would) makes the pair stand aside: after a few such waits it counts as contended, and
    /// `crit_pair_run` then runs every item on the caller. A private pair, so the shared one is untouched.
    func testSlowWorkerMakesThePairStandAside() throws {
        let pair = try XCTUnwrap(crit_pair_create(1, 2000))
        defer { crit_pair_destroy(pair) }
        try XCTSkipIf(crit_pair_has_worker(pair) == 0, "no worker thread on this platform")
        XCTAssertEqual(crit_pair_contended(pair), 0)
        for _ in 0..<8 {
            XCTAssertEqual(crit_pair_run_split(pair, { _, thread in if thread == 1 { usleep(1000) } }, nil), 0)
        }
        XCTAssertEqual(crit_pair_contended(pair), 1)
        let claims = Claims(pair: pair, items: 64)
        for _ in 0..<50 { claims.run(items: 64) }
        XCTAssertEqual(claims.byWorker.load(ordering: .relaxed), 0, "the worker took items while the pair was contended")
        XCTAssertTrue((0..<64).allSatisfy { claims.visits[$0] == 50 })
    }
}
