import CriticalityRun
import CriticalityStats
import Foundation

/// One condition of a sweep in one training stage, over its seeds.
public struct ConditionStage: Sendable {
    public var condition: String
    /// "steps 0–10000": the stage's window (the same in every seed).
    public var stage: String
    public var seeds: [UInt64]
    /// α̂ and its standard error per seed (nil: no fit).
    public var alphas: [(alpha: Double, standardError: Double)?]
    /// Whether the power law beat the exponential (Vuong) per seed.
    public var heavy: [Bool?]
    /// Q(0.999) / Q(0.5) of the positive |Δθ| per seed (`Claims.tailRatioQuantile`).
    public var tailRatios: [Double?]
    /// Per seed, the fraction of |Δθ| (zeros included) below the reference's median in the same seed
    /// and stage; nil where there is no reference.
    public var belowReferenceMedian: [Double?]

    /// Mean and sample standard deviation (nil below two values) of the non-nil values.
    public static func spread(_ values: [Double?]) -> (mean: Double, sd: Double?, n: Int)? {
        let v = values.compactMap { $0 }.filter(\.isFinite)
        guard !v.isEmpty else { return nil }
        let m = v.reduce(0, +) / Double(v.count)
        guard v.count >= 2 else { return (m, nil, 1) }
        return (m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot(), v.count)
    }

    public var alphaSpread: (mean: Double, sd: Double?, n: Int)? { ConditionStage.spread(alphas.map { $0?.alpha }) }
    /// The mean of the per-seed standard errors (what one seed's fit claims).
    public var meanStandardError: Double? { ConditionStage.spread(alphas.map { $0?.standardError })?.mean }
}

extension Claims {
    /// The high quantile of |Δθ| set against the median in the cut-off and tail-restriction claims.
    public static let tailRatioQuantile = 0.999

    /// Every condition of `panel`, stage by stage (stage k = the k-th window of each run).
    public static func stages(_ sweep: SweepData, panel: SweepPanel) -> [[ConditionStage]] {
        let conditions = sweep.conditions(of: panel)
        let reference = panel.reference.map { sweep.runs(of: $0) } ?? []
        return conditions.map { c in
            let runs = sweep.runs(of: c)
            let stageCount = runs.map(\.run.windows.count).max() ?? 0
            return (0..<stageCount).map { k in
                let windows = runs.map { k < $0.run.windows.count ? $0.run.windows[k] : nil }
                let range = windows.compactMap { $0?.range }.first.map { "steps \($0.lowerBound)–\($0.upperBound)" } ?? "stage \(k + 1)"
                let fits = windows.map { $0?.fits(scope: "all")?.update }
                let below: [Double?] = zip(runs, windows).map { (r, w) in
                    guard let w, let ref = reference.first(where: { $0.point.seed == r.point.seed })?.run,
                          k < ref.windows.count, let median = UpdateQuantiles.quantile(ref.windows[k], 0.5) else { return nil }
                    return UpdateQuantiles.fractionBelow(w, median)
                }
                return ConditionStage(
                    condition: c, stage: range, seeds: runs.map(\.point.seed),
                    alphas: fits.map { $0.map { ($0.alpha, $0.alphaStderr) } },
                    heavy: fits.map { f in f.map { $0.comparisons.first { $0.alternative == .exponential }?.verdict == "power law favoured" } },
                    tailRatios: windows.map { w in
                        guard let w, let hi = UpdateQuantiles.quantile(w, tailRatioQuantile, positive: true),
                              let mid = UpdateQuantiles.quantile(w, 0.5, positive: true), mid > 0 else { return nil }
                        return hi / mid
                    },
                    belowReferenceMedian: below)
            }
        }
    }

    /// The spread of the conditions' mean α̂ in stage `k` of a panel (sample s.d.; nil below two).
    public static func betweenConditionSpread(_ stages: [[ConditionStage]], stage k: Int) -> Double? {
        ConditionStage.spread(stages.map { k < $0.count ? $0[k].alphaSpread?.mean : nil })?.sd
    }

    /// Whether a condition's seeds disagree more than the panel's conditions do (flagged in its table).
    public static func seedsDisagree(_ s: ConditionStage, between: Double?) -> Bool {
        guard let sd = s.alphaSpread?.sd, let between else { return false }
        return sd > between
    }

    /// A comparison of a condition with the reference over seeds: "supported" when the direction holds
    /// beyond 2 combined standard errors of the two means (both with ≥ 2 seeds), "partly supported" when
    /// it holds without that (or with one seed), "not supported" when it goes the other way.
    static func compare(_ value: (mean: Double, sd: Double?, n: Int), _ reference: (mean: Double, sd: Double?, n: Int), lower: Bool) -> String {
        let d = value.mean - reference.mean
        guard lower ? d < 0 : d > 0 else { return "not supported" }
        guard let a = value.sd, let b = reference.sd else { return "partly supported" }
        let se = (a * a / Double(value.n) + b * b / Double(reference.n)).squareRoot()
        return abs(d) > 2 * se ? "supported" : "partly supported"
    }

    /// The weakest of `verdicts` (all supported → supported; any not → not supported if all are, else partly).
    static func combine(_ verdicts: [String]) -> String {
        guard !verdicts.isEmpty else { return "inconclusive" }
        if verdicts.allSatisfy({ $0 == "supported" }) { return "supported" }
        if verdicts.allSatisfy({ $0 == "not supported" }) { return "not supported" }
        return "partly supported"
    }

    static func meanSD(_ s: (mean: Double, sd: Double?, n: Int)?, digits: Int = 2) -> String {
        guard let s else { return "—" }
        let f = "%.\(digits)f"
        return String(format: f, s.mean) + (s.sd.map { " ± " + String(format: f, $0) } ?? " (one seed)")
    }

    /// One claims row per panel of every sweep (SI Figs. S2–S7), verdicts computed by the rules under
    /// the claims table.
    public static func sweeps(_ sweeps: [SweepData]) -> [Claim] {
        var out: [Claim] = []
        for sweep in sweeps {
            for panel in sweep.manifest.panels {
                let stages = Claims.stages(sweep, panel: panel)
                let runCount = sweep.conditions(of: panel).map { sweep.runs(of: $0).count }.reduce(0, +)
                let where_ = "sweep \(sweep.manifest.name): \(stages.count) conditions, \(runCount) runs"
                let figure = "SI Fig. \(panel.id): \(panel.title)"
                let all = stages.flatMap { $0 }
                switch panel.claim {
                case .heavyTailed:
                    let flags = all.flatMap(\.heavy).compactMap { $0 }
                    let alphas = all.flatMap(\.alphas).compactMap { $0?.alpha }
                    let flagged = stages.enumerated().flatMap { (_, c) in c.enumerated().filter { (k, s) in seedsDisagree(s, between: betweenConditionSpread(stages, stage: k)) }.map { "\($0.1.condition) (\($0.1.stage))" } }
                    let measured = alphas.isEmpty ? "no fits (run `criticality sweep report`)"
                        : "α̂ \(f2(alphas.min()!))–\(f2(alphas.max()!)) over \(stages.count) conditions and \(all.count) condition-stages; exponential rejected in \(flags.filter { $0 }.count) of \(flags.count) fits"
                            + (flagged.isEmpty ? "" : "; seeds disagree more than the conditions in \(flagged.joined(separator: ", "))")
                    let verdict = flags.isEmpty ? "inconclusive" : flags.allSatisfy { $0 } ? "supported"
                        : Double(flags.filter { $0 }.count) >= Double(flags.count) / 2 ? "partly supported: not heavy-tailed in some runs" : "not supported"
                    out.append(Claim(claim: "Updates are heavy-tailed in every condition", figure: figure,
                                     paperValue: "heavy-tailed throughout", run: where_, measured: measured,
                                     comparison: "power law against exponential (Vuong) per run and stage", verdict: verdict,
                                     values: alphas, valueLabel: "α̂", valueUnit: "fits"))
                case .cutoff, .restrictsTail:
                    guard let ref = panel.reference, let refStages = stages.first(where: { $0.first?.condition == ref }) else { continue }
                    var parts: [String] = [], verdicts: [String] = []
                    for c in stages where c.first?.condition != ref {
                        for (k, s) in c.enumerated() where k < refStages.count {
                            guard let v = ConditionStage.spread(s.tailRatios), let r = ConditionStage.spread(refStages[k].tailRatios) else { continue }
                            verdicts.append(compare(v, r, lower: true))
                            parts.append("\(s.condition) \(meanSD(v, digits: 1)) vs \(ref) \(meanSD(r, digits: 1)) (\(s.stage))")
                        }
                    }
                    let claim = panel.claim == .cutoff ? "Adam-type optimisers cut off large updates" : "Learning rate and saturation restrict the tail"
                    out.append(Claim(claim: claim, figure: figure, paperValue: panel.claim == .cutoff ? "an algorithmic cutoff of the step size" : "a restricted gradient range",
                                     run: where_, measured: parts.isEmpty ? "no histograms" : "Q(99.9 %)/median of |Δθ| > 0, mean ± s.d. over seeds: " + parts.joined(separator: "; "),
                                     comparison: "each condition against \(ref), seed means beyond 2 combined s.e.", verdict: combine(verdicts)))
                case .smallUpdates:
                    guard let ref = panel.reference else { continue }
                    var parts: [String] = [], verdicts: [String] = []
                    for c in stages where c.first?.condition != ref {
                        for s in c {
                            guard let v = ConditionStage.spread(s.belowReferenceMedian) else { continue }
                            verdicts.append(compare(v, (0.5, 0, max(v.n, 2)), lower: false))
                            parts.append("\(s.condition) \(meanSD(v, digits: 3)) (\(s.stage))")
                        }
                    }
                    out.append(Claim(claim: "Linear networks have more frequent small updates", figure: figure,
                                     paperValue: "more frequent small updates", run: where_,
                                     measured: parts.isEmpty ? "no histograms" : "share of |Δθ| below \(ref)'s median (same seed and stage; \(ref) itself: 0.5): " + parts.joined(separator: "; "),
                                     comparison: "share against 0.5 beyond 2 s.e. over seeds", verdict: combine(verdicts)))
                }
            }
        }
        return out
    }
}
