import Criticality
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local `--jobs N` pool of `criticality sweep`: each point not yet done runs as its own process,
/// `criticality sweep run … --index I --threads T` (the same command a SLURM task runs), its output in
/// `logs/NAME.log`. This is the only scheduling Criticality does.
///
/// - Each job is spawned in a process group of its own, so a Ctrl-C at the terminal reaches the pool
///   alone; the pool passes it on to every job once (each checkpoints at the end of its step and
///   exits), launches nothing more, waits for them, and reports the sweep as interrupted. A second
///   Ctrl-C is passed on too (a job then exits at once; its last checkpoint is still whole).
/// - A job that fails (exits non-zero, not by an interrupt) is retried once, resuming from its
///   checkpoint; a second failure is reported at the end and the rest of the sweep goes on.
/// - One progress line per running job: on a terminal, redrawn every half second from the last line of
///   each job's log (the jobs print one every second); otherwise a line per start and end, and every
///   job's line every 30 s.
final class SweepPool {
    struct Outcome { var failed: [(name: String, message: String)] = []; var interrupted = false }

    private struct Job { var point: SweepPoint; var pid: pid_t; var attempt: Int }

    let folder: SweepFolder
    let manifest: SweepManifest
    let reduced: Bool
    let jobs: Int
    let threadsPerJob: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var drawnLines = 0
    private var lastPlain = Date()

    nonisolated(unsafe) static var signals: Int32 = 0

    init(folder: SweepFolder, manifest: SweepManifest, reduced: Bool, jobs: Int, threadsPerJob: Int) {
        self.folder = folder; self.manifest = manifest; self.reduced = reduced; self.jobs = jobs; self.threadsPerJob = threadsPerJob
    }

    func run() throws -> Outcome {
        var pending = manifest.points.filter { !Sweep.state(of: $0, in: folder).isDone }
        let alreadyDone = manifest.points.count - pending.count
        say("sweep \(manifest.name): \(manifest.points.count) runs, \(alreadyDone) already done, \(pending.count) to run"
            + (pending.isEmpty ? "" : ", \(min(jobs, pending.count)) at a time on \(threadsPerJob) thread\(threadsPerJob == 1 ? "" : "s") each"))
        let executable = try SweepPool.ownExecutable()
        signal(SIGINT) { _ in SweepPool.signals += 1 }
        signal(SIGTERM) { _ in SweepPool.signals += 1 }
        defer { Interrupt.installExit() }
        var running: [Job] = []
        var outcome = Outcome()
        var forwarded: Int32 = 0
        var finished = alreadyDone
        while (!pending.isEmpty && !outcome.interrupted) || !running.isEmpty {
            if SweepPool.signals > forwarded {
                forwarded = SweepPool.signals
                outcome.interrupted = true
                for j in running { kill(j.pid, SIGINT) }
                if forwarded == 1 { clear(); say("interrupt: asking \(running.count) running job\(running.count == 1 ? "" : "s") to checkpoint and stop (Ctrl-C again stops them at once)") }
            }
            while !outcome.interrupted && running.count < jobs && !pending.isEmpty {
                let p = pending.removeFirst()
                running.append(Job(point: p, pid: try spawn(p, executable: executable), attempt: 1))
                clear(); say("started \(p.name)")
            }
            var i = 0
            while i < running.count {
                var status: Int32 = 0
                let r = waitpid(running[i].pid, &status, WNOHANG)
                guard r == running[i].pid else { i += 1; continue }
                let job = running.remove(at: i)
                let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                clear()
                if code == 0 {
                    finished += 1
                    say("finished \(job.point.name) (\(finished)/\(manifest.points.count))")
                } else if code == 130 || code == 143 || code == 128 + SIGINT || code == 128 + SIGTERM || outcome.interrupted {
                    say("stopped \(job.point.name) (its checkpoint is kept)")
                } else if job.attempt == 1 {
                    say("\(job.point.name) failed (exit \(code): \(lastLine(job.point))); retrying once")
                    running.insert(Job(point: job.point, pid: try spawn(job.point, executable: executable), attempt: 2), at: i)
                    i += 1
                } else {
                    outcome.failed.append((job.point.name, "exit \(code): \(lastLine(job.point))"))
                    say("\(job.point.name) failed again (exit \(code)); going on without it")
                }
            }
            draw(running, finished: finished, pending: pending.count)
            usleep(200_000)
        }
        clear()
        return outcome
    }

    /// Runs every point of `manifest` not yet done on `jobs` local jobs (the cores split between them),
    /// then writes the sweep's report; throws when interrupted. Returns the runs that failed twice.
    static func runHere(_ folder: SweepFolder, manifest: SweepManifest, reduced: Bool, jobs: Int) throws -> [(name: String, message: String)] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let outcome = try SweepPool(folder: folder, manifest: manifest, reduced: reduced, jobs: jobs, threadsPerJob: max(1, cores / jobs)).run()
        if outcome.interrupted {
            throw CriticalityError(.interrupted, "interrupted during sweep \(manifest.name); the stopped runs kept their checkpoints. Run the same command again to resume them (`criticality sweep status \(folder.path)` lists every run)")
        }
        try SweepReport.write(folder)
        return outcome.failed
    }

    /// The absolute path of this program (the jobs run the same binary).
    static func ownExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw CriticalityError(.io, "cannot find this program's own path (/proc/self/exe) to start the sweep's jobs") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The command line of point `p`'s job.
    func arguments(_ p: SweepPoint, executable: String) -> [String] {
        [executable, "sweep", "run", folder.spec, "--out", folder.path, "--index", String(p.index), "--threads", String(threadsPerJob)]
            + (reduced ? ["--reduced"] : [])
    }

    /// Starts point `p`'s job in its own process group, output appended to its log.
    private func spawn(_ p: SweepPoint, executable: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, folder.log(p.name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var environment = ProcessInfo.processInfo.environment
        environment["CRITICALITY_PROGRESS_SECONDS"] = "1"
        let argv = arguments(p, executable: executable).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard r == 0 else { throw CriticalityError(.io, "could not start the job of \(p.name) (\(String(cString: strerror(r))))") }
        return pid
    }

    /// The last line the job of `p` printed (its progress), from its log.
    func lastLine(_ p: SweepPoint) -> String {
        guard let h = FileHandle(forReadingAtPath: folder.log(p.name)) else { return "no output yet" }
        defer { try? h.close() }
        let size = (try? h.seekToEnd()) ?? 0
        try? h.seek(toOffset: size > 2048 ? size - 2048 : 0)
        let text = String(decoding: h.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.replacingOccurrences(of: "\u{1B}[2K", with: "") }
        return lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "no output yet"
    }

    private func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// Removes the progress block drawn last (terminal only).
    private func clear() {
        guard isTerminal, drawnLines > 0 else { return }
        FileHandle.standardError.write(Data("\u{1B}[\(drawnLines)A\u{1B}[J".utf8))
        drawnLines = 0
    }

    private func draw(_ running: [Job], finished: Int, pending: Int) {
        let lines = ["sweep \(manifest.name): \(finished)/\(manifest.points.count) done, \(running.count) running, \(pending) waiting"]
            + running.map { job -> String in
                let line = lastLine(job.point), name = job.point.name
                // the job's progress line starts with the run's name already
                return "  " + (line.hasPrefix(name) ? line : "\(name): \(line)") + (job.attempt > 1 ? " (retry)" : "")
            }
        if isTerminal {
            clear()
            let columns = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 160
            FileHandle.standardError.write(Data((lines.map { String($0.prefix(max(columns - 1, 20))) }.joined(separator: "\n") + "\n").utf8))
            drawnLines = lines.count
        } else if Date().timeIntervalSince(lastPlain) >= 30 {
            lastPlain = Date()
            say(lines.joined(separator: "\n"))
        }
    }
}
