import CriticalityCore
import Foundation

/// A trained `Network` in Float64 and evaluation mode: the model whose loss the perturbation scan
/// (Fig. 4, "Multiscale Ruggedness") evaluates exactly.
///
/// θ is the Float32 parameter buffer widened to Double, in the same `ParameterLayout`, so parameter k
/// here is parameter k of the run (`theta[k]`). Batch-norm layers use their running statistics (as
/// `model.eval()`), and every batch is batch-major, [rows, C·H·W] in PyTorch's order (the channel-major
/// trick of training is a speed detail the result does not depend on; `ChannelsToBatch` disappears).
///
/// Each stage computes y = f(x) on `rows` rows with its own code (no Float32 anywhere); the stages are
/// the same for a full forward pass (`forward`) and for the tail of a perturbed pass that starts at a
/// later stage (`forward(from:)`), so a scan and its naive reference share every operation after the
/// perturbed unit.
public final class EvaluationNetwork {
    /// One layer of the evaluation network; offsets are into `theta`.
    public enum Stage: Sendable {
        /// y = x Wᵀ + b, W [outputs, inputs] at `weight`, b at `bias`.
        case linear(inputs: Int, outputs: Int, weight: Int, bias: Int)
        /// Elementwise ReLU or sigmoid.
        case activation(ActivationKind, size: Int)
        /// Cross-correlation as `nn.Conv2d`: W [out, in, k, k] at `weight`, bias [out] at `bias`.
        case conv2D(Conv2DShape, weight: Int, bias: Int)
        /// Evaluation-mode batch norm, y = (x − μ_c)·γ_c/√(σ²_c + ε) + β_c per channel c (γ at `weight`,
        /// β at `bias`, μ and σ² the running statistics), then max(0, y) when `relu`.
        case batchNorm(channels: Int, positions: Int, weight: Int, bias: Int, mean: [Double], variance: [Double],
                       epsilon: Double, relu: Bool)
        /// `size`×`size` max pooling with stride `size`.
        case maxPool(channels: Int, height: Int, width: Int, size: Int)
    }

    /// The geometry of a convolution.
    public struct Conv2DShape: Sendable, Equatable {
        public var inChannels: Int, outChannels: Int, height: Int, width: Int
        public var kernel: Int, stride: Int, padding: Int
        public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
        /// Rows of the im2col matrix (C_in·k²) and its columns (output positions).
        public var patchSize: Int { inChannels * kernel * kernel }
        public var positions: Int { outHeight * outWidth }
    }

    public let stages: [Stage]
    /// The layer each stage came from (a fused batch norm and its ReLU are one stage).
    public let stageNames: [String]
    /// The layout of θ (the run's).
    public let layout: ParameterLayout
    /// θ in Double, `layout` order. A scan changes one entry at a time and puts it back exactly.
    public let theta: UnsafeMutableBufferPointer<Double>
    public let inputSize: Int
    public let classCount: Int

    /// The evaluation network of `network` with its current parameters and buffers (load a checkpoint
    /// into `network` first).
    public init(_ network: Network) throws {
        var stages: [Stage] = [], names: [String] = []
        var offset = 0
        for layer in network.layers {
            let count = layer.parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
            defer { offset += count }
            switch layer {
            case let l as Linear:
                stages.append(.linear(inputs: l.inputSize, outputs: l.outputSize, weight: offset, bias: offset + l.inputSize * l.outputSize))
            case let a as Activation:
                if a.kind != .linear { stages.append(.activation(a.kind, size: a.inputSize)) } else { continue }
            case let c as Conv2D:
                let shape = Conv2DShape(inChannels: c.inChannels, outChannels: c.outChannels, height: c.height, width: c.width,
                                        kernel: c.kernel, stride: c.stride, padding: c.padding)
                stages.append(.conv2D(shape, weight: offset, bias: offset + c.outChannels * shape.patchSize))
            case let b as BatchNorm2D:
                stages.append(.batchNorm(channels: b.channels, positions: b.positions, weight: offset, bias: offset + b.channels,
                                         mean: b.runningMean.array.map(Double.init), variance: b.runningVar.array.map(Double.init),
                                         epsilon: Double(b.epsilon), relu: b.fusedReLU))
            case let p as MaxPool2D:
                stages.append(.maxPool(channels: p.channels, height: p.height, width: p.width, size: p.size))
            case is ChannelsToBatch:
                continue  // batch-major throughout: the flatten is the identity here
            default:
                throw CriticalityError(.invalidArgument, "layer \(layer.name): the perturbation scan has no double-precision form of this layer")
            }
            names.append(layer.name)
        }
        self.stages = stages
        stageNames = names
        layout = network.layout
        inputSize = network.inputSize
        classCount = network.outputSize
        theta = .allocate(capacity: max(network.parameters.count, 1))
        for i in 0..<network.parameters.count { theta[i] = Double(network.parameters[i]) }
    }

    deinit { theta.deallocate() }

    /// Per-sample width of stage s's output.
    public func outputSize(_ s: Int) -> Int {
        switch stages[s] {
        case .linear(_, let outputs, _, _): outputs
        case .activation(_, let size): size
        case .conv2D(let shape, _, _): shape.outChannels * shape.positions
        case .batchNorm(let channels, let positions, _, _, _, _, _, _): channels * positions
        case .maxPool(let channels, let height, let width, let size): channels * (height / size) * (width / size)
        }
    }

    /// Per-sample width of stage s's input.
    public func inputSize(_ s: Int) -> Int { s == 0 ? inputSize : outputSize(s - 1) }

    /// Doubles of scratch one thread needs to run any stage (the im2col matrix of one sample).
    public var scratchSize: Int {
        stages.reduce(1) { m, s in
            if case .conv2D(let shape, _, _) = s { return max(m, shape.patchSize * shape.positions) }
            return m
        }
    }

    /// The stage whose parameters include θ_k, and whether k is in its weight or its bias.
    public func stage(ofParameter k: Int) -> Int? {
        for (s, stage) in stages.enumerated() {
            switch stage {
            case .linear(_, _, let w, _), .conv2D(_, let w, _), .batchNorm(_, _, let w, _, _, _, _, _):
                if k >= w && k < w + parameterCount(s) { return s }
            default: break
            }
        }
        return nil
    }

    /// Number of parameters of stage s.
    public func parameterCount(_ s: Int) -> Int {
        switch stages[s] {
        case .linear(let i, let o, _, _): o * i + o
        case .conv2D(let shape, _, _): shape.outChannels * shape.patchSize + shape.outChannels
        case .batchNorm(let c, _, _, _, _, _, _, _): 2 * c
        default: 0
        }
    }

    /// y = stage s (x) for `rows` rows (`scratch`: `scratchSize` doubles), with the parameters in
    /// `theta` (`self.theta`, or a thread's copy with one entry changed).
    public func forward(stage s: Int, _ x: UnsafePointer<Double>, rows: Int, _ y: UnsafeMutablePointer<Double>,
                        scratch: UnsafeMutablePointer<Double>, theta: UnsafePointer<Double>) {
        switch stages[s] {
        case .linear(let inputs, let outputs, let w, let b):
            for r in 0..<rows { (y + r * outputs).update(from: theta + b, count: outputs) }
            BLAS.dgemm(transB: true, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: theta + w, ldb: inputs,
                       beta: 1, c: y, ldc: outputs)
        case .activation(let kind, let size):
            let n = rows * size
            switch kind {
            case .relu: for i in 0..<n { y[i] = max(x[i], 0) }
            case .sigmoid: for i in 0..<n { y[i] = 1 / (1 + exp(-x[i])) }
            case .linear: y.update(from: x, count: n)
            }
        case .conv2D(let shape, let w, let b):
            let inSize = shape.inChannels * shape.height * shape.width, positions = shape.positions
            let outSize = shape.outChannels * positions
            for r in 0..<rows {
                EvaluationNetwork.im2col(x + r * inSize, shape, scratch)
                let out = y + r * outSize
                for c in 0..<shape.outChannels { (out + c * positions).update(repeating: theta[b + c], count: positions) }
                BLAS.dgemm(m: shape.outChannels, n: positions, k: shape.patchSize, a: theta + w, lda: shape.patchSize,
                           b: scratch, ldb: positions, beta: 1, c: out, ldc: positions)
            }
        case .batchNorm(let channels, let positions, let w, let b, let mean, let variance, let epsilon, let relu):
            for c in 0..<channels {
                let scale = theta[w + c] / (variance[c] + epsilon).squareRoot(), shift = theta[b + c], mu = mean[c]
                for r in 0..<rows {
                    let o = (r * channels + c) * positions
                    for i in o..<(o + positions) {
                        let v = (x[i] - mu) * scale + shift
                        y[i] = relu ? max(v, 0) : v
                    }
                }
            }
        case .maxPool(let channels, let height, let width, let size):
            let oh = height / size, ow = width / size
            for plane in 0..<(rows * channels) {
                let src = x + plane * height * width, dst = y + plane * oh * ow
                for i in 0..<oh {
                    for j in 0..<ow {
                        var m = -Double.infinity
                        for di in 0..<size { for dj in 0..<size { m = max(m, src[(i * size + di) * width + j * size + dj]) } }
                        dst[i * ow + j] = m
                    }
                }
            }
        }
    }

    /// The im2col matrix of one sample: row (c, ki, kj), column (oi, oj) holds
    /// x[c, oi·stride + ki − pad, oj·stride + kj − pad] (0 outside the image).
    static func im2col(_ x: UnsafePointer<Double>, _ s: Conv2DShape, _ col: UnsafeMutablePointer<Double>) {
        let oh = s.outHeight, ow = s.outWidth
        var row = 0
        for c in 0..<s.inChannels {
            for ki in 0..<s.kernel {
                for kj in 0..<s.kernel {
                    let dst = col + row * oh * ow
                    for oi in 0..<oh {
                        let ii = oi * s.stride + ki - s.padding
                        for oj in 0..<ow {
                            let jj = oj * s.stride + kj - s.padding
                            dst[oi * ow + oj] = (ii >= 0 && ii < s.height && jj >= 0 && jj < s.width) ? x[(c * s.height + ii) * s.width + jj] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
