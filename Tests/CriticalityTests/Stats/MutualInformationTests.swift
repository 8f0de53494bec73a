import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityStats

/// The authors' plug-in MI, the plain plug-in and Miller–Madow against NumPy (values from
/// Reference/mutual_information_reference.py, which builds the same arrays).
final class MutualInformationTests: XCTestCase {
    func testAgainstNumPy() throws {
        let n = 5000
        let i = (0..<n).map(Double.init)
        let w = i.map { pow(abs(sin($0 * 0.37)), 3) }
        let cases: [([Double], (Double, Double, Double, Int))] = [
            (zip(i, w).map { cos($0 * 0.11) + 0.3 * $1 }, (0.39408650642208753, 0.39408738473972355, 0.22738738473972356, 1766)),
            (i.map { cos($0 * 0.013) }, (0.4323610816632889, 0.43236245640883814, 0.29956245640883816, 1427)),
        ]
        for (a, expected) in cases {
            let m = try PluginMutualInformation.estimate(updates: w, activations: a)
            // Sums of 2,500 terms in another order: agreement to ~10⁻¹³ relative.
            XCTAssertEqual(m.authors, expected.0, accuracy: 1e-12)
            XCTAssertEqual(m.plugin, expected.1, accuracy: 1e-12)
            XCTAssertEqual(m.millerMadow, expected.2, accuracy: 1e-12)
            XCTAssertEqual(m.occupiedJoint, expected.3)
        }
    }

    /// Independent values: the plug-in is pure bias (positive); Miller–Madow, a first-order correction,
    /// leaves less than half of it (with 2,500 cells for 20,000 samples it overshoots: −0.017 against a
    /// plug-in of 0.049 here).
    func testBiasOfIndependentSamples() throws {
        var rng = RNG(seed: 5, stream: .probe)
        let w = (0..<20_000).map { _ in rng.normal() }, a = (0..<20_000).map { _ in rng.normal() }
        let m = try PluginMutualInformation.estimate(updates: w, activations: a)
        XCTAssertGreaterThan(m.plugin, 0.01)
        XCTAssertLessThan(abs(m.millerMadow), m.plugin / 2)
        assertThrowsMessage(["3 updates and 2 activations"]) { _ = try PluginMutualInformation.estimate(updates: [1, 2, 3], activations: [1, 2]) }
        assertThrowsMessage(["not finite"]) { _ = try PluginMutualInformation.estimate(updates: [1, .nan], activations: [1, 2]) }
    }
}
