import ArgumentParser
import Criticality
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report (figures, fit tables, the paper's claims beside the measurements) for run directories.")

    @Argument(help: "Run directories (analyzed ones show fits; others, and those analyzed by an earlier version of the fits, are analyzed first).")
    var runs: [String]
    @Option(help: "Output HTML file.")
    var out: String = "report.html"
    @Option(help: "A folder written by `criticality landscape` (synthetic landscapes, SI S16–S18); repeatable.")
    var landscape: [String] = []
    @Flag(help: "Do not run `analyze` on runs without current fits (their fits are then left out).")
    var noAnalyze = false

    func validate() throws { if runs.isEmpty { throw ValidationError("give at least one run directory") } }

    func run() throws {
        do {
            var data: [RunData] = []
            for r in runs {
                let output = RunDirectory(r).updateStatistics
                if !noAnalyze, FileManager.default.fileExists(atPath: output.summary), !RunAnalysis.isCurrent(run: r) {
                    let old = FileManager.default.fileExists(atPath: output.fits)
                    FileHandle.standardError.write(Data("analyzing \(r)\(old ? " (its fits are from an earlier fitting procedure)" : "")…\n".utf8))
                    _ = try RunAnalysis.analyze(run: r, options: TailFitOptions())
                }
                let run = try RunData(path: r)
                for p in run.problems { FileHandle.standardError.write(Data("warning: \(p)\n".utf8)) }
                data.append(run)
            }
            let synthetic = try landscape.map { path -> LandscapeData in
                guard let l = try LandscapeData(name: (path as NSString).lastPathComponent, folder: LandscapeFolder(path)) else {
                    throw CriticalityError(.fileNotFound, "--landscape \(path): no summary.json; give a folder written by `criticality landscape --out`")
                }
                return l
            }
            try FileOutput.write(HTMLReport.render(data, synthetic: synthetic, command: invocation(), directory: (out as NSString).deletingLastPathComponent.isEmpty ? "." : (out as NSString).deletingLastPathComponent), to: out)
            print("\(out) written (\(data.count) run\(data.count == 1 ? "" : "s"))")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
