import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// The information observer's checkpoint state and outputs.
extension InformationObserver {
    /// What `summary.json` of `observers/information/` holds.
    public struct Summary: Codable, Sendable {
        public var settings: InformationSettings
        /// The paired layers: name, units, fan-in, and which output supplies each unit's activation.
        public var layers: [PairedLayer]
        public var columns: Int
        /// Present when the memory budget forced a random subset of the weights.
        public var subsetColumns: Int?
        public var weights: Int
        public var pairing: String
        public var records: [Record]
        /// Steps with no activations (replays, external updates): their intervals were skipped.
        public var missingActivations: Bool
        /// β*·MI stability (authors' pairing p_k = β*_k·MI_{k+1}, lag 2 intervals on the chain of every
        /// other interval); nil when there are too few intervals.
        public var stability: ProductStability?
        public var stabilityNote: String?

        public struct PairedLayer: Codable, Sendable {
            public var name: String, units: Int, fanIn: Int
            public var activation: String
        }
        enum CodingKeys: String, CodingKey {
            case settings, layers, columns, subsetColumns = "subset_columns", weights, pairing, records
            case missingActivations = "missing_activations", stability, stabilityNote = "stability_note"
        }
    }

    public func saveState(to directory: String) throws {
        drain()
        var w = BinaryWriter()
        w.write(UInt64(interval)); w.write(UInt64(columns)); w.write(UInt64(units))
        w.write(Int64(currentInterval)); w.write(UInt64(filled))
        w.write(sum); w.write(sumSquares); w.write(minimum); w.write(maximum)
        let rows = currentInterval >= 0 ? filled : 0
        w.write(Array(UnsafeBufferPointer(start: block, count: rows * columns)))
        w.write(Array(activationRows[0..<(rows * units)]))
        w.write(previousComponent)
        w.write(Int64(previousInterval))
        w.write(missingActivations)
        w.write([UInt8](try JSONEncoder().encode(completed)))
        try FileOutput.write(w.data, to: InformationFolder.statePath(in: directory))
    }

    public func restoreState(from directory: String) throws {
        let path = InformationFolder.statePath(in: directory)
        drain()
        var r = try BinaryReader(data: try Data(contentsOf: URL(fileURLWithPath: path)), name: path)
        let i = Int(try r.read(UInt64.self)), c = Int(try r.read(UInt64.self)), u = Int(try r.read(UInt64.self))
        guard i == interval, c == columns, u == units else {
            throw CriticalityError(.corruptFile, "\(path): the information observer's state is for \(i)-step intervals of \(c) weights and \(u) units, not \(interval), \(columns) and \(units); the checkpoint belongs to another configuration")
        }
        currentInterval = Int(try r.read(Int64.self)); filled = Int(try r.read(UInt64.self))
        sum = try r.readDouble(); sumSquares = try r.readDouble(); minimum = try r.readFloat(); maximum = try r.readFloat()
        let rows = currentInterval >= 0 ? filled : 0
        let b = try r.readFloats()
        guard b.count == rows * columns, filled <= interval else {
            throw CriticalityError(.corruptFile, "\(path): the information observer's block has \(b.count) values for \(rows) rows of \(columns); the checkpoint is damaged")
        }
        block.update(from: b, count: b.count)
        let a = try r.readDoubles()
        guard a.count == rows * units else { throw CriticalityError(.corruptFile, "\(path): \(a.count) activations for \(rows) rows of \(units) units; the checkpoint is damaged") }
        for k in a.indices { activationRows[k] = a[k] }
        previousComponent = try r.readFloats()
        previousInterval = Int(try r.read(Int64.self))
        missingActivations = try r.readBool()
        let json = try r.readArray(UInt8.self)
        completed = try JSONDecoder().decode([Record].self, from: Data(json))
    }

    public func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] {
        let folder = InformationFolder(directory)
        let records = self.records
        let k = records.count
        func write(_ values: [Double], _ path: String) throws { try FileOutput.writeNpy(values, to: path) }
        try FileOutput.writeNpy(records.map { Int64($0.intervalStart) }, to: folder.intervalStart)
        try write(records.map(\.mi.authors), folder.mi)
        try write(records.map(\.mi.plugin), folder.miPlugin)
        try write(records.map(\.mi.millerMadow), folder.miMillerMadow)
        try write(records.map { $0.nullMean ?? .nan }, folder.miNullMean)
        try write(records.map { $0.nullSD ?? .nan }, folder.miNullSD)
        try write(records.map { $0.explainedVarianceRatio ?? .nan }, folder.explainedVarianceRatio)
        let beta = k < 2 ? [] : records[1...].map { $0.beta ?? .nan }
        try write(beta, folder.beta)
        var stability: ProductStability? = nil, note: String? = nil
        if k >= 2 {
            do {
                stability = try ProductStability.analyze(beta: beta, mutualInformation: records[1...].map(\.mi.authors), seed: settings.seed)
            } catch let e as CriticalityError { note = e.message }
        } else {
            note = "\(k) complete interval(s) of \(interval) steps: β* needs two and the stability analysis at least seven"
        }
        let summary = Summary(settings: settings, layers: layers.enumerated().map { i, l in
            Summary.PairedLayer(name: l.name, units: l.outputs, fanIn: l.inputs,
                                activation: i < activationSources.count ? activationSources[i] : "unknown (no step was observed)")
        }, columns: columns, subsetColumns: subset?.count, weights: layers.reduce(0) { $0 + $1.outputs * $1.inputs },
            pairing: "MI and the explained ratio of interval k (steps [k·I, (k+1)·I)); beta[k] = |cos| of the leading components of intervals k and k+1; product p_k = beta[k]·MI[k+1], at step (k+2)·I as the authors plot it",
            records: records, missingActivations: missingActivations, stability: stability, stabilityNote: note)
        try FileOutput.writeJSON(summary, to: folder.summary)
        return ["interval_start.npy", "mi.npy", "mi_plugin.npy", "mi_miller_madow.npy", "mi_null_mean.npy", "mi_null_sd.npy",
                "explained_variance_ratio.npy", "beta.npy", "summary.json"]
    }
}
