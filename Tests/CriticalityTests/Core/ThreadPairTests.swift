import Synchronization
import CThreads
import XCTest
@testable import CriticalityCore

/// The caller + worker pair every job of a training step runs on (`crit_pair`).
final class ThreadPairTests: XCTestCase {
    final class Claims {
        let visits: UnsafeMutablePointer<Int>
        let byWorker = Atomic<Int>(0)
        init(items: Int) {
            visits = .allocate(capacity: items)
            visits.initialize(repeating: 0, count: items)
        }
        deinit { visits.deallocate() }

        /// One `crit_pair_run` job over `items`: each item is counted, with some work per item so that
        /// both threads get items.
        func run(_ pair: OpaquePointer, items: Int, share: Int32 = 1) {
            crit_pair_run(pair, items, share, { context, i, thread in
                let c = Unmanaged<Claims>.fromOpaque(context!).takeUnretainedValue()
                c.visits[i] += 1
                if thread == 1 { c.byWorker.add(1, ordering: .relaxed) }
                var x = 0.0
                for k in 0..<2000 { x += Double(k) }
                if x < 0 { print(x) }
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Every item runs exactly once, whichever thread takes it, over many jobs; the worker takes part
    /// (it spins between back-to-back jobs); `share` 0 keeps everything on the caller.
    func testRunClaimsEveryItemOnce() throws {
        let pair = try XCTUnwrap(crit_pair_shared())
        try XCTSkipIf(crit_pair_has_worker(pair) == 0, "no worker thread on this platform")
        crit_pair_reset_contention(pair)  // a slow test before this one may have made it stand aside
        let items = 64, jobs = 300
        let claims = Claims(items: items)
        for _ in 0..<jobs { claims.run(pair, items: items) }
        for i in 0..<items { XCTAssertEqual(claims.visits[i], jobs, "item \(i)") }
        XCTAssertGreaterThan(claims.byWorker.load(ordering: .relaxed), 0, "the worker never took an item")
        let before = claims.byWorker.load(ordering: .relaxed)
        claims.run(pair, items: items, share: 0)
        XCTAssertEqual(claims.byWorker.load(ordering: .relaxed), before)
        XCTAssertTrue((0..<items).allSatisfy { claims.visits[$0] == jobs + 1 })
    }

    /// A worker that holds each item long (here: it sleeps 5 ms after claiming, as a descheduled thread
    /// would) costs the caller at most that item per job: the caller runs everything else, every item
    /// still runs once, and after a few slow waits the pair stands aside (jobs on the caller alone).
    /// A private pair, so the shared one is untouched.
    func testSlowWorkerMakesThePairStandAside() throws {
        let pair = try XCTUnwrap(crit_pair_create(1, 2000))
        defer { crit_pair_destroy(pair) }
        try XCTSkipIf(crit_pair_has_worker(pair) == 0, "no worker thread on this platform")
        crit_pair_set_worker_delay(pair, 5000)
        XCTAssertEqual(crit_pair_contended(pair), 0)
        let claims = Claims(items: 64)
        var jobs = 0
        while crit_pair_contended(pair) == 0 && jobs < 200 { claims.run(pair, items: 64); jobs += 1 }
        XCTAssertEqual(crit_pair_contended(pair), 1, "still not standing aside after \(jobs) slow jobs")
        XCTAssertLessThanOrEqual(claims.byWorker.load(ordering: .relaxed), jobs, "the worker held more than one item per job")
        let before = claims.byWorker.load(ordering: .relaxed)
        for _ in 0..<50 { claims.run(pair, items: 64) }
        jobs += 50
        XCTAssertEqual(claims.byWorker.load(ordering: .relaxed), before, "the worker took items while the pair stood aside")
        XCTAssertTrue((0..<64).allSatisfy { claims.visits[$0] == jobs })
    }

    /// A worker that wakes after its job was finished by the caller (and the caller has moved on to
    /// further jobs) claims nothing of them: every item of every job still runs exactly once.
    func testLateWorkerTakesNothingOfLaterJobs() throws {
        let pair = try XCTUnwrap(crit_pair_create(1, 0))
        defer { crit_pair_destroy(pair) }
        try XCTSkipIf(crit_pair_has_worker(pair) == 0, "no worker thread on this platform")
        crit_pair_set_worker_delay(pair, 50)
        let claims = Claims(items: 3)
        for _ in 0..<2000 { claims.run(pair, items: 3) }
        XCTAssertTrue((0..<3).allSatisfy { claims.visits[$0] == 2000 })
    }
}
