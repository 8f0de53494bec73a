import CKernels
import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityStats
import Foundation

/// Progress shown to a person while training (the CLI decides how).
public struct TrainingProgress: Sendable {
    /// "train", or "replay A:B" while a window is replayed for the observers.
    public var phase: String = "train"
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var trainLoss: Double
    public var testAccuracy: Double?
    public var stepsPerSecond: Double
    /// Whether the worker thread was recently not running when needed (`crit_pair_contended`: other
    /// processes hold the cores). The elementwise pass then runs on one thread; two-thread GEMMs still
    /// wait for it, since BLAS's thread count is part of the run's numbers (resume and replay need it).
    public var coresContended = false

    public init(phase: String = "train", step: Int, totalSteps: Int, epoch: Int, trainLoss: Double,
                testAccuracy: Double?, stepsPerSecond: Double, coresContended: Bool = false) {
        self.phase = phase; self.step = step; self.totalSteps = totalSteps; self.epoch = epoch
        self.trainLoss = trainLoss; self.testAccuracy = testAccuracy; self.stepsPerSecond = stepsPerSecond
        self.coresContended = coresContended
    }
}

/// How a call to `Trainer.run` ended (a NaN/Inf is thrown as an error instead).
public enum TrainingOutcome: Equatable, Sendable {
    case completed
    /// Stopped on request (SIGINT) after writing a checkpoint at `step`.
    case interrupted(step: Int)
}

/// Trains a network on one flat parameter buffer, step by step (Methods: SGD on mini-batches):
///
///     batch  ← next seeded mini-batch
///     z      ← forward(θ_t, batch);   L, ∂L/∂z ← loss(z, labels)
///     ∂L/∂θ  ← backward(∂L/∂z)
///     Δθ_t   ← optimizer(∂L/∂θ)           (written into `update`)
///     check Δθ_t and L are finite; observers see (t, L, Δθ_t, θ_t)
///     θ_{t+1} ← θ_t + Δθ_t
///
/// The run directory is written as it goes: metrics, checkpoints every `checkpointEvery` steps, and
/// on completion the final parameters, observer outputs and the manifest.
public final class Trainer {
    public let config: RunConfig
    public let data: DatasetPair
    public let runPath: String
    public let observers: [TrainingObserver]
    public let network: Network
    public let loss: Loss
    public let optimizer: Optimizer
    /// Δθ of the current step, in the parameter layout.
    public let update: FloatBuffer
    public let totalSteps: Int
    public let batchSize: Int
    public private(set) var step = 0
    public private(set) var sampler: BatchSampler
    /// Windows some observer needs replayed after the first pass (snapshots are taken at their starts).
    public let replayWindows: [Range<Int>]

    /// Polled once per step; returning true writes a checkpoint and stops (SIGINT).
    public var shouldStop: () -> Bool = { false }
    /// Called about five times a second with the current progress.
    public var progress: ((TrainingProgress) -> Void)?
    public var progressInterval: Double = 0.2
    /// The command line recorded in the manifest.
    public var command: [String] = CommandLine.arguments

    /// All observers, when every one of them takes chunks (the fused path); nil otherwise.
    private let chunkedObservers: [ChunkedTrainingObserver]?
    private var activeChunked: [ChunkedTrainingObserver?]
    /// Observers active in the current step (the first `activeCount` of `activeChunked`).
    private var activeCount = 0
    /// Whether the current fused pass is a replay's (the active observers get `observeReplayChunk`).
    private var replayingChunks = false
    /// The fused pass's chunks, and each chunk's Σ Δθ² (summed in chunk order, so the total does not
    /// depend on which thread took which chunk).
    private let chunks: [StepChunk]
    private let chunkSquares: UnsafeMutablePointer<Double>
    /// The caller and one worker thread sharing the fused pass's chunks (the second core idles while
    /// the trainer is outside BLAS).
    private let pair: WorkerPair
    /// Models at least this large share the fused pass between the two threads even without observers
    /// (measured faster for `mlp-large`, docs/benchmarks.md); smaller ones keep it on one thread unless observers
    /// run, since moving θ and g between the cores' caches costs more than half of a few-µs pass.
    static let sharedPassMinimum = 1 << 20
    private let batchInput: FloatBuffer
    private var batchLabels: [Int32]
    private let evalBatch: Int
    private var metrics: MetricsLog!
    private var lastTestLoss: Double?
    private var lastTestAccuracy: Double?
    private var lastTrainLoss: Double?
    private var trainingSeconds = 0.0
    private var wallSecondsBefore = 0.0
    private let created: String
    /// The configuration as the manifest records it (steps and threads resolved) and its CRC-32, which
    /// every checkpoint carries so that `resume` refuses an edited manifest.
    private var resolvedConfig: RunConfig
    private var configCRC32: UInt32 = 0
    /// This process's hold on the run directory.
    private let lock: RunLock

    /// Builds everything for `config`. With `resume`, restores the newest checkpoint of `runPath`;
    /// otherwise `runPath` must be an empty or new folder (the CLI handles `--force`).
    /// `makeObservers` builds the observers once the parameter layout and step count are known.
    /// `metricsBufferRows` rows of metrics are buffered before they are appended to `metrics.csv`.
    /// `lock`: the run directory's lock if the caller already holds it (`RunDirectory.prepare`);
    /// otherwise the trainer takes it, and throws if another process holds it.
    public convenience init(config: RunConfig, data: DatasetPair, runPath: String,
                            makeObservers: (ParameterLayout, Int) throws -> [TrainingObserver],
                            resume: Bool = false, metricsBufferRows: Int = 1024, lock: RunLock? = nil) throws {
        try self.init(config: config, data: data, runPath: runPath, observers: [], makeObservers: makeObservers,
                      resume: resume, metricsBufferRows: metricsBufferRows, lock: lock)
    }

    public convenience init(config: RunConfig, data: DatasetPair, runPath: String, observers: [TrainingObserver] = [],
                            resume: Bool = false, metricsBufferRows: Int = 1024, lock: RunLock? = nil) throws {
        try self.init(config: config, data: data, runPath: runPath, observers: observers, makeObservers: { _, _ in [] },
                      resume: resume, metricsBufferRows: metricsBufferRows, lock: lock)
    }

    deinit {
        chunkSquares.deallocate()
    }

    private init(config: RunConfig, data: DatasetPair, runPath: String, observers given: [TrainingObserver],
                 makeObservers: (ParameterLayout, Int) throws -> [TrainingObserver],
                 resume: Bool, metricsBufferRows: Int, lock: RunLock?) throws {
        try config.validate(allowMoreThreadsThanCores: resume)
        try data.validate()
        if let t = config.threads { BLAS.threads = t }
        self.config = config
        self.data = data
        self.runPath = runPath
        batchSize = config.batchSize.resolved(datasetSize: data.train.count)
        totalSteps = try config.train.totalSteps(datasetSize: data.train.count)
        evalBatch = min(max(batchSize, 256), data.test.count)
        let maxBatch = max(batchSize, evalBatch)
        try Trainer.checkMemory(config: config.train, data: data, maxBatch: maxBatch)
        network = try config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount,
                                               maxBatch: maxBatch)
        loss = Loss(kind: config.loss, classCount: data.train.classCount, maxBatch: maxBatch)
        optimizer = Optimizer(settings: config.optimizer, parameterCount: network.layout.parameterCount)
        update = FloatBuffer(count: network.layout.parameterCount)
        observers = try given + makeObservers(network.layout, totalSteps)
        let chunked = observers.compactMap { $0 as? ChunkedTrainingObserver }
        chunkedObservers = chunked.count == observers.count ? chunked : nil
        activeChunked = [ChunkedTrainingObserver?](repeating: nil, count: chunked.count)
        replayWindows = Array(Set(observers.flatMap(\.replayWindows))).sorted { $0.lowerBound < $1.lowerBound }
        batchInput = FloatBuffer(count: maxBatch * data.train.featureCount)
        batchLabels = [Int32](repeating: 0, count: maxBatch)
        sampler = BatchSampler(datasetSize: data.train.count, batchSize: batchSize, seed: config.seed)
        created = ISO8601DateFormatter().string(from: Date())
        resolvedConfig = config
        resolvedConfig.steps = totalSteps
        // The thread count is part of the run's numbers: recorded, so that `resume` uses the same.
        resolvedConfig.threads = config.threads ?? BLAS.threads
        configCRC32 = crc32(of: try FileOutput.encodeJSON(resolvedConfig))
        chunks = StepChunks.table(network.layout)
        chunkSquares = .allocate(capacity: max(chunks.count, 1))
        chunkSquares.initialize(repeating: 0, count: max(chunks.count, 1))
        // Two threads share the fused pass only when BLAS's threads are the same shared worker (otherwise
        // OpenBLAS's idle thread and ours would fight over the second core; measured, see docs/benchmarks.md).
        // With more than two BLAS threads the pair would start extra threads per GEMM, so it is kept to the
        // two-thread configuration (this project's 2-core target).
        let shared = BLAS.threads == 2 && BLAS.shareWorker()
        pair = shared ? WorkerPair.shared : WorkerPair(withWorker: false)

        try FileManager.default.createDirectory(atPath: runPath, withIntermediateDirectories: true)
        self.lock = try lock ?? RunLock(run: runPath)
        FileOutput.removeStaleTemporaries(under: runPath)
        if resume {
            let dir = try Checkpoint.latest(run: runPath)
            let state = try Checkpoint.readState(dir)
            if let recorded = state.configCRC32, recorded != configCRC32 {
                throw CriticalityError(.corruptFile, "\(runPath)/manifest.json: its configuration is not the one the checkpoint was written with (CRC-32 \(String(format: "%08x", configCRC32)), checkpoint \(String(format: "%08x", recorded))); was manifest.json edited? Restore it, or start a new run with `criticality train`")
            }
            try Checkpoint.restore(from: dir, parameters: network.parameters, buffers: network.stateBuffers, optimizer: optimizer, observers: observers)
            optimizer.stepCount = state.optimizerStepCount
            step = state.step
            sampler = BatchSampler(datasetSize: data.train.count, batchSize: batchSize, seed: config.seed,
                                   epoch: state.samplerEpoch, position: state.samplerPosition)
            lastTestLoss = state.lastTestLoss
            lastTestAccuracy = state.lastTestAccuracy
            lastTrainLoss = state.lastTrainLoss
            trainingSeconds = state.trainingSeconds
            wallSecondsBefore = state.wallSeconds
            metrics = try MetricsLog(path: runPath + "/metrics.csv", truncateTo: state.metricsBytes, capacity: metricsBufferRows)
        } else {
            network.initialize(config.model.initialization, seed: config.seed)
            metrics = try MetricsLog(path: runPath + "/metrics.csv", truncateTo: nil, capacity: metricsBufferRows)
            try writeManifest(status: "running", reason: nil, wallSeconds: 0)
            try writeCheckpoint(wallSeconds: 0)
        }
    }

    /// Runs to `totalSteps` (or until `shouldStop`). Throws on a non-finite loss or update, or when a
    /// write fails (disk full, read-only), after marking the manifest incomplete with the reason (as far
    /// as the disk still takes it); everything written before stays and `resume` continues from the
    /// last checkpoint.
    @discardableResult
    public func run() throws -> TrainingOutcome {
        do {
            return try runSteps()
        } catch let e as CriticalityError where e.kind == .numerical {
            throw e  // the manifest already says why
        } catch {
            let message = (error as? CriticalityError)?.message ?? "\(error)"
            try? writeManifest(status: "incomplete",
                               reason: "stopped at step \(step) of \(totalSteps): \(message); once that is fixed, continue with `criticality resume \(runPath)`",
                               wallSeconds: wallSecondsBefore)
            throw error
        }
    }

    private func runSteps() throws -> TrainingOutcome {
        let wallStart = Date()
        var lastProgress = 0.0
        var stepsThisSession = 0
        var sessionTrainSeconds = 0.0
        func wall() -> Double { wallSecondsBefore + Date().timeIntervalSince(wallStart) }

        while step < totalSteps {
            if shouldStop() {
                try finishSession(wallSeconds: wall())
                try writeManifest(status: "incomplete",
                                  reason: "interrupted at step \(step) of \(totalSteps); continue with `criticality resume \(runPath)`",
                                  wallSeconds: wall())
                return .interrupted(step: step)
            }
            if let w = replayWindows.first(where: { $0.lowerBound == step }) { try writeReplaySnapshot(w) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let (epoch, trainLoss, batchAccuracy) = try trainStep()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            trainingSeconds += dt
            sessionTrainSeconds += dt
            stepsThisSession += 1
            try metrics.record(step: step - 1, epoch: epoch, trainLoss: trainLoss, trainBatchAccuracy: batchAccuracy)

            if step % config.evalEvery == 0 || step == totalSteps {
                let (l, a) = evaluateTest()
                lastTestLoss = l; lastTestAccuracy = a
                metrics.attachTest(loss: l, accuracy: a)
            }
            if step % config.checkpointEvery == 0 && step < totalSteps {
                try writeCheckpoint(wallSeconds: wall())
                try writeManifest(status: "running", reason: nil, wallSeconds: wall())
            }
            if let progress, wall() - lastProgress >= progressInterval || step == totalSteps {
                lastProgress = wall()
                progress(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch, trainLoss: trainLoss,
                                          testAccuracy: lastTestAccuracy,
                                          stepsPerSecond: Double(stepsThisSession) / max(sessionTrainSeconds, 1e-9),
                                          coresContended: pair.contended))
            }
        }
        try finishSession(wallSeconds: wall())
        if !replayWindows.isEmpty {
            let trainLoss = lastTrainLoss
            defer { lastTrainLoss = trainLoss }
            for w in replayWindows {
                try replay(w, wall: wall)
                if shouldStop() {
                    try writeManifest(status: "incomplete",
                                      reason: "interrupted while replaying window \(w.lowerBound):\(w.upperBound) for the observers; continue with `criticality resume \(runPath)`",
                                      wallSeconds: wall())
                    return .interrupted(step: step)
                }
            }
            // Back to the end of training.
            let final = try Checkpoint.latest(run: runPath)
            try Checkpoint.restore(from: final, parameters: network.parameters, buffers: network.stateBuffers, optimizer: optimizer, observers: [])
            step = try Checkpoint.readState(final).step
        }
        var files: [RunManifest.ObserverInfo] = []
        for o in observers {
            let dir = runPath + "/observers/" + o.name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let written = try o.finish(into: dir, finalParameters: UnsafePointer(network.parameters.pointer))
            files.append(RunManifest.ObserverInfo(name: o.name, memoryBytes: o.memoryBytes, files: written.map { "observers/\(o.name)/\($0)" }))
        }
        try FileOutput.writeNpy(UnsafeBufferPointer(network.parameters.buffer), to: runPath + "/parameters.npy")
        let buffers = network.stateBuffers.flatMap(\.array)
        if !buffers.isEmpty { try FileOutput.writeNpy(buffers, to: runPath + "/buffers.npy") }
        try writeManifest(status: "complete", reason: nil, wallSeconds: wall(), observerFiles: files)
        try? FileManager.default.removeItem(atPath: runPath + "/replay")
        return .completed
    }

    // MARK: - Replay

    private func replayFolder(_ w: Range<Int>) -> String { runPath + "/replay/" + StepWindows.folderName(w) }

    /// Saves what determines steps w.lowerBound… (θ, optimizer state, sampler position).
    private func writeReplaySnapshot(_ w: Range<Int>) throws {
        let state = CheckpointState(step: step, samplerEpoch: sampler.epoch, samplerPosition: sampler.position,
                                    optimizerStepCount: optimizer.stepCount, metricsBytes: 0, lastTestLoss: nil,
                                    lastTestAccuracy: nil, lastTrainLoss: nil, trainingSeconds: 0, wallSeconds: 0)
        try Checkpoint.write(run: runPath + "/replay", folder: StepWindows.folderName(w), state: state,
                             parameters: network.parameters, buffers: network.stateBuffers, optimizer: optimizer, observers: [])
    }

    /// Re-runs the steps of window `w` from its snapshot and shows each update to the observers that
    /// asked for it. Bit-identical to the first pass (same θ, optimizer state, batches and kernels).
    private func replay(_ w: Range<Int>, wall: () -> Double) throws {
        let dir = replayFolder(w)
        let state = try Checkpoint.readState(dir)
        try Checkpoint.restore(from: dir, parameters: network.parameters, buffers: network.stateBuffers, optimizer: optimizer, observers: [])
        optimizer.stepCount = state.optimizerStepCount
        sampler = BatchSampler(datasetSize: data.train.count, batchSize: batchSize, seed: config.seed,
                               epoch: state.samplerEpoch, position: state.samplerPosition)
        step = state.step
        let replaying = observers.filter { $0.replayWindows.contains(w) }
        for o in replaying { try o.beginReplay(of: w) }
        let t0 = wall()
        var last = t0
        while step < w.upperBound {
            let (epoch, l, _) = try trainStep(replayingFor: replaying)
            if let progress, wall() - last >= progressInterval || step == w.upperBound {
                last = wall()
                progress(TrainingProgress(phase: "replay \(w.lowerBound):\(w.upperBound)", step: step, totalSteps: w.upperBound,
                                          epoch: epoch, trainLoss: l, testAccuracy: lastTestAccuracy,
                                          stepsPerSecond: Double(step - w.lowerBound) / max(wall() - t0, 1e-9),
                                          coresContended: pair.contended))
            }
            if shouldStop() { return }
        }
        for o in replaying { try o.endReplay(of: w) }
    }

    /// One training step (the hot path; allocates nothing). Returns the batch's epoch, loss and accuracy.
    /// During a replay, the update goes to `replayingFor` through `observeReplay` instead.
    @inline(__always)
    public func trainStep(replayingFor: [TrainingObserver]? = nil) throws -> (epoch: Int, loss: Double, accuracy: Double) {
        let (epoch, indices) = sampler.nextBatch()
        let b = indices.count
        let d = data.train.featureCount
        let x = batchInput.pointer
        data.train.inputs.withUnsafeBufferPointer { src in
            var r = 0
            for i in indices {
                (x + r * d).update(from: src.baseAddress! + Int(i) * d, count: d)
                batchLabels[r] = data.train.labels[Int(i)]
                r += 1
            }
        }
        let logits = network.forward(x, batch: b, training: true)
        var correct = 0
        let l = batchLabels.withUnsafeBufferPointer {
            loss.evaluate(logits: logits, labels: $0.baseAddress!, batch: b, computeGradient: true, correct: &correct)
        }
        guard l.isFinite else { throw try nonFinite("the training loss is \(l)", epoch: epoch) }
        network.backward(loss.gradient.pointer, batch: b)
        let u = update.pointer, theta = network.parameters.pointer, g = network.gradients.pointer
        optimizer.beginStep()
        // Fused path when every observer takes chunks: per chunk, Δθ then observers then θ += Δθ, the
        // chunks shared between this thread and the pair's worker (`runChunks`) when observers run or
        // the model is large. A replay takes the same path with its observers' replay chunks.
        var fused = false
        if let replaying = replayingFor {
            fused = chunkedObservers != nil && activateReplayChunks(replaying)
        } else if let chunked = chunkedObservers {
            activeCount = 0
            for o in chunked where o.beginStep(step: step) { activeChunked[activeCount] = o; activeCount += 1 }
            fused = true
        }
        if fused {
            pair.run(items: chunks.count, share: activeCount > 0 || network.layout.parameterCount >= Trainer.sharedPassMinimum,
                     context: Unmanaged.passUnretained(self).toOpaque()) { context, thread in
                Unmanaged<Trainer>.fromOpaque(context!).takeUnretainedValue().runChunks(thread: Int(thread))
            }
            var sq = 0.0
            for i in 0..<chunks.count { sq += chunkSquares[i] }
            defer { for i in 0..<activeCount { activeChunked[i] = nil }; activeCount = 0; replayingChunks = false }
            if !sq.isFinite {  // Float32 partial sums overflow beyond ~1.8·10¹⁹; only a NaN or Inf is an error
                guard VectorMath.allFinite(u, count: update.count) else {
                    throw try nonFinite("the update Δθ contains a non-finite value", epoch: epoch)
                }
                sq = VectorMath.sumOfSquaresInDouble(u, count: update.count)
            }
            if !replayingChunks {
                let context = StepContext(step: step, epoch: epoch, loss: l, updateSquaredNorm: sq,
                                          update: u, parameters: nil, layout: network.layout)
                for i in 0..<activeCount { activeChunked[i]!.endStep(context) }
            }
        } else {
            var sq = 0.0
            StepChunks.forEach(network.layout) { _, offset, n in
                sq += optimizer.computeUpdate(gradients: g, update: u, range: offset..<(offset + n))
            }
            if !sq.isFinite {
                guard VectorMath.allFinite(u, count: update.count) else {
                    throw try nonFinite("the update Δθ contains a non-finite value", epoch: epoch)
                }
                sq = VectorMath.sumOfSquaresInDouble(u, count: update.count)
            }
            let context = StepContext(step: step, epoch: epoch, loss: l, updateSquaredNorm: sq,
                                      update: u, parameters: theta, layout: network.layout)
            if let replaying = replayingFor {
                for o in replaying { try o.observeReplay(context) }
            } else {
                for o in observers { o.observe(context) }
            }
            VectorMath.add(u, into: theta, count: update.count)
        }
        step += 1
        lastTrainLoss = l
        return (epoch, l, Double(correct) / Double(b))
    }

    /// Makes the replaying observers the active ones of a fused replay pass, if they all take chunks
    /// (else the replay shows them whole updates through `observeReplay`).
    private func activateReplayChunks(_ replaying: [TrainingObserver]) -> Bool {
        activeCount = 0
        for o in replaying {
            guard let c = o as? ChunkedTrainingObserver else {
                for i in 0..<activeCount { activeChunked[i] = nil }
                activeCount = 0
                return false
            }
            c.beginReplayStep(step: step)
            activeChunked[activeCount] = c; activeCount += 1
        }
        replayingChunks = true
        return true
    }

    /// The fused elementwise pass on one thread: claims chunks of the step until none is left; for each,
    /// Δθ from the optimizer, the active observers (their replay chunks during a replay), then θ += Δθ.
    /// Runs on the caller (thread 0) and the pair's worker (thread 1) at once; chunks are disjoint, and
    /// every shared value written here is per chunk, so the step's results do not depend on the split.
    private func runChunks(thread: Int) {
        let u = update.pointer, theta = network.parameters.pointer, g = network.gradients.pointer
        while true {
            guard let i = pair.claim() else { return }
            let c = chunks[i]
            chunkSquares[i] = optimizer.computeUpdate(gradients: g, update: u, range: c.offset..<(c.offset + c.count))
            if replayingChunks {
                for k in 0..<activeCount { activeChunked[k]!.observeReplayChunk(i, c, thread: thread, update: u) }
            } else {
                for k in 0..<activeCount { activeChunked[k]!.observeChunk(i, c, thread: thread, update: u, parameters: theta) }
            }
            VectorMath.add(u + c.offset, into: theta + c.offset, count: c.count)
        }
    }

    /// Mean loss and accuracy over the whole test set, in chunks of max(batch size, 256) samples.
    public func evaluateTest() -> (loss: Double, accuracy: Double) {
        evaluate(data.test)
    }

    public func evaluate(_ set: Dataset) -> (loss: Double, accuracy: Double) {
        var totalLoss = 0.0, totalCorrect = 0
        let d = set.featureCount
        var start = 0
        set.inputs.withUnsafeBufferPointer { xs in
            set.labels.withUnsafeBufferPointer { ys in
                while start < set.count {
                    let b = min(evalBatch, set.count - start)
                    let logits = network.forward(xs.baseAddress! + start * d, batch: b, training: false)
                    var correct = 0
                    let l = loss.evaluate(logits: logits, labels: ys.baseAddress! + start, batch: b,
                                          computeGradient: false, correct: &correct)
                    totalLoss += l * Double(b)
                    totalCorrect += correct
                    start += b
                }
            }
        }
        return (totalLoss / Double(set.count), Double(totalCorrect) / Double(set.count))
    }

    /// Refuses a model whose buffers would not fit in this machine's memory, before allocating them:
    /// θ, ∂L/∂θ, Δθ and the optimizer's state (4 bytes per parameter each) and the batch's activations
    /// and their gradients.
    static func checkMemory(config: TrainConfig, data: DatasetPair, maxBatch: Int) throws {
        let size = try config.model.size(sampleShape: data.train.sampleShape, classCount: data.train.classCount)
        let slots: Double = [OptimizerKind.sgd: 0, .adam: 2][config.optimizer.kind] ?? 1
        let bytes = 4 * Double(size.parameters) * (3 + slots) + 4 * 2 * Double(maxBatch) * Double(size.activationsPerSample)
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes < 0.8 * available else {
            throw CriticalityError(.invalidArgument, String(format: "model %@ has %.3g parameters and needs about %.1f GiB for θ, gradients, updates, optimizer state and activations; this machine has %.1f GiB. Use smaller --widths or --batch-size",
                                                            config.model.model, Double(size.parameters), bytes / 1_073_741_824, available / 1_073_741_824))
        }
    }

    // MARK: - Run directory

    private func nonFinite(_ what: String, epoch: Int) throws -> CriticalityError {
        let reason = "stopped at step \(step) (epoch \(epoch)): \(what); lower --lr or change the optimizer. Metrics up to the previous step and the last checkpoint are kept."
        _ = try? metrics.flush()
        try? writeManifest(status: "incomplete", reason: reason, wallSeconds: wallSecondsBefore)
        return CriticalityError(.numerical, reason)
    }

    private func finishSession(wallSeconds: Double) throws {
        try writeCheckpoint(wallSeconds: wallSeconds)
    }

    private func writeCheckpoint(wallSeconds: Double) throws {
        let bytes = try metrics.flush()
        let state = CheckpointState(step: step, samplerEpoch: sampler.epoch, samplerPosition: sampler.position,
                                    optimizerStepCount: optimizer.stepCount, metricsBytes: bytes,
                                    lastTestLoss: lastTestLoss, lastTestAccuracy: lastTestAccuracy,
                                    lastTrainLoss: lastTrainLoss, trainingSeconds: trainingSeconds,
                                    wallSeconds: wallSeconds, configCRC32: configCRC32)
        try Checkpoint.write(run: runPath, folder: Checkpoint.folder, state: state, parameters: network.parameters,
                             buffers: network.stateBuffers, optimizer: optimizer, observers: observers)
    }

    private func writeManifest(status: String, reason: String?, wallSeconds: Double,
                               observerFiles: [RunManifest.ObserverInfo]? = nil) throws {
        var outputs = ["manifest.json", "metrics.csv", "checkpoint/"]
        if status != "complete" && !replayWindows.isEmpty { outputs.append("replay/") }
        if status == "complete" { outputs.append("parameters.npy") }
        if status == "complete" && !network.stateBuffers.isEmpty { outputs.append("buffers.npy") }
        let obs = observerFiles ?? observers.map { RunManifest.ObserverInfo(name: $0.name, memoryBytes: $0.memoryBytes, files: []) }
        outputs += obs.flatMap(\.files)
        var final: RunManifest.Final?
        if status == "complete", let l = lastTestLoss, let a = lastTestAccuracy {
            final = RunManifest.Final(step: step, testAccuracy: a, testLoss: l, trainLoss: lastTrainLoss ?? .nan)
        }
        let manifest = RunManifest(
            status: status, incompleteReason: reason, config: resolvedConfig, seed: config.seed, totalSteps: totalSteps,
            stepsCompleted: step, parameterCount: network.layout.parameterCount, layout: network.layout.segments,
            dataset: .init(name: config.dataset, directory: config.dataDirectory, trainCount: data.train.count,
                           testCount: data.test.count, sampleShape: data.train.sampleShape),
            versions: .init(criticality: RunManifest.criticalityVersion, blas: BLAS.info,
                            os: ProcessInfo.processInfo.operatingSystemVersionString),
            command: command, created: created,
            timing: .init(trainingSeconds: trainingSeconds, wallSeconds: wallSeconds,
                          stepsPerSecond: trainingSeconds > 0 ? Double(step) / trainingSeconds : 0),
            final: final, observers: obs, outputs: outputs)
        try FileOutput.writeJSON(manifest, to: runPath + "/manifest.json")
    }
}
