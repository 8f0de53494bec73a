import CZlib
import CriticalityCore
import Foundation

/// gzip (RFC 1952) decompression through zlib, for `.gz` dataset files.
///
/// Bounded: the caller says how many bytes the data may inflate to (an IDX file's header announces its
/// size), so a small file that claims gigabytes is refused after `maximumBytes`, not after it filled
/// memory. A file of several gzip members (as `cat a.gz b.gz` makes) is inflated member by member;
/// anything after the last member but zero padding is refused, as is a member cut short.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip(_ data: [UInt8]) -> Bool { data.count >= 2 && data[0] == 0x1f && data[1] == 0x8b }

    /// Inflates the whole stream; more than `maximumBytes` of output is an error. `name` is used in
    /// error messages only.
    public static func decompress(_ input: [UInt8], name: String, maximumBytes: Int) throws -> [UInt8] {
        try inflate(input, name: name, maximumBytes: maximumBytes, stopAfter: nil)
    }

    /// The first `count` inflated bytes (fewer if the stream is shorter), for reading a header.
    public static func prefix(_ input: [UInt8], count: Int, name: String) throws -> [UInt8] {
        try inflate(input, name: name, maximumBytes: count, stopAfter: count)
    }

    static func inflate(_ input: [UInt8], name: String, maximumBytes: Int, stopAfter: Int?) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CriticalityError(.io, "\(name): zlib could not start (code \(status))") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(max(input.count * 4, 1 << 16), maximumBytes + 1))
        var produced = 0
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            while true {
                if produced == output.count {
                    guard output.count <= maximumBytes else {
                        if stopAfter != nil { return }
                        throw CriticalityError(.corruptFile, "\(name): the gzip data inflates to more than the \(maximumBytes) bytes its contents announce; the file is damaged or not what it claims")
                    }
                    output.append(contentsOf: [UInt8](repeating: 0, count: min(output.count, maximumBytes + 1 - output.count)))
                }
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = uInt(outBuf.count - produced)
                    let s = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return s
                }
                if let n = stopAfter, produced >= n { return }
                if status == Z_STREAM_END {
                    let consumed = inBuf.count - Int(stream.avail_in)
                    let rest = inBuf[consumed...]
                    if rest.count >= 2 && rest[consumed] == 0x1f && rest[consumed + 1] == 0x8b {
                        guard inflateReset(&stream) == Z_OK else { throw CriticalityError(.io, "\(name): zlib could not restart") }
                        continue  // the next member
                    }
                    if let bad = rest.firstIndex(where: { $0 != 0 }) {
                        throw CriticalityError(.corruptFile, "\(name): \(rest.count) bytes of trailing data after the gzip stream, starting at byte \(consumed) (first non-zero at byte \(bad)); the file is damaged")
                    }
                    return
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw CriticalityError(.corruptFile,
                        "\(name): the gzip stream is truncated (ended after \(input.count) compressed bytes, \(produced) bytes inflated); download the file again")
                }
                if status != Z_OK && status != Z_BUF_ERROR {
                    let msg = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    throw CriticalityError(.corruptFile,
                        "\(name): corrupt gzip data at compressed byte \(input.count - Int(stream.avail_in)) (\(msg)); download the file again")
                }
            }
        }
        output.removeSubrange(min(produced, output.count)...)
        if let n = stopAfter, output.count > n { output.removeSubrange(n...) }
        return output
    }
}
