import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

/// `criticality noise`: the full-batch gradient against one pass over the whole training set at once,
/// the files, the per-layer statistics against `Gaussianity` of the written arrays, and the refusals.
final class GradientNoiseTests: XCTestCase {
    /// One epoch of a small MLP on the synthetic set (4,096 samples, batch 256), nothing recorded.
    func trainedRun() throws -> RunDirectory {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 12, 10]), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1))
        c.dataset = "synthetic"; c.batchSize = .samples(256); c.epochs = 1
        c.updates = nil; c.information = nil; c.kl = nil
        let path = temporaryDirectory(self) + "/run"
        try Trainer(config: c, data: try DatasetCatalog.load(name: "synthetic", directory: nil), runPath: path).run()
        return RunDirectory(path)
    }

    func testFullGradientFilesAndStatistics() throws {
        let run = try trainedRun()
        var s = GradientNoiseSettings()
        s.batches = 40; s.batchSize = 256; s.perLayer = 6
        let summary = try GradientNoise.run(run, settings: s, threads: 2)
        let source = try XCTUnwrap(summary.sources.first)
        XCTAssertEqual(source.source, "final")
        let (g, shape): ([Double], [Int]) = try Npy.readDoubles(path: run.noise.path + "/" + source.gradientsFile)
        XCTAssertEqual(shape, [40, 12])
        let full = try Npy.readDoubles(path: run.noise.path + "/" + source.fullGradientFile).values
        let (params, pshape): ([Double], [Int]) = try Npy.readDoubles(path: run.noise.path + "/" + source.parametersFile)
        XCTAssertEqual(pshape, [12, 2])
        // The full gradient of the mean loss over all 4,096 samples in one batch (Float32 backward, so
        // agreement to ~10⁻⁵ of the largest component: the batched sum rounds differently).
        let manifest = try RunManifest.read(run)
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        let net = try manifest.config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: 10, maxBatch: data.train.count)
        try Checkpoint.loadModel(parameters: run.parameters, buffers: run.buffers, into: net.parameters, buffers: net.stateBuffers)
        let loss = Loss(kind: manifest.config.loss, classCount: 10, maxBatch: data.train.count)
        let logits = data.train.inputs.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: data.train.count, training: true) }
        var correct = 0
        _ = data.train.labels.withUnsafeBufferPointer { loss.evaluate(logits: logits, labels: $0.baseAddress!, batch: data.train.count, computeGradient: true, correct: &correct) }
        net.backward(loss.gradient.pointer, batch: data.train.count)
        let scale = full.map(abs).max()!
        for j in 0..<12 {
            XCTAssertEqual(full[j], Double(net.gradients[Int(params[2 * j + 1])]), accuracy: 1e-5 * scale, "parameter \(Int(params[2 * j + 1]))")
        }
        // The layer statistics are those of the written arrays.
        let fc1 = try XCTUnwrap(source.layers.first { $0.layer == "fc1" })
        XCTAssertEqual(fc1.parameters, 6)
        var pooled: [Double] = []
        for j in 0..<12 where params[2 * j] == 0 {
            let xi = (0..<40).map { g[$0 * 12 + j] - full[j] }
            guard let one = try? Gaussianity(xi) else { continue }
            pooled += xi.map { ($0 - one.mean) / one.sd }
        }
        XCTAssertEqual(fc1.noise, try Gaussianity(pooled))
        XCTAssertEqual(try FileOutput.readJSON(GradientNoiseSummary.self, from: run.noise.summary).sources.count, 1)
    }

    func testRefusals() throws {
        let run = try trainedRun()
        var s = GradientNoiseSettings()
        s.batches = 10
        XCTAssertThrowsError(try GradientNoise.run(run, settings: s, threads: 1)) { XCTAssertTrue("\($0)".contains("at least 20"), "\($0)") }
        s = GradientNoiseSettings(); s.batchSize = 5000
        XCTAssertThrowsError(try GradientNoise.run(run, settings: s, threads: 1)) { XCTAssertTrue("\($0)".contains("larger than the training set"), "\($0)") }
        s = GradientNoiseSettings(); s.at = ["epoch_9"]
        XCTAssertThrowsError(try GradientNoise.run(run, settings: s, threads: 1)) { XCTAssertTrue("\($0)".contains("kept no such checkpoint"), "\($0)") }
    }
}
