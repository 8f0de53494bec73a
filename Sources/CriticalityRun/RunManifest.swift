import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// `manifest.json`: everything needed to know what a run directory holds and to redo it.
public struct RunManifest: Codable, Sendable {
    public struct Versions: Codable, Sendable {
        public var criticality: String
        public var blas: BLAS.Info
        public var os: String
    }
    public struct Timing: Codable, Sendable {
        /// Seconds spent in training steps (all sessions of the run, evaluation and checkpoints excluded).
        public var trainingSeconds: Double
        /// Wall-clock seconds of all sessions of the run.
        public var wallSeconds: Double
        /// Steps per second of training (steps / trainingSeconds).
        public var stepsPerSecond: Double
    }
    public struct Final: Codable, Sendable {
        public var step: Int
        public var testAccuracy: Double
        public var testLoss: Double
        public var trainLoss: Double
    }
    public struct ObserverInfo: Codable, Sendable {
        public var name: String
        public var memoryBytes: Int
        public var files: [String]
    }

    /// Changes when the arithmetic does (a resumed run then says its last bits will differ): 0.2.0 the
    /// problem-fixed partitions (issue 14), 0.3.0 batch norm's sums as C kernels in a new order (issue 14).
    public static let criticalityVersion = "0.3.0"

    /// The layout version (`SchemaVersion`); nil in manifests written before 2026-12-01 (version 1).
    public var schemaVersion: Int? = SchemaVersion.current
    /// "running", "complete" or "incomplete".
    public var status: String
    public var incompleteReason: String?
    public var config: RunConfig
    public var seed: UInt64
    public var totalSteps: Int
    public var stepsCompleted: Int
    public var parameterCount: Int
    public var layout: [ParameterLayout.Segment]
    public var dataset: DatasetInfo
    public var versions: Versions
    public var command: [String]
    public var created: String
    public var timing: Timing
    public var final: Final?
    public var observers: [ObserverInfo]
    /// Files of the run directory, relative to it.
    public var outputs: [String]
    /// The checkpoints kept so far (`train --keep-checkpoints`), in the order asked for; nil when none
    /// were asked for.
    public var keptCheckpoints: [KeptCheckpoint]? = nil

    /// A checkpoint kept at a chosen point: its mark ("epoch:50"), step, and folder (relative).
    public struct KeptCheckpoint: Codable, Sendable, Equatable {
        public var mark: String
        public var step: Int
        public var path: String
    }

    public struct DatasetInfo: Codable, Sendable {
        public var name: String
        public var directory: String?
        public var trainCount: Int
        public var testCount: Int
        public var sampleShape: [Int]
        /// For a text: its vocabulary (the model's output classes) and the unigram entropy −Σ p ln p of
        /// its training tokens in nats — the loss of a model that ignores the context, the bar a language
        /// model's validation loss must fall well below. Nil for images.
        public var vocabulary: Int? = nil
        public var unigramEntropy: Double? = nil
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", status, incompleteReason = "incomplete_reason", config, seed, totalSteps = "total_steps"
        case stepsCompleted = "steps_completed", parameterCount = "parameter_count", layout, dataset, versions
        case command, created, timing, final, observers, outputs, keptCheckpoints = "kept_checkpoints"
    }
}

extension RunManifest {
    /// Reads the manifest of `run`, refusing one of a schema this build does not know.
    public static func read(_ run: RunDirectory) throws -> RunManifest {
        try SchemaVersion.readJSON(RunManifest.self, from: run.manifest, document: "a run manifest")
    }

    /// Writes the manifest of `run` (atomically, with the current schema version).
    public func write(to run: RunDirectory) throws {
        var m = self
        m.schemaVersion = SchemaVersion.current
        try FileOutput.writeJSON(m, to: run.manifest)
    }
}

extension RunManifest.Timing {
    enum CodingKeys: String, CodingKey {
        case trainingSeconds = "training_seconds", wallSeconds = "wall_seconds", stepsPerSecond = "steps_per_second"
    }
}

extension RunManifest.Final {
    enum CodingKeys: String, CodingKey {
        case step, testAccuracy = "test_accuracy", testLoss = "test_loss", trainLoss = "train_loss"
    }
}

extension RunManifest.ObserverInfo {
    enum CodingKeys: String, CodingKey { case name, memoryBytes = "memory_bytes", files }
}

extension RunManifest.DatasetInfo {
    enum CodingKeys: String, CodingKey {
        case name, directory, trainCount = "train_count", testCount = "test_count", sampleShape = "sample_shape"
        case vocabulary, unigramEntropy = "unigram_entropy"
    }
}
