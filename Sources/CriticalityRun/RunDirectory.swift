import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityStats
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The run directory: the interface between training and analysis (ARCHITECTURE.md).
public enum RunDirectory {
    /// Name of the lock file inside a run directory (`RunLock`).
    public static let lockFile = ".lock"

    /// Makes `path` ready for a new run and returns its lock: creates it; an existing non-empty folder is
    /// replaced only with `force` (never silently overwritten), and never while another process holds
    /// its lock. The caller keeps the lock for as long as it writes the run.
    public static func prepare(_ path: String, force: Bool) throws -> RunLock {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
            throw CriticalityError(.invalidArgument, "--out \(path) is a file, not a folder; choose another --out")
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CriticalityError(.io, "--out \(path): could not create the folder (\(error.localizedDescription))")
        }
        let lock = try RunLock(run: path)
        let contents = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != lockFile }
        if !contents.isEmpty {
            guard force else {
                throw CriticalityError(.invalidArgument, "--out \(path) already exists and is not empty; choose another --out, pass --force to replace it, or `criticality resume \(path)` to continue it")
            }
            for item in contents {
                do { try fm.removeItem(atPath: path + "/" + item) } catch {
                    throw CriticalityError(.io, "--out \(path): could not remove the old run's \(item) (\(error.localizedDescription))")
                }
            }
        }
        return lock
    }
}

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
        let path = run + "/" + RunDirectory.lockFile
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
        let fd = open(run + "/" + RunDirectory.lockFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0
    }
}
