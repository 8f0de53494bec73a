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
public final class Activation: Layer, PairJob {
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

    /// The pass `runItem` runs over blocks of `block` elements (`PairJob`: no allocation per job).
    private enum Job {
        case forward(x: UnsafePointer<Float>), backward(dy: UnsafePointer<Float>)
    }
    private var job = Job.forward(x: UnsafePointer(bitPattern: 1)!)
    private var jobCount = 0

    /// Runs `job` over 0..<count in blocks of `block` elements, on the pair.
    @inline(__always)
    private func blocks(_ count: Int, _ job: Job) {
        self.job = job
        jobCount = count
        pair.forEach((count + Activation.block - 1) / Activation.block, job: self)
    }

    public func runItem(_ index: Int, thread: Int) {
        let r = (index * Activation.block)..<min((index + 1) * Activation.block, jobCount)
        let y = output.pointer, o = r.lowerBound
        switch job {
        case .forward(let x):
            switch kind {
            case .relu: for i in r { y[i] = max(x[i], 0) }  // auto-vectorized
            case .sigmoid: for i in r { y[i] = 1 / (1 + expf(-x[i])) }
            case .linear: (y + o).update(from: x + o, count: r.count)
            }
        case .backward(let dy):
            let dx = gradInput.pointer
            switch kind {
            case .relu: VectorMath.reluBackward(output: y + o, gradOutput: dy + o, gradInput: dx + o, count: r.count)
            case .sigmoid: for i in r { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            case .linear: (dx + o).update(from: dy + o, count: r.count)
            }
        }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        blocks(batch * inputSize, .forward(x: x))
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        blocks(batch * inputSize, .backward(dy: dy))
        return gradInput.pointer
    }
}
