import CriticalityCore
import Foundation

/// The terms of a discrete family on the integers x ≥ x_min: ln f(x) = φ(x) up to a constant, and
/// two statistics T₁, T₂ whose means the fits need. x, ln x and u = ln(x/x_min) are given together.
protocol DiscreteTerms {
    func logTerm(x: Double, logX: Double, u: Double) -> Double
    func statistics(x: Double, logX: Double, u: Double) -> (Double, Double)
}

/// ln Σ_{x ≥ x_min} e^{φ(x)} and the means of T₁, T₂ under the pmf e^{φ}/Σe^{φ}, for a φ that is smooth
/// in x and eventually decreasing:
/// 1. exact summation over x_min, …, X − 1, X = x_min + 1,024 at least, and further while the terms
///    still change by more than 1% from one integer to the next (|Δφ| > 0.01) and are not negligible
///    (above e^{−60} of the largest);
/// 2. the rest, Σ_{x ≥ X} F(x) for F = e^φ·(1, T₁, T₂), by the Euler–Maclaurin midpoint form
///    ∫_{X−½}^∞ F dx + F′(X − ½)/24 (next term −7F‴/5760, below 10⁻¹² of the tail when |Δφ| ≤ 0.01),
///    F′(X − ½) ≈ F(X) − F(X − 1); the integral by Gauss–Legendre quadrature in v = ln x (8 points
///    per panel, panels ≤ 0.5 wide and narrower where ψ(v) = φ(e^v) + v curves), up to where every
///    integrand has fallen 50 nats below the largest term, or v = 700 with the remainder e^{ψ}/|ψ′|
///    added in closed form for an integrand still decaying as a power there.
/// A term, mean or tail that diverges gives +∞ (ln Σ) or NaN/+∞ (means), never a wrong finite value.
struct DiscreteTailSum {
    let xmin: Double
    let logXmin: Double
    /// x_min, …, x_min + count − 1 with ln x and u.
    let x: [Double]
    let logX: [Double]
    let u: [Double]

    init(xmin: Double, exactTerms: Int = 1024) {
        self.xmin = xmin
        logXmin = Foundation.log(xmin)
        x = (0..<exactTerms).map { xmin + Double($0) }
        logX = x.map { Foundation.log($0) }
        u = logX.map { $0 - Foundation.log(xmin) }
    }

    func sums<T: DiscreteTerms>(_ terms: T) -> (logZ: Double, mean1: Double, mean2: Double) {
        var phi = [Double](repeating: 0, count: x.count)
        var top = -Double.infinity
        for i in x.indices {
            phi[i] = terms.logTerm(x: x[i], logX: logX[i], u: u[i])
            top = max(top, phi[i])
        }
        guard top.isFinite else { return (top == .infinity ? .infinity : -.infinity, .nan, .nan) }
        var s0 = 0.0, s1 = 0.0, s2 = 0.0
        for i in x.indices {
            let f = Foundation.exp(phi[i] - top)
            let t = terms.statistics(x: x[i], logX: logX[i], u: u[i])
            s0 += f; s1 += f * t.0; s2 += f * t.1
        }
        // keep summing exactly while the terms change fast and matter
        var last = (x: x[x.count - 1], phi: phi[phi.count - 1])
        var lastT = terms.statistics(x: last.x, logX: logX[x.count - 1], u: u[x.count - 1])
        var next = last.x + 1
        var nextLog = Foundation.log(next)
        var nextPhi = terms.logTerm(x: next, logX: nextLog, u: nextLog - logXmin)
        var extra = 0
        while abs(nextPhi - last.phi) > 0.01 && nextPhi - top > -60 && extra < 1 << 22 {
            if nextPhi > top {  // rescale to the new largest term
                let r = Foundation.exp(top - nextPhi)
                s0 *= r; s1 *= r; s2 *= r
                top = nextPhi
            }
            let f = Foundation.exp(nextPhi - top)
            let t = terms.statistics(x: next, logX: nextLog, u: nextLog - logXmin)
            s0 += f; s1 += f * t.0; s2 += f * t.1
            last = (next, nextPhi); lastT = t
            next += 1; nextLog = Foundation.log(next); nextPhi = terms.logTerm(x: next, logX: nextLog, u: nextLog - logXmin)
            extra += 1
        }
        guard nextPhi.isFinite || nextPhi == -.infinity else { return (.infinity, .nan, .nan) }
        // Euler–Maclaurin correction F′(X − ½)/24 with X = next
        let nextT = terms.statistics(x: next, logX: nextLog, u: nextLog - logXmin)
        let fNext = Foundation.exp(nextPhi - top), fLast = Foundation.exp(last.phi - top)
        s0 += (fNext - fLast) / 24
        s1 += (fNext * nextT.0 - fLast * lastT.0) / 24
        s2 += (fNext * nextT.1 - fLast * lastT.1) / 24
        // ∫_{X−½}^∞ in v = ln x
        let v0 = Foundation.log(next - 0.5)
        func psi(_ v: Double) -> (Double, (Double, Double)) {
            let xv = Foundation.exp(v)
            let t = terms.statistics(x: xv, logX: v, u: v - logXmin)
            return (terms.logTerm(x: xv, logX: v, u: v - logXmin) + v - top, t)
        }
        // range: march in steps of 1 until every integrand is 50 nats below the largest term
        func logWeighted(_ p: (Double, (Double, Double))) -> Double {
            max(p.0, p.0 + Foundation.log(abs(p.1.0)), p.0 + Foundation.log(abs(p.1.1)))
        }
        var v = v0, curvature = 0.0
        var previous = logWeighted(psi(v0)), beforePrevious = Double.nan
        let cap = 700.0
        while v < cap {
            let w = logWeighted(psi(min(v + 1, cap)))
            if !beforePrevious.isNaN { curvature = max(curvature, abs(w - 2 * previous + beforePrevious)) }
            beforePrevious = previous; previous = w
            v = min(v + 1, cap)
            if w < -50 && w < beforePrevious { break }
        }
        let width = min(0.5, 0.5 / max(curvature, 1e-300).squareRoot())
        let panels = max(1, Int(((v - v0) / width).rounded(.up)))
        let h = (v - v0) / Double(panels)
        var q0 = 0.0, q1 = 0.0, q2 = 0.0
        for i in 0..<panels {
            let mid = v0 + (Double(i) + 0.5) * h
            for (node, weight) in Special.gauss8 {
                let p = psi(mid + 0.5 * h * node)
                let f = weight * Foundation.exp(p.0)
                q0 += f; q1 += f * p.1.0; q2 += f * p.1.1
            }
        }
        s0 += 0.5 * h * q0; s1 += 0.5 * h * q1; s2 += 0.5 * h * q2
        if v >= cap {
            // still not negligible at x = e^700: add ∫_V^∞ e^{ψ} ≈ e^{ψ(V)}/|ψ′(V)| for each integrand
            let a = psi(cap), b = psi(cap - 1)
            func remainder(_ la: Double, _ lb: Double) -> Double {
                let slope = la - lb
                return slope < 0 ? Foundation.exp(la) / -slope : .infinity
            }
            s0 += remainder(a.0, b.0)
            s1 += a.1.0 == 0 ? 0 : (a.1.0 > 0 ? 1 : -1) * remainder(a.0 + Foundation.log(abs(a.1.0)), b.0 + Foundation.log(abs(b.1.0)))
            s2 += a.1.1 == 0 ? 0 : (a.1.1 > 0 ? 1 : -1) * remainder(a.0 + Foundation.log(abs(a.1.1)), b.0 + Foundation.log(abs(b.1.1)))
        }
        guard s0.isFinite, s0 > 0 else { return (.infinity, .nan, .nan) }
        return (top + Foundation.log(s0), s1 / s0, s2 / s0)
    }
}
