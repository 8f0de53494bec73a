import ArgumentParser
import Criticality
import Foundation

/// `criticality sweep`: many runs from one sweep file (`SweepFile`), on this machine (`--jobs`) or as a
/// SLURM job array (`--slurm`). The run directories under `DIR/runs/` are the state: a rerun skips what
/// is done and resumes what was stopped; `sweep status` reads them.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a sweep of training runs (a base configuration, axes or variants, seeds), locally or on SLURM; resumable.",
        discussion: """
        A sweep file is YAML: `base:` (train's config keys), `axes:` (key: [values], crossed), `variants:` (a list of \
        named settings), `seeds:`, `reduced:` and `panels:` (docs/sweeps.md). Each point is one run directory, \
        DIR/runs/NAME, named from its varied values. The SI's sweeps ship with Criticality \
        (`criticality reproduce`; Sources/CriticalityRun/SISweeps/).
        """,
        subcommands: [Start.self, Run.self, Status.self, Report.self],
        defaultSubcommand: Start.self)

    /// `sweep SPEC --out DIR`: every point not yet done, `--jobs` at a time, then the report; or the
    /// SLURM job array that does the same.
    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Run every point of SPEC not yet done (`criticality sweep SPEC --out DIR`), then analyze them and write DIR/report.html.")

        @Argument(help: ArgumentHelp("The sweep file (YAML).", valueName: "spec"))
        var spec: String
        @Option(help: "Sweep folder: DIR/runs/NAME per point, DIR/report.html.")
        var out: String
        @Option(help: "Runs trained at once on this machine; the cores are split between them (never more threads than cores). Default: one per core.")
        var jobs: Int?
        @Flag(help: "Run the sweep file's reduced version (its `reduced:` seeds and step factor).")
        var reduced = false
        @Flag(help: "Submit a SLURM job array (one task per point not yet done) and a report job that runs after it, instead of running here.")
        var slurm = false
        @Flag(help: "With --slurm: print the scripts and the sbatch commands without writing or submitting anything.")
        var dryRun = false
        @Option(help: "With --slurm: the partition (sbatch --partition).")
        var partition: String?
        @Option(help: "With --slurm: each task's time limit (sbatch --time, e.g. 2:00:00).")
        var time: String?
        @Option(help: "With --slurm: each task's memory (sbatch --mem, e.g. 4G). Default 4G.")
        var mem: String?
        @Option(help: "With --slurm: cores per task; the task trains on that many threads. Default 1.")
        var cpusPerTask: Int?
        @Option(help: "With --slurm: another sbatch option for both jobs, passed as written (repeatable, e.g. --slurm-option=--account=phys).")
        var slurmOption: [String] = []

        func validate() throws {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            if let jobs {
                if jobs < 1 { throw ValidationError("--jobs must be at least 1; got \(jobs)") }
                if jobs > cores { throw ValidationError("--jobs \(jobs) would run more threads than this machine's \(cores) cores; give at most \(cores)") }
                if slurm { throw ValidationError("--jobs is for running here; with --slurm, the scheduler decides how many tasks run at once") }
            }
            if let c = cpusPerTask, c < 1 { throw ValidationError("--cpus-per-task must be at least 1; got \(c)") }
            if !slurm {
                for (flag, given) in [("dry-run", dryRun), ("partition", partition != nil), ("time", time != nil), ("mem", mem != nil),
                                      ("cpus-per-task", cpusPerTask != nil), ("slurm-option", !slurmOption.isEmpty)] where given {
                    throw ValidationError("--\(flag) is an option of --slurm; add --slurm or remove it")
                }
            }
        }

        func run() throws {
            do {
                let file = try SweepFile(path: spec)
                let manifest = try file.manifest(reduced: reduced)
                let folder = SweepFolder(out)
                if slurm {
                    var s = SlurmSubmission(folder: folder, manifest: manifest, reduced: reduced)
                    s.partition = partition; s.time = time; s.memory = mem ?? s.memory; s.cpusPerTask = cpusPerTask ?? 1; s.extraOptions = slurmOption
                    if dryRun {
                        print(s.dryRun())
                        return
                    }
                    try SlurmSubmission.requireSbatch()
                    try Sweep.prepare(folder, manifest: manifest, specText: file.text)
                    try s.submit()
                    return
                }
                try Sweep.prepare(folder, manifest: manifest, specText: file.text)
                let failed = try SweepPool.runHere(folder, manifest: manifest, reduced: reduced, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
                if !failed.isEmpty {
                    throw CriticalityError(.numerical, "\(failed.count) of \(manifest.points.count) runs failed twice (the report leaves them out): " +
                                           failed.map { "\($0.name) (\($0.message); log \(folder.log($0.name)))" }.joined(separator: "; "))
                }
            } catch let e as CriticalityError {
                throw fail(e)
            }
        }
    }

    /// `sweep run SPEC --out DIR --index I`: one point (a SLURM array task, or a local job).
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Train and analyze one point of a sweep (what each SLURM task and local job runs): resumes it from its checkpoint, or skips it when done.")

        @Argument(help: ArgumentHelp("The sweep file (YAML); SLURM tasks read the folder's copy, DIR/sweep.yaml.", valueName: "spec"))
        var spec: String
        @Option(help: "Sweep folder.")
        var out: String
        @Option(help: "The point's index (0-based, as in DIR/sweep.json and `sweep status`).")
        var index: Int
        @Flag(help: "The sweep file's reduced version.")
        var reduced = false
        @Option(help: "Threads of the run. Default: $SLURM_CPUS_PER_TASK when set, else every core.")
        var threads: Int?

        func validate() throws {
            if index < 0 { throw ValidationError("--index must be at least 0; got \(index)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1; got \(threads)") }
        }

        func run() throws {
            do {
                let file = try SweepFile(path: spec)
                let manifest = try file.manifest(reduced: reduced)
                let folder = SweepFolder(out)
                if FileManager.default.fileExists(atPath: folder.manifest) {
                    if let why = manifest.difference(from: try Sweep.read(folder)) {
                        throw CriticalityError(.invalidArgument, "\(out) holds a different sweep: \(why); give the spec the sweep was started with (\(folder.spec))")
                    }
                } else {
                    try Sweep.prepare(folder, manifest: manifest, specText: file.text)
                }
                guard index < manifest.points.count else {
                    throw CriticalityError(.invalidArgument, "--index \(index) is past the sweep's last point (\(manifest.points.count - 1))")
                }
                let point = manifest.points[index]
                let threads = self.threads ?? ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init)
                    ?? ProcessInfo.processInfo.activeProcessorCount
                do {
                    try SweepPointRunner.run(point, in: folder, threads: threads)
                    Sweep.clearFailure(point, in: folder)
                } catch let e as CriticalityError where e.kind != .interrupted {
                    Sweep.recordFailure(point, in: folder, message: e.message)
                    throw e
                }
            } catch let e as CriticalityError {
                throw fail(e)
            }
        }
    }

    /// `sweep status DIR`: every point's state, from its run directory.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the state of every run of a sweep, read from the run directories (not from a scheduler).")

        @Argument(help: ArgumentHelp("Sweep folder.", valueName: "dir"))
        var folder: String

        func run() throws {
            do {
                let f = SweepFolder(folder)
                let m = try Sweep.read(f)
                let states = m.points.map { Sweep.state(of: $0, in: f) }
                let width = max(4, m.points.map(\.name.count).max() ?? 0)
                print("sweep \(m.name)\(m.reduced ? " (reduced)" : ""): \(m.points.count) runs in \(f.path)/\(SweepFolder.Relative.runs)")
                for (p, s) in zip(m.points, states) {
                    print(String(format: "%4ld  ", p.index) + p.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + s.description)
                }
                let done = states.filter(\.isDone).count
                let failed = states.filter { if case .failed = $0 { return true }; return false }.count
                let running = states.filter { if case .running = $0 { return true }; return false }.count
                print("\(done) done, \(running) running, \(failed) failed, \(m.points.count - done - running - failed) to do"
                      + (FileManager.default.fileExists(atPath: f.report) ? "; report: \(f.report)" : ""))
            } catch let e as CriticalityError {
                throw fail(e)
            }
        }
    }

    /// `sweep report DIR`: analyzes what is trained and writes the report (the SLURM report job).
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Analyze every trained run of a sweep that is not yet analyzed and write DIR/report.html (what the SLURM report job runs).")

        @Argument(help: ArgumentHelp("Sweep folder.", valueName: "dir"))
        var folder: String

        func run() throws {
            do { try SweepReport.write(SweepFolder(folder)) } catch let e as CriticalityError { throw fail(e) }
        }
    }
}

/// One point, start to end: train (or resume), then analyze.
enum SweepPointRunner {
    static func run(_ point: SweepPoint, in folder: SweepFolder, threads: Int) throws {
        let run = folder.run(point.name)
        switch Sweep.state(of: point, in: folder) {
        case .done:
            print("\(point.name): already done")
            return
        case .running:
            throw CriticalityError(.invalidArgument, "\(run.path) is being trained by another process (it holds the run's lock); let it finish, or stop it first")
        case .trained:
            break
        case .stopped, .failed, .notStarted:
            if let m = try? RunManifest.read(run) {  // the sweep's manifest guarantees it is this point's run
                var c = m.config
                c.threads = threads
                FileHandle.standardError.write(Data("\(point.name): resuming at step \(m.stepsCompleted)/\(m.totalSteps)\n".utf8))
                try runTraining(config: c, data: try c.train.loadData(), runPath: run.path, resume: true)
            } else {
                var c = point.config
                c.threads = threads
                let data = try c.train.loadData()
                let lock = try run.prepare(replace: true)  // a folder without a manifest holds nothing to keep
                try runTraining(config: c, data: data, runPath: run.path, resume: false, lock: lock)
            }
        }
        let trained = try RunManifest.read(run)
        if trained.config.updates == nil || RunAnalysis.isCurrent(run: run.path) { return }
        FileHandle.standardError.write(Data("\(point.name): analyzing\n".utf8))
        try analyze(run.path)
    }

    /// `criticality analyze`'s fits of a trained run (what a point's job and the report job both do).
    static func analyze(_ run: String) throws {
        FileOutput.removeStaleTemporaries(under: run)
        _ = try RunAnalysis.analyze(run: run, options: TailFitOptions())
    }
}
