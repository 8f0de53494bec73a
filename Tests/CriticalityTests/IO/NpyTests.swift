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

final class NpyTests: XCTestCase {
    func testRoundTripFloatAndDoubleWithShape() throws {
        let dir = temporaryDirectory(self)
        let f: [Float] = [1, -2.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0, 3]
        try FileOutput.writeNpy(f, shape: [2, 3], to: dir + "/f.npy")
        let (back, shape) = try Npy.readFloats(path: dir + "/f.npy")
        XCTAssertEqual(back, f); XCTAssertEqual(shape, [2, 3])
        let d: [Double] = [0.1, 1e-300, -7]
        try FileOutput.writeNpy(d, to: dir + "/d.npy")
        XCTAssertEqual(try Npy.readDoubles(path: dir + "/d.npy").values, d)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/f.npy"))
        let header = try Npy.parseHeader(data, name: "f.npy")
        XCTAssertEqual(header.dataOffset % 64, 0, "data must start on a 64-byte boundary")
    }

    func testRejectsBadMagicTruncationAndDtype() throws {
        let dir = temporaryDirectory(self)
        try FileOutput.write(Data("hello world, not numpy".utf8), to: dir + "/bad.npy")
        assertThrowsMessage(["bad.npy", "magic"]) { _ = try Npy.readDoubles(path: dir + "/bad.npy") }
        var full = Npy.encode([Double](repeating: 1, count: 100))
        full.removeLast(8)
        try FileOutput.write(full, to: dir + "/short.npy")
        assertThrowsMessage(["short.npy", "truncated", "800 bytes", "792"]) { _ = try Npy.readDoubles(path: dir + "/short.npy") }
        var complexHeader = [UInt8](Npy.encode([Double](repeating: 1, count: 2)))
        let at = try XCTUnwrap((0..<complexHeader.count).first { complexHeader[$0..<($0 + 3)] == [0x3c, 0x66, 0x38] })  // "<f8"
        complexHeader[at + 1] = 0x63  // "<c8": complex64
        try FileOutput.write(Data(complexHeader), to: dir + "/c.npy")
        assertThrowsMessage(["c.npy", "'<c8'", "float64"]) { _ = try Npy.readDoubles(path: dir + "/c.npy") }
    }

    func testNumPyLoadsWhatWeWrite() throws {
        try XCTSkipUnless(numpyAvailable, "python3 with numpy is not available")
        let dir = temporaryDirectory(self)
        try FileOutput.writeNpy([Float](arrayLiteral: 1.5, 2, 3, 4, 5, 6), shape: [3, 2], to: dir + "/a.npy")
        try FileOutput.writeNpy([Int64](arrayLiteral: 7, 8), to: dir + "/b.npy")
        let out = try runPython("import numpy as np; a=np.load('\(dir)/a.npy'); b=np.load('\(dir)/b.npy'); print(a.dtype, a.shape, a[0,0], a[2,1], b.dtype, b.sum())")
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "float32 (3, 2) 1.5 6.0 int64 15")
        _ = try runPython("import numpy as np; np.save('\(dir)/np.npy', np.arange(6, dtype=np.float64).reshape(2,3)); np.save('\(dir)/f.npy', np.asfortranarray(np.arange(6.0).reshape(2,3)))")
        let (v, s) = try Npy.readDoubles(path: dir + "/np.npy")
        XCTAssertEqual(v, [0, 1, 2, 3, 4, 5]); XCTAssertEqual(s, [2, 3])
        XCTAssertEqual(try Npy.readDoubles(path: dir + "/f.npy").values, [0, 1, 2, 3, 4, 5])
    }
}
