package import Foundation
import Synchronization

/// The text log of a backup or restore, in logrus's text format like Velero's
/// (`time="…" level=info msg="…" backup=velero/name`), uploaded gzipped as `<name>-logs.gz`.
///
/// Thread-safe: the engines log from concurrent tasks.
package final class RunLog: Sendable {
    private let lines = Mutex<[String]>([])
    private let context: String

    /// - Parameter context: the `key=value` that ends every line, e.g. `backup=velero/nightly`.
    package init(context: String) {
        self.context = context
    }

    /// Appends one line.
    package func log(_ level: String = "info", _ message: String, fields: [(String, String)] = []) {
        var line = "time=\"\(Timestamps.now())\" level=\(level) msg=\(Self.quote(message))"
        for (key, value) in fields { line += " \(key)=\(Self.quote(value))" }
        line += " \(context)"
        lines.withLock { $0.append(line) }
    }

    package func info(_ message: String, fields: [(String, String)] = []) { log("info", message, fields: fields) }
    package func warning(_ message: String, fields: [(String, String)] = []) { log("warning", message, fields: fields) }
    package func error(_ message: String, fields: [(String, String)] = []) { log("error", message, fields: fields) }

    /// The whole log as text, one line per entry.
    package var text: String { lines.withLock { $0.joined(separator: "\n") + ($0.isEmpty ? "" : "\n") } }

    private static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" })
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}

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
