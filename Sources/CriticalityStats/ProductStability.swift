import CriticalityCore
import Foundation

/// The paper's stability check of β*·I (Fig. 3E, SI S10–S11): the product p_k = β*_k · I_k of the β*
/// and mutual-information series (one value per interval), compared at intervals k and k + lag along a
/// chain of every `stride`-th interval from `offset` — the authors' published arrays pair p[i] with p[i+2]
/// for i = 1, 3, 5, … (Δ = 400 steps of 200-step intervals; authors-code-notes.md §3.2). For the pairs
/// (y = p_k, x = p_{k+lag}): Spearman's ρ with its p-value and the one-sample t-test of x − y, and the
/// same statistics on a shuffled-time null (the product series permuted before pairing, `permutations`
/// times from `seed`): its mean and standard deviation, and the fraction of permutations at least as
/// extreme as the data (|ρ| ≥ |ρ̂|, |t| ≥ |t̂|).
public struct ProductStability: Codable, Sendable {
    public var intervals: Int
    public var pairs: Int
    public var lag: Int, stride: Int, offset: Int
    public var product: [Double]
    public var spearmanRho: Double, spearmanP: Double
    public var tStatistic: Double, tP: Double
    public var meanDifference: Double
    public var null: Null

    public struct Null: Codable, Sendable {
        public var permutations: Int
        public var seed: UInt64
        public var rhoMean: Double, rhoSD: Double
        /// Fraction of permutations with |ρ| ≥ |ρ̂| (with the data counted as one: (1 + k)/(1 + R)).
        public var rhoExceedance: Double
        public var tMean: Double, tSD: Double
        public var tExceedance: Double
        enum CodingKeys: String, CodingKey {
            case permutations, seed, rhoMean = "rho_mean", rhoSD = "rho_sd", rhoExceedance = "rho_exceedance"
            case tMean = "t_mean", tSD = "t_sd", tExceedance = "t_exceedance"
        }
    }

    enum CodingKeys: String, CodingKey {
        case intervals, pairs, lag, stride, offset, product, spearmanRho = "spearman_rho", spearmanP = "spearman_p"
        case tStatistic = "t_statistic", tP = "t_p", meanDifference = "mean_difference", null
    }

    /// The pairs (p_k, p_{k+lag}) for k = offset, offset + stride, … while k + lag < n.
    public static func pairs(_ p: [Double], lag: Int, stride: Int, offset: Int) -> (y: [Double], x: [Double]) {
        var y: [Double] = [], x: [Double] = []
        var k = offset
        while k + lag < p.count { y.append(p[k]); x.append(p[k + lag]); k += stride }
        return (y, x)
    }

    public static func analyze(beta: [Double], mutualInformation mi: [Double], lag: Int = 2, stride: Int = 2, offset: Int = 1,
                               permutations: Int = 1000, seed: UInt64 = 1) throws -> ProductStability {
        guard beta.count == mi.count else {
            throw CriticalityError(.invalidArgument, "the β* series has \(beta.count) values and the MI series \(mi.count); they must have one value per interval each")
        }
        guard lag >= 1, stride >= 1, offset >= 0, permutations >= 0 else {
            throw CriticalityError(.invalidArgument, "'lag' and 'stride' must be ≥ 1, 'offset' and 'permutations' ≥ 0; got lag \(lag), stride \(stride), offset \(offset), permutations \(permutations)")
        }
        if let i = (beta + mi).firstIndex(where: { !$0.isFinite }) {
            throw CriticalityError(.invalidArgument, "value \(i < beta.count ? beta[i] : mi[i - beta.count]) at index \(i % max(beta.count, 1)) of the \(i < beta.count ? "β*" : "MI") series is not finite")
        }
        let p = zip(beta, mi).map { $0 * $1 }
        let (y, x) = pairs(p, lag: lag, stride: stride, offset: offset)
        guard y.count >= 3 else {
            throw CriticalityError(.invalidArgument, "\(p.count) intervals give \(y.count) pairs at lag \(lag), stride \(stride), offset \(offset); at least 3 are needed (use more intervals or a smaller lag)")
        }
        let s = RankAndMeanTests.spearman(y, x)
        let d = zip(x, y).map { $0 - $1 }
        let t = RankAndMeanTests.oneSampleT(d)
        var rng = RNG(seed: seed, stream: .bootstrap, index: 77)
        var rhos: [Double] = [], ts: [Double] = []
        var shuffled = p
        for _ in 0..<permutations {
            for i in Swift.stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.uniformInt(below: i + 1)) }
            let (py, px) = pairs(shuffled, lag: lag, stride: stride, offset: offset)
            rhos.append(RankAndMeanTests.spearman(py, px).rho)
            ts.append(RankAndMeanTests.oneSampleT(zip(px, py).map { $0 - $1 }).t)
        }
        func meanSD(_ v: [Double]) -> (Double, Double) {
            let f = v.filter(\.isFinite)
            guard !f.isEmpty else { return (.nan, .nan) }
            let m = f.reduce(0, +) / Double(f.count)
            return (m, (f.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(f.count - 1, 1))).squareRoot())
        }
        let (rm, rs) = meanSD(rhos), (tm, tsd) = meanSD(ts)
        let rhoExceed = (1 + Double(rhos.filter { abs($0) >= abs(s.rho) }.count)) / Double(1 + permutations)
        let tExceed = (1 + Double(ts.filter { abs($0) >= abs(t.t) }.count)) / Double(1 + permutations)
        return ProductStability(intervals: p.count, pairs: y.count, lag: lag, stride: stride, offset: offset, product: p,
                                spearmanRho: s.rho, spearmanP: s.p, tStatistic: t.t, tP: t.p,
                                meanDifference: d.reduce(0, +) / Double(d.count),
                                null: .init(permutations: permutations, seed: seed, rhoMean: rm, rhoSD: rs, rhoExceedance: rhoExceed,
                                            tMean: tm, tSD: tsd, tExceedance: tExceed))
    }
}
