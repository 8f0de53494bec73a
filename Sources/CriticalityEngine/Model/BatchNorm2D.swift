import CKernels
import CriticalityCore
import CriticalityData
import Foundation

/// Batch normalization over channels (PyTorch's `nn.BatchNorm2d`, momentum 0.1, ε = 1e-5), optionally
/// followed by a ReLU in the same pass (`fusedReLU`: the CNN's bn → ReLU, one pass over the
/// activations instead of three).
///
/// Training: per channel c, μ and σ² (biased) over batch and positions; x̂ = (x − μ)/√(σ² + ε);
/// y = γ x̂ + β (then max(0, y) when fused); running_mean ← 0.9·running_mean + 0.1·μ,
/// running_var ← 0.9·running_var + 0.1·σ²·N/(N−1) (unbiased, as PyTorch). Evaluation: the running
/// statistics replace μ and σ². γ (weight, init 1) and β (bias, init 0) are parameters; the running
/// statistics are buffers.
/// Backward (training), with g = ∂y (masked by y > 0 when fused):
/// ∂x = (γ/√(σ²+ε)) (g − mean(g) − x̂·mean(g·x̂)), ∂γ = Σ g·x̂, ∂β = Σ g. x̂ is recomputed from the input
/// (kept: the previous layer's output) rather than stored.
///
/// Channels run on the pair, each on one thread; its passes are C kernels (`crit_bn_*`, batchnorm.c)
/// whose sums are in Double over 16 lanes, the same bits on every CPU path. Input and output share `layout` (channel-major after a convolution).
public final class BatchNorm2D: Layer, PairJob {
    public let name: String
    public let channels: Int, positions: Int
    public let layout: BatchLayout
    public let fusedReLU: Bool
    public let momentum: Float = 0.1, epsilon: Float = 1e-5
    public var inputSize: Int { channels * positions }
    public var outputSize: Int { inputSize }
    public var parameterShapes: [(kind: String, shape: [Int])] { [("weight", [channels]), ("bias", [channels])] }
    public let runningMean: FloatBuffer
    public let runningVar: FloatBuffer
    public var stateBuffers: [FloatBuffer] { [runningMean, runningVar] }

    private var gamma: UnsafeMutablePointer<Float>!, beta: UnsafeMutablePointer<Float>!
    private var gradGamma: UnsafeMutablePointer<Float>!, gradBeta: UnsafeMutablePointer<Float>!
    private var output: FloatBuffer!, gradInput: FloatBuffer!
    /// μ and 1/√(σ² + ε) of the last forward, per channel.
    private let mean: FloatBuffer, inverseStd: FloatBuffer
    private var input: UnsafePointer<Float>?
    private var pair = WorkerPair.callerOnly

    public init(name: String, channels: Int, height: Int, width: Int, layout: BatchLayout = .channelMajor,
                fusedReLU: Bool = false) {
        self.name = name
        self.channels = channels
        self.layout = layout
        self.fusedReLU = fusedReLU
        positions = height * width
        runningMean = FloatBuffer(count: channels)
        runningVar = FloatBuffer([Float](repeating: 1, count: channels))
        mean = FloatBuffer(count: channels)
        inverseStd = FloatBuffer([Float](repeating: 1, count: channels))
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        gamma = parameters; beta = parameters + channels
        gradGamma = gradients; gradBeta = gradients + channels
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
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

    /// The pass `runItem` runs, one item per channel (`PairJob`: no allocation per job).
    private enum Job {
        case forward(x: UnsafePointer<Float>, batch: Int, training: Bool)
        case backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, needInputGradient: Bool)
    }
    private var job = Job.forward(x: UnsafePointer(bitPattern: 1)!, batch: 0, training: false)

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        input = x
        job = .forward(x: x, batch: batch, training: training)
        pair.forEach(channels, job: self)
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let x = input else { preconditionFailure("BatchNorm2D.backward before forward") }
        job = .backward(dy: dy, x: x, batch: batch, needInputGradient: needInputGradient)
        pair.forEach(channels, job: self)
        return needInputGradient ? gradInput.pointer : nil
    }

    public func runItem(_ c: Int, thread: Int) {
        switch job {
        case .forward(let x, let batch, let training): forwardChannel(c, x: x, batch: batch, training: training)
        case .backward(let dy, let x, let batch, let need): backwardChannel(c, dy: dy, x: x, batch: batch, needInputGradient: need)
        }
    }

    /// Floats between channel c's planes of consecutive samples (its planes are (c, 0), (c, 1), …).
    private func planeStride(batch: Int) -> Int { offset(0, 1, batch: batch) - offset(0, 0, batch: batch) }

    /// Channel c's statistics (batch statistics in training, running ones else) and its normalized output
    /// (`crit_bn_moments`, `crit_bn_normalize`).
    private func forwardChannel(_ c: Int, x: UnsafePointer<Float>, batch: Int, training: Bool) {
        let p = positions, n = Double(batch * p), o = offset(c, 0, batch: batch), stride = planeStride(batch: batch)
        var m: Float, variance: Float
        if training {
            var s = 0.0, v = 0.0
            crit_bn_moments(x + o, stride, batch, p, &s, &v)
            m = Float(s / n); variance = Float(v / n)
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * m
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(v / max(n - 1, 1))
        } else {
            m = runningMean[c]; variance = runningVar[c]
        }
        let inv = 1 / (variance + epsilon).squareRoot()
        mean[c] = m
        inverseStd[c] = inv
        crit_bn_normalize(x + o, stride, batch, p, m, inv, gamma[c], beta[c], fusedReLU ? 1 : 0, output.pointer + o)
    }

    /// Channel c's ∂γ, ∂β and (when asked) ∂x (`crit_bn_backward_sums`, `crit_bn_input_gradient`); with
    /// the fused ReLU, g = ∂y where y > 0, else 0.
    private func backwardChannel(_ c: Int, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) {
        let p = positions, n = Float(batch * p), o = offset(c, 0, batch: batch), stride = planeStride(batch: batch)
        let y: UnsafePointer<Float>? = fusedReLU ? UnsafePointer(output.pointer) + o : nil
        let m = mean[c], inv = inverseStd[c]
        var sumG = 0.0, sumGH = 0.0
        crit_bn_backward_sums(dy + o, x + o, y, stride, batch, p, m, inv, &sumG, &sumGH)
        gradGamma[c] = Float(sumGH)
        gradBeta[c] = Float(sumG)
        guard needInputGradient else { return }
        crit_bn_input_gradient(dy + o, x + o, y, stride, batch, p, m, inv, gamma[c] * inv, Float(sumG) / n, Float(sumGH) / n,
                               gradInput.pointer + o)
    }
}
