public import Foundation

/// The leader election fields of a `coordination.k8s.io/v1` Lease's spec (client-go's
/// `LeaderElectionRecord`).
public struct LeaderElectionRecord: Sendable, Hashable {
    /// Who holds the lease ("" or nil: nobody, e.g. after a release).
    public var holderIdentity: String?
    /// How long the holder may go without renewing.
    public var leaseDurationSeconds: Int
    public var acquireTime: Date?
    public var renewTime: Date?
    /// How many times the lease changed hands.
    public var leaseTransitions: Int

    public init(
        holderIdentity: String?,
        leaseDurationSeconds: Int,
        acquireTime: Date?,
        renewTime: Date?,
        leaseTransitions: Int
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// The record of `lease` (absent fields read as nil or zero).
    public init(lease: KubeObject) {
        let spec = lease["spec"]
        holderIdentity = spec?["holderIdentity"]?.stringValue
        leaseDurationSeconds = spec?["leaseDurationSeconds"]?.intValue.map { Int($0) } ?? 0
        acquireTime = spec?["acquireTime"]?.stringValue.flatMap(Self.parseMicroTime)
        renewTime = spec?["renewTime"]?.stringValue.flatMap(Self.parseMicroTime)
        leaseTransitions = spec?["leaseTransitions"]?.intValue.map { Int($0) } ?? 0
    }

    /// Writes the record into `lease`'s spec, keeping its other fields.
    public func apply(to lease: inout KubeObject) {
        var spec = lease["spec"]?.objectValue ?? [:]
        spec["holderIdentity"] = .string(holderIdentity ?? "")
        spec["leaseDurationSeconds"] = .int(Int64(leaseDurationSeconds))
        spec["acquireTime"] = acquireTime.map { .string(Self.formatMicroTime($0)) }
        spec["renewTime"] = renewTime.map { .string(Self.formatMicroTime($0)) }
        spec["leaseTransitions"] = .int(Int64(leaseTransitions))
        lease["spec"] = .object(spec)
    }

    /// `date` in Kubernetes' MicroTime format, `2006-01-02T15:04:05.000000Z07:00` in UTC.
    public static func formatMicroTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = min(999_999, max(0, Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var text = formatter.string(from: Date(timeIntervalSince1970: seconds))
        let digits = String(micros)
        let fraction = "." + String(repeating: "0", count: 6 - digits.count) + digits
        text.insert(contentsOf: fraction, at: text.index(before: text.endIndex))
        return text
    }

    /// Parses RFC 3339 with or without fractional seconds (MicroTime or Time).
    public static func parseMicroTime(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            base = String(text[..<dot]) + String(text[text.index(after: dot)...].dropFirst(digits.count))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: base).map { $0.addingTimeInterval(fraction) }
    }
}

extension GroupVersionResource {
    /// `coordination.k8s.io/v1` leases.
    public static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")
}
