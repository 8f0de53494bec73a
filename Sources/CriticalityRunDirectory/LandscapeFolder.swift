import Foundation

/// `landscape/` of a run directory (or the `--out` folder of `criticality landscape`): the
/// single-parameter perturbation scans (Fig. 4) and synthetic landscapes (SI S16–S18).
///
/// One scan is named by its `source` — a kept checkpoint ("epoch_50"), "final", or a synthetic
/// curvature law ("power-law") — and, for the test set, a "_test" suffix. Per source:
/// `SOURCE_deltaD_SIGN.npy` (|ΔL| of every trial, float64, layer blocks in layout order, as the
/// authors' `*_lossvariance.npy`) and `SOURCE_trials.npy` (the trial table, `trialColumns`).
/// `summary.json` holds the settings, L(θ), timings and the analysis of every response set.
public struct LandscapeFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }

    /// The columns of a trial table, in order (one row per parameter, δ and sign).
    public static let trialColumns = ["layer", "parameter", "sign", "delta", "loss_before", "loss_after"]

    /// `summary.json`.
    public var summary: String { path + "/summary.json" }

    /// "0.01", "1", "2.5": δ as the shortest decimal that reads back as the same Double.
    public static func deltaText(_ delta: Double) -> String {
        delta == delta.rounded() && abs(delta) < 1e15 ? String(Int(delta)) : "\(delta)"
    }

    /// The file name of the |ΔL| of one source, δ and sign ("plus" or "minus").
    public static func responsesName(source: String, delta: Double, sign: String) -> String {
        "\(source)_delta\(deltaText(delta))_\(sign).npy"
    }

    /// The file name of one source's trial table.
    public static func trialsName(source: String) -> String { "\(source)_trials.npy" }

    public func responses(source: String, delta: Double, sign: String) -> String {
        path + "/" + LandscapeFolder.responsesName(source: source, delta: delta, sign: sign)
    }

    public func trials(source: String) -> String { path + "/" + LandscapeFolder.trialsName(source: source) }
}
