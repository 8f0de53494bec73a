import Foundation

/// Alternatives to the discrete power law on the integers x ≥ x_min (Clauset et al. Table 2.1, discrete
/// column): each pmf is f(x)/Σ_{y ≥ x_min} f(y), the sum taken exactly up to the largest observed value
/// (at least x_min + 1,000) and beyond that by Gauss–Legendre quadrature of f in ln x:
/// - exponential (geometric): (1 − e^{−λ}) e^{−λ(x − x_min)}, λ̂ = ln(1 + 1/(x̄ − x_min));
/// - lognormal: f = x^{−1} exp(−(ln x − μ)²/(2σ²));
/// - power law with cut-off: f = x^{−α} e^{−λx};
/// - stretched exponential: f = x^{β−1} e^{−λ x^β}.
/// Data come as distinct values with counts (histograms of intervals), so every sum is weighted.
public enum DiscreteTailComparisons {
    /// ln Σ_{y ≥ xmin} exp(logF(y)).
    static func logNormalizer(_ logF: (Double) -> Double, xmin: Double, xmax: Double) -> Double {
        let top = max(xmax, xmin + 1000)
        var terms: [Double] = []
        var y = xmin
        while y <= top { terms.append(logF(y)); y += 1 }
        // tail: ∫_{top+½}^∞ f(x) dx = ∫ f(e^u) e^u du over u ∈ [ln(top+½), ln(top+½) + 40]
        let a = Foundation.log(top + 0.5), panels = 64, h = 40.0 / Double(panels)
        var tailTerms: [Double] = []
        for i in 0..<panels {
            let mid = a + (Double(i) + 0.5) * h
            for (x, w) in Special.gauss8 {
                let u = mid + 0.5 * h * x
                tailTerms.append(Foundation.log(0.5 * h * w) + logF(Foundation.exp(u)) + u)
            }
        }
        let all = terms + tailTerms
        let m = all.max() ?? 0
        guard m.isFinite else { return m }
        return m + Foundation.log(all.reduce(0) { $0 + Foundation.exp($1 - m) })
    }

    /// Fits `alternative` to the tail (values ≥ xmin with counts) and returns parameters and ln p(value).
    static func fit(_ alternative: TailAlternative, values: [Double], counts: [Double], xmin: Double,
                    powerLawAlpha: Double) -> (parameters: [String: Double], logPMF: [Double]) {
        let n = counts.reduce(0, +)
        let xmax = values.max() ?? xmin
        let mean = zip(values, counts).reduce(0) { $0 + $1.0 * $1.1 } / n
        func negLogL(_ logF: (Double) -> Double) -> Double {
            let z = logNormalizer(logF, xmin: xmin, xmax: xmax)
            return -zip(values, counts).reduce(0) { $0 + $1.1 * (logF($1.0) - z) }
        }
        func pmf(_ logF: (Double) -> Double) -> [Double] {
            let z = logNormalizer(logF, xmin: xmin, xmax: xmax)
            return values.map { logF($0) - z }
        }
        switch alternative {
        case .exponential:
            let lambda = Foundation.log(1 + 1 / max(mean - xmin, 1e-12))
            return (["lambda": lambda], values.map { Foundation.log(-Foundation.expm1(-lambda)) - lambda * ($0 - xmin) })
        case .lognormal:
            let logs = values.map { Foundation.log($0) }
            let m0 = zip(logs, counts).reduce(0) { $0 + $1.0 * $1.1 } / n
            let s0 = max((zip(logs, counts).reduce(0) { $0 + $1.1 * ($1.0 - m0) * ($1.0 - m0) } / n).squareRoot(), 0.1)
            func logF(_ mu: Double, _ sigma: Double) -> (Double) -> Double {
                { x in let l = Foundation.log(x); return -l - (l - mu) * (l - mu) / (2 * sigma * sigma) }
            }
            let best = NelderMead.minimize({ p in negLogL(logF(p[0], Foundation.exp(p[1]))) }, start: [m0, Foundation.log(s0)],
                                           step: [s0, 0.5], maxEvaluations: 600)
            let mu = best.point[0], sigma = Foundation.exp(best.point[1])
            return (["mu": mu, "sigma": sigma], pmf(logF(mu, sigma)))
        case .truncatedPowerLaw:
            func logF(_ a: Double, _ lambda: Double) -> (Double) -> Double { { x in -a * Foundation.log(x) - lambda * x } }
            let best = NelderMead.minimize({ p in negLogL(logF(p[0], Foundation.exp(p[1]))) },
                                           start: [max(powerLawAlpha - 0.2, 0.5), Foundation.log(0.1 / mean)], step: [0.3, 1.0], maxEvaluations: 600)
            let a = best.point[0], lambda = Foundation.exp(best.point[1])
            return (["alpha": a, "lambda": lambda], pmf(logF(a, lambda)))
        case .stretchedExponential:
            func logF(_ lambda: Double, _ beta: Double) -> (Double) -> Double {
                { x in (beta - 1) * Foundation.log(x) - lambda * Foundation.pow(x, beta) }
            }
            let best = NelderMead.minimize({ p in negLogL(logF(Foundation.exp(p[0]), Foundation.exp(p[1]))) },
                                           start: [Foundation.log(1 / mean), Foundation.log(0.5)], step: [1.0, 0.3], maxEvaluations: 600)
            let lambda = Foundation.exp(best.point[0]), beta = Foundation.exp(best.point[1])
            return (["lambda": lambda, "beta": beta], pmf(logF(lambda, beta)))
        }
    }

    /// Discrete power law (α̂, x_min) versus `alternative`, Vuong's test with count weights (nested: χ²₁).
    public static func compare(values: [Double], counts: [Double], fit pl: PowerLawFit, alternative: TailAlternative,
                               significance: Double = 0.1) -> TailComparison {
        let tail = zip(values, counts).filter { $0.0 >= pl.xmin && $0.1 > 0 }
        let v = tail.map(\.0), c = tail.map(\.1)
        let logZ = Foundation.log(Special.hurwitzZeta(pl.alpha, pl.xmin))
        let plLog = v.map { -pl.alpha * Foundation.log($0) - logZ }
        let (parameters, altLog) = fit(alternative, values: v, counts: c, xmin: pl.xmin, powerLawAlpha: pl.alpha)
        let floorLog = Foundation.log(Double.leastNormalMagnitude)
        let l = zip(plLog, altLog).map { max($0, floorLog) - max($1, floorLog) }
        let n = c.reduce(0, +)
        let r = zip(l, c).reduce(0) { $0 + $1.0 * $1.1 }
        let mean = r / n
        let variance = zip(l, c).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) } / n
        if alternative.nestsPowerLaw {
            let p = Special.chiSquare1Survival(2 * abs(r))
            return TailComparison(alternative: alternative, R: r, logLikelihoodRatio: r, p: p,
                                  verdict: (r < 0 && p < significance) ? "alternative favoured" : "inconclusive",
                                  significance: significance, parameters: parameters, nested: true)
        }
        let sd = (n * variance).squareRoot()
        let p = sd > 0 ? Special.erfc(abs(r) / (2 * n * variance).squareRoot()) : 1
        let verdict = p < significance ? (r > 0 ? "power law favoured" : "alternative favoured") : "inconclusive"
        return TailComparison(alternative: alternative, R: sd > 0 ? r / sd : 0, logLikelihoodRatio: r, p: p, verdict: verdict,
                              significance: significance, parameters: parameters, nested: false)
    }
}
