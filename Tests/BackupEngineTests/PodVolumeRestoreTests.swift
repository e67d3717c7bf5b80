import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// Restores of backups with file-system volume backups against a sandbox: the `restore-wait` container in the
/// created pod, the PodVolumeRestores (spec, labels, owner), and a stand-in node agent that completes or fails
/// them.
struct PodVolumeRestoreTests {
    /// What the stand-in node agent does with each new PodVolumeRestore.
    enum NodeAgent: Sendable {
        /// No node agent: no Lease, no pod.
        case absent
        /// Ends every PodVolumeRestore with this phase and message.
        case finishes(phase: String, message: String)
    }

    static let nodes = GroupVersionResource(group: "", version: "v1", resource: "nodes")

    /// Runs restore `r1` of `store`'s backup with the node agent stand-in, against a sandbox with namespace
    /// `velero`; `inspect` sees the outcome and the client afterwards.
    static func restore(
        _ store: BackupStore,
        nodeAgent: NodeAgent,
        dryRun: Bool = false,
        namespaceMapping: [String: String]? = nil,
        inspect: (RestoreOutcome, KubeClient) async throws -> Void
    ) async throws {
        try await RestoreHarness.withCluster { client in
            try await client.createNamespaceAndWait("velero")
            if case .finishes = nodeAgent { try await holdNodeAgentLeases(client) }
            let configuration = RestoreRunner.Configuration(
                namespace: "velero",
                dryRun: dryRun,
                resourceTimeout: .seconds(60),
                terminatingTimeout: .seconds(60),
                podVolumeOperationTimeout: .seconds(120)
            )
            let runner = RestoreRunner(client: client, store: store, configuration: configuration, logger: .quiet)
            var spec = RestoreSpec(backupName: "b1")
            spec.namespaceMapping = namespaceMapping
            let request = Restore(metadata: ObjectMeta(name: "r1"), spec: spec)
            let outcome = try await withThrowingTaskGroup(of: RestoreOutcome?.self) { group in
                group.addTask { try await runner.run(request) }
                if case .finishes(let phase, let message) = nodeAgent {
                    group.addTask {
                        try await finishPodVolumeRestores(client, phase: phase, message: message)
                        return nil
                    }
                }
                var result: RestoreOutcome?
                while let next = try await group.next() {
                    if let next {
                        result = next
                        group.cancelAll()
                    }
                }
                return try #require(result)
            }
            try await inspect(outcome, client)
        }
    }

    /// Creates the Lease `lifeboat-node-agent-<node>` of every node, as running node agents hold them.
    static func holdNodeAgentLeases(_ client: KubeClient) async throws {
        for node in try await client.list(nodes).items {
            let name = node.name ?? ""
            var lease = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: "velero",
                name: NodeAgentPresence.leaseName(node: name)
            )
            lease["spec"] = [
                "holderIdentity": .string(name), "leaseDurationSeconds": 40,
                "renewTime": .string(LeaderElectionRecord.formatMicroTime(Date())),
            ]
            _ = try await client.create(.leases, namespace: "velero", lease)
        }
    }

    /// The node agent stand-in: ends each PodVolumeRestore without a phase, until cancelled.
    static func finishPodVolumeRestores(_ client: KubeClient, phase: String, message: String) async throws {
        while !Task.isCancelled {
            let list: ObjectList
            do {
                list = try await client.list(PodVolumeRestore.resource, namespace: "velero")
            } catch {
                // The restore ended and the stand-in was cancelled mid-request: that is its end, not a failure.
                if Task.isCancelled { return }
                throw error
            }
            for var object in list.items where object["status"]?["phase"] == nil {
                object["status"] = ["phase": .string(phase), "message": .string(message)]
                _ = try? await client.update(PodVolumeRestore.resource, namespace: "velero", object)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    static func podVolumeRestores(_ client: KubeClient) async throws -> [PodVolumeRestore] {
        try await client.list(PodVolumeRestore.resource, namespace: "velero").items.map {
            try $0.value.decode(as: PodVolumeRestore.self)
        }
    }

    static func webStore(kopiaCache: Bool = false) async throws -> BackupStore {
        var backups = [
            PodVolumeFixtures.podVolumeBackup(namespace: "shop", pod: "web", volume: "data", snapshot: "5nap1d")
        ]
        if kopiaCache {
            backups.append(
                PodVolumeFixtures.podVolumeBackup(
                    namespace: "shop",
                    pod: "web",
                    volume: "cache",
                    snapshot: "k0p1a",
                    uploader: "kopia"
                )
            )
        }
        return try await PodVolumeFixtures.store(
            namespace: "shop",
            pods: [
                PodVolumeFixtures.pod("web", "shop", volumes: ["data", "cache", "settings"], configMaps: ["settings"])
            ],
            podVolumeBackups: backups
        )
    }

    @Test func podGetsRestoreWaitAndPodVolumeRestoresComplete() async throws {
        let store = try await Self.webStore()
        try await Self.restore(store, nodeAgent: .finishes(phase: "Completed", message: "")) { outcome, client in
            #expect(outcome.restore.status?.phase == "Completed", "\(outcome.results.errors.lines)")
            let restoreCR = try await client.get(Restore.resource, namespace: "velero", name: "r1")
            let restoreUID = try #require(restoreCR.uid)
            let pod = try await client.get(.pods, namespace: "shop", name: "web")
            let initContainers = try #require(pod["spec"]?["initContainers"]?.arrayValue)
            #expect(initContainers.count == 1)
            #expect(initContainers.first?["name"] == "restore-wait")
            #expect(initContainers.first?["args"] == [.string(restoreUID)])
            #expect(initContainers.first?["volumeMounts"] == [["name": "data", "mountPath": "/restores/data"]])

            let restores = try await Self.podVolumeRestores(client)
            #expect(restores.count == 1)
            let pvr = try #require(restores.first)
            #expect(pvr.metadata.generateName == "r1-")
            #expect(pvr.name.hasPrefix("r1-"))
            #expect(pvr.spec.pod == ObjectReference(kind: "Pod", namespace: "shop", name: "web", uid: pod.uid))
            #expect(pvr.spec.volume == "data")
            #expect(pvr.spec.snapshotID == "5nap1d")
            #expect(pvr.spec.snapshotSize == 4096)
            #expect(pvr.spec.backupStorageLocation == "default")
            #expect(pvr.spec.repoIdentifier == "local:/bucket/restic/shop")
            #expect(pvr.spec.uploaderType == "restic")
            #expect(pvr.spec.sourceNamespace == "shop")
            #expect(
                pvr.metadata.labels == [
                    "velero.io/restore-name": "r1", "velero.io/restore-uid": restoreUID,
                    "velero.io/pod-uid": pod.uid ?? "",
                ]
            )
            #expect(
                pvr.metadata.ownerReferences == [
                    VeleroAPI.OwnerReference(
                        apiVersion: "velero.io/v1",
                        kind: "Restore",
                        name: "r1",
                        uid: restoreUID,
                        controller: true
                    )
                ]
            )
            #expect(outcome.report.podVolumes.map(\.phase) == ["Completed"])
            #expect(outcome.report.podVolumes.first?.name == pvr.name)
        }
    }

    @Test func failedPodVolumeRestoreMakesTheRestorePartiallyFailed() async throws {
        let store = try await Self.webStore()
        try await Self.restore(store, nodeAgent: .finishes(phase: "Failed", message: "disk full")) { outcome, _ in
            #expect(outcome.restore.status?.phase == "PartiallyFailed")
            let errors = outcome.results.errors.velero ?? []
            #expect(errors.count == 1)
            #expect(errors.first?.contains("pod volume restore failed") == true)
            #expect(errors.first?.contains("shop/web: data") == true)
            #expect(errors.first?.contains("disk full") == true)
            #expect(outcome.report.podVolumes.first?.phase == "Failed")
        }
    }

    @Test func kopiaVolumeFailsAloneAndThePodStillStarts() async throws {
        let store = try await Self.webStore(kopiaCache: true)
        try await Self.restore(store, nodeAgent: .finishes(phase: "Completed", message: "")) { outcome, client in
            #expect(outcome.restore.status?.phase == "PartiallyFailed")
            let errors = outcome.results.errors.velero ?? []
            #expect(errors.count == 1, "\(errors)")
            #expect(errors.first?.contains("kopia uploader") == true)
            #expect(errors.first?.contains("cache") == true)
            let pod = try await client.get(.pods, namespace: "shop", name: "web")
            let mounts = pod["spec"]?["initContainers"]?.arrayValue?.first?["volumeMounts"]
            #expect(mounts == [["name": "data", "mountPath": "/restores/data"]])
            let restores = try await Self.podVolumeRestores(client)
            #expect(restores.map(\.spec.volume) == ["data"])
            #expect(
                Set(outcome.report.podVolumes.map { "\($0.volume)=\($0.phase)" }) == ["data=Completed", "cache=Failed"]
            )
        }
    }

    @Test func namespaceMappingKeepsTheSourceRepository() async throws {
        let store = try await Self.webStore()
        try await Self.restore(
            store,
            nodeAgent: .finishes(phase: "Completed", message: ""),
            namespaceMapping: ["shop": "shop-copy"]
        ) { outcome, client in
            #expect(outcome.restore.status?.phase == "Completed", "\(outcome.results.errors.lines)")
            let pod = try await client.get(.pods, namespace: "shop-copy", name: "web")
            let pvr = try #require(try await Self.podVolumeRestores(client).first)
            #expect(pvr.spec.pod.namespace == "shop-copy")
            #expect(pvr.spec.pod.uid == pod.uid)
            #expect(pvr.spec.sourceNamespace == "shop")
            #expect(pvr.spec.repoIdentifier == "local:/bucket/restic/shop")
        }
    }

    @Test func missingNodeAgentFailsTheVolumeAtOnce() async throws {
        let store = try await Self.webStore()
        try await Self.restore(store, nodeAgent: .absent) { outcome, client in
            #expect(outcome.restore.status?.phase == "PartiallyFailed")
            let errors = outcome.results.errors.velero ?? []
            #expect(errors.count == 1)
            #expect(errors.first?.contains("node-agent pod is not running in node") == true)
            #expect(errors.first?.contains("lifeboat install --use-node-agent") == true)
            #expect(errors.first?.contains("lifeboat node-agent server") == true)
            let created = try await Self.podVolumeRestores(client)
            #expect(created.count == 1)
        }
    }

    @Test func dryRunListsThePodVolumeRestoresItWouldCreate() async throws {
        let store = try await Self.webStore()
        try await Self.restore(store, nodeAgent: .absent, dryRun: true) { outcome, client in
            #expect(outcome.results.errors.isEmpty, "\(outcome.results.errors.lines)")
            #expect(outcome.report.podVolumes.count == 1)
            let planned = try #require(outcome.report.podVolumes.first)
            #expect(planned.podNamespace == "shop")
            #expect(planned.podName == "web")
            #expect(planned.volume == "data")
            #expect(planned.snapshotID == "5nap1d")
            #expect(planned.phase == "New")
            #expect(planned.name == nil)
            let created = try await Self.podVolumeRestores(client)
            #expect(created.isEmpty)
        }
    }

    @Test func persistentVolumesOfBackedUpClaimsAreProvisionedAgain() async throws {
        let pv: JSONValue = [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": ["name": "pv-data", "uid": "old-pv-uid"],
            "spec": [
                "capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain", "hostPath": ["path": "/srv/data"],
                "claimRef": ["kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-claim"],
            ],
        ]
        let store = try await PodVolumeFixtures.store(
            namespace: "shop",
            pods: [],
            podVolumeBackups: [
                PodVolumeFixtures.podVolumeBackup(
                    namespace: "shop",
                    pod: "web",
                    volume: "data",
                    snapshot: "5nap1d",
                    claim: "data-claim"
                )
            ],
            extra: [pv]
        )
        try await Self.restore(store, nodeAgent: .absent, dryRun: true) { outcome, _ in
            let entry = RestoreHarness.entry(outcome.report, "persistentvolumes", "pv-data")
            #expect(entry?.action == .excluded)
            #expect(entry?.reason?.contains("pod volume backup") == true, "\(String(describing: entry))")
        }
    }
}
