import Foundation

/// The run directory: the interface between training and analysis (ARCHITECTURE.md).
public enum RunDirectory {
    /// Makes `path` ready for a new run: creates it; an existing non-empty folder is replaced only with
    /// `force` (never silently overwritten).
    public static func prepare(_ path: String, force: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw CriticalityError(.invalidArgument, "--out \(path) is a file, not a folder; choose another --out")
            }
            let contents = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            if !contents.isEmpty {
                guard force else {
                    throw CriticalityError(.invalidArgument, "--out \(path) already exists and is not empty; choose another --out, pass --force to replace it, or `criticality resume \(path)` to continue it")
                }
                do { try fm.removeItem(atPath: path) } catch {
                    throw CriticalityError(.io, "--out \(path): could not remove the old run (\(error.localizedDescription))")
                }
            }
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CriticalityError(.io, "--out \(path): could not create the folder (\(error.localizedDescription))")
        }
    }
}
