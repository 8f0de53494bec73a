import CriticalityCore
import Foundation

/// The run directory, named in one place: every file and folder that training writes and analysis
/// reads (docs/run-directory.md). It is the interface between training and analysis; nothing outside
/// this target spells a file name of it, so a renamed file is renamed here and in the docs only.
///
/// A value names paths; it does not touch the disk except in `prepare` and `listing`. The documents
/// it names (manifest, checkpoint state, summaries) carry a `schema_version` (`SchemaVersion`).
public struct RunDirectory: Hashable, Sendable {
    /// The folder of the run.
    public let path: String

    public init(_ path: String) { self.path = path }

    /// The last path component, which names the run in reports.
    public var name: String { (path as NSString).lastPathComponent }

    /// Names relative to the run directory, as the manifest lists them in `outputs`.
    public enum Relative {
        public static let manifest = "manifest.json"
        public static let metrics = "metrics.csv"
        public static let parameters = "parameters.npy"
        public static let buffers = "buffers.npy"
        public static let checkpoint = "checkpoint"
        public static let keptCheckpoints = "checkpoints"
        public static let landscape = "landscape"
        public static let replay = "replay"
        public static let observers = "observers"
        public static let lock = ".lock"
    }

    /// `manifest.json`: what the run is, its status and its files (`RunManifest`).
    public var manifest: String { path + "/" + Relative.manifest }
    /// `metrics.csv`: one row per step (`MetricsLog`, read back by `MetricsTable`).
    public var metrics: String { path + "/" + Relative.metrics }
    /// `parameters.npy`: θ after the last step (complete runs only).
    public var parameters: String { path + "/" + Relative.parameters }
    /// `buffers.npy`: the model's non-trained state after the last step (batch-norm running statistics).
    public var buffers: String { path + "/" + Relative.buffers }
    /// The lock file (`RunLock`).
    public var lockFile: String { path + "/" + Relative.lock }
    /// `checkpoint/`: the newest complete checkpoint.
    public var checkpoint: CheckpointFolder { CheckpointFolder(path + "/" + Relative.checkpoint) }
    /// `checkpoint.old/`, the previous checkpoint while a new one is swapped in.
    public var previousCheckpoint: CheckpointFolder { CheckpointFolder(path + "/" + Relative.checkpoint + CheckpointFolder.oldSuffix) }
    /// `checkpoints/NAME/`: a checkpoint kept at a chosen point of the run (`train --keep-checkpoints`;
    /// NAME is "epoch_50" or "step_1000"), never overwritten or removed by training.
    public func keptCheckpoint(_ name: String) -> CheckpointFolder {
        CheckpointFolder(path + "/" + Relative.keptCheckpoints + "/" + name)
    }
    /// `landscape/`: the perturbation scans of `criticality perturb` (`LandscapeFolder`).
    public var landscape: LandscapeFolder { LandscapeFolder(path + "/" + Relative.landscape) }
    /// `replay/`: window-start checkpoints for the observers' second pass (removed when the run completes).
    public var replay: String { path + "/" + Relative.replay }
    /// `replay/window_A_B/`: the checkpoint at the start of window A..<B.
    public func replayCheckpoint(_ window: Range<Int>) -> CheckpointFolder {
        CheckpointFolder(replay + "/" + RunDirectory.windowFolderName(window))
    }
    /// `observers/NAME/`: the outputs of one observer.
    public func observer(_ name: String) -> String { path + "/" + Relative.observers + "/" + name }
    /// The manifest's relative name of a file an observer wrote into its folder.
    public static func observerFile(_ observer: String, _ file: String) -> String { Relative.observers + "/" + observer + "/" + file }
    /// `observers/updates/`: the update-statistics observer's folder.
    public var updateStatistics: UpdateStatisticsFolder { UpdateStatisticsFolder(observer(UpdateStatisticsFolder.observerName)) }

    /// "window_A_B", the folder of step window A..<B (in `observers/updates/` and in `replay/`).
    public static func windowFolderName(_ w: Range<Int>) -> String { "window_\(w.lowerBound)_\(w.upperBound)" }

    /// Whether the folder holds a run (a manifest) or an update analysis (a summary) at all.
    public var exists: Bool {
        FileManager.default.fileExists(atPath: manifest) || FileManager.default.fileExists(atPath: updateStatistics.summary)
    }

    /// Makes the folder ready for a new run and returns its lock: creates it; an existing non-empty
    /// folder is replaced only with `replace` (never silently overwritten), and never while another
    /// process holds its lock. The caller keeps the lock for as long as it writes the run.
    public func prepare(replace: Bool) throws -> RunLock {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
            throw CriticalityError(.invalidArgument, "\(path) is a file, not a folder; choose another output folder")
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CriticalityError(.io, "\(path): could not create the folder (\(error.localizedDescription))")
        }
        let lock = try RunLock(run: path)
        let contents = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != Relative.lock }
        if !contents.isEmpty {
            guard replace else {
                throw CriticalityError(.invalidArgument, "\(path) already exists and is not empty; choose another output folder, replace it, or resume it (`criticality resume \(path)`)")
            }
            for item in contents {
                do { try fm.removeItem(atPath: path + "/" + item) } catch {
                    throw CriticalityError(.io, "\(path): could not remove the old run's \(item) (\(error.localizedDescription))")
                }
            }
        }
        return lock
    }
}

/// A checkpoint folder (`checkpoint/`, or `replay/window_A_B/`): θ, the optimizer's state, the model's
/// buffers, `state.json` and each observer's state. Written as `NAME.tmp/`, swapped in through `NAME.old/`.
public struct CheckpointFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }

    static let oldSuffix = ".old"
    /// `state.json` (`CheckpointState`), written last: a folder without it is not a checkpoint.
    public static let stateFileName = "state.json"

    public var state: String { path + "/" + CheckpointFolder.stateFileName }
    public var parameters: String { path + "/parameters.npy" }
    public var buffers: String { path + "/buffers.npy" }
    /// The optimizer's i-th state vector (momentum, Adam's moments…).
    public func optimizerState(_ i: Int) -> String { path + "/optimizer_state_\(i).npy" }
    /// The folder of one observer's state.
    public func observer(_ name: String) -> String { path + "/" + RunDirectory.Relative.observers + "/" + name }
    /// Where a new checkpoint of this name is written before the swap.
    public var temporary: CheckpointFolder { CheckpointFolder(path + ".tmp") }
    /// Where the previous checkpoint of this name waits while the new one is swapped in.
    public var previous: CheckpointFolder { CheckpointFolder(path + CheckpointFolder.oldSuffix) }
}

/// The folder `reproduce --out DIR` writes: one run directory per planned run under `runs/`, and the
/// report beside them.
public struct ReproductionFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }
    /// `runs/NAME/`, the run directory of planned run `name`.
    public func run(_ name: String) -> RunDirectory { RunDirectory(path + "/runs/" + name) }
    /// `report.html`.
    public var report: String { path + "/report.html" }
    /// `si/NAME/`: the sweep folder of SI sweep `name` (SI Figs. S2–S7).
    public func sweep(_ name: String) -> SweepFolder { SweepFolder(path + "/si/" + name) }
    /// `landscape-synthetic/`: the synthetic landscapes (SI S16–S18).
    public var syntheticLandscapes: LandscapeFolder { LandscapeFolder(path + "/landscape-synthetic") }
}
