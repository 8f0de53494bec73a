import Foundation
import CKernels
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

final class SamplingTests: XCTestCase {
    /// Offers items 0..<n to a sample of size k in uneven pieces (so nothing depends on how a stream is cut).
    private func sample(_ k: Int, of n: Int, seed: UInt64) -> UniformSample {
        var res = UniformSample(capacity: k, streamLength: UInt64(n), rng: RNG(seed: seed, stream: .reservoir))
        let items = (0..<n).map { Float($0) }
        var start = 0
        var pieceRng = RNG(seed: seed, stream: .sampling)
        while start < n {
            let piece = min(n - start, 1 + pieceRng.uniformInt(below: 90))
            items[start..<(start + piece)].withUnsafeBufferPointer { res.offerMagnitudes($0.baseAddress!, count: piece) }
            start += piece
        }
        return res
    }

    /// Chi-square test of inclusion frequencies: N = 1,000 items offered in uneven pieces, k = 100,
    /// 2,000 seeded replicates; each item is expected 200 times. 999 d.o.f.: mean 999, s.d. 44.7; we
    /// require χ² < 999 + 5 s.d. Each sample has k distinct items, in stream order.
    /// The same with k = 10 (N > 64k: radix-sorted draws, a repeat in ~5% of the plans): 20,000 replicates.
    func testSampleIsUniformOverItems() {
        for (k, replicates) in [(100, 2000), (10, 20_000)] { checkItemUniformity(k: k, replicates: replicates) }
    }

    private func checkItemUniformity(k: Int, replicates: Int) {
        let n = 1000
        var inclusion = [Int](repeating: 0, count: n)
        for r in 0..<replicates {
            let res = sample(k, of: n, seed: UInt64(r))
            XCTAssertTrue(res.isComplete)
            XCTAssertEqual(res.values.count, k)
            XCTAssertEqual(res.values, res.values.sorted(), "stream order")
            XCTAssertEqual(Set(res.values).count, k, "no item twice")
            for v in res.values { inclusion[Int(v)] += 1 }
        }
        let e = Double(replicates * k) / Double(n)
        let chi2 = inclusion.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        XCTAssertLessThan(chi2, 999 + 5 * 44.7, "k = \(k): χ² = \(chi2)")
        // the first and last items are not favoured either
        XCTAssertEqual(Double(inclusion[0..<100].reduce(0, +)) / 100, e, accuracy: 0.15 * e)
        XCTAssertEqual(Double(inclusion[900..<1000].reduce(0, +)) / 100, e, accuracy: 0.15 * e)
    }

    /// Uniform over *subsets*, not only over items, on each planning path: every 3-subset of 7 items
    /// (35, bitmap path), every 5-subset of 7 (21, the complement path: the N − k excluded positions are
    /// drawn) and every 2-subset of 129 (8,256, radix-sorted draws with repeats replaced) is equally
    /// likely. 1,000, 1,000 and 25 expected per subset; χ² below its mean + 5 s.d.
    func testSampleIsUniformOverSubsets() {
        for (k, n, subsets, expected) in [(3, 7, 35, 1000), (5, 7, 21, 1000), (2, 129, 8256, 25)] {
            var frequency: [[Float]: Int] = [:]
            for r in 0..<(subsets * expected) {
                frequency[sample(k, of: n, seed: UInt64(r)).values, default: 0] += 1
            }
            XCTAssertEqual(frequency.count, subsets)
            let e = Double(expected)
            let chi2 = frequency.values.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
            let dof = Double(subsets - 1)
            XCTAssertLessThan(chi2, dof + 5 * (2 * dof).squareRoot(), "k = \(k) of \(n): χ² = \(chi2)")
        }
    }

    /// Many repeats among the first k draws (k = N/2 − 1: ~21% are repeats) still give k distinct,
    /// sorted positions; k ≥ N keeps every item; the plan does not depend on how the stream is cut.
    func testPlanEdgeCases() {
        var rng = RNG(seed: 4, stream: .reservoir)
        let plan = UniformSample.plan(choosing: 49_999, of: 100_000, rng: &rng)
        XCTAssertEqual(plan.count, 49_999)
        XCTAssertTrue(zip(plan, plan.dropFirst()).allSatisfy { $0 < $1 }, "sorted and distinct")
        XCTAssertLessThan(plan.last!, 100_000)
        XCTAssertEqual(sample(10, of: 10, seed: 1).values, (0..<10).map { Float($0) })
        XCTAssertEqual(sample(50, of: 10, seed: 1).values, (0..<10).map { Float($0) })
        var whole = UniformSample(capacity: 100, streamLength: 1000, rng: RNG(seed: 9, stream: .reservoir))
        let items = (0..<1000).map { Float($0) }
        items.withUnsafeBufferPointer { whole.offerMagnitudes($0.baseAddress!, count: 1000) }
        XCTAssertEqual(whole.values, sample(100, of: 1000, seed: 9).values)
        XCTAssertEqual(UniformSample.radixSorted([5, 3, 3, 9, 0, 7], bound: 10), [0, 3, 3, 5, 7, 9])
        var r = RNG(seed: 6, stream: .sampling)
        let big = (0..<5000).map { _ in UInt64(r.uniformInt(below: 1 << 40)) }
        XCTAssertEqual(UniformSample.radixSorted(big, bound: 1 << 40), big.sorted())
        // both planning paths: a bitmap (N ≤ 64k) and radix-sorted draws (N > 64k)
        for n: UInt64 in [640, 641, 100_000] {
            var g = RNG(seed: n, stream: .reservoir)
            let p = UniformSample.plan(choosing: 10, of: n, rng: &g)
            XCTAssertEqual(p.count, 10)
            XCTAssertTrue(zip(p, p.dropFirst()).allSatisfy { $0 < $1 } && p.last! < n, "N = \(n)")
        }
    }

    /// A checkpointed sample is rebuilt from its generator state and continues exactly; a file whose
    /// values do not match the plan is rejected with a message naming the file.
    func testSampleCheckpointRoundTrip() throws {
        let items = (0..<1000).map { Float($0) }
        var a = UniformSample(capacity: 100, streamLength: 1000, rng: RNG(seed: 5, stream: .reservoir))
        items.withUnsafeBufferPointer { a.offerMagnitudes($0.baseAddress!, count: 400) }
        var w = BinaryWriter()
        a.write(to: &w)
        var r = try BinaryReader(data: w.data, name: "state.bin")
        var b = try UniformSample.read(from: &r, capacity: 100, streamLength: 1000)
        XCTAssertEqual(a, b)
        items.withUnsafeBufferPointer {
            a.offerMagnitudes($0.baseAddress! + 400, count: 600)
            b.offerMagnitudes($0.baseAddress! + 400, count: 600)
        }
        XCTAssertEqual(a.values, b.values)
        XCTAssertEqual(a.values.count, 100)

        var c = UniformSample(capacity: 100, streamLength: 1000, rng: RNG(seed: 5, stream: .reservoir))
        items.withUnsafeBufferPointer { c.offerMagnitudes($0.baseAddress!, count: 400) }
        c.values.removeLast()
        var bad = BinaryWriter()
        c.write(to: &bad)
        var rb = try BinaryReader(data: bad.data, name: "state.bin")
        XCTAssertThrowsError(try UniformSample.read(from: &rb, capacity: 100, streamLength: 1000)) {
            XCTAssertTrue("\($0)".contains("state.bin: uniform sample holds"), "\($0)")
        }
        // a sample of another size or stream than the observer's is refused before its plan is built
        var rc = try BinaryReader(data: w.data, name: "state.bin")
        XCTAssertThrowsError(try UniformSample.read(from: &rc, capacity: 100, streamLength: 1 << 50)) {
            XCTAssertTrue("\($0)".contains("another configuration"), "\($0)")
        }
        // A state file of the previous format (reservoirs) is refused by name, not misread.
        XCTAssertThrowsError(try BinaryReader(data: Data("CRITSTATE1".utf8) + w.data.dropFirst(10), name: "old/state.bin")) {
            XCTAssertTrue("\($0)".contains("old/state.bin: observer state written by an earlier version"), "\($0)")
        }
    }

    /// The union of three samples (streams of 300, 500, 200 items) is a uniform sample of all 1,000.
    func testUnionOfSamplesIsUniform() {
        let sizes = [300, 500, 200], k = 100, replicates = 2000
        var inclusion = [Int](repeating: 0, count: 1000)
        for r in 0..<replicates {
            var offset = 0
            var parts: [UniformSample] = []
            for (s, size) in sizes.enumerated() {
                var res = UniformSample(capacity: k, streamLength: UInt64(size), rng: RNG(seed: UInt64(r * 10 + s), stream: .reservoir))
                let items = (offset..<(offset + size)).map { Float($0) }
                items.withUnsafeBufferPointer { res.offerMagnitudes($0.baseAddress!, count: size) }
                parts.append(res); offset += size
            }
            var rng = RNG(seed: UInt64(r), stream: .bootstrap)
            let u = UniformSample.union(parts, capacity: k, rng: &rng)
            XCTAssertEqual(u.count, k)
            for v in u { inclusion[Int(v)] += 1 }
        }
        let e = Double(replicates * k) / 1000
        let chi2 = inclusion.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        XCTAssertLessThan(chi2, 999 + 5 * 44.7, "χ² = \(chi2)")
    }

    /// The replay's tabled bins (`crit_linear_table`) against the definition, value by value: random
    /// values, zeros, the maximum, and the two floats on either side of every edge; maxima normal, tiny
    /// and subnormal; 1, 2, 7, 100 and 1,000 bins; three histograms filled in one pass.
    func testLinearTablesMatchDefinition() throws {
        var rng = RNG(seed: 12, stream: .sampling)
        for bins in [1, 2, 7, 100, 1000] {
            let maxima: [Float] = [1, 3.7e-3, 2.5e-30, Float(bitPattern: 0x0000_3A21), Float(bitPattern: 0x0000_0005)]
            let hists = maxima.map { LinearHistogram(maximum: Double($0), bins: bins) }
            let tables = try hists.map { h in
                try XCTUnwrap(h.edges.withUnsafeBufferPointer { crit_linear_table_create(h.maximum, Int32(bins), $0.baseAddress!) })
            }
            defer { tables.forEach { crit_linear_table_free($0) } }
            for (h, table) in zip(hists, tables) {
                let top = Float(h.maximum)
                var values: [Float] = [0, top, -top] + (0..<2000).map { _ in top * Float(rng.uniformDouble()) }
                for e in h.edges where e <= h.maximum {
                    let f = Float(e)
                    values += [f, f.nextDown, f.nextUp, -f.nextUp].filter { abs($0) <= top && $0 >= -top }
                }
                var expected = [UInt64](repeating: 0, count: bins)
                for v in values {
                    let a = Double(abs(v))
                    var j = bins - 1
                    while j > 0 && a < h.edges[j] { j -= 1 }
                    expected[j] += 1
                }
                // alone, and with two other histograms in the same pass
                let others = [tables[0], tables[3]]
                var counts = [[UInt64]](repeating: [UInt64](repeating: 0, count: bins), count: 3)
                let ptrs = UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>.allocate(capacity: 3)
                defer { ptrs.deallocate() }
                let bufs = (0..<3).map { _ in UnsafeMutablePointer<UInt64>.allocate(capacity: bins) }
                defer { bufs.forEach { $0.deallocate() } }
                for (k, b) in bufs.enumerated() { b.initialize(repeating: 0, count: bins); ptrs[k] = b }
                let list: [OpaquePointer?] = [table] + others
                values.withUnsafeBufferPointer { x in
                    list.withUnsafeBufferPointer { crit_abs_linear_histograms(x.baseAddress!, x.count, 3, $0.baseAddress!, ptrs) }
                }
                for k in 0..<3 { counts[k] = Array(UnsafeBufferPointer(start: bufs[k], count: bins)) }
                XCTAssertEqual(counts[0], expected, "max \(h.maximum), \(bins) bins")
            }
        }
    }

    /// The authors' 100-bin histogram against a brute-force assignment by the edges max·j/100.
    func testLinearHistogramMatchesBruteForce() {
        var rng = RNG(seed: 8, stream: .sampling)
        var v = (0..<10_000).map { _ in Float(abs(rng.normal())) }
        v += [0, 0]
        let m = Double(v.max()!)
        var h = LinearHistogram(maximum: m, bins: 100)
        v.withUnsafeBufferPointer { h.addMagnitudes($0.baseAddress!, count: v.count) }
        var expected = [UInt64](repeating: 0, count: 100)
        for x in v {
            let a = Double(x)
            var j = 99
            while j > 0 && a < m * Double(j) / 100 { j -= 1 }
            expected[j] += 1
        }
        XCTAssertEqual(h.counts, expected)
        XCTAssertEqual(h.probabilities.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(h.centers[0], m / 200, accuracy: 1e-15)
    }
}
