import CriticalityCore
import CriticalityRun
import CriticalityRunDirectory
import Foundation

/// What the report needs from a sweep folder: its manifest and the runs its points have so far.
public struct SweepData: Sendable {
    public var folder: SweepFolder
    public var manifest: SweepManifest
    /// The point's run, for every point whose run directory has a manifest.
    public var runs: [String: RunData]
    /// Points the report cannot show (not trained, stopped, failed), one sentence each.
    public var missing: [String]

    public init(folder: SweepFolder) throws {
        self.folder = folder
        manifest = try Sweep.read(folder)
        runs = [:]
        missing = []
        for p in manifest.points {
            let state = Sweep.state(of: p, in: folder)
            guard state == .done || state == .trained, let r = try? RunData(path: folder.run(p.name).path) else {
                missing.append("\(p.name): \(state.description)")
                continue
            }
            runs[p.name] = r
            if state == .trained { missing.append("\(p.name): trained but not analysed (run `criticality sweep report \(folder.path)`)") }
        }
    }

    /// The runs of `condition`, seed by seed, in the manifest's order.
    public func runs(of condition: String) -> [(point: SweepPoint, run: RunData)] {
        manifest.points.filter { $0.condition == condition }.compactMap { p in runs[p.name].map { (p, $0) } }
    }

    /// The conditions of `panel`, in the manifest's order.
    public func conditions(of panel: SweepPanel) -> [String] {
        manifest.conditions.filter { c in manifest.points.contains { $0.condition == c && $0.panels.contains(panel.id) } }
    }

    /// The runs in point order (what the run table lists).
    public var orderedRuns: [RunData] { manifest.points.compactMap { runs[$0.name] } }
}

/// Quantiles and CDF values of a window's |Δθ| ("all" scope), from its exact log-binned histogram:
/// the count of zeros and of positive values per bin of the fixed grid (LogGrid: about 53 bins per
/// decade), interpolated geometrically inside a bin. Exact to within one bin's width (≈ 2.5 % in |Δθ|).
public enum UpdateQuantiles {
    /// The histogram of `w`: bin edges, counts of positive values, zeros; nil without one.
    static func histogram(_ w: RunData.Window, scope: String = "all") -> (edges: [Double], counts: [Double], zeros: Double)? {
        guard let edges = w.array(.logBinEdges(.update, scope: scope)), let counts = w.array(.logBinCounts(.update, scope: scope)),
              edges.count == counts.count + 1, let s = w.summary.scopes.first(where: { $0.scope == scope }) else { return nil }
        return (edges, counts, Double(s.update.zeros))
    }

    /// The q-quantile of |Δθ| (zeros included, or of the positive values alone with `positive`), or nil
    /// without a histogram.
    public static func quantile(_ w: RunData.Window, _ q: Double, positive: Bool = false, scope: String = "all") -> Double? {
        guard var (edges, counts, zeros) = histogram(w, scope: scope) else { return nil }
        if positive { zeros = 0 }
        let total = zeros + counts.reduce(0, +)
        guard total > 0 else { return nil }
        var target = q * total
        if target <= zeros { return 0 }
        target -= zeros
        for (i, c) in counts.enumerated() where c > 0 {
            if target <= c { return edges[i] * pow(edges[i + 1] / edges[i], target / c) }
            target -= c
        }
        return edges.last
    }

    /// P(|Δθ| < x) (zeros included), or nil without a histogram.
    public static func fractionBelow(_ w: RunData.Window, _ x: Double, scope: String = "all") -> Double? {
        guard let (edges, counts, zeros) = histogram(w, scope: scope) else { return nil }
        let total = zeros + counts.reduce(0, +)
        guard total > 0 else { return nil }
        var below = x > 0 ? zeros : 0
        for (i, c) in counts.enumerated() {
            if x >= edges[i + 1] { below += c } else if x > edges[i] {
                below += c * log(x / edges[i]) / log(edges[i + 1] / edges[i])
            }
        }
        return below / total
    }
}
