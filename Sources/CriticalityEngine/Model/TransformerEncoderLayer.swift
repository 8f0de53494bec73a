import CKernels
import CriticalityCore
import CriticalityData
import Foundation

/// One post-LN Transformer encoder layer, PyTorch's `nn.TransformerEncoderLayer(d, h, f, dropout,
/// batch_first=True)` in training mode (authors-code-notes.md §1.2), on a batch-major [B, T, d] batch:
///
///     [q k v] = x W_inᵀ + b_in                                  (packed projection, W_in [3d, d])
///     A_h     = softmax(q_h k_hᵀ / √(d/h) + M) ,  M = −∞ above the diagonal when causal, else 0
///     c_h     = drop(A_h) v_h ;   a = [c_1 … c_h] W_outᵀ + b_out
///     y₁      = LN₁(x + drop(a))
///     y       = LN₂(y₁ + drop(W₂ drop(relu(W₁ y₁ + b₁)) + b₂))
///
/// with dropout p at PyTorch's four places (attention weights, after attention, inside and after the
/// feed-forward block); evaluation (`training` false) applies none. The backward pass runs the same
/// lines in reverse, side by side below. Heads run as (sample, head) items on the pair, each with its
/// own small GEMMs and its own slices of the outputs, and the row passes (residuals, layer norms, ReLU)
/// as blocks of rows, so the numbers do not depend on the thread count; the layer is its own job object
/// (`PairJob`: the pass to run is stored in `job`), so no job allocates. The masks come from the step's
/// generator (`StochasticLayer`), drawn in one fixed order.
///
/// Parameters, in PyTorch's `named_parameters()` order (the name after `.` is PyTorch's with `.`→`_`):
/// in_proj_weight [3d, d], in_proj_bias [3d], out_proj_weight [d, d], out_proj_bias [d],
/// linear1_weight [f, d], linear1_bias [f], linear2_weight [d, f], linear2_bias [d],
/// norm1_weight, norm1_bias, norm2_weight, norm2_bias [d].
public final class TransformerEncoderLayer: StochasticLayer, PairJob {
    public let name: String
    public let dModel: Int, heads: Int, feedForward: Int, context: Int
    public let dropout: Double
    public let causal: Bool
    /// A layer initialised as a copy of this one's parameters (PyTorch's encoder deep-copies its layer);
    /// nil draws its own.
    public let initialCopy: TransformerEncoderLayer?
    public var inputSize: Int { context * dModel }
    public var outputSize: Int { context * dModel }
    public var parameterShapes: [(kind: String, shape: [Int])] {
        let d = dModel, f = feedForward
        return [("in_proj_weight", [3 * d, d]), ("in_proj_bias", [3 * d]), ("out_proj_weight", [d, d]), ("out_proj_bias", [d]),
                ("linear1_weight", [f, d]), ("linear1_bias", [f]), ("linear2_weight", [d, f]), ("linear2_bias", [d]),
                ("norm1_weight", [d]), ("norm1_bias", [d]), ("norm2_weight", [d]), ("norm2_bias", [d])]
    }
    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    // Parameters and their gradients (offsets within the layer's segment of the flat buffers).
    private var theta: UnsafeMutablePointer<Float>!
    private var grad: UnsafeMutablePointer<Float>!
    private var wIn: UnsafeMutablePointer<Float> { theta }
    private var bIn: UnsafeMutablePointer<Float> { theta + 3 * dModel * dModel }
    private var wOut: UnsafeMutablePointer<Float> { bIn + 3 * dModel }
    private var bOut: UnsafeMutablePointer<Float> { wOut + dModel * dModel }
    private var w1: UnsafeMutablePointer<Float> { bOut + dModel }
    private var b1: UnsafeMutablePointer<Float> { w1 + feedForward * dModel }
    private var w2: UnsafeMutablePointer<Float> { b1 + feedForward }
    private var b2: UnsafeMutablePointer<Float> { w2 + dModel * feedForward }
    private var gamma1: UnsafeMutablePointer<Float> { b2 + dModel }
    private var beta1: UnsafeMutablePointer<Float> { gamma1 + dModel }
    private var gamma2: UnsafeMutablePointer<Float> { beta1 + dModel }
    private var beta2: UnsafeMutablePointer<Float> { gamma2 + dModel }
    /// The same offset in the gradient buffer as `p` in the parameter buffer.
    @inline(__always) private func g(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { grad + (p - theta) }

    private var gemm: PartitionedGEMM!
    private var rng = RNG(seed: 0, stream: .dropout)
    private var input: UnsafePointer<Float>?
    private var dropped = false
    // Forward activations, kept for backward.
    private var qkv, probs, keptProbs, attnMask, ctx, attnOut, mask1, sum1, xhat1, rstd1, y1: FloatBuffer!
    private var hidden, maskF, keptHidden, ffOut, mask2, sum2, xhat2, rstd2, output: FloatBuffer!
    // Backward scratch.
    private var dSum2, dHidden, dY1, dSum1, dTemp, dCtx, dQKV, dScores, gradInput: FloatBuffer!

    public init(name: String, dModel: Int, heads: Int, feedForward: Int, context: Int, dropout: Double, causal: Bool,
                initialCopy: TransformerEncoderLayer? = nil) {
        precondition(dModel % heads == 0, "d_model must be a multiple of the head count")
        precondition(dropout >= 0 && dropout < 1)
        self.name = name
        self.dModel = dModel
        self.heads = heads
        self.feedForward = feedForward
        self.context = context
        self.dropout = dropout
        self.causal = causal
        self.initialCopy = initialCopy
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        theta = parameters
        grad = gradients
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        self.gemm = gemm
        let n = maxBatch * context, d = dModel, f = feedForward, tt = maxBatch * heads * context * context
        qkv = FloatBuffer(count: n * 3 * d); probs = FloatBuffer(count: tt); keptProbs = FloatBuffer(count: tt)
        attnMask = FloatBuffer(count: tt); ctx = FloatBuffer(count: n * d); attnOut = FloatBuffer(count: n * d)
        mask1 = FloatBuffer(count: n * d); sum1 = FloatBuffer(count: n * d); xhat1 = FloatBuffer(count: n * d)
        rstd1 = FloatBuffer(count: n); y1 = FloatBuffer(count: n * d)
        hidden = FloatBuffer(count: n * f); maskF = FloatBuffer(count: n * f); keptHidden = FloatBuffer(count: n * f)
        ffOut = FloatBuffer(count: n * d); mask2 = FloatBuffer(count: n * d); sum2 = FloatBuffer(count: n * d)
        xhat2 = FloatBuffer(count: n * d); rstd2 = FloatBuffer(count: n); output = FloatBuffer(count: n * d)
        dSum2 = FloatBuffer(count: n * d); dHidden = FloatBuffer(count: n * f); dY1 = FloatBuffer(count: n * d)
        dSum1 = FloatBuffer(count: n * d); dTemp = FloatBuffer(count: n * d); dCtx = FloatBuffer(count: n * d)
        dQKV = FloatBuffer(count: n * 3 * d); dScores = FloatBuffer(count: WorkerPair.maximumThreads * context * context)
        gradInput = FloatBuffer(count: n * d)
    }

    /// PyTorch's defaults: W_in Xavier-uniform (bound √(6/(d + 3d))), b_in = 0; W_out ~ U(±1/√d), b_out = 0;
    /// W₁, b₁ ~ U(±1/√d); W₂, b₂ ~ U(±1/√f); γ = 1, β = 0. Another scheme replaces the four weight
    /// matrices' draws (biases stay as PyTorch's). A layer with `initialCopy` copies that layer instead.
    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        if let source = initialCopy {
            theta.update(from: source.theta, count: parameterCount)
            return
        }
        let d = dModel, f = feedForward
        if scheme == .pytorchDefault {
            Initialization.fillUniform(wIn, count: 3 * d * d, bound: (6 / Double(4 * d)).squareRoot(), rng: &rng)
        } else {
            scheme.fillWeights(wIn, count: 3 * d * d, fanIn: d, fanOut: 3 * d, rng: &rng)
        }
        bIn.update(repeating: 0, count: 3 * d)
        scheme.fillWeights(wOut, count: d * d, fanIn: d, fanOut: d, rng: &rng)
        bOut.update(repeating: 0, count: d)
        scheme.fillWeights(w1, count: f * d, fanIn: d, fanOut: f, rng: &rng)
        Initialization.fillBias(b1, count: f, fanIn: d, rng: &rng)
        scheme.fillWeights(w2, count: d * f, fanIn: f, fanOut: d, rng: &rng)
        Initialization.fillBias(b2, count: d, fanIn: f, rng: &rng)
        for p in [gamma1, gamma2] { p.update(repeating: 1, count: d) }
        for p in [beta1, beta2] { p.update(repeating: 0, count: d) }
    }

    public func reseed(_ rng: RNG) { self.rng = rng }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        input = x
        let d = dModel, f = feedForward, t = context, n = batch * t, tt = t * t
        dropped = training && dropout > 0
        if dropped {  // every mask of the pass, in one fixed order, from the step's generator
            Dropout.fill(attnMask.pointer, count: batch * heads * tt, p: dropout, rng: &rng)
            Dropout.fill(mask1.pointer, count: n * d, p: dropout, rng: &rng)
            Dropout.fill(maskF.pointer, count: n * f, p: dropout, rng: &rng)
            Dropout.fill(mask2.pointer, count: n * d, p: dropout, rng: &rng)
        }
        // [q k v] = x W_inᵀ + b_in
        gemm.sgemm(transB: true, m: n, n: 3 * d, k: d, a: x, lda: d, b: wIn, ldb: d, start: .columnBias(bIn), c: qkv.pointer, ldc: 3 * d)
        attentionForward(batch: batch)
        // a = c W_outᵀ + b_out;  y₁ = LN₁(x + drop(a))
        gemm.sgemm(transB: true, m: n, n: d, k: d, a: ctx.pointer, lda: d, b: wOut, ldb: d, start: .columnBias(bOut), c: attnOut.pointer, ldc: d)
        residual(x, attnOut.pointer, mask: dropped ? mask1.pointer : nil, into: sum1.pointer, count: n * d)
        rows(n, .layerNorm(x: sum1.pointer, gamma: gamma1, beta: beta1, xhat: xhat1.pointer, rstd: rstd1.pointer, y: y1.pointer))
        // h = relu(y₁ W₁ᵀ + b₁);  y = LN₂(y₁ + drop(drop(h) W₂ᵀ + b₂))
        gemm.sgemm(transB: true, m: n, n: f, k: d, a: y1.pointer, lda: d, b: w1, ldb: d, start: .columnBias(b1), c: hidden.pointer, ldc: f)
        let h = hidden.pointer, kh = keptHidden.pointer, mf: UnsafePointer<Float>? = dropped ? UnsafePointer(maskF.pointer) : nil
        rows(n, .relu(h: h, mask: mf, kept: kh))
        gemm.sgemm(transB: true, m: n, n: d, k: f, a: dropped ? kh : h, lda: f, b: w2, ldb: f, start: .columnBias(b2), c: ffOut.pointer, ldc: d)
        residual(y1.pointer, ffOut.pointer, mask: dropped ? mask2.pointer : nil, into: sum2.pointer, count: n * d)
        rows(n, .layerNorm(x: sum2.pointer, gamma: gamma2, beta: beta2, xhat: xhat2.pointer, rstd: rstd2.pointer, y: output.pointer))
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let x = input else { preconditionFailure("TransformerEncoderLayer.backward before forward") }
        let d = dModel, f = feedForward, n = batch * context
        // y = LN₂(s₂): ∂s₂, ∂γ₂, ∂β₂
        rows(n, .layerNormBackward(dy: dy, gamma: gamma2, xhat: xhat2.pointer, rstd: rstd2.pointer, dx: dSum2.pointer))
        LayerNorm.backwardParameters(dy, rows: n, d: d, normalized: xhat2.pointer, gradGamma: g(gamma2), gradBeta: g(beta2))
        // s₂ = y₁ + drop(o), o = drop(h) W₂ᵀ + b₂
        let dOut = masked(dSum2.pointer, mask: dropped ? mask2.pointer : nil, count: n * d)
        gemm.sgemm(transA: true, m: d, n: f, k: n, a: dOut, lda: d, b: dropped ? keptHidden.pointer : hidden.pointer, ldb: f,
                   beta: 0, c: g(w2), ldc: f)
        columnSums(dOut, rows: n, columns: d, into: g(b2))
        gemm.sgemm(m: n, n: f, k: d, a: dOut, lda: d, b: w2, ldb: f, beta: 0, c: dHidden.pointer, ldc: f)
        // h = relu(y₁ W₁ᵀ + b₁), through the inner dropout
        let dh = dHidden.pointer, h = hidden.pointer, mf: UnsafePointer<Float>? = dropped ? UnsafePointer(maskF.pointer) : nil
        rows(n, .reluBackward(dh: dh, h: h, mask: mf))
        gemm.sgemm(transA: true, m: f, n: d, k: n, a: dh, lda: f, b: y1.pointer, ldb: d, beta: 0, c: g(w1), ldc: d)
        columnSums(dh, rows: n, columns: f, into: g(b1))
        gemm.sgemm(m: n, n: d, k: f, a: dh, lda: f, b: w1, ldb: d, beta: 0, c: dY1.pointer, ldc: d)
        VectorMath.add(dSum2.pointer, into: dY1.pointer, count: n * d)  // the residual
        // y₁ = LN₁(s₁)
        rows(n, .layerNormBackward(dy: dY1.pointer, gamma: gamma1, xhat: xhat1.pointer, rstd: rstd1.pointer, dx: dSum1.pointer))
        LayerNorm.backwardParameters(dY1.pointer, rows: n, d: d, normalized: xhat1.pointer, gradGamma: g(gamma1), gradBeta: g(beta1))
        // s₁ = x + drop(a), a = c W_outᵀ + b_out
        let dA = masked(dSum1.pointer, mask: dropped ? mask1.pointer : nil, count: n * d)
        gemm.sgemm(transA: true, m: d, n: d, k: n, a: dA, lda: d, b: ctx.pointer, ldb: d, beta: 0, c: g(wOut), ldc: d)
        columnSums(dA, rows: n, columns: d, into: g(bOut))
        gemm.sgemm(m: n, n: d, k: d, a: dA, lda: d, b: wOut, ldb: d, beta: 0, c: dCtx.pointer, ldc: d)
        attentionBackward(batch: batch)
        // [q k v] = x W_inᵀ + b_in
        gemm.sgemm(transA: true, m: 3 * d, n: d, k: n, a: dQKV.pointer, lda: 3 * d, b: x, ldb: d, beta: 0, c: g(wIn), ldc: d)
        columnSums(dQKV.pointer, rows: n, columns: 3 * d, into: g(bIn))
        guard needInputGradient else { return nil }
        gemm.sgemm(m: n, n: d, k: 3 * d, a: dQKV.pointer, lda: 3 * d, b: wIn, ldb: d, beta: 0, c: gradInput.pointer, ldc: d)
        VectorMath.add(dSum1.pointer, into: gradInput.pointer, count: n * d)  // the residual
        return gradInput.pointer
    }

    /// Per (sample, head): A = softmax(q kᵀ/√d_h + M), kept A = A ⊙ mask, c = (kept A) v.
    private func attentionForward(batch: Int) {
        job = .attentionForward
        gemm.pair.forEach(batch * heads, job: self)
    }

    private func attentionForwardItem(_ item: Int) {
        let d = dModel, t = context, dh = dModel / heads, tt = t * t
        let scale = 1 / Float(Double(dh).squareRoot())
        let b = item / heads, h = item % heads
        let q = qkv.pointer + b * t * 3 * d + h * dh, k = q + d, v = q + 2 * d
        let a = probs.pointer + item * tt
        BLAS.sgemm(transB: true, m: t, n: t, k: dh, alpha: scale, a: q, lda: 3 * d, b: k, ldb: 3 * d, beta: 0, c: a, ldc: t)
        crit_softmax_rows(a, t, causal ? 1 : 0, 1)
        var used = a
        if dropped {
            crit_multiply(a, attnMask.pointer + item * tt, keptProbs.pointer + item * tt, tt)
            used = keptProbs.pointer + item * tt
        }
        BLAS.sgemm(m: t, n: dh, k: t, a: used, lda: t, b: v, ldb: 3 * d, beta: 0, c: ctx.pointer + b * t * d + h * dh, ldc: d)
    }

    /// Per (sample, head), from ∂c: ∂v = (kept A)ᵀ ∂c; ∂A = (∂c vᵀ) ⊙ mask;
    /// ∂S = A ⊙ (∂A − rowsum(∂A ⊙ A)) / √d_h; ∂q = ∂S k; ∂k = ∂Sᵀ q — into this item's slices of ∂[q k v].
    private func attentionBackward(batch: Int) {
        job = .attentionBackward
        gemm.pair.forEach(batch * heads, job: self)
    }

    private func attentionBackwardItem(_ item: Int, thread: Int) {
        let d = dModel, t = context, dh = dModel / heads, tt = t * t
        let scale = 1 / Float(Double(dh).squareRoot())
        let b = item / heads, h = item % heads
        let q = qkv.pointer + b * t * 3 * d + h * dh, k = q + d, v = q + 2 * d
        let dq = dQKV.pointer + b * t * 3 * d + h * dh, dk = dq + d, dv = dq + 2 * d
        let dc = dCtx.pointer + b * t * d + h * dh
        let a = probs.pointer + item * tt, used = dropped ? keptProbs.pointer + item * tt : a
        let ds = dScores.pointer + thread * tt
        BLAS.sgemm(transA: true, m: t, n: dh, k: t, a: used, lda: t, b: dc, ldb: d, beta: 0, c: dv, ldc: 3 * d)
        BLAS.sgemm(transB: true, m: t, n: t, k: dh, a: dc, lda: d, b: v, ldb: 3 * d, beta: 0, c: ds, ldc: t)
        if dropped { crit_multiply(ds, attnMask.pointer + item * tt, ds, tt) }
        crit_softmax_backward_rows(ds, a, t, scale)
        BLAS.sgemm(m: t, n: dh, k: t, a: ds, lda: t, b: k, ldb: 3 * d, beta: 0, c: dq, ldc: 3 * d)
        BLAS.sgemm(transA: true, m: t, n: dh, k: t, a: ds, lda: t, b: q, ldb: 3 * d, beta: 0, c: dk, ldc: 3 * d)
    }

    /// A row pass of the layer: every row's result is its own, so blocks of rows are items.
    private enum RowPass {
        /// s = x + a ⊙ mask (mask nil: x + a), rows of d.
        case residual(x: UnsafePointer<Float>, a: UnsafePointer<Float>, mask: UnsafePointer<Float>?, s: UnsafeMutablePointer<Float>)
        case layerNorm(x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                       xhat: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>)
        case layerNormBackward(dy: UnsafePointer<Float>, gamma: UnsafePointer<Float>, xhat: UnsafePointer<Float>,
                               rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>)
        /// h = relu(h), kept = h ⊙ mask; rows of f.
        case relu(h: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?, kept: UnsafeMutablePointer<Float>)
        case reluBackward(dh: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, mask: UnsafePointer<Float>?)
    }

    /// The job `runItem` runs (`PairJob`): set before each `forEach(_:job:)`.
    private enum Job {
        case attentionForward, attentionBackward
        case rows(RowPass, count: Int)
    }
    private var job = Job.attentionForward

    public func runItem(_ index: Int, thread: Int) {
        switch job {
        case .attentionForward: attentionForwardItem(index)
        case .attentionBackward: attentionBackwardItem(index, thread: thread)
        case .rows(let pass, let n):
            let size = TransformerEncoderLayer.rowBlock
            let r = (index * size)..<min((index + 1) * size, n)
            let d = dModel, f = feedForward, o = r.lowerBound * d, of = r.lowerBound * f
            switch pass {
            case .residual(let x, let a, let mask, let s): crit_residual(x + o, a + o, mask.map { $0 + o }, s + o, r.count * d)
            case .layerNorm(let x, let g, let b, let xhat, let rstd, let y):
                LayerNorm.forward(x, rows: r, d: d, gamma: g, beta: b, normalized: xhat, rstd: rstd, y: y)
            case .layerNormBackward(let dy, let g, let xhat, let rstd, let dx):
                LayerNorm.backwardInput(dy, rows: r, d: d, gamma: g, normalized: xhat, rstd: rstd, dx: dx)
            case .relu(let h, let mask, let kept): crit_relu_dropout_forward(h + of, mask.map { $0 + of }, kept + of, r.count * f)
            case .reluBackward(let dh, let h, let mask): crit_relu_dropout_backward(dh + of, h + of, mask.map { $0 + of }, r.count * f)
            }
        }
    }

    /// Runs `pass` over rows 0..<n in blocks of `rowBlock` on the pair.
    private func rows(_ n: Int, _ pass: RowPass) {
        job = .rows(pass, count: n)
        let b = TransformerEncoderLayer.rowBlock
        gemm.pair.forEach((n + b - 1) / b, job: self)
    }

    /// Rows per parallel block of the elementwise and layer-norm passes (a few µs of work each).
    static let rowBlock = 64

    /// s = x + a ⊙ mask (mask nil: x + a), rows of d values.
    @inline(__always)
    private func residual(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, mask: UnsafePointer<Float>?, into s: UnsafeMutablePointer<Float>, count: Int) {
        rows(count / dModel, .residual(x: x, a: a, mask: mask, s: s))
    }

    /// ∂L/∂(pre-dropout) = ∂L/∂(post-dropout) ⊙ mask, in `dTemp`; without a mask, `dy` itself.
    @inline(__always)
    private func masked(_ dy: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?, count: Int) -> UnsafeMutablePointer<Float> {
        guard let m = mask else { return dy }
        let out = dTemp.pointer
        crit_multiply(dy, m, out, count)
        return out
    }

    /// out[j] = Σ_rows x[r, j], in row order (a bias's gradient).
    @inline(__always)
    private func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        crit_column_sums(x, rows, columns, out)
    }
}
