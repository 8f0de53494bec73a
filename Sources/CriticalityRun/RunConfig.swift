import CriticalityEngine
import CriticalityObservers
import Foundation

/// The complete, resolved configuration of a run, as `manifest.json` stores it under "config": how to
/// train (`TrainConfig`, the engine's) and which standard observers record what. `criticality resume`
/// rebuilds the run from this alone.
///
/// In JSON the two are one flat object (`model`, `optimizer`, …, `updates`), as before the engine and
/// the observers were separate targets, so every manifest written since reads unchanged. The training
/// settings read through as if they were this type's own (`config.steps`).
@dynamicMemberLookup
public struct RunConfig: Codable, Equatable, Sendable {
    public var train: TrainConfig
    /// Streaming update statistics (windows, reservoir size, q's); nil turns the observer off. Windows
    /// are clipped to the run's length when the observer is built.
    public var updates: UpdateStatisticsSettings?
    /// Mutual information and β* per interval (Fig. 3D–E); nil turns the observer off. A manifest
    /// written before issue 16 has none (off when resumed).
    public var information: InformationSettings?
    /// The quadratic KL check (Fig. 3B–C); nil turns it off; fully connected networks only.
    public var kl: QuadraticKLSettings?

    public init(train: TrainConfig, updates: UpdateStatisticsSettings? = UpdateStatisticsSettings(),
                information: InformationSettings? = InformationSettings(), kl: QuadraticKLSettings? = QuadraticKLSettings()) {
        self.train = train
        self.updates = updates
        self.information = information
        self.kl = kl
    }

    public init(model: ModelSpec, optimizer: OptimizerSettings) {
        self.init(train: TrainConfig(model: model, optimizer: optimizer))
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<TrainConfig, T>) -> T {
        get { train[keyPath: path] }
        set { train[keyPath: path] = newValue }
    }

    /// `TrainConfig.totalSteps`.
    public func totalSteps(datasetSize: Int) throws -> Int { try train.totalSteps(datasetSize: datasetSize) }

    /// Everything `TrainConfig.validate` checks, and the observers' settings.
    public func validate(allowMoreThreadsThanCores: Bool = false) throws {
        try train.validate(allowMoreThreadsThanCores: allowMoreThreadsThanCores)
        try updates?.validate()
        try information?.validate()
        try kl?.validate()
    }

    enum Keys: String, CodingKey { case updates, information, kl }

    public init(from decoder: Decoder) throws {
        train = try TrainConfig(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        updates = try c.decodeIfPresent(UpdateStatisticsSettings.self, forKey: .updates)
        information = try c.decodeIfPresent(InformationSettings.self, forKey: .information)
        kl = try c.decodeIfPresent(QuadraticKLSettings.self, forKey: .kl)
    }

    public func encode(to encoder: Encoder) throws {
        try train.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(updates, forKey: .updates)
        try c.encodeIfPresent(information, forKey: .information)
        try c.encodeIfPresent(kl, forKey: .kl)
    }
}
