import Foundation
import XCTest
@testable import CriticalityCLI
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// The sweep file: expansion, names, the reduced version, resolution as `train` resolves a config, and
/// every bad input refused with its file and line.
final class SweepFileTests: XCTestCase {
    static let spec = """
    name: demo
    base:
      model: mlp5
      dataset: synthetic
      steps: 3000
      windows: 0:1000,2000:3000
      information: false
    axes:
      lr: [0.01, 0.1]
    variants:
      - {name: sgd}
      - {name: adam, optimizer: adam}
    seeds: [1, 2]
    reduced: {seeds: [7], steps: 0.1}
    panels:
      - {id: P, title: "Adam", reference: sgd_lr-0.01, claim: cutoff, conditions: [sgd_lr-0.01, adam_lr-0.01]}
    """

    func testExpansionOrderNamesAndPanels() throws {
        let m = try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: false)
        XCTAssertEqual(m.points.map(\.name), ["sgd_lr-0.01_seed-1", "sgd_lr-0.01_seed-2", "sgd_lr-0.1_seed-1", "sgd_lr-0.1_seed-2",
                                              "adam_lr-0.01_seed-1", "adam_lr-0.01_seed-2", "adam_lr-0.1_seed-1", "adam_lr-0.1_seed-2"])
        XCTAssertEqual(m.points.map(\.index), Array(0..<8))
        XCTAssertEqual(m.conditions, ["sgd_lr-0.01", "sgd_lr-0.1", "adam_lr-0.01", "adam_lr-0.1"])
        let adam = try XCTUnwrap(m.point(named: "adam_lr-0.1_seed-2"))
        XCTAssertEqual(adam.config.optimizer.kind, .adam)
        XCTAssertEqual(adam.config.optimizer.learningRate, 0.1)
        XCTAssertEqual(adam.seed, 2)
        XCTAssertEqual(adam.config.seed, 2)
        XCTAssertNil(adam.config.threads, "threads are the job's")
        XCTAssertEqual(adam.settings, [SweepSetting(key: "optimizer", value: "adam"), SweepSetting(key: "lr", value: "0.1")])
        XCTAssertEqual(m.points.filter { $0.panels == ["P"] }.map(\.condition), ["sgd_lr-0.01", "sgd_lr-0.01", "adam_lr-0.01", "adam_lr-0.01"])
        XCTAssertEqual(m.panels, [SweepPanel(id: "P", title: "Adam", reference: "sgd_lr-0.01", claim: .cutoff)])
    }

    /// A point means what `train --config` means for the same settings.
    func testAPointIsResolvedAsTrainResolvesTheSameConfig() throws {
        let m = try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: false)
        let yaml = "model: mlp5\ndataset: synthetic\nsteps: 3000\nwindows: 0:1000,2000:3000\ninformation: false\nlr: 0.1\noptimizer: adam\nseed: 2\n"
        let (expected, _) = try TrainCommand.parse([]).resolve(file: try ConfigFile(data: Data(yaml.utf8), path: "c.yaml"))
        XCTAssertEqual(m.point(named: "adam_lr-0.1_seed-2")?.config, expected)
    }

    func testReducedVersionShortensStepsAndWindowsAndTakesItsSeeds() throws {
        let m = try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: true)
        XCTAssertTrue(m.reduced)
        XCTAssertEqual(m.points.count, 4)
        XCTAssertTrue(m.points.allSatisfy { $0.seed == 7 && $0.config.steps == 300 })
        XCTAssertEqual(m.points[0].config.updates?.windows.ranges, [0..<100, 200..<300])
        XCTAssertNotNil(m.difference(from: try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: false)))
        let plain = SweepFileTests.spec.replacingOccurrences(of: "reduced: {seeds: [7], steps: 0.1}\n", with: "")
        XCTAssertThrowsError(try SweepFile(text: plain, path: "p.yaml").manifest(reduced: true)) {
            XCTAssertTrue("\($0)".contains("has no 'reduced' version"), "\($0)")
        }
    }

    func testNoVariantsNoAxesIsOneBaseCondition() throws {
        let m = try SweepFile(text: "base: {model: mlp5, dataset: synthetic, steps: 10}\n", path: "one.yaml").manifest(reduced: false)
        XCTAssertEqual(m.name, "one")
        XCTAssertEqual(m.points.map(\.name), ["base"])
    }

    /// Every bad input names the file and, where it has one, the line.
    func testBadInputIsNamedWithItsLine() {
        func refuse(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try SweepFile(text: text, path: "bad.yaml").manifest(reduced: false), file: file, line: line) { e in
                XCTAssertTrue("\(e)".contains(expected), "expected “\(expected)” in: \(e)", file: file, line: line)
            }
        }
        refuse("base: {model: mlp5}\nbogus: 1\n", "sweep file bad.yaml line 2: unknown key 'bogus'")
        refuse("base:\n  model: mlp5\n  lrr: 0.1\n", "sweep file bad.yaml line 3: unknown key 'lrr'")
        refuse("base:\n  model: mlp5\n  optimizer: sgdd\n", "line 3: 'optimizer' must be one of sgd, momentum")
        refuse("base: {model: mlp5}\naxes:\n  lr: []\n", "line 3: axis 'lr' has no values")
        refuse("base: {model: mlp5}\naxes:\n  lr: [0.1, fast]\n", "line 3: 'lr' must be a decimal number, got 'fast'")
        refuse("base: {model: mlp5, seed: 3}\nseeds: [1]\n", "line 1: 'seed' is set by 'seeds'")
        refuse("base: {model: mlp5, out: x}\n", "'out' is the sweep's to choose")
        refuse("base: {model: mlp5, threads: 2}\n", "'threads' is the job's to choose")
        refuse("variants:\n  - {name: a}\n  - {name: a}\n", "line 3: variant name 'a' appears twice")
        refuse("variants:\n  - {optimizer: adam}\n", "line 2: a variant has no name")
        refuse("seeds: [1, 1]\n", "'seeds' lists a seed twice")
        refuse("base: {model: mlp5, steps: 10, epochs: 2}\n", "point 'base': the config file sets both steps and epochs")
        refuse("panels:\n  - {id: X, title: t, claim: cutoff}\n", "claim 'cutoff' compares with a reference condition")
        refuse("panels:\n  - {id: X, title: t, claim: heavy-tailed, conditions: [nope]}\n", "line 2: panel 'X' names condition 'nope'")
        refuse("base: &a {model: mlp5}\n", "anchors (&), aliases (*) and tags (!) are not supported")
    }

    func testSlurmArrayListAndScripts() throws {
        XCTAssertEqual(SlurmSubmission.arrayList([0, 1, 2, 3]), "0-3")
        XCTAssertEqual(SlurmSubmission.arrayList([0, 2, 3, 4, 7, 9, 10]), "0,2-4,7,9-10")
        XCTAssertEqual(SlurmSubmission.quote("it's"), "'it'\\''s'")
        let m = try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: true)
        var s = SlurmSubmission(folder: SweepFolder("/tmp/sweep-x"), manifest: m, reduced: true)
        s.executable = "/opt/criticality"
        s.partition = "cpu"
        s.time = "1:00:00"
        s.extraOptions = ["--account=phys"]
        let array = s.arrayScript(pending: [1, 2, 3])
        for line in ["#SBATCH --array=1-3", "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --account=phys", "#SBATCH --requeue",
                     "exec '/opt/criticality' sweep run '/tmp/sweep-x/sweep.yaml' --out '/tmp/sweep-x' --index \"$SLURM_ARRAY_TASK_ID\"",
                     "--reduced >>\"/tmp/sweep-x/logs/$name.log\" 2>&1", "names=('sgd_lr-0.01_seed-7' "] {
            XCTAssertTrue(array.contains(line), "array script lacks \(line):\n\(array)")
        }
        XCTAssertTrue(s.reportScript().contains("exec '/opt/criticality' sweep report '/tmp/sweep-x'"), s.reportScript())
    }

    /// A folder holding another sweep, or something that is not a sweep, is refused; the same sweep is
    /// accepted again (a rerun).
    func testFolderIdentity() throws {
        let dir = temporaryDirectory(self) + "/s"
        let a = try SweepFile(text: SweepFileTests.spec, path: "demo.yaml").manifest(reduced: false)
        try Sweep.prepare(SweepFolder(dir), manifest: a, specText: SweepFileTests.spec)
        XCTAssertNoThrow(try Sweep.prepare(SweepFolder(dir), manifest: a, specText: SweepFileTests.spec))
        let other = SweepFileTests.spec.replacingOccurrences(of: "steps: 3000", with: "steps: 4000")
        let b = try SweepFile(text: other, path: "demo.yaml").manifest(reduced: false)
        XCTAssertThrowsError(try Sweep.prepare(SweepFolder(dir), manifest: b, specText: other)) {
            XCTAssertTrue("\($0)".contains("holds a different sweep, 'demo': point 'sgd_lr-0.01_seed-1' is configured differently"), "\($0)")
        }
        let busy = temporaryDirectory(self)
        try "x".write(toFile: busy + "/notes.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Sweep.prepare(SweepFolder(busy), manifest: a, specText: "")) {
            XCTAssertTrue("\($0)".contains("is not empty and holds no sweep"), "\($0)")
        }
    }
}
