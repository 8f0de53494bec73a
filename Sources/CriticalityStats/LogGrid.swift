import CKernels
import CriticalityCore

/// The fixed logarithmic grid over the whole Float32 range on which |Δθ| and |θ| are histogrammed.
///
/// Bin b holds the values whose IEEE-754 bit pattern (sign cleared) lies in [b·2¹⁹, (b+1)·2¹⁹): for
/// normal numbers that is [2^e (1 + m/16), 2^e (1 + (m+1)/16)) — 16 equal-width bins per octave,
/// about 53.2 per decade, log-widths between 0.0134 and 0.0263 decades. The 16 subnormal bins below
/// 2⁻¹²⁶ are linear, and bin 0 also holds exact zeros (counted separately as well). Binning is one
/// shift of the bit pattern — no logarithm, no rounding — so counts are exact and equal a brute-force
/// reference. Bins 4080… (Inf, NaN) never receive finite values.
public enum LogGrid {
    public static let binCount = Int(CRIT_LOG_GRID_BINS)
    /// Bins that hold finite values (0..<4080).
    public static let finiteBinCount = 4080
    public static let shift = UInt32(CRIT_LOG_GRID_SHIFT)
    public static let binsPerOctave = 16

    /// The bin of a Float32 magnitude.
    @inline(__always)
    public static func bin(of x: Float) -> Int { Int((x.bitPattern & 0x7fff_ffff) >> shift) }

    /// Lower edge of bin b (0 for b = 0); edge(4080) = 2¹²⁸, the upper edge of the largest finite bin.
    public static func edge(_ b: Int) -> Double {
        b >= finiteBinCount ? 0x1p128 : Double(Float(bitPattern: UInt32(b) << shift))
    }

    /// The Float32 bit pattern of the lower edge of bin b.
    public static func edgeBits(_ b: Int) -> UInt32 { UInt32(b) << shift }

    /// Geometric centre of bin b (arithmetic for bin 0).
    public static func center(_ b: Int) -> Double {
        b == 0 ? edge(1) / 2 : (edge(b) * edge(b + 1)).squareRoot()
    }

    public static func width(_ b: Int) -> Double { edge(b + 1) - edge(b) }

    /// The finite bins that values with statistics `st` can occupy: `range` from the smallest non-zero
    /// value's bin (bin 0 when there are only zeros) to the largest's, clamped to the finite bins, and
    /// `zeroBinAlone` when exact zeros sit in bin 0 below that range. Nil when there are no finite values.
    @inline(__always)
    public static func touchedBins(_ st: crit_abs_stats) -> (range: ClosedRange<Int>, zeroBinAlone: Bool)? {
        let first = st.min_bits == .max ? finiteBinCount : Int(st.min_bits >> shift)
        guard first < finiteBinCount else { return st.zeros > 0 ? (0...0, false) : nil }  // zeros only, or none
        let last = min(Int(st.max_bits >> shift), finiteBinCount - 1)
        return (first...last, st.zeros > 0 && first > 0)
    }
}

/// A histogram of magnitudes on the `LogGrid` with exact companion statistics.
public struct LogHistogram: Codable, Equatable, Sendable {
    /// Counts per bin (length `LogGrid.finiteBinCount`), zeros included in bin 0.
    public var counts: [UInt64]
    public var zeros: UInt64 = 0
    public var sum: Double = 0
    public var sumOfSquares: Double = 0
    /// Smallest non-zero magnitude (nil when there is none).
    public var minimumPositive: Float?
    public var maximum: Float?

    public init() { counts = [UInt64](repeating: 0, count: LogGrid.finiteBinCount) }

    public var total: UInt64 { counts.reduce(0, &+) }
    public var positiveCount: UInt64 { total - zeros }

    /// Adds the counts and statistics of `other`.
    public mutating func merge(_ other: LogHistogram) {
        for b in 0..<counts.count { counts[b] &+= other.counts[b] }
        zeros += other.zeros; sum += other.sum; sumOfSquares += other.sumOfSquares
        if let m = other.minimumPositive { minimumPositive = min(minimumPositive ?? m, m) }
        if let m = other.maximum { maximum = max(maximum ?? m, m) }
    }

    /// Adds |x| for all values (through the fused C kernel), using `scratch` (4 × 4096 UInt32, zeroed
    /// on return) as the per-call table.
    public mutating func add(_ x: UnsafePointer<Float>, count n: Int, scratch: UnsafeMutablePointer<UInt32>) {
        var st = crit_abs_stats(sum: 0, sum_squares: 0, min_bits: .max, max_bits: 0, zeros: 0)
        crit_abs_log_histogram(x, n, scratch, &st)
        absorb(scratch: scratch, stats: st)
    }

    /// Moves a kernel's scratch table and statistics into this histogram and zeroes the scratch over
    /// the bins the statistics say were touched.
    public mutating func absorb(scratch: UnsafeMutablePointer<UInt32>, stats st: crit_abs_stats) {
        absorbCounts(scratch: scratch, touched: st, alsoInto: nil)
        absorbStatistics(st)
    }

    /// Moves a kernel table's counts into this histogram (and into `step` when given), zeroing the table
    /// over the bins that `touched` (the statistics of the values counted into that table) says were
    /// used — bin 0 if there were zeros, and the bins from the smallest to the largest non-zero value
    /// (the gap between them is never read: with exact zeros, as from always-black pixels, it spans
    /// most of the grid's lower half); the statistics themselves are not added (see `absorbStatistics`).
    public mutating func absorbCounts(scratch: UnsafeMutablePointer<UInt32>, touched st: crit_abs_stats,
                                      alsoInto step: UnsafeMutablePointer<UInt64>?) {
        let n = LogGrid.binCount
        if st.min_bits != .max && Int(st.max_bits >> LogGrid.shift) >= LogGrid.finiteBinCount {
            // Inf/NaN: never counted (the trainer stops on them); clear them
            for b in LogGrid.finiteBinCount..<n { scratch[b] = 0; scratch[n + b] = 0; scratch[2 * n + b] = 0; scratch[3 * n + b] = 0 }
        }
        guard let touched = LogGrid.touchedBins(st) else { return }  // no finite values
        counts.withUnsafeMutableBufferPointer { c in
            if touched.zeroBinAlone { crit_log_table_drain(scratch, 0, 0, c.baseAddress!, step) }
            crit_log_table_drain(scratch, touched.range.lowerBound, touched.range.upperBound, c.baseAddress!, step)
        }
    }

    /// Adds zeros, Σ, Σ², min and max of a kernel's statistics.
    public mutating func absorbStatistics(_ st: crit_abs_stats) {
        zeros += st.zeros; sum += st.sum; sumOfSquares += st.sum_squares
        if st.min_bits != .max {
            let m = Float(bitPattern: st.min_bits)
            minimumPositive = min(minimumPositive ?? m, m)
        }
        if st.zeros > 0 || st.min_bits != .max {
            let m = Float(bitPattern: st.max_bits)
            maximum = max(maximum ?? m, m)
        }
    }

    /// The non-empty bin range of positive values, or nil.
    public var positiveRange: ClosedRange<Int>? {
        guard let lo = minimumPositive, let hi = maximum, hi > 0 else { return nil }
        return LogGrid.bin(of: lo)...LogGrid.bin(of: hi)
    }

    /// Counts of positive values per bin over `positiveRange` (bin 0's zeros removed).
    public func positiveCounts(in range: ClosedRange<Int>) -> [UInt64] {
        range.map { $0 == 0 ? counts[0] - zeros : counts[$0] }
    }

    /// Probability density of the magnitude on each bin of `range`: count / (N · width), N counting all
    /// values including zeros (so the density integrates to the positive fraction).
    public func density(in range: ClosedRange<Int>) -> [Double] {
        let n = Double(total)
        return zip(range, positiveCounts(in: range)).map { b, c in Double(c) / (n * LogGrid.width(b)) }
    }

    /// Complementary CDF of the positive values at each bin's lower edge: P(X ≥ edge_b | X > 0).
    /// Starts at 1 and is non-increasing.
    public func ccdf(in range: ClosedRange<Int>) -> [Double] {
        let c = positiveCounts(in: range)
        let n = Double(c.reduce(0, +))
        var above = n
        var out: [Double] = []
        out.reserveCapacity(c.count)
        for v in c { out.append(above / n); above -= Double(v) }
        return out
    }

    /// Shannon entropy (nats) of the distribution over bins, exact zeros as a bin of their own.
    public var entropy: Double {
        LogHistogram.entropy(counts: counts, zeros: zeros)
    }

    public static func entropy(counts: [UInt64], zeros: UInt64) -> Double {
        let n = Double(counts.reduce(0, &+))
        guard n > 0 else { return 0 }
        var h = 0.0
        func term(_ c: Double) { if c > 0 { let p = c / n; h -= p * _log(p) } }
        term(Double(zeros))
        term(Double(counts[0] - zeros))
        for b in 1..<counts.count { term(Double(counts[b])) }
        return h
    }

    enum CodingKeys: String, CodingKey {
        case counts, zeros, sum, sumOfSquares = "sum_of_squares", minimumPositive = "minimum_positive", maximum
    }
}

extension crit_abs_stats {
    /// Statistics of no values.
    public static let empty = crit_abs_stats(sum: 0, sum_squares: 0, min_bits: .max, max_bits: 0, zeros: 0)

    /// Adds the statistics of more values (Σ and Σ² in Double, in call order).
    @inline(__always)
    public mutating func combine(_ o: crit_abs_stats) {
        sum += o.sum; sum_squares += o.sum_squares
        min_bits = Swift.min(min_bits, o.min_bits); max_bits = Swift.max(max_bits, o.max_bits)
        zeros += o.zeros
    }
}
