import CKernels
import CriticalityCore

/// A layer whose training forward pass draws random numbers (dropout). The network gives it, before
/// each training step, a generator that depends only on (run seed, step, layer index) — so a step's
/// masks are the same in the first pass, in a window's replay and after a resume, whichever thread
/// runs, and a run stays bit-identical (`Network.beginStep`).
public protocol StochasticLayer: Layer {
    /// The generator for the next training forward pass.
    func reseed(_ rng: RNG)
}

/// Inverted dropout (PyTorch's `nn.Dropout` in training mode): each value is kept with probability
/// 1 − p and scaled by 1/(1 − p), else zeroed; evaluation applies nothing.
///
/// A mask is stored as the factor each value is multiplied by (0 or 1/(1 − p)), so forward and backward
/// are one multiply. The 32-bit uniforms come from eight xoshiro256** generators run side by side
/// (`crit_dropout_fill`), seeded from eight draws of `rng`; a value is dropped when its uniform
/// u ∈ {0, …, 2³² − 1} is below round(p·2³²), so the drop probability is p to within 2⁻³³.
public enum Dropout {
    /// Fills `mask[0..<count]` with 0 or 1/(1 − p) from `rng`; p in [0, 1).
    @inline(__always)
    public static func fill(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Double, rng: inout RNG) {
        precondition(p >= 0 && p < 1)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4) { state in  // on the stack: no allocation per step
            (state[0], state[1], state[2], state[3]) = (rng.s0, rng.s1, rng.s2, rng.s3)
            crit_dropout_fill(state.baseAddress!, mask, count, UInt64((p * 4_294_967_296).rounded()), Float(1 / (1 - p)))
            (rng.s0, rng.s1, rng.s2, rng.s3) = (state[0], state[1], state[2], state[3])
        }
    }
}
