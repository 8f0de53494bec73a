import CriticalityCore
import Foundation

/// Fits over the whole range of the data (no x_min).
public enum WholeRangeFits {
    /// Exponential p(x) = λ e^{−λx} on x ≥ 0: λ̂ = 1/x̄ (MLE), standard error λ̂/√n.
    public static func exponential(_ x: [Double]) -> (rate: Double, standardError: Double) {
        let mean = x.reduce(0, +) / Double(x.count)
        return (1 / mean, 1 / mean / Double(x.count).squareRoot())
    }

    /// Normal N(μ, σ²): μ̂ = x̄, σ̂ = √(Σ(x − x̄)²/n) (MLE, not the n − 1 estimator), for gradient noise.
    public static func normal(_ x: [Double]) -> (mean: Double, standardDeviation: Double) {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        return (mean, (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot())
    }

    /// Hill estimator of the density exponent from the k largest values, for k = 1…kMax:
    /// α̂_k = 1 + k / Σ_{i<k} ln(x_(i)/x_(k)), x_(0) ≥ x_(1) ≥ … (x_(k) the (k+1)-th largest).
    /// Equals the continuous MLE with x_min = x_(k) applied to the k values above it.
    public static func hill(_ x: [Double], kMax: Int) -> [Double] {
        let d = x.filter { $0 > 0 }.sorted(by: >)
        let top = min(kMax, d.count - 1)
        guard top >= 1 else { return [] }
        var out: [Double] = []
        var sumLog = 0.0
        for k in 1...top {
            sumLog += Foundation.log(d[k - 1])
            let s = sumLog - Double(k) * Foundation.log(d[k])
            out.append(s > 0 ? 1 + Double(k) / s : .nan)
        }
        return out
    }
}
