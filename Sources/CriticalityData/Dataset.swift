import CriticalityCore
/// A labelled image classification set held in memory as normalized Float32 rows.
public struct Dataset: Sendable {
    public var name: String
    /// Per-sample shape, channel-major: [channels, height, width].
    public var sampleShape: [Int]
    public var classCount: Int
    /// `count × featureCount` row-major pixels, normalized as the authors did: (x/255 − 0.5)/0.5.
    public var inputs: [Float]
    public var labels: [Int32]

    public var count: Int { labels.count }
    public var featureCount: Int { sampleShape.reduce(1, *) }

    public init(name: String, sampleShape: [Int], classCount: Int, inputs: [Float], labels: [Int32]) {
        self.name = name
        self.sampleShape = sampleShape
        self.classCount = classCount
        self.inputs = inputs
        self.labels = labels
    }

    /// The authors' normalization, in their order of Float32 operations:
    /// `ToTensor` (x/255) then `Normalize(0.5, 0.5)` ((v − 0.5)/0.5).
    @inline(__always)
    public static func normalize(_ byte: UInt8) -> Float { (Float(byte) / 255 - 0.5) / 0.5 }

    /// A deterministic random stand-in with the same shape (for benchmarks that must not need files).
    public static func synthetic(count: Int, sampleShape: [Int], classCount: Int, seed: UInt64) -> Dataset {
        var rng = RNG(seed: seed, stream: .sampling)
        let d = sampleShape.reduce(1, *)
        var x = [Float](repeating: 0, count: count * d)
        for i in x.indices { x[i] = rng.uniformFloat() * 2 - 1 }
        let y = (0..<count).map { _ in Int32(rng.uniformInt(below: classCount)) }
        return Dataset(name: "synthetic", sampleShape: sampleShape, classCount: classCount, inputs: x, labels: y)
    }
}

/// A train/test pair.
public struct DatasetPair: Sendable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) { self.train = train; self.test = test }

    /// What training needs of the data: both sets non-empty, samples of at least one value, the same
    /// sample shape and class count in both, inputs matching labels. (Loaders that read files check
    /// each file; this checks the pair.)
    public func validate() throws {
        for (set, what) in [(train, "training"), (test, "test")] {
            guard set.count >= 1 else {
                throw CriticalityError(.invalidArgument, "\(set.name): the \(what) set holds no samples; check the dataset files")
            }
            guard set.featureCount >= 1, set.inputs.count == set.count * set.featureCount else {
                throw CriticalityError(.invalidArgument, "\(set.name): \(set.inputs.count) input values do not make \(set.count) samples of shape \(set.sampleShape)")
            }
        }
        guard train.sampleShape == test.sampleShape else {
            throw CriticalityError(.invalidArgument, "the test images have shape \(test.sampleShape) but the training images \(train.sampleShape); both sets must come from the same dataset")
        }
        guard train.classCount == test.classCount else {
            throw CriticalityError(.invalidArgument, "the training set has \(train.classCount) classes but the test set \(test.classCount)")
        }
    }
}
