import XCTest
@testable import CriticalityReport

/// The rules of the SI sweep's claims (Claims+Sweep.swift), at their edges.
final class SweepClaimsTests: XCTestCase {
    func testSpreadIsTheSampleStandardDeviationAndNeedsTwoValues() throws {
        let s = try XCTUnwrap(ConditionStage.spread([1, 2, 3, nil, .infinity]))
        XCTAssertEqual(s.mean, 2)
        XCTAssertEqual(try XCTUnwrap(s.sd), 1, accuracy: 1e-15)  // n − 1 in the denominator
        XCTAssertEqual(s.n, 3)
        XCTAssertNil(ConditionStage.spread([4])?.sd)
        XCTAssertNil(ConditionStage.spread([nil, nil]))
    }

    func testCompareNeedsTheDirectionAndTwoCombinedStandardErrors() {
        // lower than the reference by 10 with s.e. of the difference √(1/2 + 1/2) = 1: supported
        XCTAssertEqual(Claims.compare((10, 1, 2), (20, 1, 2), lower: true), "supported")
        // lower by 1.5 with the same s.e.: the direction holds, not beyond 2 s.e.
        XCTAssertEqual(Claims.compare((18.5, 1, 2), (20, 1, 2), lower: true), "partly supported")
        // the other way: not supported, however far
        XCTAssertEqual(Claims.compare((30, 1, 2), (20, 1, 2), lower: true), "not supported")
        // one seed: no spread, at most partly
        XCTAssertEqual(Claims.compare((10, nil, 1), (20, 1, 2), lower: true), "partly supported")
        // zero spread on both sides and a real difference: supported (the difference exceeds 0)
        XCTAssertEqual(Claims.compare((0.6, 0, 2), (0.5, 0, 2), lower: false), "supported")
        XCTAssertEqual(Claims.compare((0.5, 0, 2), (0.5, 0, 2), lower: false), "not supported")
    }

    func testCombineTakesTheWeakest() {
        XCTAssertEqual(Claims.combine([]), "inconclusive")
        XCTAssertEqual(Claims.combine(["supported", "supported"]), "supported")
        XCTAssertEqual(Claims.combine(["supported", "not supported"]), "partly supported")
        XCTAssertEqual(Claims.combine(["not supported", "not supported"]), "not supported")
        XCTAssertEqual(Claims.combine(["partly supported"]), "partly supported")
    }

    func testSeedsDisagreeOnlyWithBothSpreads() {
        var s = ConditionStage(condition: "c", stage: "s", seeds: [1, 2], alphas: [(3, 0.1), (4, 0.1)], heavy: [true, true],
                               tailRatios: [nil, nil], belowReferenceMedian: [nil, nil])
        XCTAssertTrue(Claims.seedsDisagree(s, between: 0.5))   // s.d. 0.71 > 0.5
        XCTAssertFalse(Claims.seedsDisagree(s, between: 1.0))
        XCTAssertFalse(Claims.seedsDisagree(s, between: nil))  // one condition: nothing to compare
        s.alphas = [(3, 0.1), nil]
        XCTAssertFalse(Claims.seedsDisagree(s, between: 0.1))  // one fitted seed: no spread
    }
}
