import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityRun
import CriticalityStats
import Foundation

/// `criticality report RUN… --out report.html`: one self-contained HTML page (inline SVG and CSS, no
/// external resources): run configurations, training curves, the figures, the fit tables, and the
/// claims table with computed verdicts.
public enum HTMLReport {
    public static func render(_ runs: [RunData], synthetic: [LandscapeData] = [], sweeps: [SweepData] = [], title: String = "Criticality report",
                              command: String? = nil, directory: String? = nil) -> String {
        let updateRuns = runs.filter(\.recordsUpdates)
        let claims = Claims.evaluate(updateRuns) + Claims.information(runs) + Claims.gradientNoise(runs) + Claims.landscape(runs, synthetic: synthetic) + Claims.sweeps(sweeps)
        var figures: [Figure] = []
        if !runs.isEmpty {
            figures = [Figures.trainingLoss(runs), Figures.updateDistribution(updateRuns), Figures.updateDistribution(updateRuns, ccdf: true),
                       Figures.intervals(updateRuns), Figures.updateEntropy(updateRuns)]
            if updateRuns.contains(where: \.isTransformer) { figures.append(Figures.transformerUpdates(updateRuns)) }
            for run in updateRuns where !run.layers.isEmpty { figures.append(Figures.updateDistributionPerLayer(run)) }
            if runs.contains(where: { $0.information != nil }) {
                figures += [Figures.informationSeries(runs), Figures.productStability(runs), Figures.entropyAndInformation(runs)]
            }
            if runs.contains(where: { $0.kl != nil }) { figures.append(Figures.quadraticKL(runs)) }
            if runs.contains(where: { $0.noise != nil }) { figures.append(Figures.gradientNoise(runs)) }
            if runs.contains(where: { $0.landscape != nil }) {
                figures += [Figures.landscapeSmallDelta(runs), Figures.landscapeLargeDelta(runs), Figures.landscapeScales(runs)]
            }
            if !synthetic.isEmpty { figures.append(Figures.syntheticLandscapes(synthetic)) }
        }
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>\(escape(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; padding: 0 16px; color: #222; max-width: 1400px; }
        h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f0f0f0; }
        .wide { max-width: 100%; overflow-x: auto; }
        figure { margin: 12px 0 24px; } figcaption { font-size: 13px; color: #444; max-width: 1000px; }
        .panels { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
        .panels > svg { flex: 1 1 340px; min-width: 0; height: auto; }
        .supported { background: #e3f4e3; } .partly { background: #fff4d6; } .not { background: #fbe3e3; } .inconclusive { background: #eee; }
        .small { font-size: 12px; color: #555; }
        .banner { background: #fff4d6; border: 1px solid #d9b44a; padding: 8px 12px; margin: 12px 0; font-size: 13px; }
        .toc ul { margin: 2px 0; } .toc > ul { columns: 2 360px; } .toc li { break-inside: avoid; } .provenance th { width: 110px; }
        details { margin: 4px 0; } summary { cursor: pointer; }
        </style></head><body>
        <h1>\(escape(title))</h1>
        <p class="small">Reproduction of “Heavy-tailed update distributions arise from information-driven self-organization in nonequilibrium learning” (PNAS 2025) with Criticality \(RunManifest.criticalityVersion). Every number below is computed from the run directories listed; verdicts follow the rules stated under the claims tables.</p>

        """
        h += provenance(runs, sweeps: sweeps, command: command)
        h += banner(runs, sweeps: sweeps, figures: figures)  // a sweep's missing runs are its own line
        h += contents(claims, figures: figures, sweeps: sweeps)
        h += "<h2 id=\"claims\">Claims of the paper beside the measurements</h2>\n" + claimsSection(claims)
        h += "<p class=\"small\">Per-run verdict rules: heavy-tailed = the power law beats the exponential (Vuong test) in every stage; a lognormal, cut-off or stretched-exponential law significantly better than the pure power law (Vuong's sequential test: the models must first be shown to differ, docs/fit-json.md) makes the claim only partly supported; “at the power-law limit” = the alternative's best fit is the power law itself; exponent range checked with ±2 s.e.; stability: |Δα̂| ≤ 0.5 supported, ≤ 1 partly; intervals: |α̂ − paper| ≤ 0.3 supported, ≤ 0.7 partly; least squares: 3–5 supported, 2.5–5.5 partly. Information (Fig. 3): MI rising and β* falling = Spearman's ρ with the step of the right sign at p < 0.05 (both supported, one partly), with MI set beside its shuffle null; β*·MI stable = ρ(p_t, p_t+Δ) > 0 at p < 0.05 and beyond the shuffled-time null, and the t-test of the differences not significant (both supported, one partly); KL locally quadratic = median D_KL/Q in [0.9, 1.1] with quartiles in [0.8, 1.25] (within a factor 2: partly); entropy and MI compete = Spearman ρ < 0 at p < 0.05 (negative: partly); gradient noise Gaussian-like = in a layer at least half the parameters pass D'Agostino–Pearson at 5 % and the pooled standardised noise has |excess kurtosis| < 1 (every layer supported, some partly)." + (sweeps.isEmpty ? "" : " SI sweeps (one row per panel, every seed of every condition): heavy-tailed in every condition = the exponential rejected in every run and stage (in at least half: partly); cut-off and tail restriction = the ratio Q(99.9 %)/median of the positive |Δθ| lower than the reference condition's in every stage, the seed means apart by more than 2 combined standard errors (lower but not by that, or one seed: partly); more frequent small updates = the share of |Δθ| below the reference's median (same seed and stage) above 0.5 by more than 2 standard errors over seeds. A condition whose seeds' s.d. of α̂ exceeds the s.d. of the panel's condition means is flagged in its table.") + "</p>\n"
        if !runs.isEmpty {
            h += "<h2 id=\"runs\">Runs</h2>\n<div class=\"wide\">" + runTable(runs) + "</div>\n"
            h += "<h2 id=\"figures\">Figures</h2>\n"
            for f in figures { h += figureHTML(f, directory: directory) }
        }
        if !updateRuns.isEmpty || runs.contains(where: { $0.landscape != nil }) || !synthetic.isEmpty {
            h += "<h2 id=\"fits\">Fits</h2>\n" + fitTables(updateRuns) + landscapeTables(runs, synthetic: synthetic)
        }
        for sweep in sweeps { h += sweepSection(sweep, directory: directory) }
        return h + script + "</body></html>\n"
    }

    /// A figure: its panels in a grid that wraps to the page width, the caption, and a link that saves
    /// the whole figure as one standalone SVG.
    static func figureHTML(_ f: Figure, directory: String? = nil) -> String {
        var h = "<figure id=\"\(escape(f.id))\">\n<div class=\"panels\">\n"
        for i in f.panels.indices { h += f.panelSVG(i) }
        h += "</div>\n<figcaption>\(escape(f.caption)) <a href=\"#\(escape(f.id))\">#</a> · <a href=\"javascript:saveFigure('\(escape(f.id))')\">SVG</a></figcaption>\n"
        let files = f.sources.filter { FileManager.default.fileExists(atPath: $0) }
        if !files.isEmpty {
            h += "<details class=\"small\"><summary>Data: \(files.count) file\(files.count == 1 ? "" : "s") (NumPy .npy arrays and CSV, by path from this report)</summary>"
                + files.map { p in let r = relativePath(p, from: directory); return "<a href=\"\(escape(r))\">\(escape(r))</a>" }.joined(separator: "<br>") + "</details>\n"
        }
        return h + "</figure>\n"
    }

    /// `path` relative to the folder `directory` (the report's), or as given without one.
    static func relativePath(_ path: String, from directory: String?) -> String {
        guard let directory else { return path }
        let a = URL(fileURLWithPath: path).standardizedFileURL.pathComponents, b = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        var i = 0
        while i < min(a.count, b.count) && a[i] == b[i] { i += 1 }
        return (Array(repeating: "..", count: b.count - i) + a[i...]).joined(separator: "/")
    }

    static func verdictClass(_ v: String) -> String {
        v.hasPrefix("supported") ? "supported" : v.hasPrefix("partly") ? "partly" : v.hasPrefix("not") ? "not" : "inconclusive"
    }

    static func claimsTable(_ claims: [Claim]) -> String {
        var t = "<table><tr><th>claim</th><th>figure</th><th>paper</th><th>run</th><th>measured</th><th>model comparison</th><th>verdict</th></tr>\n"
        for c in claims {
            t += "<tr><td>\(escape(c.claim))</td><td>\(escape(c.figure))</td><td>\(escape(c.paperValue))</td><td>\(escape(c.run))</td><td>\(escape(c.measured))</td><td class=\"small\">\(escape(c.comparison))</td><td class=\"\(verdictClass(c.verdict))\">\(escape(c.verdict))</td></tr>\n"
        }
        return t + "</table>\n"
    }

    static func runTable(_ runs: [RunData]) -> String {
        var t = "<table><tr><th>run</th><th>model</th><th>dataset</th><th>optimizer</th><th>batch</th><th>steps</th><th>windows</th><th>test accuracy</th><th>steps/s</th><th>BLAS</th><th>seed</th><th>status</th></tr>\n"
        for r in runs {
            guard let m = r.manifest else {
                t += "<tr><td>\(escape(r.name))</td><td colspan=\"11\">external updates (analyze-updates), no manifest</td></tr>\n"
                continue
            }
            let c = m.config
            var acc = m.final.map { String(format: "%.2f%%", 100 * $0.testAccuracy) } ?? "—"
            if let f = m.final, let h = m.dataset.unigramEntropy {  // a text: the language model's numbers
                acc = String(format: "%.2f%% next character; %@ %.3f nats (perplexity %.2f) against the text's unigram entropy %.3f",
                             100 * f.testAccuracy, (c.dataset == "text" ? "validation loss" : "loss on the text's windows") as NSString, f.testLoss, exp(f.testLoss), h)
            }
            let windows = r.windows.map { "\($0.range.lowerBound)–\($0.range.upperBound)" }.joined(separator: ", ")
            t += "<tr><td>\(escape(r.name))</td><td>\(escape(c.model.model))</td><td>\(escape(c.dataset))</td><td>\(escape(c.optimizer.kind.rawValue)) lr \(c.optimizer.learningRate)</td><td>\(c.batchSize)</td><td>\(m.stepsCompleted)/\(m.totalSteps)</td><td>\(escape(windows))</td><td>\(acc)</td><td>\(String(format: "%.0f", m.timing.stepsPerSecond))</td><td>\(escape(m.versions.blas.name)) \(escape(m.versions.blas.version)) (\(escape(m.versions.blas.core)))</td><td>\(m.seed)</td><td>\(escape(m.status == "running" && !RunLock.isHeld(run: r.path) ? "stopped: the manifest says running but no process holds the run (resume it)" : m.status))</td></tr>\n"
        }
        return t + "</table>\n"
    }

    /// One row per response set of every landscape: its numbers and class.
    static func landscapeTables(_ runs: [RunData], synthetic: [LandscapeData]) -> String {
        var t = ""
        for l in runs.compactMap(\.landscape) + synthetic {
            t += "<h3>\(escape(l.name)) — loss landscape (\(escape(l.folder.path)))</h3><table><tr><th>source</th><th>set</th><th>L(θ)</th><th>δ</th><th>sign</th><th>n (zeros)</th><th>median |ΔL|</th><th>max</th><th>α̂ ± s.e.</th><th>x_min</th><th>n_tail</th><th>exponential KS</th><th>paper's LS exponent</th><th>class</th></tr>\n"
            for s in l.summary.sources {
                for r in s.responses {
                    let a = r.analysis
                    let ls = (a.paperAxes == "semi-log" ? a.semiLogFit : a.logLogFit).map { String(format: "%.3g (%@)", $0.exponent, $0.axes) } ?? "—"
                    t += "<tr><td>\(escape(s.source))</td><td>\(escape(s.set))</td><td>\(String(format: "%.6g", s.lossBefore))</td><td>\(LandscapeFolder.deltaText(r.delta))</td><td>\(r.sign.rawValue)</td><td>\(a.n) (\(a.zeros))</td><td>\(String(format: "%.3g", a.median))</td><td>\(String(format: "%.3g", a.maximum))</td><td>\(a.tail.map { Claims.estimate($0.alpha, $0.alphaStderr) } ?? "—")</td><td>\(a.tail.map { String(format: "%.3g", $0.xmin) } ?? "—")</td><td>\(a.tail.map { "\($0.nTail)" } ?? "—")</td><td>\(String(format: "%.3f", a.exponentialKS))</td><td>\(escape(ls))</td><td title=\"\(escape(a.reason))\">\(escape(a.classification.rawValue))</td></tr>\n"
                }
            }
            t += "</table>\n"
        }
        return t
    }

    static func fitTables(_ runs: [RunData]) -> String {
        var t = ""
        for r in runs {
            t += "<details><summary>\(escape(r.name)): fits of every stage and scope</summary><div class=\"wide\"><table><tr><th>stage</th><th>scope</th><th>α̂ ± s.e.</th><th>x_min</th><th>n_tail</th><th>KS D</th><th>vs exponential</th><th>vs lognormal</th><th>vs cut-off</th><th>vs stretched exp.</th><th>least squares exponent</th><th>intervals α̂ (q)</th></tr>\n"
            for w in r.windows {
                for s in w.fits?.scopes ?? [] where s.scope == "all" || !s.scope.contains(".") {
                    guard let u = s.update else { continue }
                    func verdict(_ a: TailAlternative) -> String {
                        guard let c = u.comparisons.first(where: { $0.alternative == a }) else { return "—" }
                        if c.atLimit { return "at the power-law limit" }
                        return "\(c.verdict) (R \(String(format: "%.2f", c.R)), p \(String(format: "%.2g", c.p)))"
                    }
                    let iv = s.intervals.map { String(format: "%.2f (%.1f%%)", $0.fit.alpha, 100 * $0.q) }.joined(separator: ", ")
                    t += "<tr><td>\(w.range.lowerBound)–\(w.range.upperBound)</td><td>\(escape(s.scope))</td><td>\(String(format: "%.3f ± %.3f", u.alpha, u.alphaStderr))</td><td>\(String(format: "%.3g", u.xmin))</td><td>\(u.nTail)</td><td>\(String(format: "%.4f", u.ksDistance))</td><td>\(escape(verdict(.exponential)))</td><td>\(escape(verdict(.lognormal)))</td><td>\(escape(verdict(.truncatedPowerLaw)))</td><td>\(escape(verdict(.stretchedExponential)))</td><td>\(u.leastSquares.map { String(format: "%.3f", $0.exponent) } ?? "—")</td><td>\(escape(iv))</td></tr>\n"
                }
            }
            t += "</table></div></details>\n"
        }
        return t
    }
}
