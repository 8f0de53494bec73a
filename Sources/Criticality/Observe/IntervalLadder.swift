import CKernels

/// Inter-event intervals of large updates (Fig. 5) for one window and one target fraction q, measured
/// during the replay of the window with an exact threshold ladder.
///
/// From the first pass, the window's histogram of all |Δθ| on the `LogGrid` gives the bin B that holds
/// the q-quantile from the top (G(B) ≥ qN > G(B+1), G(b) = #{|Δθ| ≥ lower edge of b}). The replay tracks
/// 17 thresholds T_j at bit patterns B·2¹⁹ + j·2¹⁵ (j = 0…16; T_16 is B's upper edge): 256 levels per
/// octave, ratio ≤ 1.0027 between neighbours. For each parameter k and level j it keeps the last step
/// with |Δθ_k| ≥ T_j; a new event adds the interval since then to the histogram of its segment and
/// level. At the end, the level whose exceedance count is nearest qN is chosen; its count / N is the
/// realized fraction. Memory: 17 last-step slots per parameter (UInt16 for windows shorter than 65,535
/// steps, else UInt32) and 17 interval histograms of window-length + 1 bins per segment.
struct IntervalLadder {
    static let levels = 17
    let q: Double
    let bin: Int
    let window: Range<Int>
    let parameterCount: Int
    let segmentCount: Int
    /// Bit patterns of T_0 … T_16.
    let thresholdBits: [UInt32]
    /// Exceedance counts per level (exact).
    var exceed = [UInt64](repeating: 0, count: levels)
    /// intervals[(segment · levels + level) · (L + 1) + τ]
    var intervals: UnsafeMutablePointer<UInt64>
    let small: Bool
    var last16: UnsafeMutablePointer<UInt16>?
    var last32: UnsafeMutablePointer<UInt32>?
    var length: Int { window.count }

    init(q: Double, bin: Int, window: Range<Int>, parameterCount: Int, segmentCount: Int) {
        self.q = q
        self.bin = bin
        self.window = window
        self.parameterCount = parameterCount
        self.segmentCount = segmentCount
        thresholdBits = (0..<IntervalLadder.levels).map { UInt32(bin) << LogGrid.shift + UInt32($0) << 15 }
        let n = segmentCount * IntervalLadder.levels * (window.count + 1)
        intervals = .allocate(capacity: n)
        intervals.initialize(repeating: 0, count: n)
        small = window.count < 65_535
        let slots = parameterCount * IntervalLadder.levels
        if small {
            last16 = .allocate(capacity: slots); last16!.initialize(repeating: 0, count: slots)
        } else {
            last32 = .allocate(capacity: slots); last32!.initialize(repeating: 0, count: slots)
        }
    }

    func deallocate() {
        intervals.deallocate()
        last16?.deallocate()
        last32?.deallocate()
    }

    static func memoryBytes(parameterCount: Int, segmentCount: Int, windowLength: Int) -> Int {
        parameterCount * levels * (windowLength < 65_535 ? 2 : 4) + segmentCount * levels * (windowLength + 1) * 8
    }

    /// Records an update of magnitude bits `bits` (already ≥ T_0) of parameter `k` in `segment` at
    /// window-relative step `t`.
    @inline(__always)
    mutating func record(bits: UInt32, parameter k: Int, segment: Int, t: Int) {
        let top = bits >= thresholdBits[16] ? 16 : Int((bits - thresholdBits[0]) >> 15)
        let stamp = t + 1
        let rowLength = length + 1
        for j in 0...top {
            exceed[j] += 1
            let slot = k * IntervalLadder.levels + j
            let previous: Int
            if small { previous = Int(last16![slot]); last16![slot] = UInt16(stamp) } else { previous = Int(last32![slot]); last32![slot] = UInt32(stamp) }
            if previous != 0 {
                intervals[(segment * IntervalLadder.levels + j) * rowLength + (stamp - previous)] += 1
            }
        }
    }

    /// The level whose exceedance count is nearest q·N (ties: the lower threshold).
    func chosenLevel(total n: UInt64) -> Int {
        let target = q * Double(n)
        var best = 0
        for j in 1..<IntervalLadder.levels where abs(Double(exceed[j]) - target) < abs(Double(exceed[best]) - target) { best = j }
        return best
    }

    /// The interval histogram (index τ = 0…L; index 0 is always 0) of `segments` at `level`.
    func intervalCounts(segments: [Int], level: Int) -> [UInt64] {
        let rowLength = length + 1
        var out = [UInt64](repeating: 0, count: rowLength)
        for s in segments {
            let row = intervals + (s * IntervalLadder.levels + level) * rowLength
            for i in 0..<rowLength { out[i] += row[i] }
        }
        return out
    }

    /// The bin B holding the q-quantile from the top of `hist` (all values, zeros included).
    static func quantileBin(_ hist: LogHistogram, q: Double) -> Int {
        let target = q * Double(hist.total)
        var above: UInt64 = 0
        for b in stride(from: hist.counts.count - 1, through: 0, by: -1) {
            above += hist.counts[b]
            if Double(above) >= target && above > 0 { return b }
        }
        return 0
    }
}
