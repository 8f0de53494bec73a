import CriticalityRun
import CriticalityRunDirectory
import Foundation

extension HTMLReport {
    /// `xs` without repeats, in the order of first appearance.
    static func orderedUnique(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }

    /// One claim of the paper over every run that tests it: the unit of the summary table.
    struct ClaimGroup {
        var claim: String
        var rows: [Claim]
        var anchor: String

        /// The verdict over runs: "supported" when every run with a verdict supports it, "not supported"
        /// when none supports it even partly, "inconclusive" when no run has a verdict, else "partly
        /// supported".
        var verdict: String {
            let decided = rows.map { HTMLReport.verdictClass($0.verdict) }.filter { $0 != "inconclusive" }
            if decided.isEmpty { return "inconclusive" }
            if decided.allSatisfy({ $0 == "supported" }) { return "supported" }
            if decided.allSatisfy({ $0 == "not" }) { return "not supported" }
            return "partly supported"
        }

        /// "α̂ 3.20–4.90 over 8 stages in 4 runs", or "4 runs".
        var measured: String {
            let values = rows.flatMap(\.values).filter(\.isFinite)
            let runs = "\(rows.count) \(rows.count == 1 ? "run" : "runs")"
            guard let lo = values.min(), let hi = values.max(), let first = rows.first(where: { !$0.values.isEmpty }) else { return runs }
            let range = lo == hi ? String(format: "%.2f", lo) : String(format: "%.2f–%.2f", lo, hi)
            return "\(first.valueLabel) \(range) over \(values.count) \(first.valueUnit) in \(runs)"
        }

        var counts: String {
            let classes = rows.map { HTMLReport.verdictClass($0.verdict) }
            return [("supported", "supported"), ("partly", "partly"), ("not", "not supported"), ("inconclusive", "inconclusive")]
                .compactMap { (c, name) in let n = classes.filter { $0 == c }.count; return n > 0 ? "\(n) \(name)" : nil }
                .joined(separator: ", ")
        }
    }

    /// Claims grouped by claim, in the order they first appear.
    static func groups(_ claims: [Claim]) -> [ClaimGroup] {
        var out: [ClaimGroup] = []
        for c in claims {
            if let i = out.firstIndex(where: { $0.claim == c.claim }) { out[i].rows.append(c) }
            else { out.append(ClaimGroup(claim: c.claim, rows: [c], anchor: "claim-\(out.count + 1)")) }
        }
        return out
    }

    /// How the claim's numbers were made: the command and the method (shown under each claim).
    static func method(_ g: ClaimGroup) -> String {
        let figure = g.rows.map(\.figure).joined(separator: " ")
        if figure.contains("SI Fig. S2") || figure.contains("SI Fig. S3") || figure.contains("SI Fig. S4") || figure.contains("SI Fig. S6") || figure.contains("SI Fig. S7") {
            return "`criticality sweep SPEC` (sweeps/si): each run analysed as `criticality analyze` does; quantiles from the exact log-binned |Δθ| histogram; seed means and sample s.d."
        }
        if g.claim.hasPrefix("Intervals") { return "`criticality analyze RUN`: discrete power-law maximum likelihood (Hurwitz ζ) with KS-chosen x_min on the intervals between updates above the window's exact top-q threshold; Vuong tests against discrete alternatives." }
        if g.claim.contains("least-squares") { return "`criticality analyze RUN`: the authors' least-squares line on the linear 100-bin histogram, points 1:−20 (reproduced, not recommended)." }
        if figure.contains("Fig. 3D") || figure.contains("Fig. 3B") || figure.contains("S8") || figure.contains("S10") || figure.contains("S9") || figure.contains("S12") || g.claim.contains("entropy") {
            return "`criticality train` (the information and KL observers) and `criticality stability`: plug-in MI with shuffle nulls, β* from leading principal components; Spearman's ρ."
        }
        if g.claim.hasPrefix("Update") || g.claim.hasPrefix("The tail exponent") {
            return "`criticality analyze RUN`: continuous power-law maximum likelihood with KS-chosen x_min (Clauset, Shalizi & Newman 2009) on every recorded |Δθ|; Vuong likelihood-ratio tests against exponential, lognormal, truncated power law and stretched exponential."
        }
        if figure.contains("S13") { return "`criticality noise RUN`: mini-batch gradients at the final θ; D'Agostino–Pearson per parameter." }
        if figure.contains("Fig. 4") || figure.contains("S14") || figure.contains("S16") || figure.contains("S17") || figure.contains("S18") {
            return "`criticality perturb RUN` and `criticality landscape`: exact |L(θ ± δe_k) − L(θ)| over the whole training set; exponential and power-law fits of the responses."
        }
        return "computed from the run directories listed (docs/)."
    }

    /// The summary table (one row per claim) and, below it, each claim's per-run rows, collapsed.
    static func claimsSection(_ claims: [Claim]) -> String {
        let gs = groups(claims)
        var t = "<div class=\"wide\"><table class=\"summary\"><tr><th>claim of the paper</th><th>figure</th><th>paper</th><th>measured across runs</th><th>per-run verdicts</th><th>verdict</th></tr>\n"
        for g in gs {
            let figures = orderedUnique(g.rows.map(\.figure)), papers = orderedUnique(g.rows.map(\.paperValue))
            t += "<tr id=\"summary-\(g.anchor)\"><td><a href=\"#\(g.anchor)\">\(escape(g.claim))</a><div class=\"small\">How: \(escape(method(g)))</div></td><td>\(escape(figures.joined(separator: "; ")))</td><td>\(escape(papers.joined(separator: "; ")))</td><td>\(escape(g.measured))</td><td class=\"small\">\(escape(g.counts))</td><td class=\"\(verdictClass(g.verdict))\">\(escape(g.verdict))</td></tr>\n"
        }
        t += "</table></div>\n<p class=\"small\">Verdict of a claim over runs: supported when every run with a verdict supports it, not supported when none supports it even partly, inconclusive when no run has a verdict, else partly supported. Each claim's link opens its per-run evidence below.</p>\n"
        t += "<h3 id=\"claims-detail\">Per-run evidence</h3>\n"
        for g in gs {
            t += "<details id=\"\(g.anchor)\"><summary>\(escape(g.claim)) — \(g.rows.count) \(g.rows.count == 1 ? "row" : "rows"): \(escape(g.verdict))</summary>\n<div class=\"wide\">" + claimsTable(g.rows) + "</div></details>\n"
        }
        return t
    }

    /// Provenance: what made the report and from what.
    static func provenance(_ runs: [RunData], sweeps: [SweepData], command: String?) -> String {
        let all = runs + sweeps.flatMap(\.orderedRuns)
        let manifests = all.compactMap(\.manifest)
        func unique(_ xs: [String]) -> String { orderedUnique(xs).joined(separator: "; ") }
        let created = manifests.map(\.created).sorted()
        let compute = manifests.map(\.timing.wallSeconds).reduce(0, +)
        var rows: [(String, String)] = [("Criticality", RunManifest.criticalityVersion)]
        if let command { rows.append(("command", command)) }
        if let a = created.first, let b = created.last { rows.append(("runs made", a == b ? a : "\(a) to \(b)")) }
        rows.append(("runs", "\(runs.count)" + (sweeps.isEmpty ? "" : " + \(sweeps.map { $0.runs.count }.reduce(0, +)) in \(sweeps.count) sweep\(sweeps.count == 1 ? "" : "s")")))
        rows.append(("machine", unique(manifests.map(\.versions.os))))
        rows.append(("BLAS", unique(manifests.map { "\($0.versions.blas.name) \($0.versions.blas.version) (\($0.versions.blas.core) kernels)" })))
        rows.append(("seeds", unique(manifests.map { String($0.seed) })))
        rows.append(("datasets", unique(manifests.map { "\($0.dataset.name) (\($0.dataset.trainCount) train, \($0.dataset.testCount) test)" })))
        rows.append(("compute", String(format: "%.1f min of training wall time (the runs' manifests)", compute / 60)))
        return "<table class=\"provenance small\">" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>\n"
    }

    /// The warning banner: incomplete runs, missing data, empty figure panels; empty when all is well.
    static func banner(_ runs: [RunData], sweeps: [SweepData], figures: [Figure]) -> String {
        var warnings: [String] = []
        for r in runs {
            if let m = r.manifest, m.status != "complete" { warnings.append("\(r.name) is \(m.status == "running" && !RunLock.isHeld(run: r.path) ? "stopped (resume it)" : m.status) at step \(m.stepsCompleted)/\(m.totalSteps)") }
            for p in r.problems { warnings.append("\(r.name): \(p)") }
        }
        for s in sweeps where !s.missing.isEmpty { warnings.append("sweep \(s.manifest.name): \(s.missing.count) of \(s.manifest.points.count) runs not shown (\(s.missing.prefix(3).joined(separator: "; "))\(s.missing.count > 3 ? "; …" : ""))") }
        for f in figures {
            let empty = f.panels.filter { $0.series.isEmpty }.map(\.title)
            if !empty.isEmpty { warnings.append("figure \(f.id): no data for \(empty.joined(separator: ", "))") }
        }
        guard !warnings.isEmpty else { return "" }
        return "<div class=\"banner\"><b>Incomplete:</b><ul>" + warnings.map { "<li>\(escape($0))</li>" }.joined() + "</ul></div>\n"
    }

    /// The table of contents: the claims, the figures (by anchor), the sweeps.
    static func contents(_ claims: [Claim], figures: [Figure], sweeps: [SweepData]) -> String {
        var h = "<nav class=\"toc small\"><b>Contents</b><ul><li><a href=\"#claims\">Claims</a><ul>"
        for g in groups(claims) { h += "<li><a href=\"#summary-\(g.anchor)\">\(escape(g.claim))</a></li>" }
        h += "</ul></li>"
        if !figures.isEmpty {
            h += "<li><a href=\"#runs\">Runs</a></li><li><a href=\"#figures\">Figures</a><ul>"
            for f in figures { h += "<li><a href=\"#\(escape(f.id))\">\(escape(shortCaption(f)))</a></li>" }
            h += "</ul></li><li><a href=\"#fits\">Fits</a></li>"
        }
        for s in sweeps {
            h += "<li><a href=\"#sweep-\(escape(s.manifest.name))\">Sweep \(escape(s.manifest.name))</a><ul>"
            for p in s.manifest.panels { h += "<li><a href=\"#sweep-\(escape(s.manifest.name))-\(escape(p.id))\">SI \(escape(p.id)) — \(escape(p.title))</a></li>" }
            h += "</ul></li>"
        }
        return h + "</ul></nav>\n"
    }

    /// A figure's caption up to its first " — " clause end or 90 characters.
    static func shortCaption(_ f: Figure) -> String {
        let first = f.caption.split(separator: ";").first.map(String.init) ?? f.caption
        return first.count > 90 ? String(first.prefix(88)) + "…" : first
    }

    /// The page's one script: a figure's "SVG" link joins its panels into one standalone SVG file, and
    /// a link to a claim's collapsed evidence opens it.
    static let script = """
    <script>
    function saveFigure(id) {
      const f = document.getElementById(id); let x = 0, h = 0, parts = [];
      for (const s of f.querySelectorAll('svg[data-panel]')) {
        const vb = s.viewBox.baseVal; parts.push('<g transform="translate(' + x + ',0)">' + s.innerHTML + '</g>'); x += vb.width; h = Math.max(h, vb.height);
      }
      const doc = '<svg xmlns="http://www.w3.org/2000/svg" width="' + x + '" height="' + h + '" viewBox="0 0 ' + x + ' ' + h + '" font-family="Helvetica, Arial, sans-serif">' + parts.join('') + '</svg>\\n';
      const a = document.createElement('a'); a.href = URL.createObjectURL(new Blob([doc], {type: 'image/svg+xml'})); a.download = id + '.svg'; a.click();
    }
    function openTarget() { const t = location.hash && document.getElementById(location.hash.slice(1)); if (t && t.tagName === 'DETAILS') t.open = true; }
    window.addEventListener('hashchange', openTarget); openTarget();
    </script>
    """
}
