import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// `summary.json` of the update-statistics observer (documented in docs/run-directory.md).
public struct UpdateStatisticsSummary: Codable, Sendable {
    public struct Magnitudes: Codable, Sendable {
        public var count: UInt64
        public var zeros: UInt64
        public var minimumPositive: Float?
        public var maximum: Float?
        public var mean: Double
        public var rms: Double
        public var sum: Double
        public var sumOfSquares: Double
        public var reservoirSize: Int
        enum CodingKeys: String, CodingKey {
            case count, zeros, minimumPositive = "min_positive", maximum = "max", mean, rms, sum
            case sumOfSquares = "sum_of_squares", reservoirSize = "reservoir_size"
        }
    }
    public struct ScopeSummary: Codable, Sendable {
        public var scope: String
        /// "segment", "layer" or "all".
        public var kind: String
        public var update: Magnitudes
        public var parameter: Magnitudes?
    }
    public struct Timing: Codable, Sendable {
        public var q: Double
        /// |Δθ| ≥ threshold is a large update.
        public var threshold: Float
        public var largeUpdates: UInt64
        public var total: UInt64
        public var realizedFraction: Double
        /// |realized − q| / q.
        public var relativeError: Double
        /// relativeError ≤ 1%.
        public var withinTolerance: Bool
        public var ladderLevel: Int
        public var intervals: [String: UInt64]
        enum CodingKeys: String, CodingKey {
            case q, threshold, largeUpdates = "large_updates", total, realizedFraction = "realized_fraction"
            case relativeError = "relative_error", withinTolerance = "within_tolerance", ladderLevel = "ladder_level"
            case intervals = "interval_counts_per_scope"
        }
    }
    public struct Window: Codable, Sendable {
        public var start: Int
        public var end: Int
        public var stepsObserved: Int
        public var folder: String
        public var scopes: [ScopeSummary]
        public var timing: [Timing]
        enum CodingKeys: String, CodingKey {
            case start, end, stepsObserved = "steps_observed", folder, scopes, timing
        }
    }
    /// The layout version (`SchemaVersion`); nil in summaries written before 2026-12-01 (version 1).
    public var schemaVersion: Int? = SchemaVersion.current
    public var observer: String
    public var grid: String
    public var settings: UpdateStatisticsSettings
    public var memoryBytes: Int
    public var windows: [Window]
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", observer, grid, settings, memoryBytes = "memory_bytes", windows
    }

    /// Reads a `summary.json`, refusing one of a schema this build does not know.
    public static func read(_ path: String) throws -> UpdateStatisticsSummary {
        try SchemaVersion.readJSON(UpdateStatisticsSummary.self, from: path, document: "an update-statistics summary")
    }
}

extension UpdateStatisticsObserver {
    static let gridDescription = "Float32 bit-pattern grid: bin b holds |x| with bits in [b*2^19, (b+1)*2^19), 16 equal-width bins per octave (53.2 per decade); edges in the *_logbin_edges arrays"

    public func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] {
        let output = UpdateStatisticsFolder(directory)
        var files: [String] = []
        var windows: [UpdateStatisticsSummary.Window] = []
        for (w, rec) in records.enumerated() {
            let folder = StepWindows.folderName(rec.range)
            let dir = output.window(folder)
            func write<T: NpyElement>(_ array: UpdateStatisticsArray, _ values: [T]) throws {
                try FileOutput.writeNpy(values, to: dir.path(array))
                files.append(folder + "/" + array.fileName)
            }
            let steps = rec.range.lowerBound..<(rec.range.lowerBound + rec.losses.count)
            try write(.seriesStep, steps.map { Int64($0) })
            try write(.seriesLoss, rec.losses)
            try write(.seriesUpdateNorm, rec.updateNorms)
            try write(.seriesUpdateMaximum, rec.updateMaxima)
            try write(.seriesUpdateEntropy, rec.entropies)

            let replay = replays[w]
            var scopeSummaries: [UpdateStatisticsSummary.ScopeSummary] = []
            for (i, scope) in scopes.enumerated() {
                var hist = LogHistogram()
                for s in scope.segments { hist.merge(rec.updateHistograms[s]) }
                var rng = RNG(seed: settings.seed, stream: .reservoir, index: UInt64(1_000_000 + w * 1000 + i))
                let sample = scope.segments.count == 1 ? rec.updateReservoirs[scope.segments[0]].values
                    : UniformSample.union(scope.segments.map { rec.updateReservoirs[$0] }, capacity: settings.reservoirSize, rng: &rng)
                try writeMagnitudes(.update, scope: scope.name, hist: hist, linear: replay?.updateLinear[i],
                                    write: write)
                try write(.sample(.update, scope: scope.name), sample)
                var summary = UpdateStatisticsSummary.ScopeSummary(
                    scope: scope.name, kind: i < layout.segments.count ? "segment" : (scope.name == "all" ? "all" : "layer"),
                    update: magnitudes(hist, sample: sample.count), parameter: nil)
                if let ph = rec.parameterHistograms, let pr = rec.parameterReservoirs, let pl = rec.parameterLinear {
                    var h = LogHistogram()
                    for s in scope.segments { h.merge(ph[s]) }
                    let ps = scope.segments.count == 1 ? pr[scope.segments[0]].values
                        : UniformSample.union(scope.segments.map { pr[$0] }, capacity: settings.reservoirSize, rng: &rng)
                    try writeMagnitudes(.parameter, scope: scope.name, hist: h, linear: pl[i], write: write)
                    try write(.sample(.parameter, scope: scope.name), ps)
                    summary.parameter = magnitudes(h, sample: ps.count)
                }
                scopeSummaries.append(summary)
            }
            var timing: [UpdateStatisticsSummary.Timing] = []
            for t in replay?.timing ?? [] {
                var perScope: [String: UInt64] = [:]
                for (i, scope) in scopes.enumerated() {
                    try write(.intervalCounts(quantile: t.q, scope: scope.name), t.intervals[i])
                    perScope[scope.name] = t.intervals[i].reduce(0, +)
                }
                let err = abs(t.realizedFraction - t.q) / t.q
                timing.append(.init(q: t.q, threshold: t.threshold, largeUpdates: t.largeUpdates, total: t.total,
                                    realizedFraction: t.realizedFraction, relativeError: err, withinTolerance: err <= 0.01,
                                    ladderLevel: t.level, intervals: perScope))
            }
            windows.append(.init(start: rec.range.lowerBound, end: rec.range.upperBound, stepsObserved: rec.losses.count,
                                 folder: folder, scopes: scopeSummaries, timing: timing))
        }
        let summary = UpdateStatisticsSummary(observer: name, grid: UpdateStatisticsObserver.gridDescription,
                                              settings: settings, memoryBytes: memoryBytes, windows: windows)
        try FileOutput.writeJSON(summary, to: output.summary)
        files.append((output.summary as NSString).lastPathComponent)
        return files
    }

    private func magnitudes(_ h: LogHistogram, sample: Int) -> UpdateStatisticsSummary.Magnitudes {
        let n = Double(h.total)
        return .init(count: h.total, zeros: h.zeros, minimumPositive: h.minimumPositive, maximum: h.maximum,
                     mean: n > 0 ? h.sum / n : 0, rms: n > 0 ? (h.sumOfSquares / n).squareRoot() : 0,
                     sum: h.sum, sumOfSquares: h.sumOfSquares, reservoirSize: sample)
    }

    /// The files of one magnitude distribution: log-binned counts, density and CCDF; the paper-style
    /// linear histogram (when known).
    private func writeMagnitudes(_ kind: MagnitudeKind, scope: String, hist: LogHistogram, linear: LinearHistogram?,
                                 write: (UpdateStatisticsArray, [Double]) throws -> Void) throws {
        if let range = hist.positiveRange {
            try write(.logBinEdges(kind, scope: scope), (range.lowerBound...(range.upperBound + 1)).map(LogGrid.edge))
            try write(.logBinCenters(kind, scope: scope), range.map(LogGrid.center))
            try write(.logBinCounts(kind, scope: scope), hist.positiveCounts(in: range).map { Double($0) })  // not .map(Double.init): that picks init(bitPattern:)
            try write(.density(kind, scope: scope), hist.density(in: range))
            try write(.ccdf(kind, scope: scope), hist.ccdf(in: range))
        }
        if let l = linear {
            try write(.linearCenters(kind, scope: scope), l.centers)
            try write(.linearProbabilities(kind, scope: scope), l.probabilities)
        }
    }
}
