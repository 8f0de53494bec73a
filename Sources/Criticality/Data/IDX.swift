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
        var dims: [Int] = []
        for r in 0..<rank {
            let o = 4 + 4 * r
            dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        let expected = dims.reduce(1, *)
        let actual = data.count - headerSize
        guard actual == expected else {
            throw CriticalityError(.corruptFile,
                "\(name): header says dimensions \(dims.map(String.init).joined(separator: "×")) = \(expected) bytes of data, but the file holds \(actual) after the \(headerSize)-byte header (\(actual < expected ? "truncated" : "trailing bytes")); download the file again")
        }
        dimensions = dims
        bytes = Array(data[headerSize...])
    }

    /// Reads a plain or gzip-compressed IDX file.
    public init(contentsOf path: String) throws {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file")
        }
        var bytes = [UInt8](data)
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, name: name) }
        try self.init(parsing: bytes, name: name)
    }
}
