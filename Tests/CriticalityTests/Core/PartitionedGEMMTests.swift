import CThreads
import XCTest
@testable import CriticalityCore

/// `PartitionedGEMM`: every cut (rows, columns, depth), every transpose and every start against a
/// Float64 reference, and the same bits on one thread, on two, and with a worker that takes part in
/// only some parts.
final class PartitionedGEMMTests: XCTestCase {
    /// The plan depends on the shape alone and cuts as documented.
    func testPlan() {
        XCTAssertEqual(GEMMPartition.plan(m: 10, n: 10, k: 10).parts, 1, "a tiny product is one part")
        let columns = GEMMPartition.plan(m: 64, n: 1000, k: 1000)  // mlp-large's forward: 128 MFLOP
        XCTAssertEqual(columns.axis, .columns)
        XCTAssertEqual(columns.parts, 4)
        XCTAssertEqual(columns.size % GEMMPartition.alignment, 0)
        XCTAssertGreaterThanOrEqual(columns.parts * columns.size, 1000)
        XCTAssertEqual(GEMMPartition.plan(m: 1000, n: 64, k: 1000).axis, .rows)
        let depth = GEMMPartition.plan(m: 64, n: 288, k: 16_384)  // conv2's ∂W
        XCTAssertEqual(depth.axis, .depth)
        XCTAssertEqual(depth.parts, 4)
    }

    struct Case { var transA: Bool; var transB: Bool; var m: Int; var n: Int; var k: Int }

    /// C for one case and start, computed on `pair`.
    func product(_ c: Case, start: Int, on pair: WorkerPair, a: [Float], b: [Float], bias: [Float], c0: [Float]) -> [Float] {
        let gemm = PartitionedGEMM(pair: pair)
        var out = c0
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                bias.withUnsafeBufferPointer { biasp in
                    out.withUnsafeMutableBufferPointer { cp in
                        let s: PartitionedGEMM.Start = start == 0 ? .scaled(0.5) : start == 1 ? .rowBias(biasp.baseAddress!) : .columnBias(biasp.baseAddress!)
                        gemm.sgemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 2,
                                   a: ap.baseAddress!, lda: c.transA ? c.m : c.k, b: bp.baseAddress!, ldb: c.transB ? c.k : c.n,
                                   start: s, c: cp.baseAddress!, ldc: c.n)
                    }
                }
            }
        }
        return out
    }

    func testEveryCutAgainstAReference() throws {
        let cases = [Case(transA: false, transB: false, m: 130, n: 300, k: 200),   // columns
                     Case(transA: true, transB: false, m: 300, n: 130, k: 200),    // rows
                     Case(transA: false, transB: true, m: 40, n: 36, k: 20_000),   // depth
                     Case(transA: true, transB: true, m: 200, n: 170, k: 300)]
        let slow = WorkerPair(withWorker: true, spinMicroseconds: 2000)
        crit_pair_set_worker_delay(slow.pair, 200)
        for c in cases {
            let plan = GEMMPartition.plan(m: c.m, n: c.n, k: c.k)
            XCTAssertGreaterThan(plan.parts, 1, "case \(c) should be cut")
            var rng = RNG(seed: 9, stream: .sampling)
            let a = (0..<(c.m * c.k)).map { _ in Float(rng.normal()) }, b = (0..<(c.k * c.n)).map { _ in Float(rng.normal()) }
            let bias = (0..<max(c.m, c.n)).map { _ in Float(rng.normal()) }
            let c0 = (0..<(c.m * c.n)).map { _ in Float(rng.normal()) }
            for start in 0..<3 {
                let one = product(c, start: start, on: .callerOnly, a: a, b: b, bias: bias, c0: c0)
                XCTAssertTrue(one == product(c, start: start, on: .shared, a: a, b: b, bias: bias, c0: c0),
                              "\(c) start \(start): two threads gave other bits than one")
                // Until the slow worker has taken part (a fast caller may finish a product alone).
                for attempt in 0..<50 where attempt == 0 || slow.workerItems == 0 {
                    XCTAssertTrue(one == product(c, start: start, on: slow, a: a, b: b, bias: bias, c0: c0),
                                  "\(c) start \(start): a slow worker gave other bits")
                }
                var worst = 0.0
                for i in stride(from: 0, to: c.m, by: 3) {
                    for j in stride(from: 0, to: c.n, by: 2) {
                        var r = 0.0
                        for l in 0..<c.k {
                            let av = c.transA ? a[l * c.m + i] : a[i * c.k + l]
                            let bv = c.transB ? b[j * c.k + l] : b[l * c.n + j]
                            r += Double(av) * Double(bv)
                        }
                        let s = start == 0 ? 0.5 * Double(c0[i * c.n + j]) : start == 1 ? Double(bias[i]) : Double(bias[j])
                        worst = max(worst, abs(Double(one[i * c.n + j]) - (s + 2 * r)))
                    }
                }
                // Float32 products of N(0,1) entries: sums of k terms have rounding ~ √k · 2⁻²⁴ · √k.
                XCTAssertLessThan(worst, 1e-5 * Double(c.k), "\(c) start \(start): largest error \(worst)")
            }
        }
        XCTAssertGreaterThan(slow.workerItems, 0, "the slow worker never took a part")
    }
}
