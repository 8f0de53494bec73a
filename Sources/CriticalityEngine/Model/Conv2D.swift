import CriticalityCore
import CriticalityData
/// 2-D convolution (PyTorch's `nn.Conv2d`): input [C_in, H, W] per sample, weight [C_out, C_in, k, k],
/// bias [C_out], output [C_out, H_out, W_out] with H_out = (H + 2p − k)/s + 1.
///
/// Through im2col + GEMM, one GEMM per sample: the patch matrix col_b (K × P, K = C_in·k·k,
/// P = H_out·W_out) is kept for backward, and
///     forward   Y_b = W · col_b + b            (C_out × K)(K × P)
///     backward  ∂W = Σ_b ∂Y_b · col_bᵀ,  ∂b = Σ_{b,p} ∂Y_b,  ∂col_b = Wᵀ · ∂Y_b → col2im → ∂X_b
public final class Conv2D: Layer {
    public let name: String
    public let inChannels: Int, outChannels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outHeight: Int, outWidth: Int
    public var inputSize: Int { inChannels * height * width }
    public var outputSize: Int { outChannels * outHeight * outWidth }
    var patchSize: Int { inChannels * kernel * kernel }
    var positions: Int { outHeight * outWidth }
    public var parameterShapes: [(kind: String, shape: [Int])] {
        [("weight", [outChannels, inChannels, kernel, kernel]), ("bias", [outChannels])]
    }

    private var weight: UnsafeMutablePointer<Float>!, bias: UnsafeMutablePointer<Float>!
    private var gradWeight: UnsafeMutablePointer<Float>!, gradBias: UnsafeMutablePointer<Float>!
    private var columns: FloatBuffer!, gradColumns: FloatBuffer!
    private var output: FloatBuffer!, gradInput: FloatBuffer!

    public init(name: String, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int = 3,
                stride: Int = 1, padding: Int = 1) {
        self.name = name
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let n = outChannels * patchSize
        weight = parameters; bias = parameters + n
        gradWeight = gradients; gradBias = gradients + n
    }

    public func allocate(maxBatch: Int) {
        columns = FloatBuffer(count: maxBatch * patchSize * positions)
        gradColumns = FloatBuffer(count: patchSize * positions)
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
    }

    /// Conv weights follow the scheme with fan_in = C_in·k·k, fan_out = C_out·k·k; biases U(±1/√fan_in).
    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        scheme.fillWeights(weight, count: outChannels * patchSize, fanIn: patchSize, fanOut: outChannels * kernel * kernel, rng: &rng)
        Initialization.fillBias(bias, count: outChannels, fanIn: patchSize, rng: &rng)
    }

    /// col (K × P): col[(c·k + i)·k + j][oh·W_out + ow] = x[c][oh·s − p + i][ow·s − p + j] (0 outside).
    private func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        let p = positions
        for c in 0..<inChannels {
            let plane = x + c * height * width
            for i in 0..<kernel {
                for j in 0..<kernel {
                    let row = col + ((c * kernel + i) * kernel + j) * p
                    for oh in 0..<outHeight {
                        let ih = oh * stride - padding + i
                        let dst = row + oh * outWidth
                        if ih < 0 || ih >= height { dst.update(repeating: 0, count: outWidth); continue }
                        let src = plane + ih * width
                        for ow in 0..<outWidth {
                            let iw = ow * stride - padding + j
                            dst[ow] = (iw >= 0 && iw < width) ? src[iw] : 0
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: adds each column entry back to the input position it came from.
    private func col2im(_ col: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let p = positions
        dx.update(repeating: 0, count: inputSize)
        for c in 0..<inChannels {
            let plane = dx + c * height * width
            for i in 0..<kernel {
                for j in 0..<kernel {
                    let row = col + ((c * kernel + i) * kernel + j) * p
                    for oh in 0..<outHeight {
                        let ih = oh * stride - padding + i
                        if ih < 0 || ih >= height { continue }
                        let dst = plane + ih * width
                        let src = row + oh * outWidth
                        for ow in 0..<outWidth {
                            let iw = ow * stride - padding + j
                            if iw >= 0 && iw < width { dst[iw] += src[ow] }
                        }
                    }
                }
            }
        }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let k = patchSize, p = positions
        for b in 0..<batch {
            let col = columns.pointer + b * k * p
            im2col(x + b * inputSize, col)
            let y = output.pointer + b * outputSize
            for c in 0..<outChannels { (y + c * p).update(repeating: bias[c], count: p) }
            BLAS.sgemm(m: outChannels, n: p, k: k, a: weight, lda: k, b: col, ldb: p, beta: 1, c: y, ldc: p)
        }
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let k = patchSize, p = positions
        gradBias.update(repeating: 0, count: outChannels)
        for b in 0..<batch {
            let g = dy + b * outputSize
            BLAS.sgemm(transB: true, m: outChannels, n: k, k: p, a: g, lda: p, b: columns.pointer + b * k * p, ldb: p,
                       beta: b == 0 ? 0 : 1, c: gradWeight, ldc: k)
            for c in 0..<outChannels {
                var s: Float = 0
                let row = g + c * p
                for i in 0..<p { s += row[i] }
                gradBias[c] += s
            }
            if needInputGradient {
                BLAS.sgemm(transA: true, m: k, n: p, k: outChannels, a: weight, lda: k, b: g, ldb: p, beta: 0,
                           c: gradColumns.pointer, ldc: p)
                col2im(gradColumns.pointer, gradInput.pointer + b * inputSize)
            }
        }
        return needInputGradient ? gradInput.pointer : nil
    }
}
