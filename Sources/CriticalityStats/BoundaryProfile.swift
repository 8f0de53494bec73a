import CriticalityCore
import Foundation

/// Maximum likelihood for a two-parameter exponential family whose second natural parameter is
/// constrained to θ₂ ≥ 0 and whose boundary θ₂ = 0 is the power law: the lognormal (θ = (a, b),
/// T = (u, u²)) and the power law with exponential cut-off (θ = (α, λx_min), T = (ln t, t)), both
/// continuous and discrete.
///
/// The density is ∝ h(x) e^{−θ₁T₁(x) − θ₂T₂(x)}, so the log-likelihood per observation,
/// −θ₁ m₁ − θ₂ m₂ − ln Z(θ), is concave (ln Z is convex, its gradient −(E T₁, E T₂)). The maximum is
/// found on the profile θ₁ ↦ θ̂₁(θ₂) without choosing any starting point:
/// 1. inner: θ̂₁(θ₂) solves E[T₁] = m₁ (E[T₁] decreases in θ₁), a bracketed root;
/// 2. outer: the profile's slope is n·D(θ₂), D = E[T₂](θ̂₁(θ₂), θ₂) − m₂, which decreases in θ₂
///    (the profile of a concave function is concave). If D(0) ≤ 0 — the Karush–Kuhn–Tucker condition
///    at the boundary — the maximum is the power law itself (`atLimit`); otherwise θ̂₂ is the root
///    of D, bracketed in ln θ₂.
///
/// Because E[T₁] also decreases in θ₂ (T₁ and T₂ are comonotone, so Cov(T₁, T₂) > 0), the boundary's
/// θ₁ is an upper end of every inner bracket.
struct BoundaryProfile {
    /// (E T₁, E T₂) at (θ₁, θ₂); NaN where the density is not normalizable.
    var means: (Double, Double) -> (Double, Double)
    /// Sample means of T₁ and T₂.
    var m1: Double
    var m2: Double
    /// θ̂₁ at θ₂ = 0 (the power law's maximum-likelihood fit).
    var boundaryTheta1: Double
    /// Scale of θ₁ for the inner bracket's first step.
    var theta1Scale: Double
    /// Scale of θ₂ for the outer bracket's first guess.
    var theta2Scale: Double

    struct Result {
        var theta1: Double
        var theta2: Double
        var atLimit: Bool
        var converged: Bool
        var evaluations: Int
    }

    func maximize() -> Result {
        var evaluations = 0
        func inner(_ theta2: Double) -> (theta1: Double, d: Double, ok: Bool) {
            let f: (Double) -> Double = { t1 in
                evaluations += 1
                let e = means(t1, theta2).0
                return e.isNaN ? .nan : min(max(e - m1, -1e300), 1e300)
            }
            guard let b = Search1D.bracketDecreasing(f, start: boundaryTheta1, step: theta1Scale) else { return (.nan, .nan, false) }
            let r = b.lo == b.hi ? (root: b.lo, converged: true, evaluations: 0) : Search1D.brentRoot(f, b.lo, b.hi, tolerance: 1e-14 * max(1, abs(boundaryTheta1)))
            evaluations += 1
            let e2 = means(r.root, theta2).1
            return (r.root, e2 - m2, r.converged && !e2.isNaN)
        }
        let d0 = means(boundaryTheta1, 0).1 - m2
        evaluations += 1
        if !(d0 > 0) {
            return Result(theta1: boundaryTheta1, theta2: 0, atLimit: true, converged: !d0.isNaN, evaluations: evaluations)
        }
        // outer root of D(θ₂) in s = ln θ₂
        var ok = true
        let outer: (Double) -> Double = { s in
            let r = inner(Foundation.exp(s))
            ok = ok && r.ok
            return r.d.isNaN ? .nan : min(max(r.d, -1e300), 1e300)
        }
        guard let b = Search1D.bracketDecreasing(outer, start: Foundation.log(theta2Scale), step: 2, maxSteps: 12) else {
            // D stays positive down to θ₂ ≈ e^{−8000}·scale or gives NaN: the maximum is the limit.
            return Result(theta1: boundaryTheta1, theta2: 0, atLimit: true, converged: false, evaluations: evaluations)
        }
        let root = b.lo == b.hi ? (root: b.lo, converged: true, evaluations: 0) : Search1D.brentRoot(outer, b.lo, b.hi, tolerance: 1e-12)
        let theta2 = Foundation.exp(root.root)
        let final = inner(theta2)
        return Result(theta1: final.theta1, theta2: theta2, atLimit: false, converged: ok && root.converged && final.ok,
                      evaluations: evaluations)
    }
}
