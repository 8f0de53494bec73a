import CriticalityCore
import CriticalityEngine

/// The observers' second pass: after the last step, each window an observer asked for is re-run
/// from its snapshot (`replay/window_A_B/`) with exactly the same θ, optimizer state, batches and
/// kernels, so each update is shown again bit for bit (docs/architecture.md, "Replay").
extension Trainer {
    /// Replays every window, then restores the end of training; `.interrupted` when `shouldStop` asked.
    func replayWindowsForObservers(wall: () -> Double) throws -> TrainingOutcome {
        guard !replayWindows.isEmpty else { return .completed }
        let trainLoss = lastTrainLoss
        defer { lastTrainLoss = trainLoss }
        for w in replayWindows {
            try replay(w, wall: wall)
            if shouldStop() {
                try writeManifest(status: "incomplete",
                                  reason: "interrupted while replaying window \(w.lowerBound):\(w.upperBound) for the observers; continue with `criticality resume \(runPath)`",
                                  wallSeconds: wall())
                return .interrupted(step: step)
            }
        }
        try restore(from: try Checkpoint.latest(run: writer.run), observers: [])
        return .completed
    }

    /// Re-runs the steps of window `w` from its snapshot and shows each update to the observers that
    /// asked for it.
    private func replay(_ w: Range<Int>, wall: () -> Double) throws {
        try restore(from: writer.run.replayCheckpoint(w), observers: [])
        let replaying = observers.filter { $0.replayWindows.contains(w) }
        let group = TrainingStep.Observers(replaying)
        for o in replaying { try o.beginReplay(of: w) }
        let t0 = wall()
        var last = t0
        while step < w.upperBound {
            let r = try guardedStep(observers: group, replay: true)
            if let progress, wall() - last >= progressInterval || step == w.upperBound {
                last = wall()
                progress(TrainingProgress(phase: "replay \(w.lowerBound):\(w.upperBound)", step: step, totalSteps: w.upperBound,
                                          epoch: r.epoch, trainLoss: r.loss, testAccuracy: lastTestAccuracy,
                                          stepsPerSecond: Double(step - w.lowerBound) / max(wall() - t0, 1e-9),
                                          coresContended: engine.pass.contended))
            }
            if shouldStop() { return }
        }
        for o in replaying { try o.endReplay(of: w) }
    }
}
