import Criticality
import Foundation

/// A live progress line on a terminal; a plain line every 10 seconds otherwise (logs, CI), or every
/// `CRITICALITY_PROGRESS_SECONDS` (a sweep's jobs, whose last log line the sweep shows).
final class ProgressDisplay {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPlain = Date.distantPast
    private let plainEvery = ProcessInfo.processInfo.environment["CRITICALITY_PROGRESS_SECONDS"].flatMap(Double.init).map { max($0, 0.1) } ?? 10
    private var warnedAboutContention = false
    private let label: String

    init(label: String) { self.label = label }

    func update(_ p: TrainingProgress) {
        if p.coresContended && !warnedAboutContention {
            warnedAboutContention = true
            let note = "note: other processes are using the cores; steps run on one thread while they do (the numbers are the same either way)."
            FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + note + "\n").utf8))
        }
        let line = self.line(p)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (p.step == p.totalSteps ? "\n" : "")).utf8))
        } else if Date().timeIntervalSince(lastPlain) >= plainEvery || p.step == p.totalSteps {
            lastPlain = Date()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// The progress line: "mlp5 step 120/30000 (0.4%) | epoch 0 | 7000 steps/s | loss 0.52 | ETA 4s".
    func line(_ p: TrainingProgress) -> String {
        let pct = 100 * Double(p.step) / Double(max(p.totalSteps, 1))
        let eta = p.stepsPerSecond > 0 ? Double(p.totalSteps - p.step) / p.stepsPerSecond : 0
        let label = p.phase == "train" ? self.label : "\(self.label) \(p.phase)"
        var line = "\(label) step \(p.step)/\(p.totalSteps) " + String(format: "(%.1f%%) | epoch ", pct) + "\(p.epoch)"
            + String(format: " | %.0f steps/s", p.stepsPerSecond)
        if p.trainLoss.isFinite { line += String(format: " | loss %.4f", p.trainLoss) }
        if let a = p.testAccuracy { line += String(format: " | test acc %.2f%%", 100 * a) }
        return line + " | ETA " + ProgressDisplay.duration(eta)
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, s < 1e15 else { return "∞" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%ldh%02ldm", t / 3600, (t % 3600) / 60)
            : t >= 60 ? String(format: "%ldm%02lds", t / 60, t % 60) : "\(t)s"
    }
}

/// A "what: 42.0%" line for work measured as a fraction (a perturbation scan): live on a terminal, every
/// 10 seconds otherwise.
final class FractionDisplay {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var last = Date.distantPast
    private var started = Date()
    private var current = ""

    func update(_ what: String, _ fraction: Double) {
        if what != current { current = what; started = Date() }
        guard Date().timeIntervalSince(last) >= (isTerminal ? 0.2 : 10) || fraction >= 1 else { return }
        last = Date()
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        let line = String(format: "%@: %.1f%% | ETA ", what, 100 * fraction) + ProgressDisplay.duration(eta)
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + line + (isTerminal && fraction < 1 ? "" : "\n")).utf8))
    }
}
