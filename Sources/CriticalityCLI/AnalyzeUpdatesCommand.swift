import ArgumentParser
import Criticality
import Foundation

struct AnalyzeUpdatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze-updates",
        abstract: "Run the streaming update statistics over update matrices written by other code (e.g. a PyTorch tracker).",
        discussion: """
            INPUT is a steps × parameters .npy (float32 or float64, C order), or a folder of such chunks taken \
            in name order. Outputs go to OUT/observers/\(UpdateStatisticsFolder.observerName)/ exactly as in a run directory (docs/run-directory.md); \
            |θ| statistics and the loss series need θ and the loss, which update dumps lack, and are omitted.
            """)

    @Option(help: "Update matrix (.npy, steps × parameters) or folder of .npy chunks.")
    var input: String
    @Option(help: "Output folder (created; an existing non-empty one needs --force).")
    var out: String
    @Option(help: "JSON segment list [{\"layer\",\"kind\",\"shape\"}, …] or a run's manifest; default: one segment 'dump.updates'.")
    var layout: String?
    @Option(help: "Windows START:END over rows (ascending). Default: all rows as one window.")
    var windows: String?
    @Option(help: "Reservoir sample size per scope and window.")
    var reservoirSize: Int = 100_000
    @Option(help: "Fractions q of large updates (Fig. 5).")
    var quantiles: String = "0.005,0.01"
    @Option(help: "Seed of the reservoir samples.")
    var seed: UInt64 = 1
    @Flag(help: "Replace an existing --out folder.")
    var force = false

    func run() throws {
        do {
            let reader = try NpyRowReader(input: input)
            guard reader.rows > 0, reader.columns > 0 else {
                throw CriticalityError(.invalidArgument, "--input \(input): the matrix is empty (\(reader.rows) × \(reader.columns))")
            }
            let l: ParameterLayout
            if let path = layout {
                l = try ExternalUpdates.readLayout(path: path, parameterCount: reader.columns)
            } else {
                var one = ParameterLayout()
                one.append(layer: "dump", kind: "updates", shape: [reader.columns])
                l = one
            }
            var settings = UpdateStatisticsSettings()
            settings.windows = try windows.map { try StepWindows(parsing: $0) } ?? StepWindows(ranges: [0..<reader.rows])
            guard reservoirSize >= 1 else { throw CriticalityError(.invalidArgument, "--reservoir-size must be ≥ 1") }
            settings.reservoirSize = reservoirSize
            settings.quantiles = try quantiles.split(separator: ",", omittingEmptySubsequences: false).map {
                guard let v = DecimalText.double($0.trimmingCharacters(in: .whitespaces)), v > 0, v < 1 else {
                    throw CriticalityError(.invalidArgument, "--quantiles: '\($0)' is not a fraction in (0, 1)")
                }
                return v
            }
            settings.seed = seed
            try settings.validate()
            let lock = try prepareOutput(out, force: force)
            defer { withExtendedLifetime(lock) {} }
            let display = ProgressDisplay(label: "analyze-updates")
            let files = try ExternalUpdates.analyze(reader: reader, layout: l, settings: settings, out: out) { phase, done, total in
                if done % 200 == 0 || done == total {
                    display.update(TrainingProgress(phase: phase, step: done, totalSteps: total, epoch: 0, trainLoss: .nan,
                                                    testAccuracy: nil, stepsPerSecond: 0))
                }
            }
            print("\(RunDirectory(out).updateStatistics.path): \(files.count) files from \(reader.rows) rows × \(reader.columns) parameters in \(reader.parts.count) file(s)")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
