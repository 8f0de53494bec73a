import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
/// Training stages as half-open step ranges (the paper's stage 1 = 0:10000, stage 2 = 20000:30000).
public struct StepWindows: Codable, Equatable, Sendable, CustomStringConvertible {
    public var ranges: [Range<Int>]

    public static let paperDefault = StepWindows(ranges: [0..<10_000, 20_000..<30_000])

    public init(ranges: [Range<Int>]) { self.ranges = ranges }

    /// The Transformer's stages (SI Fig. S5): steps 0–999, the authors' histograms, and the run's last
    /// 1,000 steps as the later stage (the whole run is one stage when it has fewer than 2,000 steps).
    public static func transformerDefault(totalSteps: Int) -> StepWindows {
        totalSteps >= 2000 ? StepWindows(ranges: [0..<1000, (totalSteps - 1000)..<totalSteps]) : StepWindows(ranges: [0..<min(1000, totalSteps)])
    }

    /// Parses "0:10000,20000:30000": ascending, non-overlapping, non-empty ranges.
    public init(parsing text: String, flag: String = "'windows'") throws {
        var out: [Range<Int>] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: ":", omittingEmptySubsequences: false)
            guard ends.count == 2, let a = Int(ends[0].trimmingCharacters(in: .whitespaces)),
                  let b = Int(ends[1].trimmingCharacters(in: .whitespaces)) else {
                throw CriticalityError(.invalidArgument, "\(flag): '\(part)' is not START:END (e.g. 0:10000,20000:30000)")
            }
            guard a >= 0, b > a else {
                throw CriticalityError(.invalidArgument, "\(flag): window \(a):\(b) must satisfy 0 ≤ START < END")
            }
            if let last = out.last, a < last.upperBound {
                throw CriticalityError(.invalidArgument, "\(flag): window \(a):\(b) overlaps or precedes \(last.lowerBound):\(last.upperBound); give ascending, non-overlapping windows")
            }
            out.append(a..<b)
        }
        guard !out.isEmpty else { throw CriticalityError(.invalidArgument, "\(flag): give at least one window START:END") }
        ranges = out
    }

    /// The windows cut to a run of `steps` steps (windows starting at or after `steps` are dropped).
    public func clipped(to steps: Int) -> StepWindows {
        StepWindows(ranges: ranges.compactMap { $0.lowerBound < steps ? $0.lowerBound..<min($0.upperBound, steps) : nil })
    }

    public var description: String { ranges.map { "\($0.lowerBound):\($0.upperBound)" }.joined(separator: ",") }

    /// Folder name of a window, e.g. "window_0_10000".
    public static func folderName(_ r: Range<Int>) -> String { RunDirectory.windowFolderName(r) }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
