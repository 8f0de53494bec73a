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

final class SpecialFunctionTests: XCTestCase {
    /// Reference values from mpmath (`mpmath.zeta(s, q)`, `mpmath.expint(p, z)`).
    func testHurwitzZetaAgainstMpmath() {
        let cases: [(Double, Double, Double)] = [(2, 1, Double.pi * Double.pi / 6), (2.5, 3, 0.16471056195428),
                                                 (2.7, 1, 1.27426464444368), (4.2, 17, 3.96287377841061e-5), (1.3, 2, 2.93194921180954)]
        for (s, q, v) in cases { XCTAssertEqual(Special.hurwitzZeta(s, q), v, accuracy: 1e-12 * v, "ζ(\(s), \(q))") }
    }

    func testGeneralizedExponentialIntegralAgainstMpmath() {
        let cases: [(Double, Double, Double)] = [(2.5, 0.3, 0.367862417538404), (-0.5, 2.0, 0.0819241726165294), (1.7, 1e-4, 1.42213144759673)]
        for (p, z, v) in cases {
            XCTAssertEqual(Special.generalizedExponentialIntegral(p: p, z: z), v, accuracy: 1e-9 * v, "E_\(p)(\(z))")
        }
    }

    func testChiSquareAndLogErfc() {
        XCTAssertEqual(Special.chiSquare1Survival(3.841458820694124), 0.05, accuracy: 1e-12)
        XCTAssertEqual(Special.logErfc(30), -900 - log(30 * Double.pi.squareRoot()) + log1p(-1 / 1800 + 3 / (4 * 810_000) - 15 / (8 * 729_000_000)), accuracy: 1e-9)
        XCTAssertEqual(Special.logErfc(1), log(erfc(1)), accuracy: 1e-14)
    }

    // Reference values below: Tests/CriticalityTests/Stats/Reference/special_values.py (mpmath, 40
    // digits, by quadrature of the defining integrals, not by the closed forms used here).

    /// ln erfcx on both sides of the series switch at t = 8, deep in the tail, and for t < 0.
    func testLogErfcxAgainstMpmath() {
        let cases: [(Double, Double)] = [(-30, 900.69314718055995), (-3, 9.6931361352504468), (0, 0), (0.5, -0.4850111298370844),
                                         (5, -2.2008895455374344), (7.99, -2.6582400327717565), (8, -2.6594719708051615),
                                         (8.01, -2.660702415163919), (20, -3.569343334104235), (1e3, -7.4801207219062121),
                                         (1e8, -18.993045686877066)]
        for (t, v) in cases { XCTAssertEqual(Special.logErfcx(t), v, accuracy: 1e-13 * max(1, abs(v)), "ln erfcx(\(t))") }
    }

    /// ln Z, E u, E u² of e^{−au−bu²} on u ≥ 0: near the power-law limit (t = a/2√b up to 1.5·10⁶),
    /// both sides of t = 8, and with the mode far inside (t ≪ 0).
    func testHalfLineGaussianAgainstMpmath() {
        let cases: [(Double, Double, Double, Double, Double)] = [
            (3, 1e-6, -1.0986125108902085, 0.33333318518534979, 0.22222197530904801),
            (3, 0.0351, -1.1062657365031857, 0.32832522766064471, 0.21402160994395842),
            (3, 0.03517, -1.1062807174738492, 0.32831560308314299, 0.21400612383524345),
            (0.5, 0.36, -0.023890574337249368, 0.7280253338554546, 0.88331574037815656),
            (-5, 0.2, 32.627083899141747, 12.500000000000016, 158.75000000000019),
            (-50, 0.1, 6251.7236574894214, 249.99999999999999, 62504.999999999993),
            (1e-3, 2, -0.46775472477763251, 0.39885144896917992, 0.24990028713775771),
            (4.2, 1e-12, -1.435084525289436, 0.2380952380951841, 0.11337868480719195),
        ]
        for (a, b, logZ, m1, m2) in cases {
            let m = HalfLineGaussian.moments(a: a, b: b)
            XCTAssertEqual(m.logZ, logZ, accuracy: 1e-12 * max(1, abs(logZ)), "ln Z(\(a), \(b))")
            XCTAssertEqual(m.mean, m1, accuracy: 1e-11 * m1, "E u (\(a), \(b))")
            XCTAssertEqual(m.meanSquare, m2, accuracy: 1e-11 * m2, "E u² (\(a), \(b))")
        }
        // the boundary b = 0 is the exponential density exactly; b < 0, or b = 0 with a ≤ 0, is not normalizable
        let limit = HalfLineGaussian.moments(a: 2.5, b: 0)
        XCTAssertEqual(limit.logZ, -log(2.5)); XCTAssertEqual(limit.mean, 0.4); XCTAssertEqual(limit.meanSquare, 0.32)
        XCTAssertEqual(HalfLineGaussian.moments(a: -1, b: 0).logZ, .infinity)
        XCTAssertEqual(HalfLineGaussian.moments(a: 1, b: -1e-9).logZ, .infinity)
    }

    /// ln E_p(z), E ln t, E t of the cut-off power law t^{−p}e^{−zt} on t ≥ 1, from p < 1 to p near 1
    /// with z → 0 (E t ≈ 2.4·10⁸) and a strong cut-off.
    func testCutoffMomentsAgainstMpmath() {
        let cases: [(Double, Double, Double, Double, Double)] = [
            (2.5, 0.3, -1.0000462761030634, 0.44332669498670309, 1.7128196608484942),
            (-0.5, 2.0, -2.5019611837277276, 0.40441975362234234, 1.5759789443958747),
            (1.7, 1e-4, 0.35215676564384449, 1.400270174109668, 30.995669841700711),
            (4.0, 1e-8, -1.0986123036681097, 0.3333333308333334, 1.4999999925000026),
            (1.05, 1e-10, 2.6009486474263568, 9.1747813420989248, 242031521.7811122),
            (0.3, 50.0, -53.917890927329883, 0.019504570153663295, 1.0198851718794612),
        ]
        for (p, z, logE, m1, mt) in cases {
            let m = Special.generalizedExponentialIntegralMoments(p: p, z: z)
            XCTAssertEqual(m.logE, logE, accuracy: 1e-11 * max(1, abs(logE)), "ln E_\(p)(\(z))")
            XCTAssertEqual(m.meanLogT, m1, accuracy: 1e-10 * m1, "E ln t (\(p), \(z))")
            XCTAssertEqual(m.meanT, mt, accuracy: 1e-10 * mt, "E t (\(p), \(z))")
        }
    }

    /// P(aZ₁² + bZ₂² > q), the null distribution of Vuong's variance statistic, to the 10⁻⁶ of its
    /// Bessel approximation; one weight is the χ²₁ survival function scaled, equal weights χ²₂.
    func testWeightedChiSquareSurvivalAgainstMpmath() {
        let cases: [(Double, Double, Double, Double)] = [(2, 0.5, 3, 0.27931690109199474), (1, 1e-3, 2, 0.15740310085236753),
                                                         (1, 1, 4, 0.13533528323661269), (10, 0.1, 0.5, 0.84455982396940566),
                                                         (1e4, 1, 3e4, 0.083269656521875879)]
        for (a, b, q, v) in cases {
            XCTAssertEqual(Special.weightedChiSquareSurvival(weights: [a, b], q), v, accuracy: 2e-6, "P(\(a)Z² + \(b)Z² > \(q))")
            XCTAssertEqual(Special.weightedChiSquareSurvival(weights: [b, a], q), v, accuracy: 2e-6, "order of the weights")
        }
        XCTAssertEqual(Special.weightedChiSquareSurvival(weights: [3, 0], 2), erfc((2.0 / 6).squareRoot()), accuracy: 1e-15)
        XCTAssertEqual(Special.weightedChiSquareSurvival(weights: [0, 0], 2), 0)
        XCTAssertEqual(Special.weightedChiSquareSurvival(weights: [1, 2], 0), 1)
    }

    /// Brent's root and the bracket search: a root met to the tolerance, a sign change always kept.
    func testBrentRootAndBracket() {
        let f: (Double) -> Double = { cos($0) - $0 }
        let r = Search1D.brentRoot(f, 0, 1, tolerance: 1e-15)
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.root, 0.7390851332151607, accuracy: 1e-15)
        XCTAssertLessThan(r.evaluations, 12)
        let b = Search1D.bracketDecreasing({ 5 - $0 }, start: -100, step: 1)!
        XCTAssertTrue(b.lo <= 5 && b.hi >= 5 && b.fLo > 0 && b.fHi < 0, "\(b)")
        XCTAssertNil(Search1D.bracketDecreasing({ _ in 1 }, start: 0, step: 1, maxSteps: 10))
    }
}
