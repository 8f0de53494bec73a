import CriticalityCore
import Foundation

/// The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic number
/// `00 00 <type> <rank>`, then `rank` big-endian UInt32 dimensions, then the data. Only unsigned bytes
/// (type 0x08) occur in these datasets and only they are accepted.
public struct IDXArray: Equatable, Sendable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Parses IDX bytes (already decompressed). `name` is used in error messages.
    public init(parsing data: [UInt8], name: String) throws {
        guard data.count >= 4 else {
            throw CriticalityError(.corruptFile, "\(name): only \(data.count) bytes, too short for an IDX header (4-byte magic number)")
        }
        guard data[0] == 0, data[1] == 0 else {
            throw CriticalityError(.corruptFile,
                String(format: "%@: bad IDX magic number %02x %02x %02x %02x at byte 0 (expected 00 00 08 <rank>); is this an IDX file?",
                       name, data[0], data[1], data[2], data[3]))
        }
        guard data[2] == 0x08 else {
            throw CriticalityError(.corruptFile,
                String(format: "%@: IDX data type 0x%02x at byte 2 is not unsigned byte (0x08)", name, data[2]))
        }
        let rank = Int(data[3])
        guard rank >= 1 && rank <= 4 else {
            throw CriticalityError(.corruptFile, "\(name): IDX rank \(rank) at byte 3 is outside 1...4")
        }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw CriticalityError(.corruptFile, "\(name): truncated IDX header (\(data.count) bytes, need \(headerSize) for rank \(rank))")
        }
        let dims = (0..<rank).map { r in
            let o = 4 + 4 * r
            return Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
        }
        let expected = try IDXArray.dataBytes(dims, name: name)
        let actual = data.count - headerSize
        guard actual == expected else {
            throw CriticalityError(.corruptFile,
                "\(name): header says dimensions \(dims.map(String.init).joined(separator: "×")) = \(expected) bytes of data, but the file holds \(actual) after the \(headerSize)-byte header (\(actual < expected ? "truncated" : "trailing bytes")); download the file again")
        }
        dimensions = dims
        bytes = Array(data[headerSize...])
    }

    /// The largest data an IDX file may announce (the datasets' largest, CIFAR-sized, is ~150 MB).
    public static let maximumBytes = 1 << 32

    /// Π dims, checked against overflow and `maximumBytes`.
    static func dataBytes(_ dims: [Int], name: String) throws -> Int {
        var n = 1
        for d in dims {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o, m <= maximumBytes else {
                throw CriticalityError(.corruptFile, "\(name): IDX dimensions \(dims.map(String.init).joined(separator: "×")) announce more than \(maximumBytes) bytes; the header is damaged")
            }
            n = m
        }
        return n
    }

    /// Reads a plain or gzip-compressed IDX file. A compressed file is inflated to at most the size its
    /// own header announces.
    public init(contentsOf path: String) throws {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file")
        }
        try self.init(fileBytes: [UInt8](data), name: name)
    }

    /// The bytes of a plain or gzip-compressed IDX file; `name` is used in error messages.
    public init(fileBytes: [UInt8], name: String) throws {
        var bytes = fileBytes
        if Gzip.isGzip(bytes) {
            let head = try Gzip.prefix(bytes, count: 20, name: name)
            var limit = 20
            if head.count >= 4, head[0] == 0, head[1] == 0, (1...4).contains(Int(head[3])), head.count >= 4 + 4 * Int(head[3]) {
                let rank = Int(head[3])
                let dims = (0..<rank).map { r in (0..<4).reduce(0) { $0 << 8 | Int(head[4 + 4 * r + $1]) } }
                limit = 4 + 4 * rank + (try IDXArray.dataBytes(dims, name: name))
            }
            // a bad header is reported by the parser below, on the (short) inflated prefix
            bytes = try Gzip.decompress(bytes, name: name, maximumBytes: limit)
        }
        try self.init(parsing: bytes, name: name)
    }
}
