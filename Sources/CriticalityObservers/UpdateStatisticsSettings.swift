import CriticalityCore
import CriticalityStats

/// Settings of the streaming update statistics (issue: Fig. 1C, Fig. 2, SI S1, S12, Fig. 5).
public struct UpdateStatisticsSettings: Codable, Equatable, Sendable {
    /// Training stages (effective, i.e. already clipped to the run).
    public var windows: StepWindows = .paperDefault
    /// Size of each scope's uniform sample (`UniformSample`; the files keep the name "reservoir").
    public var reservoirSize: Int = 100_000
    /// Target fractions q of large updates (Fig. 5: top 0.5% and 1%).
    public var quantiles: [Double] = [0.005, 0.01]
    /// Bins of the paper-style linear histogram.
    public var linearBins: Int = 100
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case windows, reservoirSize = "reservoir_size", quantiles, linearBins = "linear_bins", seed
    }

    /// The largest sample per scope and window (4 bytes each, for every scope of every window).
    public static let maximumReservoirSize = 10_000_000
    /// The largest paper-style linear histogram.
    public static let maximumLinearBins = 1_000_000

    /// Checks the settings from flags, YAML or a manifest: 1 ≤ reservoir ≤ 10⁷, 1 ≤ linear bins ≤ 10⁶,
    /// 1–16 distinct quantiles in (0, 1). (Windows are checked when parsed.)
    public func validate() throws {
        guard (1...UpdateStatisticsSettings.maximumReservoirSize).contains(reservoirSize) else {
            throw CriticalityError(.invalidArgument, "'reservoir-size' must be in 1…\(UpdateStatisticsSettings.maximumReservoirSize); got \(reservoirSize)")
        }
        guard (1...UpdateStatisticsSettings.maximumLinearBins).contains(linearBins) else {
            throw CriticalityError(.invalidArgument, "the linear histogram's bins must be in 1…\(UpdateStatisticsSettings.maximumLinearBins); got \(linearBins)")
        }
        guard (1...16).contains(quantiles.count) else {
            throw CriticalityError(.invalidArgument, "'quantiles' needs 1 to 16 fractions in (0, 1) (e.g. 0.005,0.01); got \(quantiles.count)")
        }
        if let bad = quantiles.first(where: { !($0 > 0 && $0 < 1) }) {
            throw CriticalityError(.invalidArgument, "'quantiles': \(bad) is not a fraction in (0, 1) (e.g. 0.005,0.01)")
        }
        guard Set(quantiles).count == quantiles.count else {
            throw CriticalityError(.invalidArgument, "'quantiles' lists a fraction twice: \(quantiles)")
        }
    }
}
