import Foundation

/// The folder `criticality sweep SPEC --out DIR` writes (docs/run-directory.md, "Sweep folder"): the
/// sweep's manifest and its own copy of the spec, one run directory per point under `runs/`, each
/// point's log and failure record, the SLURM scripts when submitted, and the report.
///
/// The run directories are the state: `sweep status` and a rerun read them, never a scheduler.
public struct SweepFolder: Hashable, Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }

    public enum Relative {
        public static let manifest = "sweep.json"
        public static let spec = "sweep.yaml"
        public static let runs = "runs"
        public static let logs = "logs"
        public static let failures = "failures"
        public static let slurm = "slurm"
        public static let report = "report.html"
    }

    /// `sweep.json`: the points, their resolved configurations and the panels (`SweepManifest`).
    public var manifest: String { path + "/" + Relative.manifest }
    /// `sweep.yaml`: the spec as it was when the sweep started (SLURM tasks read this copy).
    public var spec: String { path + "/" + Relative.spec }
    /// `runs/NAME/`: the run directory of point `name`.
    public func run(_ name: String) -> RunDirectory { RunDirectory(path + "/" + Relative.runs + "/" + name) }
    /// `logs/NAME.log`: what the point's process printed (local jobs and SLURM tasks alike).
    public func log(_ name: String) -> String { path + "/" + Relative.logs + "/" + name + ".log" }
    /// `failures/NAME.json`: the last failure of point `name` (`SweepFailure`); removed when it succeeds.
    public func failure(_ name: String) -> String { path + "/" + Relative.failures + "/" + name + ".json" }
    /// `slurm/`: the job-array and report scripts, and `jobs.json` with the ids `sbatch` gave them.
    public var slurm: String { path + "/" + Relative.slurm }
    /// `report.html`: every point's figures and fits, and the sweep's panels and claims.
    public var report: String { path + "/" + Relative.report }
}
