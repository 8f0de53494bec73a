import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityStats

/// Spearman's ρ, the one-sample t-test and the incomplete beta against SciPy 1.17.1 (values from
/// Reference/stability_reference.py, kept in stability_reference.json), and the product-stability pairing.
final class StabilityTests: XCTestCase {
    let x = [0.31, 0.12, 0.55, 0.55, 0.91, 0.47, 0.23, 0.77, 0.64, 0.08, 0.39, 0.86]
    let y = [0.29, 0.20, 0.41, 0.62, 0.88, 0.35, 0.30, 0.70, 0.70, 0.15, 0.52, 0.79]

    func testAgainstSciPy() {
        let s = RankAndMeanTests.spearman(x, y)
        XCTAssertEqual(s.rho, 0.9649122807017544, accuracy: 1e-14)
        XCTAssertEqual(s.p, 3.948733849966582e-07, accuracy: 1e-12 * 3.95e-7 * 1e3)
        let t = RankAndMeanTests.oneSampleT(zip(x, y).map { $0 - $1 })
        XCTAssertEqual(t.t, -0.09759000729485254, accuracy: 1e-12)
        XCTAssertEqual(t.p, 0.9240133606925568, accuracy: 1e-12)
        for (a, b, z, expected) in [(0.5, 0.5, 0.3, 0.36901011956554536), (2.0, 3.0, 0.4, 0.5247999999999999),
                                    (5.0, 0.5, 0.9, 0.3166429150200122), (30.0, 0.5, 0.999, 0.8072373061595369),
                                    (0.5, 40.0, 0.01, 0.6286139767460155), (100.0, 100.0, 0.5, 0.4999999999999996)] {
            // 10⁻¹² relative: the prefactor's log B(a, b) = lgamma(a) + lgamma(b) − lgamma(a + b) loses
            // ~ε·lgamma(a + b) ≈ 10⁻¹³ at a = b = 100 to cancellation.
            XCTAssertEqual(Special.regularizedIncompleteBeta(a, b, z), expected, accuracy: 1e-12 * expected, "I_\(z)(\(a), \(b))")
        }
        XCTAssertEqual(RankAndMeanTests.ranks([3, 1, 3, 2]), [3.5, 1, 3.5, 2])
    }

    /// The authors' pairing: p[i] with p[i+2], i = 1, 3, 5, …; a steady product gives ρ near 1 and a
    /// null near 0; bad input is refused.
    func testPairingNullAndRefusals() throws {
        let p = (0..<10).map(Double.init)
        let (py, px) = ProductStability.pairs(p, lag: 2, stride: 2, offset: 1)
        XCTAssertEqual(py, [1, 3, 5, 7])
        XCTAssertEqual(px, [3, 5, 7, 9])
        let n = 60
        let beta = (0..<n).map { 0.5 + 0.3 * Double($0) / Double(n) }, mi = (0..<n).map { 1 + 0.01 * Double($0 % 3) }
        let r = try ProductStability.analyze(beta: beta, mutualInformation: mi, permutations: 300, seed: 3)
        XCTAssertEqual(r.pairs, 29)
        XCTAssertGreaterThan(r.spearmanRho, 0.9)
        XCTAssertLessThan(abs(r.null.rhoMean), 0.15)
        XCTAssertLessThan(r.null.rhoExceedance, 0.01)
        assertThrowsMessage(["β* series has 3 values and the MI series 4"]) { _ = try ProductStability.analyze(beta: [1, 2, 3], mutualInformation: [1, 2, 3, 4]) }
        assertThrowsMessage(["give 1 pairs", "at least 3"]) { _ = try ProductStability.analyze(beta: [1, 2, 3, 4, 5], mutualInformation: [1, 1, 1, 1, 1]) }
        assertThrowsMessage(["not finite"]) { _ = try ProductStability.analyze(beta: [1, .nan, 3], mutualInformation: [1, 1, 1]) }
    }
}
