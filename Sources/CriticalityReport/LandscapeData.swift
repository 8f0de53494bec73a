import CriticalityCore
import CriticalityIO
import CriticalityRun
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// A landscape folder for the report: a run's `landscape/` or a `criticality landscape` output, its
/// summary and (lazily) its arrays.
public struct LandscapeData: Sendable {
    /// The run's name, or the folder's for a synthetic landscape.
    public var name: String
    public var folder: LandscapeFolder
    public var summary: LandscapeSummary

    /// Reads `folder`'s summary; nil when the folder has none.
    public init?(name: String, folder: LandscapeFolder) throws {
        guard FileManager.default.fileExists(atPath: folder.summary) else { return nil }
        self.name = name
        self.folder = folder
        summary = try LandscapeSummary.read(folder.summary)
    }

    /// The |ΔL| of one response set, or nil when its file is missing.
    public func values(_ r: LandscapeSummary.ResponseSet) -> [Double]? {
        try? Npy.readDoubles(path: folder.path + "/" + r.file).values
    }

    /// The sources on the training set (a run's checkpoints) or every synthetic law.
    public var trainSources: [LandscapeSummary.Source] { summary.sources.filter { $0.set != "test" } }
}
