import CriticalityCore
import Foundation

/// Spearman's rank correlation and the one-sample t-test, with the p-values SciPy reports
/// (`scipy.stats.spearmanr`, `scipy.stats.ttest_1samp`; reference values in
/// Tests/CriticalityTests/Stats/Reference/stability_reference.py).
public enum RankAndMeanTests {
    /// Ranks 1…n with ties given their average rank.
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = average }
            i = j + 1
        }
        return r
    }

    /// Pearson's correlation of x and y; nan when either is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        guard sxx > 0, syy > 0 else { return .nan }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman's ρ (Pearson's of the ranks) and the two-sided p-value of ρ = 0 from
    /// t = ρ√((n − 2)/(1 − ρ²)) with n − 2 degrees of freedom (SciPy's default). Needs n ≥ 3.
    public static func spearman(_ x: [Double], _ y: [Double]) -> (rho: Double, p: Double) {
        precondition(x.count == y.count && x.count >= 3)
        let rho = pearson(ranks(x), ranks(y))
        guard rho.isFinite else { return (.nan, .nan) }
        let dof = Double(x.count - 2)
        if abs(rho) >= 1 { return (rho, 0) }
        let t = rho * (dof / ((1 - rho) * (1 + rho))).squareRoot()
        return (rho, Special.studentTTwoSidedP(t, degreesOfFreedom: dof))
    }

    /// The two-sided one-sample t-test of mean(d) = 0: t = d̄/(s/√n), s with n − 1, p from Student's t
    /// with n − 1 degrees of freedom. Needs n ≥ 2; a constant sample gives t = ±∞ (p = 0) or nan (d ≡ 0).
    public static func oneSampleT(_ d: [Double]) -> (t: Double, p: Double) {
        precondition(d.count >= 2)
        let n = Double(d.count)
        let mean = d.reduce(0, +) / n
        let s = (d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        guard s > 0 else { return mean == 0 ? (.nan, .nan) : (mean > 0 ? .infinity : -.infinity, 0) }
        let t = mean / (s / n.squareRoot())
        return (t, Special.studentTTwoSidedP(t, degreesOfFreedom: n - 1))
    }
}

extension Special {
    /// P(|T| ≥ |t|) for Student's t with ν degrees of freedom: I_{ν/(ν+t²)}(ν/2, 1/2).
    public static func studentTTwoSidedP(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return regularizedIncompleteBeta(nu / 2, 0.5, nu / (nu + t * t))
    }

    /// The regularized incomplete beta function I_x(a, b) = B(x; a, b)/B(a, b) for a, b > 0 and
    /// 0 ≤ x ≤ 1, by its continued fraction (modified Lentz), on the side x < (a+1)/(a+b+2) where it
    /// converges fast and the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) otherwise. Relative accuracy
    /// ~10⁻¹⁴ for moderate a, b, ~10⁻¹³ at a = b = 100, where log B(a, b) from three lgamma values
    /// cancels (tests against SciPy's `betainc`).
    public static func regularizedIncompleteBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(b, a, 1 - x) }
        let logFront = a * Foundation.log(x) + b * Foundation.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b)) - Foundation.log(a)
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...10_000 {
            let m2 = Double(2 * m), md = Double(m)
            var num = md * (b - md) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            num = -(a + md) * (a + b + md) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return Foundation.exp(logFront) * f
    }
}
