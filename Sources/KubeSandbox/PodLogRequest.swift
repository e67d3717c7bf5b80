import Foundation
import Kubernetes

/// The query of `GET /api/v1/namespaces/{ns}/pods/{name}/log` (core/v1 `PodLogOptions`), validated as
/// kube-apiserver validates it.
struct PodLogOptions: Sendable, Equatable {
    var container: String?
    var follow = false
    var previous = false
    var timestamps = false
    var tailLines: Int?
    /// Only entries at or after this time (nanoseconds since the epoch), from `sinceSeconds` or `sinceTime`.
    var sinceNanoseconds: Int64?
    var limitBytes: Int?

    /// Parses the query; `now` anchors `sinceSeconds`.
    init(query: [String: String], now: Int64 = CRILogLine.now()) throws(APIStatus) {
        container = query["container"].flatMap { $0.isEmpty ? nil : $0 }
        follow = try Self.bool(query, "follow")
        previous = try Self.bool(query, "previous")
        timestamps = try Self.bool(query, "timestamps")
        let tail = try Self.integer(query, "tailLines")
        let sinceSeconds = try Self.integer(query, "sinceSeconds")
        let limit = try Self.integer(query, "limitBytes")
        var sinceTime: Int64?
        if let text = query["sinceTime"], !text.isEmpty {
            guard let parsed = CRILogLine.parse(Substring(text)) ?? Self.parseOffsetTime(text) else {
                throw APIStatus.badRequest("parsing time \"\(text)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse")
            }
            sinceTime = parsed
        }
        if let tail, tail < 0 {
            throw APIStatus.badRequest("tailLines: Invalid value: \(tail): must be greater than or equal to 0")
        }
        if let limit, limit < 1 {
            throw APIStatus.badRequest("limitBytes: Invalid value: \(limit): must be greater than 0")
        }
        if sinceSeconds != nil && sinceTime != nil {
            throw APIStatus.badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified")
        }
        if let sinceSeconds {
            guard sinceSeconds >= 1 else {
                throw APIStatus.badRequest("sinceSeconds: Invalid value: \(sinceSeconds): must be greater than 0")
            }
            sinceNanoseconds = now - Int64(sinceSeconds) * 1_000_000_000
        } else {
            sinceNanoseconds = sinceTime
        }
        tailLines = tail
        limitBytes = limit
    }

    /// Go's `strconv.ParseBool`, as the API's query decoding uses it.
    private static func bool(_ query: [String: String], _ name: String) throws(APIStatus) -> Bool {
        guard let text = query[name], !text.isEmpty else { return false }
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw APIStatus.badRequest("strconv.ParseBool: parsing \"\(text)\": invalid syntax")
        }
    }

    private static func integer(_ query: [String: String], _ name: String) throws(APIStatus) -> Int? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw APIStatus.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax")
        }
        return value
    }

    /// RFC 3339 with a numeric offset (`2026-12-07T08:00:00+01:00`).
    private static func parseOffsetTime(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1e9) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970 * 1e9) }
    }
}

/// Which run of a container a log request reads, decided from the container's status as the kubelet
/// decides it (`validateContainerLogStatus` in pkg/kubelet/kubelet_pods.go).
struct PodLogSelection: Sendable, Equatable {
    /// The run's number: the container's restart count when it ran (`<run>.log`).
    var run: Int
    /// Whether the run may still write (its container is running): `follow` then waits for more.
    var live: Bool

    /// Chooses the run for `previous` or the current one.
    ///
    /// - Throws: 400 with the kubelet's words: no status `container "c" in pod "p" is not available`;
    ///   `previous terminated container "c" in pod "p" not found`; `container "c" in pod "p" is waiting to
    ///   start: REASON`.
    init(status: JSONValue?, container: String, pod: String, previous: Bool) throws(APIStatus) {
        guard let status else {
            throw APIStatus.badRequest("container \"\(container)\" in pod \"\(pod)\" is not available")
        }
        let restarts = Int(status["restartCount"]?.intValue ?? 0)
        let state = status["state"]
        let lastTerminated = status["lastState"]?["terminated"].flatMap { $0.isNull ? nil : $0 }
        func has(_ name: String) -> Bool { state?[name].map { !$0.isNull } ?? false }
        if previous {
            guard lastTerminated != nil, restarts > 0 else {
                throw APIStatus.badRequest("previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
            }
            self.init(run: restarts - 1, live: false)
        } else if has("running") {
            self.init(run: restarts, live: true)
        } else if has("terminated") {
            self.init(run: restarts, live: false)
        } else if lastTerminated != nil, restarts > 0 {
            self.init(run: restarts - 1, live: false)
        } else {
            let reason = state?["waiting"]?["reason"]?.stringValue ?? ""
            let shown: String
            switch reason {
            case "ErrImagePull": shown = "image can't be pulled"
            case "ImagePullBackOff": shown = "trying and failing to pull image"
            default: shown = reason
            }
            throw APIStatus.badRequest("container \"\(container)\" in pod \"\(pod)\" is waiting to start: \(shown)")
        }
    }

    init(run: Int, live: Bool) {
        self.run = run
        self.live = live
    }

    /// Whether the run has ended according to a newer status of its container (it terminated, or a later
    /// run started).
    func ended(by status: JSONValue?) -> Bool {
        guard let status else { return true }
        let restarts = Int(status["restartCount"]?.intValue ?? 0)
        if restarts > run { return true }
        let state = status["state"]
        return !(state?["running"].map { !$0.isNull } ?? false)
    }
}

/// Turns the lines of a CRI log file into what `kubectl logs` prints: the text of each entry (with its
/// line break unless it is partial), prefixed by its timestamp with `timestamps`, filtered by `since`, and
/// cut at `limitBytes` in total.
struct PodLogFormatter: Sendable {
    var timestamps: Bool
    var sinceNanoseconds: Int64?
    /// Bytes still allowed (nil = unlimited).
    var remaining: Int?

    init(options: PodLogOptions) {
        timestamps = options.timestamps
        sinceNanoseconds = options.sinceNanoseconds
        remaining = options.limitBytes
    }

    /// Whether the limit is reached (nothing more will be written).
    var exhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    /// The output for complete file lines (each without its line break); lines that are not CRI log
    /// lines are skipped, as the kubelet skips them.
    mutating func format<Lines: Sequence>(_ lines: Lines) -> [UInt8] where Lines.Element == Substring {
        var output: [UInt8] = []
        for line in lines {
            guard !exhausted else { break }
            guard let entry = CRILogLine(parsing: line) else { continue }
            if let since = sinceNanoseconds, entry.nanoseconds < since { continue }
            var bytes: [UInt8] = []
            if timestamps { bytes += Array(entry.timestamp.utf8) + [UInt8(ascii: " ")] }
            bytes += Array(entry.content.utf8)
            if !entry.partial { bytes.append(UInt8(ascii: "\n")) }
            if let left = remaining {
                if bytes.count > left { bytes.removeLast(bytes.count - left) }
                remaining = left - bytes.count
            }
            output += bytes
        }
        return output
    }

    /// The complete lines of `bytes` (the last `count` of them when `count` is given), without line breaks;
    /// bytes after the last line break (an unfinished line) are returned in `rest`.
    static func lines(of bytes: [UInt8], tail count: Int?) -> (lines: [Substring], rest: [UInt8]) {
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return ([], bytes) }
        let text = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let count { lines = Array(lines.suffix(count)) }
        return (lines, Array(bytes[(end + 1)...]))
    }
}
