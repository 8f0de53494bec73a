import CriticalityCore
import Foundation

/// Reads one numeric column of a CSV file with a header row (comma-separated, no quoting of numbers).
public enum CSVColumn {
    public static func read(path: String, column: String) throws -> [Double] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CriticalityError(.invalidArgument, "\(path) is a folder, not a CSV file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file (missing or unreadable)")
        }
        return try parse(data, name: path, column: column)
    }

    /// The column of CSV bytes; `name` is used in error messages.
    public static func parse(_ data: Data, name path: String, column: String) throws -> [Double] {
        try parse(data, name: path, columns: [column])[0].compactMap { $0 }
    }

    /// Columns of CSV bytes by header name, row-aligned: element r of each is row r's value, nil where the
    /// cell is empty (e.g. `test_loss` on rows without evaluation). A missing column, a short row or a
    /// cell that is not a decimal number is an error naming the file, line and column.
    public static func parse(_ data: Data, name path: String, columns: [String]) throws -> [[Double?]] {
        guard let text = String(data: data, encoding: .utf8) else {
            let offset = CSVColumn.firstInvalidUTF8(data) ?? 0
            throw CriticalityError(.invalidArgument, "\(path) is not UTF-8 text (invalid byte near offset \(offset)); save it as UTF-8 CSV")
        }
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { throw CriticalityError(.invalidArgument, "\(path): the file is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let indices = try columns.map { column -> Int in
            guard let c = header.firstIndex(of: column) else {
                throw CriticalityError(.invalidArgument, "\(path): no column '\(column)'; the columns are: \(header.joined(separator: ", "))")
            }
            return c
        }
        var values = [[Double?]](repeating: [], count: columns.count)
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            for (j, c) in indices.enumerated() {
                guard c < fields.count else {
                    throw CriticalityError(.invalidArgument, "\(path): line \(i + 2) has \(fields.count) fields, no column '\(columns[j])'")
                }
                let f = fields[c].trimmingCharacters(in: .whitespaces)
                if f.isEmpty { values[j].append(nil); continue }
                guard let v = DecimalText.double(f) else {
                    throw CriticalityError(.invalidArgument, "\(path): line \(i + 2), column '\(columns[j])': \(CSVColumn.quoted(f)) is not a decimal number")
                }
                values[j].append(v)
            }
        }
        return values
    }

    /// 'text' with control characters escaped (a NUL shows as \\0), for messages.
    static func quoted<S: StringProtocol>(_ text: S) -> String {
        "'" + text.unicodeScalars.map { $0.value >= 32 && $0.value != 127 ? String($0) : $0.escaped(asASCII: true) }.joined() + "'"
    }

    /// Offset of the first byte that does not continue a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        let b = [UInt8](data)
        var i = 0
        while i < b.count {
            let c = b[i]
            let n = c < 0x80 ? 1 : c >> 5 == 0b110 ? 2 : c >> 4 == 0b1110 ? 3 : c >> 3 == 0b11110 ? 4 : 0
            guard n > 0, i + n <= b.count, (1..<n).allSatisfy({ b[i + $0] >> 6 == 0b10 }) else { return i }
            i += n
        }
        return nil
    }
}
