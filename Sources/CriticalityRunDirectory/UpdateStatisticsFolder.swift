/// `observers/updates/`: the update-statistics observer's outputs (docs/run-directory.md,
/// "observers/updates"), also the output of `analyze-updates`. `summary.json` describes every window;
/// each window's arrays are in `window_A_B/`; `fits.json` is written by `analyze`.
public struct UpdateStatisticsFolder: Hashable, Sendable {
    /// The observer's folder name under `observers/`.
    public static let observerName = "updates"
    /// The observer's state file inside its folder of a checkpoint.
    public static let stateFileName = "state.bin"

    public let path: String
    public init(_ path: String) { self.path = path }

    /// `summary.json` (`UpdateStatisticsSummary`).
    public var summary: String { path + "/summary.json" }
    /// `fits.json` (`RunAnalysis`), written by `analyze`.
    public var fits: String { path + "/fits.json" }
    /// The folder of one window, by its name in the summary ("window_A_B").
    public func window(_ folder: String) -> UpdateWindowFolder { UpdateWindowFolder(path + "/" + folder) }
    /// The folder of step window A..<B.
    public func window(_ range: Range<Int>) -> UpdateWindowFolder { window(RunDirectory.windowFolderName(range)) }
    /// The observer's state file in its checkpoint folder `directory`.
    public static func statePath(in directory: String) -> String { directory + "/" + stateFileName }
}

/// One window's folder of `observers/updates/`: its arrays, named by `UpdateStatisticsArray`.
public struct UpdateWindowFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }
    public func path(_ array: UpdateStatisticsArray) -> String { path + "/" + array.fileName }
}

/// Whose magnitudes a distribution describes: the updates |Δθ| or the parameters |θ| (window start).
public enum MagnitudeKind: String, Hashable, Sendable {
    case update
    case parameter = "param"
}

/// The arrays of one window of `observers/updates/` (one `.npy` each; docs/run-directory.md lists
/// their dtypes and meaning). A scope is a segment ("fc1.weight"), a layer ("fc1") or "all".
public enum UpdateStatisticsArray: Hashable, Sendable {
    /// Step index of each observed step (int64).
    case seriesStep
    /// Mini-batch loss L(θ_t) per step.
    case seriesLoss
    /// ‖Δθ_t‖₂ per step.
    case seriesUpdateNorm
    /// max_k |Δθ_k| per step.
    case seriesUpdateMaximum
    /// Entropy of the step's |Δθ| distribution on the log grid (nats).
    case seriesUpdateEntropy
    /// Edges of the log-grid bins that hold values (one more than the centers).
    case logBinEdges(MagnitudeKind, scope: String)
    /// Geometric centers of those bins.
    case logBinCenters(MagnitudeKind, scope: String)
    /// Counts per bin (float64 holding integers).
    case logBinCounts(MagnitudeKind, scope: String)
    /// Probability density per bin (counts / (total · width)).
    case density(MagnitudeKind, scope: String)
    /// P(X ≥ lower edge) per bin.
    case ccdf(MagnitudeKind, scope: String)
    /// Centers of the paper-style linear histogram (replayed windows).
    case linearCenters(MagnitudeKind, scope: String)
    /// Its probabilities per bin.
    case linearProbabilities(MagnitudeKind, scope: String)
    /// The uniform sample of magnitudes (float32) the tail fits use.
    case sample(MagnitudeKind, scope: String)
    /// Inter-event interval counts for quantile threshold q (index = interval length − 1; uint64).
    case intervalCounts(quantile: Double, scope: String)

    /// The file name inside the window's folder.
    public var fileName: String {
        switch self {
        case .seriesStep: return "series_step.npy"
        case .seriesLoss: return "series_loss.npy"
        case .seriesUpdateNorm: return "series_update_norm.npy"
        case .seriesUpdateMaximum: return "series_update_max.npy"
        case .seriesUpdateEntropy: return "series_update_entropy.npy"
        case let .logBinEdges(k, s): return "\(k.rawValue)_\(s)_logbin_edges.npy"
        case let .logBinCenters(k, s): return "\(k.rawValue)_\(s)_logbin_centers.npy"
        case let .logBinCounts(k, s): return "\(k.rawValue)_\(s)_logbin_counts.npy"
        case let .density(k, s): return "\(k.rawValue)_\(s)_density.npy"
        case let .ccdf(k, s): return "\(k.rawValue)_\(s)_ccdf.npy"
        case let .linearCenters(k, s): return "\(k.rawValue)_\(s)_xbins.npy"
        case let .linearProbabilities(k, s): return "\(k.rawValue)_\(s)_nums.npy"
        case let .sample(k, s): return "\(k.rawValue)_\(s)_reservoir.npy"
        case let .intervalCounts(q, s): return "interval_q\(q)_\(s)_counts.npy"
        }
    }
}
