import Criticality
import Foundation

/// A live progress line on a terminal; a plain line every 10 seconds otherwise (logs, CI).
final class ProgressDisplay {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPlain = Date.distantPast
    private var warnedAboutContention = false
    private let label: String

    init(label: String) { self.label = label }

    func update(_ p: TrainingProgress) {
        if p.coresContended && !warnedAboutContention {
            warnedAboutContention = true
            let note = "note: other processes are using the cores, and two-thread steps wait for them. On a busy machine, --threads 1 is faster (results differ from a two-thread run's, so resume with the same setting)."
            FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + note + "\n").utf8))
        }
        let pct = 100 * Double(p.step) / Double(max(p.totalSteps, 1))
        let eta = p.stepsPerSecond > 0 ? Double(p.totalSteps - p.step) / p.stepsPerSecond : 0
        let label = p.phase == "train" ? self.label : "\(self.label) \(p.phase)"
        var line = String(format: "%@ step %d/%d (%.1f%%) | epoch %d | %.0f steps/s", label, p.step,
                          p.totalSteps, pct, p.epoch, p.stepsPerSecond)
        if p.trainLoss.isFinite { line += String(format: " | loss %.4f", p.trainLoss) }
        if let a = p.testAccuracy { line += String(format: " | test acc %.2f%%", 100 * a) }
        line += " | ETA " + ProgressDisplay.duration(eta)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (p.step == p.totalSteps ? "\n" : "")).utf8))
        } else if Date().timeIntervalSince(lastPlain) >= 10 || p.step == p.totalSteps {
            lastPlain = Date()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, (t % 3600) / 60)
            : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }
}
