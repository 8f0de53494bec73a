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
    private var pair = WorkerPair.callerOnly
    /// Elements per parallel block: large activations (the CNN's, megabytes) are split into blocks of
    /// this size across the pair; an MLP's (a few thousand values) stay on the caller.
    static let block = 1 << 16

    public init(name: String, kind: ActivationKind, size: Int) {
        self.name = name
        self.kind = kind
        inputSize = size
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(_ scheme: Initialization, rng: inout RNG) {}
    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * inputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        pair = gemm.pair
    }

    /// `body(range)` over 0..<count in blocks of `block` elements, on the pair.
    @inline(__always)
    private func blocks(_ count: Int, _ body: (Range<Int>) -> Void) {
        let n = (count + Activation.block - 1) / Activation.block
        pair.forEach(n) { i, _ in body((i * Activation.block)..<min((i + 1) * Activation.block, count)) }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let y = output.pointer
        blocks(batch * inputSize) { r in
            switch kind {
            case .relu: for i in r { y[i] = max(x[i], 0) }  // auto-vectorized
            case .sigmoid: for i in r { y[i] = 1 / (1 + expf(-x[i])) }
            case .linear: (y + r.lowerBound).update(from: x + r.lowerBound, count: r.count)
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let y = output.pointer, dx = gradInput.pointer
        blocks(batch * inputSize) { r in
            let o = r.lowerBound
            switch kind {
            case .relu: VectorMath.reluBackward(output: y + o, gradOutput: dy + o, gradInput: dx + o, count: r.count)
            case .sigmoid: for i in r { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            case .linear: (dx + o).update(from: dy + o, count: r.count)
            }
        }
        return dx
    }
}
