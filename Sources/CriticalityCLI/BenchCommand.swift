import ArgumentParser
import Criticality
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sgemm GFLOP/s and training steps/s of each MLP preset (medians over repeats).",
        discussion: "Run under LD_PRELOAD=bench/malloc_count.so (bench/build-malloc-count.sh) to also count heap allocations per training step.")

    @Option(help: "Write the results as JSON (schema in docs/benchmarks.md).")
    var json: String?
    @Option(help: "Comma-separated models to time: mlp5, mlp2, mlp-large, cnn (3×32×32, CIFAR-10's shape), cnn-28 (1×28×28), transformer (the authors' character Transformer on the pangram, lr 0.1; give --batch-size 8 for their setting), or none (only sgemm and the fits). Default: all.")
    var models: String = "mlp5,mlp2,mlp-large,cnn,cnn-28,transformer"
    @Option(help: "Mini-batch size.")
    var batchSize: Int = 64
    @Option(help: "Timed repeats per model (the median is reported).")
    var repeats: Int = 5
    @Option(help: "Seconds per repeat.")
    var seconds: Double = 1.0
    @Option(help: "Size n of the n×n sgemm.")
    var sgemmSize: Int = 1024
    @Option(help: "Threads training and the sgemm run on (1 or 2). Default: 2 where the machine has two cores.")
    var threads: Int?
    @Flag(help: "Skip the runs with the update-statistics observer.")
    var noTracking = false
    @Flag(help: "Also time training with the information observers (MI and β*, the KL check) beside the tracked rate, on the threads `train` would choose (or --threads).")
    var information = false
    @Flag(help: "Skip the tail-statistics timings.")
    var noFits = false
    @Option(help: "Also time each model's first pass and replay with this many busy-looping processes started by the benchmark (one real run of --contention-steps steps per case: idle on one thread, loaded on the default threads, loaded on one thread).")
    var background: Int = 0
    @Option(help: "Steps of each run timed with --background (per model: mlp5 and mlp2 this many, mlp-large and the CNN a tenth).")
    var contentionSteps: Int = 4000

    @Flag(help: "Also time the paper's perturbation scan (mlp5 on Fashion-MNIST, 5,000 parameters per layer, δ = 0.01 and 1, ±) against the naive method (a full forward pass per trial).")
    var perturb = false
    @Option(help: "With --perturb: epochs mlp5 is trained before the scan.")
    var perturbEpochs: Int = 2
    @Option(help: "With --perturb: naive trials timed (their median is extrapolated to the scan's trial count).")
    var naiveTrials: Int = 5

    func validate() throws {
        guard perturbEpochs >= 1, naiveTrials >= 1 else { throw ValidationError("--perturb-epochs and --naive-trials must be at least 1") }
        guard batchSize >= 1, repeats >= 1, seconds > 0, sgemmSize >= 1 else {
            throw ValidationError("--batch-size, --repeats, --seconds and --sgemm-size must be positive")
        }
        guard background >= 0, contentionSteps >= 10 else {
            throw ValidationError("--background must be ≥ 0 and --contention-steps ≥ 10")
        }
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1; got \(t)") }
    }

    func run() throws {
        do {
            let threads = self.threads ?? min(ProcessInfo.processInfo.activeProcessorCount, 2)
            let info = BLAS.info
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let ghz = Benchmarks.cpuGHz()
            let core = Benchmarks.measuredCorePeak()
            let peak = Double(min(threads, WorkerPair.maximumThreads)) * core.gflops
            print("BLAS: \(info.name) \(info.version), core \(info.core) (OPENBLAS_CORETYPE \(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")); training on \(threads) thread(s), OpenBLAS itself on 1")
            let clock = Benchmarks.measuredCoreClock()
            let perCycle = clock > 0 ? core.gflops / (2 * Double(max(core.lanes, 1)) * clock) : 0
            print(String(format: "Peak measured: one core's FMA throughput %.1f GFLOP/s (%ld-lane FMAs; the core runs at %.2f GHz by a dependent add chain, so %.2f FMAs/cycle; /proc/cpuinfo says %.2f GHz) × %ld thread(s) = %.0f GFLOP/s",
                         core.gflops, core.lanes, clock, perCycle, ghz, min(threads, WorkerPair.maximumThreads), peak))
            let sg = Benchmarks.sgemm(size: sgemmSize, threads: threads)
            print(String(format: "sgemm %ld×%ld×%ld: %.1f GFLOP/s (%.0f%% of peak)", sgemmSize, sgemmSize, sgemmSize, sg, 100 * sg / peak))
            // Real Fashion-MNIST for the 28×28 models when it is installed: its always-black pixels give
            // exact-zero updates, which random pixels never do, and the tracked rate depends on them.
            let mnistShaped: (name: String, data: DatasetPair)
            do {
                mnistShaped = ("fashion-mnist", try DatasetCatalog.load(name: "fashion-mnist", directory: nil))
            } catch let e as CriticalityError {
                print("Fashion-MNIST not available (\(e.message)); timing the 28×28 models on random pixels")
                mnistShaped = ("synthetic", try DatasetCatalog.load(name: "synthetic", directory: nil))
            }
            let cifarShaped = (name: "synthetic-cifar", data: try DatasetCatalog.load(name: "synthetic-cifar", directory: nil))
            var results: [BenchReport.ModelResult] = []
            print("")
            print("Tracked runs record consecutive \(Benchmarks.stageLength)-step windows (the paper's stage length).")
            print("model      batch  steps/s (median)  GFLOP/step  GFLOP/s  % peak  allocs/step  tracked steps/s  overhead  tracked allocs/step  tracker MiB (10k-step window)")
            /// The benchmark's configuration and data for a model name: SGD, lr 0.01, `--batch-size`.
            func setup(_ name: String) throws -> (config: TrainConfig, data: DatasetPair, cifar: Bool) {
                if name == "transformer" {
                    var c = TrainConfig(model: try ModelSpec(model: name), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.1))
                    c.dataset = "pangram"
                    c.batchSize = .samples(batchSize)
                    return (c, try c.loadData(), false)
                }
                let cifar = name == "cnn"
                let (dataset, data) = cifar ? cifarShaped : mnistShaped
                var c = TrainConfig(model: try ModelSpec(model: name == "cnn-28" ? "cnn" : name),
                                    optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
                c.dataset = dataset
                c.batchSize = .samples(batchSize)
                return (c, data, cifar)
            }
            for name in models.split(separator: ",").map(String.init) where name != "none" {
                var (c, data, cifar) = try setup(name)
                c.steps = Int.max / 2
                c.checkpointEvery = Int.max / 2
                c.threads = threads
                var r = try Benchmarks.training(config: c, data: data, tracked: !noTracking, information: information, informationThreads: self.threads, repeats: repeats,
                                                secondsPerRepeat: seconds)
                if name.hasPrefix("cnn") { r.model = cifar ? "cnn@3x32x32" : "cnn@1x28x28" }
                results.append(r)
                if !noTracking {
                    let net = try c.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount, maxBatch: 1)
                    print(String(format: "  observer alone: %.1f µs per step", 1e6 * Benchmarks.observerAlone(layout: net.layout)))
                }
                func allocs(_ v: Double?) -> NSString { (v.map { String(format: "%.2f", $0) } ?? "n/m") as NSString }
                print(String(format: "%-10@ %5ld  %16.1f  %10.4f  %7.1f  %5.1f%%  %11@  %15.1f  %7.1f%%  %19@  %.1f",
                             r.model as NSString, r.batchSize, r.stepsPerSecond, r.gflopPerStep, r.gflops,
                             100 * r.gflops / peak, allocs(r.allocationsPerStep), r.trackedStepsPerSecond ?? 0,
                             100 * (r.trackingOverhead ?? 0), allocs(r.trackedAllocationsPerStep),
                             Double(r.trackerMemoryBytes ?? 0) / 1_048_576))
                if let isps = r.informationStepsPerSecond {
                    print(String(format: "  with MI, β* and the KL check (training on %ld thread(s)): %.1f steps/s, %.1f%% over tracked, %.1f MiB",
                                 r.informationThreads ?? 0, isps, 100 * (r.informationOverhead ?? 0), Double(r.informationMemoryBytes ?? 0) / 1_048_576))
                }
            }
            var fits: BenchReport.FitTimings?
            if !noFits {
                let f = Benchmarks.fits()
                fits = f
                print(String(format: "\nfit: continuous power law, x_min scan over all distinct values of 10⁶ samples: %.2f s (median of 3)", f.scan1e6Seconds))
                print(String(format: "fit: 1,000 bootstrap replicates of 10⁴ samples, each with its x_min scan: %.2f s (%ld threads)", f.bootstrap1000x1e4Seconds, f.threads))
                print(String(format: "fit: four alternatives on each of three tails of 2·10⁴ values (power law, lognormal, stretched exp.): %.3f s (median of 3)", f.comparisons3x2e4Seconds ?? .nan))
                print(String(format: "fit: one interval fit (50 x_min candidates, four alternatives) of a 10⁶-interval histogram: %.3f s (median of 3)", f.intervalFit1e6Seconds ?? .nan))
            }
            var contention: [BenchReport.ContentionResult] = []
            if background > 0 {
                print("\nWith \(background) busy process(es) started by the benchmark (first pass / replay steps/s of one real run each):")
                print("model        steps  idle, 1 thread     loaded, \(threads) threads   loaded, 1 thread   loaded \(threads)T / idle 1T")
                let load = BackgroundLoad()
                defer { load.stop() }
                for name in models.split(separator: ",").map(String.init) where name != "none" {
                    var (c, data, _) = try setup(name)
                    let steps = name == "mlp5" || name == "mlp2" ? contentionSteps : max(10, contentionSteps / 10)
                    c.threads = 1
                    let idle = try Benchmarks.passRates(config: c, data: data, steps: steps)
                    try load.start(background)
                    c.threads = threads
                    let loaded = try Benchmarks.passRates(config: c, data: data, steps: steps)
                    c.threads = 1
                    let loadedOne = try Benchmarks.passRates(config: c, data: data, steps: steps)
                    load.stop()
                    let r = BenchReport.ContentionResult(model: name, steps: steps, background: background, threads: threads,
                                                         idleOneThread: [idle.firstPass, idle.replay],
                                                         loaded: [loaded.firstPass, loaded.replay],
                                                         loadedOneThread: [loadedOne.firstPass, loadedOne.replay])
                    contention.append(r)
                    print(String(format: "%-12@ %5ld  %7.1f / %-7.1f   %7.1f / %-7.1f   %7.1f / %-7.1f   %.2f / %.2f",
                                 name as NSString, steps, idle.firstPass, idle.replay, loaded.firstPass, loaded.replay,
                                 loadedOne.firstPass, loadedOne.replay, loaded.firstPass / idle.firstPass, loaded.replay / idle.replay))
                }
            }
            var perturbation: PerturbationBenchResult?
            if perturb {
                let r = try Benchmarks.perturbation(data: mnistShaped.data, epochs: perturbEpochs, perLayer: 5000, naiveTrials: naiveTrials,
                                                    threads: threads) { FileHandle.standardError.write(Data("perturb: \($0)…\n".utf8)) }
                perturbation = r
                print(String(format: "\nperturbation scan, mlp5 on %@ (%ld samples, %ld epochs): %ld parameters × 4 shifts = %ld losses in %.1f s on %ld thread(s); naive (one full forward per loss, median of %ld): %.3f s per loss → %.0f s (%.2f h) extrapolated; %.0f× faster",
                             r.dataset as NSString, r.samples, r.epochs, r.parametersScanned, r.losses, r.scanSeconds, r.threads, r.naiveTrials,
                             r.naiveSecondsPerLoss, r.naiveSecondsExtrapolated, r.naiveSecondsExtrapolated / 3600, r.speedup))
                print(String(format: "  the authors' way (one Float32 forward of the training engine per loss, not exact): %.3f s per loss → %.0f s (%.2f h); %.1f× the scan's time",
                             r.float32SecondsPerLoss, r.float32SecondsExtrapolated, r.float32SecondsExtrapolated / 3600, r.float32SecondsExtrapolated / r.scanSeconds))
            }
            var report = BenchReport(blas: .init(name: info.name, version: info.version, core: info.core, threads: threads),
                                     cores: cores, ghz: ghz, peakGflops: peak, sgemmGflops: sg, sgemmSize: sgemmSize,
                                     models: results)
            report.measuredCoreGflops = core.gflops
            report.fmaLanes = core.lanes
            report.measuredCoreGHz = clock
            report.fits = fits
            report.contention = contention.isEmpty ? nil : contention
            report.perturbation = perturbation
            if let json { try FileOutput.writeJSON(report, to: json) }
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
