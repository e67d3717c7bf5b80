package import Logging
import ObjectStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which snapshots `forget` keeps (restic's `--keep-*` options); snapshots are grouped by host and paths.
package struct ForgetPolicy: Sendable, Hashable {
    package var last = 0
    package var hourly = 0
    package var daily = 0
    package var weekly = 0
    package var monthly = 0
    package var yearly = 0
    package var tags: [String] = []

    package init(
        last: Int = 0,
        hourly: Int = 0,
        daily: Int = 0,
        weekly: Int = 0,
        monthly: Int = 0,
        yearly: Int = 0,
        tags: [String] = []
    ) {
        (self.last, self.hourly, self.daily, self.weekly, self.monthly, self.yearly, self.tags) = (
            last, hourly, daily, weekly, monthly, yearly, tags
        )
    }

    /// True when no rule is set (forget would remove everything; refused).
    package var isEmpty: Bool {
        last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 && tags.isEmpty
    }

    /// Splits snapshots into kept and removed.
    package func apply(_ snapshots: [SnapshotEntry]) -> (keep: [SnapshotEntry], remove: [SnapshotEntry]) {
        var groups: [String: [SnapshotEntry]] = [:]
        for s in snapshots {
            groups[s.snapshot.hostname + "\u{0}" + s.snapshot.paths.sorted().joined(separator: "\u{0}"), default: []]
                .append(s)
        }
        var keep: [SnapshotEntry] = []
        var remove: [SnapshotEntry] = []
        for (_, group) in groups {
            let sorted = group.sorted { $0.snapshot.time > $1.snapshot.time }
            var kept = [Bool](repeating: false, count: sorted.count)
            for i in 0..<min(last, sorted.count) { kept[i] = true }
            for (i, s) in sorted.enumerated() where !tags.isEmpty && !Set(tags).isDisjoint(with: s.snapshot.tags) {
                kept[i] = true
            }
            let buckets: [(Int, (GoTime) -> Int)] = [
                (hourly, { Self.fields($0).hour }), (daily, { Self.fields($0).day }),
                (weekly, { Self.fields($0).week }),
                (monthly, { Self.fields($0).month }), (yearly, { Self.fields($0).year }),
            ]
            for (count, key) in buckets where count > 0 {
                var lastKey: Int?
                var used = 0
                for (i, s) in sorted.enumerated() {
                    let k = key(s.snapshot.time)
                    if k != lastKey {
                        lastKey = k
                        kept[i] = true
                        used += 1
                        if used >= count { break }
                    }
                }
            }
            for (i, s) in sorted.enumerated() { if kept[i] { keep.append(s) } else { remove.append(s) } }
        }
        return (keep, remove)
    }

    /// Bucket keys in the snapshot's own zone.
    static func fields(_ t: GoTime) -> (hour: Int, day: Int, week: Int, month: Int, year: Int) {
        let c = t.civil
        let year = Int(c.year)
        let day = year * 10000 + c.month * 100 + c.day
        let local = t.seconds + Int64(t.utcOffset)
        let days = Int(local >= 0 ? local / 86400 : (local - 86399) / 86400)
        // ISO-like week number: weeks since the epoch starting Monday (1970-01-05 was a Monday).
        let week = (days - 4) >= 0 ? (days - 4) / 7 : (days - 10) / 7
        return (day * 100 + c.hour, day, week, year * 100 + c.month, year)
    }
}

extension Repository {
    /// Removes the snapshots the policy does not keep; returns the removed ones. Data is freed by `prune`.
    package func forget(
        policy: ForgetPolicy,
        hostname: String? = nil,
        dryRun: Bool = false,
        logger: Logger
    ) async throws -> (keep: [SnapshotEntry], remove: [SnapshotEntry]) {
        guard !policy.isEmpty else {
            throw RepositoryError(code: .invalidArgument, message: "forget needs at least one --keep-* option")
        }
        return try await withLock(exclusive: true, logger: logger) {
            var all = try await snapshots()
            if let hostname { all = all.filter { $0.snapshot.hostname == hostname } }
            let result = policy.apply(all)
            if !dryRun {
                for s in result.remove { try await store.delete(objectKey(.snapshots, s.id)) }
            }
            return result
        }
    }
}
