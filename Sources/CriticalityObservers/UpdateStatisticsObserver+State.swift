import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// The observer's checkpoint format (`state.bin`, `BinaryWriter`): histograms and samples as tagged arrays.
extension LogHistogram {
    func write(to w: inout BinaryWriter) {
        w.write(counts); w.write(zeros); w.write(sum); w.write(sumOfSquares)
        w.write(minimumPositive?.bitPattern ?? UInt32.max); w.write(maximum != nil); w.write(maximum ?? 0)
    }

    static func read(from r: inout BinaryReader) throws -> LogHistogram {
        var h = LogHistogram()
        h.counts = try r.readArray(UInt64.self)
        guard h.counts.count <= LogGrid.binCount else {
            throw CriticalityError(.corruptFile, "\(r.name): a histogram of \(h.counts.count) bins, more than the grid's \(LogGrid.binCount); the checkpoint is damaged")
        }
        h.zeros = try r.read(); h.sum = try r.readDouble(); h.sumOfSquares = try r.readDouble()
        let minBits: UInt32 = try r.read()
        h.minimumPositive = minBits == .max ? nil : Float(bitPattern: minBits)
        let hasMax = try r.readBool(); let m = try r.readFloat()
        h.maximum = hasMax ? m : nil
        return h
    }
}

extension UniformSample {
    func write(to w: inout BinaryWriter) {
        let s = savedState
        w.write(UInt64(s.capacity)); w.write(s.streamLength); w.write(s.values); w.write(s.seen); w.write(s.rng)
    }

    /// Reads a sample written by `write`, which must be of `capacity` values from a stream of
    /// `streamLength` (the observer's own): checked before its plan is rebuilt, which costs time in
    /// proportion to both.
    static func read(from r: inout BinaryReader, capacity expected: Int, streamLength expectedLength: UInt64) throws -> UniformSample {
        let capacity = try r.readCount(atMost: UpdateStatisticsSettings.maximumReservoirSize, what: "sample size")
        let length: UInt64 = try r.read()
        guard capacity == expected, length == expectedLength else {
            throw CriticalityError(.corruptFile, "\(r.name): a sample of \(capacity) of \(length) values where this run's window holds \(expected) of \(expectedLength); the checkpoint is damaged or from another configuration")
        }
        let values = try r.readFloats()
        let seen: UInt64 = try r.read()
        let rng = try r.readRNG()
        return try UniformSample(restoring: .init(capacity: capacity, streamLength: length, values: values, seen: seen, rng: rng), source: r.name)
    }
}

/// Checkpoint state of the first pass (replays are redone from their window-start snapshot on resume).
extension UpdateStatisticsObserver {
    public func saveState(to directory: String) throws {
        var w = BinaryWriter()
        w.write(UInt64(records.count))
        for r in records {
            w.write(Int64(r.range.lowerBound)); w.write(Int64(r.range.upperBound))
            for h in r.updateHistograms { h.write(to: &w) }
            for s in r.updateReservoirs { s.write(to: &w) }
            w.write(r.losses); w.write(r.updateNorms); w.write(r.updateMaxima); w.write(r.entropies)
            w.write(r.parameterHistograms != nil)
            if let ph = r.parameterHistograms, let pr = r.parameterReservoirs, let pl = r.parameterLinear {
                for h in ph { h.write(to: &w) }
                for s in pr { s.write(to: &w) }
                for l in pl { w.write(l.maximum); w.write(l.counts) }
            }
        }
        try FileOutput.write(w.data, to: UpdateStatisticsFolder.statePath(in: directory))
    }

    public func restoreState(from directory: String) throws {
        let path = UpdateStatisticsFolder.statePath(in: directory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): observer state is missing from the checkpoint")
        }
        try restoreState(data, name: path)
    }

    /// Restores from the bytes of a `state.bin`; `name` is used in error messages.
    public func restoreState(_ data: Data, name path: String) throws {
        var r = try BinaryReader(data: data, name: path)
        let n = try r.readCount(atMost: settings.windows.ranges.count, what: "number of windows")
        let segments = layout.segments.count
        var out: [WindowRecord] = []
        for _ in 0..<n {
            let a = Int(try r.read(Int64.self)), b = Int(try r.read(Int64.self))
            guard a < b, settings.windows.ranges.contains(a..<b) else {
                throw CriticalityError(.corruptFile, "\(path): window \(a):\(b) is not one of this run's windows (\(settings.windows))")
            }
            let hists = try (0..<segments).map { _ in try LogHistogram.read(from: &r) }
            let reservoirs = try layout.segments.map { seg in
                try UniformSample.read(from: &r, capacity: settings.reservoirSize, streamLength: UInt64(b - a) * UInt64(seg.count))
            }
            var rec = WindowRecord(range: a..<b, updateHistograms: hists, updateReservoirs: reservoirs)
            rec.losses = try r.readDoubles(); rec.updateNorms = try r.readDoubles()
            rec.updateMaxima = try r.readDoubles(); rec.entropies = try r.readDoubles()
            if try r.readBool() {
                rec.parameterHistograms = try (0..<segments).map { _ in try LogHistogram.read(from: &r) }
                rec.parameterReservoirs = try layout.segments.map { seg in
                    try UniformSample.read(from: &r, capacity: settings.reservoirSize, streamLength: UInt64(seg.count))
                }
                rec.parameterLinear = try scopes.map { _ in
                    var l = LinearHistogram(maximum: try r.readDouble(), bins: settings.linearBins)
                    l.counts = try r.readArray(UInt64.self)
                    guard l.counts.count == settings.linearBins, l.maximum.isFinite, l.maximum >= 0 else {
                        throw CriticalityError(.corruptFile, "\(path): a linear histogram of \(l.counts.count) bins up to \(l.maximum), not this run's \(settings.linearBins); the checkpoint is damaged")
                    }
                    return l
                }
            }
            out.append(rec)
        }
        records = out
        replays = [:]
    }
}
