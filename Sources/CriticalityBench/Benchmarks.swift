import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRun
import CriticalityStats
import Foundation

/// The measurements behind `criticality bench` (schema in docs/benchmarks.md).
public struct BenchReport: Codable, Sendable {
    public struct BLASInfo: Codable, Sendable {
        public var name: String
        public var version: String
        public var core: String
        public var threads: Int
        public init(name: String, version: String, core: String, threads: Int) {
            self.name = name; self.version = version; self.core = core; self.threads = threads
        }
    }
    public struct ModelResult: Codable, Sendable {
        public var model: String
        public var batchSize: Int
        /// The training data: `fashion-mnist` when installed (28×28 models), otherwise random pixels
        /// of the model's input shape (`synthetic`, `synthetic-cifar`). Real images matter for the
        /// tracked rate: their always-black pixels give exact-zero updates, as in a real run.
        public var dataset: String
        /// Median over repeats of training steps per second (forward, backward, optimizer, θ += Δθ).
        public var stepsPerSecond: Double
        /// Every repeat, for the spread.
        public var stepsPerSecondRepeats: [Double]
        /// GEMM FLOPs of one step and the rate they run at.
        public var gflopPerStep: Double
        public var gflops: Double
        /// Heap allocations per training step (nil unless run under bench/malloc_count.so).
        public var allocationsPerStep: Double?
        /// Median steps/s with the update-statistics observer recording every step (first pass), timed
        /// in alternation with the plain repeats in the same process. The timed steps fall in consecutive
        /// windows of `Benchmarks.stageLength` steps (the paper's stage length), so each window's set-up
        /// and its samples' per-step cost are those of a real run.
        public var trackedStepsPerSecond: Double?
        public var trackedStepsPerSecondRepeats: [Double]?
        /// tracked time per step / plain time per step − 1.
        public var trackingOverhead: Double?
        /// Heap allocations per tracked step.
        public var trackedAllocationsPerStep: Double?
        /// Tracker memory (bytes) for a 10,000-step window.
        public var trackerMemoryBytes: Int?
        /// With `--information`: median steps/s with the update statistics and the information observers
        /// (MI and β* every 200 steps, the KL check every 500), in the same alternation; the overhead is
        /// against the tracked rate; the memory is the information observers' (constant in the steps).
        public var informationStepsPerSecond: Double?
        public var informationStepsPerSecondRepeats: [Double]?
        public var informationOverhead: Double?
        public var informationMemoryBytes: Int?
        /// Threads the run with the information observers trained on (`Trainer.defaultThreads` unless given).
        public var informationThreads: Int?
        enum CodingKeys: String, CodingKey {
            case informationThreads = "information_threads"
            case informationStepsPerSecond = "information_steps_per_second"
            case informationStepsPerSecondRepeats = "information_steps_per_second_repeats"
            case informationOverhead = "information_overhead", informationMemoryBytes = "information_memory_bytes"
            case model, batchSize = "batch_size", dataset, stepsPerSecond = "steps_per_second"
            case stepsPerSecondRepeats = "steps_per_second_repeats", gflopPerStep = "gflop_per_step", gflops
            case allocationsPerStep = "allocations_per_step", trackedStepsPerSecond = "tracked_steps_per_second"
            case trackedStepsPerSecondRepeats = "tracked_steps_per_second_repeats", trackingOverhead = "tracking_overhead"
            case trackedAllocationsPerStep = "tracked_allocations_per_step", trackerMemoryBytes = "tracker_memory_bytes"
        }
    }
    public var schemaVersion = 3
    /// The backend; `threads` is the threads training ran on (OpenBLAS itself runs on one).
    public var blas: BLASInfo
    public var cores: Int
    /// The clock /proc/cpuinfo reports (under a hypervisor often the base clock, not the running one).
    public var ghz: Double
    /// training threads × `measuredCoreGflops`: what "% peak" is relative to.
    public var peakGflops: Double
    /// One core's single-precision FMA throughput, measured (`Benchmarks.measuredCorePeak`).
    public var measuredCoreGflops: Double?
    /// Vector width of that measurement: 16 (AVX-512), 8 (AVX2), 0 (neither).
    public var fmaLanes: Int?
    /// The clock one core runs at, measured by a dependent add chain (`Benchmarks.measuredCoreClock`).
    public var measuredCoreGHz: Double?
    /// `--background N`: first pass and replay with N busy processes holding cores.
    public var contention: [ContentionResult]?

    /// One model's first-pass and replay steps/s ([first pass, replay]) idle on one thread, and with
    /// `background` busy processes on `threads` threads and on one.
    public struct ContentionResult: Codable, Sendable {
        public var model: String
        public var steps: Int
        public var background: Int
        public var threads: Int
        public var idleOneThread: [Double]
        public var loaded: [Double]
        public var loadedOneThread: [Double]
        enum CodingKeys: String, CodingKey {
            case model, steps, background, threads, idleOneThread = "idle_one_thread", loaded, loadedOneThread = "loaded_one_thread"
        }
        public init(model: String, steps: Int, background: Int, threads: Int, idleOneThread: [Double], loaded: [Double],
                    loadedOneThread: [Double]) {
            self.model = model; self.steps = steps; self.background = background; self.threads = threads
            self.idleOneThread = idleOneThread; self.loaded = loaded; self.loadedOneThread = loadedOneThread
        }
    }
    /// Median GFLOP/s of a square sgemm of `sgemmSize`.
    public var sgemmGflops: Double
    public var sgemmSize: Int
    public var models: [ModelResult]
    /// Tail-statistics timings (issue 4).
    public var fits: FitTimings?
    /// `--perturb`: the paper's perturbation scan against the naive method (issue 15).
    public var perturbation: PerturbationBenchResult?

    public struct FitTimings: Codable, Sendable {
        /// Continuous power-law fit with the x_min scan over all distinct values of 10⁶ samples (α = 2.5).
        public var scan1e6Seconds: Double
        /// 1,000 semi-parametric bootstrap replicates (each with its own x_min scan) of 10⁴ samples.
        public var bootstrap1000x1e4Seconds: Double
        /// The four alternatives compared with the power law on each of three tails of 2·10⁴ values
        /// (power law α = 4, lognormal, stretched exponential; x_min fixed at 1), all three together.
        public var comparisons3x2e4Seconds: Double?
        /// One interval fit as `analyze` makes it: discrete scan over 50 x_min candidates and the four
        /// alternatives, on a histogram of 10⁶ intervals (discrete power law α = 2.5, at most 10⁴).
        public var intervalFit1e6Seconds: Double?
        public var threads: Int
        enum CodingKeys: String, CodingKey {
            case scan1e6Seconds = "continuous_scan_1e6_seconds", bootstrap1000x1e4Seconds = "bootstrap_1000x1e4_seconds", threads
            case comparisons3x2e4Seconds = "comparisons_3x2e4_seconds", intervalFit1e6Seconds = "interval_fit_1e6_seconds"
        }
        public init(scan1e6Seconds: Double, bootstrap1000x1e4Seconds: Double, comparisons3x2e4Seconds: Double? = nil,
                    intervalFit1e6Seconds: Double? = nil, threads: Int) {
            self.scan1e6Seconds = scan1e6Seconds; self.bootstrap1000x1e4Seconds = bootstrap1000x1e4Seconds
            self.comparisons3x2e4Seconds = comparisons3x2e4Seconds; self.intervalFit1e6Seconds = intervalFit1e6Seconds
            self.threads = threads
        }
    }

    public init(blas: BLASInfo, cores: Int, ghz: Double, peakGflops: Double, sgemmGflops: Double, sgemmSize: Int,
                models: [ModelResult]) {
        self.blas = blas; self.cores = cores; self.ghz = ghz; self.peakGflops = peakGflops
        self.sgemmGflops = sgemmGflops; self.sgemmSize = sgemmSize; self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", blas, cores, ghz, peakGflops = "peak_gflops"
        case measuredCoreGflops = "measured_core_gflops", fmaLanes = "fma_lanes", measuredCoreGHz = "measured_core_ghz", contention
        case sgemmGflops = "sgemm_gflops", sgemmSize = "sgemm_size", models, fits
    }
}

public enum Benchmarks {
    /// The CPU clock in GHz as /proc/cpuinfo reports it (first "cpu MHz" line), or 0 if unknown.
    public static func cpuGHz() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            if let v = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) { return v / 1000 }
        }
        return 0
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    /// Median GFLOP/s of C = A·B for n×n matrices over `repeats` timings, on `threads` threads as
    /// training runs its GEMMs (`PartitionedGEMM`: the caller alone, or with the shared worker).
    public static func sgemm(size n: Int, threads: Int, repeats: Int = 7) -> Double {
        let gemm = PartitionedGEMM(pair: .forThreads(threads))
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var rng = RNG(seed: 1, stream: .sampling)
        for i in 0..<(n * n) { a[i] = rng.uniformFloat(); b[i] = rng.uniformFloat() }
        func once() { gemm.sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n) }
        once()
        let reps = max(1, Int(2e9 / (2 * Double(n * n * n))))
        let rates = (0..<repeats).map { _ in
            2 * Double(n * n * n) * Double(reps) / seconds { for _ in 0..<reps { once() } } / 1e9
        }
        return median(rates)
    }

    /// Training steps per second of `config` on random data of the dataset's shape: `repeats` timings of
    /// about `secondsPerRepeat` each, after a warm-up; the median is reported. With `tracked`, a second
    /// trainer carrying the update-statistics observer (window covering every timed step) is timed in
    /// alternation with the plain one, so both see the same machine state.
    /// `informationThreads`: the threads of the run with the information observers; nil: what `train`
    /// chooses without `--threads` (`Trainer.defaultThreads`).
    public static func training(config: TrainConfig, data: DatasetPair, tracked: Bool = true, information: Bool = false,
                                informationThreads: Int? = nil,
                                repeats: Int = 5, secondsPerRepeat: Double = 1.0) throws -> BenchReport.ModelResult {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("criticality-bench-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        // Plain and tracked runs carry no information observers, so their threads are the machine's
        // default (or the one given); the run with them takes what `train` would (`Trainer.defaultThreads`).
        let plainConfig = RunConfig(train: config, updates: nil, information: nil, kl: nil)
        let plain = try Trainer(config: plainConfig, data: data, runPath: base + "/plain")
        // Warm-up and calibration: how many steps fill one repeat.
        var n = 0
        let warm = try seconds { while n < 5 { _ = try plain.trainStep(); n += 1 } }
        let perRepeat = max(5, Int(secondsPerRepeat / max(warm / 5, 1e-7)))
        var tracker: Trainer?
        var memory: Int?
        if tracked {
            var settings = UpdateStatisticsSettings()
            settings.windows = stageWindows(covering: 5 + perRepeat * repeats)
            let observer = UpdateStatisticsObserver(layout: plain.network.layout, settings: settings)
            var sized = settings
            sized.windows = StepWindows(ranges: [0..<stageLength])
            memory = UpdateStatisticsObserver(layout: plain.network.layout, settings: sized).memoryBytes
            tracker = try Trainer(config: plainConfig, data: data, runPath: base + "/tracked", observers: [observer])
            for _ in 0..<5 { _ = try tracker?.trainStep() }
        }
        var informed: Trainer?
        var informationMemory: Int?
        var usedThreads: Int?
        if tracked && information {
            var settings = UpdateStatisticsSettings()
            settings.windows = stageWindows(covering: 5 + perRepeat * repeats)
            let layout = plain.network.layout
            var extra: [TrainingObserver] = [UpdateStatisticsObserver(layout: layout, settings: settings)]
            var c = RunConfig(train: config, updates: nil)
            c.seed = config.seed
            let made = try StandardObservers.make(for: c)(layout, Int.max / 2)
            informationMemory = made.reduce(0) { $0 + $1.memoryBytes }
            extra += made
            var quiet = c
            var unset = c
            unset.threads = nil
            quiet.threads = try informationThreads ?? Trainer.defaultThreads(unset, data: data)
            usedThreads = quiet.threads
            quiet.information = nil; quiet.kl = nil
            informed = try Trainer(config: quiet, data: data, runPath: base + "/information", observers: extra)
            for _ in 0..<5 { _ = try informed?.trainStep() }
        }
        func time(_ t: Trainer) throws -> (rate: Double, allocations: Double?) {
            let before = AllocationCounter.count
            let s = try seconds { for _ in 0..<perRepeat { _ = try t.trainStep() } }
            let after = AllocationCounter.count
            return (Double(perRepeat) / s, before.flatMap { b in after.map { Double($0 - b) / Double(perRepeat) } })
        }
        var rates: [Double] = [], trackedRates: [Double] = [], informedRates: [Double] = []
        var allocations: Double?, trackedAllocations: Double?
        for _ in 0..<repeats {
            let p = try time(plain)
            rates.append(p.rate); allocations = p.allocations
            if let t = tracker {
                let r = try time(t)
                trackedRates.append(r.rate); trackedAllocations = r.allocations
            }
            if let t = informed { informedRates.append(try time(t).rate) }
        }
        let b = plain.batchSize
        let gflop = config.model.trainingFLOPsPerSample(sampleShape: data.train.sampleShape, classCount: data.train.classCount) * Double(b) / 1e9
        let sps = median(rates)
        var result = BenchReport.ModelResult(model: config.model.model, batchSize: b, dataset: config.dataset, stepsPerSecond: sps,
                                             stepsPerSecondRepeats: rates, gflopPerStep: gflop, gflops: gflop * sps,
                                             allocationsPerStep: allocations)
        if tracked {
            let tsps = median(trackedRates)
            result.trackedStepsPerSecond = tsps
            result.trackedStepsPerSecondRepeats = trackedRates
            result.trackingOverhead = sps / tsps - 1
            result.trackedAllocationsPerStep = trackedAllocations
            result.trackerMemoryBytes = memory
        }
        if informed != nil {
            let isps = median(informedRates)
            result.informationStepsPerSecond = isps
            result.informationStepsPerSecondRepeats = informedRates
            result.informationOverhead = median(trackedRates) / isps - 1
            result.informationMemoryBytes = informationMemory
            result.informationThreads = usedThreads
        }
        return result
    }

    /// Length of a training stage in the paper (stage 1 = steps 0–10,000): the benchmark's window length.
    public static let stageLength = 10_000

    /// Consecutive windows of `stageLength` steps from step 0 that cover `steps` steps.
    static func stageWindows(covering steps: Int) -> StepWindows {
        StepWindows(ranges: stride(from: 0, to: max(steps, 1), by: stageLength).map { $0..<($0 + stageLength) })
    }

    /// Seconds per step of the update-statistics observer alone (chunked path, recording window),
    /// fed a fixed random update of `layout`'s size (no exact zeros) in consecutive `stageLength`-step
    /// windows; median of `repeats` runs of `steps` steps (default: about 2·10⁸ parameter-updates per
    /// run, at most 2,000 steps).
    public static func observerAlone(layout: ParameterLayout, steps: Int? = nil, repeats: Int = 5) -> Double {
        let steps = steps ?? max(20, min(2000, 200_000_000 / max(layout.parameterCount, 1)))
        var settings = UpdateStatisticsSettings()
        settings.windows = stageWindows(covering: steps * repeats)
        let o = UpdateStatisticsObserver(layout: layout, settings: settings)
        let u = FloatBuffer(count: layout.parameterCount), p = FloatBuffer(count: layout.parameterCount)
        var rng = RNG(seed: 3, stream: .sampling)
        for i in 0..<u.count { u[i] = Float(rng.normal() * 1e-4 * _exp(2 * rng.normal())) }
        var step = 0
        let times = (0..<repeats).map { _ in
            seconds {
                for _ in 0..<steps {
                    o.observe(StepContext(step: step, epoch: 0, loss: 1, updateSquaredNorm: 1, update: u.pointer,
                                                  parameters: p.pointer, layout: layout))
                    step += 1
                }
            } / Double(steps)
        }
        return median(times)
    }

    /// Seconds for a full continuous fit (x_min scan over all distinct values) of `n` power-law samples
    /// (median of `repeats`), and for `replicates` bootstrap replicates of `bootstrapN` samples.
    public static func fits(n: Int = 1_000_000, repeats: Int = 3, bootstrapN: Int = 10_000, replicates: Int = 1000) -> BenchReport.FitTimings {
        var rng = RNG(seed: 11, stream: .sampling)
        let x = samplePowerLaw(alpha: 2.5, xmin: 1, count: n, rng: &rng)
        let scan = median((0..<repeats).map { _ in
            seconds { _ = ContinuousPowerLaw(sortedPositive: x.sorted()).scan() }
        })
        let small = samplePowerLaw(alpha: 2.5, xmin: 1, count: bootstrapN, rng: &rng).sorted()
        let fit = ContinuousPowerLaw(sortedPositive: small).scan()!
        let boot = seconds {
            _ = PowerLawBootstrap.continuous(sorted: small, fit: fit, options: .init(), fixedXmin: false, replicates: replicates, seed: 1)
        }
        // Comparisons: three kinds of tail, every alternative, x_min fixed so only the comparisons are timed.
        let tails: [[Double]] = [
            samplePowerLaw(alpha: 4, xmin: 1, count: 20_000, rng: &rng),
            (0..<20_000).map { _ in var v = 0.0; repeat { v = _exp(0.5 + rng.normal()) } while v < 1; return v },
            (0..<20_000).map { _ in Foundation.pow(1 - _log(1 - rng.uniformDouble()) / 2, 1 / 0.5) },
        ]
        var options = TailFitOptions()
        options.xmin = 1
        let comparisons = median((0..<repeats).map { _ in
            seconds { for t in tails { _ = try? TailFit.fit(t, options: options) } }
        })
        // An interval histogram like a window's: 10⁶ intervals, discrete power law α = 2.5, capped at 10⁴.
        var histogram = [Double](repeating: 0, count: 10_001)
        for v in sampleDiscretePowerLaw(alpha: 2.5, xmin: 1, count: 1_000_000, rng: &rng) where v <= 10_000 { histogram[Int(v)] += 1 }
        var intervalOptions = TailFitOptions()
        intervalOptions.maximumCandidates = 50
        intervalOptions.maximumXmin = 1000
        let interval = median((0..<repeats).map { _ in
            seconds { _ = try? TailFit.fitHistogram(histogram, options: intervalOptions) }
        })
        return .init(scan1e6Seconds: scan, bootstrap1000x1e4Seconds: boot, comparisons3x2e4Seconds: comparisons,
                     intervalFit1e6Seconds: interval, threads: ProcessInfo.processInfo.activeProcessorCount)
    }
}
