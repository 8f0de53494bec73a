import CriticalityIO
import CriticalityObservers
import CriticalityRun
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// Fig. 3 and SI S8, S10, S12: the information observer's MI and β* series, the product's stability and
/// the quadratic KL check.
extension Figures {
    /// The x of each series as the authors plot it: MI of interval k at the end of the interval,
    /// (k + 1)·I; β*_k (intervals k, k + 1) at (k + 2)·I, the end of the later one.
    static func informationSteps(_ s: InformationObserver.Summary) -> (mi: [Double], beta: [Double]) {
        let i = Double(s.settings.interval)
        let mi = s.records.map { Double($0.intervalStart) + i }
        return (mi, mi.count > 1 ? Array(mi.dropFirst()) : [])
    }

    /// Fig. 3D: MI (the authors' estimator, with the Miller–Madow correction and the shuffle null's
    /// mean ± 2 s.d.) and β* over training, one panel per run (β* on the right axis).
    public static func informationSeries(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let s = run.information else { continue }
            var p = Panel(title: "MI and β* — \(run.name)", xLabel: "step", yLabel: "I(|Δw|; a) (nats)")
            p.rightYLabel = "β* = |cos| of adjacent PCs"
            let (x, xb) = informationSteps(s)
            p.series.append(Series(x: x, y: s.records.map(\.mi.authors), label: "MI (authors' estimator)", color: "#1f77b4", style: .line(width: 1.6)))
            p.series.append(Series(x: x, y: s.records.map(\.mi.millerMadow), label: "MI, Miller–Madow (no smoothing)", color: "#17becf", style: .dashed(width: 1)))
            let nulls = s.records.enumerated().compactMap { i, r in r.nullMean.map { (x[i], $0, r.nullSD ?? 0) } }
            if !nulls.isEmpty {
                p.series.append(Series(x: nulls.map(\.0), y: nulls.map { $0.1 + 2 * $0.2 }, label: "shuffle null, mean ± 2 s.d.", color: "#999999", style: .dashed(width: 0.8)))
                p.series.append(Series(x: nulls.map(\.0), y: nulls.map { $0.1 }, color: "#999999", style: .line(width: 0.8)))
                p.series.append(Series(x: nulls.map(\.0), y: nulls.map { $0.1 - 2 * $0.2 }, color: "#999999", style: .dashed(width: 0.8)))
            }
            let betas = zip(xb, s.records.dropFirst()).compactMap { x, r in r.beta.map { (x, $0) } }
            p.series.append(Series(x: betas.map(\.0), y: betas.map(\.1), label: "β*", color: "#d62728", style: .line(width: 1.4), rightAxis: true))
            panels.append(p)
        }
        return Figure(id: "fig3d", caption: "Fig. 3D — mutual information I(|Δw|; a) between the weights' update magnitudes and their post-synaptic units' class-mean activations (per 200-step interval, the authors' 50 × 50 plug-in estimator) and the direction proxy β* (|cosine| of the leading principal components of |Δw| in adjacent intervals, right axis). Grey: the same estimator with the activations shuffled across the interval's steps (mean ± 2 s.d.) — the part of MI that any pairing of these marginals would give. Dashed cyan: the Miller–Madow bias-corrected plug-in.", panels: panels)
    }

    /// Fig. 3E: the product β*·MI at t against t + Δ (the authors' chain), with the identity line;
    /// markers coloured by the step of t (early blue to late red, in four quarters).
    public static func productStability(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        let quarterColors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"]
        for run in runs {
            guard let s = run.information, let st = s.stability else { continue }
            let i = Double(s.settings.interval)
            let (y, x) = ProductStability.pairs(st.product, lag: st.lag, stride: st.stride, offset: st.offset)
            var p = Panel(title: "β*·MI at t and t + Δ — \(run.name)", xLabel: "β*·I at t", yLabel: "β*·I at t + \(Int(Double(st.lag) * i)) steps")
            let n = y.count
            for q in 0..<4 {
                let idx = (0..<n).filter { $0 * 4 / max(n, 1) == q }
                guard !idx.isEmpty else { continue }
                let first = Int(Double(st.offset + idx.first! * st.stride + 2) * i), last = Int(Double(st.offset + idx.last! * st.stride + 2) * i)
                p.series.append(Series(x: idx.map { y[$0] }, y: idx.map { x[$0] }, label: "t = \(first)–\(last)", color: quarterColors[q], style: .markers(radius: 2.6)))
            }
            let all = x + y
            if let lo = all.min(), let hi = all.max() {
                p.series.append(Series(x: [lo, hi], y: [lo, hi], label: String(format: "identity; ρ = %.2f (null %.2f ± %.2f)", st.spearmanRho, st.null.rhoMean, st.null.rhoSD), color: "#555555", style: .dashed(width: 1)))
            }
            panels.append(p)
        }
        return Figure(id: "fig3e", caption: "Fig. 3E — stability of β*·MI: the product at interval t against t + Δ on the authors' chain (every other interval, Δ = two intervals), with the identity line (dashed). Spearman's ρ is given beside the mean ± s.d. of ρ on a shuffled-time null (the product series permuted before pairing).", panels: panels)
    }

    /// Fig. 3B–C / SI S8: the exact KL divergence against ½ΔθᵀFΔθ at each check, log–log, identity dashed.
    public static func quadraticKL(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let k = run.kl, !k.records.isEmpty else { continue }
            let pts = k.records.filter { $0.kl > 0 && $0.quadratic > 0 }
            var p = Panel(title: "KL vs ½ΔθᵀFΔθ — \(run.name)", xLabel: "½ ΔθᵀFΔθ", yLabel: "D_KL(p_θ ‖ p_θ+Δθ)", xScale: .log, yScale: .log)
            p.series.append(Series(x: pts.map(\.quadratic), y: pts.map(\.kl), label: String(format: "every %d steps; median ratio %.3f", k.settings.every, k.medianRatio ?? .nan),
                                   color: "#1f77b4", style: .markers(radius: 2.6)))
            if let lo = (pts.map(\.quadratic) + pts.map(\.kl)).min(), let hi = (pts.map(\.quadratic) + pts.map(\.kl)).max() {
                p.series.append(Series(x: [lo, hi], y: [lo, hi], label: "identity", color: "#555555", style: .dashed(width: 1)))
            }
            panels.append(p)
        }
        return Figure(id: "fig3bc", caption: "Fig. 3B–C / SI S8 — local quadratic approximation of the KL divergence: at each check, the exact mean KL divergence between the softmax outputs at θ and at θ + Δθ (Δθ the step's actual update) over a fixed probe set of training images, against ½ΔθᵀFΔθ with F the Fisher information of the outputs (exact forward-mode directional derivative). On the identity line (dashed) the approximation holds.", panels: panels)
    }

    /// SI S12: update entropy per step and MI per interval over training (entropy averaged per interval).
    public static func entropyAndInformation(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        for run in runs {
            guard let s = run.information, let (x, h) = intervalEntropy(run, s) else { continue }
            var p = Panel(title: "Entropy and MI — \(run.name)", xLabel: "step", yLabel: "H(|Δθ|) (nats), interval mean")
            p.rightYLabel = "I(|Δw|; a) (nats)"
            p.series.append(Series(x: x, y: h, label: "update entropy", color: "#9467bd", style: .line(width: 1.4)))
            let (mx, _) = informationSteps(s)
            p.series.append(Series(x: mx, y: s.records.map(\.mi.authors), label: "MI", color: "#1f77b4", style: .line(width: 1.4), rightAxis: true))
            panels.append(p)
        }
        return Figure(id: "figS12mi", caption: "SI S12 — the competition of update entropy and mutual information: the entropy of each step's |Δθ| (the update statistics' fixed log grid), averaged over each MI interval, beside MI of that interval.", panels: panels)
    }

    /// The mean update entropy over each MI interval that the recorded windows cover completely:
    /// (interval end step, mean entropy) pairs aligned with the MI records.
    static func intervalEntropy(_ run: RunData, _ s: InformationObserver.Summary) -> (steps: [Double], entropy: [Double])? {
        var byStep: [Int: Double] = [:]
        for w in run.windows {
            guard let st = w.array(.seriesStep), let h = w.array(.seriesUpdateEntropy) else { continue }
            for (a, b) in zip(st, h) { byStep[Int(a)] = b }
        }
        guard !byStep.isEmpty else { return nil }
        var x: [Double] = [], y: [Double] = []
        let i = s.settings.interval
        for r in s.records {
            let values = (r.intervalStart..<(r.intervalStart + i)).compactMap { byStep[$0] }
            guard values.count == i else { continue }
            x.append(Double(r.intervalStart + i)); y.append(values.reduce(0, +) / Double(i))
        }
        return x.isEmpty ? nil : (x, y)
    }
}

extension Figures {
    /// SI S13: the mini-batch gradient noise of each layer, standardised per parameter and pooled,
    /// as a density (log y) beside the standard normal (dashed), one panel per run and source.
    public static func gradientNoise(_ runs: [RunData]) -> Figure {
        var panels: [Panel] = []
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        for run in runs {
            guard let noise = run.noise else { continue }
            let folder = RunDirectory(run.path).noise.path
            for source in noise.sources {
                guard let (g, shape) = try? Npy.readDoubles(path: folder + "/" + source.gradientsFile), shape.count == 2,
                      let full = try? Npy.readDoubles(path: folder + "/" + source.fullGradientFile).values,
                      let params = try? Npy.readDoubles(path: folder + "/" + source.parametersFile).values else { continue }
                let (m, p) = (shape[0], shape[1])
                var panel = Panel(title: "Gradient noise — \(run.name), \(source.source)", xLabel: "ξ / σ̂ (per parameter)", yLabel: "density", yScale: .log)
                let layers = Set((0..<p).map { Int(params[2 * $0]) }).sorted()
                let edges = stride(from: -8.0, through: 8.0, by: 0.5).map { $0 }
                for (c, layer) in layers.enumerated() {
                    let z = GradientNoise.pooledNoise(gradients: g, full: full, batches: m,
                                                      columns: (0..<p).filter { Int(params[2 * $0]) == layer }).pooled
                    guard !z.isEmpty else { continue }
                    var counts = [Double](repeating: 0, count: edges.count - 1)
                    for v in z { let b = Int(((v + 8) / 0.5).rounded(.down)); if b >= 0 && b < counts.count { counts[b] += 1 } }
                    let centers = (0..<counts.count).map { edges[$0] + 0.25 }
                    let density = counts.map { $0 / (Double(z.count) * 0.5) }
                    let keep = density.indices.filter { density[$0] > 0 }
                    let stats = source.layers.indices.contains(c) ? source.layers[c] : nil
                    let name = stats?.layer ?? "layer \(layer)"
                    let kappa = stats.map { String(format: " (excess kurtosis %.1f)", $0.noise.excessKurtosis) } ?? ""
                    panel.series.append(Series(x: keep.map { centers[$0] }, y: keep.map { density[$0] }, label: name + kappa,
                                               color: colors[c % colors.count], style: .markers(radius: 2.2)))
                }
                let xs = stride(from: -5.0, through: 5.0, by: 0.1).map { $0 }
                panel.series.append(Series(x: xs, y: xs.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }, label: "N(0, 1)",
                                           color: "#333333", style: .dashed(width: 1.2)))
                panels.append(panel)
            }
        }
        return Figure(id: "figS13", caption: "SI S13 — mini-batch gradient noise ξ = g_batch − ḡ at the final parameters (`criticality noise`): for a fixed draw of parameters per layer, each parameter's noise over M mini-batches standardised by its own normal fit and pooled per layer (density, 0.5-wide bins), beside the standard normal (dashed). Gaussian noise follows the dashed curve; the excess kurtosis is in the legend.", panels: panels)
    }
}
