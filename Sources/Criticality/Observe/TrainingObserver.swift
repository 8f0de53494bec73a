/// What a training step shows its observers. Pointers are valid only during `observe`.
///
/// The update buffer holds Δθ_t exactly as it will be applied (θ_{t+1} = θ_t + Δθ_t); `parameters`
/// holds θ_t (before the update).
public struct StepContext {
    /// Index t of this update, from 0.
    public var step: Int
    public var epoch: Int
    /// Mini-batch loss at θ_t.
    public var loss: Double
    /// Σ_k Δθ_k², computed once by the trainer.
    public var updateSquaredNorm: Double
    public var update: UnsafePointer<Float>
    /// θ_t, or nil when the source has only updates (external update dumps).
    public var parameters: UnsafePointer<Float>?
    public var layout: ParameterLayout

    public init(step: Int, epoch: Int, loss: Double, updateSquaredNorm: Double, update: UnsafePointer<Float>,
                parameters: UnsafePointer<Float>?, layout: ParameterLayout) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.updateSquaredNorm = updateSquaredNorm
        self.update = update; self.parameters = parameters; self.layout = layout
    }
}

/// A streaming measurement of training. Each observer owns state of bounded size, independent of the
/// number of steps; the trainer knows none of them by name (ARCHITECTURE.md, "Observers").
public protocol TrainingObserver: AnyObject {
    /// Folder name under `observers/` in the run directory.
    var name: String { get }
    /// Bytes of state the observer holds (reported in the manifest; must not grow with steps).
    var memoryBytes: Int { get }
    /// Called once per step, after the update is computed and before it is applied.
    func observe(_ context: StepContext)
    /// Writes its state into `directory` (a checkpoint's folder for this observer).
    func saveState(to directory: String) throws
    /// Restores the state written by `saveState`.
    func restoreState(from directory: String) throws
    /// Writes its outputs into `directory` when training ends; returns the file names written.
    func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String]

    /// Step windows whose updates the observer must see a second time, after the first pass over all
    /// steps has ended (a deterministic replay of the same seeded run). Empty: no replay.
    var replayWindows: [Range<Int>] { get }
    /// Called before the steps of `window` are shown again.
    func beginReplay(of window: Range<Int>) throws
    /// Called for each step of a replayed window, with exactly the update of the first pass.
    func observeReplay(_ context: StepContext) throws
    /// Called after the last step of a replayed window.
    func endReplay(of window: Range<Int>) throws
}

extension TrainingObserver {
    public var replayWindows: [Range<Int>] { [] }
    public func beginReplay(of window: Range<Int>) throws {}
    public func observeReplay(_ context: StepContext) throws {}
    public func endReplay(of window: Range<Int>) throws {}
}

/// An observer that takes each step's update in chunks while they are in cache. When every observer
/// is chunked, the trainer fuses the elementwise work of a step chunk by chunk:
/// Δθ ← optimizer(g), observers see (Δθ, θ_t), θ ← θ + Δθ — one pass over L1-resident data instead of
/// three over memory. Chunks never straddle segments, come in order within a segment, and are at most
/// `StepChunks.size` long; the same chunking is used everywhere (training, replay, external updates),
/// so results do not depend on the path.
public protocol ChunkedTrainingObserver: TrainingObserver {
    /// Whether the observer wants the chunks of step `step` (false: the step costs it nothing).
    func beginStep(step: Int) -> Bool
    /// Δθ_t and θ_t (nil when unknown) for parameters offset..<offset+count of segment `segment`.
    func observeChunk(segment: Int, offset: Int, count: Int, update: UnsafePointer<Float>, parameters: UnsafePointer<Float>?)
    /// After the last chunk of the step, with the step's loss and Σ Δθ².
    func endStep(_ context: StepContext)
}

/// The chunking of a step's elementwise work.
public enum StepChunks {
    /// Elements per chunk: 32 KiB of Float32, so Δθ, θ and g of a chunk stay in L1/L2.
    public static let size = 8192

    /// Calls `body(segment, offset, count)` for every chunk of `layout`, in order.
    @inline(__always)
    public static func forEach(_ layout: ParameterLayout, _ body: (Int, Int, Int) throws -> Void) rethrows {
        for (s, seg) in layout.segments.enumerated() {
            var start = seg.offset
            let end = seg.offset + seg.count
            while start < end {
                let n = min(size, end - start)
                try body(s, start, n)
                start += n
            }
        }
    }
}

extension ChunkedTrainingObserver {
    /// Shows a whole step through the chunked interface (the path for replays and external updates).
    public func observeInChunks(_ c: StepContext) {
        guard beginStep(step: c.step) else { return }
        StepChunks.forEach(c.layout) { s, offset, n in
            observeChunk(segment: s, offset: offset, count: n, update: c.update, parameters: c.parameters)
        }
        endStep(c)
    }
}
