/// A Kubernetes resource quantity (`k8s.io/apimachinery/pkg/api/resource.Quantity`): "500m", "1.5Gi", "1e3".
///
/// The value is an exact decimal `mantissa × 10^exponent`. Parsing follows apimachinery's `ParseQuantity`
/// exactly: optional sign, digits with an optional decimal point, then a suffix that is binary
/// (`Ki Mi Gi Ti Pi Ei`), decimal SI (`n u m "" k M G T P E`) or a decimal exponent (`e3`, `E-3`, `e+6`).
/// Values finer than 1n are rounded up (away from zero) to 1n; binary values are capped at 2⁶³−1.
/// ``description`` is apimachinery's canonical form (`String()`): no fractional digits, the largest
/// suffix that loses no precision, the sign only when negative ("1.5" → "1500m", "1.5Gi" → "1536Mi").
///
/// Equality, hashing and ordering compare values only ("1Gi" == "1024Mi"); ``format`` is presentation.
///
/// ```swift
/// let q = try Quantity(parsing: "1.5Gi")
/// q.description   // "1536Mi"
/// q.value         // 1610612736
/// q < (try Quantity(parsing: "2G"))  // true
/// ```
public struct Quantity: Sendable {
    /// How a quantity is written (apimachinery's `Format`).
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// Powers of ten with SI suffixes: "500m", "2k", "1G".
        case decimalSI = "DecimalSI"
        /// Powers of two with IEC suffixes: "512Ki", "1Gi".
        case binarySI = "BinarySI"
        /// Powers of ten written as exponents: "1e3", "5e-3".
        case decimalExponent = "DecimalExponent"
    }

    /// The significant digits with their sign; has no trailing zero digit unless it is zero.
    package let mantissa: Int128
    /// The power of ten the mantissa is multiplied by (0 for zero).
    package let exponent: Int
    /// How ``description`` writes the value.
    public let format: Format

    /// Creates a quantity `mantissa × 10^exponent` (normalized), written in `format`.
    package init(mantissa: Int128, exponent: Int, format: Format) {
        var m = mantissa
        var e = exponent
        if m == 0 {
            e = 0
        } else {
            while m % 10 == 0 {
                m /= 10
                e += 1
            }
        }
        self.mantissa = m
        self.exponent = e
        self.format = format
    }

    /// A whole number, e.g. a byte count or a CPU count.
    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(mantissa: Int128(value), exponent: 0, format: format)
    }

    /// A number of thousandths ("milli" units, e.g. millicores): `Quantity(milli: 1500)` is "1500m".
    public init(milli: Int64, format: Format = .decimalSI) {
        self.init(mantissa: Int128(milli), exponent: -3, format: format)
    }

    /// Zero ("0").
    public static let zero = Quantity(0)

    /// Whether the value is zero.
    public var isZero: Bool { mantissa == 0 }

    /// -1, 0 or 1.
    public var sign: Int { mantissa == 0 ? 0 : (mantissa < 0 ? -1 : 1) }

    /// The same value with the opposite sign.
    public var negated: Quantity { Quantity(mantissa: -mantissa, exponent: exponent, format: format) }
}

// MARK: - Values

extension Quantity {
    /// The value rounded up (away from zero) to a whole number, saturating at the `Int64` bounds
    /// (apimachinery's `Value()`); for memory and storage this is the number of bytes.
    public var value: Int64 { scaledValue(exponent: 0) }

    /// The value in thousandths, rounded up (away from zero), saturating (apimachinery's `MilliValue()`).
    public var milliValue: Int64 { scaledValue(exponent: -3) }

    /// The value in units of `10^exponent`, rounded up (away from zero), saturating at the `Int64` bounds.
    public func scaledValue(exponent target: Int) -> Int64 {
        if mantissa == 0 { return 0 }
        let negative = mantissa < 0
        let magnitude = mantissa.magnitude
        let shift = exponent - target
        var result: UInt128
        if shift >= 0 {
            result = magnitude
            for _ in 0..<min(shift, 40) {
                let (r, overflow) = result.multipliedReportingOverflow(by: 10)
                if overflow {
                    result = UInt128.max
                    break
                }
                result = r
            }
            if shift > 40 { result = UInt128.max }
        } else {
            let drop = -shift
            if drop > 38 {
                result = 1
            } else {
                let divisor = Quantity.powerOfTen(drop)
                result = magnitude / UInt128(divisor)
                if magnitude % UInt128(divisor) != 0 { result += 1 }
            }
        }
        if negative {
            return result > UInt128(Int64.max) + 1 ? Int64.min : Int64(truncatingIfNeeded: 0 &- result)
        }
        return result > UInt128(Int64.max) ? Int64.max : Int64(result)
    }

    /// The value exactly as an `Int64`, or nil when it has a fractional part or does not fit.
    public var exactInt64: Int64? {
        guard exponent >= 0 else { return nil }
        var v = mantissa
        for _ in 0..<exponent {
            let (r, o) = v.multipliedReportingOverflow(by: 10)
            if o { return nil }
            v = r
        }
        return Int64(exactly: v)
    }

    /// The value as a `Double` (approximate).
    public var doubleValue: Double {
        Double(mantissa) * pow10(exponent)
    }

    private func pow10(_ e: Int) -> Double {
        var result = 1.0
        let base = e < 0 ? 0.1 : 10.0
        for _ in 0..<min(abs(e), 400) { result *= base }
        return result
    }

    /// 10^n for 0 ≤ n ≤ 38.
    static func powerOfTen(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }
}

// MARK: - Comparison

extension Quantity: Comparable, Hashable {
    public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.mantissa == rhs.mantissa && lhs.exponent == rhs.exponent
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(mantissa)
        hasher.combine(exponent)
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.compare(to: rhs) < 0
    }

    /// -1, 0 or 1 as this value is less than, equal to or greater than `other` (apimachinery's `Cmp`).
    public func compare(to other: Quantity) -> Int {
        if sign != other.sign { return sign < other.sign ? -1 : 1 }
        if sign == 0 { return 0 }
        let magnitudeOrder = Quantity.compareMagnitudes(self, other)
        return sign > 0 ? magnitudeOrder : -magnitudeOrder
    }

    private static func compareMagnitudes(_ a: Quantity, _ b: Quantity) -> Int {
        let da = String(a.mantissa.magnitude)
        let db = String(b.mantissa.magnitude)
        // Position of the most significant digit.
        let ta = da.count + a.exponent
        let tb = db.count + b.exponent
        if ta != tb { return ta < tb ? -1 : 1 }
        // Same magnitude order: compare the digit strings, padded to equal length.
        let length = max(da.count, db.count)
        let pa = da + String(repeating: "0", count: length - da.count)
        let pb = db + String(repeating: "0", count: length - db.count)
        if pa == pb { return 0 }
        return pa < pb ? -1 : 1
    }
}
