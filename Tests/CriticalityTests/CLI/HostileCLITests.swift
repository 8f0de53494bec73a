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
@testable import CriticalityCLI

/// Issue 12 through the real binary: bad flags, YAML and layouts give exit status 1 and a message that
/// names the input — never a crash (which would end in a signal's status), a hang or silent success.
final class HostileCLITests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory(self) }

    func yaml(_ text: String) throws -> String {
        let p = dir + "/c.yaml"
        try FileOutput.write(text, to: p)
        return p
    }

    func train(_ extra: [String]) -> [String] {
        ["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,8,10", "--steps", "5", "--no-updates", "--out", dir + "/run"] + extra
    }

    /// YAML: a negative seed, a complex key, an alias bomb, tags; YAML 1.1 scalars read as written (item 11, 23).
    func testYAMLIsReadAsData() throws {
        assertCLIError(train(["--config", try yaml("seed: -1\n")]), ["'seed' must be a whole number from 0"])
        assertCLIError(train(["--config", try yaml("? [a, b]\n: 1\n")]), ["complex keys"])
        let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            + (1...9).map { "\(Character(UnicodeScalar(97 + $0)!)): &\(Character(UnicodeScalar(97 + $0)!)) [" + String(repeating: "*\(Character(UnicodeScalar(96 + $0)!)),", count: 8) + "*\(Character(UnicodeScalar(96 + $0)!))]" }.joined(separator: "\n")
        assertCLIError(train(["--config", try yaml(bomb)]), ["anchors (&), aliases (*)"])
        assertCLIError(train(["--config", try yaml("lr: !!float 0.1\n")]), ["tags (!)"])
        assertCLIError(train(["--config", try yaml("lr: 0x10\n")]), ["'lr' must be a decimal number, got '0x10'"])
        assertCLIError(train(["--config", try yaml("updates: \"maybe\"\n")]), ["'updates' must be true or false"])
        assertCLIError(train(["--config", try yaml("steps:\n")]), ["'steps' has no value"])
        // `windows: 1:30` is the window 1:30 (YAML 1.1 would read the sexagesimal 90)
        let r = try runCLI(["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,8,10", "--steps", "40",
                            "--config", try yaml("windows: 1:30\nupdates: \"false\"\n"), "--out", dir + "/w"])
        XCTAssertEqual(r.status, 0, r.err)
        let m = try FileOutput.readJSON(RunManifest.self, from: dir + "/w/manifest.json")
        XCTAssertNil(m.config.updates, "updates: \"false\" turns the statistics off")
        let r2 = try runCLI(["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,8,10", "--steps", "40",
                             "--config", try yaml("windows: 1:30\n"), "--out", dir + "/w2"])
        XCTAssertEqual(r2.status, 0, r2.err)
        XCTAssertEqual(try FileOutput.readJSON(RunManifest.self, from: dir + "/w2/manifest.json").config.updates?.windows.description, "1:30")
    }

    /// Training flags whose values would crash, hang or silently misbehave (items 9, 20, 23).
    func testTrainingFlagsAreValidated() throws {
        assertCLIError(["train", "--dataset", "synthetic", "--epochs", "9223372036854775807", "--no-updates", "--out", dir + "/e"],
                       ["--epochs", "more steps than can be counted"])
        assertCLIError(train(["--optimizer", "adam", "--eps=-1"]), ["--eps must be a positive number"])
        assertCLIError(train(["--optimizer", "adam", "--beta1", "1"]), ["--beta1 must be in [0, 1)"])
        assertCLIError(train(["--threads", "1000"]), ["--threads 1000"])
        assertCLIError(["train", "--dataset", "synthetic", "--widths", "784,2000000,10", "--steps", "1", "--out", dir + "/big"], ["GiB"])
        assertCLIError(["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,8,10", "--steps", "5", "--quantiles", "", "--out", dir + "/q"],
                       ["--quantiles"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/big/manifest.json"), "no half-written run")
    }

    /// `fit` flags (items 5, 15, 23): a bin count of 0, x_min 0/−1/NaN, a negative tail or candidate
    /// count, NaN probabilities.
    func testFitFlagsAreValidated() throws {
        let x = dir + "/x.npy"
        var rng = RNG(seed: 1, stream: .sampling)
        try FileOutput.writeNpy(samplePowerLaw(alpha: 2.5, xmin: 1, count: 500, rng: &rng), to: x)
        assertCLIError(["fit", x, "--least-squares-bins", "0"], ["--least-squares-bins"])
        assertCLIError(["fit", x, "--least-squares-bins=-4"], ["--least-squares-bins"])
        for bad in ["0", "-1", "nan"] { assertCLIError(["fit", x, "--xmin=\(bad)"], ["--xmin must be a positive number"]) }
        assertCLIError(["fit", x, "--min-tail=-5"], ["--min-tail"])
        assertCLIError(["fit", x, "--max-candidates=-3"], ["--max-candidates"])
        try FileOutput.writeNpy([1.0, 2, 3, 4], to: dir + "/xb.npy")
        try FileOutput.writeNpy([0.5, .nan, 0.2, 0.1], to: dir + "/nums.npy")
        assertCLIError(["fit", "--xbins", dir + "/xb.npy", "--nums", dir + "/nums.npy"], ["--nums", "index 1", "not a probability"])
        let folder = dir + "/folder.npy"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        assertCLIError(["fit", folder], ["folder.npy is a folder"])
    }

    /// `analyze-updates --layout` names become file names: paths and the reserved "all" are refused
    /// (items 12, 13); the default layout no longer duplicates the "all" scope.
    func testLayoutNamesAreNotPaths() throws {
        try FileOutput.writeNpy([Float](repeating: 1e-3, count: 20 * 6), shape: [20, 6], to: dir + "/u.npy")
        for name in ["../../../x", "all", "a/b", ".hidden", ""] {
            try FileOutput.write(#"[{"layer": "\#(name)", "kind": "weight", "shape": [6]}]"#, to: dir + "/layout.json")
            assertCLIError(["analyze-updates", "--input", dir + "/u.npy", "--layout", dir + "/layout.json", "--out", dir + "/o", "--force"],
                           ["layout.json", "layer name"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x"))
        let r = try runCLI(["analyze-updates", "--input", dir + "/u.npy", "--out", dir + "/d"])
        XCTAssertEqual(r.status, 0, r.err)
        let summary = try FileOutput.readJSON(UpdateStatisticsSummary.self, from: dir + "/d/observers/updates/summary.json")
        let scopes = summary.windows[0].scopes.map(\.scope)
        XCTAssertEqual(scopes.count, Set(scopes).count, "no duplicated scope: \(scopes)")
    }

    /// `analyze` never aborts the whole run for one fit: a run of 200-step windows (interval x_min at
    /// most 20) is analyzed with the missing fits named; a deleted per-scope file is named; a corrupt
    /// fits.json is reported by `report` (items 10, 23).
    func testAnalysisRecordsProblemsInsteadOfAborting() throws {
        let run = dir + "/short"
        let t = try runCLI(["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,8,10", "--steps", "400",
                            "--windows", "0:200,200:400", "--reservoir-size", "2000", "--out", run])
        XCTAssertEqual(t.status, 0, t.err)
        try FileManager.default.removeItem(atPath: run + "/observers/updates/window_0_200/update_fc1_reservoir.npy")
        let a = try runCLI(["analyze", run])
        XCTAssertEqual(a.status, 0, a.err)
        let fits = try FileOutput.readJSON(RunAnalysis.self, from: run + "/observers/updates/fits.json")
        let fc1 = try XCTUnwrap(fits.windows[0].scopes.first { $0.scope == "fc1" })
        XCTAssertNil(fc1.update)
        XCTAssertTrue(fc1.problems?.contains { $0.contains("update_fc1_reservoir.npy is missing") } ?? false, "\(fc1.problems ?? [])")
        XCTAssertTrue(a.err.contains("not fitted"), a.err)
        XCTAssertNotNil(fits.windows[1].scopes.first { $0.scope == "all" }?.update, "the other fits are made")
        // negative or fractional interval counts are not a histogram
        var counts = try Npy.readDoubles(path: run + "/observers/updates/window_200_400/interval_q0.01_all_counts.npy").values
        counts[1] = -2
        try FileOutput.writeNpy(counts, to: run + "/observers/updates/window_200_400/interval_q0.01_all_counts.npy")
        _ = try runCLI(["analyze", run])
        let fits2 = try FileOutput.readJSON(RunAnalysis.self, from: run + "/observers/updates/fits.json")
        let all = try XCTUnwrap(fits2.windows[1].scopes.first { $0.scope == "all" })
        XCTAssertTrue(all.problems?.contains { $0.contains("not a whole number ≥ 0") } ?? false, "\(all.problems ?? [])")
        // a corrupt fits.json is said, not ignored
        try FileOutput.write("{\"fits_version\": 2, \"run\": 3", to: run + "/observers/updates/fits.json")
        let r = try runCLI(["report", run, "--no-analyze", "--out", dir + "/r.html"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("fits.json could not be read"), r.err)
    }
}

/// Pieces of the command line that need no process.
final class CLIPieceTests: XCTestCase {
    /// Step counts beyond 32 bits print whole (the format once read them through `%d`: "119742/-1").
    func testProgressLinePrintsSixtyFourBitCounts() {
        let d = ProgressDisplay(label: "run")
        let line = d.line(TrainingProgress(step: 119_742, totalSteps: 4_611_686_018_427_387_903, epoch: 3, trainLoss: 0.5,
                                           testAccuracy: nil, stepsPerSecond: 1000))
        XCTAssertTrue(line.hasPrefix("run step 119742/4611686018427387903 (0.0%) | epoch 3"), line)
        XCTAssertTrue(line.hasSuffix("ETA ∞"), line)
    }

    /// A signal handler removes the temporary being written (async-signal-safe, item 19).
    func testPendingTemporaryIsRemovedBySignalHandlers() throws {
        let dir = temporaryDirectory(self)
        let tmp = dir + "/.x.json.tmp-\(getpid())"
        try FileOutput.write("partial", to: tmp)
        tmp.withCString { _ = strcpy(FileOutput.pending, $0) }
        FileOutput.removePendingTemporary()
        FileOutput.pending[0] = 0
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp))
    }

    /// Ctrl-C in a command that is not training exits 130 and leaves no temporary (item 19).
    func testInterruptedAnalysisLeavesNoTemporary() throws {
        let dir = temporaryDirectory(self)
        var rng = RNG(seed: 3, stream: .sampling)
        try FileOutput.writeNpy(samplePowerLaw(alpha: 2.5, xmin: 1, count: 2_000_000, rng: &rng), to: dir + "/x.npy")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: criticalityBinary)
        p.arguments = ["fit", dir + "/x.npy", "--bootstrap", "100000", "--json", dir + "/fit.json"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(1_500_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["x.npy"])
    }
}
