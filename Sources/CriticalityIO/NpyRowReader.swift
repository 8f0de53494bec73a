import CriticalityCore
import Foundation

/// Streams the rows of a 2-D `.npy` matrix (steps × parameters, C order, float32 or float64) — or of a
/// folder of such chunks taken in name order — as Float32, without loading the file. Float64 values
/// are rounded to Float32, the precision training runs in.
public final class NpyRowReader {
    public struct Part { public var path: String; public var header: NpyHeader; public var rows: Int }
    public let parts: [Part]
    public let columns: Int
    public var rows: Int { parts.reduce(0) { $0 + $1.rows } }
    private var raw: [UInt8] = []

    /// `input` is a `.npy` file or a folder of `.npy` chunks.
    public init(input: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else {
            throw CriticalityError(.fileNotFound, "\(input): no such file or folder")
        }
        var paths: [String]
        if isDir.boolValue {
            paths = ((try? fm.contentsOfDirectory(atPath: input)) ?? []).filter { $0.hasSuffix(".npy") }.sorted()
                .map { (input as NSString).appendingPathComponent($0) }
            guard !paths.isEmpty else {
                throw CriticalityError(.invalidArgument, "\(input): the folder holds no .npy files")
            }
        } else {
            paths = [input]
        }
        var parts: [Part] = []
        var columns: Int?
        for p in paths {
            guard let h = FileHandle(forReadingAtPath: p) else { throw CriticalityError(.fileNotFound, "\(p): cannot open") }
            let head = try h.read(upToCount: 65_546) ?? Data()
            let size = try h.seekToEnd()
            try h.close()
            let header = try Npy.parseHeader(head, name: p)
            guard header.dtype.kind == .float else {
                throw CriticalityError(.invalidArgument, "\(p): dtype \(header.dtype.rawValue) is not float32 or float64; save the updates with `np.save(path, updates.astype(np.float32))`")
            }
            guard header.shape.count == 2 else {
                throw CriticalityError(.invalidArgument, "\(p): shape \(header.shape) is not 2-D (steps × parameters); reshape each step's update to one row")
            }
            guard !header.fortranOrder else {
                throw CriticalityError(.invalidArgument, "\(p): Fortran order is not supported; save with np.ascontiguousarray(updates)")
            }
            let available = Int(size) - header.dataOffset
            guard available >= header.dataBytes else {
                throw CriticalityError(.corruptFile, "\(p): truncated .npy: shape \(header.shape) needs \(header.dataBytes) data bytes, the file has \(available)")
            }
            guard !header.shape[1].multipliedReportingOverflow(by: header.dtype.size).overflow else {
                throw CriticalityError(.corruptFile, "\(p): \(header.shape[1]) columns of \(header.dtype) overflow a row's byte count; the header is damaged")
            }
            if let c = columns, c != header.shape[1] {
                throw CriticalityError(.invalidArgument, "\(p) has \(header.shape[1]) columns but \(parts[0].path) has \(c); every chunk must hold the same parameters")
            }
            columns = header.shape[1]
            parts.append(Part(path: p, header: header, rows: header.shape[0]))
        }
        self.parts = parts
        self.columns = columns ?? 0
    }

    /// Calls `body(rowIndex, row)` for rows in `range` (global indices across parts), in order.
    public func forEachRow(in range: Range<Int>, _ body: (Int, UnsafePointer<Float>) throws -> Void) throws {
        let row = FloatBuffer(count: columns)
        var rowDoubles = [Double](repeating: 0, count: columns)
        var base = 0
        for part in parts {
            let lo = max(range.lowerBound, base), hi = min(range.upperBound, base + part.rows)
            defer { base += part.rows }
            guard lo < hi else { continue }
            guard let h = FileHandle(forReadingAtPath: part.path) else { throw CriticalityError(.fileNotFound, "\(part.path): cannot open") }
            defer { try? h.close() }
            let rowBytes = columns * part.header.dtype.size
            try h.seek(toOffset: UInt64(part.header.dataOffset + (lo - base) * rowBytes))
            let block = max(1, (1 << 24) / max(rowBytes, 1))
            var r = lo
            while r < hi {
                let n = min(block, hi - r)
                guard let data = try h.read(upToCount: n * rowBytes), data.count == n * rowBytes else {
                    throw CriticalityError(.corruptFile, "\(part.path): could not read rows \(r - base)…\(r - base + n - 1)")
                }
                try data.withUnsafeBytes { raw in
                    for i in 0..<n {
                        let src = raw.baseAddress! + i * rowBytes
                        if part.header.dtype == .float32 {  // little-endian; others go through Npy.convert
                            UnsafeMutableRawPointer(row.pointer).copyMemory(from: src, byteCount: rowBytes)
                        } else {
                            rowDoubles.withUnsafeMutableBufferPointer { d in
                                Npy.convert(src, dtype: part.header.dtype, count: columns, into: d.baseAddress!)
                                for c in 0..<columns { row.pointer[c] = Float(d[c]) }
                            }
                        }
                        try body(r + i, row.pointer)
                    }
                }
                r += n
            }
        }
    }
}
