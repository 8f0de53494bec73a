import CriticalityRun
import Foundation

extension HTMLReport {
    /// A sweep's section: per panel, the conditions' update distributions side by side and a table of
    /// α̂ per seed with the seed spread beside the per-seed standard errors (a condition whose seeds
    /// disagree more than the panel's conditions do is flagged); then the sweep's runs, collapsed.
    static func sweepSection(_ sweep: SweepData, directory: String? = nil) -> String {
        let m = sweep.manifest
        var h = "<h2 id=\"sweep-\(escape(m.name))\">Sweep \(escape(m.name))\(m.reduced ? " (reduced version)" : "")</h2>\n"
        if let d = m.description { h += "<p>\(escape(d))</p>\n" }
        h += "<p class=\"small\">\(m.points.count) runs (\(m.conditions.count) conditions × seeds) in \(escape(sweep.folder.path)); \(sweep.runs.count) trained.</p>\n"
        if !sweep.missing.isEmpty {
            h += "<p class=\"small\"><b>Not (yet) in this report:</b> " + sweep.missing.map(escape).joined(separator: "; ") + "</p>\n"
        }
        for panel in m.panels {
            h += "<h3>SI \(escape(panel.id)) — \(escape(panel.title))</h3>\n"
            h += figureHTML(Figures.sweepPanel(sweep, panel: panel), directory: directory)
            h += "<div class=\"wide\">" + panelTable(Claims.stages(sweep, panel: panel), reference: panel.claim == .smallUpdates ? panel.reference : nil) + "</div>\n"
        }
        h += "<details><summary>The sweep's \(sweep.runs.count) runs</summary>\n" + "<div class=\"wide\">" + runTable(sweep.orderedRuns) + "</div></details>\n"
        return h
    }

    /// One row per condition and stage.
    static func panelTable(_ stages: [[ConditionStage]], reference: String?) -> String {
        var t = "<table><tr><th>condition</th><th>stage</th><th>α̂ ± s.e. per seed</th><th>α̂ mean ± s.d. over seeds</th><th>mean s.e. of one seed</th><th>heavy-tailed (seeds)</th><th>Q(99.9 %)/median, mean ± s.d.</th>"
            + (reference.map { "<th>share below \(escape($0))'s median</th>" } ?? "") + "<th>seeds vs conditions</th></tr>\n"
        for c in stages {
            for (k, s) in c.enumerated() {
                let between = Claims.betweenConditionSpread(stages, stage: k)
                let perSeed = zip(s.seeds, s.alphas).map { "seed \($0): " + ($1.map { Claims.estimate($0.alpha, $0.standardError) } ?? "—") }.joined(separator: "; ")
                let heavy = s.heavy.compactMap { $0 }
                let flag = Claims.seedsDisagree(s, between: between)
                    ? "<td class=\"not\">seeds disagree more than conditions (s.d. \(String(format: "%.2f", s.alphaSpread?.sd ?? 0)) > \(String(format: "%.2f", between ?? 0)))</td>"
                    : "<td>\(between.map { String(format: "between conditions s.d. %.2f", $0) } ?? "—")</td>"
                t += "<tr><td>\(escape(s.condition))</td><td>\(escape(s.stage))</td><td class=\"small\">\(escape(perSeed))</td><td>\(Claims.meanSD(s.alphaSpread))</td><td>\(s.meanStandardError.map { String(format: "%.3f", $0) } ?? "—")</td><td>\(heavy.filter { $0 }.count)/\(heavy.count)</td><td>\(Claims.meanSD(ConditionStage.spread(s.tailRatios), digits: 1))</td>"
                    + (reference != nil ? "<td>\(Claims.meanSD(ConditionStage.spread(s.belowReferenceMedian), digits: 3))</td>" : "") + flag + "</tr>\n"
            }
        }
        return t + "</table>\n"
    }
}
