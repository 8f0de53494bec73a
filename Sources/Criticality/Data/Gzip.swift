import CZlib
import Foundation

/// gzip (RFC 1952) decompression through zlib, for `.gz` dataset files.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip(_ data: [UInt8]) -> Bool { data.count >= 2 && data[0] == 0x1f && data[1] == 0x8b }

    /// Inflates a whole gzip stream. `name` is used in error messages only.
    public static func decompress(_ input: [UInt8], name: String) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CriticalityError(.io, "\(name): zlib could not start (code \(status))") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(input.count * 4, 1 << 16))
        var produced = 0
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            repeat {
                if produced == output.count { output.append(contentsOf: [UInt8](repeating: 0, count: output.count)) }
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = uInt(outBuf.count - produced)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return s
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw CriticalityError(.corruptFile,
                        "\(name): the gzip stream is truncated (ended after \(input.count) compressed bytes, \(produced) bytes inflated); download the file again")
                }
                if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
                    let msg = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    throw CriticalityError(.corruptFile,
                        "\(name): corrupt gzip data at compressed byte \(input.count - Int(stream.avail_in)) (\(msg)); download the file again")
                }
            } while status != Z_STREAM_END
        }
        output.removeSubrange(produced...)
        return output
    }
}
