import CriticalityCore

/// The elementwise part of a training step, chunk by chunk (`StepChunks.table`), while each chunk of
/// Δθ, θ and ∂L/∂θ is in cache:
///
///     for each chunk c:   Δθ_c ← optimizer(g_c)        (and its Σ Δθ_c² in double)
///                         chunked observers see Δθ_c, θ_c
///                         θ_c  ← θ_c + Δθ_c          (unless the caller defers it)
///
/// one pass over L1-resident data instead of three over memory. The chunks are claimed by the
/// caller and, with `threads` = 2, the pair's worker (`WorkerPair`), so observers' `observeChunk` may
/// run on two threads at once; every value written here is per chunk and Σ Δθ² is summed in chunk
/// order afterwards, so nothing depends on which thread took which chunk. Only the observers made
/// active for this step take part: a plain observer beside them costs the caller only its own
/// `observe` (the trainer defers θ += Δθ until it has seen θ_t) and never moves the others off the pass.
public final class ElementwisePass {
    /// The most threads the pass runs on (the caller and one worker); chunked observers keep per-thread
    /// working state for `thread` in 0..<maximumThreads.
    public static let maximumThreads = StepChunks.maximumThreads
    /// Models at least this large share the pass between two threads even without observers (measured
    /// faster for `mlp-large`, docs/benchmarks.md); smaller ones keep it on one thread unless observers
    /// run, since moving θ and g between the cores' caches costs more than half of a few-µs pass.
    public static let sharedPassMinimum = 1 << 20

    public let chunks: [StepChunk]
    /// Threads the pass runs on: 1, or 2 when its pair has a worker.
    public var threads: Int { pair.threads }
    private let pair: WorkerPair
    private let optimizer: Optimizer
    private let update: UnsafeMutablePointer<Float>
    private let parameters: UnsafeMutablePointer<Float>
    private let gradients: UnsafePointer<Float>
    private let parameterCount: Int
    private let chunkSquares: UnsafeMutablePointer<Double>
    /// The observers taking part in the current pass (the first `activeCount`; no allocation per step).
    private var active: [ChunkedTrainingObserver?]
    private var activeCount = 0
    private var replaying = false
    private var applies = true

    /// A pass over `layout`'s chunks of the given buffers. `pair` decides the threads (a pair without a
    /// worker: one thread); `observerCapacity` bounds how many observers may be active at once.
    public init(layout: ParameterLayout, optimizer: Optimizer, update: FloatBuffer, parameters: FloatBuffer,
                gradients: FloatBuffer, pair: WorkerPair, observerCapacity: Int) {
        precondition(pair.threads <= ElementwisePass.maximumThreads)
        chunks = StepChunks.table(layout)
        self.pair = pair
        self.optimizer = optimizer
        self.update = update.pointer
        self.parameters = parameters.pointer
        self.gradients = UnsafePointer(gradients.pointer)
        parameterCount = layout.parameterCount
        chunkSquares = .allocate(capacity: max(chunks.count, 1))
        chunkSquares.initialize(repeating: 0, count: max(chunks.count, 1))
        active = [ChunkedTrainingObserver?](repeating: nil, count: observerCapacity)
    }

    deinit { chunkSquares.deallocate() }

    /// Makes room for `count` observers active at once (outside the steps: it allocates).
    public func reserve(observers count: Int) {
        if count > active.count { active = [ChunkedTrainingObserver?](repeating: nil, count: count) }
    }

    /// Whether the worker recently was not running when needed (other processes hold the cores).
    public var contended: Bool { pair.contended }

    /// Makes `observer` take part in the next `run` (call after its `beginStep` or `beginReplayStep`).
    @inline(__always)
    public func activate(_ observer: ChunkedTrainingObserver) {
        active[activeCount] = observer
        activeCount += 1
    }

    /// Runs the pass with the observers activated since the last run (replay chunks if `replay`) and
    /// returns Σ Δθ² over the step, in double, summed in chunk order (not finite if a chunk's Float32
    /// partial sums overflowed or Δθ holds a NaN or Inf). `apply` false leaves θ as it was (θ_t), for
    /// observers that must see it after the pass; the caller then adds Δθ.
    @inline(__always)
    public func run(replay: Bool, apply: Bool) -> Double {
        replaying = replay
        applies = apply
        pair.run(items: chunks.count, share: activeCount > 0 || parameterCount >= ElementwisePass.sharedPassMinimum,
                 context: Unmanaged.passUnretained(self).toOpaque()) { context, chunk, thread in
            Unmanaged<ElementwisePass>.fromOpaque(context!).takeUnretainedValue().runChunk(chunk, thread: Int(thread))
        }
        for i in 0..<activeCount { active[i] = nil }
        activeCount = 0
        var sq = 0.0
        for i in 0..<chunks.count { sq += chunkSquares[i] }
        return sq
    }

    /// Chunk `i` on `thread` (chunks are disjoint; the pair gives each to one thread).
    @inline(__always)
    private func runChunk(_ i: Int, thread: Int) {
        let u = update, theta = parameters, g = gradients
        let c = chunks[i]
        chunkSquares[i] = optimizer.computeUpdate(gradients: g, update: u, range: c.offset..<(c.offset + c.count))
        if replaying {
            for k in 0..<activeCount { active[k]!.observeReplayChunk(i, c, thread: thread, update: u) }
        } else {
            for k in 0..<activeCount { active[k]!.observeChunk(i, c, thread: thread, update: u, parameters: theta) }
        }
        if applies { VectorMath.add(u + c.offset, into: theta + c.offset, count: c.count) }
    }
}
