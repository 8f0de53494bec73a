import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// `criticality analyze-updates`: the update-statistics observer run over update matrices written by
/// other code (the authors' PyTorch tracker writes steps × parameters `.npy` chunks). The rows are
/// shown to the observer exactly as a live run shows its updates (same chunking, same Σ Δθ²), then
/// each window is read a second time for the replay, so the outputs equal a live run's on the same
/// updates — except what needs θ or the loss (|θ| statistics, the loss series), which a dump lacks.
public enum ExternalUpdates {
    /// Reads a layout file: a JSON array of segments `{"layer", "kind", "shape"}` (offsets and counts are
    /// implied, in order), or a run's `manifest.json` (its "layout").
    public static func readLayout(path: String, parameterCount: Int) throws -> ParameterLayout {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "layout file \(path): cannot read the file")
        }
        return try parseLayout(data, name: path, parameterCount: parameterCount)
    }

    /// A layout from the bytes of a layout file or manifest; `name` is used in error messages.
    public static func parseLayout(_ data: Data, name path: String, parameterCount: Int) throws -> ParameterLayout {
        struct Entry: Decodable { var layer: String; var kind: String; var shape: [Int] }
        struct Manifest: Decodable { var layout: [Entry] }
        let entries: [Entry]
        if let list = try? JSONDecoder().decode([Entry].self, from: data) {
            entries = list
        } else if let m = try? JSONDecoder().decode(Manifest.self, from: data) {
            entries = m.layout
        } else {
            throw CriticalityError(.invalidArgument, "layout file \(path): expected a JSON array of {\"layer\", \"kind\", \"shape\"} objects (or a run manifest)")
        }
        let layout = try ParameterLayout.checked(entries.map { ($0.layer, $0.kind, $0.shape) }, source: "layout file \(path)")
        guard layout.parameterCount == parameterCount else {
            throw CriticalityError(.invalidArgument, "layout file \(path) describes \(layout.parameterCount) parameters but the updates have \(parameterCount) columns")
        }
        return layout
    }

    /// Runs the observer over `reader`'s rows and writes its outputs under `out/observers/updates/`.
    /// Returns the observer's file list (relative to that folder).
    @discardableResult
    public static func analyze(reader: NpyRowReader, layout: ParameterLayout, settings: UpdateStatisticsSettings,
                               out: String, progress: ((String, Int, Int) -> Void)? = nil) throws -> [String] {
        var s = settings
        s.windows = settings.windows.clipped(to: reader.rows)
        guard !s.windows.ranges.isEmpty else {
            throw CriticalityError(.invalidArgument, "'windows' \(settings.windows): no window starts before the last of the \(reader.rows) rows")
        }
        let observer = UpdateStatisticsObserver(layout: layout, settings: s)
        func context(_ step: Int, _ row: UnsafePointer<Float>) -> StepContext {
            var sq = 0.0
            StepChunks.forEach(layout) { _, offset, n in sq += VectorMath.sumOfSquares(row + offset, count: n) }
            if !sq.isFinite && VectorMath.allFinite(row, count: layout.parameterCount) {
                sq = VectorMath.sumOfSquaresInDouble(row, count: layout.parameterCount)  // Float32 lanes overflowed
            }
            return StepContext(step: step, epoch: 0, loss: .nan, updateSquaredNorm: sq, update: row, parameters: nil, layout: layout)
        }
        let span = s.windows.ranges.first!.lowerBound..<s.windows.ranges.last!.upperBound
        try reader.forEachRow(in: span) { step, row in
            let c = context(step, row)
            guard c.updateSquaredNorm.isFinite else {
                throw CriticalityError(.numerical, "\(reader.parts.first!.path): row \(step) holds a NaN or Inf update")
            }
            observer.observe(c)
            progress?("read", step + 1, span.upperBound)
        }
        for w in s.windows.ranges {
            try observer.beginReplay(of: w)
            try reader.forEachRow(in: w) { step, row in
                try observer.observeReplay(context(step, row))
                progress?("replay \(w.lowerBound):\(w.upperBound)", step + 1, w.upperBound)
            }
            try observer.endReplay(of: w)
        }
        let dir = RunDirectory(out).observer(observer.name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try observer.finish(into: dir, finalParameters: nil)
    }
}
