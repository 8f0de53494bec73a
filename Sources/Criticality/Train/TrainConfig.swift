/// Mini-batch size: a number of samples, or the whole training set (full-batch gradient descent).
public enum BatchSize: Codable, Equatable, Sendable, CustomStringConvertible {
    case samples(Int)
    case full

    /// Parses "64" or "full".
    public init(parsing text: String) throws {
        if text.lowercased() == "full" { self = .full; return }
        guard let n = Int(text), n >= 1 else {
            throw CriticalityError(.invalidArgument, "--batch-size must be a whole number ≥ 1 or 'full'; got '\(text)'")
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

/// The complete, resolved configuration of a training run, as stored in `manifest.json`.
/// `criticality resume` rebuilds the run from this alone.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var model: ModelSpec
    public var loss: LossKind = .crossEntropy
    /// "fashion-mnist" (default, built in), "mnist", or "synthetic" (benchmarks and tests).
    public var dataset: String = "fashion-mnist"
    /// Folder of the dataset files; nil means the default for the dataset.
    public var dataDirectory: String?
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
    /// BLAS threads; nil means the backend's default (all cores).
    public var threads: Int?
    /// Streaming update statistics (windows, reservoir size, q's); nil turns the observer off.
    /// Windows are clipped to the run's length when the observer is built.
    public var updates: UpdateStatisticsSettings? = UpdateStatisticsSettings()

    public init(model: ModelSpec, optimizer: OptimizerSettings) {
        self.model = model
        self.optimizer = optimizer
    }

    enum CodingKeys: String, CodingKey {
        case model, loss, dataset, dataDirectory = "data_directory", optimizer, batchSize = "batch_size", steps, epochs
        case evalEvery = "eval_every", checkpointEvery = "checkpoint_every", seed, threads, updates
    }

    /// Checks ranges a user can get wrong; the message names the flag.
    public func validate() throws {
        guard optimizer.learningRate > 0, optimizer.learningRate.isFinite else {
            throw CriticalityError(.invalidArgument, "--lr must be a positive number; got \(optimizer.learningRate)")
        }
        if let s = steps, s < 1 { throw CriticalityError(.invalidArgument, "--steps must be ≥ 1; got \(s)") }
        if let e = epochs, e < 1 { throw CriticalityError(.invalidArgument, "--epochs must be ≥ 1; got \(e)") }
        guard evalEvery >= 1 else { throw CriticalityError(.invalidArgument, "--eval-every must be ≥ 1; got \(evalEvery)") }
        guard checkpointEvery >= 1 else { throw CriticalityError(.invalidArgument, "--checkpoint-every must be ≥ 1; got \(checkpointEvery)") }
        if case .samples(let n) = batchSize, n < 1 { throw CriticalityError(.invalidArgument, "--batch-size must be ≥ 1") }
        if let t = threads, t < 1 { throw CriticalityError(.invalidArgument, "--threads must be ≥ 1; got \(t)") }
    }

    /// Total steps for a training set of `datasetSize` samples.
    public func totalSteps(datasetSize: Int) -> Int {
        if let s = steps { return s }
        let b = batchSize.resolved(datasetSize: datasetSize)
        return (epochs ?? 1) * ((datasetSize + b - 1) / b)
    }
}
