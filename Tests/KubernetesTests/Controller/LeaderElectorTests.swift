import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Testing

/// Leader election on a sandbox Lease: one leader at a time, takeover after expiry or release, an unknown
/// holder respected until its lease expires on the elector's clock, leadership lost when renewal fails.
struct LeaderElectorTests {
    static let leaseName = "controller-lock"

    /// Which candidates lead now, and the most that ever led at once.
    struct Leaders: Sendable {
        var current: Set<String> = []
        var most = 0
        var cancelled: [String] = []
    }

    func elector(
        _ client: KubeClient,
        _ identity: String,
        lease: Duration = .seconds(2),
        renew: Duration = .milliseconds(1500),
        release: Bool = true
    ) -> LeaderElector<ContinuousClock> {
        LeaderElector(
            client: client,
            configuration: .init(
                leaseName: Self.leaseName,
                namespace: "default",
                identity: identity,
                leaseDuration: lease,
                renewDeadline: renew,
                retryPeriod: .milliseconds(200),
                releaseOnCancel: release
            ),
            logger: .quiet
        )
    }

    /// Leads with `elector` until cancelled, recording the leadership in `leaders`.
    func campaign(_ elector: LeaderElector<some Clock<Duration>>, _ leaders: Box<Leaders>) async throws {
        let identity = elector.configuration.identity
        do {
            try await elector.withLeadership {
                leaders.update { l in
                    l.current.insert(identity)
                    l.most = max(l.most, l.current.count)
                }
                do { try await Task.sleep(for: .seconds(3600)) } catch {}
                leaders.update { l in
                    l.current.remove(identity)
                    if Task.isCancelled { l.cancelled.append(identity) }
                }
            }
        } catch is CancellationError {
            // the campaign was called off
        }
    }

    func lease(_ client: KubeClient) async throws -> LeaderElectionRecord {
        LeaderElectionRecord(lease: try await client.get(.leases, namespace: "default", name: Self.leaseName))
    }

    /// Starts `a`, waits until it leads, starts `b`, waits until `b` sees `a` lead, kills `a`'s task, and
    /// waits until `b` leads.
    func takeover(
        _ client: KubeClient,
        a: LeaderElector<ContinuousClock>,
        b: LeaderElector<ContinuousClock>,
        within timeout: Duration
    ) async throws -> Leaders {
        let leaders = Box(Leaders())
        try await withThrowingTaskGroup(of: Void.self) { outer in
            try await withThrowingTaskGroup(of: Void.self) { inner in
                inner.addTask { try await campaign(a, leaders) }
                try await waitUntil("a leads") { leaders.get.current == ["a"] }
                outer.addTask { try await campaign(b, leaders) }
                try await waitUntil("b sees a lead") { b.leader == "a" }
                #expect(!b.isLeader)
                #expect(try await lease(client).holderIdentity == "a")
                inner.cancelAll()
                try await inner.waitForAll()
            }
            try await waitUntil("b leads", timeout: timeout) { leaders.get.current == ["b"] }
            outer.cancelAll()
            try await outer.waitForAll()
        }
        return leaders.get
    }

    @Test func theOtherLeadsOnceAKilledLeadersLeaseExpires() async throws {
        try await withSandbox { _, client in
            let leaders = try await takeover(
                client,
                a: elector(client, "a", release: false),
                b: elector(client, "b"),
                within: .seconds(20)
            )
            #expect(leaders.most == 1)
            let record = try await lease(client)
            // b released on its way out; the Lease counts one change of hands (a → b).
            #expect(record.holderIdentity == "")
            #expect(record.leaseTransitions == 1)
        }
    }

    @Test func theOtherTakesOverPromptlyAfterARelease() async throws {
        try await withSandbox { _, client in
            // A 60 s lease: only the release lets b lead within the 15 s this test waits.
            let a = elector(client, "a", lease: .seconds(60), renew: .seconds(40))
            let b = elector(client, "b", lease: .seconds(60), renew: .seconds(40))
            let leaders = try await takeover(client, a: a, b: b, within: .seconds(15))
            #expect(leaders.most == 1)
            #expect(leaders.cancelled == ["a", "b"])
            #expect(try await lease(client).leaseTransitions == 1)
        }
    }

    @Test func anUnknownHoldersLeaseIsRespectedUntilItExpiresOnTheElectorsClock() async throws {
        try await withSandbox { _, client in
            var stranger = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: "default",
                name: Self.leaseName
            )
            // renewTime long past: client-go judges expiry by when this elector saw the record change, not by it.
            LeaderElectionRecord(
                holderIdentity: "stranger",
                leaseDurationSeconds: 15,
                acquireTime: Date(timeIntervalSince1970: 0),
                renewTime: Date(timeIntervalSince1970: 0),
                leaseTransitions: 3
            ).apply(to: &stranger)
            _ = try await client.create(.leases, stranger)

            let clock = ManualClock()
            let elector = LeaderElector(
                client: client,
                configuration: .init(leaseName: Self.leaseName, namespace: "default", identity: "c", jitterFactor: 0),
                clock: clock,
                logger: .quiet
            )
            let leaders = Box(Leaders())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await campaign(elector, leaders) }
                await clock.waitForSleepers(1)  // first attempt made at 0 s
                #expect(elector.leader == "stranger")
                for _ in 0..<7 {  // attempts at 2, 4, ... 14 s: the lease is valid until 15 s
                    clock.advance(by: .seconds(2))
                    await clock.waitForSleepers(1)
                    #expect(leaders.get.current.isEmpty)
                    #expect(elector.leader == "stranger")
                }
                clock.advance(by: .seconds(2))  // 16 s: expired
                try await waitUntil("c leads") { leaders.get.current == ["c"] }
                let raw = try await client.get(.leases, namespace: "default", name: Self.leaseName)
                let record = LeaderElectionRecord(lease: raw)
                #expect(record.holderIdentity == "c")
                #expect(record.leaseTransitions == 4)
                #expect(record.leaseDurationSeconds == 15)
                let renewTime = raw["spec"]?["renewTime"]?.stringValue ?? ""
                #expect(renewTime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(try await lease(client).holderIdentity == "")
        }
    }

    @Test func aLeaderThatCannotRenewStopsLeading() async throws {
        try await withSandbox { _, client in
            let a = elector(client, "a", renew: .seconds(1))
            let leaders = Box(Leaders())
            let error = await #expect(throws: KubeError.self) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await campaign(a, leaders) }
                    try await waitUntil("a leads") { leaders.get.current == ["a"] }
                    // Another process takes the Lease over: a's renewals fail until its renew deadline.
                    while true {
                        var lease = try await client.get(.leases, namespace: "default", name: Self.leaseName)
                        var record = LeaderElectionRecord(lease: lease)
                        record.holderIdentity = "thief"
                        record.leaseDurationSeconds = 60
                        record.apply(to: &lease)
                        do {
                            _ = try await client.update(.leases, lease)
                            break
                        } catch let error as KubeError where error.code == .conflict {
                            continue  // a renewed meanwhile
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(error?.code == .leadershipLost)
            #expect(leaders.get.cancelled == ["a"])
            let holder = try await lease(client).holderIdentity
            #expect(holder == "thief")
        }
    }

    @Test func microTimeRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_765_000_000.123456)
        let text = LeaderElectionRecord.formatMicroTime(date)
        #expect(text == "2025-12-06T05:46:40.123456Z")
        let parsed = try #require(LeaderElectionRecord.parseMicroTime(text))
        #expect(abs(parsed.timeIntervalSince(date)) < 0.000_001)
        let whole = LeaderElectionRecord.parseMicroTime("2025-12-06T05:46:40Z")
        #expect(whole == Date(timeIntervalSince1970: 1_765_000_000))
    }
}
