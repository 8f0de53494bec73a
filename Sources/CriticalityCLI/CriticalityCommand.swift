import ArgumentParser
import Criticality
import Foundation

/// The `criticality` command; `Sources/criticality/main.swift` runs it.
public struct CriticalityCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "criticality",
        abstract: "Train neural networks on the CPU and measure the statistical physics of their learning.",
        discussion: "Reproduces 'Heavy-tailed update distributions…' (PNAS 2025). A run directory holds its manifest, metrics, checkpoints and observer outputs as .npy (docs/run-directory.md).",
        version: RunManifest.criticalityVersion,
        subcommands: [TrainCommand.self, ResumeCommand.self, SweepCommand.self, AnalyzeUpdatesCommand.self, FitCommand.self, AnalyzeCommand.self, ReportCommand.self, PerturbCommand.self, LandscapeCommand.self, StabilityCommand.self, NoiseCommand.self, ReproduceCommand.self, BenchCommand.self]
    )

    public init() {}

    /// Installs the signal handlers every command needs, then parses and runs.
    public static func main() {
        Interrupt.installExit()
        main(nil)
    }
}

/// Prints a `CriticalityError` as the user should see it and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    if let e = error as? CriticalityError {
        FileHandle.standardError.write(Data("error: \(flagged(e.message))\n".utf8))
        return ExitCode(e.kind == .interrupted ? 130 : 1)
    }
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}

/// The library names a setting by its key in quotes ('steps', 'data-dir'); on the command line it is a
/// flag, so each quoted key of a `train` setting becomes `--key` (a config file's own messages, which
/// start with `--config FILE:`, and a sweep file's, `sweep file FILE`, keep the keys they quote).
func flagged(_ message: String) -> String {
    guard !message.hasPrefix("--config "), !message.hasPrefix("sweep file ") else { return message }
    var m = message
    for key in ConfigKey.allCases.map(\.rawValue) + ["input"] where key != "updates" {
        m = m.replacingOccurrences(of: "'\(key)'", with: "--\(key)")
    }
    return m
}

/// This process's command line as the user would type it ("criticality report runs/a --out r.html"),
/// for the provenance of what it writes.
func invocation() -> String {
    (["criticality"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
}
