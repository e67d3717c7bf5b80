package import Foundation
import VeleroAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The content of `lifeboat-claim.json`: which run holds a backup name, and enough to tell a live run from a
/// dead one.
///
/// A run writes its claim before anything else of the backup and rewrites it every heartbeat interval
/// (``BackupRunner/Configuration/heartbeatInterval``). A claim is the claim of a **dead** run when:
/// - it was written on this host (same `host`) and process `pid` no longer exists (a run killed with -9); or
/// - its heartbeat is older than `staleAfter` (a run on another host, or a pid reused since); or
/// - it has no owner (`pid`/`host`), as claims written before owners were recorded.
///
/// Otherwise the run is **live**, and `lifeboat backup delete NAME` refuses to remove its files.
package struct BackupClaim: Codable, Sendable, Hashable {
    /// How often a run rewrites its claim (the default of ``BackupRunner/Configuration/heartbeatInterval``).
    package static let heartbeatInterval: Duration = .seconds(10)
    /// A heartbeat older than this (six missed beats) means the run is dead.
    package static let staleAfter: Duration = .seconds(60)

    /// A unique ID of the run.
    package var run: String
    /// When the name was claimed (RFC 3339).
    package var claimedAt: String
    /// The host name of the claiming process.
    package var host: String?
    /// The process ID of the claiming process.
    package var pid: Int32?
    /// The last heartbeat (RFC 3339); `claimedAt` when absent.
    package var heartbeatAt: String?

    package init(run: String, claimedAt: String, host: String?, pid: Int32?, heartbeatAt: String?) {
        self.run = run
        self.claimedAt = claimedAt
        self.host = host
        self.pid = pid
        self.heartbeatAt = heartbeatAt
    }

    /// A claim for `run` by this process, now.
    package static func current(run: String, now: Date = Date()) -> BackupClaim {
        let stamp = Timestamps.format(now)
        return BackupClaim(run: run, claimedAt: stamp, host: hostName(), pid: getpid(), heartbeatAt: stamp)
    }

    /// The same claim with its heartbeat at `now`.
    package func beating(at now: Date = Date()) -> BackupClaim {
        var claim = self
        claim.heartbeatAt = Timestamps.format(now)
        return claim
    }

    /// Whether the claiming run is alive, and why (for messages).
    package enum Liveness: Sendable, Hashable {
        case live(String)
        case dead(String)

        package var isLive: Bool {
            if case .live = self { return true }
            return false
        }
    }

    /// Decides whether the run that wrote this claim is alive. Pure: the host, the clock and the process
    /// table are parameters.
    /// - Parameters:
    ///   - now: the current time.
    ///   - hostName: this host's name.
    ///   - staleAfter: a heartbeat older than this means the run is dead.
    ///   - processExists: whether a process with this ID exists on this host.
    package func liveness(
        now: Date,
        hostName: String,
        staleAfter: Duration,
        processExists: (Int32) -> Bool
    ) -> Liveness {
        guard let host, let pid else { return .dead("the claim names no owner process") }
        let beat = (heartbeatAt ?? claimedAt)
        let age = Timestamps.parse(beat).map { now.timeIntervalSince($0) } ?? .infinity
        let stale = age > TimeInterval(staleAfter.components.seconds)
        let ageText = age.isFinite ? "\(max(0, Int(age)))s ago" : "never"
        if host == hostName && !processExists(pid) {
            return .dead("process \(pid) on \(host) no longer exists")
        }
        if stale { return .dead("its last heartbeat was \(ageText) (process \(pid) on \(host))") }
        return .live("process \(pid) on \(host), last heartbeat \(ageText)")
    }

    /// ``liveness(now:hostName:staleAfter:processExists:)`` against this host and its process table.
    package func liveness(staleAfter: Duration) -> Liveness {
        liveness(now: Date(), hostName: Self.hostName(), staleAfter: staleAfter) { pid in
            // kill(pid, 0): ESRCH when no such process; EPERM means it exists but is another user's.
            kill(pid, 0) == 0 || errno == EPERM
        }
    }

    /// This host's name (`gethostname`).
    package static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
