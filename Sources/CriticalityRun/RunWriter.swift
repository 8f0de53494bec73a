import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import Foundation

/// Writes a training run's directory as the run goes (docs/run-directory.md): the metrics log, the
/// manifest at every status change, checkpoints, and on completion θ, the model's buffers and every
/// observer's outputs. It holds the directory's lock for as long as it lives.
final class RunWriter {
    let run: RunDirectory
    let metrics: MetricsLog
    /// The configuration as the manifest records it (steps and threads resolved) and its CRC-32, which
    /// every checkpoint carries so that `resume` refuses an edited manifest.
    let config: RunConfig
    let configCRC32: UInt32
    let data: DatasetPair
    let totalSteps: Int
    let created = ISO8601DateFormatter().string(from: Date())
    /// The command line recorded in the manifest.
    var command: [String] = []
    private let lock: RunLock

    /// Opens `run` for writing: takes its lock (unless the caller holds it), removes temporaries a dead
    /// process left, and opens the metrics log — new, or cut back to `metricsBytes` on resume.
    init(run: RunDirectory, config: RunConfig, data: DatasetPair, totalSteps: Int, lock: RunLock?,
         metricsBytes: UInt64?, metricsBufferRows: Int) throws {
        self.run = run
        self.config = config
        self.data = data
        self.totalSteps = totalSteps
        configCRC32 = RunWriter.configCRC32(of: config)
        try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
        self.lock = try lock ?? RunLock(run: run.path)
        FileOutput.removeStaleTemporaries(under: run.path)
        metrics = try MetricsLog(path: run.metrics, truncateTo: metricsBytes, capacity: metricsBufferRows)
    }

    /// CRC-32 of a resolved configuration's canonical JSON.
    static func configCRC32(of config: RunConfig) -> UInt32 {
        crc32(of: (try? FileOutput.encodeJSON(config)) ?? Data())
    }

    /// What a checkpoint or the manifest records of the trainer's state.
    struct Progress {
        var step: Int
        var sampler: BatchSampler
        var optimizerStepCount: Int
        var lastTestLoss: Double?
        var lastTestAccuracy: Double?
        var lastTrainLoss: Double?
        var trainingSeconds: Double
    }

    /// The checkpoint state of progress `p`, after flushing the metrics (the state records their length).
    private func flushedState(_ p: Progress, wallSeconds: Double) throws -> CheckpointState {
        let bytes = try metrics.flush()
        return CheckpointState(step: p.step, samplerEpoch: p.sampler.epoch, samplerPosition: p.sampler.position,
                               optimizerStepCount: p.optimizerStepCount, metricsBytes: bytes,
                               lastTestLoss: p.lastTestLoss, lastTestAccuracy: p.lastTestAccuracy,
                               lastTrainLoss: p.lastTrainLoss, trainingSeconds: p.trainingSeconds,
                               wallSeconds: wallSeconds, configCRC32: configCRC32)
    }

    /// Writes `checkpoint/` (flushing the metrics first: the checkpoint records their length).
    func writeCheckpoint(_ p: Progress, wallSeconds: Double, engine: TrainingStep, observers: [TrainingObserver]) throws {
        let state = try flushedState(p, wallSeconds: wallSeconds)
        try Checkpoint.write(to: run.checkpoint, state: state, parameters: engine.network.parameters,
                             buffers: engine.network.stateBuffers, optimizer: engine.optimizer, observers: observers)
    }

    /// Writes `checkpoints/NAME/` (`train --keep-checkpoints`): a full checkpoint of the state after the
    /// step, kept for analysis (`criticality perturb --at NAME`); training never touches it again.
    func writeKeptCheckpoint(_ mark: CheckpointMark, _ p: Progress, wallSeconds: Double, engine: TrainingStep) throws {
        let state = try flushedState(p, wallSeconds: wallSeconds)
        try FileManager.default.createDirectory(atPath: run.path + "/" + RunDirectory.Relative.keptCheckpoints,
                                                withIntermediateDirectories: true)
        try Checkpoint.write(to: run.keptCheckpoint(mark.folderName), state: state, parameters: engine.network.parameters,
                             buffers: engine.network.stateBuffers, optimizer: engine.optimizer, observers: [])
    }

    /// The kept checkpoints of a run at step `step` (those at or before it), for the manifest.
    func keptCheckpoints(at step: Int) throws -> [RunManifest.KeptCheckpoint]? {
        let kept = try config.train.keptCheckpointSteps(datasetSize: data.train.count)
        guard !kept.isEmpty else { return nil }
        return kept.filter { $0.step <= step }.map {
            RunManifest.KeptCheckpoint(mark: $0.mark.description, step: $0.step,
                                       path: RunDirectory.Relative.keptCheckpoints + "/" + $0.mark.folderName + "/")
        }
    }

    /// Writes `replay/window_A_B/`: what determines steps A… (θ, optimizer state, sampler position).
    func writeReplaySnapshot(_ w: Range<Int>, _ p: Progress, engine: TrainingStep) throws {
        let state = CheckpointState(step: p.step, samplerEpoch: p.sampler.epoch, samplerPosition: p.sampler.position,
                                    optimizerStepCount: p.optimizerStepCount, metricsBytes: 0, lastTestLoss: nil,
                                    lastTestAccuracy: nil, lastTrainLoss: nil, trainingSeconds: 0, wallSeconds: 0)
        try Checkpoint.write(to: run.replayCheckpoint(w), state: state, parameters: engine.network.parameters,
                             buffers: engine.network.stateBuffers, optimizer: engine.optimizer, observers: [])
    }

    /// The outputs of a complete run: every observer's folder, θ and the model's buffers; returns the
    /// observers' files for the manifest. Removes `replay/`, which only an unfinished run needs.
    func writeOutputs(engine: TrainingStep, observers: [TrainingObserver]) throws -> [RunManifest.ObserverInfo] {
        var files: [RunManifest.ObserverInfo] = []
        for o in observers {
            let dir = run.observer(o.name)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let written = try o.finish(into: dir, finalParameters: UnsafePointer(engine.network.parameters.pointer))
            files.append(RunManifest.ObserverInfo(name: o.name, memoryBytes: o.memoryBytes,
                                                  files: written.map { RunDirectory.observerFile(o.name, $0) }))
        }
        try FileOutput.writeNpy(UnsafeBufferPointer(engine.network.parameters.buffer), to: run.parameters)
        let buffers = engine.network.stateBuffers.flatMap(\.array)
        if !buffers.isEmpty { try FileOutput.writeNpy(buffers, to: run.buffers) }
        return files
    }

    /// Removes `replay/` once the run is complete.
    func removeReplaySnapshots() { try? FileManager.default.removeItem(atPath: run.replay) }

    /// Writes `manifest.json` with `status` ("running", "complete" or "incomplete" and why).
    func writeManifest(status: String, reason: String?, _ p: Progress, wallSeconds: Double, engine: TrainingStep,
                       observers: [TrainingObserver], replays: Bool, observerFiles: [RunManifest.ObserverInfo]? = nil) throws {
        typealias R = RunDirectory.Relative
        let complete = status == "complete"
        var outputs = [R.manifest, R.metrics, R.checkpoint + "/"]
        let kept = try keptCheckpoints(at: p.step)
        outputs += (kept ?? []).map(\.path)
        if !complete && replays { outputs.append(R.replay + "/") }
        if complete { outputs.append(R.parameters) }
        if complete && !engine.network.stateBuffers.isEmpty { outputs.append(R.buffers) }
        let obs = observerFiles ?? observers.map { RunManifest.ObserverInfo(name: $0.name, memoryBytes: $0.memoryBytes, files: []) }
        outputs += obs.flatMap(\.files)
        var final: RunManifest.Final?
        if complete, let l = p.lastTestLoss, let a = p.lastTestAccuracy {
            final = RunManifest.Final(step: p.step, testAccuracy: a, testLoss: l, trainLoss: p.lastTrainLoss ?? .nan)
        }
        let layout = engine.network.layout
        let manifest = RunManifest(
            status: status, incompleteReason: reason, config: config, seed: config.seed, totalSteps: totalSteps,
            stepsCompleted: p.step, parameterCount: layout.parameterCount, layout: layout.segments,
            dataset: .init(name: config.dataset, directory: config.dataset == "text" ? (config.textFile ?? TextCorpus.defaultTextPath) : config.dataDirectory, trainCount: data.train.count,
                           testCount: data.test.count, sampleShape: data.train.sampleShape,
                           vocabulary: data.train.windows == nil ? nil : data.train.classCount,
                           unigramEntropy: data.train.windows.map { TextCorpus.unigramEntropy($0.tokens, vocabulary: data.train.classCount) }),
            versions: .init(criticality: RunManifest.criticalityVersion, blas: BLAS.info,
                            os: ProcessInfo.processInfo.operatingSystemVersionString),
            command: command, created: created,
            timing: .init(trainingSeconds: p.trainingSeconds, wallSeconds: wallSeconds,
                          stepsPerSecond: p.trainingSeconds > 0 ? Double(p.step) / p.trainingSeconds : 0),
            final: final, observers: obs, outputs: outputs, keptCheckpoints: kept)
        try manifest.write(to: run)
    }
}
