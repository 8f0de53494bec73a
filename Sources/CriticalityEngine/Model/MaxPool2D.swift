import CriticalityCore
import CriticalityData
/// Max pooling over `size`×`size` windows with stride `size` (PyTorch's `nn.MaxPool2d(2)` for size 2).
/// Forward remembers which input won each window (the first maximum, as PyTorch); backward routes the
/// gradient there.
public final class MaxPool2D: Layer {
    public let name: String
    public let channels: Int, height: Int, width: Int, size: Int
    public var outHeight: Int { height / size }
    public var outWidth: Int { width / size }
    public var inputSize: Int { channels * height * width }
    public var outputSize: Int { channels * outHeight * outWidth }
    public var parameterShapes: [(kind: String, shape: [Int])] { [] }
    private var output: FloatBuffer!, gradInput: FloatBuffer!
    private var argmax: [Int32] = []

    public init(name: String, channels: Int, height: Int, width: Int, size: Int = 2) {
        self.name = name
        self.channels = channels; self.height = height; self.width = width; self.size = size
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(_ scheme: Initialization, rng: inout RNG) {}
    public func allocate(maxBatch: Int) {
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        argmax = [Int32](repeating: 0, count: maxBatch * outputSize)
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        let y = output.pointer
        argmax.withUnsafeMutableBufferPointer { am in
            for bc in 0..<(batch * channels) {
                let plane = x + bc * height * width
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        var best = -Float.infinity, at = 0
                        for i in 0..<size {
                            for j in 0..<size {
                                let idx = (oh * size + i) * width + ow * size + j
                                if plane[idx] > best || (i == 0 && j == 0) { best = plane[idx]; at = idx }
                            }
                        }
                        let o = bc * outHeight * outWidth + oh * outWidth + ow
                        y[o] = best
                        am[o] = Int32(at)
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let dx = gradInput.pointer
        dx.update(repeating: 0, count: batch * inputSize)
        let outPlane = outHeight * outWidth
        argmax.withUnsafeBufferPointer { am in
            for bc in 0..<(batch * channels) {
                for o in 0..<outPlane {
                    dx[bc * height * width + Int(am[bc * outPlane + o])] += dy[bc * outPlane + o]
                }
            }
        }
        return dx
    }
}
