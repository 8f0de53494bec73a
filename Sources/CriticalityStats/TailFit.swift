import CriticalityCore
import Foundation

/// Options of a tail fit (the flags of `criticality fit`).
public struct TailFitOptions: Sendable {
    public var discrete = false
    /// Fixed x_min instead of the KS scan.
    public var xmin: Double?
    public var minimumTail = 2
    public var maximumCandidates: Int?
    /// Largest x_min the KS scan may choose (nil: any). For data truncated at a known point T — the
    /// intervals of a window of L steps never exceed L − 1 — a tail starting within a decade of T is
    /// shaped by the truncation, not by the process; `criticality analyze` uses L/10 for intervals.
    public var maximumXmin: Double?
    public var compare: [TailAlternative] = TailAlternative.allCases
    /// Bootstrap replicates for the goodness-of-fit p-value (0: none).
    public var bootstrap = 0
    public var seed: UInt64 = 1
    /// Level at which a comparison's sign is called significant (Clauset et al. use 0.1).
    public var significance = 0.1
    public init() {}
}

/// Everything `criticality fit` reports (JSON schema in docs/fit-json.md).
public struct TailFitReport: Codable, Sendable {
    public var n: Int
    /// Non-positive values left out of the power-law fit (as Clauset et al. do).
    public var nDropped: Int
    public var discrete: Bool
    public var alpha: Double
    public var alphaStderr: Double
    public var xmin: Double
    public var xminMethod: String
    public var nTail: Int
    public var ksDistance: Double
    public var logLikelihood: Double
    public var gofP: Double?
    public var bootstrap: BootstrapResult?
    public var comparisons: [TailComparison]
    public var wholeRange: WholeRange
    public var hill: Hill?
    public var leastSquares: LeastSquaresFit?

    public struct WholeRange: Codable, Sendable {
        public var exponentialRate: Double
        public var normalMean: Double
        public var normalStandardDeviation: Double
        enum CodingKeys: String, CodingKey {
            case exponentialRate = "exponential_rate", normalMean = "normal_mean", normalStandardDeviation = "normal_sd"
        }
    }
    public struct Hill: Codable, Sendable {
        public var k: [Int]
        public var alpha: [Double]
    }

    enum CodingKeys: String, CodingKey {
        case n, nDropped = "n_dropped", discrete, alpha, alphaStderr = "alpha_stderr", xmin, xminMethod = "xmin_method"
        case nTail = "n_tail", ksDistance = "ks_distance", logLikelihood = "log_likelihood", gofP = "gof_p", bootstrap
        case comparisons, wholeRange = "whole_range", hill, leastSquares = "least_squares"
    }
}

public enum TailFit {
    /// Checks the values a user gave: not empty, no NaN/Inf (named by index), at least two positive.
    public static func validate(_ values: [Double], source: String) throws {
        guard !values.isEmpty else { throw CriticalityError(.invalidArgument, "\(source): no values to fit") }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw CriticalityError(.invalidArgument, "\(source): value \(values[i]) at index \(i) is not finite; remove NaN and Inf before fitting")
        }
        guard values.filter({ $0 > 0 }).count >= 2 else {
            throw CriticalityError(.invalidArgument, "\(source): fewer than two positive values; a power law needs positive data")
        }
    }

    public static func fit(_ values: [Double], options: TailFitOptions, source: String = "data") throws -> TailFitReport {
        try validate(values, source: source)
        let positive = values.filter { $0 > 0 }.sorted()
        let dropped = values.count - positive.count
        let fit: PowerLawFit
        var bootstrap: BootstrapResult?
        var tail: [Double]
        if options.discrete {
            if let i = positive.firstIndex(where: { $0 != $0.rounded() }) {
                throw CriticalityError(.invalidArgument, "\(source): a discrete fit needs integers; value \(positive[i]) is not one")
            }
            fit = try discreteFit(DiscretePowerLaw(observations: positive), options: options, source: source)
            if options.bootstrap > 0 {
                bootstrap = PowerLawBootstrap.discrete(observations: positive, fit: fit, minimumTail: options.minimumTail,
                                                       maximumCandidates: options.maximumCandidates,
                                                       maximumXmin: options.maximumXmin, fixedXmin: options.xmin != nil,
                                                       replicates: options.bootstrap, seed: options.seed)
            }
            tail = positive.filter { $0 >= fit.xmin }
        } else {
            let pl = ContinuousPowerLaw(sortedPositive: positive)
            var scan = ContinuousPowerLaw.ScanOptions()
            scan.minimumTail = options.minimumTail
            scan.maximumCandidates = options.maximumCandidates
            scan.maximumXmin = options.maximumXmin
            if let xm = options.xmin {
                let i = pl.tailStart(atLeast: xm)
                guard i < positive.count - 1, positive[i] < positive.last! else {
                    throw CriticalityError(.invalidArgument, "x_min \(xm): fewer than two distinct values at or above it")
                }
                fit = pl.fit(xmin: xm, tailStart: i)
                guard fit.alpha.isFinite else {
                    throw CriticalityError(.invalidArgument, "x_min \(xm): the values at or above it are equal to rounding; no power law can be fitted")
                }
            } else {
                guard let f = pl.scan(scan) else {
                    throw CriticalityError(.invalidArgument, "\(source): no candidate x_min\(TailFit.atMost(options)) leaves a tail of \(options.minimumTail) values")
                }
                fit = f
            }
            if options.bootstrap > 0 {
                bootstrap = PowerLawBootstrap.continuous(sorted: positive, fit: fit, options: scan, fixedXmin: options.xmin != nil,
                                                         replicates: options.bootstrap, seed: options.seed)
            }
            tail = Array(positive[pl.tailStart(atLeast: fit.xmin)...])
        }
        let comparisons: [TailComparison]
        if options.discrete {
            let pl = DiscretePowerLaw(observations: positive)
            comparisons = options.compare.map {
                DiscreteTailComparisons.compare(values: pl.values, counts: pl.counts, fit: fit, alternative: $0, significance: options.significance)
            }
        } else {
            comparisons = options.compare.map {
                TailComparisons.compare(tail: tail, fit: fit, alternative: $0, significance: options.significance)
            }
        }
        let exp = WholeRangeFits.exponential(values.map { max($0, 0) })
        let normal = WholeRangeFits.normal(values)
        let hillAll = WholeRangeFits.hill(positive, kMax: min(positive.count - 1, 100_000))
        var ks: [Int] = []
        var k = 10.0
        while Int(k) <= hillAll.count { ks.append(Int(k)); k *= 1.5 }
        let hill = ks.isEmpty ? nil : TailFitReport.Hill(k: ks, alpha: ks.map { hillAll[$0 - 1] })
        return TailFitReport(n: values.count, nDropped: dropped, discrete: options.discrete, alpha: fit.alpha,
                             alphaStderr: fit.alphaStandardError, xmin: fit.xmin,
                             xminMethod: options.xmin != nil ? "fixed" : "ks-scan", nTail: fit.nTail,
                             ksDistance: fit.ksDistance, logLikelihood: fit.logLikelihood, gofP: bootstrap?.pValue,
                             bootstrap: bootstrap, comparisons: comparisons,
                             wholeRange: .init(exponentialRate: exp.rate, normalMean: normal.mean, normalStandardDeviation: normal.standardDeviation),
                             hill: hill, leastSquares: nil)
    }

    /// The discrete fit at the given x_min, or the KS scan.
    static func discreteFit(_ pl: DiscretePowerLaw, options: TailFitOptions, source: String) throws -> PowerLawFit {
        if let xm = options.xmin {
            let i = pl.tailStart(atLeast: xm)
            guard i < pl.values.count - 1 else { throw CriticalityError(.invalidArgument, "x_min \(xm): fewer than two distinct values at or above it") }
            return pl.fit(tailStart: i)
        }
        guard let f = pl.scan(minimumTail: options.minimumTail, maximumCandidates: options.maximumCandidates,
                              maximumXmin: options.maximumXmin) else {
            throw CriticalityError(.invalidArgument, "\(source): no candidate x_min\(TailFit.atMost(options)) leaves a tail of \(options.minimumTail) values with two distinct values")
        }
        return f
    }

    /// " ≤ X" when the scan is capped, for error messages.
    static func atMost(_ options: TailFitOptions) -> String {
        options.maximumXmin.map { " ≤ \($0)" } ?? ""
    }

    /// A discrete fit from a histogram of integer values (`counts[v]` observations of v), e.g. the
    /// interval histograms of a run directory.
    public static func fitHistogram(_ counts: [Double], options: TailFitOptions, source: String = "interval histogram") throws -> TailFitReport {
        if let i = counts.firstIndex(where: { !($0 >= 0 && $0.isFinite && $0 == $0.rounded() && $0 < 1e15) }) {
            throw CriticalityError(.invalidArgument, "\(source): count \(counts[i]) of value \(i) is not a whole number ≥ 0; a histogram holds counts")
        }
        if options.bootstrap == 0 {
            // Straight from the histogram: no need to expand millions of observations.
            let pl = DiscretePowerLaw(histogram: counts)
            guard pl.values.count >= 2 else {
                throw CriticalityError(.invalidArgument, "interval histogram: fewer than two distinct positive values")
            }
            let fit = try discreteFit(pl, options: options, source: "interval histogram")
            var n = 0.0, sum = 0.0, sumSq = 0.0
            for (v, c) in counts.enumerated() { n += c; sum += c * Double(v); sumSq += c * Double(v) * Double(v) }
            let mean = sum / n
            let comparisons = options.compare.map {
                DiscreteTailComparisons.compare(values: pl.values, counts: pl.counts, fit: fit, alternative: $0, significance: options.significance)
            }
            return TailFitReport(n: Int(n), nDropped: Int(counts.first ?? 0), discrete: true, alpha: fit.alpha,
                                 alphaStderr: fit.alphaStandardError, xmin: fit.xmin,
                                 xminMethod: options.xmin != nil ? "fixed" : "ks-scan", nTail: fit.nTail,
                                 ksDistance: fit.ksDistance, logLikelihood: fit.logLikelihood, gofP: nil, bootstrap: nil,
                                 comparisons: comparisons,
                                 wholeRange: .init(exponentialRate: 1 / mean, normalMean: mean,
                                                   normalStandardDeviation: max(sumSq / n - mean * mean, 0).squareRoot()),
                                 hill: nil, leastSquares: nil)
        }
        var observations: [Double] = []
        for (v, c) in counts.enumerated() where v >= 1 && c > 0 {
            observations.append(contentsOf: repeatElement(Double(v), count: Int(c)))
        }
        var o = options
        o.discrete = true
        return try fit(observations, options: o, source: "interval histogram")
    }
}
