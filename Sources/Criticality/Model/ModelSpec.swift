/// What network to build, in the paper's vocabulary. Resolved into layers by `makeNetwork`.
public struct ModelSpec: Codable, Equatable, Sendable {
    /// Preset name (`mlp5`, `mlp2`, `mlp-large`) or "mlp" for an explicit `widths` list.
    public var model: String
    /// Layer widths input…output for MLPs, e.g. [784, 50, 50, 50, 50, 10].
    public var widths: [Int]
    public var activation: ActivationKind
    public var initialization: Initialization

    /// The paper's MLPs (Methods): "small" five-layer, "medium" one hidden layer, "large" 4×1000.
    public static let mlpPresets: [String: [Int]] = [
        "mlp5": [784, 50, 50, 50, 50, 10],
        "mlp2": [784, 128, 10],
        "mlp-large": [784, 1000, 1000, 1000, 1000, 10],
    ]
    public static var presetNames: [String] { ["mlp5", "mlp2", "mlp-large"] }

    public init(model: String, widths: [Int]? = nil, activation: ActivationKind = .relu,
                initialization: Initialization = .pytorchDefault) throws {
        self.model = model
        self.activation = activation
        self.initialization = initialization
        if let w = widths {
            guard w.count >= 2, w.allSatisfy({ $0 > 0 }) else {
                throw CriticalityError(.invalidArgument, "--widths needs at least two positive sizes (input,…,output); got \(w)")
            }
            self.widths = w
            if ModelSpec.mlpPresets[model] != nil && ModelSpec.mlpPresets[model] != w { self.model = "mlp" }
        } else if let w = ModelSpec.mlpPresets[model] {
            self.widths = w
        } else {
            throw CriticalityError(.invalidArgument,
                "unknown model '\(model)'; choose one of \(ModelSpec.presetNames.joined(separator: ", ")), or give --widths (e.g. 784,300,10)")
        }
    }

    /// Builds the layers: Linear layers named fc1…fcN with the activation between them (none after the last).
    public func makeNetwork(inputSize: Int, classCount: Int, maxBatch: Int) throws -> Network {
        guard widths.first == inputSize else {
            throw CriticalityError(.invalidArgument, "model \(model) takes \(widths.first ?? 0) inputs but the dataset has \(inputSize) features per sample; set --widths to start with \(inputSize)")
        }
        guard widths.last == classCount else {
            throw CriticalityError(.invalidArgument, "model \(model) has \(widths.last ?? 0) outputs but the dataset has \(classCount) classes; set --widths to end with \(classCount)")
        }
        var layers: [Layer] = []
        for i in 0..<(widths.count - 1) {
            layers.append(Linear(name: "fc\(i + 1)", inputSize: widths[i], outputSize: widths[i + 1]))
            if i < widths.count - 2 && activation != .linear {
                layers.append(Activation(name: "\(activation.rawValue)\(i + 1)", kind: activation, size: widths[i + 1]))
            }
        }
        return Network(layers: layers, maxBatch: maxBatch)
    }

    /// GEMM FLOPs of one training step per sample: forward and ∂W for every layer, ∂X for all but the
    /// first (2 FLOPs per multiply–add). `mlp-large`: 1.36 GFLOP per step at batch 64.
    public var trainingFLOPsPerSample: Double {
        var f = 0.0
        for i in 0..<(widths.count - 1) {
            let mac = Double(widths[i]) * Double(widths[i + 1])
            f += 2 * mac * (i == 0 ? 2 : 3)
        }
        return f
    }
}
