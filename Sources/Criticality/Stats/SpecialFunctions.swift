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
        precondition(z > 0)
        // integrand in v: exp(g(v)), g(v) = (1 − p) v − z e^v; peak at v* = ln((1 − p)/z) if positive
        let vPeak = p < 1 ? max(0, Foundation.log((1 - p) / z)) : 0
        let gPeak = (1 - p) * vPeak - z * Foundation.exp(vPeak)
        var upper = vPeak + 1
        while (1 - p) * upper - z * Foundation.exp(upper) > gPeak - 40 && upper < 800 { upper = upper * 1.5 + 1 }
        let panels = 256
        let h = upper / Double(panels)
        var total = 0.0
        for i in 0..<panels {
            let mid = (Double(i) + 0.5) * h
            for (x, w) in gauss8 {
                let v = mid + 0.5 * h * x
                total += w * Foundation.exp((1 - p) * v - z * Foundation.exp(v) - gPeak)
            }
        }
        return Foundation.log(0.5 * h * total) + gPeak
    }

    /// 8-point Gauss–Legendre nodes and weights on [−1, 1].
    static let gauss8: [(Double, Double)] = [
        (-0.9602898564975363, 0.1012285362903763), (-0.7966664774136267, 0.2223810344533745),
        (-0.5255324099163290, 0.3137066458778873), (-0.1834346424956498, 0.3626837833783620),
        (0.1834346424956498, 0.3626837833783620), (0.5255324099163290, 0.3137066458778873),
        (0.7966664774136267, 0.2223810344533745), (0.9602898564975363, 0.1012285362903763),
    ]
}
