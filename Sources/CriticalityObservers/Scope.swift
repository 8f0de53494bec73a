import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityStats
/// A set of parameters whose updates are pooled: one segment ("fc1.weight"), one layer ("fc1"), or
/// all parameters ("all"). Scopes are unions of whole segments, so layer and all-parameter statistics
/// are exact sums of segment statistics.
public struct Scope: Equatable, Sendable {
    public var name: String
    /// Indices into `ParameterLayout.segments`.
    public var segments: [Int]

    /// Every segment, then every layer, then all parameters.
    public static func all(for layout: ParameterLayout) -> [Scope] {
        var scopes = layout.segments.enumerated().map { Scope(name: $0.element.name, segments: [$0.offset]) }
        for layer in layout.layers {
            scopes.append(Scope(name: layer, segments: layout.segments.indices.filter { layout.segments[$0].layer == layer }))
        }
        scopes.append(Scope(name: "all", segments: Array(layout.segments.indices)))
        return scopes
    }
}
