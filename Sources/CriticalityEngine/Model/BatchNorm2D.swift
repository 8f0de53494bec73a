import CriticalityCore
import CriticalityData
import Foundation

/// Batch normalization over channels (PyTorch's `nn.BatchNorm2d`, momentum 0.1, ε = 1e-5).
///
/// Training: per channel c, μ and σ² (biased) over batch and positions; x̂ = (x − μ)/√(σ² + ε);
/// y = γ x̂ + β; running_mean ← 0.9·running_mean + 0.1·μ, running_var ← 0.9·running_var + 0.1·σ²·N/(N−1)
/// (unbiased, as PyTorch). Evaluation: the running statistics replace μ and σ².
/// γ (weight, init 1) and β (bias, init 0) are parameters; the running statistics are buffers.
/// Backward (training): ∂x = (γ/√(σ²+ε)) (∂y − mean(∂y) − x̂·mean(∂y·x̂)), ∂γ = Σ ∂y·x̂, ∂β = Σ ∂y.
///
/// Channels run on the pair, each on one thread; its sums are in Double, plane by plane in sample
/// order, 16 lanes within a plane. Input and output share `layout` (channel-major after a convolution).
public final class BatchNorm2D: Layer {
    public let name: String
    public let channels: Int, positions: Int
    public let layout: BatchLayout
    public let momentum: Float = 0.1, epsilon: Float = 1e-5
    public var inputSize: Int { channels * positions }
    public var outputSize: Int { inputSize }
    public var parameterShapes: [(kind: String, shape: [Int])] { [("weight", [channels]), ("bias", [channels])] }
    public let runningMean: FloatBuffer
    public let runningVar: FloatBuffer
    public var stateBuffers: [FloatBuffer] { [runningMean, runningVar] }

    private var gamma: UnsafeMutablePointer<Float>!, beta: UnsafeMutablePointer<Float>!
    private var gradGamma: UnsafeMutablePointer<Float>!, gradBeta: UnsafeMutablePointer<Float>!
    private var normalized: FloatBuffer!, output: FloatBuffer!, gradInput: FloatBuffer!
    private let inverseStd: FloatBuffer
    private var pair = WorkerPair.callerOnly

    public init(name: String, channels: Int, height: Int, width: Int, layout: BatchLayout = .channelMajor) {
        self.name = name
        self.channels = channels
        self.layout = layout
        positions = height * width
        runningMean = FloatBuffer(count: channels)
        runningVar = FloatBuffer([Float](repeating: 1, count: channels))
        inverseStd = FloatBuffer([Float](repeating: 1, count: channels))
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        gamma = parameters; beta = parameters + channels
        gradGamma = gradients; gradBeta = gradients + channels
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        normalized = FloatBuffer(count: maxBatch * inputSize)
        output = FloatBuffer(count: maxBatch * inputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        pair = gemm.pair
    }

    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        gamma.update(repeating: 1, count: channels)
        beta.update(repeating: 0, count: channels)
        runningMean.fill(0)
        runningVar.fill(1)
    }

    /// Offset of plane (c, b).
    @inline(__always)
    private func offset(_ c: Int, _ b: Int, batch: Int) -> Int { layout.plane(c, b, channels: channels, batch: batch) * positions }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let p = positions, n = Double(batch * p)
        pair.forEach(channels) { c, _ in
            var mean: Float, variance: Float
            if training {
                var s = 0.0
                for b in 0..<batch { s += VectorMath.sum(x + offset(c, b, batch: batch), count: p) }
                let m = s / n
                var v = 0.0
                for b in 0..<batch { v += VectorMath.sumOfSquaredDeviations(x + offset(c, b, batch: batch), count: p, from: m) }
                mean = Float(m); variance = Float(v / n)
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(v / max(n - 1, 1))
            } else {
                mean = runningMean[c]; variance = runningVar[c]
            }
            let inv = 1 / (variance + epsilon).squareRoot()
            inverseStd[c] = inv
            let g = gamma[c], bt = beta[c]
            for b in 0..<batch {
                let o = offset(c, b, batch: batch)
                let xr = x + o, nr = normalized.pointer + o, yr = output.pointer + o
                for i in 0..<p { let h = (xr[i] - mean) * inv; nr[i] = h; yr[i] = g * h + bt }
            }
        }
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let p = positions, n = Float(batch * p)
        pair.forEach(channels) { c, _ in
            var sumDy = 0.0, sumDyH = 0.0
            for b in 0..<batch {
                let o = offset(c, b, batch: batch)
                let (s, d) = VectorMath.sumAndDot(dy + o, normalized.pointer + o, count: p)
                sumDy += s; sumDyH += d
            }
            gradGamma[c] = Float(sumDyH)
            gradBeta[c] = Float(sumDy)
            guard needInputGradient else { return }
            let scale = gamma[c] * inverseStd[c]
            let meanDy = Float(sumDy) / n, meanDyH = Float(sumDyH) / n
            for b in 0..<batch {
                let o = offset(c, b, batch: batch)
                let g = dy + o, h = normalized.pointer + o, dx = gradInput.pointer + o
                for i in 0..<p { dx[i] = scale * (g[i] - meanDy - h[i] * meanDyH) }
            }
        }
        return needInputGradient ? gradInput.pointer : nil
    }
}
