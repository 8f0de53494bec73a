import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityStats

/// The β* component against NumPy's SVD of the same centred block (Reference/leading_component_reference.py).
final class LeadingComponentTests: XCTestCase {
    func testAgainstSVD() throws {
        let (rows, columns) = (30, 40)
        var x: [Double] = []
        for t in 0..<rows { for j in 0..<columns { x.append(sin(0.37 * Double(t) + 0.11 * Double(j * j)) + 0.05 * Double(t) * cos(0.9 * Double(j))) } }
        let c = try LeadingComponent(block: x, rows: rows, columns: columns)
        // The Gram route squares the condition number: agreement to ~10⁻¹¹ rather than 10⁻¹⁵.
        XCTAssertEqual(c.explainedVarianceRatio, 0.5310167115826355, accuracy: 1e-12)
        for (i, v) in [0.05908449488420114, 0.1014900508693132, 0.19721070096326573, 0.2600748856042951].enumerated() {
            XCTAssertEqual(c.component[i], v, accuracy: 1e-10)
        }
        XCTAssertEqual(c.component[columns - 1], -0.13689705387456313, accuracy: 1e-10)
        XCTAssertEqual(c.component.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-12)
        XCTAssertEqual(LeadingComponent.cosine(c.component, c.component.map { -$0 }), 1, accuracy: 1e-12)
        assertThrowsMessage(["at least 2 rows"]) { _ = try LeadingComponent(block: [1, 2], rows: 1, columns: 2) }
        assertThrowsMessage(["no principal component"]) { _ = try LeadingComponent(block: [1, 2, 1, 2], rows: 2, columns: 2) }
    }
}
