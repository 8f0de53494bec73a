import CriticalityCore
import CriticalityRun
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// The paper's landscape claims (Fig. 4, SI S14–S18) beside the scans. Verdicts from the classes of
/// `ResponseAnalysis.classify`:
/// - small δ (< 0.1) exponential-like: every response set so classed "supported", some "partly
///   supported", none "not supported";
/// - large δ (≥ 0.1) power-law-like: every set power-law-like "supported"; every set at least heavy-tailed
///   (power-law-like, or heavy-tailed but not a pure power law) "partly supported"; otherwise "not supported";
/// - the probe recovers known laws: at the largest δ the power-law curvature is classed power-law-like
///   with |α̂ − α| ≤ 2 s.e., and the Gaussian and exponential curvatures are never classed power-law-like
///   or heavy-tailed at any δ → "supported"; one of the two holds → "partly supported"; else "not
///   supported". The lognormal's class is reported, not judged (the paper does not say what it should be).
extension Claims {
    static func classes(_ sets: [(String, LandscapeSummary.ResponseSet)]) -> String {
        var counts: [ResponseClass: Int] = [:]
        for (_, r) in sets { counts[r.analysis.classification, default: 0] += 1 }
        return ResponseClass.allCases.compactMap { c in counts[c].map { "\($0) \(c.rawValue)" } }.joined(separator: ", ")
    }

    public static func landscape(_ runs: [RunData], synthetic: [LandscapeData]) -> [Claim] {
        var out: [Claim] = []
        for run in runs {
            guard let l = run.landscape else { continue }
            let sets = l.trainSources.flatMap { s in s.responses.map { (s.source, $0) } }
            let small = sets.filter { $0.1.delta < 0.1 }, large = sets.filter { $0.1.delta >= 0.1 }
            if !small.isEmpty {
                let n = small.filter { $0.1.analysis.classification == .exponentialLike }.count
                let ks = small.map(\.1.analysis.exponentialKS)
                out.append(Claim(claim: "The loss response to a small single-parameter perturbation is exponential-like",
                                 figure: "Fig. 4B–C", paperValue: "exponential-like (δ = 0.01)", run: run.name,
                                 measured: "\(classes(small)) over \(small.count) sets (\(Set(small.map(\.0)).sorted().joined(separator: ", "))); whole-sample exponential KS \(f2(ks.min()!))–\(f2(ks.max()!))",
                                 comparison: small.map { "\($0.0) δ \(LandscapeFolder.deltaText($0.1.delta)) \($0.1.sign.rawValue): \($0.1.analysis.reason)" }.joined(separator: "; "),
                                 verdict: n == small.count ? "supported" : n > 0 ? "partly supported: \(n) of \(small.count) sets exponential-like" : "not supported: no set is exponential-like"))
            }
            if !large.isEmpty {
                let pl = large.filter { $0.1.analysis.classification == .powerLawLike }.count
                let heavy = large.filter { [.powerLawLike, .heavyTailedNotPowerLaw].contains($0.1.analysis.classification) }.count
                let alphas = large.compactMap { $0.1.analysis.tail?.alpha }
                let range = alphas.isEmpty ? "no tail fit" : "α̂ \(f2(alphas.min()!))–\(f2(alphas.max()!))"
                out.append(Claim(claim: "The loss response to a large single-parameter perturbation is power-law-like",
                                 figure: "Fig. 4D–E", paperValue: "power law (δ = 1; exponent lost from the text)", run: run.name,
                                 measured: "\(range); \(classes(large)) over \(large.count) sets",
                                 comparison: large.map { "\($0.0) δ \(LandscapeFolder.deltaText($0.1.delta)) \($0.1.sign.rawValue): \($0.1.analysis.reason)" }.joined(separator: "; "),
                                 verdict: pl == large.count ? "supported" : heavy == large.count ? "partly supported: heavy-tailed, but \(large.count - pl) of \(large.count) sets fit a lognormal, cut-off or stretched exponential better than a pure power law" : "not supported: \(large.count - heavy) of \(large.count) sets are not heavy-tailed"))
            }
        }
        for l in synthetic {
            let sources = l.summary.sources
            guard !sources.isEmpty else { continue }
            var notes: [String] = []
            var recovered: Bool?
            if let pl = sources.first(where: { $0.source == CurvatureLaw.powerLaw.rawValue }),
               let top = pl.responses.filter({ $0.sign == .plus }).max(by: { $0.delta < $1.delta }) {
                let alpha = l.summary.synthetic?.paretoAlpha ?? 2.5
                if let t = top.analysis.tail {
                    recovered = top.analysis.classification == .powerLawLike && abs(t.alpha - alpha) <= 2 * t.alphaStderr
                    notes.append("power-law c (α = \(f2(alpha))) at δ = \(LandscapeFolder.deltaText(top.delta)): \(top.analysis.classification.rawValue), α̂ = \(estimate(t.alpha, t.alphaStderr))")
                } else {
                    recovered = false
                    notes.append("power-law c: no tail fit")
                }
            }
            var light: Bool?
            for law in [CurvatureLaw.gaussian, .exponential] {
                guard let s = sources.first(where: { $0.source == law.rawValue }) else { continue }
                let wrong = s.responses.filter { [.powerLawLike, .heavyTailedNotPowerLaw].contains($0.analysis.classification) }
                light = (light ?? true) && wrong.isEmpty
                notes.append("\(law.rawValue) c: \(classes(s.responses.map { ("", $0) }))")
            }
            if let s = sources.first(where: { $0.source == CurvatureLaw.lognormal.rawValue }) {
                notes.append("lognormal c (reported, not judged): \(classes(s.responses.map { ("", $0) }))")
            }
            let checks = [recovered, light].compactMap { $0 }
            let passed = checks.filter { $0 }.count
            out.append(Claim(claim: "The perturbation probe recovers known curvature laws",
                             figure: "SI S16–S18", paperValue: "power-law curvature → power-law response; Gaussian, exponential → not", run: l.name,
                             measured: notes.joined(separator: "; "), comparison: "tail MLE, KS x_min, likelihood-ratio tests; δ ≫ |x| for the exponent",
                             verdict: checks.isEmpty ? "inconclusive" : passed == checks.count ? "supported" : passed > 0 ? "partly supported" : "not supported"))
        }
        return out
    }
}
