import ArgumentParser
import Criticality
import Foundation

struct StabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stability",
        abstract: "Is β*·MI stable across nearby steps (Fig. 3E, SI S10–S11)? Spearman's ρ and the t-test of the product at interval k against k + lag, beside a shuffled-time null.",
        discussion: "Reads external series, one value per interval (1-D or single-column .npy), e.g. the authors' submission_pca_* and submission_mi_* arrays. The default pairing is theirs: p[i] with p[i+2] for i = 1, 3, 5, … (Δ = 400 steps of 200-step intervals).")

    @Option(help: ArgumentHelp("β* series (.npy, one value per interval).", valueName: "file.npy"))
    var beta: String
    @Option(help: ArgumentHelp("Mutual-information series (.npy, one value per interval).", valueName: "file.npy"))
    var mi: String
    @Option(help: "Intervals between the two members of a pair (Δ / interval length).")
    var lag: Int = 2
    @Option(help: "Intervals between consecutive pairs.")
    var stride: Int = 2
    @Option(help: "Interval of the first pair.")
    var offset: Int = 1
    @Option(help: "Permutations of the shuffled-time null.")
    var permutations: Int = 1000
    @Option(help: "Seed of the permutations.")
    var seed: UInt64 = 1
    @Option(help: "Write the result as JSON here.")
    var json: String?

    func validate() throws {
        if lag < 1 || stride < 1 { throw ValidationError("--lag and --stride must be at least 1") }
        if offset < 0 || permutations < 0 { throw ValidationError("--offset and --permutations must be at least 0") }
    }

    /// A series: a 1-D array, or a single-column 2-D one.
    static func series(_ path: String, _ what: String) throws -> [Double] {
        let (v, shape) = try Npy.readDoubles(path: path)
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw CriticalityError(.invalidArgument, "\(path): the \(what) series has shape \(shape); give one value per interval (shape (n,) or (n, 1))")
        }
        return v
    }

    func run() throws {
        do {
            let r = try ProductStability.analyze(beta: try Self.series(beta, "β*"), mutualInformation: try Self.series(mi, "MI"),
                                                 lag: lag, stride: stride, offset: offset, permutations: permutations, seed: seed)
            print("\(r.intervals) intervals, \(r.pairs) pairs (p_k, p_k+\(r.lag)), k = \(r.offset), \(r.offset + r.stride), …")
            print(String(format: "Spearman ρ = %.4f (p = %.3g); shuffled-time null ρ %.3f ± %.3f, fraction |ρ| ≥ |ρ̂|: %.4f",
                         r.spearmanRho, r.spearmanP, r.null.rhoMean, r.null.rhoSD, r.null.rhoExceedance))
            print(String(format: "t-test of p_k+lag − p_k: t = %.4f (p = %.3g), mean difference %.4g; null t %.3f ± %.3f, fraction |t| ≥ |t̂|: %.4f",
                         r.tStatistic, r.tP, r.meanDifference, r.null.tMean, r.null.tSD, r.null.tExceedance))
            if let json { try FileOutput.writeJSON(r, to: json); print("\(json) written") }
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
