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
/// Channels run on the pair, each on one thread; its sums are in Double, plane by plane in sample
/// order, 16 lanes within a plane. Input and output share `layout` (channel-major after a convolution).
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

    /// Channel c's statistics (batch statistics in training, running ones else) and its normalized output.
    private func forwardChannel(_ c: Int, x: UnsafePointer<Float>, batch: Int, training: Bool) {
        let p = positions, n = Double(batch * p), relu = fusedReLU
        var m: Float, variance: Float
        if training {
            var s = 0.0
            for b in 0..<batch { s += VectorMath.sum(x + offset(c, b, batch: batch), count: p) }
            let md = s / n
            var v = 0.0
            for b in 0..<batch { v += VectorMath.sumOfSquaredDeviations(x + offset(c, b, batch: batch), count: p, from: md) }
            m = Float(md); variance = Float(v / n)
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * m
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * Float(v / max(n - 1, 1))
        } else {
            m = runningMean[c]; variance = runningVar[c]
        }
        let inv = 1 / (variance + epsilon).squareRoot()
        mean[c] = m
        inverseStd[c] = inv
        let g = gamma[c], bt = beta[c]
        for b in 0..<batch {
            let o = offset(c, b, batch: batch)
            let xr = x + o, yr = output.pointer + o
            if relu {
                for i in 0..<p { yr[i] = max(g * ((xr[i] - m) * inv) + bt, 0) }
            } else {
                for i in 0..<p { yr[i] = g * ((xr[i] - m) * inv) + bt }
            }
        }
    }

    /// Channel c's ∂γ, ∂β and (when asked) ∂x.
    private func backwardChannel(_ c: Int, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) {
        let p = positions, n = Float(batch * p), relu = fusedReLU, y = UnsafePointer(output.pointer)
        let m = mean[c], inv = inverseStd[c]
        var sumG = 0.0, sumGH = 0.0
        for b in 0..<batch {
            let o = offset(c, b, batch: batch)
            let (s, d) = BatchNorm2D.sums(dy + o, x + o, relu ? y + o : nil, mean: m, inverseStd: inv, count: p)
            sumG += s; sumGH += d
        }
        gradGamma[c] = Float(sumGH)
        gradBeta[c] = Float(sumG)
        guard needInputGradient else { return }
        let scale = gamma[c] * inv
        let meanG = Float(sumG) / n, meanGH = Float(sumGH) / n
        for b in 0..<batch {
            let o = offset(c, b, batch: batch)
            BatchNorm2D.inputGradient(dy + o, x + o, relu ? y + o : nil, into: gradInput.pointer + o, count: p,
                                      mean: m, inverseStd: inv, scale: scale, meanG: meanG, meanGH: meanGH)
        }
    }

    /// dxᵢ = scale·(gᵢ − mean(g) − x̂ᵢ·mean(g·x̂)) over one plane, with gᵢ as in `sums`: 16 lanes at a
    /// time with a blend for the ReLU mask (a per-element branch on the sign was measured 9 ns/element).
    @inline(__always)
    static func inputGradient(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?,
                              into dx: UnsafeMutablePointer<Float>, count n: Int, mean m: Float, inverseStd inv: Float,
                              scale: Float, meanG: Float, meanGH: Float) {
        let mv = SIMD16<Float>(repeating: m), iv = SIMD16<Float>(repeating: inv), zero = SIMD16<Float>()
        let sv = SIMD16<Float>(repeating: scale), gv = SIMD16<Float>(repeating: meanG), hv = SIMD16<Float>(repeating: meanGH)
        let rdy = UnsafeRawPointer(dy), rx = UnsafeRawPointer(x), rdx = UnsafeMutableRawPointer(dx)
        var i = 0
        while i + 16 <= n {
            var g = rdy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            if let y { g = zero.replacing(with: g, where: UnsafeRawPointer(y).loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) .> zero) }
            let h = (rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) - mv) * iv
            rdx.storeBytes(of: sv * (g - gv - h * hv), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            let g: Float = y.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]
            dx[i] = scale * (g - meanG - (x[i] - m) * inv * meanGH)
            i += 1
        }
    }

    /// (Σ gᵢ, Σ gᵢ·x̂ᵢ) over one plane in Double, 16 lanes then across them, with x̂ᵢ = (xᵢ − μ)·inv and
    /// gᵢ = dyᵢ, or 0 where yᵢ ≤ 0 when `y` is given (the fused ReLU).
    @inline(__always)
    static func sums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, mean m: Float,
                     inverseStd inv: Float, count n: Int) -> (Double, Double) {
        var s0 = SIMD8<Double>(), s1 = SIMD8<Double>(), d0 = SIMD8<Double>(), d1 = SIMD8<Double>()
        let mv = SIMD16<Float>(repeating: m), iv = SIMD16<Float>(repeating: inv), zero = SIMD16<Float>()
        let rdy = UnsafeRawPointer(dy), rx = UnsafeRawPointer(x)
        var i = 0
        while i + 16 <= n {
            var g = rdy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            if let y { g = zero.replacing(with: g, where: UnsafeRawPointer(y).loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) .> zero) }
            let h = (rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) - mv) * iv
            let gh = g * h
            s0 += SIMD8<Double>(g.lowHalf); s1 += SIMD8<Double>(g.highHalf)
            d0 += SIMD8<Double>(gh.lowHalf); d1 += SIMD8<Double>(gh.highHalf)
            i += 16
        }
        var sum = (s0 + s1).sum(), dot = (d0 + d1).sum()
        while i < n {
            let g: Float = y.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]
            sum += Double(g); dot += Double(g * ((x[i] - m) * inv))
            i += 1
        }
        return (sum, dot)
    }
}
