/// Nelder–Mead simplex minimization (Lagarias et al. 1998 coefficients), for the 1–2 parameter
/// likelihoods of the alternative tail laws. Deterministic; stops when the simplex's function values
/// agree within `tolerance` (absolute) or after `maxEvaluations`.
public enum NelderMead {
    public static func minimize(_ f: ([Double]) -> Double, start: [Double], step: [Double],
                                tolerance: Double = 1e-10, maxEvaluations: Int = 2000) -> (point: [Double], value: Double) {
        let n = start.count
        var simplex = [start]
        for i in 0..<n { var p = start; p[i] += step[i]; simplex.append(p) }
        var values = simplex.map { v -> Double in let y = f(v); return y.isNaN ? .infinity : y }
        var evaluations = n + 1
        func eval(_ p: [Double]) -> Double { evaluations += 1; let y = f(p); return y.isNaN ? .infinity : y }
        while evaluations < maxEvaluations {
            let order = (0...n).sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }; values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (1 + abs(values[0])) { break }
            var centroid = [Double](repeating: 0, count: n)
            for i in 0..<n { for d in 0..<n { centroid[d] += simplex[i][d] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = along(-1), fr = eval(reflected)
            if fr < values[0] {
                let expanded = along(-2), fe = eval(expanded)
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = eval(contracted)
                if fc < min(fr, values[n]) {
                    simplex[n] = contracted; values[n] = fc
                } else {
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = eval(simplex[i])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], values[best])
    }

    /// Golden-section search for the minimum of a unimodal f on [a, b].
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
