import CriticalityCore
import CriticalityData
/// The CNN's flatten: a channel-major batch [C, B, P] (`BatchLayout.channelMajor`, P = H·W) to the
/// batch-major rows [B, C·P] the fully connected layers take — sample b's row is its C planes in
/// order, PyTorch's `x.view(B, -1)` of an NCHW tensor. No parameters; backward is the inverse copy.
public final class ChannelsToBatch: Layer {
    public let name: String
    public let channels: Int, positions: Int
    public var inputSize: Int { channels * positions }
    public var outputSize: Int { inputSize }
    public var parameterShapes: [(kind: String, shape: [Int])] { [] }
    private var output: FloatBuffer!, gradInput: FloatBuffer!

    public init(name: String, channels: Int, positions: Int) {
        self.name = name
        self.channels = channels
        self.positions = positions
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(_ scheme: Initialization, rng: inout RNG) {}
    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * inputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let y = output.pointer, p = positions
        for b in 0..<batch {
            for c in 0..<channels { (y + (b * channels + c) * p).update(from: x + (c * batch + b) * p, count: p) }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let dx = gradInput.pointer, p = positions
        for b in 0..<batch {
            for c in 0..<channels { (dx + (c * batch + b) * p).update(from: dy + (b * channels + c) * p, count: p) }
        }
        return dx
    }
}
