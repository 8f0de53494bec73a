import XCTest
@testable import Criticality

final class SamplingTests: XCTestCase {
    /// Chi-square test of inclusion frequencies: N = 1,000 items offered in uneven pieces, k = 100,
    /// 2,000 seeded replicates; each item is expected 200 times. 999 d.o.f.: mean 999, s.d. 44.7; we
    /// require χ² < 999 + 5 s.d.
    func testReservoirIsUniform() {
        let n = 1000, k = 100, replicates = 2000
        var inclusion = [Int](repeating: 0, count: n)
        let items = (0..<n).map { Float($0) }
        for r in 0..<replicates {
            var res = ReservoirSample(capacity: k, rng: RNG(seed: UInt64(r), stream: .reservoir))
            var start = 0
            var pieceRng = RNG(seed: UInt64(r), stream: .sampling)
            while start < n {
                let piece = min(n - start, 1 + pieceRng.uniformInt(below: 90))
                items[start..<(start + piece)].withUnsafeBufferPointer { res.offerMagnitudes($0.baseAddress!, count: piece) }
                start += piece
            }
            XCTAssertEqual(res.values.count, k)
            XCTAssertEqual(Set(res.values).count, k, "no item twice")
            for v in res.values { inclusion[Int(v)] += 1 }
        }
        let e = Double(replicates * k) / Double(n)
        let chi2 = inclusion.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        XCTAssertLessThan(chi2, 999 + 5 * 44.7, "χ² = \(chi2)")
        // the first and last items are not favoured either
        XCTAssertEqual(Double(inclusion[0..<100].reduce(0, +)) / 100, e, accuracy: 0.15 * e)
        XCTAssertEqual(Double(inclusion[900..<1000].reduce(0, +)) / 100, e, accuracy: 0.15 * e)
    }

    /// The union of three reservoirs (streams of 300, 500, 200 items) is a uniform sample of all 1,000.
    func testUnionOfReservoirsIsUniform() {
        let sizes = [300, 500, 200], k = 100, replicates = 2000
        var inclusion = [Int](repeating: 0, count: 1000)
        for r in 0..<replicates {
            var offset = 0
            var parts: [ReservoirSample] = []
            for (s, size) in sizes.enumerated() {
                var res = ReservoirSample(capacity: k, rng: RNG(seed: UInt64(r * 10 + s), stream: .reservoir))
                let items = (offset..<(offset + size)).map { Float($0) }
                items.withUnsafeBufferPointer { res.offerMagnitudes($0.baseAddress!, count: size) }
                parts.append(res); offset += size
            }
            var rng = RNG(seed: UInt64(r), stream: .bootstrap)
            let u = ReservoirSample.union(parts, capacity: k, rng: &rng)
            XCTAssertEqual(u.count, k)
            for v in u { inclusion[Int(v)] += 1 }
        }
        let e = Double(replicates * k) / 1000
        let chi2 = inclusion.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        XCTAssertLessThan(chi2, 999 + 5 * 44.7, "χ² = \(chi2)")
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
