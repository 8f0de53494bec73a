import CriticalityCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock (flock) on a run directory, held by the process that trains or resumes it, so that
/// two processes never write one run (and `--force` never deletes a run another process is writing).
/// The lock file keeps the holder's PID for the message; the lock itself goes with the process, even
/// after `kill -9`.
public final class RunLock {
    public let run: String
    private let fd: Int32

    /// Takes the lock of `run` (an existing folder); throws if another process (or this one) holds it.
    public init(run: String) throws {
        self.run = run
        let path = RunDirectory(run).lockFile
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CriticalityError(.io, "\(path): could not open the run's lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw CriticalityError(.invalidArgument, "\(run) is in use by another criticality process (pid \(holder)); wait for it to finish or stop it (Ctrl-C checkpoints a training run) before you start, resume or replace this run")
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }  // releases the lock

    /// Whether some process holds the lock of `run` now (a manifest saying "running" without it is stale).
    public static func isHeld(run: String) -> Bool {
        let fd = open(RunDirectory(run).lockFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0
    }
}
