// libFuzzer targets for every parser of user input (issue 12). Built only by scripts/fuzz.sh
// (CRITICALITY_FUZZ=1 swift build -c release --sanitize=fuzzer --sanitize=address: -O with every Swift
// check on);
// CRITICALITY_FUZZ_TARGET names the parser. An input may be refused with any CriticalityError — what
// must never happen is a trap, a sanitizer report, a hang or unbounded memory.
import Criticality
import CriticalityCLI
import Foundation

/// The parsers, by name (Fuzz/corpus/<name>/ holds each one's seed inputs).
let targets: [String: (Data) throws -> Void] = [
    "idx": { _ = try IDXArray(fileBytes: [UInt8]($0), name: "fuzz.idx") },
    "gzip": { d in
        _ = try Gzip.prefix([UInt8](d), count: 20, name: "fuzz.gz")
        _ = try Gzip.decompress([UInt8](d), name: "fuzz.gz", maximumBytes: 1 << 20)
    },
    "cifar": { _ = try CIFAR10Loader.parse([UInt8]($0), name: "fuzz.bin", split: "train") },
    "npy": { d in
        _ = try Npy.decodeDoubles(d, name: "fuzz.npy")
        try FileOutput.write(d, to: scratch + "/rows.npy")
        let reader = try NpyRowReader(input: scratch + "/rows.npy")
        var sum = 0.0
        try reader.forEachRow(in: 0..<reader.rows) { _, row in sum += Double(row[0]) }
    },
    "csv": { _ = try CSVColumn.parse($0, name: "fuzz.csv", column: "x") },
    "yaml": { _ = try ConfigFile(data: $0, path: "fuzz.yaml") },
    "layout": { _ = try ExternalUpdates.parseLayout($0, name: "fuzz.json", parameterCount: 1000) },
    "manifest": { d in
        let decoder = JSONDecoder()
        let m = try decoder.decode(RunManifest.self, from: d)
        try m.config.validate(allowMoreThreadsThanCores: true)
        _ = try m.config.totalSteps(datasetSize: 60_000)
    },
    "checkpoint": { d in
        let state = try JSONDecoder().decode(CheckpointState.self, from: d)
        try Checkpoint.verify(CheckpointFolder(scratch), state: state)
    },
    "observer-state": { try observer.restoreState($0, name: "fuzz/state.bin") },
    "run": { d in
        // the first byte picks which file of a real run directory the rest replaces
        let run = templateRun
        let dir = RunDirectory(run)
        let files = [dir.updateStatistics.summary, dir.updateStatistics.fits, dir.manifest, dir.metrics]
        guard let first = d.first else { return }
        let path = files[Int(first) % files.count]
        let original = FileManager.default.contents(atPath: path)
        defer { if let original { try? FileOutput.write(original, to: path) } }
        try FileOutput.write(d.dropFirst(), to: path)
        _ = RunAnalysis.isCurrent(run: run)
        let data = try RunData(path: run)
        _ = HTMLReport.render([data])
    },
    "fit": { d in
        // float64 values; the first byte's low bit asks for the discrete fit
        let values = d.dropFirst().withUnsafeBytes { raw in
            (0..<min(raw.count / 8, 1000)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
        }
        var o = TailFitOptions()
        o.discrete = (d.first ?? 0) & 1 == 1
        _ = try TailFit.fit(o.discrete ? values.map { ($0.magnitude.isFinite ? $0.magnitude : $0).rounded() } : values, options: o)
        if o.discrete { _ = try TailFit.fitHistogram(values.map { $0.magnitude.rounded() }, options: o) }
    },
]

/// A folder of this fuzzing process's own.
let scratch: String = {
    let p = NSTemporaryDirectory() + "criticality-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}()

/// An observer of a small run's shape, for its state files.
let observer: UpdateStatisticsObserver = {
    var layout = ParameterLayout()
    layout.append(layer: "fc1", kind: "weight", shape: [4, 8]); layout.append(layer: "fc1", kind: "bias", shape: [4])
    var s = UpdateStatisticsSettings()
    s.windows = StepWindows(ranges: [0..<10, 20..<30])
    s.reservoirSize = 16
    return UpdateStatisticsObserver(layout: layout, settings: s)
}()

/// A real run directory (60 steps on the synthetic data, analyzed), made once per process from fixed
/// settings (no fuzz input reaches it); if it cannot be made, the fuzzer stops with the reason.
let templateRun: String = {
    let run = scratch + "/run"
    do {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 6, 10]), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.05))
        c.dataset = "synthetic"; c.steps = 60; c.evalEvery = 30; c.checkpointEvery = 100
        var u = UpdateStatisticsSettings()
        u.windows = StepWindows(ranges: [0..<30, 30..<60])
        u.reservoirSize = 200
        c.updates = u
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        try Trainer(config: c, data: data, runPath: run, makeObservers: StandardObservers.make(for: c)).run()
        var o = TailFitOptions()
        o.compare = [.exponential, .lognormal]  // every kind of comparison record, a smaller fits.json
        _ = try RunAnalysis.analyze(run: run, options: o, intervalCandidates: 5)
    } catch {
        FileHandle.standardError.write(Data("criticality-fuzz: could not make the template run in \(run): \((error as? CriticalityError)?.message ?? "\(error)")\n".utf8))
        exit(2)
    }
    return run
}()

let target: (Data) throws -> Void = {
    let name = ProcessInfo.processInfo.environment["CRITICALITY_FUZZ_TARGET"] ?? ""
    guard let t = targets[name] else {
        FileHandle.standardError.write(Data("set CRITICALITY_FUZZ_TARGET to one of \(targets.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return t
}()

/// Seed inputs made from real objects (a trained run's files, an observer's state, valid encodings of
/// every format), written by `CRITICALITY_FUZZ_WRITE_SEEDS=DIR` into DIR/<target>/ — how
/// Fuzz/corpus/ was made (scripts/fuzz.sh --seeds).
func writeSeeds(to dir: String) throws {
    func seed(_ target: String, _ name: String, _ data: Data) throws { try FileOutput.write(data, to: "\(dir)/\(target)/\(name)") }
    func idx(_ dims: [Int], _ payload: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return b + payload
    }
    try seed("idx", "images", Data(idx([2, 3, 3], (0..<18).map { UInt8($0 * 13 % 256) })))
    try seed("idx", "labels", Data(idx([4], [1, 9, 0, 3])))
    try seed("idx", "rank4", Data(idx([1, 1, 2, 2], [1, 2, 3, 4])))
    var cifar: [UInt8] = []
    for r in 0..<2 {
        cifar.append(UInt8(r * 7))
        for i in 0..<3072 { cifar.append(UInt8((i + r) % 256)) }
    }
    try seed("cifar", "two-records", Data(cifar))
    try seed("npy", "float32-2x3", Npy.encode([Float](arrayLiteral: 1, 2, 3, 4, 5, 6), shape: [2, 3]))
    try seed("npy", "float64", Npy.encode([0.5, -1, 1e300]))
    try seed("npy", "int64", Npy.encode([Int64](arrayLiteral: 1, -2, 3)))
    try seed("npy", "uint8", Npy.encode([UInt8](arrayLiteral: 1, 2, 255)))
    try seed("csv", "columns", Data("x,y\n1,2\n2.5e-3,\n,7\n-4,nan\n".utf8))
    try seed("yaml", "config", Data("""
        # a config file
        model: mlp5
        widths: [784, 50, 10]
        lr: 0.01
        batch-size: full
        steps: 3000
        seed: 7
        windows: 0:100,200:300
        quantiles: "0.005,0.01"
        updates: true

        """.utf8))
    try seed("layout", "segments", Data(#"[{"layer": "fc1", "kind": "weight", "shape": [4, 8]}, {"layer": "fc1", "kind": "bias", "shape": [4]}]"#.utf8))
    let run = templateRun
    for (i, f) in ["observers/updates/summary.json", "observers/updates/fits.json", "manifest.json", "metrics.csv"].enumerated() {
        let d = try Data(contentsOf: URL(fileURLWithPath: run + "/" + f))
        try seed("run", "file\(i)", Data([UInt8(i)]) + d)
        if f == "manifest.json" {
            try seed("manifest", "manifest", d)
            try seed("layout", "manifest", d)
        }
    }
    try seed("checkpoint", "state", try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoint/state.json")))
    // the fuzz observer's own state after a few steps in its first window
    let u = FloatBuffer(count: observer.layout.parameterCount)
    var rng = RNG(seed: 4, stream: .sampling)
    for step in 0..<6 {
        for i in 0..<u.count { u[i] = Float(rng.normal() * 1e-3) }
        observer.observe(StepContext(step: step, epoch: 0, loss: 1, updateSquaredNorm: 1, update: u.pointer, parameters: nil, layout: observer.layout))
    }
    try observer.saveState(to: scratch)
    try seed("observer-state", "state", try Data(contentsOf: URL(fileURLWithPath: scratch + "/state.bin")))
    var x = samplePowerLaw(alpha: 2.5, xmin: 1, count: 300, rng: &rng)
    try seed("fit", "power-law", Data([0]) + Data(bytes: &x, count: 8 * x.count))
    var k = sampleDiscretePowerLaw(alpha: 2.2, xmin: 1, count: 300, rng: &rng)
    try seed("fit", "discrete", Data([1]) + Data(bytes: &k, count: 8 * k.count))
    try seed("gzip", "text", try gzipped(Data("criticality".utf8)))
    try seed("gzip", "two-members", try gzipped(Data("critical".utf8)) + (try gzipped(Data("ity".utf8))))
    try seed("idx", "images.gz", try gzipped(Data(idx([2, 3, 3], (0..<18).map { UInt8($0) }))))
}

/// `gzip -c` of data.
func gzipped(_ data: Data) throws -> Data {
    try FileOutput.write(data, to: scratch + "/g")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["gzip", "-c", "-n", scratch + "/g"]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let d = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return d
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let dir = ProcessInfo.processInfo.environment["CRITICALITY_FUZZ_WRITE_SEEDS"] {
        do { try writeSeeds(to: dir); exit(0) } catch {
            FileHandle.standardError.write(Data("writing seeds: \(error)\n".utf8)); exit(1)
        }
    }
    _ = target
    if ProcessInfo.processInfo.environment["CRITICALITY_FUZZ_TARGET"] == "run" { _ = templateRun }  // not in the first unit's time
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    do { try target(data) } catch is CriticalityError {
        // a clean refusal: what the parsers are for
    } catch {
        // Foundation's decoders report malformed JSON as DecodingError: also a clean refusal
    }
    return 0
}
