import Foundation
import XCTest
@testable import CriticalityStats

/// `Gaussianity` against SciPy (stats.normaltest, skew, kurtosis, norm.fit) and the Hill index from its
/// definition in NumPy, on three samples generated from formulas both sides repeat
/// (Reference/gaussianity_reference.py → gaussianity_reference.json).
final class GaussianityTests: XCTestCase {
    static func samples() -> [String: [Double]] {
        let n = 600
        var state: UInt64 = 1
        var gaussian: [Double] = []
        for _ in 0..<n {
            var total = 0.0
            for _ in 0..<12 {
                state = (1_664_525 &* state &+ 1_013_904_223) % (1 << 32)
                total += Double(state) / 4_294_967_296
            }
            gaussian.append(total - 6)
        }
        let cauchy = (0..<n).map { tan(Double.pi * ((Double($0) + 0.5) / Double(n) - 0.5)) }
        let uniform = (0..<n).map { (Double($0) * 0.618033988749895).truncatingRemainder(dividingBy: 1) - 0.5 }
        return ["gaussian_like": gaussian, "cauchy": cauchy, "uniform": uniform]
    }

    func testAgainstSciPy() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/gaussianity_reference.json")
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: [String: Double]]
        for (name, x) in Self.samples() {
            let g = try Gaussianity(x), r = reference[name]!
            // Moments to 10⁻¹⁰ relative (compensated sums here, NumPy's pairwise sums there); K² and p
            // through the same closed forms, so to 10⁻⁸ relative (p spans 10⁻⁸⁷ … 0.08).
            XCTAssertEqual(g.mean, r["mean"]!, accuracy: 1e-12 * max(1, abs(r["sd"]!)), name)
            XCTAssertEqual(g.sd, r["sd"]!, accuracy: 1e-10 * r["sd"]!, name)
            XCTAssertEqual(g.skewness, r["skewness"]!, accuracy: 1e-9 * max(1, abs(r["skewness"]!)), name)
            XCTAssertEqual(g.excessKurtosis, r["excess_kurtosis"]!, accuracy: 1e-9 * max(1, abs(r["excess_kurtosis"]!)), name)
            XCTAssertEqual(g.k2, r["k2"]!, accuracy: 1e-8 * r["k2"]!, name)
            XCTAssertEqual(g.p, r["p"]!, accuracy: 1e-7 * r["p"]!, name)
            XCTAssertEqual(g.hillK, Int(r["hill_k"]!))
            XCTAssertEqual(g.hillAlpha, r["hill_alpha"]!, accuracy: 1e-10 * r["hill_alpha"]!, name)
        }
    }

    func testRefusesTooFewOrConstantValues() {
        XCTAssertThrowsError(try Gaussianity([Double](repeating: 1, count: 10))) { XCTAssertTrue("\($0)".contains("at least 20")) }
        XCTAssertThrowsError(try Gaussianity([Double](repeating: 1, count: 30))) { XCTAssertTrue("\($0)".contains("zero variance")) }
    }
}
