import CriticalityCore
import CriticalityData
/// A layer of a feed-forward network over batch-major Float32 buffers.
///
/// A layer declares its trainable tensors (`parameterShapes`); the network places them in the one flat
/// parameter buffer and hands each layer pointers into it (`bind`). Working memory for a batch of up to
/// `maxBatch` samples is allocated once in `allocate`; `forward` and `backward` allocate nothing.
/// `forward` keeps what `backward` needs (its input pointer and/or its output).
///
/// Layers compute on the network's `PartitionedGEMM` and its `WorkerPair` (`gemm.pair.forEach`), whose
/// jobs are cut by the problem alone: a layer's result never depends on the thread count.
///
/// Convolutional layers keep a batch channel-major, [C, B, H, W] (`BatchLayout`), so that one GEMM
/// covers the whole batch; the network's input and every fully connected layer are batch-major,
/// [B, features] (PyTorch's order), and `ChannelsToBatch` turns one into the other.
public protocol Layer: AnyObject {
    /// Name used in the parameter layout, e.g. "fc1".
    var name: String { get }
    /// Per-sample input and output sizes (flattened).
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// Trainable tensors in order, as (kind, shape), e.g. ("weight", [out, in]), ("bias", [out]).
    var parameterShapes: [(kind: String, shape: [Int])] { get }

    /// Points the layer at its parameters and gradients (consecutive, in `parameterShapes` order).
    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)
    /// Allocates activations for batches of up to `maxBatch` samples; the layer computes on `gemm`.
    func allocate(maxBatch: Int, gemm: PartitionedGEMM)
    /// Draws initial parameter values.
    func initialize(_ scheme: Initialization, rng: inout RNG)
    /// Computes the output for `batch` samples; `training` selects batch statistics where that matters.
    func forward(_ input: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float>
    /// Given ∂L/∂output, writes ∂L/∂parameters (overwriting) and returns ∂L/∂input when `needInputGradient`.
    func backward(_ gradOutput: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>?
    /// State that is not trained but changes in training (BatchNorm running statistics): saved in
    /// checkpoints, never tracked by observers (as PyTorch's buffers vs `named_parameters()`).
    var stateBuffers: [FloatBuffer] { get }
}

extension Layer {
    public var stateBuffers: [FloatBuffer] { [] }
}

/// How a batch of images lies in memory. Plane (channel c, sample b) of H·W values starts at
/// `plane(c, b, channels:batch:)` × H·W.
public enum BatchLayout: Sendable {
    /// [B, C, H, W]: PyTorch's order, the dataset's and the fully connected layers'.
    case batchMajor
    /// [C, B, H, W]: every channel's batch contiguous; one GEMM per convolution for the whole batch.
    case channelMajor

    @inline(__always)
    public func plane(_ c: Int, _ b: Int, channels: Int, batch: Int) -> Int {
        self == .batchMajor ? b * channels + c : c * batch + b
    }
}

/// Weight initialization schemes (Methods; equations.md "Training").
public enum Initialization: String, Codable, CaseIterable, Sendable {
    /// PyTorch's `nn.Linear`/`nn.Conv2d` default: W, b ~ U(−1/√fan_in, 1/√fan_in). What the authors ran.
    case pytorchDefault = "pytorch-default"
    /// Kaiming uniform as in the paper's text: W ~ U(−√(6/fan_in), √(6/fan_in)).
    case kaimingUniform = "kaiming-uniform"
    /// Xavier (Glorot) normal: W ~ N(0, 2/(fan_in + fan_out)).
    case xavierNormal = "xavier-normal"

    /// Fills `weights` for a tensor with the given fans. Biases are always drawn as PyTorch's default,
    /// U(±1/√fan_in): a script that re-initializes `layer.weight` leaves the bias as constructed.
    public func fillWeights(_ weights: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, rng: inout RNG) {
        switch self {
        case .pytorchDefault:
            Initialization.fillUniform(weights, count: count, bound: 1 / Double(fanIn).squareRoot(), rng: &rng)
        case .kaimingUniform:
            Initialization.fillUniform(weights, count: count, bound: (6 / Double(fanIn)).squareRoot(), rng: &rng)
        case .xavierNormal:
            let sd = (2 / Double(fanIn + fanOut)).squareRoot()
            for i in 0..<count { weights[i] = Float(rng.normal() * sd) }
        }
    }

    public static func fillBias(_ bias: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, rng: inout RNG) {
        fillUniform(bias, count: count, bound: 1 / Double(fanIn).squareRoot(), rng: &rng)
    }

    static func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, bound: Double, rng: inout RNG) {
        for i in 0..<count { p[i] = Float((rng.uniformDouble() * 2 - 1) * bound) }
    }
}
