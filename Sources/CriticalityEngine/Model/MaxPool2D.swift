import CKernels
import CriticalityCore
import CriticalityData
/// Max pooling over `size`×`size` windows with stride `size` (PyTorch's `nn.MaxPool2d(2)` for size 2).
/// Each window's output is its first maximum in scan order (row by row, strict >); backward routes the
/// gradient to that element. Works plane by plane (C·B planes of H×W), so either `BatchLayout` is the
/// same to it; planes run in blocks on the pair. The CNN's case (size 2, even H and W) runs in C
/// (`crit_maxpool2_forward`, one byte per window for the winner); other sizes keep the winner's index.
public final class MaxPool2D: Layer, PairJob {
    public let name: String
    public let channels: Int, height: Int, width: Int, size: Int
    public var outHeight: Int { height / size }
    public var outWidth: Int { width / size }
    public var inputSize: Int { channels * height * width }
    public var outputSize: Int { channels * outHeight * outWidth }
    public var parameterShapes: [(kind: String, shape: [Int])] { [] }
    private var output: FloatBuffer!, gradInput: FloatBuffer!
    /// The winner of each window: its position 0…3 (2×2 case) or its index in the plane (others).
    private var winnerCode: UnsafeMutablePointer<UInt8>?, winnerIndex: UnsafeMutablePointer<Int32>?
    private var pair = WorkerPair.callerOnly
    /// Planes per parallel block.
    static let planesPerBlock = 32
    private var isPairwise: Bool { size == 2 && height % 2 == 0 && width % 2 == 0 }

    public init(name: String, channels: Int, height: Int, width: Int, size: Int = 2) {
        self.name = name
        self.channels = channels; self.height = height; self.width = width; self.size = size
    }

    deinit { winnerCode?.deallocate(); winnerIndex?.deallocate() }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func initialize(_ scheme: Initialization, rng: inout RNG) {}
    public func allocate(maxBatch: Int, gemm: PartitionedGEMM) {
        output = FloatBuffer(count: maxBatch * outputSize)
        gradInput = FloatBuffer(count: maxBatch * inputSize)
        let n = max(maxBatch * outputSize, 1)
        winnerCode?.deallocate(); winnerIndex?.deallocate()
        winnerCode = nil; winnerIndex = nil
        if isPairwise {
            winnerCode = .allocate(capacity: n); winnerCode!.initialize(repeating: 0, count: n)
        } else {
            winnerIndex = .allocate(capacity: n); winnerIndex!.initialize(repeating: 0, count: n)
        }
        pair = gemm.pair
    }

    /// The pass `runItem` runs over blocks of `planesPerBlock` planes (`PairJob`: no allocation per job).
    private enum Job {
        case forward(x: UnsafePointer<Float>), backward(dy: UnsafePointer<Float>)
    }
    private var job = Job.forward(x: UnsafePointer(bitPattern: 1)!)
    private var jobPlanes = 0

    /// Runs `job` over 0..<planes planes in blocks, on the pair.
    @inline(__always)
    private func planeBlocks(_ planes: Int, _ job: Job) {
        self.job = job
        jobPlanes = planes
        let size = MaxPool2D.planesPerBlock
        pair.forEach((planes + size - 1) / size, job: self)
    }

    public func runItem(_ index: Int, thread: Int) {
        let size = MaxPool2D.planesPerBlock
        let planes = (index * size)..<min((index + 1) * size, jobPlanes)
        let (h, w, oh, ow, s) = (height, width, outHeight, outWidth, self.size)
        let first = planes.lowerBound
        switch job {
        case .forward(let x):
            let y = output.pointer
            if let code = winnerCode {
                crit_maxpool2_forward(x + first * h * w, y + first * oh * ow, code + first * oh * ow, planes.count, Int32(h), Int32(w))
                return
            }
            let am = winnerIndex!
            for bc in planes {
                let plane = x + bc * h * w
                for r in 0..<oh {
                    for c in 0..<ow {
                        var best = -Float.infinity, at = 0
                        for i in 0..<s {
                            for j in 0..<s {
                                let idx = (r * s + i) * w + c * s + j
                                if plane[idx] > best || (i == 0 && j == 0) { best = plane[idx]; at = idx }
                            }
                        }
                        y[bc * oh * ow + r * ow + c] = best
                        am[bc * oh * ow + r * ow + c] = Int32(at)
                    }
                }
            }
        case .backward(let dy):
            let dx = gradInput.pointer
            if let code = winnerCode {
                crit_maxpool2_backward(code + first * oh * ow, dy + first * oh * ow, dx + first * h * w, planes.count, Int32(h), Int32(w))
                return
            }
            let am = winnerIndex!
            (dx + first * h * w).update(repeating: 0, count: planes.count * h * w)
            for bc in planes {
                for o in 0..<(oh * ow) { dx[bc * h * w + Int(am[bc * oh * ow + o])] += dy[bc * oh * ow + o] }
            }
        }
    }

    public func forward(_ x: UnsafePointer<Float>, batch: Int, training: Bool) -> UnsafeMutablePointer<Float> {
        planeBlocks(batch * channels, .forward(x: x))
        return output.pointer
    }

    public func backward(_ dy: UnsafePointer<Float>, batch: Int, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        planeBlocks(batch * channels, .backward(dy: dy))
        return gradInput.pointer
    }
}
