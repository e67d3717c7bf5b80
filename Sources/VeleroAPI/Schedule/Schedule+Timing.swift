package import Foundation

extension Schedule {
    /// The name of the Backup this schedule creates at `date`: `<schedule>-<yyyyMMddHHmmss>` in UTC (Velero's
    /// `TimestampedName`).
    package func timestampedName(at date: Date) -> String {
        "\(metadata.name ?? "")-\(Timestamps.nameSuffix(date, timeZone: TimeZone(identifier: "UTC") ?? .current))"
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
        text.flatMap(Timestamps.parse)
    }
}
