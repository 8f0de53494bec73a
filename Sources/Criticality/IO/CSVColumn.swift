import Foundation

/// Reads one numeric column of a CSV file with a header row (comma-separated, no quoting of numbers).
public enum CSVColumn {
    public static func read(path: String, column: String) throws -> [Double] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file")
        }
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { throw CriticalityError(.invalidArgument, "\(path): the file is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        guard let c = header.firstIndex(of: column) else {
            throw CriticalityError(.invalidArgument, "\(path): no column '\(column)'; the columns are: \(header.joined(separator: ", "))")
        }
        var values: [Double] = []
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard c < fields.count else {
                throw CriticalityError(.invalidArgument, "\(path): line \(i + 2) has \(fields.count) fields, no column '\(column)'")
            }
            let f = fields[c].trimmingCharacters(in: .whitespaces)
            if f.isEmpty { continue }  // empty cells (e.g. test_loss on rows without evaluation) are skipped
            guard let v = Double(f) else {
                throw CriticalityError(.invalidArgument, "\(path): line \(i + 2), column '\(column)': '\(f)' is not a number")
            }
            values.append(v)
        }
        return values
    }
}
