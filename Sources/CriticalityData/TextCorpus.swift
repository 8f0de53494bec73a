import CriticalityCore
import Foundation

/// Character-level text datasets for the Transformer (SI S5): the authors' pangram, and any UTF-8 text.
public enum TextCorpus {
    /// The authors' training text (authors-code-notes.md §1.1): one 35-letter pangram without spaces,
    /// repeated 100 times — 3,500 characters, no file.
    public static let pangramText = String(repeating: "thequickbrownfoxjumpsoverthelazydog", count: 100)
    /// The authors' model vocabulary, a hard constant `VOCAB_SIZE = 50` of which the pangram uses 26
    /// (a…z → 0…25); rows 26–49 of the embedding never receive a gradient.
    public static let pangramVocabulary = 50
    /// The default corpus of `--dataset text`: Debian's `fortunes` package (2.6 MB of English quotations
    /// in 43 files), read as one text (`readText` of a folder).
    public static let defaultTextPath = "/usr/share/games/fortunes"
    /// The share of a text (its end) held out for validation, and its cap in characters: enough windows
    /// for a stable validation loss at a cost of a few seconds per evaluation.
    public static let validationFraction = 0.1
    public static let validationCap = 100_000

    /// How a text becomes tokens.
    public enum Vocabulary: String, Codable, CaseIterable, Sendable {
        /// The distinct Unicode scalars of the text, in scalar order (the authors' `sorted(set(text))`).
        case characters
        /// The 256 byte values of its UTF-8 encoding.
        case bytes
    }

    /// The authors' dataset: windows of `context` with stride 1 (3,450 at context 50). The pangram has
    /// no held-out part; its "test" set is the same text in non-overlapping windows, so evaluating it
    /// costs a fraction of an epoch.
    public static func pangram(context: Int) throws -> DatasetPair {
        let alphabet = Array(Set(pangramText.unicodeScalars)).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($0.element, Int32($0.offset)) })
        let tokens = pangramText.unicodeScalars.map { index[$0]! }
        guard context >= 1, tokens.count > context else {
            throw CriticalityError(.invalidArgument, "the pangram has \(tokens.count) characters; a context of \(context) needs at least \(context + 1)")
        }
        return DatasetPair(train: Dataset(name: "pangram", windows: TokenWindows(tokens: tokens, context: context), vocabulary: pangramVocabulary),
                           test: Dataset(name: "pangram", windows: TokenWindows(tokens: tokens, context: context, stride: context), vocabulary: pangramVocabulary))
    }

    /// A text's training windows (stride 1) and validation windows (its last `validationFraction`, at most
    /// `validationCap` tokens, in non-overlapping windows). Errors name the file: empty, invalid UTF-8
    /// (with the byte offset), or too short for one window in each part.
    public static func load(path: String, context: Int, vocabulary: Vocabulary) throws -> DatasetPair {
        let bytes = try readText(path)
        let name = "text:" + (path as NSString).lastPathComponent
        var tokens: [Int32]
        var alphabetSize: Int
        switch vocabulary {
        case .bytes:
            tokens = bytes.map { Int32($0) }
            alphabetSize = 256
        case .characters:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CriticalityError(.corruptFile, "\(path) is not valid UTF-8 (first bad byte at offset \(firstInvalidUTF8Offset(bytes))); convert it (e.g. `iconv -f latin1 -t utf-8`) or use the byte vocabulary")
            }
            let alphabet = Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value }
            let index = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($0.element, Int32($0.offset)) })
            tokens = text.unicodeScalars.map { index[$0]! }
            alphabetSize = alphabet.count
        }
        let validation = min(validationCap, Int(Double(tokens.count) * validationFraction))
        let needed = 10 * (context + 1)
        guard tokens.count >= needed, validation > context else {
            throw CriticalityError(.invalidArgument, "\(path) has \(tokens.count) \(vocabulary == .bytes ? "bytes" : "characters"); training and validation windows of \(context) need at least \(needed). Use a longer text or a shorter context")
        }
        let trainTokens = Array(tokens[..<(tokens.count - validation)])
        let validationTokens = Array(tokens[(tokens.count - validation)...])
        return DatasetPair(train: Dataset(name: name, windows: TokenWindows(tokens: trainTokens, context: context), vocabulary: alphabetSize),
                           test: Dataset(name: name + " (validation)", windows: TokenWindows(tokens: validationTokens, context: context, stride: context),
                                         vocabulary: alphabetSize))
    }

    /// The bytes of a file, or of a folder's text files joined in name order: every regular file (not a
    /// symbolic link) whose name has no extension — in the `fortunes` package, the 43 collections without
    /// their `.dat` indexes and `.u8` links.
    public static func readText(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let hint = path == defaultTextPath ? "install it with `apt-get install fortunes`, or pass a text file" : "check the path"
            throw CriticalityError(.fileNotFound, "text \(path) does not exist; \(hint)")
        }
        var files = [path]
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.sorted().filter { !$0.contains(".") }.map { path + "/" + $0 }.filter { file in
                guard let a = try? FileManager.default.attributesOfItem(atPath: file) else { return false }
                return (a[.type] as? FileAttributeType) == .typeRegular
            }
            guard !files.isEmpty else {
                throw CriticalityError(.invalidArgument, "folder \(path) holds no text files (regular files without an extension); pass a text file")
            }
        }
        var bytes: [UInt8] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CriticalityError(.io, "cannot read \(file); check its permissions")
            }
            bytes.append(contentsOf: data)
        }
        guard !bytes.isEmpty else { throw CriticalityError(.invalidArgument, "text \(path) is empty; pass a file with text in it") }
        return bytes
    }

    /// −Σ_v p_v ln p_v of the tokens' frequencies, in nats (0 for an empty stream).
    public static func unigramEntropy(_ tokens: [Int32], vocabulary: Int) -> Double {
        var counts = [Int](repeating: 0, count: vocabulary)
        for t in tokens { counts[Int(t)] += 1 }
        let n = Double(tokens.count)
        return counts.reduce(0.0) { h, c in c == 0 ? h : h - Double(c) / n * log(Double(c) / n) }
    }

    /// The offset of the first byte at which `bytes` stops being valid UTF-8 (`bytes.count` if it does not).
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }
}
