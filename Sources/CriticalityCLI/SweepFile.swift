import Criticality
import Foundation
import Yams

/// A sweep file (`criticality sweep SPEC.yaml`): a base configuration in `train`'s YAML keys, what to
/// vary, and the seeds; every point is resolved exactly as `train` resolves a config file.
///
/// ```yaml
/// name: S7-optimizers                 # default: the file's name
/// description: SI Fig. S7 …           # optional, shown in the report
/// base: {model: mlp5, steps: 30000}   # train's keys (not `out`, `threads` or, with `seeds`, `seed`)
/// axes:                               # a cross product of value lists (optional)
///   lr: [0.01, 0.1]
/// variants:                           # named variants, each crossed with the axes (optional)
///   - {name: sgd}
///   - {name: adam, optimizer: adam, lr: 0.001}
/// seeds: [1, 2, 3]                    # every condition once per seed (default: the base's seed)
/// reduced: {seeds: [1, 2], steps: 0.1}  # `--reduced` / `reproduce --scale quick`: fewer seeds, step
///                                       # counts and windows × 0.1
/// panels:                             # the report's panels (optional)
///   - {id: S7, title: "Adaptive optimisers", reference: sgd, claim: cutoff, conditions: [sgd, adam]}
/// ```
/// A point's folder is named from its varied values: the variant's name, then `key-value` per axis,
/// then `seed-N` (`adam_lr-0.1_seed-2`); without variants or axes the condition is `base`.
///
/// Read strictly, as `ConfigFile` reads a config (same YAML restrictions); every error names the file
/// and line.
struct SweepFile {
    let path: String
    let text: String
    var name: String
    var description: String?
    var base: [String: Entry] = [:]
    var axes: [(key: String, values: [Entry])] = []
    var variants: [(name: String, line: Int, settings: [(String, Entry)])] = []
    var seeds: [UInt64]?
    var seedsLine = 0
    var reducedSeeds: [UInt64]?
    var reducedSteps: Double?
    var panels: [(panel: SweepPanel, conditions: [String]?, line: Int)] = []

    /// A setting's value and the line it is on.
    struct Entry { var value: ConfigFile.Value; var line: Int; var text: String }

    static let topKeys = ["name", "description", "base", "axes", "variants", "seeds", "reduced", "panels"]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "sweep file \(path): cannot read the file")
        }
        guard data.count <= ConfigFile.maximumBytes, let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw CriticalityError(.invalidArgument, "sweep file \(path): not a UTF-8 text of at most \(ConfigFile.maximumBytes) bytes")
        }
        try self.init(text: text, path: path)
    }

    init(text: String, path: String) throws {
        self.path = path
        self.text = text
        name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if let problem = ConfigFile.unsupportedSyntax(text) { throw error(nil, "\(problem); a sweep file is plain YAML mappings and lists") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw self.error(nil, "not valid YAML (\(error))") }
        guard case .mapping(let top)? = root else { throw error(nil, "the top level must be a mapping with keys \(SweepFile.topKeys.joined(separator: ", "))") }
        for (k, v) in top {
            let key = try scalarKey(k)
            switch key {
            case "name": name = try plain(v, "name")
            case "description": description = try plain(v, "description")
            case "base": base = try settings(v, "base").reduce(into: [:]) { $0[$1.0] = $1.1 }
            case "axes":
                guard case .mapping(let m) = v else { throw error(v, "'axes' must be a mapping of setting names to lists of values (e.g. `lr: [0.01, 0.1]`)") }
                for (ak, av) in m {
                    let axis = try scalarKey(ak)
                    guard case .sequence(let seq) = av else { throw error(av, "axis '\(axis)' must be a list of values (e.g. `\(axis): [a, b]`)") }
                    guard !seq.isEmpty else { throw error(av, "axis '\(axis)' has no values; give at least one or remove the axis") }
                    axes.append((axis, try seq.map { try entry($0, key: axis) }))
                }
            case "variants":
                guard case .sequence(let seq) = v else { throw error(v, "'variants' must be a list of mappings, each with a name") }
                guard !seq.isEmpty else { throw error(v, "'variants' has no variants; give at least one or remove the key") }
                for item in seq {
                    guard case .mapping(let m) = item else { throw error(item, "a variant must be a mapping with a name (e.g. `{name: adam, optimizer: adam}`)") }
                    var vname: String?
                    var rest: [(Node, Node)] = []
                    for (ik, iv) in m { if try scalarKey(ik) == "name" { vname = try plain(iv, "name") } else { rest.append((ik, iv)) } }
                    guard let vname else { throw error(item, "a variant has no name; give each one `name: …` (it names the run folders)") }
                    guard !vname.isEmpty, vname.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                        throw error(item, "variant name '\(vname)' must be letters, digits, '.', '_' or '-' (it names folders)")
                    }
                    guard !variants.contains(where: { $0.name == vname }) else { throw error(item, "variant name '\(vname)' appears twice") }
                    variants.append((vname, line(item), try rest.map { (k, v) in let key = try scalarKey(k); return (key, try entry(v, key: key)) }))
                }
            case "seeds": seeds = try seedList(v, "seeds"); seedsLine = line(v)
            case "reduced":
                guard case .mapping(let m) = v else { throw error(v, "'reduced' must be a mapping: `{seeds: [1, 2], steps: 0.1}`") }
                for (rk, rv) in m {
                    switch try scalarKey(rk) {
                    case "seeds": reducedSeeds = try seedList(rv, "reduced.seeds")
                    case "steps":
                        let s = try plain(rv, "reduced.steps")
                        guard let f = DecimalText.double(s), f > 0, f <= 1 else { throw error(rv, "'reduced.steps' must be a factor in (0, 1] for the step counts and windows, got '\(s)'") }
                        reducedSteps = f
                    case let other: throw error(rk, "unknown key 'reduced.\(other)'; 'reduced' has seeds and steps")
                    }
                }
            case "panels":
                guard case .sequence(let seq) = v else { throw error(v, "'panels' must be a list of mappings with id, title and claim") }
                for item in seq { panels.append(try panel(item)) }
            default:
                throw error(k, "unknown key '\(key)'; a sweep file has \(SweepFile.topKeys.joined(separator: ", ")) (the settings of a run go under base, axes or variants)")
            }
        }
        for (key, e) in base where ["seed"].contains(key) && seeds != nil {
            throw error(line: e.line, "'seed' is set by 'seeds' (line \(seedsLine)); remove it from base")
        }
        for a in axes where a.key == "seed" { throw error(line: a.values.first?.line, "vary the seed with 'seeds', not as an axis") }
        for a in axes where variants.contains(where: { v in v.settings.contains { $0.0 == a.key } }) {
            throw error(line: a.values.first?.line, "'\(a.key)' is both an axis and a variant's setting; keep one")
        }
    }

    // MARK: expansion

    /// Every point, resolved as `train` resolves its settings, in the order variants × axes (the last
    /// axis fastest) × seeds. `reduced`: the file's reduced version.
    func manifest(reduced: Bool) throws -> SweepManifest {
        if reduced && reducedSeeds == nil && reducedSteps == nil {
            throw CriticalityError(.invalidArgument, "sweep file \(path) has no 'reduced' version (`reduced: {seeds: [1, 2], steps: 0.1}`); run it without --reduced")
        }
        var combos: [[(String, Entry)]] = [[]]
        for a in axes { combos = combos.flatMap { c in a.values.map { c + [(a.key, $0)] } } }
        let variantList: [(name: String?, settings: [(String, Entry)])] = variants.isEmpty ? [(nil, [])] : variants.map { ($0.name, $0.settings) }
        let seedList: [UInt64?] = (((reduced ? reducedSeeds : nil) ?? seeds)?.map(Optional.some)) ?? [nil]  // nil: the base's seed
        var points: [SweepPoint] = []
        let defaults = try TrainCommand.parse([])
        for v in variantList {
            for combo in combos {
                var parts = v.name.map { [$0] } ?? []
                parts += combo.map { "\($0.0)-\(SweepFile.folderSafe($0.1.text))" }
                let condition = parts.isEmpty ? "base" : parts.joined(separator: "_")
                for seed in seedList {
                    var values = base.mapValues(\.value)
                    for (k, e) in v.settings + combo { values[k] = e.value }
                    if let seed { values["seed"] = .scalar(String(seed)) }
                    let name = seed.map { condition + "_seed-\($0)" } ?? condition
                    let source = "sweep file \(path), point '\(name)'"
                    var config = try resolving(source) { () throws -> RunConfig in
                        let file = try ConfigFile(values: values, source: source)
                        var (c, _) = try defaults.resolve(file: file)
                        if c.model.isTransformer { try defaults.applyTransformerWindows(&c, file: file, data: try c.train.loadData()) }
                        return c
                    }
                    config.threads = nil
                    if reduced, let f = reducedSteps { SweepFile.shorten(&config, by: f) }
                    try resolving(source) { try config.validate() }
                    points.append(SweepPoint(index: points.count, name: name, condition: condition, seed: config.seed,
                                             settings: (v.settings + combo).map { SweepSetting(key: $0.0, value: $0.1.text) },
                                             panels: [], config: config))
                }
            }
        }
        let conditions = Set(points.map(\.condition))
        var out: [SweepPanel] = []
        for (panel, members, line) in panels {
            for c in (members ?? []) + [panel.reference].compactMap({ $0 }) where !conditions.contains(c) {
                throw error(line: line, "panel '\(panel.id)' names condition '\(c)', which this sweep does not have (its conditions: \(conditions.sorted().joined(separator: ", ")))")
            }
            out.append(panel)
            for i in points.indices where members?.contains(points[i].condition) ?? true { points[i].panels.append(panel.id) }
        }
        return SweepManifest(name: name, description: description, reduced: reduced, points: points, panels: out)
    }

    /// The reduced version's step counts and windows: steps × f (at least 1); each window's ends × f.
    static func shorten(_ c: inout RunConfig, by f: Double) {
        func scale(_ n: Int) -> Int { max(1, Int((Double(n) * f).rounded())) }
        if let s = c.steps { c.steps = scale(s) }
        if let e = c.epochs { c.epochs = scale(e) }
        if let w = c.updates?.windows {
            c.updates?.windows = StepWindows(ranges: w.ranges.map { Int((Double($0.lowerBound) * f).rounded())..<scale($0.upperBound) })
        }
        c.evalEvery = scale(c.evalEvery)
        c.checkpointEvery = scale(c.checkpointEvery)
    }

    /// `text` with characters that cannot name a folder replaced by '-'.
    static func folderSafe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
    }

    // MARK: reading nodes

    private func resolving<T>(_ source: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CriticalityError where !e.message.hasPrefix("sweep file ") {
            throw CriticalityError(e.kind, "\(source): \(e.message)")
        }
    }

    private func line(_ n: Node) -> Int { n.mark?.line ?? 0 }

    private func error(_ node: Node?, _ message: String) -> CriticalityError { error(line: node.map(line), message) }

    private func error(line: Int?, _ message: String) -> CriticalityError {
        CriticalityError(.invalidArgument, "sweep file \(path)\(line.map { " line \($0)" } ?? ""): \(message)")
    }

    private func scalarKey(_ n: Node) throws -> String {
        guard case .scalar(let s) = n else { throw error(n, "keys must be plain names") }
        return s.string
    }

    private func plain(_ n: Node, _ what: String) throws -> String {
        guard case .scalar(let s) = n else { throw error(n, "'\(what)' must be a single value") }
        return s.string
    }

    /// One setting of `train`: typed now, so that a bad key or value is named with its line.
    private func entry(_ n: Node, key: String) throws -> Entry {
        let value: ConfigFile.Value, text: String
        switch n {
        case .scalar(let s): value = .scalar(s.string); text = s.string
        case .sequence(let seq):
            let items = try seq.map { item -> String in
                guard case .scalar(let s) = item else { throw error(item, "'\(key)' must be a value or a flat list of values") }
                return s.string
            }
            value = .list(items); text = items.joined(separator: ",")
        default: throw error(n, "'\(key)' must be a value or a list of values, not a mapping")
        }
        guard key != "out" else { throw error(n, "'out' is the sweep's to choose (runs/NAME under --out); remove it") }
        guard key != "threads" else { throw error(n, "'threads' is the job's to choose (--jobs locally, --cpus-per-task on SLURM); remove it") }
        _ = try ConfigFile(values: [key: value], source: "sweep file \(path) line \(line(n))")
        return Entry(value: value, line: line(n), text: text)
    }

    private func settings(_ n: Node, _ what: String) throws -> [(String, Entry)] {
        guard case .mapping(let m) = n else { throw error(n, "'\(what)' must be a mapping of `train`'s settings (e.g. `model: mlp5`)") }
        return try m.map { (k, v) in let key = try scalarKey(k); return (key, try entry(v, key: key)) }
    }

    private func seedList(_ n: Node, _ what: String) throws -> [UInt64] {
        guard case .sequence(let seq) = n, !seq.isEmpty else { throw error(n, "'\(what)' must be a non-empty list of seeds (e.g. `[1, 2, 3]`)") }
        let seeds = try seq.map { item -> UInt64 in
            guard case .scalar(let s) = item, s.string.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt64(s.string) else {
                throw error(item, "'\(what)': a seed is a whole number from 0 to \(UInt64.max)")
            }
            return v
        }
        guard Set(seeds).count == seeds.count else { throw error(n, "'\(what)' lists a seed twice") }
        return seeds
    }

    private func panel(_ n: Node) throws -> (SweepPanel, [String]?, Int) {
        guard case .mapping(let m) = n else { throw error(n, "a panel is a mapping with id, title and claim") }
        var id: String?, title: String?, reference: String?, claim: SweepClaim?, conditions: [String]?
        for (k, v) in m {
            switch try scalarKey(k) {
            case "id": id = try plain(v, "id")
            case "title": title = try plain(v, "title")
            case "reference": reference = try plain(v, "reference")
            case "claim":
                let s = try plain(v, "claim")
                guard let c = SweepClaim(rawValue: s) else {
                    throw error(v, "'claim' must be one of \(SweepClaim.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
                }
                claim = c
            case "conditions":
                guard case .sequence(let seq) = v, !seq.isEmpty else { throw error(v, "'conditions' must be a non-empty list of condition names") }
                conditions = try seq.map { try plain($0, "conditions") }
            case let other: throw error(k, "unknown key '\(other)' in a panel; a panel has id, title, reference, claim, conditions")
            }
        }
        guard let id, let title, let claim else { throw error(n, "a panel needs id, title and claim") }
        if claim != .heavyTailed && reference == nil { throw error(n, "panel '\(id)': claim '\(claim.rawValue)' compares with a reference condition; add `reference: …`") }
        return (SweepPanel(id: id, title: title, reference: reference, claim: claim), conditions, line(n))
    }
}
