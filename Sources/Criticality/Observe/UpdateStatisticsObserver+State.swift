import Foundation

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
        try FileOutput.write(w.data, to: directory + "/state.bin")
    }

    public func restoreState(from directory: String) throws {
        let path = directory + "/state.bin"
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
            let reservoirs = try (0..<segments).map { _ in try UniformSample.read(from: &r) }
            guard reservoirs.allSatisfy({ $0.capacity == settings.reservoirSize }) else {
                throw CriticalityError(.corruptFile, "\(path): its samples are not of this run's size \(settings.reservoirSize); the checkpoint does not belong to this configuration")
            }
            var rec = WindowRecord(range: a..<b, updateHistograms: hists, updateReservoirs: reservoirs)
            rec.losses = try r.readDoubles(); rec.updateNorms = try r.readDoubles()
            rec.updateMaxima = try r.readDoubles(); rec.entropies = try r.readDoubles()
            if try r.readBool() {
                rec.parameterHistograms = try (0..<segments).map { _ in try LogHistogram.read(from: &r) }
                rec.parameterReservoirs = try (0..<segments).map { _ in try UniformSample.read(from: &r) }
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
