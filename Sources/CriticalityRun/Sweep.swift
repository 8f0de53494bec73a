import CriticalityCore
import CriticalityIO
import CriticalityRunDirectory
import Foundation

/// One setting a sweep varies at a point, as the sweep file wrote it (`batch-size: 4`).
public struct SweepSetting: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// One point of a sweep: one run directory, `runs/NAME/`. `condition` is the point without its seed
/// (the unit the report compares); `config` is resolved exactly as `train` would resolve the same
/// settings, with no thread count (threads do not change a run's numbers; the job that trains the
/// point chooses them).
public struct SweepPoint: Codable, Equatable, Sendable {
    public var index: Int
    public var name: String
    public var condition: String
    public var seed: UInt64
    /// The settings that differ from the base, in the file's order, the seed excluded.
    public var settings: [SweepSetting]
    /// The report's panels this point belongs to (SI figure panels, e.g. "S2D").
    public var panels: [String]
    public var config: RunConfig

    public init(index: Int, name: String, condition: String, seed: UInt64, settings: [SweepSetting], panels: [String], config: RunConfig) {
        self.index = index; self.name = name; self.condition = condition; self.seed = seed
        self.settings = settings; self.panels = panels; self.config = config
    }
}

/// What a panel of the report tests across its conditions (the SI's statements, SI Figs. S2–S7).
public enum SweepClaim: String, Codable, CaseIterable, Sendable {
    /// "Heavy-tailed in every condition": every run of every condition, every stage.
    case heavyTailed = "heavy-tailed"
    /// "Adam-type optimisers cut off large updates" (SI S7): the conditions' ratio of a high quantile of
    /// |Δθ| to its median is below the reference's.
    case cutoff
    /// "Learning rate and saturation restrict the tail" (SI S2D, S3B): the same ratio, below the reference's.
    case restrictsTail = "restricts-tail"
    /// "Linear networks have more frequent small updates" (SI S3C): more of the conditions' updates fall
    /// below the reference's median |Δθ| than the half that the reference has there.
    case smallUpdates = "small-updates"
}

/// A panel of the report: conditions side by side, and one claim tested across them.
public struct SweepPanel: Codable, Equatable, Sendable {
    /// "S2A-B": the SI figure panel it reproduces.
    public var id: String
    public var title: String
    /// The condition the others are compared with (the paper's default run), if the claim needs one.
    public var reference: String?
    public var claim: SweepClaim
    public init(id: String, title: String, reference: String?, claim: SweepClaim) {
        self.id = id; self.title = title; self.reference = reference; self.claim = claim
    }
}

/// `sweep.json`: what a sweep folder holds. A sweep started again in the same folder must expand to the
/// same points with the same configurations (`difference(from:)`); its panels and titles may change.
public struct SweepManifest: Codable, Equatable, Sendable {
    public var schemaVersion: Int = 1
    public var name: String
    public var description: String?
    /// The reduced version (`reproduce --scale quick`, `sweep --reduced`): fewer seeds, shorter runs.
    public var reduced: Bool
    public var criticalityVersion: String
    public var points: [SweepPoint]
    public var panels: [SweepPanel]

    public init(name: String, description: String?, reduced: Bool, points: [SweepPoint], panels: [SweepPanel]) {
        self.name = name; self.description = description; self.reduced = reduced
        criticalityVersion = RunManifest.criticalityVersion
        self.points = points; self.panels = panels
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", name, description, reduced, criticalityVersion = "criticality_version", points, panels
    }

    /// Why `other` (the folder's sweep) is not this sweep, or nil when both have the same points in the
    /// same order with the same configurations.
    public func difference(from other: SweepManifest) -> String? {
        if reduced != other.reduced { return "one is the reduced version of the sweep, the other is not" }
        if points.count != other.points.count { return "it has \(other.points.count) points, this sweep \(points.count)" }
        for (a, b) in zip(points, other.points) {
            if a.name != b.name { return "its point \(a.index) is '\(b.name)', this sweep's '\(a.name)'" }
            if a.config != b.config { return "point '\(a.name)' is configured differently" }
        }
        return nil
    }

    /// The point named `name`.
    public func point(named name: String) -> SweepPoint? { points.first { $0.name == name } }

    /// The conditions in the order of their first point.
    public var conditions: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in points where seen.insert(p.condition).inserted { out.append(p.condition) }
        return out
    }
}

/// `failures/NAME.json`: a point's last failed attempt (written by the process that failed, removed when
/// the point succeeds).
public struct SweepFailure: Codable, Equatable, Sendable {
    public var attempts: Int
    public var message: String
    public var time: String
    public init(attempts: Int, message: String, time: String) { self.attempts = attempts; self.message = message; self.time = time }
}

/// A point's state, read from its run directory (never from a scheduler).
public enum SweepRunState: Equatable, Sendable {
    case notStarted
    /// A process holds the run's lock.
    case running(step: Int, total: Int)
    /// Stopped before the end (Ctrl-C, preemption, a crash): resumable from its checkpoint.
    case stopped(step: Int, total: Int)
    /// Its last attempt failed (`SweepFailure`); a rerun tries again.
    case failed(String)
    /// Trained, not yet analysed.
    case trained
    /// Trained and analysed by this version of the fits: nothing left to do.
    case done

    public var isDone: Bool { self == .done }

    public var description: String {
        switch self {
        case .notStarted: return "not started"
        case let .running(s, t): return "running (step \(s)/\(t))"
        case let .stopped(s, t): return "stopped at step \(s)/\(t) (resumable)"
        case .failed(let m): return "failed: \(m)"
        case .trained: return "trained, not analysed"
        case .done: return "done"
        }
    }
}

public enum Sweep {
    /// The state of `point` in `folder`, from its run directory, lock and failure record.
    public static func state(of point: SweepPoint, in folder: SweepFolder) -> SweepRunState {
        let run = folder.run(point.name)
        let manifest = try? RunManifest.read(run)
        if let m = manifest, m.status == "complete" {
            if m.config.updates == nil || RunAnalysis.isCurrent(run: run.path) { return .done }
            return RunLock.isHeld(run: run.path) ? .running(step: m.stepsCompleted, total: m.totalSteps) : .trained
        }
        if RunLock.isHeld(run: run.path) { return .running(step: manifest?.stepsCompleted ?? 0, total: manifest?.totalSteps ?? 0) }
        if let f = try? FileOutput.readJSON(SweepFailure.self, from: folder.failure(point.name)) {
            return .failed("\(f.message) (attempt \(f.attempts), \(f.time); log: \(folder.log(point.name)))")
        }
        if let m = manifest { return .stopped(step: m.stepsCompleted, total: m.totalSteps) }
        return .notStarted
    }

    /// Makes `folder` hold `manifest`: writes `sweep.json` and the spec's copy into a new or empty
    /// folder; in a folder that already holds this sweep, keeps its runs (a rerun resumes them). A
    /// folder that holds another sweep, or anything that is not a sweep, is refused.
    public static func prepare(_ folder: SweepFolder, manifest: SweepManifest, specText: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.manifest) {
            let existing: SweepManifest
            do { existing = try FileOutput.readJSON(SweepManifest.self, from: folder.manifest) } catch {
                throw CriticalityError(.corruptFile, "\(folder.manifest) is not a sweep manifest this Criticality reads (\(error)); choose another output folder")
            }
            if let why = manifest.difference(from: existing) {
                throw CriticalityError(.invalidArgument, "\(folder.path) holds a different sweep, '\(existing.name)': \(why). Choose another output folder, or remove that one to start this sweep there")
            }
        } else {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: folder.path, isDirectory: &isDir) {
                guard isDir.boolValue else { throw CriticalityError(.invalidArgument, "\(folder.path) is a file, not a folder; choose another output folder") }
                let contents = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
                guard contents.isEmpty else {
                    throw CriticalityError(.invalidArgument, "\(folder.path) is not empty and holds no sweep (no \(SweepFolder.Relative.manifest)); choose another output folder")
                }
            }
        }
        for sub in [SweepFolder.Relative.runs, SweepFolder.Relative.logs, SweepFolder.Relative.failures] {
            do { try fm.createDirectory(atPath: folder.path + "/" + sub, withIntermediateDirectories: true) } catch {
                throw CriticalityError(.io, "\(folder.path): could not create \(sub)/ (\(error.localizedDescription))")
            }
        }
        try FileOutput.write(specText, to: folder.spec)
        try FileOutput.writeJSON(manifest, to: folder.manifest)
    }

    /// Reads `sweep.json`.
    public static func read(_ folder: SweepFolder) throws -> SweepManifest {
        guard FileManager.default.fileExists(atPath: folder.manifest) else {
            throw CriticalityError(.fileNotFound, "\(folder.path) holds no sweep (no \(SweepFolder.Relative.manifest)); start one with `criticality sweep SPEC.yaml --out \(folder.path)`")
        }
        return try FileOutput.readJSON(SweepManifest.self, from: folder.manifest)
    }

    /// Records a failed attempt of `point` (the count goes on from the last record).
    public static func recordFailure(_ point: SweepPoint, in folder: SweepFolder, message: String) {
        let previous = (try? FileOutput.readJSON(SweepFailure.self, from: folder.failure(point.name)))?.attempts ?? 0
        let f = SweepFailure(attempts: previous + 1, message: message, time: ISO8601DateFormatter().string(from: Date()))
        try? FileOutput.writeJSON(f, to: folder.failure(point.name))
    }

    /// Removes `point`'s failure record (it succeeded).
    public static func clearFailure(_ point: SweepPoint, in folder: SweepFolder) {
        try? FileManager.default.removeItem(atPath: folder.failure(point.name))
    }
}
