import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityRun
import CriticalityRunDirectory
import Foundation

/// `criticality bench --perturb`: the paper's perturbation scan (Fig. 4) — mlp5 trained with SGD
/// (lr 0.01, batch 64), `perLayer` parameters per layer, δ ∈ {0.01, 1}, both signs, L over the whole
/// training set — timed against the naive method (one full double-precision forward pass per trial) on
/// a sample of trials, extrapolated to the scan's trial count, in the same run.
public struct PerturbationBenchResult: Codable, Sendable {
    public var dataset: String
    public var samples: Int
    public var epochs: Int
    public var parametersScanned: Int
    /// Losses computed: parameters × δ × signs.
    public var losses: Int
    public var threads: Int
    public var scanSeconds: Double
    /// Median seconds of one naive trial, over `naiveTrials` trials.
    public var naiveSecondsPerLoss: Double
    public var naiveTrials: Int
    /// naiveSecondsPerLoss × losses.
    public var naiveSecondsExtrapolated: Double
    /// naiveSecondsExtrapolated / scanSeconds.
    public var speedup: Double
    /// The authors' method for comparison: one Float32 forward pass of the training engine per loss
    /// (median), which cannot resolve a response below ~10⁻⁷ of L; and that × losses.
    public var float32SecondsPerLoss: Double
    public var float32SecondsExtrapolated: Double

    enum CodingKeys: String, CodingKey {
        case dataset, samples, epochs, parametersScanned = "parameters_scanned", losses, threads, scanSeconds = "scan_seconds"
        case naiveSecondsPerLoss = "naive_seconds_per_loss", naiveTrials = "naive_trials"
        case naiveSecondsExtrapolated = "naive_seconds_extrapolated", speedup
        case float32SecondsPerLoss = "float32_seconds_per_loss", float32SecondsExtrapolated = "float32_seconds_extrapolated"
    }
}

extension Benchmarks {
    public static func perturbation(data: DatasetPair, epochs: Int, perLayer: Int, naiveTrials: Int, threads: Int,
                                    progress: ((String) -> Void)? = nil) throws -> PerturbationBenchResult {
        var c = RunConfig(model: try ModelSpec(model: "mlp5"), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.dataset = data.train.name
        c.batchSize = .samples(64)
        c.epochs = epochs
        c.updates = nil
        c.threads = threads
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("criticality-bench-perturb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        progress?("training mlp5 for \(epochs) epoch(s)")
        let trainer = try Trainer(config: c, data: data, runPath: dir)
        try trainer.run()
        let network = trainer.network
        let drawn = try Perturbation.drawParameters(layout: network.layout, perLayer: perLayer, seed: 1)
        let eval = try EvaluationNetwork(network)
        let pair = WorkerPair.forThreads(threads)
        let scan = try PerturbationScan(network: eval, loss: .crossEntropy, set: data.train, memoryBytes: 4096 << 20, pair: pair)
        let shifts = [0.01, -0.01, 1, -1]
        progress?("scanning \(drawn.count) parameters × \(shifts.count) shifts")
        let t0 = Date()
        _ = try scan.run(parameters: drawn.map(\.parameter), shifts: shifts)
        let scanSeconds = Date().timeIntervalSince(t0)
        progress?("timing \(naiveTrials) naive trials")
        var rng = RNG(seed: 2, stream: .probe)
        var times: [Double] = []
        for _ in 0..<naiveTrials {
            let k = drawn[rng.uniformInt(below: drawn.count)].parameter
            let t = Date()
            _ = scan.naiveLoss(parameter: k, shift: shifts[rng.uniformInt(below: shifts.count)])
            times.append(Date().timeIntervalSince(t))
        }
        times.sort()
        let perLoss = times[times.count / 2]
        var float32: [Double] = []
        for _ in 0..<naiveTrials {
            let k = drawn[rng.uniformInt(below: drawn.count)].parameter
            let original = network.parameters[k]
            network.parameters[k] = original + 1
            let t = Date()
            _ = trainer.engine.evaluate(data.train)
            float32.append(Date().timeIntervalSince(t))
            network.parameters[k] = original
        }
        float32.sort()
        let losses = drawn.count * shifts.count
        return PerturbationBenchResult(dataset: data.train.name, samples: data.train.count, epochs: epochs, parametersScanned: drawn.count,
                                       losses: losses, threads: pair.threads, scanSeconds: scanSeconds, naiveSecondsPerLoss: perLoss,
                                       naiveTrials: naiveTrials, naiveSecondsExtrapolated: perLoss * Double(losses),
                                       speedup: perLoss * Double(losses) / scanSeconds,
                                       float32SecondsPerLoss: float32[float32.count / 2],
                                       float32SecondsExtrapolated: float32[float32.count / 2] * Double(losses))
    }
}
