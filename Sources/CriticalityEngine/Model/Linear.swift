import CriticalityCore
import CriticalityData
/// Fully connected layer y = x Wᵀ + b with W of shape [out, in] (PyTorch's `nn.Linear`).
///
/// With `positions` > 1 a sample is `positions` rows of `inFeatures` (a sequence, [B, T, in]) and the
/// same W applies to every row, as `nn.Linear` does to a [B, T, in] tensor: the GEMM has B·T rows.
public final class Linear: Layer {
    public let name: String
    /// Features per row: W is [outFeatures, inFeatures].
    public let inFeatures: Int
    public let outFeatures: Int
    /// Rows per sample (1 for a vector; the context length for a sequence).
    public let positions: Int
    public var inputSize: Int { positions * inFeatures }
    public var outputSize: Int { positions * outFeatures }
    public var parameterShapes: [(kind: String, shape: [Int])] { [("weight", [outFeatures, inFeatures]), ("bias", [outFeatures])] }

    private var weight: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>!
    private var gradWeight: UnsafeMutablePointer<Float>!
    private var gradBias: UnsafeMutablePointer<Float>!
    private var output: FloatBuffer!
    private var gradInput: FloatBuffer!
    private var input: UnsafePointer<Float>?
    private var gemm: PartitionedGEMM!

    public init(name: String, inputSize: Int, outputSize: Int, positions: Int = 1) {
        self.name = name
        inFeatures = inputSize
        outFeatures = outputSize
        self.positions = positions
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        weight = parameters
        bias = parameters + inFeatures * outFeatures
        gradWeight = gradients
        gradBias = gradients + inFeatures * outFeatures
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        self.gemm = gemm
    }

    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        scheme.fillWeights(weight, count: inFeatures * outFeatures, fanIn: inFeatures, fanOut: outFeatures, rng: &rng)
        Initialization.fillBias(bias, count: outFeatures, fanIn: inFeatures, rng: &rng)
    }

    /// Y (batch×out) = X (batch×in) · Wᵀ + 1 bᵀ: rows of Y start as b, then the GEMM adds to them.
    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        input = x
        let y = output.pointer
        gemm.sgemm(transB: true, m: batch * positions, n: outFeatures, k: inFeatures,
                   a: x, lda: inFeatures, b: weight, ldb: inFeatures, start: .columnBias(bias), c: y, ldc: outFeatures)
        return y
    }

    /// ∂L/∂W = dYᵀ X, ∂L/∂b = Σ_rows dY, ∂L/∂X = dY W.
    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        gemm.sgemm(transA: true, m: outFeatures, n: inFeatures, k: batch * positions,
                   a: dy, lda: outFeatures, b: x, ldb: inFeatures, beta: 0, c: gradWeight, ldc: inFeatures)
        gradBias.update(repeating: 0, count: outFeatures)
        for r in 0..<(batch * positions) {
            let row = dy + r * outFeatures
            for j in 0..<outFeatures { gradBias[j] += row[j] }
        }
        guard needInputGradient else { return nil }
        gemm.sgemm(m: batch * positions, n: inFeatures, k: outFeatures,
                   a: dy, lda: outFeatures, b: weight, ldb: inFeatures, beta: 0, c: gradInput.pointer, ldc: inFeatures)
        return gradInput.pointer
    }
}
