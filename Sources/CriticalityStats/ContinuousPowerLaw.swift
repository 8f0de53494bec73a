import CriticalityCore
import Dispatch
import Foundation

/// The continuous power law p(x) = ((α − 1)/x_min) (x/x_min)^{−α} for x ≥ x_min (Clauset, Shalizi &
/// Newman 2009, eq. 2.2), fitted by maximum likelihood with x_min chosen by minimizing the
/// Kolmogorov–Smirnov distance.
public struct PowerLawFit: Codable, Equatable, Sendable {
    public var alpha: Double
    /// (α̂ − 1)/√n_tail (Clauset et al. eq. 3.2).
    public var alphaStandardError: Double
    public var xmin: Double
    public var nTail: Int
    /// D = max_j |j/m − F(x_(j))| over the sorted tail (j = 0…m−1), the convention of Clauset's plfit
    /// and of the `powerlaw` package.
    public var ksDistance: Double
    /// Σ ln p(x_i) over the tail.
    public var logLikelihood: Double
}

/// Sorted positive data with suffix sums of ln x, so that α̂ for any x_min is O(1).
public struct ContinuousPowerLaw {
    /// Ascending positive values.
    public let x: [Double]
    /// ln x.
    let logX: [Double]
    /// suffix[i] = Σ_{j ≥ i} ln x_j.
    let suffix: [Double]
    public var count: Int { x.count }

    /// `data` must be positive and finite (see `TailData.positive`).
    public init(sortedPositive data: [Double]) {
        x = data
        logX = data.map { Foundation.log($0) }
        var s = [Double](repeating: 0, count: data.count + 1)
        for i in stride(from: data.count - 1, through: 0, by: -1) { s[i] = s[i + 1] + logX[i] }
        suffix = s
    }

    /// α̂ = 1 + m / Σ_{j≥i} ln(x_j / x_i) for the tail starting at index i (m = n − i).
    @inline(__always)
    public func alpha(tailStart i: Int) -> Double {
        let m = Double(count - i)
        return 1 + m / (suffix[i] - m * logX[i])
    }

    /// |j/m − F(x_{i+j})| at tail position j, F(x) = 1 − (x/x_min)^{1−α}.
    @inline(__always)
    func gap(_ i: Int, _ j: Int, alpha a: Double, m: Double) -> Double {
        let f = 1 - Foundation.exp((1 - a) * (logX[i + j] - logX[i]))
        return abs(Double(j) / m - f)
    }

    /// The exact KS distance of the tail starting at i.
    public func ksDistance(tailStart i: Int, alpha a: Double) -> Double {
        let m = count - i
        let md = Double(m)
        var d = 0.0
        for j in 0..<m { d = max(d, gap(i, j, alpha: a, m: md)) }
        return d
    }

    /// A lower bound on the KS distance from `points` evenly spaced tail positions (plus the ends).
    func ksLowerBound(tailStart i: Int, alpha a: Double, points: Int) -> Double {
        let m = count - i
        let md = Double(m)
        if m <= points { return ksDistance(tailStart: i, alpha: a) }
        var d = 0.0
        for k in 0...points { d = max(d, gap(i, min(m - 1, k * (m - 1) / points), alpha: a, m: md)) }
        return d
    }

    /// The exact KS distance of the tail starting at i if it is ≤ `limit`, else nil — found without
    /// visiting every point when a gap above `limit` turns up: points are visited coarse to fine (every
    /// 2^k-th, then the midpoints between them, …), so a large gap is usually met early.
    /// The exact KS distance of the tail starting at i if it is ≤ `limit`, else nil. `witness` (a data
    /// index, or −1) is tried first, and on a `nil` return holds the data
    /// index of the gap that exceeded `limit` — a good first guess for neighbouring candidates.
    func ksDistance(tailStart i: Int, alpha a: Double, atMost limit: Double, witness: inout Int) -> Double? {
        let m = count - i
        let md = Double(m)
        if witness >= i && witness < count && gap(i, witness - i, alpha: a, m: md) > limit { return nil }
        var stride = 1
        while stride * 64 < m { stride *= 2 }
        var d = gap(i, m - 1, alpha: a, m: md)
        if d > limit { witness = count - 1; return nil }
        var j = 0
        while j < m { d = max(d, gap(i, j, alpha: a, m: md)); if d > limit { witness = i + j; return nil }; j += stride }
        while stride > 1 {
            let half = stride / 2
            j = half
            while j < m { d = max(d, gap(i, j, alpha: a, m: md)); if d > limit { witness = i + j; return nil }; j += stride }
            stride = half
        }
        return d
    }

    public func fit(tailStart i: Int) -> PowerLawFit { fit(xmin: x[i], tailStart: i) }

    /// The fit for a given x_min (any value, not necessarily a data value) over the values ≥ it
    /// (`tailStart` is their first index): α̂ = 1 + m / Σ ln(x_j/x_min), D against F = 1 − (x/x_min)^{1−α}.
    public func fit(xmin: Double, tailStart i: Int) -> PowerLawFit {
        let m = Double(count - i)
        let lxm = Foundation.log(xmin)
        let a = 1 + m / (suffix[i] - m * lxm)
        let logL = m * Foundation.log((a - 1) / xmin) - a * (suffix[i] - m * lxm)
        var d = 0.0
        for j in 0..<(count - i) {
            let f = 1 - Foundation.exp((1 - a) * (logX[i + j] - lxm))
            d = max(d, abs(Double(j) / m - f))
        }
        return PowerLawFit(alpha: a, alphaStandardError: (a - 1) / m.squareRoot(), xmin: xmin, nTail: count - i,
                           ksDistance: d, logLikelihood: logL)
    }

    /// Index of the first value ≥ v.
    public func tailStart(atLeast v: Double) -> Int { ContinuousPowerLaw.firstIndex(atLeast: v, in: x) }

    /// Index of the first value ≥ v in an ascending array (binary search).
    public static func firstIndex(atLeast v: Double, in ascending: [Double]) -> Int {
        var lo = 0, hi = ascending.count
        while lo < hi { let mid = (lo + hi) / 2; if ascending[mid] < v { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Options of the x_min scan.
    public struct ScanOptions: Sendable {
        /// Smallest tail (number of values ≥ x_min) a candidate may leave. Default 2, as `powerlaw`
        /// (every distinct value but the largest).
        public var minimumTail: Int = 2
        /// At most this many candidates, evenly spaced over the distinct values (nil: all).
        public var maximumCandidates: Int?
        /// Largest candidate x_min (nil: any).
        public var maximumXmin: Double?
        public init() {}
    }

    /// Distinct candidate x_min values as tail-start indices (first occurrence of each value).
    public func candidates(_ options: ScanOptions) -> [Int] {
        var c: [Int] = []
        var i = 0
        while i < count && count - i >= max(options.minimumTail, 2) && x[i] < x[count - 1]
                && x[i] <= (options.maximumXmin ?? .infinity) {
            // a tail of one repeated value has no finite α̂, so the largest value is never x_min; nor is a
            // value whose tail is equal to it to rounding (Σ ln(x/x_min) = 0 in floating point)
            if alpha(tailStart: i).isFinite { c.append(i) }
            let v = x[i]
            while i < count && x[i] == v { i += 1 }
        }
        if let cap = options.maximumCandidates, cap > 0, c.count > cap {
            c = (0..<cap).map { c[$0 * (c.count - 1) / max(cap - 1, 1)] }
        }
        return c
    }

    /// The fit minimizing D over candidate x_min (ties: the smallest x_min). Exact branch and bound:
    /// every candidate's D is bounded below from 33 tail points; candidates are taken in order of
    /// their bound, and each is evaluated exactly only up to the first gap exceeding the best D found
    /// so far. The search stops when a bound exceeds the best D. Returns nil when there is no candidate.
    public func scan(_ options: ScanOptions = ScanOptions()) -> PowerLawFit? {
        let cands = candidates(options)
        guard !cands.isEmpty else { return nil }
        var bounds = cands.map { i in (i, ksLowerBound(tailStart: i, alpha: alpha(tailStart: i), points: 32)) }
        bounds.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        // Two workers take candidates in bound order and share the best D. Pruning only ever uses a
        // best D ≥ the final one, so every candidate with D ≤ the final best is evaluated in full and
        // the result (ties: smallest x_min) does not depend on scheduling.
        // Witnesses: per block of 64 consecutive data indices, the last point that disproved a candidate
        // there (a hint only — any value is safe, so the workers share it without locking).
        let lock = NSLock()
        var bestD = Double.infinity, best = -1, next = 0
        let workers = bounds.count > 1000 ? 2 : 1
        let blocks = count / 64 + 1
        let witnesses = UnsafeMutablePointer<Int>.allocate(capacity: blocks)
        witnesses.initialize(repeating: -1, count: blocks)
        defer { witnesses.deallocate() }
        bounds.withUnsafeBufferPointer { b in
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    lock.lock()
                    let t = next; next += 1
                    let limit = bestD
                    lock.unlock()
                    guard t < b.count, b[t].1 <= limit else { return }
                    let i = b[t].0
                    let a = alpha(tailStart: i)
                    var w = witnesses[i / 64]
                    if w < i, i / 64 + 1 < blocks, witnesses[i / 64 + 1] >= i { w = witnesses[i / 64 + 1] }
                    guard let d = ksDistance(tailStart: i, alpha: a, atMost: limit, witness: &w) else {
                        witnesses[i / 64] = w
                        continue
                    }
                    lock.lock()
                    if d < bestD || (d == bestD && i < best) { bestD = d; best = i }
                    lock.unlock()
                }
            }
        }
        return best >= 0 ? fit(tailStart: best) : nil
    }
}

/// Continuous power-law samples by inversion: x = x_min (1 − u)^{−1/(α−1)}.
public func samplePowerLaw(alpha: Double, xmin: Double, count: Int, rng: inout RNG) -> [Double] {
    (0..<count).map { _ in xmin * Foundation.pow(1 - rng.uniformDouble(), -1 / (alpha - 1)) }
}
