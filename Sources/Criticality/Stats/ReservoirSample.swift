/// A uniform random sample of fixed size k from a stream of unknown length, by Li's Algorithm L
/// (ACM TOMS 20(4), 1994): after the first k items, the gap to the next selected item is drawn from
/// its geometric law, so the cost is O(k (1 + log(N/k))) random numbers for N items — nothing per
/// skipped item. Every subset of size k is equally likely to be the sample.
public struct ReservoirSample: Codable, Equatable, Sendable {
    public let capacity: Int
    public internal(set) var values: [Float] = []
    /// Items offered so far.
    public internal(set) var seen: UInt64 = 0
    /// Stream index of the next item to take (valid once full).
    var nextSelected: UInt64 = 0
    var w: Double = 0
    public var rng: RNG

    public init(capacity: Int, rng: RNG) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.rng = rng
        values.reserveCapacity(capacity)
    }

    private mutating func uniformOpen() -> Double {
        var u = rng.uniformDouble()
        while u == 0 { u = rng.uniformDouble() }
        return u
    }

    private mutating func advance() {
        // gap ~ floor(log(U) / log(1 − W)); next = current + gap + 1
        let gap = (_log(uniformOpen()) / _log1p(-w)).rounded(.down)
        nextSelected = gap >= Double(UInt64.max / 2) ? UInt64.max : nextSelected + UInt64(gap) + 1
        w *= _exp(_log(uniformOpen()) / Double(capacity))
    }

    /// Offers |x[0..<n)| (magnitudes) as the next n items of the stream.
    public mutating func offerMagnitudes(_ x: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while values.count < capacity && i < n {
            values.append(abs(x[i])); i += 1; seen += 1
            if values.count == capacity {
                w = _exp(_log(uniformOpen()) / Double(capacity))
                nextSelected = seen - 1
                advance()
            }
        }
        guard values.count == capacity else { return }
        let end = seen + UInt64(n - i)
        while nextSelected < end {
            let idx = i + Int(nextSelected - seen)
            values[rng.uniformInt(below: capacity)] = abs(x[idx])
            advance()
        }
        seen = end
    }

    /// A uniform sample of size min(k, ΣN) of the union of disjoint streams, from their reservoirs:
    /// the number drawn from each stream follows the multivariate hypergeometric law of drawing k items
    /// without replacement from the union, and each stream's draws are a uniformly random subset of its
    /// (uniform) reservoir. The result is therefore exactly a uniform sample of the union.
    public static func union(_ parts: [ReservoirSample], capacity k: Int, rng: inout RNG) -> [Float] {
        let total = parts.reduce(UInt64(0)) { $0 + $1.seen }
        let size = Int(min(UInt64(k), total))
        var remaining = parts.map { $0.seen }
        var left = total
        var take = [Int](repeating: 0, count: parts.count)
        for _ in 0..<size {
            // pick the stream of the next item drawn without replacement
            var r = UInt64(rng.uniformDouble() * Double(left))
            if r >= left { r = left - 1 }
            var s = 0
            while r >= remaining[s] { r -= remaining[s]; s += 1 }
            take[s] += 1; remaining[s] -= 1; left -= 1
        }
        var out: [Float] = []
        out.reserveCapacity(size)
        for (p, t) in zip(parts, take) where t > 0 {
            var v = p.values
            // partial Fisher–Yates: a uniformly random subset of size t
            for i in 0..<t {
                let j = i + rng.uniformInt(below: v.count - i)
                v.swapAt(i, j)
            }
            out += v[0..<t]
        }
        return out
    }

    enum CodingKeys: String, CodingKey { case capacity, values, seen, nextSelected = "next_selected", w, rng }

    func write(to w: inout BinaryWriter) {
        w.write(UInt64(capacity)); w.write(values); w.write(seen); w.write(nextSelected); w.write(self.w); w.write(rng)
    }

    static func read(from r: inout BinaryReader) throws -> ReservoirSample {
        let capacity = Int(try r.read(UInt64.self))
        var s = ReservoirSample(capacity: max(capacity, 1), rng: RNG(seed: 0, stream: .reservoir))
        s.values = try r.readFloats(); s.seen = try r.read(); s.nextSelected = try r.read()
        s.w = try r.readDouble(); s.rng = try r.readRNG()
        return s
    }
}
