import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRun
import CriticalityStats
import Foundation

/// Draws one `Panel` into a width × height box.
struct PanelRenderer {
    let panel: Panel
    let width: Double, height: Double
    /// Unique within the document (several figures are inlined into one HTML page).
    let clipID: String
    let left = 62.0, right = 18.0, top = 30.0, bottom = 46.0
    /// Markers of a series closer than this (in both directions, pixels) to the last one drawn are
    /// skipped: the report's size stays bounded by what a screen can show, not by the data.
    static let markerSpacing = 1.5

    func render() -> String {
        var out = svgText(panel.title, x: width / 2, y: 18, size: 13, extra: " font-weight=\"bold\"")
        let plotRight = width - (panel.rightYLabel != nil ? 58 : right)
        let leftSeries = panel.series.filter { !$0.rightAxis }, rightSeries = panel.series.filter { $0.rightAxis }
        let xs = panel.series.flatMap(\.x) + panel.shaded.flatMap { [$0.from, $0.to] }
        guard let xr = Axis.range(xs, scale: panel.xScale),
              let yr = Axis.range(leftSeries.flatMap(\.y), scale: panel.yScale) else {
            out += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotRight - left))\" height=\"\(fmt(height - top - bottom))\" fill=\"#f7f7f7\" stroke=\"#999\"/>\n"
            let why = panel.series.isEmpty ? panel.emptyMessage
                : (panel.xScale == .log || panel.yScale == .log) ? "\(panel.emptyMessage) (no positive values on a log axis)" : panel.emptyMessage
            return out + svgText(why, x: (left + plotRight) / 2, y: height / 2, size: 12, extra: " fill=\"#666\" data-empty=\"true\"")
        }
        let x = Axis(scale: panel.xScale, lo: xr.0, hi: xr.1, pixelLo: left, pixelHi: plotRight)
        let y = Axis(scale: panel.yScale, lo: yr.0, hi: yr.1, pixelLo: height - bottom, pixelHi: top)
        var y2: Axis?
        if let r2 = Axis.range(rightSeries.flatMap(\.y), scale: panel.rightYScale) {
            y2 = Axis(scale: panel.rightYScale, lo: r2.0, hi: r2.1, pixelLo: height - bottom, pixelHi: top)
        }
        // shaded ranges
        for s in panel.shaded {
            let a = x.pixel(max(s.from, x.lo)), b = x.pixel(min(s.to, x.hi))
            out += "<rect x=\"\(fmt(a))\" y=\"\(fmt(top))\" width=\"\(fmt(max(b - a, 0)))\" height=\"\(fmt(height - top - bottom))\" fill=\"\(s.color)\" fill-opacity=\"0.15\"/>\n"
            out += svgText(s.label, x: (a + b) / 2, y: top + 12, size: 9, extra: " fill=\"#555\"")
        }
        // frame and ticks
        out += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotRight - left))\" height=\"\(fmt(height - top - bottom))\" fill=\"none\" stroke=\"#333\"/>\n"
        let (xMajor, xMinor) = x.ticks()
        for (v, label) in xMajor {
            let p = x.pixel(v)
            out += "<line x1=\"\(fmt(p))\" y1=\"\(fmt(height - bottom))\" x2=\"\(fmt(p))\" y2=\"\(fmt(height - bottom + 5))\" stroke=\"#333\"/>\n"
            out += svgText(label, x: p, y: height - bottom + 17, size: 10)
        }
        for v in xMinor {
            let p = x.pixel(v)
            out += "<line x1=\"\(fmt(p))\" y1=\"\(fmt(height - bottom))\" x2=\"\(fmt(p))\" y2=\"\(fmt(height - bottom + 3))\" stroke=\"#333\"/>\n"
        }
        out += yTicks(y, at: left, outward: -1)
        if let y2 { out += yTicks(y2, at: plotRight, outward: 1) }
        out += svgText(panel.xLabel, x: (left + plotRight) / 2, y: height - 8, size: 12)
        out += svgText(panel.yLabel, x: 14, y: (top + height - bottom) / 2, size: 12, extra: " transform=\"rotate(-90 14 \(fmt((top + height - bottom) / 2)))\"")
        if let r = panel.rightYLabel {
            out += svgText(r, x: width - 10, y: (top + height - bottom) / 2, size: 12, extra: " transform=\"rotate(90 \(fmt(width - 10)) \(fmt((top + height - bottom) / 2)))\"")
        }
        // series, clipped to the plot area
        let clip = clipID
        out += "<clipPath id=\"\(clip)\"><rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotRight - left))\" height=\"\(fmt(height - top - bottom))\"/></clipPath>\n"
        out += "<g clip-path=\"url(#\(clip))\">\n"
        for s in panel.series {
            let ya = s.rightAxis ? (y2 ?? y) : y
            let pts = zip(s.x, s.y).filter { p in
                p.0.isFinite && p.1.isFinite && (x.scale == .linear || p.0 > 0) && (ya.scale == .linear || p.1 > 0)
            }.map { (x.pixel($0.0), ya.pixel($0.1)) }
            switch s.style {
            case .markers(let r):
                // A marker within `markerSpacing` pixels of the last one drawn adds nothing a screen shows.
                // The series' style is set once on a group, each marker carries its position only.
                out += "<g fill=\"\(s.color)\" fill-opacity=\"0.75\" stroke=\"#222\" stroke-width=\"0.5\">\n"
                var last: (Double, Double)? = nil
                for (px, py) in pts {
                    if let l = last, abs(px - l.0) < PanelRenderer.markerSpacing, abs(py - l.1) < PanelRenderer.markerSpacing { continue }
                    last = (px, py)
                    out += "<circle cx=\"\(fmt(px))\" cy=\"\(fmt(py))\" r=\"\(fmt(r))\"/>\n"
                }
                out += "</g>\n"
            case .line(let w), .dashed(let w):
                guard pts.count >= 2 else { continue }
                let d = pts.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(fmt($0.element.0)) \(fmt($0.element.1))" }.joined(separator: " ")
                var dash = ""
                if case .dashed = s.style { dash = " stroke-dasharray=\"6 4\"" }
                out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(fmt(w))\"\(dash)/>\n"
            }
        }
        out += "</g>\n"
        return out + legend(at: height)
    }

    /// Legend entries laid out below the plot (never on the data), in as many columns as the panel's
    /// width holds: (column, row) of each labelled series, and the number of rows.
    static func legendLayout(_ panel: Panel, width: Double) -> (columns: Int, rows: Int) {
        let labels = panel.series.compactMap(\.label)
        guard !labels.isEmpty else { return (1, 0) }
        let entry = 30 + 5.6 * Double(labels.map(\.count).max() ?? 0)
        // at most two: a run's markers and its fitted line sit side by side on one row
        let columns = max(1, min(2, labels.count, Int((width - 24) / entry)))
        return (columns, (labels.count + columns - 1) / columns)
    }

    /// The height the legend adds below a panel of this width.
    static func legendHeight(_ panel: Panel, width: Double) -> Double {
        let rows = legendLayout(panel, width: width).rows
        return rows == 0 ? 0 : 14 * Double(rows) + 8
    }

    /// The legend, below the plot box of height `top`.
    func legend(at y0: Double) -> String {
        let labelled = panel.series.filter { $0.label != nil }
        let (columns, _) = PanelRenderer.legendLayout(panel, width: width)
        let columnWidth = (width - 24) / Double(columns)
        var out = ""
        for (i, s) in labelled.enumerated() {
            let lx = 12 + Double(i % columns) * columnWidth, ly = y0 + 12 + 14 * Double(i / columns)
            switch s.style {
            case .markers: out += "<circle cx=\"\(fmt(lx + 8))\" cy=\"\(fmt(ly - 4))\" r=\"3.5\" fill=\"\(s.color)\" stroke=\"#222\" stroke-width=\"0.5\"/>\n"
            case .line: out += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 16))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\"/>\n"
            case .dashed: out += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 16))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
            }
            out += svgText(s.label!, x: lx + 22, y: ly, anchor: "start", size: 10)
        }
        return out
    }

    func yTicks(_ y: Axis, at px: Double, outward: Double) -> String {
        var out = ""
        let (major, minor) = y.ticks()
        for (v, label) in major {
            let p = y.pixel(v)
            out += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(p))\" x2=\"\(fmt(px + 5 * outward))\" y2=\"\(fmt(p))\" stroke=\"#333\"/>\n"
            out += svgText(label, x: px + 8 * outward, y: p + 3.5, anchor: outward < 0 ? "end" : "start", size: 10)
        }
        for v in minor {
            let p = y.pixel(v)
            out += "<line x1=\"\(fmt(px))\" y1=\"\(fmt(p))\" x2=\"\(fmt(px + 3 * outward))\" y2=\"\(fmt(p))\" stroke=\"#333\"/>\n"
        }
        return out
    }
}

