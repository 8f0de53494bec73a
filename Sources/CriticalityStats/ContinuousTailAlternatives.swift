import CriticalityCore
import Foundation

/// Maximum-likelihood fits of the alternatives (`TailAlternative`) to a continuous tail x_i ≥ x_min,
/// each on a parameterization that cannot leave its valid domain and that contains the power-law
/// limit as a boundary point, so that the maximum is found without starting points and the limit is
/// recognized exactly. All work in u_i = ln(x_i/x_min) ≥ 0; the power law is (α − 1)e^{−(α−1)u}.
///
/// - exponential: λ̂ = 1/mean(x − x_min), closed form.
/// - lognormal: natural parameters a = (ln x_min − μ)/σ², b = 1/(2σ²) ≥ 0, concave log-likelihood
///   (`BoundaryProfile`, normalizer `HalfLineGaussian`); the power law is b = 0.
/// - power law with cut-off: (α, z = λx_min ≥ 0), concave (`BoundaryProfile`, normalizer
///   `Special.generalizedExponentialIntegralMoments`); the power law is z = 0.
/// - stretched exponential: with κ = λβx_min^β the density is κ x⁻¹ e^{βu − κ g_β(u)},
///   g_β(u) = expm1(βu)/β → u as β → 0 (the power law, α = 1 + κ). κ̂(β) = n/Σg_β(u_i) exactly, and
///   the profile ℓ_p(β) = n ln κ̂ − n + (β − 1)Σu − n ln x_min is concave (ln Σg_β is convex in β:
///   each g_β(u) = ∫₀^u e^{βs} ds is log-convex), so β̂ is the root of its slope, bracketed in ln β.
///
/// At β = 0 and b = 0 both profiles have slope ∝ 2m₁² − m₂ (m_k the sample moments of u): the
/// maximum is the power law exactly when mean(u²) ≥ 2 mean(u)², as for samples of the power law
/// itself about half of the time.
public enum TailComparisons {
    /// Power law (α̂, x_min) versus `alternative` on `tail` (all ≥ x_min), by Vuong's sequential
    /// procedure (`LikelihoodRatioTest`).
    public static func compare(tail: [Double], fit pl: PowerLawFit, alternative: TailAlternative,
                               significance: Double = 0.1) -> TailComparison {
        let f = fit(alternative, tail: tail, xmin: pl.xmin, powerLawAlpha: pl.alpha)
        return LikelihoodRatioTest.compare(f, alternative: alternative, significance: significance)
    }

    /// The alternative's maximum-likelihood fit and the pointwise ratios against the power law with
    /// exponent `powerLawAlpha` at `xmin` (normally the power law's own MLE on this tail).
    static func fit(_ alternative: TailAlternative, tail: [Double], xmin: Double, powerLawAlpha alpha: Double) -> AlternativeFit {
        let n = Double(tail.count)
        let u = tail.map { Foundation.log($0 / xmin) }
        let sumU = u.reduce(0, +)
        let m1 = sumU / n
        let logXmin = Foundation.log(xmin)
        let plLogLikelihood = n * Foundation.log(alpha - 1) - n * logXmin - alpha * sumU
        let logAlpha1 = Foundation.log(alpha - 1)
        func finish(_ parameters: [String: Double], _ ratio: [Double], atLimit: Bool, converged: Bool, method: String,
                    evaluations: Int, weights: [Double]? = nil) -> AlternativeFit {
            // A family that contains the power law never ends below it; if a fit did, its limit is better.
            let atLimit = atLimit || (alternative.nestsPowerLaw && ratio.reduce(0, +) > 1e-9 * max(1, abs(plLogLikelihood)))
            let ratio = atLimit ? [Double](repeating: 0, count: tail.count) : ratio
            return AlternativeFit(parameters: parameters, ratio: ratio, logLikelihood: plLogLikelihood - ratio.reduce(0, +),
                                  atLimit: atLimit, converged: converged, method: method, evaluations: evaluations,
                                  varianceTestWeights: weights)
        }
        switch alternative {
        case .exponential:
            let excess = tail.map { $0 - xmin }
            let lambda = 1 / max(excess.reduce(0, +) / n, .leastNormalMagnitude)
            let logLambda = Foundation.log(lambda)
            let ratio = zip(u, excess).map { ui, d in logAlpha1 - logXmin - alpha * ui - logLambda + lambda * d }
            let weights = LikelihoodRatioTest.varianceWeights(
                scoresF: u.map { 1 / (alpha - 1) - $0 }, scoresG: excess.map { 1 / lambda - $0 },
                informationF: 1 / ((alpha - 1) * (alpha - 1)), informationG: 1 / (lambda * lambda))
            return finish(["lambda": lambda], ratio, atLimit: false, converged: true, method: "closed form", evaluations: 0,
                          weights: weights)
        case .lognormal:
            let m2 = u.reduce(0) { $0 + $1 * $1 } / n
            let profile = BoundaryProfile(means: { a, b in let m = HalfLineGaussian.moments(a: a, b: b); return (m.mean, m.meanSquare) },
                                          m1: m1, m2: m2, boundaryTheta1: 1 / m1, theta1Scale: 1 / m1, theta2Scale: 1 / m2)
            let best = profile.maximize()
            let (a, b) = (best.theta1, best.theta2)
            let logZ = HalfLineGaussian.moments(a: a, b: b).logZ
            var parameters = ["a": a, "b": b]
            if b > 0 {
                parameters["sigma"] = 1 / (2 * b).squareRoot()
                parameters["mu"] = logXmin - a / (2 * b)
            }
            let ratio = u.map { ui in logAlpha1 + logZ + (a - (alpha - 1)) * ui + b * ui * ui }
            return finish(parameters, ratio, atLimit: best.atLimit, converged: best.converged,
                          method: "profile likelihood in (a, b), b ≥ 0", evaluations: best.evaluations)
        case .truncatedPowerLaw:
            let t = tail.map { $0 / xmin }
            let mt = t.reduce(0, +) / n
            let means: (Double, Double) -> (Double, Double) = { a, z in
                if z == 0 { return a > 1 ? (1 / (a - 1), a > 2 ? (a - 1) / (a - 2) : .infinity) : (.nan, .nan) }
                let m = Special.generalizedExponentialIntegralMoments(p: a, z: z)
                return (m.meanLogT, m.meanT)
            }
            let profile = BoundaryProfile(means: means, m1: m1, m2: mt, boundaryTheta1: 1 + 1 / m1, theta1Scale: 1, theta2Scale: 1 / mt)
            let best = profile.maximize()
            let (a, z) = (best.theta1, best.theta2)
            let logE = z > 0 ? Special.logGeneralizedExponentialIntegral(p: a, z: z) : -Foundation.log(a - 1)
            let ratio = zip(u, t).map { ui, ti in logAlpha1 + logE + (a - alpha) * ui + z * ti }
            return finish(["alpha": a, "lambda": z / xmin], ratio, atLimit: best.atLimit, converged: best.converged,
                          method: "profile likelihood in (α, λ), λ ≥ 0", evaluations: best.evaluations)
        case .stretchedExponential:
            let m2 = u.reduce(0) { $0 + $1 * $1 } / n
            let uMax = u.max() ?? 0
            var evaluations = 0
            // slope of the profile / n: m₁ − G'(β)/G(β)
            let slope: (Double) -> Double = { s in
                evaluations += 1
                let g = StretchedExponentialSums(u: u, beta: Foundation.exp(s), uMax: uMax)
                return m1 - g.derivativeRatio
            }
            var beta = 0.0, converged = true, atLimit = false
            if 2 * m1 * m1 - m2 <= 0 {
                atLimit = true
            } else if let b = Search1D.bracketDecreasing(slope, start: Foundation.log(1 / max(uMax, 1e-300)), step: 2, maxSteps: 12) {
                let root = b.lo == b.hi ? (root: b.lo, converged: true, evaluations: 0) : Search1D.brentRoot(slope, b.lo, b.hi, tolerance: 1e-12)
                beta = Foundation.exp(root.root)
                converged = root.converged
            } else {
                atLimit = true
                converged = false
            }
            if atLimit || beta == 0 {
                return finish(["beta": 0, "kappa": 1 / m1], [], atLimit: true, converged: converged,
                              method: "profile likelihood in β ≥ 0 (κ exact)", evaluations: evaluations)
            }
            let g = StretchedExponentialSums(u: u, beta: beta, uMax: uMax)
            let logKappa = Foundation.log(n) - g.logSum
            let logBeta = Foundation.log(beta)
            let ratio = u.map { ui -> Double in
                let z = beta * ui
                let logG = (z < 30 ? Foundation.log(Foundation.expm1(z)) : z + Foundation.log1p(-Foundation.exp(-z))) - logBeta
                return logAlpha1 - logKappa - (alpha - 1 + beta) * ui + Foundation.exp(logKappa + logG)
            }
            return finish(["beta": beta, "kappa": Foundation.exp(logKappa), "lambda": Foundation.exp(logKappa - logBeta - beta * logXmin)],
                          ratio, atLimit: false, converged: converged, method: "profile likelihood in β ≥ 0 (κ exact)",
                          evaluations: evaluations)
        }
    }
}

/// G(β) = Σ g_β(u_i), g_β(u) = expm1(βu)/β, and G'(β)/G(β), without overflow or cancellation:
/// g'_β(u) = u² q(βu), q(z) = (z e^z − expm1 z)/z² = Σ_k z^k (k+1)/(k+2)! (series for |z| < 1);
/// when βu_max > 600 both sums are scaled by e^{−βu_max}.
struct StretchedExponentialSums {
    /// ln G(β).
    var logSum: Double
    /// G'(β)/G(β).
    var derivativeRatio: Double

    init(u: [Double], beta: Double, uMax: Double) {
        let zMax = beta * uMax
        var g = 0.0, dg = 0.0
        if zMax <= 600 {
            for ui in u {
                let z = beta * ui
                g += Foundation.expm1(z)
                dg += ui * ui * StretchedExponentialSums.q(z)
            }
            logSum = Foundation.log(g) - Foundation.log(beta)
            derivativeRatio = beta * dg / g
        } else {
            let tiny = Foundation.exp(-zMax)
            for ui in u {
                let z = beta * ui
                let e = Foundation.exp(z - zMax)
                g += e - tiny
                dg += z * e - e + tiny
            }
            logSum = zMax + Foundation.log(g) - Foundation.log(beta)
            derivativeRatio = dg / (beta * g)
        }
    }

    /// (z e^z − expm1 z)/z².
    static func q(_ z: Double) -> Double {
        if abs(z) < 1 {
            var term = 0.5, sum = 0.5, k = 0.0
            while abs(term) > 1e-17 * abs(sum) {
                term *= z * (k + 2) / ((k + 1) * (k + 3))  // (k+1)/(k+2)! → (k+2)/(k+3)!
                sum += term
                k += 1
            }
            return sum
        }
        return (z * Foundation.exp(z) - Foundation.expm1(z)) / (z * z)
    }
}
