import Foundation
import XCTest

/// docs/architecture.md's dependency table is the graph Package.swift declares (issue 13).
final class ArchitectureTests: XCTestCase {
    func testTheDocumentedGraphIsTheDeclaredOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let package = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let doc = try String(contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        // swift("Name", ["A", "B",
        //               "C"]),
        var declared: [String: Set<String>] = [:]
        let calls = try NSRegularExpression(pattern: #"swift\("(\w+)", \[([^\]]*)\]\)"#)
        for m in calls.matches(in: package, range: NSRange(package.startIndex..., in: package)) {
            let name = String(package[Range(m.range(at: 1), in: package)!])
            let deps = package[Range(m.range(at: 2), in: package)!].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            declared[name] = Set(deps)
        }
        var documented: [String: Set<String>] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("| Criticality") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            documented[cells[0]] = Set(cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        XCTAssertGreaterThanOrEqual(declared.count, 10)
        XCTAssertEqual(declared, documented)
    }
}
