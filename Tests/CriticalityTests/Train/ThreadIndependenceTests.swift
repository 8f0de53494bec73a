import CThreads
import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityRun

/// A run's numbers do not depend on its threads: the same run on one thread, on two, and on two with
/// a worker slowed so that it takes part in some jobs of some steps and not in others (it sleeps
/// 150 µs after each item it claims — below the 200 µs that counts as a stall, so the pair never
/// stands aside) writes the same metrics,
/// parameters, buffers and update statistics, bit for bit. Shapes are chosen so that every kind of
/// job is cut: GEMMs into parts (rows, columns and depth), convolutions into sample groups, layer
/// loops into blocks, and the elementwise pass into chunks.
final class ThreadIndependenceTests: XCTestCase {
    /// Every .npy and .csv of a run directory, by relative path.
    func outputs(_ run: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let e = try XCTUnwrap(FileManager.default.enumerator(atPath: run))
        while let f = e.nextObject() as? String {
            if f.hasSuffix(".npy") || f.hasSuffix(".csv") { files[f] = FileManager.default.contents(atPath: run + "/" + f) }
        }
        return files
    }

    func check(_ config: RunConfig, data: DatasetPair) throws {
        var runs: [[String: Data]] = []
        for variant in 0..<3 {
            var c = config
            c.threads = variant == 0 ? 1 : 2
            crit_pair_reset_contention(WorkerPair.shared.pair)
            if variant == 2 { crit_pair_set_worker_delay(WorkerPair.shared.pair, 150) }
            defer {
                crit_pair_set_worker_delay(WorkerPair.shared.pair, 0)
                crit_pair_reset_contention(WorkerPair.shared.pair)
            }
            let before = WorkerPair.shared.workerItems
            let path = temporaryDirectory(self) + "/run\(variant)"
            try Trainer(config: c, data: data, runPath: path, makeObservers: StandardObservers.make(for: c)).run()
            if variant > 0 { XCTAssertGreaterThan(WorkerPair.shared.workerItems, before, "the worker never took part") }
            runs.append(try outputs(path))
        }
        XCTAssertGreaterThan(runs[0].keys.filter { $0.hasPrefix("observers/updates/") }.count, 10, "no update statistics to compare")
        for (name, bytes) in runs[0] {
            XCTAssertEqual(runs[1][name], bytes, "\(name): two threads differ from one")
            XCTAssertEqual(runs[2][name], bytes, "\(name): a worker that took part in only some jobs changed it")
        }
    }

    func testCNNIsTheSameOnAnyThreads() throws {
        var c = RunConfig(model: try ModelSpec(model: "cnn"), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.dataset = "synthetic"; c.batchSize = .samples(32); c.steps = 6; c.evalEvery = 3; c.checkpointEvery = 100
        let data = DatasetPair(train: .synthetic(count: 96, sampleShape: [1, 16, 16], classCount: 10, seed: 1),
                               test: .synthetic(count: 40, sampleShape: [1, 16, 16], classCount: 10, seed: 2))
        try check(c, data: data)
    }

    func testMLPIsTheSameOnAnyThreads() throws {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 300, 300, 10]),
                          optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.dataset = "synthetic"; c.batchSize = .samples(64); c.steps = 8; c.evalEvery = 4; c.checkpointEvery = 100
        let data = DatasetPair(train: .synthetic(count: 256, sampleShape: [1, 28, 28], classCount: 10, seed: 3),
                               test: .synthetic(count: 64, sampleShape: [1, 28, 28], classCount: 10, seed: 4))
        try check(c, data: data)
    }
}
