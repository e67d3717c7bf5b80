package import Foundation

/// RFC 3339 timestamps as Kubernetes writes them (`2026-11-21T17:05:00Z`).
package enum Timestamps {
    /// Formats a date in UTC with second precision.
    package static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(
                .colon
            ).timeZone(separator: .omitted)
        )
    }

    /// Now, formatted.
    package static func now() -> String { format(Date()) }

    /// Parses an RFC 3339 timestamp (with or without fractional seconds).
    package static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Velero's `YYYYMMDDhhmmss` name suffix (Go layout `20060102150405`), in the given time zone.
    package static func nameSuffix(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        return String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day) + two(c.hour) + two(c.minute)
            + two(c.second)
    }
}
