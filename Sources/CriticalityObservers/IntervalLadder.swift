import CKernels
import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityStats

/// Inter-event intervals of large updates (Fig. 5) for one window and one target fraction q, measured
/// during the replay of the window with an exact threshold ladder.
///
/// From the first pass, the window's histogram of all |Δθ| on the `LogGrid` gives the bin B that holds
/// the q-quantile from the top (G(B) ≥ qN > G(B+1), G(b) = #{|Δθ| ≥ lower edge of b}). The replay tracks
/// 17 thresholds T_j at bit patterns B·2¹⁹ + j·2¹⁵ (j = 0…16; T_16 is B's upper edge): 256 levels per
/// octave, ratio ≤ 1.0027 between neighbours. For each parameter k and level j it keeps the last step
/// with |Δθ_k| ≥ T_j; a new event adds the interval since then to the histogram of its segment and
/// level. At the end, the level whose exceedance count is nearest qN is chosen; its count / N is the
/// realized fraction. The replay's chunks run on two threads: each has its own exceedance counts and
/// interval histograms (integer counts, summed at the end, so nothing depends on the split), while a
/// parameter's slots are only ever touched by the thread holding its chunk. Memory: 17 last-step slots
/// per parameter (UInt16 for windows shorter than 65,535 steps, else UInt32) and, per thread, 17
/// interval histograms of window-length + 1 bins per segment, stored
/// interval-major (the 17 levels' counts of one interval side by side): an update above the whole
/// ladder usually closes the same interval at every level, so its 17 increments share a cache line or
/// two instead of touching 17 rows ~80 KB apart.
final class IntervalLadder {
    static let levels = 17
    let q: Double
    let bin: Int
    let window: Range<Int>
    let parameterCount: Int
    let segmentCount: Int
    /// Bit patterns of T_0 … T_16.
    let thresholdBits: [UInt32]
    /// Threads that record at once (the trainer's caller + worker pair).
    static let threads = StepChunks.maximumThreads
    /// Per thread: exceedance counts per level, `exceedStride` apart (no cache line shared by threads).
    private let exceedCounts: UnsafeMutablePointer<UInt64>
    private static let exceedStride = 32
    /// Exceedance counts per level (exact), summed over threads.
    var exceed: [UInt64] {
        (0..<IntervalLadder.levels).map { j in (0..<IntervalLadder.threads).reduce(0) { $0 + exceedCounts[$1 * IntervalLadder.exceedStride + j] } }
    }
    /// intervals[((thread · segments + segment) · (L + 1) + τ) · levels + level]
    private let intervals: UnsafeMutablePointer<UInt64>
    private var intervalsPerThread: Int { segmentCount * (length + 1) * IntervalLadder.levels }
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
        exceedCounts = .allocate(capacity: IntervalLadder.threads * IntervalLadder.exceedStride)
        exceedCounts.initialize(repeating: 0, count: IntervalLadder.threads * IntervalLadder.exceedStride)
        let n = IntervalLadder.threads * segmentCount * IntervalLadder.levels * (window.count + 1)
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

    deinit {
        exceedCounts.deallocate()
        intervals.deallocate()
        last16?.deallocate()
        last32?.deallocate()
    }

    static func memoryBytes(parameterCount: Int, segmentCount: Int, windowLength: Int) -> Int {
        parameterCount * levels * (windowLength < 65_535 ? 2 : 4) + threads * segmentCount * levels * (windowLength + 1) * 8
    }

    /// Records an update of magnitude bits `bits` (already ≥ T_0) of parameter `k` in `segment` at
    /// window-relative step `t`, into `thread`'s counts.
    @inline(__always)
    func record(bits: UInt32, parameter k: Int, segment: Int, t: Int, thread: Int) {
        let levels = IntervalLadder.levels
        let top = bits >= thresholdBits[16] ? 16 : Int((bits - thresholdBits[0]) >> 15)
        let stamp = t + 1
        let rows = intervals + thread * intervalsPerThread + segment * (length + 1) * levels
        let exceedRow = exceedCounts + thread * IntervalLadder.exceedStride
        let slots = k * levels
        for j in 0...top {
            exceedRow[j] += 1
            let previous: Int
            if let l = last16 { previous = Int(l[slots + j]); l[slots + j] = UInt16(stamp) } else { previous = Int(last32![slots + j]); last32![slots + j] = UInt32(stamp) }
            if previous != 0 { rows[(stamp - previous) * levels + j] += 1 }
        }
    }

    /// The level whose exceedance count is nearest q·N (ties: the lower threshold).
    func chosenLevel(total n: UInt64) -> Int {
        let target = q * Double(n)
        let counts = exceed
        var best = 0
        for j in 1..<IntervalLadder.levels where abs(Double(counts[j]) - target) < abs(Double(counts[best]) - target) { best = j }
        return best
    }

    /// The interval histogram (index τ = 0…L; index 0 is always 0) of `segments` at `level`.
    func intervalCounts(segments: [Int], level: Int) -> [UInt64] {
        let rowLength = length + 1, levels = IntervalLadder.levels
        var out = [UInt64](repeating: 0, count: rowLength)
        for thread in 0..<IntervalLadder.threads {
            for s in segments {
                let rows = intervals + thread * intervalsPerThread + s * rowLength * levels
                for τ in 0..<rowLength { out[τ] += rows[τ * levels + level] }
            }
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
