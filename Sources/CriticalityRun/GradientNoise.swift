import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// Settings of `criticality noise`: the mini-batch gradient noise at a checkpoint (SI S13).
public struct GradientNoiseSettings: Codable, Equatable, Sendable {
    /// Kept checkpoints and/or "final"; empty: every kept checkpoint, else "final".
    public var at: [String] = []
    /// Mini-batches M drawn at the checkpoint.
    public var batches = 2000
    public var batchSize = 64
    /// Parameters per layer (weights and biases together, drawn without replacement as `perturb` draws).
    public var perLayer = 16
    public var seed: UInt64 = 1

    public init() {}
    enum CodingKeys: String, CodingKey { case at, batches, batchSize = "batch_size", perLayer = "per_layer", seed }

    public func validate() throws {
        guard batches >= 20 else { throw CriticalityError(.invalidArgument, "'batches' must be at least 20 (a normality test needs 20 values per parameter); got \(batches)") }
        guard batchSize >= 1 else { throw CriticalityError(.invalidArgument, "'batch-size' must be at least 1; got \(batchSize)") }
        guard perLayer >= 1 else { throw CriticalityError(.invalidArgument, "'per-layer' must be at least 1; got \(perLayer)") }
    }
}

/// `noise/summary.json`.
public struct GradientNoiseSummary: Codable, Sendable {
    public var settings: GradientNoiseSettings
    public var sources: [Source] = []

    public struct Source: Codable, Sendable {
        public var source: String
        public var step: Int?
        public var layers: [Layer]
        public var seconds: Double
        public var gradientsFile: String, fullGradientFile: String, parametersFile: String
        enum CodingKeys: String, CodingKey {
            case source, step, layers, seconds, gradientsFile = "gradients_file", fullGradientFile = "full_gradient_file", parametersFile = "parameters_file"
        }
    }

    /// One layer's parameters: the noise of each standardised by its own s.d. and pooled, the fraction of
    /// parameters whose own noise passes the normality test at 5 %, and the pooled SGD updates −η·g.
    public struct Layer: Codable, Sendable {
        public var layer: String
        public var parameters: Int
        /// Pooled ξ/σ̂ (each parameter's noise standardised by its own normal fit).
        public var noise: Gaussianity
        /// Fraction of the layer's parameters with normality p ≥ 0.05, and the median p.
        public var gaussianFraction: Double, medianP: Double
        /// The SGD updates −η·g of every mini-batch, pooled over the layer's parameters unstandardised
        /// (as the update statistics pool |Δθ|): the scale mixture whose tail the paper fits.
        public var updates: Gaussianity
        enum CodingKeys: String, CodingKey {
            case layer, parameters, noise, gaussianFraction = "gaussian_fraction", medianP = "median_p", updates
        }
    }
}

/// Mini-batch gradient noise at a checkpoint (SI S13; authors-code-notes.md §5: "mini-batch gradients …
/// Gaussian", parameters, M and checkpoint lost): the full-batch gradient ḡ (the mean of the mini-batch
/// gradients over one ordered pass through the training set in batches of `batchSize` — for models
/// without batch norm the exact full gradient), M mini-batch gradients g_m (each batch drawn uniformly
/// without replacement from the run's seed), and for a fixed draw of parameters per layer the noise
/// ξ_m = g_m − ḡ. The statistics per layer: `GradientNoiseSummary.Layer`.
public enum GradientNoise {
    public typealias Progress = (String, Double) -> Void

    /// The noise ξ = g − ḡ of parameters `columns` (of `gradients`, `batches` rows × `full.count`),
    /// each standardised by its own normal fit and pooled, and each one's normality p. A parameter
    /// with no noise at all (a dead unit) is left out.
    public static func pooledNoise(gradients g: [Double], full: [Double], batches: Int, columns: [Int]) -> (pooled: [Double], p: [Double]) {
        let p = full.count
        var pooled: [Double] = [], ps: [Double] = []
        for j in columns {
            let xi = (0..<batches).map { g[$0 * p + j] - full[j] }
            guard let one = try? Gaussianity(xi) else { continue }
            ps.append(one.p)
            pooled += xi.map { ($0 - one.mean) / one.sd }
        }
        return (pooled, ps)
    }

    public static func run(_ run: RunDirectory, settings: GradientNoiseSettings, dataDirectory: String? = nil, threads: Int,
                           progress: Progress? = nil) throws -> GradientNoiseSummary {
        try settings.validate()
        let manifest = try RunManifest.read(run)
        let lock = try RunLock(run: run.path)
        defer { withExtendedLifetime(lock) {} }
        let sources = try Perturbation.sources(at: settings.at, run: run, manifest: manifest)
        let data = try Perturbation.trainingData(run, manifest: manifest, dataDirectory: dataDirectory)
        guard settings.batchSize <= data.train.count else {
            throw CriticalityError(.invalidArgument, "--batch-size \(settings.batchSize) is larger than the training set (\(data.train.count) samples)")
        }
        let pair = WorkerPair.forThreads(threads)
        let network = try manifest.config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount,
                                                            maxBatch: settings.batchSize, pair: pair)
        let loss = Loss(kind: manifest.config.loss, classCount: data.train.classCount, maxBatch: settings.batchSize)
        let drawn = try Perturbation.drawParameters(layout: network.layout, perLayer: settings.perLayer, seed: settings.seed)
        var names: [String] = []
        for s in network.layout.segments where !names.contains(s.layer) { names.append(s.layer) }
        let folder = run.noise
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        FileOutput.removeStaleTemporaries(under: folder.path)
        var summary = GradientNoiseSummary(settings: settings)
        let lr = manifest.config.optimizer.learningRate
        let input = FloatBuffer(count: settings.batchSize * data.train.featureCount)
        var labels = [Int32](repeating: 0, count: settings.batchSize)
        let p = drawn.count, d = data.train.featureCount

        /// ∂(mean loss)/∂θ of the samples `indices` into `network.gradients`.
        func gradient(_ indices: ArraySlice<Int>) {
            var r = 0
            data.train.inputs.withUnsafeBufferPointer { src in
                for i in indices {
                    (input.pointer + r * d).update(from: src.baseAddress! + i * d, count: d)
                    labels[r] = data.train.labels[i]
                    r += 1
                }
            }
            let logits = network.forward(input.pointer, batch: r, training: true)
            var correct = 0
            _ = labels.withUnsafeBufferPointer { loss.evaluate(logits: logits, labels: $0.baseAddress!, batch: r, computeGradient: true, correct: &correct) }
            network.backward(loss.gradient.pointer, batch: r)
        }

        for source in sources {
            let started = Date()
            try Checkpoint.loadModel(parameters: source.parameters, buffers: source.buffers, into: network.parameters, buffers: network.stateBuffers)
            let saved = network.stateBuffers.map { $0.array }  // batch norm's running statistics stay as loaded
            var full = [Double](repeating: 0, count: p)
            let n = data.train.count
            var start = 0
            let all = Array(0..<n)
            while start < n {
                let end = min(start + settings.batchSize, n)
                gradient(all[start..<end])
                let w = Double(end - start) / Double(n)
                for (j, q) in drawn.enumerated() { full[j] += w * Double(network.gradients[q.parameter]) }
                start = end
                progress?("noise \(source.name): full gradient", 0.5 * Double(start) / Double(n))
            }
            var rng = RNG(seed: settings.seed, stream: .fisher, index: 2)
            var order = all
            var g = [Double](repeating: 0, count: settings.batches * p)
            for m in 0..<settings.batches {
                for i in 0..<settings.batchSize { order.swapAt(i, i + rng.uniformInt(below: n - i)) }
                gradient(order[0..<settings.batchSize])
                for (j, q) in drawn.enumerated() { g[m * p + j] = Double(network.gradients[q.parameter]) }
                if m % 50 == 0 { progress?("noise \(source.name): mini-batches", 0.5 + 0.5 * Double(m) / Double(settings.batches)) }
            }
            for (b, v) in zip(network.stateBuffers, saved) { for i in 0..<b.count { b[i] = v[i] } }
            var layers: [GradientNoiseSummary.Layer] = []
            for (li, name) in names.enumerated() {
                let cols = drawn.indices.filter { drawn[$0].layer == li }
                guard !cols.isEmpty else { continue }
                let (pooled, ps) = pooledNoise(gradients: g, full: full, batches: settings.batches, columns: cols)
                var updates: [Double] = []
                for j in cols { updates += (0..<settings.batches).map { -lr * g[$0 * p + j] } }
                guard pooled.count >= 20, let noise = try? Gaussianity(pooled), let upd = try? Gaussianity(updates) else { continue }
                let sortedP = ps.sorted()
                layers.append(.init(layer: name, parameters: cols.count, noise: noise,
                                    gaussianFraction: Double(ps.filter { $0 >= 0.05 }.count) / Double(max(ps.count, 1)),
                                    medianP: sortedP.isEmpty ? .nan : sortedP[sortedP.count / 2], updates: upd))
            }
            let gName = "\(source.name)_gradients.npy", fName = "\(source.name)_full_gradient.npy", pName = "\(source.name)_parameters.npy"
            try FileOutput.writeNpy(g, shape: [settings.batches, p], to: folder.path + "/" + gName)
            try FileOutput.writeNpy(full, to: folder.path + "/" + fName)
            try FileOutput.writeNpy(drawn.flatMap { [Int64($0.layer), Int64($0.parameter)] }, shape: [p, 2], to: folder.path + "/" + pName)
            summary.sources.append(.init(source: source.name, step: source.step, layers: layers, seconds: Date().timeIntervalSince(started),
                                         gradientsFile: gName, fullGradientFile: fName, parametersFile: pName))
            try FileOutput.writeJSON(summary, to: folder.summary)
        }
        return summary
    }
}
