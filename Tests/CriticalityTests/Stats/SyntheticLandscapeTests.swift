import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityStats

/// The probe recovers the curvature law a synthetic landscape was built with (SI S16–S18).
final class SyntheticLandscapeTests: XCTestCase {
    /// Δf_i = c_i((x_i ± δ)² − x_i²), checked against the definition.
    func testResponsesAreTheDefinition() throws {
        let l = try SyntheticLandscape(law: .exponential, dimensions: 1000, seed: 2)
        XCTAssertTrue(l.positions.allSatisfy { $0 >= -1 && $0 < 1 })
        for shift in [0.01, -1.0] {
            let r = l.responses(shift: shift)
            for i in 0..<1000 {
                let x = l.positions[i], c = l.curvatures[i]
                XCTAssertEqual(r[i], abs(c * ((x + shift) * (x + shift) - x * x)), accuracy: 1e-12 * max(1, r[i]))
            }
        }
    }

    /// δ ≫ |x|: the Pareto curvature's tail exponent comes back within two standard errors and the
    /// response is classed power-law-like; the Gaussian and exponential laws are not.
    func testProbeRecoversTheCurvatureLaw() throws {
        let alpha = 2.5
        let pl = try SyntheticLandscape(law: .powerLaw, dimensions: 100_000, seed: 5, paretoAlpha: alpha)
        let a = try ResponseAnalysis.analyze(pl.responses(shift: 100), delta: 100)
        let t = try XCTUnwrap(a.tail)
        XCTAssertLessThanOrEqual(abs(t.alpha - alpha), 2 * t.alphaStderr, "α̂ = \(t.alpha) ± \(t.alphaStderr)")
        XCTAssertEqual(a.classification, .powerLawLike, a.reason)
        for law in [CurvatureLaw.gaussian, .exponential] {
            let l = try SyntheticLandscape(law: law, dimensions: 100_000, seed: 5)
            for shift in [100.0, 0.01] {
                let r = try ResponseAnalysis.analyze(l.responses(shift: shift), delta: shift)
                XCTAssertNotEqual(r.classification, .powerLawLike, "\(law) δ = \(shift): \(r.reason)")
                XCTAssertNotEqual(r.classification, .heavyTailedNotPowerLaw, "\(law) δ = \(shift): \(r.reason)")
            }
        }
    }

    /// An exponential sample is classed exponential-like with the MLE rate; bad input is refused.
    func testExponentialSampleAndRefusals() throws {
        var rng = RNG(seed: 9, stream: .probe)
        let x = (0..<20_000).map { _ in -log(1 - rng.uniformDouble()) / 4 }
        let a = try ResponseAnalysis.analyze(x, delta: 0.01)
        XCTAssertEqual(a.classification, .exponentialLike, a.reason)
        XCTAssertEqual(a.exponentialRate, 4, accuracy: 0.1)
        XCTAssertLessThan(a.exponentialKS, 0.02)
        XCTAssertEqual(a.paperAxes, "semi-log")
        XCTAssertEqual(a.histogramCenters.count, 40)
        XCTAssertEqual(a.histogramProbabilities.reduce(0, +), 1, accuracy: 1e-12)
        assertThrowsMessage(["index 1", "|ΔL| ≥ 0"]) { _ = try ResponseAnalysis.analyze([1, -2], delta: 1) }
        assertThrowsMessage(["no values"]) { _ = try ResponseAnalysis.analyze([], delta: 1) }
        assertThrowsMessage(["α > 1"]) { _ = try SyntheticLandscape(law: .powerLaw, dimensions: 10, seed: 1, paretoAlpha: 1) }
    }
}
