import CriticalityObservers
import CriticalityStats
import Foundation

/// The paper's information claims (Fig. 3, SI S8–S12) beside the observers' series. Verdict rules:
/// - "MI rises and β* falls": Spearman's ρ of MI with the step > 0 and of β* with the step < 0, each
///   with p < 0.05 → "supported"; one of the two → "partly supported"; neither → "not supported". MI is
///   also compared with its shuffle null: when MI does not exceed the null's mean by 2 s.d. in most
///   intervals, the verdict says so (the trend is then mostly estimator bias).
/// - "β*·MI is stable across nearby steps": ρ(p_t, p_{t+Δ}) > 0 with p < 0.05 and beyond the
///   shuffled-time null (exceedance < 0.05), and the t-test of the differences not significant
///   (p ≥ 0.05) → "supported"; one of the two → "partly supported"; else "not supported".
/// - "The KL divergence is locally quadratic": median D_KL/Q within [0.9, 1.1] and its quartiles within
///   [0.8, 1.25] → "supported"; median within [0.5, 2] → "partly supported"; else "not supported".
/// - "Update entropy and MI compete" (S12): Spearman's ρ of the interval-mean entropy with MI < 0 with
///   p < 0.05 → "supported"; ρ < 0 → "partly supported"; else "not supported".
extension Claims {
    public static func information(_ runs: [RunData]) -> [Claim] {
        var out: [Claim] = []
        for run in runs {
            if let s = run.information, s.records.count >= 3 {
                let (x, xb) = Figures.informationSteps(s)
                let mi = s.records.map(\.mi.authors)
                let betas = zip(xb, s.records.dropFirst()).compactMap { x, r in r.beta.map { (x, $0) } }
                let rm = RankAndMeanTests.spearman(x, mi)
                let rb = betas.count >= 3 ? RankAndMeanTests.spearman(betas.map(\.0), betas.map(\.1)) : (rho: Double.nan, p: Double.nan)
                let miUp = rm.rho > 0 && rm.p < 0.05, betaDown = rb.rho < 0 && rb.p < 0.05
                let above = s.records.filter { r in r.nullMean.map { r.mi.authors > $0 + 2 * (r.nullSD ?? 0) } ?? false }.count
                let withNull = s.records.filter { $0.nullMean != nil }.count
                let excess = s.records.compactMap { r in r.nullMean.map { r.mi.authors - $0 } }
                var verdict = miUp && betaDown ? "supported" : (miUp || betaDown) ? "partly supported: \(miUp ? "MI rises" : "MI does not rise significantly"), \(betaDown ? "β* falls" : "β* does not fall significantly")" : "not supported: neither trend is significant"
                if withNull > 0 && above * 2 < withNull { verdict += "; MI exceeds its shuffle null by 2 s.d. in only \(above) of \(withNull) intervals (mostly estimator bias)" }
                out.append(Claim(claim: "MI between update magnitudes and activations rises, and the direction proxy β* falls, during training",
                                 figure: "Fig. 3D, SI S9", paperValue: "MI 0.16–0.57 rising; β* falling (authors' arrays)", run: run.name,
                                 measured: String(format: "MI %.3f–%.3f, ρ(step) = %.2f (p = %.2g); β* %.3f–%.3f, ρ(step) = %.2f (p = %.2g); %d intervals of %d steps",
                                                  mi.min()!, mi.max()!, rm.rho, rm.p, betas.map(\.1).min() ?? .nan, betas.map(\.1).max() ?? .nan, rb.rho, rb.p,
                                                  s.records.count, s.settings.interval),
                                 comparison: withNull > 0 ? String(format: "MI − shuffle-null mean %.3f–%.3f nats; above the null by 2 s.d. in %d of %d intervals; Miller–Madow %.3f–%.3f", excess.min()!, excess.max()!, above, withNull, s.records.map(\.mi.millerMadow).min()!, s.records.map(\.mi.millerMadow).max()!) : "no shuffle null recorded",
                                 verdict: verdict))
            }
            if let s = run.information {
                if let st = s.stability {
                    let correlated = st.spearmanRho > 0 && st.spearmanP < 0.05 && st.null.rhoExceedance < 0.05
                    let level = st.tP >= 0.05
                    out.append(Claim(claim: "β*·MI is stable across nearby steps",
                                     figure: "Fig. 3E, SI S10–S11", paperValue: "Spearman ρ ≈ 0.94, t-test not significant (Δ = 400 steps)", run: run.name,
                                     measured: String(format: "ρ = %.2f (p = %.2g), t = %.2f (p = %.2g), %d pairs at Δ = %d steps", st.spearmanRho, st.spearmanP, st.tStatistic, st.tP, st.pairs, st.lag * s.settings.interval),
                                     comparison: String(format: "shuffled-time null: ρ %.2f ± %.2f (fraction |ρ| ≥ |ρ̂| %.3f), t %.2f ± %.2f (fraction |t| ≥ |t̂| %.3f)", st.null.rhoMean, st.null.rhoSD, st.null.rhoExceedance, st.null.tMean, st.null.tSD, st.null.tExceedance),
                                     verdict: correlated && level ? "supported" : correlated ? "partly supported: correlated, but the product drifts (t-test p < 0.05)" : level ? "partly supported: no drift, but not correlated beyond the shuffled null" : "not supported"))
                } else if let note = s.stabilityNote {
                    out.append(Claim(claim: "β*·MI is stable across nearby steps", figure: "Fig. 3E", paperValue: "Spearman ρ ≈ 0.94", run: run.name,
                                     measured: "not enough intervals", comparison: note, verdict: "inconclusive: too few intervals"))
                }
                let aligned = alignedEntropy(run, s)
                if aligned.h.count >= 3 {
                    let r = RankAndMeanTests.spearman(aligned.h, aligned.mi)
                    out.append(Claim(claim: "Update entropy and mutual information compete", figure: "SI S12", paperValue: "entropy and MI move against each other", run: run.name,
                                     measured: String(format: "Spearman ρ(entropy, MI) = %.2f (p = %.2g) over %d intervals", r.rho, r.p, aligned.h.count),
                                     comparison: "entropy of each step's |Δθ| on the fixed log grid, averaged per MI interval",
                                     verdict: r.rho < 0 && r.p < 0.05 ? "supported" : r.rho < 0 ? "partly supported: negative but not significant" : "not supported"))
                }
            }
            if let k = run.kl, let m = k.medianRatio, let q1 = k.ratioQ1, let q3 = k.ratioQ3 {
                let verdict = (0.9...1.1).contains(m) && q1 >= 0.8 && q3 <= 1.25 ? "supported" : (0.5...2).contains(m) ? "partly supported: the median ratio is within a factor 2" : "not supported"
                out.append(Claim(claim: "The KL divergence of one update is locally quadratic (D_KL ≈ ½ΔθᵀFΔθ)", figure: "Fig. 3B–C, SI S8",
                                 paperValue: "on the identity line (bs 50 and 500, lr 0.01)", run: run.name,
                                 measured: String(format: "median D_KL/Q = %.3f (quartiles %.3f–%.3f) over %d checks", m, q1, q3, k.checks),
                                 comparison: "probe of \(k.probe) training images, every \(k.settings.every) steps; Q by exact forward-mode", verdict: verdict))
            }
        }
        return out
    }

    /// Interval-mean entropy and MI of the same intervals.
    static func alignedEntropy(_ run: RunData, _ s: InformationObserver.Summary) -> (h: [Double], mi: [Double]) {
        guard let (x, h) = Figures.intervalEntropy(run, s) else { return ([], []) }
        let i = Double(s.settings.interval)
        var hs: [Double] = [], ms: [Double] = []
        for r in s.records {
            if let j = x.firstIndex(of: Double(r.intervalStart) + i) { hs.append(h[j]); ms.append(r.mi.authors) }
        }
        return (hs, ms)
    }
}

extension Claims {
    /// "Mini-batch gradient noise is Gaussian-like" (SI S13). A layer is Gaussian-like when at least half
    /// of its parameters pass the D'Agostino–Pearson test at 5 % and its pooled standardised noise has
    /// |excess kurtosis| < 1; every layer → "supported", some → "partly supported", none → "not
    /// supported". Beside it: the Hill index of the pooled SGD updates, the tail the paper fits.
    public static func gradientNoise(_ runs: [RunData]) -> [Claim] {
        var out: [Claim] = []
        for run in runs {
            guard let noise = run.noise else { continue }
            for s in noise.sources where !s.layers.isEmpty {
                let gaussian = s.layers.filter { $0.gaussianFraction >= 0.5 && abs($0.noise.excessKurtosis) < 1 }
                let kurt = s.layers.map(\.noise.excessKurtosis), frac = s.layers.map(\.gaussianFraction)
                let hill = s.layers.map(\.updates.hillAlpha)
                out.append(Claim(claim: "Mini-batch gradient noise is Gaussian-like", figure: "SI S13", paperValue: "Gaussian (normal MLE fit)", run: "\(run.name) (\(s.source))",
                                 measured: String(format: "pooled ξ/σ̂ excess kurtosis %.2f–%.2f; %.0f–%.0f%% of parameters pass normality at 5%% (%ld layers, %ld mini-batches of %ld)",
                                                  kurt.min()!, kurt.max()!, 100 * frac.min()!, 100 * frac.max()!, s.layers.count, noise.settings.batches, noise.settings.batchSize),
                                 comparison: String(format: "pooled SGD updates −η·g: Hill α̂ %.2f–%.2f, excess kurtosis %.2f–%.2f",
                                                    hill.min()!, hill.max()!, s.layers.map(\.updates.excessKurtosis).min()!, s.layers.map(\.updates.excessKurtosis).max()!)
                                     + (gaussian.count == s.layers.count && s.layers.contains { $0.updates.excessKurtosis > 1 }
                                        ? "; Gaussian noise per parameter, heavy-tailed pooled updates: the tail comes from the spread of scales across parameters" : ""),
                                 verdict: gaussian.count == s.layers.count ? "supported" : gaussian.isEmpty ? "not supported: no layer's noise is Gaussian-like" : "partly supported: \(gaussian.count) of \(s.layers.count) layers Gaussian-like (\(gaussian.map(\.layer).joined(separator: ", ")))"))
            }
        }
        return out
    }
}
