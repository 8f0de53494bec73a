import CZlib
import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// A checkpoint: the folder `checkpoint/` of a run directory, holding everything that determines the
/// rest of the run — θ, the optimizer state, the sampler position (the shuffling RNG is re-derived
/// from (seed, epoch)), the metrics file length and every observer's state.
///
/// It is written into `checkpoint.tmp/` and swapped in by renames, so a crash at any moment leaves
/// either the old or the new checkpoint complete (`checkpoint.old/` is used if the swap was cut short).
public struct CheckpointState: Codable, Equatable, Sendable {
    /// The layout version (`SchemaVersion`); nil in checkpoints written before 2026-12-01 (version 1).
    public var schemaVersion: Int? = SchemaVersion.current
    /// Number of updates applied (the next step index).
    public var step: Int
    public var samplerEpoch: Int
    public var samplerPosition: Int
    public var optimizerStepCount: Int
    public var metricsBytes: UInt64
    public var lastTestLoss: Double?
    public var lastTestAccuracy: Double?
    public var lastTrainLoss: Double?
    public var trainingSeconds: Double
    public var wallSeconds: Double
    /// Size and CRC-32 of every other file of the checkpoint (relative path → check), verified before
    /// anything is restored. nil in checkpoints written before 2026-12-01 (not verified).
    public var files: [String: FileCheck]? = nil
    /// CRC-32 of the run's resolved configuration (canonical JSON) the checkpoint was written with;
    /// `resume` refuses a manifest whose configuration differs. nil in older checkpoints.
    public var configCRC32: UInt32? = nil

    public struct FileCheck: Codable, Equatable, Sendable {
        public var bytes: Int
        public var crc32: UInt32
    }
}

/// CRC-32 (zlib's, the gzip/PNG polynomial) of data.
public func crc32(of data: Data) -> UInt32 {
    data.withUnsafeBytes { raw -> UInt32 in
        var c: uLong = 0
        var offset = 0
        while offset < raw.count {
            let n = min(raw.count - offset, 1 << 30)
            c = CZlib.crc32(c, raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: c)
    }
}

public enum Checkpoint {
    /// Writes a checkpoint as `folder` (into its temporary name, then renames).
    public static func write(to folder: CheckpointFolder, state: CheckpointState, parameters: FloatBuffer,
                             buffers: [FloatBuffer] = [], optimizer: Optimizer, observers: [TrainingObserver]) throws {
        var state = state
        let fm = FileManager.default
        let tmp = folder.temporary, old = folder.previous
        try? fm.removeItem(atPath: tmp.path)
        try FileOutput.writeNpy(UnsafeBufferPointer(parameters.buffer), to: tmp.parameters)
        for (i, s) in optimizer.state.enumerated() {
            try FileOutput.writeNpy(UnsafeBufferPointer(s.buffer), to: tmp.optimizerState(i))
        }
        if !buffers.isEmpty { try FileOutput.writeNpy(buffers.flatMap(\.array), to: tmp.buffers) }
        for o in observers {
            let dir = tmp.observer(o.name)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try o.saveState(to: dir)
        }
        state.files = try checks(of: tmp.path)
        state.schemaVersion = SchemaVersion.current
        try FileOutput.writeJSON(state, to: tmp.state)
        try? fm.removeItem(atPath: old.path)
        if fm.fileExists(atPath: folder.path) { try fm.moveItem(atPath: folder.path, toPath: old.path) }
        try fm.moveItem(atPath: tmp.path, toPath: folder.path)
        try? fm.removeItem(atPath: old.path)
    }

    /// The newest complete checkpoint of `run`: `checkpoint/`, or `checkpoint.old/` when a swap was cut short.
    public static func latest(run: RunDirectory) throws -> CheckpointFolder {
        for c in [run.checkpoint, run.previousCheckpoint] where FileManager.default.fileExists(atPath: c.state) {
            return c
        }
        throw CriticalityError(.fileNotFound, "\(run.path): no checkpoint to resume from (\(run.checkpoint.state) is missing); start the run again with `criticality train --force`")
    }

    /// A checkpoint's `state.json`, refused if of a schema this build does not know.
    public static func readState(_ folder: CheckpointFolder) throws -> CheckpointState {
        try SchemaVersion.readJSON(CheckpointState.self, from: folder.state, document: "a checkpoint state")
    }

    /// Size and CRC-32 of every regular file below `dir` (relative paths).
    static func checks(of dir: String) throws -> [String: CheckpointState.FileCheck] {
        var out: [String: CheckpointState.FileCheck] = [:]
        for relative in (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + relative, isDirectory: &isDir), !isDir.boolValue,
                  relative != CheckpointFolder.stateFileName else { continue }
            guard let data = FileManager.default.contents(atPath: dir + "/" + relative) else {
                throw CriticalityError(.io, "\(dir)/\(relative): cannot read back the checkpoint file just written")
            }
            out[relative] = .init(bytes: data.count, crc32: crc32(of: data))
        }
        return out
    }

    /// Checks every file a checkpoint lists against its recorded size and CRC-32 (older checkpoints
    /// without the list pass). A bit flip, a truncation or a missing file is named.
    public static func verify(_ folder: CheckpointFolder, state: CheckpointState) throws {
        let dir = folder.path
        guard let files = state.files else { return }
        for (relative, check) in files.sorted(by: { $0.key < $1.key }) {
            guard let data = FileManager.default.contents(atPath: dir + "/" + relative) else {
                throw CriticalityError(.corruptFile, "\(dir)/\(relative) is missing from the checkpoint; it cannot be resumed — start the run again with `criticality train --force`")
            }
            guard data.count == check.bytes, crc32(of: data) == check.crc32 else {
                throw CriticalityError(.corruptFile, "\(dir)/\(relative) is damaged (\(data.count) bytes, CRC-32 \(String(format: "%08x", crc32(of: data))); the checkpoint recorded \(check.bytes) bytes, \(String(format: "%08x", check.crc32))). It cannot be resumed — start the run again with `criticality train --force`")
            }
        }
    }

    /// Loads θ from `parametersFile` and, when the model has any, its buffers (batch-norm running
    /// statistics) from `buffersFile`, each checked against the model's sizes. A checkpoint's or a
    /// complete run's files (`parameters.npy`, `buffers.npy`).
    public static func loadModel(parameters parametersFile: String, buffers buffersFile: String, into parameters: FloatBuffer,
                                 buffers: [FloatBuffer]) throws {
        if !buffers.isEmpty {
            let (v, _) = try Npy.readFloats(path: buffersFile)
            guard v.count == buffers.reduce(0, { $0 + $1.count }) else {
                throw CriticalityError(.corruptFile, "\(buffersFile) has \(v.count) values, the model's buffers hold \(buffers.reduce(0) { $0 + $1.count })")
            }
            var o = 0
            for b in buffers { for i in 0..<b.count { b[i] = v[o + i] }; o += b.count }
        }
        let (theta, _) = try Npy.readFloats(path: parametersFile)
        guard theta.count == parameters.count else {
            throw CriticalityError(.corruptFile, "\(parametersFile) holds \(theta.count) parameters but the model has \(parameters.count)")
        }
        theta.withUnsafeBufferPointer { parameters.pointer.update(from: $0.baseAddress!, count: theta.count) }
    }

    /// Loads θ and optimizer state from checkpoint folder `dir` into the given buffers.
    public static func restore(from folder: CheckpointFolder, parameters: FloatBuffer, buffers: [FloatBuffer] = [], optimizer: Optimizer,
                               observers: [TrainingObserver]) throws {
        try verify(folder, state: try readState(folder))
        try loadModel(parameters: folder.parameters, buffers: folder.buffers, into: parameters, buffers: buffers)
        for (i, s) in optimizer.state.enumerated() {
            let (v, _) = try Npy.readFloats(path: folder.optimizerState(i))
            guard v.count == s.count else {
                throw CriticalityError(.corruptFile, "\(folder.optimizerState(i)) has \(v.count) values, expected \(s.count)")
            }
            v.withUnsafeBufferPointer { s.pointer.update(from: $0.baseAddress!, count: v.count) }
        }
        for o in observers { try o.restoreState(from: folder.observer(o.name)) }
    }
}

extension CheckpointState {
    enum CodingKeys: String, CodingKey {
        case step, samplerEpoch = "sampler_epoch", samplerPosition = "sampler_position"
        case optimizerStepCount = "optimizer_step_count", metricsBytes = "metrics_bytes"
        case lastTestLoss = "last_test_loss", lastTestAccuracy = "last_test_accuracy", lastTrainLoss = "last_train_loss"
        case trainingSeconds = "training_seconds", wallSeconds = "wall_seconds", files, configCRC32 = "config_crc32"
        case schemaVersion = "schema_version"
    }
}
