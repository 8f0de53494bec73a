import CriticalityCore
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// What `criticality landscape` builds (its flags). Defaults (the paper's values are lost; see
/// `authors-code-notes.md` §5): N = 10⁶ coordinates (the order of a network's parameter count),
/// x ~ U(−1, 1), every curvature law, δ ∈ {0.01, 1} as in Fig. 4, both signs, Pareto α = 2.5 and
/// c_min = 1 (a tail as heavy as the updates' exponents of 3–5 would be too light to tell from a
/// lognormal at 10⁶ draws; 2.5 is the interval exponent the paper reports).
public struct SyntheticLandscapeSettings: Codable, Equatable, Sendable {
    public var curvatures: [CurvatureLaw] = CurvatureLaw.allCases
    public var dimensions = 1_000_000
    public var deltas: [Double] = [0.01, 1]
    public var signs: [PerturbationSign] = [.plus, .minus]
    public var seed: UInt64 = 1
    public var paretoAlpha = 2.5
    public var paretoMinimum = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case curvatures, dimensions, deltas, signs, seed, paretoAlpha = "pareto_alpha", paretoMinimum = "pareto_minimum"
    }

    public func validate() throws {
        var p = PerturbationSettings()
        p.deltas = deltas
        p.signs = signs
        try p.validate()
        guard !curvatures.isEmpty else { throw CriticalityError(.invalidArgument, "'curvature' is empty; give gaussian, power-law, exponential and/or lognormal") }
        guard dimensions >= 2 else { throw CriticalityError(.invalidArgument, "'dimensions' must be at least 2; got \(dimensions)") }
    }
}

/// `criticality landscape`: synthetic weighted paraboloids probed as a network is (SI S16–S18), written
/// in the layout of a run's `landscape/` folder, with the same analysis.
public enum SyntheticLandscapes {
    /// Builds every landscape of `settings` into `folder`, skipping laws already written with the same
    /// settings (resumable); other settings in the folder are refused unless `replace`.
    @discardableResult
    public static func run(_ settings: SyntheticLandscapeSettings, into folder: LandscapeFolder, replace: Bool = false,
                           progress: ((String) -> Void)? = nil) throws -> LandscapeSummary {
        try settings.validate()
        let fm = FileManager.default
        var summary = LandscapeSummary(kind: "synthetic", synthetic: settings)
        if fm.fileExists(atPath: folder.summary) {
            let old = try LandscapeSummary.read(folder.summary)
            if old.synthetic == settings {
                summary.sources = old.sources.filter { s in s.responses.allSatisfy { fm.fileExists(atPath: folder.path + "/" + $0.file) } }
            } else if replace {
                try fm.removeItem(atPath: folder.path)
            } else {
                throw CriticalityError(.invalidArgument, "\(folder.path) holds landscapes with other settings; replace them (--force) or choose another --out")
            }
        }
        try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        FileOutput.removeStaleTemporaries(under: folder.path)
        for law in settings.curvatures where !summary.sources.contains(where: { $0.source == law.rawValue }) {
            progress?(law.rawValue)
            let started = Date()
            let l = try SyntheticLandscape(law: law, dimensions: settings.dimensions, seed: settings.seed,
                                           paretoAlpha: settings.paretoAlpha, paretoMinimum: settings.paretoMinimum)
            var responses: [LandscapeSummary.ResponseSet] = []
            for delta in settings.deltas {
                for sign in settings.signs {
                    let values = l.responses(shift: sign.factor * delta)
                    let file = LandscapeFolder.responsesName(source: law.rawValue, delta: delta, sign: sign.rawValue)
                    try FileOutput.writeNpy(values, to: folder.path + "/" + file)
                    responses.append(.init(delta: delta, sign: sign, file: file,
                                           analysis: try ResponseAnalysis.analyze(values, delta: delta, source: file)))
                }
            }
            let curvatureFile = law.rawValue + "_curvatures.npy"
            try FileOutput.writeNpy(l.curvatures, to: folder.path + "/" + curvatureFile)
            summary.sources.append(.init(source: law.rawValue, set: "synthetic", step: nil, samples: settings.dimensions, lossBefore: 0,
                                         trials: settings.dimensions * settings.deltas.count * settings.signs.count,
                                         seconds: Date().timeIntervalSince(started), trialsFile: curvatureFile, responses: responses))
            try FileOutput.writeJSON(summary, to: folder.summary)
        }
        try FileOutput.writeJSON(summary, to: folder.summary)
        return summary
    }
}
