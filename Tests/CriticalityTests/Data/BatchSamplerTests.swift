import XCTest
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

final class BatchSamplerTests: XCTestCase {
    func testEachEpochVisitsEverySampleOnceAndKeepsTheLastPartialBatch() {
        var s = BatchSampler(datasetSize: 10, batchSize: 4, seed: 1)
        XCTAssertEqual(s.batchesPerEpoch, 3)
        for epoch in 0..<3 {
            var seen: [Int32] = []
            var sizes: [Int] = []
            for _ in 0..<3 {
                let (e, idx) = s.nextBatch()
                XCTAssertEqual(e, epoch)
                seen += idx; sizes.append(idx.count)
            }
            XCTAssertEqual(sizes, [4, 4, 2])
            XCTAssertEqual(seen.sorted(), (0..<10).map { Int32($0) })
        }
    }

    func testEpochsAreShuffledDifferentlyAndRestartFromAPositionIdentically() {
        var a = BatchSampler(datasetSize: 100, batchSize: 7, seed: 3)
        var all: [Int32] = []
        for _ in 0..<40 { all += a.nextBatch().indices }
        XCTAssertNotEqual(Array(all[0..<100]), Array(all[100..<200]))
        // Restart at epoch 1, position 14 (two batches in), as a checkpoint would.
        var b = BatchSampler(datasetSize: 100, batchSize: 7, seed: 3, epoch: 1, position: 14)
        var rest: [Int32] = []
        while rest.count < all.count - 114 { rest += b.nextBatch().indices }
        XCTAssertEqual(rest, Array(all[114...]))
    }

    func testFullBatchIsTheWholeSet() {
        XCTAssertEqual(BatchSize.full.resolved(datasetSize: 60000), 60000)
        var s = BatchSampler(datasetSize: 50, batchSize: BatchSize.full.resolved(datasetSize: 50), seed: 1)
        XCTAssertEqual(s.nextBatch().indices.count, 50)
        XCTAssertEqual(s.nextBatch().epoch, 1)
    }
}
