import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// A plain observer that checks what it is shown: θ_t before the update (θ_{t+1} − Δθ_t = θ_t), kept
/// as Σθ over the step's parameters for comparison.
final class ParameterCheckObserver: TrainingObserver {
    let name = "theta-check"
    var parameterSums: [Double] = []
    var memoryBytes: Int { 0 }
    func observe(_ c: StepContext) {
        guard let theta = c.parameters else { parameterSums.append(.nan); return }
        var s = 0.0
        for k in 0..<c.layout.parameterCount { s += Double(theta[k]) }
        parameterSums.append(s)
    }
    func saveState(to directory: String) throws {}
    func restoreState(from directory: String) throws {}
    func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] { [] }
}

/// The fused elementwise pass works per observer (issue 13): a plain observer beside the chunked update
/// statistics changes none of their outputs nor the run's numbers, and is shown θ_t, not θ_{t+1}.
final class ObserverPassTests: XCTestCase {
    func config() throws -> RunConfig {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 16, 10]),
                          optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"; c.steps = 60; c.evalEvery = 30; c.checkpointEvery = 1000; c.seed = 4
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [0..<30, 30..<60])
        u.reservoirSize = 300
        c.updates = u
        return c
    }

    func files(_ run: String) throws -> [String: Data] {
        let dir = RunDirectory(run).updateStatistics.path
        var out: [String: Data] = [:]
        for f in (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []) where f.hasSuffix(".npy") {
            out[f] = FileManager.default.contents(atPath: dir + "/" + f)
        }
        return out
    }

    func testAPlainObserverBesideChunkedOnesChangesNothingOfTheirs() throws {
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        let c = try config()
        let alone = temporaryDirectory(self), beside = temporaryDirectory(self)
        try Trainer(config: c, data: data, runPath: alone, makeObservers: StandardObservers.make(for: c)).run()
        let check = ParameterCheckObserver()
        let make = StandardObservers.make(for: c)
        let t = try Trainer(config: c, data: data, runPath: beside, makeObservers: { try [check] + make($0, $1) })
        try t.run()
        let a = try files(alone), b = try files(beside)
        XCTAssertGreaterThan(a.count, 20)
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (name, bytes) in a { XCTAssertEqual(bytes, b[name], "\(name) differs with a plain observer beside") }
        let run = RunDirectory(alone), other = RunDirectory(beside)
        XCTAssertEqual(FileManager.default.contents(atPath: run.parameters), FileManager.default.contents(atPath: other.parameters))
        XCTAssertEqual(FileManager.default.contents(atPath: run.metrics), FileManager.default.contents(atPath: other.metrics))
        // The plain observer saw θ_t at every step of the first pass: step 0's is the initial θ.
        XCTAssertEqual(check.parameterSums.count, 60)
        XCTAssertFalse(check.parameterSums.contains { $0.isNaN })
        let initial = try Trainer(config: c, data: data, runPath: temporaryDirectory(self))
        let theta0 = (0..<initial.network.layout.parameterCount).reduce(0.0) { $0 + Double(initial.network.parameters[$1]) }
        XCTAssertEqual(check.parameterSums[0], theta0, accuracy: 1e-9 * max(1, abs(theta0)))
        XCTAssertNotEqual(check.parameterSums[1], check.parameterSums[0])
    }
}
