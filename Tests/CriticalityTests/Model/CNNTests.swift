import Foundation
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

final class CNNTests: XCTestCase {
    /// The preset is exactly the paper's: segments conv1, bn1, conv2, bn2, fc1, fc2 with PyTorch's shapes.
    func testPresetLayout() throws {
        let net = try ModelSpec(model: "cnn").makeNetwork(sampleShape: [3, 32, 32], classCount: 10, maxBatch: 2)
        XCTAssertEqual(net.layout.segments.map(\.name), ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight",
                                                         "conv2.bias", "bn2.weight", "bn2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        XCTAssertEqual(net.layout.segment(named: "conv2.weight")?.shape, [64, 32, 3, 3])
        XCTAssertEqual(net.layout.segment(named: "fc1.weight")?.shape, [512, 64 * 8 * 8])
        XCTAssertEqual(net.layout.parameterCount, 896 + 64 + 18_496 + 128 + 4096 * 512 + 512 + 5130)
        XCTAssertEqual(net.stateBuffers.count, 4, "running mean and variance of bn1 and bn2")
        let small = try ModelSpec(model: "cnn").makeNetwork(sampleShape: [1, 28, 28], classCount: 10, maxBatch: 1)
        XCTAssertEqual(small.layout.segment(named: "fc1.weight")?.shape, [512, 64 * 7 * 7])
        assertThrowsMessage(["divisible by 4"]) { _ = try ModelSpec(model: "cnn").makeNetwork(sampleShape: [1, 30, 30], classCount: 10, maxBatch: 1) }
    }

    /// PyTorch's initialization: BN γ = 1, β = 0, running statistics 0 and 1; conv weights within ±1/√(C_in·9).
    func testInitialization() throws {
        let net = try ModelSpec(model: "cnn").makeNetwork(sampleShape: [3, 32, 32], classCount: 10, maxBatch: 1)
        net.initialize(.pytorchDefault, seed: 1)
        let l = net.layout
        let bnw = l.segment(named: "bn1.weight")!, bnb = l.segment(named: "bn1.bias")!, cw = l.segment(named: "conv1.weight")!
        XCTAssertTrue(bnw.range.allSatisfy { net.parameters[$0] == 1 })
        XCTAssertTrue(bnb.range.allSatisfy { net.parameters[$0] == 0 })
        XCTAssertTrue(cw.range.allSatisfy { abs(net.parameters[$0]) <= 1 / Float(27).squareRoot() })
        XCTAssertEqual(net.stateBuffers[1].array, [Float](repeating: 1, count: 32))
    }

    /// Training mode updates the running statistics with momentum 0.1 and the unbiased variance;
    /// evaluation mode normalizes with them and leaves them unchanged.
    func testBatchNormRunningStatistics() {
        let bn = BatchNorm2D(name: "bn", channels: 1, height: 1, width: 2)
        let net = Network(layers: [bn], maxBatch: 2)
        net.initialize(.pytorchDefault, seed: 1)
        let x: [Float] = [1, 3, 5, 7]  // batch 2 × 1 channel × 2 positions: mean 4, biased var 5, unbiased 20/3
        let y = Array(UnsafeBufferPointer(start: net.forward(x, batch: 2, training: true), count: 4))
        XCTAssertEqual(y[0], (1 - 4) / (5 + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean[0], 0.4, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar[0], 0.9 + 0.1 * 20 / 3, accuracy: 1e-6)
        let e = Array(UnsafeBufferPointer(start: net.forward(x, batch: 2, training: false), count: 4))
        XCTAssertEqual(e[0], (1 - 0.4) / (bn.runningVar[0] + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean[0], 0.4, accuracy: 1e-6, "evaluation leaves the running statistics alone")
    }

    /// A short CNN run resumes bit-identically after a simulated kill -9 (running statistics included).
    func testCNNKillAndResume() throws {
        var c = RunConfig(model: try ModelSpec(model: "cnn"), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.dataset = "synthetic"; c.batchSize = .samples(16); c.steps = 12; c.checkpointEvery = 5; c.evalEvery = 6
        c.updates = nil
        let data = DatasetPair(train: .synthetic(count: 64, sampleShape: [1, 8, 8], classCount: 10, seed: 1),
                               test: .synthetic(count: 32, sampleShape: [1, 8, 8], classCount: 10, seed: 2))
        let full = temporaryDirectory(self), live = temporaryDirectory(self), crashed = temporaryDirectory(self) + "/run"
        try Trainer(config: c, data: data, runPath: full).run()
        let spy = SumObserver()
        spy.onStep = { if $0 == 8 { try? FileManager.default.copyItem(atPath: live, toPath: crashed) } }
        try Trainer(config: c, data: data, runPath: live, observers: [spy]).run()
        try Trainer(config: c, data: data, runPath: crashed, resume: true).run()
        for f in ["metrics.csv", "parameters.npy", "buffers.npy"] {
            XCTAssertEqual(FileManager.default.contents(atPath: full + "/" + f), FileManager.default.contents(atPath: crashed + "/" + f), f)
        }
    }
}
