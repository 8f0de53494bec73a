import XCTest
@testable import Criticality

/// Likelihood-ratio comparisons on 100 seeded replicates per law; the wrong law may be favoured in at
/// most 5. Tails hold 2,000 values above x_min = 1 — enough for the exponential and the cut-off to be
/// told apart from a power law, while lognormal and stretched exponential can mimic a power law
/// (inconclusive is then the right answer, and never counts as wrong). Verdicts are taken at the 2%
/// level: a test at level s calls the wrong law in about s of the replicates by construction (the
/// nested cut-off test at Clauset's 10% did so in 9 of 100), so ≥ 95 of 100 needs s well below 5%.
final class ComparisonTests: XCTestCase {
    func verdicts(replicates: Int = 100, _ draw: (inout RNG) -> [Double], against alternatives: [TailAlternative]) -> [TailAlternative: [String: Int]] {
        var tally: [TailAlternative: [String: Int]] = [:]
        for r in 0..<replicates {
            var rng = RNG(seed: UInt64(r), stream: .sampling)
            let tail = draw(&rng).sorted()
            let fit = ContinuousPowerLaw(sortedPositive: tail).fit(tailStart: 0)
            for a in alternatives {
                let c = TailComparisons.compare(tail: tail, fit: fit, alternative: a, significance: 0.02)
                tally[a, default: [:]][c.verdict, default: 0] += 1
            }
        }
        return tally
    }

    func testPowerLawSamplesNeverFavourAnAlternative() {
        let t = verdicts({ samplePowerLaw(alpha: 2.5, xmin: 1, count: 2000, rng: &$0) }, against: TailAlternative.allCases)
        for a in TailAlternative.allCases {
            XCTAssertLessThanOrEqual(t[a]?["alternative favoured"] ?? 0, 5, "\(a): \(t[a] ?? [:])")
        }
        XCTAssertGreaterThanOrEqual(t[.exponential]?["power law favoured"] ?? 0, 95, "\(t[.exponential] ?? [:])")
    }

    func testExponentialSamplesNeverFavourThePowerLaw() {
        let t = verdicts({ rng in (0..<2000).map { _ in 1 - log(1 - rng.uniformDouble()) } }, against: [.exponential, .stretchedExponential])
        XCTAssertLessThanOrEqual(t[.exponential]?["power law favoured"] ?? 0, 5)
        XCTAssertGreaterThanOrEqual(t[.exponential]?["alternative favoured"] ?? 0, 95, "\(t[.exponential] ?? [:])")
        XCTAssertLessThanOrEqual(t[.stretchedExponential]?["power law favoured"] ?? 0, 5)
    }

    func testLognormalSamplesNeverFavourThePowerLaw() {
        // lognormal(μ = 0, σ = 1) conditioned on x ≥ 1 (rejection), 2,000 values
        let t = verdicts({ rng in
            var out: [Double] = []
            while out.count < 2000 { let v = exp(rng.normal()); if v >= 1 { out.append(v) } }
            return out
        }, against: [.lognormal])
        XCTAssertLessThanOrEqual(t[.lognormal]?["power law favoured"] ?? 0, 5)
        XCTAssertGreaterThanOrEqual(t[.lognormal]?["alternative favoured"] ?? 0, 80, "\(t[.lognormal] ?? [:])")
    }

    func testCutoffSamplesFavourTheCutoff() {
        // x^{-1.5} e^{-x/50} above 1, by rejection from the pure power law
        let t = verdicts({ rng in
            var out: [Double] = []
            while out.count < 2000 {
                let v = samplePowerLaw(alpha: 1.5, xmin: 1, count: 1, rng: &rng)[0]
                if rng.uniformDouble() < exp(-(v - 1) / 50) { out.append(v) }
            }
            return out
        }, against: [.truncatedPowerLaw])
        XCTAssertEqual(t[.truncatedPowerLaw]?["power law favoured"] ?? 0, 0)
        XCTAssertGreaterThanOrEqual(t[.truncatedPowerLaw]?["alternative favoured"] ?? 0, 95, "\(t[.truncatedPowerLaw] ?? [:])")
    }

    /// The truncated power law's fitted parameters come back: α = 1.5, λ = 0.02 (n = 20,000).
    func testCutoffParametersRecovered() {
        var rng = RNG(seed: 1, stream: .sampling)
        var tail: [Double] = []
        while tail.count < 20_000 {
            let v = samplePowerLaw(alpha: 1.5, xmin: 1, count: 1, rng: &rng)[0]
            if rng.uniformDouble() < exp(-0.02 * (v - 1)) { tail.append(v) }
        }
        let (p, _) = TailComparisons.fit(.truncatedPowerLaw, tail: tail, xmin: 1, powerLawAlpha: 1.6)
        XCTAssertEqual(p["alpha"]!, 1.5, accuracy: 0.05)
        XCTAssertEqual(p["lambda"]!, 0.02, accuracy: 0.004)
    }
}

/// Discrete comparisons (interval histograms): 30 replicates per law, 3,000 values, at the 2% level.
final class DiscreteComparisonTests: XCTestCase {
    func tally(_ draw: (inout RNG) -> [Double], against a: TailAlternative) -> [String: Int] {
        var t: [String: Int] = [:]
        for r in 0..<30 {
            var rng = RNG(seed: UInt64(500 + r), stream: .sampling)
            let pl = DiscretePowerLaw(observations: draw(&rng))
            let fit = pl.fit(tailStart: 0)
            let c = DiscreteTailComparisons.compare(values: pl.values, counts: pl.counts, fit: fit, alternative: a, significance: 0.02)
            t[c.verdict, default: 0] += 1
        }
        return t
    }

    func testDiscretePowerLawIsNotMistakenForGeometric() {
        let t = tally({ sampleDiscretePowerLaw(alpha: 2.5, xmin: 1, count: 3000, rng: &$0) }, against: .exponential)
        XCTAssertEqual(t["alternative favoured"] ?? 0, 0, "\(t)")
        XCTAssertGreaterThanOrEqual(t["power law favoured"] ?? 0, 27, "\(t)")  // the rest inconclusive, never wrong
    }

    func testGeometricIsNotMistakenForAPowerLaw() {
        // geometric on 1, 2, … with mean 4
        let t = tally({ rng in (0..<3000).map { _ in 1 + (log(1 - rng.uniformDouble()) / log(0.75)).rounded(.down) } }, against: .exponential)
        XCTAssertEqual(t["power law favoured"] ?? 0, 0, "\(t)")
        XCTAssertGreaterThanOrEqual(t["alternative favoured"] ?? 0, 29, "\(t)")
    }

    func testDiscreteCutoffIsDetectedAndNeverWronglyClaimedForAPowerLaw() {
        let cut = tally({ rng in
            var out: [Double] = []
            while out.count < 3000 {
                let v = sampleDiscretePowerLaw(alpha: 1.6, xmin: 1, count: 1, rng: &rng)[0]
                if rng.uniformDouble() < exp(-(v - 1) / 30) { out.append(v) }
            }
            return out
        }, against: .truncatedPowerLaw)
        XCTAssertGreaterThanOrEqual(cut["alternative favoured"] ?? 0, 28, "\(cut)")
        let pure = tally({ sampleDiscretePowerLaw(alpha: 2.5, xmin: 1, count: 3000, rng: &$0) }, against: .truncatedPowerLaw)
        XCTAssertLessThanOrEqual(pure["alternative favoured"] ?? 0, 2, "\(pure)")
    }

    /// The normalizer sums exactly: for the geometric pmf it must give 1/(1 − e^{−λ}) at x_min = 1.
    func testNormalizerMatchesClosedForm() {
        let lambda = 0.3
        let z = DiscreteTailComparisons.logNormalizer({ -lambda * ($0 - 1) }, xmin: 1, xmax: 50)
        XCTAssertEqual(z, -log(1 - exp(-lambda)), accuracy: 1e-9)
        // and a slowly decaying one through the quadrature tail: Σ_{x≥2} x^{-2.5} = ζ(2.5, 2)
        let zeta = DiscreteTailComparisons.logNormalizer({ -2.5 * log($0) }, xmin: 2, xmax: 10)
        XCTAssertEqual(zeta, log(Special.hurwitzZeta(2.5, 2)), accuracy: 1e-5)
    }
}
