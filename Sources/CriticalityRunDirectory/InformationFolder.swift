import Foundation

/// `observers/information/` of a run directory: the mutual information and β* series of Fig. 3D–E
/// (`InformationObserver`), one value per interval of the observer's `interval` steps, float64 `.npy`.
///
/// Interval k covers steps [k·I, (k+1)·I) (`interval_start.npy`). `mi*.npy` and
/// `explained_variance_ratio.npy` have K values; `beta.npy` has K − 1: β*_k of intervals k and k + 1
/// (NaN where a component was undefined). The authors' pairing for the product is
/// p_k = β*_k · MI_{k+1}, at step (k + 2)·I. `summary.json` has the settings, the paired layers and
/// the activation each layer's weights are paired with, and the stability analysis of the product.
public struct InformationFolder: Hashable, Sendable {
    public static let observerName = "information"
    public let path: String
    public init(_ path: String) { self.path = path }

    public var summary: String { path + "/summary.json" }
    public var intervalStart: String { path + "/interval_start.npy" }
    /// The authors' estimator (smoothed plug-in, nats).
    public var mi: String { path + "/mi.npy" }
    public var miPlugin: String { path + "/mi_plugin.npy" }
    public var miMillerMadow: String { path + "/mi_miller_madow.npy" }
    public var miNullMean: String { path + "/mi_null_mean.npy" }
    public var miNullSD: String { path + "/mi_null_sd.npy" }
    public var beta: String { path + "/beta.npy" }
    public var explainedVarianceRatio: String { path + "/explained_variance_ratio.npy" }
    /// The observer's state in a checkpoint folder.
    public static func statePath(in directory: String) -> String { directory + "/state.bin" }
}

extension RunDirectory {
    /// `observers/information/`.
    public var information: InformationFolder { InformationFolder(observer(InformationFolder.observerName)) }
}

/// `noise/` of a run directory: the mini-batch gradient noise of `criticality noise` (SI S13). Per
/// source (a kept checkpoint or "final"): `SOURCE_gradients.npy` (M × P float64: ∂L/∂θ of each
/// mini-batch for the drawn parameters), `SOURCE_full_gradient.npy` (P), `SOURCE_parameters.npy`
/// (P × 2 int64: layer index, layout index); `summary.json` the settings and each layer's statistics.
public struct GradientNoiseFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }
    public var summary: String { path + "/summary.json" }
}

extension RunDirectory {
    /// `noise/`.
    public var noise: GradientNoiseFolder { GradientNoiseFolder(path + "/noise") }
}
