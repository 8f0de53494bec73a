import CriticalityCore
import CriticalityData
import Foundation

/// Pointwise nonlinearities. Each keeps its output, from which its derivative follows.
public enum ActivationKind: String, Codable, CaseIterable, Sendable {
    /// max(0, x); derivative 1 where the output is positive (0 at x = 0, as PyTorch).
    case relu
    /// 1/(1 + e^{−x}); derivative y(1 − y).
    case sigmoid
    /// The identity: no layer is inserted.
    case linear
}

/// A parameter-free layer applying an `ActivationKind` elementwise.
public final class Activation: Layer {
    public let name: String
    public let kind: ActivationKind
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    public var parameterShapes: [(kind: String, shape: [Int])] { [] }
    private var output: FloatBuffer!
    private var gradInput: FloatBuffer!

    public init(name: String, kind: ActivationKind, size: Int) {
        self.name = name
        self.kind = kind
        inputSize = size
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(_ scheme: Initialization, rng: inout RNG) {}
    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * inputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let y = output.pointer, n = batch * inputSize
        switch kind {
        case .relu: for i in 0..<n { y[i] = max(x[i], 0) }  // auto-vectorized
        case .sigmoid: for i in 0..<n { y[i] = 1 / (1 + expf(-x[i])) }
        case .linear: y.update(from: x, count: n)
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let y = output.pointer, dx = gradInput.pointer, n = batch * inputSize
        switch kind {
        case .relu: VectorMath.reluBackward(output: y, gradOutput: dy, gradInput: dx, count: n)
        case .sigmoid: for i in 0..<n { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .linear: dx.update(from: dy, count: n)
        }
        return dx
    }
}
