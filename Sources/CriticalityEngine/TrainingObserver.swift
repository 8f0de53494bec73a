import CriticalityCore
import CriticalityData
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
    /// The mini-batch's layer outputs and labels from the step's forward pass (first pass of training
    /// only; nil in a replay and for external updates).
    public var activations: StepActivations?

    public init(step: Int, epoch: Int, loss: Double, updateSquaredNorm: Double, update: UnsafePointer<Float>,
                parameters: UnsafePointer<Float>?, layout: ParameterLayout, activations: StepActivations? = nil) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.updateSquaredNorm = updateSquaredNorm
        self.update = update; self.parameters = parameters; self.layout = layout; self.activations = activations
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

/// An observer that takes each step's update in chunks while they are in cache, inside the trainer's
/// fused elementwise pass (`ElementwisePass`): Δθ ← optimizer(g), observers see (Δθ, θ_t), θ ← θ + Δθ
/// — one pass over L1-resident data instead of three over memory — with the chunks shared between up
/// to `StepChunks.maximumThreads` threads, so `observeChunk` may run on several threads at once, for
/// different chunks, in any order. Plain observers beside it do not change that. An observer keeps per-thread or
/// per-chunk working state and combines it in chunk order in `endStep`, so that its results do not depend
/// on which thread took which chunk. The chunking is the same everywhere (training, replay, external
/// updates): `StepChunks.table`.
public protocol ChunkedTrainingObserver: TrainingObserver {
    /// Whether the observer wants the chunks of step `step` (false: the step costs it nothing).
    func beginStep(step: Int) -> Bool
    /// Δθ_t and θ_t (nil when unknown) for chunk `index` of `StepChunks.table(layout)`, on `thread`
    /// (0..<StepChunks.maximumThreads).
    func observeChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>, parameters: UnsafePointer<Float>?)
    /// After every chunk of the step has been observed (on the caller's thread), with the step's loss,
    /// Σ Δθ² and the whole update Δθ_t.
    func endStep(_ context: StepContext)

    /// During the replay of a window (between `beginReplay` and `endReplay`; replaces `observeReplay`
    /// for a chunked observer): step `step` is about to be shown in chunks.
    func beginReplayStep(step: Int)
    /// Δθ_t of chunk `index` during a replay, on `thread` (0..<StepChunks.maximumThreads). Like `observeChunk`, it may run on
    /// two threads at once, for different chunks, in any order.
    func observeReplayChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>)
}

/// Parameters offset..<offset+count, all in segment `segment`.
public struct StepChunk: Equatable, Sendable {
    public let segment: Int
    public let offset: Int
    public let count: Int
}

/// The chunking of a step's elementwise work.
public enum StepChunks {
    /// Elements per chunk: 32 KiB of Float32, so Δθ, θ and g of a chunk stay in L1/L2.
    public static let size = 8192
    /// The most threads that share a step's chunks (the caller and one worker: this project's 2-core
    /// target and `WorkerPair`); chunked observers size their per-thread state by it.
    public static let maximumThreads = WorkerPair.maximumThreads

    /// Every chunk of `layout` in order: segments in order, each cut into pieces of `size` (the last
    /// shorter); chunks never straddle segments.
    public static func table(_ layout: ParameterLayout) -> [StepChunk] {
        var chunks: [StepChunk] = []
        forEach(layout) { chunks.append(StepChunk(segment: $0, offset: $1, count: $2)) }
        return chunks
    }

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
