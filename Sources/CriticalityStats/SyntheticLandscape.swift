import CriticalityCore
import Foundation

/// The law of the curvatures c_i of a synthetic landscape f(x) = Σ_i c_i x_i² (SI S16–S18; the
/// parameters are lost from the paper, so these are Criticality's documented choices, after
/// `authors-code-notes.md` §5).
public enum CurvatureLaw: String, Codable, CaseIterable, Sendable {
    /// c = |z|, z ~ N(0, 1) (half-normal: a light, Gaussian tail).
    case gaussian
    /// Pareto density p(c) = (α − 1) c_min^{α−1} c^{−α} on c ≥ c_min (α = 2.5, c_min = 1 by default):
    /// the power law a probe should recover, with tail exponent α.
    case powerLaw = "power-law"
    /// c ~ Exp(1).
    case exponential
    /// c = e^{z}, z ~ N(0, 1) (LogNormal(0, 1): heavy-looking but not a power law).
    case lognormal
}

/// A weighted paraboloid f(x) = Σ_i c_i x_i² probed like a network: each coordinate moved by ±δ alone,
/// Δf_i = c_i((x_i ± δ)² − x_i²) = c_i(±2x_iδ + δ²), exactly (no loss evaluation, no rounding beyond
/// the formula). For δ ≫ |x| the response is ≈ c δ² and reveals the law of c; for δ ≪ |x| it is
/// ≈ 2c x δ, the law of c mixed with that of x.
public struct SyntheticLandscape: Sendable {
    public let law: CurvatureLaw
    public let curvatures: [Double]
    public let positions: [Double]

    /// N coordinates: x_i ~ U(−1, 1) and c_i from `law`, from `seed` (stream `.landscape`; the positions
    /// and curvatures of one seed are the same whatever the law, draw for draw).
    public init(law: CurvatureLaw, dimensions: Int, seed: UInt64, paretoAlpha: Double = 2.5, paretoMinimum: Double = 1) throws {
        guard dimensions >= 2 else { throw CriticalityError(.invalidArgument, "'dimensions' must be at least 2; got \(dimensions)") }
        guard paretoAlpha > 1, paretoAlpha.isFinite, paretoMinimum > 0, paretoMinimum.isFinite else {
            throw CriticalityError(.invalidArgument, "the power-law curvature needs α > 1 and c_min > 0; got α = \(paretoAlpha), c_min = \(paretoMinimum)")
        }
        self.law = law
        var rx = RNG(seed: seed, stream: .landscape, index: 0)
        positions = (0..<dimensions).map { _ in rx.uniformDouble() * 2 - 1 }
        var rc = RNG(seed: seed, stream: .landscape, index: 1)
        curvatures = (0..<dimensions).map { _ in
            switch law {
            case .gaussian: return abs(rc.normal())
            case .powerLaw: return paretoMinimum * pow(1 - rc.uniformDouble(), -1 / (paretoAlpha - 1))
            case .exponential: return -log(1 - rc.uniformDouble())
            case .lognormal: return exp(rc.normal())
            }
        }
    }

    /// |Δf_i| for x_i → x_i + shift (shift = ±δ), every coordinate.
    public func responses(shift: Double) -> [Double] {
        zip(curvatures, positions).map { c, x in abs(c * (2 * x * shift + shift * shift)) }
    }
}
