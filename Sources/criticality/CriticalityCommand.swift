import ArgumentParser
import Criticality
import Foundation

@main
struct CriticalityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criticality",
        abstract: "Train neural networks on the CPU and measure the statistical physics of their learning.",
        discussion: "Reproduces 'Heavy-tailed update distributions…' (PNAS 2025). Run directories hold manifest.json, metrics.csv, checkpoints and observer outputs as .npy.",
        version: RunManifest.criticalityVersion,
        subcommands: [TrainCommand.self, ResumeCommand.self, AnalyzeUpdatesCommand.self, FitCommand.self, AnalyzeCommand.self, ReportCommand.self, ReproduceCommand.self, BenchCommand.self]
    )
}

/// Prints a `CriticalityError` as the user should see it and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    if let e = error as? CriticalityError {
        FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
        return ExitCode(e.kind == .interrupted ? 130 : 1)
    }
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}
