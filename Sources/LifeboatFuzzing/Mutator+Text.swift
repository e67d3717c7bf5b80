/// Structure-aware mutations for text formats (JSON, YAML, selectors): they find a value-looking token by a
/// light scan (a quoted string, a number, a literal) and replace it, so that the result mostly still tokenizes
/// and reaches the parser's semantic checks instead of its first syntax check.
extension Mutator {
    static let replacementValues: [String] = [
        "\"\"", "\"x\"", "0", "-1", "1.5", "true", "false", "null", "[]", "{}", "[null]", "{\"\":null}",
        "\"\\u0000\"", "\"\\ud800\"", "1e400", "-0", "[[],[{}]]",
    ]

    static let interestingNumbers: [String] = [
        "0", "-0", "-1", "1", "255", "256", "2147483647", "2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "1e308", "1e309", "-1e309", "0.0000001", "1E-400",
        "123456789012345678901234567890", "0x10", "1_000", "+5", ".5", "5.", "NaN", "Infinity",
    ]

    static let interestingTexts: [String] = [
        "\u{0}", "\u{FEFF}", "\u{FFFD}", "é", "\u{10FFFF}", "\\", "\"", "'", "\n", "\r\n", "\t", " ", ":", ",",
        "=", "!", "!=", "==", "in (", ")", "notin", "~", "&a", "*a", "<<: *a", "---", "...", "? ", "- ", "|", ">",
        "%YAML 1.1\n", "!!binary ", "!!str ", "{{", "}}", "[[", "]]", "/", "//", "~1", "~0", "..", "*", "?",
    ]

    /// Positions `(start, end)` of value-looking tokens: quoted strings, numbers, and `true`/`false`/`null`.
    func valueTokens(_ data: [UInt8]) -> [Range<Int>] {
        var tokens: [Range<Int>] = []
        var i = 0
        while i < data.count && tokens.count < 4096 {
            let c = data[i]
            if c == UInt8(ascii: "\"") {
                var j = i + 1
                while j < data.count && data[j] != UInt8(ascii: "\"") { j += data[j] == UInt8(ascii: "\\") ? 2 : 1 }
                let end = min(j + 1, data.count)
                tokens.append(i..<end)
                i = end
            } else if c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                var j = i + 1
                while j < data.count, Self.isNumberByte(data[j]) { j += 1 }
                tokens.append(i..<j)
                i = j
            } else if c == UInt8(ascii: "t") || c == UInt8(ascii: "f") || c == UInt8(ascii: "n") {
                var j = i
                while j < data.count, data[j] >= UInt8(ascii: "a"), data[j] <= UInt8(ascii: "z") { j += 1 }
                let word = String(decoding: data[i..<j], as: UTF8.self)
                if word == "true" || word == "false" || word == "null" { tokens.append(i..<j) }
                i = max(j, i + 1)
            } else {
                i += 1
            }
        }
        return tokens
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e")
            || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }

    /// Replaces a value with one of another JSON type (`"x"` → `[]`, `3` → `"3"`, `true` → `{}`…).
    func swapValueType(_ data: inout [UInt8], random: inout FuzzRandom) {
        let tokens = valueTokens(data)
        guard !tokens.isEmpty else { return insertInterestingText(&data, random: &random) }
        let token = random.pick(tokens)
        var replacement = random.pick(Self.replacementValues)
        if random.chance(0.2) {
            // The same text with or without quotes: "3" <-> 3.
            let text = String(decoding: data[token], as: UTF8.self)
            replacement = text.hasPrefix("\"") ? String(text.dropFirst().dropLast()) : "\"\(text)\""
        }
        data.replaceSubrange(token, with: Array(replacement.utf8))
    }

    /// Wraps a point of the input in thousands of `[`/`{"a":` levels (closed or not).
    func nestDeeply(_ data: inout [UInt8], random: inout FuzzRandom) {
        let depth = random.pick([64, 513, 1_000, 5_000, 20_000, 100_000])
        let at = random.below(data.count + 1)
        let (open, close): (String, String) =
            switch random.below(4) {
            case 0: ("[", "]")
            case 1: ("{\"a\":", "}")
            case 2: ("- ", "")
            default: ("{a: ", "}")
            }
        var opening = [UInt8]()
        opening.reserveCapacity(depth * open.utf8.count)
        for _ in 0..<depth { opening.append(contentsOf: open.utf8) }
        var closing = [UInt8]()
        if random.chance(0.7) {
            closing.append(UInt8(ascii: "1"))
            for _ in 0..<depth { closing.append(contentsOf: close.utf8) }
        }
        data.insert(contentsOf: opening + closing, at: at)
    }

    /// Replaces a number with an interesting one (limits, overflows, exponents) or a very long digit run.
    func replaceNumber(_ data: inout [UInt8], random: inout FuzzRandom) {
        let numbers = valueTokens(data).filter {
            let first = data[$0.lowerBound]
            return first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        }
        var replacement = random.pick(Self.interestingNumbers)
        if random.chance(0.2) { replacement = String(repeating: "9", count: 1 + random.below(5_000)) }
        if random.chance(0.1) { replacement = "1e" + String(repeating: "9", count: 1 + random.below(40)) }
        guard !numbers.isEmpty else {
            return data.insert(contentsOf: Array(replacement.utf8), at: random.below(data.count + 1))
        }
        data.replaceSubrange(random.pick(numbers), with: Array(replacement.utf8))
    }

    /// Inserts a long run of one character (up to 1 MiB in total with the input).
    func insertLongString(_ data: inout [UInt8], random: inout FuzzRandom) {
        let length = random.pick([100, 1_000, 70_000, 300_000])
        let byte = random.pick(Array("aZ9 .-/\\\"{[\u{7f}".utf8) + [0xc3, 0xff])
        data.insert(contentsOf: [UInt8](repeating: byte, count: length), at: random.below(data.count + 1))
    }

    /// Replaces a quoted string's content with an interesting text.
    func replaceStringValue(_ data: inout [UInt8], random: inout FuzzRandom) {
        let strings = valueTokens(data).filter { data[$0.lowerBound] == UInt8(ascii: "\"") && $0.count >= 2 }
        guard !strings.isEmpty else { return insertInterestingText(&data, random: &random) }
        let token = random.pick(strings)
        let inner = (token.lowerBound + 1)..<(token.upperBound - 1)
        var text = random.pick(Self.interestingTexts)
        if !dictionary.isEmpty && random.chance(0.5) { text = String(decoding: random.pick(dictionary), as: UTF8.self) }
        if random.chance(0.3) { text = String(repeating: text, count: 1 + random.below(300)) }
        data.replaceSubrange(inner, with: Array(text.utf8))
    }

    /// Inserts a character or fragment that text parsers treat specially.
    func insertInterestingText(_ data: inout [UInt8], random: inout FuzzRandom) {
        let text = random.pick(Self.interestingTexts)
        data.insert(contentsOf: Array(text.utf8), at: random.below(data.count + 1))
    }

    /// Replaces a YAML value with a list of anchored lists, each referring to the previous one several times
    /// (`[&a0 [x], &a1 [*a0, *a0], &a2 [*a1, *a1], …]`): small text whose aliases expand to a large tree.
    func insertAliasChain(_ data: inout [UInt8], random: inout FuzzRandom) {
        let levels = 2 + random.below(12)
        let fanOut = 2 + random.below(9)
        var text = "[&a0 [x]"
        for level in 1..<levels {
            let refs = Array(repeating: "*a\(level - 1)", count: fanOut).joined(separator: ", ")
            text += ", &a\(level) [\(refs)]"
        }
        text += "]"
        let values = valueTokens(data)
        if let token = values.isEmpty ? nil : random.pick(values) {
            data.replaceSubrange(token, with: Array(text.utf8))
        } else {
            data.insert(contentsOf: Array(text.utf8), at: random.below(data.count + 1))
        }
    }
}
