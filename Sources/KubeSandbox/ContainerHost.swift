import Foundation
import Kubernetes
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A process to start: what the kubelet hands the API server for `kubectl exec`.
struct ProcessInvocation: Sendable, Equatable {
    /// Absolute path of the program (e.g. `/usr/bin/bwrap`).
    var executable: String
    /// Arguments after the program name.
    var arguments: [String]
    /// The whole environment of the new process (nothing is inherited).
    var environment: [String: String]
    /// Working directory of the new process (on the host; the program may change it inside the container).
    var workingDirectory: String?

    /// Describes an invocation.
    init(
        executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// Why a command cannot be started in a container right now.
enum ContainerAccessError: Error, Sendable, Equatable {
    /// The pod has no container (or init container) of this name.
    case containerNotFound(container: String)
    /// The container exists but no process of it is running (waiting, terminated or not started yet).
    case containerNotRunning(container: String)
}

/// The kubelet's side of `kubectl exec`: how to run a command inside a running container, seeing what the
/// container sees (its mount namespace and volumes, environment, working directory and user).
///
/// The node stand-ins implement it; the API's `pods/exec` endpoint starts the returned invocation and
/// connects its standard streams to the client.
protocol ContainerExecHost: Sendable {
    /// The invocation that runs `command` in `container` of the pod `key` (whose uid is `uid`).
    func execInvocation(
        pod key: ObjectKey,
        uid: String,
        container: String,
        command: [String]
    ) async throws(ContainerAccessError) -> ProcessInvocation
}

/// Where the kubelet stand-in reaches the API server's exec endpoint from: set once when containers can run.
final class ContainerHostSlot: Sendable {
    private let host = Mutex<(any ContainerExecHost)?>(nil)

    init() {}

    /// The installed host, if containers run in this sandbox.
    var current: (any ContainerExecHost)? { host.withLock { $0 } }

    /// Installs (or removes) the host.
    func install(_ newHost: (any ContainerExecHost)?) { host.withLock { $0 = newHost } }
}

/// Where container logs live, as the kubelet lays them out under `/var/log/pods`:
/// `<root>/nodes/<node>/logs/<namespace>_<pod>_<uid>/<container>/<restartCount>.log`, one file per run of a
/// container (the run after N restarts writes `N.log`; `kubectl logs --previous` reads `N-1`.log).
/// Lines are in the CRI logging format (``CRILogLine``).
enum PodLogLayout {
    /// The folder of one pod's logs.
    static func podDirectory(root: URL, node: String, namespace: String, pod: String, uid: String) -> URL {
        root.appendingPathComponent("nodes/\(node)/logs/\(namespace)_\(pod)_\(uid)", isDirectory: true)
    }

    /// The log file of one run of a container.
    static func file(
        root: URL,
        node: String,
        namespace: String,
        pod: String,
        uid: String,
        container: String,
        restartCount: Int
    ) -> URL {
        podDirectory(root: root, node: node, namespace: namespace, pod: pod, uid: uid)
            .appendingPathComponent("\(container)/\(restartCount).log", isDirectory: false)
    }
}

/// One line of a container log in the CRI logging format the kubelet reads back for `kubectl logs`:
/// `2026-12-07T07:00:00.123456789Z stdout F the text`, where `F` marks a full line and `P` a partial one (a
/// line longer than the runtime's buffer, continued by the next entry).
struct CRILogLine: Sendable, Equatable {
    /// Which stream the text came from.
    enum Stream: String, Sendable {
        case stdout, stderr
    }

    /// Nanoseconds since the Unix epoch.
    var nanoseconds: Int64
    var stream: Stream
    /// `true` for `P`: the text continues in the next entry and has no line break of its own.
    var partial: Bool
    /// The text, without the line break.
    var content: String

    init(nanoseconds: Int64, stream: Stream, partial: Bool = false, content: String) {
        self.nanoseconds = nanoseconds
        self.stream = stream
        self.partial = partial
        self.content = content
    }

    /// The current wall-clock time in nanoseconds since the epoch.
    static func now() -> Int64 {
        // Not `clock_gettime` into a `timespec`: in some batch compilations the compiler attributes
        // `timespec`'s members to CoreFoundation and MemberImportVisibility rejects them.
        Int64((Date().timeIntervalSince1970 * 1_000_000_000).rounded())
    }

    /// The timestamp as Kubernetes prints it with `--timestamps` (RFC 3339 with nine fractional digits, UTC).
    var timestamp: String { Self.format(nanoseconds) }

    /// The entry as a line of the log file, with its trailing line break.
    var encoded: String {
        "\(timestamp) \(stream.rawValue) \(partial ? "P" : "F") \(content)\n"
    }

    /// Parses one line of a log file (without or with its trailing line break); `nil` when it is not a CRI
    /// log line.
    init?(parsing line: Substring) {
        var rest = line
        if rest.last == "\n" { rest = rest.dropLast() }
        let parts = rest.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let nanoseconds = Self.parse(parts[0]), let stream = Stream(rawValue: String(parts[1]))
        else { return nil }
        switch parts[2] {
        case "F": partial = false
        case "P": partial = true
        default: return nil
        }
        self.nanoseconds = nanoseconds
        self.stream = stream
        content = parts.count == 4 ? String(parts[3]) : ""
    }

    /// `2026-12-07T07:00:00.123456789Z` for a time in nanoseconds since the epoch.
    static func format(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds.quotientAndRemainderFlooring(by: 1_000_000_000)
        var time = time_t(seconds.quotient)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = String(seconds.remainder)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    /// Parses an RFC 3339 UTC timestamp with 0–9 fractional digits (`...Z`) into nanoseconds since the epoch.
    static func parse(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"),
            bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction: Int64 = 0
        if bytes.count > 20 {
            let digits = bytes.count - 21
            guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), let value = number(20..<(20 + digits))
            else { return nil }
            fraction = Int64(value)
            for _ in digits..<9 { fraction *= 10 }
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = Int64(timegm(&parts))
        return seconds * 1_000_000_000 + fraction
    }
}

extension Int64 {
    fileprivate func quotientAndRemainderFlooring(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let result = quotientAndRemainder(dividingBy: divisor)
        return result.remainder < 0 ? (result.quotient - 1, result.remainder + divisor) : result
    }
}
