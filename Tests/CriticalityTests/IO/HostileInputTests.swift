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

/// Issue 12's inputs against the file readers: each test builds the hostile input and asserts a clean,
/// named refusal (or the right value) instead of a crash, a hang or a silent misreading.
final class HostileInputTests: XCTestCase {
    /// A version-1 `.npy` with the given header dict text and payload.
    func npy(header dict: String, payload: [UInt8] = []) -> Data {
        var h = dict
        let unpadded = 10 + h.utf8.count + 1
        h += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)])
        d.append(contentsOf: Array(h.utf8))
        d.append(contentsOf: payload)
        return d
    }

    func write(_ data: Data, _ name: String) throws -> String {
        let path = temporaryDirectory(self) + "/" + name
        try FileOutput.write(data, to: path)
        return path
    }

    /// Shapes whose element count overflows (2⁶¹ float64 elements; 3000 × (2⁶²+1)) are refused, not read
    /// as a few values or crashed on (item 7).
    func testNpyShapeProductsAreChecked() throws {
        for shape in ["(2305843009213693952,)", "(9223372036854775807,)", "(3000, 4611686018427387905)"] {
            let p = try write(npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"), "big.npy")
            assertThrowsMessage(["big.npy"]) { _ = try Npy.readDoubles(path: p) }
        }
        // a 2-D chunk with an overflowing column count, for the row reader
        let p = try write(npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4611686018427387905), }"), "rows.npy")
        assertThrowsMessage(["rows.npy"]) { _ = try NpyRowReader(input: p) }
    }

    /// The header dict is parsed as NumPy parses it: a repeated key keeps its last value; native and
    /// big-endian byte orders read right; missing or extra keys are refused (item 23).
    func testNpyHeaderDictIsParsedAsNumPyDoes() throws {
        let two: [UInt8] = withUnsafeBytes(of: 2.5.bitPattern.littleEndian, Array.init) + withUnsafeBytes(of: (-1.0).bitPattern.littleEndian, Array.init)
        let dup = try write(npy(header: "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", payload: two), "dup.npy")
        XCTAssertEqual(try Npy.readDoubles(path: dup).values, [2.5, -1])
        for order in ["=", "|"] {
            let p = try write(npy(header: "{'descr': '\(order)f8', 'fortran_order': False, 'shape': (2,), }", payload: two), "n.npy")
            XCTAssertEqual(try Npy.readDoubles(path: p).values, [2.5, -1], order)
        }
        let big: [UInt8] = withUnsafeBytes(of: 2.5.bitPattern.bigEndian, Array.init) + withUnsafeBytes(of: (-1.0).bitPattern.bigEndian, Array.init)
        let be = try write(npy(header: "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", payload: big), "be.npy")
        XCTAssertEqual(try Npy.readDoubles(path: be).values, [2.5, -1])
        let extra = try write(npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", payload: two), "x.npy")
        assertThrowsMessage(["x.npy", "Python dict literal"]) { _ = try Npy.readDoubles(path: extra) }
        let missing = try write(npy(header: "{'descr': '<f8', 'shape': (2,), }", payload: two), "m.npy")
        assertThrowsMessage(["m.npy", "exactly the keys"]) { _ = try Npy.readDoubles(path: missing) }
        // a folder named x.npy is named as a folder
        let dir = temporaryDirectory(self) + "/folder.npy"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        assertThrowsMessage(["folder.npy is a folder"]) { _ = try Npy.readDoubles(path: dir) }
    }

    /// CSV cells are decimal numbers or nothing: an embedded NUL, hexadecimal and non-UTF-8 files are
    /// refused by line and column (item 21).
    func testCSVNumbersAreDecimalOnly() throws {
        let nul = try write(Data("a,b\n1,1.5\u{0}999\n".utf8), "nul.csv")
        assertThrowsMessage(["line 2", "'1.5\\0999'", "not a decimal number"]) { _ = try CSVColumn.read(path: nul, column: "b") }
        let hex = try write(Data("a\n0x10\n".utf8), "hex.csv")
        assertThrowsMessage(["line 2", "'0x10'"]) { _ = try CSVColumn.read(path: hex, column: "a") }
        let latin = try write(Data([0x61, 0x0a, 0x31, 0xe9, 0x0a]), "latin.csv")
        assertThrowsMessage(["latin.csv is not UTF-8", "offset 3"]) { _ = try CSVColumn.read(path: latin, column: "a") }
        let ok = try write(Data("a\n1e-3\n-2.5\n.5\nnan\n".utf8), "ok.csv")
        let v = try CSVColumn.read(path: ok, column: "a")
        XCTAssertEqual(Array(v.prefix(3)), [1e-3, -2.5, 0.5])
        XCTAssertTrue(v[3].isNaN)
    }

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let dir = temporaryDirectory(self)
        try FileOutput.write(Data(bytes), to: dir + "/f")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-f", dir + "/f"]
        try p.run(); p.waitUntilExit()
        return [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/f.gz")))
    }

    /// gzip inflation stops at what the IDX header announces (a 2 MB file claiming 2 GiB of zeros is
    /// refused after a few bytes past its header's size); several members are one stream; trailing
    /// garbage is refused (item 14).
    func testGzipIsBoundedMultiMemberAndHasNoTrailingGarbage() throws {
        // header announces 10 × 28 × 28 bytes, the stream holds 8 MiB
        let bomb = try gzip(idxBytes([10, 28, 28], payload: [UInt8](repeating: 0, count: 8 << 20)))
        let bombPath = try write(Data(bomb), "bomb-idx3-ubyte.gz")
        assertThrowsMessage(["bomb-idx3-ubyte.gz", "inflates to more than the 7856 bytes"]) { _ = try IDXArray(contentsOf: bombPath) }
        // two members
        let full = idxBytes([3, 2, 2])
        let twoMembers = try gzip(Array(full.prefix(10))) + (try gzip(Array(full.dropFirst(10))))
        let multi = try write(Data(twoMembers), "multi.gz")
        XCTAssertEqual(try IDXArray(contentsOf: multi).bytes, Array(full.dropFirst(16)))
        // trailing garbage; trailing zeros are tolerated (as gzip does)
        let garbage = try write(Data(try gzip(full) + [0x41, 0x42]), "garbage.gz")
        assertThrowsMessage(["garbage.gz", "trailing data"]) { _ = try IDXArray(contentsOf: garbage) }
        let padded = try write(Data(try gzip(full) + [0, 0, 0]), "padded.gz")
        XCTAssertEqual(try IDXArray(contentsOf: padded).dimensions, [3, 2, 2])
        // announced dimensions beyond the cap are refused before anything is allocated
        assertThrowsMessage(["announce more than"]) { _ = try IDXArray(parsing: idxBytes([65536, 65536, 2], payload: []), name: "huge") }
    }

    /// Observer and checkpoint state: announced array lengths are bounded by the bytes left, histogram
    /// lengths by the grid, sample sizes by the settings' limit (item 17).
    func testBinaryStateLengthsAreCheckedBeforeAllocation() throws {
        var w = BinaryWriter()
        w.write(UInt64(1) << 60)  // an array "of 2⁶⁰ elements" in a 18-byte file
        var r = try BinaryReader(data: w.data, name: "state.bin")
        assertThrowsMessage(["state.bin", "announces 1152921504606846976 elements"]) { _ = try r.readArray(UInt64.self) }
        var h = BinaryWriter()
        h.write([UInt64](repeating: 1, count: LogGrid.binCount + 1))
        var hr = try BinaryReader(data: h.data, name: "hist.bin")
        assertThrowsMessage(["hist.bin", "more than the grid"]) { _ = try LogHistogram.read(from: &hr) }
        var u = BinaryWriter()
        u.write(UInt64(1) << 40)  // sample capacity
        var ur = try BinaryReader(data: u.data, name: "sample.bin")
        assertThrowsMessage(["sample.bin", "sample size"]) { _ = try UniformSample.read(from: &ur, capacity: 16, streamLength: 100) }
        // A sample whose generator state is all zeros (xoshiro's forbidden state, which draws 0 for
        // ever): refused before its plan is drawn, which would never end (the fuzzer's timeout).
        var z = BinaryWriter()
        z.write(UInt64(16)); z.write(UInt64(100)); z.write([Float]()); z.write(UInt64(0))
        for _ in 0..<4 { z.write(UInt64(0)) }
        var zr = try BinaryReader(data: z.data, name: "zero.bin")
        assertThrowsMessage(["zero.bin", "all zeros"]) { _ = try UniformSample.read(from: &zr, capacity: 16, streamLength: 100) }
    }

    /// Writes go through `.NAME.tmp-PID`: nothing but the finished file remains; a dead process's
    /// temporary (and Foundation's `.dat.nosync…` of earlier versions) is removed, a live one's kept
    /// (item 19); a folder in the way is named.
    func testTemporariesNeverStay() throws {
        let dir = temporaryDirectory(self)
        try FileOutput.write("x", to: dir + "/a/b.json")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/a"), ["b.json"])
        // a pid that cannot be running (above the kernel's pid_max) and ours
        try FileOutput.write("stale", to: dir + "/a/.c.json.tmp-999999999")
        try FileOutput.write("old", to: dir + "/a/.dat.nosync1a2b.XyZ")
        try FileOutput.write("mine", to: dir + "/a/.d.json.tmp-\(getpid())")
        XCTAssertEqual(FileOutput.removeStaleTemporaries(under: dir), 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/a").sorted(), [".d.json.tmp-\(getpid())", "b.json"])
        assertThrowsMessage(["is a folder"]) { try FileOutput.write("x", to: dir + "/a") }
    }
}
