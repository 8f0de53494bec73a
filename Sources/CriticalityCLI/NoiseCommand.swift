import ArgumentParser
import Criticality
import Foundation

struct NoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise",
        abstract: "Mini-batch gradient noise at a trained run's checkpoints (SI S13): M mini-batch gradients minus the full-batch gradient, into RUN/noise/.",
        discussion: """
            For a fixed draw of parameters per layer: each parameter's noise ξ = g_batch − ḡ with its normal fit \
            and D'Agostino–Pearson test, the noise standardised per parameter and pooled per layer (normality \
            test, excess kurtosis, Hill index of |ξ/σ̂|), and the same statistics for the pooled SGD updates −η·g \
            (as the update statistics pool |Δθ| over parameters), so the two can be compared. ḡ is the mean \
            mini-batch gradient over one ordered pass through the training set (the exact full gradient when \
            the model has no batch norm).
            """)

    @Argument(help: ArgumentHelp("Run directory (from `train`).", valueName: "run"))
    var runDirectory: String
    @Option(help: "Kept checkpoints (e.g. epoch_50) and/or 'final'. Default: every kept checkpoint, else the final parameters.")
    var at: String?
    @Option(help: "Mini-batches M (at least 20).")
    var batches: Int = 2000
    @Option(help: "Samples per mini-batch.")
    var batchSize: Int = 64
    @Option(help: "Parameters drawn per layer (weights and biases together), without replacement.")
    var perLayer: Int = 16
    @Option(help: "Seed of the parameter draw and the mini-batches.")
    var seed: UInt64 = 1
    @Option(help: "Threads: 1 or 2. Default: 2 where the machine has two cores.")
    var threads: Int?
    @Option(help: "Folder of the dataset's files, when it is not where the run was trained.")
    var dataDir: String?

    func validate() throws {
        if batches < 20 { throw ValidationError("--batches must be at least 20 (a normality test needs 20 values); got \(batches)") }
        if batchSize < 1 || perLayer < 1 { throw ValidationError("--batch-size and --per-layer must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1; got \(t)") }
    }

    func run() throws {
        do {
            var s = GradientNoiseSettings()
            s.at = at.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            s.batches = batches; s.batchSize = batchSize; s.perLayer = perLayer; s.seed = seed
            let run = RunDirectory(runDirectory)
            guard FileManager.default.fileExists(atPath: run.manifest) else {
                throw CriticalityError(.fileNotFound, "\(run.path): no manifest.json; give the folder `criticality train --out` wrote")
            }
            let display = FractionDisplay()
            let summary = try GradientNoise.run(run, settings: s, dataDirectory: dataDir,
                                                threads: threads ?? ProcessInfo.processInfo.activeProcessorCount) { display.update($0, $1) }
            for source in summary.sources {
                print("\(source.source): \(batches) mini-batches of \(batchSize)")
                for l in source.layers {
                    print(String(format: "  %@ (%ld parameters): noise ξ/σ̂ excess kurtosis %.2f, normality p %.3g, Hill α̂ %.2f; %.0f%% of parameters Gaussian at 5%%; SGD updates pooled: excess kurtosis %.2f, Hill α̂ %.2f",
                                 l.layer as NSString, l.parameters, l.noise.excessKurtosis, l.noise.p, l.noise.hillAlpha, 100 * l.gaussianFraction,
                                 l.updates.excessKurtosis, l.updates.hillAlpha))
                }
            }
            print("\(run.noise.summary) written")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
