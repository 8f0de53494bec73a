import CriticalityCore
import CriticalityData

/// The character-level Transformer of SI Fig. S5, by default exactly the authors' model
/// (authors-code-notes.md §1.2): token embedding scaled by √d plus sinusoidal positions, `layers` post-LN
/// encoder layers (`TransformerEncoderLayer`), and a final linear layer to the vocabulary, with no final
/// layer norm and no dropout after the positional encoding. The vocabulary is the dataset's.
///
/// Layer names: `embedding`, `layers_0` … `layers_{L−1}`, `fc`; segment names follow PyTorch's
/// `named_parameters()` with `.` → `_` inside a layer (`layers_0.in_proj_weight` is
/// `transformer_encoder.layers.0.self_attn.in_proj_weight`). 409,394 parameters at vocabulary 50.
public struct TransformerSpec: Codable, Equatable, Sendable {
    /// Model width d (`EMBED_SIZE`).
    public var dModel = 128
    public var heads = 4
    public var layers = 2
    /// Inner width of the feed-forward block (`dim_feedforward`).
    public var feedForward = 512
    /// Dropout probability at PyTorch's four places per layer (training only).
    public var dropout = 0.1
    /// Tokens per sample (`SEQ_LEN`); the dataset's windows have this length.
    public var context = 50
    /// Causal attention mask (a proper language model). The authors passed none: off by default.
    public var causal = false
    /// Whether every encoder layer starts as a copy of the first (PyTorch's `TransformerEncoder` deep-copies
    /// its layer; the authors' run). False draws each layer independently.
    public var identicalLayers = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dModel = "d_model", heads, layers, feedForward = "feed_forward", dropout, context, causal
        case identicalLayers = "identical_layers"
    }

    /// Refuses shapes the layers cannot build, naming the setting.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            guard ok else { throw CriticalityError(.invalidArgument, message) }
        }
        try check(dModel >= 2 && dModel % 2 == 0, "transformer 'd_model' must be an even number ≥ 2 (the sinusoidal encoding pairs sin and cos); got \(dModel)")
        try check(heads >= 1 && dModel % heads == 0, "transformer 'heads' must divide d_model \(dModel); got \(heads)")
        try check(layers >= 1, "transformer 'layers' must be ≥ 1; got \(layers)")
        try check(feedForward >= 1, "transformer 'feed_forward' must be ≥ 1; got \(feedForward)")
        try check(dropout >= 0 && dropout < 1, "transformer 'dropout' must be in [0, 1); got \(dropout)")
        try check(context >= 1 && context <= 4096, "transformer 'context' must be in 1…4096; got \(context)")
    }

    public func makeNetwork(sampleShape: [Int], vocabulary: Int, maxBatch: Int, pair: WorkerPair) throws -> Network {
        try validate()
        guard sampleShape == [context] else {
            throw CriticalityError(.invalidArgument, "the transformer reads windows of \(context) tokens but the dataset's samples have shape \(sampleShape); use a text dataset (pangram, text)")
        }
        var stack: [Layer] = [TokenEmbedding(name: "embedding", vocabulary: vocabulary, dModel: dModel, context: context)]
        var first: TransformerEncoderLayer?
        for i in 0..<layers {
            let layer = TransformerEncoderLayer(name: "layers_\(i)", dModel: dModel, heads: heads, feedForward: feedForward, context: context,
                                                dropout: dropout, causal: causal, initialCopy: identicalLayers ? first : nil)
            if first == nil { first = layer }
            stack.append(layer)
        }
        stack.append(Linear(name: "fc", inputSize: dModel, outputSize: vocabulary, positions: context))
        return Network(layers: stack, maxBatch: maxBatch, pair: pair)
    }

    /// Parameters per encoder layer: 4d² + 2df + 9d + f (in/out projections, feed-forward, two norms).
    public var parametersPerLayer: Int { 4 * dModel * dModel + 2 * dModel * feedForward + 9 * dModel + feedForward }

    /// V·d (embedding) + L·(per layer) + d·V + V (fc): 409,394 for the authors' model at V = 50.
    public func parameterCount(vocabulary: Int) -> Int {
        vocabulary * dModel + layers * parametersPerLayer + dModel * vocabulary + vocabulary
    }

    /// The Float32 values a sample keeps in a training step, for the memory check: per encoder layer and
    /// token, the buffers of `TransformerEncoderLayer.allocate` (23 of width d — [q k v] and its gradient
    /// count three —, 4 of width f, the two norms' 1/σ), and per head T² three times (A, its kept copy,
    /// the mask); then the embedding's output and the fc's input gradient (d each) and the logits and their
    /// gradient (V each) per token.
    public func activationsPerSample(vocabulary: Int) -> Int {
        let perToken = 23 * dModel + 4 * feedForward + 2
        return layers * (context * perToken + 3 * heads * context * context) + context * (2 * dModel + 2 * vocabulary)
    }

    /// GEMM FLOPs of a training step per sample: per token and layer 2·(3d² + d² + 2df) for the
    /// projections and 2·2·T·d for the attention products, forward; backward twice that; plus the fc to
    /// the vocabulary (2·d·V per token, three times).
    public func trainingFLOPsPerSample(vocabulary: Int) -> Double {
        let d = Double(dModel), f = Double(feedForward), t = Double(context)
        let perToken = 2 * (4 * d * d + 2 * d * f) + 4 * t * d
        return 3 * t * (Double(layers) * perToken + 2 * d * Double(vocabulary))
    }
}
