import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityRun
import CriticalityStats
import Foundation

/// One function per figure of the paper (each names the figure it reproduces).
public enum Figures {
    static let windowColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

    /// Averages `y` over consecutive bins so that at most `points` remain (for per-step curves).
    static func downsample(_ x: [Double], _ y: [Double], points: Int = 600) -> ([Double], [Double]) {
        guard x.count > points else { return (x, y) }
        let k = (x.count + points - 1) / points
        var ox: [Double] = [], oy: [Double] = []
        var i = 0
        while i < x.count {
            let j = min(i + k, x.count)
            ox.append(x[i..<j].reduce(0, +) / Double(j - i)); oy.append(y[i..<j].reduce(0, +) / Double(j - i))
            i = j
        }
        return (ox, oy)
    }

    /// Fig. 1C: training loss against step, the analysis windows shaded.
    public static func trainingLoss(_ runs: [RunData]) -> Figure {
        let panels = runs.map { run -> Panel in
            var p = Panel(title: "Training loss — \(run.name)", xLabel: "step", yLabel: "training loss", yScale: .log)
            let (x, y) = downsample(run.steps, run.trainLoss)
            p.series = [Series(x: x, y: y, label: "mini-batch loss (mean per \(max(1, run.steps.count / 600)) steps)", color: "#333", style: .line(width: 1.2))]
            if !run.testAccuracy.isEmpty {
                p.rightYLabel = "test accuracy"
                p.series.append(Series(x: run.evalSteps, y: run.testAccuracy, label: "test accuracy (right axis)", color: "#2ca02c",
                                       style: .line(width: 1.5), rightAxis: true))
            }
            p.shaded = run.windows.enumerated().map { (i, w) in
                (Double(w.range.lowerBound), Double(w.range.upperBound), "stage \(i + 1)", windowColors[i % windowColors.count])
            }
            return p
        }
        var figure = Figure(id: "fig1c", caption: "Fig. 1C — training loss per step (averaged over bins of steps) and test accuracy (right axis); shaded: the windows whose every update is recorded.", panels: panels)
        figure.sources = runs.map { RunDirectory($0.path).metrics }
        return figure
    }

    /// The fitted power law of a scope as a dashed line over [x_min, max] (density or CCDF form).
    static func fittedLine(_ f: TailFitReport, maximum: Double, positiveFraction: Double, ccdf: Bool, color: String, label: String) -> Series {
        let tailShare = Double(f.nTail) / Double(max(f.n - f.nDropped, 1))
        let xs = (0...40).map { f.xmin * pow(maximum / f.xmin, Double($0) / 40) }
        let ys = xs.map { x -> Double in
            ccdf ? tailShare * pow(x / f.xmin, 1 - f.alpha)
                : positiveFraction * tailShare * (f.alpha - 1) / f.xmin * pow(x / f.xmin, -f.alpha)
        }
        return Series(x: xs, y: ys, label: label, color: color, style: .dashed(width: 1.6))
    }

    /// Fig. 2 (density) and SI Fig. S1 (CCDF): |Δθ| of `scope` on log–log axes, one colour per window,
    /// with the maximum-likelihood power law over its fitted range and α̂ ± s.e. in the legend.
    public static func updateDistribution(_ runs: [RunData], scope: String = "all", ccdf: Bool = false) -> Figure {
        let panels = runs.map { run -> Panel in
            var p = Panel(title: "\(ccdf ? "CCDF" : "P(|Δθ|)") — \(run.name), \(scope)", xLabel: "|Δθ|",
                          yLabel: ccdf ? "P(|Δθ| ≥ x)" : "probability density", xScale: .log, yScale: .log)
            // The density from three decades below the lowest fitted x_min (below it lie twenty decades of
            // Float32 rounding noise); the CCDF keeps the full range.
            let floor = ccdf ? 0 : (run.windows.compactMap { $0.fits(scope: scope)?.update?.xmin }.min() ?? 0) / 1000
            for (i, w) in run.windows.enumerated() {
                let color = windowColors[i % windowColors.count]
                guard let x = w.array(ccdf ? .logBinEdges(.update, scope: scope) : .logBinCenters(.update, scope: scope)),
                      let yAll = w.array(ccdf ? .ccdf(.update, scope: scope) : .density(.update, scope: scope)) else { continue }
                let xAll = ccdf ? Array(x.dropLast()) : x
                let kept = xAll.indices.filter { xAll[$0] >= floor && $0 < yAll.count }
                let xs = kept.map { xAll[$0] }, y = kept.map { yAll[$0] }
                p.series.append(Series(x: xs, y: y, label: "steps \(w.range.lowerBound)–\(w.range.upperBound)", color: color, style: .markers(radius: 2.2)))
                if let f = w.fits(scope: scope)?.update, let s = w.summary.scopes.first(where: { $0.scope == scope }),
                   let mx = s.update.maximum {
                    let pos = Double(s.update.count - s.update.zeros) / Double(max(s.update.count, 1))
                    p.series.append(fittedLine(f, maximum: Double(mx), positiveFraction: pos, ccdf: ccdf, color: color,
                                               label: "α̂ = " + Claims.estimate(f.alpha, f.alphaStderr)))
                }
            }
            return p
        }
        var figure = Figure(id: ccdf ? "figS1-\(scope)" : "fig2-\(scope)",
                      caption: ccdf ? "SI Fig. S1 — complementary CDF of |Δθ| (\(scope)), dashed: fitted power law."
                          : "Fig. 2 — distribution of update magnitudes |Δθ| (\(scope)) in each training stage, from three decades below the lowest fitted x_min (the full range is in the CCDF, SI Fig. S1); dashed: maximum-likelihood power law above its KS-chosen x_min.",
                      panels: panels)
        figure.sources = runs.flatMap { run in run.windows.map { UpdateWindowFolder($0.path).path(ccdf ? .ccdf(.update, scope: scope) : .density(.update, scope: scope)) } }
        return figure
    }

    /// SI Fig. S5: the character Transformer's |Δθ| (all parameters) at each batch size, one panel per
    /// stage (steps 0–999, the authors' histograms, then the later stage), one colour per run, each with
    /// its maximum-likelihood power law (dashed) and α̂ ± s.e. in the legend.
    public static func transformerUpdates(_ runs: [RunData]) -> Figure {
        let transformers = runs.filter(\.isTransformer)
        var figure = Figure(id: "figS5-transformer",
                      caption: "SI Fig. S5 — update magnitudes |Δθ| of the character Transformer (all 409,394 parameters of the authors' model), one colour per run (batch size; the causal text run beside them), one panel per stage, from three decades below the lowest fitted x_min; dashed: maximum-likelihood power law above its KS-chosen x_min.",
                      panels: stagePanels(transformers.map { ($0.name, $0) }, title: "SI S5"))
        figure.sources = densitySources(transformers)
        return figure
    }

    /// The "all" density arrays of every window of `runs`.
    static func densitySources(_ runs: [RunData]) -> [String] {
        runs.flatMap { run in run.windows.map { UpdateWindowFolder($0.path).path(.density(.update, scope: "all")) } }
    }

    /// One panel per stage (the k-th window of each run), one colour per labelled run, each with its
    /// maximum-likelihood power law (dashed, α̂ ± s.e. in the legend); the |Δθ| axis starts three
    /// decades below the lowest fitted x_min of the stage: below it lies Float32 rounding noise of
    /// parameters that barely move, twenty decades that would squeeze the tails together.
    static func stagePanels(_ runs: [(label: String, run: RunData)], title: String, colors: [String]? = nil) -> [Panel] {
        let stages = runs.map(\.run.windows.count).max() ?? 0
        var panels: [Panel] = []
        for k in 0..<stages {
            var p = Panel(title: k == 0 ? "\(title) — first stage" : "\(title) — stage \(k + 1)", xLabel: "|Δθ|", yLabel: "probability density",
                          xScale: .log, yScale: .log)
            let floor = (runs.compactMap { k < $0.run.windows.count ? $0.run.windows[k].fits(scope: "all")?.update?.xmin : nil }.min() ?? 0) / 1000
            for (i, (label, run)) in runs.enumerated() where k < run.windows.count {
                let w = run.windows[k], color = colors?[i] ?? Figure.palette[i % Figure.palette.count]
                guard let xAll = w.array(.logBinCenters(.update, scope: "all")), let yAll = w.array(.density(.update, scope: "all")) else { continue }
                let kept = xAll.indices.filter { xAll[$0] >= floor }
                let x = kept.map { xAll[$0] }, y = kept.map { yAll[$0] }
                p.series.append(Series(x: x, y: y, label: "\(label), steps \(w.range.lowerBound)–\(w.range.upperBound)", color: color, style: .markers(radius: 2.0)))
                if let f = w.fits(scope: "all")?.update, let s = w.summary.scopes.first(where: { $0.scope == "all" }), let mx = s.update.maximum {
                    let pos = Double(s.update.count - s.update.zeros) / Double(max(s.update.count, 1))
                    p.series.append(fittedLine(f, maximum: Double(mx), positiveFraction: pos, ccdf: false, color: color,
                                               label: "α̂ = " + Claims.estimate(f.alpha, f.alphaStderr)))
                }
            }
            panels.append(p)
        }
        return panels
    }

    /// SI Figs. S2–S7, one panel of a sweep: the conditions' |Δθ| side by side (each condition's first
    /// seed), one plot per stage, one colour per condition.
    public static func sweepPanel(_ sweep: SweepData, panel: SweepPanel) -> Figure {
        let runs = sweep.conditions(of: panel).compactMap { c in sweep.runs(of: c).first.map { (c, $0.run) } }
        // a condition keeps its colour in every panel of the sweep (its place among the sweep's conditions)
        let all = sweep.manifest.conditions
        let colors = runs.map { Figure.palette[(all.firstIndex(of: $0.0) ?? 0) % Figure.palette.count] }
        var figure = Figure(id: "sweep-\(sweep.manifest.name)-\(panel.id)",
                      caption: "SI Fig. \(panel.id) — \(panel.title): |Δθ| of every parameter, one colour per condition (its first seed; the table below has every seed), one plot per stage, from three decades below the lowest fitted x_min; dashed: maximum-likelihood power law above its KS-chosen x_min.",
                      panels: stagePanels(runs.map { ($0.0, $0.1) }, title: "SI \(panel.id)", colors: colors))
        figure.sources = densitySources(runs.map(\.1))
        return figure
    }

    /// Fig. 2, per layer: one panel per layer of one run.
    public static func updateDistributionPerLayer(_ run: RunData) -> Figure {
        var f = Figure(id: "fig2-layers-\(run.name)", caption: "Fig. 2, per layer — |Δθ| density of each layer of \(run.name).", panels: [])
        for layer in run.layers {
            let one = updateDistribution([run], scope: layer)
            if var p = one.panels.first { p.title = layer; f.panels.append(p) }
        }
        f.panelWidth = 300; f.panelHeight = 260
        f.sources = run.layers.flatMap { l in run.windows.map { UpdateWindowFolder($0.path).path(.density(.update, scope: l)) } }
        return f
    }

    /// SI Fig. S12 (entropy part): Shannon entropy of each step's |Δθ| distribution.
    public static func updateEntropy(_ runs: [RunData]) -> Figure {
        let panels = runs.map { run -> Panel in
            var p = Panel(title: "Update entropy — \(run.name)", xLabel: "step", yLabel: "H(|Δθ|) (nats)")
            for (i, w) in run.windows.enumerated() {
                guard let s = w.array(.seriesStep), let h = w.array(.seriesUpdateEntropy) else { continue }
                let (x, y) = downsample(s, h, points: 300)
                p.series.append(Series(x: x, y: y, label: "steps \(w.range.lowerBound)–\(w.range.upperBound)", color: windowColors[i % 4], style: .line(width: 1.2)))
            }
            return p
        }
        var figure = Figure(id: "figS12", caption: "SI Fig. S12 — entropy of each step's update-magnitude distribution on the fixed log grid (averaged over bins of steps).", panels: panels)
        figure.sources = runs.flatMap { run in run.windows.map { UpdateWindowFolder($0.path).path(.seriesUpdateEntropy) } }
        return figure
    }

    /// Fig. 5: distribution of inter-event intervals of large updates (q = 0.5% and 1%), log–log, with the
    /// fitted discrete power law.
    public static func intervals(_ runs: [RunData], scope: String = "all") -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let w = run.windows.last else { panels.append(Panel(title: "Intervals — \(run.name)", xLabel: "τ (steps)", yLabel: "P(τ)")); continue }
            var p = Panel(title: "Intervals — \(run.name), steps \(w.range.lowerBound)–\(w.range.upperBound)", xLabel: "interval τ (steps)",
                          yLabel: "P(τ)", xScale: .log, yScale: .log)
            for (i, t) in w.summary.timing.enumerated() {
                guard let counts = w.array(.intervalCounts(quantile: t.q, scope: scope)) else { continue }
                let total = counts.reduce(0, +)
                guard total > 0 else { continue }
                // log-binned probability per unit τ, for readability at large τ
                var xs: [Double] = [], ys: [Double] = []
                var a = 1
                while a < counts.count {
                    let b = min(counts.count, max(a + 1, Int((Double(a) * 1.25).rounded(.up))))
                    let c = counts[a..<b].reduce(0, +)
                    if c > 0 { xs.append((Double(a) * Double(b - 1)).squareRoot()); ys.append(c / total / Double(b - a)) }
                    a = b
                }
                let color = windowColors[(i + 2) % 4]
                p.series.append(Series(x: xs, y: ys, label: String(format: "q = %.1f%%", 100 * t.q), color: color, style: .markers(radius: 2.4)))
                if let f = w.fits(scope: scope)?.intervals.first(where: { $0.q == t.q })?.fit {
                    let share = Double(f.nTail) / total
                    let z = Special.hurwitzZeta(f.alpha, f.xmin)
                    let lx = (0...30).map { f.xmin * pow(Double(counts.count) / f.xmin, Double($0) / 30) }
                    p.series.append(Series(x: lx, y: lx.map { share * pow($0, -f.alpha) / z }, label: "α̂ = " + Claims.estimate(f.alpha, f.alphaStderr),
                                           color: color, style: .dashed(width: 1.5)))
                }
            }
            panels.append(p)
        }
        var figure = Figure(id: "fig5", caption: "Fig. 5 — distribution of intervals between large updates of the same parameter (|Δθ| above the window's top-q threshold), pooled over parameters; dashed: discrete maximum-likelihood power law.", panels: panels)
        figure.sources = runs.flatMap { run in run.windows.last.map { w in w.summary.timing.map { UpdateWindowFolder(w.path).path(.intervalCounts(quantile: $0.q, scope: scope)) } } ?? [] }
        return figure
    }
}
