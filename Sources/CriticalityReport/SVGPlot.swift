import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRun
import CriticalityStats
import Foundation

/// A small, deterministic SVG plotting library for the paper's figures: linear and logarithmic axes
/// (decade major ticks, 2…9 minor ticks, labels 10ⁿ), markers, lines, dashed reference lines with a
/// label, shaded x-ranges, legends, titles, optional second y-axis. The same data always gives the
/// same bytes (fixed number formatting, no randomness, no clock). Degenerate data (nothing to draw,
/// no positive values on a log axis) gives a panel that says so.
public enum AxisScale: Sendable { case linear, log }

public struct Series: Sendable {
    public enum Style: Sendable {
        /// Filled circles with a darker edge.
        case markers(radius: Double)
        case line(width: Double)
        /// Dashed reference line (e.g. a fitted power law), label drawn at its end.
        case dashed(width: Double)
    }
    public var x: [Double]
    public var y: [Double]
    public var label: String?
    public var color: String
    public var style: Style
    /// Draw against the right-hand y-axis.
    public var rightAxis = false

    public init(x: [Double], y: [Double], label: String? = nil, color: String, style: Style, rightAxis: Bool = false) {
        self.x = x; self.y = y; self.label = label; self.color = color; self.style = style; self.rightAxis = rightAxis
    }
}

public struct Panel: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var rightYLabel: String?
    public var xScale: AxisScale = .linear
    public var yScale: AxisScale = .linear
    public var rightYScale: AxisScale = .linear
    public var series: [Series] = []
    /// Shaded x-ranges with a label each (training windows).
    public var shaded: [(from: Double, to: Double, label: String, color: String)] = []
    /// Text shown instead of axes when there is nothing to plot.
    public var emptyMessage = "no data to plot"

    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear, yScale: AxisScale = .linear) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xScale = xScale; self.yScale = yScale
    }
}

/// A figure: panels side by side, a figure id and caption (the paper's figure it reproduces).
public struct Figure: Sendable {
    public var id: String
    public var caption: String
    public var panels: [Panel]
    public var panelWidth = 420.0
    public var panelHeight = 320.0
    /// The files the figure is drawn from (absolute paths: `.npy` arrays, `metrics.csv`); the report
    /// links each by its path relative to the report.
    public var sources: [String] = []

    public init(id: String, caption: String, panels: [Panel]) { self.id = id; self.caption = caption; self.panels = panels }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]

    /// The height of panel `i` with its legend below it.
    func height(of i: Int) -> Double { panelHeight + PanelRenderer.legendHeight(panels[i], width: panelWidth) }

    /// The SVG document (standalone, UTF-8): the panels side by side.
    public func svg() -> String {
        let width = panelWidth * Double(max(panels.count, 1))
        let height = panels.indices.map(height(of:)).max() ?? panelHeight
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"Helvetica, Arial, sans-serif\" data-figure=\"\(escape(id))\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, p) in panels.enumerated() {
            out += "<g transform=\"translate(\(fmt(Double(i) * panelWidth)),0)\">\n"
            out += PanelRenderer(panel: p, width: panelWidth, height: panelHeight, clipID: "clip-\(escape(id))-\(i)").render()
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }

    /// Panel `i` as an SVG of its own, scaled to its container (the report's grid wraps panels to the
    /// page width; `max-width` keeps them at their drawn size on wide screens).
    public func panelSVG(_ i: Int) -> String {
        let h = height(of: i)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(fmt(panelWidth)) \(fmt(h))\" style=\"width:100%;max-width:\(fmt(panelWidth))px;height:auto\" font-family=\"Helvetica, Arial, sans-serif\" data-figure=\"\(escape(id))\" data-panel=\"\(i)\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += PanelRenderer(panel: panels[i], width: panelWidth, height: panelHeight, clipID: "clip-\(escape(id))-\(i)").render()
        return out + "</svg>\n"
    }
}

/// Numbers in SVG: fixed 2 decimals, no "-0.00".
func fmt(_ v: Double) -> String {
    let s = String(format: "%.2f", v)
    return s == "-0.00" ? "0.00" : s
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// One axis: maps data to pixels and makes ticks.
struct Axis {
    var scale: AxisScale
    var lo: Double, hi: Double
    var pixelLo: Double, pixelHi: Double

    /// Range from data (positive values only on log axes); nil when there is nothing to show.
    static func range(_ values: [Double], scale: AxisScale) -> (Double, Double)? {
        let v = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        guard var lo = v.min(), var hi = v.max() else { return nil }
        if scale == .log {
            lo = pow(10, floor(log10(lo))); hi = pow(10, ceil(log10(hi)))
            if lo == hi { lo /= 10; hi *= 10 }
        } else {
            if lo == hi { lo -= lo == 0 ? 1 : abs(lo) * 0.5; hi += hi == 0 ? 1 : abs(hi) * 0.5 }
            let pad = (hi - lo) * 0.05
            lo -= pad; hi += pad
        }
        return (lo, hi)
    }

    func pixel(_ v: Double) -> Double {
        let t: Double
        switch scale {
        case .linear: t = (v - lo) / (hi - lo)
        case .log: t = (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        }
        return pixelLo + t * (pixelHi - pixelLo)
    }

    /// Major ticks with labels, and minor ticks.
    func ticks() -> (major: [(Double, String)], minor: [Double]) {
        switch scale {
        case .log:
            let a = Int(floor(log10(lo) + 1e-9)), b = Int(ceil(log10(hi) - 1e-9))
            let step = max(1, (b - a + 7) / 8)  // at most ~8 labelled decades
            var major: [(Double, String)] = [], minor: [Double] = []
            for e in a...b {
                let v = pow(10, Double(e))
                if (e - a) % step == 0 { major.append((v, "10^\(e)")) } else { minor.append(v) }
                if step == 1 && e < b { for m in 2...9 { minor.append(Double(m) * v) } }
            }
            return (major.filter { $0.0 >= lo * 0.999 && $0.0 <= hi * 1.001 }, minor.filter { $0 > lo && $0 < hi })
        case .linear:
            let span = hi - lo
            let raw = span / 5
            let mag = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
            var major: [(Double, String)] = []
            var v = ceil(lo / step) * step
            while v <= hi + step * 1e-9 {
                major.append((v, Axis.label(v, step: step)))
                v += step
            }
            let minorStep = step / 5
            var minor: [Double] = []
            var m = ceil(lo / minorStep) * minorStep
            while m <= hi { if !major.contains(where: { abs($0.0 - m) < minorStep * 1e-6 }) { minor.append(m) }; m += minorStep }
            return (major, minor)
        }
    }

    /// Readable labels: plain numbers, or a×10ⁿ for very large/small magnitudes.
    static func label(_ v: Double, step: Double) -> String {
        if abs(v) < step * 1e-9 { return "0" }
        let a = max(abs(v), step)
        if a >= 1e5 || a < 1e-3 {
            let e = Int(floor(log10(abs(v))))
            let m = v / pow(10, Double(e))
            let ms = String(format: "%.1f", m).replacingOccurrences(of: ".0", with: "")
            return "\(ms)×10^\(e)"
        }
        // as many decimals as the step needs (0.025 → 3), so every label is exact
        var decimals = 0
        while decimals < 6 && abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 { decimals += 1 }
        return String(format: "%.\(decimals)f", v)
    }
}

/// Text with "10^n" rendered as 10 and a superscript n.
func svgText(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Double = 11, extra: String = "") -> String {
    var body = ""
    var rest = Substring(s)
    while let r = rest.range(of: "^") {
        body += escape(String(rest[..<r.lowerBound]))
        var exp = rest[r.upperBound...]
        var e = ""
        while let c = exp.first, c == "-" || c == "−" || c.isNumber { e.append(c); exp = exp.dropFirst() }
        body += "<tspan dy=\"-5\" font-size=\"\(fmt(size * 0.75))\">\(escape(e))</tspan><tspan dy=\"5\"></tspan>"
        rest = exp
    }
    body += escape(String(rest))
    return "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\" font-size=\"\(fmt(size))\"\(extra)>\(body)</text>\n"
}
