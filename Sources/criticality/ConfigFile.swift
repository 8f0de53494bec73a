import Criticality
import Foundation
import Yams

/// A YAML config file for `criticality train`: a mapping whose keys are the long flag names without
/// dashes (`model: mlp5`, `lr: 0.01`, `batch-size: 64`, `widths: [784, 300, 10]`). Flags override it.
struct ConfigFile {
    static let keys: Set<String> = [
        "model", "widths", "activation", "init", "loss", "dataset", "data-dir", "optimizer", "lr", "momentum",
        "beta1", "beta2", "alpha", "eps", "batch-size", "steps", "epochs", "eval-every", "checkpoint-every",
        "seed", "threads", "out", "windows", "reservoir-size", "quantiles", "updates",
    ]
    let path: String
    let values: [String: Any]

    init(path: String) throws {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CriticalityError(.fileNotFound, "--config \(path): cannot read the file")
        }
        let parsed: Any?
        do { parsed = try Yams.load(yaml: text) } catch {
            throw CriticalityError(.invalidArgument, "--config \(path): not valid YAML (\(error))")
        }
        guard let map = parsed as? [String: Any] else {
            throw CriticalityError(.invalidArgument, "--config \(path): the top level must be a mapping of flag names to values (e.g. `model: mlp5`)")
        }
        if let unknown = map.keys.sorted().first(where: { !ConfigFile.keys.contains($0) }) {
            throw CriticalityError(.invalidArgument, "--config \(path): unknown key '\(unknown)'; keys are the long flag names: \(ConfigFile.keys.sorted().joined(separator: ", "))")
        }
        values = map
    }

    func string(_ key: String) throws -> String? {
        guard let v = values[key] else { return nil }
        if let s = v as? String { return s }
        if let i = v as? Int { return String(i) }
        if let d = v as? Double { return String(d) }
        throw CriticalityError(.invalidArgument, "--config \(path): '\(key)' must be a single value, got \(v)")
    }

    func int(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        if let i = v as? Int { return i }
        throw CriticalityError(.invalidArgument, "--config \(path): '\(key)' must be a whole number, got \(v)")
    }

    func double(_ key: String) throws -> Double? {
        guard let v = values[key] else { return nil }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        throw CriticalityError(.invalidArgument, "--config \(path): '\(key)' must be a number, got \(v)")
    }

    func intList(_ key: String) throws -> [Int]? {
        guard let v = values[key] else { return nil }
        if let list = v as? [Int] { return list }
        if let s = v as? String { return try parseIntList(s, flag: key) }
        throw CriticalityError(.invalidArgument, "--config \(path): '\(key)' must be a list of whole numbers, got \(v)")
    }
}

func parseIntList(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    var out: [Int] = []
    for p in parts {
        guard let v = Int(p) else {
            throw CriticalityError(.invalidArgument, "--\(flag): '\(p)' is not a whole number (expected e.g. 784,300,10)")
        }
        out.append(v)
    }
    return out
}
