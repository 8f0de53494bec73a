import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityRun
import CriticalityStats
import Foundation

/// What the report needs from one run directory (or `analyze-updates` output), read once.
public struct RunData: Sendable {
    public struct Window: Sendable {
        public var folder: String
        public var range: Range<Int>
        public var path: String
        public var summary: UpdateStatisticsSummary.Window
        public var fits: RunAnalysis.WindowFits?

        /// A 1-D array of this window's folder, or nil if missing.
        public func array(_ array: UpdateStatisticsArray) -> [Double]? {
            try? Npy.readDoubles(path: UpdateWindowFolder(path).path(array)).values
        }
        public func fits(scope: String) -> RunAnalysis.ScopeFits? { fits?.scopes.first { $0.scope == scope } }
    }

    public var path: String
    public var name: String
    public var manifest: RunManifest?
    public var steps: [Double] = []
    public var trainLoss: [Double] = []
    public var evalSteps: [Double] = []
    public var testAccuracy: [Double] = []
    public var windows: [Window] = []
    public var layers: [String] = []
    /// The perturbation scans of `criticality perturb` (`landscape/`), if any.
    public var landscape: LandscapeData?
    /// The MI and β* series (`observers/information/summary.json`), if the run recorded them.
    public var information: InformationObserver.Summary?
    /// The quadratic KL checks (`observers/kl/summary.json`), if any.
    public var kl: QuadraticKLObserver.Summary?
    /// The gradient noise of `criticality noise` (`noise/summary.json`), if any.
    public var noise: GradientNoiseSummary?
    /// What could not be read, one sentence each (shown in the report rather than silently dropped).
    public var problems: [String] = []

    /// Reads `path`; a missing piece leaves its field empty (the figures then say there is no data).
    public init(path: String) throws {
        self.path = path
        let run = RunDirectory(path)
        name = run.name
        let fm = FileManager.default
        guard run.exists else {
            throw CriticalityError(.fileNotFound, "\(path): neither \(run.manifest) nor \(run.updateStatistics.summary); is this a run directory?")
        }
        if fm.fileExists(atPath: run.manifest) {
            do { manifest = try RunManifest.read(run) } catch { problems.append(RunData.describe(error)) }
        }
        if fm.fileExists(atPath: run.metrics) {
            do {
                let m = try MetricsTable(path: run.metrics)
                steps = m.steps; trainLoss = m.trainLoss; evalSteps = m.evaluationSteps; testAccuracy = m.testAccuracy
            } catch { problems.append(RunData.describe(error)) }
        }
        do { landscape = try LandscapeData(name: name, folder: run.landscape) } catch {
            problems.append("\(run.landscape.summary): \(RunData.describe(error)); run `criticality perturb \(path)` again")
        }
        if fm.fileExists(atPath: run.information.summary) {
            do { information = try FileOutput.readJSON(InformationObserver.Summary.self, from: run.information.summary) } catch {
                problems.append(RunData.describe(error))
            }
        }
        let klSummary = run.observer(QuadraticKLObserver.observerName) + "/summary.json"
        if fm.fileExists(atPath: klSummary) {
            do { kl = try FileOutput.readJSON(QuadraticKLObserver.Summary.self, from: klSummary) } catch { problems.append(RunData.describe(error)) }
        }
        if fm.fileExists(atPath: run.noise.summary) {
            do { noise = try FileOutput.readJSON(GradientNoiseSummary.self, from: run.noise.summary) } catch { problems.append(RunData.describe(error)) }
        }
        let output = run.updateStatistics
        guard fm.fileExists(atPath: output.summary) else { return }
        let summary: UpdateStatisticsSummary
        do { summary = try UpdateStatisticsSummary.read(output.summary) } catch {
            problems.append(RunData.describe(error))
            return
        }
        var fits: RunAnalysis?
        if fm.fileExists(atPath: output.fits) {
            let parses = fm.contents(atPath: output.fits).flatMap { try? JSONSerialization.jsonObject(with: $0) } != nil
            if !parses {
                problems.append("\(output.fits) could not be read (not valid JSON); run `criticality analyze \(path)` again")
            } else if !RunAnalysis.isCurrent(run: path) {
                problems.append("\(output.fits) is missing its version or from an earlier fitting procedure; run `criticality analyze \(path)` (or `report` without --no-analyze)")
            } else {
                do { fits = try FileOutput.readJSON(RunAnalysis.self, from: output.fits) } catch {
                    problems.append("\(output.fits) could not be read (\(RunData.describe(error))); run `criticality analyze \(path)` again")
                }
            }
        }
        windows = summary.windows.map { w in
            Window(folder: w.folder, range: w.start..<w.end, path: output.window(w.folder).path, summary: w,
                   fits: fits?.windows.first { $0.folder == w.folder })
        }
        layers = summary.windows.first?.scopes.filter { $0.kind == "layer" }.map(\.scope) ?? []
    }

    private static func describe(_ error: Error) -> String { (error as? CriticalityError)?.message ?? "\(error)" }

    /// An in-memory run (for tests and for callers that already hold the pieces).
    public init(name: String, manifest: RunManifest? = nil, windows: [Window] = []) {
        path = name; self.name = name; self.manifest = manifest; self.windows = windows
    }

    /// "mlp5 · sgd lr 0.01 · batch 64" for legends and tables.
    public var label: String {
        guard let c = manifest?.config else { return name }
        return "\(c.model.model) · \(c.optimizer.kind.rawValue) lr \(c.optimizer.learningRate) · batch \(c.batchSize)"
    }

    public var isConvolutional: Bool { manifest?.config.model.isConvolutional ?? false }
    /// Whether the run is the character Transformer (SI S5).
    public var isTransformer: Bool { manifest?.config.model.isTransformer ?? false }

    /// Whether the run recorded update statistics (a run made only for the landscape has none).
    public var recordsUpdates: Bool { manifest.map { $0.config.updates != nil } ?? true }
}
