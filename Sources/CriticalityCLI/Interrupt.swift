import Criticality
import Foundation

/// Signals. Every command: SIGINT or SIGTERM removes the file being written (its temporary, never a
/// finished file) and exits 130/143. Training: the first Ctrl-C asks the trainer to checkpoint and stop
/// at the end of the step; a second one exits at once (the last checkpoint is still complete).
enum Interrupt {
    nonisolated(unsafe) static var requested: Int32 = 0

    /// The handler of every command (installed before it runs).
    static func installExit() {
        FileOutput.removePendingTemporary()  // initializes its buffer outside the handler
        signal(SIGINT) { _ in FileOutput.removePendingTemporary(); _exit(130) }
        signal(SIGTERM) { _ in FileOutput.removePendingTemporary(); _exit(143) }
    }

    /// Training's handler: checkpoint and stop on the first Ctrl-C.
    static func install() {
        signal(SIGINT) { _ in
            if Interrupt.requested != 0 { FileOutput.removePendingTemporary(); _exit(130) }
            Interrupt.requested = 1
        }
    }
}
