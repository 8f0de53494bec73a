import CriticalityCore
import Foundation

/// The plug-in mutual information between update magnitudes |Δw| and activations a (Fig. 3D, SI S9),
/// in the authors' recipe (`mi_gradient.py`; authors-code-notes.md §2.4), and two views of its bias.
///
/// Authors' recipe, on two flattened blocks of equal length N: standardise each globally,
/// (v − mean)/(std + 10⁻¹⁰) with the population std; a 50 × 50 joint histogram with NumPy's
/// `histogram2d` bins (each axis's [min, max] in equal bins, a value on an inner edge in the upper bin,
/// the maximum in the last); P = H/N; the marginals of P; then 10⁻¹⁰ added to every joint cell and to
/// every marginal; MI = Σ P ln(P/(p_w p_aᵀ)) in nats.
///
/// Beside it: the plain plug-in (no smoothing: empty cells contribute 0) and its Miller–Madow
/// correction, MI_MM = MI_plug-in + ((m_w − 1) + (m_a − 1) − (m_wa − 1))/(2N) with m the occupied bins
/// of each histogram (the first-order bias of each entropy, H_MM = H + (m − 1)/(2N)).
///
/// Limitations: the estimator depends on the binning (50 bins over [min, max]: one outlier stretches the
/// range and empties most bins); compare with a shuffle null of the same sizes before reading a value as
/// information rather than bias.
public struct PluginMutualInformation: Codable, Sendable, Equatable {
    /// The authors' value (smoothed, nats).
    public var authors: Double
    public var plugin: Double
    public var millerMadow: Double
    public var occupiedJoint: Int, occupiedUpdates: Int, occupiedActivations: Int
    public var samples: Int

    enum CodingKeys: String, CodingKey {
        case authors, plugin, millerMadow = "miller_madow", occupiedJoint = "occupied_joint"
        case occupiedUpdates = "occupied_updates", occupiedActivations = "occupied_activations", samples
    }

    /// NumPy's bin of v among `bins` equal bins of [lo, hi] (`np.linspace` edges, `searchsorted` right,
    /// the maximum in the last bin).
    @inline(__always)
    public static func bin(_ v: Double, lo: Double, step: Double, hi: Double, bins: Int) -> Int {
        if v >= hi { return bins - 1 }
        var j = Int((v - lo) / step)
        j = min(max(j, 0), bins - 1)
        // The edges as np.linspace computes them: lo + i·step (the last one is hi).
        if v < lo + Double(j) * step { j -= 1 } else if j + 1 < bins && v >= lo + Double(j + 1) * step { j += 1 }
        return max(j, 0)
    }

    /// The standardised copy of x: (x − mean)/(std + 10⁻¹⁰), population std, sums in Double.
    static func standardised(_ x: [Double]) -> [Double] {
        let n = Double(x.count)
        var s = CompensatedSum()
        for v in x { s.add(v) }
        let mean = s.value / n
        var q = CompensatedSum()
        for v in x { q.add((v - mean) * (v - mean)) }
        let sd = (q.value / n).squareRoot()
        return x.map { ($0 - mean) / (sd + 1e-10) }
    }

    /// The three estimates from paired values (`updates[i]` with `activations[i]`).
    public static func estimate(updates: [Double], activations: [Double], bins: Int = 50) throws -> PluginMutualInformation {
        guard updates.count == activations.count, updates.count >= 2 else {
            throw CriticalityError(.invalidArgument, "mutual information needs paired values: \(updates.count) updates and \(activations.count) activations")
        }
        guard bins >= 2 else { throw CriticalityError(.invalidArgument, "mutual information needs at least 2 bins per axis; got \(bins)") }
        if let i = (updates + activations).firstIndex(where: { !$0.isFinite }) {
            throw CriticalityError(.invalidArgument, "mutual information: value at index \(i % updates.count) of the \(i < updates.count ? "updates" : "activations") is not finite")
        }
        let w = standardised(updates), a = standardised(activations)
        func range(_ x: [Double]) -> (Double, Double, Double) {
            var lo = x.min()!, hi = x.max()!
            if lo == hi { lo -= 0.5; hi += 0.5 }  // NumPy's rule for a constant axis
            return (lo, hi, (hi - lo) / Double(bins))
        }
        let (wl, wh, ws) = range(w), (al, ah, ast) = range(a)
        var h = [Double](repeating: 0, count: bins * bins)
        for i in w.indices {
            h[bin(w[i], lo: wl, step: ws, hi: wh, bins: bins) * bins + bin(a[i], lo: al, step: ast, hi: ah, bins: bins)] += 1
        }
        return fromJointCounts(h, bins: bins)
    }

    /// The three estimates from a `bins` × `bins` joint histogram of counts, row-major with the update
    /// bin as the row (`h[r·bins + c]`), as `estimate` bins it; N = Σ h.
    public static func fromJointCounts(_ h: [Double], bins: Int) -> PluginMutualInformation {
        precondition(h.count == bins * bins)
        let n = h.reduce(0, +)
        var pw = [Double](repeating: 0, count: bins), pa = [Double](repeating: 0, count: bins)
        for r in 0..<bins { for c in 0..<bins { let p = h[r * bins + c] / n; pw[r] += p; pa[c] += p } }
        var authors = 0.0, plugin = 0.0
        for r in 0..<bins {
            for c in 0..<bins {
                let p = h[r * bins + c] / n
                let ps = p + 1e-10
                authors += ps * log(ps / ((pw[r] + 1e-10) * (pa[c] + 1e-10)))
                if p > 0 { plugin += p * log(p / (pw[r] * pa[c])) }
            }
        }
        let mj = h.filter { $0 > 0 }.count, mw = pw.filter { $0 > 0 }.count, ma = pa.filter { $0 > 0 }.count
        let mm = plugin + Double((mw - 1) + (ma - 1) - (mj - 1)) / (2 * n)
        return PluginMutualInformation(authors: authors, plugin: plugin, millerMadow: mm, occupiedJoint: mj, occupiedUpdates: mw,
                                       occupiedActivations: ma, samples: Int(n))
    }
}
