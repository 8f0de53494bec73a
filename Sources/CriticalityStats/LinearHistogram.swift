import CKernels
import CriticalityCore

/// The authors' histogram (their published `*_xbins.npy` / `*_nums.npy`): `bins` equal-width bins from
/// 0 to the maximum magnitude, counts normalized to probabilities (counts / total), x at bin centres.
/// Edges are e_j = max·j/bins in Double; a value v lands in the j with e_j ≤ v < e_{j+1}, and v = max
/// in the last bin, as `np.histogram(x, bins, range=(0, max))`.
public struct LinearHistogram: Equatable, Sendable {
    public let maximum: Double
    public var counts: [UInt64]
    /// e_j = max·j/bins, j = 0…bins.
    public let edges: [Double]

    public init(maximum: Double, bins: Int = 100) {
        self.maximum = maximum
        counts = [UInt64](repeating: 0, count: bins)
        edges = (0...bins).map { maximum * Double($0) / Double(bins) }
    }

    public mutating func addMagnitudes(_ x: UnsafePointer<Float>, count n: Int) {
        let bins = Int32(counts.count)
        edges.withUnsafeBufferPointer { e in
            counts.withUnsafeMutableBufferPointer { crit_abs_linear_histogram(x, n, maximum, bins, e.baseAddress!, $0.baseAddress!) }
        }
    }

    /// Bin centres (the authors' `xbins`).
    public var centers: [Double] {
        let b = Double(counts.count)
        return (0..<counts.count).map { maximum * (Double($0) + 0.5) / b }
    }

    /// counts / total (the authors' `nums`).
    public var probabilities: [Double] {
        let t = Double(counts.reduce(0, +))
        return counts.map { t > 0 ? Double($0) / t : 0 }
    }
}
