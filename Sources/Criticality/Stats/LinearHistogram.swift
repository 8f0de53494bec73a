import CKernels

/// The authors' histogram (their published `*_xbins.npy` / `*_nums.npy`): `bins` equal-width bins from
/// 0 to the maximum magnitude, counts normalized to probabilities (counts / total), x at bin centres.
/// Edges are e_j = max·j/bins in Double; a value v lands in the j with e_j ≤ v < e_{j+1}, and v = max
/// in the last bin, as `np.histogram(x, bins, range=(0, max))`.
public struct LinearHistogram: Codable, Equatable, Sendable {
    public let maximum: Double
    public var counts: [UInt64]

    public init(maximum: Double, bins: Int = 100) {
        self.maximum = maximum
        counts = [UInt64](repeating: 0, count: bins)
    }

    public mutating func addMagnitudes(_ x: UnsafePointer<Float>, count n: Int) {
        let bins = Int32(counts.count)
        counts.withUnsafeMutableBufferPointer { crit_abs_linear_histogram(x, n, maximum, bins, $0.baseAddress!) }
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
