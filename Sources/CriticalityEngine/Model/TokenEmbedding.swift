import CriticalityCore
import CriticalityData
import Foundation

/// Token embedding with the fixed sinusoidal positional encoding (authors-code-notes.md §1.2):
///
///     x[b, t, :] = E[token(b, t), :] · √d + pe[t, :],   pe[t, 2i] = sin(t·ω_i),  pe[t, 2i+1] = cos(t·ω_i),
///     ω_i = exp(2i · (−ln 10000 / d))
///
/// E is `nn.Embedding(vocabulary, d)` ([vocabulary, d], drawn N(0, 1)); pe is a buffer, not a parameter,
/// computed in Float32 as PyTorch's `PositionalEncoding` does. The input is a batch of `context` token ids
/// stored as Float (exact below 2²⁴); the output is batch-major [B, context, d]. Being the first layer it
/// never returns an input gradient (tokens have none); rows of E whose token is absent get zero gradient.
public final class TokenEmbedding: Layer {
    public let name: String
    public let vocabulary: Int
    public let dModel: Int
    public let context: Int
    public var inputSize: Int { context }
    public var outputSize: Int { context * dModel }
    public var parameterShapes: [(kind: String, shape: [Int])] { [("weight", [vocabulary, dModel])] }
    /// pe[0..<context], [context, d].
    public let positions: FloatBuffer
    /// √d in Float32, the factor PyTorch's `embedding(x) * math.sqrt(d)` applies.
    public let scale: Float

    private var weight: UnsafeMutablePointer<Float>!
    private var gradWeight: UnsafeMutablePointer<Float>!
    private var output: FloatBuffer!
    private var tokens: UnsafePointer<Float>?

    public init(name: String, vocabulary: Int, dModel: Int, context: Int) {
        precondition(dModel % 2 == 0, "the sinusoidal encoding needs an even model width")
        self.name = name
        self.vocabulary = vocabulary
        self.dModel = dModel
        self.context = context
        scale = Float(Double(dModel).squareRoot())
        positions = FloatBuffer(count: context * dModel)
        let factor = Float(-log(10000.0) / Double(dModel))
        for i in stride(from: 0, to: dModel, by: 2) {
            let omega = expf(Float(i) * factor)
            for t in 0..<context {
                positions[t * dModel + i] = sinf(Float(t) * omega)
                positions[t * dModel + i + 1] = cosf(Float(t) * omega)
            }
        }
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        weight = parameters
        gradWeight = gradients
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * context * dModel)
    }

    /// E ~ N(0, 1) (`nn.Embedding`'s default) whatever the scheme: the schemes are for weight matrices.
    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        for i in 0..<(vocabulary * dModel) { weight[i] = Float(rng.normal()) }
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        tokens = input
        let y = output.pointer, pe = positions.pointer, d = dModel
        for r in 0..<(batch * context) {
            let row = weight + Int(input[r]) * d, out = y + r * d, p = pe + (r % context) * d
            for j in 0..<d { out[j] = row[j] * scale + p[j] }
        }
        return y
    }

    /// ∂L/∂E[v] = √d · Σ_{(b,t): token = v} ∂L/∂x[b, t], summed in row order.
    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input = tokens else { preconditionFailure("TokenEmbedding.backward before forward") }
        let d = dModel
        gradWeight.update(repeating: 0, count: vocabulary * d)
        for r in 0..<(batch * context) {
            let g = gradWeight + Int(input[r]) * d, src = dy + r * d
            for j in 0..<d { g[j] += src[j] * scale }
        }
        return nil
    }
}
