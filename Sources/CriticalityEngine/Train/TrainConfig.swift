import CriticalityCore
import CriticalityData
import Foundation

/// Mini-batch size: a number of samples, or the whole training set (full-batch gradient descent).
public enum BatchSize: Codable, Equatable, Sendable, CustomStringConvertible {
    case samples(Int)
    case full

    /// Parses "64" or "full".
    public init(parsing text: String) throws {
        if text.lowercased() == "full" { self = .full; return }
        guard let n = Int(text), n >= 1 else {
            throw CriticalityError(.invalidArgument, "'batch-size' must be a whole number ≥ 1 or 'full'; got '\(text)'")
        }
        self = .samples(n)
    }

    public func resolved(datasetSize: Int) -> Int {
        switch self {
        case .samples(let n): min(n, datasetSize)
        case .full: datasetSize
        }
    }

    public var description: String {
        switch self {
        case .samples(let n): "\(n)"
        case .full: "full"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .samples(n) } else { self = try BatchSize(parsing: c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .samples(let n): try c.encode(n)
        case .full: try c.encode("full")
        }
    }
}

/// How to train: model, data, optimizer, batches, steps, seed and threads. The observers' settings are
/// not here (the engine knows no observer); a run's whole configuration is `RunConfig`.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var model: ModelSpec
    public var loss: LossKind = .crossEntropy
    /// "fashion-mnist" (default, built in), "mnist", or "synthetic" (benchmarks and tests).
    public var dataset: String = "fashion-mnist"
    /// Folder of the dataset files; nil means the default for the dataset.
    public var dataDirectory: String?
    /// The text of the `text` dataset (a UTF-8 file, or a folder of them); nil: `TextCorpus.defaultTextPath`.
    public var textFile: String?
    /// How the `text` dataset is tokenized; nil: characters.
    public var textVocabulary: TextCorpus.Vocabulary?
    public var optimizer: OptimizerSettings
    public var batchSize: BatchSize = .samples(64)
    /// Total number of updates. Exactly one of `steps` and `epochs` is set by the user; `steps` is
    /// always filled in once the dataset size is known.
    public var steps: Int?
    public var epochs: Int?
    /// Evaluate on the test set every this many steps (and after the last step).
    public var evalEvery: Int = 1000
    /// Write a checkpoint every this many steps (and on SIGINT and at the end).
    public var checkpointEvery: Int = 5000
    public var seed: UInt64 = 1
    /// Threads a step computes on: 1, or 2 (the caller and the shared worker; a larger count is accepted
    /// and uses 2, this project's 2-core target). Nil: 2 on a machine with two cores or more. A run's
    /// numbers do not depend on it (every job is cut by the problem, `PartitionedGEMM`).
    public var threads: Int?
    /// Points whose parameters are kept in `checkpoints/NAME/` (`CheckpointMark`), e.g. epochs 50 and
    /// 100 for the paper's perturbation scan; nil or empty keeps none.
    public var keepCheckpoints: [CheckpointMark]?

    public init(model: ModelSpec, optimizer: OptimizerSettings) {
        self.model = model
        self.optimizer = optimizer
    }

    enum CodingKeys: String, CodingKey {
        case model, loss, dataset, dataDirectory = "data_directory", textFile = "text_file", textVocabulary = "text_vocabulary", optimizer, batchSize = "batch_size", steps, epochs
        case evalEvery = "eval_every", checkpointEvery = "checkpoint_every", seed, threads
        case keepCheckpoints = "keep_checkpoints"
    }

    /// Checks everything a user (a flag, a YAML key, or an edited manifest.json that `resume` reads) can
    /// get wrong; the message names the flag. `train`, its YAML config and `resume` all come here.
    /// `allowMoreThreadsThanCores` is for `resume` on a smaller machine: the recorded count is kept.
    public func validate(allowMoreThreadsThanCores: Bool = false) throws {
        try optimizer.validate()
        try model.transformer?.validate()
        let text = DatasetCatalog.textNames.contains(dataset)
        if model.isTransformer && !text {
            throw CriticalityError(.invalidArgument, "the transformer trains on a text; use --dataset pangram (the authors' task) or --dataset text (got '\(dataset)')")
        }
        if !model.isTransformer && text {
            throw CriticalityError(.invalidArgument, "dataset '\(dataset)' is a text; train it with --model transformer")
        }
        if textFile != nil && dataset != "text" {
            throw CriticalityError(.invalidArgument, "'text-file' is for --dataset text (got '\(dataset)')")
        }
        if let s = steps, s < 1 { throw CriticalityError(.invalidArgument, "'steps' must be ≥ 1; got \(s)") }
        if let e = epochs, e < 1 { throw CriticalityError(.invalidArgument, "'epochs' must be ≥ 1; got \(e)") }
        guard evalEvery >= 1 else { throw CriticalityError(.invalidArgument, "'eval-every' must be ≥ 1; got \(evalEvery)") }
        guard checkpointEvery >= 1 else { throw CriticalityError(.invalidArgument, "'checkpoint-every' must be ≥ 1; got \(checkpointEvery)") }
        if case .samples(let n) = batchSize, n < 1 { throw CriticalityError(.invalidArgument, "'batch-size' must be ≥ 1; got \(n)") }
        if let t = threads {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            guard t >= 1 else { throw CriticalityError(.invalidArgument, "'threads' must be ≥ 1; got \(t)") }
            guard allowMoreThreadsThanCores || t <= cores else {
                throw CriticalityError(.invalidArgument, "'threads' \(t) is more than this machine's \(cores) cores; threads beyond the cores only wait for each other (use at most \(cores))")
            }
        }
    }

    /// The step (updates applied) of each kept checkpoint, in the order given; a mark past the end of
    /// the run or given twice is an error that names it.
    public func keptCheckpointSteps(datasetSize: Int) throws -> [(mark: CheckpointMark, step: Int)] {
        guard let marks = keepCheckpoints, !marks.isEmpty else { return [] }
        let total = try totalSteps(datasetSize: datasetSize)
        let b = batchSize.resolved(datasetSize: max(datasetSize, 1))
        let perEpoch = (datasetSize + b - 1) / b
        var seen: [Int: CheckpointMark] = [:]
        return try marks.map { mark in
            let step = mark.step(stepsPerEpoch: perEpoch)
            guard step <= total else {
                throw CriticalityError(.invalidArgument, "'keep-checkpoints' \(mark) is step \(step), after the run's last step \(total); keep a checkpoint within the run")
            }
            if let other = seen[step] {
                throw CriticalityError(.invalidArgument, "'keep-checkpoints' \(mark) and \(other) are the same step \(step); give each once")
            }
            seen[step] = mark
            return (mark, step)
        }
    }

    /// Total steps for a training set of `datasetSize` samples (≥ 1); an epoch count whose steps do not
    /// fit in an integer is an error, not a wrapped-around number.
    public func totalSteps(datasetSize: Int) throws -> Int {
        if let s = steps { return s }
        guard datasetSize >= 1 else { throw CriticalityError(.invalidArgument, "the training set is empty") }
        let b = batchSize.resolved(datasetSize: datasetSize)
        let perEpoch = (datasetSize + b - 1) / b
        let (total, overflow) = (epochs ?? 1).multipliedReportingOverflow(by: perEpoch)
        guard !overflow else {
            throw CriticalityError(.invalidArgument, "'epochs' \(epochs ?? 1) × \(perEpoch) steps per epoch is more steps than can be counted; give fewer epochs")
        }
        return total
    }
}

extension OptimizerSettings {
    /// PyTorch's ranges, made strict where theirs let a run go to NaN: η > 0, momentum μ ∈ [0, 1)
    /// (> 0 for Nesterov), Adam's β₁, β₂ ∈ [0, 1), RMSprop's α ∈ [0, 1), ε > 0, all finite.
    public func validate() throws {
        func check(_ ok: Bool, _ flag: String, _ value: Double, _ range: String) throws {
            guard ok && value.isFinite else {
                throw CriticalityError(.invalidArgument, "--\(flag) must be \(range) for \(kind.rawValue); got \(value)")
            }
        }
        try check(learningRate > 0, "lr", learningRate, "a positive number")
        switch kind {
        case .sgd: break
        case .momentum: try check(momentum >= 0 && momentum < 1, "momentum", momentum, "in [0, 1)")
        case .nesterov: try check(momentum > 0 && momentum < 1, "momentum", momentum, "in (0, 1)")
        case .adam:
            try check(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0, 1)")
            try check(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0, 1)")
        case .rmsprop: try check(alpha >= 0 && alpha < 1, "alpha", alpha, "in [0, 1)")
        case .adagrad: break
        }
        if kind == .adam || kind == .rmsprop || kind == .adagrad {
            try check(resolvedEpsilon > 0, "eps", resolvedEpsilon, "a positive number")
        }
    }
}

extension TrainConfig {
    /// Loads this configuration's data: the dataset's files, or its text cut into the model's windows.
    public func loadData(directory: String? = nil) throws -> DatasetPair {
        try DatasetCatalog.load(name: dataset, directory: directory ?? dataDirectory, context: model.transformer?.context ?? 50,
                                textFile: textFile, vocabulary: textVocabulary ?? .characters)
    }
}
