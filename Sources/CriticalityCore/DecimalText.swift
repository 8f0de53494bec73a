/// Numbers as a person writes them in a CSV cell, a YAML value or a flag: the decimal grammar only,
/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`, plus `nan`, `inf` and `infinity`
/// (any case, signed). Unlike `Double(String)` (C's strtod), it refuses hexadecimal (`0x10`), an
/// embedded NUL (`1.5\0999`, which strtod reads as 1.5) and every other trailing character.
public enum DecimalText {
    public static func double<S: StringProtocol>(_ text: S) -> Double? {
        let s = Array(text.utf8)
        var i = 0
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
        let word = String(decoding: s[i...], as: UTF8.self).lowercased()
        if word == "nan" || word == "inf" || word == "infinity" { return Double(String(decoding: s, as: UTF8.self).lowercased()) }
        func digits() -> Int { let start = i; while i < s.count, s[i] >= 48 && s[i] <= 57 { i += 1 }; return i - start }
        let whole = digits()
        var fraction = 0
        if i < s.count, s[i] == UInt8(ascii: ".") { i += 1; fraction = digits() }
        guard whole + fraction > 0 else { return nil }
        if i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
            i += 1
            if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == s.count else { return nil }
        return Double(String(decoding: s, as: UTF8.self))
    }

    /// A whole number `[+-]? digits` that fits in an Int.
    public static func int<S: StringProtocol>(_ text: S) -> Int? {
        let s = Array(text.utf8)
        let start = (s.first == UInt8(ascii: "+") || s.first == UInt8(ascii: "-")) ? 1 : 0
        guard s.count > start, s[start...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(String(decoding: s, as: UTF8.self))
    }
}
