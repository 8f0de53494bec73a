import Foundation
import XCTest
@testable import CriticalityCLI
@testable import CriticalityIO
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// The command line through the real binary: every `--help` against its golden text (regenerate with
/// CRITICALITY_UPDATE_GOLDEN=1 after a deliberate change, and review the diff), the exit codes of a
/// bad flag, a bad file and Ctrl-C, and the config file's keys against `train`'s flags.
final class CLITests: XCTestCase {
    static let commands = ["", "train", "resume", "sweep", "sweep start", "sweep run", "sweep status", "analyze-updates", "fit", "analyze", "perturb", "landscape", "stability", "noise", "report", "reproduce", "bench"]
    let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func testEveryHelpMatchesItsGolden() throws {
        let update = ProcessInfo.processInfo.environment["CRITICALITY_UPDATE_GOLDEN"] == "1"
        for c in CLITests.commands {
            let r = try runCLI(c.split(separator: " ").map(String.init) + ["--help"], environment: ["COLUMNS": "100"])
            XCTAssertEqual(r.status, 0, "\(c) --help: \(r.err)")
            let file = golden.appendingPathComponent("help-\(c.isEmpty ? "criticality" : c.replacingOccurrences(of: " ", with: "-")).txt")
            if update { try r.out.write(to: file, atomically: true, encoding: .utf8); continue }
            let expected = try String(contentsOf: file, encoding: .utf8)
            XCTAssertEqual(r.out, expected, "`criticality \(c) --help` changed; if on purpose, regenerate the golden files (CRITICALITY_UPDATE_GOLDEN=1)")
        }
    }

    /// Enum flags list their values in `--help` and are refused, with the list, by the parser.
    func testEnumFlagsListTheirValues() throws {
        let help = try String(contentsOf: golden.appendingPathComponent("help-train.txt"), encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for values in ["relu, sigmoid, linear", "sgd, momentum, nesterov, adam, rmsprop, adagrad", "cross-entropy, mse"] {
            XCTAssertTrue(help.contains(values), "train --help does not list \(values)")
        }
        let r = try runCLI(["train", "--optimizer", "sgdd", "--out", temporaryDirectory(self) + "/x"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("sgdd") && r.err.contains("adam"), r.err)
    }

    func testExitCodes() throws {
        let dir = temporaryDirectory(self)
        // a flag that does not exist, a value out of range: usage errors (64), nothing written
        let bad = try runCLI(["train", "--bogus", "--out", dir + "/a"])
        XCTAssertEqual(bad.status, 64, bad.err)
        let zero = try runCLI(["train", "--steps", "0", "--out", dir + "/b"])
        XCTAssertEqual(zero.status, 64, zero.err)
        XCTAssertTrue(zero.err.contains("--steps must be at least 1"), zero.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a") || FileManager.default.fileExists(atPath: dir + "/b"))
        // a file that is not there or not what it says: 1, with an error line naming it
        let missing = try runCLI(["fit", dir + "/none.npy"])
        XCTAssertEqual(missing.status, 1, missing.err)
        XCTAssertTrue(missing.err.hasPrefix("error: ") && missing.err.contains("none.npy"), missing.err)
        try FileOutput.write("not an array", to: dir + "/bad.npy")
        let garbage = try runCLI(["fit", dir + "/bad.npy"])
        XCTAssertEqual(garbage.status, 1, garbage.err)
    }

    /// The Transformer's flags: misplaced ones and bad texts are refused with what to do, nothing written.
    func testTransformerFlagsAndTextErrors() throws {
        let dir = temporaryDirectory(self)
        let causal = try runCLI(["train", "--model", "mlp5", "--causal", "--out", dir + "/a"])
        XCTAssertEqual(causal.status, 1, causal.err)
        XCTAssertTrue(causal.err.contains("--causal is a setting of the transformer; add --model transformer"), causal.err)
        let images = try runCLI(["train", "--model", "transformer", "--dataset", "fashion-mnist", "--out", dir + "/b"])
        XCTAssertTrue(images.err.contains("the transformer trains on a text"), images.err)
        try FileOutput.write("", to: dir + "/empty.txt")
        let empty = try runCLI(["train", "--model", "transformer", "--dataset", "text", "--text-file", dir + "/empty.txt", "--out", dir + "/c"])
        XCTAssertEqual(empty.status, 1, empty.err)
        XCTAssertTrue(empty.err.contains("empty.txt is empty"), empty.err)
        let heads = try runCLI(["train", "--model", "transformer", "--context", "0", "--out", dir + "/d"])
        XCTAssertNotEqual(heads.status, 0, heads.err)
        for run in ["a", "b", "c", "d"] { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + run), run) }
    }

    /// Ctrl-C during training: exit 130, a checkpoint, and a manifest that says how to continue.
    func testInterruptExitsWith130AndKeepsTheRun() throws {
        let run = temporaryDirectory(self) + "/run"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: criticalityBinary)
        p.arguments = ["train", "--dataset", "synthetic", "--model", "mlp", "--widths", "784,32,10", "--steps", "2000000",
                       "--no-updates", "--out", run]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let manifest = RunDirectory(run).manifest
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: manifest) && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let m = try RunManifest.read(RunDirectory(run))
        XCTAssertEqual(m.status, "incomplete")
        XCTAssertTrue(m.incompleteReason?.contains("criticality resume") ?? false, m.incompleteReason ?? "")
        XCTAssertEqual(try Checkpoint.readState(RunDirectory(run).checkpoint).step, m.stepsCompleted)
    }

    /// Every config key is a `train` flag of the same name and every setting flag a config key
    /// (`updates: false` being the file's `--no-updates`).
    func testEveryConfigKeyIsATrainFlag() throws {
        let help = try runCLI(["train", "--help"], environment: ["COLUMNS": "100"]).out
        // the flags an option line defines: "  --name <value>  help" or "  -h, --help"
        let definition = try NSRegularExpression(pattern: #"^ +(?:-\w, )?--([a-z0-9-]+)"#, options: .anchorsMatchLines)
        let flags = Set(definition.matches(in: help, range: NSRange(help.startIndex..., in: help))
            .map { String(help[Range($0.range(at: 1), in: help)!]) })
        let keys = Set(ConfigKey.allCases.map(\.rawValue))
        let commandOnly: Set<String> = ["config", "force", "no-updates", "no-information", "no-kl", "help", "version"]
        XCTAssertEqual(flags.subtracting(commandOnly), keys.subtracting(["updates", "information", "kl"]))
        XCTAssertTrue(flags.contains("no-updates") && keys.contains("updates"))
    }
}
