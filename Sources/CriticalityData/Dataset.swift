import CriticalityCore
/// A labelled set held in memory: image classification as normalized Float32 rows, or a tokenized text
/// cut into windows (`windows`; SI S5's character-level language model).
public struct Dataset: Sendable {
    public var name: String
    /// Per-sample shape, channel-major: [channels, height, width]; [context] for a text.
    public var sampleShape: [Int]
    /// Classes, or the model's vocabulary for a text.
    public var classCount: Int
    /// `count × featureCount` row-major pixels, normalized as the authors did: (x/255 − 0.5)/0.5.
    /// Empty for a text (its samples are views of `windows`).
    public var inputs: [Float]
    /// One label per sample; empty for a text (a window's targets are its tokens shifted by one).
    public var labels: [Int32]
    /// The token stream a text's samples are windows of; nil for images.
    public var windows: TokenWindows?

    public var count: Int { windows?.count ?? labels.count }
    public var featureCount: Int { sampleShape.reduce(1, *) }
    /// Targets (loss terms) per sample: one label for an image, one next token per position for a text.
    public var targetsPerSample: Int { windows?.context ?? 1 }

    /// A text dataset: windows of `windows.context` tokens over a stream of tokens < `vocabulary`.
    public init(name: String, windows: TokenWindows, vocabulary: Int) {
        self.name = name
        sampleShape = [windows.context]
        classCount = vocabulary
        inputs = []
        labels = []
        self.windows = windows
    }

    /// Copies samples `indices` into `x` (`featureCount` values each; a text's token ids as Float, exact
    /// below 2²⁴) and their targets into `y` (`targetsPerSample` each). Concrete index types (a batch's
    /// slice of the permutation, a range): a generic sequence would be unspecialized across modules and
    /// allocate its iterator per step.
    @inline(__always)
    public func gather(_ indices: ArraySlice<Int32>, inputs x: UnsafeMutablePointer<Float>, targets y: UnsafeMutablePointer<Int32>) {
        indices.withUnsafeBufferPointer { b in gather(count: b.count, index: { Int(b[$0]) }, inputs: x, targets: y) }
    }

    /// `gather` of samples `range`.
    @inline(__always)
    public func gather(_ range: Range<Int>, inputs x: UnsafeMutablePointer<Float>, targets y: UnsafeMutablePointer<Int32>) {
        gather(count: range.count, index: { range.lowerBound + $0 }, inputs: x, targets: y)
    }

    @inline(__always)
    func gather(count n: Int, index: (Int) -> Int, inputs x: UnsafeMutablePointer<Float>, targets y: UnsafeMutablePointer<Int32>) {
        if let w = windows {
            let t = w.context
            w.tokens.withUnsafeBufferPointer { tokens in
                for r in 0..<n {
                    let start = tokens.baseAddress! + index(r) * w.stride
                    for j in 0..<t { x[r * t + j] = Float(start[j]); y[r * t + j] = start[j + 1] }
                }
            }
            return
        }
        let d = featureCount
        inputs.withUnsafeBufferPointer { src in
            labels.withUnsafeBufferPointer { labels in
                for r in 0..<n {
                    let i = index(r)
                    (x + r * d).update(from: src.baseAddress! + i * d, count: d)
                    y[r] = labels[i]
                }
            }
        }
    }

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
            if let w = set.windows {
                guard w.context >= 1, w.stride >= 1, set.count >= 1, w.tokens.allSatisfy({ $0 >= 0 && Int($0) < set.classCount }) else {
                    throw CriticalityError(.invalidArgument, "\(set.name): the \(what) text does not make windows of \(w.context) tokens below the vocabulary of \(set.classCount)")
                }
                continue
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

/// A token stream cut into windows: sample i is `tokens[i·stride ..< i·stride + context]`, and its targets
/// are the same positions shifted by one, `tokens[i·stride + 1 ... i·stride + context]` (the authors'
/// `CharDataset`: stride 1, `len = tokens − context`).
public struct TokenWindows: Sendable, Equatable {
    public var tokens: [Int32]
    public var context: Int
    public var stride: Int

    public init(tokens: [Int32], context: Int, stride: Int = 1) {
        self.tokens = tokens
        self.context = context
        self.stride = stride
    }

    /// Windows whose targets stay inside the stream: ⌊(tokens − context − 1)/stride⌋ + 1, or 0.
    public var count: Int { tokens.count > context ? (tokens.count - context - 1) / stride + 1 : 0 }
}
