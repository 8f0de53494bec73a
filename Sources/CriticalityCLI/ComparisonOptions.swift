import ArgumentParser
import Criticality

/// The options `fit` and `analyze` share: which alternatives each power-law tail is compared with, the
/// goodness-of-fit bootstrap and its seed. Applied to a `TailFitOptions` by `apply(to:)`.
struct ComparisonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Alternatives to compare on each tail, comma-separated, or 'none'.",
                               discussion: "Values: \(TailAlternative.allCases.map(\.rawValue).joined(separator: ", ")), none."))
    var compare: String = TailAlternative.allCases.map(\.rawValue).joined(separator: ",")
    @Option(help: "Semi-parametric bootstrap replicates for the goodness-of-fit p-value (0: none).")
    var bootstrap: Int = 0
    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 1

    func validate() throws {
        if bootstrap < 0 { throw ValidationError("--bootstrap must be ≥ 0; got \(bootstrap)") }
        do { _ = try alternatives() } catch let e as CriticalityError { throw ValidationError(e.message) }
    }

    /// `--compare a,b,…` or `none`.
    func alternatives() throws -> [TailAlternative] {
        if compare == "none" { return [] }
        return try compare.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let a = TailAlternative(rawValue: String($0)) else {
                throw CriticalityError(.invalidArgument, "--compare: '\($0)' is not one of \(TailAlternative.allCases.map(\.rawValue).joined(separator: ", ")), or none")
            }
            return a
        }
    }

    func apply(to o: inout TailFitOptions) throws {
        o.bootstrap = bootstrap
        o.seed = seed
        o.compare = try alternatives()
    }
}
