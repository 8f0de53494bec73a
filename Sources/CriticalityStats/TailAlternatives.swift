import CriticalityCore
import Foundation

/// Alternatives to the power law on the same tail x ≥ x_min, each normalized on [x_min, ∞) and fitted
/// by maximum likelihood (Clauset et al. 2009, Table 2.1):
/// - exponential: λ e^{−λ(x − x_min)};
/// - lognormal: φ((ln x − μ)/σ)/(xσ) / (½ erfc((ln x_min − μ)/(σ√2)));
/// - power law with exponential cut-off: x^{−α} e^{−λx} / (x_min^{1−α} E_α(λ x_min));
/// - stretched exponential (Weibull): βλ x^{β−1} e^{−λ(x^β − x_min^β)}.
///
/// The last three contain the power law as a limit — lognormal σ → ∞ with μ → −∞, cut-off λ → 0,
/// stretched exponential β → 0 with λβx_min^β fixed — so their maximum likelihood is never below the
/// power law's, and where the data prefer that limit the two models coincide on the tail
/// (`nestsPowerLaw`). The exponential never does.
public enum TailAlternative: String, CaseIterable, Codable, Sendable {
    case exponential
    case lognormal
    case truncatedPowerLaw = "truncated-power-law"
    case stretchedExponential = "stretched-exponential"

    /// Whether the power law is a limit (boundary point) of this family.
    public var nestsPowerLaw: Bool { self != .exponential }

    /// Where the family reduces to the power law, in the words of docs/fit-json.md.
    public var powerLawLimit: String? {
        switch self {
        case .exponential: nil
        case .lognormal: "b = 1/(2σ²) = 0 (σ → ∞, μ → −∞)"
        case .truncatedPowerLaw: "λ = 0"
        case .stretchedExponential: "β = 0 (λ → ∞ with λβx_min^β fixed)"
        }
    }
}

/// One alternative's maximum-likelihood fit and its diagnostics.
public struct AlternativeFitDiagnostics: Codable, Sendable {
    /// Whether every root finder and search of the fit met its tolerance.
    public var converged: Bool
    /// Whether the maximum is the power law itself (the family's boundary, `TailAlternative.powerLawLimit`).
    public var atLimit: Bool
    /// The maximized log-likelihood of the alternative on the tail.
    public var logLikelihood: Double
    /// How the maximum was found.
    public var method: String
    /// Likelihood evaluations (moments or normalizers) the fit took.
    public var evaluations: Int
    enum CodingKeys: String, CodingKey {
        case converged, atLimit = "at_limit", logLikelihood = "log_likelihood", method, evaluations
    }
}

/// Step 1 of Vuong's (1989) sequential procedure: can the two fitted models be told apart at all?
public struct CoincidenceTest: Codable, Sendable {
    /// "nested likelihood ratio" (2·(ℓ_alt − ℓ_PL) against χ²₁) for an alternative that contains the
    /// power law; "variance" (n·ω̂² against Vuong's weighted χ², his Theorem 3.3) otherwise.
    public var method: String
    public var statistic: Double
    /// P-value of "the models coincide on this tail".
    public var p: Double
}

/// One likelihood-ratio comparison, power law versus an alternative, on the same tail
/// (docs/fit-json.md describes every field and the procedure).
public struct TailComparison: Codable, Sendable {
    public var alternative: TailAlternative
    /// Vuong's normalized log-likelihood ratio Σl_i/(ω̂√n), l_i = ln p_PL(x_i) − ln p_alt(x_i);
    /// R > 0 favours the power law (the sign convention of Clauset et al. and `powerlaw`); 0 when the
    /// fits coincide (ω̂ = 0).
    public var R: Double
    /// Σ_i l_i.
    public var logLikelihoodRatio: Double
    /// The p-value the verdict rests on: the likelihood-ratio test's for the cut-off; for the others the
    /// larger of step 1's and Vuong's two-sided p; 1 at the limit.
    public var p: Double
    /// "power law favoured", "alternative favoured" or "inconclusive" at `significance`.
    public var verdict: String
    /// Why, in a sentence (e.g. "at the power-law limit: …", "the models coincide on this tail …").
    public var reason: String
    public var significance: Double
    /// Fitted parameters of the alternative (finite values only; at a limit, the limit's own).
    public var parameters: [String: Double]
    /// Whether the alternative contains the power law as a limit.
    public var nested: Bool
    /// Two-sided p of R under N(0, 1) (Vuong's step 2).
    public var vuongP: Double
    /// ω̂² = (1/n)Σ(l_i − l̄)², the variance of the pointwise ratios.
    public var variance: Double
    /// Step 1 (nil when the fit sits at the limit or did not converge).
    public var coincidence: CoincidenceTest?
    public var fit: AlternativeFitDiagnostics

    /// Whether the comparison sits at the power-law limit (the alternative's best fit is the power law).
    public var atLimit: Bool { fit.atLimit }

    enum CodingKeys: String, CodingKey {
        case alternative, R, logLikelihoodRatio = "log_likelihood_ratio", p, verdict, reason, significance, parameters, nested
        case vuongP = "vuong_p", variance, coincidence, fit
    }
}

/// The fitted alternative as the comparison needs it.
struct AlternativeFit {
    var parameters: [String: Double]
    /// l_i = ln p_PL(x_i) − ln p_alt(x_i) per tail value (per distinct value for counted data), in a
    /// form in which the shared terms cancel analytically (exactly 0 at the limit).
    var ratio: [Double]
    var logLikelihood: Double
    var atLimit: Bool
    var converged: Bool
    var method: String
    var evaluations: Int
    /// Weights of Vuong's variance test (`LikelihoodRatioTest.varianceWeights`), for an alternative that
    /// does not contain the power law.
    var varianceTestWeights: [Double]?
}

/// The likelihood-ratio tests of power law against alternative, shared by continuous and discrete data.
///
/// - **Power law with cut-off** — the power law is its special case λ = 0, the nested case of Clauset
///   et al. (2009, §5.1): the likelihood-ratio test, 2(ℓ_alt − ℓ_PL) against χ²₁ (conservative at a
///   boundary, where the exact null is ½χ²₀ + ½χ²₁, Self & Liang 1987). It can only favour the
///   alternative.
/// - **Exponential, lognormal, stretched exponential** — compared by Vuong's normalized ratio
///   R = Σl_i/(ω̂√n) against N(0, 1) (Clauset et al. §5.1), after Vuong's (1989) first step: *do the
///   two models coincide on this tail?* For the lognormal and the stretched exponential, which contain
///   the power law as a limit (overlapping models), step 1 is the nested likelihood-ratio test above
///   (Vuong §5–6); for the exponential, which does not, Vuong's variance test, n·ω̂² against
///   Σλ_i²χ²₁ (his Theorem 3.3). If step 1 does not reject at `significance`: "inconclusive: the
///   models coincide on this tail". A verdict is significant only if both steps reject; `p` is the
///   larger p-value. Without step 1, R divides a ratio of rounding noise by a near-zero ω̂ — the
///   failure that reported "significant" comparisons at the limits (issue 11).
///
/// Any alternative whose maximum is the power law itself (`atLimit`) gives ratio 0, "inconclusive: at
/// the power-law limit".
enum LikelihoodRatioTest {
    static func compare(_ fit: AlternativeFit, alternative: TailAlternative, counts: [Double]? = nil,
                        significance: Double) -> TailComparison {
        let diagnostics = AlternativeFitDiagnostics(converged: fit.converged, atLimit: fit.atLimit, logLikelihood: fit.logLikelihood,
                                                    method: fit.method, evaluations: fit.evaluations)
        func result(_ r: Double, _ R: Double, _ p: Double, _ vuongP: Double, _ variance: Double, _ verdict: String, _ reason: String,
                    _ coincidence: CoincidenceTest?) -> TailComparison {
            TailComparison(alternative: alternative, R: R, logLikelihoodRatio: r, p: p, verdict: verdict, reason: reason,
                           significance: significance, parameters: fit.parameters.filter { $0.value.isFinite },
                           nested: alternative.nestsPowerLaw, vuongP: vuongP, variance: variance, coincidence: coincidence,
                           fit: diagnostics)
        }
        if fit.atLimit {
            return result(0, 0, 1, 1, 0, "inconclusive",
                          "at the power-law limit: the alternative's maximum-likelihood fit is the power law itself (\(alternative.powerLawLimit ?? "limit"))", nil)
        }
        // Σ w l, mean and variance (weights: counts of distinct values, or 1)
        var n = 0.0, r = 0.0
        for (i, l) in fit.ratio.enumerated() { let w = counts?[i] ?? 1; n += w; r += w * l }
        let mean = r / n
        var variance = 0.0
        for (i, l) in fit.ratio.enumerated() { let w = counts?[i] ?? 1; variance += w * (l - mean) * (l - mean) }
        variance /= n
        guard fit.converged, r.isFinite, variance.isFinite else {
            return result(r.isFinite ? r : 0, 0, 1, 1, variance.isFinite ? variance : 0, "inconclusive",
                          "the alternative's maximum-likelihood fit did not converge", nil)
        }
        // ratios that are all equal to rounding (ω̂ below 10⁻¹⁰ of their size) coincide in shape: ω̂ = 0
        if variance <= 1e-20 * (mean * mean + variance) { variance = 0 }
        let sd = (n * variance).squareRoot()
        let R = sd > 0 ? r / sd : 0
        let vuongP = sd > 0 ? Special.erfc(abs(R) / 2.0.squareRoot()) : 1
        let step1: CoincidenceTest
        if alternative.nestsPowerLaw {
            let statistic = 2 * max(-r, 0)
            step1 = CoincidenceTest(method: "nested likelihood ratio", statistic: statistic, p: Special.chiSquare1Survival(statistic))
        } else {
            let statistic = n * variance
            let p = fit.varianceTestWeights.map { Special.weightedChiSquareSurvival(weights: $0, statistic) } ?? (variance > 0 ? 0 : 1)
            step1 = CoincidenceTest(method: "variance", statistic: statistic, p: p)
        }
        func g(_ v: Double) -> String { String(format: "%.3g", v) }
        if alternative == .truncatedPowerLaw {
            // Clauset et al.'s nested case: the likelihood-ratio test alone decides
            let verdict = step1.p < significance ? "alternative favoured" : "inconclusive"
            let reason = step1.p < significance ? "nested likelihood ratio test p = \(g(step1.p))"
                : "the models coincide on this tail (nested likelihood ratio test p = \(g(step1.p)))"
            return result(r, R, step1.p, vuongP, variance, verdict, reason, step1)
        }
        let p = max(step1.p, vuongP)
        if step1.p >= significance {
            return result(r, R, p, vuongP, variance, "inconclusive",
                          "the models coincide on this tail (\(step1.method) test p = \(g(step1.p)))", step1)
        }
        if vuongP >= significance {
            return result(r, R, p, vuongP, variance, "inconclusive",
                          "neither model is significantly closer to the data (Vuong p = \(g(vuongP)))", step1)
        }
        let winner = r > 0 ? "power law favoured" : "alternative favoured"
        return result(r, R, p, vuongP, variance, winner,
                      "\(step1.method) test p = \(g(step1.p)), Vuong p = \(g(vuongP))", step1)
    }

    /// The weights λ_i² of Vuong's variance test for two one-parameter models: the eigenvalues of
    /// W², W his Eq. 3.6, from the per-point scores s_f, s_g at the fits and the models' Fisher
    /// informations I_f, I_g (positive). To first order l_i − l̄ = s_f,i δθ − s_g,i δγ with
    /// √n(δθ, δγ) = D·S, D = diag(1/I_f, 1/I_g), S ~ N(0, B), so n·ω̂² → SᵀD B̃ D S with
    /// B = [[B_f, B_fg], [B_fg, B_g]] and B̃ = [[B_f, −B_fg], [−B_fg, B_g]] (B_· the mean products of
    /// the scores): the weights are the eigenvalues of P = D B̃ D B, which is similar to a positive
    /// semi-definite matrix, so they are real and ≥ 0 — tr P = B_f²/I_f² + B_g²/I_g² − 2B_fg²/(I_f I_g),
    /// det P = (B_f B_g − B_fg²)²/(I_f I_g)².
    static func varianceWeights(scoresF: [Double], scoresG: [Double], informationF: Double, informationG: Double,
                                counts: [Double]? = nil) -> [Double] {
        var n = 0.0, bf = 0.0, bg = 0.0, bfg = 0.0
        for i in scoresF.indices {
            let w = counts?[i] ?? 1
            n += w; bf += w * scoresF[i] * scoresF[i]; bg += w * scoresG[i] * scoresG[i]; bfg += w * scoresF[i] * scoresG[i]
        }
        bf /= n; bg /= n; bfg /= n
        let trace = bf * bf / (informationF * informationF) + bg * bg / (informationG * informationG)
            - 2 * bfg * bfg / (informationF * informationG)
        let det = (bf * bg - bfg * bfg) * (bf * bg - bfg * bfg) / (informationF * informationF * informationG * informationG)
        let root = max(trace * trace / 4 - det, 0).squareRoot()
        return [max(trace / 2 + root, 0), max(trace / 2 - root, 0)]
    }
}
