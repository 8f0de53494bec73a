import CriticalityCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that no reader ever sees half of one: data goes to a temporary `.NAME.tmp-PID` in
/// the same folder and is renamed into place.
///
/// A kill at any moment leaves at most that temporary behind, never a damaged file: a signal handler
/// can remove the one being written (`removePendingTemporary`, async-signal-safe), and
/// `removeStaleTemporaries` removes those of processes that no longer exist (`kill -9`).
public enum FileOutput {
    /// The temporary being written, as a C string for the signal handler ("" when none).
    nonisolated(unsafe) static let pending: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
        p.initialize(repeating: 0, count: 4096)
        return p
    }()

    /// Unlinks the temporary being written, if any. Async-signal-safe: for SIGINT/SIGTERM handlers.
    public static func removePendingTemporary() {
        if pending[0] != 0 { unlink(pending) }
    }

    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        func failure(_ what: String) -> CriticalityError {
            CriticalityError(.io, "\(path): could not write (\(what)); check that the folder is writable and the disk has space")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CriticalityError(.invalidArgument, "\(path) is a folder; give a file name to write")
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw failure("cannot create the folder \(folder)")
        }
        let registered = temporary.utf8CString.count <= 4096
        if registered { temporary.withCString { _ = strcpy(pending, $0) } }
        defer { pending[0] = 0 }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var ok = true, reason = ""
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false; reason = String(cString: strerror(errno)); return
                }
                offset += n
            }
        }
        if close(fd) != 0 && ok { ok = false; reason = String(cString: strerror(errno)) }
        guard ok else { unlink(temporary); throw failure(reason) }
        guard rename(temporary, path) == 0 else {
            let r = String(cString: strerror(errno))
            unlink(temporary)
            throw failure(r)
        }
    }

    /// Removes, anywhere below `folder`, the temporaries of writers that no longer run: `.NAME.tmp-PID`
    /// whose PID is not a live process, and the `.dat.nosync…` files of Foundation's atomic writes
    /// (earlier versions). Returns how many were removed.
    @discardableResult
    public static func removeStaleTemporaries(under folder: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: folder) else { return 0 }
        var removed = 0
        while let relative = e.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasPrefix(".") else { continue }
            var stale = name.hasPrefix(".dat.nosync")
            if let r = name.range(of: ".tmp-", options: .backwards), let pid = Int32(name[r.upperBound...]) {
                stale = pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
            }
            if stale, (try? FileManager.default.removeItem(atPath: folder + "/" + relative)) != nil { removed += 1 }
        }
        return removed
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// Pretty-printed JSON with sorted keys (stable bytes for the same value).
    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        try write(try encodeJSON(value), to: path)
    }

    public static func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(0x0a)
        return data
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file")
        }
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(T.self, from: data)
        } catch {
            throw CriticalityError(.corruptFile, "\(path): not valid \(T.self) JSON (\(error))")
        }
    }

    public static func writeNpy<T: NpyElement>(_ values: [T], shape: [Int]? = nil, to path: String) throws {
        try write(Npy.encode(values, shape: shape), to: path)
    }

    public static func writeNpy<T: NpyElement>(_ values: UnsafeBufferPointer<T>, shape: [Int]? = nil, to path: String) throws {
        try write(Npy.encode(values, shape: shape), to: path)
    }
}
