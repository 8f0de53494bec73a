import XCTest
@testable import Criticality

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
}
