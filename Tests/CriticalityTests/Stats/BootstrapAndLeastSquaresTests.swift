import Foundation
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

final class BootstrapAndLeastSquaresTests: XCTestCase {
    /// On true power-law samples the bootstrap p-value is roughly uniform: over 40 data sets (n = 400,
    /// 100 replicates each) its mean lies in [0.3, 0.7] and at most 20% fall below 0.1.
    func testBootstrapPValueRoughlyUniformOnPowerLaws() {
        var ps: [Double] = []
        for s in 0..<40 {
            var rng = RNG(seed: UInt64(100 + s), stream: .sampling)
            let x = samplePowerLaw(alpha: 2.5, xmin: 1, count: 400, rng: &rng).sorted()
            let pl = ContinuousPowerLaw(sortedPositive: x)
            let fit = pl.scan()!
            ps.append(PowerLawBootstrap.continuous(sorted: x, fit: fit, options: .init(), fixedXmin: false, replicates: 100, seed: UInt64(s)).pValue)
        }
        let mean = ps.reduce(0, +) / Double(ps.count)
        XCTAssertGreaterThan(mean, 0.3, "\(ps)")
        XCTAssertLessThan(mean, 0.7, "\(ps)")
        XCTAssertLessThanOrEqual(ps.filter { $0 < 0.1 }.count, 8, "\(ps)")
    }

    /// On lognormal samples of adequate size (n = 5,000, x_min at the median) p is small.
    func testBootstrapPValueSmallOnLognormal() {
        var rng = RNG(seed: 1, stream: .sampling)
        let x = (0..<5000).map { _ in exp(rng.normal()) }.sorted()
        let pl = ContinuousPowerLaw(sortedPositive: x)
        let fit = pl.fit(tailStart: pl.tailStart(atLeast: 1))
        let b = PowerLawBootstrap.continuous(sorted: x, fit: fit, options: .init(), fixedXmin: true, replicates: 100, seed: 2)
        XCTAssertLessThan(b.pValue, 0.05)
        XCTAssertEqual(b.replicates, 100)
    }

    /// Same seed ⇒ same p-value and interval, whatever the scheduling of the parallel replicates.
    func testBootstrapIsDeterministic() {
        var rng = RNG(seed: 5, stream: .sampling)
        let x = samplePowerLaw(alpha: 3, xmin: 1, count: 500, rng: &rng).sorted()
        let fit = ContinuousPowerLaw(sortedPositive: x).scan()!
        let a = PowerLawBootstrap.continuous(sorted: x, fit: fit, options: .init(), fixedXmin: false, replicates: 64, seed: 9)
        let b = PowerLawBootstrap.continuous(sorted: x, fit: fit, options: .init(), fixedXmin: false, replicates: 64, seed: 9)
        XCTAssertEqual(a.pValue, b.pValue)
        XCTAssertEqual(a.alphaInterval, b.alphaInterval)
        XCTAssertLessThan(a.alphaInterval[0], fit.alpha); XCTAssertGreaterThan(a.alphaInterval[1], fit.alpha)
    }

    /// Least squares recovers an exact power law p = 3 x^{-2.5} and an exponential on semi-log axes;
    /// `--points 1:-20` is a Python slice over the non-zero points.
    func testLeastSquaresAndSlices() throws {
        let x = (1...60).map { Double($0) }
        let p = x.map { 3 * pow($0, -2.5) }
        let f = try PaperHistogram.fit(x: x, p: p)
        XCTAssertEqual(f.slope, -2.5, accuracy: 1e-12); XCTAssertEqual(f.exponent, 2.5, accuracy: 1e-12)
        XCTAssertEqual(f.intercept, log(3), accuracy: 1e-12); XCTAssertEqual(f.r2, 1, accuracy: 1e-12)
        let e = try PaperHistogram.fit(x: x, p: x.map { exp(-0.3 * $0) }, semiLog: true)
        XCTAssertEqual(e.slope, -0.3, accuracy: 1e-12)
        XCTAssertEqual(try PaperHistogram.slice("1:-20", count: 60), 1..<40)
        XCTAssertEqual(try PaperHistogram.slice(":", count: 60), 0..<60)
        XCTAssertEqual(try PaperHistogram.slice("-5:", count: 60), 55..<60)
        XCTAssertEqual(try PaperHistogram.fit(x: x, p: p, points: 1..<40).points, 39)
        assertThrowsMessage(["slice '3'", "START:END"]) { _ = try PaperHistogram.slice("3", count: 10) }
        let h = PaperHistogram.linear([0, 1, 2, 3, 4, 4], bins: 4)
        XCTAssertEqual(h.probabilities, [1.0 / 6, 1.0 / 6, 1.0 / 6, 3.0 / 6])
    }

    func testBadInputIsAClearError() throws {
        assertThrowsMessage(["no values"]) { _ = try TailFit.fit([], options: .init(), source: "x.npy") }
        assertThrowsMessage(["x.npy", "index 2", "not finite"]) { _ = try TailFit.fit([1, 2, .nan, 4], options: .init(), source: "x.npy") }
        assertThrowsMessage(["positive"]) { _ = try TailFit.fit([-1, 0, -3], options: .init(), source: "x.npy") }
        var o = TailFitOptions(); o.discrete = true
        assertThrowsMessage(["a discrete fit needs integers", "2.5"]) { _ = try TailFit.fit([1, 2, 2.5, 3], options: o, source: "x.npy") }
        let dir = temporaryDirectory(self)
        try FileOutput.write("a,b\n1,2\n3,x\n", to: dir + "/t.csv")
        assertThrowsMessage(["no column 'c'", "a, b"]) { _ = try CSVColumn.read(path: dir + "/t.csv", column: "c") }
        assertThrowsMessage(["line 3", "'x'"]) { _ = try CSVColumn.read(path: dir + "/t.csv", column: "b") }
        XCTAssertEqual(try CSVColumn.read(path: dir + "/t.csv", column: "a"), [1, 3])
        // non-positive values are reported, not an error
        let r = try TailFit.fit([0, -1] + (1...50).map { Double($0) }, options: { var o = TailFitOptions(); o.compare = []; return o }(), source: "x")
        XCTAssertEqual(r.nDropped, 2); XCTAssertEqual(r.n, 52)
    }
}
