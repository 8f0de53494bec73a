import CriticalityCore
import Dispatch
import Foundation

/// Goodness of fit by the semi-parametric bootstrap of Clauset et al. (§4.1): each synthetic data set
/// has the observed size n; with probability n_tail/n a value is drawn from the fitted power law above
/// x_min, otherwise uniformly from the observed values below x_min. Each set is refitted with its own
/// x_min scan; p is the fraction of synthetic KS distances ≥ the observed one. The fitted α̂ of the
/// synthetic sets give a percentile confidence interval for α (parametric bootstrap).
/// Replicate r uses RNG stream (seed, bootstrap, r), so results do not depend on the thread count.
public struct BootstrapResult: Codable, Sendable {
    public var replicates: Int
    public var pValue: Double
    /// 2.5% and 97.5% percentiles of the replicates' α̂.
    public var alphaInterval: [Double]
    public var seed: UInt64
    enum CodingKeys: String, CodingKey { case replicates, pValue = "p", alphaInterval = "alpha_interval_95", seed }
}

public enum PowerLawBootstrap {
    /// `body` is the observed values below x_min, `fit` the observed fit (with its x_min), `n` the
    /// observed sample size; `refit` fits one synthetic data set (with the same scan options).
    static func run(replicates: Int, seed: UInt64, n: Int, fit: PowerLawFit, body: [Double],
                    draw: @escaping (Int, inout RNG) -> [Double], refit: @escaping ([Double]) -> PowerLawFit?) -> BootstrapResult {
        var distances = [Double](repeating: .nan, count: replicates)
        var alphas = [Double](repeating: .nan, count: replicates)
        let pTail = Double(fit.nTail) / Double(n)
        distances.withUnsafeMutableBufferPointer { dist in
            alphas.withUnsafeMutableBufferPointer { al in
                let d = dist.baseAddress!, a = al.baseAddress!
                DispatchQueue.concurrentPerform(iterations: replicates) { r in
                    var rng = RNG(seed: seed, stream: .bootstrap, index: UInt64(r))
                    var tailCount = 0
                    for _ in 0..<n where rng.uniformDouble() < pTail { tailCount += 1 }
                    var sample = draw(tailCount, &rng)
                    if !body.isEmpty {
                        for _ in 0..<(n - tailCount) { sample.append(body[rng.uniformInt(below: body.count)]) }
                    }
                    sample.sort()
                    if let f = refit(sample) { d[r] = f.ksDistance; a[r] = f.alpha }
                }
            }
        }
        let valid = distances.filter { !$0.isNaN }
        let p = Double(valid.filter { $0 >= fit.ksDistance }.count) / Double(max(valid.count, 1))
        let sortedAlphas = alphas.filter { !$0.isNaN }.sorted()
        func percentile(_ q: Double) -> Double {
            guard !sortedAlphas.isEmpty else { return .nan }
            return sortedAlphas[min(sortedAlphas.count - 1, Int((q * Double(sortedAlphas.count - 1)).rounded()))]
        }
        return BootstrapResult(replicates: replicates, pValue: p, alphaInterval: [percentile(0.025), percentile(0.975)], seed: seed)
    }

    /// Continuous data: `sorted` are the observed positive values, ascending.
    public static func continuous(sorted: [Double], fit: PowerLawFit, options: ContinuousPowerLaw.ScanOptions,
                                  fixedXmin: Bool, replicates: Int, seed: UInt64) -> BootstrapResult {
        let body = Array(sorted[..<ContinuousPowerLaw.firstIndex(atLeast: fit.xmin, in: sorted)])
        return run(replicates: replicates, seed: seed, n: sorted.count, fit: fit, body: body,
                   draw: { k, rng in samplePowerLaw(alpha: fit.alpha, xmin: fit.xmin, count: k, rng: &rng) },
                   refit: { s in
                       let pl = ContinuousPowerLaw(sortedPositive: s)
                       return fixedXmin ? pl.fit(xmin: fit.xmin, tailStart: pl.tailStart(atLeast: fit.xmin)) : pl.scan(options)
                   })
    }

    /// Discrete data given as raw integer observations (≥ 1).
    public static func discrete(observations: [Double], fit: PowerLawFit, minimumTail: Int, maximumCandidates: Int?,
                                maximumXmin: Double? = nil, fixedXmin: Bool, replicates: Int, seed: UInt64) -> BootstrapResult {
        let body = observations.filter { $0 < fit.xmin }
        return run(replicates: replicates, seed: seed, n: observations.count, fit: fit, body: body,
                   draw: { k, rng in sampleDiscretePowerLaw(alpha: fit.alpha, xmin: fit.xmin, count: k, rng: &rng) },
                   refit: { s in
                       let pl = DiscretePowerLaw(observations: s)
                       return fixedXmin ? pl.fit(tailStart: pl.tailStart(atLeast: fit.xmin))
                           : pl.scan(minimumTail: minimumTail, maximumCandidates: maximumCandidates, maximumXmin: maximumXmin)
                   })
    }
}
