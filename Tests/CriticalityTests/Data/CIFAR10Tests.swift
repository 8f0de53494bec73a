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

final class CIFAR10Tests: XCTestCase {
    /// Files in the exact binary format: label byte, then 1,024 R, 1,024 G, 1,024 B bytes.
    func writeBatch(_ path: String, records: Int, labelOf: (Int) -> UInt8 = { UInt8($0 % 10) }) throws {
        var b: [UInt8] = []
        for r in 0..<records {
            b.append(labelOf(r))
            for ch in 0..<3 { for i in 0..<1024 { b.append(UInt8((r + ch * 50 + i) % 256)) } }
        }
        try FileOutput.write(Data(b), to: path)
    }

    func testLoadsChannelMajorNormalizedImages() throws {
        let dir = temporaryDirectory(self)
        for f in CIFAR10Loader.trainFiles { try writeBatch(dir + "/" + f, records: 3) }
        try writeBatch(dir + "/test_batch.bin", records: 2)
        let d = try CIFAR10Loader.load(directory: dir)
        XCTAssertEqual(d.train.count, 15); XCTAssertEqual(d.test.count, 2)
        XCTAssertEqual(d.train.sampleShape, [3, 32, 32])
        XCTAssertEqual(d.train.labels[0...3], [0, 1, 2, 0])
        // record 1, green channel (offset 1024), pixel 0: byte (1 + 50 + 0) = 51
        XCTAssertEqual(d.train.inputs[3072 + 1024], (51 / 255 - 0.5) / 0.5, accuracy: 1e-7)
        // the CNN trains on it (shapes line up)
        var c = RunConfig(model: try ModelSpec(model: "cnn"), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.steps = 2; c.batchSize = .samples(4); c.updates = nil
        try Trainer(config: c, data: d, runPath: temporaryDirectory(self)).run()
    }

    func testRejectsWrongSizesBadLabelsAndMissingFolder() throws {
        let dir = temporaryDirectory(self)
        try writeBatch(dir + "/a.bin", records: 2)
        var data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/a.bin"))
        data.removeLast()
        try FileOutput.write(data, to: dir + "/short.bin")
        assertThrowsMessage(["short.bin", "6145 bytes", "3,073-byte records"]) { _ = try CIFAR10Loader.loadFile(dir + "/short.bin", split: "train") }
        try writeBatch(dir + "/bad.bin", records: 3, labelOf: { $0 == 2 ? 10 : 1 })
        assertThrowsMessage(["bad.bin", "label 10", "record 2"]) { _ = try CIFAR10Loader.loadFile(dir + "/bad.bin", split: "train") }
        assertThrowsMessage(["/nonexistent/cifar", "binary version", "'data-dir'"]) { _ = try CIFAR10Loader.load(directory: "/nonexistent/cifar") }
        assertThrowsMessage(["data_batch_1.bin", "missing"]) { _ = try CIFAR10Loader.load(directory: dir) }
    }
}
