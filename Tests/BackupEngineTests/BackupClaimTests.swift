import BackupEngine
import Foundation
import ObjectStorage
import Testing
import VeleroAPI

/// How `backup delete` tells a live run's claim from a dead one's (``BackupClaim``).
struct BackupClaimTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claim(host: String? = "node-a", pid: Int32? = 42, beatSecondsAgo: Double = 5) -> BackupClaim {
        let beat = Timestamps.format(now.addingTimeInterval(-beatSecondsAgo))
        return BackupClaim(run: "r", claimedAt: beat, host: host, pid: pid, heartbeatAt: beat)
    }

    @Test func sameHostLiveProcessWithFreshHeartbeatIsLive() {
        let liveness = Self.claim().liveness(now: Self.now, hostName: "node-a", staleAfter: .seconds(60)) { _ in true }
        #expect(liveness.isLive)
    }

    @Test func sameHostMissingProcessIsDeadAtOnce() {
        let liveness = Self.claim().liveness(now: Self.now, hostName: "node-a", staleAfter: .seconds(60)) { _ in false }
        #expect(liveness == .dead("process 42 on node-a no longer exists"))
    }

    @Test func otherHostIsJudgedByItsHeartbeat() {
        let fresh = Self.claim().liveness(now: Self.now, hostName: "node-b", staleAfter: .seconds(60)) { _ in false }
        #expect(fresh.isLive, "the process table of another host says nothing")
        let stale = Self.claim(beatSecondsAgo: 61)
            .liveness(now: Self.now, hostName: "node-b", staleAfter: .seconds(60)) { _ in true }
        #expect(!stale.isLive)
    }

    @Test func staleHeartbeatOfAReusedPidIsDead() {
        let liveness = Self.claim(beatSecondsAgo: 600)
            .liveness(now: Self.now, hostName: "node-a", staleAfter: .seconds(60)) { _ in true }
        #expect(!liveness.isLive)
    }

    @Test func claimWithoutOwnerIsDead() {
        let liveness = Self.claim(host: nil, pid: nil)
            .liveness(now: Self.now, hostName: "node-a", staleAfter: .seconds(60)) { _ in true }
        #expect(!liveness.isLive)
    }

    @Test func claimRecordsThisProcessAndHeartbeats() async throws {
        let memory = MemoryObjectStore()
        let store = BackupStore(store: memory, prefix: "velero")
        let claim = BackupClaim.current(run: "run-1", now: Self.now)
        try await store.claimBackupName("b1", claim: claim)
        let read = try await store.claim(of: "b1")
        #expect(read?.pid == getpid())
        #expect(read?.host == BackupClaim.hostName())
        #expect(read?.liveness(staleAfter: .seconds(3600 * 24 * 365 * 100)).isLive == true)
        try await store.heartbeat("b1", claim: claim)
        let beaten = try await store.claim(of: "b1")
        #expect(beaten?.run == "run-1")
        #expect(beaten?.heartbeatAt != claim.heartbeatAt)
    }
}
