import CriticalityCore
import Foundation

/// The density e^{−a u − b u²}/Z(a, b) on u ≥ 0, b ≥ 0 — the truncated lognormal in the log-variable
/// u = ln(x/x_min), in its natural parameters a = (ln x_min − μ)/σ², b = 1/(2σ²). At b = 0 (a > 0) it
/// is the exponential density a e^{−a u}, i.e. the power law with α = 1 + a: the lognormal's
/// power-law limit σ → ∞, μ → −∞ is the boundary b = 0 of this parameterization.
///
/// With t = a/(2√b) and y = √b·u, Z = J₀/√b and the moments follow from J_k = ∫₀^∞ y^k e^{−2ty−y²} dy,
/// J₀ = (√π/2) erfcx(t), J₁ = ½ − tJ₀, J₂ = ½J₀ − tJ₁. Near the power-law limit (t → ∞) these
/// recursions cancel catastrophically (tJ₀ → ½), so for t ≥ 1.5 they are rewritten with the continued
/// fraction √π erfcx(t) = 1/(t + K), K = C₁, C_m = (m/2)/(t + C_{m+1}) (Abramowitz & Stegun 7.1.4;
/// backward recurrence, depth 40 + 300/t², which meets 10⁻¹⁶ from t = 1.5 on): J₁/J₀ = K and
/// J₂/J₀ = K·C₂ exactly, hence in terms of a alone
///   E u = [t/(t + C₂)]/a,  E u² = [t/(t + C₂)]·[2t/(t + C₃)]/a²,  ln Z = −ln a − log1p(K/t),
/// each factor → 1, 2 or 0 as b → 0 and none of them cancels or underflows (b down to the smallest
/// double). For t < 1.5 the closed form with erfc loses at most one digit; for t ≪ 0 (mode far
/// inside) 1/erfcx(t) underflows to 0 harmlessly (E y → −t, E y² → t² + ½).
public enum HalfLineGaussian {
    /// ln Z(a, b), E[u], E[u²]. Not normalizable (b = 0 with a ≤ 0, or b < 0): ln Z = +∞, moments NaN.
    public static func moments(a: Double, b: Double) -> (logZ: Double, mean: Double, meanSquare: Double) {
        guard b >= 0, b > 0 || a > 0, a.isFinite, b.isFinite else { return (.infinity, .nan, .nan) }
        if b == 0 { return (-Foundation.log(a), 1 / a, 2 / (a * a)) }
        let sb = b.squareRoot()
        let t = a / (2 * sb)
        if t >= 1.5 {
            let c = continuedFraction(t)
            let k = 0.5 / (t + c.c2)
            let f1 = t / (t + c.c2), f2 = 2 * t / (t + c.c3)
            return (-Foundation.log(a) - Foundation.log1p(k / t), f1 / a, f1 * f2 / (a * a))
        }
        let logJ0 = Foundation.log(Double.pi.squareRoot() / 2) + t * t + Foundation.log(Foundation.erfc(t))
        let r1 = 0.5 * Foundation.exp(-logJ0) - t   // J₁/J₀
        let r2 = 0.5 - t * r1                        // J₂/J₀
        return (logJ0 - 0.5 * Foundation.log(b), r1 / sb, r2 / b)
    }

    /// C₂ and C₃ of the continued fraction C_m = (m/2)/(t + C_{m+1}) for t ≥ 1.5.
    static func continuedFraction(_ t: Double) -> (c2: Double, c3: Double) {
        let depth = 40 + Int(min(300 / (t * t), 200))
        var c = 0.0
        for m in stride(from: depth, through: 4, by: -1) { c = (Double(m) / 2) / (t + c) }
        let c3 = 1.5 / (t + c)
        return (1 / (t + c3), c3)
    }
}
