import Foundation
import XCTest
@testable import CriticalityIO
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// `criticality sweep` through the real binary: the local pool trains every point, retries a failing
/// one once and reports it, writes one report; a rerun skips what is done; Ctrl-C keeps every finished
/// run and a rerun resumes the stopped one from its checkpoint.
final class SweepEndToEndTests: XCTestCase {
    static let base = "base: {model: mlp, widths: [784, 16, 10], dataset: synthetic, steps: 200, windows: \"0:100,100:200\", information: false, kl: false, eval-every: 100, checkpoint-every: 100}\n"

    func testLocalSweepRetriesAFailureOnceAndReportsTheRest() throws {
        let dir = temporaryDirectory(self)
        let spec = dir + "/s.yaml"
        try (SweepEndToEndTests.base + """
        variants:
          - {name: sgd}
          - {name: adam, optimizer: adam, lr: 0.001}
          - {name: broken, dataset: mnist, data-dir: \(dir)/no-such-folder}
        seeds: [1]
        panels:
          - {id: A, title: "SGD and Adam", claim: heavy-tailed, conditions: [sgd, adam]}
          - {id: B, title: "Adam's cutoff", claim: cutoff, reference: sgd, conditions: [sgd, adam]}
        """).write(toFile: spec, atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let r = try runCLI(["sweep", spec, "--out", out, "--jobs", "2"], timeout: 600)
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("broken_seed-1 failed (exit 1") && r.err.contains("retrying once"), r.err)
        XCTAssertTrue(r.err.contains("1 of 3 runs failed twice") && r.err.contains("no-such-folder"), r.err)
        let failure = try FileOutput.readJSON(SweepFailure.self, from: SweepFolder(out).failure("broken_seed-1"))
        XCTAssertEqual(failure.attempts, 2)
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for name in ["sgd_seed-1", "adam_seed-1", "Updates are heavy-tailed in every condition", "Adam-type optimisers cut off large updates",
                     "broken_seed-1: failed"] {
            XCTAssertTrue(report.contains(name), "the report lacks \(name)")
        }
        let status = try runCLI(["sweep", "status", out])
        XCTAssertEqual(status.status, 0, status.err)
        XCTAssertTrue(status.out.contains("2 done, 0 running, 1 failed, 0 to do"), status.out)

        // The report's numbers: the histogram's quantiles invert its CDF, and the reference's own share
        // below its median is one half.
        let sweep = try SweepData(folder: SweepFolder(out))
        let w = try XCTUnwrap(sweep.runs["sgd_seed-1"]?.windows.last)
        for q in [0.1, 0.5, 0.9, 0.999] {
            let x = try XCTUnwrap(UpdateQuantiles.quantile(w, q))
            XCTAssertEqual(try XCTUnwrap(UpdateQuantiles.fractionBelow(w, x)), q, accuracy: 1e-9)
        }
        let panel = try XCTUnwrap(sweep.manifest.panels.last)
        let stages = Claims.stages(sweep, panel: panel)
        XCTAssertEqual(stages.map { $0.first?.condition }, ["sgd", "adam"])
        XCTAssertEqual(try XCTUnwrap(stages[0][1].belowReferenceMedian[0]), 0.5, accuracy: 1e-9)

        // A rerun trains nothing that is done and tries the failed point again.
        let again = try runCLI(["sweep", spec, "--out", out], timeout: 600)
        XCTAssertEqual(again.status, 1, again.err)
        XCTAssertTrue(again.err.contains("3 runs, 2 already done, 1 to run"), again.err)
        // The same folder with another sweep is refused, and nothing in it changes.
        try SweepEndToEndTests.base.replacingOccurrences(of: "steps: 200", with: "steps: 300").write(toFile: spec, atomically: true, encoding: .utf8)
        let other = try runCLI(["sweep", spec, "--out", out])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.err.contains("holds a different sweep"), other.err)
        // --slurm without sbatch: a clear error before anything is written.
        let slurm = try runCLI(["sweep", spec, "--out", dir + "/slurm", "--slurm"], environment: ["PATH": "/nonexistent"])
        XCTAssertEqual(slurm.status, 1)
        XCTAssertTrue(slurm.err.contains("sbatch, which is not on PATH"), slurm.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/slurm"))
    }

    func testCtrlCKeepsFinishedRunsAndARerunResumesTheOthers() throws {
        let dir = temporaryDirectory(self)
        let spec = dir + "/s.yaml"
        try (SweepEndToEndTests.base + """
        variants:
          - {name: short}
          - {name: long, widths: [784, 256, 256, 10], steps: 400000, updates: false, checkpoint-every: 500, eval-every: 100000}
        """).write(toFile: spec, atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: criticalityBinary)
        p.arguments = ["sweep", spec, "--out", out, "--jobs", "1"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        let long = RunDirectory(out + "/runs/long")
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && ((try? RunManifest.read(long))?.stepsCompleted ?? 0) < 500 { usleep(100_000) }
        let short = try RunManifest.read(RunDirectory(out + "/runs/short"))
        XCTAssertEqual(short.status, "complete")
        let shortFits = try Data(contentsOf: URL(fileURLWithPath: RunDirectory(out + "/runs/short").updateStatistics.fits))
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let stopped = try RunManifest.read(long)
        XCTAssertNotEqual(stopped.status, "complete")
        XCTAssertGreaterThanOrEqual(stopped.stepsCompleted, 500)
        let status = try runCLI(["sweep", "status", out])
        XCTAssertTrue(status.out.split(separator: "\n").contains { $0.contains(" long ") && $0.contains("stopped at step") }, status.out)

        // The rerun resumes the stopped run from its checkpoint (its log says from which step); stopped
        // again once it has, so that the test need not train all 400,000 steps.
        let again = Process()
        again.executableURL = URL(fileURLWithPath: criticalityBinary)
        again.arguments = ["sweep", spec, "--out", out]
        again.standardError = FileHandle.nullDevice
        try again.run()
        let log = SweepFolder(out).log("long")
        let resumeDeadline = Date().addingTimeInterval(120)
        while Date() < resumeDeadline && !((try? String(contentsOfFile: log, encoding: .utf8))?.contains("long: resuming at step") ?? false) { usleep(100_000) }
        kill(again.processIdentifier, SIGINT)
        again.waitUntilExit()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.contains("long: resuming at step \(stopped.stepsCompleted)/400000"), text)
        XCTAssertEqual(try RunManifest.read(RunDirectory(out + "/runs/short")).created, short.created, "a finished run was touched")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: RunDirectory(out + "/runs/short").updateStatistics.fits)), shortFits)
    }
}
