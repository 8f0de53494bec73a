/// xoshiro256** (Blackman & Vigna 2018): a 64-bit generator with 256 bits of state, period 2²⁵⁶ − 1.
/// Its state is seeded by SplitMix64 from a (seed, stream, index) triple, so each purpose
/// (initialization, shuffling, sampling) draws from its own stream: changing how many numbers one
/// stream consumes never shifts another. The state is four `UInt64`s and is saved in checkpoints.
public struct RNG: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// Independent purposes that must never share draws.
    public enum Stream: UInt64, Sendable {
        case initialization = 1
        case shuffling = 2
        case sampling = 3
        case reservoir = 4
        case bootstrap = 5
        case probe = 6
        /// The parameters a perturbation scan draws (`criticality perturb`).
        case perturbation = 7
        /// Synthetic landscapes: curvatures and positions (`criticality landscape`).
        case landscape = 8
        /// The information observer: its shuffle nulls and, for a large model, its subset of weights.
        case information = 9
        /// The quadratic KL check's probe set and the gradient-noise mini-batches.
        case fisher = 10
        /// Dropout masks: sub-stream (step << 8 | layer index) of a training step (`Network.beginStep`).
        case dropout = 11
    }

    public var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator for `stream` of `seed`; `index` selects a sub-stream (for example the epoch).
    public init(seed: UInt64, stream: Stream, index: UInt64 = 0) {
        var sm = seed &* 0x9E37_79B9_7F4A_7C15 ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED03) ^ (index &* 0x8CB9_2BA7_2F3D_8DD7)
        s0 = RNG.splitMix64(&sm); s1 = RNG.splitMix64(&sm)
        s2 = RNG.splitMix64(&sm); s3 = RNG.splitMix64(&sm)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is the one forbidden state
    }

    /// SplitMix64 (Steele, Lea & Flood 2014), used only to expand seeds.
    @inline(__always)
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = RNG.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = RNG.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Uniform integer in 0..<bound without modulo bias (Lemire 2019). `bound` must be positive.
    @inline(__always)
    public mutating func uniformInt(below bound: Int) -> Int {
        precondition(bound > 0, "uniformInt(below:) needs a positive bound")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal by the Box–Muller transform (one value per call; the second is discarded so
    /// the state alone determines the next value).
    public mutating func normal() -> Double {
        var u1 = uniformDouble()
        while u1 == 0 { u1 = uniformDouble() }
        let u2 = uniformDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// In-place Fisher–Yates shuffle.
    /// Inlinable so that it is specialized where it is called: called unspecialized from another module
    /// it allocated on every swap (60,000 per epoch of Fashion-MNIST, about a hundred per mlp5 step).
    @inlinable
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = uniformInt(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _log1p(_ x: Double) -> Double { Glibc.log1p(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
