import CriticalityCore
import CriticalityData
/// What network to build, in the paper's vocabulary. Resolved into layers by `makeNetwork`.
public struct ModelSpec: Codable, Equatable, Sendable {
    /// Preset name (`mlp5`, `mlp2`, `mlp-large`) or "mlp" for an explicit `widths` list.
    public var model: String
    /// Layer widths input…output for MLPs, e.g. [784, 50, 50, 50, 50, 10].
    public var widths: [Int]
    public var activation: ActivationKind
    public var initialization: Initialization
    /// The character Transformer's shape (`model` "transformer"); nil for every other model.
    public var transformer: TransformerSpec?

    /// The paper's MLPs (Methods): "small" five-layer, "medium" one hidden layer, "large" 4×1000.
    public static let mlpPresets: [String: [Int]] = [
        "mlp5": [784, 50, 50, 50, 50, 10],
        "mlp2": [784, 128, 10],
        "mlp-large": [784, 1000, 1000, 1000, 1000, 10],
    ]
    public static var presetNames: [String] { ["mlp5", "mlp2", "mlp-large", "cnn", "transformer"] }

    /// Whether this is the paper's CNN (built from the dataset's sample shape) rather than an MLP.
    public var isConvolutional: Bool { model == "cnn" }
    /// Whether this is the character Transformer (SI S5), which trains on texts.
    public var isTransformer: Bool { model == "transformer" }

    public init(model: String, widths: [Int]? = nil, activation: ActivationKind = .relu,
                initialization: Initialization = .pytorchDefault) throws {
        self.model = model
        self.activation = activation
        self.initialization = initialization
        if let w = widths {
            guard w.count >= 2, w.allSatisfy({ $0 > 0 }) else {
                throw CriticalityError(.invalidArgument, "'widths' needs at least two positive sizes (input,…,output); got \(w)")
            }
            self.widths = w
            if ModelSpec.mlpPresets[model] != nil && ModelSpec.mlpPresets[model] != w { self.model = "mlp" }
        } else if let w = ModelSpec.mlpPresets[model] {
            self.widths = w
        } else if model == "cnn" {
            self.widths = []
        } else if model == "transformer" {
            self.widths = []
            transformer = TransformerSpec()
        } else {
            throw CriticalityError(.invalidArgument,
                "unknown model '\(model)'; choose one of \(ModelSpec.presetNames.joined(separator: ", ")), or give --widths (e.g. 784,300,10)")
        }
    }

    /// Builds the network for samples of shape [C, H, W] (flattened for MLPs).
    public func makeNetwork(sampleShape: [Int], classCount: Int, maxBatch: Int, pair: WorkerPair = .callerOnly) throws -> Network {
        if isConvolutional { return try makeCNN(sampleShape: sampleShape, classCount: classCount, maxBatch: maxBatch, pair: pair) }
        if let spec = transformer { return try spec.makeNetwork(sampleShape: sampleShape, vocabulary: classCount, maxBatch: maxBatch, pair: pair) }
        return try makeNetwork(inputSize: sampleShape.reduce(1, *), classCount: classCount, maxBatch: maxBatch, pair: pair)
    }

    /// The paper's CNN (Methods, Fig. 1B): conv1(C→32, 3×3, pad 1) → bn1 → ReLU → 2×2 max-pool →
    /// conv2(32→64) → bn2 → ReLU → 2×2 max-pool → flatten → fc1(64·H/4·W/4 → 512) → ReLU →
    /// fc2(512 → classes). From conv1's output to pool2 the batch is channel-major (`BatchLayout`);
    /// the flatten (`ChannelsToBatch`, no parameters) restores PyTorch's per-sample C·H·W order.
    func makeCNN(sampleShape: [Int], classCount: Int, maxBatch: Int, pair: WorkerPair) throws -> Network {
        guard sampleShape.count == 3, sampleShape[1] % 4 == 0, sampleShape[2] % 4 == 0 else {
            throw CriticalityError(.invalidArgument, "the cnn model needs images [C, H, W] with H and W divisible by 4; the dataset has samples of shape \(sampleShape)")
        }
        let (c, h, w) = (sampleShape[0], sampleShape[1], sampleShape[2])
        var layers: [Layer] = []
        func relu(_ n: String, _ size: Int) -> Layer {
            activation == .linear ? Activation(name: n, kind: .linear, size: size) : Activation(name: n, kind: activation, size: size)
        }
        layers.append(Conv2D(name: "conv1", inChannels: c, outChannels: 32, height: h, width: w, inputLayout: .batchMajor))
        // bn → ReLU in one pass when the activation is ReLU (`BatchNorm2D.fusedReLU`), else two layers.
        let fuse = activation == .relu
        layers.append(BatchNorm2D(name: "bn1", channels: 32, height: h, width: w, fusedReLU: fuse))
        if !fuse { layers.append(relu("relu1", 32 * h * w)) }
        layers.append(MaxPool2D(name: "pool1", channels: 32, height: h, width: w))
        layers.append(Conv2D(name: "conv2", inChannels: 32, outChannels: 64, height: h / 2, width: w / 2, inputLayout: .channelMajor))
        layers.append(BatchNorm2D(name: "bn2", channels: 64, height: h / 2, width: w / 2, fusedReLU: fuse))
        if !fuse { layers.append(relu("relu2", 64 * (h / 2) * (w / 2))) }
        layers.append(MaxPool2D(name: "pool2", channels: 64, height: h / 2, width: w / 2))
        layers.append(ChannelsToBatch(name: "flatten", channels: 64, positions: (h / 4) * (w / 4)))
        let flat = 64 * (h / 4) * (w / 4)
        layers.append(Linear(name: "fc1", inputSize: flat, outputSize: 512))
        layers.append(relu("relu3", 512))
        layers.append(Linear(name: "fc2", inputSize: 512, outputSize: classCount))
        return Network(layers: layers, maxBatch: maxBatch, pair: pair)
    }

    /// Builds the layers: Linear layers named fc1…fcN with the activation between them (none after the last).
    public func makeNetwork(inputSize: Int, classCount: Int, maxBatch: Int, pair: WorkerPair = .callerOnly) throws -> Network {
        guard widths.first == inputSize else {
            throw CriticalityError(.invalidArgument, "model \(model) takes \(widths.first ?? 0) inputs but the dataset has \(inputSize) features per sample; set 'widths' to start with \(inputSize)")
        }
        guard widths.last == classCount else {
            throw CriticalityError(.invalidArgument, "model \(model) has \(widths.last ?? 0) outputs but the dataset has \(classCount) classes; set 'widths' to end with \(classCount)")
        }
        var layers: [Layer] = []
        for i in 0..<(widths.count - 1) {
            layers.append(Linear(name: "fc\(i + 1)", inputSize: widths[i], outputSize: widths[i + 1]))
            if i < widths.count - 2 && activation != .linear {
                layers.append(Activation(name: "\(activation.rawValue)\(i + 1)", kind: activation, size: widths[i + 1]))
            }
        }
        return Network(layers: layers, maxBatch: maxBatch, pair: pair)
    }

    /// Trainable parameters (weights and biases) for samples of `sampleShape`, and Σ of the layers'
    /// output widths per sample (the activations a batch keeps), computed with checked arithmetic so that
    /// absurd widths are an error, not a wrapped-around count.
    public func size(sampleShape: [Int], classCount: Int) throws -> (parameters: Int, activationsPerSample: Int) {
        func mul(_ a: Int, _ b: Int) throws -> Int {
            let (m, o) = a.multipliedReportingOverflow(by: b)
            guard !o else { throw CriticalityError(.invalidArgument, "model \(model): its size overflows an integer; use smaller 'widths'") }
            return m
        }
        func add(_ a: Int, _ b: Int) throws -> Int {
            let (m, o) = a.addingReportingOverflow(b)
            guard !o else { throw CriticalityError(.invalidArgument, "model \(model): its size overflows an integer; use smaller 'widths'") }
            return m
        }
        if let spec = transformer {
            return (spec.parameterCount(vocabulary: classCount), spec.activationsPerSample(vocabulary: classCount))
        }
        if isConvolutional {
            guard sampleShape.count == 3 else { return (0, 0) }
            let (c, h, w) = (sampleShape[0], sampleShape[1], sampleShape[2])
            let flat = try mul(64, try mul(h / 4, w / 4))
            let p = 32 * 9 * c + 32 + 2 * 32 + 64 * 32 * 9 + 64 + 2 * 64
            let parameters = try add(p, try add(try mul(flat, 512) + 512, 512 * classCount + classCount))
            let activations = try add(try mul(try mul(32, h), w) * 3, try mul(try mul(64, h / 2), w / 2) * 3) + 512 + classCount
            return (parameters, activations)
        }
        var parameters = 0, activations = 0
        for i in 0..<(widths.count - 1) {
            parameters = try add(parameters, try add(try mul(widths[i], widths[i + 1]), widths[i + 1]))
            activations = try add(activations, try mul(widths[i + 1], 2))
        }
        return (parameters, activations)
    }

    /// GEMM FLOPs of one training step per sample: forward and ∂W for every layer, ∂X for all but the
    /// first (2 FLOPs per multiply–add). `mlp-large`: 1.36 GFLOP per step at batch 64.
    public var trainingFLOPsPerSample: Double { trainingFLOPsPerSample(sampleShape: [1, 28, 28]) }

    /// GEMM FLOPs of one training step per sample for samples of `sampleShape` and `classCount` classes
    /// (the vocabulary, for a text) (convolutions: forward, ∂W, and ∂col except for the first layer).
    public func trainingFLOPsPerSample(sampleShape: [Int], classCount: Int = 10) -> Double {
        if let spec = transformer { return spec.trainingFLOPsPerSample(vocabulary: classCount) }
        if isConvolutional {
            let c = Double(sampleShape[0]), h = Double(sampleShape[1]), w = Double(sampleShape[2])
            let conv1: Double = 2 * 32 * 9 * c * h * w
            let conv2: Double = 2 * 64 * 32 * 9 * (h / 2) * (w / 2)
            let fc1: Double = 2 * 64 * 512 * (h / 4) * (w / 4)
            let fc2: Double = 2 * 512 * Double(classCount)
            return 2 * conv1 + 3 * conv2 + 3 * fc1 + 3 * fc2
        }
        var f = 0.0
        for i in 0..<(widths.count - 1) {
            let mac = Double(widths[i]) * Double(widths[i + 1])
            f += 2 * mac * (i == 0 ? 2 : 3)
        }
        return f
    }
}
