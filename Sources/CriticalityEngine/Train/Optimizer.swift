import CriticalityCore
import CriticalityData
import Foundation

/// The SGD family with PyTorch's update equations and default hyperparameters, no weight decay.
/// Each step writes the update Δθ into a buffer of the parameter layout; the trainer hands Δθ to the
/// observers and then applies θ += Δθ, so the update recorded is exactly the update applied.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Δθ = −η g (the paper's optimizer).
    case sgd
    /// b ← μ b + g (b₁ = g); Δθ = −η b. (`torch.optim.SGD(momentum=μ)`, dampening 0.)
    case momentum
    /// b as for momentum; Δθ = −η (g + μ b). (`SGD(momentum=μ, nesterov=True)`.)
    case nesterov
    /// m ← m + (1−β₁)(g − m); v ← β₂ v + (1−β₂) g²; Δθ = −(η/(1−β₁ᵗ)) m / (√v/√(1−β₂ᵗ) + ε).
    case adam
    /// v ← α v + (1−α) g²; Δθ = −η g / (√v + ε). (`RMSprop`, not centered, no momentum.)
    case rmsprop
    /// s ← s + g²; Δθ = −η g / (√s + ε). (`Adagrad`, no learning-rate decay, initial accumulator 0.)
    case adagrad
}

/// Hyperparameters; defaults are PyTorch's (momentum has no PyTorch default; 0.9 is the common choice).
public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var kind: OptimizerKind
    public var learningRate: Double
    public var momentum: Double = 0.9
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// RMSprop's smoothing constant α.
    public var alpha: Double = 0.99
    /// ε: 1e-8 for Adam and RMSprop, 1e-10 for Adagrad when not given.
    public var epsilon: Double?

    public init(kind: OptimizerKind, learningRate: Double) {
        self.kind = kind
        self.learningRate = learningRate
    }

    public var resolvedEpsilon: Double { epsilon ?? (kind == .adagrad ? 1e-10 : 1e-8) }

    enum CodingKeys: String, CodingKey {
        case kind, learningRate = "learning_rate", momentum, beta1, beta2, alpha, epsilon
    }
}

public final class Optimizer {
    public let settings: OptimizerSettings
    public let count: Int
    /// Per-parameter state in the parameter layout: [] for sgd, [b] for momentum/nesterov,
    /// [m, v] for adam, [v] for rmsprop, [s] for adagrad.
    public let state: [FloatBuffer]
    /// Number of steps taken (t in Adam's bias corrections).
    public var stepCount: Int = 0

    public init(settings: OptimizerSettings, parameterCount: Int) {
        self.settings = settings
        count = parameterCount
        let slots: Int
        switch settings.kind {
        case .sgd: slots = 0
        case .momentum, .nesterov, .rmsprop, .adagrad: slots = 1
        case .adam: slots = 2
        }
        state = (0..<slots).map { _ in FloatBuffer(count: parameterCount) }
    }

    /// Writes Δθ for gradient `g` into `update` and returns Σ Δθ² (the trainer's finiteness check and
    /// ‖Δθ‖₂). One vectorizable pass for SGD, two for the others; no allocation.
    @discardableResult
    public func computeUpdate(gradients: UnsafePointer<Float>, update: UnsafeMutablePointer<Float>) -> Double {
        beginStep()
        return computeUpdate(gradients: gradients, update: update, range: 0..<count)
    }

    /// Starts a step (t ← t + 1); then `computeUpdate(…range:)` may be called on disjoint ranges in any
    /// order — each element's Δθ depends only on its own gradient and state.
    public func beginStep() { stepCount += 1 }

    /// Δθ for the parameters in `range` of the current step; returns their Σ Δθ².
    @inline(__always)
    public func computeUpdate(gradients: UnsafePointer<Float>, update: UnsafeMutablePointer<Float>, range: Range<Int>) -> Double {
        let n = range.count, g = gradients + range.lowerBound, u = update + range.lowerBound
        let o = range.lowerBound
        let lr = Float(settings.learningRate)
        switch settings.kind {
        case .sgd:
            return VectorMath.scaleAndSumSquares(g, by: -lr, into: u, count: n)
        case .momentum, .nesterov:
            let b = state[0].pointer + o, mu = Float(settings.momentum)
            if stepCount == 1 {
                b.update(from: g, count: n)
            } else {
                for i in 0..<n { b[i] = mu * b[i] + g[i] }
            }
            if settings.kind == .momentum {
                for i in 0..<n { u[i] = -lr * b[i] }
            } else {
                for i in 0..<n { u[i] = -lr * (g[i] + mu * b[i]) }
            }
        case .adam:
            let m = state[0].pointer + o, v = state[1].pointer + o
            let b1 = settings.beta1, b2 = settings.beta2
            let oneMinusB1 = Float(1 - b1), b2f = Float(b2), oneMinusB2 = Float(1 - b2)
            let t = Double(stepCount)
            let stepSize = Float(settings.learningRate / (1 - pow(b1, t)))
            let bc2Sqrt = Float((1 - pow(b2, t)).squareRoot())
            let eps = Float(settings.resolvedEpsilon)
            for i in 0..<n {
                let gi = g[i]
                m[i] += oneMinusB1 * (gi - m[i])
                v[i] = v[i] * b2f + oneMinusB2 * gi * gi
                u[i] = -stepSize * (m[i] / ((v[i].squareRoot() / bc2Sqrt) + eps))
            }
        case .rmsprop:
            let v = state[0].pointer + o, a = Float(settings.alpha), oneMinusA = Float(1 - settings.alpha)
            let eps = Float(settings.resolvedEpsilon)
            for i in 0..<n {
                let gi = g[i]
                v[i] = v[i] * a + oneMinusA * gi * gi
                u[i] = -lr * (gi / (v[i].squareRoot() + eps))
            }
        case .adagrad:
            let s = state[0].pointer + o, eps = Float(settings.resolvedEpsilon)
            for i in 0..<n {
                let gi = g[i]
                s[i] += gi * gi
                u[i] = -lr * (gi / (s[i].squareRoot() + eps))
            }
        }
        return VectorMath.sumOfSquares(u, count: n)
    }
}
