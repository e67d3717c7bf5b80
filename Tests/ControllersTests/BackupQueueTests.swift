import BackupEngine
import Controllers
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Logging
import Synchronization
import Testing
import VeleroAPI

/// Velero 1.18's backup queue: `New` → `Queued` (with a position) → `ReadyToStart` → `InProgress`, never more running
/// than `--concurrent-backups`, never two at once on one namespace, and earlier queued backups first.
@Suite struct BackupQueueTests {
    typealias Entry = BackupQueueDecision.Entry

    static let cluster = ["a", "b", "c", "d", "app-1", "app-2", "other"]

    static func decide(_ name: String, _ backups: [Entry], concurrent: Int = 1) -> BackupQueueDecision.Verdict {
        BackupQueueDecision.decide(name, backups: backups, clusterNamespaces: cluster, concurrentBackups: concurrent)
    }

    @Test func newBackupsJoinTheEndOfTheQueue() {
        #expect(BackupQueueDecision.enqueuePosition([]) == 1)
        let backups = [
            Entry(name: "q1", phase: "Queued", queuePosition: 1), Entry(name: "q3", phase: "Queued", queuePosition: 3),
            Entry(name: "r", phase: "InProgress"), Entry(name: "done", phase: "Completed", queuePosition: 9),
        ]
        #expect(BackupQueueDecision.enqueuePosition(backups) == 4)
    }

    @Test func aQueuedBackupStartsOnlyBelowTheConcurrencyAndWithoutAnOverlap() {
        let running = Entry(name: "r", phase: "InProgress", includedNamespaces: ["a"])
        let other = Entry(name: "x", phase: "Queued", queuePosition: 1, includedNamespaces: ["b"])
        #expect(
            Self.decide("x", [running, other])
                == .leaveQueued("1 concurrent backups are already running, leaving x queued")
        )
        #expect(Self.decide("x", [running, other], concurrent: 2) == .start(renumbered: [:]))
        // A backup about to start counts as running.
        let ready = Entry(name: "s", phase: "ReadyToStart", includedNamespaces: ["c"])
        #expect(Self.decide("x", [running, ready, other], concurrent: 2) != .start(renumbered: [:]))
        // The same namespace as a running backup: it waits, whatever the concurrency.
        let same = Entry(name: "y", phase: "Queued", queuePosition: 1, includedNamespaces: ["a"])
        #expect(
            Self.decide("y", [running, same], concurrent: 5)
                == .leaveQueued("Backup y has namespace conflict with r, leaving queued")
        )
        // No includes mean every namespace: it overlaps everything.
        let all = Entry(name: "z", phase: "Queued", queuePosition: 1)
        #expect(Self.decide("z", [running, all], concurrent: 5) != .start(renumbered: [:]))
    }

    @Test func earlierRunnableBackupsGoFirstAndTheRestAreRenumbered() {
        let q1 = Entry(name: "q1", phase: "Queued", queuePosition: 1, includedNamespaces: ["c"])
        let q2 = Entry(name: "q2", phase: "Queued", queuePosition: 2, includedNamespaces: ["d"])
        let q3 = Entry(name: "q3", phase: "Queued", queuePosition: 5, includedNamespaces: ["c"])
        #expect(
            Self.decide("q2", [q1, q2, q3], concurrent: 3)
                == .leaveQueued("Earlier queued backup q1 is runnable, leaving q2 queued")
        )
        #expect(Self.decide("q1", [q1, q2, q3], concurrent: 3) == .start(renumbered: ["q2": 1, "q3": 2]))
        // An earlier backup blocked by a running one does not hold back a later one that is free.
        let running = Entry(name: "r", phase: "InProgress", includedNamespaces: ["c"])
        #expect(Self.decide("q2", [running, q1, q2], concurrent: 3) == .start(renumbered: ["q1": 1]))
    }

    @Test func namespacesAreTheClustersThatTheFiltersSelect() {
        let globbed = Entry(name: "g", phase: "Queued", includedNamespaces: ["app-*"], excludedNamespaces: ["app-2"])
        #expect(BackupQueueDecision.namespaces(of: globbed, clusterNamespaces: Self.cluster) == ["app-1"])
        let missing = Entry(name: "m", phase: "Queued", includedNamespaces: ["gone"])
        #expect(BackupQueueDecision.namespaces(of: missing, clusterNamespaces: Self.cluster).isEmpty)
        let everything = Entry(name: "e", phase: "Queued", excludedNamespaces: ["other"])
        #expect(BackupQueueDecision.namespaces(of: everything, clusterNamespaces: Self.cluster).count == 6)
    }

    @Test(.timeLimit(.minutes(2)))
    func backupsAnEarlierServerLeftQueuedStartWhenAServerStarts() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await ServerControllersTests.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                for (position, name) in ["left-1", "left-2"].enumerated() {
                    var spec = BackupSpec()
                    spec.includedNamespaces = ["velero"]
                    spec.includedResources = ["configmaps"]
                    var backup = Backup(metadata: ObjectMeta(name: name, namespace: "velero"), spec: spec)
                    var status = BackupStatus(phase: BackupPhase.queued)
                    status.queuePosition = position + 1
                    backup.status = status
                    _ = try await client.create(Backup.resource, try ServerControllersTests.object(backup))
                }
                try await StorageControllersTests.withControllers(client, clock: ManualClock()) {
                    try await waitUntil("both backups Completed", timeout: .seconds(60)) {
                        let first = try await StorageControllersTests.phase(client, Backup.resource, "left-1")
                        let second = try await StorageControllersTests.phase(client, Backup.resource, "left-2")
                        return first == "Completed" && second == "Completed"
                    }
                }
            }
        }
    }

    /// The phases of each Backup in the order a watch saw them.
    final class Transitions: Sendable {
        let events = Mutex<[(name: String, phase: String)]>([])

        func record(_ event: InformerEvent) {
            guard let name = event.object.name else { return }
            let phase = event.object["status"]?["phase"]?.stringValue ?? ""
            events.withLock { events in
                if events.last(where: { $0.name == name })?.phase != phase { events.append((name, phase)) }
            }
        }

        /// The most Backups `InProgress` or `ReadyToStart` at once over the recorded history.
        var mostRunning: Int {
            var phases: [String: String] = [:]
            var most = 0
            for (name, phase) in events.withLock({ $0 }) {
                phases[name] = phase
                most = max(most, phases.values.filter { $0 == "InProgress" || $0 == "ReadyToStart" }.count)
            }
            return most
        }

        func phases(of name: String) -> [String] { events.withLock { $0.filter { $0.name == name }.map(\.phase) } }
    }

    @Test(.timeLimit(.minutes(3)))
    func backupsAppliedAtOnceOnOneNamespaceRunOneAfterTheOtherThroughTheQueue() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await ServerControllersTests.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                let transitions = Transitions()
                let watch = Informer(
                    client: client,
                    configuration: .init(resource: Backup.resource, namespace: "velero"),
                    clock: ContinuousClock(),
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                )
                watch.addHandler { transitions.record($0) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await watch.run() }
                    defer { group.cancelAll() }
                    try await StorageControllersTests.withControllers(client, clock: ManualClock()) {
                        let names = ["q1", "q2", "q3"]
                        for name in names {
                            var spec = BackupSpec()
                            spec.includedNamespaces = ["velero"]
                            spec.includedResources = ["configmaps"]
                            let backup = Backup(metadata: ObjectMeta(name: name, namespace: "velero"), spec: spec)
                            _ = try await client.create(Backup.resource, try ServerControllersTests.object(backup))
                        }
                        try await waitUntil("the three backups Completed", timeout: .seconds(120)) {
                            var completed = 0
                            for name in names {
                                let phase = try await StorageControllersTests.phase(client, Backup.resource, name)
                                if phase == "Completed" { completed += 1 }
                            }
                            return completed == names.count
                        }
                        try await waitUntil("the watch saw them end") {
                            names.allSatisfy { transitions.phases(of: $0).last == "Completed" }
                        }
                        for name in names {
                            let seen = transitions.phases(of: name)
                            #expect(
                                seen.filter { $0 != "" && $0 != "New" }
                                    == ["Queued", "ReadyToStart", "InProgress", "Completed"],
                                "\(name): \(seen)"
                            )
                        }
                        #expect(transitions.mostRunning == 1)
                        let backup = try await client.get(Backup.resource, namespace: "velero", name: "q3")
                        #expect((backup["status"]?["queuePosition"]?.intValue ?? 0) == 0)
                    }
                }
            }
        }
    }
}
