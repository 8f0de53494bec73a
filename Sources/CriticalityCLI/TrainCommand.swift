import ArgumentParser
import Criticality
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model and write a run directory (manifest, metrics, checkpoints, observer outputs).")

    @Option(help: "YAML file of settings; keys are these long flag names (e.g. `lr: 0.01`). Flags override it.")
    var config: String?
    @Option(help: "Model preset: mlp5 (784-50-50-50-50-10), mlp2 (784-128-10), mlp-large (784-1000×4-10), cnn, transformer (the authors' character Transformer, SI S5: 2 post-LN layers, d 128, 4 heads; defaults to --dataset pangram --lr 0.1 --batch-size 8 --epochs 10). Default mlp5.")
    var model: String?
    @Option(help: "Explicit MLP widths, input to output, e.g. 784,300,10 (overrides the preset's).")
    var widths: String?
    @Option(help: "Hidden activation. Default relu.")
    var activation: ActivationKind?
    @Option(name: .customLong("init"), help: "Initialization. Default pytorch-default.")
    var initialization: Initialization?
    @Option(help: "Loss (mse: on one-hot targets). Default cross-entropy.")
    var loss: LossKind?
    @Option(help: "Dataset: fashion-mnist (default, from $CRITICALITY_DATA or /usr/share/datasets/fashion-mnist), mnist (needs --data-dir), cifar10 (needs --data-dir), synthetic; for the transformer pangram (the authors' 3,500 characters) or text (--text-file).")
    var dataset: String?
    @Option(help: "Folder holding the dataset's files.")
    var dataDir: String?
    @Option(help: "UTF-8 text for --dataset text: a file, or a folder whose files without an extension are joined. Default /usr/share/games/fortunes (Debian's fortunes, 2.6 MB). Its last 10 % (at most 100,000 characters) is the validation set.")
    var textFile: String?
    @Option(help: "Tokens of --dataset text: characters (the file's distinct characters) or bytes (256). Default characters.")
    var textVocabulary: TextCorpus.Vocabulary?
    @Option(help: "Transformer: tokens per window. Default 50.")
    var context: Int?
    @Option(help: "Transformer: dropout probability at PyTorch's four places per layer (training only). Default 0.1.")
    var dropout: Double?
    @Flag(help: "Transformer: causal attention (each position sees only earlier ones: a language model). Default off, as the authors.")
    var causal = false
    @Flag(help: "Transformer: draw each encoder layer's initial weights independently (default: every layer starts as a copy of the first, as PyTorch's TransformerEncoder).")
    var independentLayers = false
    @Option(help: "Optimizer (PyTorch's equations). Default sgd.")
    var optimizer: OptimizerKind?
    @Option(help: "Learning rate η. Default 0.01.")
    var lr: Double?
    @Option(help: "Momentum μ for momentum/nesterov. Default 0.9.")
    var momentum: Double?
    @Option(help: "Adam β₁. Default 0.9.")
    var beta1: Double?
    @Option(help: "Adam β₂. Default 0.999.")
    var beta2: Double?
    @Option(help: "RMSprop smoothing constant α. Default 0.99.")
    var alpha: Double?
    @Option(help: "ε for adam/rmsprop (default 1e-8) and adagrad (default 1e-10).")
    var eps: Double?
    @Option(help: "Mini-batch size (≥ 1) or 'full' for full-batch gradient descent. Default 64.")
    var batchSize: String?
    @Option(help: "Number of updates to train for (exclusive with --epochs).")
    var steps: Int?
    @Option(help: "Number of passes over the training set (exclusive with --steps). Default 1 when neither is given.")
    var epochs: Int?
    @Option(help: "Evaluate on the test set every N steps (and after the last). Default 1000.")
    var evalEvery: Int?
    @Option(help: "Write a checkpoint every N steps (and on Ctrl-C and at the end). Default 5000.")
    var checkpointEvery: Int?
    @Option(help: "Keep the checkpoints at these points in checkpoints/ for later analysis (`criticality perturb --at epoch_50`): epochs, e.g. 50,100, or step:N.")
    var keepCheckpoints: String?
    @Option(help: "Seed of every random stream (initialization, shuffling, sampling). Default 1.")
    var seed: UInt64?
    @Option(help: "Threads a step computes on: 1, or 2 (more are accepted and use 2). Default: 2 where the machine has two cores. A run's numbers do not depend on it.")
    var threads: Int?
    @Option(help: "Training stages whose every |Δθ| is recorded: ascending START:END step ranges. Default 0:10000,20000:30000 (the paper's stages), clipped to the run; for the transformer 0:1000 and the last 1,000 steps.")
    var windows: String?
    @Option(help: "Uniform reservoir sample size per scope and window. Default 100000.")
    var reservoirSize: Int?
    @Option(help: "Fractions q of large updates for inter-event intervals (Fig. 5). Default 0.005,0.01.")
    var quantiles: String?
    @Flag(help: "Do not record update statistics (no observers, no replay).")
    var noUpdates = false
    @Option(help: "Steps per interval of the mutual information and β* (Fig. 3D). Default 200.")
    var informationInterval: Int?
    @Option(help: "Permutations of the MI shuffle null per interval. Default 3.")
    var informationNull: Int?
    @Option(help: "Memory the MI/β* observer may hold, in MiB; beyond it a fixed random subset of the weights is kept. Default 1024.")
    var informationBudget: Int?
    @Flag(help: "Do not record the mutual information and β* (Fig. 3D–E).")
    var noInformation = false
    @Option(help: "Steps between quadratic KL checks (Fig. 3B–C). Default 500.")
    var klEvery: Int?
    @Option(help: "Training images in the KL check's fixed probe set. Default 512 (the whole training set when smaller).")
    var klProbe: Int?
    @Flag(help: "Do not run the quadratic KL check.")
    var noKl = false
    @Option(help: "Run directory to create.")
    var out: String?
    @Flag(help: "Replace an existing run directory at --out.")
    var force = false

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number; got \(lr)") }
        for (flag, v) in [("steps", steps), ("epochs", epochs), ("eval-every", evalEvery), ("checkpoint-every", checkpointEvery),
                          ("threads", threads), ("reservoir-size", reservoirSize), ("kl-every", klEvery), ("kl-probe", klProbe),
                          ("information-budget", informationBudget), ("context", context)] {
            if let v, v < 1 { throw ValidationError("--\(flag) must be at least 1; got \(v)") }
        }
    }

    /// Flags over `file` over defaults; the run directory if either names one. A sweep's points are
    /// resolved here too (no flags, the point's settings as `file`), so a sweep means what `train` means.
    func resolve(file: ConfigFile?) throws -> (RunConfig, String?) {
        /// The flag's value, else the config file's for `key`, else nil.
        func pick<T>(_ flag: T?, _ key: ConfigKey, _ read: (ConfigFile, String) throws -> T?) rethrows -> T? {
            if let flag { return flag }
            guard let file else { return nil }
            return try read(file, key.rawValue)
        }
        func choice<T: ExpressibleByArgument>(_ flag: T?, _ key: ConfigKey) throws -> T? {
            try flag ?? file?.choice(key, as: T.self)
        }
        let modelName = try pick(model, .model) { try $0.string($1) } ?? "mlp5"
        let widthList = try widths.map { try parseIntList($0, flag: "widths") } ?? file?.intList(ConfigKey.widths.rawValue)
        var spec = try ModelSpec(model: modelName, widths: widthList, activation: try choice(activation, .activation) ?? .relu,
                                 initialization: try choice(initialization, .initialization) ?? .pytorchDefault)
        let contextValue = try pick(context, .context) { try $0.int($1) }
        let dropoutValue = try pick(dropout, .dropout) { try $0.double($1) }
        let causalKey = try file?.bool(ConfigKey.causal.rawValue), independentKey = try file?.bool(ConfigKey.independentLayers.rawValue)
        let isCausal = causal || causalKey == true, isIndependent = independentLayers || independentKey == true
        let transformerOnly: [(String, Bool)] = [("context", contextValue != nil), ("dropout", dropoutValue != nil),
                                                 ("causal", isCausal), ("independent-layers", isIndependent)]
        if var t = spec.transformer {
            if let v = contextValue { t.context = v }
            if let v = dropoutValue { t.dropout = v }
            t.causal = isCausal
            t.identicalLayers = !isIndependent
            spec.transformer = t
        } else if let (flag, _) = transformerOnly.first(where: { $0.1 }) {
            throw CriticalityError(.invalidArgument, "--\(flag) is a setting of the transformer; add --model transformer")
        }
        // The transformer's defaults are the authors' run (authors-code-notes.md §1.3).
        let transformer = spec.isTransformer
        var settings = OptimizerSettings(kind: try choice(optimizer, .optimizer) ?? .sgd,
                                         learningRate: try pick(lr, .lr) { try $0.double($1) } ?? (transformer ? 0.1 : 0.01))
        if let v = try pick(momentum, .momentum, { try $0.double($1) }) { settings.momentum = v }
        if let v = try pick(beta1, .beta1, { try $0.double($1) }) { settings.beta1 = v }
        if let v = try pick(beta2, .beta2, { try $0.double($1) }) { settings.beta2 = v }
        if let v = try pick(alpha, .alpha, { try $0.double($1) }) { settings.alpha = v }
        settings.epsilon = try pick(eps, .eps) { try $0.double($1) }

        var c = RunConfig(model: spec, optimizer: settings)
        c.loss = try choice(loss, .loss) ?? .crossEntropy
        c.dataset = try pick(dataset, .dataset) { try $0.string($1) } ?? (transformer ? "pangram" : "fashion-mnist")
        c.dataDirectory = try pick(dataDir, .dataDirectory) { try $0.string($1) }
        c.textFile = try pick(textFile, .textFile) { try $0.string($1) }
        c.textVocabulary = try choice(textVocabulary, .textVocabulary)
        c.batchSize = try BatchSize(parsing: try pick(batchSize, .batchSize) { try $0.string($1) } ?? (transformer ? "8" : "64"))
        c.steps = try pick(steps, .steps) { try $0.int($1) }
        c.epochs = try pick(epochs, .epochs) { try $0.int($1) }
        if transformer && c.steps == nil && c.epochs == nil { c.epochs = 10 }
        if steps != nil { c.epochs = nil }
        if epochs != nil { c.steps = nil }
        if c.steps != nil && c.epochs != nil {
            throw CriticalityError(.invalidArgument, "the config file sets both steps and epochs; keep one")
        }
        if let v = try pick(evalEvery, .evalEvery, { try $0.int($1) }) { c.evalEvery = v }
        if let v = try pick(checkpointEvery, .checkpointEvery, { try $0.int($1) }) { c.checkpointEvery = v }
        if let v = try pick(seed, .seed, { try $0.seed($1) }) { c.seed = v }
        c.threads = try pick(threads, .threads) { try $0.int($1) }
        if let k = try pick(keepCheckpoints, .keepCheckpoints, { try $0.string($1) }) {
            c.keepCheckpoints = try k.split(separator: ",").map { try CheckpointMark(parsing: String($0)) }
        }
        let updatesKey = try file?.bool(ConfigKey.updates.rawValue)  // checked even when --no-updates decides
        if noUpdates || updatesKey == false {
            c.updates = nil
        } else {
            var u = UpdateStatisticsSettings()
            if let w = try pick(windows, .windows, { try $0.string($1) }) { u.windows = try StepWindows(parsing: w) }
            if let r = try pick(reservoirSize, .reservoirSize, { try $0.int($1) }) {
                guard r >= 1 else { throw CriticalityError(.invalidArgument, "--reservoir-size must be ≥ 1; got \(r)") }
                u.reservoirSize = r
            }
            if let q = try pick(quantiles, .quantiles, { try $0.string($1) }) {
                u.quantiles = try q.split(separator: ",", omittingEmptySubsequences: false).map { part in
                    guard let v = DecimalText.double(part.trimmingCharacters(in: .whitespaces)), v > 0, v < 1 else {
                        throw CriticalityError(.invalidArgument, "--quantiles: '\(part)' is not a fraction in (0, 1) (e.g. 0.005,0.01)")
                    }
                    return v
                }
            }
            c.updates = u
        }
        let informationKey = try file?.bool(ConfigKey.information.rawValue)
        if noInformation || informationKey == false || transformer {  // MI, β* and the KL check are for classifiers
            c.information = nil
        } else {
            var s = InformationSettings()
            if let v = try pick(informationInterval, .informationInterval, { try $0.int($1) }) { s.interval = v }
            if let v = try pick(informationNull, .informationNull, { try $0.int($1) }) { s.nullPermutations = v }
            if let v = try pick(informationBudget, .informationBudget, { try $0.int($1) }) { s.budgetMiB = v }
            c.information = s
        }
        let klKey = try file?.bool(ConfigKey.kl.rawValue)
        if noKl || klKey == false || transformer {
            c.kl = nil
        } else {
            var s = QuadraticKLSettings()
            if let v = try pick(klEvery, .klEvery, { try $0.int($1) }) { s.every = v }
            if let v = try pick(klProbe, .klProbe, { try $0.int($1) }) { s.probe = v }
            c.kl = s
        }
        try c.validate()
        return (c, try pick(out, .out, { try $0.string($1) }))
    }

    /// The transformer's default windows (steps 0–999 and the last 1,000) depend on the run's length,
    /// known once the data are: applied where neither a flag nor `file` chose windows.
    func applyTransformerWindows(_ config: inout RunConfig, file: ConfigFile?, data: DatasetPair) throws {
        guard config.model.isTransformer, windows == nil, try file?.string(ConfigKey.windows.rawValue) == nil else { return }
        config.updates?.windows = .transformerDefault(totalSteps: try config.train.totalSteps(datasetSize: data.train.count))
    }

    func run() throws {
        do {
            let file = try config.map(ConfigFile.init(path:))
            var (config, out) = try resolve(file: file)
            guard let outPath = out else {
                throw CriticalityError(.invalidArgument, "--out is required: the run directory to create (e.g. --out runs/mlp5-sgd)")
            }
            let data = try config.train.loadData()
            try applyTransformerWindows(&config, file: file, data: data)
            let lock = try prepareOutput(outPath, force: force)
            try runTraining(config: config, data: data, runPath: outPath, resume: false, lock: lock)
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}

/// Shared by train and resume: builds the trainer, wires progress and Ctrl-C, reports the result.
func runTraining(config: RunConfig, data: DatasetPair, runPath: String, resume: Bool, lock: RunLock? = nil) throws {
    let trainer = try Trainer(config: config, data: data, runPath: runPath,
                              makeObservers: StandardObservers.make(for: config), resume: resume, lock: lock)
    trainer.command = CommandLine.arguments
    let display = ProgressDisplay(label: (runPath as NSString).lastPathComponent)
    trainer.progress = display.update
    Interrupt.install()
    trainer.shouldStop = { Interrupt.requested != 0 }
    let outcome = try trainer.run()
    switch outcome {
    case .completed:
        let m = try RunManifest.read(RunDirectory(runPath))
        if let f = m.final, let h = m.dataset.unigramEntropy {
            // A text's held-out part is its validation set; the pangram's evaluation windows are its own text.
            let what = m.config.dataset == "text" ? "validation loss" : "loss on the text's non-overlapping windows"
            print(String(format: "%@: %ld steps, %@ %.4f nats per character (perplexity %.2f; the text's unigram entropy %.4f), next-character accuracy %.2f%%, %.0f steps/s",
                         runPath, f.step, what as NSString, f.testLoss, exp(f.testLoss), h, 100 * f.testAccuracy, m.timing.stepsPerSecond))
        } else if let f = m.final {
            print(String(format: "%@: %ld steps, test accuracy %.2f%%, test loss %.4f, %.0f steps/s",
                         runPath, f.step, 100 * f.testAccuracy, f.testLoss, m.timing.stepsPerSecond))
        }
    case .interrupted(let step):
        throw CriticalityError(.interrupted, "interrupted at step \(step); checkpoint written. Continue with: criticality resume \(runPath)")
    }
}
