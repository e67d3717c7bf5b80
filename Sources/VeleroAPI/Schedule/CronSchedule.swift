package import Foundation

/// A Schedule's `spec.schedule`, parsed and stepped exactly as Velero's server does it with robfig/cron v3's
/// `ParseStandard`: five fields (minute, hour, day of month, month, day of week) with `*`, `?`, lists, ranges,
/// steps and month/day names; the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/
/// `@midnight`, `@hourly` and `@every <Go duration>`; an optional `TZ=Zone ` or `CRON_TZ=Zone ` prefix.
/// Without a prefix the schedule runs in UTC (Velero's server image runs with UTC as its local time).
///
/// ```swift
/// let schedule = try CronSchedule(parsing: "0 */6 * * *")
/// schedule.next(after: lastBackup)   // the next 00:00, 06:00, 12:00 or 18:00 UTC
/// ```
package struct CronSchedule: Sendable, Hashable {
    /// Why an expression does not parse: robfig/cron's message (Velero prefixes it with `invalid schedule: `).
    package struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    enum Kind: Sendable, Hashable {
        /// Bit sets per field; bit 63 marks a field written as `*` or `?`.
        case fields(minute: UInt64, hour: UInt64, dayOfMonth: UInt64, month: UInt64, dayOfWeek: UInt64)
        /// `@every`: whole seconds.
        case every(seconds: Int64)
    }

    let kind: Kind
    let timeZone: TimeZone

    static let starBit: UInt64 = 1 << 63

    /// Parses an expression.
    ///
    /// - Throws: ``ParseError`` with robfig/cron's message.
    package init(parsing text: String) throws(ParseError) {
        guard !text.isEmpty else { throw ParseError(message: "empty spec string") }
        var spec = Substring(text)
        var zone = TimeZone(identifier: "UTC") ?? .current
        if spec.hasPrefix("TZ=") || spec.hasPrefix("CRON_TZ=") {
            guard let space = spec.firstIndex(of: " "), let equals = spec.firstIndex(of: "=") else {
                throw ParseError(message: "provided bad location \(spec.drop { $0 != "=" }.dropFirst())")
            }
            let name = String(spec[spec.index(after: equals)..<space])
            guard let named = TimeZone(identifier: name) else {
                throw ParseError(message: "provided bad location \(name): unknown time zone \(name)")
            }
            zone = named
            spec = spec[space...].drop { $0 == " " }
        }
        timeZone = zone
        if spec.hasPrefix("@") {
            kind = try Self.descriptor(String(spec))
            return
        }
        let fields = spec.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                message: "expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]"
            )
        }
        kind = .fields(
            minute: try Self.field(fields[0], Self.minutes),
            hour: try Self.field(fields[1], Self.hours),
            dayOfMonth: try Self.field(fields[2], Self.daysOfMonth),
            month: try Self.field(fields[3], Self.months),
            dayOfWeek: try Self.field(fields[4], Self.daysOfWeek)
        )
    }

    /// The first activation strictly after `date` (Velero's `cronSchedule.Next(lastBackupTime)`); `nil` when
    /// none falls within five years (e.g. `0 0 30 2 *`).
    package func next(after date: Date) -> Date? {
        switch kind {
        case .every(let seconds):
            // ConstantDelaySchedule.Next: t + delay, dropping t's fractional second.
            return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(seconds))
        case .fields(let minute, let hour, let dayOfMonth, let month, let dayOfWeek):
            return nextActivation(
                after: date,
                minute: minute,
                hour: hour,
                dayOfMonth: dayOfMonth,
                month: month,
                dayOfWeek: dayOfWeek
            )
        }
    }

    // MARK: - Stepping (SpecSchedule.Next)

    private func nextActivation(
        after date: Date,
        minute: UInt64,
        hour: UInt64,
        dayOfMonth: UInt64,
        month: UInt64,
        dayOfWeek: UInt64
    ) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Start at the next whole second; seconds are always 0 in the standard format.
        var t = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + 1)
        let yearLimit = calendar.component(.year, from: t) + 5
        var added = false
        func parts(_ d: Date) -> DateComponents {
            calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: d)
        }
        func make(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> Date {
            calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: 0)) ?? t
        }
        func add(_ component: Calendar.Component, _ value: Int, to d: Date) -> Date {
            calendar.date(byAdding: component, value: value, to: d) ?? d.addingTimeInterval(60)
        }
        wrap: while true {
            var c = parts(t)
            if (c.year ?? 0) > yearLimit { return nil }
            while (1 << UInt64(c.month ?? 1)) & month == 0 {
                if !added {
                    added = true
                    t = make(c.year ?? 0, c.month ?? 1, 1)
                }
                t = add(.month, 1, to: t)
                c = parts(t)
                if c.month == 1 { continue wrap }
            }
            while !Self.dayMatches(c, dayOfMonth: dayOfMonth, dayOfWeek: dayOfWeek) {
                if !added {
                    added = true
                    t = make(c.year ?? 0, c.month ?? 1, c.day ?? 1)
                }
                t = add(.day, 1, to: t)
                c = parts(t)
                if let h = c.hour, h != 0 {  // a DST change moved midnight
                    t = h > 12 ? t.addingTimeInterval(Double(24 - h) * 3600) : t.addingTimeInterval(-Double(h) * 3600)
                    c = parts(t)
                }
                if c.day == 1 { continue wrap }
            }
            while (1 << UInt64(c.hour ?? 0)) & hour == 0 {
                if !added {
                    added = true
                    t = make(c.year ?? 0, c.month ?? 1, c.day ?? 1, c.hour ?? 0)
                }
                t = t.addingTimeInterval(3600)
                c = parts(t)
                if c.hour == 0 { continue wrap }
            }
            while (1 << UInt64(c.minute ?? 0)) & minute == 0 {
                if !added {
                    added = true
                    t = Date(timeIntervalSince1970: (t.timeIntervalSince1970 / 60).rounded(.down) * 60)
                }
                t = t.addingTimeInterval(60)
                c = parts(t)
                if c.minute == 0 { continue wrap }
            }
            while c.second != 0 {
                if !added {
                    added = true
                    t = Date(timeIntervalSince1970: t.timeIntervalSince1970.rounded(.down))
                }
                t = t.addingTimeInterval(1)
                c = parts(t)
                if c.second == 0 { continue wrap }
            }
            return t
        }
    }

    /// Day of month and day of week combine with AND when either is `*`/`?`, else with OR (as cron does).
    private static func dayMatches(_ c: DateComponents, dayOfMonth: UInt64, dayOfWeek: UInt64) -> Bool {
        let domMatch = (1 << UInt64(c.day ?? 1)) & dayOfMonth != 0
        let dowMatch = (1 << UInt64((c.weekday ?? 1) - 1)) & dayOfWeek != 0
        if dayOfMonth & starBit != 0 || dayOfWeek & starBit != 0 { return domMatch && dowMatch }
        return domMatch || dowMatch
    }
}
