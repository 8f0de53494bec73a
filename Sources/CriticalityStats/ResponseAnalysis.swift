import CriticalityCore
import Foundation

/// The analysis of a set of loss responses |ΔL| (Fig. 4, SI S14–S18): is their distribution
/// exponential-like, as the paper reports for small δ, or power-law-like, as for large δ?
///
/// Three views, all recorded:
/// - **tail**: the maximum-likelihood power law above the KS-chosen x_min and the likelihood-ratio tests
///   against the exponential, lognormal, cut-off power law and stretched exponential on that tail
///   (`TailFit`, Clauset et al. 2009);
/// - **whole sample**: the exponential p(x) = λe^{−λx} on all values (λ̂ = 1/x̄) and its KS distance;
/// - **the paper's recipe**: `np.histogram(values, bins=40)`, probabilities, and a least-squares line
///   through the non-zero bins — ln p on x (semi-log, the authors' small-δ plot) and ln p on ln x (log–log,
///   their large-δ plot); both are given, `paperAxes` says which the paper used for this δ.
///
/// The class (`ResponseClass`) is computed from the tests only, by the rule stated at `classify`.
public struct ResponseAnalysis: Codable, Sendable {
    public var n: Int
    /// Values exactly 0 (a parameter that no sample feels, e.g. a weight from an always-zero pixel).
    public var zeros: Int
    public var mean: Double
    public var median: Double
    public var maximum: Double
    /// nil when fewer than two positive values (nothing to fit).
    public var tail: TailFitReport?
    public var exponentialRate: Double
    /// sup |F_n(x) − (1 − e^{−λ̂x})| over the whole sample.
    public var exponentialKS: Double
    /// The paper's histogram: 40 linear bins over [min, max], centres and probabilities.
    public var histogramCenters: [Double]
    public var histogramProbabilities: [Double]
    public var semiLogFit: LeastSquaresFit?
    public var logLogFit: LeastSquaresFit?
    /// "semi-log" for δ < 0.1 (the paper's δ = 0.01 panels), "log-log" otherwise (δ = 1).
    public var paperAxes: String
    public var classification: ResponseClass
    /// The numbers the class rests on, in words.
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case n, zeros, mean, median, maximum, tail, exponentialRate = "exponential_rate", exponentialKS = "exponential_ks"
        case histogramCenters = "histogram_centers", histogramProbabilities = "histogram_probabilities"
        case semiLogFit = "semi_log_fit", logLogFit = "log_log_fit", paperAxes = "paper_axes", classification, reason
    }

    /// Bins of the paper's histogram (`plot_perturbation.ipynb`: `np.histogram(all_loss, bins=40)`).
    public static let paperBins = 40
    /// Fewest tail values on which a power law is judged at all.
    public static let minimumTail = 50
    /// Largest whole-sample KS distance at which an exponential is called a description of the sample
    /// when the tail tests cannot tell (a descriptive bound: with 10⁴ values any real sample rejects an
    /// exact exponential at the 5 % level, D > 0.014, so a test would say nothing; 0.05 is a
    /// visually straight line on the paper's semi-log axes).
    public static let exponentialKSBound = 0.05

    /// Analyzes `values` (≥ 0, finite) of responses to a perturbation of size `delta` (for `paperAxes`).
    public static func analyze(_ values: [Double], delta: Double, source: String = "responses", significance: Double = 0.1) throws -> ResponseAnalysis {
        guard !values.isEmpty else { throw CriticalityError(.invalidArgument, "\(source): no values to analyze") }
        if let i = values.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw CriticalityError(.invalidArgument, "\(source): value \(values[i]) at index \(i) is not a finite |ΔL| ≥ 0; responses are absolute loss changes")
        }
        let sorted = values.sorted()
        let n = sorted.count
        let mean = sorted.reduce(0, +) / Double(n)
        let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        var tail: TailFitReport?
        if sorted.filter({ $0 > 0 }).count >= 2, Set(sorted.suffix(2)).count == 2 {
            var o = TailFitOptions()
            o.minimumTail = min(minimumTail, max(2, sorted.count / 10))
            o.significance = significance
            // Large sets (a synthetic landscape of 10⁶ values): 2,000 candidate x_min, evenly spaced in rank.
            if sorted.count > 20_000 { o.maximumCandidates = 2000 }
            tail = try? TailFit.fit(sorted, options: o, source: source)
        }
        let rate = mean > 0 ? 1 / mean : .infinity
        var ks = 0.0
        if mean > 0 {
            for (i, x) in sorted.enumerated() {
                let f = -expm1(-rate * x)
                ks = max(ks, abs(Double(i + 1) / Double(n) - f), abs(Double(i) / Double(n) - f))
            }
        } else {
            ks = 1
        }
        let h = PaperHistogram.linear(sorted, bins: paperBins)
        let semi = try? PaperHistogram.fit(x: h.centers, p: h.probabilities, semiLog: true)
        let loglog = try? PaperHistogram.fit(x: h.centers, p: h.probabilities, semiLog: false)
        let (c, reason) = classify(tail: tail, exponentialKS: ks, n: n)
        return ResponseAnalysis(n: n, zeros: sorted.prefix { $0 == 0 }.count, mean: mean, median: median, maximum: sorted.last!,
                                tail: tail, exponentialRate: rate, exponentialKS: ks, histogramCenters: h.centers,
                                histogramProbabilities: h.probabilities, semiLogFit: semi, logLogFit: loglog,
                                paperAxes: delta < 0.1 ? "semi-log" : "log-log", classification: c, reason: reason)
    }

    /// The rule, in order:
    /// 1. no tail fit, or a tail of fewer than `minimumTail` values → inconclusive;
    /// 2. the power law is significantly favoured over the exponential on its tail and no family that
    ///    nests it (lognormal, cut-off, stretched exponential) is significantly favoured → power-law-like;
    /// 3. favoured over the exponential, but a nesting family fits significantly better → heavy-tailed but
    ///    not a pure power law;
    /// 4. the exponential is significantly favoured on the tail, or the test cannot tell and the whole
    ///    sample's exponential has KS distance ≤ `exponentialKSBound` → exponential-like;
    /// 5. otherwise inconclusive.
    static func classify(tail: TailFitReport?, exponentialKS: Double, n: Int) -> (ResponseClass, String) {
        let ksText = String(format: "whole-sample exponential KS distance %.3f", exponentialKS)
        guard let t = tail else { return (.inconclusive, "fewer than two distinct positive values; \(ksText)") }
        let alpha = String(format: "α̂ = %.2f ± %.2f above x_min = %.3g (%d of %d values)", t.alpha, t.alphaStderr, t.xmin, t.nTail, n)
        guard t.nTail >= min(minimumTail, n) else { return (.inconclusive, "\(alpha): too short a tail to judge; \(ksText)") }
        guard let e = t.comparisons.first(where: { $0.alternative == .exponential }) else { return (.inconclusive, alpha) }
        let eText = String(format: "vs exponential R = %.2f, p = %.3g", e.R, e.p)
        let better = t.comparisons.filter { $0.alternative.nestsPowerLaw && $0.verdict == "alternative favoured" }
        if e.verdict == "power law favoured" {
            if better.isEmpty { return (.powerLawLike, "\(alpha); \(eText); no nesting family fits significantly better") }
            let names = better.map { String(format: "%@ (R = %.2f, p = %.3g)", $0.alternative.rawValue, $0.R, $0.p) }.joined(separator: ", ")
            return (.heavyTailedNotPowerLaw, "\(alpha); \(eText); but \(names) fits significantly better")
        }
        if e.verdict == "alternative favoured" { return (.exponentialLike, "\(eText) favours the exponential on the tail; \(ksText)") }
        if exponentialKS <= exponentialKSBound { return (.exponentialLike, "\(eText) cannot tell; \(ksText) ≤ \(exponentialKSBound)") }
        return (.inconclusive, "\(alpha); \(eText) cannot tell; \(ksText) > \(exponentialKSBound)")
    }
}

/// What a set of loss responses looks like, by the rule of `ResponseAnalysis.classify`.
public enum ResponseClass: String, Codable, Sendable, CaseIterable {
    case exponentialLike = "exponential-like"
    case powerLawLike = "power-law-like"
    case heavyTailedNotPowerLaw = "heavy-tailed but not a pure power law"
    case inconclusive
}
