import Foundation
import Kubernetes
import VeleroAPI

/// Cells as Velero's table printers write them (`pkg/cmd/util/output/*_printer.go`, printed by kubectl's
/// table printer with Go's `fmt`).
enum VeleroPrinting {
    /// A `metav1.Time` as Go prints it: `2026-04-29 17:08:12 +0000 UTC`, in the local time zone (apimachinery
    /// decodes API timestamps into local time); `<nil>` for an absent pointer, and Go's zero time for a
    /// timestamp that does not parse.
    static func time(_ timestamp: String?, timeZone: TimeZone = .current) -> String {
        guard let timestamp else { return "<nil>" }
        guard let date = Timestamps.parse(timestamp) else { return "0001-01-01 00:00:00 +0000 UTC" }
        return time(date, timeZone: timeZone)
    }

    /// ``time(_:timeZone:)-(String?,_)`` for a date.
    static func time(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        let universal = ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Universal", "Zulu", "Etc/Universal", "Etc/Zulu"]
        let name =
            offset == 0 && universal.contains(timeZone.identifier)
            ? "UTC" : (timeZone.abbreviation(for: date) ?? timeZone.identifier)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d %@%02d%02d %@",
            c.year ?? 1,
            c.month ?? 1,
            c.day ?? 1,
            c.hour ?? 0,
            c.minute ?? 0,
            c.second ?? 0,
            sign,
            hours,
            minutes,
            name
        )
    }

    /// apimachinery's `duration.ShortHumanDuration`: `45s`, `12m`, `5h`, `29d`, `2y`; `0s` for up to a second in
    /// the past and `<invalid>` for more.
    static func shortHumanDuration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.towardZero))
        if whole < -1 { return "<invalid>" }
        if whole < 0 { return "0s" }
        if whole < 60 { return "\(whole)s" }
        if whole / 60 < 60 { return "\(whole / 60)m" }
        let hours = whole / 3600
        if hours < 24 { return "\(hours)h" }
        if hours < 24 * 365 { return "\(hours / 24)d" }
        return "\(hours / 24 / 365)y"
    }

    /// Velero's `humanReadableTimeFromNow`: `29d` ahead, `5m ago` behind, `n/a` without a time.
    static func fromNow(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "n/a" }
        let ahead = date.timeIntervalSince(now)
        return ahead >= 0 ? shortHumanDuration(ahead) : "\(shortHumanDuration(-ahead)) ago"
    }

    /// `metav1.FormatLabelSelector`: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
    /// `!k`, joined by commas; `<none>` for none.
    static func selector(_ selector: LabelSelectorSpec?) -> String {
        guard let selector else { return "<none>" }
        var requirements: [(key: String, text: String)] = (selector.matchLabels ?? [:]).map {
            ($0.key, "\($0.key)=\($0.value)")
        }
        for expression in selector.matchExpressions ?? [] {
            let values = (expression.values ?? []).sorted().joined(separator: ",")
            switch expression.operator {
            case "In": requirements.append((expression.key, "\(expression.key) in (\(values))"))
            case "NotIn": requirements.append((expression.key, "\(expression.key) notin (\(values))"))
            case "Exists": requirements.append((expression.key, expression.key))
            case "DoesNotExist": requirements.append((expression.key, "!\(expression.key)"))
            default: requirements.append((expression.key, "\(expression.key) \(expression.operator) (\(values))"))
            }
        }
        guard !requirements.isEmpty else { return "<none>" }
        return requirements.sorted { $0.key < $1.key }.map(\.text).joined(separator: ",")
    }

    /// Velero's order for `backup get`: by name, except that backups of one schedule (a `-yyyyMMddHHmmss` suffix
    /// after a common prefix) go newest first.
    static func backupOrder(_ a: String, _ b: String) -> Bool {
        func split(_ name: String) -> (prefix: Substring, suffix: Substring)? {
            guard name.count > 15 else { return nil }
            let suffix = name.suffix(15)
            guard suffix.first == "-", suffix.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return (name.dropLast(15), suffix)
        }
        guard let left = split(a), let right = split(b), left.prefix == right.prefix else { return a < b }
        return left.suffix > right.suffix
    }
}
