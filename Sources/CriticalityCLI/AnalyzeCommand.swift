import ArgumentParser
import Criticality
import Foundation

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Fit every update distribution and interval histogram of a run directory; writes the fits next to the run's update statistics (observers/\(UpdateStatisticsFolder.observerName)/).")

    @Argument(help: ArgumentHelp("Run directory (from `train` or `analyze-updates`).", valueName: "run"))
    var runDirectory: String
    @OptionGroup var comparison: ComparisonOptions
    @Option(help: "x_min candidates for the interval (discrete) fits, evenly spaced.")
    var intervalCandidates: Int = 50

    func validate() throws {
        if intervalCandidates < 1 { throw ValidationError("--interval-candidates must be at least 1; got \(intervalCandidates)") }
    }

    func run() throws {
        do {
            var o = TailFitOptions()
            try comparison.apply(to: &o)
            let output = RunDirectory(runDirectory).updateStatistics
            guard FileManager.default.fileExists(atPath: output.summary) else {
                throw CriticalityError(.fileNotFound, "\(runDirectory): no \(output.summary); train with update statistics on (the default) or run analyze-updates first")
            }
            FileOutput.removeStaleTemporaries(under: runDirectory)
            let result = try RunAnalysis.analyze(run: runDirectory, options: o, intervalCandidates: intervalCandidates) {
                FileHandle.standardError.write(Data("fitted \($0)\n".utf8))
            }
            print("window                 scope         α (MLE) ± s.e.    x_min       n_tail   LS exponent   intervals α (q=0.5%, 1%)")
            for w in result.windows {
                for s in w.scopes where s.scope == "all" || !s.scope.contains(".") {
                    let u = s.update
                    let iv = s.intervals.map { String(format: "%.2f", $0.fit.alpha) }.joined(separator: ", ")
                    print(String(format: "%-22@ %-12@ %6.3f ± %.3f   %10.3g  %7ld   %10.3f   %@", w.folder as NSString, s.scope as NSString,
                                 u?.alpha ?? .nan, u?.alphaStderr ?? .nan, u?.xmin ?? .nan, u?.nTail ?? 0,
                                 u?.leastSquares?.exponent ?? .nan, iv as NSString))
                }
            }
            print("\(output.fits) written")
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
