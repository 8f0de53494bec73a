import Foundation
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// Samples with known parameters for the comparison tests, and brute-force maximum likelihoods that
/// share no code with the fits under test: normalizers by plain summation or Simpson's rule, the
/// limit parameter on a fine grid (0 included) refined by golden section, the other by golden section.
enum AlternativeSamples {
    /// Continuous tail x ≥ x_min of e^{−au−bu²} in u = ln(x/x_min) (the lognormal, a > 0), by
    /// rejection from the power law e^{−au} with acceptance e^{−bu²}.
    static func lognormal(a: Double, b: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
        var out: [Double] = []
        while out.count < count {
            let u = -log(1 - rng.uniformDouble()) / a
            if rng.uniformDouble() < exp(-b * u * u) { out.append(xmin * exp(u)) }
        }
        return out
    }

    /// The lognormal (μ, σ) conditioned on x ≥ x_min, by rejection.
    static func lognormalTruncated(mu: Double, sigma: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
        var out: [Double] = []
        while out.count < count { let v = exp(mu + sigma * rng.normal()); if v >= xmin { out.append(v) } }
        return out
    }

    /// x^{−α}e^{−λx} on x ≥ x_min (α > 1) by rejection from the power law.
    static func cutoff(alpha: Double, lambda: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
        var out: [Double] = []
        while out.count < count {
            let v = samplePowerLaw(alpha: alpha, xmin: xmin, count: 1, rng: &rng)[0]
            if rng.uniformDouble() < exp(-lambda * (v - xmin)) { out.append(v) }
        }
        return out
    }

    /// The stretched exponential βλx^{β−1}e^{−λ(x^β − x_min^β)} by inversion.
    static func stretched(beta: Double, lambda: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
        (0..<count).map { _ in pow(pow(xmin, beta) - log(1 - rng.uniformDouble()) / lambda, 1 / beta) }
    }

    /// λe^{−λ(x − x_min)}.
    static func exponential(lambda: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
        (0..<count).map { _ in xmin - log(1 - rng.uniformDouble()) / lambda }
    }

    /// Integers from the pmf ∝ e^{logF(x)} on x_min…top by inversion of the cumulative table
    /// (mass above `top` must be negligible), as (distinct values, counts).
    static func discrete(_ logF: (Double) -> Double, xmin: Double, top: Double, count: Int, rng: inout RNG) -> (values: [Double], counts: [Double]) {
        let xs = Array(stride(from: xmin, through: top, by: 1))
        let l = xs.map(logF)
        let m = l.max()!
        var cdf = [Double](), s = 0.0
        for v in l { s += exp(v - m); cdf.append(s) }
        var tally = [Double](repeating: 0, count: xs.count)
        for _ in 0..<count {
            let r = rng.uniformDouble() * s
            tally[ContinuousPowerLaw.firstIndex(atLeast: r, in: cdf)] += 1
        }
        let kept = tally.indices.filter { tally[$0] > 0 }
        return (kept.map { xs[$0] }, kept.map { tally[$0] })
    }

    /// Exact discrete power-law samples (α > 2 keeps the mass above `top` = 10⁶ below 10⁻⁸).
    static func discretePowerLaw(alpha: Double, xmin: Double, count: Int, rng: inout RNG) -> (values: [Double], counts: [Double]) {
        discrete({ -alpha * log($0) }, xmin: xmin, top: 1e6, count: count, rng: &rng)
    }
}

enum BruteForce {
    /// max over θ₂ ∈ {0} ∪ a geometric grid of `points` values in [lo, hi] (then golden section around
    /// the best) of max over θ₁ of `logL` (golden section on θ₁'s bracket for that θ₂).
    static func profileMaximum(_ logL: (Double, Double) -> Double, theta2 lo: Double, _ hi: Double, points: Int,
                               theta1: (Double) -> (Double, Double)) -> Double {
        func profile(_ t2: Double) -> Double {
            let (a, b) = theta1(t2)
            let best = Search1D.goldenSection({ -logL($0, t2) }, a, b, tolerance: 1e-10)
            return logL(best, t2)
        }
        var grid = [(0.0, profile(0))]
        for k in 0..<points {
            let t2 = lo * pow(hi / lo, Double(k) / Double(points - 1))
            grid.append((t2, profile(t2)))
        }
        let i = grid.indices.max { grid[$0].1 < grid[$1].1 }!
        let left = i == 0 ? 0 : grid[i - 1].0, right = grid[min(i + 1, grid.count - 1)].0
        let refined = Search1D.goldenSection({ -profile($0) }, left, right, tolerance: 1e-12)
        return max(grid[i].1, profile(refined))
    }

    /// Simpson's rule for ∫_a^b f with `n` (even) intervals.
    static func simpson(_ f: (Double) -> Double, _ a: Double, _ b: Double, _ n: Int = 4000) -> Double {
        let h = (b - a) / Double(n)
        var s = f(a) + f(b)
        for i in 1..<n { s += (i % 2 == 1 ? 4 : 2) * f(a + Double(i) * h) }
        return s * h / 3
    }

    /// The continuous lognormal's maximum log-likelihood Σ ln p(x_i), p(x) = e^{−au−bu²}/(x Z).
    static func lognormal(_ tail: [Double], xmin: Double) -> Double {
        let u = tail.map { log($0 / xmin) }, n = Double(u.count)
        let su = u.reduce(0, +), su2 = u.reduce(0) { $0 + $1 * $1 }, slx = tail.reduce(0) { $0 + log($1) }
        let m1 = su / n
        func logL(_ a: Double, _ b: Double) -> Double {
            let z: Double
            if b == 0 { z = a > 0 ? 1 / a : .infinity } else {
                // Simpson over the mass: [0, mode + 40 sd] or [0, 60/a]
                let top = a > 0 ? min(60 / a, 40 / b.squareRoot()) : -a / (2 * b) + 40 / (2 * b).squareRoot()
                let shift = a < 0 ? a * a / (4 * b) : 0   // peak of −au − bu², so the integrand never overflows
                z = simpson({ exp(-a * $0 - b * $0 * $0 - shift) }, 0, top, 4000) * exp(shift)
            }
            return -slx - a * su - b * su2 - n * log(z)
        }
        return profileMaximum(logL, theta2: 1e-10 / (m1 * m1), 100 / (m1 * m1), points: 60) { b in
            (-5 / m1 - 40 * b * m1, 1 / m1 + 1e-9) }
    }

    /// The continuous power law with cut-off: Σ ln p(x_i), p(x) = x^{−α}e^{−λx}/∫_{x_min}^∞.
    static func cutoff(_ tail: [Double], xmin: Double) -> Double {
        let t = tail.map { $0 / xmin }, n = Double(t.count)
        let slt = t.reduce(0) { $0 + log($1) }, st = t.reduce(0, +)
        let m1 = slt / n
        func logL(_ a: Double, _ z: Double) -> Double {
            let e: Double
            if z == 0 { e = a > 1 ? 1 / (a - 1) : .infinity } else {
                let top = max(log(max((2 - a) / z, 1)), 0) + log(80 / z + 1) + 2
                e = simpson({ v in exp((1 - a) * v - z * exp(v)) }, 0, top, 8000)
            }
            return -a * slt - z * st - n * log(e) - n * log(xmin)
        }
        return profileMaximum(logL, theta2: 1e-10 / (st / n), 100 / (st / n), points: 60) { _ in (1 + 1 / m1 - 6, 1 + 1 / m1 + 1e-9) }
    }

    /// The continuous stretched exponential in its original parameters: β on the grid, λ̂(β) =
    /// n/Σ(x^β − x_min^β) in closed form; β = 0 is the power law.
    static func stretched(_ tail: [Double], xmin: Double) -> Double {
        let n = Double(tail.count)
        let slx = tail.reduce(0) { $0 + log($1) }
        let alpha = 1 + n / tail.reduce(0) { $0 + log($1 / xmin) }
        let pl = n * log(alpha - 1) - n * log(xmin) - alpha * tail.reduce(0) { $0 + log($1 / xmin) }
        func logL(_ unused: Double, _ beta: Double) -> Double {
            if beta == 0 { return pl }
            let s = tail.reduce(0) { $0 + pow($1, beta) - pow(xmin, beta) }
            let lambda = n / s
            return n * log(beta) + n * log(lambda) + (beta - 1) * slx - lambda * s
        }
        return profileMaximum(logL, theta2: 1e-6, 5, points: 200) { _ in (0, 0) }  // λ̂(β) is closed form: no inner search
    }

    /// ln Σ_{x ≥ x_min} e^{logF(x)}: plain summation to X = x_min + 2,000, then ∫_{X+½}^∞ by Simpson in
    /// ln x (the midpoint rule's error, α²/(24X²) of a tail that holds (x_min/X)^{α−1} of the mass, is
    /// below 10⁻¹¹ here).
    static func discreteLogNormalizer(_ logF: (Double) -> Double, xmin: Double) -> Double {
        let top = xmin + 2000
        var terms: [Double] = []
        var x = xmin
        while x <= top { terms.append(logF(x)); x += 1 }
        let m = terms.max()!
        var s = terms.reduce(0) { $0 + exp($1 - m) }
        let v0 = log(top + 0.5)
        s += simpson({ v in exp(logF(exp(v)) + v - m) }, v0, v0 + 60, 3000)
        return m + log(s)
    }

    /// Discrete lognormal f = x⁻¹e^{−au−bu²} on distinct `values` with `counts`.
    static func discreteLognormal(values: [Double], counts: [Double], xmin: Double) -> Double {
        let u = values.map { log($0 / xmin) }, n = counts.reduce(0, +)
        let su = zip(u, counts).reduce(0) { $0 + $1.0 * $1.1 }, su2 = zip(u, counts).reduce(0) { $0 + $1.0 * $1.0 * $1.1 }
        let slx = zip(values, counts).reduce(0) { $0 + log($1.0) * $1.1 }
        let m1 = su / n
        func logL(_ a: Double, _ b: Double) -> Double {
            if b == 0 && a <= 0.02 { return -.infinity }
            let z = discreteLogNormalizer({ x in let w = log(x / xmin); return -log(x) - a * w - b * w * w }, xmin: xmin)
            return -slx - a * su - b * su2 - n * z
        }
        return profileMaximum(logL, theta2: 1e-8 / (m1 * m1), 10 / (m1 * m1), points: 40) { b in (max(0.02, 1 / m1 - 3) - 20 * b * m1, 1 / m1 + 1) }
    }

    /// Discrete stretched exponential f = x^{β−1}e^{−λx^β} in (λ, β): β on the grid, λ by golden section
    /// in ln λ (β = 0: the discrete power law by Hurwitz ζ, α by golden section).
    static func discreteStretched(values: [Double], counts: [Double], xmin: Double) -> Double {
        let n = counts.reduce(0, +)
        let slx = zip(values, counts).reduce(0) { $0 + log($1.0) * $1.1 }
        func logL(_ logLambda: Double, _ beta: Double) -> Double {
            if beta == 0 {
                let a = 1 + exp(logLambda)  // at β = 0 the first parameter stands for ln(α − 1)
                return -a * slx - n * log(Special.hurwitzZeta(a, xmin))
            }
            let lambda = exp(logLambda)
            let sxb = zip(values, counts).reduce(0) { $0 + pow($1.0, beta) * $1.1 }
            let z = discreteLogNormalizer({ x in (beta - 1) * log(x) - lambda * (pow(x, beta) - pow(xmin, beta)) }, xmin: xmin)
            return (beta - 1) * slx - lambda * (sxb - n * pow(xmin, beta)) - n * z
        }
        return profileMaximum(logL, theta2: 1e-5, 2, points: 40) { beta in
            beta == 0 ? (log(0.05), log(10)) : (log(1e-3) - beta * log(xmin) - log(beta) - 8, log(10) - beta * log(xmin) - log(beta) + 8)
        }
    }
}

/// A tail stored beside the tests (Tests/CriticalityTests/Stats/Fixtures/README.md says where from).
func fixture(_ name: String) throws -> [Double] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).npy")
    return try Npy.readDoubles(path: url.path).values
}
