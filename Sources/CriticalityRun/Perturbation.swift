import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// The sign of a perturbation θ_k → θ_k ± δ.
public enum PerturbationSign: String, Codable, CaseIterable, Sendable {
    case plus, minus
    public var factor: Double { self == .plus ? 1 : -1 }
}

/// What `criticality perturb` scans (its flags).
public struct PerturbationSettings: Codable, Equatable, Sendable {
    /// Kept checkpoints ("epoch_50") and/or "final"; empty: every kept checkpoint, else the final θ.
    public var at: [String] = []
    public var deltas: [Double] = [0.01, 1]
    public var signs: [PerturbationSign] = [.plus, .minus]
    /// Parameters drawn per layer (weights and biases together), uniformly without replacement; all of
    /// a layer's when it has fewer. The same indices for every δ, sign and checkpoint.
    public var perLayer = 5000
    /// Seed of the draw.
    public var seed: UInt64 = 1
    /// Layers to scan (names of the layout, e.g. fc1); nil: all.
    public var layers: [String]?
    /// Also scan the loss on the test set.
    public var testSet = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case at, deltas, signs, perLayer = "per_layer", seed, layers, testSet = "test_set"
    }

    /// Every value a user can get wrong, named as the flag.
    public func validate() throws {
        guard perLayer >= 1 else { throw CriticalityError(.invalidArgument, "'per-layer' must be at least 1; got \(perLayer)") }
        guard !deltas.isEmpty else { throw CriticalityError(.invalidArgument, "'deltas' is empty; give at least one δ, e.g. 0.01,1") }
        for d in deltas where !(d.isFinite && d > 0) {
            throw CriticalityError(.invalidArgument, "'deltas': δ = \(d) is not a finite positive number (the sign is given by 'signs')")
        }
        guard Set(deltas).count == deltas.count else { throw CriticalityError(.invalidArgument, "'deltas' lists a δ twice: \(deltas)") }
        guard !signs.isEmpty, Set(signs).count == signs.count else {
            throw CriticalityError(.invalidArgument, "'signs' must list plus and/or minus once each; got \(signs.map(\.rawValue))")
        }
    }
}

/// `landscape/summary.json`: the settings, and for every scanned source its L(θ), timing, files and the
/// analysis of each response set (docs/run-directory.md).
public struct LandscapeSummary: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    /// "perturbation" (a run's scan) or "synthetic" (`criticality landscape`).
    public var kind: String
    public var criticalityVersion = RunManifest.criticalityVersion
    public var settings: PerturbationSettings?
    public var synthetic: SyntheticLandscapeSettings?
    public var sources: [Source] = []

    public struct Source: Codable, Sendable {
        /// "epoch_50", "final", "epoch_50_test", or a curvature law.
        public var source: String
        /// "train", "test" or "synthetic".
        public var set: String
        public var step: Int?
        public var samples: Int
        /// L(θ) (mean loss over the set; Σ f for a synthetic landscape: 0 for the responses' sake).
        public var lossBefore: Double
        public var trials: Int
        public var seconds: Double
        public var trialsFile: String
        public var responses: [ResponseSet]
    }

    public struct ResponseSet: Codable, Sendable {
        public var delta: Double
        public var sign: PerturbationSign
        public var file: String
        public var analysis: ResponseAnalysis
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, criticalityVersion = "criticality_version", settings, synthetic, sources
    }

    public static func read(_ path: String) throws -> LandscapeSummary {
        try SchemaVersion.readJSON(LandscapeSummary.self, from: path, document: "a landscape summary")
    }
}

extension LandscapeSummary.Source {
    enum CodingKeys: String, CodingKey {
        case source, set, step, samples, lossBefore = "loss_before", trials, seconds, trialsFile = "trials_file", responses
    }
}

/// `criticality perturb RUN`: the exact single-parameter perturbation scan of a trained run (Fig. 4)
/// into `RUN/landscape/`, resumable source by source.
public enum Perturbation {
    /// Progress: the source being scanned and the fraction of it done.
    public typealias Progress = (_ source: String, _ fraction: Double) -> Void

    /// The parameters to perturb: for each layer of `layout` (in order; its weights and biases together)
    /// `perLayer` indices drawn uniformly without replacement (partial Fisher–Yates on the layer's
    /// indices, from `seed`), or all of them when it has fewer; ascending within a layer. Returns the
    /// layer index (in the order of the layout's distinct layer names) and θ index of each.
    public static func drawParameters(layout: ParameterLayout, perLayer: Int, seed: UInt64, layers: [String]? = nil) throws -> [(layer: Int, parameter: Int)] {
        var names: [String] = []
        for s in layout.segments where !names.contains(s.layer) { names.append(s.layer) }
        if let wanted = layers {
            for w in wanted where !names.contains(w) {
                throw CriticalityError(.invalidArgument, "'layers': the model has no layer '\(w)'; its layers are \(names.joined(separator: ", "))")
            }
        }
        var rng = RNG(seed: seed, stream: .perturbation)
        var out: [(Int, Int)] = []
        for (li, name) in names.enumerated() {
            let pool = layout.segments.filter { $0.layer == name }.flatMap { Array($0.range) }
            // Drawn for every layer, scanned or not, so that choosing layers does not move the others' indices.
            var chosen = pool
            let n = min(perLayer, pool.count)
            if n < pool.count {
                for i in 0..<n { chosen.swapAt(i, i + rng.uniformInt(below: pool.count - i)) }
                chosen = Array(chosen[0..<n]).sorted()
            }
            if layers == nil || layers!.contains(name) { out += chosen.map { (li, $0) } }
        }
        return out
    }

    /// The dataset `run` was trained on, checked against the manifest's sizes (perturb, noise).
    static func trainingData(_ run: RunDirectory, manifest: RunManifest, dataDirectory: String?) throws -> DatasetPair {
        let data: DatasetPair
        do {
            data = try manifest.config.train.loadData(directory: dataDirectory)
        } catch let e as CriticalityError {
            throw CriticalityError(e.kind, "\(run.path) was trained on \(manifest.config.dataset)\(manifest.config.dataDirectory.map { " from \($0)" } ?? ""), which cannot be loaded: \(e.message). Point --data-dir at the dataset's files")
        }
        guard data.train.count == manifest.dataset.trainCount, data.train.sampleShape == manifest.dataset.sampleShape else {
            throw CriticalityError(.invalidArgument, "\(run.path) was trained on \(manifest.dataset.trainCount) samples of shape \(manifest.dataset.sampleShape), but \(manifest.config.dataset) now has \(data.train.count) of shape \(data.train.sampleShape); point --data-dir at the files it was trained on")
        }
        return data
    }

    /// The sources `at` names for `run` (kept checkpoint folders or "final"; empty: every kept
    /// checkpoint, else "final"), each with its θ folder (perturb, noise).
    static func sources(at: [String], run: RunDirectory, manifest: RunManifest) throws -> [(name: String, step: Int?, parameters: String, buffers: String)] {
        let kept = manifest.keptCheckpoints ?? []
        var names = at
        if names.isEmpty { names = kept.isEmpty ? ["final"] : kept.map { (($0.path as NSString).lastPathComponent) } }
        return try names.map { name in
            if name == "final" {
                guard manifest.status == "complete", FileManager.default.fileExists(atPath: run.parameters) else {
                    throw CriticalityError(.invalidArgument, "\(run.path): the run is \(manifest.status), so it has no final parameters; finish it (`criticality resume \(run.path)`) or name a kept checkpoint with --at")
                }
                return (name, manifest.stepsCompleted, run.parameters, run.buffers)
            }
            guard let k = kept.first(where: { ($0.path as NSString).lastPathComponent == name || $0.mark == name }) else {
                let list = kept.map { ($0.path as NSString).lastPathComponent }
                throw CriticalityError(.invalidArgument, "--at \(name): \(run.path) kept no such checkpoint; it kept \(list.isEmpty ? "none (train with --keep-checkpoints)" : list.joined(separator: ", ")), or use 'final'")
            }
            let folder = run.keptCheckpoint((k.path as NSString).lastPathComponent)
            try Checkpoint.verify(folder, state: try Checkpoint.readState(folder))
            return ((k.path as NSString).lastPathComponent, k.step, folder.parameters, folder.buffers)
        }
    }

    /// Scans `run` with `settings` into `run/landscape/`, holding at most `memoryBytes` of activations
    /// at once, on `threads` threads. A source already in `summary.json` with the same settings is kept
    /// (a rerun after an interruption resumes at the next source); different settings are refused
    /// unless `replace`. Each array is written whole (temporary name, then rename).
    @discardableResult
    public static func run(_ run: RunDirectory, settings: PerturbationSettings, memoryBytes: Int, threads: Int,
                           dataDirectory: String? = nil, replace: Bool = false, progress: Progress? = nil) throws -> LandscapeSummary {
        try settings.validate()
        let manifest = try RunManifest.read(run)
        let lock = try RunLock(run: run.path)
        defer { withExtendedLifetime(lock) {} }
        // What to perturb is checked before anything on disk is compared or replaced.
        let sources = try sources(at: settings.at, run: run, manifest: manifest)
        let folder = run.landscape
        let fm = FileManager.default
        var summary = LandscapeSummary(kind: "perturbation", settings: settings)
        if fm.fileExists(atPath: folder.summary) {
            let old = try LandscapeSummary.read(folder.summary)
            if old.settings == settings {
                summary.sources = old.sources.filter { s in
                    fm.fileExists(atPath: folder.path + "/" + s.trialsFile) && s.responses.allSatisfy { fm.fileExists(atPath: folder.path + "/" + $0.file) }
                }
            } else if replace {
                try fm.removeItem(atPath: folder.path)
            } else {
                throw CriticalityError(.invalidArgument, "\(folder.path) holds a scan with other settings; replace it (--force) or move it away first")
            }
        }
        FileOutput.removeStaleTemporaries(under: run.path)
        let data = try trainingData(run, manifest: manifest, dataDirectory: dataDirectory)
        let network = try manifest.config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount, maxBatch: 1)
        let drawn = try drawParameters(layout: network.layout, perLayer: settings.perLayer, seed: settings.seed, layers: settings.layers)
        try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let pair = WorkerPair.forThreads(threads)
        var sets: [(String, Dataset)] = [("train", data.train)]
        if settings.testSet { sets.append(("test", data.test)) }
        for source in sources {
            for (setName, set) in sets {
                let name = setName == "train" ? source.name : source.name + "_test"
                if summary.sources.contains(where: { $0.source == name }) { continue }
                try Checkpoint.loadModel(parameters: source.parameters, buffers: source.buffers, into: network.parameters,
                                         buffers: network.stateBuffers)
                let started = Date()
                let scan = try PerturbationScan(network: try EvaluationNetwork(network), loss: manifest.config.loss, set: set,
                                                memoryBytes: memoryBytes, pair: pair)
                var shifts: [Double] = []
                for d in settings.deltas { for s in settings.signs { shifts.append(s.factor * d) } }
                let result = try scan.run(parameters: drawn.map(\.parameter), shifts: shifts) { progress?(name, $0) }
                let seconds = Date().timeIntervalSince(started)
                summary.sources.append(try write(result, source: name, set: setName, step: source.step, drawn: drawn,
                                                 settings: settings, seconds: seconds, into: folder))
                try FileOutput.writeJSON(summary, to: folder.summary)
            }
        }
        try FileOutput.writeJSON(summary, to: folder.summary)
        return summary
    }

    /// Writes one source's response arrays and trial table, and returns its summary with the analyses.
    static func write(_ result: PerturbationScan.Result, source: String, set: String, step: Int?, drawn: [(layer: Int, parameter: Int)],
                      settings: PerturbationSettings, seconds: Double, into folder: LandscapeFolder) throws -> LandscapeSummary.Source {
        let perTrial = settings.deltas.count * settings.signs.count
        var table: [Double] = []
        table.reserveCapacity(drawn.count * perTrial * 6)
        var responses: [LandscapeSummary.ResponseSet] = []
        for (di, delta) in settings.deltas.enumerated() {
            for (si, sign) in settings.signs.enumerated() {
                let d = di * settings.signs.count + si
                let values = drawn.indices.map { abs(result.changes[$0 * perTrial + d]) }
                let file = LandscapeFolder.responsesName(source: source, delta: delta, sign: sign.rawValue)
                try FileOutput.writeNpy(values, to: folder.path + "/" + file)
                let analysis = try ResponseAnalysis.analyze(values, delta: delta, source: file)
                responses.append(.init(delta: delta, sign: sign, file: file, analysis: analysis))
            }
        }
        for (t, p) in drawn.enumerated() {
            for (di, delta) in settings.deltas.enumerated() {
                for (si, sign) in settings.signs.enumerated() {
                    let change = result.changes[t * perTrial + di * settings.signs.count + si]
                    table += [Double(p.layer), Double(p.parameter), sign.factor, delta, result.lossBefore, result.lossBefore + change]
                }
            }
        }
        let trials = LandscapeFolder.trialsName(source: source)
        try FileOutput.writeNpy(table, shape: [drawn.count * perTrial, LandscapeFolder.trialColumns.count], to: folder.path + "/" + trials)
        return .init(source: source, set: set, step: step, samples: result.sampleCount, lossBefore: result.lossBefore,
                     trials: drawn.count * perTrial, seconds: seconds, trialsFile: trials, responses: responses)
    }
}
