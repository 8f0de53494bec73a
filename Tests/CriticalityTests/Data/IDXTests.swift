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

/// IDX bytes for `dims` with the given payload (default: the right number of bytes).
func idxBytes(_ dims: [Int], payload: [UInt8]? = nil, magic: [UInt8]? = nil) -> [UInt8] {
    var b = magic ?? [0, 0, 0x08, UInt8(dims.count)]
    for d in dims { b += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
    return b + (payload ?? (0..<dims.reduce(1, *)).map { UInt8($0 % 251) })
}

/// Writes a tiny MNIST-format dataset (n train, m test images of 28×28) into `dir`, gzip-compressed when asked.
func writeTinyMNIST(into dir: String, train n: Int = 20, test m: Int = 10, gzip: Bool = false) throws {
    func write(_ stem: String, _ bytes: [UInt8]) throws {
        if gzip {
            let path = dir + "/" + stem
            try FileOutput.write(Data(bytes), to: path)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-f", path]
            try p.run(); p.waitUntilExit()
        } else {
            try FileOutput.write(Data(bytes), to: dir + "/" + stem)
        }
    }
    try write("train-images-idx3-ubyte", idxBytes([n, 28, 28]))
    try write("train-labels-idx1-ubyte", idxBytes([n], payload: (0..<n).map { UInt8($0 % 10) }))
    try write("t10k-images-idx3-ubyte", idxBytes([m, 28, 28]))
    try write("t10k-labels-idx1-ubyte", idxBytes([m], payload: (0..<m).map { UInt8(($0 * 3) % 10) }))
}

final class IDXTests: XCTestCase {
    func testParsesDimensionsAndData() throws {
        let a = try IDXArray(parsing: idxBytes([3, 2, 2]), name: "x")
        XCTAssertEqual(a.dimensions, [3, 2, 2])
        XCTAssertEqual(a.bytes, (0..<12).map { UInt8($0) })
    }

    func testRejectsBadMagicTruncationAndTrailingBytes() {
        assertThrowsMessage(["f.idx", "magic", "01 02 08 03"]) {
            _ = try IDXArray(parsing: idxBytes([1, 2, 2], magic: [1, 2, 8, 3]), name: "f.idx")
        }
        assertThrowsMessage(["f.idx", "0x0d", "unsigned byte"]) {
            _ = try IDXArray(parsing: idxBytes([2], magic: [0, 0, 0x0d, 1]), name: "f.idx")
        }
        assertThrowsMessage(["f.idx", "truncated", "2×3×3 = 18 bytes", "holds 17"]) {
            _ = try IDXArray(parsing: Array(idxBytes([2, 3, 3]).dropLast()), name: "f.idx")
        }
        assertThrowsMessage(["f.idx", "trailing"]) { _ = try IDXArray(parsing: idxBytes([2]) + [9], name: "f.idx") }
        assertThrowsMessage(["f.idx", "too short"]) { _ = try IDXArray(parsing: [0, 0], name: "f.idx") }
        assertThrowsMessage(["f.idx", "truncated IDX header"]) { _ = try IDXArray(parsing: [0, 0, 8, 3, 0, 0, 0, 1], name: "f.idx") }
    }

    func testLoadsPlainAndGzipFoldersIdentically() throws {
        let plain = temporaryDirectory(self), gz = temporaryDirectory(self)
        try writeTinyMNIST(into: plain)
        try writeTinyMNIST(into: gz, gzip: true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: gz + "/train-images-idx3-ubyte.gz"))
        let a = try MNISTLoader.load(dataset: "mnist", directory: plain)
        let b = try MNISTLoader.load(dataset: "mnist", directory: gz)
        XCTAssertEqual(a.train.inputs, b.train.inputs)
        XCTAssertEqual(a.test.labels, b.test.labels)
        XCTAssertEqual(a.train.count, 20); XCTAssertEqual(a.test.count, 10)
        XCTAssertEqual(a.train.sampleShape, [1, 28, 28])
        // (x/255 − 0.5)/0.5: byte 0 → −1, byte 250 → 0.96078…
        XCTAssertEqual(a.train.inputs[0], -1)
        XCTAssertEqual(a.train.inputs[250], (250 / 255 - 0.5) / 0.5, accuracy: 1e-7)
    }

    func testTruncatedGzipAndMissingFilesNameTheFileAndTheFix() throws {
        let dir = temporaryDirectory(self)
        try writeTinyMNIST(into: dir, gzip: true)
        let path = dir + "/train-images-idx3-ubyte.gz"
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
        try FileOutput.write(data.prefix(data.count / 2), to: path)
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "truncated"]) { _ = try MNISTLoader.load(dataset: "mnist", directory: dir) }
        try FileManager.default.removeItem(atPath: path)
        assertThrowsMessage(["train-images-idx3-ubyte", "missing", dir, "'data-dir'"]) { _ = try MNISTLoader.load(dataset: "mnist", directory: dir) }
        assertThrowsMessage(["/nonexistent/fm", "apt-get install dataset-fashion-mnist"]) {
            _ = try MNISTLoader.load(dataset: "fashion-mnist", directory: "/nonexistent/fm")
        }
    }

    func testRejectsMismatchedCountsAndBadLabels() throws {
        let dir = temporaryDirectory(self)
        try writeTinyMNIST(into: dir)
        try FileOutput.write(Data(idxBytes([19], payload: [UInt8](repeating: 1, count: 19))), to: dir + "/train-labels-idx1-ubyte")
        assertThrowsMessage(["20 images", "19 labels"]) { _ = try MNISTLoader.load(dataset: "mnist", directory: dir) }
        try FileOutput.write(Data(idxBytes([20], payload: [UInt8](repeating: 1, count: 19) + [12])), to: dir + "/train-labels-idx1-ubyte")
        assertThrowsMessage(["label 12", "index 19"]) { _ = try MNISTLoader.load(dataset: "mnist", directory: dir) }
    }
}
