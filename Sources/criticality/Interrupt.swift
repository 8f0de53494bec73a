import Foundation

/// SIGINT handling: the first Ctrl-C asks the trainer to checkpoint and stop at the end of the step;
/// a second one exits at once (the last checkpoint is still complete).
enum Interrupt {
    nonisolated(unsafe) static var requested: Int32 = 0

    static func install() {
        signal(SIGINT) { _ in
            if Interrupt.requested != 0 { _exit(130) }
            Interrupt.requested = 1
        }
    }
}
