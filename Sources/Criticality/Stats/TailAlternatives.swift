import Foundation

/// Alternatives to the power law on the same tail x ≥ x_min, each normalized on [x_min, ∞) and fitted
/// by maximum likelihood (Clauset et al. Table 2.1):
/// - exponential: λ e^{−λ(x − x_min)}, λ̂ = 1/(x̄ − x_min);
/// - lognormal: φ((ln x − μ)/σ)/(xσ) / (½ erfc((ln x_min − μ)/(σ√2)));
/// - power law with exponential cut-off: x^{−α} e^{−λx} / (x_min^{1−α} E_α(λ x_min));
/// - stretched exponential (Weibull): βλ x^{β−1} e^{−λ(x^β − x_min^β)}.
public enum TailAlternative: String, CaseIterable, Codable, Sendable {
    case exponential
    case lognormal
    case truncatedPowerLaw = "truncated-power-law"
    case stretchedExponential = "stretched-exponential"

    /// Whether the power law is a special case (λ = 0) of this alternative.
    public var nestsPowerLaw: Bool { self == .truncatedPowerLaw }
}

/// One likelihood-ratio comparison, power law versus an alternative, on the same tail.
public struct TailComparison: Codable, Sendable {
    public var alternative: TailAlternative
    /// Vuong's normalized log-likelihood ratio R/(σ√n) (non-nested), or the raw ratio (nested);
    /// R > 0 favours the power law (sign convention of Clauset et al. and `powerlaw`).
    public var R: Double
    /// Σ_i [ln p_PL(x_i) − ln p_alt(x_i)].
    public var logLikelihoodRatio: Double
    /// Two-sided p-value of the sign of R (Vuong), or χ²₁ p-value of 2|R| (nested).
    public var p: Double
    /// "power law favoured", "alternative favoured" or "inconclusive" at `significance`.
    public var verdict: String
    public var significance: Double
    /// Fitted parameters of the alternative.
    public var parameters: [String: Double]
    public var nested: Bool
    enum CodingKeys: String, CodingKey {
        case alternative, R, logLikelihoodRatio = "log_likelihood_ratio", p, verdict, significance, parameters, nested
    }
}

public enum TailComparisons {
    /// ln p_PL(x) for every tail value.
    static func powerLawLogPDF(_ tail: [Double], alpha a: Double, xmin: Double) -> [Double] {
        let c = Foundation.log((a - 1) / xmin)
        return tail.map { c - a * Foundation.log($0 / xmin) }
    }

    /// Fits `alternative` to `tail` (all ≥ xmin) and returns its parameters and per-point ln p.
    public static func fit(_ alternative: TailAlternative, tail: [Double], xmin: Double, powerLawAlpha: Double) -> (parameters: [String: Double], logPDF: [Double]) {
        let n = Double(tail.count)
        let logs = tail.map { Foundation.log($0) }
        switch alternative {
        case .exponential:
            let mean = tail.reduce(0, +) / n
            let lambda = 1 / max(mean - xmin, .leastNormalMagnitude)
            return (["lambda": lambda], tail.map { Foundation.log(lambda) - lambda * ($0 - xmin) })
        case .lognormal:
            let lxm = Foundation.log(xmin)
            func logPDF(_ mu: Double, _ sigma: Double) -> [Double] {
                let norm = Foundation.log(0.5) + Special.logErfc((lxm - mu) / (sigma * 2.0.squareRoot()))
                return logs.map { l in
                    let z = (l - mu) / sigma
                    return -0.5 * z * z - l - Foundation.log(sigma) - 0.5 * Foundation.log(2 * Double.pi) - norm
                }
            }
            let m0 = logs.reduce(0, +) / n
            let s0 = max((logs.reduce(0) { $0 + ($1 - m0) * ($1 - m0) } / n).squareRoot(), 1e-3)
            let best = NelderMead.minimize({ p in -logPDF(p[0], Foundation.exp(p[1])).reduce(0, +) },
                                           start: [m0, Foundation.log(s0)], step: [s0, 0.5])
            let mu = best.point[0], sigma = Foundation.exp(best.point[1])
            return (["mu": mu, "sigma": sigma], logPDF(mu, sigma))
        case .truncatedPowerLaw:
            // parameters (α, ln λ); normalization ln(x_min^{1−α} E_α(λ x_min))
            func logPDF(_ a: Double, _ lambda: Double) -> [Double] {
                let norm = (1 - a) * Foundation.log(xmin) + Special.logGeneralizedExponentialIntegral(p: a, z: lambda * xmin)
                return zip(tail, logs).map { x, l in -a * l - lambda * x - norm }
            }
            let mean = tail.reduce(0, +) / n
            let best = NelderMead.minimize({ p in -logPDF(p[0], Foundation.exp(p[1])).reduce(0, +) },
                                           start: [max(powerLawAlpha - 0.2, 0.5), Foundation.log(0.1 / mean)], step: [0.3, 1.0])
            let a = best.point[0], lambda = Foundation.exp(best.point[1])
            return (["alpha": a, "lambda": lambda], logPDF(a, lambda))
        case .stretchedExponential:
            // parameters (ln λ, ln β): ln p = ln β + ln λ + (β−1) ln x − λ(x^β − x_min^β)
            func logPDF(_ lambda: Double, _ beta: Double) -> [Double] {
                let xmb = Foundation.pow(xmin, beta)
                return zip(tail, logs).map { x, l in
                    Foundation.log(beta) + Foundation.log(lambda) + (beta - 1) * l - lambda * (Foundation.exp(beta * l) - xmb)
                }
            }
            let mean = tail.reduce(0, +) / n
            let best = NelderMead.minimize({ p in -logPDF(Foundation.exp(p[0]), Foundation.exp(p[1])).reduce(0, +) },
                                           start: [Foundation.log(1 / mean), Foundation.log(0.5)], step: [1.0, 0.3])
            let lambda = Foundation.exp(best.point[0]), beta = Foundation.exp(best.point[1])
            return (["lambda": lambda, "beta": beta], logPDF(lambda, beta))
        }
    }

    /// Power law (α̂, x_min) versus `alternative` on `tail`.
    public static func compare(tail: [Double], fit pl: PowerLawFit, alternative: TailAlternative,
                               significance: Double = 0.1) -> TailComparison {
        let plLog = powerLawLogPDF(tail, alpha: pl.alpha, xmin: pl.xmin)
        let (parameters, altLog) = fit(alternative, tail: tail, xmin: pl.xmin, powerLawAlpha: pl.alpha)
        let floorLog = Foundation.log(Double.leastNormalMagnitude)
        let l = zip(plLog, altLog).map { max($0, floorLog) - max($1, floorLog) }
        let n = Double(l.count)
        let r = l.reduce(0, +)
        let mean = r / n
        let variance = l.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let nested = alternative.nestsPowerLaw
        var p: Double, reported: Double
        var verdict: String
        if nested {
            // The power law is the alternative at λ = 0: 2(L_alt − L_PL) ~ χ²₁ under the power law.
            p = Special.chiSquare1Survival(2 * abs(r))
            reported = r
            verdict = (r < 0 && p < significance) ? "alternative favoured" : "inconclusive"
        } else {
            let sd = (n * variance).squareRoot()
            p = sd > 0 ? Special.erfc(abs(r) / (2 * n * variance).squareRoot()) : 1
            reported = sd > 0 ? r / sd : 0
            verdict = p < significance ? (r > 0 ? "power law favoured" : "alternative favoured") : "inconclusive"
        }
        return TailComparison(alternative: alternative, R: reported, logLikelihoodRatio: r, p: p, verdict: verdict,
                              significance: significance, parameters: parameters, nested: nested)
    }
}
