import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
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
        public func array(_ name: String) -> [Double]? { try? Npy.readDoubles(path: path + "/" + name).values }
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
    /// What could not be read, one sentence each (shown in the report rather than silently dropped).
    public var problems: [String] = []

    /// Reads `path`; a missing piece leaves its field empty (the figures then say there is no data).
    public init(path: String) throws {
        self.path = path
        name = (path as NSString).lastPathComponent
        manifest = try? FileOutput.readJSON(RunManifest.self, from: path + "/manifest.json")
        if let text = try? String(contentsOfFile: path + "/metrics.csv", encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                guard f.count >= 6, let s = Double(f[0]), let l = Double(f[2]) else { continue }
                steps.append(s); trainLoss.append(l)
                if let a = Double(f[5]) { evalSteps.append(s + 1); testAccuracy.append(a) }
            }
        }
        let dir = path + "/observers/updates"
        guard let summary = try? FileOutput.readJSON(UpdateStatisticsSummary.self, from: dir + "/summary.json") else {
            if manifest == nil {
                throw CriticalityError(.fileNotFound, "\(path): neither manifest.json nor observers/updates/summary.json; is this a run directory?")
            }
            return
        }
        var fits: RunAnalysis?
        if FileManager.default.fileExists(atPath: dir + "/fits.json") {
            let parses = FileManager.default.contents(atPath: dir + "/fits.json").flatMap { try? JSONSerialization.jsonObject(with: $0) } != nil
            if !parses {
                problems.append("\(dir)/fits.json could not be read (not valid JSON); run `criticality analyze \(path)` again")
            } else if !RunAnalysis.isCurrent(run: path) {
                problems.append("\(dir)/fits.json is missing its version or from an earlier fitting procedure; run `criticality analyze \(path)` (or `report` without --no-analyze)")
            } else {
                do { fits = try FileOutput.readJSON(RunAnalysis.self, from: dir + "/fits.json") } catch {
                    problems.append("\(dir)/fits.json could not be read (\((error as? CriticalityError)?.message ?? "\(error)")); run `criticality analyze \(path)` again")
                }
            }
        }
        windows = summary.windows.map { w in
            Window(folder: w.folder, range: w.start..<w.end, path: dir + "/" + w.folder, summary: w,
                   fits: fits?.windows.first { $0.folder == w.folder })
        }
        layers = summary.windows.first?.scopes.filter { $0.kind == "layer" }.map(\.scope) ?? []
    }

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
}
