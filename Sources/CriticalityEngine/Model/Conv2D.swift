import CKernels
import CriticalityCore
import CriticalityData
/// 2-D convolution (PyTorch's `nn.Conv2d`): input [C_in, H, W] per sample, weight [C_out, C_in, k, k],
/// bias [C_out], output [C_out, H_out, W_out] with H_out = (H + 2p − k)/s + 1.
///
/// Through im2col + GEMM over groups of samples: the batch is cut into groups of `samplesPerGroup`
/// samples (about `groupColumns` output positions), and each group, on whichever thread of the pair
/// claims it, builds its patch matrix col_g (K × n_g, K = C_in·k·k, n_g = samples·P, P = H_out·W_out)
/// in that thread's scratch — small enough to stay in the core's L2 cache, never written to memory —
/// and with the output channel-major (Y is C_out × B·P, `BatchLayout.channelMajor`). The bias rides in
/// the GEMMs as a last row of ones under col_g and a last column b of W' = [W | b] (C_out × (K+1)),
/// which saves a pass that filled Y with b and one that summed ∂Y for ∂b:
///     forward   Y_g = W' · [col_g; 1ᵀ] = W · col_g + b 1ᵀ                (C_out × (K+1))(K+1 × n_g)
///     backward  [∂W | ∂b] = Σ_g ∂Y_g · [col_g; 1ᵀ]ᵀ  (partials added in group order),
///               ∂col_g = Wᵀ · ∂Y_g → col2im → ∂X_g
/// col_g is rebuilt in backward from the input instead of kept (a copy, nine times smaller to read).
/// The input is batch-major (the network's first layer) or channel-major (after another convolution),
/// as `inputLayout` says; ∂X comes back in the same layout. The groups depend on the shapes and the
/// batch size only, so the result does not depend on which thread ran which group.
public final class Conv2D: Layer {
    public let name: String
    public let inChannels: Int, outChannels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outHeight: Int, outWidth: Int
    public let inputLayout: BatchLayout
    public var inputSize: Int { inChannels * height * width }
    public var outputSize: Int { outChannels * outHeight * outWidth }
    var patchSize: Int { inChannels * kernel * kernel }
    var positions: Int { outHeight * outWidth }
    /// Output positions a group aims at: K × 512 Float32 (590 KB for the CNN's conv2, K = 288) fits a
    /// core's L2 with room for the GEMM's packed panels.
    static let groupColumns = 512
    /// Samples per group: ⌈groupColumns / P⌉, at least 1.
    var samplesPerGroup: Int { max(1, (Conv2D.groupColumns + positions - 1) / positions) }
    public var parameterShapes: [(kind: String, shape: [Int])] {
        [("weight", [outChannels, inChannels, kernel, kernel]), ("bias", [outChannels])]
    }

    private var weight: UnsafeMutablePointer<Float>!, bias: UnsafeMutablePointer<Float>!
    private var gradWeight: UnsafeMutablePointer<Float>!, gradBias: UnsafeMutablePointer<Float>!
    private var output: FloatBuffer!, gradInput: FloatBuffer!
    /// Per thread: a group's patch matrix with its row of ones ((K+1) × samplesPerGroup·P), and the
    /// patch matrix's gradient (K × samplesPerGroup·P).
    private var columns: [FloatBuffer] = [], gradColumns: [FloatBuffer] = []
    /// W' = [W | b], C_out × (K+1), copied from the parameters at each forward.
    private var weightAndBias: FloatBuffer!
    /// [∂W | ∂b] of each group (C_out × (K+1) per group), added in group order.
    private var partialGradWeight: FloatBuffer!
    private var gemm: PartitionedGEMM!
    private var input: UnsafePointer<Float>?
    /// ∂L/∂Y of the running backward (read by the groups on either thread).
    private var backwardGradOutput: UnsafePointer<Float>?
    private var batch = 0
    private var needInputGradient = false

    public init(name: String, inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int = 3,
                stride: Int = 1, padding: Int = 1, inputLayout: BatchLayout = .batchMajor) {
        self.name = name
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        self.inputLayout = inputLayout
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let n = outChannels * patchSize
        weight = parameters; bias = parameters + n
        gradWeight = gradients; gradBias = gradients + n
    }

    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        let groupColumns = samplesPerGroup * positions
        columns = (0..<WorkerPair.maximumThreads).map { _ in FloatBuffer(count: (patchSize + 1) * groupColumns) }
        gradColumns = (0..<WorkerPair.maximumThreads).map { _ in FloatBuffer(count: patchSize * groupColumns) }
        weightAndBias = FloatBuffer(count: outChannels * (patchSize + 1))
        partialGradWeight = FloatBuffer(count: groups(maxBatch) * outChannels * (patchSize + 1))
        self.gemm = gemm
    }

    /// Conv weights follow the scheme with fan_in = C_in·k·k, fan_out = C_out·k·k; biases U(±1/√fan_in).
    public func initialize(_ scheme: Initialization, rng: inout RNG) {
        scheme.fillWeights(weight, count: outChannels * patchSize, fanIn: patchSize, fanOut: outChannels * kernel * kernel, rng: &rng)
        Initialization.fillBias(bias, count: outChannels, fanIn: patchSize, rng: &rng)
    }

    private func groups(_ batch: Int) -> Int { (batch + samplesPerGroup - 1) / samplesPerGroup }
    private func samples(ofGroup g: Int) -> Range<Int> { (g * samplesPerGroup)..<min((g + 1) * samplesPerGroup, batch) }

    /// Floats between sample b's plane c and sample b + 1's, and between channel c's and c + 1's, in
    /// `inputLayout` (plane index b·C_in + c batch-major, c·batch + b channel-major).
    private var planeStrides: (sample: Int, channel: Int) {
        let plane = height * width
        return inputLayout == .batchMajor ? (inChannels * plane, plane) : (plane, batch * plane)
    }

    /// The patch matrix of samples `s` into `col` ((K+1) × n, n = s.count·P):
    /// col[(c·k + i)·k + j][(b − s.lower)·P + oh·W_out + ow] = x_b[c][oh·s − p + i][ow·s − p + j] (0 outside),
    /// by `crit_im2col`, and row K all ones (the bias's row).
    private func im2col(_ x: UnsafePointer<Float>, samples s: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let strides = planeStrides
        crit_im2col(x + s.lowerBound * strides.sample, strides.sample, strides.channel, s.count, Int32(inChannels),
                    Int32(height), Int32(width), Int32(kernel), Int32(stride), Int32(padding), col)
        (col + patchSize * s.count * positions).update(repeating: 1, count: s.count * positions)
    }

    /// The adjoint of im2col for samples `s`: their ∂X planes from ∂col (K × n), each entry added back
    /// to the input position it came from (`crit_col2im`).
    private func col2im(_ col: UnsafePointer<Float>, samples s: Range<Int>) {
        let strides = planeStrides
        crit_col2im(col, strides.sample, strides.channel, s.count, Int32(inChannels), Int32(height), Int32(width),
                    Int32(kernel), Int32(stride), Int32(padding), gradInput.pointer + s.lowerBound * strides.sample)
    }

    /// Group g of the forward pass on `thread`: Y[:, group's columns] = W' · [col_g; 1ᵀ].
    private func forwardGroup(_ g: Int, thread: Int) {
        let s = samples(ofGroup: g), p = positions, bp = batch * p, n = s.count * p, k = patchSize + 1
        let col = columns[thread].pointer
        im2col(input!, samples: s, into: col)
        BLAS.sgemm(m: outChannels, n: n, k: k, a: weightAndBias.pointer, lda: k, b: col, ldb: n, beta: 0,
                   c: output.pointer + s.lowerBound * p, ldc: bp)
    }

    /// Group g of the backward pass on `thread`: its [∂W | ∂b] partial and, when asked, its samples' ∂X.
    private func backwardGroup(_ g: Int, thread: Int, gradOutput dy: UnsafePointer<Float>) {
        let s = samples(ofGroup: g), p = positions, bp = batch * p, n = s.count * p, k = patchSize
        let col = columns[thread].pointer
        im2col(input!, samples: s, into: col)
        let dyg = dy + s.lowerBound * p
        BLAS.sgemm(transB: true, m: outChannels, n: k + 1, k: n, a: dyg, lda: bp, b: col, ldb: n, beta: 0,
                   c: partialGradWeight.pointer + g * outChannels * (k + 1), ldc: k + 1)
        guard needInputGradient else { return }
        let dcol = gradColumns[thread].pointer
        // Wᵀ · ∂Y_g: the first K columns of W' (its leading dimension K + 1).
        BLAS.sgemm(transA: true, m: k, n: n, k: outChannels, a: weightAndBias.pointer, lda: k + 1, b: dyg, ldb: bp, beta: 0,
                   c: dcol, ldc: n)
        col2im(dcol, samples: s)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        self.batch = batch
        input = x
        let k = patchSize
        for o in 0..<outChannels {
            let row = weightAndBias.pointer + o * (k + 1)
            row.update(from: weight + o * k, count: k)
            row[k] = bias[o]
        }
        gemm.pair.run(items: groups(batch), share: true, context: Unmanaged.passUnretained(self).toOpaque()) { context, g, thread in
            Unmanaged<Conv2D>.fromOpaque(context!).takeUnretainedValue().forwardGroup(g, thread: Int(thread))
        }
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        precondition(batch == self.batch, "Conv2D.backward for another batch than the last forward")
        self.needInputGradient = needInputGradient
        backwardGradOutput = dy
        let count = groups(batch)
        gemm.pair.run(items: count, share: true, context: Unmanaged.passUnretained(self).toOpaque()) { context, g, thread in
            let layer = Unmanaged<Conv2D>.fromOpaque(context!).takeUnretainedValue()
            layer.backwardGroup(g, thread: Int(thread), gradOutput: layer.backwardGradOutput!)
        }
        // [∂W | ∂b] = Σ_g partial_g, in group order, then split into the parameters' layout.
        let size = outChannels * (patchSize + 1), partials = partialGradWeight.pointer
        for g in 1..<max(count, 1) { VectorMath.add(partials + g * size, into: partials, count: size) }
        for o in 0..<outChannels {
            let row = partials + o * (patchSize + 1)
            (gradWeight + o * patchSize).update(from: row, count: patchSize)
            gradBias[o] = row[patchSize]
        }
        return needInputGradient ? gradInput.pointer : nil
    }
}
