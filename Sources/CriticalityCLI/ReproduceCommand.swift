import ArgumentParser
import Criticality
import Foundation

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Run the paper's experiments, their analyses and the report in one command (resumable: a rerun skips finished stages).",
        discussion: "smoke ≈ 2 min (CI), quick ≈ 20 min, paper = the paper's 30,000 steps per model. Writes OUT/runs/<model>-<dataset>/ and OUT/report.html.")

    @Option(help: "smoke, quick or paper.")
    var scale: String = "smoke"
    @Option(help: "Output folder.")
    var out: String = "reproduction"
    @Option(help: "Folder of the MNIST IDX files: adds an MNIST run.")
    var mnist: String?
    @Option(help: "Folder of the CIFAR-10 binary batches: adds a CIFAR-10 CNN run.")
    var cifar10: String?
    @Option(help: "Seed of every run.")
    var seed: UInt64 = 1
    @Option(help: "Folder of the SI sweep files (S2–S7) that quick and paper scale run (quick: their reduced versions). Default: the repository's sweeps/si.")
    var siSweeps: String?
    @Flag(help: "Submit the SI sweeps as SLURM job arrays (`criticality sweep --slurm`) instead of running them here; rerun reproduce when they are done to put them in the report.")
    var slurm = false
    @Option(help: "With --slurm: an sbatch option for the SI sweeps' jobs (repeatable, e.g. --slurm-option=--partition=cpu).")
    var slurmOption: [String] = []

    func validate() throws {
        if !slurm && !slurmOption.isEmpty { throw ValidationError("--slurm-option is an option of --slurm; add --slurm or remove it") }
    }

    func run() throws {
        do {
            guard let s = ReproductionScale(rawValue: scale) else {
                throw CriticalityError(.invalidArgument, "--scale '\(scale)' is not one of smoke, quick, paper")
            }
            let plan = try Reproduction.plan(scale: s, mnist: mnist, cifar10: cifar10, seed: seed)
            if s != .smoke && !Reproduction.textCorpusAvailable {
                FileHandle.standardError.write(Data("note: Debian's fortunes is not installed (\(TextCorpus.defaultTextPath)); the causal text run of the Transformer is left out. Install it with `apt-get install fortunes` (scripts/install.sh does) and run reproduce again to add it.\n".utf8))
            }
            let sweepFiles = s == .smoke ? [] : try SISweeps.files(in: siSweeps ?? SISweeps.defaultFolder)
            if slurm { try SlurmSubmission.requireSbatch() }
            let total = 2 * plan.count + plan.filter { $0.noise != nil }.count + sweepFiles.count + 2
            var stage = 0
            func announce(_ what: String) {
                stage += 1
                FileHandle.standardError.write(Data("[\(stage)/\(total)] \(what)\n".utf8))
            }
            let start = Date()
            let progress = FractionDisplay()
            var runs: [String] = []
            let folder = ReproductionFolder(out)
            for e in plan {
                let dir = folder.run(e.name).path
                runs.append(dir)
                let manifest = try? RunManifest.read(RunDirectory(dir))
                if manifest?.status == "complete" {
                    announce("train \(e.name): already complete, skipped")
                } else if manifest != nil {
                    announce("train \(e.name): resuming")
                    let data = try e.config.train.loadData()
                    try runTraining(config: manifest!.config, data: data, runPath: dir, resume: true)
                } else {
                    announce("train \(e.name): " + (e.config.steps.map { "\($0) steps" } ?? "\(e.config.epochs ?? 1) epochs")
                             + (e.config.updates.map { ", windows \($0.windows.description)" } ?? "")
                             + (e.config.keepCheckpoints.map { ", checkpoints kept at \($0.map(\.description).joined(separator: ", "))" } ?? ""))
                    let data = try e.config.train.loadData()
                    let lock = try prepareOutput(dir, force: true)
                    try runTraining(config: e.config, data: data, runPath: dir, resume: false, lock: lock)
                }
                if let n = e.noise {
                    if (try? FileOutput.readJSON(GradientNoiseSummary.self, from: RunDirectory(dir).noise.summary))?.settings == n {
                        announce("noise \(e.name): already done, skipped")
                    } else {
                        announce("noise \(e.name): \(n.batches) mini-batches of \(n.batchSize), \(n.perLayer) parameters per layer")
                        _ = try GradientNoise.run(RunDirectory(dir), settings: n, threads: ProcessInfo.processInfo.activeProcessorCount) { what, fraction in
                            progress.update(what, fraction)
                        }
                    }
                }
                if let p = e.perturb {
                    announce("perturb \(e.name): \(p.perLayer) parameters per layer, δ = \(p.deltas.map(LandscapeFolder.deltaText).joined(separator: ", ")), whole training set")
                    try Perturbation.run(RunDirectory(dir), settings: p, memoryBytes: 4096 << 20,
                                         threads: ProcessInfo.processInfo.activeProcessorCount, replace: true) { source, fraction in
                        progress.update("perturb \(source)", fraction)
                    }
                } else if RunAnalysis.isCurrent(run: dir) {
                    announce("analyze \(e.name): already done, skipped")
                } else {
                    announce("analyze \(e.name)")
                    FileOutput.removeStaleTemporaries(under: dir)
                    _ = try RunAnalysis.analyze(run: dir, options: TailFitOptions())
                }
            }
            var sweeps: [SweepData] = []
            for path in sweepFiles {
                let file = try SweepFile(path: path)
                let manifest = try file.manifest(reduced: s == .quick)
                let sweepFolder = folder.sweep(manifest.name)
                try Sweep.prepare(sweepFolder, manifest: manifest, specText: file.text)
                if slurm {
                    announce("SI sweep \(manifest.name): submitting \(manifest.points.count) runs to SLURM")
                    var submission = SlurmSubmission(folder: sweepFolder, manifest: manifest, reduced: s == .quick)
                    submission.extraOptions = slurmOption
                    try submission.submit()
                } else {
                    announce("SI sweep \(manifest.name): \(manifest.points.count) runs (\(manifest.conditions.count) conditions × \(manifest.points.count / max(manifest.conditions.count, 1)) seeds)")
                    let failed = try SweepPool.runHere(sweepFolder, manifest: manifest, reduced: s == .quick, jobs: ProcessInfo.processInfo.activeProcessorCount)
                    for f in failed {
                        FileHandle.standardError.write(Data("warning: SI sweep \(manifest.name): \(f.name) failed twice (\(f.message)); the report leaves it out\n".utf8))
                    }
                }
                sweeps.append(try SweepData(folder: sweepFolder))
            }
            announce("synthetic landscapes (SI S16–S18)")
            try SyntheticLandscapes.run(Reproduction.syntheticLandscapes(scale: s, seed: seed), into: folder.syntheticLandscapes, replace: true)
            announce("report")
            let data = try runs.map { try RunData(path: $0) }
            let synthetic = try LandscapeData(name: "synthetic", folder: folder.syntheticLandscapes).map { [$0] } ?? []
            try FileOutput.write(HTMLReport.render(data, synthetic: synthetic, sweeps: sweeps, title: "Criticality — reproduction (\(s.rawValue) scale)", command: invocation(), directory: folder.path), to: folder.report)
            print(String(format: "%@ written; %ld runs in %@", folder.report, runs.count,
                         ProgressDisplay.duration(Date().timeIntervalSince(start))))
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}

/// The SI sweep files (SI Figs. S2–S7) that ship in the repository's `sweeps/si/`, one per SI figure.
enum SISweeps {
    /// The repository's `sweeps/si`, found from this source file's place (the binary is built in the
    /// repository); `reproduce --si-sweeps` names another folder.
    static let defaultFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sweeps/si").path

    /// The `.yaml` files of `folder`, by name.
    static func files(in folder: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw CriticalityError(.fileNotFound, "--si-sweeps \(folder): no such folder; it holds the SI sweep files (the repository's sweeps/si)")
        }
        let files = names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder + "/" + $0 }
        guard !files.isEmpty else { throw CriticalityError(.fileNotFound, "--si-sweeps \(folder): no .yaml sweep files in it") }
        return files
    }
}
