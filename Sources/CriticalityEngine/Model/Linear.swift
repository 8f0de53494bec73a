import CriticalityCore
import CriticalityData
/// Fully connected layer y = x Wᵀ + b with W of shape [out, in] (PyTorch's `nn.Linear`).
public final class Linear: Layer {
    public let name: String
    public let inputSize: Int
    public let outputSize: Int
    public var parameterShapes: [(kind: String, shape: [Int])] { [("weight", [outputSize, inputSize]), ("bias", [outputSize])] }

    private var weight: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>!
    private var gradWeight: UnsafeMutablePointer<Float>!
    private var gradBias: UnsafeMutablePointer<Float>!
    private var output: FloatBuffer!
    private var gradInput: FloatBuffer!
    private var input: UnsafePointer<Float>?
    private var gemm: PartitionedGEMM!

    public init(name: String, inputSize: Int, outputSize: Int) {
        self.name = name
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        weight = parameters
        bias = parameters + inputSize * outputSize
        gradWeight = gradients
        gradBias = gradients + inputSize * outputSize
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        self.gemm = gemm
    }

    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        scheme.fillWeights(weight, count: inputSize * outputSize, fanIn: inputSize, fanOut: outputSize, rng: &rng)
        Initialization.fillBias(bias, count: outputSize, fanIn: inputSize, rng: &rng)
    }

    /// Y (batch×out) = X (batch×in) · Wᵀ + 1 bᵀ: rows of Y start as b, then the GEMM adds to them.
    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        input = x
        let y = output.pointer
        gemm.sgemm(transB: true, m: batch, n: outputSize, k: inputSize,
                   a: x, lda: inputSize, b: weight, ldb: inputSize, start: .columnBias(bias), c: y, ldc: outputSize)
        return y
    }

    /// ∂L/∂W = dYᵀ X, ∂L/∂b = Σ_rows dY, ∂L/∂X = dY W.
    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        gemm.sgemm(transA: true, m: outputSize, n: inputSize, k: batch,
                   a: dy, lda: outputSize, b: x, ldb: inputSize, beta: 0, c: gradWeight, ldc: inputSize)
        gradBias.update(repeating: 0, count: outputSize)
        for r in 0..<batch {
            let row = dy + r * outputSize
            for j in 0..<outputSize { gradBias[j] += row[j] }
        }
        guard needInputGradient else { return nil }
        gemm.sgemm(m: batch, n: inputSize, k: outputSize,
                   a: dy, lda: outputSize, b: weight, ldb: inputSize, beta: 0, c: gradInput.pointer, ldc: inputSize)
        return gradInput.pointer
    }
}
