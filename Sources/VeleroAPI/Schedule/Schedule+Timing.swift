package import Foundation

extension Schedule {
    /// The name of the Backup this schedule creates at `date`: `<schedule>-<yyyyMMddHHmmss>` in UTC (Velero's
    /// `TimestampedName`).
    package func timestampedName(at date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(metadata.name ?? "")-\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))"
            + "\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))"
    }

    /// Velero's `getNextRunTime`: the next activation after the last backup (else the schedule's creation, or
    /// the last skipped tick when later), and whether it is due at `now` (strictly after it).
    package func nextRun(of cron: CronSchedule, now: Date) -> (due: Bool, next: Date?) {
        var last = Self.date(status?.lastBackup) ?? Self.date(metadata.creationTimestamp) ?? now
        if let skipped = Self.date(status?.lastSkipped), skipped > last { last = skipped }
        guard let next = cron.next(after: last) else { return (false, nil) }
        return (now > next, next)
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
