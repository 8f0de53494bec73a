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

final class LogHistogramTests: XCTestCase {
    /// Random magnitudes over the whole Float32 range, with exact zeros, −0, subnormals, the extremes.
    func awkwardValues(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed, stream: .sampling)
        var v: [Float] = [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                          -.greatestFiniteMagnitude, 1, -1, Float(bitPattern: 0x0007_FFFF), Float(bitPattern: 0x0008_0000)]
        while v.count < n {
            switch rng.uniformInt(below: 4) {
            case 0: v.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF) * (rng.uniformInt(below: 2) == 0 ? 1 : -1))
            case 1: v.append(Float(bitPattern: UInt32(rng.uniformInt(below: 1 << 23))))  // subnormal
            case 2: v.append(0)
            default: v.append(Float(rng.normal() * 1e-3))
            }
        }
        return v
    }

    /// Brute force: the bin of |x| by binary search over the grid's edges (in Double), independent of
    /// the bit-shift used by the kernel.
    func referenceBin(_ x: Float) -> Int {
        let a = Double(abs(x))
        var lo = 0, hi = LogGrid.finiteBinCount
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if LogGrid.edge(mid) <= a { lo = mid } else { hi = mid }
        }
        return lo
    }

    func testCountsAndStatisticsEqualBruteForce() {
        let v = awkwardValues(20_003, seed: 1)  // odd length exercises the kernel's tail loop
        let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * LogGrid.binCount)
        scratch.initialize(repeating: 0, count: 4 * LogGrid.binCount)
        defer { scratch.deallocate() }
        var h = LogHistogram()
        // in uneven pieces, as chunks would arrive
        var start = 0
        for piece in [1, 7, 4096, 9000, 6899] {
            v[start..<(start + piece)].withUnsafeBufferPointer { h.add($0.baseAddress!, count: piece, scratch: scratch) }
            start += piece
        }
        XCTAssertEqual(start, v.count)
        var expected = [UInt64](repeating: 0, count: LogGrid.finiteBinCount)
        for x in v { expected[referenceBin(x)] += 1 }
        XCTAssertEqual(h.counts, expected)
        XCTAssertEqual(h.zeros, UInt64(v.filter { $0 == 0 }.count))
        XCTAssertEqual(h.minimumPositive, v.map(abs).filter { $0 > 0 }.min())
        XCTAssertEqual(h.maximum, Float.greatestFiniteMagnitude)
        let small = v.filter { abs($0) < 1e10 }
        var hs = LogHistogram()
        small.withUnsafeBufferPointer { hs.add($0.baseAddress!, count: small.count, scratch: scratch) }
        let sum = small.reduce(0.0) { $0 + Double(abs($1)) }, sq = small.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(hs.sum, sum, accuracy: 1e-6 * sum)
        XCTAssertEqual(hs.sumOfSquares, sq, accuracy: 1e-6 * sq)
        XCTAssertTrue((0..<(4 * LogGrid.binCount)).allSatisfy { scratch[$0] == 0 }, "scratch must be left zeroed")
    }

    /// Exact zeros far below the other values (bins 0 and ~1870–1940, the case of always-black pixels):
    /// the drain reads bin 0 and the values' range, not the gap, and still leaves the table zeroed and
    /// the counts equal to brute force.
    func testZerosBelowAGapAreCountedAndCleared() {
        var rng = RNG(seed: 2, stream: .sampling)
        let v = (0..<5000).map { i -> Float in i % 3 == 0 ? 0 : Float(1e-3 * (1 + rng.uniformDouble())) }
        let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * LogGrid.binCount)
        scratch.initialize(repeating: 0, count: 4 * LogGrid.binCount)
        defer { scratch.deallocate() }
        var h = LogHistogram()
        v.withUnsafeBufferPointer { h.add($0.baseAddress!, count: v.count, scratch: scratch) }
        var expected = [UInt64](repeating: 0, count: LogGrid.finiteBinCount)
        for x in v { expected[referenceBin(x)] += 1 }
        XCTAssertEqual(h.counts, expected)
        XCTAssertEqual(h.zeros, 1667)
        XCTAssertTrue((0..<(4 * LogGrid.binCount)).allSatisfy { scratch[$0] == 0 }, "scratch must be left zeroed")
        let st = crit_abs_stats(sum: 0, sum_squares: 0, min_bits: Float(1e-3).bitPattern, max_bits: Float(2e-3).bitPattern, zeros: 3)
        let touched = LogGrid.touchedBins(st)
        XCTAssertEqual(touched?.range, LogGrid.bin(of: 1e-3)...LogGrid.bin(of: 2e-3))
        XCTAssertEqual(touched?.zeroBinAlone, true)
        XCTAssertNil(LogGrid.touchedBins(.empty))
        XCTAssertEqual(LogGrid.touchedBins(crit_abs_stats(sum: 0, sum_squares: 0, min_bits: .max, max_bits: 0, zeros: 2))?.range, 0...0)
    }

    func testGridHasAtLeast32BinsPerDecadeAndIsExactlyLogPerOctave() {
        for b in stride(from: 16 * 10, to: LogGrid.finiteBinCount - 16, by: 16) {
            XCTAssertEqual(LogGrid.edge(b + 16) / LogGrid.edge(b), 2, "an octave is 16 bins")
        }
        XCTAssertGreaterThanOrEqual(Double(LogGrid.binsPerOctave) / _log10(2), 32)
    }

    func testCCDFStartsAtOneIsMonotoneAndDensityIntegratesToPositiveFraction() {
        var rng = RNG(seed: 4, stream: .sampling)
        let v = (0..<50_000).map { i -> Float in i % 10 == 0 ? 0 : Float(_exp(rng.normal() * 3) * 1e-4) }
        var h = LogHistogram()
        let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * LogGrid.binCount)
        scratch.initialize(repeating: 0, count: 4 * LogGrid.binCount)
        defer { scratch.deallocate() }
        v.withUnsafeBufferPointer { h.add($0.baseAddress!, count: v.count, scratch: scratch) }
        let range = h.positiveRange!
        let ccdf = h.ccdf(in: range)
        XCTAssertEqual(ccdf.first, 1)
        XCTAssertTrue(zip(ccdf, ccdf.dropFirst()).allSatisfy { $0 >= $1 })
        XCTAssertGreaterThan(ccdf.last!, 0)
        let mass = zip(range, h.density(in: range)).reduce(0.0) { $0 + $1.1 * LogGrid.width($1.0) }
        XCTAssertEqual(mass, 0.9, accuracy: 1e-12)
    }

    func testEntropyMatchesDirectFormula() {
        var counts = [UInt64](repeating: 0, count: LogGrid.finiteBinCount)
        counts[0] = 30; counts[5] = 70_000; counts[900] = 1; counts[901] = 65_535; counts[902] = 65_536
        let zeros: UInt64 = 10
        let n = Double(counts.reduce(0, +))
        var direct = 0.0
        for c in [10.0, 20, 70_000, 1, 65_535, 65_536] { direct -= c / n * _log(c / n) }
        let e = counts.withUnsafeBufferPointer {
            EntropyTable.shared.entropy(counts: $0.baseAddress!, range: 0...902, zeros: zeros, total: UInt64(n))
        }
        XCTAssertEqual(e, direct, accuracy: 1e-12)
        XCTAssertEqual(LogHistogram.entropy(counts: counts, zeros: zeros), direct, accuracy: 1e-12)
    }
}

import Foundation
func _log10(_ x: Double) -> Double { Foundation.log10(x) }
