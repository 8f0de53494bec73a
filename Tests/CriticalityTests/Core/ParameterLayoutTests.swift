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

final class ParameterLayoutTests: XCTestCase {
    func testSegmentsTileTheBufferInOrder() throws {
        let spec = try ModelSpec(model: "mlp5")
        let net = try spec.makeNetwork(inputSize: 784, classCount: 10, maxBatch: 2)
        let l = net.layout
        XCTAssertEqual(l.segments.map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
                                                "fc4.weight", "fc4.bias", "fc5.weight", "fc5.bias"])
        XCTAssertEqual(l.segments[0].shape, [50, 784])
        XCTAssertEqual(l.parameterCount, 784 * 50 + 50 + 3 * (50 * 50 + 50) + 50 * 10 + 10)
        var offset = 0
        for s in l.segments { XCTAssertEqual(s.offset, offset); offset += s.count }
        XCTAssertEqual(l.layers, ["fc1", "fc2", "fc3", "fc4", "fc5"])
        XCTAssertEqual(net.parameters.count, l.parameterCount)
        XCTAssertEqual(try ParameterLayout(segments: l.segments), l)
    }

    func testRejectsNonContiguousSegments() {
        let bad = [ParameterLayout.Segment(layer: "a", kind: "weight", shape: [2, 2], offset: 0, count: 4),
                   ParameterLayout.Segment(layer: "a", kind: "bias", shape: [2], offset: 5, count: 2)]
        assertThrowsMessage(["a.bias", "contiguous"]) { _ = try ParameterLayout(segments: bad) }
    }
}
