import Criticality
import Foundation

/// `criticality sweep SPEC --out DIR --slurm`: a SLURM job array, one task per point not yet done, each
/// running `criticality sweep run DIR/sweep.yaml --out DIR --index I` (the run directory is the unit: a
/// preempted or requeued task resumes from its checkpoint), and a report job that waits for the array
/// (`afterany`) and runs `criticality sweep report DIR`. The scripts are written to `DIR/slurm/` and
/// the ids `sbatch` gave them to `DIR/slurm/jobs.json`.
///
/// A task's output goes to the point's log (`DIR/logs/NAME.log`), as a local job's does; SLURM's own
/// messages to `DIR/slurm/`. 120 s before a task's time limit SLURM sends it SIGINT (`--signal=B:INT@120`,
/// the batch shell being `criticality` itself through `exec`): it checkpoints and stops, and a
/// requeue or a second submission resumes it.
struct SlurmSubmission {
    let folder: SweepFolder
    let manifest: SweepManifest
    let reduced: Bool
    var partition: String?
    var time: String?
    var memory = "4G"
    var cpusPerTask = 1
    var extraOptions: [String] = []
    /// The program the tasks run (this one, by absolute path: the cluster's nodes must see it).
    var executable = (try? SweepPool.ownExecutable()) ?? "criticality"

    /// Fails with what to do when `sbatch` cannot be found on PATH.
    static func requireSbatch() throws {
        guard findOnPath("sbatch") != nil else {
            throw CriticalityError(.fileNotFound, "--slurm submits with sbatch, which is not on PATH; run on a SLURM login node (or add SLURM's bin folder to PATH), run without --slurm to train here, or add --dry-run to see the scripts")
        }
    }

    static func findOnPath(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Single-quoted for the shell.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// sbatch's `--array` list of `indices`, runs of consecutive ones as ranges ("0-3,7,9-10").
    static func arrayList(_ indices: [Int]) -> String {
        var parts: [String] = [], i = 0
        while i < indices.count {
            var j = i
            while j + 1 < indices.count && indices[j + 1] == indices[j] + 1 { j += 1 }
            parts.append(i == j ? "\(indices[i])" : "\(indices[i])-\(indices[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    private var absolute: String { URL(fileURLWithPath: folder.path).standardizedFileURL.path }

    /// The points not yet done, from their run directories.
    var pending: [Int] { manifest.points.filter { !Sweep.state(of: $0, in: folder).isDone }.map(\.index) }

    private var common: [String] {
        (partition.map { ["#SBATCH --partition=\($0)"] } ?? []) + extraOptions.map { "#SBATCH \($0)" }
    }

    /// The job array's script for the points `pending`.
    func arrayScript(pending: [Int]) -> String {
        let dir = absolute, f = SweepFolder(dir)
        let names = manifest.points.map { SlurmSubmission.quote($0.name) }.joined(separator: " ")
        var lines = ["#!/bin/bash",
                     "# Written by `criticality sweep --slurm`: one task per point of sweep '\(manifest.name)' not yet done.",
                     "#SBATCH --job-name=crit-\(manifest.name)",
                     "#SBATCH --array=\(SlurmSubmission.arrayList(pending))",
                     "#SBATCH --cpus-per-task=\(cpusPerTask)",
                     "#SBATCH --mem=\(memory)",
                     "#SBATCH --output=\(f.slurm)/task-%A_%a.out",
                     "#SBATCH --requeue",
                     "#SBATCH --signal=B:INT@120"]
        if let time { lines.append("#SBATCH --time=\(time)") }
        lines += common
        lines += ["set -euo pipefail",
                  "names=(\(names))",
                  "name=${names[$SLURM_ARRAY_TASK_ID]}",
                  "exec \(SlurmSubmission.quote(executable)) sweep run \(SlurmSubmission.quote(f.spec)) --out \(SlurmSubmission.quote(dir)) --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-1}\"\(reduced ? " --reduced" : "") >>\"\(f.path)/\(SweepFolder.Relative.logs)/$name.log\" 2>&1"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report job's script (submitted with `--dependency=afterany:ARRAY`).
    func reportScript() -> String {
        let dir = absolute, f = SweepFolder(dir)
        var lines = ["#!/bin/bash",
                     "# Written by `criticality sweep --slurm`: analyzes the runs of sweep '\(manifest.name)' and writes its report.",
                     "#SBATCH --job-name=crit-\(manifest.name)-report",
                     "#SBATCH --cpus-per-task=1",
                     "#SBATCH --mem=\(memory)",
                     "#SBATCH --output=\(f.slurm)/report-%j.out"]
        if let time { lines.append("#SBATCH --time=\(time)") }
        lines += common
        lines += ["set -euo pipefail", "exec \(SlurmSubmission.quote(executable)) sweep report \(SlurmSubmission.quote(dir))"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// What `--dry-run` prints: both scripts and the two sbatch commands.
    func dryRun() -> String {
        let f = SweepFolder(absolute)
        return "# \(f.slurm)/array.sh\n" + arrayScript(pending: pending) + "\n# \(f.slurm)/report.sh\n" + reportScript()
            + "\n# submitted as:\nsbatch --parsable \(f.slurm)/array.sh\nsbatch --parsable --dependency=afterany:ARRAY_JOB_ID \(f.slurm)/report.sh\n"
    }

    /// Writes the scripts and submits them; prints the job ids and how to follow the sweep.
    func submit() throws {
        let f = SweepFolder(absolute)
        let pending = self.pending
        try FileManager.default.createDirectory(atPath: f.slurm, withIntermediateDirectories: true)
        try FileOutput.write(reportScript(), to: f.slurm + "/report.sh")
        var jobs: [String: String] = [:]
        if !pending.isEmpty {
            try FileOutput.write(arrayScript(pending: pending), to: f.slurm + "/array.sh")
            jobs["array"] = try sbatch(["--parsable", f.slurm + "/array.sh"])
        }
        jobs["report"] = try sbatch(["--parsable"] + (jobs["array"].map { ["--dependency=afterany:\($0)"] } ?? []) + [f.slurm + "/report.sh"])
        try FileOutput.writeJSON(jobs, to: f.slurm + "/jobs.json")
        print("submitted sweep \(manifest.name): " + (jobs["array"].map { "job array \($0) (\(pending.count) tasks), " } ?? "no runs left to train, ")
              + "report job \(jobs["report"]!); follow it with `criticality sweep status \(folder.path)`; the report will be \(f.report)")
    }

    /// Runs sbatch with `arguments`; its job id (the first field of `--parsable`'s output).
    private func sbatch(_ arguments: [String]) throws -> String {
        guard let path = SlurmSubmission.findOnPath("sbatch") else { try SlurmSubmission.requireSbatch(); return "" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let id = output.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard p.terminationStatus == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw CriticalityError(.io, "sbatch \(arguments.joined(separator: " ")) failed (exit \(p.terminationStatus)): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return id
    }
}
