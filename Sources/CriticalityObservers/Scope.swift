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

    /// Every segment, then every layer, then (for a Transformer) every parameter kind across its layers
    /// (`parameterKind`), then all parameters.
    public static func all(for layout: ParameterLayout) -> [Scope] {
        var scopes = layout.segments.enumerated().map { Scope(name: $0.element.name, segments: [$0.offset]) }
        for layer in layout.layers {
            scopes.append(Scope(name: layer, segments: layout.segments.indices.filter { layout.segments[$0].layer == layer }))
        }
        for kind in ["attention", "feed_forward", "layer_norm"] {
            let members = layout.segments.indices.filter { parameterKind(of: layout.segments[$0]) == kind }
            if !members.isEmpty { scopes.append(Scope(name: kind, segments: members)) }
        }
        scopes.append(Scope(name: "all", segments: Array(layout.segments.indices)))
        return scopes
    }

    /// The kind of a Transformer encoder segment (`TransformerEncoderLayer`'s names): "attention" (the
    /// packed q/k/v and output projections), "feed_forward" (linear1, linear2), "layer_norm" (norm1,
    /// norm2); nil for any other segment (the embedding and the output layer are scopes by layer).
    public static func parameterKind(of segment: ParameterLayout.Segment) -> String? {
        let k = segment.kind
        if k.hasPrefix("in_proj_") || k.hasPrefix("out_proj_") { return "attention" }
        if k.hasPrefix("linear1_") || k.hasPrefix("linear2_") { return "feed_forward" }
        if k.hasPrefix("norm1_") || k.hasPrefix("norm2_") { return "layer_norm" }
        return nil
    }
}
