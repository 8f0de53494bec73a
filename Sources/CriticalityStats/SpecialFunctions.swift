import CriticalityCore
import Foundation

/// Special functions for the tail statistics, in Double.
public enum Special {
    /// ln Γ(x).
    public static func logGamma(_ x: Double) -> Double { Foundation.lgamma(x) }

    /// erfc(x).
    public static func erfc(_ x: Double) -> Double { Foundation.erfc(x) }

    /// ln erfc(x), accurate where erfc underflows (x ≳ 26) through the asymptotic series
    /// erfc x ≈ e^{−x²}/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶)).
    public static func logErfc(_ x: Double) -> Double {
        if x < 20 { return Foundation.log(Foundation.erfc(x)) }
        let x2 = x * x
        return -x2 - Foundation.log(x * Double.pi.squareRoot()) + Foundation.log1p(-1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2))
    }

    /// ln erfcx(t) = ln(e^{t²} erfc t) for every real t, without overflow or cancellation.
    ///
    /// - t < 1.5: t² + ln erfc(t) (erfc keeps its relative accuracy there; for t < 0 it lies in (1, 2]);
    /// - t ≥ 1.5: −½ ln π − ln(t + K) with the continued fraction K of `HalfLineGaussian`
    ///   (√π erfcx t = 1/(t + K)), which converges to 10⁻¹⁶ there.
    ///
    /// erfcx t → 1/(t√π) as t → ∞, so ln erfcx stays finite where erfc itself underflows (t ≳ 26.5).
    public static func logErfcx(_ t: Double) -> Double {
        if t < 1.5 { return t * t + Foundation.log(Foundation.erfc(t)) }
        let k = 0.5 / (t + HalfLineGaussian.continuedFraction(t).c2)
        return -0.5 * Foundation.log(Double.pi) - Foundation.log(t + k)
    }

    /// The exponentially scaled modified Bessel function I₀(x)e^{−|x|}, by the polynomial
    /// approximations of Abramowitz & Stegun 9.8.1 (|x| ≤ 3.75, |ε| < 1.6·10⁻⁷ relative) and 9.8.2
    /// (|x| > 3.75, |ε| < 1.9·10⁻⁷). Used for the weighted χ² survival function of Vuong's variance test.
    public static func besselI0Scaled(_ x: Double) -> Double {
        let ax = abs(x)
        if ax <= 3.75 {
            let t = (ax / 3.75) * (ax / 3.75)
            let i0 = 1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))))
            return i0 * Foundation.exp(-ax)
        }
        let t = 3.75 / ax
        let p = 0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281
            + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))))
        return p / ax.squareRoot()
    }

    /// P(Σ_i w_i Z_i² > q) for independent standard normal Z_i and weights w_i ≥ 0 (at most two of
    /// them non-zero): the null distribution of Vuong's variance statistic n·ω̂² for two one-parameter
    /// models (his Theorem 3.3, M_{p+q}(λ²)).
    ///
    /// One weight: erfc(√(q/2w)). Two weights a ≥ b > 0: the density of aZ₁² + bZ₂² is
    /// (2√(ab))⁻¹ e^{−s/2a} I₀e((s/4)(1/b − 1/a)), so with s = q + 2ay,
    /// P = √(a/b) e^{−q/2a} ∫₀^∞ e^{−y} I₀e(q(1/b − 1/a)/4 + (a/b − 1)y/2) dy, integrated in
    /// y = r² (which keeps the integrand smooth when a ≫ b, where I₀e falls like 1/√y near 0) by
    /// Gauss–Legendre panels on r ∈ [0, 8] (the mass beyond is below e^{−64}).
    /// Weights below 10⁻¹² of the largest are dropped. Accuracy ~10⁻⁶ absolute (the I₀e approximation).
    public static func weightedChiSquareSurvival(weights: [Double], _ q: Double) -> Double {
        guard q > 0 else { return 1 }
        let top = weights.max() ?? 0
        let w = weights.filter { $0 > 1e-12 * top && $0 > 0 }.sorted(by: >)
        precondition(w.count <= 2, "weightedChiSquareSurvival handles at most two weights")
        switch w.count {
        case 0: return 0
        case 1: return Foundation.erfc((q / (2 * w[0])).squareRoot())
        default:
            let a = w[0], b = w[1]
            let c0 = q * (1 / b - 1 / a) / 4, c1 = (a / b - 1) / 2
            let panels = 128, h = 8.0 / Double(panels)
            var total = 0.0
            for i in 0..<panels {
                let mid = (Double(i) + 0.5) * h
                for (x, wt) in gauss8 {
                    let r = mid + 0.5 * h * x, y = r * r
                    total += wt * 2 * r * Foundation.exp(-y) * besselI0Scaled(c0 + c1 * y)
                }
            }
            let p = (a / b).squareRoot() * Foundation.exp(-q / (2 * a)) * 0.5 * h * total
            return min(max(p, 0), 1)
        }
    }

    /// Survival function of χ² with one degree of freedom: P(χ²₁ > y) = erfc(√(y/2)).
    public static func chiSquare1Survival(_ y: Double) -> Double { y <= 0 ? 1 : Foundation.erfc((y / 2).squareRoot()) }

    /// Hurwitz zeta ζ(s, q) = Σ_{k≥0} (q + k)^{−s} for s > 1, q > 0, by Euler–Maclaurin summation
    /// (10 terms, then the integral, half-term and 6 Bernoulli corrections; relative error < 1e-14).
    public static func hurwitzZeta(_ s: Double, _ q: Double) -> Double {
        precondition(s > 1 && q > 0)
        let n = 10
        var sum = 0.0
        for k in 0..<n { sum += Foundation.pow(q + Double(k), -s) }
        let a = q + Double(n)
        sum += Foundation.pow(a, 1 - s) / (s - 1) + 0.5 * Foundation.pow(a, -s)
        // B_{2j}/(2j)! for j = 1…6
        let b: [Double] = [1.0 / 12, -1.0 / 720, 1.0 / 30240, -1.0 / 1_209_600, 1.0 / 47_900_160, -691.0 / 1_307_674_368_000]
        var fac = s * Foundation.pow(a, -s - 1)  // s(s+1)…(s+2j−2) · a^{−s−2j+1} for j = 1
        for j in 0..<b.count {
            sum += b[j] * fac
            let m = Double(2 * j)
            fac *= (s + m + 1) * (s + m + 2) / (a * a)  // next j: two more rising factors, a^{−2}
        }
        return sum
    }

    /// E_p(z) = ∫₁^∞ t^{−p} e^{−zt} dt (generalized exponential integral) for z > 0 and any real p, by
    /// Gauss–Legendre quadrature in v = ln t over [0, V] where the integrand has fallen below 1e-17 of its
    /// peak. Used to normalize the power law with exponential cut-off.
    public static func generalizedExponentialIntegral(p: Double, z: Double) -> Double {
        Foundation.exp(logGeneralizedExponentialIntegral(p: p, z: z))
    }

    /// ln of `generalizedExponentialIntegral`, without overflow.
    public static func logGeneralizedExponentialIntegral(p: Double, z: Double) -> Double {
        generalizedExponentialIntegralMoments(p: p, z: z).logE
    }

    /// ln E_p(z) and the first moments of the density t^{−p}e^{−zt}/E_p(z) on t ≥ 1 (the power law
    /// with exponential cut-off in t = x/x_min): E[ln t] = −∂ln E_p/∂p and E[t] = E_{p−1}(z)/E_p(z).
    ///
    /// Gauss–Legendre quadrature (8 points per panel, panels at most 0.5 wide) in v = ln t of
    /// e^{g(v)}(1, v, e^v), g(v) = (1 − p)v − z e^v, over [0, V]: V is where the slowest-decaying of
    /// the three integrands, e^{g(v)+v}, has fallen 40 nats (e^{−40} ≈ 4·10⁻¹⁸) below its peak, and at
    /// most 800. Everything is scaled by the peak of e^{g}, so nothing overflows. Needs z > 0.
    public static func generalizedExponentialIntegralMoments(p: Double, z: Double) -> (logE: Double, meanLogT: Double, meanT: Double) {
        precondition(z > 0)
        // peak of g at v* = ln((1 − p)/z) if that is positive; of g + v at ln((2 − p)/z)
        let vPeak = p < 1 ? max(0, Foundation.log((1 - p) / z)) : 0
        let gPeak = (1 - p) * vPeak - z * Foundation.exp(vPeak)
        let wPeakV = p < 2 ? max(0, Foundation.log((2 - p) / z)) : 0
        let wPeak = (2 - p) * wPeakV - z * Foundation.exp(wPeakV)
        var upper = wPeakV + 1
        while (2 - p) * upper - z * Foundation.exp(upper) > wPeak - 40 && upper < 800 { upper = upper * 1.5 + 1 }
        upper = min(upper, 800)
        let panels = min(max(64, Int((upper / 0.5).rounded(.up))), 1600)
        let h = upper / Double(panels)
        var s0 = 0.0, s1 = 0.0, s2 = 0.0
        for i in 0..<panels {
            let mid = (Double(i) + 0.5) * h
            for (x, w) in gauss8 {
                let v = mid + 0.5 * h * x
                let g = (1 - p) * v - z * Foundation.exp(v) - gPeak
                let f = w * Foundation.exp(g)
                s0 += f
                s1 += f * v
                s2 += w * Foundation.exp(g + v)
            }
        }
        return (Foundation.log(0.5 * h * s0) + gPeak, s1 / s0, s2 / s0)
    }

    /// 8-point Gauss–Legendre nodes and weights on [−1, 1].
    static let gauss8: [(Double, Double)] = [
        (-0.9602898564975363, 0.1012285362903763), (-0.7966664774136267, 0.2223810344533745),
        (-0.5255324099163290, 0.3137066458778873), (-0.1834346424956498, 0.3626837833783620),
        (0.1834346424956498, 0.3626837833783620), (0.5255324099163290, 0.3137066458778873),
        (0.7966664774136267, 0.2223810344533745), (0.9602898564975363, 0.1012285362903763),
    ]
}
