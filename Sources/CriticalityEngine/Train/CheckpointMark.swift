import CriticalityCore
import Foundation

/// A point of a run at which its parameters are kept for later analysis (`train --keep-checkpoints`):
/// the end of an epoch, or a step count. The paper perturbs mlp5 at the ends of epochs 50 and 100
/// (Fig. 4). Written "50" or "epoch:50" (after 50 epochs), "step:1000" (after 1,000 updates).
public enum CheckpointMark: Hashable, Codable, Sendable, CustomStringConvertible {
    case epoch(Int)
    case step(Int)

    /// Parses "50", "epoch:50" or "step:1000" (a whole number ≥ 1).
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (kind, number): (String, Substring) = t.hasPrefix("step:") ? ("step", t.dropFirst(5))
            : t.hasPrefix("epoch:") ? ("epoch", t.dropFirst(6)) : ("epoch", Substring(t))
        guard let n = Int(number), n >= 1 else {
            throw CriticalityError(.invalidArgument, "'keep-checkpoints': '\(text)' is not an epoch N, epoch:N or step:N with N ≥ 1 (e.g. 50,100 or step:1000)")
        }
        self = kind == "step" ? .step(n) : .epoch(n)
    }

    /// "epoch:50" or "step:1000".
    public var description: String {
        switch self {
        case .epoch(let n): "epoch:\(n)"
        case .step(let n): "step:\(n)"
        }
    }

    /// The folder name of the kept checkpoint: "epoch_50" or "step_1000".
    public var folderName: String {
        switch self {
        case .epoch(let n): "epoch_\(n)"
        case .step(let n): "step_\(n)"
        }
    }

    /// The number of updates applied at this mark, with `stepsPerEpoch` updates per epoch.
    public func step(stepsPerEpoch: Int) -> Int {
        switch self {
        case .epoch(let n): n.multipliedReportingOverflow(by: stepsPerEpoch).overflow ? Int.max : n * stepsPerEpoch
        case .step(let n): n
        }
    }

    public init(from decoder: Decoder) throws { self = try CheckpointMark(parsing: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
