extension Quantity {
    /// apimachinery's `ErrFormatWrong` text.
    static let formatWrongMessage =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    /// apimachinery's `ErrNumeric` text.
    static let numericMessage = "unable to parse numeric part of quantity"
    /// apimachinery's `ErrSuffix` text.
    static let suffixMessage = "unable to parse quantity's suffix"

    /// Parses a quantity exactly as apimachinery's `ParseQuantity` does.
    ///
    /// - Throws: ``KubeError`` with code `.invalidArgument` and a message naming the value, e.g.
    ///   `cannot parse quantity "1x": unable to parse quantity's suffix`.
    public init(parsing text: String) throws {
        func fail(_ reason: String) -> KubeError {
            KubeError(code: .invalidArgument, message: "cannot parse quantity \"\(text)\": \(reason)")
        }
        if text.isEmpty { throw fail(Quantity.formatWrongMessage) }
        guard let parts = Quantity.split(Array(text.utf8)) else { throw fail(Quantity.formatWrongMessage) }
        guard let (base, power, format) = Quantity.interpret(suffix: parts.suffix) else {
            throw fail(Quantity.suffixMessage)
        }

        // Significant digits and their decimal exponent.
        var digits = Substring(parts.numerator + parts.denominator)
        while digits.first == "0" { digits = digits.dropFirst() }
        var exp10 = -parts.denominator.count
        while digits.last == "0" {
            digits = digits.dropLast()
            exp10 += 1
        }
        if digits.isEmpty {
            self.init(mantissa: 0, exponent: 0, format: format)
            return
        }
        if base == 10 { exp10 += power }

        // Decimal digits below 1n are rounded up already at the text level, so that long fractions fit.
        var roundUp = false
        if base == 10, exp10 < -9 {
            let drop = -9 - exp10
            if drop >= digits.count {
                digits = "0"
            } else {
                digits = digits.dropLast(drop)
            }
            roundUp = true
            exp10 = -9
        }
        guard digits.count <= 38, var magnitude = Int128(digits) else {
            throw fail(Quantity.numericMessage + " (more than 38 significant digits)")
        }
        if roundUp { magnitude += 1 }

        var resultFormat = format
        if base == 2 {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: Int128(1) << power)
            if overflow {
                // The product exceeds 1.7e38; with exp10 >= -19 the value exceeds 2^63 and is capped below.
                guard exp10 >= -19 else { throw fail(Quantity.numericMessage + " (too many significant digits)") }
                magnitude = Int128(Int64.max)
                exp10 = 0
            } else {
                magnitude = product
            }
            var scaled = Quantity(mantissa: magnitude, exponent: exp10, format: format)
            if scaled.exponent < -9 {
                scaled = scaled.roundedUpToNano()
            }
            let cap = Quantity(Int64.max, format: .binarySI)
            if scaled > cap { scaled = cap }
            if scaled < Quantity(1) { resultFormat = .decimalSI }
            magnitude = scaled.mantissa
            exp10 = scaled.exponent
        }
        self.init(mantissa: parts.positive ? magnitude : -magnitude, exponent: exp10, format: resultFormat)
    }

    /// The value rounded up (away from zero) to a multiple of 1n.
    func roundedUpToNano() -> Quantity {
        guard exponent < -9, mantissa != 0 else { return self }
        let drop = -9 - exponent
        let magnitude = mantissa.magnitude
        var kept: UInt128
        if drop > 38 {
            kept = 1
        } else {
            let divisor = UInt128(Quantity.powerOfTen(drop))
            kept = magnitude / divisor
            if magnitude % divisor != 0 { kept += 1 }
        }
        let signed = Int128(kept)
        return Quantity(mantissa: mantissa < 0 ? -signed : signed, exponent: -9, format: format)
    }

    /// The pieces of a quantity string (apimachinery's `parseQuantityString`), or nil for ErrFormatWrong.
    private static func split(_ s: [UInt8]) -> (positive: Bool, numerator: String, denominator: String, suffix: String)?
    {
        let end = s.count
        var pos = 0
        var positive = true
        if pos < end {
            if s[0] == UInt8(ascii: "-") {
                positive = false
                pos += 1
            } else if s[0] == UInt8(ascii: "+") {
                pos += 1
            }
        }
        while pos < end, s[pos] == UInt8(ascii: "0") { pos += 1 }
        if pos >= end { return (positive, "0", "", "") }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        func text(_ from: Int, _ to: Int) -> String { String(decoding: s[from..<to], as: UTF8.self) }

        var start = pos
        while pos < end, isDigit(s[pos]) { pos += 1 }
        var numerator = text(start, pos)
        if numerator.isEmpty { numerator = "0" }
        if pos >= end { return (positive, numerator, "", "") }

        var denominator = ""
        if s[pos] == UInt8(ascii: ".") {
            pos += 1
            start = pos
            while pos < end, isDigit(s[pos]) { pos += 1 }
            denominator = text(start, pos)
            if pos >= end { return (positive, numerator, denominator, "") }
        }

        let suffixStart = pos
        let suffixLetters = Array("eEinumkKMGTP".utf8)
        while pos < end, suffixLetters.contains(s[pos]) { pos += 1 }
        if pos >= end { return (positive, numerator, denominator, text(suffixStart, end)) }
        if s[pos] == UInt8(ascii: "-") || s[pos] == UInt8(ascii: "+") { pos += 1 }
        while pos < end {
            if !isDigit(s[pos]) { return nil }
            pos += 1
        }
        return (positive, numerator, denominator, text(suffixStart, end))
    }

    /// Base (10 or 2), power and format of a suffix (apimachinery's `suffixHandler.interpret`).
    private static func interpret(suffix: String) -> (base: Int, power: Int, format: Format)? {
        switch suffix {
        case "Ki": return (2, 10, .binarySI)
        case "Mi": return (2, 20, .binarySI)
        case "Gi": return (2, 30, .binarySI)
        case "Ti": return (2, 40, .binarySI)
        case "Pi": return (2, 50, .binarySI)
        case "Ei": return (2, 60, .binarySI)
        case "n": return (10, -9, .decimalSI)
        case "u": return (10, -6, .decimalSI)
        case "m": return (10, -3, .decimalSI)
        case "": return (10, 0, .decimalSI)
        case "k": return (10, 3, .decimalSI)
        case "M": return (10, 6, .decimalSI)
        case "G": return (10, 9, .decimalSI)
        case "T": return (10, 12, .decimalSI)
        case "P": return (10, 15, .decimalSI)
        case "E": return (10, 18, .decimalSI)
        default:
            guard suffix.count > 1, suffix.first == "e" || suffix.first == "E",
                let value = Int64(suffix.dropFirst()), value >= -Int64(Int32.max), value <= Int64(Int32.max)
            else { return nil }
            return (10, Int(value), .decimalExponent)
        }
    }
}
