#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A timestamp as Go's `time.Time` marshals it: seconds, nanoseconds and the zone offset to print.
///
/// Text form is RFC 3339 with nanoseconds (trailing zeros trimmed) and `Z` or `±hh:mm`.
package struct GoTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Seconds since the Unix epoch (UTC).
    package var seconds: Int64
    /// Nanoseconds within the second, 0..<1e9.
    package var nanoseconds: Int32
    /// Offset of the zone it is printed in, in seconds east of UTC.
    package var utcOffset: Int32

    package init(seconds: Int64, nanoseconds: Int32, utcOffset: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.utcOffset = utcOffset
    }

    /// A timestamp in the process's local time zone, as Go's `time.Unix` gives.
    package static func local(seconds: Int64, nanoseconds: Int32) -> GoTime {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        return GoTime(seconds: seconds, nanoseconds: nanoseconds, utcOffset: Int32(parts.tm_gmtoff))
    }

    /// The current time in the local zone.
    package static func now() -> GoTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return local(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    package static func < (a: GoTime, b: GoTime) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    /// Equal instants, ignoring the zone.
    func sameInstant(_ other: GoTime) -> Bool { seconds == other.seconds && nanoseconds == other.nanoseconds }

    /// Civil date-time fields in the stored zone.
    var civil: (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let local = seconds + Int64(utcOffset)
        var days = local / 86400
        var rem = local % 86400
        if rem < 0 {
            rem += 86400
            days -= 1
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, Int(m), Int(d), Int(rem / 3600), Int(rem % 3600 / 60), Int(rem % 60))
    }

    /// RFC 3339 with trimmed nanoseconds, as Go's `MarshalJSON` (without quotes).
    package var description: String {
        let c = civil
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out =
            "\(pad(Int(c.year), 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        if nanoseconds != 0 {
            var frac = pad(Int(nanoseconds), 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        if utcOffset == 0 {
            out += "Z"
        } else {
            let off = abs(Int(utcOffset)) / 60
            out += (utcOffset < 0 ? "-" : "+") + pad(off / 60, 2) + ":" + pad(off % 60, 2)
        }
        return out
    }

    /// Parses RFC 3339 (with optional fraction), as written by Go.
    package init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for k in from..<(from + len) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        guard b.count >= 20, let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
            let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2)
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // days_from_civil
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let local = days * 86400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(seconds: local - Int64(offset), nanoseconds: Int32(nanos), utcOffset: Int32(offset))
    }
}
