import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// `criticality analyze RUN`: the tail statistics of every update distribution and interval histogram
/// a run directory holds (`observers/updates/`), written to `observers/updates/fits.json`.
public struct RunAnalysis: Codable, Sendable {
    public struct IntervalFit: Codable, Sendable {
        public var q: Double
        public var fit: TailFitReport
    }
    public struct ScopeFits: Codable, Sendable {
        public var scope: String
        /// Continuous fit of the |Δθ| reservoir sample, with the paper's least squares on the
        /// authors' histogram (`*_xbins.npy`/`*_nums.npy`, points 1:-20).
        public var update: TailFitReport?
        /// The same for |θ| at the window's end.
        public var parameter: TailFitReport?
        /// Discrete fits of the inter-event interval histograms.
        public var intervals: [IntervalFit]
        /// Why a fit of this scope is missing (a file gone, too few values, no x_min candidate), one
        /// sentence each; nil when every fit was made. One failing fit never stops the analysis.
        public var problems: [String]?
    }
    public struct WindowFits: Codable, Sendable {
        public var folder: String
        public var start: Int
        public var end: Int
        public var scopes: [ScopeFits]
    }
    /// Version of the fitting procedure that wrote the file. 2: limit-aware alternatives and Vuong's
    /// sequential test (issue 11); files without it (version 1) are re-fitted by `report` and `reproduce`.
    public var fitsVersion: Int
    public var run: String
    public var windows: [WindowFits]

    public static let currentVersion = 2

    enum CodingKeys: String, CodingKey { case fitsVersion = "fits_version", run, windows }

    /// Whether `run` has a fits.json written by the current fitting procedure.
    public static func isCurrent(run: String) -> Bool {
        struct Version: Decodable { var fits_version: Int? }
        let path = RunDirectory(run).updateStatistics.fits
        guard let data = FileManager.default.contents(atPath: path),
              let v = try? JSONDecoder().decode(Version.self, from: data) else { return false }
        return v.fits_version == currentVersion
    }

    /// Fits everything; `progress` gets a line per scope.
    public static func analyze(run: String, options: TailFitOptions, intervalCandidates: Int = 50,
                               progress: ((String) -> Void)? = nil) throws -> RunAnalysis {
        let output = RunDirectory(run).updateStatistics
        let summary = try UpdateStatisticsSummary.read(output.summary)
        var windows: [WindowFits] = []
        for w in summary.windows {
            let folder = output.window(w.folder)
            var scopes: [ScopeFits] = []
            for s in w.scopes {
                var problems: [String] = []
                func attempt<T>(_ what: String, _ body: () throws -> T?) -> T? {
                    do { return try body() } catch let e as CriticalityError {
                        problems.append("\(what): \(e.message)")
                    } catch {
                        problems.append("\(what): \(error)")
                    }
                    return nil
                }
                func continuous(_ kind: MagnitudeKind, expected: Bool) throws -> TailFitReport? {
                    let sample = folder.path(.sample(kind, scope: s.scope))
                    guard FileManager.default.fileExists(atPath: sample) else {
                        if expected { throw CriticalityError(.fileNotFound, "\(sample) is missing (the summary lists this scope); the run directory is damaged") }
                        return nil
                    }
                    let values = try Npy.readDoubles(path: sample).values
                    guard values.filter({ $0 > 0 }).count >= 10 else {
                        throw CriticalityError(.invalidArgument, "fewer than 10 positive values in \(sample): not fitted")
                    }
                    var report = try TailFit.fit(values, options: options, source: sample)
                    let xb = folder.path(.linearCenters(kind, scope: s.scope)), nm = folder.path(.linearProbabilities(kind, scope: s.scope))
                    if FileManager.default.fileExists(atPath: xb) {
                        let x = try Npy.readDoubles(path: xb).values, p = try Npy.readDoubles(path: nm).values
                        let nonzero = zip(x, p).filter { $0.0 > 0 && $0.1 > 0 }.count
                        report.leastSquares = try? PaperHistogram.fit(x: x, p: p, points: try PaperHistogram.slice(nonzero > 25 ? "1:-20" : ":", count: nonzero))
                    }
                    return report
                }
                var intervals: [IntervalFit] = []
                for t in w.timing {
                    let path = folder.path(.intervalCounts(quantile: t.q, scope: s.scope))
                    let fit: IntervalFit? = attempt("intervals q = \(t.q)") {
                        guard FileManager.default.fileExists(atPath: path) else {
                            throw CriticalityError(.fileNotFound, "\(path) is missing (the summary lists q = \(t.q)); the run directory is damaged")
                        }
                        let counts = try Npy.readDoubles(path: path).values
                        guard counts.filter({ $0 > 0 }).count >= 2 else {
                            throw CriticalityError(.invalidArgument, "fewer than two distinct intervals in \(path): not fitted")
                        }
                        var o = options
                        o.maximumCandidates = intervalCandidates
                        // Intervals never exceed the window's length L − 1: keep the tail a decade below it.
                        o.maximumXmin = min(options.maximumXmin ?? .infinity, Double(w.end - w.start) / 10)
                        o.bootstrap = 0
                        return IntervalFit(q: t.q, fit: try TailFit.fitHistogram(counts, options: o, source: path))
                    }
                    if let fit { intervals.append(fit) }
                }
                let update = attempt("|Δθ|") { try continuous(.update, expected: s.update.count > s.update.zeros) }
                let parameter = attempt("|θ|") { try continuous(.parameter, expected: (s.parameter?.count ?? 0) > (s.parameter?.zeros ?? 0)) }
                scopes.append(ScopeFits(scope: s.scope, update: update ?? nil, parameter: parameter ?? nil, intervals: intervals,
                                        problems: problems.isEmpty ? nil : problems))
                progress?("\(w.folder) \(s.scope)" + problems.map { "\n  not fitted — \($0)" }.joined())
            }
            windows.append(WindowFits(folder: w.folder, start: w.start, end: w.end, scopes: scopes))
        }
        let result = RunAnalysis(fitsVersion: currentVersion, run: run, windows: windows)
        try FileOutput.writeJSON(result, to: output.fits)
        return result
    }
}
