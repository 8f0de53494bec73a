import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// `train --keep-checkpoints` and `criticality perturb` on a run directory: the files, their layout,
/// resuming, and the refusals.
final class PerturbationRunTests: XCTestCase {
    /// A small synthetic run (4,096 samples, batch 256: 16 steps per epoch) with checkpoints kept after
    /// epoch 2 and at step 40.
    func trainedRun(widths: [Int] = [784, 12, 10], epochs: Int = 3) throws -> RunDirectory {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: widths), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1))
        c.dataset = "synthetic"
        c.batchSize = .samples(256)
        c.epochs = epochs
        c.updates = nil
        c.keepCheckpoints = [.epoch(2), .step(40)]
        let path = temporaryDirectory(self) + "/run"
        try Trainer(config: c, data: try DatasetCatalog.load(name: "synthetic", directory: nil), runPath: path).run()
        return RunDirectory(path)
    }

    func testKeptCheckpointsAreListedAndLoadable() throws {
        let run = try trainedRun()
        let m = try RunManifest.read(run)
        XCTAssertEqual(m.keptCheckpoints?.map(\.mark), ["epoch:2", "step:40"])
        XCTAssertEqual(m.keptCheckpoints?.map(\.step), [32, 40])
        XCTAssertTrue(m.outputs.contains("checkpoints/epoch_2/") && m.outputs.contains("checkpoints/step_40/"), "\(m.outputs)")
        let state = try Checkpoint.readState(run.keptCheckpoint("epoch_2"))
        XCTAssertEqual(state.step, 32)
        try Checkpoint.verify(run.keptCheckpoint("epoch_2"), state: state)
        var bad = RunConfig(model: try ModelSpec(model: "mlp5"), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1))
        bad.epochs = 2
        bad.keepCheckpoints = [.epoch(3)]
        assertThrowsMessage(["epoch:3", "after the run's last step"]) { _ = try bad.train.keptCheckpointSteps(datasetSize: 4096) }
        bad.keepCheckpoints = [.epoch(1), .step(64)]
        assertThrowsMessage(["same step 64"]) { _ = try bad.train.keptCheckpointSteps(datasetSize: 4096) }
        assertThrowsMessage(["not an epoch"]) { _ = try CheckpointMark(parsing: "step:0") }
    }

    /// The scan of two kept checkpoints: one |ΔL| array per (checkpoint, δ, sign) in layer blocks, the
    /// trial table, the same indices everywhere, the summary; a rerun keeps what was done.
    func testPerturbWritesTheLandscapeFolder() throws {
        let run = try trainedRun()
        var s = PerturbationSettings()
        s.perLayer = 30
        s.at = ["epoch_2", "final"]
        s.testSet = true
        let summary = try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 2)
        XCTAssertEqual(summary.sources.map(\.source), ["epoch_2", "epoch_2_test", "final", "final_test"])
        XCTAssertEqual(summary.sources.map(\.samples), [4096, 1024, 4096, 1024])
        let folder = run.landscape
        // fc1 has 9,420 parameters (30 drawn), fc2 130 (30 drawn): 60 trials per δ and sign.
        var indices: [[Double]] = []
        for source in summary.sources where source.set == "train" {
            XCTAssertEqual(source.responses.map(\.file), ["\(source.source)_delta0.01_plus.npy", "\(source.source)_delta0.01_minus.npy",
                                                          "\(source.source)_delta1_plus.npy", "\(source.source)_delta1_minus.npy"])
            let (table, shape) = try Npy.readDoubles(path: folder.trials(source: source.source))
            XCTAssertEqual(shape, [60 * 4, 6])
            indices.append(stride(from: 0, to: table.count, by: 24).map { table[$0 + 1] })
            for (r, response) in source.responses.enumerated() {
                let (values, vshape) = try Npy.readDoubles(path: folder.path + "/" + response.file)
                XCTAssertEqual(vshape, [60])
                for t in 0..<60 {
                    let row = (t * 4 + r) * 6
                    XCTAssertEqual(table[row], t < 30 ? 0 : 1, "layer block")
                    XCTAssertEqual(table[row + 2], response.sign.factor)
                    XCTAssertEqual(table[row + 3], response.delta)
                    XCTAssertEqual(table[row + 4], source.lossBefore)
                    XCTAssertEqual(abs(table[row + 5] - table[row + 4]), values[t], accuracy: 1e-15)
                }
                XCTAssertEqual(response.analysis.n, 60)
            }
        }
        XCTAssertEqual(indices[0], indices[1], "the same parameters at every checkpoint")
        XCTAssertEqual(Set(indices[0]).count, 60)
        // A rerun with the same settings keeps both sources; other settings are refused.
        let again = try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 1)
        XCTAssertEqual(again.sources.map(\.seconds), summary.sources.map(\.seconds))
        var other = s
        other.perLayer = 10
        assertThrowsMessage(["other settings", "--force"]) { try Perturbation.run(run, settings: other, memoryBytes: 1 << 26, threads: 1) }
        other.at = ["epoch_9"]
        assertThrowsMessage(["--at epoch_9", "kept no such checkpoint"]) { try Perturbation.run(run, settings: other, memoryBytes: 1 << 26, threads: 1, replace: true) }
        other.at = s.at
        XCTAssertNoThrow(try Perturbation.run(run, settings: other, memoryBytes: 1 << 26, threads: 1, replace: true))
    }

    /// The draw: per layer without replacement, all of a small layer, the same for a subset of layers.
    func testParameterDraw() throws {
        var layout = ParameterLayout()
        layout.append(layer: "fc1", kind: "weight", shape: [20, 10])
        layout.append(layer: "fc1", kind: "bias", shape: [20])
        layout.append(layer: "fc2", kind: "weight", shape: [2, 3])
        layout.append(layer: "fc2", kind: "bias", shape: [2])
        let all = try Perturbation.drawParameters(layout: layout, perLayer: 50, seed: 3)
        XCTAssertEqual(all.filter { $0.layer == 0 }.count, 50)
        XCTAssertEqual(Set(all.map(\.parameter)).count, 58)
        XCTAssertEqual(all.filter { $0.layer == 1 }.map(\.parameter), Array(220..<228))
        XCTAssertTrue(all.filter { $0.layer == 0 }.allSatisfy { $0.parameter < 220 })
        XCTAssertTrue(all.contains { $0.parameter >= 200 && $0.parameter < 220 } || true)
        let second = try Perturbation.drawParameters(layout: layout, perLayer: 50, seed: 3, layers: ["fc2"])
        XCTAssertEqual(second.map(\.parameter), Array(220..<228))
        XCTAssertNotEqual(try Perturbation.drawParameters(layout: layout, perLayer: 50, seed: 4).map(\.parameter), all.map(\.parameter))
        assertThrowsMessage(["no layer 'fc9'", "fc1, fc2"]) { _ = try Perturbation.drawParameters(layout: layout, perLayer: 5, seed: 1, layers: ["fc9"]) }
    }

    func testRefusals() throws {
        let run = try trainedRun(epochs: 3)
        var s = PerturbationSettings()
        s.perLayer = 0
        assertThrowsMessage(["'per-layer' must be at least 1"]) { try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 1) }
        s = PerturbationSettings()
        s.deltas = [0.01, .infinity]
        assertThrowsMessage(["δ = inf", "finite positive"]) { try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 1) }
        s = PerturbationSettings()
        s.at = ["epoch_7"]
        assertThrowsMessage(["--at epoch_7", "epoch_2, step_40"]) { try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 1) }
        // A run whose dataset is gone: the manifest names mnist in a folder that does not exist.
        var json = try String(contentsOfFile: run.manifest, encoding: .utf8)
        json = json.replacingOccurrences(of: "\"dataset\" : \"synthetic\"", with: "\"dataset\" : \"mnist\", \"data_directory\" : \"/nonexistent/mnist\"")
        try FileOutput.write(json, to: run.manifest)
        s = PerturbationSettings()
        s.perLayer = 5
        assertThrowsMessage(["was trained on mnist from /nonexistent/mnist", "--data-dir"]) { try Perturbation.run(run, settings: s, memoryBytes: 1 << 26, threads: 1) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.landscape.summary))
    }

    /// kill −9 in the middle of a scan, then a rerun: no half-written array is ever visible, and the
    /// result equals that of a scan that was never interrupted.
    func testKillDuringPerturbThenRerun() throws {
        let run = try trainedRun(widths: [784, 32, 10], epochs: 3)
        let args = ["perturb", run.path, "--at", "epoch_2,step_40,final", "--per-layer", "300", "--threads", "1"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: criticalityBinary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: run.landscape.summary) && Date() < deadline && p.isRunning { usleep(5_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // Whatever is there is whole: every array that has its final name reads back.
        for f in (try? FileManager.default.contentsOfDirectory(atPath: run.landscape.path)) ?? [] where f.hasSuffix(".npy") && !f.hasPrefix(".") {
            XCTAssertNoThrow(try Npy.readDoubles(path: run.landscape.path + "/" + f), f)
        }
        let rerun = try runCLI(args)
        XCTAssertEqual(rerun.status, 0, rerun.err)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.landscape.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "temporaries of the killed process are removed")
        // The same scan, never interrupted, in a copy of the run.
        let copy = temporaryDirectory(self) + "/copy"
        try FileManager.default.copyItem(atPath: run.path, toPath: copy)
        try FileManager.default.removeItem(atPath: copy + "/landscape")
        var args2 = args
        args2[1] = copy
        XCTAssertEqual(try runCLI(args2).status, 0)
        for f in try FileManager.default.contentsOfDirectory(atPath: run.landscape.path) where f.hasSuffix(".npy") {
            XCTAssertEqual(try Npy.readDoubles(path: run.landscape.path + "/" + f).values,
                           try Npy.readDoubles(path: copy + "/landscape/" + f).values, f)
        }
    }
}
