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

/// Issue 12 at the level of a run: configuration checks shared by `train`, YAML and `resume`; data
/// checks; the run directory's lock, checksums and metrics file; the manifest after a failure.
final class RunIntegrityTests: XCTestCase {
    let data = try! DatasetCatalog.load(name: "synthetic", directory: nil)

    func config(steps: Int? = 40) throws -> RunConfig {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 8, 10]),
                            optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"
        c.steps = steps
        c.evalEvery = 20
        c.checkpointEvery = 10
        c.updates = nil
        return c
    }

    /// An empty training or test set, and test images of another shape, are refused by name before any
    /// step (items 3, 4, 16): no SIGFPE, no read past a buffer, no "nan%".
    func testDataIsCheckedBeforeTraining() throws {
        let run = temporaryDirectory(self)
        var empty = data
        empty.train = Dataset(name: "empty-train", sampleShape: [1, 28, 28], classCount: 10, inputs: [], labels: [])
        assertThrowsMessage(["empty-train", "no samples"]) { _ = try Trainer(config: try config(steps: nil), data: empty, runPath: run) }
        var noTest = data
        noTest.test = Dataset(name: "empty-test", sampleShape: [1, 28, 28], classCount: 10, inputs: [], labels: [])
        assertThrowsMessage(["empty-test", "no samples"]) { _ = try Trainer(config: try config(), data: noTest, runPath: run) }
        var shapes = data
        shapes.test = Dataset.synthetic(count: 5, sampleShape: [1, 28, 27], classCount: 10, seed: 1)
        assertThrowsMessage(["[1, 28, 27]", "[1, 28, 28]"]) { _ = try Trainer(config: try config(), data: shapes, runPath: run) }
        // and through the loader: a valid IDX header with 0 images
        let dir = temporaryDirectory(self)
        try writeTinyMNIST(into: dir, train: 0, test: 3)
        assertThrowsMessage(["mnist-train", "no samples"]) { _ = try DatasetCatalog.load(name: "mnist", directory: dir) }
    }

    /// One validation for flags, YAML and an edited manifest (items 6, 9, 20).
    func testConfigurationValidation() throws {
        var c = try config(steps: nil)
        c.epochs = Int.max
        assertThrowsMessage(["'epochs'", "more steps than can be counted"]) { _ = try c.totalSteps(datasetSize: 60_000) }
        var o = try config()
        o.optimizer = OptimizerSettings(kind: .adam, learningRate: 0.01)
        o.optimizer.epsilon = -1
        assertThrowsMessage(["--eps", "positive"]) { try o.validate() }
        o.optimizer.epsilon = nil; o.optimizer.beta1 = 1
        assertThrowsMessage(["--beta1", "[0, 1)"]) { try o.validate() }
        o.optimizer.beta1 = .nan
        assertThrowsMessage(["--beta1"]) { try o.validate() }
        var t = try config()
        t.threads = 1000
        assertThrowsMessage(["'threads' 1000"]) { try t.validate() }
        t.threads = ProcessInfo.processInfo.activeProcessorCount + 1
        assertThrowsMessage(["cores"]) { try t.validate() }
        XCTAssertNoThrow(try t.validate(allowMoreThreadsThanCores: true))
        var u = try config()
        for edit in [{ (s: inout UpdateStatisticsSettings) in s.reservoirSize = -1 }, { $0.reservoirSize = 0 },
                     { $0.linearBins = -3 }, { $0.linearBins = 100_000_000 }, { $0.quantiles = [] },
                     { $0.quantiles = [0] }, { $0.quantiles = [1] }, { $0.quantiles = [.nan] }] {
            var s = UpdateStatisticsSettings()
            edit(&s)
            u.updates = s
            XCTAssertThrowsError(try u.validate(), "\(s)")
        }
        // a model far beyond this machine's memory is refused with the size, before allocation
        var wide = try config()
        wide.model = try ModelSpec(model: "mlp", widths: [784, 2_000_000_000, 10])
        assertThrowsMessage(["GiB", "smaller layer widths"]) { _ = try Trainer(config: wide, data: data, runPath: temporaryDirectory(self)) }
    }

    /// `resume` refuses a manifest whose configuration is not the checkpoint's (`updates: null`,
    /// another reservoir size, …) instead of finishing an inconsistent run (item 6).
    func testResumeRefusesAnEditedManifest() throws {
        let run = temporaryDirectory(self)
        var c = try config(steps: 40)
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [0..<20])
        u.reservoirSize = 500
        c.updates = u
        do {
            let t = try Trainer(config: c, data: data, runPath: run, makeObservers: StandardObservers.make(for: c))
            t.shouldStop = { [unowned t] in t.step == 25 }
            XCTAssertEqual(try t.run(), .interrupted(step: 25))
        }
        let manifest = try FileOutput.readJSON(RunManifest.self, from: run + "/manifest.json")
        var edited = manifest.config
        edited.updates = nil
        assertThrowsMessage(["manifest.json", "not the one the checkpoint was written with"]) {
            _ = try Trainer(config: edited, data: data, runPath: run, makeObservers: StandardObservers.make(for: edited), resume: true)
        }
        edited.updates = manifest.config.updates
        edited.updates?.reservoirSize = 501
        assertThrowsMessage(["not the one the checkpoint was written with"]) {
            _ = try Trainer(config: edited, data: data, runPath: run, makeObservers: StandardObservers.make(for: edited), resume: true)
        }
        // the manifest's own configuration resumes, with the thread count it recorded
        XCTAssertNotNil(manifest.config.threads)
        XCTAssertEqual(try Trainer(config: manifest.config, data: data, runPath: run,
                                   makeObservers: StandardObservers.make(for: manifest.config), resume: true).run(), .completed)
    }

    /// Every checkpoint file carries its size and CRC-32: a flipped bit is named before anything is
    /// restored (item 17); a metrics file cut short is refused, not padded with NUL bytes (item 2).
    func testCheckpointChecksumsAndShortMetrics() throws {
        let run = temporaryDirectory(self)
        let c = try config(steps: 40)
        do {
            let t = try Trainer(config: c, data: data, runPath: run, observers: [SumObserver()])
            t.shouldStop = { [unowned t] in t.step == 25 }
            _ = try t.run()
        }
        let state = try Checkpoint.readState(RunDirectory(run).checkpoint)
        XCTAssertEqual(Set(state.files?.keys.map { $0 } ?? []), ["parameters.npy", "observers/sum/state.npy"])
        // flip one bit of θ
        let p = run + "/checkpoint/parameters.npy"
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: p)))
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        assertThrowsMessage(["parameters.npy is damaged", "CRC-32"]) {
            _ = try Trainer(config: c, data: data, runPath: run, observers: [SumObserver()], resume: true)
        }
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        // cut metrics.csv below the checkpoint's length
        let m = run + "/metrics.csv"
        let text = try XCTUnwrap(FileManager.default.contents(atPath: m))
        try text.prefix(Int(state.metricsBytes) - 10).write(to: URL(fileURLWithPath: m))
        assertThrowsMessage(["metrics.csv", "rows written before the checkpoint are missing"]) {
            _ = try Trainer(config: c, data: data, runPath: run, observers: [SumObserver()], resume: true)
        }
        try text.write(to: URL(fileURLWithPath: m))
        XCTAssertEqual(try Trainer(config: c, data: data, runPath: run, observers: [SumObserver()], resume: true).run(), .completed)
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: m)), as: UTF8.self)
        XCTAssertFalse(csv.contains("\0"))
        XCTAssertEqual(csv.split(separator: "\n").count, 41)
    }

    /// A failed write (here: an observer's outputs) marks the manifest incomplete with the reason
    /// instead of leaving it "running" (item 18).
    func testManifestSaysWhyARunStopped() throws {
        final class FailingObserver: TrainingObserver {
            let name = "failing"
            var memoryBytes: Int { 0 }
            func observe(_ context: StepContext) {}
            func saveState(to directory: String) throws {}
            func restoreState(from directory: String) throws {}
            func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] {
                throw CriticalityError(.io, "\(directory)/x.npy: could not write (No space left on device)")
            }
        }
        let run = temporaryDirectory(self)
        let t = try Trainer(config: try config(steps: 20), data: data, runPath: run, observers: [FailingObserver()])
        assertThrowsMessage(["No space left"]) { try t.run() }
        let m = try FileOutput.readJSON(RunManifest.self, from: run + "/manifest.json")
        XCTAssertEqual(m.status, "incomplete")
        XCTAssertTrue(m.incompleteReason?.contains("No space left") ?? false, m.incompleteReason ?? "")
        XCTAssertTrue(m.incompleteReason?.contains("criticality resume") ?? false)
    }

    /// `--force` never deletes a run another process is writing (item 8).
    func testForceRefusesARunInUse() throws {
        let run = temporaryDirectory(self)
        let holder = try RunDirectory(run).prepare(replace: false)
        try FileOutput.write("x", to: run + "/metrics.csv")
        assertThrowsMessage(["in use by another criticality process", "pid \(getpid())"]) { _ = try RunDirectory(run).prepare(replace: true) }
        XCTAssertTrue(RunLock.isHeld(run: run))
        withExtendedLifetime(holder) {}
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/metrics.csv"))
    }

    /// Finite updates far beyond Float32's squared range (|Δθ| = 10²⁰) are statistics, not "NaN or Inf"
    /// (item 22): Σ Δθ² falls back to Double.
    func testHugeFiniteUpdatesAreNotCalledNonFinite() throws {
        let dir = temporaryDirectory(self)
        var rows = [Float](repeating: 1e-3, count: 8 * 40)
        rows[5] = 1e20; rows[17] = -3e20
        try FileOutput.writeNpy(rows, shape: [8, 40], to: dir + "/u.npy")
        var s = UpdateStatisticsSettings()
        s.windows = StepWindows(ranges: [0..<8])
        s.reservoirSize = 50
        var layout = ParameterLayout()
        layout.append(layer: "dump", kind: "updates", shape: [40])
        try ExternalUpdates.analyze(reader: try NpyRowReader(input: dir + "/u.npy"), layout: layout, settings: s, out: dir + "/out")
        let summary = try FileOutput.readJSON(UpdateStatisticsSummary.self, from: dir + "/out/observers/updates/summary.json")
        let all = try XCTUnwrap(summary.windows[0].scopes.first { $0.scope == "all" })
        let big1 = Double(Float(1e20)), big2 = Double(Float(-3e20)), small = Double(Float(1e-3))
        let expected: Double = big1 * big1 + big2 * big2 + 318 * small * small
        XCTAssertEqual(all.update.sumOfSquares, expected, accuracy: 1e-9 * expected)
        XCTAssertTrue(all.update.rms.isFinite)
    }
}
