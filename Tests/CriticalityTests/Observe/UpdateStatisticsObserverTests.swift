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

/// Records every update (for comparing live runs with `analyze-updates`); takes chunks so that the
/// trainer keeps its fused path.
final class UpdateRecorder: ChunkedTrainingObserver {
    let name = "recorder"
    var rows: [Float] = []
    var memoryBytes: Int { rows.count * 4 }
    var onStep: ((Int) -> Void)?
    func beginStep(step: Int) -> Bool { onStep?(step); return true }
    func observeChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>, parameters: UnsafePointer<Float>?) {}
    func endStep(_ context: StepContext) {
        rows.append(contentsOf: UnsafeBufferPointer(start: context.update, count: context.layout.parameterCount))
    }
    func observe(_ c: StepContext) { endStep(c) }
    func beginReplayStep(step: Int) {}
    func observeReplayChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>) {}
    func saveState(to directory: String) throws {}
    func restoreState(from directory: String) throws {}
    func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] { [] }
}

final class UpdateStatisticsObserverTests: XCTestCase {
    /// A small random update matrix (T × P, two segments) with heavy-tailed magnitudes and planted
    /// large events on parameter 0 at steps 10, 13 and 50.
    func plantedMatrix(steps t: Int, parameters p: Int) -> [Float] {
        var rng = RNG(seed: 21, stream: .sampling)
        var m = (0..<(t * p)).map { _ in Float(rng.normal() / max(rng.uniformDouble(), 1e-3).squareRoot() * 1e-3) }
        for s in [10, 13, 50] { m[s * p] = 10 }
        // exact zeros (as from always-black pixels), also inside the windows the tests use
        for s in [3, 20] { for k in 0..<p where k % 17 == 0 { m[s * p + k] = 0 } }
        return m
    }

    func layout(_ p: Int) -> ParameterLayout {
        var l = ParameterLayout()
        l.append(layer: "fc1", kind: "weight", shape: [p - p / 4])
        l.append(layer: "fc1", kind: "bias", shape: [p / 4])
        return l
    }

    func runObserver(matrix m: [Float], steps t: Int, layout l: ParameterLayout, settings: UpdateStatisticsSettings) throws -> UpdateStatisticsObserver {
        let o = UpdateStatisticsObserver(layout: l, settings: settings)
        let p = l.parameterCount
        func ctx(_ s: Int, _ u: UnsafePointer<Float>) -> StepContext {
            StepContext(step: s, epoch: 0, loss: 1, updateSquaredNorm: 0, update: u, parameters: nil, layout: l)
        }
        try m.withUnsafeBufferPointer { buf in
            for s in 0..<t { o.observe(ctx(s, buf.baseAddress! + s * p)) }
            for w in settings.windows.ranges {
                try o.beginReplay(of: w)
                for s in w { try o.observeReplay(ctx(s, buf.baseAddress! + s * p)) }
                try o.endReplay(of: w)
            }
        }
        return o
    }

    /// Thresholds, realized fractions and interval histograms against a brute-force computation.
    func testTimingEqualsBruteForce() throws {
        let t = 400, p = 200
        let m = plantedMatrix(steps: t, parameters: p)
        let l = layout(p)
        var settings = UpdateStatisticsSettings()
        settings.windows = StepWindows(ranges: [0..<250, 250..<400])
        settings.reservoirSize = 1000
        let o = try runObserver(matrix: m, steps: t, layout: l, settings: settings)
        for (w, range) in settings.windows.ranges.enumerated() {
            let timing = try XCTUnwrap(o.replays[w]?.timing)
            XCTAssertEqual(timing.map(\.q), [0.005, 0.01])
            let values = range.flatMap { s in (0..<p).map { abs(m[s * p + $0]) } }
            for r in timing {
                // realized fraction: exactly the share ≥ threshold, within 1% of q
                let large = values.filter { $0 >= r.threshold }.count
                XCTAssertEqual(UInt64(large), r.largeUpdates)
                XCTAssertEqual(r.realizedFraction, Double(large) / Double(values.count))
                XCTAssertLessThanOrEqual(abs(r.realizedFraction - r.q) / r.q, 0.01, "window \(w) q \(r.q)")
                // intervals between consecutive large updates of the same parameter, per segment
                for (si, scope) in o.scopes.enumerated() {
                    var expected = [UInt64](repeating: 0, count: range.count + 1)
                    for s in scope.segments {
                        let seg = l.segments[s]
                        for k in seg.range {
                            var last: Int?
                            for step in range where abs(m[step * p + k]) >= r.threshold {
                                if let a = last { expected[step - a] += 1 }
                                last = step
                            }
                        }
                    }
                    XCTAssertEqual(r.intervals[si], expected, "window \(w) q \(r.q) scope \(scope.name)")
                }
            }
        }
        // the planted events of parameter 0 give intervals 3 and 37 in window 0
        let big = try XCTUnwrap(o.replays[0]?.timing.first).intervals[0]
        XCTAssertGreaterThanOrEqual(big[3], 1)
        XCTAssertGreaterThanOrEqual(big[37], 1)
    }

    /// Entropy, maxima and norms per step, and window histograms, against brute force.
    func testSeriesAndHistogramsEqualBruteForce() throws {
        let t = 60, p = 100
        let m = plantedMatrix(steps: t, parameters: p)
        let l = layout(p)
        var settings = UpdateStatisticsSettings()
        settings.windows = StepWindows(ranges: [5..<45])
        settings.reservoirSize = 50
        let o = try runObserver(matrix: m, steps: t, layout: l, settings: settings)
        let rec = o.records[0]
        XCTAssertEqual(rec.losses.count, 40)
        for (i, s) in (5..<45).enumerated() {
            let row = (0..<p).map { abs(m[s * p + $0]) }
            XCTAssertEqual(rec.updateMaxima[i], Double(row.max()!))
            var bins: [Int: Int] = [:]
            var zeros = 0
            for v in row { if v == 0 { zeros += 1 } else { bins[LogGrid.bin(of: v), default: 0] += 1 } }
            var h = zeros > 0 ? -Double(zeros) / Double(p) * _log(Double(zeros) / Double(p)) : 0
            for c in bins.values { let q = Double(c) / Double(p); h -= q * _log(q) }
            XCTAssertEqual(rec.entropies[i], h, accuracy: 1e-12, "step \(s)")
        }
        var all = LogHistogram()
        for hist in rec.updateHistograms { all.merge(hist) }
        XCTAssertEqual(all.total, UInt64(40 * p))
        var expected = [UInt64](repeating: 0, count: LogGrid.finiteBinCount)
        for s in 5..<45 { for k in 0..<p { expected[LogGrid.bin(of: m[s * p + k])] += 1 } }
        XCTAssertEqual(all.counts, expected)
        XCTAssertEqual(all.zeros, UInt64(p / 17 + 1))
        // The replay's paper-style histograms (100 bins from 0 to each scope's window maximum) against
        // a brute-force assignment by the edges max·j/100 — nearly every value is far below max/100 (the
        // planted 10s set fc1.weight's and all's maximum), the kernel's eight-at-a-time path.
        let linear = try XCTUnwrap(o.replays[0]).updateLinear
        for (i, scope) in o.scopes.enumerated() {
            let values = (5..<45).flatMap { s in scope.segments.flatMap { l.segments[$0].range.map { Double(abs(m[s * p + $0])) } } }
            let top = values.max()!
            XCTAssertEqual(linear[i].maximum, top, scope.name)
            var counts = [UInt64](repeating: 0, count: 100)
            for v in values {
                var j = 99
                while j > 0 && v < top * Double(j) / 100 { j -= 1 }
                counts[j] += 1
            }
            XCTAssertEqual(linear[i].counts, counts, scope.name)
        }
        XCTAssertEqual(rec.updateReservoirs[0].values.count, 50)
    }

    func trainConfig(steps: Int) throws -> RunConfig {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 12, 10]),
                            optimizer: OptimizerSettings(kind: .momentum, learningRate: 0.02))
        c.dataset = "synthetic"
        c.batchSize = .samples(128)
        c.steps = steps
        c.evalEvery = 50
        c.checkpointEvery = 30
        c.seed = 5
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [10..<50, 70..<100])
        u.reservoirSize = 2000
        c.updates = u
        return c
    }

    let data = try! DatasetCatalog.load(name: "synthetic", directory: nil)

    func files(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".npy") }.sorted()
    }

    /// `analyze-updates` on the dumped updates of a run gives the same arrays as the live observer.
    func testAnalyzeUpdatesReproducesLiveObserver() throws {
        let run = temporaryDirectory(self), ext = temporaryDirectory(self) + "/ext"
        let config = try trainConfig(steps: 100)
        let recorder = UpdateRecorder()
        let trainer = try Trainer(config: config, data: data, runPath: run, makeObservers: { layout, total in
            [recorder] + (try StandardObservers.make(for: config)(layout, total))
        })
        try trainer.run()
        let p = trainer.network.layout.parameterCount
        // dump in two chunks, float32, as a PyTorch tracker would
        let dumpDir = temporaryDirectory(self)
        try FileOutput.writeNpy(Array(recorder.rows[0..<(60 * p)]), shape: [60, p], to: dumpDir + "/updates_000.npy")
        try FileOutput.writeNpy(Array(recorder.rows[(60 * p)...]), shape: [40, p], to: dumpDir + "/updates_001.npy")
        var settings = config.updates!
        settings.seed = config.seed
        let layoutPath = run + "/manifest.json"
        let reader = try NpyRowReader(input: dumpDir)
        XCTAssertEqual(reader.rows, 100)
        try ExternalUpdates.analyze(reader: reader, layout: try ExternalUpdates.readLayout(path: layoutPath, parameterCount: p),
                                    settings: settings, out: ext)
        let live = run + "/observers/updates", external = ext + "/observers/updates"
        let externalFiles = files(external)
        XCTAssertFalse(externalFiles.isEmpty)
        XCTAssertTrue(externalFiles.contains("window_10_50/interval_q0.01_all_counts.npy"))
        XCTAssertTrue(externalFiles.contains("window_70_100/update_fc1.weight_nums.npy"))
        for f in externalFiles where !f.hasSuffix("series_loss.npy") {
            XCTAssertEqual(FileManager.default.contents(atPath: live + "/" + f), FileManager.default.contents(atPath: external + "/" + f), f)
        }
        // what needs θ exists only in the live run
        XCTAssertTrue(files(live).contains("window_70_100/param_all_ccdf.npy"))
        XCTAssertFalse(externalFiles.contains("window_70_100/param_all_ccdf.npy"))
    }

    /// kill -9 in the middle of the second window (last checkpoint at 60, inside neither window) and
    /// resume: every observer output equals the uninterrupted run's.
    func testKillAndResumeKeepsObserverOutputsBitIdentical() throws {
        let full = temporaryDirectory(self), live = temporaryDirectory(self), crashed = temporaryDirectory(self) + "/run"
        let config = try trainConfig(steps: 100)
        try Trainer(config: config, data: data, runPath: full, makeObservers: StandardObservers.make(for: config)).run()
        let spy = UpdateRecorder()
        spy.onStep = { if $0 == 85 { try? FileManager.default.copyItem(atPath: live, toPath: crashed) } }
        try Trainer(config: config, data: data, runPath: live, makeObservers: { l, t in
            [spy] + (try StandardObservers.make(for: config)(l, t))
        }).run()
        XCTAssertTrue(FileManager.default.fileExists(atPath: crashed + "/replay/window_70_100/state.json"),
                      "the window-start snapshot is on disk before the window's steps")
        try Trainer(config: config, data: data, runPath: crashed, makeObservers: StandardObservers.make(for: config), resume: true).run()
        let expected = files(full + "/observers/updates")
        XCTAssertGreaterThan(expected.count, 100)
        XCTAssertEqual(files(crashed + "/observers/updates"), expected)
        for f in expected {
            XCTAssertEqual(FileManager.default.contents(atPath: full + "/observers/updates/" + f),
                           FileManager.default.contents(atPath: crashed + "/observers/updates/" + f), f)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: full + "/metrics.csv"), FileManager.default.contents(atPath: crashed + "/metrics.csv"))
        XCTAssertEqual(FileManager.default.contents(atPath: full + "/parameters.npy"), FileManager.default.contents(atPath: crashed + "/parameters.npy"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: full + "/replay"), "snapshots are removed when the run is complete")
        let summary = try FileOutput.readJSON(UpdateStatisticsSummary.self, from: full + "/observers/updates/summary.json")
        XCTAssertEqual(summary.windows.map(\.stepsObserved), [40, 30])
        for w in summary.windows { for t in w.timing { XCTAssertTrue(t.withinTolerance, "q \(t.q): \(t.realizedFraction)") } }
        let manifest = try FileOutput.readJSON(RunManifest.self, from: full + "/manifest.json")
        XCTAssertTrue(manifest.outputs.contains("observers/updates/summary.json"))
        XCTAssertGreaterThan(manifest.observers.first?.memoryBytes ?? 0, 0)
    }

    func testOutputsLoadInNumPy() throws {
        try XCTSkipUnless(numpyAvailable, "python3 with numpy is not available")
        let run = temporaryDirectory(self)
        let config = try trainConfig(steps: 60)
        try Trainer(config: config, data: data, runPath: run, makeObservers: StandardObservers.make(for: config)).run()
        let d = run + "/observers/updates/window_10_50"
        let out = try runPython("""
            import numpy as np, json
            d='\(d)'
            c=np.load(d+'/update_all_ccdf.npy'); n=np.load(d+'/update_all_nums.npy'); x=np.load(d+'/update_all_xbins.npy')
            i=np.load(d+'/interval_q0.01_all_counts.npy'); e=np.load(d+'/series_update_entropy.npy')
            s=json.load(open('\(run)/observers/updates/summary.json'))
            print(c[0], bool(np.all(np.diff(c)<=0)), round(float(n.sum()),9), len(x), i.dtype, len(e), s['windows'][0]['timing'][1]['realized_fraction']>0)
            """)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "1.0 True 1.0 100 uint64 40 True")
    }
}

final class UpdateStatisticsThreadSplitTests: XCTestCase {
    /// The observer's results do not depend on which thread took which chunk (the trainer shares chunks
    /// between two threads): chunks spread over threads 0 and 1 at random, in shuffled order, give the
    /// same histograms, statistics, entropies and reservoirs as all chunks on thread 0 in order.
    func testChunkThreadSplitDoesNotChangeResults() throws {
        var layout = ParameterLayout()
        layout.append(layer: "fc1", kind: "weight", shape: [3 * StepChunks.size + 100])
        layout.append(layer: "fc1", kind: "bias", shape: [77])
        layout.append(layer: "fc2", kind: "weight", shape: [StepChunks.size + 5])
        let p = layout.parameterCount, steps = 6
        var rng = RNG(seed: 9, stream: .sampling)
        let m = (0..<(p * steps)).map { i in i % 97 == 0 ? Float(0) : Float(rng.normal() * 1e-3 * _exp(2 * rng.normal())) }
        var settings = UpdateStatisticsSettings()
        settings.windows = StepWindows(ranges: [0..<steps])
        settings.reservoirSize = 1000
        let serial = UpdateStatisticsObserver(layout: layout, settings: settings)
        let split = UpdateStatisticsObserver(layout: layout, settings: settings)
        let chunks = StepChunks.table(layout)
        XCTAssertGreaterThan(chunks.count, 4)
        m.withUnsafeBufferPointer { buf in
            for s in 0..<steps {
                let u = buf.baseAddress! + s * p
                let context = StepContext(step: s, epoch: 0, loss: 1, updateSquaredNorm: 1, update: u, parameters: nil, layout: layout)
                serial.observe(context)
                XCTAssertTrue(split.beginStep(step: s))
                var order = Array(chunks.indices)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.uniformInt(below: i + 1)) }
                for i in order { split.observeChunk(i, chunks[i], thread: rng.uniformInt(below: 2), update: u, parameters: nil) }
                split.endStep(context)
            }
        }
        XCTAssertEqual(serial.records.count, 1)
        let a = serial.records[0], b = split.records[0]
        XCTAssertEqual(a.updateHistograms, b.updateHistograms)
        XCTAssertEqual(a.entropies, b.entropies)
        XCTAssertEqual(a.updateMaxima, b.updateMaxima)
        for (x, y) in zip(a.updateReservoirs, b.updateReservoirs) { XCTAssertEqual(x.values, y.values) }
        XCTAssertEqual(a.updateHistograms.reduce(UInt64(0)) { $0 + $1.total }, UInt64(p * steps))

        // The replay (linear histograms, ladders) split the same way gives the same results.
        try serial.beginReplay(of: 0..<steps)
        try split.beginReplay(of: 0..<steps)
        try m.withUnsafeBufferPointer { buf in
            for s in 0..<steps {
                let u = buf.baseAddress! + s * p
                try serial.observeReplay(StepContext(step: s, epoch: 0, loss: 1, updateSquaredNorm: 1, update: u, parameters: nil, layout: layout))
                split.beginReplayStep(step: s)
                var order = Array(chunks.indices)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.uniformInt(below: i + 1)) }
                for i in order { split.observeReplayChunk(i, chunks[i], thread: rng.uniformInt(below: 2), update: u) }
            }
        }
        try serial.endReplay(of: 0..<steps)
        try split.endReplay(of: 0..<steps)
        let ra = try XCTUnwrap(serial.replays[0]), rb = try XCTUnwrap(split.replays[0])
        XCTAssertEqual(ra.updateLinear, rb.updateLinear)
        XCTAssertEqual(ra.timing.count, 2)
        for (x, y) in zip(ra.timing, rb.timing) {
            XCTAssertEqual(x.threshold, y.threshold)
            XCTAssertEqual(x.level, y.level)
            XCTAssertEqual(x.largeUpdates, y.largeUpdates)
            XCTAssertEqual(x.intervals, y.intervals)
            XCTAssertGreaterThan(x.intervals.last!.reduce(0, +), 0, "some intervals were recorded")
        }
    }
}

/// `np.load` of every array kind a run writes gives what docs/run-directory.md says, recomputed by
/// NumPy from the run's raw updates (Reference/check_run_arrays.py) — the test that would have caught
/// the counts written as integer bit patterns (issue 12, item 1).
final class RunArraysAgainstNumPyTests: XCTestCase {
    func testEveryArrayKindMatchesANumPyRecomputation() throws {
        try XCTSkipUnless(numpyAvailable, "NumPy is not installed")
        let run = temporaryDirectory(self)
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 12, 10]),
                            optimizer: OptimizerSettings(kind: .momentum, learningRate: 0.02))
        c.dataset = "synthetic"
        c.batchSize = .samples(64)
        c.steps = 120
        c.evalEvery = 60
        c.checkpointEvery = 50
        c.seed = 9
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [0..<40, 80..<120])
        u.reservoirSize = 3000
        c.updates = u
        let recorder = UpdateRecorder()
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        try Trainer(config: c, data: data, runPath: run, makeObservers: { l, t in [recorder] + (try StandardObservers.make(for: c)(l, t)) }).run()
        let p = (try Trainer(config: c, data: data, runPath: temporaryDirectory(self))).network.layout.parameterCount
        try FileOutput.writeNpy(recorder.rows, shape: [recorder.rows.count / p, p], to: run + "/updates.npy")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/check_run_arrays.py").path
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = ["python3", script, run, run + "/updates.npy"]
        let out = Pipe()
        proc.standardOutput = out
        proc.standardError = out
        try proc.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        proc.waitUntilExit()
        XCTAssertEqual(proc.terminationStatus, 0, text)
        XCTAssertTrue(text.hasPrefix("OK"), text)
    }
}
