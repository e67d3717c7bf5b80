extension Quantity: CustomStringConvertible {
    /// The canonical form, as apimachinery's `Quantity.String()` writes it.
    ///
    /// Decimal values use the largest exponent that is a multiple of 3 and keeps the digits whole,
    /// with an SI suffix (`n u m k M G T P E`) or, past those, exponent notation ("1e21").
    /// Binary values with magnitude ≥ 1024 that are whole numbers use the largest IEC suffix that
    /// divides them ("1536Mi"); others fall back to decimal ("5", "1126400m").
    public var description: String {
        if mantissa == 0 { return "0" }
        var effective = format
        if format == .binarySI {
            if compare(to: Quantity(1024)) < 0 && compare(to: Quantity(-1024)) > 0 {
                effective = .decimalSI
            } else if let binary = binaryForm() {
                return binary
            } else if exponent < 0 {
                effective = .decimalSI
            } else {
                // Past "Ei" (or too large for the binary form): exact decimal in exponent notation.
                effective = .decimalExponent
            }
        }
        return decimalForm(format: effective)
    }

    /// Writes the value as digits plus a binary suffix, or nil if it is not a whole number or has
    /// more factors of 1024 than "Ei" covers.
    private func binaryForm() -> String? {
        guard exponent >= 0, let whole = exactInt128 else { return nil }
        var value = whole.magnitude
        var times = 0
        while value >= 1024, value % 1024 == 0 {
            value /= 1024
            times += 1
        }
        let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        guard times < suffixes.count else { return nil }
        return (mantissa < 0 ? "-" : "") + String(value) + suffixes[times]
    }

    private var exactInt128: Int128? {
        guard exponent >= 0, exponent <= 38 else { return nil }
        let (v, overflow) = mantissa.multipliedReportingOverflow(by: Quantity.powerOfTen(exponent))
        return overflow ? nil : v
    }

    private func decimalForm(format: Format) -> String {
        var digits = String(mantissa.magnitude)
        var e = exponent
        // Move the exponent down to a multiple of 3.
        let remainder = ((e % 3) + 3) % 3
        digits += String(repeating: "0", count: remainder)
        e -= remainder
        let sign = mantissa < 0 ? "-" : ""
        switch format {
        case .decimalExponent, .binarySI:
            return sign + digits + (e == 0 ? "" : "e\(e)")
        case .decimalSI:
            let suffix: String? =
                switch e {
                case -9: "n"
                case -6: "u"
                case -3: "m"
                case 0: ""
                case 3: "k"
                case 6: "M"
                case 9: "G"
                case 12: "T"
                case 15: "P"
                case 18: "E"
                default: nil
                }
            return sign + digits + (suffix ?? "e\(e)")
        }
    }
}
