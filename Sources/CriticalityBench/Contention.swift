import CKernels
import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityObservers
import CriticalityRun
import Foundation

/// Busy-looping processes that hold cores while a benchmark runs (`criticality bench --background N`):
/// the "something else is running" of a real workstation. Each is `/bin/sh` spinning on a shell
/// builtin until this process is gone, so none outlives a benchmark that crashes.
public final class BackgroundLoad {
    private var processes: [Process] = []

    public init() {}

    /// Starts `count` busy processes; throws when `/bin/sh` cannot be started.
    public func start(_ count: Int) throws {
        for _ in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null; do :; done"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
    }

    /// Stops them all and waits for them.
    public func stop() {
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
        processes.removeAll()
    }

    deinit { stop() }
}

extension Benchmarks {
    /// The single-precision FMA throughput of one core, measured (`crit_fma_peak_gflops`, best of
    /// ~10 ms bursts over `seconds`), and the vector width it used (16 AVX-512, 8 AVX2, 0 neither).
    public static func measuredCorePeak(seconds: Double = 0.3) -> (gflops: Double, lanes: Int) {
        var lanes: Int32 = 0
        let g = crit_fma_peak_gflops(seconds, &lanes)
        return (g, Int(lanes))
    }

    /// The clock the calling thread's core runs at, in GHz (`crit_core_clock_ghz`: a chain of dependent
    /// integer adds, one cycle each), or 0 off x86-64. With `measuredCorePeak` it gives the FMAs per
    /// cycle: 2 on most x86-64 cores, 1 for AVX-512 on AMD Zen 4 (its 512-bit FMA is two 256-bit halves).
    public static func measuredCoreClock(seconds: Double = 0.2) -> Double { crit_core_clock_ghz(seconds) }

    /// First-pass and replay steps/s of a real run of `steps` steps (update statistics recording one
    /// window over all of them, so the run replays it), as `criticality train` reports them.
    public static func passRates(config: TrainConfig, data: DatasetPair, steps: Int) throws -> (firstPass: Double, replay: Double) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("criticality-contention-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        var c = config
        c.steps = steps
        c.evalEvery = steps
        c.checkpointEvery = steps
        var settings = UpdateStatisticsSettings()
        settings.windows = StepWindows(ranges: [0..<steps])
        let trainer = try Trainer(config: RunConfig(train: c, updates: nil, information: nil, kl: nil), data: data, runPath: base,
                                  observers: [UpdateStatisticsObserver(layout: try c.model.makeNetwork(
                                      sampleShape: data.train.sampleShape, classCount: data.train.classCount, maxBatch: 1).layout,
                                                                      settings: settings)])
        var first = 0.0, replay = 0.0
        trainer.progressInterval = .infinity
        trainer.progress = { p in
            guard p.step == p.totalSteps else { return }
            if p.phase == "train" { first = p.stepsPerSecond } else { replay = p.stepsPerSecond }
        }
        _ = try trainer.run()
        return (first, replay)
    }
}
