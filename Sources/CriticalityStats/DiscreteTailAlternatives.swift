import CriticalityCore
import Foundation

/// The alternatives (`TailAlternative`) on the integers x ≥ x_min (Clauset et al. 2009, Table 2.1,
/// discrete column), each pmf f(x)/Σ_{y ≥ x_min} f(y), on the same limit-aware parameterizations as
/// the continuous fits (`TailComparisons`), with u = ln(x/x_min):
/// - exponential (geometric): (1 − e^{−λ}) e^{−λ(x − x_min)}, λ̂ = ln(1 + 1/mean(x − x_min));
/// - lognormal: f = x⁻¹ e^{−au − bu²}, b ≥ 0 (the power law α = 1 + a at b = 0), concave in (a, b);
/// - power law with cut-off: f = (x/x_min)^{−α} e^{−z x/x_min}, z = λx_min ≥ 0, concave in (α, z);
/// - stretched exponential: f = x⁻¹ e^{βu − κ g_β(u)}, g_β(u) = expm1(βu)/β (the power law α = 1 + κ
///   at β = 0). For each β, κ̂(β) is a bracketed root (the family is exponential in κ); the profile
///   in β is searched on a grid of βu_max from 10⁻³ to 32 (doubling it further while the maximum is
///   at its top) and refined by golden section around the best grid point.
/// Normalizers and means come from `DiscreteTailSum`. Data come as distinct values with counts
/// (histograms of intervals), so every sum is weighted.
public enum DiscreteTailComparisons {
    /// Discrete power law (α̂, x_min) versus `alternative` on `values` (distinct, with `counts`), by
    /// Vuong's sequential procedure with count weights (`LikelihoodRatioTest`).
    public static func compare(values: [Double], counts: [Double], fit pl: PowerLawFit, alternative: TailAlternative,
                               significance: Double = 0.1) -> TailComparison {
        let tail = zip(values, counts).filter { $0.0 >= pl.xmin && $0.1 > 0 }
        let v = tail.map(\.0), c = tail.map(\.1)
        let f = fit(alternative, values: v, counts: c, xmin: pl.xmin, powerLawAlpha: pl.alpha)
        return LikelihoodRatioTest.compare(f, alternative: alternative, counts: c, significance: significance)
    }

    struct Lognormal: DiscreteTerms {
        var a: Double, b: Double
        func logTerm(x: Double, logX: Double, u: Double) -> Double { -logX - a * u - b * u * u }
        func statistics(x: Double, logX: Double, u: Double) -> (Double, Double) { (u, u * u) }
    }

    struct Cutoff: DiscreteTerms {
        var alpha: Double, z: Double, xmin: Double
        func logTerm(x: Double, logX: Double, u: Double) -> Double { -alpha * u - z * (x / xmin) }
        func statistics(x: Double, logX: Double, u: Double) -> (Double, Double) { (u, x / xmin) }
    }

    struct Stretched: DiscreteTerms {
        var kappa: Double, beta: Double
        func logTerm(x: Double, logX: Double, u: Double) -> Double { -logX + beta * u - kappa * Stretched.g(beta, u) }
        func statistics(x: Double, logX: Double, u: Double) -> (Double, Double) { (Stretched.g(beta, u), u * u) }
        /// expm1(βu)/β, u at β = 0.
        static func g(_ beta: Double, _ u: Double) -> Double { beta == 0 ? u : Foundation.expm1(beta * u) / beta }
    }

    /// The alternative's fit and the pointwise ratios ln p_PL(v_j) − ln p_alt(v_j) against the discrete
    /// power law with exponent `powerLawAlpha` at `xmin`.
    static func fit(_ alternative: TailAlternative, values: [Double], counts: [Double], xmin: Double,
                    powerLawAlpha alpha: Double) -> AlternativeFit {
        let n = counts.reduce(0, +)
        let logXmin = Foundation.log(xmin)
        let u = values.map { Foundation.log($0 / xmin) }
        func mean(_ f: (Int) -> Double) -> Double { counts.indices.reduce(0) { $0 + counts[$1] * f($1) } / n }
        let m1 = mean { u[$0] }, m2 = mean { u[$0] * u[$0] }
        let logZeta = Foundation.log(Special.hurwitzZeta(alpha, xmin))
        let plLogLikelihood = -n * logZeta - alpha * counts.indices.reduce(0) { $0 + counts[$1] * (logXmin + u[$1]) }
        let sum = DiscreteTailSum(xmin: xmin)
        var evaluations = 0
        func finish(_ parameters: [String: Double], _ ratio: [Double], atLimit: Bool, converged: Bool, method: String,
                    weights: [Double]? = nil) -> AlternativeFit {
            let r = zip(ratio, counts).reduce(0) { $0 + $1.0 * $1.1 }
            let atLimit = atLimit || (alternative.nestsPowerLaw && r > 1e-9 * max(1, abs(plLogLikelihood)))
            let ratio = atLimit ? [Double](repeating: 0, count: values.count) : ratio
            let llr = zip(ratio, counts).reduce(0) { $0 + $1.0 * $1.1 }
            return AlternativeFit(parameters: parameters, ratio: ratio, logLikelihood: plLogLikelihood - llr, atLimit: atLimit,
                                  converged: converged, method: method, evaluations: evaluations, varianceTestWeights: weights)
        }
        /// The power law's a = α − 1 as the root of E_PL[u] = m₁ in this machinery (so that the
        /// boundary of each family is exactly its own limit), bracketed in ln a.
        func boundaryExponent() -> Double? {
            let f: (Double) -> Double = { s in
                evaluations += 1
                return sum.sums(Lognormal(a: Foundation.exp(s), b: 0)).mean1 - m1
            }
            guard let b = Search1D.bracketDecreasing(f, start: Foundation.log(alpha - 1), step: 0.01) else { return nil }
            let root = b.lo == b.hi ? b.lo : Search1D.brentRoot(f, b.lo, b.hi, tolerance: 1e-14).root
            return Foundation.exp(root)
        }
        switch alternative {
        case .exponential:
            let excess = values.map { $0 - xmin }
            let lambda = Foundation.log1p(1 / max(mean { excess[$0] }, 1e-300))
            let logNorm = Foundation.log(-Foundation.expm1(-lambda))
            let ratio = values.indices.map { j in -alpha * (logXmin + u[j]) - logZeta - logNorm + lambda * excess[j] }
            let plMoments = sum.sums(Lognormal(a: alpha - 1, b: 0))
            evaluations += 1
            let weights = LikelihoodRatioTest.varianceWeights(
                scoresF: u.map { plMoments.mean1 - $0 }, scoresG: excess.map { 1 / Foundation.expm1(lambda) - $0 },
                informationF: max(plMoments.mean2 - plMoments.mean1 * plMoments.mean1, .leastNormalMagnitude),
                informationG: Foundation.exp(lambda) / (Foundation.expm1(lambda) * Foundation.expm1(lambda)), counts: counts)
            return finish(["lambda": lambda], ratio, atLimit: false, converged: true, method: "closed form", weights: weights)
        case .lognormal:
            guard let a0 = boundaryExponent() else {
                return finish([:], [], atLimit: true, converged: false, method: "profile likelihood in (a, b), b ≥ 0")
            }
            let profile = BoundaryProfile(means: { a, b in evaluations += 1; let s = sum.sums(Lognormal(a: a, b: b)); return (s.mean1, s.mean2) },
                                          m1: m1, m2: m2, boundaryTheta1: a0, theta1Scale: a0, theta2Scale: 1 / m2)
            let best = profile.maximize()
            let (a, b) = (best.theta1, best.theta2)
            let logZ = sum.sums(Lognormal(a: a, b: b)).logZ
            var parameters = ["a": a, "b": b]
            if b > 0 { parameters["sigma"] = 1 / (2 * b).squareRoot(); parameters["mu"] = logXmin - a / (2 * b) }
            let c0 = (1 - alpha) * logXmin + logZ - logZeta
            let ratio = u.map { c0 + (1 - alpha + a) * $0 + b * $0 * $0 }
            return finish(parameters, ratio, atLimit: best.atLimit, converged: best.converged,
                          method: "profile likelihood in (a, b), b ≥ 0")
        case .truncatedPowerLaw:
            let t = values.map { $0 / xmin }
            let mt = mean { t[$0] }
            guard let a0 = boundaryExponent() else {
                return finish([:], [], atLimit: true, converged: false, method: "profile likelihood in (α, λ), λ ≥ 0")
            }
            let means: (Double, Double) -> (Double, Double) = { a, z in
                evaluations += 1
                let s = sum.sums(Cutoff(alpha: a, z: z, xmin: xmin))
                return (s.mean1, z == 0 && a <= 2 ? .infinity : s.mean2)
            }
            let profile = BoundaryProfile(means: means, m1: m1, m2: mt, boundaryTheta1: 1 + a0, theta1Scale: 1, theta2Scale: 1 / mt)
            let best = profile.maximize()
            let (a, z) = (best.theta1, best.theta2)
            let logZ = sum.sums(Cutoff(alpha: a, z: z, xmin: xmin)).logZ
            let c0 = logZ - logZeta - alpha * logXmin
            let ratio = values.indices.map { c0 + (a - alpha) * u[$0] + z * t[$0] }
            return finish(["alpha": a, "lambda": z / xmin], ratio, atLimit: best.atLimit, converged: best.converged,
                          method: "profile likelihood in (α, λ), λ ≥ 0")
        case .stretchedExponential:
            let method = "profile likelihood in β ≥ 0 (grid and golden section; κ by root)"
            guard let kappa0 = boundaryExponent() else { return finish([:], [], atLimit: true, converged: false, method: method) }
            let s = stretched(counts: counts, u: u, m2: m2, xmin: xmin, kappa0: kappa0, sum: sum)
            evaluations += s.evaluations
            if s.beta == 0 { return finish(["beta": 0, "kappa": kappa0], [], atLimit: true, converged: s.converged, method: method) }
            let logZ = sum.sums(Stretched(kappa: s.kappa, beta: s.beta)).logZ
            let c0 = (1 - alpha) * logXmin + logZ - logZeta
            let ratio = u.map { c0 + (1 - alpha - s.beta) * $0 + s.kappa * Stretched.g(s.beta, $0) }
            let lambda = Foundation.exp(Foundation.log(s.kappa) - Foundation.log(s.beta) - s.beta * logXmin)
            return finish(["beta": s.beta, "kappa": s.kappa, "lambda": lambda], ratio, atLimit: false, converged: s.converged,
                          method: method)
        }
    }

    /// The stretched exponential's maximum over β ≥ 0 (β = 0: the power law, κ = `kappa0`): κ̂(β) by a
    /// bracketed root for each β, the profile over β by grid and golden section (the discrete profile
    /// need not be concave).
    static func stretched(counts: [Double], u: [Double], m2: Double, xmin: Double, kappa0: Double,
                          sum: DiscreteTailSum) -> (beta: Double, kappa: Double, converged: Bool, evaluations: Int) {
        let n = counts.reduce(0, +)
        let sumU = zip(u, counts).reduce(0) { $0 + $1.0 * $1.1 }
        let sumLogX = n * Foundation.log(xmin) + sumU
        var converged = true
        var count = 0
        /// (κ̂, ℓ_p) at β; ℓ_p = Σ c φ(x) − n ln Z.
        func profile(_ beta: Double) -> (kappa: Double, logL: Double) {
            let gBar = zip(u, counts).reduce(0) { $0 + $1.1 * Stretched.g(beta, $1.0) } / n
            func logL(_ kappa: Double) -> Double {
                count += 1
                return -sumLogX + beta * sumU - kappa * gBar * n - n * sum.sums(Stretched(kappa: kappa, beta: beta)).logZ
            }
            if beta == 0 { return (kappa0, logL(kappa0)) }
            let f: (Double) -> Double = { s in count += 1; return sum.sums(Stretched(kappa: Foundation.exp(s), beta: beta)).mean1 - gBar }
            guard let b = Search1D.bracketDecreasing(f, start: Foundation.log(kappa0), step: 0.5, maxSteps: 60) else {
                converged = false
                return (.nan, -.infinity)
            }
            let root = b.lo == b.hi ? (root: b.lo, converged: true, evaluations: 0) : Search1D.brentRoot(f, b.lo, b.hi, tolerance: 1e-13)
            converged = converged && root.converged
            let k = Foundation.exp(root.root)
            return (k, logL(k))
        }
        let uMax = max(u.max() ?? 1, 1e-12)
        let at0 = profile(0)
        var grid: [(beta: Double, kappa: Double, logL: Double)] = [(0, at0.kappa, at0.logL)]
        var scales = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 2, 4, 8, 16, 32]
        var k = 0
        while k < scales.count {
            let p = profile(scales[k] / uMax)
            grid.append((scales[k] / uMax, p.kappa, p.logL))
            // still rising at the top of the grid: go on doubling (up to βu_max = 1,024)
            if k == scales.count - 1 && p.logL > grid[grid.count - 2].logL && scales[k] < 1024 { scales.append(2 * scales[k]) }
            k += 1
        }
        let best = grid.indices.max { grid[$0].logL < grid[$1].logL }!
        // slope of the profile at β = 0 ∝ E_PL[u²] − m₂ (envelope theorem)
        let slope0 = sum.sums(Lognormal(a: kappa0, b: 0)).mean2 - m2
        count += 1
        var beta = 0.0, kappa = kappa0, logL = at0.logL
        if best > 0 || slope0 > 0 {
            let lo = best <= 1 ? 0 : grid[best - 1].beta, hi = grid[min(best + 1, grid.count - 1)].beta
            let negative: (Double) -> Double = { -profile($0).logL }
            let b = lo == 0
                ? Search1D.goldenSection(negative, 0, hi, tolerance: 1e-7)
                : Foundation.exp(Search1D.goldenSection({ negative(Foundation.exp($0)) }, Foundation.log(lo), Foundation.log(hi), tolerance: 1e-7))
            let p = profile(b)
            if p.logL > logL { beta = b; kappa = p.kappa; logL = p.logL }
            if grid[best].logL > logL { beta = grid[best].beta; kappa = grid[best].kappa; logL = grid[best].logL }
        }
        return (beta, kappa, converged, count)
    }
}
