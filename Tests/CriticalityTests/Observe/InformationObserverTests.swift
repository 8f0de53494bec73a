import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityObservers
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityIO
@testable import CriticalityStats

/// Keeps, for every step, what the information observer pairs — computed here directly, step by step,
/// from the step's context (the authors' tiling, spelled out): |Δw| of every fully connected weight in
/// layout order, and per unit the mean over the classes present of the class-mean activation (post-ReLU
/// for hidden layers, logits for the output layer).
final class PairRecorder: TrainingObserver {
    let name = "pair-recorder"
    var memoryBytes: Int { 0 }
    var updates: [[Double]] = []
    var activations: [[Double]] = []  // per step: one value per unit
    var fanIns: [Int] = []

    func observe(_ context: StepContext) {
        let acts = context.activations!
        var u: [Double] = [], a: [Double] = []
        var fans: [Int] = []
        for seg in context.layout.segments where seg.kind == "weight" && seg.shape.count == 2 {
            for k in seg.offset..<(seg.offset + seg.count) { u.append(Double(abs(context.update[k]))) }
            let layers = acts.network.layers
            let i = layers.firstIndex { $0.name == seg.layer }!
            let source = (i + 1 < layers.count && layers[i + 1] is Activation) ? i + 1 : i
            let out = acts.network.outputs[source]!
            let units = seg.shape[0]
            for j in 0..<units {
                var sums = [Double](repeating: 0, count: acts.classCount), counts = [Int](repeating: 0, count: acts.classCount)
                for s in 0..<acts.batch {
                    let y = Int(acts.labels[s])
                    sums[y] += Double(out[s * units + j]); counts[y] += 1
                }
                let present = (0..<acts.classCount).filter { counts[$0] > 0 }
                a.append(present.map { sums[$0] / Double(counts[$0]) }.reduce(0, +) / Double(present.count))
                fans.append(seg.shape[1])
            }
        }
        fanIns = fans
        updates.append(u); activations.append(a)
    }
    func saveState(to directory: String) throws {}
    func restoreState(from directory: String) throws {}
    func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] { [] }
}

final class InformationObserverTests: XCTestCase {
    /// Trains a small MLP on synthetic data with the information observer (and the recorder) attached.
    func run(widths: [Int], steps: Int, settings: InformationSettings) throws -> (InformationObserver, PairRecorder, RunDirectory) {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: widths), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"
        c.batchSize = .samples(32)
        c.steps = steps
        c.updates = nil
        c.information = nil
        c.kl = nil
        let recorder = PairRecorder()
        var observer: InformationObserver?
        let path = temporaryDirectory(self) + "/run"
        try Trainer(config: c, data: try DatasetCatalog.load(name: "synthetic", directory: nil), runPath: path, makeObservers: { layout, _ in
            let o = try InformationObserver(layout: layout, settings: settings)
            observer = o
            return [recorder, o]
        }).run()
        return (observer!, recorder, RunDirectory(path))
    }

    /// The authors' paired arrays of steps `rows` (updates tiled against their unit's activation).
    static func paired(_ r: PairRecorder, rows: Range<Int>) -> (updates: [Double], activations: [Double]) {
        var w: [Double] = [], a: [Double] = []
        for t in rows {
            w += r.updates[t]
            for (j, fan) in r.fanIns.enumerated() { a += [Double](repeating: r.activations[t][j], count: fan) }
        }
        return (w, a)
    }

    /// Every interval's MI (all three estimates) equals `PluginMutualInformation.estimate` on the paired
    /// arrays built directly (itself checked against NumPy in `MutualInformationTests`); the principal
    /// component's explained ratio and β* equal `LeadingComponent` (checked against NumPy's SVD) on the
    /// same |Δw| block. Tolerances: MI to 10⁻¹² (the same bins: the estimator's sums in another order);
    /// ratio and β* to 2·10⁻⁴ (the observer's Gram product is Float32, of rows shifted by the first, and
    /// its component comes back through a Float32 product: ~10⁻⁶ relative per entry).
    func testIntervalsMatchTheDirectEstimators() throws {
        var s = InformationSettings()
        s.interval = 25
        s.nullPermutations = 4
        let (o, r, run) = try run(widths: [784, 16, 12, 10], steps: 110, settings: s)
        XCTAssertEqual(o.records.count, 4, "110 steps make 4 complete intervals of 25 (the last 10 are dropped)")
        XCTAssertEqual(o.activationSources, ["relu1 output (post-activation)", "relu2 output (post-activation)", "fc3 output (no activation follows: the logits)"])
        var previous: LeadingComponent?
        for (k, rec) in o.records.enumerated() {
            let rows = (k * 25)..<((k + 1) * 25)
            XCTAssertEqual(rec.intervalStart, rows.lowerBound)
            let (w, a) = Self.paired(r, rows: rows)
            let direct = try PluginMutualInformation.estimate(updates: w, activations: a)
            XCTAssertEqual(rec.mi.authors, direct.authors, accuracy: 1e-12, "interval \(k)")
            XCTAssertEqual(rec.mi.plugin, direct.plugin, accuracy: 1e-12)
            XCTAssertEqual(rec.mi.millerMadow, direct.millerMadow, accuracy: 1e-12)
            XCTAssertEqual(rec.mi.occupiedJoint, direct.occupiedJoint)
            XCTAssertEqual(rec.mi.samples, w.count)
            XCTAssertTrue(rec.nullMean!.isFinite && rec.nullSD! >= 0)
            let pc = try LeadingComponent(block: w, rows: 25, columns: r.updates[0].count)
            XCTAssertEqual(rec.explainedVarianceRatio!, pc.explainedVarianceRatio, accuracy: 2e-4, "interval \(k)")
            if let previous {
                XCTAssertEqual(rec.beta!, LeadingComponent.cosine(previous.component, pc.component), accuracy: 2e-4, "β* of intervals \(k - 1), \(k)")
            } else {
                XCTAssertNil(rec.beta)
            }
            previous = pc
        }
        // The outputs: K values, K − 1 for β*, and the stability analysis needs ≥ 7 intervals here.
        let folder = run.information
        XCTAssertEqual(try Npy.readDoubles(path: folder.mi).values, o.records.map(\.mi.authors))
        XCTAssertEqual(try Npy.readDoubles(path: folder.beta).values.count, 3)
        let summary = try FileOutput.readJSON(InformationObserver.Summary.self, from: folder.summary)
        XCTAssertNil(summary.stability)
        XCTAssertNotNil(summary.stabilityNote)
    }

    /// Permuting the activations across steps leaves both marginals as they are: the null's mean sits
    /// below the paired estimate only by what the pairing carries, and with the same seed it is the same.
    func testTheShuffleNullIsReproducible() throws {
        var s = InformationSettings()
        s.interval = 20
        s.nullPermutations = 5
        let (a, _, _) = try run(widths: [784, 8, 10], steps: 40, settings: s)
        let (b, _, _) = try run(widths: [784, 8, 10], steps: 40, settings: s)
        XCTAssertEqual(a.records, b.records)
        s.seed = 2
        let (c, _, _) = try run(widths: [784, 8, 10], steps: 40, settings: s)
        XCTAssertEqual(a.records.map(\.mi), c.records.map(\.mi), "the estimate does not depend on the null's seed")
        XCTAssertNotEqual(a.records.map(\.nullMean), c.records.map(\.nullMean))
    }

    /// Over the memory budget, the observer keeps a fixed random subset of the weights. Its error against
    /// the exact computation on a model where both fit (784-64-10, 50,816 weights; a 2 MiB budget keeps
    /// 18,605, 37 %): the MI of a subset is the same estimator on fewer pairs, so it differs by sampling
    /// and binning (at most 0.0015 nats seen over six intervals; bounded here by 0.005), and β* is the
    /// cosine of a sub-block's components (at most 0.034 seen; bounded by 0.1).
    func testTheSubsetAlternativeAgainstTheExactComputation() throws {
        var s = InformationSettings()
        s.interval = 20
        s.nullPermutations = 0
        let (exact, _, _) = try run(widths: [784, 64, 10], steps: 120, settings: s)
        XCTAssertNil(exact.subset)
        s.budgetMiB = 2
        let (sub, _, _) = try run(widths: [784, 64, 10], steps: 120, settings: s)
        let kept = try XCTUnwrap(sub.subset)
        XCTAssertLessThan(kept.count, 50_816)
        XCTAssertGreaterThan(kept.count, 10_000)
        XCTAssertEqual(kept, kept.sorted())
        XCTAssertLessThanOrEqual(sub.memoryBytes, 2 * 1_048_576)
        XCTAssertEqual(exact.records.count, sub.records.count)
        for (e, x) in zip(exact.records, sub.records) {
            XCTAssertEqual(e.mi.authors, x.mi.authors, accuracy: 0.005)
            if let eb = e.beta, let xb = x.beta { XCTAssertEqual(eb, xb, accuracy: 0.1) }
        }
    }

    /// A checkpoint in the middle of an interval restores the partial block: an interrupted and resumed
    /// run records exactly the intervals of an uninterrupted one.
    func testResumingInTheMiddleOfAnIntervalChangesNothing() throws {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 8, 10]), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"; c.batchSize = .samples(32); c.steps = 60; c.updates = nil; c.kl = nil
        c.checkpointEvery = 7
        c.information!.interval = 20
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        let whole = temporaryDirectory(self) + "/whole", parts = temporaryDirectory(self) + "/parts"
        try Trainer(config: c, data: data, runPath: whole, makeObservers: StandardObservers.make(for: c)).run()
        do {
            let t = try Trainer(config: c, data: data, runPath: parts, makeObservers: StandardObservers.make(for: c))
            var calls = 0
            t.shouldStop = { calls += 1; return calls == 31 }  // stops after 30 steps: inside interval 1
            XCTAssertEqual(try t.run(), .interrupted(step: 30))
        }
        XCTAssertEqual(try Trainer(config: c, data: data, runPath: parts, makeObservers: StandardObservers.make(for: c), resume: true).run(), .completed)
        let a = try FileOutput.readJSON(InformationObserver.Summary.self, from: RunDirectory(whole).information.summary)
        let b = try FileOutput.readJSON(InformationObserver.Summary.self, from: RunDirectory(parts).information.summary)
        XCTAssertEqual(a.records, b.records)
        XCTAssertEqual(a.records.count, 3)
    }

    func testSettingsAreChecked() throws {
        var s = InformationSettings()
        s.interval = 1
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("information-interval")) }
        s = InformationSettings(); s.bins = 1
        XCTAssertThrowsError(try s.validate())
        var layout = ParameterLayout()
        layout.append(layer: "conv1", kind: "weight", shape: [4, 1, 3, 3])
        XCTAssertThrowsError(try InformationObserver(layout: layout, settings: InformationSettings())) {
            XCTAssertTrue("\($0)".contains("fully connected"))
        }
    }
}
