import Foundation

/// Names the segments of the one contiguous parameter buffer (see ARCHITECTURE.md).
///
/// Every trainable tensor of a model is a `Segment`: a layer name, a kind (`weight` or `bias`), a shape
/// (PyTorch's order: `[out, in]` for linear weights, `[out, in, kh, kw]` for convolutions) and its
/// offset and count in the flat buffer. Gradients, optimizer state and the per-step update Δθ are
/// buffers of the same layout, so "parameter k" means the same thing in all of them.
public struct ParameterLayout: Codable, Equatable, Sendable {
    public struct Segment: Codable, Equatable, Sendable {
        /// Layer name, e.g. "fc1".
        public var layer: String
        /// "weight" or "bias".
        public var kind: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int
        /// "fc1.weight", as PyTorch's `named_parameters()` would call it.
        public var name: String { "\(layer).\(kind)" }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    public private(set) var segments: [Segment] = []
    public private(set) var parameterCount: Int = 0

    public init() {}

    /// Builds a layout from explicit segments (for example one read from a JSON file); they must tile
    /// 0..<total contiguously in order.
    public init(segments: [Segment]) throws {
        var offset = 0
        for s in segments {
            guard s.offset == offset, s.count == s.shape.reduce(1, *), s.count >= 0 else {
                throw CriticalityError(.invalidArgument,
                    "layout segment \(s.name) has offset \(s.offset) and count \(s.count) for shape \(s.shape); segments must be contiguous from 0 with count = product of shape")
            }
            offset += s.count
        }
        self.segments = segments
        parameterCount = offset
    }

    /// Appends a segment at the end of the buffer and returns its offset.
    @discardableResult
    public mutating func append(layer: String, kind: String, shape: [Int]) -> Int {
        let count = shape.reduce(1, *)
        let offset = parameterCount
        segments.append(Segment(layer: layer, kind: kind, shape: shape, offset: offset, count: count))
        parameterCount += count
        return offset
    }

    /// Layer names in order of first appearance.
    public var layers: [String] {
        var seen = Set<String>(); var out: [String] = []
        for s in segments where seen.insert(s.layer).inserted { out.append(s.layer) }
        return out
    }

    public func segment(named name: String) -> Segment? { segments.first { $0.name == name } }

    /// A layout from a file, checked before anything is built from it: layer names of letters, digits,
    /// `_` and `-` (they become file names: no paths, no dots), at most 100 characters, not the
    /// reserved scope "all"; kinds likewise; each (layer, kind) once; positive dimensions whose product
    /// fits an integer. `source` names the file in messages.
    public static func checked(_ entries: [(layer: String, kind: String, shape: [Int])], source: String) throws -> ParameterLayout {
        func valid(_ name: String) -> Bool {
            !name.isEmpty && name.count <= 100
                && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
        }
        var layout = ParameterLayout()
        var seen = Set<String>()
        for (i, e) in entries.enumerated() {
            guard valid(e.layer), e.layer != "all" else {
                throw CriticalityError(.invalidArgument, "\(source): segment \(i) has layer name '\(e.layer)'; names may hold only letters, digits, '_' and '-' (no '/', '.', spaces), at most 100 characters, and 'all' is reserved for all parameters")
            }
            guard valid(e.kind) else {
                throw CriticalityError(.invalidArgument, "\(source): segment \(i) (\(e.layer)) has kind '\(e.kind)'; kinds may hold only letters, digits, '_' and '-'")
            }
            guard seen.insert(e.layer + "." + e.kind).inserted else {
                throw CriticalityError(.invalidArgument, "\(source): segment \(i): \(e.layer).\(e.kind) appears twice")
            }
            var n = 1
            for d in e.shape {
                let (m, o) = n.multipliedReportingOverflow(by: d)
                guard d >= 1, !o, !layout.parameterCount.addingReportingOverflow(m).overflow else {
                    throw CriticalityError(.invalidArgument, "\(source): segment \(i) (\(e.layer).\(e.kind)) has shape \(e.shape); dimensions must be positive and their product must fit an integer")
                }
                n = m
            }
            guard !e.shape.isEmpty else {
                throw CriticalityError(.invalidArgument, "\(source): segment \(i) (\(e.layer).\(e.kind)) has an empty shape")
            }
            layout.append(layer: e.layer, kind: e.kind, shape: e.shape)
        }
        return layout
    }
}
