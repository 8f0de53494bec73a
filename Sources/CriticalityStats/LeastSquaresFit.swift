import CriticalityCore
import Foundation

/// The paper's method: a least-squares line through histogram points on log–log (or semi-log) axes.
public struct LeastSquaresFit: Codable, Sendable {
    public var slope: Double
    public var intercept: Double
    public var r2: Double
    /// −slope (the power-law exponent α of p ∝ x^{−α} on log–log axes; the rate on semi-log axes).
    public var exponent: Double
    /// Number of points in the fit.
    public var points: Int
    /// "log-log" or "semi-log".
    public var axes: String
}

public enum PaperHistogram {
    /// `np.histogram(x, bins)` over [min, max] with equal-width bins, normalized to probabilities
    /// (counts / total): centres and probabilities, as the authors built them.
    public static func linear(_ x: [Double], bins: Int) -> (centers: [Double], probabilities: [Double]) {
        let lo = x.min() ?? 0, hi = x.max() ?? 1
        let width = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = [Double](repeating: 0, count: bins)
        for v in x {
            var j = hi > lo ? Int((v - lo) / width) : 0
            j = min(max(j, 0), bins - 1)
            if j > 0 && v < lo + Double(j) * width { j -= 1 } else if j < bins - 1 && v >= lo + Double(j + 1) * width { j += 1 }
            counts[j] += 1
        }
        let total = Double(x.count)
        return ((0..<bins).map { lo + (Double($0) + 0.5) * width }, counts.map { $0 / total })
    }

    /// Log-spaced bins over [min positive, max]: geometric centres and densities (count / (n · width)).
    public static func logarithmic(_ x: [Double], bins: Int) -> (centers: [Double], densities: [Double]) {
        let pos = x.filter { $0 > 0 }
        guard let lo = pos.min(), let hi = pos.max(), hi > lo else { return ([], []) }
        let a = Foundation.log(lo), b = Foundation.log(hi)
        var counts = [Double](repeating: 0, count: bins)
        for v in pos { counts[min(bins - 1, Int((Foundation.log(v) - a) / (b - a) * Double(bins)))] += 1 }
        let edges: [Double] = (0...bins).map { (k: Int) -> Double in Foundation.exp(a + (b - a) * Double(k) / Double(bins)) }
        let n = Double(x.count)
        var centers: [Double] = [], densities: [Double] = []
        for k in 0..<bins {
            centers.append((edges[k] * edges[k + 1]).squareRoot())
            densities.append(counts[k] / (n * (edges[k + 1] - edges[k])))
        }
        return (centers, densities)
    }

    /// Python slice `start:end` (either may be empty or negative) applied to `count` items.
    public static func slice(_ spec: String, count: Int) throws -> Range<Int> {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw CriticalityError(.invalidArgument, "slice '\(spec)' is not START:END (Python slice, e.g. 1:-20)") }
        func index(_ s: String, _ def: Int) throws -> Int {
            if s.isEmpty { return def }
            guard let v = Int(s) else { throw CriticalityError(.invalidArgument, "slice '\(spec)': '\(s)' is not an integer") }
            return v < 0 ? max(count + v, 0) : min(v, count)
        }
        let a = try index(parts[0], 0), b = try index(parts[1], count)
        return a..<max(a, b)
    }

    /// Least squares of ln p on ln x (log-log) or on x (semi-log) over the non-zero points in
    /// `points` (a range over the non-zero points, as the authors' `[1:-20]`).
    public static func fit(x: [Double], p: [Double], points: Range<Int>? = nil, semiLog: Bool = false) throws -> LeastSquaresFit {
        let nonzero = zip(x, p).filter { $0.1 > 0 && (semiLog || $0.0 > 0) }
        let chosen = points.map { r in Array(nonzero[r.clamped(to: 0..<nonzero.count)]) } ?? nonzero
        guard chosen.count >= 2 else {
            throw CriticalityError(.invalidArgument, "least squares needs at least 2 non-zero histogram points; \(chosen.count) selected of \(nonzero.count)")
        }
        let u = chosen.map { semiLog ? $0.0 : Foundation.log($0.0) }, v = chosen.map { Foundation.log($0.1) }
        let n = Double(u.count)
        let mu = u.reduce(0, +) / n, mv = v.reduce(0, +) / n
        var suu = 0.0, suv = 0.0, svv = 0.0
        for (a, b) in zip(u, v) { suu += (a - mu) * (a - mu); suv += (a - mu) * (b - mv); svv += (b - mv) * (b - mv) }
        guard suu > 0 else { throw CriticalityError(.invalidArgument, "least squares: all selected x are equal") }
        let slope = suv / suu
        let r2 = svv > 0 ? (suv * suv) / (suu * svv) : 1
        return LeastSquaresFit(slope: slope, intercept: mv - slope * mu, r2: r2, exponent: -slope, points: chosen.count,
                               axes: semiLog ? "semi-log" : "log-log")
    }
}
