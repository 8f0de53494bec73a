import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
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
    /// processes hold the cores). The step's jobs then run on the caller alone for a while; the numbers
    /// are the same either way.
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

/// Trains a network and writes its run directory: the step loop a reader can follow top to bottom.
///
///     for t in step..<totalSteps:
///         window A..<B starts at t?  snapshot for the observers' replay   (`writeReplaySnapshot`)
///         one step (batch, forward, backward, Δθ, observers, θ += Δθ)      (`TrainingStep.run`)
///         metrics row; test set every `evalEvery`; checkpoint every `checkpointEvery`
///     replay each window some observer asked for, from its snapshot       (Trainer+Replay.swift)
///     observers' outputs, θ, manifest "complete"                          (`RunWriter`)
///
/// Interrupted (`shouldStop`, SIGINT) it checkpoints and returns; a failure marks the manifest
/// incomplete with the reason; `resume` restores the newest checkpoint and continues bit-identically.
public final class Trainer {
    public let config: RunConfig
    public let data: DatasetPair
    public let runPath: String
    public let observers: [TrainingObserver]
    /// The step: model, loss, optimizer, buffers and the fused elementwise pass.
    public let engine: TrainingStep
    public var network: Network { engine.network }
    public let totalSteps: Int
    public var batchSize: Int { engine.batchSize }
    /// Index of the next update (the number applied so far).
    public private(set) var step = 0
    /// Kept checkpoints (`TrainConfig.keepCheckpoints`) by the step after which each is written.
    public let keptCheckpoints: [Int: CheckpointMark]
    /// Windows some observer needs replayed after the first pass (snapshots are taken at their starts).
    public let replayWindows: [Range<Int>]

    /// Polled once per step; returning true writes a checkpoint and stops (SIGINT).
    public var shouldStop: () -> Bool = { false }
    /// Called about five times a second with the current progress.
    public var progress: ((TrainingProgress) -> Void)?
    public var progressInterval: Double = 0.2
    /// The command line recorded in the manifest (the caller's; empty for a library caller that sets none).
    public var command: [String] {
        get { writer.command }
        set { writer.command = newValue }
    }

    let writer: RunWriter
    let allObservers: TrainingStep.Observers
    var lastTestLoss: Double?
    var lastTestAccuracy: Double?
    var lastTrainLoss: Double?
    var trainingSeconds = 0.0
    var wallSecondsBefore = 0.0

    /// Builds everything for `config`. With `resume`, restores the newest checkpoint of `runPath`;
    /// otherwise `runPath` must be an empty or new folder (`RunDirectory.prepare`).
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

    private init(config: RunConfig, data: DatasetPair, runPath: String, observers given: [TrainingObserver],
                 makeObservers: (ParameterLayout, Int) throws -> [TrainingObserver],
                 resume: Bool, metricsBufferRows: Int, lock: RunLock?) throws {
        try config.validate(allowMoreThreadsThanCores: resume)
        try data.validate()
        try config.kl?.check(trainingSetSize: data.train.count)
        self.config = config
        self.data = data
        self.runPath = runPath
        totalSteps = try config.train.totalSteps(datasetSize: data.train.count)
        keptCheckpoints = Dictionary(uniqueKeysWithValues: try config.train.keptCheckpointSteps(datasetSize: data.train.count).map { ($0.step, $0.mark) })
        // Every job of a step (GEMM parts, layer loops, the elementwise pass) runs on the caller and, with
        // two threads or more, the shared worker; OpenBLAS itself on one thread (`PartitionedGEMM`).
        // The jobs are cut by the problem, not the thread count: the numbers are the same on 1 or 2.
        let threads = min(try config.threads ?? Trainer.defaultThreads(config, data: data), ElementwisePass.maximumThreads)
        engine = try TrainingStep(config: config.train, data: data, passThreads: max(threads, 1))
        observers = try given + makeObservers(engine.network.layout, totalSteps)
        engine.pass.reserve(observers: observers.count)
        allObservers = TrainingStep.Observers(observers)
        replayWindows = Array(Set(observers.flatMap(\.replayWindows))).sorted { $0.lowerBound < $1.lowerBound }
        var resolved = config
        resolved.steps = totalSteps
        // Recorded as the run was made (`resume` uses it again); its numbers do not depend on it.
        resolved.threads = config.threads ?? max(threads, 1)
        let run = RunDirectory(runPath)
        var restored: CheckpointState?
        if resume {
            // Checked before anything is restored or the metrics log is cut back to the checkpoint's length.
            let state = try Checkpoint.readState(try Checkpoint.latest(run: run))
            let crc = RunWriter.configCRC32(of: resolved)
            if let recorded = state.configCRC32, recorded != crc {
                throw CriticalityError(.corruptFile, "\(run.manifest): its configuration is not the one the checkpoint was written with (CRC-32 \(String(format: "%08x", crc)), checkpoint \(String(format: "%08x", recorded))); was the manifest edited? Restore it, or start a new run")
            }
            restored = state
        }
        writer = try RunWriter(run: run, config: resolved, data: data, totalSteps: totalSteps, lock: lock,
                               metricsBytes: restored?.metricsBytes, metricsBufferRows: metricsBufferRows)
        if resume {
            let state = try restore(from: try Checkpoint.latest(run: run), observers: observers)
            lastTestLoss = state.lastTestLoss
            lastTestAccuracy = state.lastTestAccuracy
            lastTrainLoss = state.lastTrainLoss
            trainingSeconds = state.trainingSeconds
            wallSecondsBefore = state.wallSeconds
        } else {
            engine.network.initialize(config.model.initialization, seed: config.seed)
            try writeManifest(status: "running", reason: nil, wallSeconds: 0)
            try writer.writeCheckpoint(progressRecord, wallSeconds: 0, engine: engine, observers: observers)
        }
    }

    /// The threads a step computes on when the run does not say: every core, except that on a machine
    /// of at most two cores a core is left to the information observer's background analysis when that
    /// analysis costs at least `analysisShareForACore` of the step's own arithmetic — then the core is
    /// worth more to it than to the step's second thread (mlp5: 2,133–2,192 steps/s on one thread with
    /// the analysis beside it, 1,908–1,960 on two; docs/benchmarks.md). The numbers of a run never
    /// depend on it; the manifest records the choice.
    public static func defaultThreads(_ config: RunConfig, data: DatasetPair) throws -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores == 2, let information = config.information else { return cores }
        let batch = Double(config.batchSize.resolved(datasetSize: data.train.count))
        // Refuse a model that cannot fit before building one (TrainingStep does so again).
        try TrainingStep.checkMemory(config: config.train, data: data, maxBatch: Int(batch))
        let layout = try config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount, maxBatch: 1).layout
        let analysis = InformationObserver.analysisFLOPsPerStep(layout: layout, settings: information)
        let step = config.model.trainingFLOPsPerSample(sampleShape: data.train.sampleShape, classCount: data.train.classCount) * batch
        return analysis >= analysisShareForACore * step ? 1 : cores
    }

    /// See `defaultThreads`: mlp5 (batch 64) is at ~0.7, the CNN and `mlp-large` below 0.1.
    static let analysisShareForACore = 0.25

    /// Restores θ, the model's buffers, the optimizer, the sampler and the step from checkpoint `folder`
    /// (and the state of `observers`); the one restore of the trainer (resume, replay, back to the end).
    @discardableResult
    func restore(from folder: CheckpointFolder, observers: [TrainingObserver]) throws -> CheckpointState {
        let state = try Checkpoint.readState(folder)
        try Checkpoint.restore(from: folder, parameters: engine.network.parameters, buffers: engine.network.stateBuffers,
                               optimizer: engine.optimizer, observers: observers)
        engine.optimizer.stepCount = state.optimizerStepCount
        engine.sampler = BatchSampler(datasetSize: data.train.count, batchSize: engine.batchSize, seed: config.seed,
                                      epoch: state.samplerEpoch, position: state.samplerPosition)
        step = state.step
        return state
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
                try writer.writeCheckpoint(progressRecord, wallSeconds: wall(), engine: engine, observers: observers)
                try writeManifest(status: "incomplete",
                                  reason: "interrupted at step \(step) of \(totalSteps); continue with `criticality resume \(runPath)`",
                                  wallSeconds: wall())
                return .interrupted(step: step)
            }
            if let w = replayWindows.first(where: { $0.lowerBound == step }) {
                try writer.writeReplaySnapshot(w, progressRecord, engine: engine)
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let r = try trainStep()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            trainingSeconds += dt
            sessionTrainSeconds += dt
            stepsThisSession += 1
            try writer.metrics.record(step: step - 1, epoch: r.epoch, trainLoss: r.loss, trainBatchAccuracy: r.accuracy)

            if step % config.evalEvery == 0 || step == totalSteps {
                let (l, a) = engine.evaluate(data.test)
                lastTestLoss = l; lastTestAccuracy = a
                writer.metrics.attachTest(loss: l, accuracy: a)
            }
            if let mark = keptCheckpoints[step] {
                try writer.writeKeptCheckpoint(mark, progressRecord, wallSeconds: wall(), engine: engine)
            }
            if step % config.checkpointEvery == 0 && step < totalSteps {
                try writer.writeCheckpoint(progressRecord, wallSeconds: wall(), engine: engine, observers: observers)
                try writeManifest(status: "running", reason: nil, wallSeconds: wall())
            }
            if let progress, wall() - lastProgress >= progressInterval || step == totalSteps {
                lastProgress = wall()
                progress(TrainingProgress(step: step, totalSteps: totalSteps, epoch: r.epoch, trainLoss: r.loss,
                                          testAccuracy: lastTestAccuracy,
                                          stepsPerSecond: Double(stepsThisSession) / max(sessionTrainSeconds, 1e-9),
                                          coresContended: engine.pass.contended))
            }
        }
        try writer.writeCheckpoint(progressRecord, wallSeconds: wall(), engine: engine, observers: observers)
        if case .interrupted(let at) = try replayWindowsForObservers(wall: wall) { return .interrupted(step: at) }
        let files = try writer.writeOutputs(engine: engine, observers: observers)
        try writeManifest(status: "complete", reason: nil, wallSeconds: wall(), observerFiles: files)
        writer.removeReplaySnapshots()
        return .completed
    }

    /// One training step with every observer (the hot path; allocates nothing): the step's epoch, loss
    /// and batch accuracy. A non-finite loss or update stops the run with the reason in the manifest.
    @inline(__always)
    public func trainStep() throws -> (epoch: Int, loss: Double, accuracy: Double) {
        let r = try guardedStep(observers: allObservers, replay: false)
        return (r.epoch, r.loss, r.batchAccuracy)
    }

    /// `engine.run` for step `step`, then step += 1; a `NonFinite` becomes the run's numerical error.
    @inline(__always)
    func guardedStep(observers: TrainingStep.Observers, replay: Bool) throws -> TrainingStep.Result {
        do {
            let r = try engine.run(step: step, observers: observers, replay: replay)
            step += 1
            lastTrainLoss = r.loss
            return r
        } catch let e as TrainingStep.NonFinite {
            let reason = "stopped at step \(step) (epoch \(e.epoch)): \(e.what); lower the learning rate or change the optimizer. Metrics up to the previous step and the last checkpoint are kept."
            _ = try? writer.metrics.flush()
            try? writeManifest(status: "incomplete", reason: reason, wallSeconds: wallSecondsBefore)
            throw CriticalityError(.numerical, reason)
        }
    }

    /// Mean loss and accuracy over the whole test set.
    public func evaluateTest() -> (loss: Double, accuracy: Double) { engine.evaluate(data.test) }

    var progressRecord: RunWriter.Progress {
        RunWriter.Progress(step: step, sampler: engine.sampler, optimizerStepCount: engine.optimizer.stepCount,
                           lastTestLoss: lastTestLoss, lastTestAccuracy: lastTestAccuracy, lastTrainLoss: lastTrainLoss,
                           trainingSeconds: trainingSeconds)
    }

    func writeManifest(status: String, reason: String?, wallSeconds: Double,
                       observerFiles: [RunManifest.ObserverInfo]? = nil) throws {
        try writer.writeManifest(status: status, reason: reason, progressRecord, wallSeconds: wallSeconds, engine: engine,
                                 observers: observers, replays: !replayWindows.isEmpty, observerFiles: observerFiles)
    }
}
