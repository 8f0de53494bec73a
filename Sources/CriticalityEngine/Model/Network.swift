import CriticalityCore
import CriticalityData
/// A feed-forward stack of layers whose parameters and gradients live in one flat buffer each.
///
/// Building the network lays its parameters out (`layout`), allocates the parameter and gradient
/// buffers and every layer's working memory for `maxBatch` samples. Nothing is allocated afterwards.
public final class Network {
    public let layers: [Layer]
    public let layout: ParameterLayout
    /// θ: every trainable parameter, in `layout` order.
    public let parameters: FloatBuffer
    /// ∂L/∂θ of the last `backward`, same layout.
    public let gradients: FloatBuffer
    public let maxBatch: Int
    /// The GEMMs and jobs of every layer, on one `WorkerPair`.
    public let gemm: PartitionedGEMM
    public var inputSize: Int { layers.first?.inputSize ?? 0 }
    /// Non-trained state of all layers (BatchNorm running statistics), in layer order.
    public var stateBuffers: [FloatBuffer] { layers.flatMap(\.stateBuffers) }
    public var outputSize: Int { layers.last?.outputSize ?? 0 }
    /// Each layer's output of the last `forward` (batch-major for every fully connected layer and its
    /// activation; [C, B, H, W] for the convolutional stages), in layer order; valid until the next
    /// `forward`. `backward` leaves them intact (every layer writes its input gradient elsewhere).
    public private(set) var outputs: [UnsafeMutablePointer<Float>?]
    /// The layers that draw random numbers in training (dropout), with their index in `layers`.
    private let stochastic: [(index: Int, layer: StochasticLayer)]

    /// The network of `layers` for batches up to `maxBatch`, computing on `pair` (the caller alone by
    /// default; results are the same on any pair).
    public init(layers: [Layer], maxBatch: Int, pair: WorkerPair = .callerOnly) {
        precondition(!layers.isEmpty && maxBatch > 0)
        self.layers = layers
        self.maxBatch = maxBatch
        outputs = [UnsafeMutablePointer<Float>?](repeating: nil, count: layers.count)
        stochastic = layers.enumerated().compactMap { i, l in (l as? StochasticLayer).map { (i, $0) } }
        gemm = PartitionedGEMM(pair: pair)
        var layout = ParameterLayout()
        var offsets: [Int] = []
        for layer in layers {
            offsets.append(layout.parameterCount)
            for (kind, shape) in layer.parameterShapes { layout.append(layer: layer.name, kind: kind, shape: shape) }
        }
        self.layout = layout
        parameters = FloatBuffer(count: layout.parameterCount)
        gradients = FloatBuffer(count: layout.parameterCount)
        for (layer, offset) in zip(layers, offsets) {
            layer.bind(parameters: parameters.pointer + offset, gradients: gradients.pointer + offset)
            layer.allocate(maxBatch: maxBatch, gemm: gemm)
        }
    }

    /// Draws all parameters from the initialization stream of `seed`, layer by layer.
    public func initialize(_ scheme: Initialization, seed: UInt64) {
        var rng = RNG(seed: seed, stream: .initialization)
        for layer in layers { layer.initialize(scheme, rng: &rng) }
    }

    /// Gives every stochastic layer the generator of training step `step` of the run seeded `seed`:
    /// sub-stream (step << 8 | layer index) of the dropout stream, so a step's masks depend on nothing
    /// else (first pass, replay and resume draw the same).
    public func beginStep(seed: UInt64, step: Int) {
        for (i, layer) in stochastic {
            layer.reseed(RNG(seed: seed, stream: .dropout, index: UInt64(step) << 8 | UInt64(i)))
        }
    }

    /// Whether a training forward pass draws random numbers (`beginStep` matters).
    public var isStochastic: Bool { !stochastic.isEmpty }

    /// Logits (batch × outputSize) for `batch` ≤ `maxBatch` input rows.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        precondition(batch <= maxBatch, "batch \(batch) exceeds the network's maxBatch \(maxBatch)")
        var x = input
        var y: UnsafeMutablePointer<Float>! = nil
        for (i, layer) in layers.enumerated() {
            y = layer.forward(x, batch: batch, training: training)
            outputs[i] = y
            x = UnsafePointer(y)
        }
        return y
    }

    /// Back-propagates ∂L/∂logits through all layers, overwriting `gradients`.
    public func backward(_ gradLogits: UnsafePointer<Float>, batch: Int) {
        var g = gradLogits
        for (i, layer) in layers.enumerated().reversed() {
            guard let next = layer.backward(g, batch: batch, needInputGradient: i > 0) else { break }
            g = UnsafePointer(next)
        }
    }
}
