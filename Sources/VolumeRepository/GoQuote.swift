/// Go's `strconv.Quote`/`Unquote` without the outer quotes: how restic stores node names.
///
/// Printable runes stay as they are; `"` and `\` are escaped; control bytes and invalid UTF-8 become
/// `\xNN`; non-printable runes become `\uXXXX`/`\UXXXXXXXX`.
enum GoQuote {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Quotes raw name bytes (result has no surrounding quotes).
    static func quote(_ s: [UInt8]) -> [UInt8] {
        // Fast path: plain printable ASCII without quote or backslash.
        if s.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) { return s }
        var out = [UInt8]()
        out.reserveCapacity(s.count + 8)
        var i = 0
        while i < s.count {
            let (scalar, width) = UTF8Decoding.decode(s, at: i)
            guard let scalar else {
                out += [0x5c, UInt8(ascii: "x"), hex[Int(s[i] >> 4)], hex[Int(s[i] & 0xf)]]
                i += 1
                continue
            }
            let v = scalar.value
            if v == 0x22 || v == 0x5c {
                out += [0x5c, UInt8(v)]
            } else if isPrint(scalar) {
                out += s[i..<(i + width)]
            } else {
                switch v {
                case 0x07: out += [0x5c, UInt8(ascii: "a")]
                case 0x08: out += [0x5c, UInt8(ascii: "b")]
                case 0x0c: out += [0x5c, UInt8(ascii: "f")]
                case 0x0a: out += [0x5c, UInt8(ascii: "n")]
                case 0x0d: out += [0x5c, UInt8(ascii: "r")]
                case 0x09: out += [0x5c, UInt8(ascii: "t")]
                case 0x0b: out += [0x5c, UInt8(ascii: "v")]
                case 0..<0x20, 0x7f:
                    out += [0x5c, UInt8(ascii: "x"), hex[Int(v >> 4)], hex[Int(v & 0xf)]]
                case 0..<0x10000:
                    out += [0x5c, UInt8(ascii: "u")]
                    for shift in stride(from: 12, through: 0, by: -4) {
                        out.append(hex[Int((v >> UInt32(shift)) & 0xf)])
                    }
                default:
                    out += [0x5c, UInt8(ascii: "U")]
                    for shift in stride(from: 28, through: 0, by: -4) {
                        out.append(hex[Int((v >> UInt32(shift)) & 0xf)])
                    }
                }
            }
            i += width
        }
        return out
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
    static func isPrint(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value >= 0x20 && scalar.value < 0x7f }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// Reverses `quote`: decodes Go escapes back to raw bytes. Unknown escapes are kept literally.
    static func unquote(_ s: [UInt8]) -> [UInt8] {
        guard s.contains(0x5c) else { return s }
        var out = [UInt8]()
        out.reserveCapacity(s.count)
        var i = 0
        func hexValue(_ from: Int, _ count: Int) -> UInt32? {
            guard from + count <= s.count else { return nil }
            var v: UInt32 = 0
            for k in from..<(from + count) {
                guard let d = Int(String(UnicodeScalar(s[k])), radix: 16) else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < s.count {
            let b = s[i]
            guard b == 0x5c, i + 1 < s.count else {
                out.append(b)
                i += 1
                continue
            }
            let e = s[i + 1]
            switch e {
            case UInt8(ascii: "a"):
                out.append(0x07)
                i += 2
            case UInt8(ascii: "b"):
                out.append(0x08)
                i += 2
            case UInt8(ascii: "f"):
                out.append(0x0c)
                i += 2
            case UInt8(ascii: "n"):
                out.append(0x0a)
                i += 2
            case UInt8(ascii: "r"):
                out.append(0x0d)
                i += 2
            case UInt8(ascii: "t"):
                out.append(0x09)
                i += 2
            case UInt8(ascii: "v"):
                out.append(0x0b)
                i += 2
            case 0x5c, 0x22, 0x27:
                out.append(e)
                i += 2
            case UInt8(ascii: "x"):
                if let v = hexValue(i + 2, 2) {
                    out.append(UInt8(v))
                    i += 4
                } else {
                    out.append(b)
                    i += 1
                }
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let len = e == UInt8(ascii: "u") ? 4 : 8
                if let v = hexValue(i + 2, len), let scalar = Unicode.Scalar(v) {
                    out += Array(String(Character(scalar)).utf8)
                    i += 2 + len
                } else {
                    out.append(b)
                    i += 1
                }
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                if i + 4 <= s.count {
                    let digits = s[(i + 1)...(i + 3)]
                    if digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                        let v = digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
                        out.append(UInt8(truncatingIfNeeded: v))
                        i += 4
                        continue
                    }
                }
                out.append(b)
                i += 1
            default:
                out.append(b)
                i += 1
            }
        }
        return out
    }
}
