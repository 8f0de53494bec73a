import Foundation
import XCTest
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// Golden-file tests of the SVG primitives. Regenerate the golden files after an intended change with
/// CRITICALITY_UPDATE_GOLDEN=1 (they are written to Tests/CriticalityTests/Report/Golden/) and review the diff.
final class PlotTests: XCTestCase {
    func golden(_ name: String, _ svg: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        let url = dir.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["CRITICALITY_UPDATE_GOLDEN"] != nil {
            try svg.write(to: url, atomically: true, encoding: .utf8)
        }
        let bundled = Bundle.module.url(forResource: "Golden/" + (name as NSString).deletingPathExtension, withExtension: "svg")
        let expected = try String(contentsOf: bundled ?? url, encoding: .utf8)
        XCTAssertEqual(svg, expected, "\(name) differs from its golden file", file: file, line: line)
    }

    func testLogAxisTicksAreDecadesWithMinorTicks() {
        let a = Axis(scale: .log, lo: 1e-3, hi: 1e2, pixelLo: 0, pixelHi: 500)
        let (major, minor) = a.ticks()
        XCTAssertEqual(major.map(\.1), ["10^-3", "10^-2", "10^-1", "10^0", "10^1", "10^2"])
        XCTAssertEqual(minor.count, 5 * 8)
        XCTAssertEqual(a.pixel(1e-3), 0); XCTAssertEqual(a.pixel(1e2), 500); XCTAssertEqual(a.pixel(1), 300, accuracy: 1e-9)
        // many decades: labels thinned to ≤ 9, the rest minor
        let wide = Axis(scale: .log, lo: 1e-20, hi: 1e0, pixelLo: 0, pixelHi: 500).ticks()
        XCTAssertLessThanOrEqual(wide.major.count, 9)
        XCTAssertEqual(Axis.range([0, -1, 3e-5, 0.2], scale: .log)?.0, 1e-5)
    }

    func testLinearAxisTicksAreRoundNumbers() {
        let (major, _) = Axis(scale: .linear, lo: 0, hi: 30_000, pixelLo: 0, pixelHi: 400).ticks()
        XCTAssertEqual(major.map(\.1), ["0", "10000", "20000", "30000"])
        let (small, _) = Axis(scale: .linear, lo: 0.11, hi: 0.52, pixelLo: 0, pixelHi: 400).ticks()
        XCTAssertEqual(small.map(\.1), ["0.2", "0.3", "0.4", "0.5"])
        XCTAssertEqual(Axis.label(2e-5, step: 1e-5), "2×10^-5")
        XCTAssertEqual(Axis.label(0.825, step: 0.025), "0.825", "labels carry the step's decimals")
        XCTAssertEqual(Axis.label(0.85, step: 0.025), "0.850")
    }

    func smallFigure() -> Figure {
        var p = Panel(title: "P(|Δθ|)", xLabel: "|Δθ|", yLabel: "density", xScale: .log, yScale: .log)
        let x = (0..<20).map { pow(10, -4 + Double($0) * 0.2) }
        p.series = [Series(x: x, y: x.map { pow($0, -3) }, label: "window 1", color: "#1f77b4", style: .markers(radius: 2)),
                    Series(x: [1e-4, 1], y: [1e12, 1], label: "α̂ = 3.00 ± 0.01", color: "#d62728", style: .dashed(width: 1.5))]
        var q = Panel(title: "loss", xLabel: "step", yLabel: "loss")
        q.series = [Series(x: [0, 1, 2, 3], y: [2.3, 1.1, 0.8, 0.7], label: nil, color: "#333", style: .line(width: 1))]
        q.shaded = [(0, 1.5, "stage 1", "#1f77b4")]
        return Figure(id: "small", caption: "a small figure", panels: [p, q])
    }

    func testSmallFigureMatchesGoldenAndIsDeterministic() throws {
        let svg = smallFigure().svg()
        XCTAssertEqual(svg, smallFigure().svg())
        try golden("small-figure.svg", svg)
        XCTAssertTrue(svg.contains("<tspan dy=\"-5\" font-size=\"7.50\">-4</tspan>"), "10⁻⁴ label with a superscript")
    }

    /// Degenerate data never crashes or breaks the file: a panel saying why.
    func testDegenerateDataGivesAPanelThatSaysSo() throws {
        var empty = Panel(title: "empty", xLabel: "x", yLabel: "y")
        empty.series = []
        var nonPositive = Panel(title: "zeros", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log)
        nonPositive.series = [Series(x: [0, 0, -1], y: [0, 0, 0], color: "#000", style: .markers(radius: 2))]
        var single = Panel(title: "one point", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log)
        single.series = [Series(x: [3], y: [5], color: "#000", style: .markers(radius: 2))]
        let svg = Figure(id: "degenerate", caption: "", panels: [empty, nonPositive, single]).svg()
        XCTAssertEqual(svg.components(separatedBy: "data-empty=\"true\"").count - 1, 2)
        XCTAssertTrue(svg.contains("no positive values on a log axis"))
        XCTAssertTrue(svg.contains("<circle"), "a single positive point is drawn")
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))
        try golden("degenerate.svg", svg)
    }

    /// The claims' verdicts follow the stated rules.
    func testClaimVerdictRules() {
        func fit(_ alpha: Double, _ se: Double, exponential: String, lognormal: String = "inconclusive",
                 lognormalAtLimit: Bool = false) -> TailFitReport {
            func c(_ a: TailAlternative, _ v: String, atLimit: Bool = false) -> TailComparison {
                TailComparison(alternative: a, R: 1, logLikelihoodRatio: 1, p: 0.01, verdict: v, reason: "", significance: 0.1,
                               parameters: [:], nested: a.nestsPowerLaw, vuongP: 0.01, variance: 1, coincidence: nil,
                               fit: .init(converged: true, atLimit: atLimit, logLikelihood: 0, method: "", evaluations: 0))
            }
            return TailFitReport(n: 100, nDropped: 0, discrete: false, alpha: alpha, alphaStderr: se, xmin: 1, xminMethod: "ks-scan", nTail: 50,
                                 ksDistance: 0.01, logLikelihood: 0, gofP: nil, bootstrap: nil,
                                 comparisons: [c(.exponential, exponential), c(.lognormal, lognormal, atLimit: lognormalAtLimit)],
                                 wholeRange: .init(exponentialRate: 1, normalMean: 0, normalStandardDeviation: 1), hill: nil,
                                 leastSquares: LeastSquaresFit(slope: -alpha, intercept: 0, r2: 1, exponent: alpha, points: 10, axes: "log-log"))
        }
        func run(_ fits: [TailFitReport]) -> RunData {
            let windows = fits.enumerated().map { (i, f) in
                RunData.Window(folder: "w\(i)", range: (i * 10)..<(i * 10 + 10), path: "/nonexistent",
                               summary: .init(start: i * 10, end: i * 10 + 10, stepsObserved: 10, folder: "w\(i)", scopes: [], timing: []),
                               fits: .init(folder: "w\(i)", start: i * 10, end: i * 10 + 10,
                                           scopes: [.init(scope: "all", update: f, parameter: nil, intervals: [.init(q: 0.01, fit: f)])]))
            }
            return RunData(name: "r", windows: windows)
        }
        let good = Claims.evaluate([run([fit(3.8, 0.05, exponential: "power law favoured"), fit(4.1, 0.05, exponential: "power law favoured")])])
        XCTAssertEqual(good[0].verdict, "supported")
        XCTAssertEqual(good[1].verdict, "supported")  // |Δα| = 0.3
        XCTAssertTrue(good[2].verdict.hasPrefix("not supported"))  // intervals 3.8/4.1 vs 2.7
        XCTAssertEqual(good[3].verdict, "supported")
        let lognormal = Claims.evaluate([run([fit(3.8, 0.05, exponential: "power law favoured", lognormal: "alternative favoured")])])
        XCTAssertEqual(lognormal[0].verdict, "partly supported: heavy-tailed, but lognormal fits significantly better than a pure power law")
        XCTAssertEqual(lognormal[1].verdict, "inconclusive")
        let light = Claims.evaluate([run([fit(3.8, 0.05, exponential: "inconclusive")])])
        XCTAssertTrue(light[0].verdict.hasPrefix("not supported"))
        let steep = Claims.evaluate([run([fit(6.5, 0.1, exponential: "power law favoured"), fit(7.9, 0.1, exponential: "power law favoured")])])
        XCTAssertEqual(steep[0].verdict, "partly supported: heavy-tailed, exponent outside 3–5")
        XCTAssertEqual(steep[1].verdict, "not supported")
        // intervals: every reason that holds is kept (|α̂ − 2.7| = 0.5 and a better lognormal)
        let both = Claims.evaluate([run([fit(3.2, 0.05, exponential: "power law favoured", lognormal: "alternative favoured")])])
        XCTAssertEqual(both[2].verdict, "partly supported: exponent differs from the paper's; lognormal fits the intervals significantly better than a pure power law")
        // a comparison at the power-law limit is shown as such, never as a verdict
        let limit = Claims.evaluate([run([fit(3.8, 0.05, exponential: "power law favoured", lognormalAtLimit: true)])])
        XCTAssertTrue(limit[0].comparison.contains("lognormal: at the power-law limit"), limit[0].comparison)
        XCTAssertEqual(limit[0].verdict, "supported")
    }

    /// Standard errors below 0.01 (interval fits on millions of intervals) keep two significant digits
    /// instead of reading "± 0.00"; larger ones keep two decimals.
    func testEstimateTextNeverHidesTheStandardError() {
        XCTAssertEqual(Claims.estimate(2.1334, 0.00123), "2.13 ± 0.0012")
        XCTAssertEqual(Claims.estimate(3.654, 0.048), "3.65 ± 0.05")
        XCTAssertEqual(Claims.estimate(2, 0), "2.00 ± 0.00")
    }
}
