import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityIO
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// The landscape claims follow their stated rules, and the figures draw what the folder holds.
final class LandscapeReportTests: XCTestCase {
    func testClaimsAndFiguresFromSyntheticLandscapes() throws {
        let dir = temporaryDirectory(self)
        var s = SyntheticLandscapeSettings()
        s.dimensions = 20_000
        s.deltas = [0.01, 100]
        s.curvatures = [.gaussian, .powerLaw, .exponential]
        try SyntheticLandscapes.run(s, into: LandscapeFolder(dir + "/synthetic"))
        let synthetic = try XCTUnwrap(try LandscapeData(name: "synthetic", folder: LandscapeFolder(dir + "/synthetic")))
        let probe = Claims.landscape([], synthetic: [synthetic])
        XCTAssertEqual(probe.count, 1)
        XCTAssertEqual(probe[0].verdict, "supported", probe[0].measured)
        XCTAssertTrue(probe[0].measured.contains("power-law c (α = 2.50) at δ = 100: power-law-like"), probe[0].measured)

        // A run's scan whose responses are exponential samples: small δ exponential-like (supported),
        // large δ not heavy-tailed (not supported).
        let folder = LandscapeFolder(dir + "/run")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        var rng = RNG(seed: 4, stream: .probe)
        var summary = LandscapeSummary(kind: "perturbation", settings: PerturbationSettings())
        var responses: [LandscapeSummary.ResponseSet] = []
        for delta in [0.01, 1.0] {
            let values = (0..<5000).map { _ in -log(1 - rng.uniformDouble()) * delta }
            let file = LandscapeFolder.responsesName(source: "final", delta: delta, sign: "plus")
            try FileOutput.writeNpy(values, to: folder.path + "/" + file)
            responses.append(.init(delta: delta, sign: .plus, file: file, analysis: try ResponseAnalysis.analyze(values, delta: delta)))
        }
        summary.sources = [.init(source: "final", set: "train", step: 10, samples: 100, lossBefore: 0.5, trials: 10_000, seconds: 1,
                                 trialsFile: "final_trials.npy", responses: responses)]
        try FileOutput.writeJSON(summary, to: folder.summary)
        var run = RunData(name: "run")
        run.landscape = try LandscapeData(name: "run", folder: folder)
        let claims = Claims.landscape([run], synthetic: [])
        XCTAssertEqual(claims.map(\.figure), ["Fig. 4B–C", "Fig. 4D–E"])
        XCTAssertEqual(claims[0].verdict, "supported", claims[0].measured)
        XCTAssertTrue(claims[1].verdict.hasPrefix("not supported"), claims[1].verdict)

        let html = HTMLReport.render([run], synthetic: [synthetic])
        for id in ["fig4bc", "fig4de", "figS14", "figS16-S18"] { XCTAssertTrue(html.contains("<figure id=\"\(id)\">"), id) }
        XCTAssertTrue(html.contains("loss landscape"), "the landscape tables")
        XCTAssertEqual(Figures.syntheticLandscapes([synthetic]).panels.count, 3)
    }
}
