import CriticalityCore
import Foundation

/// How Gaussian a sample is (SI S13, mini-batch gradient noise): the normal MLE, the moments, the
/// D'Agostino–Pearson omnibus test and the Hill tail index of |x|.
///
/// - `mean`, `sd`: the normal maximum-likelihood fit (`scipy.stats.norm.fit`: population s.d., ddof 0).
/// - `skewness`, `excessKurtosis`: the biased sample moments m₃/m₂^{3/2} and m₄/m₂² − 3 (`scipy.stats.skew`,
///   `kurtosis`).
/// - `k2`, `p`: D'Agostino's skewness test and Anscombe–Glynn's kurtosis test combined,
///   K² = Z_s² + Z_k², p = exp(−K²/2) (χ² with 2 degrees of freedom; `scipy.stats.normaltest`). The
///   kurtosis test is valid from n ≥ 20; smaller samples are refused.
/// - `hillAlpha` with `hillK`: α̂ = k / Σ_{i ≤ k} ln(X₍ᵢ₎/X₍ₖ₊₁₎) over the k largest |x| (k = max(10, n/100)).
///   A Gaussian sample gives a large α̂ that grows with n (no power-law tail); the paper's |Δθ| give 3–5.
///
/// Limitations: a sample with zero variance has no standardised moments (refused).
public struct Gaussianity: Codable, Sendable, Equatable {
    public var n: Int
    public var mean: Double, sd: Double
    public var skewness: Double, excessKurtosis: Double
    public var k2: Double, p: Double
    public var hillK: Int, hillAlpha: Double

    enum CodingKeys: String, CodingKey {
        case n, mean, sd, skewness, excessKurtosis = "excess_kurtosis", k2, p, hillK = "hill_k", hillAlpha = "hill_alpha"
    }

    public init(_ x: [Double]) throws {
        let n = x.count
        guard n >= 20 else { throw CriticalityError(.invalidArgument, "a normality test needs at least 20 values; got \(n)") }
        if let bad = x.first(where: { !$0.isFinite }) { throw CriticalityError(.invalidArgument, "a normality test got a non-finite value (\(bad))") }
        var s = CompensatedSum()
        for v in x { s.add(v) }
        let mean = s.value / Double(n)
        var m2 = CompensatedSum(), m3 = CompensatedSum(), m4 = CompensatedSum()
        for v in x { let d = v - mean; m2.add(d * d); m3.add(d * d * d); m4.add(d * d * d * d) }
        let c2 = m2.value / Double(n), c3 = m3.value / Double(n), c4 = m4.value / Double(n)
        guard c2 > 0 else { throw CriticalityError(.invalidArgument, "a normality test got \(n) equal values (zero variance)") }
        self.n = n
        self.mean = mean
        sd = c2.squareRoot()
        skewness = c3 / pow(c2, 1.5)
        let b2 = c4 / (c2 * c2)
        excessKurtosis = b2 - 3
        let zs = Gaussianity.skewnessZ(skewness, n: Double(n)), zk = Gaussianity.kurtosisZ(b2, n: Double(n))
        k2 = zs * zs + zk * zk
        p = exp(-k2 / 2)
        let a = x.map(abs).sorted(by: >)
        hillK = max(10, n / 100)
        var sum = 0.0
        for i in 0..<hillK { sum += log(a[i] / a[hillK]) }
        hillAlpha = Double(hillK) / sum
    }

    /// D'Agostino's transformation of the sample skewness to a standard normal deviate.
    static func skewnessZ(_ b: Double, n: Double) -> Double {
        let y0 = b * (((n + 1) * (n + 3)) / (6 * (n - 2))).squareRoot()
        let beta2 = (3 * (n * n + 27 * n - 70) * (n + 1) * (n + 3)) / ((n - 2) * (n + 5) * (n + 7) * (n + 9))
        let w2 = -1 + (2 * (beta2 - 1)).squareRoot()
        let delta = 1 / (0.5 * log(w2)).squareRoot()
        let alpha = (2 / (w2 - 1)).squareRoot()
        let y = y0 == 0 ? 1 : y0
        return delta * log(y / alpha + ((y / alpha) * (y / alpha) + 1).squareRoot())
    }

    /// Anscombe and Glynn's transformation of the sample kurtosis b₂ = m₄/m₂² to a standard normal deviate.
    static func kurtosisZ(_ b2: Double, n: Double) -> Double {
        let e = 3 * (n - 1) / (n + 1)
        let varb2 = 24 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1) * (n + 3) * (n + 5))
        let x = (b2 - e) / varb2.squareRoot()
        let sqrtBeta1 = 6 * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) * ((6 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3))).squareRoot()
        let a = 6 + 8 / sqrtBeta1 * (2 / sqrtBeta1 + (1 + 4 / (sqrtBeta1 * sqrtBeta1)).squareRoot())
        let term1 = 1 - 2 / (9 * a)
        let denom = 1 + x * (2 / (a - 4)).squareRoot()
        guard denom != 0 else { return .nan }
        let term2 = (denom < 0 ? -1.0 : 1.0) * pow((1 - 2 / a) / abs(denom), 1.0 / 3)
        return (term1 - term2) / (2 / (9 * a)).squareRoot()
    }
}
