import ArgumentParser
import Criticality
import Foundation

extension PerturbationSign: ExpressibleByArgument {}
extension CurvatureLaw: ExpressibleByArgument {}

/// Parses "0.01,1" into positive finite numbers, naming the flag on error.
func parseDeltaList(_ text: String, flag: String) throws -> [Double] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        let t = part.trimmingCharacters(in: .whitespaces)
        guard let v = DecimalText.double(t), v.isFinite, v > 0 else {
            throw CriticalityError(.invalidArgument, "--\(flag): '\(t)' is not a finite positive number (e.g. 0.01,1)")
        }
        return v
    }
}

/// Parses "plus,minus".
func parseSignList(_ text: String) throws -> [PerturbationSign] {
    try text.split(separator: ",").map { part in
        let t = part.trimmingCharacters(in: .whitespaces)
        guard let s = PerturbationSign(rawValue: t) else {
            throw CriticalityError(.invalidArgument, "--signs: '\(t)' is not plus or minus (e.g. plus,minus)")
        }
        return s
    }
}

/// The shifts ±δ of `perturb` and `landscape`.
struct ShiftOptions: ParsableArguments {
    @Option(help: "Perturbation sizes δ (positive).")
    var deltas: String = "0.01,1"
    @Option(help: "Signs: plus (θ + δ) and/or minus (θ − δ).")
    var signs: String = "plus,minus"

    /// The parsed δ's and signs (errors name the flag).
    func parsed() throws -> (deltas: [Double], signs: [PerturbationSign]) {
        (try parseDeltaList(deltas, flag: "deltas"), try parseSignList(signs))
    }
}

/// One line per response set: δ, sign, median and largest |ΔL|, the tail fit and the class.
func printResponses(_ source: LandscapeSummary.Source) {
    print(String(format: "%@ (%@, %ld samples): L = %.6g, %ld trials in %.1f s", source.source, source.set, source.samples,
                 source.lossBefore, source.trials, source.seconds))
    for r in source.responses {
        let a = r.analysis
        print(String(format: "  δ = %-6@ %-5@  median %.3g  max %.3g  α̂ %@  → %@", LandscapeFolder.deltaText(r.delta) as NSString,
                     r.sign.rawValue as NSString, a.median, a.maximum,
                     (a.tail.map { String(format: "%.2f ± %.2f", $0.alpha, $0.alphaStderr) } ?? "—") as NSString,
                     a.classification.rawValue as NSString))
    }
}

struct PerturbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perturb",
        abstract: "Exact single-parameter perturbation scan of a trained run (Fig. 4): |ΔL| = |L(θ ± δe_k) − L(θ)| over the whole training set, into RUN/landscape/.",
        discussion: """
            L is the run's loss (mean cross-entropy, or MSE) over every training sample, in double precision; \
            batch norm uses its running statistics. Each |ΔL| is a sum of per-sample changes over the samples \
            the perturbation reaches, exact to rounding. A rerun resumes at the first source not yet written. \
            With --analyze FILE.npy, analyzes any flat array of |ΔL| (e.g. the authors' *_lossvariance.npy) instead.
            """)

    @Argument(help: ArgumentHelp("Run directory (from `train`).", valueName: "run"))
    var runDirectory: String?
    @Option(help: "Kept checkpoints to perturb (e.g. epoch_50,epoch_100) and/or 'final'. Default: every kept checkpoint, else the final parameters.")
    var at: String?
    @OptionGroup var shifts: ShiftOptions
    @Option(help: "Parameters drawn per layer (weights and biases together), uniformly without replacement; all of a layer's when it has fewer.")
    var perLayer: Int = 5000
    @Option(help: "Seed of the parameter draw (the same indices for every δ, sign and checkpoint).")
    var seed: UInt64 = 1
    @Option(help: "Only these layers (e.g. fc1,fc2); default all. The draw of the others is unchanged.")
    var layers: String?
    @Flag(help: "Also scan the loss on the test set (files SOURCE_test_…).")
    var testSet = false
    @Option(help: "MiB of activations held at once; the set is cut into blocks of samples beyond it.")
    var memory: Int = 4096
    @Option(help: "Threads: 1 or 2. Default: 2 where the machine has two cores. The numbers do not depend on it.")
    var threads: Int?
    @Option(help: "Folder of the dataset's files, when it is not where the run was trained.")
    var dataDir: String?
    @Flag(help: "Replace a landscape/ folder written with other settings.")
    var force = false
    @Option(help: ArgumentHelp("Analyze this flat .npy of |ΔL| instead of scanning a run.", valueName: "file.npy"))
    var analyze: String?
    @Option(help: "With --analyze: the δ the responses belong to (chooses the paper's axes: semi-log below 0.1).")
    var delta: Double = 1
    @Option(help: "With --analyze: write the analysis as JSON here.")
    var json: String?

    func validate() throws {
        if (runDirectory == nil) == (analyze == nil) { throw ValidationError("give a run directory, or --analyze FILE.npy (not both)") }
        if perLayer < 1 { throw ValidationError("--per-layer must be at least 1; got \(perLayer)") }
        if memory < 1 { throw ValidationError("--memory must be at least 1 (MiB); got \(memory)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1; got \(t)") }
        if !(delta.isFinite && delta > 0) { throw ValidationError("--delta must be a finite positive number; got \(delta)") }
    }

    func run() throws {
        do {
            if let file = analyze { return try analyzeFile(file) }
            var s = PerturbationSettings()
            s.at = at.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            (s.deltas, s.signs) = try shifts.parsed()
            s.perLayer = perLayer
            s.seed = seed
            s.layers = layers.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            s.testSet = testSet
            let run = RunDirectory(runDirectory!)
            guard FileManager.default.fileExists(atPath: run.manifest) else {
                throw CriticalityError(.fileNotFound, "\(run.path): no manifest.json; give the folder `criticality train --out` wrote")
            }
            let display = FractionDisplay()
            let summary = try Perturbation.run(run, settings: s, memoryBytes: memory << 20,
                                               threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                               dataDirectory: dataDir, replace: force) { display.update("perturb \($0)", $1) }
            summary.sources.forEach(printResponses)
            print("\(run.landscape.summary) written")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }

    func analyzeFile(_ file: String) throws {
        let values = try Npy.readDoubles(path: file).values
        let a = try ResponseAnalysis.analyze(values, delta: delta, source: file)
        print(String(format: "%@: %ld values (%ld zero), median %.3g, max %.3g", file, a.n, a.zeros, a.median, a.maximum))
        if let t = a.tail {
            print(String(format: "  power law above x_min = %.3g: α̂ = %.3f ± %.3f (%ld values)", t.xmin, t.alpha, t.alphaStderr, t.nTail))
            for c in t.comparisons { print(String(format: "  vs %@: %@ (R = %.2f, p = %.3g)", c.alternative.rawValue, c.verdict, c.R, c.p)) }
        }
        print(String(format: "  whole-sample exponential: rate %.4g, KS distance %.3f", a.exponentialRate, a.exponentialKS))
        for f in [a.semiLogFit, a.logLogFit].compactMap({ $0 }) {
            print(String(format: "  paper's %@ least squares (40 bins): exponent %.3f, R² %.3f", f.axes, f.exponent, f.r2))
        }
        print("  → \(a.classification.rawValue): \(a.reason)")
        if let json { try FileOutput.writeJSON(a, to: json); print("\(json) written") }
    }
}

struct LandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Synthetic landscapes f(x) = Σ c_i x_i² with a known curvature law, probed as a network (SI S16–S18), analyzed as `perturb` does.",
        discussion: """
            x_i ~ U(−1, 1); each coordinate is moved by ±δ alone, Δf_i = c_i(±2x_iδ + δ²). Curvatures: gaussian \
            |N(0,1)|, power-law Pareto(α, c_min), exponential Exp(1), lognormal LogNormal(0,1). For δ ≫ |x| the \
            responses follow the law of c.
            """)

    @Option(help: "Curvature laws (comma-separated): gaussian, power-law, exponential, lognormal. Default all.")
    var curvature: String?
    @Option(help: "Dimensions N.")
    var dimensions: Int = 1_000_000
    @OptionGroup var shifts: ShiftOptions
    @Option(help: "Exponent α of the power-law curvature's density c^{−α} (> 1).")
    var paretoAlpha: Double = 2.5
    @Option(help: "Smallest power-law curvature c_min (> 0).")
    var paretoMinimum: Double = 1
    @Option(help: "Seed of the positions and curvatures.")
    var seed: UInt64 = 1
    @Option(help: "Folder to write (the layout of a run's landscape/).")
    var out: String
    @Flag(help: "Replace landscapes written with other settings at --out.")
    var force = false

    func validate() throws {
        if dimensions < 2 { throw ValidationError("--dimensions must be at least 2; got \(dimensions)") }
        if !(paretoAlpha > 1 && paretoAlpha.isFinite) { throw ValidationError("--pareto-alpha must be a finite number above 1; got \(paretoAlpha)") }
        if !(paretoMinimum > 0 && paretoMinimum.isFinite) { throw ValidationError("--pareto-minimum must be a finite positive number; got \(paretoMinimum)") }
    }

    func run() throws {
        do {
            var s = SyntheticLandscapeSettings()
            if let c = curvature {
                s.curvatures = try c.split(separator: ",").map { part in
                    let t = part.trimmingCharacters(in: .whitespaces)
                    guard let law = CurvatureLaw(rawValue: t) else {
                        throw CriticalityError(.invalidArgument, "--curvature: '\(t)' is not one of \(CurvatureLaw.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return law
                }
            }
            s.dimensions = dimensions
            (s.deltas, s.signs) = try shifts.parsed()
            s.paretoAlpha = paretoAlpha
            s.paretoMinimum = paretoMinimum
            s.seed = seed
            let summary = try SyntheticLandscapes.run(s, into: LandscapeFolder(out), replace: force) {
                FileHandle.standardError.write(Data("landscape \($0)…\n".utf8))
            }
            summary.sources.forEach(printResponses)
            print("\(LandscapeFolder(out).summary) written")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
