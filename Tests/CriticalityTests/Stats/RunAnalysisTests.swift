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

/// `analyze` on a short real run: every comparison it writes obeys the invariants of the procedure,
/// and a fits.json from an earlier fitting procedure is recognized as such (so `report` and
/// `reproduce` re-fit it).
final class RunAnalysisTests: XCTestCase {
    func testAnalyzedRunHoldsTheInvariantsAndIsVersioned() throws {
        let run = temporaryDirectory(self)
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 16, 10]),
                            optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"
        c.batchSize = .samples(64)
        c.steps = 300
        c.evalEvery = 100
        c.checkpointEvery = 1000
        c.seed = 3
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [0..<150, 150..<300])
        u.reservoirSize = 5000
        c.updates = u
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        try Trainer(config: c, data: data, runPath: run, makeObservers: StandardObservers.make(for: c)).run()
        XCTAssertFalse(RunAnalysis.isCurrent(run: run), "no fits.json yet")
        let analysis = try RunAnalysis.analyze(run: run, options: TailFitOptions())
        XCTAssertTrue(RunAnalysis.isCurrent(run: run))
        var checked = 0
        for w in analysis.windows {
            for s in w.scopes {
                let reports = [s.update, s.parameter].compactMap { $0 } + s.intervals.map(\.fit)
                for r in reports {
                    for cmp in r.comparisons {
                        checked += 1
                        let at = "\(w.folder) \(s.scope) \(cmp.alternative)"
                        XCTAssertTrue(cmp.logLikelihoodRatio.isFinite && cmp.R.isFinite && (0...1).contains(cmp.p), at)
                        if cmp.alternative.nestsPowerLaw {
                            XCTAssertLessThanOrEqual(cmp.logLikelihoodRatio, 1e-9 * abs(r.logLikelihood) + 1e-12, "\(at): below the power law")
                            XCTAssertNotEqual(cmp.verdict, "power law favoured", at)
                        }
                        if cmp.atLimit { XCTAssertEqual(cmp.verdict, "inconclusive", at); XCTAssertEqual(cmp.logLikelihoodRatio, 0, at) }
                        if cmp.verdict != "inconclusive" {
                            XCTAssertLessThan(cmp.p, cmp.significance, at)
                            XCTAssertGreaterThan(cmp.parameters["beta"] ?? 1, 1e-6, at)
                            XCTAssertLessThan(abs(cmp.parameters["mu"] ?? 0), 1e3, at)
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 50)
        // a fits.json written before issue 11 has no fits_version: not current
        let path = run + "/observers/updates/fits.json"
        var json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        json.removeValue(forKey: "fits_version")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        XCTAssertFalse(RunAnalysis.isCurrent(run: run))
        XCTAssertTrue(try RunData(path: run).windows.allSatisfy { $0.fits == nil }, "an outdated fits.json is not shown as current fits")
    }
}
