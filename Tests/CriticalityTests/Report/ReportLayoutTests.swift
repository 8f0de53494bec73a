import XCTest
@testable import CriticalityReport

/// The report's summary rule, its panels' layout and the bound on what a panel draws.
final class ReportLayoutTests: XCTestCase {
    func claim(_ text: String, _ verdict: String, _ values: [Double] = []) -> Claim {
        Claim(claim: text, figure: "Fig. 2", paperValue: "3–5", run: "r", measured: "", comparison: "", verdict: verdict,
              values: values, valueLabel: "α̂", valueUnit: "stages")
    }

    func testClaimsGroupByClaimWithTheStatedVerdictRule() {
        let gs = HTMLReport.groups([claim("A", "supported", [3.2, 4.9]), claim("B", "not supported"), claim("A", "partly supported: x", [3.5]),
                                    claim("C", "inconclusive"), claim("D", "supported"), claim("D", "inconclusive")])
        XCTAssertEqual(gs.map(\.claim), ["A", "B", "C", "D"])
        XCTAssertEqual(gs.map(\.verdict), ["partly supported", "not supported", "inconclusive", "supported"])
        XCTAssertEqual(gs[0].measured, "α̂ 3.20–4.90 over 3 stages in 2 runs")
        XCTAssertEqual(gs[1].measured, "1 run")
        XCTAssertEqual(gs[0].counts, "1 supported, 1 partly")
        XCTAssertEqual(gs.map(\.anchor), ["claim-1", "claim-2", "claim-3", "claim-4"])
    }

    func testPanelsAreSeparateScalableSVGsWithTheLegendBelow() {
        var p = Panel(title: "t", xLabel: "x", yLabel: "y")
        p.series = (0..<4).map { Series(x: [1, 2, 3], y: [1, 4, 9], label: "series \($0) with a long label", color: "#000", style: .line(width: 1)) }
        let f = Figure(id: "f", caption: "", panels: [p, p])
        let one = f.panelSVG(1)
        XCTAssertTrue(one.contains("viewBox=\"0 0 420.00 "), one)
        XCTAssertTrue(one.contains("data-panel=\"1\""))
        // four labels of this length fit two columns of a 420-px panel: two rows below the 320-px plot box
        XCTAssertEqual(PanelRenderer.legendLayout(p, width: 420).columns, 2)
        XCTAssertEqual(f.height(of: 0), 320 + 14 * 2 + 8)
        let legendY = one.components(separatedBy: ">series 0 with a long label<").first!.components(separatedBy: "y=\"").last!.prefix(while: { $0 != "\"" })
        XCTAssertGreaterThan(Double(legendY)!, 320, "the legend sits below the plot box, not on the data")
    }

    func testMarkersAreBoundedByWhatTheScreenShows() {
        var p = Panel(title: "t", xLabel: "x", yLabel: "y")
        let x = (0..<100_000).map { Double($0) }
        p.series = [Series(x: x, y: x.map { sin($0 / 5000) }, label: nil, color: "#000", style: .markers(radius: 2))]
        let svg = Figure(id: "m", caption: "", panels: [p]).svg()
        let circles = svg.components(separatedBy: "<circle").count - 1
        XCTAssertGreaterThan(circles, 200)    // the curve is still drawn along its length
        XCTAssertLessThan(circles, 2_000)     // not 100,000 markers on 340 × 244 pixels
    }
}

extension ReportLayoutTests {
    func testDataLinksAreRelativeToTheReport() {
        XCTAssertEqual(HTMLReport.relativePath("/a/b/runs/x/observers/u.npy", from: "/a/b"), "runs/x/observers/u.npy")
        XCTAssertEqual(HTMLReport.relativePath("/a/c/u.npy", from: "/a/b"), "../c/u.npy")
        XCTAssertEqual(HTMLReport.relativePath("/a/b/u.npy", from: nil), "/a/b/u.npy")
    }
}
