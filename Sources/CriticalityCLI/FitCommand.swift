import ArgumentParser
import Criticality
import Foundation

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a power-law tail (Clauset et al. 2009), compare it with alternatives, and/or fit the paper's least-squares line.",
        discussion: """
            FILE is a .npy array (flattened) or a .csv (with --column). With --xbins/--nums (a histogram pair, \
            as the authors published), only the least-squares fit is made. JSON schema: docs/fit-json.md.
            """)

    @Argument(help: "Data file: .npy (any shape, flattened) or .csv (needs --column).")
    var file: String?
    @Option(help: "CSV column to fit.")
    var column: String?
    @Option(help: "Histogram bin centres (.npy), with --nums: least squares only.")
    var xbins: String?
    @Option(help: "Histogram probabilities (.npy), with --xbins.")
    var nums: String?
    @Option(help: "Python-style slice START:END over the histogram's non-zero points for least squares (the authors used 1:-20).")
    var points: String?
    @Flag(help: "Least squares on semi-log axes (ln p against x) instead of log–log.")
    var semiLog = false
    @Option(help: "Also fit the paper's least-squares line to an N-bin linear histogram of the data (the authors used 100).")
    var leastSquaresBins: Int?
    @Flag(help: "With --least-squares-bins: log-spaced bins (density per unit x) instead of the authors' linear ones.")
    var logBins = false
    @Flag(help: "Integer data (e.g. inter-event intervals): discrete power law with Hurwitz-zeta normalization.")
    var discrete = false
    @Option(help: "Fixed x_min instead of the KS scan.")
    var xmin: Double?
    @Option(help: "Smallest tail a candidate x_min may leave.")
    var minTail: Int = 2
    @Option(help: "At most this many x_min candidates, evenly spaced over the distinct values (default: all).")
    var maxCandidates: Int?
    @Option(help: "Largest x_min the scan may choose, e.g. a tenth of a known truncation point such as a window's length for intervals (default: any).")
    var xminMax: Double?
    @OptionGroup var comparison: ComparisonOptions
    @Option(help: "Significance level of the comparison verdicts (Clauset et al.: 0.1).")
    var significance: Double = 0.1
    @Option(help: "Write the result as JSON.")
    var json: String?

    func validate() throws {
        if (xbins == nil) != (nums == nil) { throw ValidationError("--xbins and --nums go together") }
        if xbins == nil && file == nil { throw ValidationError("give a data FILE, or --xbins and --nums") }
        if let m = xminMax, !(m > 0) { throw ValidationError("--xmin-max must be positive") }
        if !(significance > 0 && significance < 1) { throw ValidationError("--significance must be in (0, 1)") }
        if let x = xmin, !(x > 0 && x.isFinite) { throw ValidationError("--xmin must be a positive number; got \(x)") }
        if minTail < 2 { throw ValidationError("--min-tail must be ≥ 2 (a power law needs two values); got \(minTail)") }
        if let m = maxCandidates, m < 1 { throw ValidationError("--max-candidates must be ≥ 1; got \(m)") }
        if let b = leastSquaresBins, !(2...1_000_000).contains(b) { throw ValidationError("--least-squares-bins must be in 2…1000000; got \(b)") }
    }

    func run() throws {
        do {
            if let xb = xbins, let nm = nums {
                let x = try Npy.readDoubles(path: xb).values, p = try Npy.readDoubles(path: nm).values
                guard x.count == p.count else {
                    throw CriticalityError(.invalidArgument, "--xbins has \(x.count) values but --nums has \(p.count)")
                }
                if let i = x.firstIndex(where: { !$0.isFinite }) {
                    throw CriticalityError(.invalidArgument, "--xbins \(xb): value \(x[i]) at index \(i) is not finite")
                }
                if let i = p.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                    throw CriticalityError(.invalidArgument, "--nums \(nm): value \(p[i]) at index \(i) is not a probability (finite, ≥ 0)")
                }
                let range = try points.map { try PaperHistogram.slice($0, count: zip(x, p).filter { $0.1 > 0 && (semiLog || $0.0 > 0) }.count) }
                let ls = try PaperHistogram.fit(x: x, p: p, points: range, semiLog: semiLog)
                print(String(format: "least squares (%@, %ld points): slope %.4f, intercept %.4f, r² %.4f, exponent %.4f",
                             ls.axes, ls.points, ls.slope, ls.intercept, ls.r2, ls.exponent))
                if let json { try FileOutput.writeJSON(ls, to: json) }
                return
            }
            let path = file!
            let values: [Double]
            if path.hasSuffix(".csv") {
                guard let column else { throw CriticalityError(.invalidArgument, "\(path) is a CSV file: name the column with --column") }
                values = try CSVColumn.read(path: path, column: column)
            } else {
                values = try Npy.readDoubles(path: path).values
            }
            var o = TailFitOptions()
            o.discrete = discrete
            o.xmin = xmin
            o.minimumTail = minTail
            o.maximumCandidates = maxCandidates
            o.maximumXmin = xminMax
            try comparison.apply(to: &o)
            o.significance = significance
            let t0 = Date()
            var report = try TailFit.fit(values, options: o, source: path)
            if let bins = leastSquaresBins {
                let (x, p) = logBins ? PaperHistogram.logarithmic(values, bins: bins) : PaperHistogram.linear(values, bins: bins)
                let range = try points.map { try PaperHistogram.slice($0, count: p.filter { $0 > 0 }.count) }
                report.leastSquares = try PaperHistogram.fit(x: x, p: p, points: range, semiLog: semiLog)
            }
            printReport(report, seconds: Date().timeIntervalSince(t0))
            if let json { try FileOutput.writeJSON(report, to: json) }
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }

    func printReport(_ r: TailFitReport, seconds: Double) {
        print(String(format: "n = %ld (%ld non-positive left out)   %@ power law, x_min by %@", r.n, r.nDropped,
                     r.discrete ? "discrete" : "continuous", r.xminMethod))
        print(String(format: "  alpha   = %.4f ± %.4f", r.alpha, r.alphaStderr))
        print(String(format: "  x_min   = %.6g   (tail n = %ld, %.2f%%)", r.xmin, r.nTail, 100 * Double(r.nTail) / Double(max(r.n - r.nDropped, 1))))
        print(String(format: "  KS D    = %.5f", r.ksDistance))
        if let b = r.bootstrap {
            print(String(format: "  GOF p   = %.3f (%ld bootstrap replicates; α 95%% interval [%.4f, %.4f])", b.pValue, b.replicates,
                         b.alphaInterval[0], b.alphaInterval[1]))
        }
        if !r.comparisons.isEmpty {
            print("  power law vs            LLR         R        p   verdict")
            for c in r.comparisons {
                print(String(format: "  %-22@ %9.3f  %8.3f  %7.4f   %@ — %@", c.alternative.rawValue as NSString, c.logLikelihoodRatio,
                             c.R, c.p, c.verdict as NSString, c.reason as NSString))
            }
        }
        print(String(format: "  whole range: exponential rate %.6g; normal mean %.6g, sd %.6g", r.wholeRange.exponentialRate,
                     r.wholeRange.normalMean, r.wholeRange.normalStandardDeviation))
        if let ls = r.leastSquares {
            print(String(format: "  least squares (%@, %ld points): slope %.4f, r² %.4f, exponent %.4f", ls.axes, ls.points, ls.slope, ls.r2, ls.exponent))
        }
        print(String(format: "  (%.2f s)", seconds))
    }
}
