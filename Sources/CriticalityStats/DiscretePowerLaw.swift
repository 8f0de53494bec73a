import CriticalityCore
import Foundation

/// The discrete power law p(x) = x^{−α} / ζ(α, x_min) for integers x ≥ x_min (Clauset et al. eq. 2.4),
/// fitted by exact maximum likelihood (golden-section search on α, Hurwitz-zeta normalization), x_min
/// by minimizing the KS distance. Data are distinct positive integers with multiplicities (interval
/// histograms come that way).
public struct DiscretePowerLaw {
    /// Ascending distinct values ≥ 1 and their counts.
    public let values: [Double]
    public let counts: [Double]
    /// suffixCount[i] = Σ_{j≥i} counts[j]; suffixLog[i] = Σ_{j≥i} counts[j] ln values[j].
    let suffixCount: [Double]
    let suffixLog: [Double]

    /// From a histogram: `counts[v]` observations of value v (index 0 ignored; values below 1 are dropped).
    public init(histogram: [Double]) {
        var v: [Double] = [], c: [Double] = []
        for (value, count) in histogram.enumerated() where value >= 1 && count > 0 { v.append(Double(value)); c.append(count) }
        self.init(values: v, counts: c)
    }

    /// From raw integer observations (values below 1 are dropped).
    public init(observations: [Double]) {
        var tally: [Double: Double] = [:]
        for o in observations where o >= 1 { tally[o.rounded(), default: 0] += 1 }
        let keys = tally.keys.sorted()
        self.init(values: keys, counts: keys.map { tally[$0]! })
    }

    public init(values: [Double], counts: [Double]) {
        self.values = values
        self.counts = counts
        var sc = [Double](repeating: 0, count: values.count + 1), sl = sc
        for i in stride(from: values.count - 1, through: 0, by: -1) {
            sc[i] = sc[i + 1] + counts[i]
            sl[i] = sl[i + 1] + counts[i] * Foundation.log(values[i])
        }
        suffixCount = sc
        suffixLog = sl
    }

    public var total: Double { suffixCount.first ?? 0 }

    /// Exact MLE of α for the tail starting at distinct-value index i: maximize
    /// −n ln ζ(α, x_min) − α Σ ln x over α ∈ (1, 50].
    public func alpha(tailStart i: Int) -> Double {
        let n = suffixCount[i], sl = suffixLog[i], xmin = values[i]
        return Search1D.goldenSection({ a in n * Foundation.log(Special.hurwitzZeta(a, xmin)) + a * sl }, 1.0001, 50, tolerance: 1e-9)
    }

    /// KS distance D = max_j |S_j − F(x_j)| over the distinct tail values, with S the empirical CDF of
    /// values strictly below x_j (plfit's convention) and F(x) = 1 − ζ(α, x)/ζ(α, x_min) likewise.
    public func ksDistance(tailStart i: Int, alpha a: Double) -> Double {
        let n = suffixCount[i]
        let z0 = Special.hurwitzZeta(a, values[i])
        var below = 0.0, d = 0.0
        var zeta = z0           // ζ(α, x) for the current x, walked upward by ζ(α, x+1) = ζ(α, x) − x^{−α}
        var x = values[i]
        for j in i..<values.count {
            while x < values[j] {
                if values[j] - x > 64 { zeta = Special.hurwitzZeta(a, values[j]); x = values[j] } else { zeta -= Foundation.pow(x, -a); x += 1 }
            }
            let f = 1 - zeta / z0
            d = max(d, abs(below / n - f))
            below += counts[j]
        }
        return d
    }

    public func fit(tailStart i: Int) -> PowerLawFit {
        let a = alpha(tailStart: i)
        let n = suffixCount[i]
        let logL = -n * Foundation.log(Special.hurwitzZeta(a, values[i])) - a * suffixLog[i]
        return PowerLawFit(alpha: a, alphaStandardError: (a - 1) / n.squareRoot(), xmin: values[i], nTail: Int(n),
                           ksDistance: ksDistance(tailStart: i, alpha: a), logLikelihood: logL)
    }

    /// Minimizes D over candidate x_min (distinct values ≤ `maximumXmin` leaving ≥ `minimumTail`
    /// observations and at least two distinct values; at most `maximumCandidates`, evenly spaced).
    public func scan(minimumTail: Int = 2, maximumCandidates: Int? = nil, maximumXmin: Double? = nil) -> PowerLawFit? {
        var cands = (0..<max(values.count - 1, 0)).filter {
            suffixCount[$0] >= Double(max(minimumTail, 2)) && values[$0] <= (maximumXmin ?? .infinity)
        }
        if let cap = maximumCandidates, cap > 0, cands.count > cap {
            cands = (0..<cap).map { cands[$0 * (cands.count - 1) / max(cap - 1, 1)] }
        }
        var best: PowerLawFit?
        for i in cands {
            let f = fit(tailStart: i)
            if best == nil || f.ksDistance < best!.ksDistance { best = f }
        }
        return best
    }

    /// Index of the first distinct value ≥ v.
    public func tailStart(atLeast v: Double) -> Int { values.firstIndex { $0 >= v } ?? values.count }
}

/// Discrete power-law samples: x = ⌊(x_min − ½)(1 − u)^{−1/(α−1)} + ½⌋, Clauset et al.'s approximation
/// (their eq. D.6), used for the bootstrap.
public func sampleDiscretePowerLaw(alpha: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
    (0..<count).map { _ in ((xmin - 0.5) * Foundation.pow(1 - rng.uniformDouble(), -1 / (alpha - 1)) + 0.5).rounded(.down) }
}
