import ArgumentParser
import Criticality
import Foundation
import Yams

/// A YAML config file for `criticality train`: a mapping whose keys are the long flag names without
/// dashes (`model: mlp5`, `lr: 0.01`, `batch-size: 64`, `widths: [784, 300, 10]`). Flags override it.
///
/// Read strictly, as data rather than as a program: one document; keys are plain names; values are
/// scalars or flat lists of scalars; no anchors, aliases, tags or complex keys (a config needs none,
/// and an alias bomb would otherwise expand without bound). Every scalar is read from the text as
/// written and typed by the key it belongs to, so YAML 1.1's surprises do not apply (`windows: 1:30`
/// is the window 1:30, not the sexagesimal 90; `seed: 0x10` is an error, not 16).
public struct ConfigFile {
    /// The keys a config may set: `ConfigKey`, the same names as `train`'s long flags.
    static var keys: [String] { ConfigKey.allCases.map(\.rawValue) }
    /// The largest config file read (a real one is a few hundred bytes).
    static let maximumBytes = 1 << 20

    enum Value: Equatable { case scalar(String), list([String]) }
    let path: String
    /// How messages name where a value came from: "--config FILE", or "sweep file FILE line N".
    let source: String
    let values: [String: Value]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "--config \(path): cannot read the file")
        }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String) throws {
        self.path = path
        let source = "--config \(path)"  // the closures below name it before self is whole
        self.source = source
        guard data.count <= ConfigFile.maximumBytes else {
            throw CriticalityError(.invalidArgument, "\(source): \(data.count) bytes is too long for a config file (at most \(ConfigFile.maximumBytes))")
        }
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw CriticalityError(.invalidArgument, "\(source): not UTF-8 text")
        }
        if let problem = ConfigFile.unsupportedSyntax(text) {
            throw CriticalityError(.invalidArgument, "\(source): \(problem); a config is a plain mapping of flag names to values (e.g. `model: mlp5`)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw CriticalityError(.invalidArgument, "\(source): not valid YAML (\(error))")
        }
        guard case .mapping(let map)? = root else {
            throw CriticalityError(.invalidArgument, "\(source): the top level must be a mapping of flag names to values (e.g. `model: mlp5`)")
        }
        var out: [String: Value] = [:]
        for (k, v) in map {
            guard case .scalar(let key) = k else {
                throw CriticalityError(.invalidArgument, "\(source): keys must be flag names, found \(k)")
            }
            guard ConfigKey(rawValue: key.string) != nil else {
                throw CriticalityError(.invalidArgument, "\(source): unknown key '\(key.string)'; keys are the long flag names: \(ConfigFile.keys.sorted().joined(separator: ", "))")
            }
            guard out[key.string] == nil else {
                throw CriticalityError(.invalidArgument, "\(source): key '\(key.string)' appears twice")
            }
            switch v {
            case .scalar(let s): out[key.string] = .scalar(s.string)
            case .sequence(let seq):
                out[key.string] = .list(try seq.map { item in
                    guard case .scalar(let s) = item else {
                        throw CriticalityError(.invalidArgument, "\(source): '\(key.string)' must be a flat list of values")
                    }
                    return s.string
                })
            default:
                throw CriticalityError(.invalidArgument, "\(source): '\(key.string)' must be a value or a list of values, not a mapping")
            }
        }
        values = out
        try checkTypes()
    }

    /// Settings that did not come from a file of their own (a sweep's point: its base, variant and axis
    /// values merged); `source` names where they came from in messages. Every value is typed here.
    init(values: [String: Value], source: String) throws {
        path = source
        self.source = source
        self.values = values
        for key in values.keys where ConfigKey(rawValue: key) == nil {
            throw CriticalityError(.invalidArgument, "\(source): unknown key '\(key)'; keys are the long flag names of `train`: \(ConfigFile.keys.sorted().joined(separator: ", "))")
        }
        try checkTypes()
    }

    /// Every key is typed when the settings are read, so a bad value is an error even where a flag
    /// overrides it.
    private func checkTypes() throws {
        for key in values.keys.compactMap(ConfigKey.init(rawValue:)) {
            switch key.type {
            case .int: _ = try int(key.rawValue)
            case .double: _ = try double(key.rawValue)
            case .seed: _ = try seed(key.rawValue)
            case .bool: _ = try bool(key.rawValue)
            case .intList: _ = try intList(key.rawValue)
            case .string: _ = try string(key.rawValue)
            case .choice(let values):
                if let v = try string(key.rawValue), !values.contains(v) {
                    throw CriticalityError(.invalidArgument, "\(source): '\(key.rawValue)' must be one of \(values.joined(separator: ", ")), got '\(v)'")
                }
            }
        }
    }

    /// A choice key's value as the flag's type (checked against its values when the file was read).
    func choice<T: ExpressibleByArgument>(_ key: ConfigKey, as: T.Type = T.self) throws -> T? {
        try string(key.rawValue).flatMap(T.init(argument:))
    }

    /// The first construct outside quotes and comments that a config does not need and Yams would
    /// treat specially: an anchor (&), alias (*), tag (!), complex key (? ), directive (%), or a second
    /// document (---); nil if there is none.
    static func unsupportedSyntax(_ text: String) -> String? {
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chars = Array(line)
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("? ") || trimmed == "?" { return "line \(n + 1): complex keys (`? …`) are not supported" }
            if trimmed.hasPrefix("%") { return "line \(n + 1): YAML directives are not supported" }
            if n > 0 && (line.hasPrefix("---") || line.hasPrefix("...")) { return "line \(n + 1): one document only" }
            var quote: Character? = nil
            var previous: Character = " "
            for c in chars {
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "'" || c == "\"" {
                    quote = c
                } else if c == "#" && (previous == " " || previous == "\t") {
                    break  // comment
                } else if "&*!".contains(c) && " \t[{,:-".contains(previous) {
                    return "line \(n + 1): anchors (&), aliases (*) and tags (!) are not supported"
                }
                previous = c
            }
        }
        return nil
    }

    func scalar(_ key: String) throws -> String? {
        guard let v = values[key] else { return nil }
        guard case .scalar(let s) = v else {
            throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be a single value, got a list")
        }
        guard !s.isEmpty, s != "~", s.lowercased() != "null" else {
            throw CriticalityError(.invalidArgument, "\(source): '\(key)' has no value; give one or remove the key")
        }
        return s
    }

    func string(_ key: String) throws -> String? {
        if case .list(let items)? = values[key] { return items.joined(separator: ",") }  // windows: [0:100, 200:300]
        return try scalar(key)
    }

    func int(_ key: String) throws -> Int? {
        guard let s = try scalar(key) else { return nil }
        guard let i = DecimalText.int(s) else {
            throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be a whole number, got '\(s)'")
        }
        return i
    }

    func seed(_ key: String) throws -> UInt64? {
        guard let s = try scalar(key) else { return nil }
        guard s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let v = UInt64(s) else {
            throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be a whole number from 0 to \(UInt64.max), got '\(s)'")
        }
        return v
    }

    func double(_ key: String) throws -> Double? {
        guard let s = try scalar(key) else { return nil }
        guard let d = DecimalText.double(s) else {
            throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be a decimal number, got '\(s)'")
        }
        return d
    }

    func bool(_ key: String) throws -> Bool? {
        guard let s = try scalar(key) else { return nil }
        switch s.lowercased() {
        case "true": return true
        case "false": return false
        default: throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be true or false, got '\(s)'")
        }
    }

    func intList(_ key: String) throws -> [Int]? {
        guard let v = values[key] else { return nil }
        switch v {
        case .list(let items):
            return try items.map {
                guard let i = DecimalText.int($0) else {
                    throw CriticalityError(.invalidArgument, "\(source): '\(key)' must be a list of whole numbers, got '\($0)'")
                }
                return i
            }
        case .scalar(let s): return try parseIntList(s, flag: key)
        }
    }
}

func parseIntList(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    var out: [Int] = []
    for p in parts {
        guard let v = DecimalText.int(p) else {
            throw CriticalityError(.invalidArgument, "--\(flag): '\(p)' is not a whole number (expected e.g. 784,300,10)")
        }
        out.append(v)
    }
    return out
}

/// The settings of `train` a config file may hold, and their types: one table, whose names are `train`'s
/// long flags (`CLITests.testEveryConfigKeyIsATrainFlag` holds the two to each other). `updates: false`
/// is the file's form of `--no-updates`.
enum ConfigKey: String, CaseIterable {
    case model, widths, activation, initialization = "init", loss, dataset, dataDirectory = "data-dir", optimizer
    case lr, momentum, beta1, beta2, alpha, eps, batchSize = "batch-size", steps, epochs
    case evalEvery = "eval-every", checkpointEvery = "checkpoint-every", seed, threads, out
    case windows, reservoirSize = "reservoir-size", quantiles, updates, keepCheckpoints = "keep-checkpoints"
    case information, informationInterval = "information-interval", informationNull = "information-null"
    case informationBudget = "information-budget", kl, klEvery = "kl-every", klProbe = "kl-probe"
    case textFile = "text-file", textVocabulary = "text-vocabulary", context, dropout, causal
    case independentLayers = "independent-layers"

    enum ValueType { case string, int, double, seed, bool, intList, choice([String]) }

    var type: ValueType {
        switch self {
        case .steps, .epochs, .evalEvery, .checkpointEvery, .threads, .reservoirSize, .informationInterval, .informationNull,
             .informationBudget, .klEvery, .klProbe, .context: return .int
        case .lr, .momentum, .beta1, .beta2, .alpha, .eps, .dropout: return .double
        case .seed: return .seed
        case .updates, .information, .kl, .causal, .independentLayers: return .bool
        case .textVocabulary: return .choice(TextCorpus.Vocabulary.allCases.map(\.rawValue))
        case .widths: return .intList
        case .activation: return .choice(ActivationKind.allCases.map(\.rawValue))
        case .initialization: return .choice(Initialization.allCases.map(\.rawValue))
        case .optimizer: return .choice(OptimizerKind.allCases.map(\.rawValue))
        case .loss: return .choice(LossKind.allCases.map(\.rawValue))
        case .model, .dataset, .dataDirectory, .batchSize, .out, .windows, .quantiles, .keepCheckpoints, .textFile: return .string
        }
    }
}
