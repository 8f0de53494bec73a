import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// The run directory's documents: schema versions checked (a newer one refused as newer, a document
/// written before versions existed read as version 1), and metrics.csv read by column name.
final class RunDirectoryTests: XCTestCase {
    func testManifestSummaryAndCheckpointSchemaVersions() throws {
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 8, 10]), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"; c.steps = 20; c.evalEvery = 10
        var u = UpdateStatisticsSettings(); u.windows = StepWindows(ranges: [0..<20]); u.reservoirSize = 50
        c.updates = u
        let path = temporaryDirectory(self)
        try Trainer(config: c, data: data, runPath: path, makeObservers: StandardObservers.make(for: c)).run()
        let run = RunDirectory(path)
        for (file, read) in [(run.manifest, { _ = try RunManifest.read(run) }),
                             (run.updateStatistics.summary, { _ = try UpdateStatisticsSummary.read(run.updateStatistics.summary) }),
                             (run.checkpoint.state, { _ = try Checkpoint.readState(run.checkpoint) })] as [(String, () throws -> Void)] {
            let original = try XCTUnwrap(FileManager.default.contents(atPath: file))
            var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            XCTAssertEqual(json["schema_version"] as? Int, SchemaVersion.current, file)
            try read()
            // written before versions existed: read as version 1
            json["schema_version"] = nil
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
            try read()
            // a newer layout (with a field renamed): refused as newer, not as broken JSON
            json["schema_version"] = SchemaVersion.current + 1
            json["renamed_field"] = json.removeValue(forKey: json.keys.sorted().first { $0 != "schema_version" }!)
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
            assertThrowsMessage([file, "schema version \(SchemaVersion.current + 1)", "newer than this Criticality's"]) { try read() }
            try original.write(to: URL(fileURLWithPath: file))
        }
    }

    func testMetricsAreReadByColumnName() throws {
        let dir = temporaryDirectory(self)
        let path = dir + "/metrics.csv"
        // reordered columns and an extra one read the same as MetricsLog's order
        try FileOutput.write("test_accuracy,extra,train_loss,step,test_loss\n,7,2.5,0,\n0.25,7,2.25,1,1.5\n", to: path)
        let m = try MetricsTable(path: path)
        XCTAssertEqual(m.steps, [0, 1]); XCTAssertEqual(m.trainLoss, [2.5, 2.25])
        XCTAssertEqual(m.evaluationSteps, [2]); XCTAssertEqual(m.testAccuracy, [0.25]); XCTAssertEqual(m.testLoss, [1.5])
        // a missing column is named with the ones there are
        try FileOutput.write("step,epoch,loss\n0,0,2.3\n", to: path)
        assertThrowsMessage(["metrics.csv", "no column 'train_loss'", "step, epoch, loss"]) { _ = try MetricsTable(path: path) }
        XCTAssertEqual(MetricsLog.header, MetricsTable.columns.joined(separator: ",") + "\n")
    }

    /// Every name the run directory gives is the documented one (docs/run-directory.md).
    func testNamesMatchTheDocumentedLayout() {
        let run = RunDirectory("/r")
        XCTAssertEqual(run.manifest, "/r/manifest.json")
        XCTAssertEqual(run.metrics, "/r/metrics.csv")
        XCTAssertEqual(run.checkpoint.state, "/r/checkpoint/state.json")
        XCTAssertEqual(run.checkpoint.optimizerState(1), "/r/checkpoint/optimizer_state_1.npy")
        XCTAssertEqual(run.replayCheckpoint(10..<20).path, "/r/replay/window_10_20")
        XCTAssertEqual(run.updateStatistics.fits, "/r/observers/updates/fits.json")
        let w = run.updateStatistics.window(0..<5)
        XCTAssertEqual(w.path(.density(.update, scope: "fc1")), "/r/observers/updates/window_0_5/update_fc1_density.npy")
        XCTAssertEqual(w.path(.sample(.parameter, scope: "all")), "/r/observers/updates/window_0_5/param_all_reservoir.npy")
        XCTAssertEqual(w.path(.intervalCounts(quantile: 0.01, scope: "all")), "/r/observers/updates/window_0_5/interval_q0.01_all_counts.npy")
        XCTAssertEqual(w.path(.linearCenters(.update, scope: "all")), "/r/observers/updates/window_0_5/update_all_xbins.npy")
    }
}
