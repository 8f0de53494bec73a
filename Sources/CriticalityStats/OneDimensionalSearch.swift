import CriticalityCore
/// One-dimensional root finding and maximization for the tail statistics: every likelihood the
/// alternatives maximize is reduced to one-dimensional problems on a bracket (see
/// `BoundaryProfile` and `TailAlternativeFits`), so these two are all the optimizers the fits use.
public enum Search1D {
    /// A root of `f` in [a, b], where f(a) and f(b) have opposite signs (or one is zero), by Brent's
    /// method (Brent 1973, "zeroin": inverse quadratic interpolation and secant steps, safeguarded by
    /// bisection, so it never leaves the bracket and converges at least as fast as bisection).
    /// Stops when the bracket is narrower than 4ε|x| + `tolerance` (absolute), or after
    /// `maxIterations` (then `converged` is false and the best point so far is returned).
    public static func brentRoot(_ f: (Double) -> Double, _ a0: Double, _ b0: Double,
                                 tolerance: Double = 1e-13, maxIterations: Int = 200) -> (root: Double, converged: Bool, evaluations: Int) {
        var a = a0, b = b0
        var fa = f(a), fb = f(b)
        var evaluations = 2
        if fa == 0 { return (a, true, evaluations) }
        if fb == 0 { return (b, true, evaluations) }
        precondition((fa > 0) != (fb > 0), "brentRoot needs a bracket with a sign change")
        var c = b, fc = fb, d = b - a, e = d
        for _ in 0..<maxIterations {
            if (fb > 0) == (fc > 0) { c = a; fc = fa; d = b - a; e = d }
            if abs(fc) < abs(fb) { a = b; b = c; c = a; fa = fb; fb = fc; fc = fa }
            let tol1 = 2 * Double.ulpOfOne * abs(b) + 0.5 * tolerance
            let xm = 0.5 * (c - b)
            if abs(xm) <= tol1 || fb == 0 { return (b, true, evaluations) }
            if abs(e) >= tol1 && abs(fa) > abs(fb) {
                let s = fb / fa
                var p: Double, q: Double
                if a == c {
                    p = 2 * xm * s; q = 1 - s
                } else {
                    let qq = fa / fc, r = fb / fc
                    p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1))
                    q = (qq - 1) * (r - 1) * (s - 1)
                }
                if p > 0 { q = -q }
                p = abs(p)
                if 2 * p < min(3 * xm * q - abs(tol1 * q), abs(e * q)) { e = d; d = p / q } else { d = xm; e = d }
            } else {
                d = xm; e = d
            }
            a = b; fa = fb
            b += abs(d) > tol1 ? d : (xm >= 0 ? tol1 : -tol1)
            fb = f(b)
            evaluations += 1
        }
        return (b, false, evaluations)
    }

    /// A bracket [lo, hi] of the root of a function that decreases from positive to negative values:
    /// starting at `start`, steps of `step` (doubling) go up while f > 0 or down while f < 0, at most
    /// `maxSteps` times. Returns nil if no sign change was found (or f gave NaN).
    public static func bracketDecreasing(_ f: (Double) -> Double, start: Double, step: Double,
                                         maxSteps: Int = 200) -> (lo: Double, hi: Double, fLo: Double, fHi: Double)? {
        var x = start, fx = f(x)
        guard !fx.isNaN else { return nil }
        if fx == 0 { return (x, x, 0, 0) }
        var h = step
        let up = fx > 0
        for _ in 0..<maxSteps {
            let y = up ? x + h : x - h
            let fy = f(y)
            guard !fy.isNaN else { return nil }
            if (fy > 0) != up || fy == 0 { return up ? (x, y, fx, fy) : (y, x, fy, fx) }
            x = y; fx = fy; h *= 2
        }
        return nil
    }

    /// Golden-section search for the minimum of a unimodal f on [a, b]; stops when the bracket is
    /// narrower than `tolerance`·(1 + |c| + |d|).
    public static func goldenSection(_ f: (Double) -> Double, _ a: Double, _ b: Double, tolerance: Double = 1e-10) -> Double {
        let r = (5.0.squareRoot() - 1) / 2
        var a = a, b = b
        var c = b - r * (b - a), d = a + r * (b - a)
        var fc = f(c), fd = f(d)
        while abs(b - a) > tolerance * (1 + abs(c) + abs(d)) {
            if fc < fd { b = d; d = c; fd = fc; c = b - r * (b - a); fc = f(c) } else { a = c; c = d; fc = fd; d = a + r * (b - a); fd = f(d) }
        }
        return (a + b) / 2
    }
}
