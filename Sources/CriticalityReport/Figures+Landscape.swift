import CriticalityCore
import CriticalityRun
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// The loss-landscape figures: Fig. 4B–E, SI S14 and SI S16–S18.
extension Figures {
    static let signColors: [PerturbationSign: String] = [.plus: "#1f77b4", .minus: "#d62728"]
    static let deltaColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]

    /// The maximum-likelihood power law above x_min as a density over all n values (zeros included),
    /// dashed over [x_min, max].
    static func responseFit(_ a: ResponseAnalysis, color: String, label: String) -> Series? {
        guard let t = a.tail, a.maximum > t.xmin else { return nil }
        let share = Double(t.nTail) / Double(a.n)
        let xs = (0...30).map { t.xmin * pow(a.maximum / t.xmin, Double($0) / 30) }
        return Series(x: xs, y: xs.map { share * (t.alpha - 1) / t.xmin * pow($0 / t.xmin, -t.alpha) }, label: label,
                      color: color, style: .dashed(width: 1.5))
    }

    /// Fig. 4B–C: the paper's histogram (40 linear bins, probabilities) of |ΔL| for small δ on semi-log
    /// axes, both signs, one panel per checkpoint; dashed: the whole-sample exponential's bin probabilities.
    public static func landscapeSmallDelta(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let l = run.landscape else { continue }
            for source in l.trainSources {
                for delta in Set(source.responses.map(\.delta)).sorted() where delta < 0.1 {
                    var p = Panel(title: "δ = \(LandscapeFolder.deltaText(delta)) — \(run.name), \(source.source)", xLabel: "|ΔL| (nats)",
                                  yLabel: "probability per bin", yScale: .log)
                    for r in source.responses where r.delta == delta {
                        let a = r.analysis, color = signColors[r.sign] ?? "#333"
                        p.series.append(Series(x: a.histogramCenters, y: a.histogramProbabilities,
                                               label: "\(r.sign.rawValue): \(a.classification.rawValue)", color: color, style: .markers(radius: 2.4)))
                        if a.histogramCenters.count > 1, a.exponentialRate.isFinite {
                            let w = a.histogramCenters[1] - a.histogramCenters[0], lambda = a.exponentialRate
                            // Drawn down to a tenth of the smallest bin with data, so the axis shows the data.
                            let floor = (a.histogramProbabilities.filter { $0 > 0 }.min() ?? 0) / 10
                            let pts = a.histogramCenters.map { c in (c, exp(-lambda * max(c - w / 2, 0)) - exp(-lambda * (c + w / 2))) }.filter { $0.1 >= floor }
                            p.series.append(Series(x: pts.map(\.0), y: pts.map(\.1),
                                                   label: String(format: "exponential λ̂ = %.3g (KS %.3f)", lambda, a.exponentialKS),
                                                   color: color, style: .dashed(width: 1.2)))
                        }
                    }
                    panels.append(p)
                }
            }
        }
        return Figure(id: "fig4bc", caption: "Fig. 4B–C — distribution of the loss response |ΔL| = |L(θ ± δe_k) − L(θ)| to a small single-parameter perturbation (the paper's 40 linear bins, semi-log axes), L over the whole training set; markers: θ + δ (blue) and θ − δ (red); dashed: the whole-sample exponential fit (maximum likelihood) in the same bins. A straight dashed line that follows the markers is the paper's \"exponential-like\".", panels: panels)
    }

    /// Fig. 4D–E: |ΔL| for large δ on log–log axes (log-spaced bins, density), both signs, one panel per
    /// checkpoint; dashed: the maximum-likelihood power law above its KS-chosen x_min.
    public static func landscapeLargeDelta(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let l = run.landscape else { continue }
            for source in l.trainSources {
                for delta in Set(source.responses.map(\.delta)).sorted() where delta >= 0.1 {
                    var p = Panel(title: "δ = \(LandscapeFolder.deltaText(delta)) — \(run.name), \(source.source)", xLabel: "|ΔL| (nats)",
                                  yLabel: "probability density", xScale: .log, yScale: .log)
                    for r in source.responses where r.delta == delta {
                        guard let v = l.values(r) else { continue }
                        let color = signColors[r.sign] ?? "#333"
                        let h = PaperHistogram.logarithmic(v, bins: 30)
                        p.series.append(Series(x: h.centers, y: h.densities, label: "\(r.sign.rawValue): \(r.analysis.classification.rawValue)",
                                               color: color, style: .markers(radius: 2.4)))
                        if let t = r.analysis.tail, let f = responseFit(r.analysis, color: color, label: "α̂ = " + Claims.estimate(t.alpha, t.alphaStderr)) {
                            p.series.append(f)
                        }
                    }
                    panels.append(p)
                }
            }
        }
        return Figure(id: "fig4de", caption: "Fig. 4D–E — distribution of |ΔL| for a large perturbation (log-spaced bins, log–log axes), L over the whole training set; markers: θ + δ (blue), θ − δ (red); dashed: maximum-likelihood power law above its KS-chosen x_min. A straight line over decades is the paper's \"power-law-like\".", panels: panels)
    }

    /// The CCDF P(X ≥ x) of `values` at up to `points` log-spaced ranks.
    static func ccdf(_ values: [Double], points: Int = 300) -> ([Double], [Double]) {
        let v = values.filter { $0 > 0 }.sorted()
        guard !v.isEmpty else { return ([], []) }
        let n = Double(values.count)
        var xs: [Double] = [], ys: [Double] = []
        var last = -1
        for k in 0..<points {
            let i = min(v.count - 1, Int(Double(v.count - 1) * (1 - pow(Double(points - 1 - k) / Double(points - 1), 3))))
            if i == last { continue }
            last = i
            xs.append(v[i]); ys.append(Double(v.count - i) / n)
        }
        return (xs, ys)
    }

    /// SI S14: small and large δ side by side — the CCDF of |ΔL| of every δ and sign of each run's last
    /// checkpoint on log–log axes (a power law is a straight line, an exponential bends down).
    public static func landscapeScales(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let l = run.landscape, let source = l.trainSources.last else { continue }
            var p = Panel(title: "CCDF of |ΔL| — \(run.name), \(source.source)", xLabel: "|ΔL| (nats)", yLabel: "P(|ΔL| ≥ x)",
                          xScale: .log, yScale: .log)
            let deltas = Set(source.responses.map(\.delta)).sorted()
            for r in source.responses {
                guard let v = l.values(r) else { continue }
                let (x, y) = ccdf(v)
                let color = deltaColors[(deltas.firstIndex(of: r.delta) ?? 0) % deltaColors.count]
                p.series.append(Series(x: x, y: y, label: "δ = \(LandscapeFolder.deltaText(r.delta)) \(r.sign.rawValue)", color: color,
                                       style: r.sign == .plus ? .line(width: 1.6) : .dashed(width: 1.6)))
            }
            panels.append(p)
        }
        return Figure(id: "figS14", caption: "SI Fig. S14 — small and large perturbations side by side: complementary CDF of |ΔL| for every δ (colours) and sign (solid +, dashed −) at the last scanned checkpoint.", panels: panels)
    }

    /// SI S16–S18: synthetic paraboloids f = Σ c_i x_i², one panel per curvature law: the density of
    /// |Δf| (+δ) for every δ, log–log; dashed: the power law where the response is classed power-law-like.
    public static func syntheticLandscapes(_ landscapes: [LandscapeData]) -> Figure {
        var panels: [Panel] = []
        for l in landscapes {
            for source in l.summary.sources {
                var p = Panel(title: "c ~ \(source.source) — \(l.name)", xLabel: "|Δf|", yLabel: "probability density", xScale: .log, yScale: .log)
                let deltas = Set(source.responses.map(\.delta)).sorted()
                for r in source.responses where r.sign == .plus {
                    guard let v = l.values(r) else { continue }
                    let color = deltaColors[(deltas.firstIndex(of: r.delta) ?? 0) % deltaColors.count]
                    let h = PaperHistogram.logarithmic(v, bins: 40)
                    p.series.append(Series(x: h.centers, y: h.densities,
                                           label: "δ = \(LandscapeFolder.deltaText(r.delta)): \(r.analysis.classification.rawValue)",
                                           color: color, style: .markers(radius: 2)))
                    if r.analysis.classification == .powerLawLike, let t = r.analysis.tail,
                       let f = responseFit(r.analysis, color: color, label: "α̂ = " + Claims.estimate(t.alpha, t.alphaStderr)) {
                        p.series.append(f)
                    }
                }
                panels.append(p)
            }
        }
        var f = Figure(id: "figS16-S18", caption: "SI Figs. S16–S18 — synthetic landscapes f(x) = Σ c_i x_i² with x_i ~ U(−1, 1) and curvatures from a known law, each coordinate moved by +δ alone (Δf_i = c_i(2x_iδ + δ²)); log-spaced bins; dashed: maximum-likelihood power law where the response is classed power-law-like. For δ ≫ |x| the response follows the law of c.", panels: panels)
        f.panelWidth = 340; f.panelHeight = 280
        return f
    }
}
