import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityRun

/// The character Transformer in the trainer: dropout masks drawn per step keep a run bit-identical across
/// a kill -9 and resume, and across one or two threads; the authors' copy task is learned.
final class TransformerTrainingTests: XCTestCase {
    /// A small Transformer (d 16, 2 heads, feed-forward 32, dropout 0.1) on the pangram, batch 8.
    func config(steps: Int, threads: Int = 1) throws -> RunConfig {
        var spec = try ModelSpec(model: "transformer")
        spec.transformer?.dModel = 16; spec.transformer?.heads = 2; spec.transformer?.feedForward = 32
        var c = RunConfig(train: TrainConfig(model: spec, optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1)),
                          information: nil, kl: nil)
        c.dataset = "pangram"
        c.batchSize = .samples(8)
        c.steps = steps
        c.evalEvery = 30
        c.checkpointEvery = 20
        c.seed = 4
        c.threads = threads
        c.updates?.windows = StepWindows(ranges: [0..<50])
        return c
    }

    func read(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    func testKillAndResumeAndThreadsAreBitIdentical() throws {
        let data = try config(steps: 1).train.loadData()
        let full = temporaryDirectory(self), crashed = temporaryDirectory(self) + "/run", live = temporaryDirectory(self)
        try Trainer(config: config(steps: 60), data: data, runPath: full, observers: [SumObserver()], metricsBufferRows: 8).run()
        let spy = SumObserver()
        spy.onStep = { step in if step == 47 { try? FileManager.default.copyItem(atPath: live, toPath: crashed) } }
        try Trainer(config: config(steps: 60), data: data, runPath: live, observers: [spy], metricsBufferRows: 8).run()
        let resumed = try Trainer(config: config(steps: 60), data: data, runPath: crashed, observers: [SumObserver()],
                                  resume: true, metricsBufferRows: 8)
        XCTAssertEqual(resumed.step, 40)
        try resumed.run()
        let two = temporaryDirectory(self)
        try Trainer(config: config(steps: 60, threads: 2), data: data, runPath: two, observers: [SumObserver()], metricsBufferRows: 8).run()
        for f in ["metrics.csv", "parameters.npy", "observers/sum/abs_update_sums.npy"] {
            XCTAssertFalse(read(full + "/" + f).isEmpty, f)
            XCTAssertEqual(read(full + "/" + f), read(crashed + "/" + f), "\(f): resumed differs")
            XCTAssertEqual(read(full + "/" + f), read(two + "/" + f), "\(f): two threads differ")
        }
    }

    /// The copy task (no mask: position i sees its own target at i + 1): the token loss falls from
    /// ln 50 ≈ 3.9 to below a tenth of that in 300 steps of the authors' model (the full run, 4,320 steps,
    /// ends near zero: docs/benchmarks.md).
    func testAuthorsCopyTaskIsLearned() throws {
        var c = try config(steps: 300)
        c.model = try ModelSpec(model: "transformer")
        c.updates = nil
        c.evalEvery = 300
        let run = temporaryDirectory(self)
        let data = try c.train.loadData()
        try Trainer(config: c, data: data, runPath: run).run()
        let m = try FileOutput.readJSON(RunManifest.self, from: run + "/manifest.json")
        let loss = try XCTUnwrap(m.final?.testLoss)
        XCTAssertLessThan(loss, 0.1 * log(50), "the pangram's next-character loss after 300 steps")
    }

    /// `reproduce --scale paper` trains SI S5 as the authors did: batch 4, 8, 16 at lr 0.1 for 10 epochs
    /// (8,630 / 4,320 / 2,160 steps), stages 0–999 and the last 1,000 steps, no MI/KL observers; and the
    /// causal text run beside them when the corpus is installed.
    func testPaperScalePlansTheAuthorsRuns() throws {
        let plan = try Reproduction.transformerExperiments(scale: .paper, seed: 1)
        let pangram = plan.filter { $0.config.dataset == "pangram" }
        XCTAssertEqual(pangram.map(\.name), ["transformer-pangram-bs4", "transformer-pangram-bs8", "transformer-pangram-bs16"])
        for (e, steps) in zip(pangram, [8630, 4320, 2160]) {
            XCTAssertEqual(e.config.optimizer.learningRate, 0.1)
            XCTAssertEqual(e.config.epochs, 10)
            XCTAssertEqual(try e.config.totalSteps(datasetSize: 3450), steps)
            XCTAssertEqual(e.config.updates?.windows.ranges, [0..<1000, (steps - 1000)..<steps])
            XCTAssertNil(e.config.information)
            XCTAssertEqual(e.config.model.transformer, TransformerSpec())
        }
        if Reproduction.textCorpusAvailable {
            let text = try XCTUnwrap(plan.first { $0.config.dataset == "text" })
            XCTAssertEqual(text.config.model.transformer?.causal, true)
            XCTAssertEqual(text.config.steps, 20_000)
        }
    }
}
