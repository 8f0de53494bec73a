import CriticalityCore
/// Shannon entropy of a histogram, H = ln N − (1/N) Σ_b c_b ln c_b (nats), with c ln c read from a
/// table for counts below 2¹⁶ (the common case for per-step histograms) and computed otherwise.
public final class EntropyTable: @unchecked Sendable {
    public static let shared = EntropyTable()
    private let size = 1 << 16
    private let cLogC: [Double]

    private init() {
        cLogC = (0..<(1 << 16)).map { $0 == 0 ? 0 : Double($0) * _log(Double($0)) }
    }

    @inline(__always)
    func cLogCValue(_ c: UInt64) -> Double {
        c < UInt64(size) ? cLogC[Int(c)] : Double(c) * _log(Double(c))
    }

    /// Entropy of `counts[range]` and `zeros` exact zeros as a bin of their own (total `total`, zeros
    /// included). When `range` holds bin 0, the zeros are part of `counts[0]` and are split off from it;
    /// otherwise they are counted apart from `range`.
    public func entropy(counts: UnsafePointer<UInt64>, range: ClosedRange<Int>, zeros: UInt64, total: UInt64) -> Double {
        guard total > 0 else { return 0 }
        var s = cLogCValue(zeros)
        for b in range {
            let c = b == 0 ? counts[0] - zeros : counts[b]
            s += cLogCValue(c)
        }
        let n = Double(total)
        return max(0, _log(n) - s / n)
    }
}
